/* precision.h: working precisions and round-to-nearest-even emulation of
 * bf16 and fp16 on float storage.
 *
 * fp64 and fp32 are native.  bf16 and fp16 are emulated: values are stored
 * in float, and every stored value is rounded to the format after each
 * operation, while matrix products accumulate in fp32 (what a GPU's bf16
 * matrix product does).  Rounding is round-to-nearest-even; NaN stays NaN,
 * overflow goes to +-Inf as in the real formats.
 */
#ifndef MUON_PRECISION_H
#define MUON_PRECISION_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    MUON_FP64 = 0,
    MUON_FP32 = 1,
    MUON_BF16 = 2, /* emulated: 8-bit exponent, 8-bit significand */
    MUON_FP16 = 3  /* emulated: IEEE binary16 */
} muon_precision;

#define MUON_NPRECISIONS 4

/* "fp64", "fp32", "bf16", "fp16". */
const char *muon_precision_name(muon_precision p);

/* Looks a precision up by name; MUON_EUNKNOWN (reported, listing the valid
 * names) if there is none. */
int muon_precision_by_name(const char *name, muon_precision *out);

/* Unit round-off of the format (2^-53, 2^-24, 2^-8, 2^-11). */
double muon_precision_unit_roundoff(muon_precision p);

/* Rounds one float to the nearest bf16 value (ties to even). */
static inline float
muon_round_bf16(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7f800000u) == 0x7f800000u) { /* Inf or NaN */
        if (u & 0x007fffffu)
            u |= 0x00400000u; /* keep NaN quiet after truncation */
        u &= 0xffff0000u;
    } else {
        u += 0x7fffu + ((u >> 16) & 1u);
        u &= 0xffff0000u;
    }
    memcpy(&x, &u, sizeof x);
    return x;
}

/* GCC >= 12 provides IEEE binary16 arithmetic conversions on x86-64 (with
 * F16C when enabled); __extension__ keeps -Wpedantic quiet. */
__extension__ typedef _Float16 muon_half_t;

/* Rounds one float to the nearest IEEE binary16 value (ties to even),
 * subnormals included, overflow to Inf. */
static inline float
muon_round_fp16(float x)
{
    return (float)(muon_half_t)x;
}

/* Rounds one float to precision p (identity for fp32/fp64). */
static inline float
muon_round_float(muon_precision p, float x)
{
    return p == MUON_BF16   ? muon_round_bf16(x)
           : p == MUON_FP16 ? muon_round_fp16(x)
                            : x;
}

/* Rounds n floats in place to precision p (a no-op for fp32/fp64). */
void muon_round_array(muon_precision p, float *x, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* MUON_PRECISION_H */
