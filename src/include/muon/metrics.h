/* metrics.h: how good is an orthogonalizer's output?  Measured in fp64
 * against the exact polar factor of its input; plus spread statistics and
 * a monotonic timer.
 *
 * For an m x n input G = U_G diag(sigma) V_G^T (thin SVD), the exact polar
 * factor is P = U_r V_r^T over the r singular values above the cutoff
 *     sigma_i > max(m,n) * DBL_EPSILON * sigma_1,
 * the same cutoff as the `svd` orthogonalizer's default (svd_rcond < 0 in
 * muon/orth.h), so that the svd method measures as exact and the zero
 * matrix has P = 0 (PITFALLS.md 3).  For an output O (m x n) of
 * orthogonalizing G:
 *     polar error  ||O - P||_F / sqrt(min(m,n))    (0 for exact; the RMS
 *                  error per singular direction, so 1 for O = 0 with G of
 *                  full rank)
 *     orth error   ||O O^T - I_m||_F  if m <= n,  ||O^T O - I_n||_F if
 *                  m > n  (0 for an exactly orthogonal O; for a
 *                  rank-deficient G even P has orth error sqrt(min - r))
 *     singular values of O and their spread.
 */
#ifndef MUON_METRICS_H
#define MUON_METRICS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Summary of k values, e.g. singular values. */
typedef struct {
    double min, max;
    double mean;
    double std;   /* population standard deviation (divides by k) */
    double ratio; /* max / min; +Inf if min == 0 */
} muon_spread;

/* Fills *out for x[0..k-1] (any order).  k == 0, or any NaN among the
 * values, gives NaN in every field.  Overflow-safe for |x| up to DBL_MAX
 * (the mean and deviations are taken relative to max |x|). */
void muon_spread_stats(const double *x, size_t k, muon_spread *out);

/* Quality of one output. */
typedef struct {
    muon_spread sv;   /* singular values of O */
    double polar_err; /* ||O - P||_F / sqrt(min(m,n)) */
    double orth_err;  /* ||O O^T - I||_F (wide) or ||O^T O - I||_F (tall) */
} muon_quality;

/* Workspace for m x n inputs.  Opaque; owns every buffer, and the LAPACK
 * work sizes are queried at alloc, so set_input and output never
 * allocate. */
typedef struct muon_measure muon_measure;

/* Allocates a workspace for m x n matrices (1 <= m, n <= INT_MAX).
 * Returns NULL, reported (MUON_EBADLEN for bad sizes, MUON_ENOMEM, or
 * MUON_EINTERNAL if a LAPACK work-size query fails).  Free with
 * muon_measure_free. */
muon_measure *muon_measure_alloc(size_t m, size_t n);

/* Frees w; NULL is a no-op. */
void muon_measure_free(muon_measure *w);

/* Sets the input G (m x n row-major; not kept): computes its SVD (dgesdd,
 * falling back to dgesvd if dgesdd does not converge) and the exact polar
 * factor P.  Returns MUON_ENONFINITE (reported with the count of NaN/Inf
 * entries, checked before LAPACK, which lets Inf through: PITFALLS.md 4),
 * MUON_ENOCONV if both SVDs fail, MUON_EINTERNAL on a LAPACK argument
 * error; on failure the previous input is forgotten. */
int muon_measure_set_input(muon_measure *w, const double *G);

/* Measures an output O (m x n row-major) against the current input: fills
 * *q and, if sv is not NULL, the min(m,n) singular values of O in
 * descending order.  Returns MUON_EINVAL if no input was set,
 * MUON_ENONFINITE (every field of *q NaN) if O has NaN/Inf entries,
 * MUON_ENOCONV / MUON_EINTERNAL from LAPACK; all reported. */
int muon_measure_output(muon_measure *w, const double *O, muon_quality *q,
                        double *sv);

/* The input's singular values (min(m,n), descending; owned by w, valid
 * until the next set_input) and, if rank is not NULL, the number above the
 * cutoff.  NULL if no input is set. */
const double *muon_measure_input_sv(const muon_measure *w, size_t *rank);

/* The input's exact polar factor P (m x n row-major, owned by w).  NULL if
 * no input is set. */
const double *muon_measure_polar(const muon_measure *w);

/* Seconds on CLOCK_MONOTONIC (for intervals only; not a wall-clock
 * time).  Never fails on Linux. */
double muon_time_now(void);

/* Sorts the n timings in x ascending (in place) and returns their median
 * (the mean of the two middle values for even n; NaN for n = 0).  q1 and q3
 * (may be NULL) receive the lower and upper quartiles by nearest rank. */
double muon_sorted_median(double *x, size_t n, double *q1, double *q3);

#ifdef __cplusplus
}
#endif

#endif /* MUON_METRICS_H */
