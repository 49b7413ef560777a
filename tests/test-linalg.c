/* test-linalg.c: the backends' general and symmetric products against an
 * fp64 reference at every size where a backend changes strategy, batch
 * workers' product caches and thread runner, and the linalg
 * module's view of OpenBLAS: which core names count as AVX2/AVX-512 kernel
 * sets (muon_linalg_blas_core_is_avx2, behind `muonlab bench`'s warning) and
 * the core name it reports.  The whole orthogonalizers on every backend are
 * tested in test-bench.c and test-orth.c. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cblas.h>

#include "core/omp_pragma.h"
#include "muon/linalg.h"
#include "muon/precision.h"
#include "muon/status.h"
#include "testutil.h"

/* OpenBLAS's names for its AVX2 and AVX-512 kernel sets, as a DYNAMIC_ARCH
 * build reports them, and in the capitals of a static build's TARGET. */
static const char *const avx2_cores[] = {
    "Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids",
    "HASWELL", "ZEN", "SKYLAKEX", "COOPERLAKE", "SAPPHIRERAPIDS"};

START_TEST(test_avx2_cores)
{
    const char *c = avx2_cores[_i];
    ck_assert_msg(muon_linalg_blas_core_is_avx2(c) == 1,
                  "'%s' not classified as AVX2/AVX-512", c);
}
END_TEST

/* The generic and pre-AVX2 kernel sets (SSE to AVX), OpenBLAS's own
 * "Unknown", and near misses of the AVX2 names: whole names only. */
static const char *const generic_cores[] = {
    "Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom",
    "Katmai", "Coppermine", "Northwood", "Banias", "Opteron",
    "Opteron_SSE3", "Barcelona", "Sandybridge", "Bulldozer", "Piledriver",
    "Steamroller", "Excavator", "Unknown", "PRESCOTT", "Haswel", "Haswell ",
    "SkylakeX2", "Zen-ish", "X"};

START_TEST(test_generic_cores)
{
    const char *c = generic_cores[_i];
    ck_assert_msg(muon_linalg_blas_core_is_avx2(c) == 0,
                  "'%s' classified as AVX2/AVX-512", c);
}
END_TEST

START_TEST(test_no_core_name)
{
    /* No name is no evidence of fast kernels: generic (bench warns). */
    ck_assert_int_eq(muon_linalg_blas_core_is_avx2(NULL), 0);
    ck_assert_int_eq(muon_linalg_blas_core_is_avx2(""), 0);
}
END_TEST

START_TEST(test_blas_core_is_openblas_core)
{
    /* What provenance records is OpenBLAS's own answer, never empty. */
    const char *core = muon_linalg_blas_core();
    ck_assert_ptr_nonnull(core);
    ck_assert_uint_gt(strlen(core), 0);
    const char *ob = openblas_get_corename();
    if (ob && *ob)
        ck_assert_str_eq(core, ob);
    else
        ck_assert_str_eq(core, "unknown");
    /* A core forced through the environment is the one in use (OpenBLAS
     * matches the variable without case). */
    const char *env = getenv("OPENBLAS_CORETYPE");
    if (env && muon_linalg_blas_core_is_avx2(env))
        ck_assert_msg(!strcasecmp(core, env),
                      "OPENBLAS_CORETYPE=%s but core '%s'", env, core);
}
END_TEST


/* ssyrk and dsyrk (and sbsyrk where there is one) of every backend: the upper triangle of alpha A A^T +
 * beta C against an fp64 reference, for N around each strategy change
 * (oneDNN: one product up to 192 rows, 4 panels below 2048, halving from
 * 2048; OpenBLAS: a team's panels from 2^26 multiply-adds) and a K that
 * is not a multiple of 8.
 * With beta == 0 C starts as NaN (it must not be read); with beta != 0 its
 * upper triangle holds known values.  Only the upper triangle is checked:
 * the lower one is unspecified (linalg.h). */
static const size_t syrk_sizes[][2] = {
    {1, 37},   {15, 37},  {16, 37},   {17, 37},   {191, 37},
    {192, 37}, {193, 37}, {255, 37},  {256, 37},  {257, 37},
    {300, 37}, {700, 37}, {2047, 24}, {2048, 24}, {2100, 24},
    {600, 373}}; /* the last: an OpenBLAS team (>= 2^26 multiply-adds) */

/* ref (N x N) = the upper triangle of A A^T in fp64; A is N x K. */
static void
upper_gram(const double *A, size_t N, size_t K, double *ref)
{
    for (size_t i = 0; i < N; i++)
        for (size_t j = i; j < N; j++) {
            double d = 0;
            for (size_t k = 0; k < K; k++)
                d += A[i * K + k] * A[j * K + k];
            ref[i * N + j] = d;
        }
}

START_TEST(test_syrk_upper)
{
    const size_t N = syrk_sizes[_i][0], K = syrk_sizes[_i][1], ld = N + 3;
    double *Ad = malloc(N * K * sizeof *Ad), *ref = malloc(N * N * sizeof *ref);
    float *A = malloc(N * K * sizeof *A), *C = malloc(N * ld * sizeof *C);
    double *Cd = malloc(N * ld * sizeof *Cd);
    ck_assert(Ad && ref && A && C && Cd);
    unsigned long long st = 99 + N;
    for (size_t i = 0; i < N * K; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        A[i] = (float)((double)(st >> 40) / 16777216.0 - 0.5);
        Ad[i] = A[i];
    }
    upper_gram(Ad, N, K, ref);
    const muon_linalg_backend *const *be = muon_linalg_backends();
    for (size_t b = 0; be[b]; b++)
        for (int withbeta = 0; withbeta < 2; withbeta++) {
            const float alpha = 0.75f, beta = withbeta ? -0.5f : 0.0f;
            for (size_t i = 0; i < N * ld; i++) {
                size_t r = i / ld, c = i % ld;
                float c0 = withbeta ? (float)(r + 2 * c % 7) : NAN;
                C[i] = c0;
                Cd[i] = c0;
            }
            be[b]->ssyrk(N, K, alpha, A, K, beta, C, ld);
            be[b]->dsyrk(N, K, alpha, Ad, K, beta, Cd, ld);
            /* One assertion per case (Check records every assertion it
             * passes): the first bad element goes into msg. */
            char msg[256] = "";
            for (size_t i = 0; i < N && !msg[0]; i++)
                for (size_t j = i; j < N && !msg[0]; j++) {
                    double c0 = withbeta ? (double)(i + 2 * j % 7) : 0.0;
                    double want = alpha * ref[i * N + j] + beta * c0;
                    /* fp32: K products of magnitude <= 1/4, summed */
                    double tol32 = 4e-7 * (double)K + 1e-6 * fabs(want);
                    if (!(fabs(C[i * ld + j] - want) <= tol32))
                        snprintf(msg, sizeof msg, "ssyrk C[%zu][%zu] = %g, "
                                 "want %g", i, j, (double)C[i * ld + j], want);
                    else if (!(fabs(Cd[i * ld + j] - want) <=
                               1e-13 * (double)K))
                        snprintf(msg, sizeof msg, "dsyrk C[%zu][%zu] = "
                                 "%.17g, want %.17g", i, j, Cd[i * ld + j],
                                 want);
                }
            /* The padding columns past N are never written. */
            for (size_t i = 0; i < N && !msg[0]; i++)
                for (size_t j = N; j < ld; j++)
                    if (withbeta ? C[i * ld + j] != (float)(i + 2 * j % 7)
                                 : !isnan(C[i * ld + j]))
                        snprintf(msg, sizeof msg, "ssyrk wrote padding "
                                 "C[%zu][%zu]", i, j);
            ck_assert_msg(!msg[0], "%s N %zu K %zu beta %g: %s", be[b]->name,
                          N, K, (double)beta, msg);
        }
    /* Native bf16 (alpha 1, beta 0): operands rounded to bf16 first, so
     * every product is exact in fp32 and only the sums round; the result
     * is that fp32 sum rounded once more to bf16 (half an ulp: at most
     * 2^-8 relative, bf16's unit round-off). */
    uint16_t *Ah = malloc(N * K * sizeof *Ah), *Ch = malloc(N * ld * sizeof *Ch);
    ck_assert(Ah && Ch);
    for (size_t i = 0; i < N * K; i++) {
        float v = muon_round_bf16(A[i]);
        uint32_t u;
        memcpy(&u, &v, sizeof u);
        Ah[i] = (uint16_t)(u >> 16);
        Ad[i] = v;
    }
    upper_gram(Ad, N, K, ref);
    const uint16_t poison = 0x7fc1; /* a NaN no product yields */
    for (size_t b = 0; be[b]; b++) {
        if (!be[b]->sbsyrk)
            continue;
        for (size_t i = 0; i < N * ld; i++)
            Ch[i] = poison;
        ck_assert_int_eq(be[b]->sbsyrk(N, K, Ah, K, Ch, ld), MUON_SUCCESS);
        char msg[256] = "";
        for (size_t i = 0; i < N && !msg[0]; i++) {
            for (size_t j = i; j < N && !msg[0]; j++) {
                uint32_t u = (uint32_t)Ch[i * ld + j] << 16;
                float v;
                memcpy(&v, &u, sizeof v);
                double want = ref[i * N + j];
                if (!(fabs(v - want) <= 4e-7 * (double)K +
                                            (1e-6 + 0x1p-8) * fabs(want)))
                    snprintf(msg, sizeof msg, "C[%zu][%zu] = %g, want %g", i,
                             j, (double)v, want);
            }
            for (size_t j = N; j < ld && !msg[0]; j++)
                if (Ch[i * ld + j] != poison)
                    snprintf(msg, sizeof msg, "wrote padding C[%zu][%zu]", i,
                             j);
        }
        ck_assert_msg(!msg[0], "%s sbsyrk N %zu K %zu: %s", be[b]->name, N, K,
                      msg);
    }
    free(Ch);
    free(Ah);
    free(Ad);
    free(ref);
    free(A);
    free(C);
    free(Cd);
}
END_TEST

/* sgemm and dgemm of every backend, C = alpha op(A) op(B) + beta C against
 * an fp64 reference, for every transposition, padded leading dimensions,
 * beta 0 (C starts as NaN: never read) and beta != 0, at shapes on both
 * sides of the openblas backend's team threshold (2^26 multiply-adds):
 * a product cut by columns (N >= M), one cut by rows, one whose blocks do
 * not fall on the 16-float grid, and a small one.  The padding must stay
 * untouched. */
static const size_t gemm_shapes[][3] = {
    {37, 7000, 300}, {7000, 37, 300}, {256, 1025, 257}, {33, 35, 17}};

/* The logical op(A) (M x K) or op(B) (K x N), X (r x c), stored as given
 * (ld = c + pad) or transposed (ld = r + pad) in S. */
static void
store_op(const double *X, size_t r, size_t c, int trans, size_t pad,
         float *S, double *Sd)
{
    size_t ld = (trans ? r : c) + pad;
    for (size_t i = 0; i < r; i++)
        for (size_t k = 0; k < c; k++) {
            size_t at = trans ? k * ld + i : i * ld + k;
            S[at] = (float)X[i * c + k];
            Sd[at] = X[i * c + k];
        }
}

START_TEST(test_gemm_split)
{
    const size_t M = gemm_shapes[_i][0], N = gemm_shapes[_i][1],
                 K = gemm_shapes[_i][2], pad = 5, ldc = N + pad;
    const size_t na = (M + pad) * (K + pad), nb = (K + pad) * (N + pad);
    double *opA = malloc(M * K * sizeof *opA);
    double *opB = malloc(K * N * sizeof *opB);
    double *ref = calloc(M * N, sizeof *ref);
    float *A = malloc(na * sizeof *A), *B = malloc(nb * sizeof *B);
    float *C = malloc(M * ldc * sizeof *C);
    double *Ad = malloc(na * sizeof *Ad), *Bd = malloc(nb * sizeof *Bd);
    double *Cd = malloc(M * ldc * sizeof *Cd);
    ck_assert(opA && opB && ref && A && B && C && Ad && Bd && Cd);
    unsigned long long st = 7 + M * N;
    for (size_t i = 0; i < M * K + K * N; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        /* floats, so that the fp32 operands hold the same values */
        double v = (float)((double)(st >> 40) / 16777216.0 - 0.5);
        if (i < M * K)
            opA[i] = v;
        else
            opB[i - M * K] = v;
    }
    for (size_t i = 0; i < M; i++)
        for (size_t k = 0; k < K; k++)
            for (size_t j = 0; j < N; j++)
                ref[i * N + j] += opA[i * K + k] * opB[k * N + j];
    const muon_linalg_backend *const *be = muon_linalg_backends();
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            const size_t lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad;
            store_op(opA, M, K, ta, pad, A, Ad);
            store_op(opB, K, N, tb, pad, B, Bd);
            for (size_t b = 0; be[b]; b++)
                for (int withbeta = 0; withbeta < 2; withbeta++) {
                    const float alpha = 0.75f, beta = withbeta ? -0.5f : 0.0f;
                    for (size_t i = 0; i < M * ldc; i++) {
                        float c0 = withbeta ? (float)(i % 11) : NAN;
                        C[i] = c0;
                        Cd[i] = c0;
                    }
                    be[b]->sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta,
                                 C, ldc);
                    be[b]->dgemm(ta, tb, M, N, K, alpha, Ad, lda, Bd, ldb,
                                 beta, Cd, ldc);
                    char msg[256] = "";
                    for (size_t i = 0; i < M && !msg[0]; i++)
                        for (size_t j = 0; j < ldc && !msg[0]; j++) {
                            size_t at = i * ldc + j;
                            double c0 = withbeta ? (double)(at % 11) : 0.0;
                            if (j >= N) { /* padding */
                                if (withbeta ? C[at] != (float)c0
                                             : !isnan(C[at]))
                                    snprintf(msg, sizeof msg, "sgemm wrote "
                                             "padding C[%zu][%zu]", i, j);
                                continue;
                            }
                            double want = alpha * ref[i * N + j] + beta * c0;
                            if (!(fabs(C[at] - want) <=
                                  4e-7 * (double)K + 1e-6 * fabs(want)))
                                snprintf(msg, sizeof msg, "sgemm C[%zu][%zu] "
                                         "= %g, want %g", i, j, (double)C[at],
                                         want);
                            else if (!(fabs(Cd[at] - want) <=
                                       1e-13 * (double)K))
                                snprintf(msg, sizeof msg, "dgemm C[%zu][%zu] "
                                         "= %.17g, want %.17g", i, j, Cd[at],
                                         want);
                        }
                    ck_assert_msg(!msg[0], "%s ta %d tb %d %zux%zux%zu beta "
                                  "%g: %s", be[b]->name, ta, tb, M, N, K,
                                  (double)beta, msg);
                }
        }
    free(opA);
    free(opB);
    free(ref);
    free(A);
    free(B);
    free(C);
    free(Ad);
    free(Bd);
    free(Cd);
}
END_TEST

/* n pseudo-random bf16 values in [-0.5, 0.5) from seed: as floats in A,
 * as bit patterns in Ah. */
static void
bf16_operands(float *A, uint16_t *Ah, size_t n, unsigned long long seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        A[i] = muon_round_bf16((float)((double)(seed >> 40) / 16777216.0 - 0.5));
        uint32_t u;
        memcpy(&u, &A[i], sizeof u);
        Ah[i] = (uint16_t)(u >> 16);
    }
}

/* ---- batch workers' own product caches ------------------------------- */

#define LC_N 128    /* a batch-sized shape: one full symmetric block */
#define LC_REPS 40  /* products per thread, all racing each other */
#define LC_THREADS 3

typedef struct {
    const muon_linalg_backend *be;
    muon_linalg_local *local; /* NULL: the shared cache, under its lock */
    const float *A;           /* LC_N x LC_N */
    const uint16_t *Ah;       /* the same in bf16 */
    const float *want;        /* A A^T from the calling thread */
    const uint16_t *wanth;
    size_t bad;               /* products whose bits differ from want */
} lc_job;

static void *
lc_worker(void *arg)
{
    lc_job *j = arg;
    float *C = malloc(LC_N * LC_N * sizeof *C);
    uint16_t *Ch = malloc(LC_N * LC_N * sizeof *Ch);
    if (!C || !Ch) {
        j->bad = (size_t)-1;
        free(C);
        free(Ch);
        return NULL;
    }
    int saved;
    if (j->local) {
        muon_linalg_batch_begin(&saved);
        muon_linalg_worker_init(j->local);
    }
    for (size_t r = 0; r < LC_REPS; r++) {
        j->be->ssyrk(LC_N, LC_N, 1, j->A, LC_N, 0, C, LC_N);
        j->bad += memcmp(C, j->want, LC_N * LC_N * sizeof *C) != 0;
        if (j->be->sbgemm) {
            j->bad += j->be->sbgemm(0, 1, LC_N, LC_N, LC_N, j->Ah, LC_N,
                                    j->Ah, LC_N, Ch, LC_N) != MUON_SUCCESS;
            j->bad += memcmp(Ch, j->wanth, LC_N * LC_N * sizeof *Ch) != 0;
        }
    }
    if (j->local)
        muon_linalg_batch_end(saved);
    free(C);
    free(Ch);
    return NULL;
}

/* Threads with caches of their own and one thread on the shared cache run
 * the same shapes at once, each on its own operands: every result must be
 * the calling thread's, bit for bit (a cache whose memory objects another
 * thread re-points mid-product would mix operands). */
START_TEST(test_local_caches_concurrent)
{
    const muon_linalg_backend *const *be = muon_linalg_backends();
    const size_t nn = LC_N * LC_N;
    for (size_t b = 0; be[b]; b++) {
        if (!be[b]->local_new)
            continue;
        lc_job job[LC_THREADS + 1];
        float *buf = malloc(2 * (LC_THREADS + 1) * nn * sizeof *buf);
        uint16_t *bufh = malloc(2 * (LC_THREADS + 1) * nn * sizeof *bufh);
        ck_assert(buf && bufh);
        for (size_t t = 0; t <= LC_THREADS; t++) {
            float *A = buf + 2 * t * nn, *want = A + nn;
            uint16_t *Ah = bufh + 2 * t * nn, *wanth = Ah + nn;
            bf16_operands(A, Ah, nn, 7 + t);
            job[t] = (lc_job){be[b], NULL, A, Ah, want, wanth, 0};
            if (t < LC_THREADS)
                ck_assert_int_eq(be[b]->local_new(&job[t].local),
                                 MUON_SUCCESS);
        }
        /* The references: each job's products made and run in this thread
         * first, in the job's cache (its shapes made at set-up, as
         * muon_orth_set_threads does). */
        for (size_t t = 0; t <= LC_THREADS; t++) {
            const lc_job ref = job[t];
            int saved;
            if (ref.local) {
                muon_linalg_batch_begin(&saved);
                muon_linalg_worker_init(ref.local);
            }
            be[b]->ssyrk(LC_N, LC_N, 1, ref.A, LC_N, 0, (float *)job[t].want,
                         LC_N);
            if (be[b]->sbgemm)
                ck_assert_int_eq(be[b]->sbgemm(0, 1, LC_N, LC_N, LC_N, ref.Ah,
                                               LC_N, ref.Ah, LC_N,
                                               (uint16_t *)job[t].wanth,
                                               LC_N),
                                 MUON_SUCCESS);
            if (ref.local)
                muon_linalg_batch_end(saved);
        }
        pthread_t tid[LC_THREADS + 1];
        for (size_t t = 0; t <= LC_THREADS; t++)
            ck_assert_int_eq(pthread_create(&tid[t], NULL, lc_worker, &job[t]),
                             0);
        size_t bad = 0;
        for (size_t t = 0; t <= LC_THREADS; t++) {
            pthread_join(tid[t], NULL);
            bad += job[t].bad;
            be[b]->local_free(job[t].local);
        }
        ck_assert_msg(bad == 0, "%s: %zu of %d concurrent products differ "
                      "from the single-thread ones", be[b]->name, bad,
                      (LC_THREADS + 1) * LC_REPS * (be[b]->sbgemm ? 2 : 1));
        be[b]->local_free(NULL); /* a no-op, as documented */
        free(buf);
        free(bufh);
    }
}
END_TEST

/* ---- symmetric products' panel teams --------------------------------- */

#define TP_N 400 /* a team's panels: oneDNN (193..2047 rows) */
#define TP_K 840 /* and OpenBLAS (2^26 multiply-adds) */
#define TP_REPS 12
#define TP_THREADS 3

typedef struct {
    const muon_linalg_backend *be;
    const float *A;       /* TP_N x TP_K */
    const uint16_t *Ah;   /* the same in bf16 */
    const float *want;    /* TP_N x TP_N, from the calling thread */
    const uint16_t *wanth;
    size_t bad;
} tp_job;

/* Upper triangles equal bit for bit? */
static int
tp_same(const void *x, const void *y, size_t el)
{
    for (size_t i = 0; i < TP_N; i++)
        if (memcmp((const char *)x + (i * TP_N + i) * el,
                   (const char *)y + (i * TP_N + i) * el, (TP_N - i) * el))
            return 0;
    return 1;
}

static void *
tp_worker(void *arg)
{
    tp_job *j = arg;
    float *C = malloc(TP_N * TP_N * sizeof *C);
    uint16_t *Ch = malloc(TP_N * TP_N * sizeof *Ch);
    if (!C || !Ch) {
        j->bad = (size_t)-1;
    } else {
        for (size_t r = 0; r < TP_REPS; r++) {
            j->be->ssyrk(TP_N, TP_K, 1, j->A, TP_K, 0, C, TP_N);
            j->bad += !tp_same(C, j->want, sizeof *C);
            if (j->be->sbsyrk) {
                j->bad += j->be->sbsyrk(TP_N, TP_K, j->Ah, TP_K, Ch, TP_N) !=
                          MUON_SUCCESS;
                j->bad += !tp_same(Ch, j->wanth, sizeof *Ch);
            }
        }
    }
    free(C);
    free(Ch);
    return NULL;
}

/* Several threads' symmetric products at once, each split into panels
 * across its own OpenMP team (oneDNN: the team threads' caches are shared
 * between callers, each under its lock): every result must be the one the
 * calling thread got alone, bit for bit. */
START_TEST(test_team_panels_concurrent)
{
    const muon_linalg_backend *const *be = muon_linalg_backends();
    const size_t nk = TP_N * TP_K, nn = TP_N * TP_N;
    const int blas_threads = openblas_get_num_threads();
    for (size_t b = 0; be[b]; b++) {
        tp_job job[TP_THREADS];
        float *buf = malloc(TP_THREADS * (nk + nn) * sizeof *buf);
        uint16_t *bufh = malloc(TP_THREADS * (nk + nn) * sizeof *bufh);
        ck_assert(buf && bufh);
        for (size_t t = 0; t < TP_THREADS; t++) {
            float *A = buf + t * (nk + nn), *want = A + nk;
            uint16_t *Ah = bufh + t * (nk + nn), *wanth = Ah + nk;
            bf16_operands(A, Ah, nk, 11 + t);
            be[b]->ssyrk(TP_N, TP_K, 1, A, TP_K, 0, want, TP_N);
            if (be[b]->sbsyrk)
                ck_assert_int_eq(be[b]->sbsyrk(TP_N, TP_K, Ah, TP_K, wanth,
                                               TP_N),
                                 MUON_SUCCESS);
            job[t] = (tp_job){be[b], A, Ah, want, wanth, 0};
        }
        pthread_t tid[TP_THREADS];
        for (size_t t = 0; t < TP_THREADS; t++)
            ck_assert_int_eq(pthread_create(&tid[t], NULL, tp_worker, &job[t]),
                             0);
        size_t bad = 0;
        for (size_t t = 0; t < TP_THREADS; t++) {
            pthread_join(tid[t], NULL);
            bad += job[t].bad;
        }
        ck_assert_msg(bad == 0, "%s: %zu concurrent symmetric products "
                      "differ from the single-thread ones", be[b]->name, bad);
        /* The teams held OpenBLAS at one thread, overlapping: the last
         * one out must have restored its count. */
        ck_assert_int_eq(openblas_get_num_threads(), blas_threads);
        free(buf);
        free(bufh);
    }
}
END_TEST

/* Batch scopes: OpenBLAS stays at one thread while any scope (batch or
 * team) holds it, even when they overlap, and comes back to its count
 * after the last; batch_end gives the calling thread its OpenMP setting
 * back after worker_init lowered it. */
START_TEST(test_batch_scope_restores)
{
    const int blas = openblas_get_num_threads();
#ifdef _OPENMP
    const int omp = omp_get_max_threads();
#endif
    int outer, inner;
    muon_linalg_batch_begin(&outer);
    muon_linalg_worker_init(NULL);
    ck_assert_int_eq(openblas_get_num_threads(), 1);
#ifdef _OPENMP
    ck_assert_int_eq(omp_get_max_threads(), 1);
#endif
    muon_linalg_batch_begin(&inner); /* overlapping scope */
    muon_linalg_batch_end(inner);
    ck_assert_int_eq(openblas_get_num_threads(), 1); /* outer still holds */
    muon_linalg_batch_end(outer);
    ck_assert_int_eq(openblas_get_num_threads(), blas);
#ifdef _OPENMP
    ck_assert_int_eq(omp_get_max_threads(), omp);
#endif
}
END_TEST

/* muon_linalg_run_threads: every share runs exactly once, on every
 * backend's runner, also with more shares than threads can be started
 * for, and from inside a share (nested: then one thread runs them all). */
typedef struct {
    const muon_linalg_backend *be;
    int hits[300];
    int nested[8];
} rt_ctx;

static void
rt_count(void *arg, size_t i)
{
    rt_ctx *c = arg;
    __atomic_add_fetch(&c->hits[i], 1, __ATOMIC_RELAXED);
}

static void
rt_nested_one(void *arg, size_t i)
{
    __atomic_add_fetch(&((int *)arg)[i], 1, __ATOMIC_RELAXED);
}

static void
rt_outer(void *arg, size_t i)
{
    rt_ctx *c = arg;
    if (i == 0)
        muon_linalg_run_threads(c->be, 8, rt_nested_one, c->nested);
}

START_TEST(test_run_threads)
{
    const muon_linalg_backend *const *be = muon_linalg_backends();
    static const size_t counts[] = {1, 2, 3, 7, 300};
    for (size_t b = 0; be[b]; b++) {
        int bad = 0;
        for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
            rt_ctx c = {be[b], {0}, {0}};
            muon_linalg_run_threads(be[b], counts[k], rt_count, &c);
            for (size_t i = 0; i < 300; i++)
                bad += c.hits[i] != (i < counts[k]);
        }
        rt_ctx c = {be[b], {0}, {0}};
        muon_linalg_run_threads(be[b], 2, rt_outer, &c);
        for (size_t i = 0; i < 8; i++)
            bad += c.nested[i] != 1;
        ck_assert_msg(bad == 0, "%s: %d shares ran other than once",
                      be[b]->name, bad);
    }
}
END_TEST

static Suite *
linalg_suite(void)
{
    Suite *s = suite_create("linalg");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_avx2_cores, 0,
                        (int)(sizeof avx2_cores / sizeof avx2_cores[0]));
    tcase_add_loop_test(tc, test_generic_cores, 0,
                        (int)(sizeof generic_cores / sizeof generic_cores[0]));
    tcase_add_test(tc, test_no_core_name);
    tcase_add_test(tc, test_blas_core_is_openblas_core);
    tcase_add_loop_test(tc, test_syrk_upper, 0,
                        (int)(sizeof syrk_sizes / sizeof syrk_sizes[0]));
    tcase_add_loop_test(tc, test_gemm_split, 0,
                        (int)(sizeof gemm_shapes / sizeof gemm_shapes[0]));
    tcase_add_test(tc, test_local_caches_concurrent);
    tcase_add_test(tc, test_team_panels_concurrent);
    tcase_add_test(tc, test_batch_scope_restores);
    tcase_add_test(tc, test_run_threads);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return test_run_suite(linalg_suite());
}
