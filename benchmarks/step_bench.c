/* step_bench.c: the elementwise part of an optimizer step against the
 * memory bandwidth measured in the same run, as CSV on stdout.
 *
 * Usage: step_bench [N [REPS]]   (defaults 16777216 floats, 11 reps; N is
 * rounded down to a multiple of 1024).  Every rep times, one after the
 * other: a STREAM triad a = b + s c and copy a = b over N floats, the Muon
 * step without its orthogonalizer on one 1024 x N/1024 matrix (the
 * finiteness / gradient-norm scan, the fused momentum + Nesterov pass, the
 * fused weight decay + update pass: muon_optim_step_front and _back), and a
 * whole AdamW and SGD step on one vector of N floats (scan + fused pass).
 * Bandwidths count the bytes each design must move, STREAM style (a store
 * counts once): triad 12, copy 8, Muon 32 (scan: G; momentum: G, M in, M, U
 * out; update: O, W in, W out), AdamW 32 (scan; G, M, V, W in, M, V, W
 * out), SGD 24 bytes per element.  The machine may be shared, so each
 * kernel's ratio to the triad is taken within a rep and the medians over
 * reps are reported (ratio_copy likewise against the copy).  Two untimed
 * warm-up reps first.  Single thread throughout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>

#include "muon/io.h"
#include "muon/optim.h"
#include "muon/metrics.h"
#include "muon/status.h"
#include "optim/optim_impl.h"

#define MAX_REPS 101
#define WARMUP 2

enum { K_TRIAD, K_COPY, K_MUON, K_ADAMW, K_SGD, NK };
static const char *const kname[NK] = {"triad", "copy", "muon_elementwise",
                                      "adamw_step", "sgd_step"};
static const double kbytes[NK] = {12, 8, 32, 32, 24};

/* STREAM triad and copy, in blocks of 8 so that GCC vectorises them at
 * -O2 like the optimizer's kernels (a plain loop with a run-time trip
 * count stays scalar there and measures the core, not the memory: half
 * the bandwidth on the machine of docs/PERFLOG.md); n % 8 == 0.  Plain
 * stores, as the kernels' (memcpy may stream past the cache). */
static void
triad(float *restrict a, const float *restrict b, const float *restrict c,
      size_t n)
{
    for (size_t j = 0; j < n; j += 8)
        for (size_t l = 0; l < 8; l++)
            a[j + l] = b[j + l] + 0.5f * c[j + l];
}

static void
copy(float *restrict a, const float *restrict b, size_t n)
{
    for (size_t j = 0; j < n; j += 8)
        for (size_t l = 0; l < 8; l++)
            a[j + l] = b[j + l];
}

/* Deterministic values of a few significant digits, amplitude amp. */
static void
fill(float *x, size_t n, double seed, double amp)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * sin(seed * (double)(i % 9973) + 0.1 * seed));
}

int
main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : (size_t)1 << 24;
    size_t reps = argc > 2 ? strtoul(argv[2], NULL, 10) : 11;
    gsl_set_error_handler_off();
    muon_provenance_set_command(argc, argv);
    n -= n % 1024;
    if (n == 0 || reps < 1 || reps > MAX_REPS) {
        printf("# usage: step_bench [N >= 1024 [REPS <= %d]]\n", MAX_REPS);
        return 2;
    }
    size_t A = 1024, B = n / A;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    float *c = malloc(n * sizeof *c);
    float *w = malloc(n * sizeof *w), *g = malloc(n * sizeof *g);
    float *v = malloc(n * sizeof *v), *gv = malloc(n * sizeof *gv);
    float *s = malloc(n * sizeof *s), *gs = malloc(n * sizeof *gs);
    muon_optim *om = NULL, *oa = NULL, *os = NULL;
    int rc = 1;
    if (!a || !b || !c || !w || !g || !v || !gv || !s || !gs) {
        printf("# out of memory for %zu floats\n", n);
        goto done;
    }
    fill(b, n, 0.3, 1.0);
    fill(c, n, 0.7, 1.0);
    fill(a, n, 0.9, 1.0);
    fill(w, n, 1.1, 0.05);
    fill(g, n, 1.3, 1e-3);
    fill(v, n, 1.7, 0.05);
    fill(gv, n, 1.9, 1e-3);
    fill(s, n, 2.3, 0.05);
    fill(gs, n, 2.9, 1e-3);

    /* KJ's groups: Muon wd 0.01 (README), AdamW as SingleDeviceMuon's
     * auxiliary defaults; SGD with momentum 0.9 and Nesterov. */
    muon_optim_config cfg;
    muon_optim_default_config(&cfg);
    cfg.wd = 0.01;
    muon_param pm = {"w", w, g, 2, {A, B}, MUON_ROLE_HIDDEN};
    muon_param pa = {"v", v, gv, 1, {n}, MUON_ROLE_GAIN};
    muon_param ps = {"s", s, gs, 1, {n}, MUON_ROLE_GAIN};
    om = muon_optim_alloc(&cfg, &pm, 1, NULL);
    oa = muon_optim_alloc(&cfg, &pa, 1, NULL);
    cfg.aux = MUON_AUX_SGD;
    cfg.aux_nesterov = 1;
    os = muon_optim_alloc(&cfg, &ps, 1, NULL);
    if (!om || !oa || !os) {
        printf("# %s\n", muon_last_error());
        goto done;
    }
    /* The orthogonalizer is not run: its output buffer holds a fixed
     * matrix of the size an orthogonal one would have. */
    fill(om->groups[0].out, n, 3.1, 1.0 / sqrt((double)B));

    double t[NK][MAX_REPS], rt[NK][MAX_REPS], rc_[NK][MAX_REPS];
    for (size_t r = 0; r < WARMUP + reps; r++) {
        double tk[NK], t0 = muon_time_now();
        triad(a, b, c, n);
        __asm__ volatile("" : : "r"(a) : "memory");
        tk[K_TRIAD] = muon_time_now() - t0;
        t0 = muon_time_now();
        copy(a, c, n);
        __asm__ volatile("" : : "r"(a) : "memory");
        tk[K_COPY] = muon_time_now() - t0;
        t0 = muon_time_now();
        if (muon_optim_step_front(om, 0.02, 3e-4) ||
            muon_optim_step_back(om, 0.02, 3e-4)) {
            printf("# muon: %s\n", muon_last_error());
            goto done;
        }
        tk[K_MUON] = muon_time_now() - t0;
        t0 = muon_time_now();
        if (muon_optim_step(oa, 0.02, 3e-4)) {
            printf("# adamw: %s\n", muon_last_error());
            goto done;
        }
        tk[K_ADAMW] = muon_time_now() - t0;
        t0 = muon_time_now();
        if (muon_optim_step(os, 0.02, 3e-4)) {
            printf("# sgd: %s\n", muon_last_error());
            goto done;
        }
        tk[K_SGD] = muon_time_now() - t0;
        if (r < WARMUP)
            continue;
        for (int k = 0; k < NK; k++) {
            t[k][r - WARMUP] = tk[k];
            /* Bandwidth ratios within the rep. */
            rt[k][r - WARMUP] = kbytes[k] / tk[k] /
                                (kbytes[K_TRIAD] / tk[K_TRIAD]);
            rc_[k][r - WARMUP] = kbytes[k] / tk[k] /
                                 (kbytes[K_COPY] / tk[K_COPY]);
        }
    }
    muon_provenance_write(stdout, "# ");
    printf("kernel,n,bytes_per_elem,reps,median_ms,best_ms,gb_per_s,"
           "ratio_triad,ratio_copy\n");
    for (int k = 0; k < NK; k++) {
        double med = muon_sorted_median(t[k], reps, NULL, NULL), best = t[k][0];
        printf("%s,%zu,%.0f,%zu,%.3f,%.3f,%.2f,%.3f,%.3f\n", kname[k], n,
               kbytes[k], reps, 1e3 * med, 1e3 * best,
               kbytes[k] * (double)n / med / 1e9, muon_sorted_median(rt[k], reps, NULL, NULL),
               muon_sorted_median(rc_[k], reps, NULL, NULL));
    }
    rc = 0;
done:
    muon_optim_free(om);
    muon_optim_free(oa);
    muon_optim_free(os);
    free(a), free(b), free(c), free(w), free(g), free(v), free(gv);
    free(s), free(gs);
    return rc;
}
