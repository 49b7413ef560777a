/* vcheck.h: the PASS/FAIL protocol of every verify program: one line per
 * claim with the measured value and its bound, then "N passed, N failed";
 * exit status 1 if anything failed. */
#ifndef MUON_VCHECK_H
#define MUON_VCHECK_H

#include <stdarg.h>
#include <stdio.h>

static int vcheck_passed, vcheck_failed;

/* Records one claim: `value <= bound` (NaN fails).  The name is printf-style. */
static inline int
vcheck_le(double value, double bound, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline int
vcheck_le(double value, double bound, const char *fmt, ...)
{
    int ok = value <= bound; /* false for NaN */
    va_list ap;
    printf("%s: ", ok ? "PASS" : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf(": %.6g <= %.6g\n", value, bound);
    if (ok)
        vcheck_passed++;
    else
        vcheck_failed++;
    return ok;
}

/* Records a boolean claim with a free-form detail. */
static inline int
vcheck_true(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline int
vcheck_true(int ok, const char *fmt, ...)
{
    va_list ap;
    printf("%s: ", ok ? "PASS" : "FAIL");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (ok)
        vcheck_passed++;
    else
        vcheck_failed++;
    return ok;
}

/* Prints the closing line and returns the exit status. */
static inline int
vcheck_finish(void)
{
    printf("%d passed, %d failed\n", vcheck_passed, vcheck_failed);
    return vcheck_failed ? 1 : 0;
}

#endif /* MUON_VCHECK_H */
