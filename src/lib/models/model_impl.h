/* model_impl.h: what model.c shares with the family files (mlp.c, cnn.c,
 * gpt.c): the model struct, the family vtable and an activation arena. */
#ifndef MUON_MODEL_IMPL_H
#define MUON_MODEL_IMPL_H

#include <stddef.h>

#include "muon/model.h"
#include "muon/status.h"

/* Carves activation buffers out of one float and one int allocation.  The
 * plan function of a family runs twice: once with f == NULL to count, once
 * to hand out pointers.  Products are checked; `overflow` is sticky. */
typedef struct {
    float *f;
    int *i;
    size_t nf, ni;
    int overflow;
} model_arena;

float *model_arena_f(model_arena *a, size_t x, size_t y);
int *model_arena_i(model_arena *a, size_t x, size_t y);

typedef struct model_ops {
    /* Declares the parameters (model_add_param), in order. */
    int (*layout)(muon_model *m);
    /* Carves the activations for maxB samples into the arena and records
     * the pointers in the family's private state. */
    void (*plan)(muon_model *m, size_t maxB, model_arena *a);
    /* Runs the forward pass on validated inputs (targets already copied
     * into m->labels / m->y); returns the mean loss. */
    double (*forward)(muon_model *m, const muon_batch *b, size_t B);
    /* Accumulates the gradient of the last forward into the (zeroed)
     * gradient buffer. */
    void (*backward)(muon_model *m);
} model_ops;

#define MODEL_NAME_MAX 40

struct muon_model {
    muon_model_config cfg;
    const model_ops *ops;

    muon_param *params; /* (nparams) views into data / grad */
    char (*names)[MODEL_NAME_MAX];
    size_t *offsets;    /* (nparams) start of each tensor in data */
    size_t nparams, cap;
    float *data, *grad; /* (ndata) each: one buffer for all parameters */
    size_t ndata;

    float *act;         /* activations of the reserved batch size */
    int *iact;
    size_t maxB;

    /* State of the last forward. */
    int have_forward;
    size_t B;
    int *labels;        /* (maxB * T) copied class or token targets */
    float *y;           /* (maxB, outputs) copied regression targets */
    const float *out;   /* logits or predictions of the last forward */
    size_t out_rows, out_cols;

    /* Family state: activation pointers (mlp.c, cnn.c, gpt.c). */
    void *priv;
};

/* Declares the next parameter; dims beyond ndim are ignored. */
int model_add_param(muon_model *m, const char *name, muon_param_role role,
                    size_t ndim, size_t d0, size_t d1, size_t d2, size_t d3);

/* Activation helpers shared by mlp and cnn: out = f(inp); backward in
 * place on d (n), from the saved pre-activation z and output h. */
void model_act_forward(muon_activation act, float *h, const float *z,
                       size_t n);
void model_act_backward(muon_activation act, float *d, const float *z,
                        const float *h, size_t n);

/* Parameter data and gradient of tensor i. */
#define PD(m, i) ((m)->params[i].data)
#define PG(m, i) ((m)->params[i].grad)

extern const model_ops model_mlp_ops; /* mlp and linear */
extern const model_ops model_cnn_ops;
extern const model_ops model_gpt_ops;

#endif /* MUON_MODEL_IMPL_H */
