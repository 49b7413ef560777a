/* test-coeffs.c: Check suite of the coefficient lab (derive, exact ranges,
 * check, measure, search).  Expected values come from formulas, brute-force
 * grids of the lead's muon_orth_map, or published numbers; never from the
 * code under test. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "muon/coeffs.h"
#include "muon/status.h"
#include "tol.h"

/* Grid of a brute-force range: 20001 log-spaced points; the exact range may
 * exceed the grid's by ~f'' h^2 / 2 with h ~ 3.5e-4 x, well below 1e-4 for
 * the maps here. */
#define NGRID 20001
#define TOL_COARSE_GRID 1e-4

static void
blank(muon_orth_params *p)
{
    memset(p, 0, sizeof *p);
    p->safety = 1.0;
    p->extend = MUON_EXTEND_REPEAT_LAST;
}

static void
grid_range(const muon_orth_params *p, size_t steps, double lo, double hi,
           double *mn, double *mx)
{
    muon_orth_params q = *p;
    q.steps = steps;
    *mn = INFINITY;
    *mx = -INFINITY;
    for (size_t i = 0; i < NGRID; i++) {
        double x = exp(log(lo) + (log(hi) - log(lo)) * i / (NGRID - 1.0));
        double y = muon_orth_map(&q, x);
        *mn = fmin(*mn, y);
        *mx = fmax(*mx, y);
    }
}

static double
polyval(muon_coeff q, double x)
{
    return x * (q.a + x * x * (q.b + x * x * q.c));
}

/* ---- derive ------------------------------------------------------------- */

START_TEST(test_derive_errors)
{
    static const struct {
        int degree;
        size_t steps;
        double lo, hi, safety, cushion;
        int code;
    } bad[] = {
        {4, 5, 1e-3, 1, 1, 0, MUON_EINVAL},
        {5, 0, 1e-3, 1, 1, 0, MUON_ERANGE},
        {5, MUON_MAX_COEFFS + 1, 1e-3, 1, 1, 0, MUON_ERANGE},
        {5, 5, 0, 1, 1, 0, MUON_ERANGE},
        {5, 5, 1, 1, 1, 0, MUON_ERANGE},
        {5, 5, NAN, 1, 1, 0, MUON_ERANGE},
        {5, 5, 1e-3, INFINITY, 1, 0, MUON_ERANGE},
        {5, 5, 1e-3, 1, 0.99, 0, MUON_ERANGE},
        {5, 5, 1e-3, 1, 1, 1.0, MUON_ERANGE},
        {5, 5, 1e-3, 1, 1, -0.1, MUON_ERANGE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        muon_coeffs_derive_params dp = {bad[i].degree, bad[i].steps,
                                        bad[i].lo,     bad[i].hi,
                                        bad[i].safety, bad[i].cushion};
        muon_orth_params p;
        blank(&p);
        muon_clear_error();
        int st = muon_coeffs_derive(&dp, &p, NULL, NULL);
        ck_assert_msg(st == bad[i].code, "case %zu: got %d want %d", i, st,
                      bad[i].code);
        ck_assert_msg(p.ncoeffs == 0, "case %zu: out changed on error", i);
        ck_assert_msg(strlen(muon_last_error()) > 0, "case %zu: no message",
                      i);
    }
    muon_coeff q;
    ck_assert_int_eq(muon_coeffs_remez(7, 0.1, 1, &q, NULL, NULL),
                     MUON_EINVAL);
    ck_assert_int_eq(muon_coeffs_remez(5, 0.5, 0.1, &q, NULL, NULL),
                     MUON_ERANGE);
    ck_assert_int_eq(muon_coeffs_optimal_cubic(-1, 1, &q, NULL), MUON_ERANGE);
}
END_TEST

/* The degree-3 closed form against its defining properties (REFERENCE.md
 * section 2): p(l) = p(u) = 1 - E and max p = 1 + E at the interior
 * critical point sqrt(-a / 3b). */
START_TEST(test_cubic_equioscillates)
{
    static const double iv[][2] = {{1e-3, 1}, {0.2, 1.8}, {0.7, 1.0}};
    for (size_t i = 0; i < 3; i++) {
        muon_coeff q;
        double E;
        ck_assert_int_eq(muon_coeffs_optimal_cubic(iv[i][0], iv[i][1], &q, &E),
                         0);
        double xc = sqrt(-q.a / (3 * q.b));
        ck_assert_double_eq_tol(polyval(q, iv[i][0]), 1 - E, 1e-14);
        ck_assert_double_eq_tol(polyval(q, iv[i][1]), 1 - E, 1e-14);
        ck_assert_double_eq_tol(polyval(q, xc), 1 + E, 1e-14);
        ck_assert_double_eq_tol(q.c, 0, 1e-300);
    }
}
END_TEST

/* With T = 1 the safety factor is not applied (last step), and a cushion
 * below l has no effect: both give the plain Remez polynomial. */
START_TEST(test_derive_safety_cushion_semantics)
{
    muon_coeffs_derive_params dp;
    muon_coeffs_derive_default_params(&dp);
    dp.steps = 1;
    dp.lo = 0.1;
    muon_orth_params a, b;
    blank(&a);
    blank(&b);
    ck_assert_int_eq(muon_coeffs_derive(&dp, &a, NULL, NULL), 0);
    dp.safety = 1.05;
    dp.cushion = 0.05; /* 0.05 * u = 0.05 < l = 0.1: inactive */
    ck_assert_int_eq(muon_coeffs_derive(&dp, &b, NULL, NULL), 0);
    ck_assert_double_eq_tol(a.coeffs[0].a, b.coeffs[0].a, 1e-15);
    ck_assert_double_eq_tol(a.coeffs[0].c, b.coeffs[0].c, 1e-14);

    /* Two steps with safety s: step 1 is p(x/s) of the no-safety step 1
     * (same interval), i.e. coefficient k divided by s^(2k+1). */
    dp.steps = 2;
    dp.safety = 1.0;
    dp.cushion = 0.0;
    ck_assert_int_eq(muon_coeffs_derive(&dp, &a, NULL, NULL), 0);
    dp.safety = 1.05;
    ck_assert_int_eq(muon_coeffs_derive(&dp, &b, NULL, NULL), 0);
    ck_assert_double_eq_tol(b.coeffs[0].a, a.coeffs[0].a / 1.05, 1e-14);
    ck_assert_double_eq_tol(b.coeffs[0].b, a.coeffs[0].b / pow(1.05, 3),
                            1e-13);
    ck_assert_double_eq_tol(b.coeffs[0].c, a.coeffs[0].c / pow(1.05, 5),
                            1e-13);

    /* An active cushion recentres: p(l) + p(u) = 2 on the true interval. */
    dp.steps = 1;
    dp.safety = 1.0;
    dp.lo = 1e-3;
    dp.cushion = 0.1;
    muon_coeffs_step_info info;
    ck_assert_int_eq(muon_coeffs_derive(&dp, &a, &info, NULL), 0);
    ck_assert_double_eq_tol(info.lo_eff, 0.1, 1e-15);
    ck_assert_double_eq_tol(polyval(a.coeffs[0], 1e-3) +
                                polyval(a.coeffs[0], 1.0),
                            2.0, 1e-13);
}
END_TEST

/* The greedy schedule's design chain: l_{t+1} = p_t(l_t), u = 2 - l, and
 * the predicted error equals the brute-force worst error of the map. */
START_TEST(test_derive_chain)
{
    for (int deg = 3; deg <= 5; deg += 2) {
        muon_coeffs_derive_params dp;
        muon_coeffs_derive_default_params(&dp);
        dp.degree = deg;
        dp.steps = 6;
        muon_orth_params p;
        blank(&p);
        muon_coeffs_step_info info[6];
        double pred;
        ck_assert_int_eq(muon_coeffs_derive(&dp, &p, info, &pred), 0);
        ck_assert_uint_eq(p.ncoeffs, 6);
        ck_assert_uint_eq(p.steps, 6);
        for (int t = 0; t + 1 < 6; t++) {
            double next = polyval(p.coeffs[t], info[t].lo);
            ck_assert_double_eq_tol(info[t + 1].lo, next, 1e-15);
            ck_assert_double_eq_tol(info[t + 1].hi, 2 - next, 1e-15);
        }
        double mn, mx;
        grid_range(&p, 6, 1e-3, 1, &mn, &mx);
        ck_assert_msg(fabs(fmax(1 - mn, mx - 1) - pred) < TOL_COARSE_GRID,
                      "degree %d: predicted %g, grid %g", deg, pred,
                      fmax(1 - mn, mx - 1));
    }
}
END_TEST

/* Long schedules with a safety factor reach l ~ u (the Remez merge limit
 * and the l <= u guard) without failing. */
START_TEST(test_derive_long)
{
    muon_coeffs_derive_params dp;
    muon_coeffs_derive_default_params(&dp);
    dp.steps = 20;
    dp.safety = 1.01;
    dp.cushion = 0.02;
    muon_orth_params p;
    blank(&p);
    double pred;
    ck_assert_int_eq(muon_coeffs_derive(&dp, &p, NULL, &pred), 0);
    for (size_t t = 0; t < 20; t++)
        ck_assert(isfinite(p.coeffs[t].a) && isfinite(p.coeffs[t].c));
    /* Converged: the last steps are the merge limit's 15/8, -10/8, 3/8 to
     * within the interval's width. */
    ck_assert_double_eq_tol(p.coeffs[19].a, 15.0 / 8, 1e-2);
}
END_TEST

/* The written schedule reads back bit for bit (17 significant digits). */
START_TEST(test_derive_file_roundtrip)
{
    char dir[] = "/tmp/test-coeffs-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/pe.txt", dir);
    muon_coeffs_derive_params dp;
    muon_coeffs_derive_default_params(&dp);
    dp.safety = 1.02;
    dp.cushion = 0.02;
    muon_orth_params p, q;
    blank(&p);
    blank(&q);
    ck_assert_int_eq(muon_coeffs_derive(&dp, &p, NULL, NULL), 0);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "# a comment line as derive writes them\n");
    ck_assert_int_eq(muon_coeffs_write(f, &p), 0);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(muon_coeffs_read_file(path, &q), 0);
    ck_assert_uint_eq(q.ncoeffs, 5);
    for (int t = 0; t < 5; t++)
        ck_assert(memcmp(&p.coeffs[t], &q.coeffs[t], sizeof(muon_coeff)) ==
                  0);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* ---- exact ranges and check --------------------------------------------- */

/* poly_range against a dense grid on random triples and intervals. */
START_TEST(test_poly_range_random)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 12345);
    for (int k = 0; k < 200; k++) {
        muon_coeff q = {gsl_rng_uniform(r) * 10 - 2,
                        gsl_rng_uniform(r) * 20 - 15,
                        gsl_rng_uniform(r) * 16 - 4};
        double x0 = gsl_rng_uniform(r) * 1.5, x1 = x0 + gsl_rng_uniform(r);
        double mn, mx, gmn = INFINITY, gmx = -INFINITY;
        muon_coeffs_poly_range(q, x0, x1, &mn, &mx);
        for (int i = 0; i <= 20000; i++) {
            double y = polyval(q, x0 + (x1 - x0) * i / 20000.0);
            gmn = fmin(gmn, y);
            gmx = fmax(gmx, y);
        }
        /* exact contains the grid, and the grid misses by O(h^2) */
        ck_assert(mn <= gmn + 1e-12 && mx >= gmx - 1e-12);
        ck_assert_msg(gmn - mn < 1e-5 && mx - gmx < 1e-5,
                      "triple %d: exact [%g,%g] grid [%g,%g]", k, mn, mx, gmn,
                      gmx);
    }
    gsl_rng_free(r);
}
END_TEST

/* For every polynomial method in the registry: check() runs, its ranges
 * agree with a brute-force grid of muon_orth_map, and the positivity flag
 * agrees with the grid. */
START_TEST(test_check_registry)
{
    const muon_orth_type *T = muon_orth_types()[_i];
    if (!T->polynomial)
        return;
    muon_orth_params p;
    muon_orth_default_params(T, &p);
    if (p.ncoeffs == 0)
        return; /* custom without a file */
    muon_coeffs_check_params cp;
    muon_coeffs_check_default_params(&cp);
    muon_coeffs_report r;
    ck_assert_msg(muon_coeffs_check(&p, &cp, &r) == 0, "%s: %s", T->name,
                  muon_last_error());
    double mn, mx;
    grid_range(&p, p.steps, cp.lo, cp.hi, &mn, &mx);
    ck_assert_msg(fabs(r.min_lo - mn) < TOL_COARSE_GRID &&
                      fabs(r.max_lo - mx) < TOL_COARSE_GRID,
                  "%s: exact [%g, %g], grid [%g, %g]", T->name, r.min_lo,
                  r.max_lo, mn, mx);
    ck_assert_msg(fabs(r.value_lo - muon_orth_map(&p, cp.lo)) < 1e-15,
                  "%s: value at lo", T->name);
    /* slope at 0 by a forward difference of the map (linear near 0). */
    double h = 1e-9;
    double fd = muon_orth_map(&p, h) / h;
    ck_assert_msg(fabs(fd - r.slope0) <= 1e-5 * fabs(r.slope0),
                  "%s: slope %g vs difference quotient %g", T->name,
                  r.slope0, fd);
    double gmn, gmx;
    grid_range(&p, p.steps, 1e-9, cp.hi, &gmn, &gmx);
    ck_assert_msg(r.positive == (gmn > 0), "%s: positive flag %d, grid min "
                  "%g", T->name, r.positive, gmn);
    /* steps_needed: the map with that many steps is within accuracy on the
     * grid, and with one fewer it is not. */
    if (r.steps_needed) {
        grid_range(&p, r.steps_needed, cp.lo, cp.hi, &gmn, &gmx);
        ck_assert(fmax(1 - gmn, gmx - 1) <= cp.accuracy + 1e-12);
        if (r.steps_needed > 1) {
            grid_range(&p, r.steps_needed - 1, cp.lo, cp.hi, &gmn, &gmx);
            ck_assert(fmax(1 - gmn, gmx - 1) > cp.accuracy - TOL_COARSE_GRID);
        }
    }
}
END_TEST

START_TEST(test_check_errors)
{
    muon_orth_params p;
    blank(&p);
    muon_coeffs_check_params cp;
    muon_coeffs_check_default_params(&cp);
    muon_coeffs_report r;
    ck_assert_int_eq(muon_coeffs_check(&p, &cp, &r), MUON_EINVAL);
    p.ncoeffs = p.steps = 1;
    p.coeffs[0] = (muon_coeff){1.5, -0.5, 0};
    static const double bad[][4] = {/* lo, hi, above, accuracy */
                                    {0, 1, 1.02, 1e-2},
                                    {1, 1, 1.02, 1e-2},
                                    {1e-3, NAN, 1.02, 1e-2},
                                    {1e-3, 1, 0.5, 1e-2},
                                    {1e-3, 1, 1.02, 0}};
    for (size_t i = 0; i < 5; i++) {
        muon_coeffs_check_params c = cp;
        c.lo = bad[i][0];
        c.hi = bad[i][1];
        c.above = bad[i][2];
        c.accuracy = bad[i][3];
        ck_assert_msg(muon_coeffs_check(&p, &c, &r) == MUON_ERANGE,
                      "case %zu", i);
    }
    cp.max_steps = 0;
    ck_assert_int_eq(muon_coeffs_check(&p, &cp, &r), MUON_ERANGE);
    double mn, mx;
    ck_assert_int_eq(muon_coeffs_map_range(&p, 1, 0.5, 0.1, &mn, &mx),
                     MUON_ERANGE);
}
END_TEST

/* Cubic NS: the classical facts that p(x) = (3x - x^3)/2 stays in (0, 1]
 * on (0, 1], overshoots nothing for x slightly above 1 (p(1+d) < 1), has
 * slope (3/2)^T at 0, and a sign change only beyond sqrt(3). */
START_TEST(test_check_cubic_facts)
{
    muon_orth_params p;
    blank(&p);
    p.ncoeffs = 1;
    p.steps = 3;
    p.coeffs[0] = (muon_coeff){1.5, -0.5, 0};
    muon_coeffs_check_params cp;
    muon_coeffs_check_default_params(&cp);
    muon_coeffs_report r;
    ck_assert_int_eq(muon_coeffs_check(&p, &cp, &r), 0);
    ck_assert_double_eq_tol(r.slope0, 3.375, 1e-15);
    ck_assert_double_eq_tol(r.max_lo, 1.0, 1e-15);
    ck_assert_double_eq_tol(r.overshoot, 0.0, 1e-300);
    ck_assert_int_eq(r.positive, 1);
    ck_assert_int_eq(muon_coeffs_map_positive(&p, 1, 1.7), 1);
    ck_assert_int_eq(muon_coeffs_map_positive(&p, 1, 1.8), 0); /* > sqrt 3 */
    /* the normalisation safety s rescales the input: slope / s */
    p.safety = 2.0;
    ck_assert_int_eq(muon_coeffs_check(&p, &cp, &r), 0);
    ck_assert_double_eq_tol(r.slope0, 3.375 / 2, 1e-15);
}
END_TEST

/* ---- measure ------------------------------------------------------------ */

/* In fp64 the matrix iteration's singular values equal the scalar map's
 * prediction (the core identity, REFERENCE.md section 2). */
START_TEST(test_measure_fp64_identity)
{
    const muon_orth_type *T = muon_orth_type_by_name("polar-express");
    ck_assert_ptr_nonnull(T);
    muon_orth_params p;
    muon_orth_default_params(T, &p);
    muon_coeffs_measurement m;
    ck_assert_msg(muon_coeffs_measure(T, &p, MUON_FP64, 24, 40, 7, 1e-2, &m) ==
                      0,
                  "%s", muon_last_error());
    ck_assert_int_eq(m.finite, 1);
    ck_assert_msg(m.max_dev < TOL_IDENTITY_REL, "max dev %g", m.max_dev);
    ck_assert_double_eq_tol(m.pred_min, m.meas_min, TOL_IDENTITY_REL);
    /* fp32: unit round-off amplified through 5 steps */
    ck_assert_int_eq(
        muon_coeffs_measure(T, &p, MUON_FP32, 24, 40, 7, 1e-2, &m), 0);
    ck_assert_msg(m.max_dev < TOL_F32_VS_F64, "fp32 max dev %g", m.max_dev);

    ck_assert_int_eq(muon_coeffs_measure(T, &p, MUON_FP64, 4, 4, 1, 0, &m),
                     MUON_ERANGE);
    ck_assert_int_eq(muon_coeffs_measure(T, &p, MUON_FP64, 0, 4, 1, 0.1, &m),
                     MUON_ERANGE);
    const muon_orth_type *S = muon_orth_type_by_name("svd");
    if (S) {
        muon_orth_params q;
        muon_orth_default_params(S, &q);
        ck_assert_int_eq(
            muon_coeffs_measure(S, &q, MUON_FP64, 4, 4, 1, 0.1, &m),
            MUON_EINVAL);
    }
}
END_TEST

/* ---- search ------------------------------------------------------------- */

START_TEST(test_search_errors)
{
    muon_coeffs_search_params sp;
    muon_orth_params p;
    blank(&p);
    muon_coeffs_search_default_params(&sp);
    sp.objective = (muon_search_objective)7;
    ck_assert_int_eq(muon_coeffs_search(&sp, &p, NULL), MUON_EINVAL);
    muon_coeffs_search_default_params(&sp);
    sp.degree = 4;
    ck_assert_int_eq(muon_coeffs_search(&sp, &p, NULL), MUON_EINVAL);
    muon_coeffs_search_default_params(&sp);
    sp.lo = 1.5;
    ck_assert_int_eq(muon_coeffs_search(&sp, &p, NULL), MUON_ERANGE);
    muon_coeffs_search_default_params(&sp);
    sp.have_start = 1;
    blank(&sp.start);
    sp.start.ncoeffs = 1;
    sp.start.coeffs[0] = (muon_coeff){NAN, 0, 0};
    ck_assert_int_eq(muon_coeffs_search(&sp, &p, NULL), MUON_ENONFINITE);
    /* One quintic step cannot keep [1e-3, 1] within 1 +- 1e-3: no
     * feasible schedule. */
    muon_coeffs_search_default_params(&sp);
    sp.objective = MUON_SEARCH_SLOPE;
    sp.steps = 1;
    sp.delta = 1e-3;
    sp.max_iter = 200;
    sp.restarts = 0;
    ck_assert_int_eq(muon_coeffs_search(&sp, &p, NULL), MUON_ENOCONV);
    ck_assert_uint_eq(p.ncoeffs, 0);
}
END_TEST

/* Polar Express theorem: the greedy schedule is optimal for the composed
 * minimax problem, so a search started from a perturbation of it cannot do
 * better, and should get back close to it. */
START_TEST(test_search_minimax_greedy_optimal)
{
    muon_coeffs_derive_params dp;
    muon_coeffs_derive_default_params(&dp);
    dp.steps = 3;
    dp.lo = 0.02;
    muon_orth_params g;
    blank(&g);
    double pred;
    ck_assert_int_eq(muon_coeffs_derive(&dp, &g, NULL, &pred), 0);
    muon_coeffs_search_params sp;
    muon_coeffs_search_default_params(&sp);
    sp.steps = 3;
    sp.per_step = 1;
    sp.lo = 0.02;
    sp.have_start = 1;
    sp.start = g;
    for (int t = 0; t < 3; t++) {
        sp.start.coeffs[t].a *= 0.99;
        sp.start.coeffs[t].b *= 1.01;
    }
    muon_orth_params p;
    blank(&p);
    muon_coeffs_search_result res;
    ck_assert_msg(muon_coeffs_search(&sp, &p, &res) == 0, "%s",
                  muon_last_error());
    double mn, mx;
    grid_range(&p, 3, 0.02, 1, &mn, &mx);
    double worst = fmax(1 - mn, mx - 1);
    ck_assert_msg(worst >= pred - 1e-9, "search beat the greedy optimum: "
                  "%.12g < %.12g", worst, pred);
    ck_assert_msg(res.worst < pred * 1.05, "search ended far from the "
                  "optimum: %g vs %g", res.worst, pred);
}
END_TEST

/* Jordan's NS5 (3.4445, -4.7750, 2.0315) keeps the 5-step map within
 * [0.68, 1.32] on [0.05, 1] (REFERENCE.md: [0.6818, 1.1344]) with slope
 * 3.4445^5 at 0; the slope search over the same constraint must find a
 * feasible triple at least that steep. */
START_TEST(test_search_slope_beats_feasible_point)
{
    muon_coeffs_search_params sp;
    muon_coeffs_search_default_params(&sp);
    sp.objective = MUON_SEARCH_SLOPE;
    sp.lo = 0.05;
    sp.delta = 0.32;
    muon_orth_params p;
    blank(&p);
    muon_coeffs_search_result res;
    ck_assert_msg(muon_coeffs_search(&sp, &p, &res) == 0, "%s",
                  muon_last_error());
    double mn, mx;
    grid_range(&p, 5, 0.05, 1, &mn, &mx);
    ck_assert(mn >= 0.68 - 1e-9 && mx <= 1.32 + 1e-9);
    double slope = pow(p.coeffs[0].a, 5);
    ck_assert_double_eq_tol(slope, res.objective, 1e-9 * slope);
    ck_assert_msg(slope >= pow(3.4445, 5), "slope %g below Jordan's", slope);
}
END_TEST

static Suite *
coeffs_suite(void)
{
    Suite *s = suite_create("coeffs");
    TCase *tc = tcase_create("derive");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_derive_errors);
    tcase_add_test(tc, test_cubic_equioscillates);
    tcase_add_test(tc, test_derive_safety_cushion_semantics);
    tcase_add_test(tc, test_derive_chain);
    tcase_add_test(tc, test_derive_long);
    tcase_add_test(tc, test_derive_file_roundtrip);
    suite_add_tcase(s, tc);

    tc = tcase_create("check");
    tcase_set_timeout(tc, 120);
    size_t ntypes = 0;
    while (muon_orth_types()[ntypes])
        ntypes++;
    tcase_add_test(tc, test_poly_range_random);
    tcase_add_loop_test(tc, test_check_registry, 0, (int)ntypes);
    tcase_add_test(tc, test_check_errors);
    tcase_add_test(tc, test_check_cubic_facts);
    tcase_add_test(tc, test_measure_fp64_identity);
    suite_add_tcase(s, tc);

    tc = tcase_create("search");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_search_errors);
    tcase_add_test(tc, test_search_minimax_greedy_optimal);
    tcase_add_test(tc, test_search_slope_beats_feasible_point);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    gsl_set_error_handler_off();
    SRunner *r = srunner_create(coeffs_suite());
    srunner_run_all(r, CK_ENV);
    int nf = srunner_ntests_failed(r), nr = srunner_ntests_run(r);
    srunner_free(r);
    printf("%d passed, %d failed\n", nr - nf, nf);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
