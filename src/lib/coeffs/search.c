/* search.c: coefficient schedules designed by optimisation (GSL Nelder-Mead
 * simplex, gsl_multimin_fminimizer_nmsimplex2).
 *
 * Both objectives are built from the exact range of the composed map on
 * [lo, 1] (range.c), so the optimiser sees the true worst case, not a grid
 * sample that a schedule could slip between.  The objectives are max-type
 * (non-smooth), which is why a derivative-free simplex is used, restarted
 * around its best point because a collapsed simplex can stall on a kink.
 */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>

#include "muon/coeffs.h"
#include "muon/status.h"

/* The slope objective is -log(slope) + PENALTY * (distance outside the
 * band).  An exact (L1) penalty finds the constrained optimum once its
 * weight exceeds the Lagrange multiplier; d(-log slope)/d(band) is O(1/d)
 * for sensible bands, so 1e4 is ample. */
#define PENALTY 1e4
/* Objective value for schedules with slope <= 0 at the origin (the map
 * would send small singular values to <= 0). */
#define BAD_VALUE 1e30
/* Simplex size at which a restart is considered converged. */
#define SIZE_TOL 1e-13

typedef struct {
    const muon_coeffs_search_params *sp;
    size_t per;         /* unknowns per triple: 2 (cubic) or 3 */
    muon_orth_params p; /* scratch schedule the vector is unpacked into */
} search_ctx;

void
muon_coeffs_search_default_params(muon_coeffs_search_params *sp)
{
    sp->objective = MUON_SEARCH_MINIMAX;
    sp->degree = 5;
    sp->steps = 5;
    sp->per_step = 0;
    sp->lo = 1e-3;
    sp->delta = 0.3;
    sp->max_iter = 4000;
    sp->restarts = 4;
    sp->have_start = 0;
}

static void
unpack(search_ctx *c, const gsl_vector *v)
{
    size_t ntrip = c->p.ncoeffs;
    for (size_t t = 0; t < ntrip; t++) {
        c->p.coeffs[t].a = gsl_vector_get(v, t * c->per);
        c->p.coeffs[t].b = gsl_vector_get(v, t * c->per + 1);
        c->p.coeffs[t].c = c->per == 3 ? gsl_vector_get(v, t * c->per + 2) : 0;
    }
}

/* Worst error, slope and band violation of the scratch schedule. */
static void
evaluate(const search_ctx *c, double *worst, double *slope, double *viol)
{
    const muon_coeffs_search_params *sp = c->sp;
    double mn, mx;
    if (muon_coeffs_map_range(&c->p, c->p.steps, sp->lo, 1.0, &mn, &mx) ||
        !isfinite(mn) || !isfinite(mx)) {
        *worst = *viol = INFINITY;
        *slope = 0;
        return;
    }
    *worst = fmax(1.0 - mn, mx - 1.0);
    *viol = fmax(0.0, fmax((1.0 - sp->delta) - mn, mx - (1.0 + sp->delta)));
    long double s = 1.0L;
    for (size_t t = 0; t < c->p.steps; t++)
        s *= muon_orth_step_coeff(&c->p, t).a;
    *slope = (double)s;
}

static double
objective(const gsl_vector *v, void *params)
{
    search_ctx *c = params;
    unpack(c, v);
    double worst, slope, viol;
    evaluate(c, &worst, &slope, &viol);
    if (c->sp->objective == MUON_SEARCH_MINIMAX)
        return isfinite(worst) ? worst : BAD_VALUE;
    if (!(slope > 0.0) || !isfinite(viol))
        return BAD_VALUE;
    return -log(slope) + PENALTY * viol;
}

static int
validate_search(const muon_coeffs_search_params *sp)
{
    if (sp->objective != MUON_SEARCH_SLOPE &&
        sp->objective != MUON_SEARCH_MINIMAX)
        return MUON_ERROR(MUON_EINVAL, "unknown search objective %d",
                          (int)sp->objective);
    if (sp->degree != 3 && sp->degree != 5)
        return MUON_ERROR(MUON_EINVAL, "degree must be 3 or 5 (got %d)",
                          sp->degree);
    if (sp->steps < 1 || sp->steps > MUON_MAX_COEFFS)
        return MUON_ERROR(MUON_ERANGE, "steps must be in 1..%d (got %zu)",
                          MUON_MAX_COEFFS, sp->steps);
    if (!isfinite(sp->lo) || !(sp->lo > 0.0) || !(sp->lo < 1.0))
        return MUON_ERROR(MUON_ERANGE, "lo must be in (0, 1) (got %g)",
                          sp->lo);
    if (sp->objective == MUON_SEARCH_SLOPE &&
        (!isfinite(sp->delta) || !(sp->delta > 0.0) || !(sp->delta < 1.0)))
        return MUON_ERROR(MUON_ERANGE, "delta must be in (0, 1) (got %g)",
                          sp->delta);
    if (sp->max_iter < 1 || sp->max_iter > 10000000)
        return MUON_ERROR(MUON_ERANGE,
                          "max_iter must be in 1..10000000 (got %zu)",
                          sp->max_iter);
    if (sp->restarts > 1000)
        return MUON_ERROR(MUON_ERANGE, "restarts must be <= 1000 (got %zu)",
                          sp->restarts);
    if (sp->have_start) {
        const muon_orth_params *s = &sp->start;
        if (s->ncoeffs < 1 || s->ncoeffs > MUON_MAX_COEFFS)
            return MUON_ERROR(MUON_ERANGE,
                              "start schedule has %zu triples (need 1..%d)",
                              s->ncoeffs, MUON_MAX_COEFFS);
        for (size_t t = 0; t < s->ncoeffs; t++)
            if (!isfinite(s->coeffs[t].a) || !isfinite(s->coeffs[t].b) ||
                !isfinite(s->coeffs[t].c))
                return MUON_ERROR(MUON_ENONFINITE,
                                  "start schedule triple %zu is not finite",
                                  t + 1);
    }
    return MUON_SUCCESS;
}

/* The starting vector: the caller's schedule (cycled/extended by its own
 * policy), else for a per-step schedule the greedy minimax one on [lo, 1]
 * (optimal for the minimax objective by the Polar Express theorem, so the
 * search then confirms it), else the classical converging step. */
static int
start_point(const muon_coeffs_search_params *sp, search_ctx *c, gsl_vector *x)
{
    muon_orth_params s;
    if (sp->have_start) {
        s = sp->start;
    } else if (sp->per_step) {
        muon_coeffs_derive_params dp;
        muon_coeffs_derive_default_params(&dp);
        dp.degree = sp->degree;
        dp.steps = sp->steps;
        dp.lo = sp->lo;
        s = c->p;
        int st = muon_coeffs_derive(&dp, &s, NULL, NULL);
        if (st)
            return st;
    } else {
        s = c->p;
        s.ncoeffs = 1;
        s.coeffs[0] = sp->degree == 5 ? (muon_coeff){2.0, -1.5, 0.5}
                                      : (muon_coeff){1.5, -0.5, 0.0};
    }
    for (size_t t = 0; t < c->p.ncoeffs; t++) {
        muon_coeff q = muon_orth_step_coeff(&s, t);
        gsl_vector_set(x, t * c->per, q.a);
        gsl_vector_set(x, t * c->per + 1, q.b);
        if (c->per == 3)
            gsl_vector_set(x, t * c->per + 2, q.c);
    }
    return MUON_SUCCESS;
}

int
muon_coeffs_search(const muon_coeffs_search_params *sp, muon_orth_params *out,
                   muon_coeffs_search_result *res)
{
    int st = validate_search(sp);
    if (st)
        return st;
    search_ctx c = {.sp = sp, .per = sp->degree == 5 ? 3 : 2};
    c.p = *out;
    c.p.safety = 1.0;
    c.p.extend = MUON_EXTEND_REPEAT_LAST;
    c.p.steps = sp->steps;
    c.p.ncoeffs = sp->per_step ? sp->steps : 1;
    size_t n = c.p.ncoeffs * c.per;

    gsl_vector *x = gsl_vector_alloc(n), *step = gsl_vector_alloc(n);
    gsl_multimin_fminimizer *m =
        gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, n);
    if (!x || !step || !m) {
        st = MUON_ERROR(MUON_ENOMEM, "search: cannot allocate a %zu-variable "
                        "simplex", n);
        goto done;
    }
    if ((st = start_point(sp, &c, x)))
        goto done;
    gsl_multimin_function fn = {.f = objective, .n = n, .params = &c};
    size_t iters = 0;
    int converged = 0;
    for (size_t r = 0; r <= sp->restarts; r++) {
        /* Initial simplex: 10% of each coordinate plus an absolute 1e-2
         * (shrinking with each restart so later rounds polish). */
        double rel = 0.1 / (double)(1u << (r < 10 ? r : 10));
        for (size_t i = 0; i < n; i++)
            gsl_vector_set(step, i,
                           rel * (fabs(gsl_vector_get(x, i)) + 0.1));
        if (gsl_multimin_fminimizer_set(m, &fn, x, step) != GSL_SUCCESS) {
            st = MUON_ERROR(MUON_ENOCONV, "search: the minimiser rejected "
                            "its starting point");
            goto done;
        }
        converged = 0;
        for (size_t it = 0; it < sp->max_iter; it++) {
            iters++;
            int gs = gsl_multimin_fminimizer_iterate(m);
            if (gs == GSL_ENOPROG)
                break; /* no better point nearby: as converged as it gets */
            if (gs != GSL_SUCCESS) {
                st = MUON_ERROR(MUON_ENOCONV, "search: minimiser failed at "
                                "iteration %zu (%s)", iters, gsl_strerror(gs));
                goto done;
            }
            double size = gsl_multimin_fminimizer_size(m);
            if (gsl_multimin_test_size(size, SIZE_TOL) == GSL_SUCCESS) {
                converged = 1;
                break;
            }
        }
        gsl_vector_memcpy(x, gsl_multimin_fminimizer_x(m));
    }
    unpack(&c, x);
    double worst, slope, viol;
    evaluate(&c, &worst, &slope, &viol);
    if (!isfinite(worst) || !(slope > 0.0)) {
        st = MUON_ERROR(MUON_ENOCONV, "search ended on an unusable schedule "
                        "(worst error %g, slope at 0 %g)", worst, slope);
        goto done;
    }
    if (sp->objective == MUON_SEARCH_SLOPE && viol > 1e-9) {
        st = MUON_ERROR(MUON_ENOCONV, "search found no schedule within "
                        "[1 - %g, 1 + %g] on [%g, 1] (closest misses by %g)",
                        sp->delta, sp->delta, sp->lo, viol);
        goto done;
    }
    for (size_t t = 0; t < c.p.ncoeffs; t++)
        out->coeffs[t] = c.p.coeffs[t];
    out->ncoeffs = c.p.ncoeffs;
    out->steps = c.p.steps;
    out->safety = 1.0;
    out->extend = MUON_EXTEND_REPEAT_LAST;
    if (res) {
        res->objective = sp->objective == MUON_SEARCH_MINIMAX ? worst : slope;
        res->worst = worst;
        res->violation = viol;
        res->iters = iters;
        res->converged = converged;
    }
done:
    gsl_multimin_fminimizer_free(m);
    gsl_vector_free(x);
    gsl_vector_free(step);
    return st;
}
