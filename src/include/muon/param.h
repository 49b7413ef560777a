/* param.h: how a model exposes its parameters to an optimizer.
 *
 * llm.c style: a model owns one contiguous parameter buffer and one gradient
 * buffer; each named tensor points into them.  The optimizer receives an
 * array of muon_param views, routes each to Muon or the auxiliary optimizer
 * by shape and role, and owns its own state.  Nobody but the model frees
 * data/grad.
 */
#ifndef MUON_PARAM_H
#define MUON_PARAM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MUON_PARAM_MAXDIM 4

/* What a tensor is for; decides the default routing (Muon for HIDDEN
 * tensors with >= 2 dimensions, the auxiliary optimizer for the rest). */
typedef enum {
    MUON_ROLE_HIDDEN = 0,    /* hidden weight matrix or conv filter */
    MUON_ROLE_EMBEDDING = 1, /* token / position embedding table */
    MUON_ROLE_HEAD = 2,      /* output classifier / LM head */
    MUON_ROLE_BIAS = 3,
    MUON_ROLE_GAIN = 4,      /* LayerNorm / BatchNorm gains */
    MUON_ROLE_INPUT = 5      /* first layer (KJ: AdamW for the first conv) */
} muon_param_role;

/* "hidden", "embedding", "head", "bias", "gain", "input". */
const char *muon_param_role_name(muon_param_role r);

/* A view of one named tensor.  Shape in PyTorch order: dim 0 is fan_out
 * (rows), the rest multiply to fan_in (a conv filter (out, in, kh, kw) is
 * the matrix (out, in*kh*kw)).  data and grad hold count = prod(shape)
 * floats, row-major. */
typedef struct {
    const char *name;
    float *data;
    float *grad;
    size_t ndim;
    size_t shape[MUON_PARAM_MAXDIM];
    muon_param_role role;
} muon_param;

/* prod(shape) (1 for ndim == 0). */
size_t muon_param_count(const muon_param *p);

#ifdef __cplusplus
}
#endif

#endif /* MUON_PARAM_H */
