/* test-synth.c: synthetic matrices have the spectrum they promise (checked
 * by an independent SVD against the closed-form spectra), Haar factors are
 * orthonormal and unbiased, and the spec parser rejects every bad input. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <lapacke.h>

#include "muon/status.h"
#include "muon/synth.h"
#include "tol.h"

/* Singular values of a row-major m x n matrix (copied), descending. */
static void
svd_values(size_t m, size_t n, const double *G, double *s)
{
    double *A = malloc(m * n * sizeof *A);
    memcpy(A, G, m * n * sizeof *A);
    int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'N', (int)m, (int)n, A, (int)n,
                              s, NULL, (int)m, NULL, (int)n);
    ck_assert_int_eq(info, 0);
    free(A);
}

/* The closed forms of muon/synth.h, written independently of synth.c:
 * geometric values are evenly spaced in log between 0 and -log(cond). */
static double
expected_sigma(muon_spectrum sp, size_t i, size_t r, double cond, double alpha,
               size_t rank)
{
    switch (sp) {
    case MUON_SPECTRUM_GEOMETRIC:
        return r == 1 ? 1.0 : exp(-log(cond) * (double)i / (double)(r - 1));
    case MUON_SPECTRUM_POWERLAW:
        return exp(-alpha * log((double)i + 1.0));
    case MUON_SPECTRUM_LOWRANK:
        if (i >= rank)
            return 0.0;
        return rank == 1 ? 1.0
                         : exp(-log(cond) * (double)i / (double)(rank - 1));
    default:
        return NAN;
    }
}

static const struct {
    const char *spec;
    muon_spectrum sp;
    double cond, alpha, scale;
    size_t rank;
} gen_cases[] = {
    {"m=40,n=60,spectrum=geometric,cond=1e4,seed=3", MUON_SPECTRUM_GEOMETRIC,
     1e4, 0, 1, 0},
    {"m=60,n=40,spectrum=geometric,cond=1e6,seed=4", MUON_SPECTRUM_GEOMETRIC,
     1e6, 0, 1, 0},
    {"m=33,n=33,spectrum=powerlaw,alpha=1.5,seed=5", MUON_SPECTRUM_POWERLAW, 0,
     1.5, 1, 0},
    {"m=30,n=70,spectrum=lowrank,cond=100,rank=7,seed=6", MUON_SPECTRUM_LOWRANK,
     100, 0, 1, 7},
    {"m=50,n=20,spectrum=lowrank,cond=10,rank=1,seed=6", MUON_SPECTRUM_LOWRANK,
     10, 0, 1, 1},
    {"m=1,n=9,spectrum=geometric,seed=7", MUON_SPECTRUM_GEOMETRIC, 1e3, 0, 1,
     0},
    {"m=40,n=30,spectrum=geometric,cond=1e3,scale=1e-300,seed=8",
     MUON_SPECTRUM_GEOMETRIC, 1e3, 0, 1e-300, 0},
    {"m=30,n=40,spectrum=powerlaw,alpha=0.5,scale=1e300,seed=9",
     MUON_SPECTRUM_POWERLAW, 0, 0.5, 1e300, 0},
};

/* sigma(G) from dgesdd vs the formula, normwise: |s_i - t_i| <= tol * t_1.
 * Why normwise: a backward-stable SVD (and the product U diag(s) V^T
 * itself) is accurate to O(n eps ||G||) absolutely, not per value. */
START_TEST(test_prescribed_spectrum)
{
    muon_synth_spec spec;
    ck_assert_int_eq(muon_synth_parse(gen_cases[_i].spec, &spec), 0);
    size_t m = spec.m, n = spec.n, r = m < n ? m : n;
    double *G = malloc(m * n * sizeof *G);
    double *sig = malloc(r * sizeof *sig), *s = malloc(r * sizeof *s);
    ck_assert_int_eq(muon_synth_generate(&spec, G, sig), 0);
    svd_values(m, n, G, s);
    double sc = gen_cases[_i].scale;
    for (size_t i = 0; i < r; i++) {
        double t =
            sc * expected_sigma(gen_cases[_i].sp, i, r, gen_cases[_i].cond,
                                gen_cases[_i].alpha, gen_cases[_i].rank);
        ck_assert_msg(fabs(s[i] - t) <= 1e-12 * sc,
                      "%s: sigma_%zu = %.17g, "
                      "want %.17g",
                      gen_cases[_i].spec, i, s[i], t);
        ck_assert_msg(fabs(sig[i] - t) <= 1e-14 * sc,
                      "%s: reported sigma_%zu "
                      "= %.17g, want %.17g",
                      gen_cases[_i].spec, i, sig[i], t);
    }
    free(G);
    free(sig);
    free(s);
}
END_TEST

START_TEST(test_clustered)
{
    muon_synth_spec spec;
    ck_assert_int_eq(muon_synth_parse("m=25,n=40,spectrum=clustered,cond=100,"
                                      "jitter=0.05,seed=2",
                                      &spec),
                     0);
    size_t r = 25, top = 13; /* ceil(25/2) */
    double G[25 * 40], sig[25], s[25];
    ck_assert_int_eq(muon_synth_generate(&spec, G, sig), 0);
    svd_values(25, 40, G, s);
    for (size_t i = 0; i < r; i++) {
        double c = i < top ? 1.0 : 0.01;
        ck_assert_msg(s[i] <= c * (1 + 1e-12) && s[i] >= c * 0.95 * (1 - 1e-12),
                      "sigma_%zu = %g outside cluster [%g, %g]", i, s[i],
                      0.95 * c, c);
        ck_assert(fabs(s[i] - sig[i]) <= 1e-12);
        if (i)
            ck_assert(sig[i] <= sig[i - 1]);
    }
    /* The jitter is really there (not all values equal). */
    ck_assert(sig[0] - sig[top - 1] > 1e-4);
}
END_TEST

/* Gaussian: no prescribed spectrum; check the reported values against the
 * identity sum sigma_i^2 = ||G||_F^2 and the entries' moments. */
START_TEST(test_gaussian)
{
    muon_synth_spec spec;
    ck_assert_int_eq(
        muon_synth_parse("m=64,n=48,spectrum=gaussian,seed=11", &spec), 0);
    size_t mn = 64 * 48;
    double *G = malloc(mn * sizeof *G), sig[48];
    ck_assert_int_eq(muon_synth_generate(&spec, G, sig), 0);
    double sum = 0, ss = 0, s2 = 0;
    for (size_t i = 0; i < mn; i++) {
        sum += G[i];
        ss += G[i] * G[i];
    }
    for (size_t i = 0; i < 48; i++)
        s2 += sig[i] * sig[i];
    ck_assert(fabs(s2 - ss) <= TOL_F64_SVD * ss);
    /* mean ~ N(0, 1/mn): 5 standard errors; variance ~ 1 +- sqrt(2/mn). */
    ck_assert(fabs(sum / (double)mn) < 5.0 / sqrt((double)mn));
    ck_assert(fabs(ss / (double)mn - 1.0) < 5.0 * sqrt(2.0 / (double)mn));
    ck_assert_int_eq(muon_synth_spectrum(&spec, NULL, sig), MUON_EINVAL);
    free(G);
}
END_TEST

/* ||Q^T Q - I||_max for a row-major m x k Q. */
static double
orth_defect(const double *Q, size_t m, size_t k)
{
    double *C = malloc(k * k * sizeof *C), worst = 0;
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)k, (int)m,
                1.0, Q, (int)k, Q, (int)k, 0.0, C, (int)k);
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            worst = fmax(worst, fabs(C[i * k + j] - (i == j)));
    free(C);
    return worst;
}

START_TEST(test_haar)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 123);
    static const size_t shapes[][2] = {{50, 20}, {30, 30}, {7, 1}, {1, 1}};
    for (size_t c = 0; c < 4; c++) {
        size_t m = shapes[c][0], k = shapes[c][1];
        double *Q = malloc(m * k * sizeof *Q);
        ck_assert_int_eq(muon_synth_haar(rng, m, k, Q), 0);
        double d = orth_defect(Q, m, k);
        ck_assert_msg(d < TOL_F64_SVD, "%zu x %zu: ||Q^T Q - I|| = %g", m, k,
                      d);
        free(Q);
    }
    /* Without the sign fix Householder QR gives Q_00 = -sign(a_00) |a_00| /
     * ||a_0|| <= 0 always (mean about -0.4 for m = 4); Haar Q has E[Q_00]
     * = 0 and E[Q_00^2] = 1/m.  2000 draws: standard errors 0.011 and
     * 0.005; bounds at ~4.5 of them. */
    double mean = 0, msq = 0, Q[16];
    int draws = 2000;
    for (int t = 0; t < draws; t++) {
        ck_assert_int_eq(muon_synth_haar(rng, 4, 4, Q), 0);
        mean += Q[0] / draws;
        msq += Q[0] * Q[0] / draws;
    }
    ck_assert_msg(fabs(mean) < 0.05, "E[Q_00] = %g, want 0", mean);
    ck_assert_msg(fabs(msq - 0.25) < 0.025, "E[Q_00^2] = %g, want 0.25", msq);
    ck_assert_int_eq(muon_synth_haar(rng, 3, 4, Q), MUON_EINVAL);
    ck_assert_int_eq(muon_synth_haar(rng, 3, 0, Q), MUON_EINVAL);
    gsl_rng_free(rng);
}
END_TEST

/* cond = 1 gives G = U V^T: orthonormal rows (wide) or columns (tall),
 * which needs both factors orthonormal. */
START_TEST(test_orthogonal_when_cond_1)
{
    static const size_t shapes[][2] = {{20, 45}, {45, 20}, {16, 16}};
    for (size_t c = 0; c < 3; c++) {
        muon_synth_spec spec;
        muon_synth_default_spec(&spec);
        spec.m = shapes[c][0];
        spec.n = shapes[c][1];
        spec.cond = 1.0;
        spec.seed = 77 + c;
        double *G = malloc(spec.m * spec.n * sizeof *G);
        ck_assert_int_eq(muon_synth_generate(&spec, G, NULL), 0);
        double d;
        if (spec.m > spec.n) {
            d = orth_defect(G, spec.m, spec.n);
        } else {
            /* rows: (G^T)^T G^T = G G^T; transpose by copy */
            double *T = malloc(spec.m * spec.n * sizeof *T);
            for (size_t i = 0; i < spec.m; i++)
                for (size_t j = 0; j < spec.n; j++)
                    T[j * spec.m + i] = G[i * spec.n + j];
            d = orth_defect(T, spec.n, spec.m);
            free(T);
        }
        ck_assert_msg(d < TOL_F64_SVD, "%zu x %zu: defect %g", spec.m, spec.n,
                      d);
        free(G);
    }
}
END_TEST

START_TEST(test_determinism_and_scale)
{
    muon_synth_spec a;
    ck_assert_int_eq(muon_synth_parse("m=12,n=17,cond=50,seed=5", &a), 0);
    muon_synth_spec b = a, c = a;
    b.seed = 6;
    c.scale = 1e-200;
    double G1[12 * 17], G2[12 * 17], G3[12 * 17], G4[12 * 17];
    ck_assert_int_eq(muon_synth_generate(&a, G1, NULL), 0);
    ck_assert_int_eq(muon_synth_generate(&a, G2, NULL), 0);
    ck_assert_int_eq(muon_synth_generate(&b, G3, NULL), 0);
    ck_assert_int_eq(muon_synth_generate(&c, G4, NULL), 0);
    ck_assert(!memcmp(G1, G2, sizeof G1)); /* same seed, same bits */
    double diff = 0;
    for (size_t i = 0; i < 12 * 17; i++) {
        diff = fmax(diff, fabs(G1[i] - G3[i]));
        /* scale only multiplies the unscaled matrix (one rounding). */
        ck_assert(fabs(G4[i] - 1e-200 * G1[i]) <= DBL_EPSILON * fabs(G4[i]));
    }
    ck_assert_msg(diff > 0.05, "seeds 5 and 6 give nearly the same G (%g)",
                  diff);
}
END_TEST

/* ---- text form --------------------------------------------------------- */

START_TEST(test_parse_ok)
{
    muon_synth_spec s;
    ck_assert_int_eq(muon_synth_parse("m=256,n=512,spectrum=geometric,"
                                      "cond=1e4,seed=1",
                                      &s),
                     0);
    ck_assert_uint_eq(s.m, 256);
    ck_assert_uint_eq(s.n, 512);
    ck_assert_int_eq(s.spectrum, MUON_SPECTRUM_GEOMETRIC);
    ck_assert_double_eq(s.cond, 1e4); /* strtod is correctly rounded */
    ck_assert_uint_eq(s.seed, 1);
    ck_assert_double_eq(s.scale, 1.0);
    char buf[256];
    muon_synth_format(&s, buf, sizeof buf);
    ck_assert_str_eq(buf, "m=256,n=512,spectrum=geometric,cond=10000,scale=1,"
                          "seed=1");
    /* spaces around keys and values; defaults for the rest */
    ck_assert_int_eq(muon_synth_parse(" spectrum = gaussian , n=3 ", &s), 0);
    ck_assert_int_eq(s.spectrum, MUON_SPECTRUM_GAUSSIAN);
    ck_assert_uint_eq(s.m, 64);
    ck_assert_uint_eq(s.n, 3);
}
END_TEST

START_TEST(test_format_roundtrip)
{
    static const char *const specs[] = {
        "m=3,n=5,spectrum=gaussian,scale=2.5,seed=0",
        "m=7,n=2,spectrum=powerlaw,alpha=0.333,seed=18446744073709551615",
        "spectrum=lowrank,m=9,n=12",
        "spectrum=clustered,cond=3.14159,jitter=0.125,scale=1e-300",
        "cond=1.0000000000000002,scale=1e300",
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        muon_synth_spec a, b;
        char buf[256];
        ck_assert_int_eq(muon_synth_parse(specs[i], &a), 0);
        int len = muon_synth_format(&a, buf, sizeof buf);
        ck_assert_int_eq(len, (int)strlen(buf));
        ck_assert_msg(muon_synth_parse(buf, &b) == 0, "%s -> %s: %s", specs[i],
                      buf, muon_last_error());
        if (a.spectrum == MUON_SPECTRUM_LOWRANK)
            a.rank = 3; /* the default ceil(9/4) is printed explicitly */
        ck_assert_msg(
            a.m == b.m && a.n == b.n && a.spectrum == b.spectrum &&
                a.cond == b.cond && a.alpha == b.alpha && a.rank == b.rank &&
                a.jitter == b.jitter && a.scale == b.scale && a.seed == b.seed,
            "%s -> %s does not parse back to the same spec", specs[i], buf);
    }
}
END_TEST

static const struct {
    const char *text;
    int code;
    const char *msg;
} parse_errors[] = {
    {"m=256,nn=3", MUON_EUNKNOWN, "unknown synth key 'nn' (valid: m, n,"},
    {"spectrm=geometric", MUON_EUNKNOWN, "did you mean 'spectrum'?"},
    {"seeed=1", MUON_EUNKNOWN, "did you mean 'seed'?"},
    {"spectrum=gauss", MUON_EUNKNOWN, "unknown spectrum 'gauss' (valid: "},
    {"m=abc", MUON_EINVAL,
     "m must be a non-negative integer in plain decimal "
     "digits (got 'abc')"},
    {"n=2.5", MUON_EINVAL, "n must be a non-negative integer"},
    {"m=-3", MUON_EINVAL, "(got '-3')"},
    {"m=1e3", MUON_EINVAL, "(got '1e3')"},
    {"m=0", MUON_ERANGE, "m and n must be >= 1"},
    {"m=99999999999999999999999", MUON_ERANGE,
     "m=99999999999999999999999 is "
     "too large"},
    {"m=3000000000", MUON_ERANGE, "<= 2147483647"},
    {"cond=0.5", MUON_ERANGE, "cond must be finite and >= 1 (got 0.5)"},
    {"cond=1e999", MUON_ERANGE, "cond=1e999 overflows"},
    {"scale=1e-400", MUON_ERANGE, "scale=1e-400 overflows or underflows"},
    {"cond=nan", MUON_EINVAL, "cond must be a decimal number (got 'nan')"},
    {"cond=inf", MUON_EINVAL, "(got 'inf')"},
    {"cond=0x10", MUON_EINVAL, "(got '0x10')"},
    {"cond=1e4x", MUON_EINVAL, "(got '1e4x')"},
    {"cond=1..2", MUON_EINVAL, "(got '1..2')"},
    {"m=3,m=4", MUON_EINVAL, "key 'm' given twice"},
    {"m=3,,n=4", MUON_EINVAL, "item '' is not key=value"},
    {"m=3,", MUON_EINVAL, "is not key=value"},
    {"m", MUON_EINVAL, "item 'm' is not key=value"},
    {"=3", MUON_EINVAL, "empty key"},
    {"m=", MUON_EINVAL, "m has an empty value"},
    {"", MUON_EINVAL, "empty specification"},
    {"spectrum=geometric,alpha=2", MUON_EINVAL,
     "key 'alpha' does not apply "
     "to spectrum=geometric"},
    {"rank=2", MUON_EINVAL, "'rank' does not apply"},
    {"spectrum=powerlaw,cond=10", MUON_EINVAL, "'cond' does not apply"},
    {"spectrum=gaussian,jitter=0.1", MUON_EINVAL, "'jitter' does not apply"},
    {"spectrum=lowrank,m=4,n=8,rank=5", MUON_ERANGE,
     "rank must be in 1..min(m,n) = 1..4 (got 5)"},
    {"spectrum=lowrank,rank=0", MUON_ERANGE, "rank must be >= 1"},
    {"spectrum=clustered,jitter=1", MUON_ERANGE, "jitter must be in [0, 1)"},
    {"scale=0", MUON_ERANGE, "scale must be finite and > 0 (got 0)"},
    {"spectrum=powerlaw,alpha=-1", MUON_ERANGE,
     "alpha must be finite and >= "
     "0 (got -1)"},
};

START_TEST(test_parse_errors)
{
    muon_synth_spec s;
    muon_clear_error();
    int st = muon_synth_parse(parse_errors[_i].text, &s);
    ck_assert_msg(st == parse_errors[_i].code, "'%s': status %d, want %d (%s)",
                  parse_errors[_i].text, st, parse_errors[_i].code,
                  muon_last_error());
    ck_assert_msg(strstr(muon_last_error(), parse_errors[_i].msg),
                  "'%s': message '%s' lacks '%s'", parse_errors[_i].text,
                  muon_last_error(), parse_errors[_i].msg);
}
END_TEST

START_TEST(test_invalid_spec_struct)
{
    muon_synth_spec s;
    muon_synth_default_spec(&s);
    s.m = 0;
    double G[4];
    ck_assert_int_eq(muon_synth_generate(&s, G, NULL), MUON_ERANGE);
    muon_synth_default_spec(&s);
    s.spectrum = (muon_spectrum)17;
    ck_assert_int_eq(muon_synth_validate(&s), MUON_EINVAL);
    ck_assert_str_eq(muon_spectrum_name(s.spectrum), "?");
    muon_synth_default_spec(&s);
    s.m = s.n = (size_t)1 << 31;
    ck_assert_int_eq(muon_synth_validate(&s), MUON_ERANGE);
    s.scale = NAN;
    s.m = s.n = 2;
    ck_assert_int_eq(muon_synth_validate(&s), MUON_ERANGE);
}
END_TEST

static Suite *
synth_suite(void)
{
    Suite *s = suite_create("synth");
    TCase *tc = tcase_create("synth");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_prescribed_spectrum, 0,
                        (int)(sizeof gen_cases / sizeof gen_cases[0]));
    tcase_add_test(tc, test_clustered);
    tcase_add_test(tc, test_gaussian);
    tcase_add_test(tc, test_haar);
    tcase_add_test(tc, test_orthogonal_when_cond_1);
    tcase_add_test(tc, test_determinism_and_scale);
    tcase_add_test(tc, test_parse_ok);
    tcase_add_test(tc, test_format_roundtrip);
    tcase_add_loop_test(tc, test_parse_errors, 0,
                        (int)(sizeof parse_errors / sizeof parse_errors[0]));
    tcase_add_test(tc, test_invalid_spec_struct);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    gsl_set_error_handler_off();
    SRunner *r = srunner_create(synth_suite());
    srunner_run_all(r, CK_ENV);
    int failed = srunner_ntests_failed(r);
    int run = srunner_ntests_run(r);
    srunner_free(r);
    printf("%d passed, %d failed\n", run - failed, failed);
    return failed ? 1 : 0;
}
