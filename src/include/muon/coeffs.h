/* coeffs.h: the coefficient lab: derive, check and search odd-polynomial
 * schedules for Newton-Schulz-like orthogonalizers.
 *
 * derive: the Polar Express greedy minimax construction (Amsel, Persson,
 *         Musco, Gower 2025, arXiv 2505.16932, Alg. 1): closed form at
 *         degree 3, Remez exchange at degree 5, safety factor and cushion.
 * range:  the exact range of the composed scalar map on an interval.  The
 *         image of an interval under a continuous map is an interval whose
 *         ends are attained at the interval's ends or at critical points, so
 *         propagating [min, max] step by step through each p_t (whose
 *         critical points are roots of a quadratic in x^2) gives the range of
 *         the composition exactly, up to rounding -- not a bound and not a
 *         grid estimate.
 * check:  the predicted (exact-arithmetic) report for a schedule.
 * search: schedules designed by optimisation (GSL Nelder-Mead).
 *
 * All functions work on muon_orth_params: coeffs[], ncoeffs, steps, extend
 * (see muon_orth_step_coeff) and safety, the normalisation factor, so that
 * "the map" always means muon_orth_map(p, x) = p_T(...p_1(x / safety)...)
 * with x = sigma / ||G||_F, the function `muonlab spectrum` draws.
 */
#ifndef MUON_COEFFS_H
#define MUON_COEFFS_H

#include <stddef.h>

#include "muon/orth.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- derive ------------------------------------------------------------ */

/* Parameters of the greedy construction. */
typedef struct {
    int degree;     /* 3 (closed form) or 5 (Remez) */
    size_t steps;   /* T, 1 .. MUON_MAX_COEFFS */
    double lo;      /* l_1, 0 < lo < hi: smallest normalised singular value */
    double hi;      /* u_1, usually 1 */
    double safety;  /* s >= 1: steps 1..T-1 use p_t(x / s); 1 = none */
    double cushion; /* 0 <= cushion < 1: p_t is designed on
                       [max(l_t, cushion u_t), u_t], then scaled so its
                       range on [l_t, u_t] is centred on 1 (the paper's
                       2 / (p(l) + p(u)) at degree 5); 0 = none */
} muon_coeffs_derive_params;

/* Defaults: degree 5, 5 steps, lo 1e-3, hi 1, no safety, no cushion. */
void muon_coeffs_derive_default_params(muon_coeffs_derive_params *dp);

/* What the construction did at one step t. */
typedef struct {
    double lo, hi;   /* [l_t, u_t], the interval step t was designed for */
    double lo_eff;   /* max(l_t, cushion * u_t): where the minimax was taken */
    double err;      /* minimax error E_t of the optimal polynomial on
                        [lo_eff, hi] (before recentring and safety) */
    double dev;      /* max |p_t(x) - 1| over [l_t, u_t] of the polynomial
                        actually emitted (recentred, with safety), exact */
    unsigned iters;  /* Remez iterations (0: closed form or l ~ u limit) */
} muon_coeffs_step_info;

/* Runs the greedy construction.  Writes the T triples to out->coeffs and
 * sets out->ncoeffs = out->steps = T; every other field of out is left as
 * the caller set it (use muon_orth_default_params first).  info, if not
 * NULL, receives T entries.  *pred_err, if not NULL, receives the design's
 * predicted worst-case error of the composition on [lo, hi], 1 - l_{T+1}.
 * Errors: MUON_EINVAL (degree not 3 or 5, non-finite value), MUON_ERANGE
 * (steps, lo, hi, safety or cushion out of range; the message names the
 * field and value), MUON_ENOCONV (Remez failed to converge; the message
 * names the step and interval).  out is unchanged on error. */
int muon_coeffs_derive(const muon_coeffs_derive_params *dp,
                       muon_orth_params *out, muon_coeffs_step_info *info,
                       double *pred_err);

/* The degree-3 minimax approximation of 1 by a x + b x^3 on [lo, hi] in
 * closed form (REFERENCE.md section 2).  Requires 0 <= lo <= hi, hi > 0;
 * MUON_ERANGE otherwise.  *err receives the minimax error (may be NULL). */
int muon_coeffs_optimal_cubic(double lo, double hi, muon_coeff *out,
                              double *err);

/* The degree-d (3 or 5) minimax approximation of 1 by an odd polynomial on
 * [lo, hi] by Remez exchange, stopping when |dE| < 1e-15.  Returns
 * MUON_ERANGE/MUON_EINVAL on bad arguments, MUON_ENOCONV if the exchange
 * leaves the interval or does not converge in 100 iterations.  *err and
 * *iters may be NULL. */
int muon_coeffs_remez(int degree, double lo, double hi, muon_coeff *out,
                      double *err, unsigned *iters);

/* ---- exact ranges ------------------------------------------------------ */

/* Exact min and max of one odd polynomial a x + b x^3 + c x^5 over [x0, x1]
 * (x0 <= x1), evaluated in long double. */
void muon_coeffs_poly_range(muon_coeff q, double x0, double x1, double *min,
                            double *max);

/* Exact range [*min, *max] of x -> muon_orth_map(p, x) with `steps` steps
 * (coefficients by muon_orth_step_coeff, so p->extend applies) over
 * [x0, x1].  Requires finite 0 <= x0 <= x1 and p->safety > 0: MUON_ERANGE
 * otherwise. */
int muon_coeffs_map_range(const muon_orth_params *p, size_t steps, double x0,
                          double x1, double *min, double *max);

/* Whether the map with `steps` steps is > 0 on all of (0, x1]: each p_t has
 * p_t'(0) = a_t > 0 and no root in the (exact) image of the previous steps.
 * Returns 1 or 0. */
int muon_coeffs_map_positive(const muon_orth_params *p, size_t steps,
                             double x1);

/* ---- check (predicted, exact arithmetic) -------------------------------- */

typedef struct {
    double lo, hi;     /* [l, u]: the interval asked about (x units) */
    double above;      /* inputs up to above * hi probe the overshoot */
    double accuracy;   /* target max |map - 1| on [lo, hi] for steps_needed */
    size_t max_steps;  /* give up on steps_needed beyond this */
} muon_coeffs_check_params;

/* Defaults: lo 1e-3, hi 1, above 1.02, accuracy 1e-2, max_steps 100. */
void muon_coeffs_check_default_params(muon_coeffs_check_params *cp);

typedef struct {
    size_t steps;          /* the schedule's p->steps */
    double slope0;         /* map'(0) = prod_t a_t / safety */
    double value_lo;       /* map(lo) */
    double min_lo, max_lo; /* range of the map on [lo, hi] */
    double min_05, max_05; /* range on [0.05, hi] (the modded-nanogpt claim) */
    double worst_lo;       /* max |map - 1| on [lo, hi] */
    int positive;          /* 1 if the map is > 0 on (0, hi] */
    double max_above;      /* max of the map on [hi, above * hi] */
    double overshoot;      /* max(0, max_above - 1) */
    size_t steps_needed;   /* least T with worst error <= accuracy on
                              [lo, hi], extending the list by p->extend;
                              0 if none up to max_steps */
} muon_coeffs_report;

/* Fills *r for the schedule p.  Errors: MUON_ERANGE (lo, hi, above,
 * accuracy or max_steps out of range), MUON_EINVAL (p has no coefficients or
 * steps == 0). */
int muon_coeffs_check(const muon_orth_params *p,
                      const muon_coeffs_check_params *cp,
                      muon_coeffs_report *r);

/* ---- check (measured: the matrix iteration) ----------------------------- */

/* One measurement: the method run in one precision on a synthetic m x n
 * matrix G = U diag(s) V^T (Haar U, V; muon/synth.h geometric spectrum, s_1
 * = 1, s_min / s_max = ratio), its output's singular values compared with
 * the exact-arithmetic prediction p_T(...p_1(s_i / (||G||_F * safety +
 * eps))...) for the same s_i. */
typedef struct {
    muon_precision precision;
    double ratio;               /* s_min / s_max of the input */
    double pred_min, pred_max;  /* predicted output singular values */
    double meas_min, meas_max;  /* measured (fp64 SVD of the output) */
    double pred_worst;          /* max_i |pred_i - 1| */
    double meas_worst;          /* max_i |sv_i - 1| */
    double max_dev;             /* max_i |sv_i - pred_i| (both sorted) */
    double polar_err;           /* ||O - U V^T||_F / sqrt(min(m,n)) */
    int finite;                 /* 0: the output had NaN/Inf entries (the
                                   iteration diverged in this precision);
                                   every meas_* field, max_dev and
                                   polar_err are then NaN */
} muon_coeffs_measurement;

/* Runs method T with parameters p (p->precision is replaced by
 * `precision`) once on the synthetic matrix above and fills *out.  Set-up
 * code: allocates and frees its own buffers.  Errors: MUON_ERANGE (ratio
 * not in (0, 1], sizes 0), MUON_EINVAL (T not polynomial), MUON_ENOMEM, and
 * whatever muon_synth_generate / muon_orth_alloc / muon_measure_* report.
 * A diverged iteration is a result, not an error: out->finite = 0. */
int muon_coeffs_measure(const muon_orth_type *T, const muon_orth_params *p,
                        muon_precision precision, size_t m, size_t n,
                        unsigned long seed, double ratio,
                        muon_coeffs_measurement *out);

/* ---- search ------------------------------------------------------------ */

typedef enum {
    /* maximise the slope at 0 subject to the map staying within
     * [1 - delta, 1 + delta] on [lo, 1] (how Jordan's NS5 was chosen) */
    MUON_SEARCH_SLOPE = 0,
    /* minimise max |map - 1| on [lo, 1] */
    MUON_SEARCH_MINIMAX = 1
} muon_search_objective;

typedef struct {
    muon_search_objective objective;
    int degree;       /* 3 or 5 */
    size_t steps;     /* T */
    int per_step;     /* 0: one triple for every step; 1: T triples */
    double lo;        /* interval [lo, 1] */
    double delta;     /* MUON_SEARCH_SLOPE: the band half-width */
    size_t max_iter;  /* Nelder-Mead iterations per restart */
    size_t restarts;  /* the simplex is rebuilt around the best point */
    int have_start;   /* 1: start from `start` below */
    muon_orth_params start; /* starting schedule (copied) */
} muon_coeffs_search_params;

/* Defaults: minimax, degree 5, 5 steps, constant, lo 1e-3, delta 0.3,
 * max_iter 4000, restarts 4, no start (a built-in start is used). */
void muon_coeffs_search_default_params(muon_coeffs_search_params *sp);

typedef struct {
    double objective; /* minimax: worst error; slope: slope at 0 */
    double worst;     /* max |map - 1| on [lo, 1] */
    double violation; /* slope: distance outside the band (0 = feasible) */
    size_t iters;     /* total Nelder-Mead iterations */
    int converged;    /* 1 if the simplex shrank below its size tolerance */
} muon_coeffs_search_result;

/* Runs the search and writes the schedule to out (coeffs, ncoeffs, steps;
 * out->safety is set to 1 because the map searched is the raw composition).
 * Errors: MUON_EINVAL / MUON_ERANGE on bad parameters, MUON_ENOMEM,
 * MUON_ENOCONV if the minimiser fails or (slope) no feasible schedule was
 * found.  Allocates (not a hot path). */
int muon_coeffs_search(const muon_coeffs_search_params *sp,
                       muon_orth_params *out, muon_coeffs_search_result *res);

#ifdef __cplusplus
}
#endif

#endif /* MUON_COEFFS_H */
