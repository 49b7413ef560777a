/* openblas.c: the default matrix-product backend, CBLAS on OpenBLAS.
 *
 * Large fp32 products run on an OpenMP team, one single-threaded OpenBLAS
 * call per thread, with OpenBLAS held at one thread meanwhile
 * (muon_linalg_blas1_enter).  OpenBLAS's own threads lose on the two
 * vCPUs here where it matters: its two-thread ssyrk at 512x2048 takes
 * 0.53-0.61 of the plain product's time, the team's panels 0.54-0.56, and
 * ns5 at 1:4 went from 1.19-1.28x to 1.25-1.35x of the sgemm rate
 * (PERFLOG v9).
 * The two pools must not take turns: OpenBLAS's workers spin for a while
 * after each threaded call, and a team that starts then runs up to 1.25x
 * slower, so every large fp32 product goes through the team, the plain
 * one included.  The fp64 products keep OpenBLAS's threads (oneDNN shares
 * them, and nothing times them against a ceiling). */
#include <cblas.h>

#include "core/omp_pragma.h"
#include "linalg_impl.h"
#include "muon/linalg.h"

/* Products smaller than this many multiply-adds (a 512^3 syrk, ~2-4 ms
 * here) run as one OpenBLAS call, with OpenBLAS's threads.  Where a
 * process also runs OpenBLAS's own threads between products, as training
 * does for the layers, the two pools spin against each other: with
 * teams from 2^22, the MLP trained 1.7x slower.  Every model's matrices
 * here stay below this; the benchmark shapes (512 and up) are above. */
#define TEAM_MIN_MACS ((size_t)1 << 26)

/* Threads for a product of macs multiply-adds: 1 (one OpenBLAS call, with
 * whatever threads OpenBLAS has) for small products, inside a batch worker
 * or an enclosing parallel region, or without OpenMP; else the OpenMP
 * team's size, after entering the one-thread scope (leave it after). */
static size_t
team_enter(size_t macs)
{
#ifdef _OPENMP
    if (macs < TEAM_MIN_MACS || muon_linalg_in_worker() || omp_in_parallel())
        return 1;
    int omp = omp_get_max_threads();
    if (omp < 2)
        return 1;
    /* OpenBLAS's own count is the user's setting (OPENBLAS_NUM_THREADS):
     * the team never exceeds it. */
    int blas = muon_linalg_blas1_enter();
    if (blas < 2) {
        muon_linalg_blas1_leave();
        return 1;
    }
    return (size_t)(omp < blas ? omp : blas);
#else
    (void)macs;
    return 1;
#endif
}

static void
sgemm1(int ta, int tb, size_t M, size_t N, size_t K, float alpha,
       const float *A, size_t lda, const float *B, size_t ldb, float beta,
       float *C, size_t ldc)
{
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, alpha,
                A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
}

/* On a team, C's longer dimension is cut into one 16-aligned block per
 * thread: the columns of op(B) and C, or the rows of op(A) and C. */
static void
ob_sgemm(int ta, int tb, size_t M, size_t N, size_t K, float alpha,
         const float *A, size_t lda, const float *B, size_t ldb, float beta,
         float *C, size_t ldc)
{
    size_t nt = team_enter(M * N * K);
    if (nt < 2) {
        sgemm1(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    OMP(omp parallel num_threads(nt))
    {
        size_t lo, hi;
        if (N >= M) {
            muon_omp_share(N, muon_omp_thread(), nt, &lo, &hi);
            if (hi > lo)
                sgemm1(ta, tb, M, hi - lo, K, alpha, A, lda,
                       tb ? B + lo * ldb : B + lo, ldb, beta, C + lo, ldc);
        } else {
            muon_omp_share(M, muon_omp_thread(), nt, &lo, &hi);
            if (hi > lo)
                sgemm1(ta, tb, hi - lo, N, K, alpha,
                       ta ? A + lo : A + lo * lda, lda, B, ldb, beta,
                       C + lo * ldc, ldc);
        }
    }
    muon_linalg_blas1_leave();
}

/* Rows [i0, i1) of the upper triangle: the diagonal block by ssyrk, the
 * block right of it by sgemm. */
static void
syrk_panel(size_t N, size_t K, float alpha, const float *A, size_t lda,
           float beta, float *C, size_t ldc, size_t i0, size_t i1)
{
    if (i1 == i0)
        return;
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)(i1 - i0),
                (int)K, alpha, A + i0 * lda, (int)lda, beta, C + i0 * ldc + i0,
                (int)ldc);
    if (i1 < N)
        sgemm1(0, 1, i1 - i0, N - i1, K, alpha, A + i0 * lda, lda,
               A + i1 * lda, lda, beta, C + i0 * ldc + i1, ldc);
}

/* On a team of nt, the rows are cut into 2 nt panels of equal height and
 * thread t takes panels t and 2 nt - 1 - t: panel i holds 1/2 + (2 nt - 1
 * - i) square blocks' worth of work, so every thread gets 2 nt. */
static void
ob_ssyrk(size_t N, size_t K, float alpha, const float *A, size_t lda,
         float beta, float *C, size_t ldc)
{
    size_t nt = team_enter(N * N * K / 2);
    if (nt < 2) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)N, (int)K,
                    alpha, A, (int)lda, beta, C, (int)ldc);
        return;
    }
    OMP(omp parallel num_threads(nt))
    {
        size_t t = muon_omp_thread(), np = 2 * nt, lo, hi;
        muon_omp_share(N, t, np, &lo, &hi);
        syrk_panel(N, K, alpha, A, lda, beta, C, ldc, lo, hi);
        muon_omp_share(N, np - 1 - t, np, &lo, &hi);
        syrk_panel(N, K, alpha, A, lda, beta, C, ldc, lo, hi);
    }
    muon_linalg_blas1_leave();
}

void
muon_cblas_dgemm(int ta, int tb, size_t M, size_t N, size_t K, double alpha,
         const double *A, size_t lda, const double *B, size_t ldb,
         double beta, double *C, size_t ldc)
{
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, alpha,
                A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
}

void
muon_cblas_dsyrk(size_t N, size_t K, double alpha, const double *A, size_t lda,
         double beta, double *C, size_t ldc)
{
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)N, (int)K,
                alpha, A, (int)lda, beta, C, (int)ldc);
}

const muon_linalg_backend muon_linalg_openblas = {
    .name = "openblas",
    .description = "CBLAS gemm/syrk on OpenBLAS (always built); large fp32 "
                   "products split over an OpenMP team",
    .sgemm = ob_sgemm,
    .dgemm = muon_cblas_dgemm,
    .ssyrk = ob_ssyrk,
    .dsyrk = muon_cblas_dsyrk,
};
