/* optim.c: the Muon driver's allocation and step (formulas in
 * muon/optim.h; KellerJordan/Muon muon.py for the defaults). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muon/precision.h"
#include "muon/status.h"
#include "optim_impl.h"

/* ---- allocation -------------------------------------------------------- */

static int
route_of(const muon_param *p, muon_route r, size_t i, int *is_muon)
{
    if (r == MUON_ROUTE_MUON) {
        /* FAULTS.md C: a forced Muon route on a vector is a mistake, not
         * something to skip silently. */
        if (p->ndim < 2)
            return MUON_ERROR(MUON_EINVAL, "parameter %zu '%s' has %zu "
                              "dimension(s): Muon needs a matrix (>= 2-D)", i,
                              p->name ? p->name : "?", p->ndim);
        *is_muon = 1;
    } else if (r == MUON_ROUTE_AUX) {
        *is_muon = 0;
    } else if (r == MUON_ROUTE_AUTO) {
        *is_muon = p->ndim >= 2 && p->role == MUON_ROLE_HIDDEN;
    } else {
        return MUON_ERROR(MUON_EINVAL, "parameter %zu '%s': unknown route %d",
                          i, p->name ? p->name : "?", (int)r);
    }
    return MUON_SUCCESS;
}

static float *
zalloc(size_t count)
{
    return calloc(count ? count : 1, sizeof(float));
}

static int
setup_groups(muon_optim *o)
{
    const muon_optim_config *c = &o->cfg;
    o->groups = calloc(o->n ? o->n : 1, sizeof *o->groups);
    if (!o->groups)
        return MUON_ERROR(MUON_ENOMEM, "optimizer: out of memory");
    for (size_t i = 0; i < o->n; i++) {
        if (!o->is_muon[i])
            continue;
        muon_slot *s = &o->slot[i];
        size_t g = 0;
        while (g < o->ngroups &&
               !(o->groups[g].A == s->A && o->groups[g].B == s->B))
            g++;
        if (g == o->ngroups) {
            o->groups[g].A = s->A;
            o->groups[g].B = s->B;
            o->ngroups++;
        }
        s->group = g;
        s->slot = o->groups[g].n++;
    }
    for (size_t g = 0; g < o->ngroups; g++) {
        muon_group *G = &o->groups[g];
        size_t total;
        if (muon_size_mul3(&total, G->n, G->A, G->B))
            return MUON_ENOMEM;
        G->w = muon_orth_alloc(c->orth, &c->orth_params, G->A, G->B);
        G->in = zalloc(total);
        G->out = zalloc(total);
        if (!G->w || !G->in || !G->out)
            return G->w ? MUON_ERROR(MUON_ENOMEM, "optimizer: out of memory "
                                     "for %zu x %zu x %zu", G->n, G->A, G->B)
                        : MUON_ENOMEM;
    }
    return MUON_SUCCESS;
}

static int
setup_stats(muon_optim *o)
{
    if (!o->cfg.stats_every || !o->ngroups)
        return MUON_SUCCESS;
    size_t *A = malloc(o->ngroups * sizeof *A);
    size_t *B = malloc(o->ngroups * sizeof *B);
    if (!A || !B) {
        free(A);
        free(B);
        return MUON_ERROR(MUON_ENOMEM, "optimizer: out of memory");
    }
    for (size_t g = 0; g < o->ngroups; g++) {
        A[g] = o->groups[g].A;
        B[g] = o->groups[g].B;
    }
    o->svd = muon_svd_stats_alloc(A, B, o->ngroups);
    free(A);
    free(B);
    return o->svd ? MUON_SUCCESS : MUON_ENOMEM;
}

muon_optim *
muon_optim_alloc(const muon_optim_config *cfg, const muon_param *params,
                 size_t n, const muon_route *routes)
{
    if (!cfg || (n && !params))
        return MUON_ERROR_NULL(MUON_EINVAL, "muon_optim_alloc: NULL config "
                               "or parameters");
    if (muon_optim_config_validate(cfg))
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const muon_param *p = &params[i];
        if (p->ndim > MUON_PARAM_MAXDIM)
            return MUON_ERROR_NULL(MUON_EINVAL, "parameter %zu '%s' has %zu "
                                   "dimensions (at most %d)", i,
                                   p->name ? p->name : "?", p->ndim,
                                   MUON_PARAM_MAXDIM);
        size_t count = 1;
        for (size_t d = 0; d < p->ndim; d++)
            if (muon_size_mul(&count, count, p->shape[d]))
                return NULL;
        if (count && (!p->data || !p->grad))
            return MUON_ERROR_NULL(MUON_EINVAL, "parameter %zu '%s' has no "
                                   "data or grad buffer", i,
                                   p->name ? p->name : "?");
    }
    muon_optim *o = calloc(1, sizeof *o);
    if (!o)
        return MUON_ERROR_NULL(MUON_ENOMEM, "optimizer: out of memory");
    o->cfg = *cfg;
    o->n = n;
    size_t nn = n ? n : 1;
    o->params = calloc(nn, sizeof *o->params);
    o->is_muon = calloc(nn, sizeof *o->is_muon);
    o->slot = calloc(nn, sizeof *o->slot);
    o->aux_m = calloc(nn, sizeof *o->aux_m);
    o->aux_v = calloc(nn, sizeof *o->aux_v);
    o->stats = calloc(nn, sizeof *o->stats);
    o->gsq = calloc(nn, sizeof *o->gsq);
    if (!o->params || !o->is_muon || !o->slot || !o->aux_m || !o->aux_v ||
        !o->stats || !o->gsq)
        goto nomem;
    if (n)
        memcpy(o->params, params, n * sizeof *params);
    for (size_t i = 0; i < n; i++) {
        const muon_param *p = &params[i];
        size_t count = muon_param_count(p);
        if (route_of(p, routes ? routes[i] : MUON_ROUTE_AUTO, i,
                     &o->is_muon[i]))
            goto fail;
        if (!o->is_muon[i]) {
            o->aux_m[i] = zalloc(count);
            if (cfg->aux == MUON_AUX_ADAMW)
                o->aux_v[i] = zalloc(count);
            if (!o->aux_m[i] || (cfg->aux == MUON_AUX_ADAMW && !o->aux_v[i]))
                goto nomem;
            continue;
        }
        muon_slot *s = &o->slot[i];
        s->A = p->shape[0];
        s->B = p->shape[0] ? count / p->shape[0] : 0;
        s->count = count;
        s->sA = (double)s->A;
        s->sB = (double)s->B;
        if (cfg->unflattened_scale) {
            /* KJ and MLX read p.size(-2), p.size(-1) of the unflattened
             * tensor: (kh, kw) for a conv filter. */
            s->sA = (double)p->shape[p->ndim - 2];
            s->sB = (double)p->shape[p->ndim - 1];
        }
        s->m = zalloc(count);
        if (!s->m)
            goto nomem;
        if (cfg->mars_gamma > 0.0 && !(s->gprev = zalloc(count)))
            goto nomem;
        if (cfg->normuon && !(s->v = zalloc(s->A)))
            goto nomem;
    }
    if (setup_groups(o) || setup_stats(o) || muon_optim_ckpt_init(o))
        goto fail;
    return o;
nomem:
    (void)MUON_ERROR(MUON_ENOMEM, "optimizer: out of memory");
fail:
    muon_optim_free(o);
    return NULL;
}

void
muon_optim_free(muon_optim *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n && o->slot; i++) {
        free(o->slot[i].m);
        free(o->slot[i].gprev);
        free(o->slot[i].v);
        if (o->aux_m)
            free(o->aux_m[i]);
        if (o->aux_v)
            free(o->aux_v[i]);
    }
    for (size_t g = 0; g < o->ngroups; g++) {
        muon_orth_free(o->groups[g].w);
        free(o->groups[g].in);
        free(o->groups[g].out);
    }
    muon_svd_stats_free(o->svd);
    free(o->groups);
    free(o->params);
    free(o->is_muon);
    free(o->slot);
    free(o->aux_m);
    free(o->aux_v);
    free(o->stats);
    free(o->gsq);
    free(o->config_text);
    free(o->params_text);
    free(o->sec);
    free(o->secname);
    free(o);
}

/* ---- the step ---------------------------------------------------------- */

static double
norm2(const float *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * (double)x[i];
    return sqrt(s);
}

/* ---- fused elementwise kernels ---------------------------------------- */

/* The elementwise part of a step is memory-bound: each kernel is one pass
 * over its arrays in float with the per-step scalars computed once, written
 * so that GCC vectorises it at -O2 (checked with -fopt-info-vec).  GCC 12's
 * default "very cheap" cost model refuses a loop that needs a scalar
 * epilogue, a run-time alias check or an in-order floating-point
 * reduction, so every kernel takes restrict pointers, walks blocks of LANES
 * elements with one fp64 accumulator per lane (a fixed summation order, so
 * a resumed run stays bit-identical) and finishes the last n % LANES
 * elements with the same body in a scalar loop.  Sums of squares stay in
 * fp64: squares of floats are exact there, and grad_norm is compared to
 * 1e-12.  Unrolling the lane loop (the pragmas; 8 = LANES) lets GCC keep
 * the accumulators in registers instead of a stack array, about 2x on the
 * scan and the update pass (docs/PERFLOG.md); the AdamW and SGD loops, with
 * two sums each, stop being vectorised when unrolled, so they are not. */

#define LANES 8

static double
lanes_total(const double acc[LANES])
{
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) +
           ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* Sum of squares; non-finite iff some entry is (a float squared cannot
 * overflow fp64, nor can 2^64 of them). */
static double
sumsq(const float *restrict x, size_t n)
{
    double acc[LANES] = {0};
    size_t j = 0, nb = n - n % LANES;
    for (; j < nb; j += LANES)
#pragma GCC unroll 8
        for (size_t l = 0; l < LANES; l++)
            acc[l] += (double)x[j + l] * x[j + l];
    for (; j < n; j++)
        acc[0] += (double)x[j] * x[j];
    return lanes_total(acc);
}

/* The kernels' element bodies take and return values, never pointers, so
 * that the loops' loads and stores stay on their restrict parameters (an
 * inlined pointer argument loses restrict, and the alias check it would
 * then need is beyond the -O2 cost model). */

/* Momentum and Nesterov blend: g = G gs, M <- b M + ca g, U <- cu g + cb M
 * (ema: ca = 1 - b; classical: ca = 1; nesterov off: cu = 0, cb = 1).
 * Returns ||M||^2. */
typedef struct {
    float gs, b, ca, cu, cb;
} mom_coef;

static inline float
mom_m(mom_coef k, float g, float m)
{
    return k.b * m + k.ca * (g * k.gs);
}

static inline float
mom_u(mom_coef k, float g, float m)
{
    return k.cu * (g * k.gs) + k.cb * m;
}

static double
fused_momentum(mom_coef k, const float *restrict G, float *restrict M,
               float *restrict U, size_t n)
{
    double acc[LANES] = {0};
    size_t j = 0, nb = n - n % LANES;
    for (; j < nb; j += LANES)
#pragma GCC unroll 8
        for (size_t l = 0; l < LANES; l++) {
            float g = G[j + l], m = mom_m(k, g, M[j + l]);
            M[j + l] = m;
            U[j + l] = mom_u(k, g, m);
            acc[l] += (double)m * m;
        }
    for (; j < n; j++) {
        float g = G[j], m = mom_m(k, g, M[j]);
        M[j] = m;
        U[j] = mom_u(k, g, m);
        acc[0] += (double)m * m;
    }
    return lanes_total(acc);
}

/* Decay and update: W <- W - (wdk W + lrf O), wdk = 1 - decay (lr wd for
 * the default: rounding the small lr wd keeps its relative precision,
 * rounding 1 - lr wd would not), lrf = lr factor.  Returns ||O||^2. */
static inline float
apply_w(float wdk, float lrf, float w, float d)
{
    return w - (wdk * w + lrf * d);
}

static double
fused_apply(float wdk, float lrf, const float *restrict O, float *restrict W,
            size_t n)
{
    double acc[LANES] = {0};
    size_t j = 0, nb = n - n % LANES;
    for (; j < nb; j += LANES)
#pragma GCC unroll 8
        for (size_t l = 0; l < LANES; l++) {
            float d = O[j + l];
            W[j + l] = apply_w(wdk, lrf, W[j + l], d);
            acc[l] += (double)d * d;
        }
    for (; j < n; j++) {
        float d = O[j];
        W[j] = apply_w(wdk, lrf, W[j], d);
        acc[0] += (double)d * d;
    }
    return lanes_total(acc);
}

/* AdamW (KJ's adam_update) with the bias corrections folded into two
 * scalars: lr mhat / (sqrt(vhat) + eps) = step m / (sqrt(v) isb + eps)
 * with step = lr / (1 - b1^t), isb = 1 / sqrt(1 - b2^t).  Writes
 * msq[0] = ||M||^2, msq[1] = ||lr D||^2. */
typedef struct {
    float gs, b1, a1, b2, a2, step, isb, eps, wdk;
} adam_coef;

static inline float
adam_m(adam_coef k, float g, float m)
{
    return k.b1 * m + k.a1 * (g * k.gs);
}

static inline float
adam_v(adam_coef k, float g, float v)
{
    float gg = g * k.gs;
    return k.b2 * v + k.a2 * (gg * gg);
}

static inline float
adam_d(adam_coef k, float m, float v)
{
    return k.step * m / (sqrtf(v) * k.isb + k.eps);
}

static void
fused_adamw(adam_coef k, const float *restrict G, float *restrict M,
            float *restrict V, float *restrict W, size_t n, double msq[2])
{
    double am[LANES] = {0}, ad[LANES] = {0};
    size_t j = 0, nb = n - n % LANES;
    for (; j < nb; j += LANES)
        for (size_t l = 0; l < LANES; l++) {
            float g = G[j + l];
            float m = adam_m(k, g, M[j + l]), v = adam_v(k, g, V[j + l]);
            float d = adam_d(k, m, v);
            M[j + l] = m;
            V[j + l] = v;
            W[j + l] = apply_w(k.wdk, 1.0f, W[j + l], d);
            am[l] += (double)m * m;
            ad[l] += (double)d * d;
        }
    for (; j < n; j++) {
        float g = G[j], m = adam_m(k, g, M[j]), v = adam_v(k, g, V[j]);
        float d = adam_d(k, m, v);
        M[j] = m;
        V[j] = v;
        W[j] = apply_w(k.wdk, 1.0f, W[j], d);
        am[0] += (double)m * m;
        ad[0] += (double)d * d;
    }
    msq[0] = lanes_total(am);
    msq[1] = lanes_total(ad);
}

/* SGD with momentum: M <- mu M + g, lr D = lcg g + lcm M (lcg = 0,
 * lcm = lr without Nesterov; lcg = lr, lcm = lr mu with it). */
typedef struct {
    float gs, mu, lcg, lcm, wdk;
} sgd_coef;

static inline float
sgd_m(sgd_coef k, float g, float m)
{
    return k.mu * m + g * k.gs;
}

static inline float
sgd_d(sgd_coef k, float g, float m)
{
    return k.lcg * (g * k.gs) + k.lcm * m;
}

static void
fused_sgd(sgd_coef k, const float *restrict G, float *restrict M,
          float *restrict W, size_t n, double msq[2])
{
    double am[LANES] = {0}, ad[LANES] = {0};
    size_t j = 0, nb = n - n % LANES;
    for (; j < nb; j += LANES)
        for (size_t l = 0; l < LANES; l++) {
            float g = G[j + l], m = sgd_m(k, g, M[j + l]);
            float d = sgd_d(k, g, m);
            M[j + l] = m;
            W[j + l] = apply_w(k.wdk, 1.0f, W[j + l], d);
            am[l] += (double)m * m;
            ad[l] += (double)d * d;
        }
    for (; j < n; j++) {
        float g = G[j], m = sgd_m(k, g, M[j]), d = sgd_d(k, g, m);
        M[j] = m;
        W[j] = apply_w(k.wdk, 1.0f, W[j], d);
        am[0] += (double)m * m;
        ad[0] += (double)d * d;
    }
    msq[0] = lanes_total(am);
    msq[1] = lanes_total(ad);
}

/* ---- the phases -------------------------------------------------------- */

/* Phase 0: nothing may be touched before every gradient is known finite.
 * The scan is also the gradient-norm pass (kept in o->gsq, scratch):
 * entries are counted only once a sum has come out non-finite. */
static int
check_finite(muon_optim *o)
{
    for (size_t i = 0; i < o->n; i++) {
        const muon_param *p = &o->params[i];
        size_t count = muon_param_count(p), bad = 0;
        o->gsq[i] = sumsq(p->grad, count);
        if (isfinite(o->gsq[i]))
            continue;
        for (size_t j = 0; j < count; j++)
            bad += !isfinite(p->grad[j]);
        unsigned long long step = (unsigned long long)o->ctr[CTR_CALLS];
        if (o->cfg.nonfinite == MUON_NONFINITE_ERROR)
            return MUON_ERROR(MUON_ENONFINITE, "step %llu: gradient '%s' has "
                              "%zu non-finite entries", step,
                              p->name ? p->name : "?", bad);
        snprintf(o->warning, sizeof o->warning, "step %llu skipped: gradient "
                 "'%s' has %zu non-finite entries", step,
                 p->name ? p->name : "?", bad);
        return -1;
    }
    return MUON_SUCCESS;
}

/* Momentum, MARS and Nesterov for one Muon parameter; writes the
 * orthogonalizer input U into its batch slot and the momentum norm.  The
 * plain momentum (ema or classical, Nesterov or not) is one fused float
 * pass; L2 decay, MARS and bf16 momentum take the general fp64 path. */
static void
momentum_phase(muon_optim *o, size_t i, double beta, double gscale)
{
    const muon_optim_config *c = &o->cfg;
    const muon_param *p = &o->params[i];
    muon_slot *s = &o->slot[i];
    muon_group *G = &o->groups[s->group];
    float *U = G->in + s->slot * s->count;
    int ema = c->momentum_type == MUON_MOMENTUM_EMA;
    int mars = c->mars_gamma > 0.0;
    double wdl2 = c->wd_mode == MUON_WD_L2 ? c->wd : 0.0;
    if (!mars && wdl2 == 0.0 && !c->momentum_bf16) {
        float ca = ema ? (float)(1.0 - beta) : 1.0f;
        mom_coef k = {.gs = (float)gscale,
                      .b = (float)beta,
                      .ca = ca,
                      .cu = c->nesterov ? ca : 0.0f,
                      .cb = c->nesterov ? (float)beta : 1.0f};
        double mm = fused_momentum(k, p->grad, s->m, U, s->count);
        o->stats[i].momentum_norm = sqrt(mm);
        return;
    }
    int first = o->ctr[CTR_STEPS] == 1;
    double kmars = mars ? c->mars_gamma * beta / (1.0 - beta) : 0.0;
    for (size_t j = 0; j < s->count; j++) {
        double g = (double)p->grad[j] * gscale;
        if (wdl2 != 0.0) {
            /* Cautious L2 (modded-nanogpt): decay only where the gradient
             * already pushes the weight towards zero. */
            if (!c->cautious_wd || g * p->data[j] >= 0.0)
                g += wdl2 * (double)p->data[j];
        }
        if (mars) {
            double gp = first ? g : (double)s->gprev[j];
            s->gprev[j] = (float)g;
            g += kmars * (g - gp);
        }
        double m = s->m[j];
        m = ema ? beta * m + (1.0 - beta) * g : beta * m + g;
        float mf = (float)m;
        if (c->momentum_bf16)
            mf = muon_round_bf16(mf);
        s->m[j] = mf;
        double u = mf;
        if (c->nesterov)
            u = ema ? (1.0 - beta) * g + beta * u : g + beta * u;
        U[j] = (float)u;
    }
    o->stats[i].momentum_norm = norm2(s->m, s->count);
}

/* NorMuon: divide each row of O by the root of its running mean square,
 * then restore ||O||_F so only the direction changes. */
static void
normuon(const muon_optim_config *c, muon_slot *s, float *O)
{
    double before = norm2(O, s->count);
    if (before == 0.0)
        return;
    double b2 = c->normuon_beta2;
    for (size_t r = 0; r < s->A; r++) {
        float *row = O + r * s->B;
        double ms = 0.0;
        for (size_t j = 0; j < s->B; j++)
            ms += (double)row[j] * row[j];
        ms /= (double)s->B;
        double v = b2 * s->v[r] + (1.0 - b2) * ms;
        s->v[r] = (float)v;
        double inv = 1.0 / (sqrt((double)s->v[r]) + c->normuon_eps);
        for (size_t j = 0; j < s->B; j++)
            row[j] = (float)(row[j] * inv);
    }
    double after = norm2(O, s->count);
    if (after > 0.0) {
        double k = before / after;
        for (size_t j = 0; j < s->count; j++)
            O[j] = (float)(O[j] * k);
    }
}

/* Scale, masks, clipping, weight decay and the weight update.  Without the
 * cautious mask, update clipping and cautious decay this is one fused float
 * pass; those variants take the general fp64 loop. */
static void
apply_phase(muon_optim *o, size_t i, double lr, double gscale)
{
    const muon_optim_config *c = &o->cfg;
    muon_param *p = &o->params[i];
    muon_slot *s = &o->slot[i];
    muon_group *G = &o->groups[s->group];
    const float *U = G->in + s->slot * s->count;
    float *D = G->out + s->slot * s->count;
    if (c->normuon)
        normuon(c, s, D);
    double unorm = c->scale->uses_norm ? norm2(U, s->count) : 0.0;
    double factor = s->count ? c->scale->factor(s->sA, s->sB,
                                                &c->scale_params, unorm)
                             : 0.0;
    double wdk; /* 1 - the decay factor */
    switch (c->wd_mode) {
    case MUON_WD_DECOUPLED: wdk = lr * c->wd; break;
    case MUON_WD_DECOUPLED_ADJUSTED: wdk = lr * factor * c->wd; break;
    case MUON_WD_INDEPENDENT: wdk = c->wd; break;
    default: wdk = 0.0; break; /* l2 went into the gradient */
    }
    int cautious_wd = c->cautious_wd && c->wd_mode != MUON_WD_L2;
    if (!c->cautious && !(c->update_clip > 0.0) && !cautious_wd) {
        double dd = fused_apply((float)wdk, (float)(lr * factor), D, p->data,
                                s->count);
        o->stats[i].update_rms =
            s->count ? fabs(lr * factor) * sqrt(dd / (double)s->count) : 0.0;
    } else {
        /* Cautious update (Liang et al. 2024): keep only the entries whose
         * direction agrees with the current gradient, rescaled by the kept
         * fraction (floored at 1e-3 as in their code). */
        double keep = 1.0;
        if (c->cautious) {
            size_t nnz = 0;
            for (size_t j = 0; j < s->count; j++)
                nnz += (double)D[j] * p->grad[j] > 0.0;
            double frac = s->count ? (double)nnz / (double)s->count : 1.0;
            keep = 1.0 / fmax(frac, 1e-3);
        }
        double decay = 1.0 - wdk, clip = c->update_clip, sq = 0.0;
        for (size_t j = 0; j < s->count; j++) {
            double d = factor * (double)D[j];
            if (c->cautious)
                d = (d * p->grad[j] * gscale > 0.0) ? d * keep : 0.0;
            if (clip > 0.0)
                d = fmin(fmax(d, -clip), clip);
            double w = p->data[j];
            double dec = (cautious_wd && d * w < 0.0) ? 1.0 : decay;
            p->data[j] = (float)(w * dec - lr * d);
            sq += (lr * d) * (lr * d);
        }
        o->stats[i].update_rms = s->count ? sqrt(sq / (double)s->count) : 0.0;
    }
    if (c->weight_clamp) {
        double wn = norm2(p->data, s->count), lim = sqrt((double)s->A);
        if (wn > lim)
            for (size_t j = 0; j < s->count; j++)
                p->data[j] = (float)(p->data[j] * (lim / wn));
    }
}

/* AdamW as KJ's adam_update (bias-corrected moments, decoupled wd with the
 * group's own lr), or SGD with momentum: one fused float pass each. */
static void
aux_step(muon_optim *o, size_t i, double lr, double gscale)
{
    const muon_optim_config *c = &o->cfg;
    muon_param *p = &o->params[i];
    size_t count = muon_param_count(p);
    double msq[2];
    if (c->aux == MUON_AUX_ADAMW) {
        double t = (double)o->ctr[CTR_STEPS];
        double b1 = c->aux_beta1, b2 = c->aux_beta2;
        double bc1 = 1.0 - pow(b1, t), bc2 = 1.0 - pow(b2, t);
        adam_coef k = {.gs = (float)gscale,
                       .b1 = (float)b1,
                       .a1 = (float)(1.0 - b1),
                       .b2 = (float)b2,
                       .a2 = (float)(1.0 - b2),
                       .step = (float)(lr / bc1),
                       .isb = (float)(1.0 / sqrt(bc2)),
                       .eps = (float)c->aux_eps,
                       .wdk = (float)(lr * c->aux_wd)};
        fused_adamw(k, p->grad, o->aux_m[i], o->aux_v[i], p->data, count,
                    msq);
    } else {
        double mu = c->aux_momentum;
        sgd_coef k = {.gs = (float)gscale,
                      .mu = (float)mu,
                      .lcg = c->aux_nesterov ? (float)lr : 0.0f,
                      .lcm = (float)(c->aux_nesterov ? lr * mu : lr),
                      .wdk = (float)(lr * c->aux_wd)};
        fused_sgd(k, p->grad, o->aux_m[i], p->data, count, msq);
    }
    o->stats[i].momentum_norm = sqrt(msq[0]);
    o->stats[i].update_rms = count ? sqrt(msq[1] / (double)count) : 0.0;
}

static int
check_lr(double lr, double lr_aux)
{
    if (!isfinite(lr) || lr < 0.0)
        return MUON_ERROR(MUON_ERANGE, "lr must be finite and >= 0 (got %g)",
                          lr);
    if (!isfinite(lr_aux) || lr_aux < 0.0)
        return MUON_ERROR(MUON_ERANGE, "auxiliary lr must be finite and >= 0 "
                          "(got %g)", lr_aux);
    return MUON_SUCCESS;
}

int
muon_optim_step_front(muon_optim *o, double lr, double lr_aux)
{
    int rc = check_lr(lr, lr_aux);
    if (rc)
        return rc;
    rc = check_finite(o);
    if (rc > 0)
        return rc;
    o->ctr[CTR_CALLS]++;
    o->last_skipped = rc < 0;
    if (rc < 0) {
        o->ctr[CTR_SKIPPED]++;
        return -1;
    }
    o->ctr[CTR_STEPS]++;
    const muon_optim_config *c = &o->cfg;
    uint64_t t = o->ctr[CTR_STEPS]; /* 1-based */

    /* Gradient norms from the scan (reported and, with grad_clip, used as
     * in torch's clip_grad_norm_ over all parameters). */
    double total = 0.0;
    for (size_t i = 0; i < o->n; i++) {
        memset(&o->stats[i], 0, sizeof o->stats[i]);
        o->stats[i].grad_norm = sqrt(o->gsq[i]);
        total += o->gsq[i];
    }
    o->gscale = 1.0;
    if (c->grad_clip > 0.0) {
        double coef = c->grad_clip / (sqrt(total) + 1e-6);
        o->gscale = coef < 1.0 ? coef : 1.0;
    }
    double beta = c->momentum;
    if (c->momentum_warmup_steps) {
        double f = (double)(t - 1) / (double)c->momentum_warmup_steps;
        f = f < 1.0 ? f : 1.0;
        beta = (1.0 - f) * c->momentum_warmup_start + f * c->momentum;
    }
    for (size_t i = 0; i < o->n; i++)
        if (o->is_muon[i])
            momentum_phase(o, i, beta, o->gscale);
    return MUON_SUCCESS;
}

int
muon_optim_step_back(muon_optim *o, double lr, double lr_aux)
{
    const muon_optim_config *c = &o->cfg;
    uint64_t t = o->ctr[CTR_STEPS];
    int rc, svd_now = c->stats_every && (t - 1) % c->stats_every == 0;
    for (size_t i = 0; i < o->n; i++) {
        if (!o->is_muon[i]) {
            aux_step(o, i, lr_aux, o->gscale);
            continue;
        }
        muon_slot *s = &o->slot[i];
        muon_group *G = &o->groups[s->group];
        if (svd_now &&
            (rc = muon_svd_stats_measure(o->svd, s->A, s->B,
                                         G->in + s->slot * s->count,
                                         G->out + s->slot * s->count,
                                         &o->stats[i])))
            return rc;
        apply_phase(o, i, lr, o->gscale);
    }
    return MUON_SUCCESS;
}

int
muon_optim_step(muon_optim *o, double lr, double lr_aux)
{
    int rc = muon_optim_step_front(o, lr, lr_aux);
    if (rc)
        return rc < 0 ? MUON_SUCCESS : rc;
    for (size_t g = 0; g < o->ngroups; g++) {
        muon_group *G = &o->groups[g];
        if ((rc = muon_orth_apply_batch_f32(G->w, G->n, G->in, G->out)))
            return rc;
    }
    return muon_optim_step_back(o, lr, lr_aux);
}

/* ---- accessors --------------------------------------------------------- */

uint64_t
muon_optim_steps(const muon_optim *o)
{
    return o->ctr[CTR_STEPS];
}

uint64_t
muon_optim_calls(const muon_optim *o)
{
    return o->ctr[CTR_CALLS];
}

uint64_t
muon_optim_skipped(const muon_optim *o)
{
    return o->ctr[CTR_SKIPPED];
}

int
muon_optim_last_skipped(const muon_optim *o)
{
    return o->last_skipped;
}

const char *
muon_optim_warning(const muon_optim *o)
{
    return o->warning;
}

size_t
muon_optim_nparams(const muon_optim *o)
{
    return o->n;
}

int
muon_optim_is_muon(const muon_optim *o, size_t i)
{
    return i < o->n && o->is_muon[i];
}

void
muon_optim_shape(const muon_optim *o, size_t i, size_t *A, size_t *B)
{
    *A = i < o->n ? o->slot[i].A : 0;
    *B = i < o->n ? o->slot[i].B : 0;
}

const float *
muon_optim_momentum(const muon_optim *o, size_t i)
{
    return muon_optim_is_muon(o, i) ? o->slot[i].m : NULL;
}

const muon_orth_workspace *
muon_optim_orth(const muon_optim *o, size_t i)
{
    return muon_optim_is_muon(o, i) ? o->groups[o->slot[i].group].w : NULL;
}

const muon_optim_config *
muon_optim_get_config(const muon_optim *o)
{
    return &o->cfg;
}

int
muon_optim_param_stats(const muon_optim *o, size_t i, muon_optim_stats *out)
{
    if (i >= o->n)
        return MUON_ERROR(MUON_ERANGE, "parameter index %zu out of range "
                          "(%zu parameters)", i, o->n);
    *out = o->stats[i];
    return MUON_SUCCESS;
}
