/* gauss.c: iid N(0,1) draws (see gauss.h for why this is its own file). */
#include "gauss.h"

#include <gsl/gsl_randist.h>

void
muon_fill_gaussian(gsl_rng *rng, double *x, size_t len)
{
    for (size_t i = 0; i < len; i++)
        x[i] = gsl_ran_gaussian_ziggurat(rng, 1.0);
}
