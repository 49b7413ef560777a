/* gram.c: Gram Newton-Schulz (Dao-AILab/gram-newton-schulz; REFERENCE.md
 * section 5): the polynomial iteration run on the small Gram matrix.
 *
 * For a wide X0 (r x c, r <= c) every iterate is X_t = Q_t X0 with Q_t an
 * r x r polynomial in R0 = X0 X0^T.  With R_t = X_t X_t^T and
 * Z_t = a I + b R_t + c R_t^2 one step is
 *     Q <- Z Q,   R <- Z R Z          (r x r products only)
 * and X_T = Q_T X0 costs one r x r x c product at the end.  Per quintic
 * step that is 8 r^3 nominal flops instead of 4 r^2 c + 2 r^3, so the
 * saving grows with the aspect ratio c / r (none for square matrices).
 * Round-off accumulates in Q and R, so every gram_restart steps the iterate
 * is formed explicitly (X <- Q X, R <- X X^T, Q <- I).
 *
 * In exact arithmetic the output equals the plain iteration's, so the same
 * scalar-map identity holds (verify-identity checks it in fp64).  Emulated
 * bf16/fp16 round every stored value after each operation.
 */
#include <stdlib.h>
#include <string.h>

#include "muon/status.h"
#include "orth_impl.h"

typedef struct {
    void *R, *R2, *Z, *Q, *T; /* rows x rows */
    void *Y;                  /* rows x cols */
} gram_state;

#define TEMPLATE_SOURCE "gram_source.c"
#include "instantiate.h"

static void
gram_free(muon_orth_workspace *w)
{
    gram_state *s = w->state;
    if (!s)
        return;
    free(s->R);
    free(s->R2);
    free(s->Z);
    free(s->Q);
    free(s->T);
    free(s->Y);
    free(s);
    w->state = NULL;
}

static int
gram_alloc(muon_orth_workspace *w)
{
    if (w->p.native)
        return MUON_ERROR(MUON_EINVAL, "%s: native bf16 products are not "
                          "implemented for this method (use the emulation)",
                          w->type->name);
    gram_state *s = calloc(1, sizeof *s);
    if (!s)
        return MUON_ERROR(MUON_ENOMEM, "%s: out of memory", w->type->name);
    w->state = s;
    size_t el = w->use_f64 ? sizeof(double) : sizeof(float);
    size_t rr = w->rows * w->rows, rc = w->rows * w->cols;
    s->R = malloc(rr * el);
    s->R2 = malloc(rr * el);
    s->Z = malloc(rr * el);
    s->Q = malloc(rr * el);
    s->T = malloc(rr * el);
    s->Y = calloc(rc, el); /* zeros for the warm-up */
    if (!s->R || !s->R2 || !s->Z || !s->Q || !s->T || !s->Y)
        return MUON_ERROR(MUON_ENOMEM, "%s: out of memory for %zu x %zu "
                          "workspace", w->type->name, w->rows, w->cols);
    return MUON_SUCCESS;
}

/* The symmetric products' shapes, made once (orth_impl.h), on Y's zeros or
 * an earlier apply's leftovers (defined either way). */
static int
gram_warm(muon_orth_workspace *w)
{
    gram_state *s = w->state;
    muon_orth_warm_symmetric(w, s->Y, s->R, s->R2);
    return MUON_SUCCESS;
}

static int
gram_apply(muon_orth_workspace *w, void **result)
{
    if (w->use_f64)
        *result = gram_run_f64(w, w->xd);
    else
        *result = gram_run_f32(w, w->xf);
    return MUON_SUCCESS;
}

/* Nominal flops as executed (symmetric products counted in full): R0 and
 * every restart's R 2 s^2 l, every restart's and the final Q X 2 s^2 l,
 * per step R^2 2 s^3 (quintic), Z Q 2 s^3 (not after a (re)start), Z R Z
 * 4 s^3 (not on the last step nor before a restart). */
static double
gram_flops(const muon_orth_params *p, size_t s, size_t l)
{
    double s2l = (double)s * s * l, s3 = (double)s * s * s;
    double f = 2.0 * s2l;
    int have_q = 0;
    for (size_t t = 0; t < p->steps; t++) {
        muon_coeff k = muon_orth_step_coeff(p, t);
        int last = t + 1 == p->steps;
        int restart = p->gram_restart && (t + 1) % p->gram_restart == 0 &&
                      !last;
        f += k.c != 0.0 ? 2.0 * s3 : 0.0;
        f += have_q ? 2.0 * s3 : 0.0;
        have_q = 1;
        if (last)
            break;
        if (restart) {
            f += 4.0 * s2l;
            have_q = 0;
        } else {
            f += 4.0 * s3;
        }
    }
    return f + (have_q ? 2.0 * s2l : 0.0);
}

const struct muon_orth_ops muon_orth_gram_ops = {
    .name = "gram",
    .fp64_only = 0,
    .alloc = gram_alloc,
    .warm = gram_warm,
    .free = gram_free,
    .apply = gram_apply,
    .flops = gram_flops,
};

/* Keller Jordan's quintic (as ns5) on the Gram matrix, restarting every 3
 * steps: one restart in 5 steps keeps fp32/bf16 round-off at the plain
 * iteration's level (docs/PERFLOG.md) while saving most of the r^2 c work
 * on wide matrices. */
static void
gram_defaults(muon_orth_params *p)
{
    muon_orth_base_defaults(p);
    p->ncoeffs = 1;
    p->coeffs[0] = (muon_coeff){3.4445, -4.7750, 2.0315};
    p->gram_restart = 3;
}

const muon_orth_type muon_orth_gram_type = {
    "gram-ns", "Gram Newton-Schulz: ns5 on X X^T with restarts",
    "Dao-AILab/gram-newton-schulz", 1, gram_defaults, &muon_orth_gram_ops};
