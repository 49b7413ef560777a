/* poly.c: the one polynomial engine behind every Newton-Schulz-like method
 * (ns3, ns5, you5, you6, cans, polar-express, custom).  Step t applies
 * p_t(x) = a x + b x^3 + c x^5 to every singular value of the wide matrix X:
 *
 *     A = X X^T            (symmetric: syrk, upper triangle only)
 *     B = b A + c A A      (A A = A A^T: syrk again; skipped when c == 0)
 *     X <- a X + B X       (gemm)
 *
 * In fp32/fp64, a is folded into B's diagonal so each step is one gemm.  In
 * emulated bf16/fp16 every stored intermediate is rounded after each
 * operation exactly as a framework evaluating `a*X + B@X` op by op would
 * (products accumulate in fp32 and round once).
 */
#include <stdlib.h>
#include <string.h>

#include "muon/status.h"
#include "orth_impl.h"

/* Private state: one instance per workspace. */
typedef struct {
    void *A;  /* rows x rows */
    void *B;  /* rows x rows */
    void *Y;  /* rows x cols, ping-pong partner of the working buffer */
} poly_state;

/* Copies the upper triangle of the n x n row-major S into its lower one. */
#define POLY_SYMMETRIZE(T, S, n)                                               \
    do {                                                                       \
        for (size_t i_ = 1; i_ < (n); i_++)                                    \
            for (size_t j_ = 0; j_ < i_; j_++)                                 \
                (S)[i_ * (n) + j_] = (S)[j_ * (n) + i_];                       \
    } while (0)

#define BASE double
#define SFX f64
#define GEMM dgemm
#define SYRK dsyrk
#define EMULATED(w) 0
#include "poly_source.c"
#undef BASE
#undef SFX
#undef GEMM
#undef SYRK
#undef EMULATED

#define BASE float
#define SFX f32
#define GEMM sgemm
#define SYRK ssyrk
#define EMULATED(w) ((w)->p.precision == MUON_BF16 || (w)->p.precision == MUON_FP16)
#include "poly_source.c"
#undef BASE
#undef SFX
#undef GEMM
#undef SYRK
#undef EMULATED

static int
poly_alloc(muon_orth_workspace *w)
{
    poly_state *s = calloc(1, sizeof *s);
    if (!s)
        return MUON_ERROR(MUON_ENOMEM, "%s: out of memory", w->type->name);
    w->state = s;
    size_t el = w->use_f64 ? sizeof(double) : sizeof(float);
    size_t rr = w->rows * w->rows, rc = w->rows * w->cols;
    s->A = malloc(rr * el);
    s->B = malloc(rr * el);
    s->Y = malloc(rc * el);
    if (!s->A || !s->B || !s->Y)
        return MUON_ERROR(MUON_ENOMEM, "%s: out of memory for %zu x %zu "
                          "workspace", w->type->name, w->rows, w->cols);
    return MUON_SUCCESS;
}

static void
poly_free(muon_orth_workspace *w)
{
    poly_state *s = w->state;
    if (!s)
        return;
    free(s->A);
    free(s->B);
    free(s->Y);
    free(s);
    w->state = NULL;
}

static int
poly_apply(muon_orth_workspace *w, void **result)
{
    if (w->use_f64)
        *result = poly_run_f64(w, w->xd);
    else
        *result = poly_run_f32(w, w->xf);
    return MUON_SUCCESS;
}

static double
poly_flops(const muon_orth_params *p, size_t s, size_t l)
{
    double f = 0.0, s2l = (double)s * s * l, s3 = (double)s * s * s;
    for (size_t t = 0; t < p->steps; t++) {
        muon_coeff k = muon_orth_step_coeff(p, t);
        f += 4.0 * s2l + (k.c != 0.0 ? 2.0 * s3 : 0.0);
    }
    return f;
}

const struct muon_orth_ops muon_orth_poly_ops = {
    .name = "polynomial",
    .fp64_only = 0,
    .alloc = poly_alloc,
    .free = poly_free,
    .apply = poly_apply,
    .flops = poly_flops,
};
