/* derive.c: the Polar Express greedy minimax schedule (Amsel, Persson, Musco,
 * Gower 2025, arXiv 2505.16932, Algorithm 1 and section 4.4).
 *
 * Step t takes the odd polynomial p_t of degree d that best approximates 1
 * in the max norm on [l_t, u_t]; then l_{t+1} = p_t(l_t), u_{t+1} = 2 -
 * l_{t+1}.  The paper proves that this greedy choice is optimal for the
 * whole composition.  Degree 3 has a closed form; degree 5 uses the Remez
 * exchange on the four equioscillation points l < q < r < u.
 */
#include <math.h>

#include "muon/coeffs.h"
#include "muon/status.h"

#include "coeffs_impl.h"

/* Remez stops when the levelled error moves by less than this (the paper's
 * threshold; smaller values only chase long-double round-off). */
#define REMEZ_TOL 1e-15L
#define REMEZ_MAXITER 100

/* When l / u is this close to 1 the four equioscillation points merge and
 * the 4x4 system is singular to working precision; the minimax polynomial
 * then equals its limit, the odd polynomial with p(u) = 1 and p'(u) =
 * p''(u) = 0 (quintic: (15 x/u - 10 (x/u)^3 + 3 (x/u)^5) / 8; cubic: the
 * Newton-Schulz step (3 x/u - (x/u)^3) / 2), to well below 1e-15. */
#define MERGE_RATIO (1.0L - 5e-6L)

void
muon_coeffs_derive_default_params(muon_coeffs_derive_params *dp)
{
    dp->degree = 5;
    dp->steps = 5;
    dp->lo = 1e-3;
    dp->hi = 1.0;
    dp->safety = 1.0;
    dp->cushion = 0.0;
}

static int
check_interval(double lo, double hi)
{
    if (!isfinite(lo) || !isfinite(hi) || !(lo >= 0.0) || !(hi > 0.0) ||
        !(lo <= hi))
        return MUON_ERROR(MUON_ERANGE,
                          "interval must satisfy 0 <= lo <= hi, hi > 0, "
                          "finite (got lo = %.17g, hi = %.17g)",
                          lo, hi);
    return MUON_SUCCESS;
}

int
muon_coeffs_optimal_cubic(double lo, double hi, muon_coeff *out, double *err)
{
    int st = check_interval(lo, hi);
    if (st)
        return st;
    /* p = beta * p_NS(alpha x): alpha makes p_NS(alpha l) = p_NS(alpha u)
     * (equal error at both ends), beta centres the range [p(l), 1] on 1. */
    long double l = lo, u = hi;
    long double alpha = sqrtl(3.0L / (u * u + l * u + l * l));
    long double a3 = alpha * alpha * alpha;
    long double beta = 4.0L / (2.0L + l * u * (l + u) * a3);
    out->a = (double)(1.5L * alpha * beta);
    out->b = (double)(-0.5L * a3 * beta);
    out->c = 0.0;
    if (err)
        *err = (double)(beta - 1.0L); /* max of beta p_NS is beta * 1 */
    return MUON_SUCCESS;
}

/* Solves the n x n system M z = rhs (n <= 4) in place by Gaussian
 * elimination with partial pivoting.  Returns -1 if singular. */
static int
solve_small(int n, long double M[4][4], long double z[4])
{
    for (int k = 0; k < n; k++) {
        int piv = k;
        for (int i = k + 1; i < n; i++)
            if (fabsl(M[i][k]) > fabsl(M[piv][k]))
                piv = i;
        if (M[piv][k] == 0.0L)
            return -1;
        if (piv != k) {
            for (int j = 0; j < n; j++) {
                long double t = M[k][j];
                M[k][j] = M[piv][j];
                M[piv][j] = t;
            }
            long double t = z[k];
            z[k] = z[piv];
            z[piv] = t;
        }
        for (int i = k + 1; i < n; i++) {
            long double f = M[i][k] / M[k][k];
            for (int j = k; j < n; j++)
                M[i][j] -= f * M[k][j];
            z[i] -= f * z[k];
        }
    }
    for (int k = n - 1; k >= 0; k--) {
        for (int j = k + 1; j < n; j++)
            z[k] -= M[k][j] * z[j];
        z[k] /= M[k][k];
    }
    return 0;
}

int
muon_coeffs_remez(int degree, double lo, double hi, muon_coeff *out,
                  double *err, unsigned *iters)
{
    if (degree != 3 && degree != 5)
        return MUON_ERROR(MUON_EINVAL, "Remez degree must be 3 or 5 (got %d)",
                          degree);
    int st = check_interval(lo, hi);
    if (st)
        return st;
    long double l = lo, u = hi;
    if (iters)
        *iters = 0;
    if (l / u >= MERGE_RATIO) {
        if (degree == 5)
            *out = (muon_coeff){(double)(15.0L / 8.0L / u),
                                (double)(-10.0L / 8.0L / (u * u * u)),
                                (double)(3.0L / 8.0L / (u * u * u * u * u))};
        else
            *out = (muon_coeff){(double)(1.5L / u),
                                (double)(-0.5L / (u * u * u)), 0.0};
        if (err)
            *err = 0.0;
        return MUON_SUCCESS;
    }
    /* k unknown coefficients and the levelled error E on k+1 points x_0 =
     * l < ... < x_k = u with p(x_i) - 1 = (-1)^(i+1) E: the error is -E at
     * l (p rises from 0) and alternates.  Interior points start evenly
     * spread (the paper: q = (3l+u)/4, r = (l+3u)/4) and move to the
     * critical points of p, where |p - 1| peaks. */
    int k = degree == 5 ? 3 : 2, n = k + 1;
    long double x[4];
    x[0] = l;
    x[k] = u;
    if (k == 3) {
        x[1] = (3.0L * l + u) / 4.0L;
        x[2] = (l + 3.0L * u) / 4.0L;
    } else {
        x[1] = (l + u) / 2.0L;
    }
    long double E = INFINITY, coef[3] = {0, 0, 0};
    for (unsigned it = 1; it <= REMEZ_MAXITER; it++) {
        long double M[4][4], z[4];
        for (int i = 0; i < n; i++) {
            long double xi = x[i], x2 = xi * xi;
            M[i][0] = xi;
            M[i][1] = xi * x2;
            if (k == 3)
                M[i][2] = xi * x2 * x2;
            M[i][k] = (i % 2 == 0) ? 1.0L : -1.0L;
            z[i] = 1.0L;
        }
        if (solve_small(n, M, z) != 0)
            return MUON_ERROR(MUON_ENOCONV,
                              "Remez degree %d on [%.17g, %.17g]: singular "
                              "system at iteration %u",
                              degree, lo, hi, it);
        for (int j = 0; j < k; j++)
            coef[j] = z[j];
        long double Enew = z[k];
        long double r[2];
        int nr = coeffs_critical_points(coef[0], coef[1],
                                        k == 3 ? coef[2] : 0.0L, r);
        if (nr != k - 1 || !(r[0] > l) || !(r[nr - 1] < u) || !isfinite(Enew))
            return MUON_ERROR(MUON_ENOCONV,
                              "Remez degree %d on [%.17g, %.17g]: the "
                              "critical points left the interval at "
                              "iteration %u",
                              degree, lo, hi, it);
        for (int j = 0; j < nr; j++)
            x[1 + j] = r[j];
        long double dE = fabsl(Enew - E);
        E = Enew;
        if (dE < REMEZ_TOL) {
            *out = (muon_coeff){(double)coef[0], (double)coef[1],
                                (double)coef[2]};
            if (err)
                *err = (double)fabsl(E);
            if (iters)
                *iters = it;
            return MUON_SUCCESS;
        }
    }
    return MUON_ERROR(MUON_ENOCONV,
                      "Remez degree %d on [%.17g, %.17g] did not converge "
                      "in %d iterations",
                      degree, lo, hi, REMEZ_MAXITER);
}

static int
validate_derive(const muon_coeffs_derive_params *dp)
{
    if (dp->degree != 3 && dp->degree != 5)
        return MUON_ERROR(MUON_EINVAL, "degree must be 3 or 5 (got %d)",
                          dp->degree);
    if (dp->steps < 1 || dp->steps > MUON_MAX_COEFFS)
        return MUON_ERROR(MUON_ERANGE, "steps must be in 1..%d (got %zu)",
                          MUON_MAX_COEFFS, dp->steps);
    if (!isfinite(dp->hi) || !(dp->hi > 0.0))
        return MUON_ERROR(MUON_ERANGE, "hi must be finite and > 0 (got %g)",
                          dp->hi);
    if (!isfinite(dp->lo) || !(dp->lo > 0.0) || !(dp->lo < dp->hi))
        return MUON_ERROR(MUON_ERANGE,
                          "lo must satisfy 0 < lo < hi = %g (got %g)", dp->hi,
                          dp->lo);
    /* s < 1 would widen instead of guard; s >= 2 leaves no useful map. */
    if (!isfinite(dp->safety) || !(dp->safety >= 1.0) || !(dp->safety < 2.0))
        return MUON_ERROR(MUON_ERANGE, "safety must be in [1, 2) (got %g)",
                          dp->safety);
    if (!isfinite(dp->cushion) || !(dp->cushion >= 0.0) ||
        !(dp->cushion < 1.0))
        return MUON_ERROR(MUON_ERANGE, "cushion must be in [0, 1) (got %g)",
                          dp->cushion);
    return MUON_SUCCESS;
}

int
muon_coeffs_derive(const muon_coeffs_derive_params *dp, muon_orth_params *out,
                   muon_coeffs_step_info *info, double *pred_err)
{
    int st = validate_derive(dp);
    if (st)
        return st;
    muon_coeff list[MUON_MAX_COEFFS];
    long double l = dp->lo, u = dp->hi;
    long double s = dp->safety;
    for (size_t t = 0; t < dp->steps; t++) {
        muon_coeffs_step_info si = {(double)l, (double)u, (double)l, 0, 0, 0};
        /* The cushion keeps p_t from being designed for tiny l_t, where the
         * optimal polynomial has a huge slope and little margin against
         * round-off; it is then rescaled so that its range on the real
         * interval [l_t, u_t] straddles 1 symmetrically. */
        int cushioned = dp->cushion > 0.0 && dp->cushion * u > l;
        long double le = cushioned ? (long double)dp->cushion * u : l;
        si.lo_eff = (double)le;
        muon_coeff q;
        double E;
        if (dp->degree == 3)
            st = muon_coeffs_optimal_cubic((double)le, (double)u, &q, &E);
        else
            st = muon_coeffs_remez(5, (double)le, (double)u, &q, &E,
                                   &si.iters);
        if (st)
            return st;
        si.err = E;
        long double qa = q.a, qb = q.b, qc = q.c;
        if (cushioned) {
            /* The paper rescales by 2 / (p(l) + p(u)).  At degree 5 p(l) is
             * the minimum over [l, u] and p(u) = 1 + E ties the interior
             * maximum, so 2 / (min + max) is the same number (to
             * round-off).  At degree 3 u is a minimum and the maximum is
             * interior: the paper's formula would leave p(q) above 2 -
             * l_{t+1}, outside the next design interval, and the
             * composition then diverges (e.g. degree 3, l = 0.05, cushion
             * 0.1, T = 4).  The exact range is right for both. */
            double mn, mx;
            muon_coeffs_poly_range(q, (double)l, (double)u, &mn, &mx);
            long double g = 2.0L / ((long double)mn + mx);
            qa *= g, qb *= g, qc *= g;
        }
        /* Safety: p(x / s) on all but the last step, so that singular values
         * up to s * u_t (round-off in low precision) are still mapped into
         * range; the last step is left sharp. */
        if (t + 1 < dp->steps) {
            qa /= s;
            qb /= s * s * s;
            qc /= s * s * s * s * s;
        }
        q = (muon_coeff){(double)qa, (double)qb, (double)qc};
        list[t] = q;
        double mn, mx;
        muon_coeffs_poly_range(q, (double)l, (double)u, &mn, &mx);
        si.dev = fmax(1.0 - mn, mx - 1.0);
        if (info)
            info[t] = si;
        l = coeffs_poly_ld(q, l);
        u = 2.0L - l;
        /* With a safety factor a nearly converged l can land above 1; the
         * interval is then taken as the single point 2 - l (the reference
         * implementation's guard), which keeps l <= u. */
        if (l > u)
            l = u;
    }
    for (size_t t = 0; t < dp->steps; t++)
        out->coeffs[t] = list[t];
    out->ncoeffs = dp->steps;
    out->steps = dp->steps;
    if (pred_err)
        *pred_err = (double)(1.0L - l);
    return MUON_SUCCESS;
}
