/* measure.c: an orthogonalizer output against the exact polar factor of
 * its input, in fp64 (see muon/metrics.h). */
#include "muon/metrics.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "muon/status.h"

/* Storage trick used throughout: a row-major m x n matrix is the
 * column-major n x m matrix of its transpose, so LAPACK is called in
 * column-major layout on A = G^T without any transposed copy.  (LAPACKE's
 * row-major layout would transpose into freshly malloc'ed buffers on every
 * call, which a measurement inside a loop must not do.)  With the thin SVD
 * A = X diag(s) Y  (X: n x k, Y: k x m, column-major), G = Y^T diag(s) X^T
 * and the polar factor P = Y_r^T X_r^T, i.e. P^T = X_r Y_r. */
struct muon_measure {
    size_t m, n, k; /* k = min(m, n) */
    int have_input;
    size_t rank;  /* singular values of G above the cutoff */
    double *A;    /* (n, m) column-major scratch, LAPACK destroys it */
    double *X;    /* (n, k) column-major */
    double *Y;    /* (k, m) column-major */
    double *P;    /* (m, n) row-major polar factor */
    double *sG;   /* (k) input singular values */
    double *sO;   /* (k) output singular values */
    double *gram; /* (k, k) O O^T or O^T O */
    double *work;
    int lwork;
    int *iwork; /* (8k) for dgesdd */
};

void
muon_measure_free(muon_measure *w)
{
    if (!w)
        return;
    free(w->A);
    free(w->X);
    free(w->Y);
    free(w->P);
    free(w->sG);
    free(w->sO);
    free(w->gram);
    free(w->work);
    free(w->iwork);
    free(w);
}

/* Largest work size any of the four SVD calls can ask for. */
static int
query_lwork(muon_measure *w, int *lwork)
{
    int M = (int)w->n, N = (int)w->m, K = (int)w->k, info;
    double q, best = 1.0;
    info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', M, N, w->A, M, w->sG,
                               w->X, M, w->Y, K, &q, -1, w->iwork);
    best = info == 0 && q > best ? q : best;
    if (info == 0)
        info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', M, N, w->A, M, w->sG,
                                   NULL, 1, NULL, 1, &q, -1, w->iwork);
    best = info == 0 && q > best ? q : best;
    if (info == 0)
        info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'S', 'S', M, N, w->A, M,
                                   w->sG, w->X, M, w->Y, K, &q, -1);
    best = info == 0 && q > best ? q : best;
    if (info == 0)
        info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', M, N, w->A, M,
                                   w->sG, NULL, 1, NULL, 1, &q, -1);
    best = info == 0 && q > best ? q : best;
    if (info != 0)
        return MUON_ERROR(MUON_EINTERNAL,
                          "measure: LAPACK work-size query "
                          "failed (info %d)",
                          info);
    if (best > (double)INT_MAX)
        return MUON_ERROR(MUON_ENOMEM,
                          "measure: LAPACK work size %.0f "
                          "exceeds INT_MAX",
                          best);
    *lwork = (int)best;
    return MUON_SUCCESS;
}

muon_measure *
muon_measure_alloc(size_t m, size_t n)
{
    size_t mn, kk;
    if (m < 1 || n < 1 || m > INT_MAX || n > INT_MAX)
        return MUON_ERROR_NULL(MUON_EBADLEN,
                               "measure: need 1 <= m, n <= %d "
                               "(got %zu x %zu)",
                               INT_MAX, m, n);
    size_t k = m < n ? m : n;
    if (muon_size_mul3(&mn, m, n, sizeof(double)) ||
        muon_size_mul3(&kk, k, k, sizeof(double)) || 8 * k > INT_MAX)
        return NULL;
    muon_measure *w = calloc(1, sizeof *w);
    if (!w)
        return MUON_ERROR_NULL(MUON_ENOMEM, "measure: out of memory");
    w->m = m;
    w->n = n;
    w->k = k;
    w->A = malloc(mn);
    w->X = malloc(n * k * sizeof(double));
    w->Y = malloc(k * m * sizeof(double));
    w->P = malloc(mn);
    w->sG = malloc(k * sizeof(double));
    w->sO = malloc(k * sizeof(double));
    w->gram = malloc(kk);
    w->iwork = malloc(8 * k * sizeof(int));
    if (!w->A || !w->X || !w->Y || !w->P || !w->sG || !w->sO || !w->gram ||
        !w->iwork) {
        muon_measure_free(w);
        return MUON_ERROR_NULL(MUON_ENOMEM,
                               "measure: out of memory for "
                               "%zu x %zu",
                               m, n);
    }
    if (query_lwork(w, &w->lwork)) {
        muon_measure_free(w);
        return NULL;
    }
    w->work = malloc((size_t)w->lwork * sizeof(double));
    if (!w->work) {
        muon_measure_free(w);
        return MUON_ERROR_NULL(MUON_ENOMEM, "measure: out of memory");
    }
    return w;
}

/* Counts NaN/Inf entries; *first is the index of the first one. */
static size_t
count_nonfinite(const double *x, size_t len, size_t *first)
{
    size_t bad = 0;
    for (size_t i = 0; i < len; i++)
        if (!isfinite(x[i]) && bad++ == 0)
            *first = i;
    return bad;
}

/* SVD of the row-major m x n matrix src: singular values into s and, if
 * vectors, the thin factors into w->X, w->Y.  dgesdd first; dgesvd if it
 * does not converge (dgesdd's divide and conquer is faster but fails on
 * rare inputs where QR iteration still converges). */
static int
svd(muon_measure *w, const double *src, double *s, int vectors)
{
    int M = (int)w->n, N = (int)w->m, K = (int)w->k;
    char job = vectors ? 'S' : 'N';
    double *X = vectors ? w->X : NULL, *Y = vectors ? w->Y : NULL;
    int ldx = vectors ? M : 1, ldy = vectors ? K : 1;
    memcpy(w->A, src, w->m * w->n * sizeof(double));
    int info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, job, M, N, w->A, M, s, X,
                                   ldx, Y, ldy, w->work, w->lwork, w->iwork);
    if (info > 0) {
        memcpy(w->A, src, w->m * w->n * sizeof(double));
        info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, job, job, M, N, w->A, M, s,
                                   X, ldx, Y, ldy, w->work, w->lwork);
        if (info > 0)
            return MUON_ERROR(MUON_ENOCONV,
                              "measure: SVD of a %zu x %zu "
                              "matrix did not converge (dgesdd and dgesvd, "
                              "info %d)",
                              w->m, w->n, info);
    }
    if (info < 0)
        return MUON_ERROR(MUON_EINTERNAL,
                          "measure: LAPACK argument %d was "
                          "invalid",
                          -info);
    return MUON_SUCCESS;
}

int
muon_measure_set_input(muon_measure *w, const double *G)
{
    size_t m = w->m, n = w->n, k = w->k, first = 0;
    w->have_input = 0;
    size_t bad = count_nonfinite(G, m * n, &first);
    if (bad)
        return MUON_ERROR(MUON_ENONFINITE,
                          "measure: input has %zu non-finite "
                          "entries (first at row %zu, column %zu: %g)",
                          bad, first / n, first % n, G[first]);
    int st = svd(w, G, w->sG, 1);
    if (st)
        return st;
    /* The `svd` orthogonalizer's default cutoff (muon/orth.h svd_rcond):
     * directions at the round-off level of sigma_1 are noise, and the
     * polar factor of a (numerically) zero matrix is zero. */
    double cut = (double)(m > n ? m : n) * DBL_EPSILON * w->sG[0];
    size_t r = 0;
    while (r < k && w->sG[r] > cut)
        r++;
    w->rank = r;
    if (r == 0) {
        memset(w->P, 0, m * n * sizeof(double));
    } else {
        /* P^T (n x m, column-major) = X_r (n x r) * Y_r (r x m) */
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)m,
                    (int)r, 1.0, w->X, (int)n, w->Y, (int)k, 0.0, w->P, (int)n);
    }
    w->have_input = 1;
    return MUON_SUCCESS;
}

const double *
muon_measure_input_sv(const muon_measure *w, size_t *rank)
{
    if (!w->have_input)
        return NULL;
    if (rank)
        *rank = w->rank;
    return w->sG;
}

const double *
muon_measure_polar(const muon_measure *w)
{
    return w->have_input ? w->P : NULL;
}

/* ||I - S||_F from the upper triangle of the symmetric k x k matrix S. */
static double
dist_to_identity_upper(const double *S, size_t k)
{
    double diag = 0.0, off = 0.0;
    for (size_t i = 0; i < k; i++) {
        double d = S[i * k + i] - 1.0;
        diag += d * d;
        for (size_t j = i + 1; j < k; j++)
            off += S[i * k + j] * S[i * k + j];
    }
    return sqrt(diag + 2.0 * off);
}

int
muon_measure_output(muon_measure *w, const double *O, muon_quality *q,
                    double *sv)
{
    size_t m = w->m, n = w->n, k = w->k, first = 0;
    q->sv = (muon_spread){NAN, NAN, NAN, NAN, NAN};
    q->polar_err = q->orth_err = NAN;
    if (!w->have_input)
        return MUON_ERROR(MUON_EINVAL, "measure: no input set (call "
                                       "muon_measure_set_input first)");
    size_t bad = count_nonfinite(O, m * n, &first);
    if (bad)
        return MUON_ERROR(MUON_ENONFINITE,
                          "measure: output has %zu "
                          "non-finite entries (first at row %zu, column %zu: "
                          "%g)",
                          bad, first / n, first % n, O[first]);
    int st = svd(w, O, w->sO, 0);
    if (st)
        return st;
    muon_spread_stats(w->sO, k, &q->sv);
    if (sv)
        memcpy(sv, w->sO, k * sizeof *sv);

    /* ||O - P||_F row by row with the scaling dnrm2, combined by hypot, so
     * a huge (diverged but finite) output gives a large number, not Inf. */
    double acc = 0.0;
    for (size_t i = 0; i < m; i++) {
        double *d = w->A;
        for (size_t j = 0; j < n; j++)
            d[j] = O[i * n + j] - w->P[i * n + j];
        acc = hypot(acc, cblas_dnrm2((int)n, d, 1));
    }
    q->polar_err = acc / sqrt((double)k);

    /* The Gram matrix on the small side: O O^T (m x m) if wide, O^T O
     * (n x n) if tall; syrk computes only its upper triangle. */
    if (m <= n)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)m, (int)n,
                    1.0, O, (int)n, 0.0, w->gram, (int)k);
    else
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)n, (int)m, 1.0,
                    O, (int)n, 0.0, w->gram, (int)k);
    q->orth_err = dist_to_identity_upper(w->gram, k);
    return MUON_SUCCESS;
}
