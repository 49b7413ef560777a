/* test-train.c: `muonlab train` end to end on tiny data: option checks,
 * determinism, bit-identical resume (by checkpoint and after SIGINT), the
 * output-folder policy, NaN-gradient skipping, divergence, missing data
 * naming its Debian package, the output contract (CSV columns, JSON
 * without bare NaN) and --save-grads.  Every run happens in a forked child
 * (its own signal dispositions and stderr), on synthetic tasks, a small
 * text file or a hand-made IDX fixture, so the suite takes seconds.
 * Fashion-MNIST itself is only used when the package is installed. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <jansson.h>

#include "muon/checkpoint.h"
#include "muon/data.h"
#include "muon/npy.h"
#include "muon/status.h"
#include "train_opts.h"

static char root[] = "/tmp/muon-test-train-XXXXXX";

/* A tiny MLP with one hidden matrix (so Muon has work) on a teacher task. */
#define TINY "--model", "mlp:8-16-16-2", "--data", \
    "synthetic:teacher,n=256,test=64,hidden=8", "--batch", "16", \
    "--progress", "none", "--stats-every", "5"

static char *
path_in(const char *dir, const char *name)
{
    char *p;
    ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
    return p;
}

/* path_in for a path used inline (not kept): freed by the fixture's
 * teardown after each test, so that LeakSanitizer stays quiet. */
static char *tmp_paths[256];
static size_t ntmp_paths;

static char *
tpath(const char *dir, const char *name)
{
    char *p = path_in(dir, name);
    ck_assert_uint_lt(ntmp_paths, sizeof tmp_paths / sizeof tmp_paths[0]);
    tmp_paths[ntmp_paths++] = p;
    return p;
}

static void
free_tmp_paths(void)
{
    for (size_t i = 0; i < ntmp_paths; i++)
        free(tmp_paths[i]);
    ntmp_paths = 0;
}

static char *
new_dir(const char *name)
{
    return path_in(root, name);
}

/* Runs `muonlab train ARGS` in a child; stderr goes to errpath (or
 * /dev/null).  Returns the exit status (or 128 + signal). */
static int
run_train_err(const char *errpath, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        FILE *e = freopen(errpath ? errpath : "/dev/null", "w", stderr);
        (void)e;
        if (!freopen("/dev/null", "w", stdout))
            _exit(99);
        int rc = train_main(argc, argv);
        fflush(NULL);
        _exit(rc);
    }
    int ws;
    ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

#define RUN(...)                                                               \
    run_train_err(NULL, (char *[]){"train", __VA_ARGS__, NULL})
#define RUN_ERR(errpath, ...)                                                  \
    run_train_err(errpath, (char *[]){"train", __VA_ARGS__, NULL})

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int ch;
    while ((ch = fgetc(f)) != EOF) {
        if (len + 2 > cap) {
            cap = cap ? 2 * cap : 4096;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
        buf[len++] = (char)ch;
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    buf[len] = '\0';
    return buf;
}

/* The data rows of a CSV without its provenance lines and without the
 * column `drop` (wall time differs between runs): one string. */
static char *
csv_rows(const char *path, const char *drop)
{
    char *text = slurp(path);
    char *out = calloc(strlen(text) + 1, 1);
    ck_assert_ptr_nonnull(out);
    size_t used = 0; /* out never outgrows text: fields are only dropped */
    long dropcol = -1;
    int header = 1;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        long col = 0;
        char *fs = NULL;
        int first = 1;
        /* strtok_r would merge empty fields: walk by hand. */
        for (char *p = line;; col++) {
            char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            if (header && drop && n == strlen(drop) && !strncmp(p, drop, n))
                dropcol = col;
            if (col != dropcol) {
                if (!first)
                    out[used++] = ',';
                memcpy(out + used, p, n);
                used += n;
                first = 0;
            }
            if (!comma)
                break;
            p = comma + 1;
        }
        (void)fs;
        out[used++] = '\n';
        header = 0;
    }
    free(text);
    return out;
}

static size_t
count_rows(const char *path)
{
    char *rows = csv_rows(path, NULL);
    size_t n = 0;
    for (char *p = rows; *p; p++)
        n += *p == '\n';
    free(rows);
    return n ? n - 1 : 0;
}

/* Values of column `name` in the CSV at path, one malloc'd string per
 * data row ('#' lines and the header skipped; no quoting in these files).
 * NULL-terminated; free with free_strv. */
static char **
csv_column(const char *path, const char *name)
{
    char *text = slurp(path);
    char **v = calloc(1, sizeof *v);
    size_t n = 0;
    long want = -1;
    int header = 1;
    ck_assert_ptr_nonnull(v);
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        long col = 0;
        for (char *p = line;; col++) {
            /* A quoted field (the --data spec has commas) ends at its
             * closing quote; none of these fields holds a quote. */
            char *q = *p == '"' ? strchr(p + 1, '"') : NULL;
            char *comma = strchr(q ? q : p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            if (header && len == strlen(name) && !strncmp(p, name, len))
                want = col;
            if (!header && col == want) {
                v = realloc(v, (n + 2) * sizeof *v);
                ck_assert_ptr_nonnull(v);
                v[n++] = strndup(p, len);
                v[n] = NULL;
            }
            if (!comma)
                break;
            p = comma + 1;
        }
        ck_assert_msg(want >= 0, "%s: no column %s", path, name);
        header = 0;
    }
    free(text);
    return v;
}

static void
free_strv(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* The model parameters stored in DIR/checkpoint.bin. */
static float *
ckpt_params(const char *dir, size_t *n)
{
    char *p = path_in(dir, "checkpoint.bin");
    muon_ckpt *c = NULL;
    ck_assert_msg(muon_ckpt_read(p, &c) == 0, "%s: %s", p,
                  muon_last_error());
    const void *data;
    size_t size;
    ck_assert_int_eq(muon_ckpt_find(c, "train.params", &data, &size), 0);
    float *w = malloc(size);
    memcpy(w, data, size);
    *n = size / sizeof(float);
    muon_ckpt_free(c);
    free(p);
    return w;
}

static void
assert_same_params(const char *a, const char *b)
{
    size_t na, nb;
    float *wa = ckpt_params(a, &na), *wb = ckpt_params(b, &nb);
    ck_assert_uint_eq(na, nb);
    ck_assert_msg(memcmp(wa, wb, na * sizeof *wa) == 0,
                  "parameters of %s and %s differ", a, b);
    free(wa);
    free(wb);
}

static void
assert_same_csv(const char *a, const char *b, const char *file,
                const char *drop)
{
    char *pa = path_in(a, file), *pb = path_in(b, file);
    char *ra = csv_rows(pa, drop), *rb = csv_rows(pb, drop);
    ck_assert_msg(strcmp(ra, rb) == 0, "%s differs:\n--- %s\n%s--- %s\n%s",
                  file, a, ra, b, rb);
    free(ra);
    free(rb);
    free(pa);
    free(pb);
}

static json_t *
summary(const char *dir)
{
    char *p = path_in(dir, "summary.json");
    json_error_t err;
    /* jansson refuses bare NaN/Infinity: loading proves there are none. */
    json_t *j = json_load_file(p, JSON_REJECT_DUPLICATES, &err);
    ck_assert_msg(j != NULL, "%s: %s (line %d)", p, err.text, err.line);
    free(p);
    return j;
}

static const char *
summary_status(json_t *j)
{
    return json_string_value(json_object_get(json_object_get(j, "results"),
                                             "status"));
}

static int
file_exists(const char *dir, const char *name)
{
    char *p = path_in(dir, name);
    int ok = access(p, F_OK) == 0;
    free(p);
    return ok;
}

/* ---- tests -------------------------------------------------------------- */

/* Bad option combinations: each is refused with the usage exit code before
 * anything is written. */
static const struct {
    const char *what;
    const char *argv[12];
    int exitc;
} bad_opts[] = {
    {"no --out", {"--train-steps", "3"}, CLI_EXIT_USAGE},
    {"epochs and steps", {"--epochs", "1", "--train-steps", "3"},
     CLI_EXIT_USAGE},
    {"unknown opt", {"--opt", "adamx"}, CLI_EXIT_USAGE},
    {"unknown data", {"--data", "cifar"}, CLI_EXIT_USAGE},
    {"unknown synthetic", {"--data", "synthetic:foo"}, CLI_EXIT_USAGE},
    {"synthetic key typo", {"--data", "synthetic:teacher,nosie=1"},
     CLI_EXIT_USAGE},
    {"gpt on images", {"--model", "gpt"}, CLI_EXIT_USAGE},
    {"cnn on vectors", {"--model", "cnn", "--data", "synthetic:teacher"},
     CLI_EXIT_USAGE},
    {"wrong widths", {"--model", "mlp:100-10"}, CLI_EXIT_USAGE},
    {"lstsq needs 1 output", {"--data", "synthetic:lstsq"}, CLI_EXIT_USAGE},
    {"resume and force", {"--resume", "--force"}, CLI_EXIT_USAGE},
    {"aux-lr with adamw", {"--opt", "adamw", "--aux-lr", "1e-3", "--data",
                           "synthetic:teacher"}, CLI_EXIT_USAGE},
    {"lr zero", {"--lr", "0", "--data", "synthetic:teacher"},
     CLI_EXIT_USAGE},
    {"lr nan", {"--lr", "nan"}, CLI_EXIT_USAGE},
    {"bad progress", {"--progress", "fancy", "--data", "synthetic:teacher"},
     CLI_EXIT_USAGE},
    {"batch 0", {"--batch", "0"}, CLI_EXIT_USAGE},
    {"batch too big", {"--batch", "100000", "--data",
                       "synthetic:teacher,n=64"}, CLI_EXIT_USAGE},
    {"unknown model key", {"--model", "mlp:width=3"}, CLI_EXIT_USAGE},
};
#define NBAD (sizeof bad_opts / sizeof bad_opts[0])

START_TEST(test_bad_options)
{
    char *dir = new_dir("bad");
    char *argv[32];
    int argc = 0;
    argv[argc++] = "train";
    for (size_t k = 0; bad_opts[_i].argv[k]; k++)
        argv[argc++] = (char *)bad_opts[_i].argv[k];
    if (strcmp(bad_opts[_i].what, "no --out")) {
        argv[argc++] = "--out";
        argv[argc++] = dir;
    }
    argv[argc] = NULL;
    int rc = run_train_err(NULL, argv);
    ck_assert_msg(rc == bad_opts[_i].exitc, "%s: exit %d, expected %d",
                  bad_opts[_i].what, rc, bad_opts[_i].exitc);
    ck_assert_msg(access(dir, F_OK) != 0 || !file_exists(dir, "steps.csv"),
                  "%s: wrote outputs", bad_opts[_i].what);
    free(dir);
}
END_TEST

START_TEST(test_data_parse)
{
    train_data_spec d;
    ck_assert_int_eq(train_data_parse("fashion-mnist", &d), 0);
    ck_assert_int_eq(d.kind, TRAIN_DATA_FMNIST);
    ck_assert_ptr_null(d.path);
    ck_assert_int_eq(train_data_parse("fashion-mnist:/x/y", &d), 0);
    ck_assert_str_eq(d.path, "/x/y");
    ck_assert_int_eq(train_data_parse("text", &d), 0);
    ck_assert_int_eq(d.kind, TRAIN_DATA_TEXT);
    ck_assert_int_eq(train_data_parse("synthetic:sensing,m=4,p=5,rank=3,"
                                      "noise=0.5", &d), 0);
    ck_assert_int_eq(d.synth, TRAIN_SYNTH_SENSING);
    ck_assert_uint_eq(d.m, 4);
    ck_assert_uint_eq(d.p, 5);
    ck_assert_uint_eq(d.rank, 3);
    ck_assert_double_eq(d.noise, 0.5);
    ck_assert_int_eq(train_data_parse("synthetic", &d), MUON_EINVAL);
    ck_assert_int_eq(train_data_parse("synthetic:teacher,n=x", &d),
                     MUON_EINVAL);
    ck_assert_int_eq(train_data_parse("synthetic:lstsq,kappa=0.5", &d),
                     MUON_ERANGE);
    ck_assert_int_eq(train_data_parse("synthetic:teacher,noise=-1", &d),
                     MUON_ERANGE);
    ck_assert_int_eq(train_data_parse("synthetic:teacher,bogus=1", &d),
                     MUON_EUNKNOWN);
    ck_assert_int_eq(train_data_parse("mnist", &d), MUON_EUNKNOWN);
    ck_assert_int_eq(train_data_parse("text:", &d), MUON_EINVAL);
}
END_TEST

/* Same command twice: the same numbers (all columns but wall time), the
 * same final parameters, bit for bit. */
START_TEST(test_determinism)
{
    char *a = new_dir("det-a"), *b = new_dir("det-b");
    ck_assert_int_eq(RUN(TINY, "--train-steps", "30", "--eval-every", "10",
                         "--out", a), 0);
    ck_assert_int_eq(RUN(TINY, "--train-steps", "30", "--eval-every", "10",
                         "--out", b), 0);
    assert_same_params(a, b);
    assert_same_csv(a, b, "steps.csv", "time_s");
    assert_same_csv(a, b, "eval.csv", "time_s");
    assert_same_csv(a, b, "spectra.csv", NULL);
    /* A different seed must change the numbers (the test can fail). */
    char *c = new_dir("det-c");
    ck_assert_int_eq(RUN(TINY, "--train-steps", "30", "--eval-every", "10",
                         "--seed", "7", "--out", c), 0);
    size_t n1, n2;
    float *w1 = ckpt_params(a, &n1), *w2 = ckpt_params(c, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(w1, w2, n1 * sizeof *w1) != 0);
    free(w1);
    free(w2);
    ck_assert_uint_eq(count_rows(tpath(a, "steps.csv")), 30);
    /* step 0, 10, 20 and the final row at 30 */
    ck_assert_uint_eq(count_rows(tpath(a, "eval.csv")), 4);
    free(a);
    free(b);
    free(c);
}
END_TEST

/* k steps, then --resume to N: the same parameters and rows as N steps in
 * one go, for every optimizer (AdamW and SGD state must be saved too). */
static const char *const resume_opts[] = {"muon", "adamw", "sgd"};

START_TEST(test_resume)
{
    const char *opt = resume_opts[_i];
    char name[64];
    snprintf(name, sizeof name, "resume-full-%s", opt);
    char *full = new_dir(name);
    snprintf(name, sizeof name, "resume-part-%s", opt);
    char *part = new_dir(name);
    ck_assert_int_eq(RUN(TINY, "--opt", (char *)opt, "--train-steps", "40",
                         "--eval-every", "10", "--schedule", "wsd",
                         "--warmup", "5", "--decay", "10", "--out", full), 0);
    /* Interrupted after step 17 (not an evaluation step) by the test
     * hook: the same command, so the wsd schedule (which depends on the
     * total) is the same; test_resume_extend covers growing the total. */
    train_test_interrupt_at = 17;
    int rc = RUN(TINY, "--opt", (char *)opt, "--train-steps", "40",
                 "--eval-every", "10", "--schedule", "wsd", "--warmup", "5",
                 "--decay", "10", "--out", part);
    train_test_interrupt_at = 0;
    ck_assert_msg(rc == CLI_EXIT_SIGINT, "%s: exit %d", opt, rc);
    json_t *j = summary(part);
    ck_assert_str_eq(summary_status(j), "interrupted");
    json_decref(j);
    ck_assert_int_eq(RUN(TINY, "--opt", (char *)opt, "--train-steps", "40",
                         "--eval-every", "10", "--schedule", "wsd",
                         "--warmup", "5", "--decay", "10", "--resume",
                         "--out", part), 0);
    assert_same_params(full, part);
    assert_same_csv(full, part, "steps.csv", "time_s");
    assert_same_csv(full, part, "eval.csv", "time_s");
    assert_same_csv(full, part, "spectra.csv", NULL);
    j = summary(part);
    ck_assert_str_eq(summary_status(j), "ok");
    json_decref(j);
    free(full);
    free(part);
}
END_TEST

/* A shorter run extended with --resume --train-steps N (constant lr) gives
 * the rows of a run of N, without the shorter run's final rows. */
START_TEST(test_resume_extend)
{
    char *full = new_dir("ext-full"), *part = new_dir("ext-part");
    ck_assert_int_eq(RUN(TINY, "--train-steps", "25", "--eval-every", "10",
                         "--out", full), 0);
    ck_assert_int_eq(RUN(TINY, "--train-steps", "13", "--eval-every", "10",
                         "--out", part), 0);
    ck_assert_int_eq(RUN(TINY, "--train-steps", "25", "--eval-every", "10",
                         "--resume", "--out", part), 0);
    assert_same_params(full, part);
    assert_same_csv(full, part, "steps.csv", "time_s");
    assert_same_csv(full, part, "eval.csv", "time_s");
    /* A run killed between checkpoints (SIGKILL, power loss) leaves rows
     * after the last checkpoint: simulated by appending some; --resume cuts
     * them off, so no step appears twice. */
    char *kill = new_dir("ext-kill");
    train_test_interrupt_at = 13;
    ck_assert_int_eq(RUN(TINY, "--train-steps", "25", "--eval-every", "10",
                         "--out", kill), CLI_EXIT_SIGINT);
    train_test_interrupt_at = 0;
    char *p = path_in(kill, "steps.csv");
    FILE *f = fopen(p, "a");
    ck_assert_ptr_nonnull(f);
    fputs("14,0.1,9,9,9,9,9,9,0\n15,0.1,9,9,9,9,9,9,0\n", f);
    fclose(f);
    free(p);
    p = path_in(kill, "eval.csv");
    f = fopen(p, "a");
    fputs("20,1,1,1,1,1,1,,,ok\n", f);
    fclose(f);
    free(p);
    ck_assert_int_eq(RUN(TINY, "--train-steps", "25", "--eval-every", "10",
                         "--resume", "--out", kill), 0);
    assert_same_params(full, kill);
    assert_same_csv(full, kill, "steps.csv", "time_s");
    assert_same_csv(full, kill, "eval.csv", "time_s");
    free(kill);
    /* A checkpoint of another configuration is refused. */
    ck_assert_int_eq(RUN(TINY, "--train-steps", "30", "--seed", "3",
                         "--resume", "--out", part), CLI_EXIT_USAGE);
    ck_assert_int_eq(RUN(TINY, "--train-steps", "30", "--lr", "0.01",
                         "--resume", "--out", part), CLI_EXIT_USAGE);
    /* Fewer steps than the checkpoint holds: refused. */
    ck_assert_int_eq(RUN(TINY, "--train-steps", "20", "--resume", "--out",
                         part), CLI_EXIT_USAGE);
    free(full);
    free(part);
}
END_TEST

/* A real SIGINT to a child in the middle of a long run: exit 130, a
 * checkpoint, status interrupted, and --resume finishes the run. */
START_TEST(test_sigint)
{
    char *dir = new_dir("sigint");
    char *eval = path_in(dir, "eval.csv");
    char *argv[] = {"train", TINY, "--train-steps", "100000000",
                    "--eval-every", "5", "--out", dir, NULL};
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr))
            _exit(99);
        int argc = (int)(sizeof argv / sizeof argv[0]) - 1;
        _exit(train_main(argc, argv));
    }
    /* Wait until the loop runs (rows after step 0 exist). */
    int ready = 0;
    for (int i = 0; i < 3000 && !ready; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (access(eval, F_OK) == 0 && count_rows(eval) >= 3)
            ready = 1;
    }
    ck_assert_msg(ready, "the child never started training");
    ck_assert_int_eq(kill(pid, SIGINT), 0);
    int ws;
    ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
    ck_assert_msg(WIFEXITED(ws), "child killed by signal %d",
                  WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
    ck_assert_int_eq(WEXITSTATUS(ws), CLI_EXIT_SIGINT);
    ck_assert(file_exists(dir, "checkpoint.bin"));
    json_t *j = summary(dir);
    ck_assert_str_eq(summary_status(j), "interrupted");
    json_int_t steps = json_integer_value(
        json_object_get(json_object_get(j, "results"), "steps"));
    ck_assert_int_ge(steps, 10);
    json_decref(j);
    /* Every computed step is in steps.csv (flushed at the interruption). */
    ck_assert_uint_eq(count_rows(tpath(dir, "steps.csv")), (size_t)steps);
    char nbuf[32];
    snprintf(nbuf, sizeof nbuf, "%lld", (long long)steps + 3);
    ck_assert_int_eq(RUN(TINY, "--train-steps", nbuf, "--eval-every", "5",
                         "--resume", "--out", dir), 0);
    j = summary(dir);
    ck_assert_str_eq(summary_status(j), "ok");
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(j, "results"), "steps")),
                     steps + 3);
    json_decref(j);
    ck_assert_uint_eq(count_rows(tpath(dir, "steps.csv")),
                      (size_t)steps + 3);
    /* SIGTERM: 143 */
    char *dir2 = new_dir("sigterm");
    train_test_interrupt_at = 0;
    char *argv2[] = {"train", TINY, "--train-steps", "100000000",
                     "--eval-every", "5", "--out", dir2, NULL};
    char *eval2 = path_in(dir2, "eval.csv");
    fflush(NULL);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr))
            _exit(99);
        _exit(train_main((int)(sizeof argv2 / sizeof argv2[0]) - 1, argv2));
    }
    ready = 0;
    for (int i = 0; i < 3000 && !ready; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (access(eval2, F_OK) == 0 && count_rows(eval2) >= 3)
            ready = 1;
    }
    ck_assert(ready);
    ck_assert_int_eq(kill(pid, SIGTERM), 0);
    ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
    ck_assert(WIFEXITED(ws));
    ck_assert_int_eq(WEXITSTATUS(ws), CLI_EXIT_SIGTERM);
    free(eval2);
    free(dir2);
    free(eval);
    free(dir);
}
END_TEST

/* An existing output folder is refused without --resume or --force; a
 * second run cannot take over a folder that a live run holds. */
START_TEST(test_overwrite)
{
    char *dir = new_dir("overwrite");
    char *err = path_in(root, "overwrite.err");
    ck_assert_int_eq(RUN(TINY, "--train-steps", "3", "--out", dir), 0);
    char *before = slurp(tpath(dir, "steps.csv"));
    ck_assert_int_eq(RUN_ERR(err, TINY, "--train-steps", "5", "--out", dir),
                     CLI_EXIT_USAGE);
    char *msg = slurp(err);
    ck_assert_msg(strstr(msg, "--resume") && strstr(msg, "--force"), "%s",
                  msg);
    char *after = slurp(tpath(dir, "steps.csv"));
    ck_assert_str_eq(before, after);
    ck_assert_int_eq(RUN(TINY, "--train-steps", "5", "--force", "--out", dir),
                     0);
    ck_assert_uint_eq(count_rows(tpath(dir, "steps.csv")), 5);
    /* A non-empty foreign folder is refused too. */
    char *foreign = new_dir("foreign");
    ck_assert_int_eq(mkdir(foreign, 0700), 0);
    FILE *f = fopen(tpath(foreign, "notes.txt"), "w");
    fputs("mine\n", f);
    fclose(f);
    ck_assert_int_eq(RUN(TINY, "--train-steps", "3", "--out", foreign),
                     CLI_EXIT_USAGE);
    ck_assert(file_exists(foreign, "notes.txt"));
    free(before);
    free(after);
    free(msg);
    free(err);
    free(dir);
    free(foreign);
}
END_TEST

/* A NaN put into a gradient at step k is skipped by the driver: the
 * parameters after k steps equal those after k-1 steps, the row says
 * skipped, training continues with finite numbers. */
START_TEST(test_nan_skip)
{
    const char *opt = resume_opts[_i];
    char name[64];
    snprintf(name, sizeof name, "nan-ref-%s", opt);
    char *ref = new_dir(name);
    snprintf(name, sizeof name, "nan-hit-%s", opt);
    char *hit = new_dir(name);
    ck_assert_int_eq(RUN(TINY, "--opt", (char *)opt, "--train-steps", "6",
                         "--out", ref), 0);
    ck_assert_int_eq(RUN(TINY, "--opt", (char *)opt, "--train-steps", "7",
                         "--inject-nan", "7", "--out", hit), 0);
    assert_same_params(ref, hit);
    char *rows = csv_rows(tpath(hit, "steps.csv"), NULL);
    /* The last row is step 7 with skipped = 1 (label follows it). */
    char **sk = csv_column(tpath(hit, "steps.csv"), "skipped");
    size_t nsk = 0;
    while (sk[nsk])
        nsk++;
    ck_assert_msg(strstr(rows, "\n7,") && nsk == 7 &&
                      !strcmp(sk[nsk - 1], "1"), "%s", rows);
    free_strv(sk);
    free(rows);
    json_t *j = summary(hit);
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_object_get(j, "results"), "skipped_steps")),
                     1);
    ck_assert_str_eq(summary_status(j), "ok");
    json_decref(j);
    /* Skipping in the middle does not poison later steps. */
    snprintf(name, sizeof name, "nan-mid-%s", opt);
    char *mid = new_dir(name);
    ck_assert_int_eq(RUN(TINY, "--opt", (char *)opt, "--train-steps", "12",
                         "--inject-nan", "4", "--out", mid), 0);
    size_t n;
    float *w = ckpt_params(mid, &n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(isfinite(w[i]), "%s: parameter %zu = %g", opt, i,
                      (double)w[i]);
    free(w);
    free(ref);
    free(hit);
    free(mid);
}
END_TEST

/* Under --nonfinite error the same NaN stops the run as diverged (exit 4),
 * keeping the last good checkpoint. */
START_TEST(test_nan_error)
{
    char *dir = new_dir("nan-error");
    char *ref = new_dir("nan-error-ref");
    ck_assert_int_eq(RUN(TINY, "--train-steps", "10", "--out", ref), 0);
    ck_assert_int_eq(RUN(TINY, "--train-steps", "20", "--eval-every", "5",
                         "--ckpt-every", "10", "--inject-nan", "13",
                         "--nonfinite", "error", "--out", dir),
                     CLI_EXIT_NUMERIC);
    assert_same_params(ref, dir); /* the checkpoint of step 10 */
    json_t *j = summary(dir);
    json_t *r = json_object_get(j, "results");
    ck_assert_str_eq(summary_status(j), "diverged");
    ck_assert_int_eq(json_integer_value(json_object_get(r,
                                                        "diverged_at_step")),
                     13);
    json_decref(j);
    free(dir);
    free(ref);
}
END_TEST

/* SGD at a huge learning rate overflows: status diverged with the step,
 * exit 4, non-finite metrics written as null (jansson refuses NaN when
 * loading) and as "diverged" in eval.csv. */
START_TEST(test_diverge)
{
    char *dir = new_dir("diverge");
    ck_assert_int_eq(RUN(TINY, "--opt", "sgd", "--lr", "1e6",
                         "--train-steps", "200", "--out", dir),
                     CLI_EXIT_NUMERIC);
    json_t *j = summary(dir);
    json_t *r = json_object_get(j, "results");
    ck_assert_str_eq(summary_status(j), "diverged");
    ck_assert(json_is_integer(json_object_get(r, "diverged_at_step")));
    ck_assert(json_is_null(json_object_get(r, "test_acc")));
    json_decref(j);
    char *rows = csv_rows(tpath(dir, "eval.csv"), NULL);
    ck_assert_msg(strstr(rows, "diverged"), "%s", rows);
    free(rows);
    char *sum = slurp(tpath(dir, "summary.csv"));
    ck_assert_msg(strstr(sum, ",diverged,"), "%s", sum);
    free(sum);
    free(dir);
}
END_TEST

/* Missing Fashion-MNIST files: exit 3 and a message naming the package. */
START_TEST(test_missing_data)
{
    char *dir = new_dir("missing");
    char *err = path_in(root, "missing.err");
    char *empty = new_dir("empty-data");
    ck_assert_int_eq(mkdir(empty, 0700), 0);
    char spec[4200];
    snprintf(spec, sizeof spec, "fashion-mnist:%s", empty);
    ck_assert_int_eq(RUN_ERR(err, "--data", spec, "--out", dir),
                     CLI_EXIT_DATA);
    char *msg = slurp(err);
    ck_assert_msg(strstr(msg, "dataset-fashion-mnist"), "%s", msg);
    ck_assert_msg(strstr(msg, empty), "%s", msg);
    free(msg);
    snprintf(spec, sizeof spec, "text:%s/none.txt", empty);
    ck_assert_int_eq(RUN_ERR(err, "--data", spec, "--out", dir),
                     CLI_EXIT_DATA);
    free(err);
    free(empty);
    free(dir);
}
END_TEST

static int
starts_with(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* A hand-made IDX set of 28x28 images: class k lights up row block k, so
 * a model that learns anything beats chance by far. */
static void
write_idx(const char *path, const unsigned char *hdr, size_t hlen,
          const unsigned char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(hdr, 1, hlen, f), hlen);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static void
make_images(const char *dir, const char *prefix, size_t n, unsigned seed)
{
    unsigned char *img = malloc(n * 784), *lab = malloc(n);
    unsigned s = seed;
    for (size_t i = 0; i < n; i++) {
        lab[i] = (unsigned char)(i % 10);
        for (size_t p = 0; p < 784; p++) {
            s = s * 1103515245u + 12345u;
            unsigned noise = (s >> 16) % 64;
            size_t row = p / 28;
            int on = row >= 2 + 2 * (size_t)lab[i] &&
                     row < 4 + 2 * (size_t)lab[i];
            img[i * 784 + p] = (unsigned char)(noise + (on ? 160 : 0));
        }
    }
    unsigned char hi[16] = {0, 0, 8, 3, 0, 0, (unsigned char)(n >> 8),
                            (unsigned char)n, 0, 0, 0, 28, 0, 0, 0, 28};
    unsigned char hl[8] = {0, 0, 8, 1, 0, 0, (unsigned char)(n >> 8),
                           (unsigned char)n};
    char path[4200];
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    write_idx(path, hi, 16, img, n * 784);
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    write_idx(path, hl, 8, lab, n);
    free(img);
    free(lab);
}

START_TEST(test_idx_fixture)
{
    char *data = new_dir("idx-data");
    ck_assert_int_eq(mkdir(data, 0700), 0);
    make_images(data, "train", 400, 1);
    make_images(data, "t10k", 100, 2);
    char spec[4200];
    snprintf(spec, sizeof spec, "fashion-mnist:%s", data);
    static const char *const models[] = {"mlp:784-32-32-10",
                                         "cnn:channels=4-8,hidden=16"};
    for (size_t k = 0; k < 2; k++) {
        char name[32];
        snprintf(name, sizeof name, "idx-run-%zu", k);
        char *dir = new_dir(name);
        ck_assert_int_eq(RUN("--data", spec, "--model", (char *)models[k],
                             "--val-size", "80", "--batch", "16",
                             "--epochs", "3", "--progress", "none",
                             "--out", dir), 0);
        json_t *j = summary(dir);
        json_t *r = json_object_get(j, "results");
        double acc = json_number_value(json_object_get(r, "test_acc"));
        /* chance is 0.1; the classes are separable by one row block */
        ck_assert_msg(acc > 0.5, "%s: test accuracy %g", models[k], acc);
        ck_assert_int_eq(json_integer_value(json_object_get(r, "steps")),
                         3 * (320 / 16));
        json_decref(j);
        /* The eval.csv header is the documented one. */
        char *rows = csv_rows(tpath(dir, "eval.csv"), NULL);
        ck_assert_msg(starts_with(rows, "step,epoch,time_s,train_loss,"
                                  "train_acc,val_loss,val_acc,test_loss,"
                                  "test_acc,status,label\n"), "%s", rows);
        free(rows);
        rows = csv_rows(tpath(dir, "steps.csv"), NULL);
        ck_assert_msg(starts_with(rows, "step,epoch,loss,lr,lr_aux,time_s,"
                                  "grad_norm,update_rms,skipped,label\n"),
                      "%s",
                      rows);
        free(rows);
        rows = csv_rows(tpath(dir, "spectra.csv"), NULL);
        ck_assert_msg(starts_with(rows, "step,param,which,sv_min,sv_max,"
                                  "sv_mean,sv_ratio,polar_err\n"), "%s",
                      rows);
        free(rows);
        rows = csv_rows(tpath(dir, "summary.csv"), NULL);
        ck_assert_msg(starts_with(rows, "model,data,opt,method,lr,seed,steps,"
                                  "final_train_loss,final_val_loss,"
                                  "final_val_acc,test_acc,best_val_acc,"
                                  "wall_s,samples_per_s,status"), "%s",
                      rows);
        ck_assert_msg(strstr(rows, ",ok,"), "%s", rows);
        free(rows);
        rows = csv_rows(tpath(dir, "spectra.csv"), NULL);
        /* Muon matrices get spectra; the first layer (AdamW) does not. */
        ck_assert(strstr(rows, k ? "conv2.weight,update" : "fc1.weight,"
                                                           "update"));
        ck_assert(!strstr(rows, k ? "conv1.weight" : "fc0.weight"));
        free(rows);
        free(dir);
    }
    free(data);
}
END_TEST

/* The columns the figures group and plot by: label (the orthogonalizer
 * for Muon, else the optimizer) in every row of steps.csv, eval.csv and
 * summary.csv; width (the largest hidden width); final_loss (validation
 * loss, or training loss without a validation set). */
static const struct {
    const char *opt, *method, *label;
} label_cases[] = {
    {"muon", "polar-express", "polar-express"},
    {"muon", "svd", "svd"},
    {"adamw", "ns5", "adamw"},
    {"sgd", "ns5", "sgd"},
};

START_TEST(test_label_width_columns)
{
    char name[64];
    snprintf(name, sizeof name, "label-%d", _i);
    char *dir = new_dir(name);
    /* Hidden widths 16 and 24: width must be the larger, not the last. */
    ck_assert_int_eq(RUN("--model", "mlp:8-16-24-2", "--data",
                         "synthetic:teacher,n=256,test=64,hidden=8",
                         "--batch", "16", "--progress", "none",
                         "--stats-every", "5", "--train-steps", "12",
                         "--eval-every", "4", "--opt",
                         (char *)label_cases[_i].opt, "--method",
                         (char *)label_cases[_i].method, "--out", dir), 0);
    static const char *const files[] = {"steps.csv", "eval.csv",
                                        "summary.csv"};
    static const size_t rows[] = {12, 4, 1};
    for (size_t f = 0; f < 3; f++) {
        char *path = path_in(dir, files[f]);
        char **v = csv_column(path, "label");
        size_t n = 0;
        for (; v[n]; n++)
            ck_assert_msg(!strcmp(v[n], label_cases[_i].label),
                          "%s row %zu: label %s, want %s", files[f], n,
                          v[n], label_cases[_i].label);
        ck_assert_msg(n == rows[f], "%s: %zu rows, want %zu", files[f], n,
                      rows[f]);
        free_strv(v);
        free(path);
    }
    char *path = path_in(dir, "summary.csv");
    char **w = csv_column(path, "width");
    ck_assert_str_eq(w[0], "24");
    free_strv(w);
    /* final_loss is the last evaluation's validation loss. */
    char **fl = csv_column(path, "final_loss");
    char *epath = path_in(dir, "eval.csv");
    char **vl = csv_column(epath, "val_loss");
    size_t last = 0;
    while (vl[last + 1])
        last++;
    ck_assert_double_eq_tol(strtod(fl[0], NULL), strtod(vl[last], NULL),
                            1e-6 * fabs(strtod(vl[last], NULL)));
    free_strv(fl);
    free_strv(vl);
    free(epath);
    free(path);
    free(dir);
}
END_TEST

/* Without a validation set, final_loss is the final training loss. */
START_TEST(test_final_loss_no_val)
{
    char *dir = new_dir("final-loss-noval");
    ck_assert_int_eq(RUN(TINY, "--train-steps", "8", "--val-size", "0",
                         "--out", dir), 0);
    char *path = path_in(dir, "summary.csv");
    char **fl = csv_column(path, "final_loss");
    char **tl = csv_column(path, "final_train_loss");
    ck_assert(isfinite(strtod(fl[0], NULL)));
    ck_assert_double_eq_tol(strtod(fl[0], NULL), strtod(tl[0], NULL),
                            1e-12 * fabs(strtod(tl[0], NULL)));
    free_strv(fl);
    free_strv(tl);
    free(path);
    free(dir);
}
END_TEST

/* spectra.csv's sv_mean: between sv_min and sv_max on every row; with the
 * exact svd the update is the polar factor, whose singular values are all
 * 1 (so the mean is 1 to rounding). */
START_TEST(test_spectra_mean)
{
    char *dir = new_dir("spectra-mean");
    ck_assert_int_eq(RUN(TINY, "--train-steps", "11", "--method", "svd",
                         "--out", dir), 0);
    char *path = path_in(dir, "spectra.csv");
    char **lo = csv_column(path, "sv_min"), **hi = csv_column(path, "sv_max"),
         **mean = csv_column(path, "sv_mean"),
         **which = csv_column(path, "which");
    size_t n = 0, nupd = 0;
    for (; mean[n]; n++) {
        double a = strtod(lo[n], NULL), b = strtod(hi[n], NULL),
               m = strtod(mean[n], NULL);
        ck_assert_msg(isfinite(m) && m >= a * (1 - 1e-9) &&
                          m <= b * (1 + 1e-9),
                      "row %zu: sv_mean %s outside [%s, %s]", n, mean[n],
                      lo[n], hi[n]);
        if (!strcmp(which[n], "update")) {
            ck_assert_double_eq_tol(m, 1.0, 1e-5);
            nupd++;
        }
    }
    /* stats every 5 steps over 11 steps: steps 1, 6, 11; one Muon matrix
     * (fc1), a momentum and an update row each. */
    ck_assert_uint_eq(n, 6);
    ck_assert_uint_eq(nupd, 3);
    free_strv(lo);
    free_strv(hi);
    free_strv(mean);
    free_strv(which);
    free(path);
    free(dir);
}
END_TEST

START_TEST(test_text)
{
    char *data = path_in(root, "corpus.txt");
    FILE *f = fopen(data, "w");
    for (int i = 0; i < 200; i++)
        fprintf(f, "the quick brown fox %d jumps over the lazy dog.\n", i);
    fclose(f);
    char spec[4200];
    snprintf(spec, sizeof spec, "text:%s", data);
    char *dir = new_dir("text-run");
    ck_assert_int_eq(RUN("--data", spec, "--model",
                         "gpt:seq=16,layers=1,width=32,heads=2", "--batch",
                         "4", "--train-steps", "30", "--eval-every", "10",
                         "--eval-batches", "2", "--progress", "none",
                         "--out", dir), 0);
    json_t *j = summary(dir);
    json_t *r = json_object_get(j, "results");
    double H = json_number_value(json_object_get(r, "unigram_entropy"));
    ck_assert(H > 1.0 && H < log(256.0));
    ck_assert(json_is_null(json_object_get(r, "test_acc")));
    ck_assert(json_is_number(json_object_get(r, "final_val_loss")));
    json_decref(j);
    /* A resumed text run matches too (the window sampler's state). */
    char *a = new_dir("text-a");
    train_test_interrupt_at = 12;
    int rc = RUN("--data", spec, "--model",
                 "gpt:seq=16,layers=1,width=32,heads=2", "--batch", "4",
                 "--train-steps", "30", "--eval-every", "10",
                 "--eval-batches", "2", "--progress", "none", "--out", a);
    train_test_interrupt_at = 0;
    ck_assert_int_eq(rc, CLI_EXIT_SIGINT);
    ck_assert_int_eq(RUN("--data", spec, "--model",
                         "gpt:seq=16,layers=1,width=32,heads=2", "--batch",
                         "4", "--train-steps", "30", "--eval-every", "10",
                         "--eval-batches", "2", "--progress", "none",
                         "--resume", "--out", a), 0);
    assert_same_params(dir, a);
    assert_same_csv(dir, a, "eval.csv", "time_s");
    free(a);
    free(dir);
    free(data);
}
END_TEST

/* The real Fashion-MNIST, a few dozen steps: loads, trains, names 10
 * classes.  Added only when the package is installed. */
START_TEST(test_fmnist_short)
{
    char *dir = new_dir("fmnist");
    ck_assert_int_eq(RUN("--train-steps", "60", "--eval-every", "30",
                         "--progress", "none", "--out", dir), 0);
    json_t *j = summary(dir);
    json_t *r = json_object_get(j, "results");
    double acc = json_number_value(json_object_get(r, "test_acc"));
    /* 60 steps of 128 images already give ~0.7 (chance 0.1) */
    ck_assert_msg(acc > 0.5, "test accuracy %g after 60 steps", acc);
    json_decref(j);
    free(dir);
}
END_TEST

/* --save-grads: a .npy of (fan_out, fan_in) float32 per file. */
static muon_npy_array
load_grad(const char *dir, const char *name, size_t rows, size_t cols)
{
    char *p = path_in(dir, name);
    muon_npy_array a;
    ck_assert_msg(muon_npy_read(p, &a) == 0, "%s: %s", p, muon_last_error());
    ck_assert_msg(a.dtype == MUON_NPY_F32 && a.ndim == 2 &&
                      a.shape[0] == rows && a.shape[1] == cols,
                  "%s: shape (%zu, %zu), ndim %zu, dtype %d; expected "
                  "float32 (%zu, %zu)", p, a.shape[0], a.shape[1], a.ndim,
                  (int)a.dtype, rows, cols);
    const float *v = a.data;
    for (size_t i = 0; i < a.count; i++)
        ck_assert_msg(isfinite(v[i]), "%s: entry %zu is %g", p, i, v[i]);
    free(p);
    return a;
}

/* Number of entries of DIR other than . and .. (-1 if DIR is missing). */
static long
count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    long n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* The printed grad_norm has 9 significant digits (5e-10 relative); the
 * sums of squares are fp64 on both sides. */
#define TOL_GRADNORM_CSV 1e-8
/* M = beta M + (1 - beta) G in fp32: a few roundings of 6e-8 relative to
 * the terms' magnitudes; eightfold headroom over two ulps. */
#define TOL_MOMENTUM_F32 1e-6

/* --save-grads writes, for the Muon matrices only, the last step's
 * gradient and momentum.  Expected values from outside the code under
 * test: on a bias-free linear model the single matrix is the whole
 * gradient, so its Frobenius norm is the last steps.csv grad_norm; the
 * momentum follows the documented ema recursion M_T = beta M_{T-1} +
 * (1 - beta) G_T against the same run stopped one step earlier; beta = 0
 * makes the momentum the gradient itself. */
START_TEST(test_save_grads)
{
#define LIN "--model", "linear:8-6", "--data", \
    "synthetic:teacher,n=256,test=64,hidden=8", "--batch", "16", \
    "--progress", "none", "--momentum-type", "ema", "--save-grads"
    char *a = new_dir("grads-8"), *b = new_dir("grads-7");
    ck_assert_int_eq(RUN(LIN, "--momentum", "0.9", "--train-steps", "8",
                         "--out", a), 0);
    ck_assert_int_eq(RUN(LIN, "--momentum", "0.9", "--train-steps", "7",
                         "--out", b), 0);
    char *ga = path_in(a, "grads");
    ck_assert_int_eq(count_entries(ga), 2);
    muon_npy_array g8 = load_grad(ga, "fc0.weight.npy", 6, 8);
    muon_npy_array m8 = load_grad(ga, "fc0.weight.momentum.npy", 6, 8);
    char *gb = path_in(b, "grads");
    muon_npy_array m7 = load_grad(gb, "fc0.weight.momentum.npy", 6, 8);
    const float *g = g8.data, *m = m8.data, *mp = m7.data;
    double sq = 0.0;
    for (size_t i = 0; i < g8.count; i++) {
        sq += (double)g[i] * g[i];
        double t1 = 0.9 * mp[i], t2 = 0.1 * g[i];
        ck_assert_msg(fabs(m[i] - (t1 + t2)) <=
                          TOL_MOMENTUM_F32 * (fabs(t1) + fabs(t2)) + 1e-30,
                      "momentum[%zu] = %.9g, expected 0.9 * %.9g + 0.1 * "
                      "%.9g", i, m[i], mp[i], g[i]);
    }
    char *sp = path_in(a, "steps.csv");
    char **gn = csv_column(sp, "grad_norm");
    size_t last = 0;
    while (gn[last + 1])
        last++;
    double want = strtod(gn[last], NULL);
    ck_assert(sq > 0.0);
    ck_assert_msg(fabs(sqrt(sq) - want) <= TOL_GRADNORM_CSV * want,
                  "||G||_F = %.9g, steps.csv grad_norm %s", sqrt(sq),
                  gn[last]);
    free_strv(gn);
    free(sp);
    muon_npy_array_free(&g8);
    muon_npy_array_free(&m8);
    muon_npy_array_free(&m7);

    /* beta = 0: the momentum buffer is the gradient. */
    char *z = new_dir("grads-beta0"), *gz = path_in(z, "grads");
    ck_assert_int_eq(RUN(LIN, "--momentum", "0", "--train-steps", "3",
                         "--out", z), 0);
    g8 = load_grad(gz, "fc0.weight.npy", 6, 8);
    m8 = load_grad(gz, "fc0.weight.momentum.npy", 6, 8);
    g = g8.data;
    m = m8.data;
    for (size_t i = 0; i < g8.count; i++)
        ck_assert_msg(fabs(m[i] - g[i]) <= TOL_MOMENTUM_F32 * fabs(g[i]),
                      "beta 0: momentum[%zu] %.9g != gradient %.9g", i,
                      m[i], g[i]);
    muon_npy_array_free(&g8);
    muon_npy_array_free(&m8);

    /* An MLP: only the hidden matrix (12 x 16, not square, so a
     * transposed file would fail) is Muon's; input and head go to AdamW. */
    char *c = new_dir("grads-mlp"), *gc = path_in(c, "grads");
    ck_assert_int_eq(RUN("--model", "mlp:8-16-12-2", "--data",
                         "synthetic:teacher,n=256,test=64,hidden=8",
                         "--batch", "16", "--progress", "none",
                         "--train-steps", "3", "--save-grads", "--out", c),
                     0);
    ck_assert_int_eq(count_entries(gc), 2);
    g8 = load_grad(gc, "fc1.weight.npy", 12, 16);
    m8 = load_grad(gc, "fc1.weight.momentum.npy", 12, 16);
    muon_npy_array_free(&g8);
    muon_npy_array_free(&m8);

    /* --opt adamw: no Muon matrix, an empty folder; no flag: no folder. */
    char *d = new_dir("grads-adamw"), *gd = path_in(d, "grads");
    ck_assert_int_eq(RUN(TINY, "--opt", "adamw", "--train-steps", "3",
                         "--save-grads", "--out", d), 0);
    ck_assert_int_eq(count_entries(gd), 0);
    char *e = new_dir("grads-none"), *ge = path_in(e, "grads");
    ck_assert_int_eq(RUN(TINY, "--train-steps", "3", "--out", e), 0);
    ck_assert_int_eq(count_entries(ge), -1);
#undef LIN
    free(a);
    free(b);
    free(c);
    free(d);
    free(e);
    free(z);
    free(ga);
    free(gb);
    free(gc);
    free(gd);
    free(ge);
    free(gz);
}
END_TEST

static int
rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

int
main(void)
{
    gsl_set_error_handler_off();
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("train");
    TCase *tc = tcase_create("options");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_bad_options, 0, NBAD);
    tcase_add_test(tc, test_data_parse);
    suite_add_tcase(s, tc);
    tc = tcase_create("runs");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, NULL, free_tmp_paths);
    tcase_add_test(tc, test_determinism);
    tcase_add_loop_test(tc, test_resume, 0, 3);
    tcase_add_test(tc, test_resume_extend);
    tcase_add_test(tc, test_sigint);
    tcase_add_test(tc, test_overwrite);
    tcase_add_loop_test(tc, test_nan_skip, 0, 3);
    tcase_add_test(tc, test_nan_error);
    tcase_add_test(tc, test_diverge);
    tcase_add_test(tc, test_missing_data);
    tcase_add_test(tc, test_idx_fixture);
    tcase_add_test(tc, test_text);
    tcase_add_loop_test(tc, test_label_width_columns, 0,
                        sizeof label_cases / sizeof label_cases[0]);
    tcase_add_test(tc, test_final_loss_no_val);
    tcase_add_test(tc, test_spectra_mean);
    tcase_add_test(tc, test_save_grads);
    suite_add_tcase(s, tc);
    char probe[256];
    snprintf(probe, sizeof probe, "%s/train-images-idx3-ubyte.gz",
             MUON_FMNIST_DIR);
    if (access(probe, R_OK) == 0) {
        tc = tcase_create("fashion-mnist");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_fmnist_short);
        suite_add_tcase(s, tc);
    } else {
        printf("SKIP: fashion-mnist test (%s absent: apt-get install %s)\n",
               probe, MUON_FMNIST_PACKAGE);
    }
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    int nr = srunner_ntests_run(sr);
    srunner_free(sr);
    printf("%d passed, %d failed\n", nr - nf, nf);
    nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return nf ? 1 : 0;
}
