/* range.c: exact ranges of composed odd polynomials, and the predicted
 * (exact-arithmetic) check of a schedule.
 *
 * p continuous maps an interval [x0, x1] onto [min p, max p] over it, and
 * those extremes are attained at x0, x1 or a critical point of p inside.
 * For p(x) = a x + b x^3 + c x^5 the critical points are the positive square
 * roots of the roots of 5c y^2 + 3b y + a, so each step's image is computed
 * exactly and the composition's range follows by propagation.
 */
#include <math.h>

#include "muon/coeffs.h"
#include "muon/status.h"

#include "coeffs_impl.h"

int
coeffs_critical_points(long double a, long double b, long double c,
                       long double r[2])
{
    /* Roots y = x^2 of 5c y^2 + 3b y + a, by the cancellation-free pair
     * q = -(B + sign(B) sqrt(D)) / 2, y = q / A and y = C / q. */
    long double A = 5.0L * c, B = 3.0L * b, C = a;
    long double y[2];
    int ny = 0, n = 0;
    if (A == 0.0L) {
        if (B != 0.0L)
            y[ny++] = -C / B;
    } else {
        long double D = B * B - 4.0L * A * C;
        if (D >= 0.0L) {
            long double s = sqrtl(D);
            long double qq = -0.5L * (B + (B >= 0.0L ? s : -s));
            if (qq != 0.0L) {
                y[ny++] = qq / A;
                y[ny++] = C / qq;
            } else {
                y[ny++] = 0.0L; /* B = D = 0: double root at 0 */
            }
        }
    }
    for (int i = 0; i < ny; i++)
        if (y[i] > 0.0L && isfinite(y[i]))
            r[n++] = sqrtl(y[i]);
    if (n == 2 && r[0] > r[1]) {
        long double t = r[0];
        r[0] = r[1];
        r[1] = t;
    }
    return n;
}

static int
crit(muon_coeff q, long double r[2])
{
    return coeffs_critical_points(q.a, q.b, q.c, r);
}

/* Image [*lo, *hi] of q over [x0, x1], long double throughout. */
static void
image(muon_coeff q, long double x0, long double x1, long double *lo,
      long double *hi)
{
    long double v0 = coeffs_poly_ld(q, x0), v1 = coeffs_poly_ld(q, x1);
    long double mn = fminl(v0, v1), mx = fmaxl(v0, v1);
    long double r[2];
    int n = crit(q, r);
    for (int i = 0; i < n; i++)
        if (r[i] > x0 && r[i] < x1) {
            long double v = coeffs_poly_ld(q, r[i]);
            mn = fminl(mn, v);
            mx = fmaxl(mx, v);
        }
    *lo = mn;
    *hi = mx;
}

void
muon_coeffs_poly_range(muon_coeff q, double x0, double x1, double *min,
                       double *max)
{
    long double lo, hi;
    image(q, x0, x1, &lo, &hi);
    *min = (double)lo;
    *max = (double)hi;
}

int
muon_coeffs_map_range(const muon_orth_params *p, size_t steps, double x0,
                      double x1, double *min, double *max)
{
    if (!isfinite(x0) || !isfinite(x1) || !(x0 >= 0.0) || !(x0 <= x1))
        return MUON_ERROR(MUON_ERANGE,
                          "range needs finite 0 <= x0 <= x1 (got [%g, %g])",
                          x0, x1);
    if (!isfinite(p->safety) || !(p->safety > 0.0))
        return MUON_ERROR(MUON_ERANGE,
                          "safety must be finite and > 0 (got %g)", p->safety);
    long double lo = (long double)x0 / p->safety;
    long double hi = (long double)x1 / p->safety;
    for (size_t t = 0; t < steps; t++)
        image(muon_orth_step_coeff(p, t), lo, hi, &lo, &hi);
    *min = (double)lo;
    *max = (double)hi;
    return MUON_SUCCESS;
}

int
muon_coeffs_map_positive(const muon_orth_params *p, size_t steps, double x1)
{
    /* Inductively the image of (0, x1] is (0, h]: p_t keeps it positive iff
     * p_t > 0 just right of 0 (a_t > 0; a_t = 0 with b_t > 0 also works)
     * and at every critical point in (0, h] and at h. */
    long double h = (long double)x1 / p->safety;
    if (!(h > 0.0L))
        return 0;
    for (size_t t = 0; t < steps; t++) {
        muon_coeff q = muon_orth_step_coeff(p, t);
        if (!(q.a > 0.0 || (q.a == 0.0 && q.b > 0.0) ||
              (q.a == 0.0 && q.b == 0.0 && q.c > 0.0)))
            return 0;
        long double lo, hi;
        image(q, 0.0L, h, &lo, &hi);
        long double r[2];
        int n = crit(q, r);
        for (int i = 0; i < n; i++)
            if (r[i] <= h && !(coeffs_poly_ld(q, r[i]) > 0.0L))
                return 0;
        if (!(coeffs_poly_ld(q, h) > 0.0L))
            return 0;
        h = hi;
    }
    return 1;
}

void
muon_coeffs_check_default_params(muon_coeffs_check_params *cp)
{
    cp->lo = 1e-3;
    cp->hi = 1.0;
    cp->above = 1.02;
    cp->accuracy = 1e-2;
    cp->max_steps = 100;
}

int
muon_coeffs_check(const muon_orth_params *p, const muon_coeffs_check_params *cp,
                  muon_coeffs_report *r)
{
    if (p->ncoeffs < 1 || p->ncoeffs > MUON_MAX_COEFFS || p->steps < 1)
        return MUON_ERROR(MUON_EINVAL,
                          "schedule needs >= 1 coefficient triple and >= 1 "
                          "step (got %zu triples, %zu steps)",
                          p->ncoeffs, p->steps);
    if (!isfinite(cp->hi) || !(cp->hi > 0.0))
        return MUON_ERROR(MUON_ERANGE, "hi must be finite and > 0 (got %g)",
                          cp->hi);
    if (!isfinite(cp->lo) || !(cp->lo > 0.0) || !(cp->lo < cp->hi))
        return MUON_ERROR(MUON_ERANGE,
                          "lo must satisfy 0 < lo < hi = %g (got %g)", cp->hi,
                          cp->lo);
    if (!isfinite(cp->above) || !(cp->above >= 1.0) || !(cp->above <= 2.0))
        return MUON_ERROR(MUON_ERANGE, "above must be in [1, 2] (got %g)",
                          cp->above);
    if (!isfinite(cp->accuracy) || !(cp->accuracy > 0.0) ||
        !(cp->accuracy < 1.0))
        return MUON_ERROR(MUON_ERANGE, "accuracy must be in (0, 1) (got %g)",
                          cp->accuracy);
    if (cp->max_steps < 1 || cp->max_steps > 100000)
        return MUON_ERROR(MUON_ERANGE,
                          "max_steps must be in 1..100000 (got %zu)",
                          cp->max_steps);
    int st;
    r->steps = p->steps;
    long double slope = 1.0L / p->safety;
    for (size_t t = 0; t < p->steps; t++)
        slope *= muon_orth_step_coeff(p, t).a;
    r->slope0 = (double)slope;
    if ((st = muon_coeffs_map_range(p, p->steps, cp->lo, cp->lo, &r->value_lo,
                                    &r->value_lo)) ||
        (st = muon_coeffs_map_range(p, p->steps, cp->lo, cp->hi, &r->min_lo,
                                    &r->max_lo)))
        return st;
    /* (0.05, 1]: the interval of the modded-nanogpt README claim; empty if
     * hi <= 0.05. */
    if (cp->hi > 0.05) {
        if ((st = muon_coeffs_map_range(p, p->steps, 0.05, cp->hi, &r->min_05,
                                        &r->max_05)))
            return st;
    } else {
        r->min_05 = r->max_05 = NAN;
    }
    r->worst_lo = fmax(1.0 - r->min_lo, r->max_lo - 1.0);
    r->positive = muon_coeffs_map_positive(p, p->steps, cp->hi);
    double mn;
    if ((st = muon_coeffs_map_range(p, p->steps, cp->hi, cp->above * cp->hi,
                                    &mn, &r->max_above)))
        return st;
    r->overshoot = fmax(0.0, r->max_above - 1.0);
    /* Steps needed: propagate the image of [lo, hi] one step at a time. */
    r->steps_needed = 0;
    long double lo = (long double)cp->lo / p->safety;
    long double hi = (long double)cp->hi / p->safety;
    for (size_t t = 0; t < cp->max_steps; t++) {
        image(muon_orth_step_coeff(p, t), lo, hi, &lo, &hi);
        if (1.0L - lo <= cp->accuracy && hi - 1.0L <= cp->accuracy) {
            r->steps_needed = t + 1;
            break;
        }
    }
    return MUON_SUCCESS;
}
