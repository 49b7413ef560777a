/* timer.c: a monotonic clock for timing orthogonalizers and steps. */
#include "muon/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

double
muon_time_now(void)
{
    /* CLOCK_MONOTONIC never jumps with NTP or date changes, so intervals
     * are right; it cannot fail for a valid clock id on Linux. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double
muon_sorted_median(double *x, size_t n, double *q1, double *q3)
{
    if (n == 0) {
        if (q1)
            *q1 = NAN;
        if (q3)
            *q3 = NAN;
        return NAN;
    }
    qsort(x, n, sizeof *x, cmp_double);
    if (q1)
        *q1 = x[n / 4];
    if (q3)
        *q3 = x[(3 * n) / 4 < n ? (3 * n) / 4 : n - 1];
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}
