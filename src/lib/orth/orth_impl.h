/* orth_impl.h: private parts of the orthogonalizer framework shared by the
 * front end (front.c) and the algorithms (poly.c, svd.c). */
#ifndef MUON_ORTH_IMPL_H
#define MUON_ORTH_IMPL_H

#include "muon/linalg.h"
#include "muon/orth.h"

/* The algorithm vtable.  The front end hands the algorithm a normalised,
 * wide (rows <= cols) matrix in w->xd (fp64 working precision, or
 * fp64_only algorithms) or w->xf (fp32 and emulated bf16/fp16), already
 * rounded to the working precision.  apply leaves a pointer to the result
 * (rows x cols, same type as the input buffer) in *result; it may be the
 * input buffer or one of the algorithm's own. */
struct muon_orth_ops {
    const char *name;
    int fp64_only; /* computes in fp64 whatever the precision */
    int (*alloc)(muon_orth_workspace *w);
    /* Optional: makes each of the backend's products once (on defined
     * data, results unused) so that a backend that caches shapes
     * (linalg.h) has them before apply.  Called by the front end after
     * alloc, and again when batch threads give the workspace a product
     * cache of its own. */
    int (*warm)(muon_orth_workspace *w);
    void (*free)(muon_orth_workspace *w);
    int (*apply)(muon_orth_workspace *w, void **result);
    /* Optional, fp32 working precision (no emulated rounding) only: apply
     * to scale G (rows x cols, the caller's untransposed input) without
     * the front end's pass that writes it into w->xf, the algorithm
     * folding scale into its first products.  O (rows x cols, not
     * overlapping G) or NULL: where the result may go directly.  *result
     * as for apply (O when the result went there). */
    int (*apply_scaled)(muon_orth_workspace *w, const float *G, double scale,
                        float *O, void **result);
    double (*flops)(const muon_orth_params *p, size_t s, size_t l);
};

struct muon_orth_workspace {
    const muon_orth_type *type;
    muon_orth_params p;
    const muon_linalg_backend *be;
    size_t m, n;       /* caller's shape */
    size_t rows, cols; /* working shape: rows = min(m,n), cols = max(m,n) */
    int transposed;    /* m > n: the algorithm sees G^T */
    int use_f64;       /* working buffer is xd (else xf) */
    double *xd;        /* rows x cols */
    float *xf;         /* rows x cols */
    void *state;       /* algorithm-private */
    unsigned long long calls;
    /* Batch parallelism (muon_orth_set_threads): nthreads - 1 sibling
     * workspaces with the same type, params and shape. */
    size_t nthreads;
    struct muon_orth_workspace **sib;
    /* The products' cache in batch threads (be->local_new; NULL when the
     * backend has none or the workspace is not in a batch of 2 or more
     * threads), owned by this workspace. */
    muon_linalg_local *local;
};

/* A backend that creates a primitive per product shape (linalg.h,
 * caches_shapes) gets the two symmetric products of an fp32 iteration made
 * once at allocation, so that no step allocates: A = Z Z^T, B = A A^T with
 * Z a rows x cols buffer of zeros and A, B rows x rows. */
static inline void
muon_orth_warm_symmetric(const muon_orth_workspace *w, const float *Z,
                         float *A, float *B)
{
    if (w->use_f64 || !w->be->caches_shapes)
        return;
    w->be->ssyrk(w->rows, w->cols, 1, Z, w->cols, 0, A, w->rows);
    w->be->ssyrk(w->rows, w->rows, 1, A, w->rows, 0, B, w->rows);
}

/* The defaults every method starts from (5 steps, eps 1e-7, safety 1,
 * fp32, repeat the last triple, default SVD cutoff, no coefficients). */
void muon_orth_base_defaults(muon_orth_params *p);

extern const struct muon_orth_ops muon_orth_poly_ops;
extern const struct muon_orth_ops muon_orth_svd_ops;
extern const struct muon_orth_ops muon_orth_gram_ops;
extern const muon_orth_type muon_orth_gram_type; /* gram.c */

/* Elementwise passes (lowp.c), vectorised, bit-identical to
 * muon_round_float.  R = rounding to p.
 * muon_lowp_set_isa: for tests, the instruction set the passes use from now
 * on (MUON_ISA_*, capped at what the CPU has; < 0: the best it has);
 * returns the previous one.  Not thread-safe: call before any pass runs. */
enum { MUON_ISA_SCALAR = 0, MUON_ISA_AVX2 = 1, MUON_ISA_BF16HW = 2 };
int muon_lowp_set_isa(int level);
void muon_lowp_round(muon_precision p, float *x, size_t n);
/* x = R(R(a x) + R(y)) */
void muon_lowp_axpy(muon_precision p, float a, float *x, const float *y,
                    size_t n);
/* B = R(R(b A) + R(c R(B))), or B = R(b A) when c == 0 */
void muon_lowp_comb(muon_precision p, float b, float c, const float *A,
                    float *B, size_t n);
/* Native bf16 (poly.c): arrays of bf16 bit patterns.  store: h = the high
 * halves of x (x holds bf16 values); load: x = the floats of h.  axpy:
 * x = R(R(a x) + y).  comb_sym: B = R(R(b A) + R(c B)), or R(b A) when
 * c == 0, on the upper triangles of the n x n A and B, mirrored into B's
 * lower triangle.  Same rounding points as muon_lowp_axpy/comb, whose R(y)
 * and R(B) the rounded products (linalg.h: sbgemm) already are. */
void muon_bf16_store(uint16_t *h, const float *x, size_t n);
void muon_bf16_load(float *x, const uint16_t *h, size_t n);
void muon_bf16_axpy(float a, uint16_t *x, const uint16_t *y, size_t n);
void muon_bf16_comb_sym(uint16_t *B, const uint16_t *A, size_t n, float b,
                        float c);
/* Front-end passes over fp32 input (the vectorised forms of front.c's
 * scalar loops): muon_scan_f32 returns the number of Inf/NaN entries, sets
 * *maxabs to the largest magnitude and *sumsq to sum x_i^2 in fp64 (a
 * float's square neither overflows nor underflows there, so no scaling is
 * needed; meaningless when entries are not finite); muon_scale_f32 sets
 * y_i = R((float)(x_i k)), the product taken in fp64 and R the rounding to
 * p (none for fp32): the emulation's first rounding, fused. */
size_t muon_scan_f32(const float *x, size_t n, float *maxabs, double *sumsq);
void muon_scale_f32(muon_precision p, const float *x, size_t n, double k,
                    float *y);
/* B = a I + b A + c B on the upper triangles of the n x n A and B (B = a I +
 * b A when c == 0), mirrored into B's lower triangle: the combination step
 * of the fp32/fp64 polynomial iteration, one pass instead of two. */
void muon_comb_sym_f32(float *B, const float *A, size_t n, float a, float b,
                       float c);
void muon_comb_sym_f64(double *B, const double *A, size_t n, double a,
                       double b, double c);
/* Copies the upper triangle of the n x n row-major S into the lower one. */
void muon_mirror_f32(float *S, size_t n);
void muon_mirror_f64(double *S, size_t n);
void muon_mirror_u16(uint16_t *S, size_t n);

#endif /* MUON_ORTH_IMPL_H */
