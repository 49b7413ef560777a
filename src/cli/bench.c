/* bench.c: `muonlab bench`: time orthogonalizers per method x shape x
 * precision x backend, next to each backend's plain GEMM rate and the memory
 * bandwidth measured in the same run, so every figure is also a ratio to its
 * ceiling.  CSV output feeds the throughput figure (scripts/bench_torch.py
 * adds PyTorch reference rows in the same columns). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "muon/linalg.h"
#include "muon/metrics.h"
#include "muon/orth.h"
#include "muon/status.h"
#include "muon/synth.h"
#include "orth_opts.h"

#define CMD "bench"
#define MAXN 64
#define BIG 2048 /* order of the "single large product" ceiling */

static int
parse_shape(const char *s, size_t *m, size_t *n)
{
    char *end;
    unsigned long long a = strtoull(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X'))
        return -1;
    const char *s2 = end + 1;
    unsigned long long b = strtoull(s2, &end, 10);
    if (end == s2 || *end || a == 0 || b == 0 || a > 1u << 20 || b > 1u << 20)
        return -1;
    *m = (size_t)a;
    *n = (size_t)b;
    return 0;
}

static double
peak_rss_mb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru))
        return NAN;
    return (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
}

/* OpenBLAS's figures say little about the machine when it runs kernels
 * below the CPU's class: Debian's OpenBLAS 0.3.21 takes some AVX-512 CPUs
 * for a 'Prescott' unless OPENBLAS_CORETYPE says otherwise, and its sgemm
 * then runs at a fraction of the rate.  The environment is the user's to
 * set, so bench only says so, once, before anything is timed. */
static void
warn_generic_openblas(const muon_linalg_backend *const *bes, size_t nbe)
{
#if defined(__x86_64__) || defined(__i386__)
    int uses_openblas = 0;
    for (size_t b = 0; b < nbe; b++)
        uses_openblas |= !strcmp(bes[b]->name, "openblas");
    const char *core = muon_linalg_blas_core();
    if (!uses_openblas || muon_linalg_blas_core_is_avx2(core) ||
        !__builtin_cpu_supports("avx2"))
        return;
    /* SkylakeX kernels need AVX-512: suggest them only where it exists. */
    int avx512 = __builtin_cpu_supports("avx512f");
    const char *env = getenv("OPENBLAS_CORETYPE");
    fprintf(stderr,
            "muonlab %s: warning: OpenBLAS runs its '%s' kernels, not its "
            "AVX2/AVX-512 ones, on this %s CPU (OPENBLAS_CORETYPE%s%s); its "
            "rates are far below the machine's; set OPENBLAS_CORETYPE=%s to "
            "compare backends fairly\n",
            CMD, core, avx512 ? "AVX-512" : "AVX2", env ? "=" : " is unset",
            env ? env : "", avx512 ? "SkylakeX (or Haswell)" : "Haswell");
#else
    (void)bes; /* OpenBLAS has AVX2 kernel sets on x86 only */
    (void)nbe;
#endif
}

static const char *const cols[] = {
    "impl", "method", "backend", "precision", "m", "n", "batch", "threads",
    "steps", "reps", "time_s", "time_q1_s", "time_q3_s", "flops", "gflops",
    "gemm_gflops", "ratio_gemm", "gemm_big_gflops", "ratio_gemm_big",
    "bw_gbs", "min_time_bw_s", "peak_rss_mb", "time_min_s",
    "ratio_gemm_best", "ratio_gemm_big_best"};
#define NCOLS (sizeof cols / sizeof cols[0])

int
cmd_bench(int argc, char **argv)
{
    cli_list methods = {0}, shapes = {0}, precs = {0}, backends = {0};
    size_t batch = 1, reps = 5, threads = 0, steps = 0;
    const char *format = "table", *out = NULL;
    long long seed = 1;
    cli_opt opts[] = {
        {"method", CLI_LIST, &methods, "NAME",
         "orthogonalizer(s) (default ns5; `muonlab methods`)", 1, 0, 0},
        {"shape", CLI_LIST, &shapes, "MxN",
         "matrix shape(s) (default 1024x4096)", 1, 0, 0},
        {"batch", CLI_SIZE, &batch, "K",
         "matrices per timed call (apply_batch; default 1)", 1, 1 << 20, 0},
        {"threads", CLI_SIZE, &threads, "T",
         "batch: matrices run at once (default: online CPUs)", 1, 256, 0},
        {"precision", CLI_LIST, &precs, "P",
         "fp64|fp32|bf16|fp16|bf16n (bf16n: native bf16 products; default "
         "fp32)", 1, 0, 0},
        {"backend", CLI_LIST, &backends, "B",
         "matrix-product backend(s) or all (default openblas)", 1, 0, 0},
        {"steps", CLI_SIZE, &steps, "K", "iterations (default: the method's)",
         1, 1000, 0},
        {"reps", CLI_SIZE, &reps, "R", "timed repetitions (default 5)", 1,
         1000, 0},
        {"seed", CLI_INT, &seed, "S", "input seed (default 1)", 0, 1e9, 0},
        {"format", CLI_STRING, &format, "F", "table|csv|json", 1, 0, 0},
        {"out", CLI_STRING, &out, "FILE", "write the results here", 1, 0, 0},
        {0},
    };
    int rc = cli_parse(CMD, "[--method NAME...] [--shape MxN...] [--batch K] "
                       "[--precision P...] [--backend B...] [--reps R]", argc,
                       argv, opts, NULL, 0, NULL);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    cli_format fmt;
    if ((rc = cli_format_by_name(CMD, format, &fmt)))
        return rc;
    if (threads == 0) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        threads = nc > 0 ? (size_t)nc : 1;
    }

    /* Names first, all checked before anything is timed. */
    if (!methods.n)
        methods.v[methods.n++] = "ns5";
    if (!shapes.n)
        shapes.v[shapes.n++] = "1024x4096";
    if (!precs.n)
        precs.v[precs.n++] = "fp32";
    if (!backends.n)
        backends.v[backends.n++] = "openblas";
    const muon_orth_type *types[MAXN];
    const muon_linalg_backend *bes[MAXN];
    size_t nbe = 0;
    for (size_t i = 0; i < methods.n; i++)
        if (!(types[i] = muon_orth_type_by_name(methods.v[i])))
            return cli_fail(CMD, MUON_EUNKNOWN);
    for (size_t i = 0; i < backends.n; i++) {
        if (!strcmp(backends.v[i], "all")) {
            const muon_linalg_backend *const *all = muon_linalg_backends();
            for (size_t k = 0; all[k] && nbe < MAXN; k++)
                bes[nbe++] = all[k];
        } else if (!(bes[nbe++] = muon_linalg_backend_by_name(backends.v[i])))
            return cli_fail(CMD, MUON_EUNKNOWN);
    }
    muon_precision pv[MAXN];
    int native[MAXN];
    for (size_t i = 0; i < precs.n; i++) {
        native[i] = !strcmp(precs.v[i], "bf16n");
        if (native[i])
            pv[i] = MUON_BF16;
        else if ((rc = muon_precision_by_name(precs.v[i], &pv[i])))
            return cli_fail(CMD, rc);
    }
    size_t sm[MAXN], sn[MAXN];
    for (size_t i = 0; i < shapes.n; i++)
        if (parse_shape(shapes.v[i], &sm[i], &sn[i]))
            return cli_usage_error(CMD, "--shape wants MxN with positive "
                                   "sizes (got '%s')", shapes.v[i]);

    warn_generic_openblas(bes, nbe);

    cli_table *t = cli_table_new(cols, NCOLS);
    double *times = malloc(reps * sizeof *times);
    double *grates = malloc(reps * sizeof *grates);
    double *brates = malloc(reps * sizeof *brates);
    double *pairs = malloc(reps * sizeof *pairs);
    double *bpairs = malloc(reps * sizeof *bpairs);
    if (!t || !times || !grates || !brates || !pairs || !bpairs) {
        free(times);
        free(grates);
        free(brates);
        free(pairs);
        free(bpairs);
        cli_table_free(t);
        return cli_fail(CMD, MUON_ENOMEM);
    }
    /* The bandwidth once per run (256 MiB of arrays, far beyond the L3),
     * the large-product ceiling once per backend and kind (batches time it
     * between their repetitions instead). */
    double bw = muon_linalg_bandwidth((size_t)256 << 20, 5);
    double big[MAXN][3];
    for (size_t b = 0; b < nbe; b++)
        for (int k = 0; k < 3; k++)
            big[b][k] = NAN;

    for (size_t si = 0; si < shapes.n && !rc; si++) {
        size_t m = sm[si], n = sn[si], mn = m * n;
        size_t s = m < n ? m : n, l = m < n ? n : m;
        double *G = malloc(mn * batch * sizeof *G);
        double *Od = malloc(mn * batch * sizeof *Od);
        float *Gf = malloc(mn * batch * sizeof *Gf);
        float *Of = malloc(mn * batch * sizeof *Of);
        if (!G || !Od || !Gf || !Of) {
            rc = cli_fail(CMD, MUON_ENOMEM);
            goto shape_done;
        }
        /* One synthetic gradient-like matrix per batch element: geometric
         * spectrum, cond 1e4 (what ortho's documentation uses). */
        for (size_t k = 0; k < batch && !rc; k++) {
            muon_synth_spec spec;
            muon_synth_default_spec(&spec);
            spec.m = m;
            spec.n = n;
            spec.spectrum = MUON_SPECTRUM_GEOMETRIC;
            spec.cond = 1e4;
            spec.seed = (unsigned long)seed + k;
            if ((rc = muon_synth_generate(&spec, G + k * mn, NULL)))
                rc = cli_fail(CMD, rc);
        }
        for (size_t i = 0; i < mn * batch; i++)
            Gf[i] = (float)G[i];
        for (size_t b = 0; b < nbe && !rc; b++) {
            for (size_t pi = 0; pi < precs.n && !rc; pi++) {
                if (native[pi] && !bes[b]->sbgemm)
                    continue; /* this backend has no native bf16 */
                muon_linalg_kind kind = native[pi]           ? MUON_LINALG_BF16
                                        : pv[pi] == MUON_FP64 ? MUON_LINALG_F64
                                                              : MUON_LINALG_F32;
                /* Ceilings: the iteration's main product shape (s x s
                 * times s x l, timed below), and a large square product. */
                if (isnan(big[b][kind]))
                    big[b][kind] = muon_linalg_gemm_rate(bes[b], kind, BIG,
                                                         BIG, BIG, 3);
                for (size_t mi = 0; mi < methods.n && !rc; mi++) {
                    const muon_orth_type *T = types[mi];
                    muon_orth_params p;
                    muon_orth_default_params(T, &p);
                    if (T->polynomial && p.ncoeffs == 0)
                        continue; /* custom without a coefficient file */
                    if (steps && T->polynomial)
                        p.steps = steps;
                    p.backend = bes[b];
                    p.precision = pv[pi];
                    p.native = native[pi];
                    /* svd always computes in fp64 (its output is rounded
                     * to the requested precision); it has no native bf16. */
                    if (!T->polynomial && native[pi])
                        continue;
                    muon_orth_workspace *w = muon_orth_alloc(T, &p, m, n);
                    if (!w && native[pi]) {
                        /* The method has no native bf16 path: no row. */
                        muon_clear_error();
                        continue;
                    }
                    if (!w || (batch > 1 &&
                               muon_orth_set_threads(w, threads))) {
                        muon_orth_free(w);
                        rc = cli_fail(CMD, MUON_EINVAL);
                        break;
                    }
                    int f64 = pv[pi] == MUON_FP64;
                    /* The plain product is timed between the method's
                     * repetitions, so that both see the same machine load
                     * (a shared machine makes separately timed ceilings
                     * meaningless as ratios). */
                    for (size_t r = 0; r <= reps && !rc; r++) {
                        double t0 = muon_time_now();
                        rc = f64 ? muon_orth_apply_batch_f64(w, batch, G, Od)
                                 : muon_orth_apply_batch_f32(w, batch, Gf, Of);
                        if (r > 0) {
                            times[r - 1] = muon_time_now() - t0;
                            grates[r - 1] = muon_linalg_gemm_rate(
                                bes[b], kind, s, l, s, 1);
                            /* A batch is judged against the large product:
                             * time that between repetitions too. */
                            if (batch > 1)
                                brates[r - 1] = muon_linalg_gemm_rate(
                                    bes[b], kind, BIG, BIG, BIG, 1);
                        }
                    }
                    muon_orth_free(w);
                    if (rc) {
                        rc = cli_fail(CMD, rc);
                        break;
                    }
                    double flops = muon_orth_flops(T, &p, m, n) * batch;
                    /* The ratios pair each repetition with the products
                     * timed right after it, then take the median: load
                     * that comes and goes hits both sides of a pair.
                     * (Medians sort in place: pairs first.) */
                    for (size_t r = 0; r < reps; r++) {
                        double g = flops / times[r] / 1e9;
                        pairs[r] = g / grates[r];
                        if (batch > 1)
                            bpairs[r] = g / brates[r];
                    }
                    double ratio = muon_sorted_median(pairs, reps, NULL, NULL);
                    double gemm = muon_sorted_median(grates, reps, NULL, NULL);
                    double q1, q3, sec = muon_sorted_median(times, reps, &q1, &q3);
                    double gf = flops / sec / 1e9;
                    double bigrate = big[b][kind], ratio_big = gf / bigrate;
                    if (batch > 1) {
                        bigrate = muon_sorted_median(brates, reps, NULL, NULL);
                        ratio_big = muon_sorted_median(bpairs, reps, NULL,
                                                       NULL);
                    }
                    /* Best against best (the arrays are sorted now): on a
                     * shared machine the fastest repetition is the least
                     * disturbed one, on both sides of the ratio. */
                    double tmin = times[0], gf_best = flops / tmin / 1e9;
                    double gbest = grates[reps - 1];
                    double bbest = batch > 1 ? brates[reps - 1] : big[b][kind];
                    /* A lower bound on the time of any method: read G,
                     * write O once at the measured bandwidth. */
                    double bytes = 2.0 * mn * batch * (f64 ? 8.0 : 4.0);
                    cli_table_str(t, "muonlab");
                    cli_table_str(t, T->name);
                    cli_table_str(t, bes[b]->name);
                    cli_table_str(t, precs.v[pi]);
                    cli_table_int(t, (long long)m);
                    cli_table_int(t, (long long)n);
                    cli_table_int(t, (long long)batch);
                    cli_table_int(t, (long long)(batch > 1 ? threads : 1));
                    cli_table_int(t, (long long)p.steps);
                    cli_table_int(t, (long long)reps);
                    cli_table_num(t, sec);
                    cli_table_num(t, q1);
                    cli_table_num(t, q3);
                    cli_table_num(t, flops);
                    cli_table_num(t, gf);
                    cli_table_num(t, gemm);
                    cli_table_num(t, ratio);
                    cli_table_num(t, bigrate);
                    cli_table_num(t, ratio_big);
                    cli_table_num(t, bw);
                    cli_table_num(t, bytes / (bw * 1e9));
                    cli_table_num(t, peak_rss_mb());
                    cli_table_num(t, tmin);
                    cli_table_num(t, gf_best / gbest);
                    cli_table_num(t, gf_best / bbest);
                }
            }
        }
    shape_done:
        free(G);
        free(Od);
        free(Gf);
        free(Of);
    }
    if (!rc) {
        int st = out ? cli_table_save(t, out, fmt)
                     : cli_table_write(t, stdout, fmt);
        if (st)
            rc = cli_fail(CMD, st);
    }
    free(times);
    free(grates);
    free(brates);
    free(pairs);
    free(bpairs);
    cli_table_free(t);
    return rc;
}
