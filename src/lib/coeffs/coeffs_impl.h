/* coeffs_impl.h: helpers shared by the coefficient-lab sources (private). */
#ifndef MUON_COEFFS_IMPL_H
#define MUON_COEFFS_IMPL_H

#include "muon/orth.h"

/* a x + b x^3 + c x^5 in long double Horner form. */
static inline long double
coeffs_poly_ld(muon_coeff q, long double x)
{
    long double x2 = x * x;
    return x * ((long double)q.a +
                x2 * ((long double)q.b + x2 * (long double)q.c));
}

/* Positive critical points of a x + b x^3 + c x^5, i.e. the positive roots
 * of a + 3b x^2 + 5c x^4, in ascending order into r[]; returns how many
 * (0, 1 or 2). */
int coeffs_critical_points(long double a, long double b, long double c,
                           long double r[2]);

#endif /* MUON_COEFFS_IMPL_H */
