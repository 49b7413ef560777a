/* front.c: the orthogonalizer front end: the work every method shares
 * (shape and finiteness checks, zero matrix, overflow-free normalisation,
 * transposing tall inputs, precision conversion). */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "muon/status.h"
#include "orth_impl.h"

muon_orth_workspace *
muon_orth_alloc(const muon_orth_type *T, const muon_orth_params *p, size_t m,
                size_t n)
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
    if (T->ops->alloc && T->ops->alloc(w)) {
        muon_orth_free(w);
        return NULL;
    }
    return w;
}

#define MUON_ORTH_MAX_THREADS 256

static void
free_siblings(muon_orth_workspace *w)
{
    for (size_t i = 0; w->sib && i + 1 < w->nthreads; i++)
        muon_orth_free(w->sib[i]);
    free(w->sib);
    w->sib = NULL;
    w->nthreads = 1;
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
    for (size_t i = 0; i + 1 < nthreads; i++) {
        w->sib[i] = muon_orth_alloc(w->type, &w->p, w->m, w->n);
        if (!w->sib[i]) {
            free_siblings(w);
            return MUON_ENOMEM;
        }
    }
    return MUON_SUCCESS;
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
