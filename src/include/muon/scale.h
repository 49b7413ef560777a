/* scale.h: interchangeable learning-rate scale modes for the Muon update.
 *
 * Model: GSL's "type" vtables, like muon/orth.h.  A scale mode multiplies
 * the orthogonalized update O of an A x B matrix (A = rows = fan_out,
 * B = cols = fan_in, PyTorch layout; a conv filter (out, in, kh, kw) is the
 * matrix (out, in*kh*kw)) before the learning rate:
 *     W <- W - lr * factor(A, B, params, ||M||_F) * O
 * where ||M||_F is the Frobenius norm of the matrix that was handed to the
 * orthogonalizer (only seed 002's mode uses it).  See REFERENCE.md sec. 3.
 *
 * The factor depends on the logical shape only, never on the storage
 * layout: a caller holding W^T in memory still passes A = fan_out.
 */
#ifndef MUON_SCALE_H
#define MUON_SCALE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Parameters of every scale mode.  Plain data; defaults from
 * muon_scale_default_params(). */
typedef struct {
    double rms_factor; /* match_rms_adamw: target update RMS / lr (0.2) */
} muon_scale_params;

/* A registered scale mode. */
typedef struct muon_scale_type {
    const char *name;        /* command-line name, e.g. "original" */
    const char *description; /* the formula, one line */
    const char *source;      /* who uses it */
    int uses_norm;           /* 1 if the factor depends on ||M||_F */
    /* The factor for an A x B matrix (A, B >= 1).  mnorm >= 0 is finite. */
    double (*factor)(double A, double B, const muon_scale_params *p,
                     double mnorm);
} muon_scale_type;

/* NULL-terminated array of every mode: none, original, match_rms_adamw,
 * spectral, spectral_max, seed002.  Static storage. */
const muon_scale_type *const *muon_scale_types(void);

/* Looks a mode up by name.  Unknown name: NULL, reported as MUON_EUNKNOWN
 * with the list of valid names.  Call once while parsing options. */
const muon_scale_type *muon_scale_type_by_name(const char *name);

/* The default mode ("original", KJ's Muon). */
const muon_scale_type *muon_scale_default(void);

/* Fills p with the defaults (rms_factor = 0.2, Moonlight). */
void muon_scale_default_params(muon_scale_params *p);

/* Checks p: rms_factor finite and > 0.  MUON_ERANGE (reported) or
 * MUON_SUCCESS. */
int muon_scale_params_validate(const muon_scale_params *p);

/* factor of T for an A x B matrix.  A or B == 0 (an empty matrix) gives 0;
 * for seed002 a zero norm gives 0 (the update is zero anyway). */
double muon_scale_factor(const muon_scale_type *T, size_t A, size_t B,
                         const muon_scale_params *p, double mnorm);

#ifdef __cplusplus
}
#endif

#endif /* MUON_SCALE_H */
