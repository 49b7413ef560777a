/* cnn.c: two conv + pooling blocks and a two-layer classifier:
 * (C,H,W) -conv1,act,pool2-> (c1,H/2,W/2) -conv2,act,pool2-> (c2,H/4,W/4)
 * -flatten,fc1,act,fc2-> classes.  Convolutions keep the size (stride 1,
 * pad k/2). */
#include <stdlib.h>
#include <string.h>

#include "muon/nn.h"
#include "model_impl.h"

enum { W1, B1, W2, B2, W3, B3, W4, B4 }; /* parameter order */

typedef struct {
    muon_conv2d_dims d1, d2;  /* with B = the batch of the last forward */
    size_t H2, W2, H4, W4, F; /* pooled sizes; F = c2*H4*W4 */
    float *x;        /* (B,C,H,W) copied input */
    float *c1, *a1;  /* (B,c1,H,W) conv1 output, activation */
    float *p1;       /* (B,c1,H2,W2) */
    float *c2, *a2;  /* (B,c2,H2,W2) */
    float *p2;       /* (B,c2,H4,W4) = (B,F) flattened */
    float *z3, *h3;  /* (B,hidden) */
    float *logits;   /* (B,classes) */
    float *probs;    /* (B,classes) */
    float *col;      /* im2col scratch for one image, the larger conv */
    float *da, *db;  /* gradient ping-pong, the largest activation */
    int *i1, *i2;    /* pooling argmax (B,c1,H2,W2), (B,c2,H4,W4) */
} cnn_state;

static int
cnn_layout(muon_model *m)
{
    const muon_model_config *c = &m->cfg;
    const size_t k = c->kernel, c1 = c->channels[0], c2 = c->channels[1];
    cnn_state *s = calloc(1, sizeof *s);
    int st;
    if (!(m->priv = s))
        return MUON_ERROR(MUON_ENOMEM, "cnn: out of memory");
    s->H2 = c->in_h / 2, s->W2 = c->in_w / 2;
    s->H4 = s->H2 / 2, s->W4 = s->W2 / 2;
    s->F = c2 * s->H4 * s->W4;
    /* Batch 1 here; forward sets the real batch size. */
    if ((st = muon_conv2d_dims_init(&s->d1, 1, c->in_c, c->in_h, c->in_w, c1,
                                    k, k, 1, k / 2)) ||
        (st = muon_conv2d_dims_init(&s->d2, 1, c1, s->H2, s->W2, c2, k, k, 1,
                                    k / 2)))
        return st;
    if ((st = model_add_param(m, "conv1.weight", MUON_ROLE_INPUT, 4, c1,
                              c->in_c, k, k)) ||
        (st = model_add_param(m, "conv1.bias", MUON_ROLE_BIAS, 1, c1, 0, 0,
                              0)) ||
        (st = model_add_param(m, "conv2.weight", MUON_ROLE_HIDDEN, 4, c2, c1,
                              k, k)) ||
        (st = model_add_param(m, "conv2.bias", MUON_ROLE_BIAS, 1, c2, 0, 0,
                              0)) ||
        (st = model_add_param(m, "fc1.weight", MUON_ROLE_HIDDEN, 2,
                              c->hidden, s->F, 0, 0)) ||
        (st = model_add_param(m, "fc1.bias", MUON_ROLE_BIAS, 1, c->hidden, 0,
                              0, 0)) ||
        (st = model_add_param(m, "fc2.weight", MUON_ROLE_HEAD, 2, c->classes,
                              c->hidden, 0, 0)) ||
        (st = model_add_param(m, "fc2.bias", MUON_ROLE_BIAS, 1, c->classes,
                              0, 0, 0)))
        return st;
    return MUON_SUCCESS;
}

static size_t
max2(size_t a, size_t b)
{
    return a > b ? a : b;
}

static void
cnn_plan(muon_model *m, size_t B, model_arena *a)
{
    const muon_model_config *c = &m->cfg;
    cnn_state *s = m->priv;
    const size_t c1 = c->channels[0], c2 = c->channels[1];
    const size_t big1 = c1 * c->in_h * c->in_w, big2 = c2 * s->H2 * s->W2;
    const size_t grad = max2(max2(big1, big2), max2(c->hidden, c->classes));
    s->x = model_arena_f(a, B, c->in_c * c->in_h * c->in_w);
    s->c1 = model_arena_f(a, B, big1);
    s->a1 = model_arena_f(a, B, big1);
    s->p1 = model_arena_f(a, B, c1 * s->H2 * s->W2);
    s->c2 = model_arena_f(a, B, big2);
    s->a2 = model_arena_f(a, B, big2);
    s->p2 = model_arena_f(a, B, s->F);
    s->z3 = model_arena_f(a, B, c->hidden);
    s->h3 = model_arena_f(a, B, c->hidden);
    s->logits = model_arena_f(a, B, c->classes);
    s->probs = model_arena_f(a, B, c->classes);
    s->col = model_arena_f(a, 1, max2(muon_conv2d_col_size(&s->d1),
                                      muon_conv2d_col_size(&s->d2)));
    s->da = model_arena_f(a, B, grad);
    s->db = model_arena_f(a, B, grad);
    s->i1 = model_arena_i(a, B, c1 * s->H2 * s->W2);
    s->i2 = model_arena_i(a, B, s->F);
}

static double
cnn_forward(muon_model *m, const muon_batch *bt, size_t B)
{
    const muon_model_config *c = &m->cfg;
    cnn_state *s = m->priv;
    const size_t c1 = c->channels[0], c2 = c->channels[1];
    const size_t n1 = B * c1 * c->in_h * c->in_w, n2 = B * c2 * s->H2 * s->W2;
    s->d1.B = s->d2.B = B;
    memcpy(s->x, bt->x, B * c->in_c * c->in_h * c->in_w * sizeof *s->x);
    muon_conv2d_forward_f32(s->c1, s->col, s->x, PD(m, W1), PD(m, B1), &s->d1);
    model_act_forward(c->act, s->a1, s->c1, n1);
    muon_maxpool_forward_f32(s->p1, s->i1, s->a1, B, c1, c->in_h, c->in_w, 2);
    muon_conv2d_forward_f32(s->c2, s->col, s->p1, PD(m, W2), PD(m, B2),
                            &s->d2);
    model_act_forward(c->act, s->a2, s->c2, n2);
    muon_maxpool_forward_f32(s->p2, s->i2, s->a2, B, c2, s->H2, s->W2, 2);
    /* Flatten: p2 (B,c2,H4,W4) is already the row-major (B,F) matrix. */
    muon_linear_forward_f32(s->z3, s->p2, PD(m, W3), PD(m, B3), B, s->F,
                            c->hidden);
    model_act_forward(c->act, s->h3, s->z3, B * c->hidden);
    muon_linear_forward_f32(s->logits, s->h3, PD(m, W4), PD(m, B4), B,
                            c->hidden, c->classes);
    m->out = s->logits;
    return muon_crossentropy_forward_f32(s->probs, s->logits, m->labels, B,
                                         c->classes);
}

static void
cnn_backward(muon_model *m)
{
    const muon_model_config *c = &m->cfg;
    cnn_state *s = m->priv;
    const size_t B = m->B, c1 = c->channels[0], c2 = c->channels[1];
    const size_t n1 = B * c1 * c->in_h * c->in_w, n2 = B * c2 * s->H2 * s->W2;
    float *da = s->da, *db = s->db;
    muon_crossentropy_backward_f32(da /* (B,classes) */, s->probs, m->labels,
                                   1.0, B, c->classes);
    muon_linear_backward_f32(db /* (B,hidden) */, PG(m, W4), PG(m, B4), da,
                             s->h3, PD(m, W4), B, c->hidden, c->classes);
    model_act_backward(c->act, db, s->z3, s->h3, B * c->hidden);
    muon_linear_backward_f32(da /* (B,F) */, PG(m, W3), PG(m, B3), db, s->p2,
                             PD(m, W3), B, s->F, c->hidden);
    muon_maxpool_backward_f32(db /* (B,c2,H2,W2) */, da, s->i2, B, c2, s->H2,
                              s->W2, 2);
    model_act_backward(c->act, db, s->c2, s->a2, n2);
    muon_conv2d_backward_f32(da /* (B,c1,H2,W2) */, PG(m, W2), PG(m, B2),
                             s->col, db, s->p1, PD(m, W2), &s->d2);
    muon_maxpool_backward_f32(db /* (B,c1,H,W) */, da, s->i1, B, c1, c->in_h,
                              c->in_w, 2);
    model_act_backward(c->act, db, s->c1, s->a1, n1);
    /* The input image needs no gradient. */
    muon_conv2d_backward_f32(NULL, PG(m, W1), PG(m, B1), s->col, db, s->x,
                             PD(m, W1), &s->d1);
}

const model_ops model_cnn_ops = {cnn_layout, cnn_plan, cnn_forward,
                                 cnn_backward};
