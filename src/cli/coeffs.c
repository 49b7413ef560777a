/* coeffs.c: `muonlab coeffs derive|check|search`: the coefficient lab.
 *
 * derive  the Polar Express greedy minimax schedule (arXiv 2505.16932),
 *         printed in the `custom` coefficient-file format;
 * check   predicted (exact arithmetic) and measured (fp64 / fp32 / bf16
 *         matrix iteration on synthetic spectra) behaviour of a schedule;
 * search  schedules designed by optimisation, printed like derive with
 *         their check as comments.
 * Coefficient output is always a valid `--coeffs` file: triples on their
 * own lines, everything else behind '#'.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "muon/names.h"
#include "muon/coeffs.h"
#include "muon/io.h"
#include "muon/status.h"
#include "orth_opts.h"

/* ---- shared output helpers --------------------------------------------- */

typedef int (*writer_fn)(FILE *f, const void *ctx);

/* Runs `w` on stdout, or on an atomically replaced `path`. */
static int
emit(const char *cmd, const char *path, writer_fn w, const void *ctx)
{
    int rc;
    if (!path) {
        rc = w(stdout, ctx);
        if (!rc && fflush(stdout) != 0)
            rc = MUON_ERROR(MUON_EIO, "cannot write to standard output");
        return rc ? cli_fail(cmd, rc) : CLI_EXIT_OK;
    }
    muon_afile *af;
    FILE *f;
    if ((rc = muon_afile_open(&af, path, &f)))
        return cli_fail(cmd, rc);
    if ((rc = w(f, ctx))) {
        muon_afile_abort(af);
        return cli_fail(cmd, rc);
    }
    if ((rc = muon_afile_commit(af)))
        return cli_fail(cmd, rc);
    return CLI_EXIT_OK;
}

/* The predicted check as '#' comment lines (so a schedule file stays
 * loadable). */
static int
write_report_comments(FILE *f, const muon_coeffs_check_params *cp,
                      const muon_coeffs_report *r)
{
    fprintf(f, "# check (exact arithmetic, x = sigma / ||G||_F):\n");
    fprintf(f, "#   slope at 0                 %.10g\n", r->slope0);
    fprintf(f, "#   map(%g)                 %.10g\n", cp->lo, r->value_lo);
    fprintf(f, "#   range on [%g, %g]       [%.10g, %.10g]\n", cp->lo,
            cp->hi, r->min_lo, r->max_lo);
    fprintf(f, "#   range on (0.05, %g]       [%.10g, %.10g]\n", cp->hi,
            r->min_05, r->max_05);
    fprintf(f, "#   worst |map - 1| on [%g, %g]  %.10g\n", cp->lo, cp->hi,
            r->worst_lo);
    fprintf(f, "#   positive on (0, %g]         %s\n", cp->hi,
            r->positive ? "yes" : "NO");
    fprintf(f, "#   max on [%g, %g]          %.10g (overshoot %.10g)\n",
            cp->hi, cp->above * cp->hi, r->max_above, r->overshoot);
    if (r->steps_needed)
        fprintf(f, "#   steps to |map - 1| <= %g from %g: %zu\n",
                cp->accuracy, cp->lo, r->steps_needed);
    else
        fprintf(f, "#   steps to |map - 1| <= %g from %g: never "
                "(within %zu)\n", cp->accuracy, cp->lo, cp->max_steps);
    return ferror(f) ? MUON_ERROR(MUON_EIO, "write error") : MUON_SUCCESS;
}

/* ---- derive ------------------------------------------------------------ */

typedef struct {
    muon_coeffs_derive_params dp;
    muon_orth_params p;
    muon_coeffs_step_info info[MUON_MAX_COEFFS];
    double pred;
    muon_coeffs_check_params cp;
    muon_coeffs_report rep;
} derive_ctx;

static int
write_derived(FILE *f, const void *vctx)
{
    const derive_ctx *c = vctx;
    int rc = muon_provenance_write(f, "# ");
    if (rc)
        return rc;
    fprintf(f, "# Polar Express greedy minimax schedule (Amsel et al. 2025, "
               "arXiv 2505.16932)\n"
               "# degree %d, steps %zu, lo %.17g, hi %.17g, safety %.17g, "
               "cushion %.17g\n",
            c->dp.degree, c->dp.steps, c->dp.lo, c->dp.hi, c->dp.safety,
            c->dp.cushion);
    fprintf(f, "# %4s %24s %24s %24s %24s %24s %5s\n", "step", "l_t", "u_t",
            "l_eff", "minimax_err", "max|p_t-1|_on_[l_t,u_t]", "remez");
    for (size_t t = 0; t < c->dp.steps; t++)
        fprintf(f, "# %4zu %24.17g %24.17g %24.17g %24.17g %24.17g %5u\n",
                t + 1, c->info[t].lo, c->info[t].hi, c->info[t].lo_eff,
                c->info[t].err, c->info[t].dev, c->info[t].iters);
    fprintf(f, "# predicted worst-case |map - 1| on [lo, hi] (1 - l_{T+1}): "
               "%.17g\n",
            c->pred);
    if ((rc = write_report_comments(f, &c->cp, &c->rep)))
        return rc;
    fprintf(f, "# a b c  (p(x) = a x + b x^3 + c x^5)\n");
    return muon_coeffs_write(f, &c->p);
}

static int
cmd_derive(int argc, char **argv)
{
    const char *cmd = "coeffs derive";
    derive_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return cli_usage_error(cmd, "out of memory");
    muon_coeffs_derive_default_params(&c->dp);
    long long degree = 5;
    const char *out = NULL;
    cli_opt opts[] = {
        {"degree", CLI_INT, &degree, "3|5",
         "polynomial degree: 3 (closed form) or 5 (Remez), default 5", 3, 5,
         0},
        {"steps", CLI_SIZE, &c->dp.steps, "T", "number of steps (default 5)",
         1, MUON_MAX_COEFFS, 0},
        {"lo", CLI_DOUBLE, &c->dp.lo, "L",
         "smallest normalised singular value, 0 < L < hi (default 1e-3)",
         1e-300, 1, 0},
        {"hi", CLI_DOUBLE, &c->dp.hi, "U", "largest one (default 1)", 1e-300,
         1e300, 0},
        {"safety", CLI_DOUBLE, &c->dp.safety, "S",
         "p_t(x/S) for all but the last step, 1 <= S < 2 (default 1: none)",
         1, 2, 0},
        {"cushion", CLI_DOUBLE, &c->dp.cushion, "C",
         "raise l_t to C u_t and recentre, 0 <= C < 1 (default 0: none)", 0,
         1, 0},
        {"out", CLI_STRING, &out, "FILE",
         "write the schedule to FILE (atomically) instead of stdout", 1, 0,
         0},
        {0},
    };
    int rc = cli_parse(cmd,
                       "--degree 3|5 --steps T --lo L [--hi 1] [--safety S] "
                       "[--cushion C] [--out FILE]",
                       argc, argv, opts, NULL, 0, NULL);
    if (rc) {
        free(c);
        return rc < 0 ? CLI_EXIT_OK : rc;
    }
    if (degree != 3 && degree != 5) {
        free(c);
        return cli_usage_error(cmd, "--degree must be 3 or 5 (got %lld)",
                               degree);
    }
    c->dp.degree = (int)degree;
    /* The schedule is the raw composition: no normalisation safety. */
    const muon_orth_type *custom = muon_orth_type_by_name("custom");
    if (custom)
        muon_orth_default_params(custom, &c->p);
    c->p.safety = 1.0;
    c->p.extend = MUON_EXTEND_REPEAT_LAST;
    if ((rc = muon_coeffs_derive(&c->dp, &c->p, c->info, &c->pred))) {
        free(c);
        return cli_fail(cmd, rc);
    }
    muon_coeffs_check_default_params(&c->cp);
    c->cp.lo = c->dp.lo;
    c->cp.hi = c->dp.hi;
    if ((rc = muon_coeffs_check(&c->p, &c->cp, &c->rep))) {
        free(c);
        return cli_fail(cmd, rc);
    }
    rc = emit(cmd, out, write_derived, c);
    free(c);
    return rc;
}

/* ---- check ------------------------------------------------------------- */

static void
report_row(cli_table *t, const char *name, const muon_orth_params *p,
           const muon_coeffs_check_params *cp, const muon_coeffs_report *r)
{
    cli_table_str(t, name);
    cli_table_int(t, (long long)p->steps);
    cli_table_num(t, p->safety);
    cli_table_num(t, cp->lo);
    cli_table_num(t, cp->hi);
    cli_table_num(t, r->slope0);
    cli_table_num(t, r->value_lo);
    cli_table_num(t, r->min_lo);
    cli_table_num(t, r->max_lo);
    cli_table_num(t, r->min_05);
    cli_table_num(t, r->max_05);
    cli_table_num(t, r->worst_lo);
    cli_table_str(t, r->positive ? "yes" : "no");
    cli_table_num(t, cp->above);
    cli_table_num(t, r->overshoot);
    cli_table_num(t, cp->accuracy);
    if (r->steps_needed)
        cli_table_int(t, (long long)r->steps_needed);
    else
        cli_table_str(t, "never");
}

static const char *const report_cols[] = {
    "schedule", "steps",     "safety",   "lo",       "hi",     "slope0",
    "at_lo",    "min_lo",    "max_lo",   "min_0.05", "max_0.05", "worst_lo",
    "positive", "above",     "overshoot", "accuracy", "steps_needed"};
#define NREPORT (sizeof report_cols / sizeof report_cols[0])

static int
write_tables(const char *cmd, cli_table *pred, cli_table *meas,
             cli_format fmt, const char *out, const char *mout)
{
    int rc = 0;
    if (out)
        rc = cli_table_save(pred, out, fmt);
    else
        rc = cli_table_write(pred, stdout, fmt);
    if (!rc && meas) {
        if (mout) {
            rc = cli_table_save(meas, mout, fmt);
        } else {
            if (!out)
                fputc('\n', stdout);
            rc = cli_table_write(meas, stdout, fmt);
        }
    }
    return rc ? cli_fail(cmd, rc) : CLI_EXIT_OK;
}

static const char *const meas_cols[] = {
    "schedule", "precision", "ratio",      "pred_min",   "meas_min",
    "pred_max", "meas_max",  "pred_worst", "meas_worst", "max_dev",
    "polar_err", "status"};
#define NMEAS (sizeof meas_cols / sizeof meas_cols[0])

/* Options of the measured part, after parsing. */
typedef struct {
    size_t m, n, seed;
    size_t nratios, nprecs;
    double ratios[CLI_LIST_MAX];
    muon_precision precs[CLI_LIST_MAX];
} measure_opts;

static int
parse_measure(const char *cmd, const cli_list *ratios, const cli_list *precs,
              measure_opts *mo)
{
    if (ratios->n == 0) {
        /* sigma_min / sigma_max from 1e-1 down to 1e-6 */
        mo->nratios = 6;
        for (size_t i = 0; i < 6; i++)
            mo->ratios[i] = pow(10.0, -(double)(i + 1));
    } else {
        mo->nratios = ratios->n;
        for (size_t i = 0; i < ratios->n; i++) {
            double r;
            if (cli_parse_double("--ratios", ratios->v[i], &r)) {
                fprintf(stderr, "muonlab %s: error: %s\n", cmd,
                        muon_last_error());
                return CLI_EXIT_USAGE;
            }
            if (!(r > 0.0 && r <= 1.0))
                return cli_usage_error(cmd, "--ratios: each value must be in "
                                       "(0, 1] (got %s)", ratios->v[i]);
            mo->ratios[i] = r;
        }
    }
    if (precs->n == 0) {
        mo->nprecs = 3;
        mo->precs[0] = MUON_FP64;
        mo->precs[1] = MUON_FP32;
        mo->precs[2] = MUON_BF16;
    } else {
        mo->nprecs = precs->n;
        for (size_t i = 0; i < precs->n; i++)
            if (muon_precision_by_name(precs->v[i], &mo->precs[i]))
                return cli_fail(cmd, MUON_EUNKNOWN);
    }
    return 0;
}

static int
measure_rows(cli_table *t, const char *name, const muon_orth_type *T,
             const muon_orth_params *p, const measure_opts *mo)
{
    for (size_t i = 0; i < mo->nprecs; i++)
        for (size_t j = 0; j < mo->nratios; j++) {
            muon_coeffs_measurement r;
            int st = muon_coeffs_measure(T, p, mo->precs[i], mo->m, mo->n,
                                         (unsigned long)mo->seed,
                                         mo->ratios[j], &r);
            if (st)
                return st;
            cli_table_str(t, name);
            cli_table_str(t, muon_precision_name(r.precision));
            cli_table_num(t, r.ratio);
            cli_table_num(t, r.pred_min);
            cli_table_num(t, r.meas_min);
            cli_table_num(t, r.pred_max);
            cli_table_num(t, r.meas_max);
            cli_table_num(t, r.pred_worst);
            cli_table_num(t, r.meas_worst);
            cli_table_num(t, r.max_dev);
            cli_table_num(t, r.polar_err);
            cli_table_str(t, r.finite ? "ok" : "diverged");
        }
    return MUON_SUCCESS;
}

static int
cmd_check(int argc, char **argv)
{
    const char *cmd = "coeffs check";
    orth_cli o = {0};
    muon_coeffs_check_params cp;
    muon_coeffs_check_default_params(&cp);
    measure_opts mo = {.m = 64, .n = 128, .seed = 1};
    cli_list ratios = {0}, precs = {0};
    int measure = 1;
    const char *format = "table", *out = NULL, *mout = NULL;
    cli_opt opts[] = {
        ORTH_CLI_OPTS(&o),
        {"lo", CLI_DOUBLE, &cp.lo, "L",
         "interval [L, hi] of normalised singular values (default 1e-3)",
         1e-300, 1, 0},
        {"hi", CLI_DOUBLE, &cp.hi, "U", "upper end (default 1)", 1e-300, 2,
         0},
        {"above", CLI_DOUBLE, &cp.above, "A",
         "probe overshoot for inputs in [hi, A*hi] (default 1.02)", 1, 2, 0},
        {"accuracy", CLI_DOUBLE, &cp.accuracy, "E",
         "target |map - 1| for steps_needed (default 1e-2)", 1e-300, 0.999,
         0},
        {"max-steps", CLI_SIZE, &cp.max_steps, "N",
         "give up steps_needed after N steps (default 100)", 1, 100000, 0},
        {"measure", CLI_FLAG, &measure, NULL,
         "run the matrix iteration too (--measure 0 to skip; default 1)", 1,
         0, 0},
        {"ratios", CLI_LIST, &ratios, "R,...",
         "sigma_min/sigma_max of the synthetic matrices (default "
         "1e-1,...,1e-6)",
         1, 0, 0},
        {"precisions", CLI_LIST, &precs, "P,...",
         "measured precisions (default fp64,fp32,bf16)", 1, 0, 0},
        {"rows", CLI_SIZE, &mo.m, "M", "synthetic matrix rows (default 64)",
         1, 4096, 0},
        {"cols", CLI_SIZE, &mo.n, "N", "synthetic matrix columns (default 128)",
         1, 4096, 0},
        {"seed", CLI_SIZE, &mo.seed, "S", "RNG seed (default 1)", 0,
         4294967295.0, 0},
        {"format", CLI_STRING, &format, "F", "table|csv|json", 1, 0, 0},
        {"out", CLI_STRING, &out, "FILE",
         "write the predicted table to FILE (atomically)", 1, 0, 0},
        {"measured-out", CLI_STRING, &mout, "FILE",
         "write the measured table to FILE (atomically)", 1, 0, 0},
        {0},
    };
    const char *pos[1];
    size_t npos = 0;
    int rc = cli_parse(cmd,
                       "FILE | --method NAME[,NAME...] [--lo L] [--hi U] "
                       "[--measure 0|1] [--format table|csv|json]",
                       argc, argv, opts, pos, 1, &npos);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (npos == 1) {
        if (o.coeffs)
            return cli_usage_error(cmd, "give the coefficient file either as "
                                   "FILE or as --coeffs, not both");
        o.coeffs = pos[0];
    }
    if (!(cp.lo < cp.hi))
        return cli_usage_error(cmd, "--lo must be < --hi (got %g, %g)", cp.lo,
                               cp.hi);
    cli_format fmt;
    if ((rc = cli_format_by_name(cmd, format, &fmt)))
        return rc;
    if ((rc = parse_measure(cmd, &ratios, &precs, &mo)))
        return rc;
    const muon_orth_type *types[64];
    size_t nt;
    if ((rc = orth_cli_methods(cmd, &o, "ns5", 1, types, &nt, 64)))
        return rc;

    cli_table *pred = cli_table_new(report_cols, NREPORT);
    cli_table *meas = measure ? cli_table_new(meas_cols, NMEAS) : NULL;
    if (!pred || (measure && !meas)) {
        cli_table_free(pred);
        cli_table_free(meas);
        return cli_usage_error(cmd, "out of memory");
    }
    for (size_t k = 0; k < nt && !rc; k++) {
        muon_orth_params p;
        muon_coeffs_report r;
        const char *name = strcmp(types[k]->name, "custom") || !o.coeffs
                               ? types[k]->name
                               : o.coeffs;
        if ((rc = orth_cli_params(cmd, &o, types[k], &p)))
            break;
        int st = muon_coeffs_check(&p, &cp, &r);
        if (!st && measure)
            st = measure_rows(meas, name, types[k], &p, &mo);
        if (st) {
            rc = cli_fail(cmd, st);
            break;
        }
        report_row(pred, name, &p, &cp, &r);
    }
    if (!rc)
        rc = write_tables(cmd, pred, meas, fmt, out, mout);
    cli_table_free(pred);
    cli_table_free(meas);
    return rc;
}

/* ---- search ------------------------------------------------------------ */

typedef struct {
    muon_coeffs_search_params sp;
    muon_coeffs_search_result res;
    muon_orth_params p;
    muon_coeffs_check_params cp;
    muon_coeffs_report rep;
} search_ctx;

static int
write_searched(FILE *f, const void *vctx)
{
    const search_ctx *c = vctx;
    int rc = muon_provenance_write(f, "# ");
    if (rc)
        return rc;
    if (c->sp.objective == MUON_SEARCH_SLOPE)
        fprintf(f, "# search: maximise the slope at 0 subject to the map in "
                   "[1 - %g, 1 + %g] on [%g, 1]\n",
                c->sp.delta, c->sp.delta, c->sp.lo);
    else
        fprintf(f, "# search: minimise max |map - 1| on [%g, 1]\n", c->sp.lo);
    fprintf(f, "# degree %d, %zu steps, %s schedule; Nelder-Mead: %zu "
               "iterations, %s\n",
            c->sp.degree, c->sp.steps, c->sp.per_step ? "per-step" : "constant",
            c->res.iters,
            c->res.converged ? "converged" : "stopped at the iteration limit");
    fprintf(f, "# objective %.17g, worst error %.17g, band violation %.3g\n",
            c->res.objective, c->res.worst, c->res.violation);
    if ((rc = write_report_comments(f, &c->cp, &c->rep)))
        return rc;
    fprintf(f, "# a b c  (p(x) = a x + b x^3 + c x^5)\n");
    return muon_coeffs_write(f, &c->p);
}

static int
cmd_search(int argc, char **argv)
{
    const char *cmd = "coeffs search";
    search_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return cli_usage_error(cmd, "out of memory");
    muon_coeffs_search_default_params(&c->sp);
    long long degree = 5;
    const char *objective = "minimax", *out = NULL, *start = NULL;
    cli_opt opts[] = {
        {"objective", CLI_STRING, &objective, "minimax|slope",
         "minimax: least max|map-1| on [lo,1]; slope: largest slope at 0 "
         "with the map in [1-delta,1+delta] on [lo,1] (default minimax)",
         1, 0, 0},
        {"degree", CLI_INT, &degree, "3|5", "polynomial degree (default 5)",
         3, 5, 0},
        {"steps", CLI_SIZE, &c->sp.steps, "T", "number of steps (default 5)",
         1, MUON_MAX_COEFFS, 0},
        {"per-step", CLI_FLAG, &c->sp.per_step, NULL,
         "one triple per step (default: one triple for all steps)", 1, 0, 0},
        {"lo", CLI_DOUBLE, &c->sp.lo, "L",
         "interval [L, 1] (default 1e-3)", 1e-300, 0.999999, 0},
        {"delta", CLI_DOUBLE, &c->sp.delta, "D",
         "slope: band half-width (default 0.3)", 1e-12, 0.999999, 0},
        {"max-iter", CLI_SIZE, &c->sp.max_iter, "N",
         "Nelder-Mead iterations per restart (default 4000)", 1, 1e7, 0},
        {"restarts", CLI_SIZE, &c->sp.restarts, "N",
         "simplex restarts around the best point (default 4)", 0, 1000, 0},
        {"start", CLI_STRING, &start, "FILE",
         "starting schedule (coefficient file)", 1, 0, 0},
        {"out", CLI_STRING, &out, "FILE",
         "write the schedule to FILE (atomically) instead of stdout", 1, 0,
         0},
        {0},
    };
    int rc = cli_parse(cmd,
                       "[--objective minimax|slope] [--degree 3|5] [--steps "
                       "T] [--per-step] [--lo L] [--delta D] [--out FILE]",
                       argc, argv, opts, NULL, 0, NULL);
    if (rc) {
        free(c);
        return rc < 0 ? CLI_EXIT_OK : rc;
    }
    if (!strcmp(objective, "minimax"))
        c->sp.objective = MUON_SEARCH_MINIMAX;
    else if (!strcmp(objective, "slope"))
        c->sp.objective = MUON_SEARCH_SLOPE;
    else
        rc = cli_usage_error(cmd, "--objective must be minimax or slope "
                             "(got '%s')", objective);
    if (!rc && degree != 3 && degree != 5)
        rc = cli_usage_error(cmd, "--degree must be 3 or 5 (got %lld)",
                             degree);
    c->sp.degree = (int)degree;
    const muon_orth_type *custom = muon_orth_type_by_name("custom");
    if (!rc && custom) {
        muon_orth_default_params(custom, &c->p);
        muon_orth_default_params(custom, &c->sp.start);
    }
    if (!rc && start) {
        c->sp.start.steps = 0;
        int st = muon_coeffs_read_file(start, &c->sp.start);
        if (st)
            rc = cli_fail(cmd, st);
        c->sp.have_start = 1;
    }
    if (!rc) {
        int st = muon_coeffs_search(&c->sp, &c->p, &c->res);
        if (!st) {
            muon_coeffs_check_default_params(&c->cp);
            c->cp.lo = c->sp.lo;
            st = muon_coeffs_check(&c->p, &c->cp, &c->rep);
        }
        rc = st ? cli_fail(cmd, st) : emit(cmd, out, write_searched, c);
    }
    free(c);
    return rc;
}

/* ---- dispatch ---------------------------------------------------------- */

int
cmd_coeffs(int argc, char **argv)
{
    static const char *const subs[] = {"derive", "check", "search", NULL};
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: muonlab coeffs derive|check|search [OPTIONS]\n"
                   "  derive  Polar Express greedy minimax schedule\n"
                   "  check   predicted and measured behaviour of a schedule\n"
                   "  search  design a schedule by optimisation\n"
                   "(muonlab coeffs SUBCOMMAND --help for the options)\n");
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "derive"))
        return cmd_derive(argc - 1, argv + 1);
    if (!strcmp(argv[1], "check"))
        return cmd_check(argc - 1, argv + 1);
    if (!strcmp(argv[1], "search"))
        return cmd_search(argc - 1, argv + 1);
    const char *near = muon_closest_name(argv[1], subs);
    return cli_usage_error("coeffs", "unknown subcommand '%s'%s%s%s (valid: "
                           "derive, check, search)",
                           argv[1], near ? "; did you mean '" : "",
                           near ? near : "", near ? "'?" : "");
}
