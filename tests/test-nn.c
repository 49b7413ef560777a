/* test-nn.c: the layers against hand-computed values and naive reference
 * loops (the backward passes are checked by verify/verify-layers). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>

#include "muon/nn.h"
#include "muon/status.h"
#include "tol.h"

static void
fill(double *x, size_t n, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = 2 * gsl_rng_uniform(r) - 1;
    gsl_rng_free(r);
}

/* Uniform logits give probability 1/V everywhere: loss log V, whatever the
 * common value (1e4 would overflow a naive exp). */
START_TEST(test_ce_uniform)
{
    const double level[] = {0, 3.5, 1e4, -1e4};
    for (size_t k = 0; k < 4; k++) {
        float logits[3 * 7], probs[3 * 7];
        int tgt[3] = {0, 6, 3};
        for (size_t i = 0; i < 21; i++)
            logits[i] = (float)level[k];
        double L = muon_crossentropy_forward_f32(probs, logits, tgt, 3, 7);
        ck_assert_msg(fabs(L - log(7.0)) < 1e-6, "level %g: loss %.9g, "
                      "log 7 = %.9g", level[k], L, log(7.0));
        for (size_t i = 0; i < 21; i++)
            ck_assert_double_eq_tol(probs[i], 1.0 / 7, 1e-7);
    }
}
END_TEST

/* Two classes, logits (0, log 3): p = (1/4, 3/4); loss of target 0 is
 * log 4; gradient (p - onehot) / N. */
START_TEST(test_ce_two_class)
{
    double z[2] = {0, log(3.0)}, p[2], d[2];
    int t = 0;
    double L = muon_crossentropy_forward_f64(p, z, &t, 1, 2);
    ck_assert_double_eq_tol(L, log(4.0), 1e-15);
    muon_crossentropy_backward_f64(d, p, &t, 2.0, 1, 2);
    ck_assert_double_eq_tol(d[0], 2 * (0.25 - 1), 1e-15);
    ck_assert_double_eq_tol(d[1], 2 * 0.75, 1e-15);
}
END_TEST

START_TEST(test_mse_known)
{
    double pred[4] = {1, 2, 0, -1}, tgt[4] = {0, 0, 0, 1}, d[4];
    /* (1 + 4 + 0 + 4) / 4 */
    ck_assert_double_eq_tol(muon_mse_forward_f64(pred, tgt, 2, 2), 9.0 / 4,
                            1e-15);
    muon_mse_backward_f64(d, pred, tgt, 1.0, 2, 2);
    ck_assert_double_eq_tol(d[1], 2 * 2.0 / 4, 1e-15);
    ck_assert_double_eq_tol(d[3], 2 * -2.0 / 4, 1e-15);
}
END_TEST

START_TEST(test_linear_naive)
{
    enum { N = 9, C = 13, OC = 5 };
    double x[N * C], w[OC * C], b[OC], out[N * OC];
    fill(x, N * C, 1), fill(w, OC * C, 2), fill(b, OC, 3);
    muon_linear_forward_f64(out, x, w, b, N, C, OC);
    float xf[N * C], wf[OC * C], bf[OC], of[N * OC];
    for (size_t i = 0; i < N * C; i++)
        xf[i] = (float)x[i];
    for (size_t i = 0; i < OC * C; i++)
        wf[i] = (float)w[i];
    for (size_t i = 0; i < OC; i++)
        bf[i] = (float)b[i];
    muon_linear_forward_f32(of, xf, wf, bf, N, C, OC);
    for (size_t n = 0; n < N; n++)
        for (size_t o = 0; o < OC; o++) {
            double s = b[o], sf = bf[o];
            for (size_t c = 0; c < C; c++) {
                s += x[n * C + c] * w[o * C + c];
                sf += (double)xf[n * C + c] * wf[o * C + c];
            }
            ck_assert_double_eq_tol(out[n * OC + o], s, TOL_F64_DENSE);
            /* fp32: C products of entries <= 1, u = 6e-8 each. */
            ck_assert_double_eq_tol(of[n * OC + o], sf, C * 6e-8 * 4);
        }
}
END_TEST

/* Parameter gradients accumulate (llm.c): two backward calls double them;
 * the input gradient is overwritten. */
START_TEST(test_linear_accumulates)
{
    enum { N = 3, C = 4, OC = 2 };
    double x[N * C], w[OC * C], g[N * OC], dx[N * C], dw[OC * C] = {0},
           db[OC] = {0}, dx1[N * C], dw1[OC * C], db1[OC];
    fill(x, N * C, 4), fill(w, OC * C, 5), fill(g, N * OC, 6);
    muon_linear_backward_f64(dx, dw, db, g, x, w, N, C, OC);
    memcpy(dx1, dx, sizeof dx), memcpy(dw1, dw, sizeof dw);
    memcpy(db1, db, sizeof db);
    muon_linear_backward_f64(dx, dw, db, g, x, w, N, C, OC);
    for (size_t i = 0; i < OC * C; i++)
        ck_assert_double_eq_tol(dw[i], 2 * dw1[i], 1e-15);
    for (size_t i = 0; i < OC; i++)
        ck_assert_double_eq_tol(db[i], 2 * db1[i], 1e-15);
    for (size_t i = 0; i < N * C; i++)
        ck_assert_double_eq_tol(dx[i], dx1[i], 1e-15);
}
END_TEST

/* Direct 7-loop convolution with explicit bounds checks. */
START_TEST(test_conv_direct)
{
    const struct { size_t B, C, H, W, OC, K, s, p; } cs[] = {
        {2, 3, 6, 5, 4, 3, 1, 1}, {1, 2, 7, 7, 3, 3, 2, 1},
        {2, 1, 5, 4, 2, 2, 1, 0}, {1, 2, 6, 6, 2, 5, 1, 2}};
    for (size_t k = 0; k < 4; k++) {
        muon_conv2d_dims d;
        ck_assert_int_eq(muon_conv2d_dims_init(&d, cs[k].B, cs[k].C, cs[k].H,
                                               cs[k].W, cs[k].OC, cs[k].K,
                                               cs[k].K, cs[k].s, cs[k].p),
                         MUON_SUCCESS);
        ck_assert_uint_eq(d.OH, (cs[k].H + 2 * cs[k].p - cs[k].K) / cs[k].s
                                    + 1);
        size_t nx = d.B * d.C * d.H * d.W, nw = d.OC * d.C * d.KH * d.KW;
        size_t no = d.B * d.OC * d.OH * d.OW;
        double *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w);
        double *b = malloc(d.OC * sizeof *b), *o = malloc(no * sizeof *o);
        double *col = malloc(muon_conv2d_col_size(&d) * sizeof *col);
        fill(x, nx, 7), fill(w, nw, 8), fill(b, d.OC, 9);
        muon_conv2d_forward_f64(o, col, x, w, b, &d);
        for (size_t n = 0; n < d.B; n++)
            for (size_t oc = 0; oc < d.OC; oc++)
                for (size_t i = 0; i < d.OH; i++)
                    for (size_t j = 0; j < d.OW; j++) {
                        double s = b[oc];
                        for (size_t c = 0; c < d.C; c++)
                            for (size_t u = 0; u < d.KH; u++)
                                for (size_t v = 0; v < d.KW; v++) {
                                    long y = (long)(i * d.stride + u) -
                                             (long)d.pad;
                                    long z = (long)(j * d.stride + v) -
                                             (long)d.pad;
                                    if (y < 0 || z < 0 || y >= (long)d.H ||
                                        z >= (long)d.W)
                                        continue;
                                    s += w[((oc * d.C + c) * d.KH + u) * d.KW +
                                           v] *
                                         x[((n * d.C + c) * d.H + (size_t)y) *
                                               d.W + (size_t)z];
                                }
                        double got =
                            o[((n * d.OC + oc) * d.OH + i) * d.OW + j];
                        ck_assert_msg(fabs(got - s) < TOL_F64_DENSE,
                                      "case %zu: out[%zu,%zu,%zu,%zu] %.17g "
                                      "vs direct %.17g", k, n, oc, i, j, got,
                                      s);
                    }
        free(x), free(w), free(b), free(o), free(col);
    }
}
END_TEST

START_TEST(test_conv_dims_errors)
{
    muon_conv2d_dims d;
    ck_assert_int_eq(muon_conv2d_dims_init(&d, 1, 0, 4, 4, 1, 3, 3, 1, 1),
                     MUON_EINVAL);
    ck_assert_ptr_nonnull(strstr(muon_last_error(), "C=0"));
    ck_assert_int_eq(muon_conv2d_dims_init(&d, 1, 1, 4, 4, 1, 3, 3, 0, 1),
                     MUON_EINVAL);
    ck_assert_int_eq(muon_conv2d_dims_init(&d, 1, 1, 4, 4, 1, 3, 3, 1, 3),
                     MUON_EINVAL);
    ck_assert_int_eq(muon_conv2d_dims_init(&d, 1, 1, 2, 2, 1, 5, 5, 1, 1),
                     MUON_EINVAL);
    ck_assert_int_eq(muon_conv2d_dims_init(&d, 1, (size_t)1 << 40, 4, 4,
                                           (size_t)1 << 40, 3, 3, 1, 1),
                     MUON_ENOMEM);
}
END_TEST

/* 5x4 plane, k = 2: the last row is dropped by the floor. */
START_TEST(test_maxpool_known)
{
    const float x[20] = {1, 5, 2, 0,  3, 4, 9, 8,  -1, -2, 0, 7,
                         -3, -4, 6, 6,  99, 99, 99, 99};
    float out[4], dx[20], g[4] = {1, 2, 3, 4};
    int idx[4];
    const float want[4] = {5, 9, -1, 7};
    const int at[4] = {1, 6, 8, 11};
    muon_maxpool_forward_f32(out, idx, x, 1, 1, 5, 4, 2);
    for (size_t i = 0; i < 4; i++) {
        ck_assert_float_eq(out[i], want[i]);
        ck_assert_int_eq(idx[i], at[i]);
    }
    muon_maxpool_backward_f32(dx, g, idx, 1, 1, 5, 4, 2);
    for (size_t i = 0; i < 20; i++) {
        float w = 0;
        for (size_t k = 0; k < 4; k++)
            if (at[k] == (int)i)
                w = g[k];
        ck_assert_float_eq(dx[i], w);
    }
}
END_TEST

/* Chunked products (NB images per gemm, a short last chunk) and the
 * channel-major layout give the per-image NCHW results (NB = 1, the
 * original algorithm), forward and backward, on "same" convolutions (the
 * flat im2col path) and strided ones (the general path). */
START_TEST(test_conv_chunks_layouts)
{
    const struct { size_t B, C, H, W, OC, K, s, p; } cs[] = {
        {5, 3, 6, 5, 4, 3, 1, 1}, {5, 2, 7, 7, 3, 3, 2, 1},
        {4, 2, 5, 4, 2, 2, 1, 0}, {3, 2, 6, 6, 2, 5, 1, 2}};
    const size_t nbs[] = {1, 2, 3, 5};
    for (size_t k = 0; k < 4; k++) {
        muon_conv2d_dims r;
        ck_assert_int_eq(muon_conv2d_dims_init(&r, cs[k].B, cs[k].C, cs[k].H,
                                               cs[k].W, cs[k].OC, cs[k].K,
                                               cs[k].K, cs[k].s, cs[k].p),
                         MUON_SUCCESS);
        ck_assert_uint_eq(r.NB, cs[k].B); /* small images: one chunk */
        const size_t P = r.OH * r.OW, HW = r.H * r.W;
        const size_t nx = r.B * r.C * HW, nw = r.OC * r.C * r.KH * r.KW;
        const size_t no = r.B * r.OC * P;
        double *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w);
        double *b = malloc(r.OC * sizeof *b), *g = malloc(no * sizeof *g);
        double *o0 = malloc(no * sizeof *o0), *o = malloc(no * sizeof *o);
        double *dx0 = malloc(nx * sizeof *dx0), *dx = malloc(nx * sizeof *dx);
        double *dw0 = calloc(nw, sizeof *dw0), *db0 = calloc(r.OC, sizeof
                                                             *db0);
        double *xt = malloc(nx * sizeof *xt), *gt = malloc(no * sizeof *gt);
        fill(x, nx, 11), fill(w, nw, 12), fill(b, r.OC, 13), fill(g, no, 14);
        /* Channel-major copies of the input and the output gradient. */
        for (size_t n = 0; n < r.B; n++) {
            for (size_t c = 0; c < r.C; c++)
                memcpy(xt + (c * r.B + n) * HW, x + (n * r.C + c) * HW,
                       HW * sizeof *x);
            for (size_t c = 0; c < r.OC; c++)
                memcpy(gt + (c * r.B + n) * P, g + (n * r.OC + c) * P,
                       P * sizeof *g);
        }
        r.NB = 1;
        double *col = malloc(muon_conv2d_col_size(&r) * sizeof *col);
        muon_conv2d_forward_f64(o0, col, x, w, b, &r);
        muon_conv2d_backward_f64(dx0, dw0, db0, col, g, x, w, &r);
        free(col);
        for (size_t v = 0; v < 8; v++) {
            muon_conv2d_dims d = r;
            d.NB = nbs[v % 4], d.cnhw = (int)(v / 4);
            double *dw = calloc(nw, sizeof *dw), *db = calloc(d.OC,
                                                             sizeof *db);
            col = malloc(muon_conv2d_col_size(&d) * sizeof *col);
            muon_conv2d_forward_f64(o, col, d.cnhw ? xt : x, w, b, &d);
            muon_conv2d_backward_f64(dx, dw, db, col, d.cnhw ? gt : g,
                                     d.cnhw ? xt : x, w, &d);
            for (size_t n = 0; n < d.B; n++)
                for (size_t c = 0; c < d.OC; c++)
                    for (size_t p = 0; p < P; p++) {
                        size_t i = (n * d.OC + c) * P + p;
                        size_t j = d.cnhw ? (c * d.B + n) * P + p : i;
                        ck_assert_msg(fabs(o[j] - o0[i]) < TOL_F64_DENSE,
                                      "case %zu NB %zu cnhw %d: out %zu "
                                      "%.17g vs %.17g", k, d.NB, d.cnhw, i,
                                      o[j], o0[i]);
                    }
            for (size_t n = 0; n < d.B; n++)
                for (size_t c = 0; c < d.C; c++)
                    for (size_t p = 0; p < HW; p++) {
                        size_t i = (n * d.C + c) * HW + p;
                        size_t j = d.cnhw ? (c * d.B + n) * HW + p : i;
                        ck_assert_msg(fabs(dx[j] - dx0[i]) < TOL_F64_DENSE,
                                      "case %zu NB %zu cnhw %d: dinp %zu",
                                      k, d.NB, d.cnhw, i);
                    }
            for (size_t i = 0; i < nw; i++)
                ck_assert_msg(fabs(dw[i] - dw0[i]) < TOL_F64_DENSE,
                              "case %zu NB %zu cnhw %d: dweight %zu", k,
                              d.NB, d.cnhw, i);
            for (size_t i = 0; i < d.OC; i++)
                ck_assert_msg(fabs(db[i] - db0[i]) < TOL_F64_DENSE,
                              "case %zu NB %zu cnhw %d: dbias %zu", k, d.NB,
                              d.cnhw, i);
            free(dw), free(db), free(col);
        }
        free(x), free(w), free(b), free(g), free(o0), free(o), free(dx0);
        free(dx), free(dw0), free(db0), free(xt), free(gt);
    }
}
END_TEST

/* NB follows MUON_CONV2D_CHUNK_COLS: ceil(4096 / 196) = 21 images of
 * 14x14 outputs, capped by B; col_size counts columns and product. */
START_TEST(test_conv_chunk_size)
{
    muon_conv2d_dims d;
    ck_assert_int_eq(muon_conv2d_dims_init(&d, 128, 32, 14, 14, 64, 3, 3, 1,
                                           1), MUON_SUCCESS);
    ck_assert_uint_eq(d.NB, (MUON_CONV2D_CHUNK_COLS + 195) / 196);
    ck_assert_uint_eq(muon_conv2d_col_size(&d),
                      (32 * 9 + 64) * d.NB * 196);
    ck_assert_int_eq(muon_conv2d_dims_init(&d, 3, 32, 14, 14, 64, 3, 3, 1,
                                           1), MUON_SUCCESS);
    ck_assert_uint_eq(d.NB, 3);
    ck_assert_int_eq(muon_conv2d_dims_init(&d, 1, 2, 9, 9, 4, 3, 3, 1, 1),
                     MUON_SUCCESS);
    ck_assert_uint_eq(d.NB, 1);
    ck_assert_uint_eq(muon_conv2d_col_size(&d), 2 * 9 * 81);
}
END_TEST

/* 2x2 pooling (the vectorised path) against the definition, written out
 * here: scan each window in row-major order, keep the first maximum, a
 * NaN replaces anything.  Widths 4..34 cover whole and partial blocks of
 * 8 windows and the block at the very end of the tensor; ties and NaNs
 * are planted. */
START_TEST(test_maxpool2_reference)
{
    for (size_t W = 4; W <= 34; W += 3) {
        const size_t B = 2, C = 3, H = 5, OH = H / 2, OW = W / 2;
        const size_t n = B * C * H * W, no = B * C * OH * OW;
        double *xd = malloc(n * sizeof *xd);
        float *x = malloc(n * sizeof *x), *o = malloc(no * sizeof *o);
        float *g = malloc(no * sizeof *g), *dx = malloc(n * sizeof *dx);
        int *ix = malloc(no * sizeof *ix);
        fill(xd, n, 20 + W);
        for (size_t i = 0; i < n; i++)
            /* Rounded to a coarse grid: many ties. */
            x[i] = (float)(round(xd[i] * 3) / 3);
        x[W + 1] = NAN, x[n - 1] = NAN, x[n / 2] = NAN, x[n / 2 + 1] = NAN;
        for (size_t i = 0; i < no; i++)
            g[i] = (float)(i + 1);
        muon_maxpool_forward_f32(o, ix, x, B, C, H, W, 2);
        for (size_t pl = 0; pl < B * C; pl++)
            for (size_t i = 0; i < OH; i++)
                for (size_t j = 0; j < OW; j++) {
                    const float *xp = x + pl * H * W;
                    size_t best = 2 * i * W + 2 * j;
                    for (size_t u = 0; u < 2; u++)
                        for (size_t v = 0; v < 2; v++) {
                            size_t at = (2 * i + u) * W + 2 * j + v;
                            if (isnan(xp[at]) || xp[at] > xp[best])
                                best = at;
                        }
                    size_t q = (pl * OH + i) * OW + j;
                    ck_assert_msg(ix[q] == (int)best,
                                  "W %zu plane %zu (%zu,%zu): argmax %d, "
                                  "want %zu", W, pl, i, j, ix[q], best);
                    ck_assert(isnan(xp[best]) ? isnan(o[q])
                                              : o[q] == xp[best]);
                }
        muon_maxpool_backward_f32(dx, g, ix, B, C, H, W, 2);
        for (size_t pl = 0; pl < B * C; pl++)
            for (size_t at = 0; at < H * W; at++) {
                float want = 0;
                for (size_t q = 0; q < OH * OW; q++)
                    if (ix[pl * OH * OW + q] == (int)at)
                        want = g[pl * OH * OW + q];
                ck_assert_float_eq(dx[pl * H * W + at], want);
            }
        free(xd), free(x), free(o), free(g), free(dx), free(ix);
    }
}
END_TEST

/* Changing q, k, v at positions > t leaves the output at t unchanged. */
START_TEST(test_causal_mask)
{
    enum { B = 2, T = 6, C = 8, NH = 2 };
    double qkv[B * T * 3 * C], out[B * T * C], out2[B * T * C];
    double att[B * NH * T * T];
    fill(qkv, B * T * 3 * C, 10);
    muon_attention_forward_f64(out, att, qkv, B, T, C, NH);
    for (size_t t = 0; t + 1 < T; t++) {
        double q2[B * T * 3 * C];
        memcpy(q2, qkv, sizeof q2);
        for (size_t b = 0; b < B; b++)
            for (size_t s = t + 1; s < T; s++)
                for (size_t c = 0; c < 3 * C; c++)
                    q2[(b * T + s) * 3 * C + c] += 5.0;
        muon_attention_forward_f64(out2, att, q2, B, T, C, NH);
        for (size_t b = 0; b < B; b++)
            for (size_t s = 0; s <= t; s++)
                for (size_t c = 0; c < C; c++)
                    ck_assert_double_eq_tol(out2[(b * T + s) * C + c],
                                            out[(b * T + s) * C + c], 1e-14);
    }
    /* Position 0 attends only to itself: its output is its own v. */
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++)
            ck_assert_double_eq_tol(out[b * T * C + c],
                                    qkv[b * T * 3 * C + 2 * C + c], 1e-15);
}
END_TEST

START_TEST(test_layernorm_moments)
{
    enum { N = 3, C = 16 };
    double x[N * C], o[N * C], w[C], b[C], mu[N], rs[N];
    fill(x, N * C, 11);
    for (size_t c = 0; c < C; c++)
        w[c] = 1, b[c] = 0, x[c] += 1e4; /* row 0 far from 0 */
    muon_layernorm_forward_f64(o, mu, rs, x, w, b, N, C);
    for (size_t n = 0; n < N; n++) {
        double m = 0, v = 0;
        for (size_t c = 0; c < C; c++)
            m += o[n * C + c];
        m /= C;
        for (size_t c = 0; c < C; c++)
            v += (o[n * C + c] - m) * (o[n * C + c] - m);
        v /= C;
        ck_assert_double_eq_tol(m, 0, 1e-12);
        /* var' = var / (var + eps) */
        double var = 1 / (rs[n] * rs[n]) - MUON_LAYERNORM_EPS;
        ck_assert_double_eq_tol(v, var / (var + MUON_LAYERNORM_EPS), 1e-10);
    }
}
END_TEST

/* PyTorch gelu(approximate='tanh'): 1.0 -> 0.8411920, -1.0 -> -0.1588080,
 * 0 -> 0; relu and tanh by definition. */
START_TEST(test_activations_known)
{
    double x[3] = {1, -1, 0}, o[3];
    muon_gelu_forward_f64(o, x, 3);
    ck_assert_double_eq_tol(o[0], 0.8411920, 5e-8);
    ck_assert_double_eq_tol(o[1], -0.1588080, 5e-8);
    ck_assert_double_eq_tol(o[2], 0, 1e-300);
    muon_relu_forward_f64(o, x, 3);
    ck_assert_double_eq_tol(o[0] + o[1] + o[2], 1, 1e-300);
    muon_tanh_forward_f64(o, x, 3);
    ck_assert_double_eq_tol(o[0], 0.76159415595576489, 1e-15);
}
END_TEST

START_TEST(test_embedding_known)
{
    const float wte[3 * 2] = {1, 2, 3, 4, 5, 6}, wpe[2 * 2] = {10, 20, 30, 40};
    const int tok[2 * 2] = {2, 0, 2, 2};
    float out[8], dwte[6] = {0}, dwpe[4] = {0};
    const float g[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    muon_embedding_forward_f32(out, tok, wte, wpe, 2, 2, 2);
    ck_assert_float_eq(out[0], 15);
    ck_assert_float_eq(out[3], 42);
    muon_embedding_backward_f32(dwte, dwpe, g, tok, 2, 2, 2);
    /* token 2 used three times, token 1 never, each position twice. */
    ck_assert_float_eq(dwte[4], 3);
    ck_assert_float_eq(dwte[2], 0);
    ck_assert_float_eq(dwpe[0], 2);
}
END_TEST

static Suite *
nn_suite(void)
{
    Suite *s = suite_create("nn");
    TCase *tc = tcase_create("layers");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_ce_uniform);
    tcase_add_test(tc, test_ce_two_class);
    tcase_add_test(tc, test_mse_known);
    tcase_add_test(tc, test_linear_naive);
    tcase_add_test(tc, test_linear_accumulates);
    tcase_add_test(tc, test_conv_direct);
    tcase_add_test(tc, test_conv_dims_errors);
    tcase_add_test(tc, test_maxpool_known);
    tcase_add_test(tc, test_conv_chunks_layouts);
    tcase_add_test(tc, test_conv_chunk_size);
    tcase_add_test(tc, test_maxpool2_reference);
    tcase_add_test(tc, test_causal_mask);
    tcase_add_test(tc, test_layernorm_moments);
    tcase_add_test(tc, test_activations_known);
    tcase_add_test(tc, test_embedding_known);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    gsl_set_error_handler_off();
    SRunner *r = srunner_create(nn_suite());
    srunner_run_all(r, CK_ENV);
    int nf = srunner_ntests_failed(r), nr = srunner_ntests_run(r);
    srunner_free(r);
    printf("%d passed, %d failed\n", nr - nf, nf);
    return nf ? 1 : 0;
}
