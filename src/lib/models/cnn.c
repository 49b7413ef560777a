/* cnn.c: two conv + pooling blocks and a two-layer classifier:
 * (C,H,W) -conv1,act,pool2-> (c1,H/2,W/2) -conv2,act,pool2-> (c2,H/4,W/4)
 * -flatten,fc1,act,fc2-> classes.  Convolutions keep the size (stride 1,
 * pad k/2). */
#include <stdlib.h>
#include <string.h>

#include "muon/nn.h"
#include "model_impl.h"

enum { W1, B1, W2, B2, W3, B3, W4, B4 }; /* parameter order */

/* The convolutional part runs chunk by chunk: NBC images at a time go
 * through conv1, pool, conv2, pool (and back), so that the full-resolution
 * tensors of a chunk stay in cache and each convolution is one large
 * product per chunk.  Inside a chunk of n images the image tensors are
 * channel-major, (C,n,H,W) (muon_conv2d_dims.cnhw): the products are then
 * written and read in place.  A chunk starting at image b0 starts at
 * b0 * (values per image) in every batch tensor, as NCHW would.
 *
 * With ReLU the pooling runs before the activation: ReLU is monotone, so
 * max(relu(x)) = relu(max(x)) value for value, and the argmax differs only
 * in windows whose maximum is <= 0, where the gradient is 0 either way.
 * The activation then touches a quarter of the values, and the
 * full-resolution tensors are needed only while their chunk is processed.
 * The bias moves behind the pooling too: rounding is monotone, so
 * max_i fl(x_i + b) = fl(max_i x_i + b) exactly (the argmax can differ only
 * between values that the addition rounds to a tie), and its gradient is
 * the sum of the pooled gradient.  GELU is not monotone and keeps the
 * textbook order (tanh too: float rounding can tie saturated values and
 * move the argmax), storing the full-resolution tensors for backward. */
typedef struct {
    muon_conv2d_dims d1, d2;  /* B = the images of the current chunk */
    size_t H2, W2, H4, W4, F; /* pooled sizes; F = c2*H4*W4 */
    size_t NBC;      /* images per chunk */
    int pool_first;  /* ReLU: pool, then bias and activation (see above) */
    float *x;        /* (B, in_c*H*W) copied input, chunks channel-major */
    float *c1, *a1;  /* (B, c1*H*W) conv1 output, activation; textbook
                      * order only (else c1 is chunk scratch) */
    float *q1;       /* (B, c1*H2*W2) pooled c1 + bias; only if pool_first */
    float *p1;       /* (B, c1*H2*W2) block output, conv2's input */
    float *c2, *a2;  /* (B, c2*H2*W2), as c1, a1 */
    float *q2;       /* (B, F), as q1 */
    float *p2;       /* (B, F) block output */
    float *f;        /* (B,F) p2 flattened per sample, fc1's input */
    float *z3, *h3;  /* (B,hidden) */
    float *logits;   /* (B,classes) */
    float *probs;    /* (B,classes) */
    float *col;      /* conv scratch, the larger of the two layers */
    float *cs;       /* (NBC, max(c1*H*W, c2*H2*W2)) chunk conv output */
    float *ga, *gb;  /* the same size: chunk gradient ping-pong */
    float *da, *db;  /* (B, max(F, hidden, classes)) classifier gradients */
    int *i1, *i2;    /* pooling argmax (B, c1*H2*W2), (B, F) */
} cnn_state;

/* dst (m, n, plane) = src (n, m, plane) transposed: moves whole planes. */
static void
swap_planes(float *dst, const float *src, size_t n, size_t m, size_t plane)
{
    if (n == 1 || m == 1) {
        memcpy(dst, src, n * m * plane * sizeof *dst);
        return;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++)
            memcpy(dst + (j * n + i) * plane, src + (i * m + j) * plane,
                   plane * sizeof *dst);
}

/* x (C*n) += bias[c] on each of the C runs of n values. */
static void
add_bias(float *x, const float *bias, size_t C, size_t n)
{
    for (size_t c = 0; c < C; c++) {
        float *q = x + c * n;
        const float b = bias[c];
        for (size_t i = 0; i < n; i++)
            q[i] += b;
    }
}

/* dbias[c] += the sum of the c-th run of n values of g (C*n). */
static void
sum_bias(float *dbias, const float *g, size_t C, size_t n)
{
    for (size_t c = 0; c < C; c++) {
        /* Eight partial sums: a dependency chain 8 times shorter. */
        const float *r = g + c * n;
        float acc[8] = {0}, sum = 0;
        size_t i = 0;
        for (; i + 8 <= n; i += 8)
            for (size_t j = 0; j < 8; j++)
                acc[j] += r[i + j];
        for (; i < n; i++)
            sum += r[i];
        for (size_t j = 0; j < 8; j++)
            sum += acc[j];
        dbias[c] += sum;
    }
}

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
    const size_t pool1 = c1 * s->H2 * s->W2;
    const size_t grad = max2(s->F, max2(c->hidden, c->classes));
    s->pool_first = c->act == MUON_ACT_RELU;
    /* Chunks of the size conv2 picks for its products (its column count
     * is the smaller one); the checks passed in cnn_layout and do not
     * depend on B. */
    (void)muon_conv2d_dims_init(&s->d2, B, c1, s->H2, s->W2, c2, c->kernel,
                                c->kernel, 1, c->kernel / 2);
    s->NBC = s->d2.NB;
    (void)muon_conv2d_dims_init(&s->d1, s->NBC, c->in_c, c->in_h, c->in_w,
                                c1, c->kernel, c->kernel, 1, c->kernel / 2);
    s->d1.NB = s->d2.NB = s->NBC;
    s->d1.cnhw = s->d2.cnhw = 1;
    s->x = model_arena_f(a, B, c->in_c * c->in_h * c->in_w);
    s->c1 = s->pool_first ? NULL : model_arena_f(a, B, big1);
    s->a1 = s->pool_first ? NULL : model_arena_f(a, B, big1);
    s->q1 = s->pool_first ? model_arena_f(a, B, pool1) : NULL;
    s->p1 = model_arena_f(a, B, pool1);
    s->c2 = s->pool_first ? NULL : model_arena_f(a, B, big2);
    s->a2 = s->pool_first ? NULL : model_arena_f(a, B, big2);
    s->q2 = s->pool_first ? model_arena_f(a, B, s->F) : NULL;
    s->p2 = model_arena_f(a, B, s->F);
    s->f = model_arena_f(a, B, s->F);
    s->z3 = model_arena_f(a, B, c->hidden);
    s->h3 = model_arena_f(a, B, c->hidden);
    s->logits = model_arena_f(a, B, c->classes);
    s->probs = model_arena_f(a, B, c->classes);
    /* NBC images per product in both layers; the arena checks the
     * multiplication by NBC (col_size itself is then at most this). */
    s->col = model_arena_f(a, s->NBC,
                           max2((c->in_c * c->kernel * c->kernel + c1) *
                                    c->in_h * c->in_w,
                                (c1 * c->kernel * c->kernel + c2) * s->H2 *
                                    s->W2));
    s->cs = s->pool_first ? model_arena_f(a, s->NBC, max2(big1, big2))
                          : NULL;
    s->ga = model_arena_f(a, s->NBC, max2(big1, big2));
    s->gb = model_arena_f(a, s->NBC, max2(big1, big2));
    s->da = model_arena_f(a, B, grad);
    s->db = model_arena_f(a, B, grad);
    s->i1 = model_arena_i(a, B, pool1);
    s->i2 = model_arena_i(a, B, s->F);
}

/* One block on a chunk of n images, after its convolution conv (C,n,H,W):
 * out = pool(act(conv)) (the convolution added the bias), or with
 * pool_first out = act(pool(conv) + bias), pre = pool(conv) + bias.  act
 * (C,n,H,W) receives act(conv) in the textbook order. */
static void
block_forward(muon_model *m, float *out, float *pre, float *act, int *idx,
              const float *conv, const float *bias, size_t C, size_t n,
              size_t H, size_t W)
{
    const cnn_state *s = m->priv;
    const size_t pl = n * (H / 2) * (W / 2);
    /* The pooling works plane by plane: (C,n) planes as good as (n,C). */
    if (s->pool_first) {
        muon_maxpool_forward_f32(pre, idx, conv, C, n, H, W, 2);
        add_bias(pre, bias, C, pl);
        muon_relu_forward_f32(out, pre, C * pl);
    } else {
        model_act_forward(m->cfg.act, act, conv, C * n * H * W);
        muon_maxpool_forward_f32(out, idx, act, C, n, H, W, 2);
    }
}

/* Its backward: d (C,n,H/2,W/2) is the gradient of out (clobbered), dconv
 * (C,n,H,W) receives the gradient of conv; with pool_first the bias
 * gradient is accumulated here (the convolution then skips it). */
static void
block_backward(muon_model *m, float *dconv, float *dbias, float *d,
               const float *pre, const float *out, const float *act,
               const int *idx, const float *conv, size_t C, size_t n,
               size_t H, size_t W)
{
    const cnn_state *s = m->priv;
    const size_t pl = n * (H / 2) * (W / 2);
    if (s->pool_first) {
        model_act_backward(m->cfg.act, d, pre, out, C * pl);
        sum_bias(dbias, d, C, pl);
        muon_maxpool_backward_f32(dconv, d, idx, C, n, H, W, 2);
    } else {
        muon_maxpool_backward_f32(dconv, d, idx, C, n, H, W, 2);
        model_act_backward(m->cfg.act, dconv, conv, act, C * n * H * W);
    }
}

static double
cnn_forward(muon_model *m, const muon_batch *bt, size_t B)
{
    const muon_model_config *c = &m->cfg;
    cnn_state *s = m->priv;
    const size_t c1 = c->channels[0], c2 = c->channels[1];
    const size_t IH = c->in_h, IW = c->in_w, PH = s->H2, PW = s->W2;
    const size_t in = c->in_c * IH * IW, big1 = c1 * IH * IW;
    const size_t pool1 = c1 * PH * PW, big2 = c2 * PH * PW, F = s->F;
    const int pf = s->pool_first;
    for (size_t b0 = 0; b0 < B; b0 += s->NBC) {
        const size_t n = B - b0 < s->NBC ? B - b0 : s->NBC;
        float *x = s->x + b0 * in, *p1 = s->p1 + b0 * pool1;
        float *c1o = pf ? s->cs : s->c1 + b0 * big1;
        float *c2o = pf ? s->cs : s->c2 + b0 * big2;
        s->d1.B = s->d2.B = n;
        /* (n,C,H,W) -> (C,n,H,W); a plain copy for one input channel. */
        swap_planes(x, bt->x + b0 * in, n, c->in_c, IH * IW);
        muon_conv2d_forward_f32(c1o, s->col, x, PD(m, W1),
                                pf ? NULL : PD(m, B1), &s->d1);
        block_forward(m, p1, pf ? s->q1 + b0 * pool1 : NULL,
                      pf ? NULL : s->a1 + b0 * big1, s->i1 + b0 * pool1, c1o,
                      PD(m, B1), c1, n, IH, IW);
        muon_conv2d_forward_f32(c2o, s->col, p1, PD(m, W2),
                                pf ? NULL : PD(m, B2), &s->d2);
        block_forward(m, s->p2 + b0 * F, pf ? s->q2 + b0 * F : NULL,
                      pf ? NULL : s->a2 + b0 * big2, s->i2 + b0 * F, c2o,
                      PD(m, B2), c2, n, PH, PW);
        /* Flatten: (c2,n,H4,W4) -> (n,c2,H4,W4), rows of the (B,F) f. */
        swap_planes(s->f + b0 * F, s->p2 + b0 * F, c2, n, s->H4 * s->W4);
    }
    muon_linear_forward_f32(s->z3, s->f, PD(m, W3), PD(m, B3), B, F,
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
    const size_t IH = c->in_h, IW = c->in_w, PH = s->H2, PW = s->W2;
    const size_t in = c->in_c * IH * IW, big1 = c1 * IH * IW;
    const size_t pool1 = c1 * PH * PW, big2 = c2 * PH * PW, F = s->F;
    const int pf = s->pool_first;
    float *da = s->da, *db = s->db, *ga = s->ga, *gb = s->gb;
    muon_crossentropy_backward_f32(da /* (B,classes) */, s->probs, m->labels,
                                   1.0, B, c->classes);
    muon_linear_backward_f32(db /* (B,hidden) */, PG(m, W4), PG(m, B4), da,
                             s->h3, PD(m, W4), B, c->hidden, c->classes);
    model_act_backward(c->act, db, s->z3, s->h3, B * c->hidden);
    muon_linear_backward_f32(da /* (B,F) */, PG(m, W3), PG(m, B3), db, s->f,
                             PD(m, W3), B, F, c->hidden);
    for (size_t b0 = 0; b0 < B; b0 += s->NBC) {
        const size_t n = B - b0 < s->NBC ? B - b0 : s->NBC;
        s->d1.B = s->d2.B = n;
        swap_planes(ga /* (c2,n,H4,W4) */, da + b0 * F, n, c2,
                    s->H4 * s->W4);
        block_backward(m, gb /* (c2,n,H2,W2) */, PG(m, B2), ga,
                       pf ? s->q2 + b0 * F : NULL, s->p2 + b0 * F,
                       pf ? NULL : s->a2 + b0 * big2, s->i2 + b0 * F,
                       pf ? NULL : s->c2 + b0 * big2, c2, n, PH, PW);
        muon_conv2d_backward_f32(ga /* (c1,n,H2,W2) */, PG(m, W2),
                                 pf ? NULL : PG(m, B2), s->col, gb,
                                 s->p1 + b0 * pool1, PD(m, W2), &s->d2);
        block_backward(m, gb /* (c1,n,H,W) */, PG(m, B1), ga,
                       pf ? s->q1 + b0 * pool1 : NULL, s->p1 + b0 * pool1,
                       pf ? NULL : s->a1 + b0 * big1, s->i1 + b0 * pool1,
                       pf ? NULL : s->c1 + b0 * big1, c1, n, IH, IW);
        /* The input image needs no gradient. */
        muon_conv2d_backward_f32(NULL, PG(m, W1), pf ? NULL : PG(m, B1),
                                 s->col, gb, s->x + b0 * in, PD(m, W1),
                                 &s->d1);
    }
}

const model_ops model_cnn_ops = {cnn_layout, cnn_plan, cnn_forward,
                                 cnn_backward};
