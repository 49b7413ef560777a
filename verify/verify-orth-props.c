/* verify-orth-props.c: properties every orthogonalizer must have, on every
 * registered method:
 *  - transposition: O(G^T) = O(G)^T (the front end transposes tall inputs);
 *  - zero in, zero out, in every precision (no 0/0, no NaN);
 *  - scale invariance with eps = 0: O(c G) = O(G) for c = 1e-300 .. 1e300,
 *    subnormal entries included (overflow-free normalisation);
 *  - non-finite input is refused with MUON_ENONFINITE and O is untouched;
 *  - fp32 / bf16 / fp16 results stay within the stated distance of fp64;
 *  - zero singular values stay (near) zero: rank is preserved;
 *  - a 1 x n input gives the normalised vector (svd). */
#include <gsl/gsl_errno.h>

#include "muon/orth.h"
#include "muon/status.h"
#include "muon/synth.h"
#include "tol.h"
#include "vcheck.h"
#include "vlinalg.h"

static const muon_orth_type *const *types;

static void
params_for(const muon_orth_type *T, muon_orth_params *p)
{
    muon_orth_default_params(T, p);
    if (T->polynomial && p->ncoeffs == 0) { /* custom: any list will do */
        muon_coeff c = {3.4445, -4.7750, 2.0315};
        p->coeffs[0] = c;
        p->ncoeffs = 1;
        p->steps = 5;
    }
}

static double *
synth(size_t m, size_t n, muon_spectrum sp, size_t rank, unsigned long seed)
{
    muon_synth_spec s;
    muon_synth_default_spec(&s);
    s.m = m;
    s.n = n;
    s.spectrum = sp;
    s.cond = 1e3;
    s.rank = rank;
    s.seed = seed;
    double *G = malloc(m * n * sizeof *G);
    if (G && muon_synth_generate(&s, G, NULL)) {
        free(G);
        return NULL;
    }
    return G;
}

/* Runs T with p on G (fp64 interface), returns a malloc'ed O or NULL. */
static double *
run(const muon_orth_type *T, const muon_orth_params *p, const double *G,
    size_t m, size_t n, int *status)
{
    double *O = malloc(m * n * sizeof *O);
    muon_orth_workspace *w = muon_orth_alloc(T, p, m, n);
    int rc = (!O || !w) ? MUON_ENOMEM : muon_orth_apply_f64(w, G, O);
    muon_orth_free(w);
    if (status)
        *status = rc;
    if (rc) {
        free(O);
        return NULL;
    }
    return O;
}

static void
transposition(const muon_orth_type *T)
{
    size_t m = 24, n = 56;
    muon_orth_params p;
    params_for(T, &p);
    p.precision = MUON_FP64;
    double *G = synth(m, n, MUON_SPECTRUM_GAUSSIAN, 0, 3);
    double *Gt = malloc(m * n * sizeof *Gt);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++)
            Gt[j * m + i] = G[i * n + j];
    double *O = run(T, &p, G, m, n, NULL), *Ot = run(T, &p, Gt, n, m, NULL);
    double d = INFINITY;
    if (O && Ot) {
        d = 0;
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                d = fmax(d, fabs(Ot[j * m + i] - O[i * n + j]));
    }
    /* Same working matrix either way; only the summation order of ||G||_F
     * differs, so the difference is a few ulps. */
    vcheck_le(d, 1e-13, "%s: max |O(G^T) - O(G)^T|, 24x56 fp64", T->name);
    free(G);
    free(Gt);
    free(O);
    free(Ot);
}

static void
zero_matrix(const muon_orth_type *T)
{
    size_t m = 8, n = 12;
    for (int pr = 0; pr < MUON_NPRECISIONS; pr++) {
        muon_orth_params p;
        params_for(T, &p);
        p.precision = (muon_precision)pr;
        float Gf[96] = {0}, Of[96];
        for (int i = 0; i < 96; i++)
            Of[i] = NAN; /* poison: every element must be written */
        muon_orth_workspace *w = muon_orth_alloc(T, &p, m, n);
        int rc = w ? muon_orth_apply_f32(w, Gf, Of) : -1;
        muon_orth_free(w);
        int ok = rc == 0;
        for (int i = 0; i < 96 && ok; i++)
            ok = Of[i] == 0.0f;
        vcheck_true(ok, "%s %s: zero matrix gives exactly zero", T->name,
                    muon_precision_name(p.precision));
    }
}

static void
scale_invariance(const muon_orth_type *T)
{
    size_t m = 16, n = 24;
    muon_orth_params p;
    params_for(T, &p);
    p.precision = MUON_FP64;
    p.eps = 0.0;
    double *G = synth(m, n, MUON_SPECTRUM_GEOMETRIC, 0, 5);
    double *O1 = run(T, &p, G, m, n, NULL);
    static const double cs[] = {1e-300, 1e-200, 1e-30, 1e30, 1e200, 1e300};
    double worst = 0;
    double *cG = malloc(m * n * sizeof *cG);
    for (size_t k = 0; k < sizeof cs / sizeof cs[0] && O1; k++) {
        for (size_t i = 0; i < m * n; i++)
            cG[i] = G[i] * cs[k];
        double *Oc = run(T, &p, cG, m, n, NULL);
        double d = Oc ? v_diff_norm(Oc, O1, m * n) / sqrt(16.0) : INFINITY;
        worst = fmax(worst, d);
        free(Oc);
    }
    /* Subnormal entries: scale so the largest entry is ~1e-310. */
    double mx = 0;
    for (size_t i = 0; i < m * n; i++)
        mx = fmax(mx, fabs(G[i]));
    for (size_t i = 0; i < m * n; i++)
        cG[i] = G[i] / mx * 1e-310;
    double *Os = run(T, &p, cG, m, n, NULL);
    /* Subnormals carry fewer significant bits (1e-310 has ~44 bits), so
     * this case gets a looser bound. */
    double ds = Os && O1 ? v_diff_norm(Os, O1, m * n) / 4.0 : INFINITY;
    vcheck_le(worst, 1e-12, "%s eps=0: max_c ||O(cG) - O(G)|| / sqrt(r), "
              "c = 1e-300..1e300", T->name);
    vcheck_le(ds, 1e-9, "%s eps=0: subnormal input (max entry 1e-310)",
              T->name);
    free(G);
    free(cG);
    free(O1);
    free(Os);
}

static void
nonfinite(const muon_orth_type *T)
{
    static const double bad[] = {NAN, INFINITY, -INFINITY};
    static const char *const names[] = {"NaN", "+Inf", "-Inf"};
    for (int b = 0; b < 3; b++) {
        muon_orth_params p;
        params_for(T, &p);
        double G[6] = {1, 2, 3, 4, 5, 6}, O[6] = {7, 7, 7, 7, 7, 7};
        G[4] = bad[b];
        muon_orth_workspace *w = muon_orth_alloc(T, &p, 2, 3);
        int rc = w ? muon_orth_apply_f64(w, G, O) : -1;
        muon_orth_free(w);
        int untouched = 1;
        for (int i = 0; i < 6; i++)
            untouched &= O[i] == 7.0;
        vcheck_true(rc == MUON_ENONFINITE && untouched,
                    "%s: %s input refused with MUON_ENONFINITE, output "
                    "untouched (rc %d)", T->name, names[b], rc);
    }
}

static void
precisions(const muon_orth_type *T)
{
    size_t m = 48, n = 96;
    muon_orth_params p;
    params_for(T, &p);
    double *G = synth(m, n, MUON_SPECTRUM_GEOMETRIC, 0, 9);
    p.precision = MUON_FP64;
    double *O64 = run(T, &p, G, m, n, NULL);
    static const muon_precision lows[] = {MUON_FP32, MUON_BF16, MUON_FP16};
    static const double tol[] = {TOL_F32_VS_F64, TOL_BF16_VS_F64,
                                 TOL_FP16_VS_F64};
    for (int k = 0; k < 3; k++) {
        p.precision = lows[k];
        double *O = run(T, &p, G, m, n, NULL);
        double d = O && O64 ? v_diff_norm(O, O64, m * n) / sqrt((double)m)
                            : INFINITY;
        vcheck_le(d, tol[k], "%s %s vs fp64: ||O_p - O_64||_F / sqrt(min(m,n))"
                  ", 48x96 cond 1e3", T->name, muon_precision_name(lows[k]));
        free(O);
    }
    free(G);
    free(O64);
}

static void
rank_kept(const muon_orth_type *T)
{
    size_t m = 30, n = 50, rank = 6;
    muon_orth_params p;
    params_for(T, &p);
    p.precision = MUON_FP64;
    double *G = synth(m, n, MUON_SPECTRUM_LOWRANK, rank, 13);
    double *O = run(T, &p, G, m, n, NULL);
    double s[30];
    double tail = INFINITY;
    if (O && !v_singular_values(O, m, n, s))
        tail = s[rank];
    /* Exact zeros map to exact zeros; round-off leaves ~1e-15, amplified by
     * at most the map's slope at 0 (~1e3 for the steepest lists). */
    vcheck_le(tail, 1e-10, "%s: rank-%zu input keeps sigma_%zu(O) ~ 0",
              T->name, rank, rank + 1);
    free(G);
    free(O);
}

int
main(void)
{
    gsl_set_error_handler_off();
    types = muon_orth_types();
    for (size_t i = 0; types[i]; i++) {
        transposition(types[i]);
        zero_matrix(types[i]);
        scale_invariance(types[i]);
        nonfinite(types[i]);
        rank_kept(types[i]);
        if (types[i]->polynomial)
            precisions(types[i]);
    }
    /* svd of a 1 x n row is the row divided by its norm. */
    const muon_orth_type *svd = muon_orth_type_by_name("svd");
    muon_orth_params p;
    muon_orth_default_params(svd, &p);
    double g[5] = {3, -4, 0, 12, 0}, *o = run(svd, &p, g, 1, 5, NULL);
    double want[5] = {3 / 13.0, -4 / 13.0, 0, 12 / 13.0, 0};
    vcheck_le(o ? v_diff_norm(o, want, 5) : INFINITY, 1e-15,
              "svd 1x5: (3,-4,0,12,0) -> itself / 13");
    free(o);
    /* Empty shapes are a successful no-op. */
    muon_orth_workspace *w = muon_orth_alloc(svd, &p, 0, 7);
    vcheck_true(w && muon_orth_apply_f64(w, g, g) == MUON_SUCCESS,
                "svd 0x7: empty matrix is a no-op");
    muon_orth_free(w);
    return vcheck_finish();
}
