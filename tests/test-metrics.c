/* test-metrics.c: polar / orthogonality errors and singular-value spreads
 * against hand-derived values and independently built polar factors. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <lapacke.h>

#include "muon/metrics.h"
#include "muon/status.h"
#include "muon/synth.h"
#include "tol.h"

/* Round-off allowance for quantities of order 1 computed from m x n
 * matrices with m, n <= 64 in fp64: a few hundred eps. */
#define TOL_SMALL 1e-12

static const size_t shapes[][2] = {
    {12, 30}, {30, 12}, {16, 16}, {1, 7}, {7, 1}};
#define NSHAPES (int)(sizeof shapes / sizeof shapes[0])

static double *
alloc_d(size_t n)
{
    double *p = calloc(n ? n : 1, sizeof *p);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* G = U diag(s) V^T and P = U V^T built here from Haar factors, so that
 * the measurement's own SVD is checked against a known answer. */
static void
build(size_t m, size_t n, const double *s, unsigned long seed, double *G,
      double *P)
{
    size_t k = m < n ? m : n;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, seed);
    double *U = alloc_d(m * k), *V = alloc_d(n * k), *US = alloc_d(m * k);
    ck_assert_int_eq(muon_synth_haar(rng, m, k, U), 0);
    ck_assert_int_eq(muon_synth_haar(rng, n, k, V), 0);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < k; j++)
            US[i * k + j] = U[i * k + j] * s[j];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k,
                1.0, US, (int)k, V, (int)k, 0.0, G, (int)n);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k,
                1.0, U, (int)k, V, (int)k, 0.0, P, (int)n);
    free(U);
    free(V);
    free(US);
    gsl_rng_free(rng);
}

/* An exactly orthogonal input measures as exact. */
START_TEST(test_orthogonal_input)
{
    size_t m = shapes[_i][0], n = shapes[_i][1], k = m < n ? m : n;
    double *s = alloc_d(k), *O = alloc_d(m * n), *P = alloc_d(m * n);
    for (size_t i = 0; i < k; i++)
        s[i] = 1.0;
    build(m, n, s, 10 + (unsigned long)_i, O, P);
    muon_measure *w = muon_measure_alloc(m, n);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(muon_measure_set_input(w, O), 0);
    muon_quality q;
    double *sv = alloc_d(k);
    ck_assert_int_eq(muon_measure_output(w, O, &q, sv), 0);
    ck_assert_msg(q.polar_err < TOL_SMALL, "%zux%zu polar %g", m, n,
                  q.polar_err);
    ck_assert_msg(q.orth_err < TOL_SMALL, "%zux%zu orth %g", m, n, q.orth_err);
    for (size_t i = 0; i < k; i++)
        ck_assert(fabs(sv[i] - 1.0) < TOL_SMALL);
    ck_assert(fabs(q.sv.ratio - 1.0) < TOL_SMALL);
    size_t rank;
    ck_assert_ptr_nonnull(muon_measure_input_sv(w, &rank));
    ck_assert_uint_eq(rank, k);
    muon_measure_free(w);
    free(s);
    free(O);
    free(P);
    free(sv);
}
END_TEST

/* G with sigma in [1e-3, 1]; O = 0.5 U V^T: polar error
 * ||0.5 P - P||_F / sqrt(k) = 0.5 ||P||_F / sqrt(k) = 0.5, orthogonality
 * error ||0.25 I_k - I_k||_F = 0.75 sqrt(k), all singular values 0.5. */
START_TEST(test_half_polar)
{
    size_t m = shapes[_i][0], n = shapes[_i][1], k = m < n ? m : n;
    double *s = alloc_d(k), *G = alloc_d(m * n), *P = alloc_d(m * n);
    double *O = alloc_d(m * n);
    for (size_t i = 0; i < k; i++)
        s[i] = k == 1 ? 0.7 : pow(1e-3, (double)i / (double)(k - 1));
    build(m, n, s, 20 + (unsigned long)_i, G, P);
    for (size_t i = 0; i < m * n; i++)
        O[i] = 0.5 * P[i];
    muon_measure *w = muon_measure_alloc(m, n);
    ck_assert_int_eq(muon_measure_set_input(w, G), 0);
    /* The measured polar factor is the one we built (cond 1e3: its
     * perturbation bound ~ eps * cond * n). */
    const double *Pw = muon_measure_polar(w);
    for (size_t i = 0; i < m * n; i++)
        ck_assert_msg(fabs(Pw[i] - P[i]) < TOL_F64_DENSE, "P[%zu] %g vs %g", i,
                      Pw[i], P[i]);
    size_t rank;
    const double *sg = muon_measure_input_sv(w, &rank);
    ck_assert_uint_eq(rank, k);
    for (size_t i = 0; i < k; i++)
        ck_assert(fabs(sg[i] - s[i]) < TOL_SMALL);
    muon_quality q;
    ck_assert_int_eq(muon_measure_output(w, O, &q, NULL), 0);
    ck_assert_msg(fabs(q.polar_err - 0.5) < TOL_SMALL, "polar %.17g",
                  q.polar_err);
    ck_assert_msg(fabs(q.orth_err - 0.75 * sqrt((double)k)) < TOL_SMALL,
                  "orth %.17g", q.orth_err);
    ck_assert(fabs(q.sv.min - 0.5) < TOL_SMALL);
    ck_assert(fabs(q.sv.max - 0.5) < TOL_SMALL);
    ck_assert(fabs(q.sv.mean - 0.5) < TOL_SMALL);
    ck_assert(q.sv.std < TOL_SMALL);
    /* O = 0: the polar error is 1 for a full-rank input. */
    memset(O, 0, m * n * sizeof *O);
    ck_assert_int_eq(muon_measure_output(w, O, &q, NULL), 0);
    ck_assert(fabs(q.polar_err - 1.0) < TOL_SMALL);
    ck_assert(fabs(q.orth_err - sqrt((double)k)) < TOL_SMALL);
    ck_assert(isinf(q.sv.ratio));
    muon_measure_free(w);
    free(s);
    free(G);
    free(P);
    free(O);
}
END_TEST

/* A diagonal 4 x 6 matrix (and its 6 x 4 transpose), by hand:
 * G = [diag(3, -1, 0.5, 0.25) 0].  sigma = {3, 1, 0.5, 0.25};
 * P = [diag(1, -1, 1, 1) 0];  mean = 4.75/4 = 1.1875;
 * population variance = (9 + 1 + 0.25 + 0.0625)/4 - 1.1875^2 = 1.16796875;
 * ||G - P||_F^2 = 2^2 + 0 + 0.5^2 + 0.75^2 = 4.8125 -> polar error
 * sqrt(4.8125)/2;  G G^T - I = diag(8, 0, -0.75, -0.9375) ->
 * ||.||_F^2 = 64 + 0.5625 + 0.87890625 = 65.44140625. */
START_TEST(test_diagonal)
{
    int tall = _i;
    size_t m = tall ? 6 : 4, n = tall ? 4 : 6;
    static const double d[4] = {3, -1, 0.5, 0.25}, sd[4] = {1, -1, 1, 1};
    double G[24] = {0}, Pwant[24] = {0}, sv[4];
    for (size_t i = 0; i < 4; i++) {
        G[i * n + i] = d[i];
        Pwant[i * n + i] = sd[i];
    }
    muon_measure *w = muon_measure_alloc(m, n);
    ck_assert_int_eq(muon_measure_set_input(w, G), 0);
    const double *P = muon_measure_polar(w);
    for (size_t i = 0; i < 24; i++)
        ck_assert_msg(fabs(P[i] - Pwant[i]) < TOL_SMALL, "P[%zu] = %g", i,
                      P[i]);
    muon_quality q;
    ck_assert_int_eq(muon_measure_output(w, G, &q, sv), 0);
    static const double want_sv[4] = {3, 1, 0.5, 0.25};
    for (size_t i = 0; i < 4; i++)
        ck_assert(fabs(sv[i] - want_sv[i]) < TOL_SMALL);
    ck_assert(fabs(q.sv.min - 0.25) < TOL_SMALL);
    ck_assert(fabs(q.sv.max - 3.0) < TOL_SMALL);
    ck_assert(fabs(q.sv.mean - 1.1875) < TOL_SMALL);
    ck_assert(fabs(q.sv.std - sqrt(1.16796875)) < TOL_SMALL);
    ck_assert(fabs(q.sv.ratio - 12.0) < 1e-11);
    ck_assert(fabs(q.polar_err - sqrt(4.8125) / 2) < TOL_SMALL);
    ck_assert(fabs(q.orth_err - sqrt(65.44140625)) < TOL_SMALL);
    muon_measure_free(w);
}
END_TEST

/* A Gaussian G: the measured P must be the maximiser of trace(P^T G) over
 * matrices with orthonormal rows/columns, i.e. G P^T (wide) is symmetric
 * with trace = sum sigma_i (the nuclear norm, from an independent
 * row-major LAPACK SVD), and P has orthonormal rows (wide) or columns. */
START_TEST(test_gaussian_polar_properties)
{
    size_t m = shapes[_i][0], n = shapes[_i][1], k = m < n ? m : n;
    muon_synth_spec spec;
    muon_synth_default_spec(&spec);
    spec.m = m;
    spec.n = n;
    spec.spectrum = MUON_SPECTRUM_GAUSSIAN;
    spec.seed = 99;
    double *G = alloc_d(m * n), *A = alloc_d(m * n), *s = alloc_d(k);
    ck_assert_int_eq(muon_synth_generate(&spec, G, NULL), 0);
    memcpy(A, G, m * n * sizeof *A);
    ck_assert_int_eq(LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'N', (int)m, (int)n, A,
                                    (int)n, s, NULL, (int)m, NULL, (int)n),
                     0);
    double nuclear = 0;
    for (size_t i = 0; i < k; i++)
        nuclear += s[i];
    muon_measure *w = muon_measure_alloc(m, n);
    ck_assert_int_eq(muon_measure_set_input(w, G), 0);
    const double *P = muon_measure_polar(w);
    /* H = G P^T (m x m) if wide, P^T G (n x n) if tall: the symmetric
     * positive factor of the polar decomposition. */
    double *H = alloc_d(k * k);
    if (m <= n)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)m,
                    (int)n, 1.0, G, (int)n, P, (int)n, 0.0, H, (int)m);
    else
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)n, (int)n,
                    (int)m, 1.0, P, (int)n, G, (int)n, 0.0, H, (int)n);
    double tr = 0, asym = 0;
    for (size_t i = 0; i < k; i++) {
        tr += H[i * k + i];
        for (size_t j = 0; j < k; j++)
            asym = fmax(asym, fabs(H[i * k + j] - H[j * k + i]));
    }
    ck_assert_msg(fabs(tr - nuclear) < TOL_F64_SVD * nuclear,
                  "trace %.17g vs "
                  "nuclear norm %.17g",
                  tr, nuclear);
    ck_assert_msg(asym < TOL_F64_SVD * s[0], "asymmetry %g", asym);
    muon_quality q;
    ck_assert_int_eq(muon_measure_output(w, P, &q, NULL), 0);
    ck_assert(q.orth_err < TOL_SMALL);
    ck_assert(q.polar_err < TOL_SMALL);
    muon_measure_free(w);
    free(G);
    free(A);
    free(s);
    free(H);
}
END_TEST

/* PITFALLS.md 3: the zero matrix has polar factor 0 and a rank-1 matrix
 * gets no weight on its round-off-level second direction. */
START_TEST(test_rank_deficient)
{
    size_t m = 5, n = 8;
    double G[40] = {0}, u[5] = {1, -2, 0.5, 3, 1},
           v[8] = {2, 0, 1, -1, 4, 0.25, 1, -3};
    muon_measure *w = muon_measure_alloc(m, n);
    ck_assert_int_eq(muon_measure_set_input(w, G), 0);
    size_t rank = 99;
    muon_measure_input_sv(w, &rank);
    ck_assert_uint_eq(rank, 0);
    for (size_t i = 0; i < 40; i++)
        ck_assert(muon_measure_polar(w)[i] == 0.0);
    double nu = 0, nv = 0;
    for (size_t i = 0; i < m; i++)
        nu += u[i] * u[i];
    for (size_t j = 0; j < n; j++)
        nv += v[j] * v[j];
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++)
            G[i * n + j] = u[i] * v[j];
    ck_assert_int_eq(muon_measure_set_input(w, G), 0);
    muon_measure_input_sv(w, &rank);
    ck_assert_uint_eq(rank, 1);
    const double *P = muon_measure_polar(w);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++)
            ck_assert(fabs(P[i * n + j] - u[i] * v[j] / sqrt(nu * nv)) <
                      TOL_SMALL);
    /* Measuring the exact polar factor of a rank-1 input: polar error 0,
     * orthogonality error sqrt(k - r) = 2 (four missing directions). */
    muon_quality q;
    double Pc[40];
    memcpy(Pc, P, sizeof Pc);
    ck_assert_int_eq(muon_measure_output(w, Pc, &q, NULL), 0);
    ck_assert(q.polar_err < TOL_SMALL);
    ck_assert(fabs(q.orth_err - 2.0) < TOL_SMALL);
    muon_measure_free(w);
}
END_TEST

START_TEST(test_nonfinite)
{
    double G[12], O[12];
    for (size_t i = 0; i < 12; i++)
        G[i] = O[i] = (double)i - 5.5;
    muon_measure *w = muon_measure_alloc(3, 4);
    muon_quality q;
    /* output before any input */
    ck_assert_int_eq(muon_measure_output(w, O, &q, NULL), MUON_EINVAL);
    ck_assert(strstr(muon_last_error(), "no input set"));
    ck_assert_ptr_null(muon_measure_polar(w));
    ck_assert_ptr_null(muon_measure_input_sv(w, NULL));
    G[6] = NAN;
    ck_assert_int_eq(muon_measure_set_input(w, G), MUON_ENONFINITE);
    ck_assert_msg(strstr(muon_last_error(), "1 non-finite entries (first at "
                                            "row 1, column 2"),
                  "%s", muon_last_error());
    /* Inf passes LAPACKE's NaN check (PITFALLS.md 4): ours must catch it */
    G[6] = 1.0;
    G[11] = -INFINITY;
    G[3] = INFINITY;
    ck_assert_int_eq(muon_measure_set_input(w, G), MUON_ENONFINITE);
    ck_assert(strstr(muon_last_error(), "2 non-finite entries (first at row "
                                        "0, column 3: inf)"));
    G[3] = G[11] = 0.5;
    ck_assert_int_eq(muon_measure_set_input(w, G), 0);
    O[0] = NAN;
    ck_assert_int_eq(muon_measure_output(w, O, &q, NULL), MUON_ENONFINITE);
    ck_assert(strstr(muon_last_error(), "output has 1 non-finite"));
    ck_assert(isnan(q.polar_err) && isnan(q.orth_err) && isnan(q.sv.mean));
    /* a failed set_input forgets the previous input */
    G[0] = NAN;
    ck_assert_int_eq(muon_measure_set_input(w, G), MUON_ENONFINITE);
    ck_assert_ptr_null(muon_measure_polar(w));
    muon_measure_free(w);
    muon_measure_free(NULL);
}
END_TEST

START_TEST(test_alloc_errors)
{
    ck_assert_ptr_null(muon_measure_alloc(0, 5));
    ck_assert(strstr(muon_last_error(), "need 1 <= m, n"));
    ck_assert_ptr_null(muon_measure_alloc(5, 0));
    ck_assert_ptr_null(muon_measure_alloc((size_t)1 << 31, 2));
}
END_TEST

START_TEST(test_spread)
{
    muon_spread s;
    /* the hand-computed values of test_diagonal, in another order */
    const double x[4] = {0.5, 3, 0.25, 1};
    muon_spread_stats(x, 4, &s);
    ck_assert(fabs(s.mean - 1.1875) < TOL_SMALL);
    ck_assert(fabs(s.std - sqrt(1.16796875)) < TOL_SMALL);
    ck_assert(s.min == 0.25 && s.max == 3.0);
    ck_assert(fabs(s.ratio - 12.0) < TOL_SMALL);
    /* near DBL_MAX: mean 1.35e308 and std 0.35e308 without overflow */
    const double big[2] = {1.0e308, 1.7e308};
    muon_spread_stats(big, 2, &s);
    ck_assert(fabs(s.mean / 1.35e308 - 1) < TOL_SMALL);
    ck_assert(fabs(s.std / 0.35e308 - 1) < TOL_SMALL);
    /* a tight cluster: no cancellation (one-pass formulas give ~1e-8) */
    const double tight[3] = {1 + 1e-12, 1, 1 - 1e-12};
    muon_spread_stats(tight, 3, &s);
    ck_assert(fabs(s.std / (sqrt(2.0 / 3.0) * 1e-12) - 1) < 1e-3);
    const double z[2] = {0, 2};
    muon_spread_stats(z, 2, &s);
    ck_assert(isinf(s.ratio) && s.mean == 1.0);
    const double zz[2] = {0, 0};
    muon_spread_stats(zz, 2, &s);
    ck_assert(s.mean == 0.0 && s.std == 0.0 && isinf(s.ratio));
    const double n[3] = {1, NAN, 2};
    muon_spread_stats(n, 3, &s);
    ck_assert(isnan(s.min) && isnan(s.max) && isnan(s.mean) && isnan(s.std));
    muon_spread_stats(x, 0, &s);
    ck_assert(isnan(s.min) && isnan(s.ratio));
}
END_TEST

START_TEST(test_timer)
{
    double t0 = muon_time_now();
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    double t1 = muon_time_now();
    ck_assert_msg(t1 - t0 >= 0.0195 && t1 - t0 < 5.0,
                  "slept 20 ms, timer says "
                  "%g s",
                  t1 - t0);
}
END_TEST

static Suite *
metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_orthogonal_input, 0, NSHAPES);
    tcase_add_loop_test(tc, test_half_polar, 0, NSHAPES);
    tcase_add_loop_test(tc, test_diagonal, 0, 2);
    tcase_add_loop_test(tc, test_gaussian_polar_properties, 0, NSHAPES);
    tcase_add_test(tc, test_rank_deficient);
    tcase_add_test(tc, test_nonfinite);
    tcase_add_test(tc, test_alloc_errors);
    tcase_add_test(tc, test_spread);
    tcase_add_test(tc, test_timer);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    gsl_set_error_handler_off();
    SRunner *r = srunner_create(metrics_suite());
    srunner_run_all(r, CK_ENV);
    int failed = srunner_ntests_failed(r);
    int run = srunner_ntests_run(r);
    srunner_free(r);
    printf("%d passed, %d failed\n", run - failed, failed);
    return failed ? 1 : 0;
}
