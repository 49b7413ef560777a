/* optim_opts.c: the Muon driver's options -> one validated configuration. */
#include <string.h>

#include "muon/status.h"
#include "optim_opts.h"

void
optim_cli_init(optim_cli *o)
{
    muon_optim_config c;
    muon_optim_default_config(&c);
    memset(o, 0, sizeof *o);
    o->lr = 0.02; /* KJ's SingleDeviceMuon default */
    o->momentum = c.momentum;
    o->nesterov = c.nesterov;
    o->momentum_warmup_start = c.momentum_warmup_start;
    o->wd = c.wd;
    o->rms_factor = c.scale_params.rms_factor;
    o->normuon_beta2 = c.normuon_beta2;
    o->normuon_eps = c.normuon_eps;
    o->aux_lr = 3e-4; /* KJ's AdamW group */
    o->aux_beta1 = c.aux_beta1;
    o->aux_beta2 = c.aux_beta2;
    o->aux_eps = c.aux_eps;
    o->aux_wd = c.aux_wd;
    o->aux_momentum = c.aux_momentum;
    o->aux_nesterov = c.aux_nesterov;
}

int
optim_cli_config(const char *cmd, const optim_cli *o, size_t total_steps,
                 muon_optim_config *cfg, muon_schedule *lr_sched,
                 muon_schedule *aux_sched)
{
    int rc;
    muon_optim_default_config(cfg);
    if (o->orth.methods.n > 1)
        return cli_usage_error(cmd, "--method takes one orthogonalizer here "
                               "(got %zu)", o->orth.methods.n);
    orth_cli oc = o->orth;
    const muon_orth_type *T;
    size_t nt;
    if ((rc = orth_cli_methods(cmd, &oc, "ns5", 0, &T, &nt, 1)))
        return rc;
    cfg->orth = T;
    if ((rc = orth_cli_params(cmd, &oc, T, &cfg->orth_params)))
        return rc;
    /* The driver's default working precision is fp32 whatever the
     * method's own default (issue 3); --precision overrides it. */
    if (!oc.precision)
        cfg->orth_params.precision = MUON_FP32;
    cfg->momentum = o->momentum;
    cfg->nesterov = o->nesterov;
    if (o->momentum_type &&
        (rc = muon_momentum_type_by_name(o->momentum_type,
                                         &cfg->momentum_type)))
        return cli_fail(cmd, rc);
    cfg->momentum_warmup_start = o->momentum_warmup_start;
    cfg->momentum_warmup_steps = o->momentum_warmup_steps;
    cfg->momentum_bf16 = o->momentum_bf16;
    cfg->wd = o->wd;
    if (o->wd_mode && (rc = muon_wd_mode_by_name(o->wd_mode, &cfg->wd_mode)))
        return cli_fail(cmd, rc);
    cfg->cautious_wd = o->cautious_wd;
    if (o->scale && !(cfg->scale = muon_scale_type_by_name(o->scale)))
        return cli_fail(cmd, MUON_EUNKNOWN);
    cfg->scale_params.rms_factor = o->rms_factor;
    cfg->unflattened_scale = o->unflattened_scale;
    cfg->mars_gamma = o->mars_gamma;
    cfg->cautious = o->cautious;
    cfg->normuon = o->normuon;
    cfg->normuon_beta2 = o->normuon_beta2;
    cfg->normuon_eps = o->normuon_eps;
    cfg->grad_clip = o->grad_clip;
    cfg->update_clip = o->update_clip;
    cfg->weight_clamp = o->weight_clamp;
    if (o->aux && (rc = muon_aux_kind_by_name(o->aux, &cfg->aux)))
        return cli_fail(cmd, rc);
    cfg->aux_beta1 = o->aux_beta1;
    cfg->aux_beta2 = o->aux_beta2;
    cfg->aux_eps = o->aux_eps;
    cfg->aux_wd = o->aux_wd;
    cfg->aux_momentum = o->aux_momentum;
    cfg->aux_nesterov = o->aux_nesterov;
    if (o->nonfinite) {
        if (!strcmp(o->nonfinite, "skip"))
            cfg->nonfinite = MUON_NONFINITE_SKIP;
        else if (!strcmp(o->nonfinite, "error"))
            cfg->nonfinite = MUON_NONFINITE_ERROR;
        else
            return cli_usage_error(cmd, "--nonfinite must be skip or error "
                                   "(got '%s')", o->nonfinite);
    }
    cfg->stats_every = o->stats_every;
    if ((rc = muon_optim_config_validate(cfg)))
        return cli_fail(cmd, rc);

    memset(lr_sched, 0, sizeof *lr_sched);
    if (o->schedule &&
        (rc = muon_sched_kind_by_name(o->schedule, &lr_sched->kind)))
        return cli_fail(cmd, rc);
    lr_sched->peak = o->lr;
    lr_sched->warmup = o->warmup;
    lr_sched->decay = o->decay;
    lr_sched->total = total_steps;
    lr_sched->min_frac = o->min_lr_frac;
    *aux_sched = *lr_sched;
    aux_sched->peak = o->aux_lr;
    if (o->lr <= 0.0)
        return cli_usage_error(cmd, "--lr must be > 0 (got %g)", o->lr);
    if (o->aux_lr <= 0.0)
        return cli_usage_error(cmd, "--aux-lr must be > 0 (got %g)",
                               o->aux_lr);
    if ((rc = muon_schedule_validate(lr_sched)))
        return cli_fail(cmd, rc);
    return 0;
}
