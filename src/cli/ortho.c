/* ortho.c: `muonlab ortho`: orthogonalize a matrix (from .npy or a
 * synthetic spectrum) with one or several methods and measure each result
 * against the exact polar factor: singular-value spread, polar error,
 * orthogonality error, wall time and GFLOP/s (also as a ratio to the
 * machine's sgemm rate measured in the same run). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "muon/io.h"
#include "muon/linalg.h"
#include "muon/metrics.h"
#include "muon/npy.h"
#include "muon/orth.h"
#include "muon/status.h"
#include "muon/synth.h"
#include "orth_opts.h"

#define CMD "ortho"

typedef struct {
    size_t m, n, count; /* count matrices of m x n */
    size_t ndim;        /* 2, or 3 for a batch */
    char spectrum[32];  /* synthetic spectrum name, or "npy" */
    double cond;        /* synthetic condition number, or NaN */
    double *G;          /* count * m * n */
} input;

static int
load_input(const char *in, const char *synth, input *x)
{
    int rc;
    if ((in != NULL) == (synth != NULL))
        return cli_usage_error(CMD, "give exactly one of --in G.npy and "
                               "--synthetic SPEC");
    if (synth) {
        muon_synth_spec spec;
        if ((rc = muon_synth_parse(synth, &spec)))
            return cli_fail(CMD, rc);
        muon_provenance_set_seed(spec.seed);
        x->m = spec.m;
        x->n = spec.n;
        x->count = 1;
        x->ndim = 2;
        snprintf(x->spectrum, sizeof x->spectrum, "%s",
                 muon_spectrum_name(spec.spectrum));
        x->cond = spec.spectrum == MUON_SPECTRUM_GAUSSIAN ? NAN : spec.cond;
        size_t mn;
        if ((rc = muon_size_mul(&mn, spec.m, spec.n)))
            return cli_fail(CMD, rc);
        if (!(x->G = malloc(mn * sizeof *x->G)))
            return cli_usage_error(CMD, "out of memory for %zu x %zu", x->m,
                                   x->n);
        if ((rc = muon_synth_generate(&spec, x->G, NULL)))
            return cli_fail(CMD, rc);
        return 0;
    }
    muon_npy_array a;
    if ((rc = muon_npy_read(in, &a)))
        return cli_fail(CMD, rc);
    if ((rc = muon_npy_expect_rank(&a, in, 2, 3))) {
        muon_npy_array_free(&a);
        return cli_fail(CMD, rc);
    }
    x->count = a.ndim == 3 ? a.shape[0] : 1;
    x->ndim = a.ndim;
    snprintf(x->spectrum, sizeof x->spectrum, "npy");
    x->cond = NAN;
    x->m = a.shape[a.ndim - 2];
    x->n = a.shape[a.ndim - 1];
    rc = muon_npy_to_f64(&a, &x->G);
    muon_npy_array_free(&a);
    return rc ? cli_fail(CMD, rc) : 0;
}

/* OUT with "-METHOD" inserted before the extension, when several methods
 * write outputs. */
static void
out_name(char *buf, size_t cap, const char *out, const char *method, int many)
{
    if (!many) {
        snprintf(buf, cap, "%s", out);
        return;
    }
    const char *dot = strrchr(out, '.');
    const char *slash = strrchr(out, '/');
    if (!dot || (slash && dot < slash))
        snprintf(buf, cap, "%s-%s", out, method);
    else
        snprintf(buf, cap, "%.*s-%s%s", (int)(dot - out), out, method, dot);
}

/* Column names are a contract with plots/README.md (fig-spread.gp reads
 * method, precision, cond, sigma_min, sigma_max, status). */
static const char *const cols[] = {
    "method", "precision", "steps", "m", "n", "k", "spectrum", "cond",
    "sigma_min", "sigma_max", "sigma_mean", "sigma_std", "sigma_ratio",
    "polar_err", "orth_err", "time_s", "flops", "gflops", "sgemm_gflops",
    "ratio_sgemm", "status"};
#define NCOLS (sizeof cols / sizeof cols[0])

int
cmd_ortho(int argc, char **argv)
{
    orth_cli o = {0};
    const char *in = NULL, *synth = NULL, *out = NULL, *format = "table";
    size_t reps = 3;
    cli_opt opts[] = {
        ORTH_CLI_OPTS(&o),
        {"in", CLI_STRING, &in, "G.npy",
         "input matrix (2-D) or batch (3-D), float32/float64", 1, 0, 0},
        {"synthetic", CLI_STRING, &synth, "SPEC",
         "m=256,n=512,spectrum=geometric,cond=1e4,seed=1", 1, 0, 0},
        {"out", CLI_STRING, &out, "O.npy", "write the output matrix", 1, 0, 0},
        {"format", CLI_STRING, &format, "F", "table|csv|json", 1, 0, 0},
        {"reps", CLI_SIZE, &reps, "R",
         "timed repetitions, median reported (default 3)", 1, 1000, 0},
        {0},
    };
    int rc = cli_parse(CMD, "--method NAME [--steps K] [--precision P] "
                       "(--in G.npy | --synthetic SPEC) [--out O.npy] "
                       "[--format table|csv|json]", argc, argv, opts, NULL, 0,
                       NULL);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    cli_format fmt;
    if ((rc = cli_format_by_name(CMD, format, &fmt)))
        return rc;
    const muon_orth_type *types[64];
    muon_orth_params params[64];
    size_t nt;
    if ((rc = orth_cli_methods(CMD, &o, "ns5", 0, types, &nt, 64)))
        return rc;
    for (size_t i = 0; i < nt; i++)
        if ((rc = orth_cli_params(CMD, &o, types[i], &params[i])))
            return rc;

    input x = {0};
    if ((rc = load_input(in, synth, &x))) {
        free(x.G);
        return rc;
    }
    size_t m = x.m, n = x.n, mn = m * n, total = mn * x.count;
    double *O = malloc(total * sizeof *O);
    float *Gf = malloc(total * sizeof *Gf), *Of = malloc(total * sizeof *Of);
    double *times = malloc(reps * sizeof *times);
    muon_measure *meas = muon_measure_alloc(m, n);
    cli_table *t = cli_table_new(cols, NCOLS);
    if (!O || !Gf || !Of || !times || !meas || !t) {
        rc = cli_fail(CMD, MUON_ENOMEM);
        goto done;
    }
    for (size_t i = 0; i < total; i++)
        Gf[i] = (float)x.G[i];
    /* The ceiling: the backend's sgemm rate at the Gram product's shape
     * (s x l times l x s), measured in this run. */
    size_t sm = m < n ? m : n, lg = m < n ? n : m;
    double ceiling = muon_linalg_gemm_rate(muon_linalg_default(),
                                           MUON_LINALG_F32, sm, sm, lg, 5);

    for (size_t i = 0; i < nt; i++) {
        const muon_orth_type *T = types[i];
        const muon_orth_params *p = &params[i];
        muon_orth_workspace *w = muon_orth_alloc(T, p, m, n);
        if (!w) {
            rc = cli_fail(CMD, MUON_EINVAL);
            goto done;
        }
        int f64 = p->precision == MUON_FP64;
        double flops = muon_orth_flops(T, p, m, n);
        for (size_t k = 0; k < x.count && !rc; k++) {
            const double *Gk = x.G + k * mn;
            /* Warm-up (first-touch, BLAS thread start), then timed reps. */
            for (size_t r = 0; r <= reps && !rc; r++) {
                double t0 = muon_time_now();
                rc = f64 ? muon_orth_apply_f64(w, Gk, O + k * mn)
                         : muon_orth_apply_f32(w, Gf + k * mn, Of + k * mn);
                if (r > 0)
                    times[r - 1] = muon_time_now() - t0;
            }
            if (rc)
                break;
            if (!f64)
                for (size_t j = 0; j < mn; j++)
                    O[k * mn + j] = Of[k * mn + j];
            muon_quality q;
            if ((rc = muon_measure_set_input(meas, Gk)) ||
                (rc = muon_measure_output(meas, O + k * mn, &q, NULL)))
                break;
            double sec = muon_sorted_median(times, reps, NULL, NULL);
            cli_table_str(t, T->name);
            cli_table_str(t, muon_precision_name(p->precision));
            cli_table_int(t, (long long)p->steps);
            cli_table_int(t, (long long)m);
            cli_table_int(t, (long long)n);
            cli_table_int(t, (long long)k);
            cli_table_str(t, x.spectrum);
            cli_table_num(t, x.cond);
            cli_table_num(t, q.sv.min);
            cli_table_num(t, q.sv.max);
            cli_table_num(t, q.sv.mean);
            cli_table_num(t, q.sv.std);
            cli_table_num(t, q.sv.ratio);
            cli_table_num(t, q.polar_err);
            cli_table_num(t, q.orth_err);
            cli_table_num(t, sec);
            cli_table_num(t, flops);
            cli_table_num(t, flops / sec / 1e9);
            cli_table_num(t, ceiling);
            cli_table_num(t, flops / sec / 1e9 / ceiling);
            cli_table_str(t, "ok");
        }
        muon_orth_free(w);
        if (rc) {
            rc = cli_fail(CMD, rc);
            goto done;
        }
        if (out) {
            char path[4096];
            out_name(path, sizeof path, out, T->name, nt > 1);
            size_t shape[3] = {x.count, m, n};
            size_t nd = x.ndim;
            const size_t *sh = nd == 3 ? shape : shape + 1;
            rc = f64 ? muon_npy_write_f64(path, nd, sh, O)
                     : muon_npy_write_f32(path, nd, sh, Of);
            if (rc) {
                rc = cli_fail(CMD, rc);
                goto done;
            }
        }
    }
    if ((rc = cli_table_write(t, stdout, fmt)))
        rc = cli_fail(CMD, rc);
done:
    cli_table_free(t);
    muon_measure_free(meas);
    free(times);
    free(O);
    free(Of);
    free(Gf);
    free(x.G);
    return rc;
}
