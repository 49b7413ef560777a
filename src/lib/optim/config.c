/* config.c: the Muon driver's configuration: defaults (KJ's
 * SingleDeviceMuon), validation naming every field, the canonical text used
 * to compare configurations in checkpoints, and the enum names. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "muon/linalg.h"
#include "muon/names.h"
#include "muon/status.h"
#include "optim_impl.h"

void
muon_optim_default_config(muon_optim_config *c)
{
    memset(c, 0, sizeof *c);
    c->momentum = 0.95;
    c->momentum_type = MUON_MOMENTUM_EMA;
    c->nesterov = 1;
    c->momentum_warmup_start = 0.85; /* modded-nanogpt, used only if steps */
    c->orth = muon_orth_type_by_name("ns5");
    if (c->orth)
        muon_orth_default_params(c->orth, &c->orth_params);
    c->orth_params.precision = MUON_FP32;
    c->scale = muon_scale_default();
    muon_scale_default_params(&c->scale_params);
    c->wd_mode = MUON_WD_DECOUPLED;
    c->normuon_beta2 = 0.95;
    c->normuon_eps = 1e-10;
    c->aux = MUON_AUX_ADAMW;
    c->aux_beta1 = 0.9;
    c->aux_beta2 = 0.95;
    c->aux_eps = 1e-10;
    c->aux_momentum = 0.9;
    c->nonfinite = MUON_NONFINITE_SKIP;
}

static int
in01(const char *field, double v)
{
    if (!(v >= 0.0 && v < 1.0))
        return MUON_ERROR(MUON_ERANGE, "%s must be in [0, 1) (got %g)", field,
                          v);
    return MUON_SUCCESS;
}

static int
nonneg(const char *field, double v)
{
    if (!isfinite(v) || v < 0.0)
        return MUON_ERROR(MUON_ERANGE, "%s must be finite and >= 0 (got %g)",
                          field, v);
    return MUON_SUCCESS;
}

static int
positive(const char *field, double v)
{
    if (!isfinite(v) || v <= 0.0)
        return MUON_ERROR(MUON_ERANGE, "%s must be finite and > 0 (got %g)",
                          field, v);
    return MUON_SUCCESS;
}

int
muon_optim_config_validate(const muon_optim_config *c)
{
    int rc;
    if (!c->orth)
        return MUON_ERROR(MUON_EINVAL, "optimizer config: no orthogonalizer");
    if (!c->scale)
        return MUON_ERROR(MUON_EINVAL, "optimizer config: no scale mode");
    if ((rc = in01("momentum", c->momentum)) ||
        (rc = in01("momentum_warmup_start", c->momentum_warmup_start)) ||
        (rc = nonneg("wd", c->wd)) ||
        (rc = nonneg("mars_gamma", c->mars_gamma)) ||
        (rc = in01("normuon_beta2", c->normuon_beta2)) ||
        (rc = positive("normuon_eps", c->normuon_eps)) ||
        (rc = nonneg("grad_clip", c->grad_clip)) ||
        (rc = nonneg("update_clip", c->update_clip)) ||
        (rc = in01("aux_beta1", c->aux_beta1)) ||
        (rc = in01("aux_beta2", c->aux_beta2)) ||
        (rc = positive("aux_eps", c->aux_eps)) ||
        (rc = nonneg("aux_wd", c->aux_wd)) ||
        (rc = in01("aux_momentum", c->aux_momentum)))
        return rc;
    if ((unsigned)c->momentum_type > MUON_MOMENTUM_CLASSICAL)
        return MUON_ERROR(MUON_EINVAL, "momentum_type %d is not ema or "
                          "classical", (int)c->momentum_type);
    if ((unsigned)c->wd_mode > MUON_WD_L2)
        return MUON_ERROR(MUON_EINVAL, "wd_mode %d is unknown",
                          (int)c->wd_mode);
    if ((unsigned)c->aux > MUON_AUX_SGD)
        return MUON_ERROR(MUON_EINVAL, "aux %d is not adamw or sgd",
                          (int)c->aux);
    if ((unsigned)c->nonfinite > MUON_NONFINITE_ERROR)
        return MUON_ERROR(MUON_EINVAL, "nonfinite policy %d is unknown",
                          (int)c->nonfinite);
    /* MARS divides by 1 - beta; the ema/classical equivalence needs it. */
    if (c->mars_gamma > 0.0 && c->momentum == 0.0)
        return MUON_ERROR(MUON_EINVAL, "mars_gamma %g needs momentum > 0",
                          c->mars_gamma);
    if (c->wd_mode == MUON_WD_INDEPENDENT && c->wd >= 1.0)
        return MUON_ERROR(MUON_ERANGE, "wd must be < 1 with wd_mode "
                          "independent (W *= 1 - wd; got %g)", c->wd);
    if ((rc = muon_orth_params_validate(c->orth, &c->orth_params)))
        return rc;
    return muon_scale_params_validate(&c->scale_params);
}

static const char *const mom_names[] = {"ema", "classical", NULL};
static const char *const wd_names[] = {"decoupled", "decoupled_adjusted",
                                       "independent", "l2", NULL};
static const char *const aux_names[] = {"adamw", "sgd", NULL};

const char *
muon_momentum_type_name(muon_momentum_type t)
{
    return (unsigned)t <= MUON_MOMENTUM_CLASSICAL ? mom_names[t] : "?";
}

int
muon_momentum_type_by_name(const char *name, muon_momentum_type *out)
{
    size_t i;
    int rc = muon_name_lookup("momentum type", name, mom_names, &i);
    if (!rc)
        *out = (muon_momentum_type)i;
    return rc;
}

const char *
muon_wd_mode_name(muon_wd_mode m)
{
    return (unsigned)m <= MUON_WD_L2 ? wd_names[m] : "?";
}

int
muon_wd_mode_by_name(const char *name, muon_wd_mode *out)
{
    size_t i;
    int rc = muon_name_lookup("weight-decay mode", name, wd_names, &i);
    if (!rc)
        *out = (muon_wd_mode)i;
    return rc;
}

const char *
muon_aux_kind_name(muon_aux_kind k)
{
    return (unsigned)k <= MUON_AUX_SGD ? aux_names[k] : "?";
}

int
muon_aux_kind_by_name(const char *name, muon_aux_kind *out)
{
    size_t i;
    int rc = muon_name_lookup("auxiliary optimizer", name, aux_names, &i);
    if (!rc)
        *out = (muon_aux_kind)i;
    return rc;
}

/* Appends one line; keeps counting past the end like snprintf. */
static void __attribute__((format(printf, 4, 5)))
line(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = *pos < len ? len - *pos : 0;
    int k = vsnprintf(room ? buf + *pos : NULL, room, fmt, ap);
    va_end(ap);
    if (k > 0)
        *pos += (size_t)k;
}

size_t
muon_optim_config_describe(const muon_optim_config *c, char *buf, size_t len)
{
    size_t pos = 0;
    if (len)
        buf[0] = '\0';
    const muon_orth_params *p = &c->orth_params;
    /* The coefficient list is summarised by a CRC32 of its doubles: the
     * list itself is reproducible from the method name and this hash
     * detects any change. */
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t i = 0; i < p->ncoeffs && i < MUON_MAX_COEFFS; i++)
        crc = crc32(crc, (const Bytef *)&p->coeffs[i], sizeof p->coeffs[i]);
    const muon_linalg_backend *be = p->backend ? p->backend
                                               : muon_linalg_default();
    line(buf, len, &pos, "momentum = %.17g\n", c->momentum);
    line(buf, len, &pos, "momentum_type = %s\n",
         muon_momentum_type_name(c->momentum_type));
    line(buf, len, &pos, "nesterov = %d\n", c->nesterov);
    line(buf, len, &pos, "momentum_warmup_start = %.17g\n",
         c->momentum_warmup_start);
    line(buf, len, &pos, "momentum_warmup_steps = %zu\n",
         c->momentum_warmup_steps);
    line(buf, len, &pos, "momentum_bf16 = %d\n", c->momentum_bf16);
    line(buf, len, &pos, "method = %s\n", c->orth ? c->orth->name : "?");
    line(buf, len, &pos, "orth.steps = %zu\n", p->steps);
    line(buf, len, &pos, "orth.eps = %.17g\n", p->eps);
    line(buf, len, &pos, "orth.safety = %.17g\n", p->safety);
    line(buf, len, &pos, "orth.precision = %s\n",
         muon_precision_name(p->precision));
    line(buf, len, &pos, "orth.extend = %s\n",
         p->extend == MUON_EXTEND_CYCLE ? "cycle" : "repeat");
    line(buf, len, &pos, "orth.svd_rcond = %.17g\n", p->svd_rcond);
    line(buf, len, &pos, "orth.gram_restart = %zu\n", p->gram_restart);
    line(buf, len, &pos, "orth.ncoeffs = %zu\n", p->ncoeffs);
    line(buf, len, &pos, "orth.coeffs_crc32 = %08lx\n", (unsigned long)crc);
    line(buf, len, &pos, "orth.backend = %s\n", be ? be->name : "?");
    line(buf, len, &pos, "scale = %s\n", c->scale ? c->scale->name : "?");
    line(buf, len, &pos, "scale.rms_factor = %.17g\n",
         c->scale_params.rms_factor);
    line(buf, len, &pos, "unflattened_scale = %d\n", c->unflattened_scale);
    line(buf, len, &pos, "wd = %.17g\n", c->wd);
    line(buf, len, &pos, "wd_mode = %s\n", muon_wd_mode_name(c->wd_mode));
    line(buf, len, &pos, "cautious_wd = %d\n", c->cautious_wd);
    line(buf, len, &pos, "mars_gamma = %.17g\n", c->mars_gamma);
    line(buf, len, &pos, "cautious = %d\n", c->cautious);
    line(buf, len, &pos, "normuon = %d\n", c->normuon);
    line(buf, len, &pos, "normuon_beta2 = %.17g\n", c->normuon_beta2);
    line(buf, len, &pos, "normuon_eps = %.17g\n", c->normuon_eps);
    line(buf, len, &pos, "grad_clip = %.17g\n", c->grad_clip);
    line(buf, len, &pos, "update_clip = %.17g\n", c->update_clip);
    line(buf, len, &pos, "weight_clamp = %d\n", c->weight_clamp);
    line(buf, len, &pos, "aux = %s\n", muon_aux_kind_name(c->aux));
    line(buf, len, &pos, "aux_beta1 = %.17g\n", c->aux_beta1);
    line(buf, len, &pos, "aux_beta2 = %.17g\n", c->aux_beta2);
    line(buf, len, &pos, "aux_eps = %.17g\n", c->aux_eps);
    line(buf, len, &pos, "aux_wd = %.17g\n", c->aux_wd);
    line(buf, len, &pos, "aux_momentum = %.17g\n", c->aux_momentum);
    line(buf, len, &pos, "aux_nesterov = %d\n", c->aux_nesterov);
    line(buf, len, &pos, "nonfinite = %s\n",
         c->nonfinite == MUON_NONFINITE_ERROR ? "error" : "skip");
    line(buf, len, &pos, "stats_every = %zu\n", c->stats_every);
    return pos;
}
