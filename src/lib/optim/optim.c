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
    if (!o->params || !o->is_muon || !o->slot || !o->aux_m || !o->aux_v ||
        !o->stats)
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

/* Phase 0: nothing may be touched before every gradient is known finite. */
static int
check_finite(muon_optim *o)
{
    for (size_t i = 0; i < o->n; i++) {
        const muon_param *p = &o->params[i];
        size_t count = muon_param_count(p), bad = 0;
        for (size_t j = 0; j < count; j++)
            bad += !isfinite(p->grad[j]);
        if (!bad)
            continue;
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
 * orthogonalizer input U into its batch slot. */
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
    int first = o->ctr[CTR_STEPS] == 1;
    double wdl2 = c->wd_mode == MUON_WD_L2 ? c->wd : 0.0;
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

/* Scale, masks, clipping, weight decay and the weight update. */
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
    double decay;
    switch (c->wd_mode) {
    case MUON_WD_DECOUPLED: decay = 1.0 - lr * c->wd; break;
    case MUON_WD_DECOUPLED_ADJUSTED: decay = 1.0 - lr * factor * c->wd; break;
    case MUON_WD_INDEPENDENT: decay = 1.0 - c->wd; break;
    default: decay = 1.0; break; /* l2 went into the gradient */
    }
    double clip = c->update_clip, sq = 0.0;
    for (size_t j = 0; j < s->count; j++) {
        double d = factor * (double)D[j];
        if (c->cautious)
            d = (d * p->grad[j] * gscale > 0.0) ? d * keep : 0.0;
        if (clip > 0.0)
            d = fmin(fmax(d, -clip), clip);
        D[j] = (float)d;
        double w = p->data[j];
        double dec = (c->cautious_wd && c->wd_mode != MUON_WD_L2 &&
                      d * w < 0.0) ? 1.0 : decay;
        p->data[j] = (float)(w * dec - lr * d);
        sq += (lr * d) * (lr * d);
    }
    if (c->weight_clamp) {
        double wn = norm2(p->data, s->count), lim = sqrt((double)s->A);
        if (wn > lim)
            for (size_t j = 0; j < s->count; j++)
                p->data[j] = (float)(p->data[j] * (lim / wn));
    }
    o->stats[i].update_rms = s->count ? sqrt(sq / (double)s->count) : 0.0;
}

/* AdamW as KJ's adam_update (bias-corrected moments, decoupled wd with the
 * group's own lr), or SGD with momentum. */
static void
aux_step(muon_optim *o, size_t i, double lr, double gscale)
{
    const muon_optim_config *c = &o->cfg;
    muon_param *p = &o->params[i];
    size_t count = muon_param_count(p);
    float *m = o->aux_m[i], *v = o->aux_v[i];
    double decay = 1.0 - lr * c->aux_wd, sq = 0.0;
    if (c->aux == MUON_AUX_ADAMW) {
        double t = (double)o->ctr[CTR_STEPS];
        double b1 = c->aux_beta1, b2 = c->aux_beta2;
        double bc1 = 1.0 - pow(b1, t), bc2 = 1.0 - pow(b2, t);
        for (size_t j = 0; j < count; j++) {
            double g = (double)p->grad[j] * gscale;
            double mj = b1 * m[j] + (1.0 - b1) * g;
            double vj = b2 * v[j] + (1.0 - b2) * g * g;
            m[j] = (float)mj;
            v[j] = (float)vj;
            double d = ((double)m[j] / bc1) /
                       (sqrt((double)v[j] / bc2) + c->aux_eps);
            p->data[j] = (float)((double)p->data[j] * decay - lr * d);
            sq += (lr * d) * (lr * d);
        }
    } else {
        double mu = c->aux_momentum;
        for (size_t j = 0; j < count; j++) {
            double g = (double)p->grad[j] * gscale;
            m[j] = (float)(mu * m[j] + g);
            double d = c->aux_nesterov ? g + mu * m[j] : m[j];
            p->data[j] = (float)((double)p->data[j] * decay - lr * d);
            sq += (lr * d) * (lr * d);
        }
    }
    o->stats[i].momentum_norm = norm2(m, count);
    o->stats[i].update_rms = count ? sqrt(sq / (double)count) : 0.0;
}

int
muon_optim_step(muon_optim *o, double lr, double lr_aux)
{
    if (!isfinite(lr) || lr < 0.0)
        return MUON_ERROR(MUON_ERANGE, "lr must be finite and >= 0 (got %g)",
                          lr);
    if (!isfinite(lr_aux) || lr_aux < 0.0)
        return MUON_ERROR(MUON_ERANGE, "auxiliary lr must be finite and >= 0 "
                          "(got %g)", lr_aux);
    int rc = check_finite(o);
    if (rc > 0)
        return rc;
    o->ctr[CTR_CALLS]++;
    o->last_skipped = rc < 0;
    if (rc < 0) {
        o->ctr[CTR_SKIPPED]++;
        return MUON_SUCCESS;
    }
    o->ctr[CTR_STEPS]++;
    const muon_optim_config *c = &o->cfg;
    uint64_t t = o->ctr[CTR_STEPS]; /* 1-based */

    /* Gradient norms (reported and, with grad_clip, used as in torch's
     * clip_grad_norm_ over all parameters). */
    double total = 0.0;
    for (size_t i = 0; i < o->n; i++) {
        const muon_param *p = &o->params[i];
        double gn = norm2(p->grad, muon_param_count(p));
        memset(&o->stats[i], 0, sizeof o->stats[i]);
        o->stats[i].grad_norm = gn;
        total += gn * gn;
    }
    double gscale = 1.0;
    if (c->grad_clip > 0.0) {
        double coef = c->grad_clip / (sqrt(total) + 1e-6);
        gscale = coef < 1.0 ? coef : 1.0;
    }
    double beta = c->momentum;
    if (c->momentum_warmup_steps) {
        double f = (double)(t - 1) / (double)c->momentum_warmup_steps;
        f = f < 1.0 ? f : 1.0;
        beta = (1.0 - f) * c->momentum_warmup_start + f * c->momentum;
    }
    for (size_t i = 0; i < o->n; i++)
        if (o->is_muon[i])
            momentum_phase(o, i, beta, gscale);
    for (size_t g = 0; g < o->ngroups; g++) {
        muon_group *G = &o->groups[g];
        if ((rc = muon_orth_apply_batch_f32(G->w, G->n, G->in, G->out)))
            return rc;
    }
    int svd_now = c->stats_every && (t - 1) % c->stats_every == 0;
    for (size_t i = 0; i < o->n; i++) {
        if (!o->is_muon[i]) {
            aux_step(o, i, lr_aux, gscale);
            continue;
        }
        muon_slot *s = &o->slot[i];
        muon_group *G = &o->groups[s->group];
        o->stats[i].momentum_norm = norm2(s->m, s->count);
        if (svd_now &&
            (rc = muon_svd_stats_measure(o->svd, s->A, s->B,
                                         G->in + s->slot * s->count,
                                         G->out + s->slot * s->count,
                                         &o->stats[i])))
            return rc;
        apply_phase(o, i, lr, gscale);
    }
    return MUON_SUCCESS;
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
