/* linalg.h: matrix-product backends behind one small interface.
 *
 * The orthogonalizers call every matrix product through a backend: a
 * general product (gemm) and a symmetric rank-k product (syrk) in fp32 and
 * fp64, all row-major.  `openblas` (CBLAS) is always built and is the
 * default; other backends (e.g. `onednn`) register here when compiled in.
 * Backends are static constant objects: nobody frees them.
 */
#ifndef MUON_LINALG_H
#define MUON_LINALG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct muon_linalg_backend {
    const char *name;
    const char *description;
    /* C = alpha op(A) op(B) + beta C; row-major; ta/tb: 0 = no transpose,
     * 1 = transpose.  M x N result, inner dimension K. */
    void (*sgemm)(int ta, int tb, size_t M, size_t N, size_t K, float alpha,
                  const float *A, size_t lda, const float *B, size_t ldb,
                  float beta, float *C, size_t ldc);
    void (*dgemm)(int ta, int tb, size_t M, size_t N, size_t K, double alpha,
                  const double *A, size_t lda, const double *B, size_t ldb,
                  double beta, double *C, size_t ldc);
    /* C = alpha A A^T + beta C on the UPPER triangle of the N x N matrix C
     * (row-major), A is N x K.  The strictly lower triangle is not
     * referenced or written. */
    void (*ssyrk)(size_t N, size_t K, float alpha, const float *A, size_t lda,
                  float beta, float *C, size_t ldc);
    void (*dsyrk)(size_t N, size_t K, double alpha, const double *A,
                  size_t lda, double beta, double *C, size_t ldc);
} muon_linalg_backend;

/* The default backend (openblas). */
const muon_linalg_backend *muon_linalg_default(void);

/* NULL-terminated list of the compiled-in backends. */
const muon_linalg_backend *const *muon_linalg_backends(void);

/* Looks a backend up by name; NULL (reported as MUON_EUNKNOWN with the list
 * of valid names) if none. */
const muon_linalg_backend *muon_linalg_backend_by_name(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* MUON_LINALG_H */
