/* timer.c: a monotonic clock for timing orthogonalizers and steps. */
#include "muon/metrics.h"

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
