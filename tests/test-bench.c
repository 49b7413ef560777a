/* test-bench.c: what `muonlab bench` and the fast paths rest on: the
 * nominal flop counts (from the formulas, not the code), the GEMM and
 * bandwidth probes, every backend agreeing with openblas (fp32/fp64 within
 * round-off, native bf16 within bf16 round-off of the emulation), the
 * vectorised rounding passes bit-identical to muon_round_float, the
 * front end's fp32 scans equal to their scalar definitions, exact
 * mirroring of symmetric matrices, the
 * batch-parallel apply equal to the sequential one, and the CSV columns.
 * No timing assertions. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "muon/linalg.h"
#include "muon/orth.h"
#include "muon/status.h"
#include "orth/orth_impl.h"
#include "tol.h"

static void
fill(double *G, size_t count, unsigned seed)
{
    unsigned long long s = seed * 2654435761u + 1;
    for (size_t i = 0; i < count; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        G[i] = ((double)(s >> 11) / 9007199254740992.0) - 0.5;
    }
}

/* ||A - B||_F / sqrt(min(m, n)): the distance the verify programs use. */
static double
dist(const double *A, const double *B, size_t m, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < m * n; i++)
        s += (A[i] - B[i]) * (A[i] - B[i]);
    return sqrt(s / (double)(m < n ? m : n));
}

START_TEST(flop_counts)
{
    const muon_orth_type *ns5 = muon_orth_type_by_name("ns5");
    const muon_orth_type *ns3 = muon_orth_type_by_name("ns3");
    muon_orth_params p;
    muon_orth_default_params(ns5, &p);
    /* REFERENCE.md 2: 4 m^2 n + 2 m^3 per quintic step, small side m. */
    double want = 5 * (4.0 * 64 * 64 * 256 + 2.0 * 64 * 64 * 64);
    ck_assert_double_eq_tol(muon_orth_flops(ns5, &p, 64, 256), want, 0.5);
    ck_assert_double_eq_tol(muon_orth_flops(ns5, &p, 256, 64), want, 0.5);
    muon_orth_default_params(ns3, &p);
    p.steps = 7;
    ck_assert_double_eq_tol(muon_orth_flops(ns3, &p, 30, 50),
                            7 * 4.0 * 30 * 30 * 50, 0.5);
    /* gram-ns, 5 steps, restart after step 3, s = 10, l = 40: R0 2 s^2 l;
     * step 1: R^2 2s^3, Z R Z 4s^3; step 2: R^2, Z Q 2s^3, Z R Z; step 3:
     * R^2, Z Q, restart 4 s^2 l; step 4: R^2, Z R Z; step 5: R^2, Z Q;
     * final Q X 2 s^2 l. */
    const muon_orth_type *g = muon_orth_type_by_name("gram-ns");
    muon_orth_default_params(g, &p);
    ck_assert_uint_eq(p.gram_restart, 3);
    double s3 = 1000.0, s2l = 4000.0;
    want = 2 * s2l + (2 + 4) * s3 + (2 + 2 + 4) * s3 + (2 + 2) * s3 +
           4 * s2l + (2 + 4) * s3 + (2 + 2) * s3 + 2 * s2l;
    ck_assert_double_eq_tol(muon_orth_flops(g, &p, 10, 40), want, 0.5);
}
END_TEST

START_TEST(probes_sane)
{
    const muon_linalg_backend *const *b = muon_linalg_backends();
    for (size_t i = 0; b[i]; i++) {
        double r32 = muon_linalg_gemm_rate(b[i], MUON_LINALG_F32, 64, 96,
                                           80, 3);
        double r64 = muon_linalg_gemm_rate(b[i], MUON_LINALG_F64, 64, 96,
                                           80, 3);
        ck_assert_msg(isfinite(r32) && r32 > 0, "%s: sgemm rate %g",
                      b[i]->name, r32);
        ck_assert_msg(isfinite(r64) && r64 > 0, "%s: dgemm rate %g",
                      b[i]->name, r64);
        double rb = muon_linalg_gemm_rate(b[i], MUON_LINALG_BF16, 64, 96,
                                          80, 3);
        if (b[i]->sbgemm)
            ck_assert_msg(isfinite(rb) && rb > 0, "%s: bf16 rate %g",
                          b[i]->name, rb);
        else
            ck_assert_msg(isnan(rb), "%s: no bf16 yet rate %g", b[i]->name,
                          rb);
    }
    double bw = muon_linalg_bandwidth(1 << 22, 3);
    ck_assert_msg(isfinite(bw) && bw > 0, "bandwidth %g", bw);
    ck_assert(isnan(muon_linalg_bandwidth(0, 3)));
    ck_assert(isnan(muon_linalg_gemm_rate(muon_linalg_default(),
                                          MUON_LINALG_F32, 0, 4, 4, 1)));
}
END_TEST

/* One method x precision on backend be vs openblas, outputs poisoned with
 * NaN first so an unwritten element fails. */
static void
compare_backend(const muon_orth_type *T, const muon_linalg_backend *be,
                muon_precision prec, int native, size_t m, size_t n,
                double tol)
{
    muon_orth_params p, q;
    muon_orth_default_params(T, &p);
    p.precision = prec;
    p.backend = muon_linalg_backend_by_name("openblas");
    q = p;
    q.backend = be;
    q.native = native;
    muon_orth_workspace *w1 = muon_orth_alloc(T, &p, m, n);
    muon_orth_workspace *w2 = muon_orth_alloc(T, &q, m, n);
    ck_assert_msg(w1 && w2, "%s on %s: alloc: %s", T->name, be->name,
                  muon_last_error());
    size_t mn = m * n;
    double *G = malloc(mn * sizeof *G), *O1 = malloc(mn * sizeof *O1);
    double *O2 = malloc(mn * sizeof *O2);
    float *Gf = malloc(mn * sizeof *Gf), *O1f = malloc(mn * sizeof *O1f);
    float *O2f = malloc(mn * sizeof *O2f);
    ck_assert(G && O1 && O2 && Gf && O1f && O2f);
    fill(G, mn, 7);
    for (size_t i = 0; i < mn; i++) {
        Gf[i] = (float)G[i];
        O1f[i] = O2f[i] = NAN;
        O1[i] = O2[i] = NAN;
    }
    if (prec == MUON_FP64) {
        ck_assert_int_eq(muon_orth_apply_f64(w1, G, O1), MUON_SUCCESS);
        ck_assert_int_eq(muon_orth_apply_f64(w2, G, O2), MUON_SUCCESS);
    } else {
        ck_assert_int_eq(muon_orth_apply_f32(w1, Gf, O1f), MUON_SUCCESS);
        ck_assert_int_eq(muon_orth_apply_f32(w2, Gf, O2f), MUON_SUCCESS);
        for (size_t i = 0; i < mn; i++) {
            O1[i] = O1f[i];
            O2[i] = O2f[i];
        }
    }
    for (size_t i = 0; i < mn; i++)
        ck_assert_msg(isfinite(O2[i]), "%s on %s %s%s %zux%zu: element %zu "
                      "not written (%g)", T->name, be->name,
                      muon_precision_name(prec), native ? " native" : "", m,
                      n, i, O2[i]);
    double d = dist(O1, O2, m, n);
    ck_assert_msg(d <= tol, "%s on %s %s%s %zux%zu: distance to openblas %g "
                  "> %g", T->name, be->name, muon_precision_name(prec),
                  native ? " native" : "", m, n, d, tol);
    muon_orth_free(w1);
    muon_orth_free(w2);
    free(G);
    free(O1);
    free(O2);
    free(Gf);
    free(O1f);
    free(O2f);
}

START_TEST(backends_agree)
{
    /* Shapes cross the oneDNN symmetric-product base size (128) so the
     * recursive upper-block split runs, square and tall included. */
    static const size_t shapes[][2] = {{7, 13}, {200, 330}, {300, 140},
                                       {160, 160}};
    static const char *const methods[] = {"ns5", "ns3", "polar-express",
                                          "gram-ns"};
    const muon_linalg_backend *const *b = muon_linalg_backends();
    for (size_t i = 0; b[i]; i++)
        for (size_t k = 0; k < sizeof methods / sizeof *methods; k++) {
            const muon_orth_type *T = muon_orth_type_by_name(methods[k]);
            for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
                size_t m = shapes[s][0], n = shapes[s][1];
                compare_backend(T, b[i], MUON_FP64, 0, m, n, TOL_F64_DENSE);
                compare_backend(T, b[i], MUON_FP32, 0, m, n, TOL_F32_VS_F64);
                compare_backend(T, b[i], MUON_BF16, 0, m, n, TOL_BF16_VS_F64);
                compare_backend(T, b[i], MUON_FP16, 0, m, n, TOL_FP16_VS_F64);
                /* Native bf16 vs emulated bf16 (openblas): same rounding
                 * points, so within bf16 round-off. */
                if (b[i]->sbgemm && strcmp(methods[k], "gram-ns"))
                    compare_backend(T, b[i], MUON_BF16, 1, m, n,
                                    TOL_BF16_VS_F64);
            }
        }
}
END_TEST

START_TEST(native_needs_bf16_backend)
{
    const muon_orth_type *T = muon_orth_type_by_name("ns5");
    muon_orth_params p;
    muon_orth_default_params(T, &p);
    p.native = 1;
    p.backend = muon_linalg_backend_by_name("openblas");
    p.precision = MUON_BF16;
    ck_assert_ptr_null(muon_orth_alloc(T, &p, 8, 16)); /* no sbgemm */
    const muon_linalg_backend *od = muon_linalg_backend_by_name("onednn");
    muon_clear_error();
    if (od) {
        p.backend = od;
        p.precision = MUON_FP32; /* native is bf16 only */
        ck_assert_ptr_null(muon_orth_alloc(T, &p, 8, 16));
        p.precision = MUON_BF16;
        muon_orth_workspace *w = muon_orth_alloc(T, &p, 8, 16);
        ck_assert_ptr_nonnull(w);
        muon_orth_free(w);
    }
}
END_TEST

/* The vectorised passes against the scalar definitions, bit for bit, on
 * values around every rounding boundary plus specials. */
START_TEST(lowp_bit_identical)
{
    muon_lowp_set_isa(_i); /* each instruction set this CPU has */
    enum { N = 4099 };
    static float x[N], y[N], a0[N], r1[N], r2[N], b1[N], b2[N];
    unsigned long long s = 12345;
    for (size_t i = 0; i < N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t u = (uint32_t)(s >> 32);
        float v;
        memcpy(&v, &u, 4);
        if (!isfinite(v) || i % 3)
            v = (float)((double)(s >> 11) / 9007199254740992.0 - 0.5) *
                (float)(1 << (i % 20));
        x[i] = v;
        y[i] = v * 0.37f + 1e-3f;
        a0[i] = -v * 1.7f;
    }
    x[0] = 65520.0f;         /* fp16 overflow boundary */
    x[1] = 3.0e-8f;          /* fp16 subnormal */
    x[2] = INFINITY;
    x[3] = 1.00390625f;      /* bf16 tie */
    x[4] = 1.01171875f;      /* bf16 tie, odd */
    static const muon_precision ps[] = {MUON_BF16, MUON_FP16};
    for (size_t k = 0; k < 2; k++) {
        muon_precision p = ps[k];
        memcpy(r1, x, sizeof x);
        muon_lowp_round(p, r1, N);
        for (size_t i = 0; i < N; i++) {
            float want = muon_round_float(p, x[i]);
            ck_assert_msg(!memcmp(&r1[i], &want, 4), "round %s x[%zu] = %a: "
                          "%a != %a", muon_precision_name(p), i, x[i], r1[i],
                          want);
        }
        /* axpy: x = R(R(a x) + R(y)) */
        memcpy(r2, x, sizeof x);
        r2[2] = 1.0f;
        memcpy(r1, r2, sizeof x);
        muon_lowp_axpy(p, 3.4445f, r1, y, N);
        for (size_t i = 0; i < N; i++) {
            float want = muon_round_float(
                p, muon_round_float(p, 3.4445f * r2[i]) +
                       muon_round_float(p, y[i]));
            ck_assert_msg(!memcmp(&r1[i], &want, 4) ||
                              (isnan(r1[i]) && isnan(want)),
                          "axpy %s [%zu]: %a != %a", muon_precision_name(p),
                          i, r1[i], want);
        }
        /* comb: B = R(R(b A) + R(c R(B))) */
        memcpy(b1, y, sizeof y);
        memcpy(b2, y, sizeof y);
        muon_lowp_comb(p, -4.775f, 2.0315f, a0, b1, N);
        for (size_t i = 0; i < N; i++) {
            float u = muon_round_float(p, -4.775f * a0[i]);
            float want = muon_round_float(
                p, u + muon_round_float(p, 2.0315f *
                                               muon_round_float(p, b2[i])));
            ck_assert_msg(!memcmp(&b1[i], &want, 4) ||
                              (isnan(b1[i]) && isnan(want)),
                          "comb %s [%zu]: %a != %a", muon_precision_name(p),
                          i, b1[i], want);
        }
    }
    muon_lowp_set_isa(-1);
}
END_TEST

/* bf16 bits <-> float */
static float
bits_float(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static uint16_t
float_bits(float v) /* v a bf16 value */
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    return (uint16_t)(u >> 16);
}

/* The native bf16 passes on bf16 storage against their definitions through
 * muon_round_float (the emulation's rounding), bit for bit: load/store and
 * axpy at every length around the vector width, with a tie, a NaN and an
 * Inf inside; comb_sym at every size around the 8 x 8 blocks and 64 x 64
 * tiles, the lower triangles poisoned (they must not be read). */
START_TEST(bf16_passes_exact)
{
    muon_lowp_set_isa(_i); /* each instruction set this CPU has */
    /* N and NMAX are past NATIVE_PAR_MIN (lowp.c): split across threads. */
    enum { N = 70001, NMAX = 400 };
    static uint16_t x[N], y[N], xs[N];
    static float f[N];
    const float a = 3.4445f, b = -4.7750f, c = 2.0315f;
    for (size_t n = 0; n <= N; n = n < 77 ? n + 1 : n == 77 ? N : N + 1) {
        for (size_t i = 0; i < n; i++) {
            x[i] = float_bits(muon_round_bf16((float)(i % 13) / 7.0f - 0.9f));
            y[i] = float_bits(muon_round_bf16(1.0f / (float)(i + 3)));
        }
        if (n > 20) {
            x[3] = 0x7fc0;                          /* NaN */
            y[11] = 0x7f80;                         /* +Inf */
            x[17] = float_bits(1.00390625f / 3.4445f); /* near a tie */
            x[19] = 0x0005; /* subnormal: a x is one too */
            y[19] = 0x8003; /* and the sum */
            x[20] = 0x0080; /* the smallest normal, a tiny y */
            y[20] = 0x0001;
        }
        muon_bf16_load(f, x, n);
        muon_bf16_store(xs, f, n);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++)
            bad += xs[i] != x[i] || float_bits(f[i]) != x[i];
        memcpy(xs, x, sizeof x);
        muon_bf16_axpy(a, x, y, n);
        for (size_t i = 0; i < n; i++) {
            float want = muon_round_float(
                MUON_BF16, muon_round_float(MUON_BF16, a * bits_float(xs[i])) +
                               bits_float(y[i]));
            float got = bits_float(x[i]);
            bad += memcmp(&got, &want, sizeof got) != 0 &&
                   !(isnan(got) && isnan(want));
        }
        ck_assert_msg(bad == 0, "load/store/axpy n %zu: %zu wrong", n, bad);
    }
    static uint16_t A[NMAX * NMAX], B[NMAX * NMAX];
    static float W[NMAX * NMAX];
    for (int withc = 0; withc < 2; withc++)
        for (size_t n = 0; n <= NMAX;
             n = n < 72 ? n + 1 : n < 200 ? n + 64 : n == 200 ? NMAX : NMAX + 1) {
            const float cc = withc ? c : 0.0f;
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++) {
                    int up = j >= i;
                    A[i * n + j] = up ? float_bits(muon_round_bf16(
                                            1.0f / (float)(i + 2 * j + 1)))
                                      : 0x7fc1;
                    B[i * n + j] = up ? float_bits(muon_round_bf16(
                                            (float)(i + 1) / (float)(j + 3)))
                                      : 0x7fc1;
                }
            for (size_t i = 0; i < n; i++)
                for (size_t j = i; j < n; j++) {
                    float v = muon_round_float(MUON_BF16,
                                               b * bits_float(A[i * n + j]));
                    if (cc != 0)
                        v = muon_round_float(
                            MUON_BF16,
                            v + muon_round_float(MUON_BF16,
                                                 cc * bits_float(B[i * n + j])));
                    W[i * n + j] = W[j * n + i] = v;
                }
            muon_bf16_comb_sym(B, A, n, b, cc);
            size_t bad = 0;
            for (size_t i = 0; i < n * n; i++)
                bad += B[i] != float_bits(W[i]);
            ck_assert_msg(bad == 0, "comb_sym n %zu c %g: %zu wrong", n,
                          (double)cc, bad);
        }
    muon_lowp_set_isa(-1);
}
END_TEST

/* The sizes of the symmetric passes' tests: every size around the 8 x 8
 * blocks and 64 x 64 tiles of the vectorised forms, then two that run on
 * the OpenMP team (from 512, lowp.c's SYM_PAR_MIN), one off the blocks. */
static size_t
sym_next(size_t n)
{
    return n < 72 ? n + 1 : n < 186 ? n + 57 : n == 186 ? 517 : 600;
}

enum { SYM_NMAX = 600 };

/* Mirroring copies the upper triangle into the lower one exactly and
 * leaves the upper one alone. */
START_TEST(mirror_exact)
{
    muon_lowp_set_isa(_i); /* each instruction set this CPU has */
    enum { NMAX = SYM_NMAX };
    static float f[NMAX * NMAX];
    static double d[NMAX * NMAX];
    static uint16_t h[NMAX * NMAX];
    for (size_t n = 0; n <= NMAX; n = n == NMAX ? n + 1 : sym_next(n)) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                float v = j >= i ? (float)(i * 1000 + j) : NAN;
                f[i * n + j] = v;
                d[i * n + j] = v;
                h[i * n + j] = j >= i ? (uint16_t)(i * 331 + j) : 0xffff;
            }
        muon_mirror_f32(f, n);
        muon_mirror_f64(d, n);
        muon_mirror_u16(h, n);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                size_t a = i < j ? i : j, b = i < j ? j : i;
                bad += f[i * n + j] != (float)(a * 1000 + b);
                bad += d[i * n + j] != (double)(a * 1000 + b);
                bad += h[i * n + j] != (uint16_t)(a * 331 + b);
            }
        ck_assert_msg(bad == 0, "n %zu: %zu elements wrong", n, bad);
    }
    muon_lowp_set_isa(-1);
}
END_TEST

/* The symmetric combination B = a I + b A + c B against its scalar
 * definition on the upper triangles, mirrored, bit for bit (the lower
 * triangles start as NaN: they must not be read). */
START_TEST(comb_sym_exact)
{
    muon_lowp_set_isa(_i); /* each instruction set this CPU has */
    enum { NMAX = SYM_NMAX };
    static float A[NMAX * NMAX], B[NMAX * NMAX], W[NMAX * NMAX];
    static double Ad[NMAX * NMAX], Bd[NMAX * NMAX], Wd[NMAX * NMAX];
    const float a = 3.4445f, b = -4.7750f;
    for (int withc = 0; withc < 2; withc++)
        for (size_t n = 0; n <= NMAX; n = n == NMAX ? n + 1 : sym_next(n)) {
            const float c = withc ? 2.0315f : 0.0f;
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++) {
                    int up = j >= i;
                    A[i * n + j] = up ? 1.0f / (float)(i + 2 * j + 1) : NAN;
                    B[i * n + j] = up ? (float)(i + 1) / (float)(j + 3) : NAN;
                    Ad[i * n + j] = A[i * n + j];
                    Bd[i * n + j] = B[i * n + j];
                }
            for (size_t i = 0; i < n; i++)
                for (size_t j = i; j < n; j++) {
                    float v = b * A[i * n + j];
                    double vd = (double)b * Ad[i * n + j];
                    if (c != 0) {
                        v = v + c * B[i * n + j];
                        vd = vd + (double)c * Bd[i * n + j];
                    }
                    if (i == j) {
                        v = v + a;
                        vd = vd + (double)a;
                    }
                    W[i * n + j] = W[j * n + i] = v;
                    Wd[i * n + j] = Wd[j * n + i] = vd;
                }
            muon_comb_sym_f32(B, A, n, a, b, c);
            muon_comb_sym_f64(Bd, Ad, n, a, b, c);
            size_t bad = 0;
            for (size_t i = 0; i < n * n; i++) {
                bad += memcmp(&B[i], &W[i], sizeof B[i]) != 0;
                bad += memcmp(&Bd[i], &Wd[i], sizeof Bd[i]) != 0;
            }
            ck_assert_msg(bad == 0, "n %zu c %g: %zu elements wrong", n,
                          (double)c, bad);
        }
    muon_lowp_set_isa(-1);
}
END_TEST

/* The front end's fp32 scan and scaling passes against their scalar
 * definitions at every length around the vector width, with Inf and NaN
 * placed in the vector body and in the tail. */
START_TEST(front_scans_match_scalar)
{
    muon_lowp_set_isa(_i); /* each instruction set this CPU has */
    enum { N = 1000 };
    static float x[N], y[N];
    unsigned long long s = 777;
    for (size_t i = 0; i < N; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        /* magnitudes from subnormal to 2^100, both signs */
        double u = (double)(s >> 11) / 9007199254740992.0 - 0.5;
        x[i] = (float)ldexp(u, (int)(i % 250) - 148);
    }
    for (size_t n = 0; n <= N; n += n < 40 ? 1 : 240) {
        for (int poison = 0; poison < 3; poison++) {
            float save[2] = {n > 3 ? x[3] : 0, n ? x[n - 1] : 0};
            if (poison == 1 && n > 3)
                x[3] = INFINITY; /* in the first vector of 8 */
            if (poison == 2 && n)
                x[n - 1] = NAN; /* in the scalar tail unless n % 8 == 0 */
            size_t bad_want = 0;
            double mx_want = 0, ss_want = 0;
            for (size_t i = 0; i < n; i++) {
                bad_want += !isfinite(x[i]);
                if (isfinite(x[i])) {
                    mx_want = fmax(mx_want, fabs((double)x[i]));
                    ss_want += (double)x[i] * x[i];
                }
            }
            float mx;
            double ss;
            size_t bad = muon_scan_f32(x, n, &mx, &ss);
            ck_assert_msg(bad == bad_want, "n %zu poison %d: %zu bad, want "
                          "%zu", n, poison, bad, bad_want);
            if (!bad_want) {
                ck_assert_msg((double)mx == mx_want, "n %zu: max %a != %a", n,
                              (double)mx, mx_want);
                /* only the summation order differs */
                ck_assert_msg(fabs(ss - ss_want) <= 1e-14 * ss_want,
                              "n %zu: sumsq %.17g != %.17g", n, ss, ss_want);
            }
            if (n > 3)
                x[3] = save[0];
            if (n)
                x[n - 1] = save[1];
        }
        const double k = 0x1.3p-7 / 3.0;
        static const muon_precision ps[] = {MUON_FP32, MUON_BF16, MUON_FP16};
        for (size_t q = 0; q < 3; q++) {
            muon_scale_f32(ps[q], x, n, k, y);
            size_t wrong = 0;
            for (size_t i = 0; i < n; i++) {
                float want = muon_round_float(ps[q], (float)((double)x[i] * k));
                wrong += memcmp(&y[i], &want, 4) != 0;
            }
            ck_assert_msg(wrong == 0, "scale %s n %zu: %zu wrong",
                          muon_precision_name(ps[q]), n, wrong);
        }
    }
    muon_lowp_set_isa(-1);
}
END_TEST

/* A batch on 3 threads gives the sequential results.  On a backend with
 * worker caches (onednn) the polynomial methods must match bit for bit:
 * workers run the caller's kind of kernels (brgemm matmul primitives made
 * for one thread, dnnl_sgemm) and, at this shape, oneDNN reduces each
 * element in one thread whatever the thread count; a difference means
 * the workers' products took another path.  Elsewhere (OpenBLAS, whose
 * rounding may follow its thread count at larger shapes; svd's LAPACK)
 * the usual tolerances. */
START_TEST(batch_parallel_equals_sequential)
{
    static const char *const methods[] = {"ns5", "gram-ns", "svd", "ns5"};
    const size_t m = 48, n = 96, count = 9, mn = m * n;
    double *G = malloc(count * mn * sizeof *G);
    double *O1 = malloc(count * mn * sizeof *O1);
    double *O2 = malloc(count * mn * sizeof *O2);
    float *Gf = malloc(count * mn * sizeof *Gf);
    float *O1f = malloc(count * mn * sizeof *O1f);
    float *O2f = malloc(count * mn * sizeof *O2f);
    ck_assert(G && O1 && O2 && Gf && O1f && O2f);
    fill(G, count * mn, 3);
    for (size_t i = 0; i < count * mn; i++)
        Gf[i] = (float)G[i];
    const muon_linalg_backend *const *b = muon_linalg_backends();
    for (size_t bi = 0; b[bi]; bi++)
        for (size_t k = 0; k < 4; k++) {
            const muon_orth_type *T = muon_orth_type_by_name(methods[k]);
            muon_orth_params p;
            muon_orth_default_params(T, &p);
            p.backend = b[bi];
            int native = k == 3; /* the last: ns5 on native bf16 */
            if (native && !b[bi]->sbgemm)
                continue;
            if (native) {
                p.precision = MUON_BF16;
                p.native = 1;
            }
            int f64 = p.precision == MUON_FP64;
            int exact = b[bi]->local_new && T->polynomial;
            for (size_t i = 0; i < count * mn; i++) {
                O2f[i] = NAN;
                O2[i] = NAN;
            }
            muon_orth_workspace *w = muon_orth_alloc(T, &p, m, n);
            ck_assert_ptr_nonnull(w);
            if (f64)
                ck_assert_int_eq(muon_orth_apply_batch_f64(w, count, G, O1),
                                 0);
            else
                ck_assert_int_eq(muon_orth_apply_batch_f32(w, count, Gf, O1f),
                                 0);
            ck_assert_int_eq(muon_orth_set_threads(w, 3), MUON_SUCCESS);
            if (f64)
                ck_assert_int_eq(muon_orth_apply_batch_f64(w, count, G, O2),
                                 0);
            else
                ck_assert_int_eq(muon_orth_apply_batch_f32(w, count, Gf, O2f),
                                 0);
            ck_assert_uint_eq(muon_orth_calls(w), 2 * count);
            for (size_t c = 0; c < count; c++) {
                double d;
                size_t differ = 0;
                if (f64) {
                    d = dist(O1 + c * mn, O2 + c * mn, m, n);
                } else {
                    double s = 0;
                    for (size_t i = c * mn; i < (c + 1) * mn; i++) {
                        s += ((double)O1f[i] - O2f[i]) *
                             ((double)O1f[i] - O2f[i]);
                        differ += memcmp(&O1f[i], &O2f[i], sizeof *O1f) != 0;
                    }
                    d = sqrt(s / (double)m); /* NaN if unwritten */
                }
                ck_assert_msg(exact ? differ == 0
                                    : d <= (f64 ? TOL_F64_DENSE
                                                : TOL_F32_VS_F64),
                              "%s%s on %s: matrix %zu differs by %g (%zu "
                              "entries)", T->name, native ? " (bf16n)" : "",
                              b[bi]->name, c, d, differ);
            }
            ck_assert_int_eq(muon_orth_set_threads(w, 0), MUON_EINVAL);
            ck_assert_int_eq(muon_orth_set_threads(w, 1), MUON_SUCCESS);
            muon_orth_free(w);
        }
    free(G);
    free(O1);
    free(O2);
    free(Gf);
    free(O1f);
    free(O2f);
}
END_TEST

/* The CSV of `muonlab bench` (the binary next to the tests) has its
 * columns in order and one row per method x precision x backend. */
START_TEST(bench_csv_columns)
{
    const char *root = getenv("MUON_BUILD_ROOT");
    if (!root)
        return; /* run outside meson: nothing to find */
    char dir[] = "/tmp/muon-bench-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char cmd[4096], path[512];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    snprintf(cmd, sizeof cmd, "%s/src/cli/muonlab bench --method ns5,ns3 "
             "--shape 16x40 --precision fp32,bf16 --reps 1 --format csv "
             "--out %s", root, path);
    ck_assert_int_eq(system(cmd), 0);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[4096];
    size_t rows = 0, header = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        if (!header) {
            header = 1;
            ck_assert_msg(!strncmp(line, "impl,method,backend,precision,m,n,"
                                   "batch,threads,steps,reps,time_s,", 62),
                          "header: %s", line);
            ck_assert_ptr_nonnull(strstr(line, ",gflops,gemm_gflops,"
                                         "ratio_gemm,"));
            ck_assert_ptr_nonnull(strstr(line, ",bw_gbs,"));
            ck_assert_ptr_nonnull(strstr(line, ",time_min_s,ratio_gemm_best,"
                                         "ratio_gemm_big_best\n"));
            continue;
        }
        rows++;
        ck_assert_ptr_nonnull(strstr(line, "muonlab,ns"));
        /* The fastest repetition is no slower than the median one
         * (columns 11 and 23 of the header above, from 1). */
        double v[24];
        size_t nf = 0;
        for (char *tok = strtok(line, ","); tok && nf < 24;
             tok = strtok(NULL, ","))
            v[nf++] = strtod(tok, NULL);
        ck_assert_uint_eq(nf, 24);
        ck_assert_msg(v[22] > 0 && v[22] <= v[10], "time_min_s %g, time_s "
                      "%g", v[22], v[10]);
    }
    fclose(f);
    ck_assert_uint_eq(rows, 4);
    unlink(path);
    rmdir(dir);
}
END_TEST

int
main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("bench");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, flop_counts);
    tcase_add_test(tc, probes_sane);
    tcase_add_test(tc, backends_agree);
    tcase_add_test(tc, native_needs_bf16_backend);
    tcase_add_loop_test(tc, lowp_bit_identical, MUON_ISA_SCALAR, MUON_ISA_BF16HW + 1);
    tcase_add_loop_test(tc, front_scans_match_scalar, MUON_ISA_SCALAR, MUON_ISA_BF16HW + 1);
    tcase_add_loop_test(tc, mirror_exact, MUON_ISA_SCALAR, MUON_ISA_BF16HW + 1);
    tcase_add_loop_test(tc, comb_sym_exact, MUON_ISA_SCALAR, MUON_ISA_BF16HW + 1);
    tcase_add_loop_test(tc, bf16_passes_exact, MUON_ISA_SCALAR, MUON_ISA_BF16HW + 1);
    tcase_add_test(tc, batch_parallel_equals_sequential);
    tcase_add_test(tc, bench_csv_columns);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_ENV);
    int nf = srunner_ntests_failed(r), nr = srunner_ntests_run(r);
    srunner_free(r);
    printf("%d passed, %d failed\n", nr - nf, nf);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
