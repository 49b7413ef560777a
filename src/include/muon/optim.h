/* optim.h: the Muon driver.  One optimizer combining any orthogonalizer
 * (muon/orth.h) with any learning-rate scale mode (muon/scale.h) and every
 * published variant, each switchable on its own, plus an auxiliary AdamW or
 * SGD for the parameters Muon should not touch.  Defaults reproduce
 * KellerJordan's SingleDeviceMuon (REFERENCE.md section 1) with the
 * orthogonalizer in fp32.
 *
 * One step for a Muon parameter W (A = fan_out rows, B = prod(rest) cols;
 * conv filters are flattened), gradient G, momentum M, learning rate lr:
 *   G <- G * c                 global gradient-norm clipping (grad_clip > 0)
 *   G <- G + wd W              wd_mode l2 only
 *   C <- G + gamma beta/(1-beta) (G - G_prev)   MARS (mars_gamma > 0;
 *                              no correction on the first step)
 *   M <- beta M + (1-beta) C   ema (default)  |  M <- beta M + C  classical
 *   U <- (1-beta) C + beta M   nesterov, ema  |  U <- C + beta M  classical
 *   U <- M                     nesterov off
 *   O <- orthogonalize(U)      the orth front end normalises by ||U||_F
 *   O <- NorMuon(O)            per-row second moment, norm preserved
 *   D <- factor(A, B, ||U||_F) * O              the scale mode
 *   D <- D * mask / mean(mask) cautious update, mask = (D * G > 0)
 *   D <- clamp(D, +-update_clip)                update_clip > 0
 *   W <- W * (1 - lr wd)       decoupled (base lr; the default)
 *        W * (1 - lr factor wd)  decoupled_adjusted; W * (1 - wd) independent
 *        (cautious_wd: only entries with D * W >= 0 decay)
 *   W <- W - lr D
 *   W <- W * sqrt(A) / ||W||_F  if weight_clamp and ||W||_F > sqrt(A)
 * beta may follow a linear warm-up from momentum_warmup_start to momentum
 * over momentum_warmup_steps steps.  Auxiliary parameters use AdamW (KJ's
 * adam_update: bias-corrected, decoupled wd with its own lr) or SGD with
 * momentum (buf <- mu buf + g; nesterov g + mu buf).
 *
 * Safety: before anything is touched every gradient is scanned; a NaN or
 * Inf anywhere skips the whole step (parameters and state bit-for-bit
 * unchanged; counted, with a warning message) or, with
 * nonfinite = MUON_NONFINITE_ERROR, returns MUON_ENONFINITE.
 *
 * No allocation happens in muon_optim_step: all state and scratch are made
 * at muon_optim_alloc.  Same-shape Muon matrices are orthogonalized as one
 * batch.
 */
#ifndef MUON_OPTIM_H
#define MUON_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "muon/checkpoint.h"
#include "muon/orth.h"
#include "muon/param.h"
#include "muon/scale.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { MUON_MOMENTUM_EMA = 0, MUON_MOMENTUM_CLASSICAL = 1 }
    muon_momentum_type;

typedef enum {
    MUON_WD_DECOUPLED = 0,          /* W *= 1 - lr wd */
    MUON_WD_DECOUPLED_ADJUSTED = 1, /* W *= 1 - lr factor wd */
    MUON_WD_INDEPENDENT = 2,        /* W *= 1 - wd */
    MUON_WD_L2 = 3                  /* G += wd W before momentum */
} muon_wd_mode;

typedef enum { MUON_AUX_ADAMW = 0, MUON_AUX_SGD = 1 } muon_aux_kind;

typedef enum { MUON_NONFINITE_SKIP = 0, MUON_NONFINITE_ERROR = 1 }
    muon_nonfinite_policy;

/* Per-parameter routing: automatic (Muon for role hidden with ndim >= 2,
 * the auxiliary optimizer for everything else) or forced. */
typedef enum { MUON_ROUTE_AUTO = 0, MUON_ROUTE_MUON = 1, MUON_ROUTE_AUX = 2 }
    muon_route;

/* The full configuration.  Plain data (type pointers refer to static
 * registries); muon_optim_default_config() gives KJ's SingleDeviceMuon. */
typedef struct {
    /* Momentum */
    double momentum;                   /* beta, [0, 1); 0.95 */
    muon_momentum_type momentum_type;  /* ema */
    int nesterov;                      /* 1 */
    double momentum_warmup_start;      /* beta at step 0 of the warm-up */
    size_t momentum_warmup_steps;      /* 0 = no warm-up */
    int momentum_bf16;                 /* store M rounded to bf16; 0 */
    /* Orthogonalizer */
    const muon_orth_type *orth;        /* ns5 */
    muon_orth_params orth_params;      /* its defaults, precision fp32 */
    /* Scale */
    const muon_scale_type *scale;      /* original */
    muon_scale_params scale_params;
    int unflattened_scale;  /* scale from shape[ndim-2], shape[ndim-1] as KJ
                               and MLX do for conv filters (a known bug,
                               kept for comparisons); 0 */
    /* Weight decay (Muon group) */
    double wd;                         /* >= 0; 0 as SingleDeviceMuon */
    muon_wd_mode wd_mode;              /* decoupled */
    int cautious_wd;                   /* 0 */
    /* Variants, all off by default */
    double mars_gamma;                 /* 0 = off; 0.025 typical */
    int cautious;                      /* cautious update mask */
    int normuon;
    double normuon_beta2;              /* 0.95 */
    double normuon_eps;                /* 1e-10 */
    double grad_clip;                  /* global grad-norm clip; 0 = off */
    double update_clip;                /* |D_ij| <= update_clip; 0 = off */
    int weight_clamp;                  /* ||W||_F <= sqrt(fan_out) */
    /* Auxiliary optimizer */
    muon_aux_kind aux;                 /* adamw */
    double aux_beta1, aux_beta2;       /* 0.9, 0.95 (KJ) */
    double aux_eps;                    /* 1e-10 (KJ) */
    double aux_wd;                     /* 0 (KJ) */
    double aux_momentum;               /* sgd: 0.9 */
    int aux_nesterov;                  /* sgd: 0 */
    /* Safety and statistics */
    muon_nonfinite_policy nonfinite;   /* skip */
    size_t stats_every;   /* exact SVD statistics every k steps; 0 = never */
} muon_optim_config;

/* Fills c with the defaults above. */
void muon_optim_default_config(muon_optim_config *c);

/* Checks every field, naming it and its value: MUON_ERANGE / MUON_EINVAL
 * (reported) or MUON_SUCCESS.  Also validates the orthogonalizer and scale
 * parameters. */
int muon_optim_config_validate(const muon_optim_config *c);

/* Writes the configuration as canonical "key = value" lines (every double
 * with 17 significant digits, the coefficient list as a CRC32 hash) into
 * buf; returns the length snprintf would need (>= len means truncated).
 * Two configurations are equal iff their descriptions are. */
size_t muon_optim_config_describe(const muon_optim_config *c, char *buf,
                                  size_t len);

/* Names: "ema"/"classical"; "decoupled", "decoupled_adjusted",
 * "independent", "l2"; "adamw"/"sgd".  The _by_name functions return
 * MUON_EUNKNOWN (reported, listing the valid names). */
const char *muon_momentum_type_name(muon_momentum_type t);
int muon_momentum_type_by_name(const char *name, muon_momentum_type *out);
const char *muon_wd_mode_name(muon_wd_mode m);
int muon_wd_mode_by_name(const char *name, muon_wd_mode *out);
const char *muon_aux_kind_name(muon_aux_kind k);
int muon_aux_kind_by_name(const char *name, muon_aux_kind *out);

typedef struct muon_optim muon_optim;

/* Allocates the optimizer for n parameters.  cfg is validated and copied;
 * params is copied (the views; data/grad stay owned by the model and must
 * outlive the optimizer).  routes may be NULL (all automatic).  Returns
 * NULL (reported) on an invalid configuration, a parameter without data or
 * grad, ndim > 4, a forced Muon route on a tensor with fewer than 2
 * dimensions, or allocation failure.  Free with muon_optim_free(). */
muon_optim *muon_optim_alloc(const muon_optim_config *cfg,
                             const muon_param *params, size_t n,
                             const muon_route *routes);

/* Frees o; NULL is a no-op. */
void muon_optim_free(muon_optim *o);

/* One step with learning rate lr for the Muon group and lr_aux for the
 * auxiliary group (both finite and >= 0).  Reads every grad, updates every
 * data and the state.  Returns MUON_SUCCESS (also when a non-finite
 * gradient skipped the step: see muon_optim_last_skipped), MUON_ERANGE for
 * a bad learning rate, MUON_ENONFINITE under the error policy (nothing
 * modified), or an orthogonalizer failure.  Never allocates. */
int muon_optim_step(muon_optim *o, double lr, double lr_aux);

/* Counters: steps taken (skipped ones excluded), step calls (including
 * skipped ones), steps skipped for non-finite gradients. */
uint64_t muon_optim_steps(const muon_optim *o);
uint64_t muon_optim_calls(const muon_optim *o);
uint64_t muon_optim_skipped(const muon_optim *o);
/* 1 if the last call was skipped. */
int muon_optim_last_skipped(const muon_optim *o);
/* The warning of the last skipped step ("step 7 skipped: gradient 'w' has
 * 1 non-finite entries"), "" if none yet.  Owned by o. */
const char *muon_optim_warning(const muon_optim *o);

/* Parameter bookkeeping. */
size_t muon_optim_nparams(const muon_optim *o);
/* 1 if parameter i goes to Muon, 0 if to the auxiliary optimizer. */
int muon_optim_is_muon(const muon_optim *o, size_t i);
/* The flattened matrix shape A x B of parameter i (Muon params). */
void muon_optim_shape(const muon_optim *o, size_t i, size_t *A, size_t *B);
/* The momentum buffer of Muon parameter i (prod(shape) floats; NULL for an
 * auxiliary parameter).  Read-only view, for tests and statistics. */
const float *muon_optim_momentum(const muon_optim *o, size_t i);
/* The orthogonalizer workspace used for parameter i (its call counter
 * guards against silently never orthogonalizing). */
const muon_orth_workspace *muon_optim_orth(const muon_optim *o, size_t i);
const muon_optim_config *muon_optim_get_config(const muon_optim *o);

/* Statistics of the last step for parameter i.  grad_norm, momentum_norm
 * (of the momentum after the step), update_rms (RMS of lr * D, the change
 * applied excluding weight decay) are always filled.  For Muon parameters,
 * on steps where (step count - 1) % stats_every == 0, svd = 1 and the
 * exact fp64 singular values of the orthogonalizer input U and output O
 * are summarised: min, max, mean, spread = (max - min) / max (0 when
 * max = 0), and polar_error = ||O - P||_F / sqrt(min(A, B)) with P the
 * exact polar factor of U (singular values <= max(A,B) eps sigma_1
 * dropped). */
typedef struct {
    double grad_norm, momentum_norm, update_rms;
    int svd;
    double m_min, m_max, m_spread, m_mean;
    double u_min, u_max, u_spread, u_mean;
    double polar_error;
} muon_optim_stats;

int muon_optim_param_stats(const muon_optim *o, size_t i,
                           muon_optim_stats *out);

/* ---- checkpoints ------------------------------------------------------- */

/* The optimizer's checkpoint sections (names "optim.*": configuration,
 * parameter shapes, counters, and one section per state buffer).  They
 * point into o (valid until the next step).  Writes at most cap entries and
 * sets *n to the number needed; MUON_EBADLEN if cap is too small.  Append
 * your own sections and call muon_ckpt_write to save everything in one
 * file. */
int muon_optim_ckpt_sections(const muon_optim *o, muon_ckpt_section *out,
                             size_t cap, size_t *n);

/* Saves only the optimizer state atomically to path (muon_ckpt_write). */
int muon_optim_save(const muon_optim *o, const char *path);

/* Restores the state from a verified checkpoint.  Refuses, leaving o
 * unchanged: a different configuration (MUON_EINVAL, naming the first
 * differing line), a different number of parameters, names, routing or
 * shapes (MUON_EBADLEN, naming the parameter), missing sections
 * (MUON_EFORMAT). */
int muon_optim_load_ckpt(muon_optim *o, const muon_ckpt *c);

/* muon_ckpt_read + muon_optim_load_ckpt. */
int muon_optim_load(muon_optim *o, const char *path);

#ifdef __cplusplus
}
#endif

#endif /* MUON_OPTIM_H */
