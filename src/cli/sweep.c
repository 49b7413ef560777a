/* sweep.c: `muonlab sweep FILE`: runs every cell of an experiment grid as a
 * child muonlab process, resumably and in parallel, and rebuilds one tidy
 * results.csv from the cells' own result files. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "muon/metrics.h"
#include "muon/status.h"
#include "sweep_lib.h"

#define CMD "sweep"
#define PATHLEN 4096
/* Rebuild results.csv while running at most this often, so a long sweep
 * can be inspected without waiting for the end. */
#define REBUILD_SECONDS 10.0

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
    stop_signal = sig;
}

/* The executable each cell runs: the test seam MUON_SWEEP_EXE, else this
 * very binary. */
static int
find_exe(char *buf, size_t cap)
{
    const char *env = getenv("MUON_SWEEP_EXE");
    if (env && *env) {
        snprintf(buf, cap, "%s", env);
        return MUON_SUCCESS;
    }
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
    if (n < 0)
        return MUON_ERROR(MUON_EIO, "cannot find the muonlab executable "
                          "(/proc/self/exe): %s", strerror(errno));
    buf[n] = '\0';
    return MUON_SUCCESS;
}

/* Runs argv with stdout to out_path (or captured into *captured when
 * out_path is NULL) and stderr to err_path (NULL: /dev/null).  Returns the
 * child's pid, or -1 (reported). */
static pid_t
spawn(char **argv, const char *out_path, const char *err_path, int *pipe_rd)
{
    int fds[2] = {-1, -1};
    if (pipe_rd && pipe2(fds, O_CLOEXEC))
    {
        muon_error_at(__FILE__, __LINE__, MUON_EIO, "pipe: %s",
                      strerror(errno));
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        if (pipe_rd) {
            close(fds[0]);
            close(fds[1]);
        }
        muon_error_at(__FILE__, __LINE__, MUON_EIO, "fork: %s", strerror(e));
        return -1;
    }
    if (pid == 0) {
        /* A killed sweep must not leave cells running: an orphan would
         * race its own rerun for the same files. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        int in = open("/dev/null", O_RDONLY);
        int out = pipe_rd ? fds[1]
                          : open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(err_path ? err_path : "/dev/null",
                       O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 ||
            dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(127);
        execv(argv[0], argv);
        fprintf(stderr, "muonlab sweep: cannot run %s: %s\n", argv[0],
                strerror(errno));
        _exit(127);
    }
    if (pipe_rd) {
        close(fds[1]);
        *pipe_rd = fds[0];
    }
    return pid;
}

/* The option names of `muonlab COMMAND --help`, to validate the file's
 * keys before any cell runs. */
static int
command_options(const char *exe, const char *command, char ***names)
{
    char *argv[] = {(char *)exe, (char *)command, "--help", NULL};
    int rd;
    *names = NULL;
    pid_t pid = spawn(argv, NULL, NULL, &rd);
    if (pid < 0)
        return MUON_EIO;
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    ssize_t n = 0;
    while (buf && (n = read(rd, buf + len, cap - len - 1)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        len += (size_t)n;
        if (len + 1 == cap) {
            char *nb = realloc(buf, 2 * cap);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
    }
    close(rd);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!buf)
        return MUON_ERROR(MUON_ENOMEM, "out of memory");
    buf[len] = '\0';
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
        !(*names = sweep_help_options(buf))) {
        free(buf);
        return MUON_ERROR(MUON_EUNKNOWN, "cannot list the options of "
                          "`muonlab %s` (`%s %s --help` failed or listed no "
                          "options): is this subcommand built?", command, exe,
                          command);
    }
    free(buf);
    return MUON_SUCCESS;
}

static int
unlink_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* Removes what a previous, unfinished attempt left in the cell folder. */
static int
reset_cell(const char *celldir)
{
    static const char *const files[] = {"failed", "stdout.csv", "stdout.txt",
                                        "stderr.txt"};
    char path[PATHLEN + 32];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", celldir, files[i]);
        if (remove(path) && errno != ENOENT)
            return MUON_ERROR(MUON_EIO, "cannot remove %s: %s", path,
                              strerror(errno));
    }
    snprintf(path, sizeof path, "%s/out", celldir);
    if (access(path, F_OK) == 0 &&
        nftw(path, unlink_cb, 16, FTW_DEPTH | FTW_PHYS))
        return MUON_ERROR(MUON_EIO, "cannot remove %s: %s", path,
                          strerror(errno));
    return sweep_mkdirs(celldir);
}

/* The command line of a cell, shell-quoted, kept in its folder so that one
 * cell can be rerun by hand. */
static int
write_cmd_file(const char *celldir, char **argv)
{
    size_t cap = 256;
    for (size_t i = 0; argv[i]; i++)
        cap += 4 * strlen(argv[i]) + 3;
    char *s = malloc(cap), *p = s;
    if (!s)
        return MUON_ERROR(MUON_ENOMEM, "out of memory");
    for (size_t i = 0; argv[i]; i++) {
        *p++ = i ? ' ' : '\0';
        if (!i)
            p--;
        *p++ = '\'';
        for (const char *q = argv[i]; *q; q++) {
            if (*q == '\'') {
                memcpy(p, "'\\''", 4);
                p += 4;
            } else {
                *p++ = *q;
            }
        }
        *p++ = '\'';
    }
    *p++ = '\n';
    *p = '\0';
    char path[PATHLEN + 8];
    snprintf(path, sizeof path, "%s/cmd", celldir);
    int rc = sweep_write_file(path, s);
    free(s);
    return rc;
}

static int
rebuild_results(const sweep_exp *e, const char *dir, size_t *nfailed,
                size_t *ndone)
{
    cli_table *t;
    int rc = sweep_collect(e, dir, &t, nfailed, ndone);
    if (rc)
        return rc;
    char path[PATHLEN + 16];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    rc = cli_table_save(t, path, CLI_CSV);
    cli_table_free(t);
    return rc;
}

typedef struct {
    size_t total, done, failed, running, ran_now;
    double t0;
    int tty;
    double last; /* when the last plain log line was printed */
} progress;

static void
show_progress(progress *p, int final)
{
    /* A terminal gets a bar updated in place; a log file gets a line at
     * most every 10 s (and the final one), not one per cell. */
    if (!p->tty && !final) {
        if (muon_time_now() - p->last < 10.0)
            return;
        p->last = muon_time_now();
    }
    char eta[48] = "";
    if (p->ran_now && p->done + p->failed < p->total) {
        double el = muon_time_now() - p->t0;
        double left = el / (double)p->ran_now *
                      (double)(p->total - p->done - p->failed);
        snprintf(eta, sizeof eta, ", ETA %dh%02dm%02ds", (int)(left / 3600),
                 (int)(left / 60) % 60, (int)left % 60);
    }
    fprintf(stderr, "%ssweep: %zu/%zu cells done, %zu failed, %zu running%s%s",
            p->tty ? "\r" : "", p->done + p->failed, p->total, p->failed,
            p->running, eta, p->tty ? "\033[K" : "\n");
    if (p->tty && final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* Checks the experiment hash recorded in DIR; with --force a different
 * experiment's cells are moved aside (never deleted). */
static int
claim_dir(const sweep_exp *e, const char *dir, int force)
{
    char path[PATHLEN + 32], hash[32], *old = NULL;
    snprintf(hash, sizeof hash, "%016llx\n", e->hash);
    snprintf(path, sizeof path, "%s/experiment.hash", dir);
    int have = access(path, F_OK) == 0;
    if (have && sweep_read_file(path, &old))
        return MUON_EIO;
    if (have && strcmp(old, hash)) {
        if (!force) {
            int rc = MUON_ERROR(MUON_EINVAL, "%s holds the results of a "
                                "different experiment (hash %.16s, this file "
                                "%.16s); use another --out, or --force to "
                                "move its cells aside", dir, old, hash);
            free(old);
            return rc;
        }
        char from[PATHLEN + 16], to[PATHLEN + 64];
        snprintf(from, sizeof from, "%s/cells", dir);
        snprintf(to, sizeof to, "%s/cells.old-%.16s", dir, old);
        if (access(from, F_OK) == 0 && rename(from, to)) {
            int rc = MUON_ERROR(MUON_EIO, "cannot move %s to %s: %s", from, to,
                                strerror(errno));
            free(old);
            return rc;
        }
    }
    free(old);
    if (!have && !force) {
        snprintf(path, sizeof path, "%s/cells", dir);
        if (access(path, F_OK) == 0)
            return MUON_ERROR(MUON_EINVAL, "%s has cells but no "
                              "experiment.hash; use --force to reuse it", dir);
    }
    snprintf(path, sizeof path, "%s/experiment.json", dir);
    char *canon;
    if (asprintf(&canon, "%s\n", e->canonical) < 0)
        return MUON_ERROR(MUON_ENOMEM, "out of memory");
    int rc = sweep_write_file(path, canon);
    free(canon);
    snprintf(path, sizeof path, "%s/experiment.hash", dir);
    return rc ? rc : sweep_write_file(path, hash);
}

static void
dry_run(const sweep_exp *e, const char *dir, const char *exe)
{
    size_t state[3] = {0, 0, 0};
    char celldir[PATHLEN];
    for (size_t i = 0; i < e->ncells; i++) {
        sweep_cell_dir(dir, i, celldir, sizeof celldir);
        int s = sweep_cell_state(celldir, NULL);
        state[s]++;
        char **argv = sweep_cell_argv(e, i, exe, "OUT");
        printf("cell-%04zu %-7s", i,
               s == SWEEP_DONE ? "done" : s == SWEEP_FAILED ? "failed"
                                                             : "pending");
        for (size_t k = 1; argv && argv[k]; k++)
            printf(" %s", argv[k]);
        printf("\n");
        sweep_strv_free(argv);
    }
    printf("%zu cells (%zu done, %zu failed, %zu pending) -> %s\n", e->ncells,
           state[SWEEP_DONE], state[SWEEP_FAILED], state[SWEEP_PENDING], dir);
}

typedef struct {
    pid_t pid;
    size_t cell;
} slot;

/* Runs the cells in `todo`; returns MUON_EINTERRUPT if a signal stopped
 * it (running cells are killed and stay pending). */
static int
run_cells(const sweep_exp *e, const char *dir, const char *exe,
          const size_t *todo, size_t ntodo, size_t jobs, progress *pg)
{
    slot *slots = calloc(jobs, sizeof *slots);
    if (!slots)
        return MUON_ERROR(MUON_ENOMEM, "out of memory");
    size_t next = 0;
    int rc = MUON_SUCCESS;
    double last_rebuild = muon_time_now();
    char celldir[PATHLEN], out[PATHLEN + 16], err[PATHLEN + 16];
    for (;;) {
        while (!rc && !stop_signal && next < ntodo && pg->running < jobs) {
            size_t cell = todo[next++];
            sweep_cell_dir(dir, cell, celldir, sizeof celldir);
            snprintf(out, sizeof out, "%s/out", celldir);
            char **argv = sweep_cell_argv(e, cell, exe, out);
            if (!argv) {
                rc = MUON_ERROR(MUON_ENOMEM, "out of memory");
                break;
            }
            snprintf(out, sizeof out, "%s/%s", celldir,
                     sweep_command_to_stdout(e->command) ? "stdout.csv"
                                                         : "stdout.txt");
            snprintf(err, sizeof err, "%s/stderr.txt", celldir);
            pid_t pid = -1;
            if (!(rc = reset_cell(celldir)) &&
                !(rc = write_cmd_file(celldir, argv)))
                pid = spawn(argv, out, err, NULL);
            sweep_strv_free(argv);
            if (pid < 0) {
                rc = rc ? rc : MUON_EIO;
                break;
            }
            size_t k = 0;
            while (slots[k].pid)
                k++;
            slots[k] = (slot){pid, cell};
            pg->running++;
        }
        if (pg->running == 0)
            break;
        int st;
        pid_t pid = waitpid(-1, &st, 0);
        if (pid < 0) {
            if (errno == EINTR) {
                /* Stop: the running cells are killed and stay pending,
                 * so a restart redoes them. */
                for (size_t k = 0; k < jobs; k++)
                    if (slots[k].pid)
                        kill(slots[k].pid, SIGTERM);
                continue;
            }
            rc = MUON_ERROR(MUON_EINTERNAL, "waitpid: %s", strerror(errno));
            break;
        }
        size_t k;
        for (k = 0; k < jobs && slots[k].pid != pid; k++)
            ;
        if (k == jobs)
            continue; /* not one of ours */
        pg->running--;
        size_t cell = slots[k].cell;
        slots[k].pid = 0;
        if (stop_signal)
            continue;
        sweep_cell_dir(dir, cell, celldir, sizeof celldir);
        snprintf(err, sizeof err, "%s/stderr.txt", celldir);
        int mrc = sweep_cell_mark(celldir, st, err);
        if (mrc && !rc)
            rc = mrc;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
            pg->done++;
        else
            pg->failed++;
        pg->ran_now++;
        show_progress(pg, 0);
        if (muon_time_now() - last_rebuild > REBUILD_SECONDS) {
            size_t nf, nd;
            if (rebuild_results(e, dir, &nf, &nd) && !rc)
                rc = MUON_EIO;
            last_rebuild = muon_time_now();
        }
    }
    free(slots);
    if (!rc && stop_signal)
        rc = MUON_EINTERRUPT;
    return rc;
}

static int
lock_dir(const char *dir, int *fd)
{
    char path[PATHLEN + 16];
    snprintf(path, sizeof path, "%s/.lock", dir);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0)
        return MUON_ERROR(MUON_EIO, "%s: %s", path, strerror(errno));
    /* flock is released by the kernel when a sweep dies, so a killed
     * sweep never leaves a stale lock behind. */
    if (flock(*fd, LOCK_EX | LOCK_NB))
        return MUON_ERROR(MUON_EINVAL, "another sweep is running in %s "
                          "(%s is locked)", dir, path);
    return MUON_SUCCESS;
}

int
cmd_sweep(int argc, char **argv)
{
    size_t jobs = 1;
    const char *outdir = NULL;
    int dry = 0, force = 0, retry = 0;
    cli_opt opts[] = {
        {"jobs", CLI_SIZE, &jobs, "N", "cells run in parallel (default 1)", 1,
         1024, 0},
        {"out", CLI_STRING, &outdir, "DIR",
         "output folder (default results/NAME)", 1, 0, 0},
        {"dry-run", CLI_FLAG, &dry, NULL, "list the cells and their state",
         1, 0, 0},
        {"force", CLI_FLAG, &force, NULL,
         "reuse a folder of a different experiment (its cells are moved "
         "aside)", 1, 0, 0},
        {"resume-failed", CLI_FLAG, &retry, NULL,
         "rerun the failed cells too", 1, 0, 0},
        {0},
    };
    const char *pos[1];
    size_t npos;
    int rc = cli_parse(CMD, "FILE [--jobs N] [--out DIR] [--dry-run]", argc,
                       argv, opts, pos, 1, &npos);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (npos != 1)
        return cli_usage_error(CMD, "expected one experiment FILE (see "
                               "experiments/README.md)");
    sweep_exp *e;
    if ((rc = sweep_exp_load(pos[0], &e)))
        return cli_fail(CMD, rc);
    char exe[PATHLEN], dirbuf[PATHLEN];
    if (!outdir) {
        snprintf(dirbuf, sizeof dirbuf, "results/%s", e->name);
        outdir = dirbuf;
    }
    char **valid = NULL, *text = NULL;
    int lockfd = -1;
    size_t nfailed = 0, ndone = 0;
    size_t *todo = NULL;
    if ((rc = find_exe(exe, sizeof exe)) ||
        (rc = command_options(exe, e->command, &valid)) ||
        (rc = sweep_read_file(pos[0], &text)) ||
        (rc = sweep_check_options(e, text, (const char *const *)valid)))
        goto out;
    if (dry) {
        dry_run(e, outdir, exe);
        goto out;
    }
    if ((rc = sweep_mkdirs(outdir)) || (rc = lock_dir(outdir, &lockfd)) ||
        (rc = claim_dir(e, outdir, force)))
        goto out;

    progress pg = {.total = e->ncells, .t0 = muon_time_now(), .tty = isatty(2),
                   .last = muon_time_now()};
    todo = calloc(e->ncells ? e->ncells : 1, sizeof *todo);
    if (!todo) {
        rc = MUON_ERROR(MUON_ENOMEM, "out of memory");
        goto out;
    }
    size_t ntodo = 0;
    char celldir[PATHLEN];
    for (size_t i = 0; i < e->ncells; i++) {
        sweep_cell_dir(outdir, i, celldir, sizeof celldir);
        int s = sweep_cell_state(celldir, NULL);
        if (s == SWEEP_PENDING || (s == SWEEP_FAILED && retry))
            todo[ntodo++] = i;
        else if (s == SWEEP_DONE)
            pg.done++;
        else
            pg.failed++;
    }
    fprintf(stderr, "sweep %s: %zu cells, %zu to run, %zu jobs, output %s\n",
            e->name, e->ncells, ntodo, jobs, outdir);

    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal; /* no SA_RESTART: waitpid returns EINTR */
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    rc = run_cells(e, outdir, exe, todo, ntodo, jobs, &pg);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (ntodo && pg.tty)
        show_progress(&pg, 1);

    /* Always rebuild, even after an interruption: the table then holds
     * every cell finished so far. */
    int rrc = rebuild_results(e, outdir, &nfailed, &ndone);
    if (!rc)
        rc = rrc;
    if (!rrc)
        fprintf(stderr, "sweep %s: %zu ok, %zu failed, %zu pending; wrote "
                "%s/results.csv\n", e->name, ndone, nfailed,
                e->ncells - ndone - nfailed, outdir);
    if (!rc && nfailed) {
        for (size_t i = 0, shown = 0; i < e->ncells && shown < 10; i++) {
            char *detail;
            sweep_cell_dir(outdir, i, celldir, sizeof celldir);
            if (sweep_cell_state(celldir, &detail) == SWEEP_FAILED) {
                char *nl = detail ? strchr(detail, '\n') : NULL;
                if (nl)
                    *nl = '\0';
                fprintf(stderr, "  failed: cell-%04zu (%s), see %s/stderr.txt"
                        "\n", i, detail ? detail : "?", celldir);
                shown++;
            }
            free(detail);
        }
    }
out:
    if (lockfd >= 0)
        close(lockfd);
    free(todo);
    free(text);
    sweep_strv_free(valid);
    sweep_exp_free(e);
    if (rc == MUON_EINTERRUPT)
        return stop_signal == SIGTERM ? CLI_EXIT_SIGTERM : CLI_EXIT_SIGINT;
    if (rc)
        return cli_fail(CMD, rc);
    return nfailed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
