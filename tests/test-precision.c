/* test-precision.c: bf16 / fp16 round-to-nearest-even emulation against hand
 * derived bit patterns and an independent reference rounding (IEEE 754-2008
 * 4.3.1: round to the nearer neighbour, ties to the even significand). */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "muon/precision.h"
#include "muon/status.h"
#include "testutil.h"

/* ck_assert_msg costs a pipe write per call in fork mode; the exhaustive
 * loops below make millions of checks, so they only talk to Check when a
 * check fails. */
#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            ck_abort_msg(__VA_ARGS__);                                         \
    } while (0)

static uint32_t
bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static float
from_bits(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* Deterministic 64-bit generator (xorshift64*), independent of the code
 * under test. */
static uint64_t rng_state = 0x243F6A8885A308D3ull;
static uint64_t
next_u64(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

/* ---- independent references --------------------------------------------- */

/* bf16 reference: the two bf16 neighbours of a finite float x are the
 * truncation toward zero (low 16 bits cleared) and the next bf16 value away
 * from zero; pick the nearer in exact double arithmetic (both differences
 * are exact in double), ties to the one with an even last kept bit.  The
 * next value above the largest finite bf16 is 2^128 (= the Inf pattern),
 * so "away" rounding there is overflow to Inf, as in IEEE. */
static float
ref_bf16(float x)
{
    if (!isfinite(x))
        return x;
    uint32_t u = bits(x);
    uint32_t lo = u & 0xffff0000u;
    uint32_t hi = lo + 0x10000u; /* next magnitude; carries into exponent */
    double dx = fabs((double)x);
    double dlo = fabs((double)from_bits(lo));
    double dhi = ((hi & 0x7fffffffu) == 0x7f800000u)
                     ? ldexp(1.0, 128)
                     : fabs((double)from_bits(hi));
    double elo = dx - dlo, ehi = dhi - dx;
    if (elo < ehi)
        return from_bits(lo);
    if (ehi < elo)
        return from_bits(hi);
    return ((lo >> 16) & 1u) ? from_bits(hi) : from_bits(lo);
}

/* fp16 reference: the grid spacing at |x| is 2^(e-10) for |x| >= 2^-14
 * (e = floor(log2|x|)) and 2^-24 below (subnormals); round |x|/spacing to
 * the nearest integer, ties to even, in double (exact: the quotient has at
 * most 24 significant bits plus a small exponent).  Magnitudes rounding to
 * 65536 or more overflow to Inf. */
static float
ref_fp16(float x)
{
    if (isnan(x))
        return x;
    double ax = fabs((double)x);
    if (isinf(x))
        return x;
    double spacing;
    if (ax < ldexp(1.0, -14))
        spacing = ldexp(1.0, -24);
    else
        spacing = ldexp(1.0, ilogb(ax) - 10);
    double q = ax / spacing;
    double fl = floor(q);
    double frac = q - fl;
    double n;
    if (frac > 0.5)
        n = fl + 1;
    else if (frac < 0.5)
        n = fl;
    else
        n = fmod(fl, 2.0) == 0.0 ? fl : fl + 1;
    double r = n * spacing;
    if (r >= 65536.0)
        r = INFINITY;
    return (float)copysign(r, (double)x);
}

/* Decodes an IEEE binary16 bit pattern by the format definition. */
static double
half_value(uint16_t h)
{
    int sign = h >> 15;
    int e = (h >> 10) & 0x1f;
    int m = h & 0x3ff;
    double v;
    if (e == 0)
        v = ldexp((double)m, -24);
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = ldexp((double)(1024 + m), e - 25);
    return sign ? -v : v;
}

/* Bitwise equality, with every NaN equal to every NaN. */
static int
same_float(float a, float b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return bits(a) == bits(b);
}

/* ---- bf16: hand-derived cases ------------------------------------------ */

/* bf16 keeps 7 explicit significand bits: ulp(1) = 2^-7, the ties around 1
 * are at odd multiples of 2^-8. */
typedef struct {
    const char *what;
    uint32_t in, want;
} bits_case;

static const bits_case bf16_cases[] = {
    {"1 exact", 0x3f800000u, 0x3f800000u},
    {"1+2^-7 exact", 0x3f810000u, 0x3f810000u},
    {"1+2^-8 tie -> even 1", 0x3f808000u, 0x3f800000u},
    {"1+2^-8+2^-23 just above tie -> 1+2^-7", 0x3f808001u, 0x3f810000u},
    {"1+2^-8-2^-23 just below tie -> 1", 0x3f807fffu, 0x3f800000u},
    {"1+3*2^-8 tie -> even 1+2^-6", 0x3f818000u, 0x3f820000u},
    {"1+3*2^-8-2^-23 below tie -> 1+2^-7", 0x3f817fffu, 0x3f810000u},
    {"2-2^-8 tie -> even 2 (carry into exponent)", 0x3fff8000u, 0x40000000u},
    {"-1-2^-8 tie -> -1", 0xbf808000u, 0xbf800000u},
    {"-1-3*2^-8 tie -> -(1+2^-6)", 0xbf818000u, 0xbf820000u},
    {"+0", 0x00000000u, 0x00000000u},
    {"-0 keeps its sign", 0x80000000u, 0x80000000u},
    {"max finite bf16 (2-2^-7)*2^127", 0x7f7f0000u, 0x7f7f0000u},
    {"just below its upper tie -> max finite", 0x7f7f7fffu, 0x7f7f0000u},
    {"upper tie of max finite -> Inf (odd significand)", 0x7f7f8000u,
     0x7f800000u},
    {"FLT_MAX -> +Inf", 0x7f7fffffu, 0x7f800000u},
    {"-FLT_MAX -> -Inf", 0xff7fffffu, 0xff800000u},
    {"+Inf", 0x7f800000u, 0x7f800000u},
    {"-Inf", 0xff800000u, 0xff800000u},
    {"FLT_MIN exact", 0x00800000u, 0x00800000u},
    {"subnormal 2^-133 exact", 0x00010000u, 0x00010000u},
    {"subnormal 2^-134 tie -> 0", 0x00008000u, 0x00000000u},
    {"subnormal 2^-134+2^-149 -> 2^-133", 0x00008001u, 0x00010000u},
    {"subnormal 3*2^-134 tie -> 2^-132", 0x00018000u, 0x00020000u},
    {"smallest float subnormal -> 0", 0x00000001u, 0x00000000u},
    {"-smallest float subnormal -> -0", 0x80000001u, 0x80000000u},
    {"largest float subnormal -> FLT_MIN", 0x007fffffu, 0x00800000u},
    {"largest bf16 subnormal exact", 0x007f0000u, 0x007f0000u},
};

START_TEST(test_bf16_cases)
{
    const bits_case *c = &bf16_cases[_i];
    uint32_t got = bits(muon_round_bf16(from_bits(c->in)));
    CHECK(got == c->want, "bf16 %s: 0x%08x -> 0x%08x, want 0x%08x",
                  c->what, c->in, got, c->want);
    /* The hand table and the reference agree (guards the reference). */
    CHECK(bits(ref_bf16(from_bits(c->in))) == c->want,
                  "reference disagrees on %s", c->what);
    /* muon_round_float dispatches to the same rounding. */
    ck_assert_uint_eq(bits(muon_round_float(MUON_BF16, from_bits(c->in))),
                      c->want);
}
END_TEST

START_TEST(test_bf16_nan)
{
    /* Quiet and signalling NaNs of both signs, including payloads that
     * live only in the low 16 bits (plain truncation would give Inf). */
    const uint32_t nans[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u,
                             0xff800001u, 0x7f80ffffu, 0x7fffffffu,
                             0x7fa00000u};
    for (size_t i = 0; i < sizeof nans / sizeof nans[0]; i++) {
        float r = muon_round_bf16(from_bits(nans[i]));
        CHECK(isnan(r), "NaN 0x%08x -> 0x%08x is not NaN", nans[i],
                      bits(r));
        CHECK((bits(r) & 0xffffu) == 0,
                      "NaN 0x%08x -> 0x%08x is not a bf16 pattern", nans[i],
                      bits(r));
        CHECK((bits(r) >> 31) == (nans[i] >> 31),
                      "NaN 0x%08x lost its sign", nans[i]);
    }
}
END_TEST

START_TEST(test_bf16_exhaustive_identity)
{
    /* Every bf16 value is a fixed point of the rounding. */
    for (uint32_t h = 0; h < 0x10000u; h++) {
        uint32_t u = h << 16;
        float x = from_bits(u);
        float r = muon_round_bf16(x);
        if (isnan(x))
            CHECK(isnan(r), "bf16 NaN 0x%04x not kept", h);
        else
            CHECK(bits(r) == u, "bf16 0x%04x -> 0x%08x", h, bits(r));
    }
}
END_TEST

START_TEST(test_bf16_every_binade_vs_reference)
{
    /* For every bf16 pattern, the floats just above it: exact, +1 float
     * ulp, the tie to its upper neighbour and both its float neighbours,
     * the top of the interval, and random points in between. */
    const uint32_t lows[] = {0x0000u, 0x0001u, 0x4000u, 0x7fffu,
                             0x8000u, 0x8001u, 0xc000u, 0xffffu};
    for (uint32_t h = 0; h < 0x10000u; h++) {
        for (size_t k = 0; k < sizeof lows / sizeof lows[0] + 2; k++) {
            uint32_t low = k < sizeof lows / sizeof lows[0]
                               ? lows[k]
                               : (uint32_t)(next_u64() & 0xffffu);
            float x = from_bits((h << 16) | low);
            if (isnan(x))
                continue;
            float r = muon_round_bf16(x), e = ref_bf16(x);
            CHECK(bits(r) == bits(e),
                          "bf16(0x%08x) = 0x%08x, reference 0x%08x",
                          bits(x), bits(r), bits(e));
        }
    }
}
END_TEST

START_TEST(test_bf16_random_error_bound)
{
    /* Random finite floats: the result is a bf16 pattern, within half a
     * bf16 ulp of the input, and the rounding is odd-symmetric. */
    for (int i = 0; i < 2000000; i++) {
        float x = from_bits((uint32_t)next_u64());
        if (!isfinite(x))
            continue;
        float r = muon_round_bf16(x);
        CHECK((bits(r) & 0xffffu) == 0, "0x%08x -> 0x%08x", bits(x),
                      bits(r));
        CHECK(bits(muon_round_bf16(-x)) == (bits(r) ^ 0x80000000u),
                      "not symmetric at 0x%08x", bits(x));
        if (isinf(r))
            continue; /* overflow checked in the hand table */
        /* ulp of the bf16 binade containing |x|: 2^(e-7), subnormal range
         * 2^-133. */
        int e = fabsf(x) < FLT_MIN ? -126 : ilogbf(x);
        double half_ulp = ldexp(1.0, e - 8);
        double err = fabs((double)r - (double)x);
        CHECK(err <= half_ulp, "0x%08x: error %g > half ulp %g",
                      bits(x), err, half_ulp);
    }
}
END_TEST

/* ---- fp16 ---------------------------------------------------------------- */

typedef struct {
    const char *what;
    float in, want;
} val_case;

static const val_case fp16_cases[] = {
    {"1 exact", 1.0f, 1.0f},
    {"1+2^-10 exact", 1.0f + 0x1p-10f, 1.0f + 0x1p-10f},
    {"1+2^-11 tie -> 1", 1.0f + 0x1p-11f, 1.0f},
    {"1+2^-11+2^-23 above tie -> 1+2^-10", 1.0f + 0x1p-11f + 0x1p-23f,
     1.0f + 0x1p-10f},
    {"1+3*2^-11 tie -> 1+2^-9", 1.0f + 3 * 0x1p-11f, 1.0f + 0x1p-9f},
    {"-(1+3*2^-11) tie -> -(1+2^-9)", -(1.0f + 3 * 0x1p-11f),
     -(1.0f + 0x1p-9f)},
    {"65504 max finite", 65504.0f, 65504.0f},
    {"65519 below tie -> 65504", 65519.0f, 65504.0f},
    {"65520 tie -> Inf", 65520.0f, INFINITY},
    {"-65520 tie -> -Inf", -65520.0f, -INFINITY},
    {"65536 -> Inf", 65536.0f, INFINITY},
    {"FLT_MAX -> Inf", FLT_MAX, INFINITY},
    {"Inf", INFINITY, INFINITY},
    {"-Inf", -INFINITY, -INFINITY},
    {"2^-14 smallest normal", 0x1p-14f, 0x1p-14f},
    {"2^-24 smallest subnormal", 0x1p-24f, 0x1p-24f},
    {"2^-25 tie -> 0", 0x1p-25f, 0.0f},
    {"-2^-25 tie -> -0", -0x1p-25f, -0.0f},
    {"2^-25+2^-40 above tie -> 2^-24", 0x1p-25f + 0x1p-40f, 0x1p-24f},
    {"3*2^-25 tie -> 2^-23", 3 * 0x1p-25f, 0x1p-23f},
    {"5*2^-25 tie -> 2^-23 (even)", 5 * 0x1p-25f, 0x1p-23f},
    {"2^-30 -> 0", 0x1p-30f, 0.0f},
    {"1023*2^-24 largest subnormal", 1023 * 0x1p-24f, 1023 * 0x1p-24f},
    {"(1023.5)*2^-24 tie -> 2^-14", 1023.5f * 0x1p-24f, 0x1p-14f},
    {"0.1 -> 0x2e66 = 1638/16384", 0.1f, 1638.0f / 16384.0f},
    {"-0", -0.0f, -0.0f},
    {"2049 tie -> 2048", 2049.0f, 2048.0f},
    {"2051 tie -> 2052", 2051.0f, 2052.0f},
};

START_TEST(test_fp16_cases)
{
    const val_case *c = &fp16_cases[_i];
    float r = muon_round_fp16(c->in);
    CHECK(bits(r) == bits(c->want), "fp16 %s: %a -> %a, want %a",
                  c->what, (double)c->in, (double)r, (double)c->want);
    CHECK(bits(ref_fp16(c->in)) == bits(c->want),
                  "reference disagrees on %s", c->what);
    ck_assert_uint_eq(bits(muon_round_float(MUON_FP16, c->in)),
                      bits(c->want));
}
END_TEST

START_TEST(test_fp16_nan)
{
    const uint32_t nans[] = {0x7fc00000u, 0xffc00000u, 0x7f800001u,
                             0x7f801000u, 0x7fffffffu};
    for (size_t i = 0; i < sizeof nans / sizeof nans[0]; i++)
        CHECK(isnan(muon_round_fp16(from_bits(nans[i]))),
                      "fp16 lost NaN 0x%08x", nans[i]);
}
END_TEST

START_TEST(test_fp16_exhaustive_identity_and_midpoints)
{
    /* Every binary16 value is a fixed point; the midpoint to the next
     * value (exact in float) rounds to the even one of the two, and the
     * floats on either side of it round to the nearer one. */
    for (uint32_t h = 0; h < 0x10000u; h++) {
        double v = half_value((uint16_t)h);
        if (isnan(v))
            continue;
        float x = (float)v;
        float r = muon_round_fp16(x);
        CHECK(same_float(r, x), "fp16 0x%04x (%a) -> %a", h, v,
                      (double)r);
        if (isinf(v) || (h & 0x7fffu) == 0x7bffu)
            continue; /* no finite upper neighbour */
        double next = half_value((uint16_t)(h + 1)); /* next magnitude */
        float mid = (float)((v + next) / 2);
        float want_tie = (h & 1u) ? (float)next : x;
        CHECK(same_float(muon_round_fp16(mid), want_tie),
                      "fp16 tie after 0x%04x: %a -> %a, want %a", h,
                      (double)mid, (double)muon_round_fp16(mid),
                      (double)want_tie);
        float below = nextafterf(mid, 0.0f);
        float above = nextafterf(mid, mid > 0 ? INFINITY : -INFINITY);
        CHECK(same_float(muon_round_fp16(below), x),
                      "fp16 below tie after 0x%04x", h);
        CHECK(same_float(muon_round_fp16(above), (float)next),
                      "fp16 above tie after 0x%04x", h);
    }
}
END_TEST

START_TEST(test_fp16_random_vs_reference)
{
    /* Random floats over the fp16 range and beyond (exponent field biased
     * toward [-30, 20]), compared with the reference rounding; the result
     * is within half an fp16 ulp. */
    for (int i = 0; i < 2000000; i++) {
        uint64_t r = next_u64();
        uint32_t u;
        if (r & 1)
            u = (uint32_t)(r >> 32); /* anything */
        else
            u = ((uint32_t)(r >> 63) << 31) |
                ((uint32_t)(127 - 30 + (r >> 8) % 51) << 23) |
                (uint32_t)((r >> 32) & 0x7fffffu);
        float x = from_bits(u);
        if (isnan(x))
            continue;
        float got = muon_round_fp16(x), want = ref_fp16(x);
        CHECK(same_float(got, want), "fp16(%a) = %a, reference %a",
                      (double)x, (double)got, (double)want);
        if (isfinite(got)) {
            double ax = fabs((double)x);
            double ulp = ax < 0x1p-14 ? 0x1p-24 : ldexp(1.0, ilogb(ax) - 10);
            CHECK(fabs((double)got - (double)x) <= ulp / 2,
                          "fp16(%a) = %a: more than half an ulp", (double)x,
                          (double)got);
        }
    }
}
END_TEST

/* ---- arrays, names, unit round-off --------------------------------------- */

START_TEST(test_round_array)
{
    enum { N = 4099 }; /* odd length: exercises any vector tail */
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(y);
    for (size_t i = 0; i < N; i++) {
        uint64_t r = next_u64();
        /* Mostly ordinary magnitudes, some raw bit patterns (NaN, Inf,
         * subnormals). */
        x[i] = (r & 7) ? (float)ldexp((double)(int32_t)(r >> 32),
                                      (int)((r >> 8) % 60) - 50)
                       : from_bits((uint32_t)(r >> 16));
    }
    for (int p = 0; p < MUON_NPRECISIONS; p++) {
        memcpy(y, x, N * sizeof *y);
        muon_round_array((muon_precision)p, y, N);
        for (size_t i = 0; i < N; i++) {
            float want = p == MUON_BF16   ? muon_round_bf16(x[i])
                         : p == MUON_FP16 ? muon_round_fp16(x[i])
                                          : x[i];
            /* fp32/fp64 must be a no-op down to the bits (NaN payloads). */
            if (p == MUON_FP32 || p == MUON_FP64)
                CHECK(bits(y[i]) == bits(x[i]),
                              "%s changed element %zu",
                              muon_precision_name((muon_precision)p), i);
            else
                CHECK(same_float(y[i], want),
                              "%s element %zu: %a, want %a",
                              muon_precision_name((muon_precision)p), i,
                              (double)y[i], (double)want);
        }
    }
    /* n = 0 touches nothing. */
    y[0] = 1.1f;
    muon_round_array(MUON_BF16, y, 0);
    ck_assert_uint_eq(bits(y[0]), bits(1.1f));
    free(x);
    free(y);
}
END_TEST

START_TEST(test_round_float_identity_for_native)
{
    const uint32_t pats[] = {0x3f8ccccdu, 0x00000001u, 0x7f7fffffu,
                             0x7fc00001u, 0x80000000u};
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++) {
        ck_assert_uint_eq(bits(muon_round_float(MUON_FP32, from_bits(pats[i]))),
                          pats[i]);
        ck_assert_uint_eq(bits(muon_round_float(MUON_FP64, from_bits(pats[i]))),
                          pats[i]);
    }
}
END_TEST

static int err_calls, err_status;
static char err_reason[1024];
static void
count_handler(const char *reason, const char *file, int line, int status)
{
    (void)file;
    (void)line;
    err_calls++;
    err_status = status;
    snprintf(err_reason, sizeof err_reason, "%s", reason);
}

START_TEST(test_names_round_trip)
{
    const char *want[MUON_NPRECISIONS] = {"fp64", "fp32", "bf16", "fp16"};
    for (int p = 0; p < MUON_NPRECISIONS; p++) {
        const char *n = muon_precision_name((muon_precision)p);
        ck_assert_str_eq(n, want[p]);
        muon_precision got = (muon_precision)-1;
        ck_assert_int_eq(muon_precision_by_name(n, &got), MUON_SUCCESS);
        ck_assert_int_eq(got, p);
    }
    ck_assert_ptr_nonnull(muon_precision_name((muon_precision)MUON_NPRECISIONS));
    ck_assert_ptr_nonnull(muon_precision_name((muon_precision)-1));
}
END_TEST

START_TEST(test_names_unknown)
{
    const char *bad[] = {"fp8", "", "bf16 ", "float16", "fp6", "FP32x", NULL};
    muon_set_error_handler(count_handler);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err_calls = 0;
        muon_precision got = MUON_FP32;
        int rc = muon_precision_by_name(bad[i], &got);
        CHECK(rc == MUON_EUNKNOWN, "'%s': rc %d", bad[i] ? bad[i] : "NULL",
                      rc);
        ck_assert_int_eq(err_calls, 1);
        ck_assert_int_eq(err_status, MUON_EUNKNOWN);
        ck_assert_int_eq(got, MUON_FP32); /* untouched on failure */
        /* The message lists the valid names. */
        for (int p = 0; p < MUON_NPRECISIONS; p++)
            CHECK(strstr(err_reason,
                                 muon_precision_name((muon_precision)p)),
                          "message '%s' does not list %s", err_reason,
                          muon_precision_name((muon_precision)p));
    }
    muon_set_error_handler(NULL);
}
END_TEST

START_TEST(test_unit_roundoff)
{
    /* u = 2^-p with p the significand precision (53, 24, 8, 11 bits),
     * written as decimal constants, not hex copies of the code. */
    const double want[MUON_NPRECISIONS] = {
        1.1102230246251565404e-16, 5.9604644775390625e-08,
        0.00390625, 0.00048828125};
    for (int p = 0; p < MUON_NPRECISIONS; p++)
        CHECK(muon_precision_unit_roundoff((muon_precision)p) ==
                          want[p],
                      "%s: u = %g", muon_precision_name((muon_precision)p),
                      muon_precision_unit_roundoff((muon_precision)p));
    /* u is what the rounding does: 1 + u is a tie that goes to 1, 1 + 2u is
     * representable, and no random value moves by more than u relatively. */
    for (int p = MUON_BF16; p <= MUON_FP16; p++) {
        double u = muon_precision_unit_roundoff((muon_precision)p);
        ck_assert(muon_round_float((muon_precision)p, (float)(1 + u)) == 1.0f);
        ck_assert(muon_round_float((muon_precision)p, (float)(1 + 2 * u)) ==
                  (float)(1 + 2 * u));
        double worst = 0;
        for (int i = 0; i < 100000; i++) {
            /* normal range of both formats: [2^-14, 2^15) */
            double x = ldexp(1.0 + (double)(next_u64() >> 11) * 0x1p-53,
                             (int)(next_u64() % 29) - 14);
            float r = muon_round_float((muon_precision)p, (float)x);
            double rel = fabs((double)r - (double)(float)x) / (double)(float)x;
            if (rel > worst)
                worst = rel;
        }
        CHECK(worst <= u, "%s: relative error %g > u = %g",
                      muon_precision_name((muon_precision)p), worst, u);
        CHECK(worst > u / 2, "%s: relative error %g suspiciously small",
                      muon_precision_name((muon_precision)p), worst);
    }
}
END_TEST

static Suite *
precision_suite(void)
{
    Suite *s = suite_create("precision");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_bf16_cases, 0,
                        (int)(sizeof bf16_cases / sizeof bf16_cases[0]));
    tcase_add_test(tc, test_bf16_nan);
    tcase_add_test(tc, test_bf16_exhaustive_identity);
    tcase_add_test(tc, test_bf16_every_binade_vs_reference);
    tcase_add_test(tc, test_bf16_random_error_bound);
    tcase_add_loop_test(tc, test_fp16_cases, 0,
                        (int)(sizeof fp16_cases / sizeof fp16_cases[0]));
    tcase_add_test(tc, test_fp16_nan);
    tcase_add_test(tc, test_fp16_exhaustive_identity_and_midpoints);
    tcase_add_test(tc, test_fp16_random_vs_reference);
    tcase_add_test(tc, test_round_array);
    tcase_add_test(tc, test_round_float_identity_for_native);
    tcase_add_test(tc, test_names_round_trip);
    tcase_add_test(tc, test_names_unknown);
    tcase_add_test(tc, test_unit_roundoff);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return test_run_suite(precision_suite());
}
