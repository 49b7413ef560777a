/* linalg_impl.h: pieces shared by the backends: the CBLAS fp64 products
 * (openblas.c), which backends without fp64 kernels (onednn.c) reuse, and
 * the batch-worker flag (registry.c). */
#ifndef MUON_LINALG_IMPL_H
#define MUON_LINALG_IMPL_H

#include <stddef.h>

#include "muon/linalg.h"

void muon_cblas_dgemm(int ta, int tb, size_t M, size_t N, size_t K,
                      double alpha, const double *A, size_t lda,
                      const double *B, size_t ldb, double beta, double *C,
                      size_t ldc);
void muon_cblas_dsyrk(size_t N, size_t K, double alpha, const double *A,
                      size_t lda, double beta, double *C, size_t ldc);

/* Holds OpenBLAS at one thread until the matching leave (entries nest and
 * may overlap across threads; the last leave restores the count).  Returns
 * the count OpenBLAS had before the first entry. */
int muon_linalg_blas1_enter(void);
void muon_linalg_blas1_leave(void);

/* 1 in a thread running muon_linalg_worker_init's share of a batch (until
 * muon_linalg_batch_end in the batch's calling thread): products there run
 * single-threaded and must not queue on a shared primitive cache. */
int muon_linalg_in_worker(void);
/* The product cache muon_linalg_worker_init gave this thread (NULL for
 * none, and outside batches). */
muon_linalg_local *muon_linalg_worker_local(void);

#endif /* MUON_LINALG_IMPL_H */
