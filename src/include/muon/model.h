/* model.h: the model families (mlp, cnn, gpt, linear) behind one interface.
 *
 * llm.c style: a model owns one contiguous fp32 parameter buffer and one
 * gradient buffer; muon_model_params() exposes named views (muon/param.h)
 * with a role that lets the optimizer route each tensor (Muon for HIDDEN
 * matrices and filters, the auxiliary optimizer for the rest).
 *
 * Families and parameter roles:
 *   linear  y = W x (+ b): W (out,in) HIDDEN -- the synthetic linear-map
 *           task exists to study Muon on that one matrix; b BIAS.
 *   mlp     widths w0-w1-...-wL: fc0 .. fc{L-1}; fc0.weight INPUT, the
 *           middle ones HIDDEN, the last HEAD (with L = 1 the single layer
 *           is the HEAD); biases BIAS; activation between layers.
 *   cnn     (C,H,W) -> conv1 (c1, k x k, pad k/2) -> act -> maxpool 2 ->
 *           conv2 (c2) -> act -> maxpool 2 -> flatten -> fc1 (hidden) ->
 *           act -> fc2 (classes).  conv1.weight (c1,C,k,k) INPUT,
 *           conv2.weight (c2,c1,k,k) HIDDEN, fc1.weight HIDDEN, fc2.weight
 *           HEAD, biases BIAS.
 *   gpt     decoder-only transformer (GPT-2 layout, pre-LayerNorm):
 *           wte (vocab,width) and wpe (seq,width) EMBEDDING; per block h.i:
 *           ln1 gain/bias, attn.qkv (3w,w), attn.proj (w,w), ln2, mlp.fc
 *           (4w,w), mlp.proj (w,4w) -- matrices HIDDEN, LayerNorm gains
 *           GAIN, all biases BIAS -- then lnf and the head: tied (logits =
 *           x wte^T, no extra tensor) or untied head.weight (vocab,width)
 *           HEAD.  GELU (tanh approximation) in the MLP.
 *
 * Initialisation (PyTorch-like, deterministic for a seed, gsl_rng_mt19937):
 *   weights (INPUT, HIDDEN, HEAD) uniform in +-1/sqrt(fan_in) (PyTorch's
 *   kaiming_uniform_(a=sqrt(5)) for Linear and Conv2d; fan_in = in*kh*kw),
 *   biases 0, gains 1, embeddings N(0, 0.02^2).  Tensors are drawn in
 *   parameter order.
 *
 * Inputs (muon_batch): images and vectors as float x (B, input size),
 * with int class labels (cross-entropy) or float targets y (B, out) (mean
 * squared error); token models take int tokens (B,T) and int next-token
 * targets (B,T).  The loss is the mean over samples (and positions).
 *
 * No allocation in forward/backward: muon_model_reserve() sizes the
 * activations once for a maximum batch.
 */
#ifndef MUON_MODEL_H
#define MUON_MODEL_H

#include <stddef.h>
#include <stdio.h>

#include "muon/param.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    MUON_MODEL_LINEAR = 0,
    MUON_MODEL_MLP = 1,
    MUON_MODEL_CNN = 2,
    MUON_MODEL_GPT = 3
} muon_model_kind;

typedef enum {
    MUON_ACT_RELU = 0,
    MUON_ACT_GELU = 1,
    MUON_ACT_TANH = 2
} muon_activation;

typedef enum {
    MUON_LOSS_CE = 0, /* softmax cross-entropy on int labels */
    MUON_LOSS_MSE = 1 /* mean squared error on float targets */
} muon_loss_kind;

#define MUON_MODEL_MAXWIDTHS 16

/* Every field of every family; a family reads only its own (listed in
 * muon_model_config_parse).  Sizes are capped at 2^24 each so that no
 * product of a few of them can overflow. */
typedef struct {
    muon_model_kind kind;
    /* linear, mlp: widths[0] = input size, widths[nwidths-1] = outputs. */
    size_t widths[MUON_MODEL_MAXWIDTHS];
    size_t nwidths;
    muon_activation act; /* mlp, cnn (gpt always uses GELU) */
    muon_loss_kind loss; /* linear, mlp (cnn, gpt: cross-entropy) */
    int bias;            /* linear, mlp: 1 = with biases */
    /* cnn */
    size_t in_c, in_h, in_w;
    size_t channels[2];
    size_t kernel;
    size_t hidden;
    size_t classes;
    /* gpt */
    size_t vocab, seq_len, layers, heads, width;
    int tied_head;
} muon_model_config;

/* Defaults of a family (see muon_model_config_parse for the values). */
void muon_model_config_default(muon_model_config *cfg, muon_model_kind kind);

/* "linear", "mlp", "cnn", "gpt" ("?" otherwise). */
const char *muon_model_kind_name(muon_model_kind k);

/* Parses "KIND[:key=value,...]" into *cfg (defaults first).  A bare first
 * item without '=' is the widths list.  Keys per family (default):
 *   linear  widths (64-64), bias (0), loss (mse|ce; mse)
 *   mlp     widths (784-256-128-10), act (relu|gelu|tanh; relu),
 *           bias (1), loss (ce)
 *   cnn     input (CxHxW; 1x28x28), channels (32-64), kernel (3),
 *           hidden (128), classes (10), act (relu)
 *   gpt     vocab (96), seq (64), layers (2), heads (4), width (64),
 *           tied (1)
 * e.g. "mlp:784-256-128-10", "gpt:vocab=65,seq=32,layers=2,width=64".
 * Returns MUON_EUNKNOWN (an unknown kind, key, activation or loss; the
 * valid names listed), MUON_EINVAL (a malformed or out-of-range value,
 * naming the key and value) or MUON_SUCCESS; everything reported. */
int muon_model_config_parse(muon_model_config *cfg, const char *spec);

/* Checks a configuration: every size in [1, 2^24], at least two widths,
 * width divisible by heads, conv sizes that survive two poolings, etc.
 * Returns MUON_SUCCESS or MUON_EINVAL (reported, naming field and value). */
int muon_model_config_check(const muon_model_config *cfg);

typedef struct muon_model muon_model;

/* Creates a model with freshly initialised parameters (see the file
 * header).  cfg is copied.  Returns NULL (reported: invalid configuration,
 * out of memory) on failure.  Free with muon_model_free. */
muon_model *muon_model_create(const muon_model_config *cfg,
                              unsigned long long seed);

/* Frees the model, its buffers and activations; NULL is a no-op. */
void muon_model_free(muon_model *m);

/* The configuration the model was created with. */
const muon_model_config *muon_model_get_config(const muon_model *m);

/* Total number of parameters (floats in the parameter buffer). */
size_t muon_model_nparams(const muon_model *m);

/* The parameter views, in a fixed order; *count receives their number.
 * Owned by the model, valid until muon_model_free. */
const muon_param *muon_model_params(const muon_model *m, size_t *count);

/* The contiguous parameter and gradient buffers (nparams floats each),
 * owned by the model: checkpoints and whole-vector tests use them. */
float *muon_model_data(muon_model *m);
float *muon_model_grad(muon_model *m);

/* Allocates the activations for batches of up to maxB samples (sequences
 * for gpt).  May be called again to grow or shrink.  Returns MUON_EINVAL
 * (maxB == 0 or above 2^24), MUON_ENOMEM (reported) or MUON_SUCCESS. */
int muon_model_reserve(muon_model *m, size_t maxB);

/* The samples of one batch.  Which fields are read depends on the model:
 *   x       (B, input size) floats: linear, mlp, cnn (NCHW images)
 *   labels  (B) ints in [0, classes): cross-entropy on linear, mlp, cnn
 *   y       (B, outputs) floats: mean squared error (linear, mlp)
 *   tokens  (B, T) ints in [0, vocab): gpt inputs
 *   targets (B, T) ints in [0, vocab): gpt next-token targets
 * A field not read may be NULL. */
typedef struct {
    const float *x;
    const int *labels;
    const float *y;
    const int *tokens;
    const int *targets;
} muon_batch;

/* Forward pass and loss on B samples (1 <= B <= reserved maxB).  *loss
 * (may be NULL) receives the mean loss.  The targets are copied, so the
 * batch need not outlive the call.  Returns MUON_SUCCESS, MUON_EINVAL
 * (no reserve, B out of range, a required batch field is NULL, a label or
 * token out of range -- naming sample, position and value) or
 * MUON_ENONFINITE (the loss is not finite); all reported. */
int muon_model_forward(muon_model *m, const muon_batch *batch, size_t B,
                       double *loss);

/* Gradient of the last forward's mean loss: zeroes the gradient buffer and
 * fills it.  Returns MUON_EINVAL (reported) if no forward preceded it. */
int muon_model_backward(muon_model *m);

/* The outputs of the last forward, before the softmax: (B, classes) or
 * (B*T, vocab) logits, or (B, outputs) predictions for MSE models; *rows
 * and *cols receive the shape.  NULL before any forward. */
const float *muon_model_output(const muon_model *m, size_t *rows,
                               size_t *cols);

/* Counts rows of the last forward whose argmax equals the label (B rows)
 * or next-token target (B*T rows).  *correct and *total receive the
 * counts.  Returns MUON_EINVAL (reported) without a preceding forward or
 * for an MSE model. */
int muon_model_correct(const muon_model *m, size_t *correct, size_t *total);

/* Writes the parameter table (name, shape, role, count, then a total line)
 * to f, one tensor per line, for manifests and logs.  Returns MUON_EIO
 * (reported) if writing fails, else MUON_SUCCESS. */
int muon_model_describe(const muon_model *m, FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* MUON_MODEL_H */
