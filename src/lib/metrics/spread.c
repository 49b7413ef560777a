/* spread.c: min / max / mean / std / ratio of a set of values. */
#include "muon/metrics.h"

#include <math.h>

void
muon_spread_stats(const double *x, size_t k, muon_spread *out)
{
    out->min = out->max = out->mean = out->std = out->ratio = NAN;
    if (k == 0)
        return;
    double lo = x[0], hi = x[0], big = 0.0;
    for (size_t i = 0; i < k; i++) {
        if (isnan(x[i]))
            return;
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
        big = fabs(x[i]) > big ? fabs(x[i]) : big;
    }
    out->min = lo;
    out->max = hi;
    out->ratio = lo == 0.0 ? INFINITY : hi / lo;
    if (big == 0.0 || isinf(big)) {
        /* All zero: mean = std = 0.  With an infinite value the moments are
         * not finite numbers; report what IEEE arithmetic gives. */
        double sum = 0.0;
        for (size_t i = 0; i < k; i++)
            sum += x[i];
        out->mean = sum / (double)k;
        out->std = big == 0.0 ? 0.0 : NAN;
        return;
    }
    /* Work with x / big in [-1, 1] so that neither the sum nor the squares
     * overflow for values near DBL_MAX; two passes for accuracy (the
     * one-pass sum-of-squares formula cancels catastrophically when the
     * spread is small, which is exactly the case of interest here). */
    double sum = 0.0;
    for (size_t i = 0; i < k; i++)
        sum += x[i] / big;
    double mean = sum / (double)k, ss = 0.0;
    for (size_t i = 0; i < k; i++) {
        double d = x[i] / big - mean;
        ss += d * d;
    }
    out->mean = mean * big;
    out->std = sqrt(ss / (double)k) * big;
}
