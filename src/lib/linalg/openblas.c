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

static void
ob_ssyrk(size_t N, size_t K, float alpha, const float *A, size_t lda,
         float beta, float *C, size_t ldc)
{
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)N, (int)K,
                alpha, A, (int)lda, beta, C, (int)ldc);
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
