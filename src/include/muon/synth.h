/* synth.h: synthetic test matrices with a prescribed singular spectrum.
 *
 * G = scale * U diag(s) V^T, with U (m x r) and V (n x r), r = min(m,n),
 * Haar-distributed orthonormal columns (QR of a Gaussian matrix with the
 * signs fixed so that diag(R) > 0; Mezzadri, "How to generate random
 * matrices from the classical compact groups", Notices AMS 54, 2007), and
 * s descending in (0, 1] (s_1 = 1 except for `gaussian` and `clustered`):
 *
 *   gaussian   iid N(0,1) entries; no prescribed spectrum (its singular
 *              values come from an SVD of G).
 *   geometric  s_i = cond^(-i/(r-1)), i = 0..r-1  (s_0 = 1 when r = 1).
 *   powerlaw   s_i = (i+1)^(-alpha).
 *   lowrank    geometric with `cond` over the first `rank` values, exactly
 *              0 after them.
 *   clustered  two clusters: the first ceil(r/2) values at 1, the rest at
 *              1/cond, each multiplied by (1 - jitter*u), u ~ U[0,1) iid,
 *              then sorted descending (so s_1 <= 1 and the clusters stay
 *              apart whenever cond > 1/(1-jitter)).
 *
 * `scale` multiplies G (and the reported s) at the very end, so any
 * scale in [1e-300, 1e300] is safe from overflow; note that below ~1e-290
 * the small singular values of a badly conditioned G become subnormal and
 * lose relative accuracy, as they must.
 *
 * Random numbers: gsl_rng_mt19937 seeded with `seed`, drawn in this order:
 * the clustered jitter, then the Gaussian matrix for U, then the one for
 * V (gaussian: G itself, row by row).  GSL maps seed 0 to its default seed
 * 4357, so seeds 0 and 4357 give the same matrix.
 *
 * Text form (muon_synth_parse / muon_synth_format), e.g.
 *   "m=256,n=512,spectrum=geometric,cond=1e4,seed=1"
 * keys and defaults:
 *   m, n      rows, columns                         64, 64     (>= 1)
 *   spectrum  gaussian|geometric|powerlaw|lowrank|clustered   geometric
 *   cond      s_1 / s_r (geometric, lowrank, clustered)  1e3  (>= 1)
 *   alpha     power-law exponent (powerlaw)         1          (>= 0)
 *   rank      nonzero values (lowrank)      ceil(min(m,n)/4)  (1..min(m,n))
 *   jitter    relative jitter (clustered)           1e-2       ([0, 1))
 *   scale     overall factor                        1          (> 0)
 *   seed      RNG seed                              1
 * A key that does not apply to the chosen spectrum is an error (it would
 * be silently ignored otherwise).
 */
#ifndef MUON_SYNTH_H
#define MUON_SYNTH_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    MUON_SPECTRUM_GAUSSIAN = 0,
    MUON_SPECTRUM_GEOMETRIC = 1,
    MUON_SPECTRUM_POWERLAW = 2,
    MUON_SPECTRUM_LOWRANK = 3,
    MUON_SPECTRUM_CLUSTERED = 4
} muon_spectrum;

#define MUON_NSPECTRA 5

typedef struct {
    size_t m, n;
    muon_spectrum spectrum;
    double cond;
    double alpha;
    size_t rank; /* 0: the default ceil(min(m,n)/4) */
    double jitter;
    double scale;
    unsigned long seed;
} muon_synth_spec;

/* "gaussian", "geometric", ... ("?" for an invalid value). */
const char *muon_spectrum_name(muon_spectrum s);

/* Fills *spec with the defaults listed above. */
void muon_synth_default_spec(muon_synth_spec *spec);

/* Checks every field's range (the list above, m and n also <= INT_MAX for
 * LAPACK and m*n*8 within size_t).  Returns MUON_ERANGE / MUON_EINVAL
 * (reported, naming the field and value) or MUON_SUCCESS. */
int muon_synth_validate(const muon_synth_spec *spec);

/* Parses "key=value,key=value,..." (spaces around keys and values are
 * allowed) into *spec, starting from the defaults.  Errors (reported, *spec
 * then unspecified):
 *   MUON_EUNKNOWN  unknown key (naming it and the closest valid key) or
 *                  unknown spectrum name (listing the valid ones);
 *   MUON_EINVAL    malformed item (no '=', empty key or value), a key
 *                  given twice, a key that does not apply to the spectrum,
 *                  a bad number (naming the key and the text: integers
 *                  must be plain decimal digits, reals finite);
 *   MUON_ERANGE    a value outside its range. */
int muon_synth_parse(const char *text, muon_synth_spec *spec);

/* Prints spec in the syntax muon_synth_parse reads, only with the keys
 * that apply to its spectrum, doubles with 17 significant digits (so parse
 * gives back the same spec).  Returns the length snprintf would write. */
int muon_synth_format(const muon_synth_spec *spec, char *buf, size_t len);

/* The prescribed singular values s (times scale), descending, into
 * sigma[0 .. min(m,n)-1], drawing the clustered jitter from rng.  Not
 * defined for gaussian (MUON_EINVAL). */
int muon_synth_spectrum(const muon_synth_spec *spec, gsl_rng *rng,
                        double *sigma);

/* A Haar-distributed m x k matrix with orthonormal columns (k <= m),
 * row-major with leading dimension k: QR of an iid N(0,1) m x k matrix
 * drawn from rng row by row, Q's column j multiplied by sign(R_jj).
 * Returns MUON_EINVAL (k > m or k == 0), MUON_ENOMEM, MUON_EINTERNAL
 * (LAPACK argument error), all reported. */
int muon_synth_haar(gsl_rng *rng, size_t m, size_t k, double *Q);

/* Generates G (m x n, row-major, caller-allocated) for spec; if sigma is
 * not NULL, stores its min(m,n) singular values there, descending: the
 * prescribed ones, or for gaussian those of an fp64 SVD of G.  Validates
 * spec first.  Returns MUON_SUCCESS or a reported MUON_EINVAL / ERANGE /
 * ENOMEM / ENOCONV (SVD of a gaussian G did not converge) / EINTERNAL.
 * Allocates scratch internally (this is set-up code, not a step). */
int muon_synth_generate(const muon_synth_spec *spec, double *G, double *sigma);

#ifdef __cplusplus
}
#endif

#endif /* MUON_SYNTH_H */
