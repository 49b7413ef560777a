/* plot.c: `muonlab plot`: regenerates every figure whose results exist by
 * running gnuplot on plots/fig-*.gp; never reruns an experiment. */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "muon/status.h"
#include "sweep_lib.h"

#define CMD "plot"
#define PATHLEN 4096

/* Figures whose script reads statistics over seeds rather than the raw
 * rows: plot computes them first (the same code as `muonlab stats`).
 * Each grouping column is the first of its candidates that the table has
 * (convergence groups by `label`, which `muonlab train` writes so that
 * Muon methods and AdamW share one figure, else by `method`), and is
 * written under `as`.  The primary metric (the first candidate present)
 * gives the columns n, n_invalid, mean, sd, ci_lo, ci_hi; each extra
 * metric present adds NAME_mean, NAME_lo, NAME_hi; the column `metric`
 * names the primary one (for the axis label). */
#define AGG_MAX 3
static const struct {
    const char *figure;
    const char *by[AGG_MAX][2]; /* candidates per grouping column */
    const char *as[AGG_MAX];
    size_t nby;
    const char *metric[2];
    const char *extra[AGG_MAX];
} aggregated[] = {
    {"convergence", {{"label", "method"}, {"step", NULL}}, {"method", "step"},
     2, {"val_loss", "loss"}, {"val_acc", "time_s", NULL}},
    {"coeffs", {{"label", "method"}, {"precision", NULL}},
     {"method", "precision"}, 2, {"final_loss", "final_val_loss"},
     {"test_acc", NULL}},
};

static int
is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* --plots, else $MUON_PLOTS_DIR, else next to the source tree of the
 * binary (build/src/cli/muonlab -> ../../../plots), else ./plots. */
static int
find_plots_dir(const char *given, char *buf, size_t cap)
{
    const char *cands[4] = {given, getenv("MUON_PLOTS_DIR"), NULL, "plots"};
    char exe[PATHLEN], rel[PATHLEN + 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        snprintf(rel, sizeof rel, "%s/../../../plots", dirname(exe));
        cands[2] = rel;
    }
    for (size_t i = 0; i < 4; i++) {
        if (!cands[i] || !*cands[i])
            continue;
        char style[PATHLEN + 16];
        snprintf(style, sizeof style, "%s/style.gp", cands[i]);
        if (is_file(style)) {
            snprintf(buf, cap, "%s", cands[i]);
            return MUON_SUCCESS;
        }
        if (i < 2)
            return MUON_ERROR(MUON_EIO, "%s: no style.gp: not the plots "
                              "folder (from %s)", cands[i],
                              i ? "MUON_PLOTS_DIR" : "--plots");
    }
    return MUON_ERROR(MUON_EIO, "cannot find the plots folder (tried %s and "
                      "./plots); give --plots DIR", cands[2] ? cands[2] : "-");
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in `dir` for which keep() holds; NULL-terminated. */
static char **
list_dir(const char *dir, int (*keep)(const char *dir, const char *name))
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t n = 0, cap = 16;
    char **v = calloc(cap + 1, sizeof *v);
    struct dirent *de;
    while (v && (de = readdir(d))) {
        if (de->d_name[0] == '.' || !keep(dir, de->d_name))
            continue;
        if (n == cap) {
            char **nv = realloc(v, (2 * cap + 1) * sizeof *nv);
            if (!nv)
                break;
            v = nv;
            cap *= 2;
        }
        if (!(v[n] = strdup(de->d_name)))
            break;
        v[++n] = NULL;
    }
    closedir(d);
    if (v)
        qsort(v, n, sizeof *v, cmp_str);
    return v;
}

static int
keep_script(const char *dir, const char *name)
{
    size_t len = strlen(name);
    return !strncmp(name, "fig-", 4) && len > 7 &&
           !strcmp(name + len - 3, ".gp");
}

static int
keep_results(const char *dir, const char *name)
{
    char p[PATHLEN * 2];
    snprintf(p, sizeof p, "%s/%s/results.csv", dir, name);
    return is_file(p);
}

/* The figure (script stem after "fig-") that fits the results folder
 * `name`: equal to it, or a prefix followed by '-' (convergence-mlp ->
 * convergence); the longest wins. */
static const char *
figure_for(char **scripts, const char *name, size_t *len)
{
    const char *best = NULL;
    *len = 0;
    for (size_t i = 0; scripts && scripts[i]; i++) {
        const char *fig = scripts[i] + 4;
        size_t fl = strlen(fig) - 3;
        if (!strncmp(name, fig, fl) && (name[fl] == '\0' || name[fl] == '-') &&
            fl > *len) {
            best = scripts[i];
            *len = fl;
        }
    }
    return best;
}

static int
run_gnuplot(const char *script, const char *in, const char *out)
{
    pid_t pid = fork();
    if (pid < 0)
        return MUON_ERROR(MUON_EIO, "fork: %s", strerror(errno));
    if (pid == 0) {
        const char *gp = getenv("MUON_GNUPLOT");
        execlp(gp && *gp ? gp : "gnuplot", "gnuplot", "-c", script, in, out,
               (char *)NULL);
        fprintf(stderr, "muonlab plot: cannot run gnuplot: %s (apt-get "
                "install gnuplot-nox)\n", strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return MUON_ERROR(MUON_EIO, "waitpid: %s", strerror(errno));
    if (!WIFEXITED(st) || WEXITSTATUS(st))
        return MUON_ERROR(MUON_EIO, "gnuplot -c %s %s %s failed (%s %d)",
                          script, in, out,
                          WIFEXITED(st) ? "exit" : "signal",
                          WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    if (!is_file(out))
        return MUON_ERROR(MUON_EIO, "gnuplot -c %s wrote no %s", script, out);
    return MUON_SUCCESS;
}

/* The statistics of one metric, read back as a CSV (the table API has
 * no getters). */
static int
aggregate_csv(const sweep_csv *csv, const char *src, const char *const *by,
              size_t nby, const char *metric, sweep_csv **out, char **warn)
{
    cli_table *t;
    int rc = sweep_aggregate(csv, src, by, nby, metric, &t, warn);
    if (rc)
        return rc;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        cli_table_free(t);
        return MUON_ERROR(MUON_ENOMEM, "out of memory");
    }
    rc = cli_table_write(t, f, CLI_CSV);
    cli_table_free(t);
    if (fclose(f) && !rc)
        rc = MUON_ERROR(MUON_ENOMEM, "out of memory");
    if (!rc)
        rc = sweep_csv_parse(text, src, out);
    free(text);
    return rc;
}

/* Index of the first of the candidates that csv has, or -1. */
static long
first_col(const sweep_csv *csv, const char *const *cands, size_t n,
          const char **name)
{
    for (size_t i = 0; i < n; i++) {
        long col = cands[i] ? sweep_csv_col(csv, cands[i]) : -1;
        if (col >= 0) {
            *name = cands[i];
            return col;
        }
    }
    return -1;
}

/* Writes DIR/NAME-stats.csv (mean and CI per group, see aggregated[]) for
 * a figure that plots statistics over seeds; *in is redirected to it. */
static int
prepare_input(const char *figure, const char *name, const char *outdir,
              char *in, size_t cap)
{
    for (size_t i = 0; i < sizeof aggregated / sizeof aggregated[0]; i++) {
        if (strcmp(aggregated[i].figure, figure))
            continue;
        sweep_csv *csv;
        int rc = sweep_csv_read(in, &csv);
        if (rc)
            return rc;
        const char *by[AGG_MAX], *metric = aggregated[i].metric[0];
        size_t nby = aggregated[i].nby;
        for (size_t j = 0; j < nby; j++) {
            by[j] = aggregated[i].by[j][0];
            first_col(csv, aggregated[i].by[j], 2, &by[j]);
        }
        first_col(csv, aggregated[i].metric, 2, &metric);
        /* The primary metric first; its errors (a missing column) are the
         * figure's errors.  Extras are optional. */
        sweep_csv *st[1 + AGG_MAX] = {0};
        const char *names[1 + AGG_MAX] = {metric};
        size_t nst = 0;
        char *warn = NULL;
        rc = aggregate_csv(csv, in, by, nby, metric, &st[nst++], &warn);
        if (warn)
            fprintf(stderr, "muonlab plot: warning: %s: %s\n", name, warn);
        free(warn);
        for (size_t k = 0; !rc && k < AGG_MAX && aggregated[i].extra[k];
             k++) {
            if (sweep_csv_col(csv, aggregated[i].extra[k]) < 0)
                continue;
            names[nst] = aggregated[i].extra[k];
            rc = aggregate_csv(csv, in, by, nby, names[nst], &st[nst], &warn);
            free(warn);
            warn = NULL;
            nst++;
        }
        sweep_csv_free(csv);
        /* Join: every metric has the same groups in the same order (groups
         * are made from every row, valid or not). */
        const char *cols[3 * AGG_MAX + 8 + 3 * AGG_MAX];
        size_t nc = 0;
        char extra_names[AGG_MAX][3][96];
        for (size_t j = 0; j < nby; j++)
            cols[nc++] = aggregated[i].as[j];
        static const char *const prim[] = {"n", "n_invalid", "mean", "sd",
                                           "ci_lo", "ci_hi"};
        for (size_t j = 0; j < 6; j++)
            cols[nc++] = prim[j];
        for (size_t k = 1; k < nst; k++) {
            static const char *const suf[] = {"mean", "lo", "hi"};
            for (size_t j = 0; j < 3; j++) {
                snprintf(extra_names[k - 1][j], sizeof extra_names[0][0],
                         "%s_%s", names[k], suf[j]);
                cols[nc++] = extra_names[k - 1][j];
            }
        }
        cols[nc++] = "metric";
        cli_table *t = rc ? NULL : cli_table_new(cols, nc);
        if (!rc && !t)
            rc = MUON_ERROR(MUON_ENOMEM, "out of memory");
        for (size_t r = 0; !rc && r < st[0]->nrows; r++) {
            for (size_t k = 1; k < nst; k++)
                if (st[k]->nrows != st[0]->nrows ||
                    strcmp(sweep_csv_at(st[k], r, 0),
                           sweep_csv_at(st[0], r, 0)))
                    rc = MUON_ERROR(MUON_EINTERNAL, "%s: the statistics of "
                                    "%s and %s have different groups", in,
                                    names[0], names[k]);
            for (size_t j = 0; !rc && j < nby + 6; j++)
                cli_table_str(t, sweep_csv_at(st[0], r, j));
            for (size_t k = 1; !rc && k < nst; k++) {
                long m = sweep_csv_col(st[k], "mean"),
                     lo = sweep_csv_col(st[k], "ci_lo"),
                     hi = sweep_csv_col(st[k], "ci_hi");
                cli_table_str(t, sweep_csv_at(st[k], r, (size_t)m));
                cli_table_str(t, sweep_csv_at(st[k], r, (size_t)lo));
                cli_table_str(t, sweep_csv_at(st[k], r, (size_t)hi));
            }
            if (!rc)
                cli_table_str(t, metric);
        }
        for (size_t k = 0; k < nst; k++)
            sweep_csv_free(st[k]);
        if (!rc) {
            snprintf(in, cap, "%s/%s-stats.csv", outdir, name);
            rc = cli_table_save(t, in, CLI_CSV);
        }
        cli_table_free(t);
        return rc;
    }
    return MUON_SUCCESS;
}

int
cmd_plot(int argc, char **argv)
{
    const char *results = "results", *outdir = "figures", *plots = NULL;
    cli_list formats = {0};
    cli_opt opts[] = {
        {"results", CLI_STRING, &results, "DIR",
         "sweep outputs: DIR/<figure>[-suffix]/results.csv (default results)",
         1, 0, 0},
        {"out", CLI_STRING, &outdir, "DIR", "figures folder (default figures)",
         1, 0, 0},
        {"plots", CLI_STRING, &plots, "DIR",
         "gnuplot scripts (default $MUON_PLOTS_DIR, then the source tree)", 1,
         0, 0},
        {"format", CLI_LIST, &formats, "pdf,png",
         "file types to write (default pdf,png)", 1, 0, 0},
        {0},
    };
    int rc = cli_parse(CMD, "[--results DIR] [--out DIR] [--plots DIR]", argc,
                       argv, opts, NULL, 0, NULL);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (!formats.n) {
        formats.v[formats.n++] = "pdf";
        formats.v[formats.n++] = "png";
    }
    for (size_t i = 0; i < formats.n; i++)
        if (strcmp(formats.v[i], "pdf") && strcmp(formats.v[i], "png") &&
            strcmp(formats.v[i], "svg") && strcmp(formats.v[i], "txt"))
            return cli_usage_error(CMD, "--format: '%s' is not one of pdf, "
                                   "png, svg, txt", formats.v[i]);
    char pdir[PATHLEN];
    if ((rc = find_plots_dir(plots, pdir, sizeof pdir)))
        return cli_fail(CMD, rc);
    if (!is_dir(results))
        return cli_fail(CMD, MUON_ERROR(MUON_EIO, "results folder %s: %s",
                                        results, strerror(errno)));
    char **scripts = list_dir(pdir, keep_script);
    char **dirs = list_dir(results, keep_results);
    if (!scripts || !dirs) {
        sweep_strv_free(scripts);
        sweep_strv_free(dirs);
        return cli_fail(CMD, MUON_ERROR(MUON_EIO, "cannot list %s or %s",
                                        pdir, results));
    }
    size_t made = 0, failed = 0;
    if ((rc = sweep_mkdirs(outdir))) {
        sweep_strv_free(scripts);
        sweep_strv_free(dirs);
        return cli_fail(CMD, rc);
    }
    for (size_t i = 0; dirs[i]; i++) {
        size_t flen;
        const char *script = figure_for(scripts, dirs[i], &flen);
        if (!script) {
            fprintf(stderr, "muonlab plot: %s/%s: no plots/fig-*.gp matches "
                    "this name; skipped\n", results, dirs[i]);
            continue;
        }
        char figure[256], spath[PATHLEN * 2], in[PATHLEN * 2],
            out[PATHLEN * 2];
        snprintf(figure, sizeof figure, "%.*s", (int)flen, script + 4);
        snprintf(spath, sizeof spath, "%s/%s", pdir, script);
        snprintf(in, sizeof in, "%s/%s/results.csv", results, dirs[i]);
        if ((rc = prepare_input(figure, dirs[i], outdir, in, sizeof in))) {
            fprintf(stderr, "muonlab plot: error: %s\n", muon_last_error());
            failed++;
            continue;
        }
        for (size_t f = 0; f < formats.n; f++) {
            snprintf(out, sizeof out, "%s/%s.%s", outdir, dirs[i],
                     formats.v[f]);
            if ((rc = run_gnuplot(spath, in, out))) {
                fprintf(stderr, "muonlab plot: error: %s\n",
                        muon_last_error());
                failed++;
            } else {
                printf("%s\n", out);
                made++;
            }
        }
    }
    if (!made && !failed)
        fprintf(stderr, "muonlab plot: no results under %s (a figure reads "
                "%s/<figure>[-suffix]/results.csv; figures are the "
                "fig-<figure>.gp in %s)\n", results, results, pdir);
    sweep_strv_free(scripts);
    sweep_strv_free(dirs);
    if (failed)
        return rc ? cli_exit_code(rc) : CLI_EXIT_IO;
    return made ? CLI_EXIT_OK : CLI_EXIT_DATA;
}
