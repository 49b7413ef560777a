/* test-orth.c: the orthogonalizer framework: registry, parameters, the
 * front end's contract (shapes, aliasing, batches, counters, poisoned
 * outputs), error codes, and the custom coefficient file format.  Loop
 * tests run over muon_orth_types(), so a newly registered method is covered
 * the moment it exists.  Numerical identities are in verify/. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "muon/linalg.h"
#include "muon/orth.h"
#include "muon/status.h"
#include "testutil.h"

static const muon_orth_type *
type_at(int i)
{
    return muon_orth_types()[i];
}

static int
ntypes(void)
{
    int n = 0;
    while (muon_orth_types()[n])
        n++;
    return n;
}

static void
usable_params(const muon_orth_type *T, muon_orth_params *p)
{
    muon_orth_default_params(T, p);
    if (T->polynomial && p->ncoeffs == 0) {
        p->coeffs[0].a = 1.5;
        p->coeffs[0].b = -0.5;
        p->coeffs[0].c = 0.0;
        p->ncoeffs = 1;
        p->steps = 3;
    }
}

/* A deterministic full-rank test matrix with entries of mixed sign. */
static void
fill(double *G, size_t count, unsigned seed)
{
    unsigned long s = seed * 2654435761u + 1;
    for (size_t i = 0; i < count; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        G[i] = ((double)(s >> 11) / 9007199254740992.0) - 0.5;
    }
}

START_TEST(every_element_written)
{
    const muon_orth_type *T = type_at(_i);
    static const size_t shapes[][2] = {{1, 1}, {1, 9}, {9, 1}, {5, 7},
                                       {7, 5}, {6, 6}};
    for (size_t s = 0; s < 6; s++) {
        size_t m = shapes[s][0], n = shapes[s][1];
        for (int pr = 0; pr < MUON_NPRECISIONS; pr++) {
            muon_orth_params p;
            usable_params(T, &p);
            p.precision = (muon_precision)pr;
            muon_orth_workspace *w = muon_orth_alloc(T, &p, m, n);
            ck_assert_msg(w, "%s: alloc %zux%zu failed: %s", T->name, m, n,
                          muon_last_error());
            float G[81], O[81];
            double Gd[81], Od[81];
            fill(Gd, m * n, (unsigned)(s + 1));
            for (size_t i = 0; i < m * n; i++) {
                G[i] = (float)Gd[i];
                O[i] = NAN;
                Od[i] = NAN;
            }
            ck_assert_int_eq(muon_orth_apply_f32(w, G, O), MUON_SUCCESS);
            ck_assert_int_eq(muon_orth_apply_f64(w, Gd, Od), MUON_SUCCESS);
            for (size_t i = 0; i < m * n; i++) {
                ck_assert_msg(isfinite(O[i]), "%s %s %zux%zu: O[%zu] not "
                              "written (f32)", T->name,
                              muon_precision_name(p.precision), m, n, i);
                ck_assert_msg(isfinite(Od[i]), "%s %zux%zu: O[%zu] not "
                              "written (f64)", T->name, m, n, i);
            }
            ck_assert_uint_eq(muon_orth_calls(w), 2);
            muon_orth_free(w);
        }
    }
}
END_TEST

START_TEST(one_by_one_is_sign)
{
    /* 1 x 1: the polar factor of g is sign(g); svd gives it exactly,
     * polynomial methods give map(1/safety) * sign(g). */
    const muon_orth_type *T = type_at(_i);
    muon_orth_params p;
    usable_params(T, &p);
    p.precision = MUON_FP64;
    p.eps = 0;
    muon_orth_workspace *w = muon_orth_alloc(T, &p, 1, 1);
    double g = -3.25, o;
    ck_assert_int_eq(muon_orth_apply_f64(w, &g, &o), MUON_SUCCESS);
    double want = T->polynomial ? -muon_orth_map(&p, 1.0) : -1.0;
    /* fp64 double evaluation vs the long-double scalar map: the steep
     * first steps (slope up to ~8) amplify round-off to ~1e-13. */
    ck_assert_msg(fabs(o - want) <= 1e-12, "%s: 1x1 gives %.17g, want %.17g",
                  T->name, o, want);
    muon_orth_free(w);
}
END_TEST

START_TEST(in_place_equals_out_of_place)
{
    const muon_orth_type *T = type_at(_i);
    muon_orth_params p;
    usable_params(T, &p);
    p.precision = MUON_FP64;
    size_t m = 7, n = 4;
    double G[28], O[28], X[28];
    fill(G, 28, 5);
    memcpy(X, G, sizeof G);
    muon_orth_workspace *w = muon_orth_alloc(T, &p, m, n);
    ck_assert_int_eq(muon_orth_apply_f64(w, G, O), MUON_SUCCESS);
    ck_assert_int_eq(muon_orth_apply_f64(w, X, X), MUON_SUCCESS);
    for (int i = 0; i < 28; i++)
        ck_assert_msg(O[i] == X[i], "%s: aliasing changed entry %d", T->name,
                      i);
    muon_orth_free(w);
}
END_TEST

START_TEST(batch_equals_loop)
{
    const muon_orth_type *T = type_at(_i);
    muon_orth_params p;
    usable_params(T, &p);
    size_t m = 5, n = 8, k = 3;
    float G[120], Ob[120], Ol[120];
    double Gd[120];
    fill(Gd, 120, 9);
    for (int i = 0; i < 120; i++)
        G[i] = (float)Gd[i];
    muon_orth_workspace *w = muon_orth_alloc(T, &p, m, n);
    ck_assert_int_eq(muon_orth_apply_batch_f32(w, k, G, Ob), MUON_SUCCESS);
    for (size_t j = 0; j < k; j++)
        ck_assert_int_eq(muon_orth_apply_f32(w, G + j * m * n, Ol + j * m * n),
                         MUON_SUCCESS);
    for (int i = 0; i < 120; i++)
        ck_assert_msg(Ob[i] == Ol[i], "%s: batch differs at %d", T->name, i);
    ck_assert_uint_eq(muon_orth_calls(w), 2 * k);
    muon_orth_free(w);
}
END_TEST

/* fp32 has two routes through the front end: untransposed input in
 * range goes to the algorithm unscaled (ops->apply_scaled folds the
 * normalisation into the first products and writes O directly), the rest
 * is scaled into the working buffer first.  Every route, in place or not,
 * after 1, 2 or the default number of steps (the last step's output
 * buffer alternates), must give the fp64 result to fp32 round-off. */
START_TEST(fp32_routes_agree)
{
    const muon_orth_type *T = type_at(_i);
    enum { M = 6, N = 40, MN = M * N };
    double Gd[MN], ref[MN];
    float G[MN], Gs[MN], Gt[MN], O[MN], Ot[MN];
    fill(Gd, MN, 21);
    for (int i = 0; i < MN; i++)
        G[i] = (float)Gd[i];
    for (int steps = 0; steps < 3; steps++) {
        muon_orth_params p;
        usable_params(T, &p);
        if (steps && T->polynomial)
            p.steps = (size_t)steps;
        p.eps = 0; /* else eps, not the route, sets the 2^-70 input's scale */
        p.precision = MUON_FP64;
        muon_orth_workspace *wd = muon_orth_alloc(T, &p, M, N);
        ck_assert_int_eq(muon_orth_apply_f64(wd, Gd, ref), MUON_SUCCESS);
        muon_orth_free(wd);
        p.precision = MUON_FP32;
        muon_orth_workspace *w = muon_orth_alloc(T, &p, M, N);
        muon_orth_workspace *wt = muon_orth_alloc(T, &p, N, M);
        ck_assert(w && wt);
        /* route 0: folded; 1, 2: scaled by 2^70 and 2^-70 (where folding
         * would overflow or underflow); 3: in place; 4: transposed. */
        for (int route = 0; route < 5; route++) {
            for (int i = 0; i < MN; i++) {
                O[i] = NAN;
                Gs[i] = route == 1   ? ldexpf(G[i], 70)
                        : route == 2 ? ldexpf(G[i], -70)
                                     : G[i];
            }
            if (route == 3) {
                ck_assert_int_eq(muon_orth_apply_f32(w, Gs, Gs), MUON_SUCCESS);
                memcpy(O, Gs, sizeof O);
            } else if (route == 4) {
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++)
                        Gt[j * M + i] = G[i * N + j];
                for (int i = 0; i < MN; i++)
                    Ot[i] = NAN;
                ck_assert_int_eq(muon_orth_apply_f32(wt, Gt, Ot), MUON_SUCCESS);
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++)
                        O[i * N + j] = Ot[j * M + i];
            } else {
                ck_assert_int_eq(muon_orth_apply_f32(w, Gs, O), MUON_SUCCESS);
            }
            double err = 0;
            for (int i = 0; i < MN; i++) {
                double d = fabs((double)O[i] - ref[i]);
                err = d > err || isnan(d) ? d : err;
            }
            ck_assert_msg(err <= 2e-5, "%s, %zu steps, route %d: fp32 is "
                          "%.3g from fp64", T->name, p.steps, route, err);
        }
        muon_orth_free(w);
        muon_orth_free(wt);
    }
}
END_TEST

/* A batch whose failing matrix runs in another thread: the caller still
 * gets the status, and a report naming the matrix and the cause. */
START_TEST(batch_failure_reported_in_caller)
{
    const muon_orth_type *T = muon_orth_type_by_name("ns5");
    muon_orth_params p;
    muon_orth_default_params(T, &p);
    const size_t m = 6, n = 10, k = 4, mn = m * n;
    static float G[4 * 60], O[4 * 60];
    for (size_t i = 0; i < k * mn; i++)
        G[i] = (float)((i * 37) % 11) - 5.0f;
    G[3 * mn + 7] = NAN; /* matrix 3: thread 1's share of 2 */
    muon_orth_workspace *w = muon_orth_alloc(T, &p, m, n);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(muon_orth_set_threads(w, 2), MUON_SUCCESS);
    muon_clear_error();
    ck_assert_int_eq(muon_orth_apply_batch_f32(w, k, G, O), MUON_ENONFINITE);
    const char *why = muon_last_error();
    ck_assert_msg(strstr(why, "batch matrix 3 of 4") &&
                      strstr(why, "non-finite"),
                  "report: '%s'", why);
    muon_orth_free(w);
}
END_TEST

START_TEST(nonfinite_refused_and_counted)
{
    const muon_orth_type *T = type_at(_i);
    muon_orth_params p;
    usable_params(T, &p);
    float G[6] = {1, NAN, 3, INFINITY, 5, 6}, O[6] = {9, 9, 9, 9, 9, 9};
    muon_orth_workspace *w = muon_orth_alloc(T, &p, 2, 3);
    muon_clear_error();
    ck_assert_int_eq(muon_orth_apply_f32(w, G, O), MUON_ENONFINITE);
    ck_assert_msg(strstr(muon_last_error(), "2 non-finite"),
                  "%s: message '%s' should count 2 entries", T->name,
                  muon_last_error());
    for (int i = 0; i < 6; i++)
        ck_assert(O[i] == 9.0f);
    ck_assert_uint_eq(muon_orth_calls(w), 0);
    muon_orth_free(w);
}
END_TEST

START_TEST(empty_shapes)
{
    const muon_orth_type *T = type_at(_i);
    muon_orth_params p;
    usable_params(T, &p);
    muon_orth_workspace *w = muon_orth_alloc(T, &p, 0, 5);
    ck_assert_ptr_nonnull(w);
    double x = 1;
    ck_assert_int_eq(muon_orth_apply_f64(w, &x, &x), MUON_SUCCESS);
    ck_assert(x == 1);
    muon_orth_free(w);
    muon_orth_free(NULL);
}
END_TEST

START_TEST(flops_formula)
{
    /* Nominal counts on the small side s and large side l. */
    const muon_orth_type *ns5 = muon_orth_type_by_name("ns5");
    const muon_orth_type *ns3 = muon_orth_type_by_name("ns3");
    muon_orth_params p;
    muon_orth_default_params(ns5, &p);
    double s = 64, l = 256;
    ck_assert_double_eq_tol(muon_orth_flops(ns5, &p, 256, 64),
                            5 * (4 * s * s * l + 2 * s * s * s), 1e-6);
    ck_assert_double_eq_tol(muon_orth_flops(ns5, &p, 64, 256),
                            5 * (4 * s * s * l + 2 * s * s * s), 1e-6);
    muon_orth_default_params(ns3, &p);
    ck_assert_double_eq_tol(muon_orth_flops(ns3, &p, 64, 256),
                            5 * 4 * s * s * l, 1e-6);
}
END_TEST

START_TEST(step_coeff_policies)
{
    muon_orth_params p;
    muon_orth_default_params(muon_orth_type_by_name("you5"), &p);
    /* REFERENCE.md: last triple (2.8366, -3.0525, 1.2012), first 4.0848. */
    ck_assert_double_eq_tol(muon_orth_step_coeff(&p, 7).a, 2.8366, 1e-15);
    p.extend = MUON_EXTEND_CYCLE;
    ck_assert_double_eq_tol(muon_orth_step_coeff(&p, 5).a, 4.0848, 1e-15);
    ck_assert_double_eq_tol(muon_orth_step_coeff(&p, 7).a, 3.7418, 1e-15);
    /* you6 is published as integers / 1024. */
    muon_orth_default_params(muon_orth_type_by_name("you6"), &p);
    ck_assert_double_eq_tol(muon_orth_step_coeff(&p, 0).b, -8306.0 / 1024,
                            1e-15);
}
END_TEST

START_TEST(registry_and_names)
{
    ck_assert_int_ge(ntypes(), 9);
    static const char *const required[] = {"svd", "ns3", "ns5", "you5",
                                           "you6", "cans", "polar-express",
                                           "custom"};
    for (int i = 0; i < 8; i++)
        ck_assert_ptr_nonnull(muon_orth_type_by_name(required[i]));
    muon_clear_error();
    ck_assert_ptr_null(muon_orth_type_by_name("ns7"));
    ck_assert_msg(strstr(muon_last_error(), "polar-express"),
                  "unknown-name message lists valid names: %s",
                  muon_last_error());
    ck_assert_ptr_null(muon_linalg_backend_by_name("cuda"));
    ck_assert_ptr_nonnull(muon_linalg_backend_by_name("openblas"));
    muon_precision pr;
    ck_assert_int_eq(muon_precision_by_name("bf16", &pr), MUON_SUCCESS);
    ck_assert_int_eq(pr, MUON_BF16);
    ck_assert_int_eq(muon_precision_by_name("fp8", &pr), MUON_EUNKNOWN);
}
END_TEST

START_TEST(bad_params_rejected)
{
    const muon_orth_type *T = muon_orth_type_by_name("ns5");
    muon_orth_params p;
    muon_orth_default_params(T, &p);
    p.steps = 0;
    ck_assert_int_eq(muon_orth_params_validate(T, &p), MUON_ERANGE);
    ck_assert_ptr_null(muon_orth_alloc(T, &p, 4, 4));
    muon_orth_default_params(T, &p);
    p.eps = -1;
    ck_assert_int_eq(muon_orth_params_validate(T, &p), MUON_ERANGE);
    p.eps = NAN;
    ck_assert_int_eq(muon_orth_params_validate(T, &p), MUON_ERANGE);
    muon_orth_default_params(T, &p);
    p.safety = 0;
    ck_assert_int_eq(muon_orth_params_validate(T, &p), MUON_ERANGE);
    muon_orth_default_params(T, &p);
    p.coeffs[0].b = INFINITY;
    ck_assert_int_eq(muon_orth_params_validate(T, &p), MUON_ENONFINITE);
    muon_orth_default_params(T, &p);
    p.precision = (muon_precision)17;
    ck_assert_int_eq(muon_orth_params_validate(T, &p), MUON_EINVAL);
    const muon_orth_type *C = muon_orth_type_by_name("custom");
    muon_orth_default_params(C, &p);
    ck_assert_int_eq(muon_orth_params_validate(C, &p), MUON_EINVAL);
    /* Dimensions beyond BLAS's int. */
    muon_orth_default_params(T, &p);
    ck_assert_ptr_null(muon_orth_alloc(T, &p, (size_t)1 << 31, 2));
    /* m * n * 8 overflows size_t. */
    ck_assert_ptr_null(muon_orth_alloc(T, &p, (size_t)1 << 31 >> 1,
                                       (size_t)1 << 30));
}
END_TEST

/* ---- custom coefficient files ------------------------------------------ */

static char tmpdir[64];

static const char *
write_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(coeff_file_valid)
{
    const char *path = write_file("ok.txt",
                                  "# a comment\n"
                                  "\n"
                                  "3.4445 -4.7750 2.0315   # Jordan\n"
                                  "1.5 -0.5\n"
                                  "  2,-1.5,0.5\r\n");
    muon_orth_params p;
    muon_orth_default_params(muon_orth_type_by_name("custom"), &p);
    ck_assert_int_eq(muon_coeffs_read_file(path, &p), MUON_SUCCESS);
    ck_assert_uint_eq(p.ncoeffs, 3);
    ck_assert_uint_eq(p.steps, 3);
    ck_assert(p.coeffs[0].a == 3.4445 && p.coeffs[0].c == 2.0315);
    ck_assert(p.coeffs[1].a == 1.5 && p.coeffs[1].c == 0.0);
    ck_assert(p.coeffs[2].b == -1.5);
    /* Round trip through the writer at full precision. */
    muon_orth_params q = p;
    q.coeffs[0].a = 0.1 + 0.2; /* not a short decimal */
    char wpath[256];
    snprintf(wpath, sizeof wpath, "%s/rt.txt", tmpdir);
    FILE *f = fopen(wpath, "w");
    ck_assert_int_eq(muon_coeffs_write(f, &q), MUON_SUCCESS);
    fclose(f);
    muon_orth_params r;
    muon_orth_default_params(muon_orth_type_by_name("custom"), &r);
    ck_assert_int_eq(muon_coeffs_read_file(wpath, &r), MUON_SUCCESS);
    ck_assert(r.coeffs[0].a == q.coeffs[0].a);
}
END_TEST

START_TEST(coeff_file_errors)
{
    static const struct {
        const char *text;
        int code;
        const char *needle;
    } cases[] = {
        {"1 2 x\n", MUON_EFORMAT, ":1: 'x' is not a number"},
        {"1 2 3\n1 2 3 4\n", MUON_EFORMAT, ":2: more than three"},
        {"1 nan 3\n", MUON_ENONFINITE, ":1:"},
        {"1 1e999 3\n", MUON_ENONFINITE, ":1:"},
        {"# only comments\n\n", MUON_ERANGE, "no coefficient"},
        {"5\n", MUON_EFORMAT, ":1: expected"},
        {"1 2 3x\n", MUON_EFORMAT, ":1:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = write_file("bad.txt", cases[i].text);
        muon_orth_params p;
        muon_orth_default_params(muon_orth_type_by_name("custom"), &p);
        muon_clear_error();
        ck_assert_int_eq(muon_coeffs_read_file(path, &p), cases[i].code);
        ck_assert_msg(strstr(muon_last_error(), cases[i].needle) &&
                          strstr(muon_last_error(), "bad.txt"),
                      "case %zu: message '%s' lacks '%s' or the file name", i,
                      muon_last_error(), cases[i].needle);
    }
    /* More than MUON_MAX_COEFFS lines. */
    char big[8192] = "";
    for (int i = 0; i <= MUON_MAX_COEFFS; i++)
        strcat(big, "1.5 -0.5 0\n");
    muon_orth_params p;
    muon_orth_default_params(muon_orth_type_by_name("custom"), &p);
    ck_assert_int_eq(muon_coeffs_read_file(write_file("big.txt", big), &p),
                     MUON_ERANGE);
    ck_assert_int_eq(muon_coeffs_read_file("/nonexistent/x.txt", &p),
                     MUON_EIO);
    ck_assert_msg(strstr(muon_last_error(), "No such file"), "%s",
                  muon_last_error());
}
END_TEST

static void
setup_tmp(void)
{
    test_tmpdir_make(tmpdir);
}

static void
teardown_tmp(void)
{
    test_tmpdir_remove(tmpdir);
}

int
main(void)
{
    Suite *s = suite_create("orth");
    TCase *loop = tcase_create("every-method");
    tcase_set_timeout(loop, 120);
    int n = ntypes();
    tcase_add_loop_test(loop, every_element_written, 0, n);
    tcase_add_loop_test(loop, one_by_one_is_sign, 0, n);
    tcase_add_loop_test(loop, in_place_equals_out_of_place, 0, n);
    tcase_add_loop_test(loop, batch_equals_loop, 0, n);
    tcase_add_loop_test(loop, fp32_routes_agree, 0, n);
    tcase_add_loop_test(loop, nonfinite_refused_and_counted, 0, n);
    tcase_add_loop_test(loop, empty_shapes, 0, n);
    suite_add_tcase(s, loop);
    TCase *api = tcase_create("api");
    tcase_set_timeout(api, 60);
    tcase_add_test(api, flops_formula);
    tcase_add_test(api, step_coeff_policies);
    tcase_add_test(api, registry_and_names);
    tcase_add_test(api, bad_params_rejected);
    tcase_add_test(api, batch_failure_reported_in_caller);
    suite_add_tcase(s, api);
    TCase *files = tcase_create("coeff-files");
    tcase_set_timeout(files, 60);
    tcase_add_checked_fixture(files, setup_tmp, teardown_tmp);
    tcase_add_test(files, coeff_file_valid);
    tcase_add_test(files, coeff_file_errors);
    suite_add_tcase(s, files);
    return test_run_suite(s);
}
