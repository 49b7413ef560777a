/* train_opts.c: `muonlab train`: options -> one validated configuration ->
 * data, model and Muon driver -> the training loop, with its CSV/JSON
 * writers, atomic checkpoints, bit-identical resume and signal handling.
 *
 * Seeds derived from --seed S (every consumer its own mt19937 stream):
 *   model initialisation S, validation split S+1, batch order S+2,
 *   text validation windows S+3, synthetic task S+4, synthetic test split
 *   S+5.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include <jansson.h>

#include "muon/checkpoint.h"
#include "muon/data.h"
#include "muon/io.h"
#include "muon/metrics.h"
#include "muon/model.h"
#include "muon/npy.h"
#include "muon/optim.h"
#include "muon/names.h"
#include "muon/status.h"
#include "train_opts.h"

size_t train_test_interrupt_at = 0;

/* ---- --data ------------------------------------------------------------ */

static int
parse_size_kv(const char *key, const char *val, size_t *out)
{
    char what[64];
    snprintf(what, sizeof what, "--data synthetic key '%s'", key);
    return cli_parse_size(what, val, out);
}

int
train_data_parse(const char *spec, train_data_spec *d)
{
    memset(d, 0, sizeof *d);
    d->n = 4096;
    d->ntest = 1024;
    d->noise = 0.01;
    d->hidden = 64;
    d->kappa = 100.0;
    d->rank = 2;
    if (!spec)
        spec = "fashion-mnist";
    const char *colon = strchr(spec, ':');
    size_t klen = colon ? (size_t)(colon - spec) : strlen(spec);
    const char *rest = colon ? colon + 1 : NULL;
    if (klen == 13 && !strncmp(spec, "fashion-mnist", klen)) {
        d->kind = TRAIN_DATA_FMNIST;
    } else if (klen == 4 && !strncmp(spec, "text", klen)) {
        d->kind = TRAIN_DATA_TEXT;
    } else if (klen == 9 && !strncmp(spec, "synthetic", klen)) {
        d->kind = TRAIN_DATA_SYNTH;
    } else {
        return MUON_ERROR(MUON_EUNKNOWN, "--data: unknown data set '%.*s' "
                          "(valid: fashion-mnist[:DIR], text[:PATH], "
                          "synthetic:teacher|lstsq|sensing[,key=value...])",
                          (int)klen, spec);
    }
    if (d->kind != TRAIN_DATA_SYNTH) {
        if (rest && !*rest)
            return MUON_ERROR(MUON_EINVAL, "--data '%s': empty path after "
                              "':'", spec);
        if (rest) {
            if (strlen(rest) >= sizeof d->pathbuf)
                return MUON_ERROR(MUON_EINVAL, "--data: path too long");
            strcpy(d->pathbuf, rest);
            d->path = d->pathbuf;
        }
        return MUON_SUCCESS;
    }
    if (!rest || !*rest)
        return MUON_ERROR(MUON_EINVAL, "--data synthetic needs a task: "
                          "synthetic:teacher|lstsq|sensing");
    char buf[512];
    if (strlen(rest) >= sizeof buf)
        return MUON_ERROR(MUON_EINVAL, "--data: specification too long");
    strcpy(buf, rest);
    char *save = NULL;
    char *tok = strtok_r(buf, ",", &save);
    static const char *const kinds[] = {"teacher", "lstsq", "sensing", NULL};
    size_t k;
    for (k = 0; kinds[k]; k++)
        if (!strcmp(tok, kinds[k]))
            break;
    if (!kinds[k])
        return MUON_ERROR(MUON_EUNKNOWN, "--data: unknown synthetic task "
                          "'%s' (valid: teacher, lstsq, sensing)", tok);
    d->synth = (train_synth_kind)k;
    static const char *const keys[] = {"n", "test", "noise", "hidden", "kappa",
                                       "m", "p", "rank", NULL};
    while ((tok = strtok_r(NULL, ",", &save))) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return MUON_ERROR(MUON_EINVAL, "--data: '%s' is not key=value",
                              tok);
        *eq = '\0';
        const char *val = eq + 1;
        int rc = MUON_SUCCESS;
        if (!strcmp(tok, "n"))
            rc = parse_size_kv(tok, val, &d->n);
        else if (!strcmp(tok, "test"))
            rc = parse_size_kv(tok, val, &d->ntest);
        else if (!strcmp(tok, "hidden"))
            rc = parse_size_kv(tok, val, &d->hidden);
        else if (!strcmp(tok, "m"))
            rc = parse_size_kv(tok, val, &d->m);
        else if (!strcmp(tok, "p"))
            rc = parse_size_kv(tok, val, &d->p);
        else if (!strcmp(tok, "rank"))
            rc = parse_size_kv(tok, val, &d->rank);
        else if (!strcmp(tok, "noise") || !strcmp(tok, "kappa")) {
            double v;
            rc = cli_parse_double(tok, val, &v);
            if (!rc && (!isfinite(v) || v < 0 ||
                        (!strcmp(tok, "kappa") && v < 1)))
                rc = MUON_ERROR(MUON_ERANGE, "--data: %s = %g out of range "
                                "(noise >= 0, kappa >= 1)", tok, v);
            if (!rc)
                *(!strcmp(tok, "noise") ? &d->noise : &d->kappa) = v;
        } else {
            const char *near = muon_closest_name(tok, keys);
            return MUON_ERROR(MUON_EUNKNOWN, "--data: unknown synthetic key "
                              "'%s'%s%s%s (valid: n, test, noise, hidden, "
                              "kappa, m, p, rank)", tok,
                              near ? " (did you mean '" : "",
                              near ? near : "", near ? "'?)" : "");
        }
        if (rc)
            return rc;
    }
    if (d->n < 2)
        return MUON_ERROR(MUON_ERANGE, "--data: n = %zu, need >= 2", d->n);
    if (d->hidden < 1 || d->rank < 1)
        return MUON_ERROR(MUON_ERANGE, "--data: hidden and rank must be >= 1");
    return MUON_SUCCESS;
}

/* ---- options ----------------------------------------------------------- */

void
train_cli_init(train_cli *t)
{
    memset(t, 0, sizeof *t);
    t->val_size = -1;
    t->log_every = 1;
    t->eval_batches = 20;
    t->val_frac = 0.1;
    t->progress = "auto";
    optim_cli_init(&t->oc);
    /* Spectral telemetry is part of a training run's record; an exact SVD
     * every 100 steps costs well under 1% of an MLP epoch. */
    t->oc.stats_every = 100;
}

static const char synopsis[] =
    "[--model mlp|cnn|gpt|linear[:SPEC]] "
    "[--data fashion-mnist|text[:PATH]|synthetic:KIND] "
    "[--opt muon|adamw|sgd] [driver options] [--epochs N | --train-steps N] "
    "[--batch B] [--seed S] --out DIR [--resume | --force]";

static const char epilog[] =
    "\n"
    "Training steps are --train-steps (--steps is the orthogonalizer's\n"
    "iteration count, spelled as on every subcommand).  --opt adamw|sgd\n"
    "trains every tensor with that optimizer at --lr (defaults 1e-3 with\n"
    "PyTorch's betas (0.9, 0.999) and eps 1e-8 / 0.05 with momentum 0.9);\n"
    "--opt muon routes hidden matrices to Muon (--lr) and the first layer,\n"
    "head, embeddings, gains and biases to --aux (--aux-lr).\n"
    "\n"
    "Defaults: fashion-mnist: mlp 784-256-128-10, batch 128, 10 epochs,\n"
    "validation 5000 images held out of the training set, evaluation every\n"
    "epoch, test set at the end.  text: gpt, batch 32, 2000 steps,\n"
    "evaluation every 100 steps on --eval-batches fixed validation batches.\n"
    "synthetic: linear, 20 epochs, regression (mse).\n"
    "\n"
    "Output files in DIR (CSV files start with '#' provenance lines):\n"
    "  steps.csv     step,epoch,loss,lr,lr_aux,time_s,grad_norm,update_rms,\n"
    "                skipped,label  (one row per step, or every --log-every;\n"
    "                label = the --method for --opt muon, else the --opt)\n"
    "  eval.csv      step,epoch,time_s,train_loss,train_acc,val_loss,\n"
    "                val_acc,test_loss,test_acc,status,label  (train_* =\n"
    "                running mean over the steps since the previous\n"
    "                evaluation; empty where not applicable; test_* in the\n"
    "                last row)\n"
    "  spectra.csv   step,param,which,sv_min,sv_max,sv_mean,sv_ratio,\n"
    "                polar_err  (which = momentum: the orthogonalizer input,\n"
    "                update: its output; every --stats-every steps)\n"
    "  summary.json  provenance, configuration, final and best metrics, wall\n"
    "                time, samples/s, status ok|diverged|interrupted,\n"
    "                diverged_at_step (non-finite numbers are null)\n"
    "  summary.csv   one row: model,data,opt,method,lr,seed,steps,\n"
    "                final_train_loss,final_val_loss,final_val_acc,test_acc,\n"
    "                best_val_acc,wall_s,samples_per_s,status,test_loss,\n"
    "                label,width (largest hidden width),final_loss (final\n"
    "                validation loss, or training loss without validation)\n"
    "  checkpoint.bin  model + optimizer + data order, written atomically\n"
    "                every --ckpt-every steps and at the end\n"
    "  grads/NAME.npy, grads/NAME.momentum.npy  (--save-grads) the last\n"
    "                step's gradient and momentum buffer of every Muon\n"
    "                matrix, float32 (fan_out, fan_in) (conv filters\n"
    "                flattened), for `muonlab ortho --in`; written when the\n"
    "                run completes (not when interrupted or diverged, nor\n"
    "                on a --resume with no step left)\n"
    "\n"
    "Exit status: 0 done, 2 usage, 3 data, 4 diverged (non-finite loss; the\n"
    "last good checkpoint is kept), 5 I/O, 130/143 interrupted by\n"
    "SIGINT/SIGTERM (the current step finishes, a checkpoint and the CSVs\n"
    "are written; --resume continues bit-identically).\n";

int
train_main(int argc, char **argv)
{
    const char *cmd = "train";
    train_cli t;
    train_cli_init(&t);
    cli_opt opts[] = {
        {"model", CLI_STRING, &t.model, "SPEC",
         "mlp|cnn|gpt|linear[:key=value,...] (by data: mlp, gpt, linear)", 1,
         0, 0},
        {"data", CLI_STRING, &t.data, "SPEC",
         "fashion-mnist[:DIR] | text[:PATH] | synthetic:KIND[,k=v] "
         "(fashion-mnist)", 1, 0, 0},
        {"opt", CLI_STRING, &t.opt, "NAME", "muon|adamw|sgd (muon)", 1, 0, 0},
        {"out", CLI_STRING, &t.out, "DIR", "output folder (required)", 1, 0,
         0},
        {"epochs", CLI_SIZE, &t.epochs, "N", "epochs (see defaults)", 1,
         1e9, 0},
        {"train-steps", CLI_SIZE, &t.train_steps, "N",
         "training steps instead of --epochs", 1, 1e12, 0},
        {"batch", CLI_SIZE, &t.batch, "B",
         "batch size: samples, or sequences for text (128; text 32)", 1,
         1 << 24, 0},
        {"seed", CLI_INT, &t.seed, "S", "random seed (0)", 0, 4294967295.0,
         0},
        {"val-size", CLI_INT, &t.val_size, "N",
         "validation examples held out (fashion-mnist 5000, synthetic n/8)",
         0, 1e9, 0},
        {"val-frac", CLI_DOUBLE, &t.val_frac, "F",
         "text: validation fraction of the corpus (0.1)", 1e-6, 0.9, 0},
        {"eval-every", CLI_SIZE, &t.eval_every, "N",
         "evaluate every N steps (one epoch; text 100)", 1, 1e12, 0},
        {"eval-batches", CLI_SIZE, &t.eval_batches, "N",
         "text: validation batches per evaluation (20)", 1, 1e6, 0},
        {"ckpt-every", CLI_SIZE, &t.ckpt_every, "N",
         "checkpoint every N steps (at every evaluation)", 1, 1e12, 0},
        {"log-every", CLI_SIZE, &t.log_every, "N",
         "steps.csv row every N steps (1)", 1, 1e12, 0},
        {"resume", CLI_FLAG, &t.resume, NULL,
         "continue from DIR/checkpoint.bin (bit-identical)", 1, 0, 0},
        {"force", CLI_FLAG, &t.force, NULL,
         "overwrite the outputs of a previous run in DIR", 1, 0, 0},
        {"strict", CLI_FLAG, &t.strict, NULL,
         "verify the Fashion-MNIST files' SHA-256", 1, 0, 0},
        {"progress", CLI_STRING, &t.progress, "MODE",
         "auto|bar|log|none (auto: a bar on a terminal)", 1, 0, 0},
        {"inject-nan", CLI_SIZE, &t.inject_nan, "STEP",
         "testing: put a NaN into a gradient at STEP (0: off)", 1, 1e12, 0},
        {"save-grads", CLI_FLAG, &t.save_grads, NULL,
         "at the end, write each Muon matrix's last gradient and momentum "
         "to DIR/grads/NAME[.momentum].npy", 1, 0, 0},
        OPTIM_CLI_OPTS(&t.oc),
        {0},
    };
    int rc = cli_parse(cmd, synopsis, argc, argv, opts, NULL, 0, NULL);
    if (rc < 0) {
        fputs(epilog, stdout);
        return CLI_EXIT_OK;
    }
    if (rc)
        return rc;
    return train_run(cmd, &t);
}

/* ---- the run ----------------------------------------------------------- */

#define STATE_MAGIC 0x314e494152544dULL /* "MTRAIN1" */

/* Everything the loop needs to continue exactly; saved raw in the
 * checkpoint (the container refuses another endianness or type sizes). */
typedef struct {
    uint64_t magic;
    uint64_t step, samples;
    uint64_t run_n, run_correct, run_total;
    uint64_t best_step;
    uint64_t off_steps, off_eval, off_spec; /* CSV lengths at the save */
    double elapsed, train_time;
    double run_loss;
    double best_val_acc, best_val_loss;
    double last_train_loss, last_train_acc, last_val_loss, last_val_acc;
} train_state;

enum { ST_OK = 0, ST_DIVERGED = 1, ST_INTERRUPTED = 2 };

typedef struct {
    const char *cmd;
    const train_cli *t;
    train_data_spec ds;
    muon_model_config mc;
    int opt_kind; /* 0 muon, 1 adamw, 2 sgd */
    const char *opt_name;
    /* data */
    muon_fmnist fm;
    muon_task task;
    muon_dataset *s_train, *s_val, *s_test;
    const muon_dataset *train, *val, *test;
    muon_text *text;
    muon_batcher *batcher;
    muon_text_batcher *tb, *vb;
    unsigned char *vb_init, *bstate;
    size_t vb_size, bstate_size;
    int classify;
    /* batch buffers */
    float *xb, *tb_f;
    int *yb, *tok, *tin, *tout;
    size_t B, T, in_dim, out_dim;
    /* model and driver */
    muon_model *model;
    muon_optim *opt;
    muon_route *routes;
    const muon_param *params;
    size_t nparams, nfloats;
    muon_optim_config ocfg;
    muon_schedule ls, as;
    double lr_main;
    muon_ckpt_section *secs;
    size_t nsecs_cap;
    /* schedule of the run */
    size_t steps_per_epoch, total, eval_every, ckpt_every;
    /* outputs */
    char dir[4096];
    char p_steps[4200], p_eval[4200], p_spec[4200], p_ckpt[4200];
    char p_json[4200], p_csv[4200], p_lock[4200];
    FILE *f_steps, *f_eval, *f_spec;
    int lockfd;
    char *config_text;
    train_state st;
    double seg_t0;  /* muon_time_now() at the start of this process's run */
    int bar, log;
    double last_bar;
    int status;
    uint64_t diverged_at;
    double test_loss, test_acc;
    int have_test;
} run_ctx;

static volatile sig_atomic_t g_signal;

static void
on_signal(int sig)
{
    if (g_signal) {
        /* A second signal: the user insists; die the default way (the
         * checkpoint file is replaced atomically, so nothing breaks). */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    g_signal = sig;
}

static int
data_fail(const char *cmd, int rc)
{
    fprintf(stderr, "muonlab %s: error: %s\n", cmd, muon_last_error());
    return rc == MUON_ENOMEM ? CLI_EXIT_INTERNAL : CLI_EXIT_DATA;
}

static double
elapsed(const run_ctx *c)
{
    return c->st.elapsed + (muon_time_now() - c->seg_t0);
}

static void
put_num(FILE *f, double v)
{
    if (isnan(v))
        fputs("nan", f);
    else if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", f);
    else
        fprintf(f, "%.9g", v);
}

static void
put_opt(FILE *f, int applicable, double v)
{
    fputc(',', f);
    if (applicable)
        put_num(f, v);
}

static double
epoch_of(const run_ctx *c, uint64_t step)
{
    return (double)step / (double)c->steps_per_epoch;
}

/* mkdir -p. */
static int
mkdirs(const char *path)
{
    char buf[4096];
    if (strlen(path) >= sizeof buf)
        return MUON_ERROR(MUON_EIO, "path too long: %s", path);
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST)
            return MUON_ERROR(MUON_EIO, "cannot create %s: %s", buf,
                              strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) && errno != EEXIST)
        return MUON_ERROR(MUON_EIO, "cannot create %s: %s", buf,
                          strerror(errno));
    struct stat sb;
    if (stat(buf, &sb) || !S_ISDIR(sb.st_mode))
        return MUON_ERROR(MUON_EIO, "%s is not a directory", buf);
    return MUON_SUCCESS;
}

static int
dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return 1;
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            empty = 0;
            break;
        }
    closedir(d);
    return empty;
}

/* ---- setup: data ------------------------------------------------------- */

static int
setup_data(run_ctx *c)
{
    const train_cli *t = c->t;
    int rc;
    unsigned long seed = (unsigned long)t->seed;
    if (c->ds.kind == TRAIN_DATA_FMNIST) {
        size_t nval = t->val_size < 0 ? 5000 : (size_t)t->val_size;
        if ((rc = muon_fmnist_load(c->ds.path, nval, seed + 1, t->strict,
                                   &c->fm)))
            return data_fail(c->cmd, rc);
        c->train = c->fm.train;
        c->val = c->fm.val;
        c->test = c->fm.test;
        c->classify = 1;
        return 0;
    }
    if (c->ds.kind == TRAIN_DATA_TEXT) {
        if (!(c->text = muon_text_load(c->ds.path, t->val_frac))) {
            int st = MUON_EIO;
            fprintf(stderr, "muonlab %s: error: %s\n", c->cmd,
                    muon_last_error());
            if (!c->ds.path)
                fprintf(stderr, "muonlab %s: the default corpus comes from "
                        "the Debian package fortunes (apt-get install "
                        "fortunes)\n", c->cmd);
            (void)st;
            return CLI_EXIT_DATA;
        }
        c->classify = 1;
        return 0;
    }
    /* Synthetic regression: n + ntest examples of one task, the test part
     * split off first so that validation and test never overlap. */
    const muon_model_config *mc = &c->mc;
    size_t in = mc->widths[0], out = mc->widths[mc->nwidths - 1];
    size_t ntot = c->ds.n + c->ds.ntest;
    unsigned long tseed = seed + 4;
    if (c->ds.synth == TRAIN_SYNTH_TEACHER) {
        size_t w[3] = {in, c->ds.hidden, out};
        rc = muon_task_teacher(ntot, w, 3, c->ds.noise, tseed, &c->task);
    } else {
        if (out != 1)
            return cli_usage_error(c->cmd, "synthetic:%s predicts one "
                                   "number: the model needs 1 output (e.g. "
                                   "--model linear:%zu-1), got %zu",
                                   c->ds.synth == TRAIN_SYNTH_LSTSQ
                                       ? "lstsq" : "sensing", in, out);
        if (c->ds.synth == TRAIN_SYNTH_LSTSQ) {
            rc = muon_task_lstsq(ntot, in, c->ds.kappa, c->ds.noise, tseed,
                                 &c->task);
        } else {
            size_t m = c->ds.m, p = c->ds.p;
            if (!m && !p) {
                m = (size_t)llround(sqrt((double)in));
                p = m;
            } else if (!m) {
                m = in / p;
            } else if (!p) {
                p = in / m;
            }
            if (m * p != in)
                return cli_usage_error(c->cmd, "synthetic:sensing: m x p = "
                                       "%zu x %zu must equal the model's "
                                       "input size %zu", m, p, in);
            rc = muon_task_sensing(ntot, m, p, c->ds.rank, c->ds.noise, tseed,
                                   &c->task);
        }
    }
    if (rc)
        return cli_fail(c->cmd, rc);
    muon_dataset *rest = NULL;
    if ((rc = muon_dataset_split(c->task.data, c->ds.ntest, seed + 5, &rest,
                                 &c->s_test)))
        return cli_fail(c->cmd, rc);
    size_t nval = t->val_size < 0 ? c->ds.n / 8 : (size_t)t->val_size;
    if (nval >= rest->n) {
        muon_dataset_free(rest);
        return cli_usage_error(c->cmd, "--val-size %zu must be below the "
                               "%zu examples of the task", nval, c->ds.n);
    }
    rc = muon_dataset_split(rest, nval, seed + 1, &c->s_train, &c->s_val);
    muon_dataset_free(rest);
    if (rc)
        return cli_fail(c->cmd, rc);
    c->train = c->s_train;
    c->val = c->s_val;
    c->test = c->s_test;
    c->classify = 0;
    return 0;
}

/* Adjusts the model configuration to the data and checks they fit. */
static int
fit_model(run_ctx *c, const char *model_spec)
{
    muon_model_config *mc = &c->mc;
    const char *cmd = c->cmd;
    if (c->ds.kind == TRAIN_DATA_TEXT) {
        if (mc->kind != MUON_MODEL_GPT)
            return cli_usage_error(cmd, "--data text needs --model gpt (got "
                                   "%s)", muon_model_kind_name(mc->kind));
        return 0;
    }
    if (mc->kind == MUON_MODEL_GPT)
        return cli_usage_error(cmd, "--model gpt needs --data text");
    if (c->ds.kind == TRAIN_DATA_SYNTH) {
        if (mc->kind == MUON_MODEL_CNN)
            return cli_usage_error(cmd, "--model cnn needs --data "
                                   "fashion-mnist (synthetic tasks are "
                                   "vectors)");
        if (mc->loss != MUON_LOSS_MSE && strstr(model_spec, "loss="))
            return cli_usage_error(cmd, "synthetic tasks are regressions: "
                                   "drop loss=ce from --model");
        mc->loss = MUON_LOSS_MSE;
        return 0;
    }
    /* Fashion-MNIST: 28 x 28 images, 10 classes. */
    if (mc->kind == MUON_MODEL_CNN) {
        if (mc->in_c != 1 || mc->in_h != 28 || mc->in_w != 28 ||
            mc->classes != 10)
            return cli_usage_error(cmd, "fashion-mnist needs a cnn with input "
                                   "1x28x28 and 10 classes (got %zux%zux%zu, "
                                   "%zu classes)", mc->in_c, mc->in_h,
                                   mc->in_w, mc->classes);
        return 0;
    }
    if (mc->widths[0] != 784 || mc->widths[mc->nwidths - 1] != 10)
        return cli_usage_error(cmd, "fashion-mnist needs %s widths 784-...-10 "
                               "(got %zu inputs, %zu outputs)",
                               muon_model_kind_name(mc->kind), mc->widths[0],
                               mc->widths[mc->nwidths - 1]);
    if (mc->loss != MUON_LOSS_CE)
        return cli_usage_error(cmd, "fashion-mnist is a classification: use "
                               "loss=ce");
    return 0;
}

/* ---- setup: buffers, model, driver ------------------------------------- */

static int
alloc_buffers(run_ctx *c)
{
    size_t B = c->B;
    if (c->ds.kind == TRAIN_DATA_TEXT) {
        size_t T = c->T, n;
        if (muon_size_mul(&n, B, T + 1))
            return MUON_ENOMEM;
        c->tok = malloc(n * sizeof *c->tok);
        c->tin = malloc(B * T * sizeof *c->tin);
        c->tout = malloc(B * T * sizeof *c->tout);
        if (!c->tok || !c->tin || !c->tout)
            return MUON_ERROR(MUON_ENOMEM, "out of memory");
        return MUON_SUCCESS;
    }
    size_t nx, nt;
    if (muon_size_mul(&nx, B, c->in_dim) ||
        muon_size_mul(&nt, B, c->out_dim ? c->out_dim : 1))
        return MUON_ENOMEM;
    c->xb = malloc(nx * sizeof *c->xb);
    c->tb_f = malloc(nt * sizeof *c->tb_f);
    c->yb = malloc(B * sizeof *c->yb);
    if (!c->xb || !c->tb_f || !c->yb)
        return MUON_ERROR(MUON_ENOMEM, "out of memory");
    return MUON_SUCCESS;
}

/* The canonical text of everything that decides the numbers of a run,
 * except its length (--epochs/--train-steps may grow on --resume). */
static char *
config_text(const run_ctx *c)
{
    const muon_model_config *m = &c->mc;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fprintf(f, "model = %s\n", muon_model_kind_name(m->kind));
    fprintf(f, "widths =");
    for (size_t i = 0; i < m->nwidths; i++)
        fprintf(f, " %zu", m->widths[i]);
    fprintf(f, "\nact = %d\nloss = %d\nbias = %d\n", (int)m->act,
            (int)m->loss, m->bias);
    fprintf(f, "cnn = %zu %zu %zu %zu %zu %zu %zu %zu\n", m->in_c, m->in_h,
            m->in_w, m->channels[0], m->channels[1], m->kernel, m->hidden,
            m->classes);
    fprintf(f, "gpt = %zu %zu %zu %zu %zu %d\n", m->vocab, m->seq_len,
            m->layers, m->heads, m->width, m->tied_head);
    fprintf(f, "data = %s\n", c->t->data ? c->t->data : "fashion-mnist");
    fprintf(f, "opt = %s\nbatch = %zu\nseed = %lld\n", c->opt_name, c->B,
            c->t->seed);
    fprintf(f, "val_size = %lld\nval_frac = %.17g\neval_every = %zu\n",
            c->t->val_size, c->t->val_frac, c->eval_every);
    fprintf(f, "eval_batches = %zu\n", c->t->eval_batches);
    fprintf(f, "schedule = %s %.17g %zu %zu %.17g\n",
            muon_sched_kind_name(c->ls.kind), c->ls.peak, c->ls.warmup,
            c->ls.decay, c->ls.min_frac);
    fprintf(f, "aux_schedule = %.17g\n", c->as.peak);
    fprintf(f, "inject_nan = %zu\n", c->t->inject_nan);
    if (fclose(f)) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int
setup_optim(run_ctx *c)
{
    const train_cli *t = c->t;
    optim_cli oc = t->oc;
    int rc;
    if (c->opt_kind != 0) {
        if (cli_given("aux-lr"))
            return cli_usage_error(c->cmd, "--aux-lr belongs to --opt muon; "
                                   "with --opt %s every tensor uses --lr",
                                   c->opt_name);
        if (c->opt_kind == 1) {
            oc.aux = "adamw";
            if (!cli_given("lr"))
                oc.lr = 1e-3;
            /* A plain AdamW baseline uses PyTorch's defaults, not the
             * (0.9, 0.95, 1e-10) of KJ's auxiliary group. */
            if (!cli_given("aux-beta2"))
                oc.aux_beta2 = 0.999;
            if (!cli_given("aux-eps"))
                oc.aux_eps = 1e-8;
        } else {
            oc.aux = "sgd";
            if (!cli_given("lr"))
                oc.lr = 0.05;
        }
        oc.aux_lr = oc.lr;
    }
    if ((rc = optim_cli_config(c->cmd, &oc, c->total, &c->ocfg, &c->ls,
                               &c->as)))
        return rc;
    c->lr_main = oc.lr;
    c->params = muon_model_params(c->model, &c->nparams);
    if (c->opt_kind != 0) {
        c->routes = malloc(c->nparams * sizeof *c->routes);
        if (!c->routes)
            return cli_fail(c->cmd, MUON_ENOMEM);
        for (size_t i = 0; i < c->nparams; i++)
            c->routes[i] = MUON_ROUTE_AUX;
    }
    if (!(c->opt = muon_optim_alloc(&c->ocfg, c->params, c->nparams,
                                    c->routes)))
        return cli_fail(c->cmd, MUON_EINVAL);
    size_t need = 0;
    muon_optim_ckpt_sections(c->opt, NULL, 0, &need);
    c->nsecs_cap = need + 8;
    c->secs = calloc(c->nsecs_cap, sizeof *c->secs);
    if (!c->secs)
        return cli_fail(c->cmd, MUON_ENOMEM);
    return 0;
}

/* ---- outputs ----------------------------------------------------------- */

static const char steps_header[] =
    "step,epoch,loss,lr,lr_aux,time_s,grad_norm,update_rms,skipped,label\n";
static const char eval_header[] =
    "step,epoch,time_s,train_loss,train_acc,val_loss,val_acc,test_loss,"
    "test_acc,status,label\n";
static const char spec_header[] =
    "step,param,which,sv_min,sv_max,sv_mean,sv_ratio,polar_err\n";

static int
open_fresh(const char *path, const char *header, FILE **out)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return MUON_ERROR(MUON_EIO, "cannot create %s: %s", path,
                          strerror(errno));
    if (muon_provenance_write(f, "# ") || fputs(header, f) < 0 ||
        fflush(f)) {
        fclose(f);
        return MUON_ERROR(MUON_EIO, "cannot write %s: %s", path,
                          strerror(errno));
    }
    *out = f;
    return MUON_SUCCESS;
}

/* Reopens a CSV for appending after cutting it back to the length it had
 * at the checkpoint: rows written after it (a run killed between two
 * checkpoints) would otherwise appear twice. */
static int
open_resumed(const char *path, uint64_t off, FILE **out)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return MUON_ERROR(MUON_EFORMAT, "resume: cannot open %s: %s", path,
                          strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) || (uint64_t)sb.st_size < off) {
        close(fd);
        return MUON_ERROR(MUON_EFORMAT, "resume: %s is shorter (%lld bytes) "
                          "than at the checkpoint (%llu bytes)", path,
                          (long long)sb.st_size, (unsigned long long)off);
    }
    if (ftruncate(fd, (off_t)off) || lseek(fd, 0, SEEK_END) < 0) {
        close(fd);
        return MUON_ERROR(MUON_EIO, "resume: cannot truncate %s: %s", path,
                          strerror(errno));
    }
    FILE *f = fdopen(fd, "a");
    if (!f) {
        close(fd);
        return MUON_ERROR(MUON_EIO, "resume: %s: %s", path, strerror(errno));
    }
    *out = f;
    return MUON_SUCCESS;
}

static int
flush_csvs(run_ctx *c)
{
    FILE *fs[3] = {c->f_steps, c->f_eval, c->f_spec};
    const char *ps[3] = {c->p_steps, c->p_eval, c->p_spec};
    for (int i = 0; i < 3; i++)
        if (fs[i] && (fflush(fs[i]) || ferror(fs[i])))
            return MUON_ERROR(MUON_EIO, "cannot write %s: %s", ps[i],
                              strerror(errno));
    return MUON_SUCCESS;
}

static int
save_checkpoint(run_ctx *c)
{
    int rc;
    if ((rc = flush_csvs(c)))
        return rc;
    c->st.off_steps = (uint64_t)ftell(c->f_steps);
    c->st.off_eval = (uint64_t)ftell(c->f_eval);
    c->st.off_spec = (uint64_t)ftell(c->f_spec);
    train_state st = c->st;
    st.elapsed = elapsed(c);
    size_t n = 0;
    if ((rc = muon_optim_ckpt_sections(c->opt, c->secs, c->nsecs_cap - 4,
                                       &n)))
        return rc;
    c->secs[n++] = (muon_ckpt_section){"train.config", c->config_text,
                                       strlen(c->config_text)};
    c->secs[n++] = (muon_ckpt_section){"train.state", &st, sizeof st};
    c->secs[n++] = (muon_ckpt_section){"train.params",
                                       muon_model_data(c->model),
                                       c->nfloats * sizeof(float)};
    if (c->batcher)
        rc = muon_batcher_save(c->batcher, c->bstate, c->bstate_size);
    else
        rc = muon_text_batcher_save(c->tb, c->bstate, c->bstate_size);
    if (rc)
        return rc;
    c->secs[n++] = (muon_ckpt_section){"train.batcher", c->bstate,
                                       c->bstate_size};
    return muon_ckpt_write(c->p_ckpt, c->secs, n);
}

static int
first_diff(const char *a, const char *b, char *out, size_t cap)
{
    while (*a || *b) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        size_t la = ea ? (size_t)(ea - a) : strlen(a);
        size_t lb = eb ? (size_t)(eb - b) : strlen(b);
        if (la != lb || memcmp(a, b, la)) {
            snprintf(out, cap, "checkpoint has '%.*s', this run '%.*s'",
                     (int)la, a, (int)lb, b);
            return 1;
        }
        a += la + (ea ? 1 : 0);
        b += lb + (eb ? 1 : 0);
    }
    return 0;
}

/* Restores model, driver, data order and loop state.  Returns 0, or a CLI
 * exit code (message printed). */
static int
load_checkpoint(run_ctx *c)
{
    muon_ckpt *k = NULL;
    int rc = muon_ckpt_read(c->p_ckpt, &k);
    if (rc)
        return cli_fail(c->cmd, rc);
    const void *data;
    size_t size;
    int ex = 0;
    if ((rc = muon_ckpt_find(k, "train.config", &data, &size))) {
        ex = cli_fail(c->cmd, rc);
        goto done;
    }
    char *saved = strndup(data, size);
    if (!saved) {
        ex = cli_fail(c->cmd, MUON_ENOMEM);
        goto done;
    }
    char why[512];
    int differ = first_diff(saved, c->config_text, why, sizeof why);
    free(saved);
    if (differ) {
        ex = cli_usage_error(c->cmd, "--resume: %s was written by a "
                             "different configuration: %s", c->p_ckpt, why);
        goto done;
    }
    if ((rc = muon_optim_load_ckpt(c->opt, k)) ||
        (rc = muon_ckpt_get(k, "train.params", muon_model_data(c->model),
                            c->nfloats * sizeof(float))) ||
        (rc = muon_ckpt_get(k, "train.state", &c->st, sizeof c->st)) ||
        (rc = muon_ckpt_get(k, "train.batcher", c->bstate,
                            c->bstate_size))) {
        ex = cli_fail(c->cmd, rc);
        goto done;
    }
    if (c->st.magic != STATE_MAGIC) {
        ex = cli_fail(c->cmd, MUON_ERROR(MUON_ECORRUPT, "%s: bad train.state "
                                         "section", c->p_ckpt));
        goto done;
    }
    rc = c->batcher ? muon_batcher_restore(c->batcher, c->bstate,
                                           c->bstate_size)
                    : muon_text_batcher_restore(c->tb, c->bstate,
                                                c->bstate_size);
    if (rc) {
        ex = cli_fail(c->cmd, rc);
        goto done;
    }
    if (c->st.step > c->total) {
        ex = cli_usage_error(c->cmd, "--resume: the checkpoint is at step "
                             "%llu, beyond this run's %zu steps",
                             (unsigned long long)c->st.step, c->total);
        goto done;
    }
    if ((rc = open_resumed(c->p_steps, c->st.off_steps, &c->f_steps)) ||
        (rc = open_resumed(c->p_eval, c->st.off_eval, &c->f_eval)) ||
        (rc = open_resumed(c->p_spec, c->st.off_spec, &c->f_spec)))
        ex = cli_fail(c->cmd, rc);
done:
    muon_ckpt_free(k);
    return ex;
}

/* ---- evaluation -------------------------------------------------------- */

/* Mean loss and accuracy over a whole data set (chunks of B).  Returns
 * MUON_SUCCESS, MUON_ENONFINITE (loss set to NaN) or another error. */
static int
eval_set(run_ctx *c, const muon_dataset *d, double *loss, double *acc)
{
    double sum = 0.0;
    size_t ok = 0, tot = 0;
    *loss = NAN;
    *acc = NAN;
    if (!d || d->n == 0)
        return MUON_SUCCESS;
    for (size_t i = 0; i < d->n; i += c->B) {
        size_t nb = d->n - i < c->B ? d->n - i : c->B;
        muon_batch b = {d->x + i * d->in_dim, d->y ? d->y + i : NULL,
                        d->t ? d->t + i * d->out_dim : NULL, NULL, NULL};
        double l;
        int rc = muon_model_forward(c->model, &b, nb, &l);
        if (rc)
            return rc;
        sum += l * (double)nb;
        if (c->classify) {
            size_t k, n;
            if ((rc = muon_model_correct(c->model, &k, &n)))
                return rc;
            ok += k;
            tot += n;
        }
    }
    *loss = sum / (double)d->n;
    if (c->classify && tot)
        *acc = (double)ok / (double)tot;
    return MUON_SUCCESS;
}

static void
split_windows(run_ctx *c)
{
    size_t T = c->T;
    for (size_t b = 0; b < c->B; b++) {
        memcpy(c->tin + b * T, c->tok + b * (T + 1), T * sizeof *c->tin);
        memcpy(c->tout + b * T, c->tok + b * (T + 1) + 1, T * sizeof *c->tout);
    }
}

/* Validation on the same fixed windows every time: the validation stream
 * is rewound to its initial state first. */
static int
eval_text(run_ctx *c, double *loss, double *acc)
{
    int rc;
    *loss = NAN;
    *acc = NAN;
    if ((rc = muon_text_batcher_restore(c->vb, c->vb_init, c->vb_size)))
        return rc;
    double sum = 0.0;
    size_t ok = 0, tot = 0;
    for (size_t k = 0; k < c->t->eval_batches; k++) {
        if ((rc = muon_text_batcher_next(c->vb, c->tok)))
            return rc;
        split_windows(c);
        muon_batch b = {NULL, NULL, NULL, c->tin, c->tout};
        double l;
        size_t n1, n2;
        if ((rc = muon_model_forward(c->model, &b, c->B, &l)) ||
            (rc = muon_model_correct(c->model, &n1, &n2)))
            return rc;
        sum += l;
        ok += n1;
        tot += n2;
    }
    *loss = sum / (double)c->t->eval_batches;
    *acc = tot ? (double)ok / (double)tot : NAN;
    return MUON_SUCCESS;
}

static const char *run_label(const run_ctx *c);

/* One evaluation row.  with_test adds the test set.  Returns MUON_SUCCESS,
 * MUON_ENONFINITE (diverged at evaluation) or another error. */
static int
evaluate(run_ctx *c, int with_test, const char *status)
{
    double vl, va;
    int rc = c->ds.kind == TRAIN_DATA_TEXT ? eval_text(c, &vl, &va)
                                           : eval_set(c, c->val, &vl, &va);
    int nonfinite = rc == MUON_ENONFINITE;
    if (rc && !nonfinite)
        return rc;
    double tl = NAN, ta = NAN;
    int have_test = with_test && !nonfinite && c->test && c->test->n > 0;
    if (have_test) {
        rc = eval_set(c, c->test, &tl, &ta);
        if (rc == MUON_ENONFINITE)
            nonfinite = 1;
        else if (rc)
            return rc;
        c->test_loss = tl;
        c->test_acc = ta;
        c->have_test = 1;
    }
    train_state *s = &c->st;
    double trl = s->run_n ? s->run_loss / (double)s->run_n : NAN;
    double tra = s->run_total ? (double)s->run_correct / (double)s->run_total
                              : NAN;
    if (s->run_n) {
        s->last_train_loss = trl;
        s->last_train_acc = tra;
    }
    s->last_val_loss = vl;
    s->last_val_acc = va;
    s->run_n = s->run_correct = s->run_total = 0;
    s->run_loss = 0.0;
    int has_val = c->ds.kind == TRAIN_DATA_TEXT || (c->val && c->val->n);
    if (has_val && isfinite(vl)) {
        int better = c->classify ? va > s->best_val_acc ||
                                       (va == s->best_val_acc &&
                                        vl < s->best_val_loss)
                                 : vl < s->best_val_loss;
        if (better || s->best_step == UINT64_MAX) {
            s->best_val_acc = va;
            s->best_val_loss = vl;
            s->best_step = s->step;
        }
    }
    FILE *f = c->f_eval;
    fprintf(f, "%llu,", (unsigned long long)s->step);
    put_num(f, epoch_of(c, s->step));
    fprintf(f, ",%.3f", elapsed(c));
    put_opt(f, !isnan(trl) || s->step, trl);
    put_opt(f, c->classify && (!isnan(tra) || s->step), tra);
    put_opt(f, has_val, vl);
    put_opt(f, has_val && c->classify, va);
    put_opt(f, have_test, tl);
    put_opt(f, have_test && c->classify, ta);
    fprintf(f, ",%s,%s\n", nonfinite ? "diverged" : status, run_label(c));
    if (fflush(f) || ferror(f))
        return MUON_ERROR(MUON_EIO, "cannot write %s: %s", c->p_eval,
                          strerror(errno));
    if (c->log) {
        fprintf(stderr, "%sstep %llu/%zu epoch %.2f", c->bar ? "\r\033[K"
                                                             : "",
                (unsigned long long)s->step, c->total, epoch_of(c, s->step));
        if (!isnan(trl))
            fprintf(stderr, "  train_loss %.4f", trl);
        fprintf(stderr, "  val_loss %.4f", vl);
        if (c->classify)
            fprintf(stderr, "  val_acc %.4f", va);
        if (have_test) {
            fprintf(stderr, "  test_loss %.4f", tl);
            if (c->classify)
                fprintf(stderr, "  test_acc %.4f", ta);
        }
        fprintf(stderr, "  %.1fs\n", elapsed(c));
    }
    return nonfinite ? MUON_ENONFINITE : MUON_SUCCESS;
}

/* ---- summary ----------------------------------------------------------- */

static json_t *
jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static const char *
status_name(int st)
{
    return st == ST_OK ? "ok" : st == ST_DIVERGED ? "diverged"
                                                  : "interrupted";
}

static const char *
method_name(const run_ctx *c)
{
    return c->opt_kind == 0 && c->ocfg.orth ? c->ocfg.orth->name : "none";
}

/* The `label` column: the orthogonalizer for Muon runs, else the
 * optimizer ("adamw", "sgd"), so that one figure can give Muon methods and
 * the baselines one colour each. */
static const char *
run_label(const run_ctx *c)
{
    return c->opt_kind == 0 ? method_name(c) : c->opt_name;
}

/* The `width` column: the largest hidden width (mlp: the hidden layer
 * sizes; cnn: channels and hidden units; gpt: the model width; linear,
 * which has no hidden layer: the larger of input and output). */
static long long
model_width(const muon_model_config *m)
{
    size_t w = 0;
    switch (m->kind) {
    case MUON_MODEL_CNN:
        w = m->channels[0] > m->channels[1] ? m->channels[0] : m->channels[1];
        w = m->hidden > w ? m->hidden : w;
        break;
    case MUON_MODEL_GPT:
        w = m->width;
        break;
    default:
        for (size_t i = 1; i + 1 < m->nwidths; i++)
            w = m->widths[i] > w ? m->widths[i] : w;
        if (m->nwidths == 2)
            w = m->widths[0] > m->widths[1] ? m->widths[0] : m->widths[1];
        break;
    }
    return (long long)w;
}

static int
write_summary(run_ctx *c)
{
    const train_state *s = &c->st;
    double wall = elapsed(c);
    double sps = s->train_time > 0 ? (double)s->samples / s->train_time : NAN;
    double best_acc = s->best_step == UINT64_MAX ? NAN : s->best_val_acc;
    double best_loss = s->best_step == UINT64_MAX ? NAN : s->best_val_loss;
    double test_acc = c->have_test ? c->test_acc : NAN;
    double test_loss = c->have_test ? c->test_loss : NAN;
    char model_spec[64];
    snprintf(model_spec, sizeof model_spec, "%s",
             c->t->model ? c->t->model : muon_model_kind_name(c->mc.kind));

    json_t *root = json_object();
    json_t *prov = muon_provenance_json();
    json_t *cfg = json_object(), *res = json_object();
    if (!root || !prov || !cfg || !res) {
        json_decref(root);
        json_decref(prov);
        json_decref(cfg);
        json_decref(res);
        return MUON_ERROR(MUON_ENOMEM, "out of memory");
    }
    json_object_set_new(root, "provenance", prov);
    json_object_set_new(cfg, "model", json_string(model_spec));
    json_object_set_new(cfg, "model_kind",
                        json_string(muon_model_kind_name(c->mc.kind)));
    json_object_set_new(cfg, "nparams",
                        json_integer((json_int_t)c->nfloats));
    json_object_set_new(cfg, "data", json_string(c->t->data ? c->t->data
                                                            : "fashion-mnist"));
    json_object_set_new(cfg, "opt", json_string(c->opt_name));
    json_object_set_new(cfg, "method", json_string(method_name(c)));
    json_object_set_new(cfg, "lr", jnum(c->ls.peak));
    json_object_set_new(cfg, "lr_aux", jnum(c->as.peak));
    json_object_set_new(cfg, "schedule",
                        json_string(muon_sched_kind_name(c->ls.kind)));
    json_object_set_new(cfg, "batch", json_integer((json_int_t)c->B));
    json_object_set_new(cfg, "seed", json_integer((json_int_t)c->t->seed));
    json_object_set_new(cfg, "total_steps", json_integer((json_int_t)c->total));
    json_object_set_new(cfg, "steps_per_epoch",
                        json_integer((json_int_t)c->steps_per_epoch));
    json_object_set_new(cfg, "eval_every",
                        json_integer((json_int_t)c->eval_every));
    size_t ntrain = c->train ? c->train->n : c->text->n_train;
    size_t nval = c->val ? c->val->n : c->text->n - c->text->n_train;
    json_object_set_new(cfg, "train_examples",
                        json_integer((json_int_t)ntrain));
    json_object_set_new(cfg, "val_examples", json_integer((json_int_t)nval));
    if (c->text) {
        json_object_set_new(cfg, "vocab",
                            json_integer((json_int_t)c->text->vocab));
        json_object_set_new(cfg, "seq_len", json_integer((json_int_t)c->T));
    }
    /* The driver's canonical description, one key per line. */
    char desc[8192];
    muon_optim_config_describe(&c->ocfg, desc, sizeof desc);
    json_t *od = json_object();
    for (char *line = desc, *nl; od && *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl)
            nl = line + strlen(line) - 1;
        else
            *nl = '\0';
        char *eq = strstr(line, " = ");
        if (eq) {
            *eq = '\0';
            json_object_set_new(od, line, json_string(eq + 3));
        }
    }
    json_object_set_new(cfg, "optim", od);
    json_object_set_new(root, "config", cfg);

    json_object_set_new(res, "status", json_string(status_name(c->status)));
    json_object_set_new(res, "diverged_at_step",
                        c->status == ST_DIVERGED
                            ? json_integer((json_int_t)c->diverged_at)
                            : json_null());
    json_object_set_new(res, "steps", json_integer((json_int_t)s->step));
    json_object_set_new(res, "epochs", jnum(epoch_of(c, s->step)));
    json_object_set_new(res, "final_train_loss", jnum(s->last_train_loss));
    json_object_set_new(res, "final_train_acc", jnum(s->last_train_acc));
    json_object_set_new(res, "final_val_loss", jnum(s->last_val_loss));
    json_object_set_new(res, "final_val_acc", jnum(s->last_val_acc));
    json_object_set_new(res, "test_loss", jnum(test_loss));
    json_object_set_new(res, "test_acc", jnum(test_acc));
    json_object_set_new(res, "best_val_acc", jnum(best_acc));
    json_object_set_new(res, "best_val_loss", jnum(best_loss));
    json_object_set_new(res, "best_step",
                        s->best_step == UINT64_MAX
                            ? json_null()
                            : json_integer((json_int_t)s->best_step));
    json_object_set_new(res, "wall_s", jnum(wall));
    json_object_set_new(res, "train_s", jnum(s->train_time));
    json_object_set_new(res, "samples", json_integer((json_int_t)s->samples));
    json_object_set_new(res, "samples_per_s", jnum(sps));
    if (c->text) {
        json_object_set_new(res, "tokens_per_s", jnum(sps * (double)c->T));
        json_object_set_new(res, "unigram_entropy", jnum(c->text->entropy));
    }
    if (c->ds.kind == TRAIN_DATA_SYNTH)
        json_object_set_new(res, "loss_floor", jnum(c->task.floor));
    json_object_set_new(res, "skipped_steps",
                        json_integer((json_int_t)muon_optim_skipped(c->opt)));
    json_object_set_new(root, "results", res);

    muon_afile *af;
    FILE *f;
    int rc = muon_afile_open(&af, c->p_json, &f);
    if (!rc) {
        if (json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) ||
            fputc('\n', f) == EOF) {
            muon_afile_abort(af);
            rc = MUON_ERROR(MUON_EIO, "cannot write %s", c->p_json);
        } else {
            rc = muon_afile_commit(af);
        }
    }
    json_decref(root);
    if (rc)
        return rc;

    static const char *const cols[] = {
        "model", "data", "opt", "method", "lr", "seed", "steps",
        "final_train_loss", "final_val_loss", "final_val_acc", "test_acc",
        "best_val_acc", "wall_s", "samples_per_s", "status", "test_loss",
        "label", "width", "final_loss"};
    cli_table *tab = cli_table_new(cols, sizeof cols / sizeof cols[0]);
    if (!tab)
        return MUON_ERROR(MUON_ENOMEM, "out of memory");
    cli_table_str(tab, model_spec);
    cli_table_str(tab, c->t->data ? c->t->data : "fashion-mnist");
    cli_table_str(tab, c->opt_name);
    cli_table_str(tab, method_name(c));
    cli_table_num(tab, c->ls.peak);
    cli_table_int(tab, c->t->seed);
    cli_table_int(tab, (long long)s->step);
    cli_table_num(tab, s->last_train_loss);
    cli_table_num(tab, s->last_val_loss);
    cli_table_num(tab, s->last_val_acc);
    cli_table_num(tab, test_acc);
    cli_table_num(tab, best_acc);
    cli_table_num(tab, wall);
    cli_table_num(tab, sps);
    cli_table_str(tab, status_name(c->status));
    cli_table_num(tab, test_loss);
    cli_table_str(tab, run_label(c));
    cli_table_int(tab, model_width(&c->mc));
    /* Validation loss where there is a validation set, else the training
     * loss: what fig-lr-transfer plots. */
    int has_val = c->ds.kind == TRAIN_DATA_TEXT || (c->val && c->val->n);
    cli_table_num(tab, has_val ? s->last_val_loss : s->last_train_loss);
    rc = cli_table_save(tab, c->p_csv, CLI_CSV);
    cli_table_free(tab);
    return rc;
}

/* ---- the loop ---------------------------------------------------------- */

static void
progress_bar(run_ctx *c, double loss)
{
    double now = muon_time_now();
    if (now - c->last_bar < 0.2 && c->st.step != c->total)
        return;
    c->last_bar = now;
    double frac = (double)c->st.step / (double)c->total;
    double rate = c->st.train_time > 0
                      ? (double)c->st.samples / c->st.train_time : 0.0;
    double per_step = c->st.step ? elapsed(c) / (double)c->st.step : 0.0;
    double eta = per_step * (double)(c->total - c->st.step);
    char bar[31];
    size_t fill = (size_t)(frac * 30.0);
    for (size_t i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r\033[K[%s] %llu/%zu %5.1f%% loss %.4f %.0f samples/s "
            "ETA %d:%02d", bar, (unsigned long long)c->st.step, c->total,
            100.0 * frac, loss, rate, (int)(eta / 60.0),
            (int)fmod(eta, 60.0));
}

static void
write_spectra(run_ctx *c)
{
    for (size_t i = 0; i < c->nparams; i++) {
        muon_optim_stats s;
        if (!muon_optim_is_muon(c->opt, i) ||
            muon_optim_param_stats(c->opt, i, &s) || !s.svd)
            continue;
        for (int w = 0; w < 2; w++) {
            double lo = w ? s.u_min : s.m_min, hi = w ? s.u_max : s.m_max;
            double mean = w ? s.u_mean : s.m_mean;
            fprintf(c->f_spec, "%llu,%s,%s,", (unsigned long long)c->st.step,
                    c->params[i].name, w ? "update" : "momentum");
            put_num(c->f_spec, lo);
            fputc(',', c->f_spec);
            put_num(c->f_spec, hi);
            fputc(',', c->f_spec);
            put_num(c->f_spec, mean);
            fputc(',', c->f_spec);
            put_num(c->f_spec, lo > 0 ? hi / lo : INFINITY);
            fputc(',', c->f_spec);
            if (w)
                put_num(c->f_spec, s.polar_error);
            fputc('\n', c->f_spec);
        }
    }
}

/* One training step.  Returns MUON_SUCCESS, MUON_ENONFINITE (diverged) or
 * another error. */
static int
train_step(run_ctx *c, double *loss_out)
{
    int rc;
    double loss;
    muon_batch b;
    size_t nb = c->B;
    double t0 = muon_time_now();
    if (c->batcher) {
        if ((rc = muon_batcher_next(c->batcher, c->xb,
                                    c->classify ? NULL : c->tb_f,
                                    c->classify ? c->yb : NULL, &nb)))
            return rc;
        b = (muon_batch){c->xb, c->classify ? c->yb : NULL,
                         c->classify ? NULL : c->tb_f, NULL, NULL};
    } else {
        if ((rc = muon_text_batcher_next(c->tb, c->tok)))
            return rc;
        split_windows(c);
        b = (muon_batch){NULL, NULL, NULL, c->tin, c->tout};
    }
    rc = muon_model_forward(c->model, &b, nb, &loss);
    *loss_out = loss;
    if (rc)
        return rc;
    if (c->classify) {
        size_t k, n;
        if ((rc = muon_model_correct(c->model, &k, &n)))
            return rc;
        c->st.run_correct += k;
        c->st.run_total += n;
    }
    c->st.run_loss += loss;
    c->st.run_n++;
    if ((rc = muon_model_backward(c->model)))
        return rc;
    uint64_t step = c->st.step + 1;
    if (c->t->inject_nan && step == c->t->inject_nan)
        muon_model_grad(c->model)[0] = NAN;
    double lr = muon_schedule_lr(&c->ls, (size_t)c->st.step);
    double lra = muon_schedule_lr(&c->as, (size_t)c->st.step);
    rc = muon_optim_step(c->opt, lr, lra);
    c->st.train_time += muon_time_now() - t0;
    if (rc)
        return rc;
    c->st.step = step;
    c->st.samples += nb;
    if (c->st.step % c->t->log_every == 0 || c->st.step == c->total) {
        int skipped = muon_optim_last_skipped(c->opt);
        double gn2 = 0.0, u2 = 0.0, cnt = 0.0;
        for (size_t i = 0; i < c->nparams; i++) {
            muon_optim_stats s;
            if (muon_optim_param_stats(c->opt, i, &s))
                continue;
            double n = (double)muon_param_count(&c->params[i]);
            gn2 += s.grad_norm * s.grad_norm;
            u2 += n * s.update_rms * s.update_rms;
            cnt += n;
        }
        FILE *f = c->f_steps;
        fprintf(f, "%llu,", (unsigned long long)step);
        put_num(f, epoch_of(c, step));
        fputc(',', f);
        put_num(f, loss);
        fputc(',', f);
        put_num(f, lr);
        fputc(',', f);
        put_num(f, lra);
        fprintf(f, ",%.4f,", elapsed(c));
        put_num(f, skipped ? NAN : sqrt(gn2));
        fputc(',', f);
        put_num(f, skipped ? NAN : sqrt(u2 / (cnt > 0 ? cnt : 1.0)));
        fprintf(f, ",%d,%s\n", skipped, run_label(c));
        if (skipped && c->log)
            fprintf(stderr, "%smuonlab %s: warning: %s\n",
                    c->bar ? "\r\033[K" : "", c->cmd,
                    muon_optim_warning(c->opt));
    }
    if (c->ocfg.stats_every)
        write_spectra(c);
    return MUON_SUCCESS;
}

/* --save-grads: the gradient of the last step and the momentum buffer of
 * every Muon matrix, as the A x B matrix the driver orthogonalizes (a conv
 * filter's row-major (out, in, kh, kw) buffer is its (out, in*kh*kw)
 * flattening), atomically to DIR/grads/NAME.npy and NAME.momentum.npy.
 * Needs a step taken in this process (the gradient buffer is not in the
 * checkpoint). */
static int
write_grads(run_ctx *c)
{
    char dir[4200], p[4400];
    snprintf(dir, sizeof dir, "%s/grads", c->t->out);
    int rc = mkdirs(dir);
    if (rc)
        return rc;
    for (size_t i = 0; i < c->nparams; i++) {
        if (!muon_optim_is_muon(c->opt, i))
            continue;
        const char *name = c->params[i].name;
        if (strchr(name, '/') || strlen(name) > 150)
            return MUON_ERROR(MUON_EINVAL, "parameter name '%s' is not a "
                              "file name", name);
        size_t shape[2];
        muon_optim_shape(c->opt, i, &shape[0], &shape[1]);
        snprintf(p, sizeof p, "%s/%s.npy", dir, name);
        if ((rc = muon_npy_write_f32(p, 2, shape, c->params[i].grad)))
            return rc;
        const float *m = muon_optim_momentum(c->opt, i);
        if (!m)
            continue;
        snprintf(p, sizeof p, "%s/%s.momentum.npy", dir, name);
        if ((rc = muon_npy_write_f32(p, 2, shape, m)))
            return rc;
    }
    return MUON_SUCCESS;
}

static void
record_divergence(run_ctx *c, double loss)
{
    c->status = ST_DIVERGED;
    c->diverged_at = c->st.step + 1;
    FILE *f = c->f_steps;
    fprintf(f, "%llu,", (unsigned long long)c->diverged_at);
    put_num(f, epoch_of(c, c->diverged_at));
    fputc(',', f);
    put_num(f, loss);
    fprintf(f, ",,,%.4f,,,0,%s\n", elapsed(c), run_label(c));
    fprintf(c->f_eval, "%llu,", (unsigned long long)c->diverged_at);
    put_num(c->f_eval, epoch_of(c, c->diverged_at));
    fprintf(c->f_eval, ",%.3f,", elapsed(c));
    put_num(c->f_eval, loss);
    fprintf(c->f_eval, ",,,,,,diverged,%s\n", run_label(c));
}

static int
loop(run_ctx *c)
{
    int rc, stepped = 0;
    double loss = NAN;
    while (c->st.step < c->total) {
        rc = train_step(c, &loss);
        stepped |= rc == MUON_SUCCESS;
        if (rc == MUON_ENONFINITE) {
            if (c->bar)
                fputs("\n", stderr);
            fprintf(stderr, "muonlab %s: diverged at step %llu: %s\n", c->cmd,
                    (unsigned long long)c->st.step + 1, muon_last_error());
            record_divergence(c, loss);
            return MUON_EDIVERGED;
        }
        if (rc)
            return rc;
        if (c->bar)
            progress_bar(c, loss);
        if (train_test_interrupt_at && c->st.step == train_test_interrupt_at)
            g_signal = SIGINT;
        uint64_t s = c->st.step;
        if (s == c->total)
            break; /* the end below; a signal now changes nothing */
        if (s % c->eval_every == 0) {
            rc = evaluate(c, 0, "ok");
            if (rc == MUON_ENONFINITE) {
                c->status = ST_DIVERGED;
                c->diverged_at = s;
                return MUON_EDIVERGED;
            }
            if (rc)
                return rc;
        }
        if (s % c->ckpt_every == 0 || g_signal) {
            if ((rc = save_checkpoint(c)))
                return rc;
        }
        if (g_signal) {
            c->status = ST_INTERRUPTED;
            return MUON_EINTERRUPT;
        }
    }
    /* Before the final evaluation, whose forward passes might reuse the
     * gradient buffer as scratch in some model. */
    if (c->t->save_grads && stepped && (rc = write_grads(c)))
        return rc;
    /* The end: the checkpoint first, so that a later --resume to more
     * steps cuts the end-only rows (final evaluation, test set) off. */
    if ((rc = save_checkpoint(c)))
        return rc;
    rc = evaluate(c, 1, "ok");
    if (rc == MUON_ENONFINITE) {
        c->status = ST_DIVERGED;
        c->diverged_at = c->st.step;
        return MUON_EDIVERGED;
    }
    return rc;
}

static void
ctx_free(run_ctx *c)
{
    if (c->f_steps)
        fclose(c->f_steps);
    if (c->f_eval)
        fclose(c->f_eval);
    if (c->f_spec)
        fclose(c->f_spec);
    if (c->lockfd >= 0)
        close(c->lockfd);
    muon_optim_free(c->opt);
    muon_model_free(c->model);
    muon_batcher_free(c->batcher);
    muon_text_batcher_free(c->tb);
    muon_text_batcher_free(c->vb);
    muon_text_free(c->text);
    muon_fmnist_free(&c->fm);
    muon_task_free(&c->task);
    muon_dataset_free(c->s_train);
    muon_dataset_free(c->s_val);
    muon_dataset_free(c->s_test);
    free(c->vb_init);
    free(c->bstate);
    free(c->xb);
    free(c->tb_f);
    free(c->yb);
    free(c->tok);
    free(c->tin);
    free(c->tout);
    free(c->routes);
    free(c->secs);
    free(c->config_text);
}

static const char *const out_files[] = {"steps.csv", "eval.csv",
                                        "spectra.csv", "summary.json",
                                        "summary.csv", "checkpoint.bin",
                                        NULL};

/* Creates DIR, refuses a used one without --resume/--force, and locks it
 * (flock on DIR/.lock: released by the kernel if the process dies). */
static int
claim_dir(run_ctx *c, int *have_ckpt)
{
    const train_cli *t = c->t;
    int rc;
    int existed = access(t->out, F_OK) == 0;
    if (existed && !dir_is_empty(t->out) && !t->resume && !t->force)
        return cli_usage_error(c->cmd, "output folder %s is not empty: use "
                               "--resume to continue its run or --force to "
                               "overwrite it", t->out);
    if ((rc = mkdirs(t->out)))
        return cli_fail(c->cmd, rc);
    c->lockfd = open(c->p_lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (c->lockfd < 0)
        return cli_fail(c->cmd, MUON_ERROR(MUON_EIO, "cannot create %s: %s",
                                           c->p_lock, strerror(errno)));
    if (flock(c->lockfd, LOCK_EX | LOCK_NB))
        return cli_usage_error(c->cmd, "another run is writing %s (%s is "
                               "locked)", t->out, c->p_lock);
    *have_ckpt = access(c->p_ckpt, F_OK) == 0;
    if (t->resume && !*have_ckpt && existed && !dir_is_empty(t->out))
        fprintf(stderr, "muonlab %s: note: %s has no checkpoint.bin; "
                "starting from step 0\n", c->cmd, t->out);
    if (t->force || (t->resume && !*have_ckpt)) {
        char p[4200];
        for (size_t i = 0; out_files[i]; i++) {
            snprintf(p, sizeof p, "%s/%s", t->out, out_files[i]);
            if (remove(p) && errno != ENOENT)
                return cli_fail(c->cmd, MUON_ERROR(MUON_EIO, "cannot remove "
                                                   "%s: %s", p,
                                                   strerror(errno)));
        }
        *have_ckpt = 0;
    }
    return 0;
}

int
train_run(const char *cmd, const train_cli *t)
{
    run_ctx C, *c = &C;
    memset(c, 0, sizeof *c);
    c->cmd = cmd;
    c->t = t;
    c->lockfd = -1;
    c->test_loss = c->test_acc = NAN;
    int ex = 0, rc;

    /* 1. Validate the options, before touching data or disk. */
    if (!t->out) {
        ex = cli_usage_error(cmd, "--out DIR is required");
        goto out;
    }
    if (t->resume && t->force) {
        ex = cli_usage_error(cmd, "--resume and --force exclude each other");
        goto out;
    }
    if (t->epochs && t->train_steps) {
        ex = cli_usage_error(cmd, "give --epochs or --train-steps, not both");
        goto out;
    }
    static const char *const opts[] = {"muon", "adamw", "sgd", NULL};
    const char *on = t->opt ? t->opt : "muon";
    for (c->opt_kind = 0; opts[c->opt_kind]; c->opt_kind++)
        if (!strcmp(on, opts[c->opt_kind]))
            break;
    if (!opts[c->opt_kind]) {
        const char *near = muon_closest_name(on, opts);
        ex = cli_usage_error(cmd, "--opt: unknown optimizer '%s'%s%s%s "
                             "(valid: muon, adamw, sgd)", on,
                             near ? "; did you mean '" : "",
                             near ? near : "", near ? "'?" : "");
        goto out;
    }
    c->opt_name = opts[c->opt_kind];
    static const char *const prog[] = {"auto", "bar", "log", "none", NULL};
    size_t pk;
    for (pk = 0; prog[pk]; pk++)
        if (!strcmp(t->progress, prog[pk]))
            break;
    if (!prog[pk]) {
        ex = cli_usage_error(cmd, "--progress must be auto, bar, log or none "
                             "(got '%s')", t->progress);
        goto out;
    }
    int tty = isatty(STDERR_FILENO);
    c->bar = pk == 1 || (pk == 0 && tty);
    c->log = pk != 3;
    if ((rc = train_data_parse(t->data, &c->ds))) {
        ex = cli_fail(cmd, rc);
        goto out;
    }
    const char *mspec = t->model;
    if (!mspec)
        mspec = c->ds.kind == TRAIN_DATA_TEXT    ? "gpt"
                : c->ds.kind == TRAIN_DATA_SYNTH ? "linear"
                                                 : "mlp";
    if ((rc = muon_model_config_parse(&c->mc, mspec))) {
        ex = cli_fail(cmd, rc);
        goto out;
    }
    if ((ex = fit_model(c, mspec)))
        goto out;
    if (strlen(t->out) > 4000) {
        ex = cli_usage_error(cmd, "--out path too long");
        goto out;
    }
    snprintf(c->p_steps, sizeof c->p_steps, "%s/steps.csv", t->out);
    snprintf(c->p_eval, sizeof c->p_eval, "%s/eval.csv", t->out);
    snprintf(c->p_spec, sizeof c->p_spec, "%s/spectra.csv", t->out);
    snprintf(c->p_ckpt, sizeof c->p_ckpt, "%s/checkpoint.bin", t->out);
    snprintf(c->p_json, sizeof c->p_json, "%s/summary.json", t->out);
    snprintf(c->p_csv, sizeof c->p_csv, "%s/summary.csv", t->out);
    snprintf(c->p_lock, sizeof c->p_lock, "%s/.lock", t->out);
    muon_provenance_set_seed((unsigned long long)t->seed);

    /* 2. Data. */
    if ((ex = setup_data(c)))
        goto out;
    unsigned long seed = (unsigned long)t->seed;
    if (c->ds.kind == TRAIN_DATA_TEXT) {
        if (strstr(mspec, "vocab=") && c->mc.vocab != c->text->vocab) {
            ex = cli_usage_error(cmd, "--model vocab=%zu, but the corpus has "
                                 "%zu distinct bytes (leave vocab out)",
                                 c->mc.vocab, c->text->vocab);
            goto out;
        }
        c->mc.vocab = c->text->vocab;
        c->B = t->batch ? t->batch : 32;
        c->T = c->mc.seq_len;
        size_t per = c->B * c->T;
        c->steps_per_epoch = c->text->n_train / per ? c->text->n_train / per
                                                    : 1;
    } else {
        c->B = t->batch ? t->batch : 128;
        if (c->B > c->train->n) {
            ex = cli_usage_error(cmd, "--batch %zu exceeds the %zu training "
                                 "examples", c->B, c->train->n);
            goto out;
        }
        c->steps_per_epoch = c->train->n / c->B; /* full batches only */
        c->in_dim = c->train->in_dim;
        c->out_dim = c->train->out_dim;
        size_t want = c->mc.kind == MUON_MODEL_CNN
                          ? c->mc.in_c * c->mc.in_h * c->mc.in_w
                          : c->mc.widths[0];
        if (want != c->in_dim) {
            ex = cli_usage_error(cmd, "the model takes %zu inputs, the data "
                                 "has %zu per example", want, c->in_dim);
            goto out;
        }
    }
    if ((rc = muon_model_config_check(&c->mc))) {
        ex = cli_fail(cmd, rc);
        goto out;
    }
    if (t->train_steps)
        c->total = t->train_steps;
    else if (t->epochs)
        c->total = t->epochs * c->steps_per_epoch;
    else if (c->ds.kind == TRAIN_DATA_TEXT)
        c->total = 2000;
    else
        c->total = (c->ds.kind == TRAIN_DATA_SYNTH ? 20 : 10) *
                   c->steps_per_epoch;
    c->eval_every = t->eval_every ? t->eval_every
                    : c->ds.kind == TRAIN_DATA_TEXT ? 100
                                                    : c->steps_per_epoch;
    c->ckpt_every = t->ckpt_every ? t->ckpt_every : c->eval_every;

    /* 3. Model, driver, iterators, buffers. */
    if (!(c->model = muon_model_create(&c->mc, (unsigned long long)t->seed)) ||
        (rc = muon_model_reserve(c->model, c->B))) {
        ex = cli_fail(cmd, c->model ? rc : MUON_EINVAL);
        goto out;
    }
    c->nfloats = muon_model_nparams(c->model);
    if ((ex = setup_optim(c)))
        goto out;
    if (c->ds.kind == TRAIN_DATA_TEXT) {
        if (!(c->tb = muon_text_batcher_alloc(c->text, 0, c->B, c->T,
                                              seed + 2)) ||
            !(c->vb = muon_text_batcher_alloc(c->text, 1, c->B, c->T,
                                              seed + 3))) {
            ex = cli_fail(cmd, MUON_EINVAL);
            goto out;
        }
        c->bstate_size = muon_text_batcher_state_size(c->tb);
        c->vb_size = muon_text_batcher_state_size(c->vb);
        c->vb_init = malloc(c->vb_size);
        if (!c->vb_init ||
            (rc = muon_text_batcher_save(c->vb, c->vb_init, c->vb_size))) {
            ex = cli_fail(cmd, c->vb_init ? rc : MUON_ENOMEM);
            goto out;
        }
    } else {
        if (!(c->batcher = muon_batcher_alloc(c->train, c->B, seed + 2, 1))) {
            ex = cli_fail(cmd, MUON_EINVAL);
            goto out;
        }
        c->bstate_size = muon_batcher_state_size(c->batcher);
    }
    c->bstate = malloc(c->bstate_size);
    if (!c->bstate || (rc = alloc_buffers(c))) {
        ex = cli_fail(cmd, MUON_ENOMEM);
        goto out;
    }
    if (!(c->config_text = config_text(c))) {
        ex = cli_fail(cmd, MUON_ERROR(MUON_ENOMEM, "out of memory"));
        goto out;
    }

    /* 4. Output folder, fresh or resumed. */
    int have_ckpt = 0;
    if ((ex = claim_dir(c, &have_ckpt)))
        goto out;
    c->st.magic = STATE_MAGIC;
    c->st.best_step = UINT64_MAX;
    c->st.best_val_acc = -INFINITY;
    c->st.best_val_loss = INFINITY;
    c->st.last_train_loss = c->st.last_train_acc = NAN;
    c->st.last_val_loss = c->st.last_val_acc = NAN;
    c->seg_t0 = muon_time_now();
    if (t->resume && have_ckpt) {
        if ((ex = load_checkpoint(c)))
            goto out;
        c->seg_t0 = muon_time_now();
        if (c->log)
            fprintf(stderr, "muonlab %s: resuming %s at step %llu of %zu\n",
                    cmd, t->out, (unsigned long long)c->st.step, c->total);
    } else {
        if ((rc = open_fresh(c->p_steps, steps_header, &c->f_steps)) ||
            (rc = open_fresh(c->p_eval, eval_header, &c->f_eval)) ||
            (rc = open_fresh(c->p_spec, spec_header, &c->f_spec))) {
            ex = cli_fail(cmd, rc);
            goto out;
        }
        if (c->log)
            fprintf(stderr, "muonlab %s: %s (%zu parameters) on %s, %s, %zu "
                    "steps (%zu per epoch), batch %zu -> %s\n", cmd, mspec,
                    c->nfloats, t->data ? t->data : "fashion-mnist",
                    c->opt_name, c->total, c->steps_per_epoch, c->B, t->out);
        /* The untrained model is the first point of every curve. */
        rc = evaluate(c, 0, "ok");
        if (rc && rc != MUON_ENONFINITE) {
            ex = cli_fail(cmd, rc);
            goto out;
        }
    }

    /* 5. Train. */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    g_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    rc = loop(c);
    int sig = g_signal;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    g_signal = 0;
    if (c->bar)
        fputs("\n", stderr);
    int frc = flush_csvs(c);
    if (rc && rc != MUON_EDIVERGED && rc != MUON_EINTERRUPT) {
        ex = cli_fail(cmd, rc);
        goto out;
    }
    if (frc || (frc = write_summary(c))) {
        ex = cli_fail(cmd, frc);
        goto out;
    }
    if (rc == MUON_EDIVERGED) {
        ex = CLI_EXIT_NUMERIC;
    } else if (rc == MUON_EINTERRUPT) {
        if (c->log)
            fprintf(stderr, "muonlab %s: interrupted at step %llu; state "
                    "saved in %s (continue with --resume)\n", cmd,
                    (unsigned long long)c->st.step, c->p_ckpt);
        ex = sig == SIGTERM ? CLI_EXIT_SIGTERM : CLI_EXIT_SIGINT;
    } else if (c->log) {
        double sps = c->st.train_time > 0
                         ? (double)c->st.samples / c->st.train_time : 0.0;
        fprintf(stderr, "muonlab %s: done: %llu steps in %.1fs (%.0f "
                "samples/s in the steps)", cmd,
                (unsigned long long)c->st.step, elapsed(c), sps);
        if (c->have_test && c->classify)
            fprintf(stderr, ", test_acc %.4f", c->test_acc);
        fprintf(stderr, " -> %s\n", c->p_json);
    }
out:
    ctx_free(c);
    return ex;
}
