/* vlinalg.h: small fp64 helpers for the verify programs, written
 * independently of the library's own metrics so that a verify program never
 * checks the library against itself. */
#ifndef MUON_VLINALG_H
#define MUON_VLINALG_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

/* Singular values of the m x n row-major A (descending), by LAPACK's
 * dgesdd without vectors on a copy.  Returns 0 on success. */
static inline int
v_singular_values(const double *A, size_t m, size_t n, double *s)
{
    double *a = malloc(m * n * sizeof *a);
    if (!a)
        return -1;
    memcpy(a, A, m * n * sizeof *a);
    /* Row-major m x n is column-major n x m (same singular values); the
     * column-major call needs no leading dimensions for absent vectors. */
    lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', (lapack_int)n,
                                     (lapack_int)m, a, (lapack_int)n, s, NULL,
                                     1, NULL, 1);
    free(a);
    return (int)info;
}

/* ||A - B||_F for count entries. */
static inline double
v_diff_norm(const double *A, const double *B, size_t count)
{
    double s = 0;
    for (size_t i = 0; i < count; i++)
        s += (A[i] - B[i]) * (A[i] - B[i]);
    return sqrt(s);
}

static inline double
v_norm(const double *A, size_t count)
{
    double s = 0;
    for (size_t i = 0; i < count; i++)
        s += A[i] * A[i];
    return sqrt(s);
}

/* Frobenius distance of the k x k matrix M from the identity. */
static inline double
v_dist_identity(const double *M, size_t k)
{
    double s = 0;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
            double d = M[i * k + j] - (i == j);
            s += d * d;
        }
    return sqrt(s);
}

/* C (m x m) = A A^T for row-major A (m x n), full matrix. */
static inline void
v_gram(const double *A, size_t m, size_t n, double *C)
{
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)m,
                (int)n, 1.0, A, (int)n, A, (int)n, 0.0, C, (int)m);
}

static inline int
v_cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

#endif /* MUON_VLINALG_H */
