/* mlp.c: the multilayer perceptron (and the one-layer linear model):
 * widths w0-w1-...-wL, an activation between layers, cross-entropy or MSE
 * on the last layer's output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muon/nn.h"
#include "model_impl.h"

typedef struct {
    float *x;                      /* (B, w0) copied input */
    float *z[MUON_MODEL_MAXWIDTHS]; /* (B, w[l+1]) pre-activations */
    float *h[MUON_MODEL_MAXWIDTHS]; /* (B, w[l+1]) activations, l < L-1 */
    float *probs;                  /* (B, wL) softmax (cross-entropy) */
    float *da, *db;                /* (B, max width) gradient ping-pong */
} mlp_state;

static int
mlp_layout(muon_model *m)
{
    const muon_model_config *c = &m->cfg;
    const size_t L = c->nwidths - 1;
    char name[MODEL_NAME_MAX];
    int st;
    if (!(m->priv = calloc(1, sizeof(mlp_state))))
        return MUON_ERROR(MUON_ENOMEM, "mlp: out of memory");
    for (size_t l = 0; l < L; l++) {
        /* The linear model's single matrix is the object of study: HIDDEN
         * so that Muon owns it.  In an MLP the first layer is INPUT and
         * the last the HEAD (the driver decides where they go). */
        muon_param_role role = c->kind == MUON_MODEL_LINEAR ? MUON_ROLE_HIDDEN
                               : l == L - 1 ? MUON_ROLE_HEAD
                               : l == 0     ? MUON_ROLE_INPUT
                                            : MUON_ROLE_HIDDEN;
        snprintf(name, sizeof name, "fc%zu.weight", l);
        if ((st = model_add_param(m, name, role, 2, c->widths[l + 1],
                                  c->widths[l], 0, 0)))
            return st;
        if (c->bias) {
            snprintf(name, sizeof name, "fc%zu.bias", l);
            if ((st = model_add_param(m, name, MUON_ROLE_BIAS, 1,
                                      c->widths[l + 1], 0, 0, 0)))
                return st;
        }
    }
    return MUON_SUCCESS;
}

static void
mlp_plan(muon_model *m, size_t B, model_arena *a)
{
    const muon_model_config *c = &m->cfg;
    const size_t L = c->nwidths - 1;
    mlp_state *s = m->priv;
    size_t maxw = 0;
    for (size_t l = 0; l <= L; l++)
        maxw = c->widths[l] > maxw ? c->widths[l] : maxw;
    s->x = model_arena_f(a, B, c->widths[0]);
    for (size_t l = 0; l < L; l++) {
        s->z[l] = model_arena_f(a, B, c->widths[l + 1]);
        s->h[l] = l + 1 < L ? model_arena_f(a, B, c->widths[l + 1]) : NULL;
    }
    s->probs = model_arena_f(a, B, c->widths[L]);
    s->da = model_arena_f(a, B, maxw);
    s->db = model_arena_f(a, B, maxw);
}

/* Weight and bias of layer l (the bias is absent without c->bias). */
static float *
weight(muon_model *m, size_t l, int grad)
{
    size_t i = m->cfg.bias ? 2 * l : l;
    return grad ? PG(m, i) : PD(m, i);
}

static float *
bias(muon_model *m, size_t l, int grad)
{
    if (!m->cfg.bias)
        return NULL;
    return grad ? PG(m, 2 * l + 1) : PD(m, 2 * l + 1);
}

static double
mlp_forward(muon_model *m, const muon_batch *bt, size_t B)
{
    const muon_model_config *c = &m->cfg;
    const size_t L = c->nwidths - 1, out = c->widths[L];
    mlp_state *s = m->priv;
    /* The input is copied so the batch need not outlive the call: the
     * first layer's weight gradient needs it in backward. */
    memcpy(s->x, bt->x, B * c->widths[0] * sizeof *s->x);
    const float *in = s->x;
    for (size_t l = 0; l < L; l++) {
        muon_linear_forward_f32(s->z[l] /* (B, w[l+1]) */, in, weight(m, l, 0),
                                bias(m, l, 0), B, c->widths[l],
                                c->widths[l + 1]);
        if (l + 1 < L) {
            model_act_forward(c->act, s->h[l], s->z[l], B * c->widths[l + 1]);
            in = s->h[l];
        }
    }
    m->out = s->z[L - 1];
    if (c->loss == MUON_LOSS_MSE)
        return muon_mse_forward_f32(s->z[L - 1], m->y, B, out);
    return muon_crossentropy_forward_f32(s->probs, s->z[L - 1], m->labels, B,
                                         out);
}

static void
mlp_backward(muon_model *m)
{
    const muon_model_config *c = &m->cfg;
    const size_t L = c->nwidths - 1, B = m->B;
    mlp_state *s = m->priv;
    float *dout = s->da, *dnext = s->db;
    if (c->loss == MUON_LOSS_MSE)
        muon_mse_backward_f32(dout, s->z[L - 1], m->y, 1.0, B, c->widths[L]);
    else
        muon_crossentropy_backward_f32(dout, s->probs, m->labels, 1.0, B,
                                       c->widths[L]);
    for (size_t l = L; l-- > 0;) {
        const float *in = l ? s->h[l - 1] : s->x;
        /* The input's gradient is not needed below the first layer. */
        muon_linear_backward_f32(l ? dnext : NULL, weight(m, l, 1),
                                 bias(m, l, 1), dout, in, weight(m, l, 0), B,
                                 c->widths[l], c->widths[l + 1]);
        if (l) {
            model_act_backward(c->act, dnext, s->z[l - 1], s->h[l - 1],
                               B * c->widths[l]);
            float *t = dout;
            dout = dnext, dnext = t;
        }
    }
}

const model_ops model_mlp_ops = {mlp_layout, mlp_plan, mlp_forward,
                                 mlp_backward};
