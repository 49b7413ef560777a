/* front.c: the orthogonalizer front end: the work every method shares
 * (shape and finiteness checks, zero matrix, overflow-free normalisation,
 * transposing tall inputs, precision conversion). */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muon/status.h"
#include "orth_impl.h"

static int batch_cache(muon_orth_workspace *w);

/* Makes the algorithm's product shapes (orth_impl.h: warm) in the cache
 * w's products will use: w's own, in this thread set up as a batch
 * worker's (one OpenMP thread, as in the batch), when w has one; the
 * backend's shared one otherwise. */
static int
warm(muon_orth_workspace *w)
{
    if (!w->type->ops->warm)
        return MUON_SUCCESS;
    if (!w->local)
        return w->type->ops->warm(w);
    int saved;
    muon_linalg_batch_begin(&saved);
    muon_linalg_worker_init(w->local);
    int rc = w->type->ops->warm(w);
    muon_linalg_batch_end(saved);
    return rc;
}

/* A workspace; for batch threads (batch != 0), with a product cache of its
 * own warmed instead of the shared one. */
static muon_orth_workspace *
orth_alloc(const muon_orth_type *T, const muon_orth_params *p, size_t m,
           size_t n, int batch)
{
    if (!T || !p)
        return MUON_ERROR_NULL(MUON_EINVAL, "muon_orth_alloc: NULL type or "
                               "params");
    if (muon_orth_params_validate(T, p))
        return NULL;
    /* BLAS and LAPACK take int dimensions. */
    if (m > INT_MAX || n > INT_MAX)
        return MUON_ERROR_NULL(MUON_ERANGE, "%s: matrix %zu x %zu exceeds "
                               "BLAS's int range", T->name, m, n);
    size_t mn;
    if (muon_size_mul(&mn, m, n) || muon_size_mul(&mn, mn, sizeof(double)))
        return NULL;
    muon_orth_workspace *w = calloc(1, sizeof *w);
    if (!w)
        return MUON_ERROR_NULL(MUON_ENOMEM, "%s: out of memory", T->name);
    w->type = T;
    w->p = *p;
    w->be = p->backend ? p->backend : muon_linalg_default();
    w->m = m;
    w->n = n;
    w->transposed = m > n;
    w->rows = m > n ? n : m;
    w->cols = m > n ? m : n;
    w->use_f64 = T->ops->fp64_only || p->precision == MUON_FP64;
    w->nthreads = 1;
    if (m == 0 || n == 0)
        return w; /* nothing to compute, nothing to allocate */
    if (w->use_f64)
        w->xd = malloc(m * n * sizeof(double));
    else
        w->xf = malloc(m * n * sizeof(float));
    if ((w->use_f64 && !w->xd) || (!w->use_f64 && !w->xf)) {
        muon_orth_free(w);
        return MUON_ERROR_NULL(MUON_ENOMEM, "%s: out of memory for %zu x %zu",
                               T->name, m, n);
    }
    if ((T->ops->alloc && T->ops->alloc(w)) ||
        (batch ? batch_cache(w) : warm(w))) {
        muon_orth_free(w);
        return NULL;
    }
    return w;
}

muon_orth_workspace *
muon_orth_alloc(const muon_orth_type *T, const muon_orth_params *p, size_t m,
                size_t n)
{
    return orth_alloc(T, p, m, n, 0);
}

#define MUON_ORTH_MAX_THREADS 256

/* Gives w the product cache of a batch thread (linalg.h: local_new), when
 * its backend and algorithm have any use for one, and makes w's shapes
 * there: workers then share no primitive, and no lock, with other
 * threads. */
static int
batch_cache(muon_orth_workspace *w)
{
    if (!w->be->local_new || !w->type->ops->warm || w->m == 0 || w->n == 0)
        return MUON_SUCCESS;
    int rc = w->be->local_new(&w->local);
    return rc ? rc : warm(w);
}

static void
free_siblings(muon_orth_workspace *w)
{
    for (size_t i = 0; w->sib && i + 1 < w->nthreads; i++)
        muon_orth_free(w->sib[i]);
    free(w->sib);
    w->sib = NULL;
    w->nthreads = 1;
    if (w->local)
        w->be->local_free(w->local);
    w->local = NULL;
}

int
muon_orth_set_threads(muon_orth_workspace *w, size_t nthreads)
{
    if (!w || nthreads == 0 || nthreads > MUON_ORTH_MAX_THREADS)
        return MUON_ERROR(MUON_EINVAL, "muon_orth_set_threads: nthreads must "
                          "be in 1..%d (got %zu)", MUON_ORTH_MAX_THREADS,
                          nthreads);
    free_siblings(w);
    if (nthreads == 1)
        return MUON_SUCCESS;
    w->sib = calloc(nthreads - 1, sizeof *w->sib);
    if (!w->sib)
        return MUON_ERROR(MUON_ENOMEM, "%s: out of memory", w->type->name);
    w->nthreads = nthreads;
    /* w is the batch's thread 0: it needs a worker's cache too. */
    int rc = batch_cache(w);
    for (size_t i = 0; !rc && i + 1 < nthreads; i++)
        if (!(w->sib[i] = orth_alloc(w->type, &w->p, w->m, w->n, 1)))
            rc = MUON_ENOMEM;
    if (rc)
        free_siblings(w);
    return rc;
}

void
muon_orth_free(muon_orth_workspace *w)
{
    if (!w)
        return;
    free_siblings(w);
    if (w->type->ops->free)
        w->type->ops->free(w);
    free(w->xd);
    free(w->xf);
    free(w);
}

const muon_orth_type *
muon_orth_workspace_type(const muon_orth_workspace *w)
{
    return w->type;
}

const muon_orth_params *
muon_orth_workspace_params(const muon_orth_workspace *w)
{
    return &w->p;
}

unsigned long long
muon_orth_calls(const muon_orth_workspace *w)
{
    return w->calls;
}

/* Rounds a double to the working precision of an fp64-only algorithm's
 * output (svd at fp32/bf16/fp16 returns values representable there). */
static double
round_to(muon_precision p, double x)
{
    switch (p) {
    case MUON_FP32: return (float)x;
    case MUON_BF16: return muon_round_bf16((float)x);
    case MUON_FP16: return muon_round_fp16((float)x);
    default: return x;
    }
}

/* fp32 input at fp32 working precision, untransposed: the algorithm may
 * fold the normalisation X = scale G into its first products
 * (ops->apply_scaled) instead of a pass writing X, and write its result
 * straight into O.  Only where the unscaled products stay far inside
 * fp32's range: the largest |G| entry in [2^-40, 2^41) (so ||G||_F^2 <
 * 2^122 for up to 2^40 entries, and what underflows in G G^T is below
 * fp32's round-off relative to the result) and scale, hence its square,
 * normal in fp32.  Returns 0 when the caller must take the plain route. */
static int
fold_ok(const muon_orth_workspace *w, int e, double scale)
{
    return w->type->ops->apply_scaled && !w->use_f64 && !w->transposed &&
           w->p.precision == MUON_FP32 && e >= -40 && e <= 40 &&
           scale >= 0x1p-60 && scale <= 0x1p60;
}

static int
apply_folded(muon_orth_workspace *w, const float *G, double scale, float *O)
{
    size_t bytes = w->m * w->n * sizeof *G;
    uintptr_t g = (uintptr_t)G, o = (uintptr_t)O;
    /* In place (O overlapping G): the last step must not write G while a
     * one-step iteration still reads it. */
    float *dst = o + bytes <= g || g + bytes <= o ? O : NULL;
    void *res = NULL;
    int rc = w->type->ops->apply_scaled(w, G, scale, dst, &res);
    if (rc)
        return rc;
    if (res != O)
        memcpy(O, res, bytes);
    return MUON_SUCCESS;
}

/* The front end, once per input type: IN is double or float. */
#define IN double
#define IN_IS_FLOAT 0
#define SFX f64
#include "front_source.c"
#undef IN
#undef IN_IS_FLOAT
#undef SFX

#define IN float
#define IN_IS_FLOAT 1
#define SFX f32
#include "front_source.c"
#undef IN
#undef IN_IS_FLOAT
#undef SFX
