/* stats.c: the driver's every-k-steps exact statistics: fp64 singular
 * values of the orthogonalizer's input (the momentum-based U) and output,
 * and the polar error against the exact polar factor of U.  All the linear
 * algebra is muon_measure's (src/lib/metrics), with one workspace per
 * distinct shape allocated with the optimizer, so a step never allocates. */
#include <stdlib.h>

#include "muon/metrics.h"
#include "muon/status.h"
#include "optim_impl.h"

struct muon_svd_stats {
    size_t n;
    size_t *A, *B;
    muon_measure **meas; /* n, one per shape */
    double *u, *o;       /* fp64 copies, the largest A * B */
};

void
muon_svd_stats_free(muon_svd_stats *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->meas && i < s->n; i++)
        muon_measure_free(s->meas[i]);
    free(s->meas);
    free(s->A);
    free(s->B);
    free(s->u);
    free(s->o);
    free(s);
}

muon_svd_stats *
muon_svd_stats_alloc(const size_t *A, const size_t *B, size_t nshapes)
{
    muon_svd_stats *s = calloc(1, sizeof *s);
    if (!s)
        return MUON_ERROR_NULL(MUON_ENOMEM, "out of memory (SVD statistics)");
    s->n = nshapes;
    s->A = malloc((nshapes + 1) * sizeof *s->A);
    s->B = malloc((nshapes + 1) * sizeof *s->B);
    s->meas = calloc(nshapes + 1, sizeof *s->meas);
    size_t mn = 1;
    for (size_t i = 0; s->A && s->B && s->meas && i < nshapes; i++) {
        size_t c;
        if (muon_size_mul(&c, A[i], B[i])) {
            muon_svd_stats_free(s);
            return NULL;
        }
        mn = c > mn ? c : mn;
        s->A[i] = A[i];
        s->B[i] = B[i];
        if (!(s->meas[i] = muon_measure_alloc(A[i], B[i]))) {
            muon_svd_stats_free(s);
            return NULL;
        }
    }
    s->u = malloc(mn * sizeof *s->u);
    s->o = malloc(mn * sizeof *s->o);
    if (!s->A || !s->B || !s->meas || !s->u || !s->o) {
        muon_svd_stats_free(s);
        return MUON_ERROR_NULL(MUON_ENOMEM, "out of memory (SVD statistics)");
    }
    return s;
}

static double
spread(double mn, double mx)
{
    return mx > 0.0 ? (mx - mn) / mx : 0.0;
}

int
muon_svd_stats_measure(muon_svd_stats *s, size_t A, size_t B, const float *U,
                       const float *O, muon_optim_stats *st)
{
    size_t count = A * B, k = A < B ? A : B;
    st->svd = 1;
    if (k == 0)
        return MUON_SUCCESS;
    muon_measure *w = NULL;
    for (size_t i = 0; i < s->n && !w; i++)
        if (s->A[i] == A && s->B[i] == B)
            w = s->meas[i];
    if (!w)
        return MUON_ERROR(MUON_EINTERNAL, "statistics: no workspace for a "
                          "%zu x %zu matrix", A, B);
    for (size_t i = 0; i < count; i++) {
        s->u[i] = U[i];
        s->o[i] = O[i];
    }
    muon_quality q;
    int rc = muon_measure_set_input(w, s->u);
    if (!rc)
        rc = muon_measure_output(w, s->o, &q, NULL);
    if (rc)
        return rc;
    const double *sv = muon_measure_input_sv(w, NULL);
    muon_spread in;
    muon_spread_stats(sv, k, &in);
    st->m_max = sv[0];
    st->m_min = sv[k - 1];
    st->m_mean = in.mean;
    st->m_spread = spread(st->m_min, st->m_max);
    st->u_min = q.sv.min;
    st->u_max = q.sv.max;
    st->u_mean = q.sv.mean;
    st->u_spread = spread(q.sv.min, q.sv.max);
    st->polar_error = q.polar_err;
    return MUON_SUCCESS;
}
