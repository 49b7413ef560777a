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
 * (products accumulate in fp32 and round once).  Native bf16 (params.native)
 * rounds at the same points but keeps every operand in bf16 storage and
 * runs the products through the backend's sbgemm/sbsyrk, which round their
 * fp32 accumulations once, as the emulation does.
 */
#include <stdlib.h>
#include <string.h>

#include "muon/status.h"
#include "orth_impl.h"

/* Private state: one instance per workspace. */
typedef struct {
    void *A;      /* rows x rows */
    void *B;      /* rows x rows */
    void *Y;      /* rows x cols, ping-pong partner of the working buffer */
    /* Native bf16 instead (A, B, Y unused): the same roles in bf16. */
    uint16_t *Xh, *Yh; /* rows x cols */
    uint16_t *Ah, *Bh; /* rows x rows */
} poly_state;

#define TEMPLATE_SOURCE "poly_source.c"
#include "instantiate.h"

/* Native bf16: the emulated bf16 recipe on bf16 storage.  X (float, bf16
 * values) is the working buffer; the iteration runs on its bf16 copy Xh
 * and writes the result back at the end.  Per step:
 *   Ah = R(X X^T);  when c != 0, Ah mirrored and Bh = R(Ah Ah);
 *   Bh = R(R(b Ah) + R(c Bh)) (or R(b Ah)), mirrored;  Yh = R(Bh Xh);
 *   Xh = R(R(a Xh) + Yh). */
static int
poly_run_bf16(muon_orth_workspace *w, float *X)
{
    poly_state *s = w->state;
    const muon_linalg_backend *be = w->be;
    const size_t r = w->rows, c = w->cols, rc = r * c;
    uint16_t *Xh = s->Xh, *Yh = s->Yh, *Ah = s->Ah, *Bh = s->Bh;
    int rc_;
    muon_bf16_store(Xh, X, rc);
    for (size_t t = 0; t < w->p.steps; t++) {
        const muon_coeff k = muon_orth_step_coeff(&w->p, t);
        const float a = (float)k.a, b = (float)k.b, cc = (float)k.c;
        if ((rc_ = be->sbsyrk(r, c, Xh, c, Ah, r)))
            return rc_;
        if (cc != 0) {
            muon_mirror_u16(Ah, r);
            if ((rc_ = be->sbsyrk(r, r, Ah, r, Bh, r)))
                return rc_;
        }
        muon_bf16_comb_sym(Bh, Ah, r, b, cc);
        if ((rc_ = be->sbgemm(0, 0, r, c, r, Bh, r, Xh, c, Yh, c)))
            return rc_;
        muon_bf16_axpy(a, Xh, Yh, rc);
    }
    muon_bf16_load(X, Xh, rc);
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
    free(s->Xh);
    free(s->Yh);
    free(s->Ah);
    free(s->Bh);
    free(s);
    w->state = NULL;
}

static int
poly_alloc(muon_orth_workspace *w)
{
    int native = w->p.native && !w->use_f64;
    if (native && (w->p.precision != MUON_BF16 || !w->be->sbgemm ||
                   !w->be->sbsyrk))
        return MUON_ERROR(MUON_EINVAL, "%s: native products need precision "
                          "bf16 (got %s) and a backend with bf16 products "
                          "(backend '%s' has %s)", w->type->name,
                          muon_precision_name(w->p.precision), w->be->name,
                          w->be->sbgemm ? "them" : "none");
    poly_state *s = calloc(1, sizeof *s);
    if (!s)
        return MUON_ERROR(MUON_ENOMEM, "%s: out of memory", w->type->name);
    w->state = s;
    size_t r = w->rows, c = w->cols, rr = r * r, rc = r * c;
    if (native) {
        s->Xh = calloc(rc, sizeof *s->Xh);
        s->Yh = calloc(rc, sizeof *s->Yh);
        s->Ah = calloc(rr, sizeof *s->Ah);
        s->Bh = calloc(rr, sizeof *s->Bh);
        if (!s->Xh || !s->Yh || !s->Ah || !s->Bh)
            return MUON_ERROR(MUON_ENOMEM, "%s: out of memory for %zu x %zu "
                              "bf16 workspace", w->type->name, r, c);
        return MUON_SUCCESS;
    }
    size_t el = w->use_f64 ? sizeof(double) : sizeof(float);
    /* calloc: poly_warm multiplies defined zeros. */
    s->A = calloc(rr, el);
    s->B = calloc(rr, el);
    s->Y = calloc(rc, el);
    if (!s->A || !s->B || !s->Y)
        return MUON_ERROR(MUON_ENOMEM, "%s: out of memory for %zu x %zu "
                          "workspace", w->type->name, r, c);
    return MUON_SUCCESS;
}

/* Creates and caches the backend's primitives for every shape apply uses,
 * so that apply never allocates (linalg.h).  The operands are defined:
 * alloc's zeros, or what an earlier apply left in its scratch. */
static int
poly_warm(muon_orth_workspace *w)
{
    poly_state *s = w->state;
    size_t r = w->rows, c = w->cols;
    if (!s->Xh) {
        muon_orth_warm_symmetric(w, s->Y, s->A, s->B);
        return MUON_SUCCESS;
    }
    int rc_ = w->be->sbsyrk(r, c, s->Xh, c, s->Ah, r);
    if (!rc_)
        rc_ = w->be->sbsyrk(r, r, s->Ah, r, s->Bh, r);
    if (!rc_)
        rc_ = w->be->sbgemm(0, 0, r, c, r, s->Bh, r, s->Xh, c, s->Yh, c);
    return rc_;
}

static int
poly_apply(muon_orth_workspace *w, void **result)
{
    poly_state *s = w->state;
    if (w->use_f64) {
        *result = poly_run_f64(w, w->xd, w->xd, 1.0, NULL);
    } else if (s->Xh) {
        *result = w->xf;
        return poly_run_bf16(w, w->xf);
    } else {
        *result = poly_run_f32(w, w->xf, w->xf, 1.0, NULL);
    }
    return MUON_SUCCESS;
}

static int
poly_apply_scaled(muon_orth_workspace *w, const float *G, double scale,
                  float *O, void **result)
{
    *result = poly_run_f32(w, w->xf, G, scale, O);
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
    .warm = poly_warm,
    .free = poly_free,
    .apply = poly_apply,
    .apply_scaled = poly_apply_scaled,
    .flops = poly_flops,
};
