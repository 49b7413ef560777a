/* optim_opts.h: the Muon driver's command-line options, shared by replay,
 * train and sweep (one spelling everywhere):
 *   --lr --momentum --nesterov 0|1 --momentum-type ema|classical
 *   --momentum-warmup-start B --momentum-warmup-steps N --momentum-bf16
 *   --wd --wd-mode MODE --cautious-wd --scale MODE --rms-factor F
 *   --unflattened-scale --mars-gamma G --cautious --normuon
 *   --normuon-beta2 B --normuon-eps E --grad-clip C --update-clip C
 *   --weight-clamp --aux adamw|sgd --aux-lr --aux-beta1 --aux-beta2
 *   --aux-eps --aux-wd --aux-momentum --aux-nesterov
 *   --schedule constant|cosine|wsd --warmup N --decay N --min-lr-frac F
 *   --nonfinite skip|error --stats-every K
 * plus the orthogonalizer options of orth_opts.h (--method --steps
 * --precision --coeffs --eps --safety --extend --backend).
 */
#ifndef MUON_OPTIM_OPTS_H
#define MUON_OPTIM_OPTS_H

#include "cli.h"
#include "muon/optim.h"
#include "muon/schedule.h"
#include "orth_opts.h"

typedef struct {
    orth_cli orth;
    double lr, momentum;
    int nesterov;
    const char *momentum_type;
    double momentum_warmup_start;
    size_t momentum_warmup_steps;
    int momentum_bf16;
    double wd;
    const char *wd_mode;
    int cautious_wd;
    const char *scale;
    double rms_factor;
    int unflattened_scale;
    double mars_gamma;
    int cautious, normuon;
    double normuon_beta2, normuon_eps, grad_clip, update_clip;
    int weight_clamp;
    const char *aux;
    double aux_lr, aux_beta1, aux_beta2, aux_eps, aux_wd, aux_momentum;
    int aux_nesterov;
    const char *schedule;
    size_t warmup, decay;
    double min_lr_frac;
    const char *nonfinite;
    size_t stats_every;
} optim_cli;

/* Fills o with the defaults (KJ's SingleDeviceMuon, lr 0.02, AdamW aux
 * lr 3e-4, constant schedule).  Call before cli_parse. */
void optim_cli_init(optim_cli *o);

/* The option table entries, to splice into a subcommand's cli_opt array
 * (they include ORTH_CLI_OPTS). */
#define OPTIM_CLI_OPTS(o)                                                      \
    ORTH_CLI_OPTS(&(o)->orth),                                                 \
    {"lr", CLI_DOUBLE, &(o)->lr, "LR", "Muon learning rate (0.02)", 0, 1e6,    \
     0},                                                                       \
    {"momentum", CLI_DOUBLE, &(o)->momentum, "B", "momentum beta (0.95)", 0,   \
     0.999999, 0},                                                             \
    {"nesterov", CLI_FLAG, &(o)->nesterov, "0|1", "Nesterov momentum (1)", 1,  \
     0, 0},                                                                    \
    {"momentum-type", CLI_STRING, &(o)->momentum_type, "ema|classical",        \
     "momentum form (ema)", 1, 0, 0},                                          \
    {"momentum-warmup-start", CLI_DOUBLE, &(o)->momentum_warmup_start, "B",    \
     "beta at the start of the momentum warm-up (0.85)", 0, 0.999999, 0},      \
    {"momentum-warmup-steps", CLI_SIZE, &(o)->momentum_warmup_steps, "N",      \
     "momentum warm-up length (0: off)", 1, 0, 0},                             \
    {"momentum-bf16", CLI_FLAG, &(o)->momentum_bf16, NULL,                     \
     "store the momentum in bf16", 1, 0, 0},                                   \
    {"wd", CLI_DOUBLE, &(o)->wd, "WD", "Muon weight decay (0)", 0, 1e6, 0},    \
    {"wd-mode", CLI_STRING, &(o)->wd_mode, "MODE",                             \
     "decoupled|decoupled_adjusted|independent|l2 (decoupled)", 1, 0, 0},      \
    {"cautious-wd", CLI_FLAG, &(o)->cautious_wd, NULL,                         \
     "decay only where update*W >= 0", 1, 0, 0},                               \
    {"scale", CLI_STRING, &(o)->scale, "MODE",                                 \
     "none|original|match_rms_adamw|spectral|spectral_max|seed002 "            \
     "(original)", 1, 0, 0},                                                   \
    {"rms-factor", CLI_DOUBLE, &(o)->rms_factor, "F",                          \
     "match_rms_adamw target RMS / lr (0.2)", 1e-12, 1e6, 0},                  \
    {"unflattened-scale", CLI_FLAG, &(o)->unflattened_scale, NULL,             \
     "scale conv filters from (kh, kw) as KJ/MLX do (a known bug)", 1, 0, 0},  \
    {"mars-gamma", CLI_DOUBLE, &(o)->mars_gamma, "G",                          \
     "MARS correction (0: off; 0.025 typical)", 0, 1e6, 0},                    \
    {"cautious", CLI_FLAG, &(o)->cautious, NULL, "cautious update mask", 1,   \
     0, 0},                                                                    \
    {"normuon", CLI_FLAG, &(o)->normuon, NULL, "NorMuon row normalisation", 1, \
     0, 0},                                                                    \
    {"normuon-beta2", CLI_DOUBLE, &(o)->normuon_beta2, "B", "(0.95)", 0,       \
     0.999999, 0},                                                             \
    {"normuon-eps", CLI_DOUBLE, &(o)->normuon_eps, "E", "(1e-10)", 1e-300,     \
     1, 0},                                                                    \
    {"grad-clip", CLI_DOUBLE, &(o)->grad_clip, "C",                            \
     "global gradient-norm clip (0: off)", 0, 1e300, 0},                       \
    {"update-clip", CLI_DOUBLE, &(o)->update_clip, "C",                        \
     "clip update entries to [-C, C] (0: off)", 0, 1e300, 0},                  \
    {"weight-clamp", CLI_FLAG, &(o)->weight_clamp, NULL,                       \
     "clamp ||W||_F to sqrt(fan_out)", 1, 0, 0},                               \
    {"aux", CLI_STRING, &(o)->aux, "adamw|sgd",                                \
     "optimizer for non-Muon parameters (adamw)", 1, 0, 0},                    \
    {"aux-lr", CLI_DOUBLE, &(o)->aux_lr, "LR", "auxiliary lr (3e-4)", 0, 1e6,  \
     0},                                                                       \
    {"aux-beta1", CLI_DOUBLE, &(o)->aux_beta1, "B", "AdamW beta1 (0.9)", 0,    \
     0.999999, 0},                                                             \
    {"aux-beta2", CLI_DOUBLE, &(o)->aux_beta2, "B", "AdamW beta2 (0.95)", 0,   \
     0.999999, 0},                                                             \
    {"aux-eps", CLI_DOUBLE, &(o)->aux_eps, "E", "AdamW eps (1e-10)", 1e-300,   \
     1, 0},                                                                    \
    {"aux-wd", CLI_DOUBLE, &(o)->aux_wd, "WD", "auxiliary weight decay (0)",   \
     0, 1e6, 0},                                                               \
    {"aux-momentum", CLI_DOUBLE, &(o)->aux_momentum, "B",                      \
     "SGD momentum (0.9)", 0, 0.999999, 0},                                    \
    {"aux-nesterov", CLI_FLAG, &(o)->aux_nesterov, "0|1",                      \
     "SGD Nesterov (0)", 1, 0, 0},                                             \
    {"schedule", CLI_STRING, &(o)->schedule, "constant|cosine|wsd",            \
     "learning-rate schedule for both groups (constant)", 1, 0, 0},            \
    {"warmup", CLI_SIZE, &(o)->warmup, "N", "lr warm-up steps (0)", 1, 0, 0},  \
    {"decay", CLI_SIZE, &(o)->decay, "N", "wsd decay steps (0)", 1, 0, 0},     \
    {"min-lr-frac", CLI_DOUBLE, &(o)->min_lr_frac, "F",                        \
     "final lr / peak lr (0)", 0, 1, 0},                                       \
    {"nonfinite", CLI_STRING, &(o)->nonfinite, "skip|error",                   \
     "on a NaN/Inf gradient: skip the step or stop (skip)", 1, 0, 0},          \
    {"stats-every", CLI_SIZE, &(o)->stats_every, "K",                          \
     "exact SVD statistics every K steps (0: never)", 1, 0, 0}

/* Turns the parsed options into a validated configuration and the two
 * schedules (total = total_steps).  Returns 0 or a CLI exit code (message
 * printed, naming the option and value). */
int optim_cli_config(const char *cmd, const optim_cli *o, size_t total_steps,
                     muon_optim_config *cfg, muon_schedule *lr_sched,
                     muon_schedule *aux_sched);

#endif /* MUON_OPTIM_OPTS_H */
