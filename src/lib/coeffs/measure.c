/* measure.c: the measured half of `coeffs check`: the matrix iteration in a
 * given precision on a synthetic spectrum, compared with the scalar map's
 * exact-arithmetic prediction for the same singular values. */
#include <math.h>
#include <stdlib.h>

#include "muon/coeffs.h"
#include "muon/metrics.h"
#include "muon/status.h"
#include "muon/synth.h"

static int
descending(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

int
muon_coeffs_measure(const muon_orth_type *T, const muon_orth_params *p,
                    muon_precision precision, size_t m, size_t n,
                    unsigned long seed, double ratio,
                    muon_coeffs_measurement *out)
{
    if (!T->polynomial)
        return MUON_ERROR(MUON_EINVAL, "method '%s' is not polynomial: no "
                          "scalar map to compare with", T->name);
    if (!isfinite(ratio) || !(ratio > 0.0) || !(ratio <= 1.0))
        return MUON_ERROR(MUON_ERANGE, "sigma_min/sigma_max ratio must be in "
                          "(0, 1] (got %g)", ratio);
    if (m == 0 || n == 0)
        return MUON_ERROR(MUON_ERANGE, "synthetic matrix must be at least "
                          "1 x 1 (got %zu x %zu)", m, n);
    muon_synth_spec spec;
    muon_synth_default_spec(&spec);
    spec.m = m;
    spec.n = n;
    spec.spectrum = MUON_SPECTRUM_GEOMETRIC;
    spec.cond = 1.0 / ratio;
    spec.seed = seed;
    int st = muon_synth_validate(&spec);
    if (st)
        return st;
    size_t r = m < n ? m : n, mn = m * n; /* m*n*8 checked by validate */
    muon_orth_params q = *p;
    q.precision = precision;
    double *G = malloc(mn * sizeof *G), *O = malloc(mn * sizeof *O);
    double *s = malloc(r * sizeof *s), *sv = malloc(r * sizeof *sv);
    double *pred = malloc(r * sizeof *pred);
    muon_orth_workspace *w = NULL;
    muon_measure *ms = NULL;
    if (!G || !O || !s || !sv || !pred) {
        st = MUON_ERROR(MUON_ENOMEM, "out of memory for a %zu x %zu "
                        "synthetic matrix", m, n);
        goto done;
    }
    if ((st = muon_synth_generate(&spec, G, s)))
        goto done;
    if (!(w = muon_orth_alloc(T, &q, m, n)) ||
        !(ms = muon_measure_alloc(m, n))) {
        st = MUON_ENOMEM; /* already reported by the allocator */
        goto done;
    }
    if ((st = muon_orth_apply_f64(w, G, O)) ||
        (st = muon_measure_set_input(ms, G)))
        goto done;
    muon_quality qual;
    st = muon_measure_output(ms, O, &qual, sv);
    /* A non-finite output is a result (the schedule diverged in this
     * precision), not a failure of the check: record it as NaN. */
    int finite = st != MUON_ENONFINITE;
    if (!finite) {
        muon_clear_error();
        st = MUON_SUCCESS;
        for (size_t i = 0; i < r; i++)
            sv[i] = NAN;
        qual.polar_err = NAN;
    }
    if (st)
        goto done;
    /* The prediction uses the front end's normalisation G / (||G||_F *
     * safety + eps), with ||G||_F from the prescribed s (s_1 = 1: no
     * overflow). */
    long double ss = 0.0L;
    for (size_t i = 0; i < r; i++)
        ss += (long double)s[i] * s[i];
    double den = (double)sqrtl(ss) * q.safety + q.eps;
    for (size_t i = 0; i < r; i++)
        pred[i] = muon_orth_poly(&q, s[i] / den);
    qsort(pred, r, sizeof *pred, descending);
    out->precision = precision;
    out->finite = finite;
    out->ratio = ratio;
    out->pred_min = out->meas_min = INFINITY;
    out->pred_max = out->meas_max = -INFINITY;
    out->pred_worst = out->meas_worst = out->max_dev = 0.0;
    for (size_t i = 0; i < r; i++) {
        out->pred_min = fmin(out->pred_min, pred[i]);
        out->pred_max = fmax(out->pred_max, pred[i]);
        out->pred_worst = fmax(out->pred_worst, fabs(pred[i] - 1.0));
        out->meas_min = fmin(out->meas_min, sv[i]);
        out->meas_max = fmax(out->meas_max, sv[i]);
        out->meas_worst = fmax(out->meas_worst, fabs(sv[i] - 1.0));
        out->max_dev = fmax(out->max_dev, fabs(sv[i] - pred[i]));
    }
    if (!finite)
        out->meas_min = out->meas_max = out->meas_worst = out->max_dev = NAN;
    out->polar_err = qual.polar_err;
done:
    muon_measure_free(ms);
    muon_orth_free(w);
    free(G);
    free(O);
    free(s);
    free(sv);
    free(pred);
    return st;
}
