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
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque: a backend's product cache for one batch worker (local_new
 * below). */
typedef struct muon_linalg_local muon_linalg_local;

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
     * (row-major), A is N x K.  The strictly lower triangle is left
     * unspecified: a backend may write it (oneDNN computes small and
     * diagonal blocks whole), so callers read the upper triangle only.
     * With beta == 0, C is not read. */
    void (*ssyrk)(size_t N, size_t K, float alpha, const float *A, size_t lda,
                  float beta, float *C, size_t ldc);
    void (*dsyrk)(size_t N, size_t K, double alpha, const double *A,
                  size_t lda, double beta, double *C, size_t ldc);
    /* Optional (NULL when the backend has no native bf16 products).
     * A, B and C hold bfloat16 bit patterns (the high 16 bits of an IEEE
     * float): C = R(op(A) op(B)), every product of two bf16 values
     * accumulated in fp32 and the sum rounded once to the nearest bf16
     * (ties to even), as a framework's bf16 matmul stores it (alpha = 1,
     * beta = 0).  The first call for a shape (ta, tb, M, N, K, lda, ldb,
     * ldc) creates and caches the backend's primitive: call once at
     * workspace allocation so that later calls never allocate.  Returns
     * MUON_SUCCESS or a reported status (MUON_ENOMEM, MUON_EINTERNAL when
     * the library refuses the shape). */
    int (*sbgemm)(int ta, int tb, size_t M, size_t N, size_t K,
                  const uint16_t *A, size_t lda, const uint16_t *B,
                  size_t ldb, uint16_t *C, size_t ldc);
    /* Optional: C (bf16) = R(A A^T) on the UPPER triangle of the N x N C,
     * A is N x K bf16 (same rounding, caching rule and return value as
     * sbgemm).  The strictly lower triangle is left unspecified, as for
     * ssyrk. */
    int (*sbsyrk)(size_t N, size_t K, const uint16_t *A, size_t lda,
                  uint16_t *C, size_t ldc);
    /* 1 when the backend creates (allocates) a primitive on the first
     * product of each shape, fp32 included: callers that must not allocate
     * inside a step make each of their products once at set-up. */
    int caches_shapes;
    /* Optional (NULL when products keep no per-shape state): a private
     * product cache for one batch worker (muon_linalg_worker_init), used by
     * one thread at a time, so its products queue on no lock shared with
     * other threads.  local_new sets *out and returns MUON_SUCCESS, or
     * returns a reported MUON_ENOMEM or MUON_EINTERNAL; the caller owns
     * the cache and gives it back to local_free of the same backend (NULL
     * does nothing). */
    int (*local_new)(muon_linalg_local **out);
    void (*local_free)(muon_linalg_local *l);
    /* Optional: runs fn(arg, i) for i = 0..n-1 on the backend's own pool
     * of threads, up to n at once, the calling thread among them, and
     * returns when all are done (muon_linalg_run_threads). */
    void (*run_threads)(size_t n, void (*fn)(void *arg, size_t i),
                        void *arg);
} muon_linalg_backend;

/* The default backend: openblas, unless the environment variable
 * MUON_BACKEND names another compiled-in backend (so that the test and
 * verify programs can be rerun on every backend unchanged:
 * `MUON_BACKEND=onednn meson test ...`).  An unknown name there falls back
 * to openblas (a test of the fallback is in tests/test-bench.c). */
const muon_linalg_backend *muon_linalg_default(void);

/* NULL-terminated list of the compiled-in backends. */
const muon_linalg_backend *const *muon_linalg_backends(void);

/* Looks a backend up by name; NULL (reported as MUON_EUNKNOWN with the list
 * of valid names) if none. */
const muon_linalg_backend *muon_linalg_backend_by_name(const char *name);

/* The name of the kernel set OpenBLAS chose at load time
 * (openblas_get_corename(): e.g. "SkylakeX", "Haswell", "Prescott"), or
 * "unknown" when OpenBLAS gives none.  Recorded in every result's
 * provenance because it decides OpenBLAS's rates: Debian's OpenBLAS 0.3.21
 * takes some AVX-512 CPUs for a "Prescott" unless OPENBLAS_CORETYPE says
 * otherwise, and then runs at a fraction of the machine's rate. */
const char *muon_linalg_blas_core(void);

/* 1 when the OpenBLAS core name `core` is known to run AVX2 or AVX-512
 * kernels (Haswell, Zen, SkylakeX, Cooperlake, SapphireRapids; compared
 * without case, as static builds report their TARGET in capitals), 0
 * otherwise: the generic and pre-AVX2 cores (Prescott, Core2, Nehalem,
 * Sandybridge, ...), names not in that list, "" and NULL.  An unknown name
 * counts as generic so that a core this list has not met yet errs towards
 * a warning rather than towards silence. */
int muon_linalg_blas_core_is_avx2(const char *core);

/* Operand types of the rate probe. */
typedef enum {
    MUON_LINALG_F32 = 0, /* sgemm */
    MUON_LINALG_F64 = 1, /* dgemm */
    MUON_LINALG_BF16 = 2 /* sbgemm (bf16 operands, fp32 result) */
} muon_linalg_kind;

/* The backend's plain product rate in GFLOP/s (2 M N K flops per product):
 * C (M x N) = A (M x K) B (K x N), median of reps timed products after one
 * warm-up (reps is capped at 101).  NaN when a buffer cannot be allocated,
 * the sizes or reps are 0, or the backend lacks the kind (bf16). */
double muon_linalg_gemm_rate(const muon_linalg_backend *be,
                             muon_linalg_kind kind, size_t M, size_t N,
                             size_t K, size_t reps);

/* Memory bandwidth in GB/s: a STREAM-triad pass a = b + s c over three
 * float arrays of bytes / 3 together, median of reps passes after one
 * warm-up.  NaN when the arrays cannot be allocated. */
double muon_linalg_bandwidth(size_t bytes, size_t reps);

/* Thread control for batch parallelism (independent matrices on separate
 * threads, each with single-threaded products).  batch_begin holds
 * OpenBLAS's (process-wide) thread count at 1 and saves the calling
 * thread's OpenMP setting in *omp_saved; batch_end restores both
 * (OpenBLAS's count once no other thread holds it at 1).  worker_init,
 * called first in every worker thread, limits oneDNN's OpenMP team in
 * that thread to 1 and makes local (NULL for none; borrowed, not owned)
 * the cache of that thread's products until the thread ends or, in the
 * batch's calling thread, until batch_end.  A local cache's primitives
 * should be made for the one thread that runs them: warm a local cache
 * (make its shapes at set-up) between batch_begin/worker_init and
 * batch_end too. */
void muon_linalg_batch_begin(int *omp_saved);
void muon_linalg_batch_end(int omp_saved);
void muon_linalg_worker_init(muon_linalg_local *local);
/* Ends a worker's share in its thread (which a pool may reuse for other
 * work): that thread's products go back to the shared cache. */
void muon_linalg_worker_end(void);

/* Runs fn(arg, i) for i = 0..n-1, up to n at once, and returns when all
 * are done: on be's own threads when it has some (be->run_threads:
 * oneDNN's OpenMP team, already up and spinning after each product, whose
 * threads ours would otherwise compete with), else on threads started for
 * the call, i = 0 in the calling thread (an i whose thread cannot start
 * runs there too, after it).  Each i runs in one thread, from start to
 * end; fn calls worker_init and worker_end itself. */
void muon_linalg_run_threads(const muon_linalg_backend *be, size_t n,
                             void (*fn)(void *arg, size_t i), void *arg);

#ifdef __cplusplus
}
#endif

#endif /* MUON_LINALG_H */
