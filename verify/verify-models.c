/* verify-models.c: whole-model gradients (mlp, cnn, gpt tied and untied,
 * linear with MSE) against central finite differences of the fp32 loss.
 *
 * The layers are verified one by one in fp64 (verify-layers); this program
 * checks the wiring: that each parameter tensor's gradient is the
 * derivative of the model's loss.  For every tensor t, along two
 * directions v inside t (the gradient direction g_t/|g_t| and a Gaussian
 * one), the parameters are set to theta +- h v in fp32 and
 *   dL = L(theta+) - L(theta-)  is compared with  g . (theta+ - theta-),
 * using the displacement actually stored (after fp32 rounding), so the
 * rounding of the parameters does not enter.  Relative error:
 * e(h) = (dL - g.dtheta) / (|g_t| |dtheta|), at a step h and h/2, combined
 * by Richardson extrapolation (4 e(h/2) - e(h)) / 3 to cancel the O(h^2)
 * truncation term; the smallest over h = 3e-2, 7.5e-3, 1.9e-3 is kept.
 *
 * Bound 1e-3 (measured errors are printed): the loss is evaluated in fp32
 * (accumulated in double), so it carries a round-off noise of about
 * 1e-7 |L| ~ 3e-7 per evaluation; with |dtheta| >= 1e-3 and |g_t| of
 * order 0.1..1 that is up to ~1e-4 relative (x 5/3 from the
 * extrapolation), and the remaining truncation is O(h^4).  A wiring mistake
 * (a missing, misplaced or mis-scaled gradient) gives an O(1) error at
 * every step. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "muon/model.h"
#include "muon/status.h"

#define FD_H 3e-2 /* the largest step; also 3e-2/4 and 3e-2/16 */
#define BOUND 1e-3

static int npass, nfail;
static gsl_rng *rng;

static double
loss_at(muon_model *m, const muon_batch *b, size_t B)
{
    double L = NAN;
    if (muon_model_forward(m, b, B, &L))
        printf("forward failed: %s\n", muon_last_error());
    return L;
}

/* (L(theta+) - L(theta-) - g.dtheta) / (|g_t| |dtheta|) along v / vn
 * with step h, where dtheta is the stored fp32 displacement. */
static double
fd_error(muon_model *m, const muon_batch *b, size_t B, float *data,
         const float *save, const float *g, const double *v, double vn,
         size_t cnt, double gn, double h)
{
    double pred = 0, dn = 0;
    for (size_t i = 0; i < cnt; i++)
        data[i] = (float)(save[i] + h * v[i] / vn);
    double Lp = loss_at(m, b, B);
    for (size_t i = 0; i < cnt; i++) {
        double up = data[i];
        data[i] = (float)(save[i] - h * v[i] / vn);
        pred += g[i] * (up - data[i]);
        dn += (up - data[i]) * (up - data[i]);
    }
    double Lm = loss_at(m, b, B);
    memcpy(data, save, cnt * sizeof *data);
    return ((Lp - Lm) - pred) / (gn * sqrt(dn));
}

static void
check_model(const char *spec, const muon_batch *b, size_t B)
{
    muon_model_config cfg;
    muon_model *m = NULL;
    if (muon_model_config_parse(&cfg, spec) ||
        !(m = muon_model_create(&cfg, 7)) || muon_model_reserve(m, B)) {
        printf("FAIL: %s: %s\n", spec, muon_last_error());
        nfail++;
        muon_model_free(m);
        return;
    }
    size_t np;
    const muon_param *p = muon_model_params(m, &np);
    const size_t n = muon_model_nparams(m);
    /* Check at a generic point, not at the initialisation: zero biases,
     * unit gains and N(0, 0.02^2) embeddings feeding a LayerNorm (whose
     * output only depends on the direction of a tiny vector, so the loss
     * is strongly curved there) are special. */
    for (size_t i = 0; i < n; i++)
        muon_model_data(m)[i] += (float)gsl_ran_gaussian(rng, 0.2);
    float *g = malloc(n * sizeof *g), *save = malloc(n * sizeof *save);
    double *v = malloc(n * sizeof *v);
    loss_at(m, b, B);
    muon_model_backward(m);
    memcpy(g, muon_model_grad(m), n * sizeof *g);
    memcpy(save, muon_model_data(m), n * sizeof *save);
    float *data = muon_model_data(m);
    double worst = 0;
    for (size_t k = 0; k < np; k++) {
        const size_t off = (size_t)(p[k].data - data), cnt =
                                                       muon_param_count(&p[k]);
        double gn = 0;
        for (size_t i = 0; i < cnt; i++)
            gn += (double)g[off + i] * g[off + i];
        gn = sqrt(gn);
        for (int dir = 0; dir < 2; dir++) {
            double vn = 0;
            for (size_t i = 0; i < cnt; i++) {
                v[i] = dir ? gsl_ran_gaussian(rng, 1) : g[off + i];
                vn += v[i] * v[i];
            }
            vn = sqrt(vn);
            if (vn == 0) /* a zero gradient: the random direction decides */
                continue;
            /* Richardson: e(h) = c h^2 + O(h^4) + noise, so
             * (4 e(h/2) - e(h)) / 3 removes the truncation term.  The best
             * of three steps is kept: truncation and kinks (a ReLU or a
             * pooling argmax switching inside the step) shrink with h,
             * the fp32 noise grows as 1/h, and a wrong gradient is wrong
             * at every step. */
            double rel = INFINITY;
            for (int k = 0; k < 3; k++) {
                const double hk = FD_H / pow(4, k);
                double e[2];
                for (int half = 0; half < 2; half++)
                    e[half] = fd_error(m, b, B, data + off, save + off,
                                       g + off, v, vn, cnt, gn,
                                       half ? hk / 2 : hk);
                rel = fmin(rel, fabs(4 * e[1] - e[0]) / 3);
            }
            if (!(rel <= BOUND))
                printf("FAIL: %s %s (%s direction) rel err %.3g > bound "
                       "%.0e\n", spec, p[k].name, dir ? "random" : "gradient",
                       rel, BOUND);
            worst = fmax(worst, isnan(rel) ? INFINITY : rel);
        }
    }
    int ok = worst <= BOUND;
    printf("%s: %s gradient (%zu tensors, 2 directions each) max rel err "
           "%.3g <= bound %.0e\n", ok ? "PASS" : "FAIL", spec, np, worst,
           BOUND);
    ok ? npass++ : nfail++;
    free(g), free(save), free(v);
    muon_model_free(m);
}

static float *
fvec(size_t n, double lo, double hi)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(lo + (hi - lo) * gsl_rng_uniform(rng));
    return x;
}

static int *
ivec(size_t n, unsigned long hi)
{
    int *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (int)gsl_rng_uniform_int(rng, hi);
    return x;
}

int
main(void)
{
    gsl_set_error_handler_off();
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 4242);
    enum { B = 6 };

    float *x = fvec(B * 64, -1, 1), *y = fvec(B * 8, -1, 1);
    int *lab = ivec(B, 5);
    check_model("linear:12-8", &(muon_batch){.x = x, .y = y}, B);
    check_model("linear:12-5,loss=ce,bias=1",
                &(muon_batch){.x = x, .labels = lab}, B);
    check_model("mlp:12-10-9-5,act=tanh",
                &(muon_batch){.x = x, .labels = lab}, B);
    check_model("mlp:12-10-8,act=gelu,loss=mse",
                &(muon_batch){.x = x, .y = y}, B);
    float *img = fvec(B * 2 * 8 * 8, 0, 1);
    check_model("cnn:input=2x8x8,channels=3-4,hidden=6,classes=5,act=tanh",
                &(muon_batch){.x = img, .labels = lab}, B);
    int *tok = ivec(B * 5, 11), *tgt = ivec(B * 5, 11);
    check_model("gpt:vocab=11,seq=5,layers=2,heads=2,width=8,tied=1",
                &(muon_batch){.tokens = tok, .targets = tgt}, B);
    check_model("gpt:vocab=11,seq=5,layers=1,heads=1,width=8,tied=0",
                &(muon_batch){.tokens = tok, .targets = tgt}, B);

    printf("%d passed, %d failed\n", npass, nfail);
    free(x), free(y), free(lab), free(img), free(tok), free(tgt);
    gsl_rng_free(rng);
    return nfail ? 1 : 0;
}
