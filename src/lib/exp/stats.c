/* stats.c: mean, sd, Student-t confidence intervals and Welch's t-test
 * (Welch 1947; Satterthwaite 1946) on top of GSL's t distribution. */
#include "muon/stats.h"

#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include "muon/status.h"

static int
check_finite(const double *x, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return MUON_ERROR(MUON_ENONFINITE,
                              "%s: value %zu of %zu is %g (drop diverged runs "
                              "before averaging)", what, i + 1, n, x[i]);
    return MUON_SUCCESS;
}

int
muon_stats_summarize(const double *x, size_t n, double level,
                     muon_stats_summary *out)
{
    if (n == 0)
        return MUON_ERROR(MUON_EINVAL, "summary of an empty sample");
    if (!x || !out)
        return MUON_ERROR(MUON_EINVAL, "summary: NULL argument");
    if (!(level > 0.0 && level < 1.0))
        return MUON_ERROR(MUON_EINVAL,
                          "confidence level must be in (0, 1) (got %g)",
                          level);
    int rc = check_finite(x, n, "summary");
    if (rc)
        return rc;
    muon_stats_summary s;
    s.n = n;
    /* GSL's mean is a running-update mean and its variance is two-pass
     * about that mean, so large offsets (loss ~ 1e3 +- 1e-6) keep their
     * digits. */
    s.mean = gsl_stats_mean(x, 1, n);
    if (n < 2) {
        s.sd = s.sem = s.ci_half = s.ci_lo = s.ci_hi = NAN;
    } else {
        s.sd = gsl_stats_sd_m(x, 1, n, s.mean);
        s.sem = s.sd / sqrt((double)n);
        double q = gsl_cdf_tdist_Pinv(0.5 + 0.5 * level, (double)(n - 1));
        s.ci_half = q * s.sem;
        s.ci_lo = s.mean - s.ci_half;
        s.ci_hi = s.mean + s.ci_half;
    }
    *out = s;
    return MUON_SUCCESS;
}

int
muon_stats_welch_test(const double *a, size_t na, const double *b,
                      size_t nb, muon_stats_welch *out)
{
    if (!a || !b || !out)
        return MUON_ERROR(MUON_EINVAL, "welch: NULL argument");
    if (na < 2 || nb < 2)
        return MUON_ERROR(MUON_EINVAL,
                          "Welch t-test needs at least 2 values per sample "
                          "(got %zu and %zu)", na, nb);
    int rc = check_finite(a, na, "welch sample A");
    if (!rc)
        rc = check_finite(b, nb, "welch sample B");
    if (rc)
        return rc;
    double ma = gsl_stats_mean(a, 1, na), mb = gsl_stats_mean(b, 1, nb);
    double va = gsl_stats_variance_m(a, 1, na, ma) / (double)na;
    double vb = gsl_stats_variance_m(b, 1, nb, mb) / (double)nb;
    double se2 = va + vb;
    if (!(se2 > 0.0))
        return MUON_ERROR(MUON_EINVAL,
                          "Welch t-test undefined: both samples have zero "
                          "variance (means %.17g and %.17g)", ma, mb);
    muon_stats_welch w;
    w.diff = ma - mb;
    w.se = sqrt(se2);
    w.t = w.diff / w.se;
    /* Welch-Satterthwaite: df = (va + vb)^2 / (va^2/(na-1) + vb^2/(nb-1))
     * with va, vb the squared standard errors; the denominator is > 0
     * because se2 > 0. */
    w.df = se2 * se2 /
           (va * va / (double)(na - 1) + vb * vb / (double)(nb - 1));
    /* Two-sided p from the upper tail of |t|: computing 2*Q directly keeps
     * tiny p-values that 1 - P would round to 0. */
    w.p = 2.0 * gsl_cdf_tdist_Q(fabs(w.t), w.df);
    if (w.p > 1.0)
        w.p = 1.0;
    *out = w;
    return MUON_SUCCESS;
}
