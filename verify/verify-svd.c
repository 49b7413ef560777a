/* verify-svd.c: the exact `svd` orthogonalizer is what every other method
 * is measured against, so it is checked against the definition of the polar
 * decomposition, not against another SVD:
 *
 *   G = O H with O a partial isometry (O O^T O = O; for full rank O O^T = I
 *   on the small side) and H = O^T G symmetric positive semidefinite.
 *
 * All three are products of fp64 matrices and should hold to fp64
 * round-off (TOL_F64_SVD relative).  Every synthetic spectrum; tall, wide,
 * square, 1 x n and n x 1 shapes. */
#include <gsl/gsl_errno.h>

#include "muon/orth.h"
#include "muon/synth.h"
#include "tol.h"
#include "vcheck.h"
#include "vlinalg.h"

static void
check(muon_spectrum sp, size_t m, size_t n)
{
    const muon_orth_type *T = muon_orth_type_by_name("svd");
    muon_orth_params p;
    muon_orth_default_params(T, &p);
    muon_synth_spec spec;
    muon_synth_default_spec(&spec);
    spec.m = m;
    spec.n = n;
    spec.spectrum = sp;
    spec.cond = 1e4;
    spec.seed = 7 + m + 3 * n;
    size_t r = m < n ? m : n;
    if (sp == MUON_SPECTRUM_LOWRANK)
        spec.rank = r > 3 ? r / 3 : 1;
    const char *name = muon_spectrum_name(sp);
    double *G = malloc(m * n * sizeof *G), *O = malloc(m * n * sizeof *O);
    double *H = malloc(n * n * sizeof *H), *R = malloc(m * n * sizeof *R);
    double *P = malloc(m * m * sizeof *P), *Q = malloc(m * n * sizeof *Q);
    double *ev = malloc(n * sizeof *ev);
    muon_orth_workspace *w = muon_orth_alloc(T, &p, m, n);
    if (!G || !O || !H || !R || !P || !Q || !ev || !w ||
        muon_synth_generate(&spec, G, NULL) || muon_orth_apply_f64(w, G, O)) {
        vcheck_true(0, "svd %s %zux%zu: setup failed", name, m, n);
        goto out;
    }
    double gn = v_norm(G, m * n);
    /* H = O^T G (n x n). */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)n, (int)n,
                (int)m, 1.0, O, (int)n, G, (int)n, 0.0, H, (int)n);
    /* R = O H must reproduce G. */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n,
                (int)n, 1.0, O, (int)n, H, (int)n, 0.0, R, (int)n);
    vcheck_le(v_diff_norm(R, G, m * n) / gn, TOL_F64_SVD,
              "svd %s %zux%zu: ||O (O^T G) - G||_F / ||G||_F", name, m, n);
    double asym = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            asym += (H[i * n + j] - H[j * n + i]) * (H[i * n + j] - H[j * n + i]);
    vcheck_le(sqrt(asym) / gn, TOL_F64_SVD,
              "svd %s %zux%zu: H = O^T G symmetric, ||H - H^T|| / ||G||", name,
              m, n);
    /* H positive semidefinite: smallest eigenvalue >= -round-off. */
    lapack_int info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', (int)n, H,
                                    (int)n, ev);
    vcheck_le(info == 0 ? -ev[0] / gn : INFINITY, TOL_F64_SVD,
              "svd %s %zux%zu: H positive semidefinite, -lambda_min(H)/||G||",
              name, m, n);
    /* Partial isometry: O O^T O = O (P = O O^T, Q = P O). */
    v_gram(O, m, n, P);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n,
                (int)m, 1.0, P, (int)m, O, (int)n, 0.0, Q, (int)n);
    double on = v_norm(O, m * n);
    vcheck_le(v_diff_norm(Q, O, m * n) / (on > 0 ? on : 1), TOL_F64_SVD,
              "svd %s %zux%zu: partial isometry ||O O^T O - O|| / ||O||", name,
              m, n);
    /* Full rank (all spectra but lowrank): ||O||_F^2 = min(m, n). */
    if (sp != MUON_SPECTRUM_LOWRANK)
        vcheck_le(fabs(on * on - (double)r) / (double)r, TOL_F64_SVD,
                  "svd %s %zux%zu: full rank, | ||O||_F^2 - min(m,n) | / "
                  "min(m,n)", name, m, n);
    else
        vcheck_le(fabs(on * on - (double)spec.rank), 1e-8,
                  "svd lowrank %zux%zu: ||O||_F^2 = rank %zu (cutoff drops the "
                  "zero directions)", m, n, spec.rank);
out:
    muon_orth_free(w);
    free(G);
    free(O);
    free(H);
    free(R);
    free(P);
    free(Q);
    free(ev);
}

int
main(void)
{
    gsl_set_error_handler_off();
    static const size_t shapes[][2] = {{40, 70}, {70, 40}, {50, 50}, {1, 30},
                                       {30, 1}};
    for (int sp = 0; sp < MUON_NSPECTRA; sp++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            check((muon_spectrum)sp, shapes[s][0], shapes[s][1]);
    return vcheck_finish();
}
