/* gpt.c: a tiny decoder-only transformer (GPT-2 layout, pre-LayerNorm):
 * x = wte[tok] + wpe[t]; per block x += proj(attn(ln1(x))),
 * x += mlp(ln2(x)) with mlp = proj(gelu(fc)); logits = lnf(x) head^T. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muon/nn.h"
#include "model_impl.h"

/* Parameter order: wte, wpe, NB per block, then lnf and the head. */
enum {
    LN1W, LN1B, QKVW, QKVB, ATPW, ATPB, LN2W, LN2B, FCW, FCB, FCPW, FCPB, NB
};
enum { WTE = 0, WPE = 1, BLK0 = 2 };

typedef struct {
    float *ln1, *ln1m, *ln1r;   /* (N,C), (N), (N) */
    float *qkv;                 /* (N,3C) */
    float *att;                 /* (B,NH,T,T) */
    float *atty;                /* (N,C) attention output before proj */
    float *res1;                /* (N,C) x + attention branch */
    float *ln2, *ln2m, *ln2r;   /* (N,C), (N), (N) */
    float *fch, *fchg;          /* (N,4C) fc output, after GELU */
    float *res2;                /* (N,C) block output */
} gpt_block;

typedef struct {
    int *tokens;               /* (N) copied inputs */
    float *x0;                 /* (N,C) embedding output */
    gpt_block *blk;            /* (layers) */
    float *lnf, *lnfm, *lnfr;  /* (N,C), (N), (N) */
    float *logits, *probs;     /* (N,V) */
    float *branch;             /* (N,C) scratch: a branch before the add */
    float *dres, *dc1, *dc2;   /* (N,C) gradients */
    float *d3, *d4, *dlogits;  /* (N,3C), (N,4C), (N,V) */
    float *datt;               /* (T,T) */
} gpt_state;

static size_t
pidx(size_t layer, size_t which)
{
    return BLK0 + layer * NB + which;
}

static int
gpt_layout(muon_model *m)
{
    const muon_model_config *c = &m->cfg;
    const size_t C = c->width, V = c->vocab;
    static const struct {
        const char *name;
        muon_param_role role;
        size_t rows, cols; /* in units of C; cols 0 = a vector */
    } blk[NB] = {
        {"ln1.weight", MUON_ROLE_GAIN, 1, 0},
        {"ln1.bias", MUON_ROLE_BIAS, 1, 0},
        {"attn.qkv.weight", MUON_ROLE_HIDDEN, 3, 1},
        {"attn.qkv.bias", MUON_ROLE_BIAS, 3, 0},
        {"attn.proj.weight", MUON_ROLE_HIDDEN, 1, 1},
        {"attn.proj.bias", MUON_ROLE_BIAS, 1, 0},
        {"ln2.weight", MUON_ROLE_GAIN, 1, 0},
        {"ln2.bias", MUON_ROLE_BIAS, 1, 0},
        {"mlp.fc.weight", MUON_ROLE_HIDDEN, 4, 1},
        {"mlp.fc.bias", MUON_ROLE_BIAS, 4, 0},
        {"mlp.proj.weight", MUON_ROLE_HIDDEN, 1, 4},
        {"mlp.proj.bias", MUON_ROLE_BIAS, 1, 0},
    };
    char name[MODEL_NAME_MAX];
    /* One allocation (model.c frees m->priv): the state, then the blocks;
     * both hold only pointers, so the blocks are aligned. */
    gpt_state *s = calloc(1, sizeof *s + c->layers * sizeof(gpt_block));
    int st;
    if (!(m->priv = s))
        return MUON_ERROR(MUON_ENOMEM, "gpt: out of memory");
    s->blk = (gpt_block *)(s + 1);
    if ((st = model_add_param(m, "wte", MUON_ROLE_EMBEDDING, 2, V, C, 0, 0)) ||
        (st = model_add_param(m, "wpe", MUON_ROLE_EMBEDDING, 2, c->seq_len,
                              C, 0, 0)))
        return st;
    for (size_t l = 0; l < c->layers; l++)
        for (size_t j = 0; j < NB; j++) {
            snprintf(name, sizeof name, "h.%zu.%s", l, blk[j].name);
            st = blk[j].cols
                     ? model_add_param(m, name, blk[j].role, 2,
                                       blk[j].rows * C, blk[j].cols * C, 0, 0)
                     : model_add_param(m, name, blk[j].role, 1,
                                       blk[j].rows * C, 0, 0, 0);
            if (st)
                return st;
        }
    if ((st = model_add_param(m, "lnf.weight", MUON_ROLE_GAIN, 1, C, 0, 0,
                              0)) ||
        (st = model_add_param(m, "lnf.bias", MUON_ROLE_BIAS, 1, C, 0, 0, 0)))
        return st;
    /* Tied: the head is wte itself (its gradient collects both uses). */
    if (!c->tied_head &&
        (st = model_add_param(m, "head.weight", MUON_ROLE_HEAD, 2, V, C, 0,
                              0)))
        return st;
    return MUON_SUCCESS;
}

static void
gpt_plan(muon_model *m, size_t B, model_arena *a)
{
    const muon_model_config *c = &m->cfg;
    gpt_state *s = m->priv;
    const size_t T = c->seq_len, C = c->width, V = c->vocab;
    size_t N;
    if (__builtin_mul_overflow(B, T, &N))
        a->overflow = 1;
    s->tokens = model_arena_i(a, N, 1);
    s->x0 = model_arena_f(a, N, C);
    for (size_t l = 0; l < c->layers; l++) {
        gpt_block *k = &s->blk[l];
        k->ln1 = model_arena_f(a, N, C);
        k->ln1m = model_arena_f(a, N, 1);
        k->ln1r = model_arena_f(a, N, 1);
        k->qkv = model_arena_f(a, N, 3 * C);
        k->att = model_arena_f(a, B * c->heads, T * T);
        k->atty = model_arena_f(a, N, C);
        k->res1 = model_arena_f(a, N, C);
        k->ln2 = model_arena_f(a, N, C);
        k->ln2m = model_arena_f(a, N, 1);
        k->ln2r = model_arena_f(a, N, 1);
        k->fch = model_arena_f(a, N, 4 * C);
        k->fchg = model_arena_f(a, N, 4 * C);
        k->res2 = model_arena_f(a, N, C);
    }
    s->lnf = model_arena_f(a, N, C);
    s->lnfm = model_arena_f(a, N, 1);
    s->lnfr = model_arena_f(a, N, 1);
    s->logits = model_arena_f(a, N, V);
    s->probs = model_arena_f(a, N, V);
    s->branch = model_arena_f(a, N, C);
    s->dres = model_arena_f(a, N, C);
    s->dc1 = model_arena_f(a, N, C);
    s->dc2 = model_arena_f(a, N, C);
    s->d3 = model_arena_f(a, N, 3 * C);
    s->d4 = model_arena_f(a, N, 4 * C);
    s->dlogits = model_arena_f(a, N, V);
    s->datt = model_arena_f(a, T, T);
}

static float *
head(muon_model *m, int grad)
{
    size_t i = m->cfg.tied_head ? WTE : m->nparams - 1;
    return grad ? PG(m, i) : PD(m, i);
}

static double
gpt_forward(muon_model *m, const muon_batch *bt, size_t B)
{
    const muon_model_config *c = &m->cfg;
    gpt_state *s = m->priv;
    const size_t T = c->seq_len, C = c->width, V = c->vocab, N = B * T;
    const size_t lnf = BLK0 + c->layers * NB;
    memcpy(s->tokens, bt->tokens, N * sizeof *s->tokens);
    muon_embedding_forward_f32(s->x0, s->tokens, PD(m, WTE), PD(m, WPE), B, T,
                               C);
    const float *x = s->x0; /* (N,C) the residual stream */
    for (size_t l = 0; l < c->layers; l++) {
        gpt_block *k = &s->blk[l];
#define W(j) PD(m, pidx(l, j))
        muon_layernorm_forward_f32(k->ln1, k->ln1m, k->ln1r, x, W(LN1W),
                                   W(LN1B), N, C);
        muon_linear_forward_f32(k->qkv, k->ln1, W(QKVW), W(QKVB), N, C,
                                3 * C);
        muon_attention_forward_f32(k->atty, k->att, k->qkv, B, T, C,
                                   c->heads);
        muon_linear_forward_f32(s->branch, k->atty, W(ATPW), W(ATPB), N, C, C);
        muon_residual_forward_f32(k->res1, x, s->branch, N * C);
        muon_layernorm_forward_f32(k->ln2, k->ln2m, k->ln2r, k->res1, W(LN2W),
                                   W(LN2B), N, C);
        muon_linear_forward_f32(k->fch, k->ln2, W(FCW), W(FCB), N, C, 4 * C);
        muon_gelu_forward_f32(k->fchg, k->fch, N * 4 * C);
        muon_linear_forward_f32(s->branch, k->fchg, W(FCPW), W(FCPB), N,
                                4 * C, C);
        muon_residual_forward_f32(k->res2, k->res1, s->branch, N * C);
#undef W
        x = k->res2;
    }
    muon_layernorm_forward_f32(s->lnf, s->lnfm, s->lnfr, x, PD(m, lnf),
                               PD(m, lnf + 1), N, C);
    muon_linear_forward_f32(s->logits, s->lnf, head(m, 0), NULL, N, C, V);
    m->out = s->logits;
    return muon_crossentropy_forward_f32(s->probs, s->logits, m->labels, N, V);
}

static void
gpt_backward(muon_model *m)
{
    const muon_model_config *c = &m->cfg;
    gpt_state *s = m->priv;
    const size_t B = m->B, T = c->seq_len, C = c->width, V = c->vocab;
    const size_t N = B * T, lnf = BLK0 + c->layers * NB;
    const float *xL = c->layers ? s->blk[c->layers - 1].res2 : s->x0;
    muon_crossentropy_backward_f32(s->dlogits, s->probs, m->labels, 1.0, N, V);
    muon_linear_backward_f32(s->dc1, head(m, 1), NULL, s->dlogits, s->lnf,
                             head(m, 0), N, C, V);
    muon_layernorm_backward_f32(s->dres, PG(m, lnf), PG(m, lnf + 1), s->dc1,
                                xL, PD(m, lnf), s->lnfm, s->lnfr, N, C);
    /* dres holds the gradient of the residual stream, walking down. */
    for (size_t l = c->layers; l-- > 0;) {
        gpt_block *k = &s->blk[l];
        const float *xin = l ? s->blk[l - 1].res2 : s->x0;
#define W(j) PD(m, pidx(l, j))
#define G(j) PG(m, pidx(l, j))
        muon_linear_backward_f32(s->d4, G(FCPW), G(FCPB), s->dres, k->fchg,
                                 W(FCPW), N, 4 * C, C);
        muon_gelu_backward_f32(s->d4, s->d4, k->fch, N * 4 * C);
        muon_linear_backward_f32(s->dc1, G(FCW), G(FCB), s->d4, k->ln2,
                                 W(FCW), N, C, 4 * C);
        muon_layernorm_backward_f32(s->dc2, G(LN2W), G(LN2B), s->dc1, k->res1,
                                    W(LN2W), k->ln2m, k->ln2r, N, C);
        muon_residual_backward_f32(s->dres, NULL, s->dc2, N * C);
        muon_linear_backward_f32(s->dc1, G(ATPW), G(ATPB), s->dres, k->atty,
                                 W(ATPW), N, C, C);
        muon_attention_backward_f32(s->d3, s->datt, s->dc1, k->qkv, k->att, B,
                                    T, C, c->heads);
        muon_linear_backward_f32(s->dc1, G(QKVW), G(QKVB), s->d3, k->ln1,
                                 W(QKVW), N, C, 3 * C);
        muon_layernorm_backward_f32(s->dc2, G(LN1W), G(LN1B), s->dc1, xin,
                                    W(LN1W), k->ln1m, k->ln1r, N, C);
        muon_residual_backward_f32(s->dres, NULL, s->dc2, N * C);
#undef W
#undef G
    }
    muon_embedding_backward_f32(PG(m, WTE), PG(m, WPE), s->dres, s->tokens, B,
                                T, C);
}

const model_ops model_gpt_ops = {gpt_layout, gpt_plan, gpt_forward,
                                 gpt_backward};
