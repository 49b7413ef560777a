/* verify-layers.c: every layer's backward pass against central finite
 * differences, in fp64, running the same template code as the fp32 models.
 *
 * For each layer the scalar f = sum(out .* R) (R a fixed random array; the
 * losses are scalars already) is differentiated with respect to every input
 * and parameter entry by (f(x + h) - f(x - h)) / 2h, h = 1e-6, and
 * compared with the backward pass driven by dout = R.  Reported: the
 * relative error max|g - g_fd| / max|g_fd| per tensor.
 *
 * Bounds: for smooth layers the central difference has truncation error
 * h^2 |f'''| / 6 ~ 1e-13 and round-off eps |f| / h ~ 2.2e-16 * 10 / 1e-6
 * ~ 2e-9; relative to gradients of order 0.1..1 the error is ~1e-8, so the
 * bound is 1e-6 (TOL_FD_REL) for layers with a few nested nonlinearities and
 * 1e-7 for layers that are linear in the perturbed variable (linear, conv,
 * embedding, residual, relu/maxpool away from their kinks), whose only error
 * is round-off.  Piecewise-linear layers get inputs at least 1e-3 away from
 * their kinks (ties), far more than h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "muon/nn.h"
#include "tol.h"

#define FD_H 1e-6
#define BOUND_LINEAR 1e-7 /* linear in the variable: round-off only */

static gsl_rng *rng;
static int npass, nfail;

typedef struct {
    const char *name;
    double *x; /* the variable */
    double *g; /* its analytic gradient (filled by the backward) */
    size_t n;
} tensor;

typedef struct {
    const char *layer;
    double bound;
    double (*f)(void);  /* forward; returns the scalar */
    void (*df)(void);   /* forward + backward into the g buffers */
    tensor t[6];
    size_t nt;
} fdcase;

static double *
vec(size_t n, double lo, double hi)
{
    double *v = malloc(n * sizeof *v);
    if (!v) {
        fprintf(stderr, "verify-layers: out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < n; i++)
        v[i] = lo + (hi - lo) * gsl_rng_uniform(rng);
    return v;
}

/* Uniform in +-[gap, 1]: keeps ReLU inputs away from the kink at 0. */
static double *
vec_away0(size_t n, double gap)
{
    double *v = vec(n, gap, 1);
    for (size_t i = 0; i < n; i++)
        if (gsl_rng_uniform(rng) < 0.5)
            v[i] = -v[i];
    return v;
}

static double
dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static void
run_case(fdcase *c)
{
    for (size_t k = 0; k < c->nt; k++)
        memset(c->t[k].g, 0, c->t[k].n * sizeof(double));
    c->df();
    for (size_t k = 0; k < c->nt; k++) {
        tensor *t = &c->t[k];
        double maxerr = 0, maxg = 0;
        for (size_t i = 0; i < t->n; i++) {
            double x0 = t->x[i];
            t->x[i] = x0 + FD_H;
            double fp = c->f();
            t->x[i] = x0 - FD_H;
            double fm = c->f();
            t->x[i] = x0;
            double fd = (fp - fm) / (2 * FD_H);
            maxerr = fmax(maxerr, fabs(fd - t->g[i]));
            maxg = fmax(maxg, fabs(fd));
        }
        double rel = maxg > 0 ? maxerr / maxg : maxerr;
        int ok = rel <= c->bound && maxg > 0;
        printf("%s: %s d%s rel err %.3g <= bound %.0e (max |grad| %.3g)\n",
               ok ? "PASS" : "FAIL", c->layer, t->name, rel, c->bound, maxg);
        ok ? npass++ : nfail++;
    }
}

/* ---- the layers (sizes small: every entry is perturbed) ------------------ */

enum { N = 5, C = 7, OC = 4 };
static double *X, *Wt, *Bs, *R, *Out, *dX, *dW, *dB;

static double
linear_f(void)
{
    muon_linear_forward_f64(Out, X, Wt, Bs, N, C, OC);
    return dot(Out, R, N * OC);
}

static void
linear_df(void)
{
    linear_f();
    muon_linear_backward_f64(dX, dW, dB, R, X, Wt, N, C, OC);
}

/* Elementwise activations share one harness; `act` selects the layer. */
static int act;
static double
act_f(void)
{
    size_t n = N * C;
    if (act == 0)
        muon_relu_forward_f64(Out, X, n);
    else if (act == 1)
        muon_gelu_forward_f64(Out, X, n);
    else
        muon_tanh_forward_f64(Out, X, n);
    return dot(Out, R, n);
}

static void
act_df(void)
{
    size_t n = N * C;
    act_f();
    if (act == 0)
        muon_relu_backward_f64(dX, R, X, n);
    else if (act == 1)
        muon_gelu_backward_f64(dX, R, X, n);
    else
        muon_tanh_backward_f64(dX, R, Out, n);
}

static muon_conv2d_dims cd;
static double *Col;
static double
conv_f(void)
{
    muon_conv2d_forward_f64(Out, Col, X, Wt, Bs, &cd);
    return dot(Out, R, cd.B * cd.OC * cd.OH * cd.OW);
}

static void
conv_df(void)
{
    conv_f();
    muon_conv2d_backward_f64(dX, dW, dB, Col, R, X, Wt, &cd);
}

enum { PB = 2, PC = 3, PH = 5, PW = 6, PK = 2 };
static int *Idx;
static double
pool_f(void)
{
    muon_maxpool_forward_f64(Out, Idx, X, PB, PC, PH, PW, PK);
    return dot(Out, R, PB * PC * (PH / PK) * (PW / PK));
}

static void
pool_df(void)
{
    pool_f();
    muon_maxpool_backward_f64(dX, R, Idx, PB, PC, PH, PW, PK);
}

static double *Mean, *Rstd;
static double
ln_f(void)
{
    muon_layernorm_forward_f64(Out, Mean, Rstd, X, Wt, Bs, N, C);
    return dot(Out, R, N * C);
}

static void
ln_df(void)
{
    ln_f();
    muon_layernorm_backward_f64(dX, dW, dB, R, X, Wt, Mean, Rstd, N, C);
}

enum { EB = 2, ET = 3, EV = 5, EC = 4 };
static int tokens[EB * ET] = {0, 4, 4, 2, 0, 1}; /* repeats: sums in dwte */
static double
emb_f(void)
{
    muon_embedding_forward_f64(Out, tokens, Wt, Bs, EB, ET, EC);
    return dot(Out, R, EB * ET * EC);
}

static void
emb_df(void)
{
    emb_f();
    muon_embedding_backward_f64(dW, dB, R, tokens, EB, ET, EC);
}

enum { AB = 2, AT = 5, AC = 6, ANH = 2 };
static double *Att, *Scr;
static double
att_f(void)
{
    muon_attention_forward_f64(Out, Att, X, AB, AT, AC, ANH);
    return dot(Out, R, AB * AT * AC);
}

static void
att_df(void)
{
    att_f();
    muon_attention_backward_f64(dX, Scr, R, X, Att, AB, AT, AC, ANH);
}

static double
res_f(void)
{
    muon_residual_forward_f64(Out, X, Wt, N * C);
    return dot(Out, R, N * C);
}

static void
res_df(void)
{
    res_f();
    muon_residual_backward_f64(dX, dW, R, N * C);
}

static int targets[N] = {3, 0, 6, 6, 1};
static double
ce_f(void)
{
    return muon_crossentropy_forward_f64(Out, X, targets, N, C);
}

static void
ce_df(void)
{
    ce_f();
    muon_crossentropy_backward_f64(dX, Out, targets, 1.0, N, C);
}

static double
mse_f(void)
{
    return muon_mse_forward_f64(X, Wt, N, C);
}

static void
mse_df(void)
{
    muon_mse_backward_f64(dX, X, Wt, 1.0, N, C);
}

/* The spread of the loss gradient w.r.t. the target is -dpred: the same
 * harness checks it by treating the target as the variable. */
static void
mse_target_df(void)
{
    muon_mse_backward_f64(dW, Wt, X, 1.0, N, C);
}

static void
fresh(size_t nx, size_t nw, size_t nb, size_t nout)
{
    free(X), free(Wt), free(Bs), free(R), free(Out);
    free(dX), free(dW), free(dB);
    X = vec(nx, -1, 1), Wt = vec(nw, -1, 1), Bs = vec(nb, -1, 1);
    R = vec(nout, -1, 1), Out = vec(nout, 0, 0);
    dX = vec(nx, 0, 0), dW = vec(nw, 0, 0), dB = vec(nb, 0, 0);
}

int
main(void)
{
    gsl_set_error_handler_off();
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20250101);

    fresh(N * C, OC * C, OC, N * OC);
    run_case(&(fdcase){"linear", BOUND_LINEAR, linear_f, linear_df,
                       {{"inp", X, dX, N * C}, {"weight", Wt, dW, OC * C},
                        {"bias", Bs, dB, OC}}, 3});

    const char *act_name[] = {"relu", "gelu", "tanh"};
    for (act = 0; act < 3; act++) {
        fresh(N * C, 1, 1, N * C);
        free(X);
        /* Spread over +-3 so GELU/tanh curvature is exercised; relu's
         * inputs stay 1e-3 away from 0. */
        X = vec_away0(N * C, 1e-3);
        for (size_t i = 0; i < N * C; i++)
            X[i] *= 3;
        run_case(&(fdcase){act_name[act], act ? TOL_FD_REL : BOUND_LINEAR,
                           act_f, act_df, {{"inp", X, dX, N * C}}, 1});
    }

    /* Stride 2 with padding 1 on a non-square image exercises the window
     * arithmetic at every border. */
    struct { size_t B, C, H, W, OC, K, s, p; } conv[] = {
        {2, 3, 5, 6, 4, 3, 1, 1}, {2, 2, 6, 5, 3, 3, 2, 1},
        {1, 2, 4, 4, 2, 2, 1, 0}};
    for (size_t k = 0; k < 3; k++) {
        if (muon_conv2d_dims_init(&cd, conv[k].B, conv[k].C, conv[k].H,
                                  conv[k].W, conv[k].OC, conv[k].K, conv[k].K,
                                  conv[k].s, conv[k].p)) {
            printf("FAIL: conv2d dims rejected\n");
            nfail++;
            continue;
        }
        size_t nx = cd.B * cd.C * cd.H * cd.W, nw = cd.OC * cd.C * cd.KH *
                                                    cd.KW;
        fresh(nx, nw, cd.OC, cd.B * cd.OC * cd.OH * cd.OW);
        free(Col);
        Col = vec(muon_conv2d_col_size(&cd), 0, 0);
        char name[64];
        snprintf(name, sizeof name, "conv2d[k%zu s%zu p%zu]", conv[k].K,
                 conv[k].s, conv[k].p);
        run_case(&(fdcase){name, BOUND_LINEAR, conv_f, conv_df,
                           {{"inp", X, dX, nx}, {"weight", Wt, dW, nw},
                            {"bias", Bs, dB, cd.OC}}, 3});
    }

    /* Random values are distinct with probability 1 and differ by far
     * more than h; odd H drops a row that must get zero gradient. */
    fresh(PB * PC * PH * PW, 1, 1, PB * PC * (PH / PK) * (PW / PK));
    Idx = malloc(PB * PC * (PH / PK) * (PW / PK) * sizeof *Idx);
    run_case(&(fdcase){"maxpool", BOUND_LINEAR, pool_f, pool_df,
                       {{"inp", X, dX, PB * PC * PH * PW}}, 1});

    fresh(N * C, C, C, N * C);
    Mean = vec(N, 0, 0), Rstd = vec(N, 0, 0);
    /* An offset row checks the two-pass variance. */
    for (size_t c = 0; c < C; c++)
        X[c] += 50;
    run_case(&(fdcase){"layernorm", TOL_FD_REL, ln_f, ln_df,
                       {{"inp", X, dX, N * C}, {"weight", Wt, dW, C},
                        {"bias", Bs, dB, C}}, 3});

    fresh(1, EV * EC, ET * EC, EB * ET * EC);
    run_case(&(fdcase){"embedding", BOUND_LINEAR, emb_f, emb_df,
                       {{"wte", Wt, dW, EV * EC}, {"wpe", Bs, dB, ET * EC}},
                       2});

    fresh(AB * AT * 3 * AC, 1, 1, AB * AT * AC);
    Att = vec(AB * ANH * AT * AT, 0, 0), Scr = vec(AT * AT, 0, 0);
    run_case(&(fdcase){"attention", TOL_FD_REL, att_f, att_df,
                       {{"qkv", X, dX, AB * AT * 3 * AC}}, 1});

    fresh(N * C, N * C, 1, N * C);
    run_case(&(fdcase){"residual", BOUND_LINEAR, res_f, res_df,
                       {{"inp", X, dX, N * C}, {"branch", Wt, dW, N * C}},
                       2});

    fresh(N * C, 1, 1, N * C);
    for (size_t i = 0; i < N * C; i++)
        X[i] *= 4;
    run_case(&(fdcase){"crossentropy", TOL_FD_REL, ce_f, ce_df,
                       {{"logits", X, dX, N * C}}, 1});

    fresh(N * C, N * C, 1, 1);
    run_case(&(fdcase){"mse", BOUND_LINEAR * 10, mse_f, mse_df,
                       {{"pred", X, dX, N * C}}, 1});
    run_case(&(fdcase){"mse", BOUND_LINEAR * 10, mse_f, mse_target_df,
                       {{"target", Wt, dW, N * C}}, 1});

    printf("%d passed, %d failed\n", npass, nfail);
    gsl_rng_free(rng);
    return nfail ? 1 : 0;
}
