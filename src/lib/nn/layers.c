/* layers.c: instantiates layers_source.c for float (_f32, cblas_sgemm) and
 * double (_f64, cblas_dgemm), plus the precision-independent helpers. */
#include <limits.h>
#include <string.h>
#include <tgmath.h>

#include <cblas.h>

#include "muon/nn.h"
#include "muon/status.h"

#define BASE float
#define FUNCTION(name) name##_f32
#define GEMM cblas_sgemm
#include "layers_source.c"
#undef BASE
#undef FUNCTION
#undef GEMM

#define BASE double
#define FUNCTION(name) name##_f64
#define GEMM cblas_dgemm
#include "layers_source.c"
#undef BASE
#undef FUNCTION
#undef GEMM

int
muon_conv2d_dims_init(muon_conv2d_dims *d, size_t B, size_t C, size_t H,
                      size_t W, size_t OC, size_t KH, size_t KW,
                      size_t stride, size_t pad)
{
    size_t k, p, tmp;
    if (!B || !C || !H || !W || !OC || !KH || !KW)
        return MUON_ERROR(MUON_EINVAL,
                          "conv2d: sizes must be >= 1 (got B=%zu C=%zu H=%zu "
                          "W=%zu OC=%zu KH=%zu KW=%zu)",
                          B, C, H, W, OC, KH, KW);
    if (!stride)
        return MUON_ERROR(MUON_EINVAL, "conv2d: stride must be >= 1 (got 0)");
    if (pad >= KH || pad >= KW)
        return MUON_ERROR(MUON_EINVAL,
                          "conv2d: pad %zu must be smaller than the kernel "
                          "%zux%zu (a window would lie in the padding only)",
                          pad, KH, KW);
    if (H > SIZE_MAX / 4 || W > SIZE_MAX / 4 || KH > H + 2 * pad ||
        KW > W + 2 * pad)
        return MUON_ERROR(MUON_EINVAL,
                          "conv2d: kernel %zux%zu larger than the padded "
                          "input %zux%zu + 2*%zu",
                          KH, KW, H, W, pad);
    d->B = B, d->C = C, d->H = H, d->W = W;
    d->OC = OC, d->KH = KH, d->KW = KW, d->stride = stride, d->pad = pad;
    d->cnhw = 0;
    d->OH = (H + 2 * pad - KH) / stride + 1;
    d->OW = (W + 2 * pad - KW) / stride + 1;
    /* BLAS takes int dimensions: K = C*KH*KW rows, P = OH*OW columns. */
    if (muon_size_mul3(&k, C, KH, KW) || muon_size_mul(&p, d->OH, d->OW) ||
        muon_size_mul(&tmp, k, p) || muon_size_mul(&tmp, OC, p))
        return MUON_ENOMEM;
    if (k > INT_MAX || p > INT_MAX || OC > INT_MAX)
        return MUON_ERROR(MUON_ENOMEM,
                          "conv2d: column matrix %zu x %zu exceeds the BLAS "
                          "int range",
                          k, p);
    /* nb <= MUON_CONV2D_CHUNK_COLS, so nb * p cannot overflow; a chunk
     * that would exceed the BLAS range or size_t falls back to one image
     * (which the checks above cover) instead of failing. */
    size_t nb = (MUON_CONV2D_CHUNK_COLS + p - 1) / p;
    d->NB = nb < B ? nb : B;
    if (d->NB > 1 && (p * d->NB > INT_MAX || k > SIZE_MAX - OC ||
                      __builtin_mul_overflow(k + OC, p * d->NB, &tmp)))
        d->NB = 1;
    return MUON_SUCCESS;
}

size_t
muon_conv2d_col_size(const muon_conv2d_dims *d)
{
    const size_t K = d->C * d->KH * d->KW, NP = (d->NB ? d->NB : 1) * d->OH *
                                                 d->OW;
    return d->NB > 1 ? (K + d->OC) * NP : K * NP;
}

void
muon_argmax_rows_f32(int *out, const float *x, size_t N, size_t V)
{
    for (size_t n = 0; n < N; n++) {
        const float *r = x + n * V;
        size_t best = 0;
        for (size_t v = 1; v < V; v++)
            if (r[v] > r[best])
                best = v;
        out[n] = (int)best;
    }
}
