/* verify-scale.c: each scale mode's factor on 1xN, Nx1 and NxN against
 * values computed by hand from REFERENCE.md section 3, and the factor the
 * Muon driver actually applies (measured from the update: an exact-SVD
 * orthogonalizer gives an update with min(A,B) unit singular values, so
 * ||dW||_F = lr * factor * sqrt(min(A,B))).  Storage-transposition
 * invariance: the factor depends on the logical shape (A = fan_out) only,
 * so a matrix held transposed in memory (column-major) but described with
 * the same A, B gets the same factor; the PyTorch-vs-flax confusion
 * (optax PR #1249) is exactly passing (B, A) instead. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "muon/optim.h"
#include "muon/scale.h"
#include "vcheck.h"

#define N 8

/* Hand values for 1xN, Nx1, NxN with N = 8 and ||M||_F = 4:
 * original: 1, sqrt(8), 1; match_rms: 0.2 sqrt(8) for all three;
 * spectral: sqrt(1/8), sqrt(8), 1; spectral_max: sqrt(8) x3;
 * seed002: sqrt(8)/4, sqrt(8)/4, 8/4. */
static const struct {
    const char *name;
    double f[3];
} hand[] = {
    {"none", {1, 1, 1}},
    {"original", {1, 2.8284271247461903, 1}},
    {"match_rms_adamw",
     {0.56568542494923806, 0.56568542494923806, 0.56568542494923806}},
    {"spectral", {0.35355339059327379, 2.8284271247461903, 1}},
    {"spectral_max",
     {2.8284271247461903, 2.8284271247461903, 2.8284271247461903}},
    {"seed002", {0.70710678118654757, 0.70710678118654757, 2}},
};
static const size_t shp[3][2] = {{1, N}, {N, 1}, {N, N}};

/* The factor the driver applied in one step from W = 0. */
static double
driver_factor(const char *mode, size_t A, size_t B, double *mnorm)
{
    muon_optim_config c;
    muon_optim_default_config(&c);
    c.orth = muon_orth_type_by_name("svd");
    muon_orth_default_params(c.orth, &c.orth_params);
    c.orth_params.precision = MUON_FP64;
    c.scale = muon_scale_type_by_name(mode);
    c.nesterov = 0;
    c.momentum = 0.0; /* U = M = G */
    size_t n = A * B;
    float *w = calloc(n, sizeof *w), *g = malloc(n * sizeof *g);
    double gn = 0.0;
    for (size_t i = 0; i < n; i++) {
        g[i] = (float)(0.5 + 0.25 * sin(1.1 * (double)i));
        gn += (double)g[i] * g[i];
    }
    *mnorm = sqrt(gn);
    muon_param p = {"w", w, g, 2, {A, B}, MUON_ROLE_HIDDEN};
    muon_optim *o = muon_optim_alloc(&c, &p, 1, NULL);
    double f = NAN;
    if (o && !muon_optim_step(o, 1.0, 0.0)) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++)
            s += (double)w[i] * w[i];
        f = sqrt(s) / sqrt((double)(A < B ? A : B));
    }
    muon_optim_free(o);
    free(w);
    free(g);
    return f;
}

int
main(void)
{
    gsl_set_error_handler_off();
    muon_scale_params p;
    muon_scale_default_params(&p);
    for (size_t m = 0; m < sizeof hand / sizeof hand[0]; m++) {
        const muon_scale_type *T = muon_scale_type_by_name(hand[m].name);
        if (!vcheck_true(T != NULL, "mode %s registered", hand[m].name))
            continue;
        for (size_t k = 0; k < 3; k++) {
            size_t A = shp[k][0], B = shp[k][1];
            double f = muon_scale_factor(T, A, B, &p, 4.0);
            vcheck_le(fabs(f - hand[m].f[k]) / hand[m].f[k], 1e-15,
                      "%s factor on %zux%zu vs hand value %.17g",
                      hand[m].name, A, B, hand[m].f[k]);
            double mn;
            double fd = driver_factor(hand[m].name, A, B, &mn);
            double want = muon_scale_factor(T, A, B, &p, mn);
            /* fp32 weights: relative 1e-6 covers the storage rounding. */
            vcheck_le(fabs(fd - want) / want, 1e-6,
                      "%s: factor applied by the driver on %zux%zu",
                      hand[m].name, A, B);
        }
        /* Storage transposition: a column-major copy of the same logical
         * 3 x 5 matrix is described by the same (A, B) = (3, 5). */
        size_t A = 3, B = 5, lda_rowmajor = B, lda_colmajor = A;
        double f_row = muon_scale_factor(T, A, B, &p, 4.0);
        double f_col = muon_scale_factor(T, lda_colmajor == A ? A : B,
                                         lda_rowmajor == B ? B : A, &p, 4.0);
        vcheck_true(f_row == f_col, "%s: factor independent of storage "
                    "order (3x5 row- vs column-major)", hand[m].name);
    }
    return vcheck_finish();
}
