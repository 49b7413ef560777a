/* nn.h: neural-network layers, forward and backward (llm.c style).
 *
 * Each layer is written once (src/lib/nn/layers_source.c) and compiled for
 * float and double (GSL templates_on.h style): muon_NAME_f32 works on
 * float with cblas_sgemm, muon_NAME_f64 on double with cblas_dgemm.  The
 * models run the f32 layers; verify/verify-layers runs the very same code in
 * f64 against central finite differences.
 *
 * Conventions (all layers):
 *   - Arguments: outputs first, then inputs, then dimensions.  A `d` prefix
 *     marks a gradient.  Every pointer carries its shape, row-major:
 *     inp (N, C) is N rows of C contiguous values.  Images are NCHW.
 *   - Backward passes ACCUMULATE into parameter gradients (dweight, dbias:
 *     `+=`, as llm.c does, so gradients of shared tensors add up) and
 *     OVERWRITE input gradients (dinp: `=`), except the residual layer,
 *     whose job is summing gradients (it accumulates, see below).
 *   - A NULL dinp skips the input gradient (e.g. for the first layer); a
 *     NULL bias / dbias means "no bias".
 *   - Elementwise layers allow dinp == dout (in place); no other aliasing
 *     is allowed unless stated.
 *   - No allocation, no printing; scratch buffers are passed in.  Inputs
 *     are not validated here (the model validates its configuration and
 *     its data once): callers pass consistent dimensions and indices.
 *   - Matrix products go through BLAS level 3 (sgemm/dgemm).
 *
 * Layers (T = float for _f32, double for _f64):
 *
 * linear       out (N,OC) = inp (N,C) weight^T (C,OC) + bias (OC)
 *   void muon_linear_forward_f32(T *out, const T *inp, const T *weight,
 *                                const T *bias, size_t N, size_t C, size_t OC);
 *   void muon_linear_backward_f32(T *dinp, T *dweight, T *dbias,
 *        const T *dout, const T *inp, const T *weight, N, C, OC);
 * relu / gelu / tanh   out (n) = f(inp (n)); gelu is the tanh approximation
 *   of GPT-2: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
 *   void muon_relu_forward_f32(T *out, const T *inp, size_t n);
 *   void muon_relu_backward_f32(T *dinp, const T *dout, const T *inp, n);
 *   (same signatures for gelu; tanh's backward takes the forward OUTPUT:
 *   muon_tanh_backward_f32(T *dinp, const T *dout, const T *out, n)).
 * conv2d       out (B,OC,OH,OW) = weight (OC,C,KH,KW) * inp (B,C,H,W) + bias,
 *   zero padding, im2col + one gemm per chunk of d->NB images (one large
 *   product instead of NB small ones).  `col` is scratch of
 *   muon_conv2d_col_size(d) values.  Backward recomputes the columns and
 *   reuses `col` for the column gradient (col2im).  With d->cnhw = 1 the
 *   four image tensors (inp, out, dinp, dout) are channel-major
 *   (C,B,H,W) instead.  The maxpool and elementwise layers work on planes
 *   and do not care which of the two orders B*C planes come in.
 *   void muon_conv2d_forward_f32(T *out, T *col, const T *inp,
 *        const T *weight, const T *bias, const muon_conv2d_dims *d);
 *   void muon_conv2d_backward_f32(T *dinp, T *dweight, T *dbias, T *col,
 *        const T *dout, const T *inp, const T *weight,
 *        const muon_conv2d_dims *d);
 * maxpool      out (B,C,OH,OW), OH = H / k, OW = W / k (floor), window k x k,
 *   stride k.  idx (B,C,OH,OW) receives the argmax position inside the
 *   (H,W) plane (first maximum wins); backward routes dout there and writes
 *   0 elsewhere (including rows/columns the floor dropped).
 *   void muon_maxpool_forward_f32(T *out, int *idx, const T *inp,
 *        size_t B, size_t C, size_t H, size_t W, size_t k);
 *   void muon_maxpool_backward_f32(T *dinp, const T *dout, const int *idx,
 *        size_t B, size_t C, size_t H, size_t W, size_t k);
 * flatten      (B,C,H,W) -> (B, C*H*W) is the identity on row-major memory:
 *   no function; the models reuse the buffer.
 * layernorm    out (N,C) = (inp - mean) * rstd * weight (C) + bias (C),
 *   rstd = 1/sqrt(var + 1e-5), var biased (PyTorch).  mean, rstd (N) are
 *   saved for backward.
 *   void muon_layernorm_forward_f32(T *out, T *mean, T *rstd, const T *inp,
 *        const T *weight, const T *bias, size_t N, size_t C);
 *   void muon_layernorm_backward_f32(T *dinp, T *dweight, T *dbias,
 *        const T *dout, const T *inp, const T *weight, const T *mean,
 *        const T *rstd, size_t N, size_t C);
 * embedding    out (B,T,C) = wte[tokens (B,T)] (V,C) + wpe[t] (maxT,C);
 *   wpe may be NULL.  Tokens must lie in [0, V) (unchecked here).
 *   void muon_embedding_forward_f32(T *out, const int *tokens, const T *wte,
 *        const T *wpe, size_t B, size_t T, size_t C);
 *   void muon_embedding_backward_f32(T *dwte, T *dwpe, const T *dout,
 *        const int *tokens, size_t B, size_t T, size_t C);
 * attention    causal multi-head self-attention (no projections):
 *   qkv (B,T,3C) holds q, k, v side by side per position; NH heads of size
 *   hs = C/NH; out (B,T,C); att (B,NH,T,T) saves the softmax probabilities
 *   (entries above the diagonal are 0).  Backward needs a (T,T) scratch.
 *   Per (batch, head): att = softmax(mask(q k^T / sqrt(hs))), out = att v.
 *   void muon_attention_forward_f32(T *out, T *att, const T *qkv,
 *        size_t B, size_t T, size_t C, size_t NH);
 *   void muon_attention_backward_f32(T *dqkv, T *scratch, const T *dout,
 *        const T *qkv, const T *att, size_t B, size_t T, size_t C,
 *        size_t NH);
 * residual     out (n) = inp (n) + branch (n).  Backward ACCUMULATES:
 *   dinp += dout, dbranch += dout (either may be NULL): a tensor that feeds
 *   several consumers gets the sum of their gradients.
 *   void muon_residual_forward_f32(T *out, const T *inp, const T *branch,
 *        size_t n);
 *   void muon_residual_backward_f32(T *dinp, T *dbranch, const T *dout,
 *        size_t n);
 * crossentropy softmax + cross-entropy: probs (N,V) = softmax(logits
 *   (N,V)), returns the mean over rows of -log probs[target] (accumulated
 *   in double; computed from the log-sum-exp, so large logits are safe).
 *   Backward: dlogits = dloss * (probs - onehot(target)) / N; dlogits may
 *   alias probs.
 *   double muon_crossentropy_forward_f32(T *probs, const T *logits,
 *        const int *targets, size_t N, size_t V);
 *   void muon_crossentropy_backward_f32(T *dlogits, const T *probs,
 *        const int *targets, double dloss, size_t N, size_t V);
 * mse          returns mean over all N*D entries of (pred - target)^2
 *   (PyTorch MSELoss, reduction "mean").  Backward: dpred = dloss * 2
 *   (pred - target) / (N D).
 *   double muon_mse_forward_f32(const T *pred, const T *target, size_t N,
 *        size_t D);
 *   void muon_mse_backward_f32(T *dpred, const T *pred, const T *target,
 *        double dloss, size_t N, size_t D);
 */
#ifndef MUON_NN_H
#define MUON_NN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The eps of LayerNorm (PyTorch's default). */
#define MUON_LAYERNORM_EPS 1e-5

/* Geometry of a 2-D convolution.  Filled and checked by
 * muon_conv2d_dims_init. */
typedef struct {
    size_t B, C, H, W;   /* input (B,C,H,W) */
    size_t OC, KH, KW;   /* weight (OC,C,KH,KW) */
    size_t stride, pad;  /* same in both directions; zero padding */
    size_t OH, OW;       /* output (B,OC,OH,OW) */
    size_t NB;           /* images per gemm, 1 <= NB; chunks of NB images
                          * (the last may be shorter) share one im2col and
                          * one product.  Set by muon_conv2d_dims_init; a
                          * caller may lower it before sizing `col`. */
    int cnhw;            /* 0 (set by muon_conv2d_dims_init): inp, out and
                          * their gradients are NCHW (B,C,H,W).  1: they are
                          * channel-major (C,B,H,W), so that a chunk's
                          * product is written in place and the output
                          * gradient read in place (no reordering); the
                          * models use this internally. */
} muon_conv2d_dims;

/* Fills *d and computes OH = (H + 2 pad - KH) / stride + 1 (OW alike).
 * NB = min(B, ceil(MUON_CONV2D_CHUNK_COLS / (OH*OW))): chunks of about
 * that many output positions make products large enough for BLAS (and its
 * threads) to run near peak, while the column buffer stays in cache.
 * B may be lowered afterwards (a smaller batch) without changing NB.
 * Returns MUON_SUCCESS, or MUON_EINVAL (reported, naming the value) if a
 * size or the stride is 0, the kernel is larger than the padded input, or
 * pad >= kernel size (a window entirely in the padding), MUON_ENOMEM if the
 * column buffer size overflows size_t or exceeds INT_MAX rows/columns for
 * BLAS. */
int muon_conv2d_dims_init(muon_conv2d_dims *d, size_t B, size_t C, size_t H,
                          size_t W, size_t OC, size_t KH, size_t KW,
                          size_t stride, size_t pad);

/* Output positions (images x OH*OW) that one conv2d product covers. */
#define MUON_CONV2D_CHUNK_COLS 4096

/* Number of scratch values the conv2d layer needs for d->NB images:
 * C*KH*KW * NB*OH*OW (the columns), plus OC * NB*OH*OW (the product or
 * the gathered output gradient of a chunk) when NB > 1. */
size_t muon_conv2d_col_size(const muon_conv2d_dims *d);

/* Declarations of one precision; expanded below for float (_f32) and
 * double (_f64).  The list of names and contracts is in the file header. */
#define MUON_NN_DECLARE(T, SFX)                                                \
    void muon_linear_forward_##SFX(T *out, const T *inp, const T *weight,     \
                                   const T *bias, size_t N, size_t C,         \
                                   size_t OC);                                \
    void muon_linear_backward_##SFX(T *dinp, T *dweight, T *dbias,            \
                                    const T *dout, const T *inp,              \
                                    const T *weight, size_t N, size_t C,      \
                                    size_t OC);                               \
    void muon_relu_forward_##SFX(T *out, const T *inp, size_t n);             \
    void muon_relu_backward_##SFX(T *dinp, const T *dout, const T *inp,       \
                                  size_t n);                                  \
    void muon_gelu_forward_##SFX(T *out, const T *inp, size_t n);             \
    void muon_gelu_backward_##SFX(T *dinp, const T *dout, const T *inp,       \
                                  size_t n);                                  \
    void muon_tanh_forward_##SFX(T *out, const T *inp, size_t n);             \
    void muon_tanh_backward_##SFX(T *dinp, const T *dout, const T *out,       \
                                  size_t n);                                  \
    void muon_conv2d_forward_##SFX(T *out, T *col, const T *inp,              \
                                   const T *weight, const T *bias,            \
                                   const muon_conv2d_dims *d);                \
    void muon_conv2d_backward_##SFX(T *dinp, T *dweight, T *dbias, T *col,    \
                                    const T *dout, const T *inp,              \
                                    const T *weight,                          \
                                    const muon_conv2d_dims *d);               \
    void muon_maxpool_forward_##SFX(T *out, int *idx, const T *inp, size_t B, \
                                    size_t C, size_t H, size_t W, size_t k);  \
    void muon_maxpool_backward_##SFX(T *dinp, const T *dout, const int *idx,  \
                                     size_t B, size_t C, size_t H, size_t W,  \
                                     size_t k);                               \
    void muon_layernorm_forward_##SFX(T *out, T *mean, T *rstd, const T *inp, \
                                      const T *weight, const T *bias,         \
                                      size_t N, size_t C);                    \
    void muon_layernorm_backward_##SFX(                                       \
        T *dinp, T *dweight, T *dbias, const T *dout, const T *inp,           \
        const T *weight, const T *mean, const T *rstd, size_t N, size_t C);   \
    void muon_embedding_forward_##SFX(T *out, const int *tokens, const T *wte,\
                                      const T *wpe, size_t B, size_t T_,      \
                                      size_t C);                              \
    void muon_embedding_backward_##SFX(T *dwte, T *dwpe, const T *dout,       \
                                       const int *tokens, size_t B,           \
                                       size_t T_, size_t C);                  \
    void muon_attention_forward_##SFX(T *out, T *att, const T *qkv, size_t B, \
                                      size_t T_, size_t C, size_t NH);        \
    void muon_attention_backward_##SFX(T *dqkv, T *scratch, const T *dout,    \
                                       const T *qkv, const T *att, size_t B,  \
                                       size_t T_, size_t C, size_t NH);       \
    void muon_residual_forward_##SFX(T *out, const T *inp, const T *branch,   \
                                     size_t n);                               \
    void muon_residual_backward_##SFX(T *dinp, T *dbranch, const T *dout,     \
                                      size_t n);                              \
    double muon_crossentropy_forward_##SFX(T *probs, const T *logits,         \
                                           const int *targets, size_t N,      \
                                           size_t V);                         \
    void muon_crossentropy_backward_##SFX(T *dlogits, const T *probs,         \
                                          const int *targets, double dloss,   \
                                          size_t N, size_t V);                \
    double muon_mse_forward_##SFX(const T *pred, const T *target, size_t N,   \
                                  size_t D);                                  \
    void muon_mse_backward_##SFX(T *dpred, const T *pred, const T *target,    \
                                 double dloss, size_t N, size_t D);

MUON_NN_DECLARE(float, f32)
MUON_NN_DECLARE(double, f64)

/* argmax of each row of x (N, V) into out (N); the first maximum wins. */
void muon_argmax_rows_f32(int *out, const float *x, size_t N, size_t V);

#ifdef __cplusplus
}
#endif

#endif /* MUON_NN_H */
