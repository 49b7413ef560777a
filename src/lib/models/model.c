/* model.c: the family-independent part of muon/model.h: configuration,
 * parameter table and buffers, initialisation, input validation,
 * evaluation helpers. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "muon/nn.h"
#include "muon/status.h"
#include "model_impl.h"

/* Each size is capped so that products of a handful of them (and a batch
 * size under the same cap) stay far from SIZE_MAX; real models are far
 * smaller. */
#define SIZE_CAP ((size_t)1 << 24)

/* ---- configuration ------------------------------------------------------ */

static const char *const kind_names[] = {"linear", "mlp", "cnn", "gpt"};
static const char *const act_names[] = {"relu", "gelu", "tanh"};
static const char *const loss_names[] = {"ce", "mse"};

const char *
muon_model_kind_name(muon_model_kind k)
{
    return (unsigned)k < 4 ? kind_names[k] : "?";
}

void
muon_model_config_default(muon_model_config *cfg, muon_model_kind kind)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->kind = kind;
    cfg->act = MUON_ACT_RELU;
    cfg->loss = MUON_LOSS_CE;
    switch (kind) {
    case MUON_MODEL_LINEAR:
        cfg->widths[0] = 64, cfg->widths[1] = 64, cfg->nwidths = 2;
        cfg->loss = MUON_LOSS_MSE;
        break;
    case MUON_MODEL_MLP:
        cfg->widths[0] = 784, cfg->widths[1] = 256, cfg->widths[2] = 128;
        cfg->widths[3] = 10, cfg->nwidths = 4;
        cfg->bias = 1;
        break;
    case MUON_MODEL_CNN:
        cfg->in_c = 1, cfg->in_h = 28, cfg->in_w = 28;
        cfg->channels[0] = 32, cfg->channels[1] = 64;
        cfg->kernel = 3, cfg->hidden = 128, cfg->classes = 10;
        break;
    case MUON_MODEL_GPT:
        cfg->vocab = 96, cfg->seq_len = 64, cfg->layers = 2;
        cfg->heads = 4, cfg->width = 64, cfg->tied_head = 1;
        cfg->act = MUON_ACT_GELU;
        break;
    }
}

/* Strict decimal size: digits only, no sign, no overflow. */
static int
parse_size(const char *key, const char *s, size_t len, size_t *out)
{
    size_t v = 0;
    if (len == 0)
        return MUON_ERROR(MUON_EINVAL, "model spec: '%s' has an empty value",
                          key);
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return MUON_ERROR(MUON_EINVAL,
                              "model spec: '%s' value '%.*s' is not a "
                              "non-negative integer",
                              key, (int)len, s);
        if (v > (SIZE_MAX - 9) / 10)
            return MUON_ERROR(MUON_EINVAL,
                              "model spec: '%s' value '%.*s' is too large",
                              key, (int)len, s);
        v = v * 10 + (size_t)(s[i] - '0');
    }
    *out = v;
    return MUON_SUCCESS;
}

/* A list of sizes separated by `sep` ("784-256-10", "1x28x28"). */
static int
parse_list(const char *key, const char *s, size_t len, char sep, size_t *out,
           size_t max, size_t *n)
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != sep)
            continue;
        if (k == max)
            return MUON_ERROR(MUON_EINVAL,
                              "model spec: '%s' value '%.*s' has more than "
                              "%zu entries",
                              key, (int)len, s, max);
        int st = parse_size(key, s + start, i - start, &out[k++]);
        if (st)
            return st;
        start = i + 1;
    }
    *n = k;
    return MUON_SUCCESS;
}

static int
parse_name(const char *key, const char *s, size_t len,
           const char *const *names, size_t count, int *out)
{
    for (size_t i = 0; i < count; i++)
        if (strlen(names[i]) == len && !strncmp(s, names[i], len)) {
            *out = (int)i;
            return MUON_SUCCESS;
        }
    char list[128] = "";
    for (size_t i = 0; i < count; i++) {
        strncat(list, names[i], sizeof list - strlen(list) - 1);
        if (i + 1 < count)
            strncat(list, "|", sizeof list - strlen(list) - 1);
    }
    return MUON_ERROR(MUON_EUNKNOWN,
                      "model spec: unknown %s '%.*s' (valid: %s)", key,
                      (int)len, s, list);
}

static int
parse_flag(const char *key, const char *s, size_t len, int *out)
{
    size_t v;
    int st = parse_size(key, s, len, &v);
    if (st)
        return st;
    if (v > 1)
        return MUON_ERROR(MUON_EINVAL, "model spec: '%s' must be 0 or 1 "
                          "(got %zu)", key, v);
    *out = (int)v;
    return MUON_SUCCESS;
}

/* The keys each family accepts, space-separated with spaces around. */
static const char *const family_keys[] = {
    " widths bias loss ", " widths act bias loss ",
    " input channels kernel hidden classes act ",
    " vocab seq layers heads width tied "};

static int
parse_item(muon_model_config *cfg, const char *key, size_t klen,
           const char *val, size_t vlen)
{
    char k[24];
    size_t n;
    int iv = 0, st;
    if (klen == 0 || klen >= sizeof k - 2)
        return MUON_ERROR(MUON_EUNKNOWN, "model spec: bad key '%.*s'",
                          (int)klen, key);
    k[0] = ' ';
    memcpy(k + 1, key, klen);
    k[klen + 1] = ' ';
    k[klen + 2] = 0;
    if (!strstr(family_keys[cfg->kind], k))
        return MUON_ERROR(MUON_EUNKNOWN,
                          "model spec: unknown key '%.*s' for %s (valid:%s)",
                          (int)klen, key, muon_model_kind_name(cfg->kind),
                          family_keys[cfg->kind]);
    k[klen + 1] = 0;
    const char *K = k + 1;
    if (!strcmp(K, "widths"))
        return parse_list(K, val, vlen, '-', cfg->widths,
                          MUON_MODEL_MAXWIDTHS, &cfg->nwidths);
    if (!strcmp(K, "input")) {
        size_t v[3];
        if ((st = parse_list(K, val, vlen, 'x', v, 3, &n)))
            return st;
        if (n != 3)
            return MUON_ERROR(MUON_EINVAL, "model spec: input '%.*s' must "
                              "be CxHxW", (int)vlen, val);
        cfg->in_c = v[0], cfg->in_h = v[1], cfg->in_w = v[2];
        return MUON_SUCCESS;
    }
    if (!strcmp(K, "channels")) {
        if ((st = parse_list(K, val, vlen, '-', cfg->channels, 2, &n)))
            return st;
        if (n != 2)
            return MUON_ERROR(MUON_EINVAL, "model spec: channels '%.*s' "
                              "must be two counts C1-C2", (int)vlen, val);
        return MUON_SUCCESS;
    }
    if (!strcmp(K, "act")) {
        if ((st = parse_name(K, val, vlen, act_names, 3, &iv)))
            return st;
        cfg->act = (muon_activation)iv;
        return MUON_SUCCESS;
    }
    if (!strcmp(K, "loss")) {
        if ((st = parse_name(K, val, vlen, loss_names, 2, &iv)))
            return st;
        cfg->loss = (muon_loss_kind)iv;
        return MUON_SUCCESS;
    }
    if (!strcmp(K, "bias"))
        return parse_flag(K, val, vlen, &cfg->bias);
    if (!strcmp(K, "tied"))
        return parse_flag(K, val, vlen, &cfg->tied_head);
    size_t *dst = !strcmp(K, "kernel")    ? &cfg->kernel
                  : !strcmp(K, "hidden")  ? &cfg->hidden
                  : !strcmp(K, "classes") ? &cfg->classes
                  : !strcmp(K, "vocab")   ? &cfg->vocab
                  : !strcmp(K, "seq")     ? &cfg->seq_len
                  : !strcmp(K, "layers")  ? &cfg->layers
                  : !strcmp(K, "heads")   ? &cfg->heads
                                          : &cfg->width;
    return parse_size(K, val, vlen, dst);
}

int
muon_model_config_parse(muon_model_config *cfg, const char *spec)
{
    const char *colon = strchr(spec, ':');
    size_t klen = colon ? (size_t)(colon - spec) : strlen(spec);
    int kind, st;
    if ((st = parse_name("model kind", spec, klen, kind_names, 4, &kind)))
        return st;
    muon_model_config_default(cfg, (muon_model_kind)kind);
    if (!colon)
        return muon_model_config_check(cfg);
    const char *p = colon + 1;
    for (int first = 1; *p; first = 0) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq && first && (kind == MUON_MODEL_MLP ||
                             kind == MUON_MODEL_LINEAR))
            st = parse_item(cfg, "widths", 6, p, len);
        else if (!eq)
            st = MUON_ERROR(MUON_EINVAL, "model spec: item '%.*s' is not "
                            "key=value", (int)len, p);
        else
            st = parse_item(cfg, p, (size_t)(eq - p), eq + 1,
                            len - (size_t)(eq - p) - 1);
        if (st)
            return st;
        p += len + (end ? 1 : 0);
    }
    return muon_model_config_check(cfg);
}

static int
check_size(const char *field, size_t v)
{
    if (v < 1 || v > SIZE_CAP)
        return MUON_ERROR(MUON_EINVAL, "model config: %s must be in "
                          "[1, %zu] (got %zu)", field, SIZE_CAP, v);
    return MUON_SUCCESS;
}

int
muon_model_config_check(const muon_model_config *c)
{
    int st = MUON_SUCCESS;
    switch (c->kind) {
    case MUON_MODEL_LINEAR:
    case MUON_MODEL_MLP:
        if (c->nwidths < 2 || c->nwidths > MUON_MODEL_MAXWIDTHS)
            return MUON_ERROR(MUON_EINVAL, "model config: %s needs 2..%d "
                              "widths (got %zu)",
                              muon_model_kind_name(c->kind),
                              MUON_MODEL_MAXWIDTHS, c->nwidths);
        if (c->kind == MUON_MODEL_LINEAR && c->nwidths != 2)
            return MUON_ERROR(MUON_EINVAL, "model config: linear takes "
                              "exactly 2 widths IN-OUT (got %zu)",
                              c->nwidths);
        for (size_t i = 0; i < c->nwidths && !st; i++)
            st = check_size("a width", c->widths[i]);
        if (!st && c->loss == MUON_LOSS_CE && c->widths[c->nwidths - 1] < 2)
            return MUON_ERROR(MUON_EINVAL, "model config: cross-entropy "
                              "needs >= 2 outputs (got %zu)",
                              c->widths[c->nwidths - 1]);
        break;
    case MUON_MODEL_CNN:
        if ((st = check_size("input channels", c->in_c)) ||
            (st = check_size("input height", c->in_h)) ||
            (st = check_size("input width", c->in_w)) ||
            (st = check_size("channels[0]", c->channels[0])) ||
            (st = check_size("channels[1]", c->channels[1])) ||
            (st = check_size("kernel", c->kernel)) ||
            (st = check_size("hidden", c->hidden)) ||
            (st = check_size("classes", c->classes)))
            return st;
        if (c->kernel % 2 == 0)
            return MUON_ERROR(MUON_EINVAL, "model config: cnn kernel must "
                              "be odd for 'same' padding (got %zu)",
                              c->kernel);
        /* Two 2x2 poolings: each side must be at least 4 pixels. */
        if (c->in_h < 4 || c->in_w < 4 || c->kernel > c->in_h / 2 * 2 + 1)
            return MUON_ERROR(MUON_EINVAL, "model config: cnn input %zux%zu "
                              "too small for two 2x2 poolings with a %zux%zu "
                              "kernel", c->in_h, c->in_w, c->kernel,
                              c->kernel);
        if (c->classes < 2)
            return MUON_ERROR(MUON_EINVAL, "model config: classes must be "
                              ">= 2 (got %zu)", c->classes);
        break;
    case MUON_MODEL_GPT:
        if ((st = check_size("vocab", c->vocab)) ||
            (st = check_size("seq", c->seq_len)) ||
            (st = check_size("layers", c->layers)) ||
            (st = check_size("heads", c->heads)) ||
            (st = check_size("width", c->width)))
            return st;
        if (c->width % c->heads)
            return MUON_ERROR(MUON_EINVAL, "model config: width %zu is not "
                              "divisible by heads %zu", c->width, c->heads);
        if (c->vocab < 2 || c->vocab > INT32_MAX)
            return MUON_ERROR(MUON_EINVAL, "model config: vocab must be >= 2"
                              " (got %zu)", c->vocab);
        break;
    default:
        return MUON_ERROR(MUON_EINVAL, "model config: unknown kind %d",
                          (int)c->kind);
    }
    return st;
}

/* ---- parameters and buffers --------------------------------------------- */

int
model_add_param(muon_model *m, const char *name, muon_param_role role,
                size_t ndim, size_t d0, size_t d1, size_t d2, size_t d3)
{
    if (m->nparams == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;
        muon_param *p = realloc(m->params, cap * sizeof *p);
        if (p)
            m->params = p;
        char(*nm)[MODEL_NAME_MAX] = p ? realloc(m->names, cap * sizeof *nm)
                                      : NULL;
        if (nm)
            m->names = nm;
        size_t *off = nm ? realloc(m->offsets, cap * sizeof *off) : NULL;
        if (!off)
            return MUON_ERROR(MUON_ENOMEM, "model: out of memory for the "
                              "parameter table");
        m->offsets = off;
        m->cap = cap;
    }
    muon_param *p = &m->params[m->nparams];
    const size_t dims[4] = {d0, d1, d2, d3};
    size_t count = 1;
    memset(p, 0, sizeof *p);
    /* p->name is set in muon_model_create: names may still move. */
    snprintf(m->names[m->nparams], MODEL_NAME_MAX, "%s", name);
    p->ndim = ndim;
    p->role = role;
    for (size_t i = 0; i < ndim; i++) {
        p->shape[i] = dims[i];
        if (muon_size_mul(&count, count, dims[i]))
            return MUON_ENOMEM;
    }
    m->offsets[m->nparams++] = m->ndata;
    if (m->ndata > SIZE_MAX - count)
        return MUON_ERROR(MUON_ENOMEM, "model: parameter count overflows");
    m->ndata += count;
    return MUON_SUCCESS;
}

/* Draws every tensor in parameter order (see model.h). */
static void
init_params(muon_model *m, unsigned long long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, (unsigned long)seed);
    for (size_t i = 0; i < m->nparams; i++) {
        muon_param *p = &m->params[i];
        size_t n = muon_param_count(p), fan_in = n / p->shape[0];
        double bound = 1 / sqrt((double)fan_in);
        for (size_t j = 0; j < n; j++)
            switch (p->role) {
            case MUON_ROLE_BIAS: p->data[j] = 0; break;
            case MUON_ROLE_GAIN: p->data[j] = 1; break;
            case MUON_ROLE_EMBEDDING:
                p->data[j] = (float)gsl_ran_gaussian(r, 0.02);
                break;
            default:
                p->data[j] = (float)(bound * (2 * gsl_rng_uniform(r) - 1));
            }
    }
    gsl_rng_free(r);
}

muon_model *
muon_model_create(const muon_model_config *cfg, unsigned long long seed)
{
    if (muon_model_config_check(cfg))
        return NULL;
    muon_model *m = calloc(1, sizeof *m);
    if (!m)
        return MUON_ERROR_NULL(MUON_ENOMEM, "model: out of memory");
    m->cfg = *cfg;
    m->ops = cfg->kind == MUON_MODEL_CNN   ? &model_cnn_ops
             : cfg->kind == MUON_MODEL_GPT ? &model_gpt_ops
                                           : &model_mlp_ops;
    if (m->ops->layout(m))
        goto fail;
    m->data = calloc(m->ndata, sizeof *m->data);
    m->grad = calloc(m->ndata, sizeof *m->grad);
    if (!m->data || !m->grad) {
        (void)MUON_ERROR(MUON_ENOMEM, "model: out of memory for %zu "
                         "parameters", m->ndata);
        goto fail;
    }
    for (size_t i = 0; i < m->nparams; i++) {
        m->params[i].data = m->data + m->offsets[i];
        m->params[i].grad = m->grad + m->offsets[i];
        m->params[i].name = m->names[i];
    }
    init_params(m, seed);
    return m;
fail:
    muon_model_free(m);
    return NULL;
}

void
muon_model_free(muon_model *m)
{
    if (!m)
        return;
    free(m->params);
    free(m->names);
    free(m->offsets);
    free(m->data);
    free(m->grad);
    free(m->act);
    free(m->iact);
    free(m->priv);
    free(m);
}

const muon_model_config *
muon_model_get_config(const muon_model *m)
{
    return &m->cfg;
}

size_t
muon_model_nparams(const muon_model *m)
{
    return m->ndata;
}

const muon_param *
muon_model_params(const muon_model *m, size_t *count)
{
    *count = m->nparams;
    return m->params;
}

float *
muon_model_data(muon_model *m)
{
    return m->data;
}

float *
muon_model_grad(muon_model *m)
{
    return m->grad;
}

/* ---- activations -------------------------------------------------------- */

static size_t
arena_count(model_arena *a, size_t x, size_t y)
{
    size_t n;
    if (__builtin_mul_overflow(x, y, &n))
        a->overflow = 1;
    return n;
}

float *
model_arena_f(model_arena *a, size_t x, size_t y)
{
    size_t n = arena_count(a, x, y);
    float *p = a->f ? a->f + a->nf : NULL;
    if (__builtin_add_overflow(a->nf, n, &a->nf))
        a->overflow = 1;
    return p;
}

int *
model_arena_i(model_arena *a, size_t x, size_t y)
{
    size_t n = arena_count(a, x, y);
    int *p = a->i ? a->i + a->ni : NULL;
    if (__builtin_add_overflow(a->ni, n, &a->ni))
        a->overflow = 1;
    return p;
}

/* Rows of targets per sample: T for token models, 1 otherwise. */
static size_t
rows_per_sample(const muon_model *m)
{
    return m->cfg.kind == MUON_MODEL_GPT ? m->cfg.seq_len : 1;
}

static size_t
n_outputs(const muon_model *m)
{
    const muon_model_config *c = &m->cfg;
    return c->kind == MUON_MODEL_CNN   ? c->classes
           : c->kind == MUON_MODEL_GPT ? c->vocab
                                       : c->widths[c->nwidths - 1];
}

int
muon_model_reserve(muon_model *m, size_t maxB)
{
    if (maxB < 1 || maxB > SIZE_CAP)
        return MUON_ERROR(MUON_EINVAL, "model: batch size must be in "
                          "[1, %zu] (got %zu)", SIZE_CAP, maxB);
    model_arena a = {0};
    /* The copied targets come first, then the family's buffers. */
    (void)model_arena_i(&a, maxB, rows_per_sample(m));
    (void)model_arena_f(&a, maxB, n_outputs(m));
    m->ops->plan(m, maxB, &a);
    if (a.overflow)
        return MUON_ERROR(MUON_ENOMEM, "model: activations for batch %zu "
                          "overflow size_t", maxB);
    float *f = malloc((a.nf ? a.nf : 1) * sizeof *f);
    int *i = malloc((a.ni ? a.ni : 1) * sizeof *i);
    if (!f || !i) {
        free(f);
        free(i);
        return MUON_ERROR(MUON_ENOMEM, "model: out of memory for %zu "
                          "activation values (batch %zu)", a.nf, maxB);
    }
    free(m->act);
    free(m->iact);
    m->act = f, m->iact = i, m->maxB = maxB;
    m->have_forward = 0;
    model_arena b = {.f = f, .i = i};
    m->labels = model_arena_i(&b, maxB, rows_per_sample(m));
    m->y = model_arena_f(&b, maxB, n_outputs(m));
    m->ops->plan(m, maxB, &b);
    return MUON_SUCCESS;
}

/* ---- forward / backward ------------------------------------------------- */

static int
check_range(const char *what, const int *v, size_t B, size_t T, size_t hi)
{
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++) {
            int x = v[b * T + t];
            if (x < 0 || (size_t)x >= hi) {
                if (T > 1)
                    return MUON_ERROR(MUON_EINVAL, "model: %s[%zu][%zu] = %d"
                                      " is outside [0, %zu)", what, b, t, x,
                                      hi);
                return MUON_ERROR(MUON_EINVAL, "model: %s[%zu] = %d is "
                                  "outside [0, %zu)", what, b, x, hi);
            }
        }
    return MUON_SUCCESS;
}

static int
missing(const char *field, const muon_model *m)
{
    return MUON_ERROR(MUON_EINVAL, "model: batch field '%s' is required by "
                      "%s models", field, muon_model_kind_name(m->cfg.kind));
}

int
muon_model_forward(muon_model *m, const muon_batch *batch, size_t B,
                   double *loss)
{
    const muon_model_config *c = &m->cfg;
    const size_t T = rows_per_sample(m), out = n_outputs(m);
    int st;
    m->have_forward = 0;
    if (!m->act)
        return MUON_ERROR(MUON_EINVAL, "model: call muon_model_reserve "
                          "before muon_model_forward");
    if (B < 1 || B > m->maxB)
        return MUON_ERROR(MUON_EINVAL, "model: batch of %zu samples outside "
                          "[1, %zu] (the reserved size)", B, m->maxB);
    if (c->kind == MUON_MODEL_GPT) {
        if (!batch->tokens)
            return missing("tokens", m);
        if (!batch->targets)
            return missing("targets", m);
        if ((st = check_range("tokens", batch->tokens, B, T, c->vocab)) ||
            (st = check_range("targets", batch->targets, B, T, c->vocab)))
            return st;
        memcpy(m->labels, batch->targets, B * T * sizeof *m->labels);
    } else {
        int mse = c->kind != MUON_MODEL_CNN && c->loss == MUON_LOSS_MSE;
        if (!batch->x)
            return missing("x", m);
        if (mse && !batch->y)
            return missing("y", m);
        if (!mse && !batch->labels)
            return missing("labels", m);
        if (mse)
            memcpy(m->y, batch->y, B * out * sizeof *m->y);
        else if ((st = check_range("labels", batch->labels, B, 1, out)))
            return st;
        else
            memcpy(m->labels, batch->labels, B * sizeof *m->labels);
    }
    double L = m->ops->forward(m, batch, B);
    if (loss)
        *loss = L;
    if (!isfinite(L))
        return MUON_ERROR(MUON_ENONFINITE, "model: %s loss is %g on a batch "
                          "of %zu", muon_model_kind_name(c->kind), L, B);
    m->B = B;
    m->out_rows = B * T;
    m->out_cols = out;
    m->have_forward = 1;
    return MUON_SUCCESS;
}

int
muon_model_backward(muon_model *m)
{
    if (!m->have_forward)
        return MUON_ERROR(MUON_EINVAL, "model: muon_model_backward needs a "
                          "successful muon_model_forward first");
    memset(m->grad, 0, m->ndata * sizeof *m->grad);
    m->ops->backward(m);
    return MUON_SUCCESS;
}

const float *
muon_model_output(const muon_model *m, size_t *rows, size_t *cols)
{
    if (!m->have_forward)
        return NULL;
    *rows = m->out_rows;
    *cols = m->out_cols;
    return m->out;
}

int
muon_model_correct(const muon_model *m, size_t *correct, size_t *total)
{
    const muon_model_config *c = &m->cfg;
    if (!m->have_forward)
        return MUON_ERROR(MUON_EINVAL, "model: muon_model_correct needs a "
                          "successful muon_model_forward first");
    if (c->kind != MUON_MODEL_CNN && c->kind != MUON_MODEL_GPT &&
        c->loss == MUON_LOSS_MSE)
        return MUON_ERROR(MUON_EINVAL, "model: accuracy is undefined for "
                          "a regression (mse) model");
    size_t ok = 0;
    for (size_t r = 0; r < m->out_rows; r++) {
        int best;
        muon_argmax_rows_f32(&best, m->out + r * m->out_cols, 1, m->out_cols);
        ok += best == m->labels[r];
    }
    *correct = ok;
    *total = m->out_rows;
    return MUON_SUCCESS;
}

int
muon_model_describe(const muon_model *m, FILE *f)
{
    int bad = fprintf(f, "%-24s %-18s %-10s %10s\n", "name", "shape", "role",
                      "count") < 0;
    for (size_t i = 0; i < m->nparams && !bad; i++) {
        const muon_param *p = &m->params[i];
        char shape[64] = "";
        size_t used = 0;
        for (size_t d = 0; d < p->ndim && used < sizeof shape; d++)
            used += (size_t)snprintf(shape + used, sizeof shape - used,
                                     d ? "x%zu" : "%zu", p->shape[d]);
        bad = fprintf(f, "%-24s %-18s %-10s %10zu\n", p->name, shape,
                      muon_param_role_name(p->role), muon_param_count(p)) < 0;
    }
    if (!bad)
        bad = fprintf(f, "%-24s %-18s %-10s %10zu\n", "total", "", "",
                      m->ndata) < 0;
    if (bad || fflush(f))
        return MUON_ERROR(MUON_EIO, "model: writing the parameter table "
                          "failed: %s", strerror(errno));
    return MUON_SUCCESS;
}

/* ---- activation helpers ------------------------------------------------- */

void
model_act_forward(muon_activation act, float *h, const float *z, size_t n)
{
    switch (act) {
    case MUON_ACT_RELU: muon_relu_forward_f32(h, z, n); break;
    case MUON_ACT_GELU: muon_gelu_forward_f32(h, z, n); break;
    case MUON_ACT_TANH: muon_tanh_forward_f32(h, z, n); break;
    }
}

void
model_act_backward(muon_activation act, float *d, const float *z,
                   const float *h, size_t n)
{
    switch (act) {
    case MUON_ACT_RELU: muon_relu_backward_f32(d, d, z, n); break;
    case MUON_ACT_GELU: muon_gelu_backward_f32(d, d, z, n); break;
    case MUON_ACT_TANH: muon_tanh_backward_f32(d, d, h, n); break;
    }
}
