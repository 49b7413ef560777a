/* gauss.h: iid N(0,1) draws, kept out of files that include <cblas.h>
 * (GSL 2.7's <gsl/gsl_randist.h> pulls in <gsl/gsl_cblas.h>, whose enums
 * clash with OpenBLAS's: PITFALLS.md 5). */
#ifndef MUON_METRICS_GAUSS_H
#define MUON_METRICS_GAUSS_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

/* x[0..len-1] <- iid N(0,1) from rng (GSL's ziggurat), in index order. */
void muon_fill_gaussian(gsl_rng *rng, double *x, size_t len);

#endif /* MUON_METRICS_GAUSS_H */
