/* verify-driver.c: the Muon driver against an independent fp64 reference
 * of KellerJordan's update (REFERENCE.md section 1) and the equivalences of
 * issue 3.
 *
 * The reference does not use the orthogonalizer library: it applies Jordan's
 * NS5 as the scalar map on the exact singular values (GSL's one-sided Jacobi
 * SVD, not LAPACK), which equals the matrix iteration in exact arithmetic
 * (REFERENCE.md section 2), and writes every scale mode and weight-decay
 * mode from the formulas of sections 3 and 4. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#include "muon/optim.h"
#include "muon/status.h"
#include "tol.h"
#include "vcheck.h"

#define T_STEPS 3

/* ---- the fp64 reference ------------------------------------------------ */

typedef struct {
    const char *scale; /* none original match_rms_adamw spectral ... */
    const char *wd_mode;
    double wd, lr, beta;
    int nesterov;
} refcfg;

/* Jordan's quintic applied five times to one normalised singular value. */
static double
ns5_map(double x)
{
    for (int t = 0; t < 5; t++) {
        double x2 = x * x;
        x = 3.4445 * x - 4.7750 * x * x2 + 2.0315 * x * x2 * x2;
    }
    return x;
}

/* O = U diag(f(sigma)) V^T of the A x B matrix X; f = ns5_map or 1 (svd,
 * keeping sigma > cutoff).  GSL wants rows >= cols, so wide matrices are
 * processed transposed. */
static void
ref_orth(const double *X, size_t A, size_t B, int exact_polar, double *O)
{
    int tr = A < B;
    size_t r = tr ? B : A, c = tr ? A : B;
    gsl_matrix *U = gsl_matrix_alloc(r, c), *V = gsl_matrix_alloc(c, c);
    gsl_vector *S = gsl_vector_alloc(c);
    for (size_t i = 0; i < A; i++)
        for (size_t j = 0; j < B; j++)
            gsl_matrix_set(U, tr ? j : i, tr ? i : j, X[i * B + j]);
    gsl_linalg_SV_decomp_jacobi(U, V, S);
    double s1 = gsl_vector_max(S);
    for (size_t i = 0; i < A; i++)
        for (size_t j = 0; j < B; j++) {
            size_t ii = tr ? j : i, jj = tr ? i : j;
            double sum = 0.0;
            for (size_t k = 0; k < c; k++) {
                double s = gsl_vector_get(S, k);
                double f = exact_polar ? (s > 1e-12 * s1 ? 1.0 : 0.0)
                                       : ns5_map(s);
                sum += gsl_matrix_get(U, ii, k) * f * gsl_matrix_get(V, jj, k);
            }
            O[i * B + j] = sum;
        }
    gsl_matrix_free(U);
    gsl_matrix_free(V);
    gsl_vector_free(S);
}

static double
ref_factor(const char *mode, double A, double B, double unorm)
{
    if (!strcmp(mode, "none"))
        return 1.0;
    if (!strcmp(mode, "original"))
        return sqrt(A / B > 1.0 ? A / B : 1.0);
    if (!strcmp(mode, "match_rms_adamw"))
        return 0.2 * sqrt(A > B ? A : B);
    if (!strcmp(mode, "spectral"))
        return sqrt(A / B);
    if (!strcmp(mode, "spectral_max"))
        return sqrt(A > B ? A : B);
    return sqrt(A * B) / unorm; /* seed002 */
}

/* T steps of KJ's update on one A x B matrix, everything in fp64. */
static void
ref_run(const refcfg *c, size_t A, size_t B, const double *W0,
        const double *G, int exact_polar, double *W)
{
    size_t n = A * B;
    double *M = calloc(n, sizeof *M), *U = malloc(n * sizeof *U);
    double *O = malloc(n * sizeof *O), *g = malloc(n * sizeof *g);
    memcpy(W, W0, n * sizeof *W);
    for (int t = 0; t < T_STEPS; t++) {
        double b = c->beta, nrm = 0.0;
        for (size_t j = 0; j < n; j++) {
            g[j] = G[t * n + j];
            if (!strcmp(c->wd_mode, "l2"))
                g[j] += c->wd * W[j];
            M[j] = b * M[j] + (1 - b) * g[j];
            U[j] = c->nesterov ? (1 - b) * g[j] + b * M[j] : M[j];
            nrm += U[j] * U[j];
        }
        nrm = sqrt(nrm);
        /* KJ normalises by ||U||_F + 1e-7 before the iteration. */
        double *X = malloc(n * sizeof *X);
        for (size_t j = 0; j < n; j++)
            X[j] = U[j] / (nrm + 1e-7);
        ref_orth(X, A, B, exact_polar, O);
        free(X);
        double f = ref_factor(c->scale, (double)A, (double)B, nrm);
        double decay = 1.0;
        if (!strcmp(c->wd_mode, "decoupled"))
            decay = 1 - c->lr * c->wd;
        else if (!strcmp(c->wd_mode, "decoupled_adjusted"))
            decay = 1 - c->lr * f * c->wd;
        else if (!strcmp(c->wd_mode, "independent"))
            decay = 1 - c->wd;
        for (size_t j = 0; j < n; j++)
            W[j] = W[j] * decay - c->lr * f * O[j];
    }
    free(M);
    free(U);
    free(O);
    free(g);
}

/* ---- running the driver ------------------------------------------------- */

/* Fixed inputs with many significant digits (no RNG needed). */
static void
fill(double *x, size_t n, double seed, double amp)
{
    for (size_t i = 0; i < n; i++)
        x[i] = amp * sin(seed * (double)(i + 1) + 0.3 * seed * seed);
}

/* Runs the driver for T_STEPS on one parameter of the given shape; the
 * gradients are G[t] (count floats each).  Returns 0 or a status. */
static int
drv_run(const muon_optim_config *cfg, size_t ndim, const size_t *shape,
        const double *W0, const double *G, double lr, double *Wout,
        float *mom_out)
{
    size_t count = 1;
    for (size_t d = 0; d < ndim; d++)
        count *= shape[d];
    float *w = malloc(count * sizeof *w), *g = malloc(count * sizeof *g);
    muon_param p = {"w", w, g, ndim, {0}, MUON_ROLE_HIDDEN};
    memcpy(p.shape, shape, ndim * sizeof *shape);
    for (size_t j = 0; j < count; j++)
        w[j] = (float)W0[j];
    muon_optim *o = muon_optim_alloc(cfg, &p, 1, NULL);
    int rc = o ? 0 : MUON_EINVAL;
    for (int t = 0; !rc && t < T_STEPS; t++) {
        for (size_t j = 0; j < count; j++)
            g[j] = (float)G[t * count + j];
        rc = muon_optim_step(o, lr, 0.0);
    }
    for (size_t j = 0; j < count; j++)
        Wout[j] = w[j];
    if (mom_out && o)
        memcpy(mom_out, muon_optim_momentum(o, 0), count * sizeof(float));
    muon_optim_free(o);
    free(w);
    free(g);
    return rc;
}

/* ||(Wa - W0) - (Wb - W0)||_F / ||Wb - W0||_F */
static double
rel_change(const double *Wa, const double *Wb, const double *W0, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t j = 0; j < n; j++) {
        double d = Wa[j] - Wb[j], r = Wb[j] - W0[j];
        num += d * d;
        den += r * r;
    }
    return sqrt(num) / sqrt(den);
}

static muon_optim_config
config_for(const refcfg *r, const char *method, muon_precision prec)
{
    muon_optim_config c;
    muon_optim_default_config(&c);
    c.orth = muon_orth_type_by_name(method);
    muon_orth_default_params(c.orth, &c.orth_params);
    c.orth_params.precision = prec;
    c.scale = muon_scale_type_by_name(r->scale);
    muon_wd_mode_by_name(r->wd_mode, &c.wd_mode);
    c.wd = r->wd;
    c.momentum = r->beta;
    c.nesterov = r->nesterov;
    return c;
}

static const size_t shapes[][2] = {{2, 3}, {3, 2}};

static void
golden(const refcfg *r, const char *label)
{
    for (size_t s = 0; s < 2; s++) {
        size_t A = shapes[s][0], B = shapes[s][1], n = A * B;
        double W0[6], G[T_STEPS * 6], Wref[6], Wdrv[6];
        fill(W0, n, 0.7 + (double)s, 0.5);
        fill(G, T_STEPS * n, 1.3 + (double)s, 1.0);
        ref_run(r, A, B, W0, G, 0, Wref);
        for (int fp64 = 1; fp64 >= 0; fp64--) {
            muon_optim_config c = config_for(r, "ns5",
                                             fp64 ? MUON_FP64 : MUON_FP32);
            int rc = drv_run(&c, 2, shapes[s], W0, G, r->lr, Wdrv, NULL);
            double e = rc ? INFINITY : rel_change(Wdrv, Wref, W0, n);
            vcheck_le(e, fp64 ? TOL_DRIVER_F64ORTH : TOL_DRIVER_F32,
                      "golden %s %zux%zu ns5 %s, 3 steps: rel. error of "
                      "W3 - W0 vs fp64 reference", label, A, B,
                      fp64 ? "fp64" : "fp32");
        }
    }
}

/* ---- equivalences ------------------------------------------------------ */

static double
rel_diff(const double *a, const double *b, const double *W0, size_t n)
{
    return rel_change(a, b, W0, n);
}

static void
equivalences(void)
{
    refcfg r = {"original", "decoupled", 0.0, 0.02, 0.95, 1};
    double W0[48], G[T_STEPS * 48], Wa[48], Wb[48];
    size_t sh[2] = {4, 6};
    fill(W0, 24, 0.37, 0.3);
    fill(G, T_STEPS * 24, 2.1, 1.0);

    /* ema vs classical with constant beta. */
    muon_optim_config c = config_for(&r, "ns5", MUON_FP32);
    drv_run(&c, 2, sh, W0, G, r.lr, Wa, NULL);
    c.momentum_type = MUON_MOMENTUM_CLASSICAL;
    drv_run(&c, 2, sh, W0, G, r.lr, Wb, NULL);
    vcheck_le(rel_diff(Wb, Wa, W0, 24), TOL_DRIVER_EQUIV,
              "ema and classical momentum give the same updates (4x6)");

    /* nesterov off == orthogonalizing the momentum: the reference with
     * U = M. */
    r.nesterov = 0;
    c = config_for(&r, "ns5", MUON_FP64);
    drv_run(&c, 2, sh, W0, G, r.lr, Wa, NULL);
    ref_run(&r, 4, 6, W0, G, 0, Wb);
    vcheck_le(rel_diff(Wa, Wb, W0, 24), TOL_DRIVER_F64ORTH,
              "nesterov off: update = NS5(M) (fp64 reference)");
    r.nesterov = 1;

    /* svd + none: one step from W0 = 0 gives -lr * polar(G), all
     * singular values 1. */
    refcfg rs = {"none", "decoupled", 0.0, 1.0, 0.95, 1};
    c = config_for(&rs, "svd", MUON_FP64);
    {
        float w[24] = {0}, g[24];
        for (size_t j = 0; j < 24; j++)
            g[j] = (float)G[j];
        muon_param p = {"w", w, g, 2, {4, 6}, MUON_ROLE_HIDDEN};
        muon_optim *o = muon_optim_alloc(&c, &p, 1, NULL);
        muon_optim_step(o, 1.0, 0.0);
        gsl_matrix *m = gsl_matrix_alloc(6, 4), *v = gsl_matrix_alloc(4, 4);
        gsl_vector *s = gsl_vector_alloc(4);
        for (size_t i = 0; i < 4; i++)
            for (size_t j = 0; j < 6; j++)
                gsl_matrix_set(m, j, i, -w[i * 6 + j]);
        gsl_linalg_SV_decomp_jacobi(m, v, s);
        double dev = 0.0;
        for (size_t k = 0; k < 4; k++)
            dev = fmax(dev, fabs(gsl_vector_get(s, k) - 1.0));
        vcheck_le(dev, 1e-6, "svd + scale none: max |sigma_i(update) - 1| "
                  "(fp32 storage, 4x6)");
        gsl_matrix_free(m);
        gsl_matrix_free(v);
        gsl_vector_free(s);
        muon_optim_free(o);
    }

    /* Transposed parameters give transposed updates (scale none: the
     * factor itself is not transpose-invariant by design). */
    {
        refcfg rn = {"none", "decoupled", 0.1, 0.02, 0.95, 1};
        double W0t[24], Gt[T_STEPS * 24], Wt[24], WtT[24];
        size_t sht[2] = {6, 4};
        for (size_t i = 0; i < 4; i++)
            for (size_t j = 0; j < 6; j++) {
                W0t[j * 4 + i] = W0[i * 6 + j];
                for (int t = 0; t < T_STEPS; t++)
                    Gt[t * 24 + j * 4 + i] = G[t * 24 + i * 6 + j];
            }
        c = config_for(&rn, "ns5", MUON_FP32);
        drv_run(&c, 2, sh, W0, G, rn.lr, Wa, NULL);
        drv_run(&c, 2, sht, W0t, Gt, rn.lr, Wt, NULL);
        for (size_t i = 0; i < 4; i++)
            for (size_t j = 0; j < 6; j++)
                WtT[i * 6 + j] = Wt[j * 4 + i];
        vcheck_le(rel_diff(WtT, Wa, W0, 24), TOL_DRIVER_EQUIV,
                  "transposed parameter (6x4) gives the transposed update");
    }

    /* A conv filter (3, 2, 2, 2) == its flattened (3, 8) matrix, including
     * the scale factor (flattened shape); the unflattened switch instead
     * uses (kh, kw) = (2, 2) as KJ does. */
    {
        size_t sc[4] = {3, 2, 2, 2}, sf[2] = {3, 8};
        double Wc[24], Wf[24];
        refcfg ro = {"spectral", "decoupled", 0.01, 0.02, 0.95, 1};
        c = config_for(&ro, "ns5", MUON_FP32);
        drv_run(&c, 4, sc, W0, G, ro.lr, Wc, NULL);
        drv_run(&c, 2, sf, W0, G, ro.lr, Wf, NULL);
        vcheck_le(rel_diff(Wc, Wf, W0, 24), TOL_DRIVER_EQUIV,
                  "conv (3,2,2,2) update == flattened (3,8) update");
        /* Unflattened: factor sqrt(2/2) = 1 instead of sqrt(3/8); wd = 0 so
         * the change is proportional to the factor. */
        ro.wd = 0.0;
        c = config_for(&ro, "ns5", MUON_FP32);
        drv_run(&c, 2, sf, W0, G, ro.lr, Wf, NULL);
        c.unflattened_scale = 1;
        drv_run(&c, 4, sc, W0, G, ro.lr, Wc, NULL);
        double k = sqrt(8.0 / 3.0), num = 0.0, den = 0.0;
        for (size_t j = 0; j < 24; j++) {
            double d = (Wc[j] - W0[j]) - k * (Wf[j] - W0[j]);
            num += d * d;
            den += (Wc[j] - W0[j]) * (Wc[j] - W0[j]);
        }
        vcheck_le(sqrt(num / den), TOL_DRIVER_EQUIV,
                  "unflattened-scale switch: conv update = sqrt(8/3) x "
                  "flattened (KJ's (kh, kw) scale)");
    }
}

int
main(void)
{
    gsl_set_error_handler_off();
    static const char *const scales[] = {"none", "original",
                                         "match_rms_adamw", "spectral",
                                         "spectral_max", "seed002"};
    static const char *const wds[] = {"decoupled", "decoupled_adjusted",
                                      "independent", "l2"};
    refcfg r = {"original", "decoupled", 0.0, 0.02, 0.95, 1};
    golden(&r, "default (KJ SingleDeviceMuon)");
    for (size_t i = 0; i < 6; i++) {
        refcfg rs = r;
        rs.scale = scales[i];
        char label[64];
        snprintf(label, sizeof label, "scale %s", scales[i]);
        golden(&rs, label);
    }
    for (size_t i = 0; i < 4; i++) {
        refcfg rw = r;
        rw.wd_mode = wds[i];
        rw.wd = 0.1;
        rw.scale = "match_rms_adamw"; /* factor != 1 for adjusted wd */
        char label[64];
        snprintf(label, sizeof label, "wd %s 0.1", wds[i]);
        golden(&rw, label);
    }
    equivalences();
    return vcheck_finish();
}
