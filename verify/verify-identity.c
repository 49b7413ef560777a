/* verify-identity.c: the core identity of every polynomial orthogonalizer.
 *
 * Claim: in exact arithmetic the singular values of the matrix iteration's
 * output are the composed scalar map applied to the normalised input
 * singular values, sigma_i(O) = p_T(...p_1(sigma_i / (||G||_F s + eps))...),
 * because every step X <- a X + (b A + c A^2) X with A = X X^T acts on
 * X = U S V^T as U (a S + b S^3 + c S^5) V^T.  In fp64 the two computations
 * (BLAS matrix products vs a scalar Horner evaluation) share nothing but the
 * coefficients, so agreement to ~1e-10 relative catches any wrong product,
 * transposition, symmetrisation or step-indexing error.
 *
 * Inputs: well-conditioned (geometric spectrum, cond 1e2) so sigma_i are
 * well separated from 0; wide, tall and square shapes.  Singular values are
 * compared as sorted lists because a non-monotone map may reorder them.
 */
#include <gsl/gsl_errno.h>

#include "muon/orth.h"
#include "muon/synth.h"
#include "tol.h"
#include "vcheck.h"
#include "vlinalg.h"

static void
check_one(const muon_orth_type *T, muon_orth_params *p, size_t m, size_t n,
          unsigned long seed)
{
    size_t r = m < n ? m : n;
    muon_synth_spec spec;
    muon_synth_default_spec(&spec);
    spec.m = m;
    spec.n = n;
    spec.spectrum = MUON_SPECTRUM_GEOMETRIC;
    spec.cond = 1e2;
    spec.seed = seed;
    double *G = malloc(m * n * sizeof *G), *O = malloc(m * n * sizeof *O);
    double *sg = malloc(r * sizeof *sg), *so = malloc(r * sizeof *so);
    double *pred = malloc(r * sizeof *pred);
    p->precision = MUON_FP64;
    muon_orth_workspace *w = muon_orth_alloc(T, p, m, n);
    if (!G || !O || !sg || !so || !pred || !w ||
        muon_synth_generate(&spec, G, NULL) ||
        muon_orth_apply_f64(w, G, O) || v_singular_values(G, m, n, sg) ||
        v_singular_values(O, m, n, so)) {
        vcheck_true(0, "%s %zux%zu: setup failed", T->name, m, n);
        goto out;
    }
    double nrm = v_norm(G, m * n);
    for (size_t i = 0; i < r; i++)
        pred[i] = fabs(muon_orth_poly(p, sg[i] / (nrm * p->safety + p->eps)));
    qsort(pred, r, sizeof *pred, v_cmp_desc);
    double worst = 0;
    for (size_t i = 0; i < r; i++) {
        double e = fabs(so[i] - pred[i]) / fabs(pred[i]);
        worst = e > worst ? e : worst;
    }
    vcheck_le(worst, TOL_IDENTITY_REL,
              "%s (%zu steps) %zux%zu: max_i |sigma_i(O) - map(sigma_i)| / "
              "map(sigma_i)", T->name, p->steps, m, n);
out:
    muon_orth_free(w);
    free(G);
    free(O);
    free(sg);
    free(so);
    free(pred);
}

int
main(void)
{
    gsl_set_error_handler_off();
    static const size_t shapes[][2] = {{48, 80}, {80, 48}, {64, 64}, {1, 40},
                                       {40, 1}};
    const muon_orth_type *const *types = muon_orth_types();
    for (size_t i = 0; types[i]; i++) {
        if (!types[i]->polynomial)
            continue;
        muon_orth_params p;
        muon_orth_default_params(types[i], &p);
        if (p.ncoeffs == 0) {
            /* custom: a made-up 3-step list exercises arbitrary triples and
             * the repeat-last extension to 4 steps. */
            muon_coeff c[3] = {{3.0, -3.2, 1.2}, {2.5, -2.0, 0.6},
                               {1.5, -0.5, 0.0}};
            memcpy(p.coeffs, c, sizeof c);
            p.ncoeffs = 3;
            p.steps = 4;
        }
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            check_one(types[i], &p, shapes[s][0], shapes[s][1], 11 + s);
        /* Step counts other than the default, and the cycling policy. */
        muon_orth_params q = p;
        q.steps = p.ncoeffs + 2;
        q.extend = MUON_EXTEND_CYCLE;
        check_one(types[i], &q, 40, 72, 99);
    }
    return vcheck_finish();
}
