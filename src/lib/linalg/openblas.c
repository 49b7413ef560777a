/* openblas.c: the default matrix-product backend, CBLAS on OpenBLAS. */
#include <cblas.h>

#include "linalg_impl.h"
#include "muon/linalg.h"

static void
ob_sgemm(int ta, int tb, size_t M, size_t N, size_t K, float alpha,
         const float *A, size_t lda, const float *B, size_t ldb, float beta,
         float *C, size_t ldc)
{
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, alpha,
                A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
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

/* OpenBLAS's ssyrk runs well below its sgemm on this machine (~180 vs ~230
 * GFLOP/s, REFERENCE.md section 8), so large symmetric products are split
 * into blocks: the two diagonal blocks recursively, the off-diagonal block
 * as one sgemm.  Only the upper triangle is written, as before. */
#define OB_SYRK_LEAF 256

static void
ob_ssyrk(size_t N, size_t K, float alpha, const float *A, size_t lda,
         float beta, float *C, size_t ldc)
{
    if (N <= OB_SYRK_LEAF) {
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)N, (int)K,
                    alpha, A, (int)lda, beta, C, (int)ldc);
        return;
    }
    size_t h = (N / 2 + 15) & ~(size_t)15; /* aligned panels */
    ob_ssyrk(h, K, alpha, A, lda, beta, C, ldc);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)h, (int)(N - h),
                (int)K, alpha, A, (int)lda, A + h * lda, (int)lda, beta,
                C + h, (int)ldc);
    ob_ssyrk(N - h, K, alpha, A + h * lda, lda, beta, C + h * ldc + h, ldc);
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
    .description = "CBLAS gemm/syrk on OpenBLAS (always built)",
    .sgemm = ob_sgemm,
    .dgemm = muon_cblas_dgemm,
    .ssyrk = ob_ssyrk,
    .dsyrk = muon_cblas_dsyrk,
};
