/* test-sweep.c: experiment files (validation with line numbers and
 * suggestions), grid expansion, the CSV reader, the sweep runner end to end
 * (failures, kill and resume, experiment hash) through fake cell programs,
 * and smoke tests of every plot script. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "muon/status.h"
#include "sweep_lib.h"

static sweep_exp *
parse_ok(const char *text)
{
    sweep_exp *e;
    int rc = sweep_exp_parse(text, "e.json", &e);
    ck_assert_msg(rc == 0, "parse failed: %s", muon_last_error());
    return e;
}

START_TEST(test_grid_expansion)
{
    sweep_exp *e = parse_ok(
        "{\"name\": \"g\", \"command\": \"ortho\",\n"
        " \"fixed\": {\"synthetic\": \"m=8,n=8\", \"format\": \"csv\", "
        "\"steps\": 5, \"lr\": 0.1, \"nesterov\": true},\n"
        " \"grid\": {\"method\": [\"ns5\", \"polar-express\", \"svd\"],"
        " \"precision\": [\"fp32\", \"bf16\"]},\n"
        " \"seeds\": [1, 2]}");
    /* 3 methods x 2 precisions x 2 seeds. */
    ck_assert_uint_eq(e->ncells, 12);
    ck_assert_uint_eq(e->naxes, 3);
    /* Integers stay integers and reals print shortest (PITFALLS 3.1). */
    ck_assert_str_eq(e->fixed_vals[2], "5");
    ck_assert_str_eq(e->fixed_vals[3], "0.1");
    ck_assert_str_eq(e->fixed_vals[4], "true");
    const char *v[3];
    /* Cell 7 = method 1, precision 1, seed 1 (mixed radix, seed fastest):
     * 1*4 + 1*2 + 1 = 7. */
    sweep_cell_values(e, 7, v);
    ck_assert_str_eq(v[0], "polar-express");
    ck_assert_str_eq(v[1], "bf16");
    ck_assert_str_eq(v[2], "2");
    char **argv = sweep_cell_argv(e, 7, "/bin/x", "/o");
    ck_assert_str_eq(argv[0], "/bin/x");
    ck_assert_str_eq(argv[1], "ortho");
    ck_assert_str_eq(argv[2], "--synthetic=m=8,n=8");
    int has_format = 0, has_seed = 0;
    for (size_t i = 0; argv[i]; i++) {
        has_format += !strcmp(argv[i], "--format=csv");
        has_seed += !strcmp(argv[i], "--seed=2");
    }
    ck_assert_int_eq(has_format, 1); /* given in fixed, still once */
    ck_assert_int_eq(has_seed, 1);
    sweep_strv_free(argv);
    sweep_exp_free(e);
}
END_TEST

START_TEST(test_zip_and_outdir)
{
    sweep_exp *e = parse_ok(
        "{\"name\": \"z\", \"command\": \"train\",\n"
        " \"grid\": {\"method\": [\"ns5\", \"adamw\"]},\n"
        " \"zip\": {\"width\": [64, 128, 256], \"lr\": [0.02, 0.01, 0.005]}}");
    /* 2 methods x 3 zipped pairs. */
    ck_assert_uint_eq(e->ncells, 6);
    const char *v[3];
    sweep_cell_values(e, 5, v);
    ck_assert_str_eq(v[0], "adamw");
    ck_assert_str_eq(v[1], "256");
    ck_assert_str_eq(v[2], "0.005");
    char **argv = sweep_cell_argv(e, 0, "x", "/d/cell-0000/out");
    size_t n = 0;
    while (argv[n])
        n++;
    ck_assert_str_eq(argv[n - 1], "--out=/d/cell-0000/out");
    sweep_strv_free(argv);
    char buf[64];
    ck_assert_str_eq(sweep_result_file(e, buf, sizeof buf),
                     "out/summary.csv");
    sweep_exp_free(e);
}
END_TEST

/* Bad experiment files: status and fragments the message must contain. */
static const struct {
    const char *text;
    int status;
    const char *msg1, *msg2;
} bad_cases[] = {
    {"{\"name\": \"a\",\n \"command\": \"ortho\",\n \"name\": \"b\"}",
     MUON_EFORMAT, "e.json:3:", "duplicate"},
    {"{\"name\": \"a\", \"command\": \"ortho\",\n  \"gird\": {}}",
     MUON_EUNKNOWN, "e.json:2:3", "did you mean \"grid\""},
    {"{\"name\": \"a\", \"command\": \"orth\"}", MUON_EUNKNOWN,
     "did you mean \"ortho\"", "spectrum"},
    {"{\"name\": \"a\", \"command\": \"ortho\",\n"
     " \"grid\": {\"method\": []}}",
     MUON_EINVAL, "e.json:2:", "empty"},
    {"{\"name\": \"a\", \"command\": \"ortho\",\n"
     " \"zip\": {\"a\": [1, 2],\n \"b\": [1, 2, 3]}}",
     MUON_EBADLEN, "e.json:3:", "\"b\" has 3"},
    {"{\"name\": \"a\", \"command\": \"ortho\",\n"
     " \"fixed\": {\"method\": {\"x\": 1}}}",
     MUON_EINVAL, "e.json:2:", "is an object"},
    {"{\"name\": \"a\", \"command\": \"ortho\",\n"
     " \"grid\": {\"method\": [\"ns5\", [1]]}}",
     MUON_EINVAL, "value 2 of axis \"method\" is an array", "e.json:2:"},
    {"{\"name\": \"a\", \"command\": \"ortho\", \"fixed\": {\"lr\": 1},\n"
     " \"grid\": {\"lr\": [1, 2]}}",
     MUON_EINVAL, "both \"fixed\" and \"grid\"", "e.json:2:"},
    {"{\"name\": \"a\", \"command\": \"ortho\", \"seeds\": [1, 2.5]}",
     MUON_EINVAL, "seed 2", "integer"},
    {"{\"name\": \"a\", \"command\": \"ortho\", \"result\": \"x.csv\"}",
     MUON_EINVAL, "stdout", "result"},
    {"{\"command\": \"ortho\"}", MUON_EINVAL, "missing required key \"name\"",
     "e.json"},
    {"{\"name\": \"a\", \"command\": \"ortho\",\n"
     " \"fixed\": {\"format\": \"json\"}}",
     MUON_EINVAL, "--format csv", "e.json:2:"},
    {"{\"name\": \"a\", \"command\": \"train\",\n"
     " \"fixed\": {\"out\": \"/tmp\"}}",
     MUON_EINVAL, "set by the sweep runner", "e.json:2:"},
    {"{\"name\": \"../x\", \"command\": \"ortho\"}", MUON_EINVAL,
     "folder name", "../x"},
    {"{\"name\": \"a\", \"command\": \"ortho\", \"grid\": {\"lr\": [1e999]}}",
     MUON_EFORMAT, "e.json:1:", "overflow"},
    {"{\"name\": \"a\", \"command\": \"ortho\",\n"
     " \"grid\": {\"method\": [\"ns5\", \"ns5\"]}}",
     MUON_EINVAL, "twice", "e.json:2:"},
    {"[1, 2]", MUON_EINVAL, "JSON object", "e.json"},
};

START_TEST(test_bad_files)
{
    sweep_exp *e = (sweep_exp *)1;
    muon_clear_error();
    int rc = sweep_exp_parse(bad_cases[_i].text, "e.json", &e);
    const char *msg = muon_last_error();
    ck_assert_msg(rc == bad_cases[_i].status, "case %d: status %d, want %d "
                  "(%s)", _i, rc, bad_cases[_i].status, msg);
    ck_assert_ptr_null(e);
    ck_assert_msg(strstr(msg, bad_cases[_i].msg1) &&
                      strstr(msg, bad_cases[_i].msg2),
                  "case %d: message \"%s\" lacks \"%s\" or \"%s\"", _i, msg,
                  bad_cases[_i].msg1, bad_cases[_i].msg2);
}
END_TEST

START_TEST(test_option_check)
{
    const char *text = "{\"name\": \"a\", \"command\": \"ortho\",\n"
                       " \"fixed\": {\"steps\": 5},\n"
                       " \"grid\": {\"methd\": [\"ns5\"]}}";
    sweep_exp *e = parse_ok(text);
    char **valid = sweep_help_options(
        "usage: muonlab ortho [OPTIONS]\n\noptions:\n"
        "  --method NAME              orthogonalizer\n"
        "  --steps N                  iterations\n"
        "  --nesterov                 flag\n"
        "  --help                     show this help\n");
    ck_assert_ptr_nonnull(valid);
    ck_assert_str_eq(valid[0], "method");
    ck_assert_str_eq(valid[2], "nesterov");
    ck_assert_ptr_null(valid[3]); /* --help is not an option to sweep */
    ck_assert_int_eq(sweep_check_options(e, text, (const char *const *)valid),
                     MUON_EUNKNOWN);
    const char *msg = muon_last_error();
    ck_assert_msg(strstr(msg, "e.json:3:") &&
                      strstr(msg, "did you mean \"method\""),
                  "%s", msg);
    sweep_strv_free(valid);
    sweep_exp_free(e);
}
END_TEST

START_TEST(test_csv_reader)
{
    sweep_csv *c;
    ck_assert_int_eq(sweep_csv_parse("# a\n# b\nx,y,z\n1,\"a,\"\"b\"\"\",3\n"
                                     "\n4,5\n",
                                     "t.csv", &c),
                     0);
    ck_assert_uint_eq(c->ncols, 3);
    ck_assert_uint_eq(c->nrows, 2);
    ck_assert_str_eq(sweep_csv_at(c, 0, 1), "a,\"b\"");
    ck_assert_str_eq(sweep_csv_at(c, 1, 2), ""); /* short row padded */
    ck_assert_uint_eq(c->lines[1], 6);
    ck_assert_int_eq(sweep_csv_col(c, "z"), 2);
    ck_assert_int_eq(sweep_csv_col(c, "w"), -1);
    sweep_csv_free(c);
    ck_assert_int_eq(sweep_csv_parse("x,y\n1,2,3\n", "t.csv", &c),
                     MUON_EFORMAT);
    ck_assert_msg(strstr(muon_last_error(), "t.csv:2:"), "%s",
                  muon_last_error());
    ck_assert_int_eq(sweep_csv_parse("x\n\"open\n", "t.csv", &c),
                     MUON_EFORMAT);
    ck_assert_int_eq(sweep_csv_parse("# only\n", "t.csv", &c), MUON_EFORMAT);
    ck_assert_int_eq(sweep_csv_parse("x,x\n", "t.csv", &c), MUON_EFORMAT);
    ck_assert_int_eq(sweep_csv_read("/nonexistent/r.csv", &c), MUON_EIO);
}
END_TEST

/* ---- the runner, end to end ------------------------------------------- */

static char tool[1024];

static int
have_tool(void)
{
    const char *root = getenv("MUON_BUILD_ROOT");
    if (!root)
        return 0;
    snprintf(tool, sizeof tool, "%s/src/cli/muonlab", root);
    return access(tool, X_OK) == 0;
}

static void
write_text(const char *path, const char *text, int exec)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
    if (exec)
        chmod(path, 0755);
}

/* A fake muonlab: lists options for --help, logs each run, fails for
 * method "bad", sleeps for --sleep, prints one CSV row. */
static const char *fake_script =
    "#!/bin/sh\n"
    "cmd=$1; shift\n"
    "if [ \"$1\" = --help ]; then\n"
    "  printf 'options:\\n  --method M  m\\n  --sleep S  s\\n"
    "  --seed N  s\\n  --format F  f\\n'; exit 0; fi\n"
    "for a in \"$@\"; do case $a in --method=*) m=${a#--method=};;"
    " --seed=*) s=${a#--seed=};; --sleep=*) sl=${a#--sleep=};; esac; done\n"
    "echo \"$m $s\" >> \"$SWEEP_LOG\"\n"
    "[ -n \"$sl\" ] && sleep $sl\n"
    "if [ \"$m\" = bad ]; then echo 'boom: method bad' >&2; exit 4; fi\n"
    "echo '# provenance'\n"
    "echo 'method,seed,loss'\n"
    "echo \"$m,$s,0.$s\"\n";

static char tmp[64];

static void
setup_dir(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/muon-sweep-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    char p[256];
    snprintf(p, sizeof p, "%s/fake.sh", tmp);
    write_text(p, fake_script, 1);
    setenv("MUON_SWEEP_EXE", p, 1);
    snprintf(p, sizeof p, "%s/log", tmp);
    setenv("SWEEP_LOG", p, 1);
}

static void
cleanup_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    ck_assert_int_eq(system(cmd), 0);
}

static int
run_sweep(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd %s && %s sweep %s 2>>%s/sweep.err "
             ">>%s/sweep.out", tmp, tool, args, tmp, tmp);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static sweep_csv *
read_results(const char *dir)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s/results.csv", tmp, dir);
    sweep_csv *c;
    ck_assert_msg(sweep_csv_read(p, &c) == 0, "%s", muon_last_error());
    return c;
}

static size_t
count_lines(const char *path, const char *line)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char buf[256];
    size_t n = 0;
    while (fgets(buf, sizeof buf, f))
        n += !line || !strncmp(buf, line, strlen(line));
    fclose(f);
    return n;
}

START_TEST(test_sweep_failures)
{
    if (!have_tool()) {
        fprintf(stderr, "test_sweep_failures: muonlab not built, skipped\n");
        return;
    }
    setup_dir();
    char p[256];
    snprintf(p, sizeof p, "%s/e.json", tmp);
    write_text(p, "{\"name\": \"f\", \"command\": \"ortho\",\n"
                  " \"grid\": {\"method\": [\"ns5\", \"bad\"]},\n"
                  " \"seeds\": [1, 2]}\n", 0);
    /* --dry-run lists the cells, creates nothing. */
    ck_assert_int_eq(run_sweep("e.json --dry-run --out o"), 0);
    snprintf(p, sizeof p, "%s/sweep.out", tmp);
    ck_assert_uint_eq(count_lines(p, "cell-"), 4);
    ck_assert_uint_eq(count_lines(p, "4 cells (0 done, 0 failed, 4 pending)"),
                      1);
    snprintf(p, sizeof p, "%s/o", tmp);
    ck_assert_int_ne(access(p, F_OK), 0);

    /* Two failed cells: the sweep goes on and exits 1. */
    ck_assert_int_eq(run_sweep("e.json --out o --jobs 2"), 1);
    sweep_csv *c = read_results("o");
    ck_assert_uint_eq(c->nrows, 4);
    long st = sweep_csv_col(c, "status"), err = sweep_csv_col(c, "error"),
         ex = sweep_csv_col(c, "exit"), loss = sweep_csv_col(c, "loss"),
         m = sweep_csv_col(c, "method");
    ck_assert(st >= 0 && err >= 0 && ex >= 0 && loss >= 0 && m >= 0);
    for (size_t r = 0; r < c->nrows; r++) {
        int isbad = !strcmp(sweep_csv_at(c, r, m), "bad");
        ck_assert_str_eq(sweep_csv_at(c, r, st), isbad ? "failed" : "ok");
        ck_assert_str_eq(sweep_csv_at(c, r, ex), isbad ? "4" : "0");
        if (isbad)
            ck_assert_msg(strstr(sweep_csv_at(c, r, err), "boom: method bad"),
                          "%s", sweep_csv_at(c, r, err));
        else
            ck_assert_str_ne(sweep_csv_at(c, r, loss), "");
    }
    sweep_csv_free(c);
    /* A rerun does nothing new; --resume-failed reruns only the failed. */
    snprintf(p, sizeof p, "%s/log", tmp);
    ck_assert_uint_eq(count_lines(p, NULL), 4);
    ck_assert_int_eq(run_sweep("e.json --out o"), 1);
    ck_assert_uint_eq(count_lines(p, NULL), 4);
    ck_assert_int_eq(run_sweep("e.json --out o --resume-failed"), 1);
    ck_assert_uint_eq(count_lines(p, NULL), 6);
    ck_assert_uint_eq(count_lines(p, "bad"), 4);

    /* A different experiment in the same folder is refused... */
    snprintf(p, sizeof p, "%s/e2.json", tmp);
    write_text(p, "{\"name\": \"f\", \"command\": \"ortho\",\n"
                  " \"grid\": {\"method\": [\"ns5\"]}}\n", 0);
    ck_assert_int_eq(run_sweep("e2.json --out o"), 2);
    snprintf(p, sizeof p, "%s/sweep.err", tmp);
    ck_assert_uint_eq(count_lines(p, "muonlab sweep: error: o holds the "
                                     "results of a different experiment"),
                      1);
    /* ...unless --force, which moves the old cells aside. */
    ck_assert_int_eq(run_sweep("e2.json --out o --force"), 0);
    c = read_results("o");
    ck_assert_uint_eq(c->nrows, 1);
    sweep_csv_free(c);
    /* An unknown option is caught before any cell runs. */
    snprintf(p, sizeof p, "%s/e3.json", tmp);
    write_text(p, "{\"name\": \"f\", \"command\": \"ortho\",\n"
                  " \"grid\": {\"metod\": [\"ns5\"]}}\n", 0);
    ck_assert_int_eq(run_sweep("e3.json --out o3"), 2);
    snprintf(p, sizeof p, "%s/sweep.err", tmp);
    ck_assert_uint_eq(count_lines(p, "muonlab sweep: error: e3.json:2:"), 1);
    cleanup_dir();
}
END_TEST

START_TEST(test_sweep_kill_resume)
{
    if (!have_tool()) {
        fprintf(stderr, "test_sweep_kill_resume: muonlab not built, "
                        "skipped\n");
        return;
    }
    setup_dir();
    char p[256], log[256];
    snprintf(p, sizeof p, "%s/e.json", tmp);
    write_text(p, "{\"name\": \"k\", \"command\": \"ortho\",\n"
                  " \"fixed\": {\"sleep\": 0.2},\n"
                  " \"grid\": {\"method\": [\"a\", \"b\", \"c\"]},\n"
                  " \"seeds\": [1, 2, 3, 4]}\n", 0);
    snprintf(log, sizeof log, "%s/log", tmp);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        ck_assert_int_eq(chdir(tmp), 0);
        freopen("/dev/null", "w", stderr);
        execl(tool, tool, "sweep", "e.json", "--out", "o", "--jobs", "2",
              (char *)NULL);
        _exit(127);
    }
    /* Kill it hard once a few cells have finished. */
    char done0[256];
    snprintf(done0, sizeof done0, "%s/o/cells/cell-0002/done", tmp);
    for (int i = 0; i < 200 && access(done0, F_OK); i++)
        usleep(20000);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    ck_assert(WIFSIGNALED(st));
    size_t finished = 0;
    int was_done[12];
    for (int i = 0; i < 12; i++) {
        snprintf(p, sizeof p, "%s/o/cells/cell-%04d/done", tmp, i);
        was_done[i] = access(p, F_OK) == 0;
        finished += (size_t)was_done[i];
    }
    ck_assert_msg(finished >= 3 && finished < 12, "finished %zu", finished);
    usleep(300000); /* let killed cells' orphans (if any) finish writing */
    /* Restart with the same command: finishes, no cell lost or doubled. */
    ck_assert_int_eq(run_sweep("e.json --out o --jobs 2"), 0);
    sweep_csv *c = read_results("o");
    ck_assert_uint_eq(c->nrows, 12);
    long cell = sweep_csv_col(c, "cell");
    for (size_t r = 0; r < 12; r++) {
        char want[16];
        snprintf(want, sizeof want, "cell-%04zu", r);
        ck_assert_str_eq(sweep_csv_at(c, r, cell), want);
        ck_assert_str_eq(sweep_csv_at(c, r, sweep_csv_col(c, "status")), "ok");
    }
    sweep_csv_free(c);
    /* Cells finished before the kill were not run again. */
    for (int i = 0; i < 12; i++) {
        if (!was_done[i])
            continue;
        char line[32];
        snprintf(line, sizeof line, "%c %d\n", 'a' + i / 4, i % 4 + 1);
        ck_assert_msg(count_lines(log, line) == 1, "cell %d ran %zu times", i,
                      count_lines(log, line));
    }
    cleanup_dir();
}
END_TEST

/* ---- plot scripts ---------------------------------------------------- */

static const struct {
    const char *figure;
    const char *csv;
    const char *marker; /* must appear in the text rendering */
} plot_cases[] = {
    {"scalar-maps",
     "# prov\nmethod,x,px,status\nns5,0.0001,0.0003,ok\nns5,0.1,0.3,ok\n"
     "ns5,1,1,ok\npolar-express,0.0001,0.0008,ok\npolar-express,1,1,ok\n",
     "polar-express"},
    {"spread",
     "method,precision,cond,sigma_min,sigma_max,status\n"
     "ns5,fp32,10,0.7,1.1,ok\nns5,fp32,1000,0.3,1.1,ok\n"
     "ns5,bf16,10,0.7,1.2,ok\nns5,bf16,1000,nan,nan,diverged\n",
     "diverged/failed (1)"},
    /* A failed cell: no result columns, so no cond; counted in the
     * title.  A diverged row with its cond: a cross in its panel. */
    {"spread-steps",
     "method,precision,synthetic,steps,status,cond,polar_err\n"
     "ns5,fp32,\"m=8,cond=1e2\",3,ok,100,0.5\n"
     "ns5,fp32,\"m=8,cond=1e2\",5,ok,100,0.2\n"
     "ns5,bf16,\"m=8,cond=1e2\",3,ok,100,0.5\n"
     "ns5,bf16,\"m=8,cond=1e2\",5,diverged,100,nan\n"
     "cans,fp32,\"m=8,cond=1e4\",3,ok,10000,0.6\n"
     "cans,fp32,\"m=8,cond=1e4\",5,ok,10000,0.3\n"
     "cans,bf16,\"m=8,cond=1e4\",3,ok,10000,0.6\n"
     "cans,bf16,\"m=8,cond=1e4\",5,failed,,\n",
     "1 failed cells without output"},
    {"throughput",
     "method,m,n,gflops,gemm_gflops,status\nns5,64,64,5,20,ok\n"
     "ns5,256,256,40,100,ok\nns5,64,256,8,30,ok\nns5,128,512,50,90,ok\n"
     "svd,64,64,,20,failed\n",
     "failed (1)"},
    {"convergence",
     "method,step,n,n_invalid,mean,sd,ci_lo,ci_hi\n"
     "ns5,0,3,0,2,0.1,1.8,2.2\nns5,10,3,0,1,0.1,0.8,1.2\n"
     "adamw,0,3,0,2,0.1,1.9,2.1\nadamw,10,3,1,1.5,0.1,1.3,1.7\n",
     "steps with diverged runs (1)"},
    {"lr-transfer",
     "scale,width,lr,final_loss,status\nspectral,64,0.01,1.5,ok\n"
     "spectral,64,0.1,1.2,ok\nspectral,256,0.01,1.4,ok\n"
     "spectral,256,0.1,nan,diverged\nnone,64,0.01,2,ok\nnone,64,0.1,1.8,ok\n",
     "diverged (1)"},
    /* The statistics muonlab plot writes for a training sweep: loss,
     * validation accuracy and wall time, grouped by label. */
    {"convergence",
     "method,step,n,n_invalid,mean,sd,ci_lo,ci_hi,val_acc_mean,val_acc_lo,"
     "val_acc_hi,time_s_mean,time_s_lo,time_s_hi,metric\n"
     "ns5,0,3,0,2.3,0.1,2.2,2.4,0.1,0.09,0.11,0,0,0,val_loss\n"
     "ns5,100,3,0,0.5,0.1,0.4,0.6,0.8,0.78,0.82,1.5,1.4,1.6,val_loss\n"
     "ns5,200,2,1,0.4,0.1,0.3,0.5,0.85,0.83,0.87,3,2.9,3.1,val_loss\n"
     "adamw,0,3,0,2.3,0.1,2.2,2.4,0.1,0.09,0.11,0,0,0,val_loss\n"
     "adamw,100,3,0,0.6,0.1,0.5,0.7,0.75,0.7,0.8,1,0.9,1.1,val_loss\n"
     "adamw,200,3,0,0.5,0.1,0.4,0.6,0.8,0.78,0.82,2,1.9,2.1,val_loss\n",
     "validation accuracy vs step"},
    /* A regression: no accuracy (nan), two panels; one seed (nan CI). */
    {"convergence",
     "method,step,n,n_invalid,mean,sd,ci_lo,ci_hi,val_acc_mean,val_acc_lo,"
     "val_acc_hi,time_s_mean,time_s_lo,time_s_hi,metric\n"
     "svd,0,1,0,0.5,nan,nan,nan,nan,nan,nan,0,nan,nan,val_loss\n"
     "svd,10,1,0,0.05,nan,nan,nan,nan,nan,nan,1,nan,nan,val_loss\n"
     "adamw,0,1,0,0.5,nan,nan,nan,nan,nan,nan,0,nan,nan,val_loss\n"
     "adamw,10,0,1,nan,nan,nan,nan,nan,nan,nan,nan,nan,nan,val_loss\n",
     "steps with diverged runs (1)"},
    {"coeffs",
     "method,precision,n,n_invalid,mean,sd,ci_lo,ci_hi,test_acc_mean,"
     "test_acc_lo,test_acc_hi,metric\n"
     "ns5,fp32,3,0,0.37,0.01,0.35,0.39,0.85,0.84,0.86,final_loss\n"
     "ns5,bf16,3,0,0.37,0.01,0.35,0.39,0.85,0.84,0.86,final_loss\n"
     "cans,fp32,3,0,0.36,0.01,0.35,0.37,0.86,0.85,0.87,final_loss\n"
     "cans,bf16,2,1,0.38,0.01,0.36,0.40,0.84,0.83,0.85,final_loss\n",
     "diverged/failed runs (1)"},
};

static int
have_gnuplot(void)
{
    return system("gnuplot --version >/dev/null 2>&1") == 0;
}

START_TEST(test_plot_scripts)
{
    const char *src = getenv("MUON_SOURCE_ROOT");
    if (!src || !have_gnuplot()) {
        fprintf(stderr, "test_plot_scripts: gnuplot or MUON_SOURCE_ROOT "
                        "missing, skipped\n");
        return;
    }
    char dir[] = "/tmp/muon-plot-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char in[256], cmd[2048];
    snprintf(in, sizeof in, "%s/in.csv", dir);
    write_text(in, plot_cases[_i].csv, 0);
    static const char *const exts[] = {"txt", "png", "pdf"};
    for (size_t k = 0; k < 3; k++) {
        snprintf(cmd, sizeof cmd, "gnuplot -c %s/plots/fig-%s.gp %s %s/out.%s"
                 " 2>%s/err.txt", src, plot_cases[_i].figure, in, dir,
                 exts[k], dir);
        ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
        char out[256];
        snprintf(out, sizeof out, "%s/out.%s", dir, exts[k]);
        struct stat sb;
        ck_assert_msg(stat(out, &sb) == 0 && sb.st_size > 500,
                      "%s: no output", out);
        snprintf(out, sizeof out, "%s/err.txt", dir);
        ck_assert_msg(count_lines(out, NULL) == 0, "%s: gnuplot printed "
                      "warnings (see %s)", plot_cases[_i].figure, out);
    }
    snprintf(cmd, sizeof cmd, "grep -qF '%s' %s/out.txt",
             plot_cases[_i].marker, dir);
    ck_assert_msg(system(cmd) == 0, "%s: '%s' missing from the figure",
                  plot_cases[_i].figure, plot_cases[_i].marker);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* `muonlab plot` finds results/<figure>[-suffix]/results.csv, computes the
 * statistics over seeds for convergence, and runs the scripts. */
START_TEST(test_plot_command)
{
    const char *src = getenv("MUON_SOURCE_ROOT");
    if (!src || !have_gnuplot() || !have_tool()) {
        fprintf(stderr, "test_plot_command: skipped\n");
        return;
    }
    char dir[] = "/tmp/muon-plot-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char p[256], cmd[2048];
    snprintf(p, sizeof p, "%s/r/convergence-mlp", dir);
    ck_assert_int_eq(sweep_mkdirs(p), 0);
    snprintf(p, sizeof p, "%s/r/convergence-mlp/results.csv", dir);
    write_text(p, "# prov\ncell,method,seed,status,step,loss\n"
                  "c0,ns5,1,ok,0,2\nc0,ns5,1,ok,10,1\n"
                  "c1,ns5,2,ok,0,2.2\nc1,ns5,2,ok,10,1.2\n"
                  "c2,adamw,1,ok,0,2\nc2,adamw,1,ok,10,1.5\n"
                  "c3,adamw,2,diverged,0,2.1\nc3,adamw,2,diverged,10,nan\n",
               0);
    snprintf(cmd, sizeof cmd, "%s plot --results %s/r --out %s/fig --plots "
             "%s/plots --format txt,png >%s/out.txt 2>%s/err.txt", tool, dir,
             dir, src, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(p, sizeof p, "%s/fig/convergence-mlp.png", dir);
    ck_assert_int_eq(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s/fig/convergence-mlp-stats.csv", dir);
    sweep_csv *c;
    ck_assert_int_eq(sweep_csv_read(p, &c), 0);
    ck_assert_uint_eq(c->nrows, 4); /* (method, step) groups */
    sweep_csv_free(c);
    snprintf(cmd, sizeof cmd, "grep -qF 'steps with diverged runs (2)' "
             "%s/fig/convergence-mlp.txt", dir);
    ck_assert_int_eq(system(cmd), 0);
    /* No results at all: exit 3 (data). */
    snprintf(p, sizeof p, "%s/empty", dir);
    ck_assert_int_eq(sweep_mkdirs(p), 0);
    snprintf(cmd, sizeof cmd, "%s plot --results %s/empty --out %s/fig "
             "--plots %s/plots 2>/dev/null", tool, dir, dir, src);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 3);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Training sweeps that merge eval.csv: muonlab plot groups by `label`
 * (Muon methods and AdamW in one figure) and joins the validation loss,
 * accuracy and wall time statistics into one table. */
START_TEST(test_plot_labels)
{
    const char *src = getenv("MUON_SOURCE_ROOT");
    if (!src || !have_gnuplot() || !have_tool()) {
        fprintf(stderr, "test_plot_labels: skipped\n");
        return;
    }
    char dir[] = "/tmp/muon-plot-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char p[256], cmd[2048];
    snprintf(p, sizeof p, "%s/r/convergence-x", dir);
    ck_assert_int_eq(sweep_mkdirs(p), 0);
    snprintf(p, sizeof p, "%s/r/convergence-x/results.csv", dir);
    /* method is the sweep axis (ns5 also for the AdamW cells); label is
     * what the runs were. */
    write_text(p, "# prov\ncell,opt,method,seed,status,step,time_s,"
                  "val_loss,val_acc,label\n"
                  "c0,muon,ns5,1,ok,0,0,2,0.1,ns5\n"
                  "c0,muon,ns5,1,ok,10,1,1,0.8,ns5\n"
                  "c1,muon,ns5,2,ok,0,0,2.2,0.1,ns5\n"
                  "c1,muon,ns5,2,ok,10,3,1.2,0.7,ns5\n"
                  "c2,adamw,ns5,1,ok,0,0,2,0.1,adamw\n"
                  "c2,adamw,ns5,1,ok,10,2,1.5,0.6,adamw\n", 0);
    snprintf(cmd, sizeof cmd, "%s plot --results %s/r --out %s/fig --plots "
             "%s/plots --format txt >%s/out.txt 2>%s/err.txt", tool, dir,
             dir, src, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(p, sizeof p, "%s/fig/convergence-x-stats.csv", dir);
    sweep_csv *c;
    ck_assert_int_eq(sweep_csv_read(p, &c), 0);
    ck_assert_uint_eq(c->nrows, 4); /* (label, step): ns5 and adamw */
    long lab = sweep_csv_col(c, "method"), step = sweep_csv_col(c, "step"),
         mean = sweep_csv_col(c, "mean"), acc = sweep_csv_col(c,
                                                              "val_acc_mean"),
         tm = sweep_csv_col(c, "time_s_mean"), n = sweep_csv_col(c, "n"),
         met = sweep_csv_col(c, "metric");
    ck_assert(lab >= 0 && step >= 0 && mean >= 0 && acc >= 0 && tm >= 0 &&
              n >= 0 && met >= 0);
    int seen = 0;
    for (size_t r = 0; r < c->nrows; r++) {
        ck_assert_str_eq(sweep_csv_at(c, r, (size_t)met), "val_loss");
        if (!strcmp(sweep_csv_at(c, r, (size_t)lab), "ns5") &&
            !strcmp(sweep_csv_at(c, r, (size_t)step), "10")) {
            /* means of the two seeds: (1 + 1.2) / 2, (0.8 + 0.7) / 2,
             * (1 + 3) / 2 */
            ck_assert_str_eq(sweep_csv_at(c, r, (size_t)n), "2");
            ck_assert_double_eq_tol(
                strtod(sweep_csv_at(c, r, (size_t)mean), NULL), 1.1, 1e-12);
            ck_assert_double_eq_tol(
                strtod(sweep_csv_at(c, r, (size_t)acc), NULL), 0.75, 1e-12);
            ck_assert_double_eq_tol(
                strtod(sweep_csv_at(c, r, (size_t)tm), NULL), 2.0, 1e-12);
            seen |= 1;
        }
        if (!strcmp(sweep_csv_at(c, r, (size_t)lab), "adamw") &&
            !strcmp(sweep_csv_at(c, r, (size_t)step), "10")) {
            ck_assert_str_eq(sweep_csv_at(c, r, (size_t)n), "1");
            ck_assert_double_eq_tol(
                strtod(sweep_csv_at(c, r, (size_t)mean), NULL), 1.5, 1e-12);
            seen |= 2;
        }
    }
    ck_assert_int_eq(seen, 3);
    sweep_csv_free(c);
    snprintf(cmd, sizeof cmd, "grep -qF 'wall time' %s/fig/convergence-x.txt",
             dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* `muonlab stats --where KEY=VALUE,...` keeps only the matching rows. */
START_TEST(test_stats_where)
{
    if (!have_tool()) {
        fprintf(stderr, "test_stats_where: skipped\n");
        return;
    }
    char dir[] = "/tmp/muon-where-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char p[256], cmd[2048];
    snprintf(p, sizeof p, "%s/r.csv", dir);
    write_text(p, "# prov\nmethod,cond,precision,err,status\n"
                  "ns5,10,fp32,1,ok\nns5,10,fp32,3,ok\nns5,10,bf16,100,ok\n"
                  "ns5,1000,fp32,50,ok\ncans,10,fp32,7,ok\n", 0);
    /* cond=10 and fp32: ns5 mean (1 + 3) / 2 = 2 over 2 rows, cans 7. */
    snprintf(cmd, sizeof cmd, "%s stats %s --by method --metric err --where "
             "cond=10,precision=fp32 --format csv >%s/out.csv 2>%s/err.txt",
             tool, p, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(p, sizeof p, "%s/out.csv", dir);
    sweep_csv *c;
    ck_assert_int_eq(sweep_csv_read(p, &c), 0);
    ck_assert_uint_eq(c->nrows, 2);
    ck_assert_str_eq(sweep_csv_at(c, 0, 0), "ns5");
    ck_assert_str_eq(sweep_csv_at(c, 0, (size_t)sweep_csv_col(c, "n")), "2");
    ck_assert_double_eq_tol(
        strtod(sweep_csv_at(c, 0, (size_t)sweep_csv_col(c, "mean")), NULL),
        2.0, 1e-12);
    ck_assert_str_eq(sweep_csv_at(c, 1, 0), "cans");
    sweep_csv_free(c);
    /* An unknown column is a usage error naming the closest one; a filter
     * that matches nothing is an error too (not an empty table). */
    snprintf(cmd, sizeof cmd, "%s stats %s/r.csv --metric err --where "
             "precison=fp32 2>%s/err.txt >/dev/null", tool, dir, dir);
    int st = system(cmd);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    snprintf(cmd, sizeof cmd, "grep -qF 'precision' %s/err.txt", dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s stats %s/r.csv --metric err --where "
             "method=svd 2>%s/err.txt >/dev/null", tool, dir, dir);
    st = system(cmd);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    snprintf(cmd, sizeof cmd, "%s stats %s/r.csv --metric err --where "
             "method 2>/dev/null >/dev/null", tool, dir);
    st = system(cmd);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *
sweep_suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("files");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_grid_expansion);
    tcase_add_test(tc, test_zip_and_outdir);
    tcase_add_loop_test(tc, test_bad_files, 0,
                        sizeof bad_cases / sizeof bad_cases[0]);
    tcase_add_test(tc, test_option_check);
    tcase_add_test(tc, test_csv_reader);
    suite_add_tcase(s, tc);
    tc = tcase_create("runner");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sweep_failures);
    tcase_add_test(tc, test_sweep_kill_resume);
    suite_add_tcase(s, tc);
    tc = tcase_create("plots");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_plot_scripts, 0,
                        sizeof plot_cases / sizeof plot_cases[0]);
    tcase_add_test(tc, test_plot_command);
    tcase_add_test(tc, test_plot_labels);
    tcase_add_test(tc, test_stats_where);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(sweep_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    int run = srunner_ntests_run(sr);
    srunner_free(sr);
    printf("%d passed, %d failed\n", run - failed, failed);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
