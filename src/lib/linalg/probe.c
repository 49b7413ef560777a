/* probe.c: the machine's ceilings, measured in the same run as a benchmark:
 * a backend's plain matrix-product rate and the memory bandwidth. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "muon/linalg.h"
#include "muon/metrics.h"

/* STREAM triad a = b + s c, in blocks of 8 so GCC vectorises it at -O2 (a
 * plain loop with a run-time trip count stays scalar there and measures
 * the core, not the memory); then the tail. */
static void
triad(float *restrict a, const float *restrict b, const float *restrict c,
      size_t n)
{
    size_t n8 = n - n % 8;
    for (size_t j = 0; j < n8; j += 8)
        for (size_t l = 0; l < 8; l++)
            a[j + l] = b[j + l] + 0.5f * c[j + l];
    for (size_t j = n8; j < n; j++)
        a[j] = b[j] + 0.5f * c[j];
}

#define PROBE_MAX_REPS 101

double
muon_linalg_gemm_rate(const muon_linalg_backend *be, muon_linalg_kind kind,
                      size_t M, size_t N, size_t K, size_t reps)
{
    if (!be || M == 0 || N == 0 || K == 0 || reps == 0)
        return NAN;
    if (kind == MUON_LINALG_BF16 && !be->sbgemm)
        return NAN;
    if (reps > PROBE_MAX_REPS)
        reps = PROBE_MAX_REPS;
    size_t el = kind == MUON_LINALG_F64 ? 8 : 4;
    void *A = malloc(M * K * el), *B = malloc(K * N * el);
    void *C = malloc(M * N * el);
    double t[PROBE_MAX_REPS], rate = NAN;
    if (!A || !B || !C)
        goto out;
    /* Deterministic values in [-0.5, 0.5): no denormals, no overflow. */
    for (size_t i = 0; i < M * K; i++) {
        float v = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
        if (kind == MUON_LINALG_F64)
            ((double *)A)[i] = v;
        else
            ((float *)A)[i] = v;
    }
    for (size_t i = 0; i < K * N; i++) {
        float v = (float)((i * 40503u + 7) % 1000) / 1000.0f - 0.5f;
        if (kind == MUON_LINALG_F64)
            ((double *)B)[i] = v;
        else
            ((float *)B)[i] = v;
    }
    if (kind == MUON_LINALG_BF16) {
        /* bf16 operands: the high halves of the floats, packed in place. */
        uint16_t *a = A, *b = B;
        const float *af = A, *bf = B;
        for (size_t i = 0; i < M * K; i++) {
            uint32_t u;
            memcpy(&u, &af[i], 4);
            a[i] = (uint16_t)(u >> 16);
        }
        for (size_t i = 0; i < K * N; i++) {
            uint32_t u;
            memcpy(&u, &bf[i], 4);
            b[i] = (uint16_t)(u >> 16);
        }
    }
    for (size_t r = 0; r <= reps; r++) { /* r == 0: warm-up */
        double t0 = muon_time_now();
        if (kind == MUON_LINALG_F64)
            be->dgemm(0, 0, M, N, K, 1.0, A, K, B, N, 0.0, C, N);
        else if (kind == MUON_LINALG_F32)
            be->sgemm(0, 0, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
        else if (be->sbgemm(0, 0, M, N, K, A, K, B, N, C, N))
            goto out;
        if (r > 0)
            t[r - 1] = muon_time_now() - t0;
    }
    rate = 2.0 * (double)M * N * K / muon_sorted_median(t, reps, NULL, NULL) / 1e9;
out:
    free(A);
    free(B);
    free(C);
    return rate;
}

double
muon_linalg_bandwidth(size_t bytes, size_t reps)
{
    size_t n = bytes / (3 * sizeof(float));
    if (n == 0 || reps == 0)
        return NAN;
    if (reps > PROBE_MAX_REPS)
        reps = PROBE_MAX_REPS;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    float *c = malloc(n * sizeof *c);
    double t[PROBE_MAX_REPS], bw = NAN;
    if (!a || !b || !c)
        goto out;
    for (size_t i = 0; i < n; i++) {
        b[i] = (float)(i % 7);
        c[i] = (float)(i % 5);
    }
    /* STREAM triad: two streams read, one written. */
    for (size_t r = 0; r <= reps; r++) {
        double t0 = muon_time_now();
        triad(a, b, c, n);
        if (r > 0)
            t[r - 1] = muon_time_now() - t0;
        /* Keep the stores observable. */
        __asm__ volatile("" : : "r"(a) : "memory");
    }
    bw = 3.0 * (double)n * sizeof(float) / muon_sorted_median(t, reps, NULL, NULL) / 1e9;
out:
    free(a);
    free(b);
    free(c);
    return bw;
}
