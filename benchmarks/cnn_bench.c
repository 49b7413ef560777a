/* cnn_bench.c: forward + backward throughput of whole models (the CNN and
 * the MLP by default) at one batch size, as CSV on stdout.
 *
 * Usage: cnn_bench [BATCH [REPS [SPEC...]]]   (defaults 128, 50, "cnn"
 * and "mlp:784-256-128-10").  Inputs are uniform in [0, 1) from a fixed
 * seed; each spec runs 5 untimed warm-up steps, then REPS timed ones.
 * Reported: the median and the best wall time per batch, and samples/s at
 * the median.  Threads: whatever OPENBLAS_NUM_THREADS says (the numbers
 * quoted in the docs use 2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "muon/model.h"
#include "muon/metrics.h"
#include "muon/status.h"

/* Times one spec; returns 0 or 1 (reported on stdout as a comment). */
static int
run(const char *spec, size_t B, size_t reps, gsl_rng *r)
{
    muon_model_config c;
    muon_model *m = NULL;
    float *x = NULL;
    int *lab = NULL;
    double *t = NULL, L;
    int bad = 1;
    if (muon_model_config_parse(&c, spec) ||
        !(m = muon_model_create(&c, 1)) || muon_model_reserve(m, B)) {
        printf("# %s: %s\n", spec, muon_last_error());
        goto done;
    }
    if (c.kind != MUON_MODEL_CNN && c.kind != MUON_MODEL_MLP) {
        printf("# %s: only cnn and mlp (classification) specs\n", spec);
        goto done;
    }
    const size_t in = c.kind == MUON_MODEL_CNN ? c.in_c * c.in_h * c.in_w
                                               : c.widths[0];
    const size_t K = c.kind == MUON_MODEL_CNN ? c.classes
                                              : c.widths[c.nwidths - 1];
    x = malloc(B * in * sizeof *x);
    lab = malloc(B * sizeof *lab);
    t = malloc(reps * sizeof *t);
    if (!x || !lab || !t) {
        printf("# %s: out of memory\n", spec);
        goto done;
    }
    for (size_t i = 0; i < B * in; i++)
        x[i] = (float)gsl_rng_uniform(r);
    for (size_t i = 0; i < B; i++)
        lab[i] = (int)gsl_rng_uniform_int(r, (unsigned long)K);
    muon_batch b = {.x = x, .labels = lab};
    for (size_t i = 0; i < 5 + reps; i++) {
        double t0 = muon_time_now();
        if (muon_model_forward(m, &b, B, &L) || muon_model_backward(m)) {
            printf("# %s: %s\n", spec, muon_last_error());
            goto done;
        }
        if (i >= 5)
            t[i - 5] = muon_time_now() - t0;
    }
    muon_sorted_median(t, reps, NULL, NULL);
    printf("%s,%zu,%zu,%.3f,%.3f,%.0f\n", spec, B, reps,
           1e3 * t[reps / 2], 1e3 * t[0], (double)B / t[reps / 2]);
    bad = 0;
done:
    free(x), free(lab), free(t);
    muon_model_free(m);
    return bad;
}

int
main(int argc, char **argv)
{
    static const char *const dflt[] = {"cnn", "mlp:784-256-128-10"};
    size_t B = argc > 1 ? strtoul(argv[1], NULL, 10) : 128;
    size_t reps = argc > 2 ? strtoul(argv[2], NULL, 10) : 50;
    int nbad = 0;
    gsl_set_error_handler_off();
    if (B < 1 || reps < 1) {
        printf("# usage: cnn_bench [BATCH [REPS [SPEC...]]]\n");
        return 2;
    }
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return 1;
    gsl_rng_set(r, 20250101);
    printf("spec,batch,reps,median_ms,best_ms,samples_per_s\n");
    if (argc > 3)
        for (int i = 3; i < argc; i++)
            nbad += run(argv[i], B, reps, r);
    else
        for (size_t i = 0; i < 2; i++)
            nbad += run(dflt[i], B, reps, r);
    gsl_rng_free(r);
    return nbad ? 1 : 0;
}
