/* svd.c: the exact polar factor U V^T via LAPACK (gesdd, falling back to
 * gesvd when gesdd does not converge), always computed in fp64.  It is the
 * reference every other method is measured against.
 *
 * Rank cutoff (PITFALLS.md 3, 3.6): singular values sigma_i <= rcond *
 * sigma_1 are treated as zero and their directions dropped, with rcond =
 * max(m,n) * DBL_EPSILON by default: the level below which a computed
 * singular value is indistinguishable from round-off in a backward-stable
 * SVD.  Raw LAPACK would return a full-weight direction for them (a zero or
 * rank-1 matrix gets ||U V^T||_F = sqrt(2)), which no polynomial method does.
 *
 * Layout trick: the row-major rows x cols working matrix X is, read
 * column-major, X^T (cols x rows).  We decompose X^T = V S U^T with
 * column-major LAPACK calls (so LAPACKE never allocates a transposed copy),
 * and the column-major product V_k U_k^T, read row-major, is U_k V_k^T.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include <cblas.h>
#include <lapacke.h>

#include "muon/status.h"
#include "orth_impl.h"

typedef struct {
    double *a;     /* copy of X: LAPACK destroys its input */
    double *s;     /* rows singular values */
    double *u;     /* cols x rows, column-major (left vectors of X^T = V) */
    double *vt;    /* rows x rows, column-major (U^T) */
    double *o;     /* result, rows x cols row-major */
    double *work;
    lapack_int *iwork;
    lapack_int lwork_sdd, lwork_svd;
} svd_state;

static void
svd_free(muon_orth_workspace *w)
{
    svd_state *s = w->state;
    if (!s)
        return;
    free(s->a);
    free(s->s);
    free(s->u);
    free(s->vt);
    free(s->o);
    free(s->work);
    free(s->iwork);
    free(s);
    w->state = NULL;
}

static int
svd_alloc(muon_orth_workspace *w)
{
    lapack_int M = (lapack_int)w->cols, N = (lapack_int)w->rows; /* X^T */
    svd_state *s = calloc(1, sizeof *s);
    if (!s)
        return MUON_ERROR(MUON_ENOMEM, "svd: out of memory");
    w->state = s;
    size_t mn = (size_t)M * N;
    s->a = malloc(mn * sizeof *s->a);
    s->s = malloc((size_t)N * sizeof *s->s);
    s->u = malloc(mn * sizeof *s->u);
    s->vt = malloc((size_t)N * N * sizeof *s->vt);
    s->o = malloc(mn * sizeof *s->o);
    s->iwork = malloc(8 * (size_t)N * sizeof *s->iwork);
    if (!s->a || !s->s || !s->u || !s->vt || !s->o || !s->iwork)
        return MUON_ERROR(MUON_ENOMEM, "svd: out of memory for %zu x %zu",
                          w->rows, w->cols);
    /* Workspace queries, once, so apply never allocates. */
    double q1 = 0, q2 = 0;
    lapack_int info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', M, N, s->a,
                                          M, s->s, s->u, M, s->vt, N, &q1, -1,
                                          s->iwork);
    if (info != 0)
        return MUON_ERROR(MUON_EINTERNAL, "svd: dgesdd workspace query "
                          "failed (info %d)", (int)info);
    info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'S', 'S', M, N, s->a, M, s->s,
                               s->u, M, s->vt, N, &q2, -1);
    if (info != 0)
        return MUON_ERROR(MUON_EINTERNAL, "svd: dgesvd workspace query "
                          "failed (info %d)", (int)info);
    s->lwork_sdd = (lapack_int)q1;
    s->lwork_svd = (lapack_int)q2;
    lapack_int lw = s->lwork_sdd > s->lwork_svd ? s->lwork_sdd : s->lwork_svd;
    s->work = malloc((size_t)(lw > 1 ? lw : 1) * sizeof *s->work);
    if (!s->work)
        return MUON_ERROR(MUON_ENOMEM, "svd: out of memory for LAPACK "
                          "workspace (%ld doubles)", (long)lw);
    return MUON_SUCCESS;
}

static int
svd_apply(muon_orth_workspace *w, void **result)
{
    svd_state *s = w->state;
    lapack_int M = (lapack_int)w->cols, N = (lapack_int)w->rows;
    size_t mn = (size_t)M * N;
    for (size_t i = 0; i < mn; i++)
        s->a[i] = w->xd[i];
    lapack_int info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', M, N, s->a,
                                          M, s->s, s->u, M, s->vt, N, s->work,
                                          s->lwork_sdd, s->iwork);
    if (info > 0) {
        /* gesdd's divide and conquer failed to converge: gesvd (QR
         * iteration) is slower but more robust.  Restore the input. */
        for (size_t i = 0; i < mn; i++)
            s->a[i] = w->xd[i];
        info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'S', 'S', M, N, s->a, M,
                                   s->s, s->u, M, s->vt, N, s->work,
                                   s->lwork_svd);
        if (info > 0)
            return MUON_ERROR(MUON_ENOCONV, "svd: %zu x %zu did not converge "
                              "in dgesdd nor dgesvd (info %d)", w->m, w->n,
                              (int)info);
    }
    if (info < 0)
        return MUON_ERROR(MUON_EINTERNAL, "svd: LAPACK rejected argument %d",
                          (int)-info);
    double rcond = w->p.svd_rcond >= 0 ? w->p.svd_rcond
                                       : (double)M * DBL_EPSILON;
    lapack_int k = 0;
    while (k < N && s->s[k] > rcond * s->s[0])
        k++;
    /* O (row-major rows x cols) = column-major (cols x rows) V_k U_k^T. */
    if (k == 0) {
        for (size_t i = 0; i < mn; i++)
            s->o[i] = 0.0;
    } else {
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, M, N, k, 1.0,
                    s->u, M, s->vt, N, 0.0, s->o, M);
    }
    *result = s->o;
    return MUON_SUCCESS;
}

static double
svd_flops(const muon_orth_params *p, size_t s, size_t l)
{
    (void)p;
    /* Golub & Van Loan (4th ed., Fig. 8.6.1), R-SVD computing U1, Sigma, V:
     * 4 l s^2 + 22 s^3; plus the U_k V_k^T product, 2 s^2 l. */
    double S = (double)s, L = (double)l;
    return 4.0 * L * S * S + 22.0 * S * S * S + 2.0 * S * S * L;
}

const struct muon_orth_ops muon_orth_svd_ops = {
    .name = "svd",
    .fp64_only = 1,
    .alloc = svd_alloc,
    .free = svd_free,
    .apply = svd_apply,
    .flops = svd_flops,
};
