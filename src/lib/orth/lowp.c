/* lowp.c: the elementwise passes of the polynomial engine, fused and
 * vectorised: emulated bf16/fp16 rounding (bit-identical to
 * muon_round_float), bf16 storage for native products, blocked mirroring of
 * symmetric matrices.
 *
 * Each emulated pass rounds exactly where the op-by-op definition in poly.c
 * rounds; the AVX2/F16C versions are selected at run time (the scalar ones
 * remain for other CPUs and for the tail of each run) and give the same bits:
 * bf16 rounding is the same integer arithmetic, and F16C's vcvtps2ph with
 * round-to-nearest-even is IEEE binary16 rounding, as is (_Float16)x.
 */
#include <immintrin.h>
#include <string.h>

#include "orth_impl.h"

/* ---- scalar reference ------------------------------------------------- */

static inline float
rnd(muon_precision p, float x)
{
    return muon_round_float(p, x);
}

static inline uint16_t
bf16_bits(float x) /* x already a bf16 value: its high half */
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return (uint16_t)(u >> 16);
}

/* ---- AVX2 + F16C ------------------------------------------------------ */

#define VEC_TARGET __attribute__((target("avx2,fma,f16c")))

VEC_TARGET static inline __m256
v_bf16(__m256 x)
{
    __m256i u = _mm256_castps_si256(x);
    const __m256i expm = _mm256_set1_epi32(0x7f800000);
    __m256i special = _mm256_cmpeq_epi32(_mm256_and_si256(u, expm), expm);
    /* Finite: u + 0x7fff + ((u >> 16) & 1); Inf/NaN: keep, set the quiet bit
     * when the mantissa is non-zero. */
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16),
                                   _mm256_set1_epi32(1));
    __m256i fin = _mm256_add_epi32(
        u, _mm256_add_epi32(_mm256_set1_epi32(0x7fff), lsb));
    __m256i mant = _mm256_and_si256(u, _mm256_set1_epi32(0x007fffff));
    __m256i isnan = _mm256_andnot_si256(
        _mm256_cmpeq_epi32(mant, _mm256_setzero_si256()), special);
    __m256i spec = _mm256_or_si256(
        u, _mm256_and_si256(isnan, _mm256_set1_epi32(0x00400000)));
    __m256i r = _mm256_blendv_epi8(fin, spec, special);
    r = _mm256_and_si256(r, _mm256_set1_epi32((int)0xffff0000u));
    return _mm256_castsi256_ps(r);
}

VEC_TARGET static inline __m256
v_fp16(__m256 x)
{
    return _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
}

VEC_TARGET static inline __m256
v_rnd(muon_precision p, __m256 x)
{
    return p == MUON_BF16 ? v_bf16(x) : p == MUON_FP16 ? v_fp16(x) : x;
}

/* Stores the high halves of 8 bf16-valued floats. */
VEC_TARGET static inline void
v_store_bits(uint16_t *h, __m256 x)
{
    __m256i u = _mm256_srli_epi32(_mm256_castps_si256(x), 16);
    __m128i lo = _mm256_castsi256_si128(u), hi = _mm256_extracti128_si256(u, 1);
    _mm_storeu_si128((__m128i *)h, _mm_packus_epi32(lo, hi));
}

static int
have_vec(void)
{
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") &&
                 __builtin_cpu_supports("fma") &&
                 __builtin_cpu_supports("f16c");
    }
    return cached;
}

/* x = R(x); h (optional) = bf16 bits of the result. */
VEC_TARGET static size_t
round_vec(muon_precision p, float *x, uint16_t *h, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = v_rnd(p, _mm256_loadu_ps(x + i));
        _mm256_storeu_ps(x + i, v);
        if (h)
            v_store_bits(h + i, v);
    }
    return i;
}

void
muon_lowp_round(muon_precision p, float *x, uint16_t *h, size_t n)
{
    size_t i = have_vec() ? round_vec(p, x, h, n) : 0;
    for (; i < n; i++) {
        x[i] = rnd(p, x[i]);
        if (h)
            h[i] = bf16_bits(x[i]);
    }
}

/* x = R(R(a x) + R(y)). */
VEC_TARGET static size_t
axpy_vec(muon_precision p, float a, float *x, const float *y, uint16_t *h,
         size_t n)
{
    __m256 va = _mm256_set1_ps(a);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 ax = v_rnd(p, _mm256_mul_ps(va, _mm256_loadu_ps(x + i)));
        __m256 yy = v_rnd(p, _mm256_loadu_ps(y + i));
        __m256 v = v_rnd(p, _mm256_add_ps(ax, yy));
        _mm256_storeu_ps(x + i, v);
        if (h)
            v_store_bits(h + i, v);
    }
    return i;
}

void
muon_lowp_axpy(muon_precision p, float a, float *x, const float *y,
               uint16_t *h, size_t n)
{
    size_t i = have_vec() ? axpy_vec(p, a, x, y, h, n) : 0;
    for (; i < n; i++) {
        float ax = rnd(p, a * x[i]);
        x[i] = rnd(p, ax + rnd(p, y[i]));
        if (h)
            h[i] = bf16_bits(x[i]);
    }
}

/* B = R(R(b A) + R(c R(B)))  (c != 0)  or  B = R(b A)  (c == 0). */
VEC_TARGET static size_t
comb_vec(muon_precision p, float b, float c, const float *A, float *B,
         uint16_t *h, size_t n)
{
    __m256 vb = _mm256_set1_ps(b), vc = _mm256_set1_ps(c);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 u = v_rnd(p, _mm256_mul_ps(vb, _mm256_loadu_ps(A + i)));
        __m256 v = u;
        if (c != 0.0f) {
            __m256 bb = v_rnd(p, _mm256_loadu_ps(B + i));
            v = v_rnd(p, _mm256_add_ps(u, v_rnd(p, _mm256_mul_ps(vc, bb))));
        }
        _mm256_storeu_ps(B + i, v);
        if (h)
            v_store_bits(h + i, v);
    }
    return i;
}

void
muon_lowp_comb(muon_precision p, float b, float c, const float *A, float *B,
               uint16_t *h, size_t n)
{
    size_t i = have_vec() ? comb_vec(p, b, c, A, B, h, n) : 0;
    for (; i < n; i++) {
        float u = rnd(p, b * A[i]);
        B[i] = c != 0.0f ? rnd(p, u + rnd(p, c * rnd(p, B[i]))) : u;
        if (h)
            h[i] = bf16_bits(B[i]);
    }
}

void
muon_bf16_store(uint16_t *h, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h[i] = bf16_bits(x[i]);
}

/* Blocked copies of the upper triangle into the lower one: 64 x 64 tiles
 * keep both the rows read and the columns written in cache (a plain column
 * loop misses the cache and the TLB on every write for n >= 1024). */
#define MIRROR_TILE 64
#define MIRROR_BODY(S, n)                                                      \
    for (size_t ib = 0; ib < (n); ib += MIRROR_TILE)                           \
        for (size_t jb = 0; jb <= ib; jb += MIRROR_TILE) {                     \
            size_t ie = ib + MIRROR_TILE < (n) ? ib + MIRROR_TILE : (n);       \
            for (size_t i = ib; i < ie; i++) {                                 \
                size_t je = jb + MIRROR_TILE < i ? jb + MIRROR_TILE : i;       \
                for (size_t j = jb; j < je; j++)                               \
                    (S)[i * (n) + j] = (S)[j * (n) + i];                       \
            }                                                                  \
        }

void
muon_mirror_f32(float *S, size_t n)
{
    MIRROR_BODY(S, n)
}

void
muon_mirror_f64(double *S, size_t n)
{
    MIRROR_BODY(S, n)
}

void
muon_mirror_u16(uint16_t *S, size_t n)
{
    MIRROR_BODY(S, n)
}
