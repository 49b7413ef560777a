/* orth.h: interchangeable orthogonalizers G -> approx. polar factor U V^T.
 *
 * Model: GSL's multimin/multifit "type" vtables.  A muon_orth_type names one
 * method ("svd", "ns5", "polar-express", ...) and carries its published
 * default parameters; all Newton-Schulz-like methods share one polynomial
 * engine and differ only in their coefficient schedule.
 *
 * The front end (muon_orth_apply_*) does the shared work for every method:
 * shape check, non-finite check, zero matrix -> zeros, overflow-free
 * Frobenius normalisation X = G / (||G||_F * safety + eps), transposing tall
 * matrices so the Gram matrix X X^T is the small one, and conversion to the
 * working precision.  A type does only its algorithm on a wide (m <= n),
 * normalised matrix.
 *
 * Conventions: matrices are row-major, m rows (fan_out) x n columns (fan_in),
 * leading dimension n.  Step t (0-based) applies
 *     p_t(x) = a_t x + b_t x^3 + c_t x^5
 * to every singular value, computed as  A = X X^T;  B = b A + c A A;
 * X <- a X + B X.
 */
#ifndef MUON_ORTH_H
#define MUON_ORTH_H

#include <stddef.h>
#include <stdio.h>

#include "muon/precision.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One odd-polynomial step p(x) = a x + b x^3 + c x^5 (cubic: c = 0). */
typedef struct {
    double a, b, c;
} muon_coeff;

/* What happens when steps exceed the coefficient list. */
typedef enum {
    MUON_EXTEND_REPEAT_LAST = 0, /* keep applying the last triple */
    MUON_EXTEND_CYCLE = 1        /* start the list again from the top */
} muon_extend;

#define MUON_MAX_COEFFS 64 /* longest coefficient list a schedule may hold */

struct muon_linalg_backend; /* see muon/linalg.h */

/* All parameters of an orthogonalizer.  Plain data: copying the struct
 * copies everything (the coefficient list is stored inline).  Obtain the
 * published defaults with muon_orth_default_params(). */
typedef struct {
    size_t steps;             /* iterations (polynomial methods) */
    double eps;               /* additive guard in the normalisation */
    double safety;            /* multiplies ||G||_F in the normalisation */
    muon_precision precision; /* working precision */
    size_t ncoeffs;           /* length of coeffs[] (0 for svd) */
    muon_coeff coeffs[MUON_MAX_COEFFS];
    muon_extend extend;       /* policy when steps > ncoeffs */
    double svd_rcond;         /* svd: sigma_i <= rcond * sigma_1 maps to 0;
                                 < 0 means max(m,n) * DBL_EPSILON */
    size_t gram_restart;      /* gram-ns: restart period in steps (0: never) */
    const struct muon_linalg_backend *backend; /* NULL: the default */
    int native;               /* bf16 only: 1 = the matrix products run in
                                 native bf16 (bf16 operands, fp32
                                 accumulation) on a backend that has them
                                 (onednn); same rounding points as the
                                 emulation, so results agree with emulated
                                 bf16 within bf16 round-off, not bitwise.
                                 0 (default) = emulation on fp32 products. */
} muon_orth_params;

struct muon_orth_ops; /* private algorithm vtable (src/lib/orth/orth_impl.h) */

/* A registered method: a name, its published defaults and an algorithm. */
typedef struct muon_orth_type {
    const char *name;        /* command-line name, e.g. "ns5" */
    const char *description; /* one line */
    const char *source;      /* where the method/coefficients come from */
    int polynomial;          /* 1 if the output is a scalar map of sigma */
    void (*defaults)(muon_orth_params *p);
    const struct muon_orth_ops *ops;
} muon_orth_type;

/* Workspace for one (type, params, m, n): owns all scratch memory, so that
 * applying never allocates.  Opaque. */
typedef struct muon_orth_workspace muon_orth_workspace;

/* The registry: a NULL-terminated array of every method.  Static storage. */
const muon_orth_type *const *muon_orth_types(void);

/* Looks a method up by name.  On an unknown name returns NULL and reports
 * MUON_EUNKNOWN with the list of valid names.  Call once while parsing
 * arguments, never in a loop. */
const muon_orth_type *muon_orth_type_by_name(const char *name);

/* Fills p with T's published defaults. */
void muon_orth_default_params(const muon_orth_type *T, muon_orth_params *p);

/* Checks p for T: steps >= 1 (polynomial), 0 <= ncoeffs <= MUON_MAX_COEFFS
 * and >= 1 for polynomial methods, finite coefficients, eps >= 0 finite,
 * safety > 0 finite.  Returns MUON_EINVAL/MUON_ERANGE (reported, naming the
 * field and value) or MUON_SUCCESS. */
int muon_orth_params_validate(const muon_orth_type *T,
                              const muon_orth_params *p);

/* Allocates a workspace for m x n inputs (any aspect ratio; m or n may be
 * 0).  p is copied.  Returns NULL (reported) on invalid parameters,
 * dimensions beyond BLAS's int range, or allocation failure.  The caller
 * owns the result and frees it with muon_orth_free(). */
muon_orth_workspace *muon_orth_alloc(const muon_orth_type *T,
                                     const muon_orth_params *p, size_t m,
                                     size_t n);

/* Frees w; muon_orth_free(NULL) is a no-op. */
void muon_orth_free(muon_orth_workspace *w);

/* Orthogonalizes one m x n row-major matrix G into O (m x n, row-major).
 * O may alias G.  Returns MUON_ENONFINITE (reported with the count of
 * non-finite entries; O untouched) if G has NaN/Inf, MUON_ENOCONV if the
 * SVD fails to converge in both gesdd and gesvd, else MUON_SUCCESS.  A zero
 * G gives O = 0. */
int muon_orth_apply_f64(muon_orth_workspace *w, const double *G, double *O);
int muon_orth_apply_f32(muon_orth_workspace *w, const float *G, float *O);

/* The same for count contiguous m x n matrices (G[k*m*n ...]).  Stops at
 * the first failing matrix and returns its status. */
int muon_orth_apply_batch_f64(muon_orth_workspace *w, size_t count,
                              const double *G, double *O);
int muon_orth_apply_batch_f32(muon_orth_workspace *w, size_t count,
                              const float *G, float *O);

/* Lets the batch calls above run up to nthreads matrices at once, each on
 * its own scratch with single-threaded matrix products (OpenBLAS's thread
 * count is set to 1 for the duration of a batch call and restored after; it
 * is process-wide, so do not run other BLAS work concurrently).  Pays off
 * for many small matrices, whose products are too small to parallelise
 * inside.  Allocates nthreads - 1 sibling workspaces (call it outside hot
 * loops; nthreads = 1 frees them), and on a backend that caches a
 * primitive per product shape (linalg.h: local_new) one such cache per
 * thread, its shapes made here, so that batch calls allocate nothing and
 * their threads share no lock.  Single applies are unaffected.  Returns
 * MUON_EINVAL (nthreads 0 or > 256), MUON_ENOMEM, a backend's
 * MUON_EINTERNAL, or MUON_SUCCESS. */
int muon_orth_set_threads(muon_orth_workspace *w, size_t nthreads);

/* Accessors. */
const muon_orth_type *muon_orth_workspace_type(const muon_orth_workspace *w);
const muon_orth_params *muon_orth_workspace_params(const muon_orth_workspace *w);
/* Number of matrices orthogonalized so far (a guard against silently never
 * calling the orthogonalizer). */
unsigned long long muon_orth_calls(const muon_orth_workspace *w);

/* Nominal flop count of one application to an m x n matrix, counted on the
 * small side s = min(m,n), l = max(m,n): 4 s^2 l + 2 s^3 per quintic step,
 * 4 s^2 l per cubic step (c == 0), and for svd the LAPACK gesdd estimate
 * plus the U V^T product.  Symmetry savings are not subtracted. */
double muon_orth_flops(const muon_orth_type *T, const muon_orth_params *p,
                       size_t m, size_t n);

/* Coefficients used at step t (0-based) under p->extend. */
muon_coeff muon_orth_step_coeff(const muon_orth_params *p, size_t t);

/* The composed scalar map without normalisation: y -> p_T(...p_1(y)...),
 * evaluated in long double Horner form.  For y = sigma / (||G||_F *
 * safety + eps) it gives the singular value the matrix iteration produces in
 * exact arithmetic. */
double muon_orth_poly(const muon_orth_params *p, double y);

/* The map as a function of x = sigma / ||G||_F:  muon_orth_poly(p, x /
 * p->safety).  This is what `muonlab spectrum` draws. */
double muon_orth_map(const muon_orth_params *p, double x);

/* Reads a `custom` coefficient file: one "a b c" triple per line (c may be
 * omitted for cubic steps), '#' starts a comment, blank lines are ignored.
 * Sets p->coeffs, p->ncoeffs and, if p->steps is 0, p->steps = ncoeffs.
 * Errors name the file and line: MUON_EIO (cannot open/read), MUON_EFORMAT
 * (not three numbers, trailing garbage), MUON_ENONFINITE, MUON_ERANGE (more
 * than MUON_MAX_COEFFS lines or none at all). */
int muon_coeffs_read_file(const char *path, muon_orth_params *p);

/* Writes p's coefficient list in the same format (full double precision,
 * 17 significant digits), each line "a b c".  Returns MUON_EIO on a write
 * error. */
int muon_coeffs_write(FILE *f, const muon_orth_params *p);

#ifdef __cplusplus
}
#endif

#endif /* MUON_ORTH_H */
