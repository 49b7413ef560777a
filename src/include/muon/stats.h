/* stats.h: statistics across seeds: mean, standard deviation, Student-t
 * confidence interval, and Welch's unequal-variance t-test (GSL cdf). */
#ifndef MUON_STATS_H
#define MUON_STATS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Summary of one sample x_1..x_n. */
typedef struct {
    size_t n;       /* sample size */
    double mean;    /* arithmetic mean */
    double sd;      /* sample standard deviation (n - 1 denominator); NaN if n < 2 */
    double sem;     /* standard error sd / sqrt(n); NaN if n < 2 */
    double ci_half; /* half-width t_{(1+level)/2, n-1} * sem; NaN if n < 2 */
    double ci_lo;   /* mean - ci_half */
    double ci_hi;   /* mean + ci_half */
} muon_stats_summary;

/* Summarises x[0..n-1] with a two-sided confidence interval at `level`
 * (0.95 for 95%), using the Student t quantile with n - 1 degrees of
 * freedom (gsl_cdf_tdist_Pinv).  With n == 1 the mean is reported and sd,
 * sem and the interval are NaN (one seed says nothing about spread).
 * Returns MUON_SUCCESS, MUON_EINVAL (x NULL with n > 0, n == 0, level not
 * in (0, 1)), or MUON_ENONFINITE (a non-finite x; callers drop diverged
 * runs explicitly and count them, they are never averaged in). */
int muon_stats_summarize(const double *x, size_t n, double level,
                         muon_stats_summary *out);

/* Result of Welch's t-test of H0: mean(a) == mean(b). */
typedef struct {
    double diff; /* mean(a) - mean(b) */
    double se;   /* sqrt(s_a^2/n_a + s_b^2/n_b) */
    double t;    /* diff / se */
    double df;   /* Welch-Satterthwaite degrees of freedom */
    double p;    /* two-sided p-value, 2 * Q_t(|t|; df) */
} muon_stats_welch;

/* Welch's t-test between a[0..na-1] and b[0..nb-1].  Needs na, nb >= 2.
 * Returns MUON_SUCCESS, MUON_EINVAL (a sample with fewer than 2 values, or
 * both samples with zero variance: t and df are then undefined),
 * MUON_ENONFINITE (a non-finite value).  `out` is written only on success. */
int muon_stats_welch_test(const double *a, size_t na, const double *b,
                          size_t nb, muon_stats_welch *out);

#ifdef __cplusplus
}
#endif

#endif /* MUON_STATS_H */
