/* stats.c: the every-k-steps exact fp64 SVD statistics of the Muon driver:
 * singular values of the orthogonalizer input U and output O, and the
 * distance of O from the exact polar factor of U.
 *
 * LAPACKE's row-major path transposes through freshly allocated buffers, so
 * we call the column-major routine on the same memory instead: a row-major
 * A x B matrix is the column-major B x A matrix X = U^T.  If X = Q S R^T,
 * the polar factor Q R^T of X is, read back in row-major order, exactly the
 * polar factor of U.  Workspace sizes are queried once at alloc. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <cblas.h>
#include <lapacke.h>

#include "muon/status.h"
#include "optim_impl.h"

struct muon_svd_stats {
    double *a, *p, *q, *rt, *s, *work;
    lapack_int *iwork;
    lapack_int lwork;
};

void
muon_svd_stats_free(muon_svd_stats *s)
{
    if (!s)
        return;
    free(s->a);
    free(s->p);
    free(s->q);
    free(s->rt);
    free(s->s);
    free(s->work);
    free(s->iwork);
    free(s);
}

static lapack_int
query(char jobz, size_t A, size_t B)
{
    lapack_int m = (lapack_int)B, n = (lapack_int)A;
    lapack_int k = m < n ? m : n;
    double w = 0.0, dummy = 0.0;
    lapack_int iw = 0;
    lapack_int info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, jobz, m, n, &dummy,
                                          m, &dummy, &dummy, m, &dummy, k, &w,
                                          -1, &iw);
    return info == 0 ? (lapack_int)w + 1 : -1;
}

muon_svd_stats *
muon_svd_stats_alloc(const size_t *A, const size_t *B, size_t nshapes)
{
    size_t mn = 1, k = 1;
    lapack_int lwork = 1;
    for (size_t i = 0; i < nshapes; i++) {
        size_t c;
        if (muon_size_mul(&c, A[i], B[i]))
            return NULL;
        mn = c > mn ? c : mn;
        size_t ki = A[i] < B[i] ? A[i] : B[i];
        k = ki > k ? ki : k;
        for (int j = 0; j < 2; j++) {
            lapack_int l = query(j ? 'S' : 'N', A[i], B[i]);
            if (l < 0)
                return MUON_ERROR_NULL(MUON_EINTERNAL, "dgesdd workspace "
                                       "query failed for %zu x %zu", A[i],
                                       B[i]);
            lwork = l > lwork ? l : lwork;
        }
    }
    muon_svd_stats *s = calloc(1, sizeof *s);
    if (!s)
        return MUON_ERROR_NULL(MUON_ENOMEM, "out of memory (SVD statistics)");
    s->lwork = lwork;
    /* q is B x k and rt is k x A: both fit in max(A, B) * k <= mn. */
    s->a = malloc(mn * sizeof(double));
    s->p = malloc(mn * sizeof(double));
    s->q = malloc(mn * sizeof(double));
    s->rt = malloc(mn * sizeof(double));
    s->s = malloc(k * sizeof(double));
    s->work = malloc((size_t)lwork * sizeof(double));
    s->iwork = malloc(8 * k * sizeof(lapack_int));
    if (!s->a || !s->p || !s->q || !s->rt || !s->s || !s->work ||
        !s->iwork) {
        muon_svd_stats_free(s);
        return MUON_ERROR_NULL(MUON_ENOMEM, "out of memory (SVD statistics)");
    }
    return s;
}

static void
summarise(const double *sv, size_t k, double *mn, double *mx, double *spread)
{
    /* dgesdd returns singular values in descending order. */
    *mx = sv[0];
    *mn = sv[k - 1];
    *spread = *mx > 0.0 ? (*mx - *mn) / *mx : 0.0;
}

int
muon_svd_stats_measure(muon_svd_stats *s, size_t A, size_t B, const float *U,
                       const float *O, muon_optim_stats *st)
{
    size_t count = A * B, k = A < B ? A : B;
    lapack_int m = (lapack_int)B, n = (lapack_int)A, kk = (lapack_int)k;
    st->svd = 1;
    if (k == 0)
        return MUON_SUCCESS;
    for (size_t i = 0; i < count; i++)
        s->a[i] = U[i];
    lapack_int info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', m, n, s->a,
                                          m, s->s, s->q, m, s->rt, kk,
                                          s->work, s->lwork, s->iwork);
    if (info != 0)
        return MUON_ERROR(MUON_ENOCONV, "statistics: dgesdd of the %zu x %zu "
                          "momentum failed (info %d)", A, B, (int)info);
    summarise(s->s, k, &st->m_min, &st->m_max, &st->m_spread);
    /* The rank cutoff of PITFALLS.md 3: directions at round-off level are
     * not part of the polar factor (Newton-Schulz sends them to ~0). */
    double cut = (double)(A > B ? A : B) * DBL_EPSILON * s->s[0];
    for (size_t j = 0; j < k; j++)
        if (!(s->s[j] > cut))
            for (size_t i = 0; i < B; i++)
                s->q[j * B + i] = 0.0;
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, m, n, kk, 1.0, s->q,
                m, s->rt, kk, 0.0, s->p, m);
    double e = 0.0;
    for (size_t i = 0; i < count; i++) {
        double d = (double)O[i] - s->p[i];
        e += d * d;
        s->a[i] = O[i];
    }
    st->polar_error = sqrt(e / (double)k);
    info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', m, n, s->a, m, s->s,
                               NULL, m, NULL, kk, s->work, s->lwork,
                               s->iwork);
    if (info != 0)
        return MUON_ERROR(MUON_ENOCONV, "statistics: dgesdd of the %zu x %zu "
                          "update failed (info %d)", A, B, (int)info);
    summarise(s->s, k, &st->u_min, &st->u_max, &st->u_spread);
    return MUON_SUCCESS;
}
