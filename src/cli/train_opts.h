/* train_opts.h: `muonlab train`: options, configuration checks, the run
 * loop and its output writers, kept out of train.c so that the tests can
 * drive a whole run in-process (tests/test-train.c).
 *
 * Output contract (DIR = --out; the sweep runner and plots depend on it):
 *   DIR/steps.csv    one row per step (every --log-every steps): step,
 *                    epoch, loss, lr, lr_aux, time_s, grad_norm,
 *                    update_rms, skipped, label (the orthogonalizer for
 *                    --opt muon, else the optimizer: adamw, sgd)
 *   DIR/eval.csv     one row per evaluation: step, epoch, time_s,
 *                    train_loss, train_acc, val_loss, val_acc, test_loss,
 *                    test_acc, status, label (empty where not applicable,
 *                    nan where computed but not finite)
 *   DIR/spectra.csv  step, param, which (momentum|update), sv_min, sv_max,
 *                    sv_mean, sv_ratio, polar_err: every --stats-every
 *                    steps, for each Muon matrix
 *   DIR/summary.json provenance, configuration, final and best metrics,
 *                    wall time, throughput, status ok|diverged|interrupted,
 *                    diverged_at_step (non-finite numbers are null)
 *   DIR/summary.csv  one row: model, data, opt, method, lr, seed, steps,
 *                    final_train_loss, final_val_loss, final_val_acc,
 *                    test_acc, best_val_acc, wall_s, samples_per_s, status,
 *                    test_loss (for regressions), label, width (the largest
 *                    hidden width of the model), final_loss (the final
 *                    validation loss, or the final training loss where
 *                    there is no validation set)
 *   DIR/checkpoint.bin  model + optimizer + data-order state (atomic)
 *   DIR/grads/NAME.npy, NAME.momentum.npy  (--save-grads) the last step's
 *                    gradient and momentum buffer of every Muon matrix,
 *                    2-D float32 (A, B) = (fan_out, fan_in; conv filters
 *                    flattened); written at the end of a completed run
 * CSVs start with provenance ('#') lines and are flushed at every
 * evaluation and checkpoint.
 */
#ifndef MUON_TRAIN_OPTS_H
#define MUON_TRAIN_OPTS_H

#include <stddef.h>

#include "cli.h"
#include "optim_opts.h"

/* What --data names. */
typedef enum {
    TRAIN_DATA_FMNIST = 0,
    TRAIN_DATA_TEXT = 1,
    TRAIN_DATA_SYNTH = 2
} train_data_kind;

typedef enum {
    TRAIN_SYNTH_TEACHER = 0,
    TRAIN_SYNTH_LSTSQ = 1,
    TRAIN_SYNTH_SENSING = 2
} train_synth_kind;

/* A parsed --data specification:
 *   fashion-mnist[:DIR]   (DIR default /usr/share/datasets/fashion-mnist)
 *   text[:PATH]           (a file or directory; default the fortunes)
 *   synthetic:KIND[,key=value...] with KIND teacher|lstsq|sensing and keys
 *       n (4096 training+validation examples), test (1024), noise (0.01),
 *       hidden (64, teacher), kappa (100, lstsq), m, p (sensing; default
 *       the square root of the model's input size), rank (2, sensing). */
typedef struct {
    train_data_kind kind;
    const char *path; /* points into the spec, or NULL for the default */
    char pathbuf[4096];
    train_synth_kind synth;
    size_t n, ntest, hidden, m, p, rank;
    double noise, kappa;
} train_data_spec;

/* Parses spec into *d.  Returns MUON_SUCCESS, MUON_EUNKNOWN (unknown kind
 * or key, listing the valid ones) or MUON_EINVAL (bad value); reported. */
int train_data_parse(const char *spec, train_data_spec *d);

/* The options of `muonlab train` (raw, as parsed). */
typedef struct {
    const char *model, *data, *opt, *out;
    size_t epochs, train_steps, batch;
    long long seed;
    long long val_size;   /* -1: the data set's default */
    size_t eval_every;    /* 0: once per epoch */
    size_t ckpt_every;    /* 0: at every evaluation */
    size_t log_every;     /* steps.csv row every N steps (1) */
    size_t eval_batches;  /* text: validation batches per evaluation */
    double val_frac;      /* text: validation fraction of the corpus */
    int resume, force, strict;
    const char *progress; /* auto|bar|log|none */
    size_t inject_nan;    /* test hook: NaN into a gradient at this step */
    int save_grads;       /* write DIR/grads/ at the end */
    optim_cli oc;
} train_cli;

/* Defaults: mlp on fashion-mnist, Muon (lr 0.02, ns5) + AdamW (3e-4),
 * batch 128, 10 epochs, seed 0, validation 5000, spectra every 100 steps. */
void train_cli_init(train_cli *t);

/* `muonlab train` given argv (argv[0] = "train"): parses the options and
 * runs.  Returns the process exit status: 0, CLI_EXIT_USAGE, CLI_EXIT_DATA
 * (missing or bad data; the message names the Debian package),
 * CLI_EXIT_NUMERIC (diverged: non-finite loss; the last good checkpoint is
 * kept), CLI_EXIT_IO, CLI_EXIT_SIGINT / CLI_EXIT_SIGTERM (interrupted,
 * state saved). */
int train_main(int argc, char **argv);

/* Runs with already parsed options (the same exit statuses). */
int train_run(const char *cmd, const train_cli *t);

/* Test hook: when nonzero, the run behaves as if SIGINT arrived right
 * after step `train_test_interrupt_at` (deterministic interruption). */
extern size_t train_test_interrupt_at;

#endif /* MUON_TRAIN_OPTS_H */
