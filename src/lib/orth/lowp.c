/* lowp.c: the elementwise passes of the orthogonalizers, fused and
 * vectorised: emulated bf16/fp16 rounding (bit-identical to
 * muon_round_float), the same passes on bf16 storage for native products,
 * the front end's scans of fp32 input, blocked mirroring of symmetric
 * matrices.
 *
 * Each emulated pass rounds exactly where the op-by-op definition in poly.c
 * rounds; the AVX2/F16C versions are selected at run time (the scalar ones
 * remain for other CPUs and for the tail of each run) and give the same bits:
 * bf16 rounding is the same integer arithmetic, and F16C's vcvtps2ph with
 * round-to-nearest-even is IEEE binary16 rounding, as is (_Float16)x.
 */
#include <immintrin.h>
#include <pthread.h>
#include <string.h>

#include "core/omp_pragma.h"
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
/* Without FMA: GCC contracts a vector multiply and add into one fused
 * operation where it may, and the combination pass must give the bits of
 * the scalar code (built without FMA) exactly. */
#define VEC_NOFMA __attribute__((target("avx2")))

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

/* Stores the high halves of 8 bf16-valued floats. */
VEC_TARGET static inline void
v_store_bits(uint16_t *h, __m256 x)
{
    __m256i u = _mm256_srli_epi32(_mm256_castps_si256(x), 16);
    __m128i lo = _mm256_castsi256_si128(u), hi = _mm256_extracti128_si256(u, 1);
    _mm_storeu_si128((__m128i *)h, _mm_packus_epi32(lo, hi));
}

/* The floats of 8 bf16 bit patterns. */
VEC_TARGET static inline __m256
v_load_bits(const uint16_t *h)
{
    __m256i u = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)h));
    return _mm256_castsi256_ps(_mm256_slli_epi32(u, 16));
}

/* AVX512-BF16's conversion rounds to nearest even in one instruction but
 * flushes subnormals to zero (and reads them as zero): a vector holding a
 * subnormal takes the integer route, so the result stays bit-identical to
 * muon_round_bf16. */
#define VEC_BF16HW                                                             \
    __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,"         \
                          "avx512dq,avx512bf16")))

VEC_BF16HW static inline __m256
v_bf16_hw(__m256 x)
{
    const __m256i u = _mm256_castps_si256(x);
    unsigned sub =
        _mm256_test_epi32_mask(u, _mm256_set1_epi32(0x007fffff)) &
        (unsigned)~_mm256_test_epi32_mask(u, _mm256_set1_epi32(0x7f800000));
    if (__builtin_expect(sub != 0, 0))
        return v_bf16(x);
    __m128i h = (__m128i)_mm256_cvtneps_pbh(x);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

/* The instruction set the passes use: the best the CPU has, unless a test
 * asked for less (muon_lowp_set_isa).  Detected once (pthread_once: the
 * first pass may run on several threads of a team at once). */
static int isa_cpu = MUON_ISA_SCALAR, isa_used = -1;
static pthread_once_t isa_once = PTHREAD_ONCE_INIT;

static void
isa_detect(void)
{
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") &&
               __builtin_cpu_supports("fma") &&
               __builtin_cpu_supports("f16c");
    int hw = avx2 && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512bf16");
    isa_cpu = hw ? MUON_ISA_BF16HW : avx2 ? MUON_ISA_AVX2 : MUON_ISA_SCALAR;
    isa_used = isa_cpu;
}

static int
isa(void)
{
    pthread_once(&isa_once, isa_detect);
    return isa_used;
}

int
muon_lowp_set_isa(int level)
{
    int prev = isa();
    isa_used = level < 0 ? isa_cpu : level > isa_cpu ? isa_cpu : level;
    return prev;
}

static int
have_vec(void)
{
    return isa() >= MUON_ISA_AVX2;
}

/* The rounding loops, once per instruction set. */
#define LTARGET VEC_TARGET
#define LSFX avx2
#define LBF16 v_bf16
#include "lowp_loops.c"
#undef LTARGET
#undef LSFX
#undef LBF16
#define LTARGET VEC_BF16HW
#define LSFX hw
#define LBF16 v_bf16_hw
#include "lowp_loops.c"
#undef LTARGET
#undef LSFX
#undef LBF16

/* Picks a loop's instruction set: 0 (none: scalar code only) or the
 * loop's count of elements done. */
#define LOOP(name, ...)                                                        \
    (isa() >= MUON_ISA_BF16HW ? name##_hw(__VA_ARGS__)                         \
     : have_vec()            ? name##_avx2(__VA_ARGS__)                        \
                             : 0)

/* x = R(x). */
void
muon_lowp_round(muon_precision p, float *x, size_t n)
{
    size_t i = LOOP(round_vec, p, x, n);
    for (; i < n; i++)
        x[i] = rnd(p, x[i]);
}

/* x = R(R(a x) + R(y)). */
void
muon_lowp_axpy(muon_precision p, float a, float *x, const float *y,
               size_t n)
{
    size_t i = LOOP(axpy_vec, p, a, x, y, n);
    for (; i < n; i++) {
        float ax = rnd(p, a * x[i]);
        x[i] = rnd(p, ax + rnd(p, y[i]));
    }
}

/* B = R(R(b A) + R(c R(B)))  (c != 0)  or  B = R(b A)  (c == 0). */
void
muon_lowp_comb(muon_precision p, float b, float c, const float *A, float *B,
               size_t n)
{
    size_t i = LOOP(comb_vec, p, b, c, A, B, n);
    for (; i < n; i++) {
        float u = rnd(p, b * A[i]);
        B[i] = c != 0.0f ? rnd(p, u + rnd(p, c * rnd(p, B[i]))) : u;
    }
}

/* ---- native bf16 passes: bf16 bit patterns in and out ----------------- *
 * The rounding points are those of the emulated passes above; the
 * products' results arrive already rounded (linalg.h: sbgemm), so R(y) is y. */

static inline float
bf16_float(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

VEC_TARGET static size_t
bf16_store_vec(uint16_t *h, const float *x, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        v_store_bits(h + i, _mm256_loadu_ps(x + i));
    return i;
}

void
muon_bf16_store(uint16_t *h, const float *x, size_t n)
{
    size_t i = have_vec() ? bf16_store_vec(h, x, n) : 0;
    for (; i < n; i++)
        h[i] = bf16_bits(x[i]);
}

VEC_TARGET static size_t
bf16_load_vec(float *x, const uint16_t *h, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(x + i, v_load_bits(h + i));
    return i;
}

void
muon_bf16_load(float *x, const uint16_t *h, size_t n)
{
    size_t i = have_vec() ? bf16_load_vec(x, h, n) : 0;
    for (; i < n; i++)
        x[i] = bf16_float(h[i]);
}

VEC_TARGET static size_t
bf16_axpy_vec(float a, uint16_t *x, const uint16_t *y, size_t n)
{
    __m256 va = _mm256_set1_ps(a);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 ax = v_bf16(_mm256_mul_ps(va, v_load_bits(x + i)));
        v_store_bits(x + i, v_bf16(_mm256_add_ps(ax, v_load_bits(y + i))));
    }
    return i;
}

VEC_TARGET static size_t
bf16_comb_vec(float b, float c, const uint16_t *A, uint16_t *B, size_t n)
{
    __m256 vb = _mm256_set1_ps(b), vc = _mm256_set1_ps(c);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = v_bf16(_mm256_mul_ps(vb, v_load_bits(A + i)));
        if (c != 0.0f)
            v = v_bf16(_mm256_add_ps(
                v, v_bf16(_mm256_mul_ps(vc, v_load_bits(B + i)))));
        v_store_bits(B + i, v);
    }
    return i;
}

/* The same two loops 16 wide for AVX512-BF16, the conversion's bits used
 * as they come (no round trip through a float where none is needed). */
VEC_BF16HW static inline __m256i
w_bits(__m512 x) /* 16 floats rounded to bf16: their bit patterns */
{
    const __m512i u = _mm512_castps_si512(x);
    __mmask16 sub = _mm512_kandn(
        _mm512_test_epi32_mask(u, _mm512_set1_epi32(0x7f800000)),
        _mm512_test_epi32_mask(u, _mm512_set1_epi32(0x007fffff)));
    if (__builtin_expect(sub != 0, 0)) { /* a subnormal: see v_bf16_hw */
        uint16_t h[16];
        v_store_bits(h, v_bf16(_mm512_castps512_ps256(x)));
        v_store_bits(h + 8, v_bf16(_mm512_extractf32x8_ps(x, 1)));
        return _mm256_loadu_si256((const __m256i *)h);
    }
    return (__m256i)_mm512_cvtneps_pbh(x);
}

VEC_BF16HW static inline __m512
w_float(__m256i h) /* the floats of 16 bf16 bit patterns */
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

VEC_BF16HW static inline __m512
w_load(const uint16_t *h)
{
    return w_float(_mm256_loadu_si256((const __m256i *)h));
}

VEC_BF16HW static size_t
bf16_axpy_w(float a, uint16_t *x, const uint16_t *y, size_t n)
{
    const __m512 va = _mm512_set1_ps(a);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 ax = w_float(w_bits(_mm512_mul_ps(va, w_load(x + i))));
        _mm256_storeu_si256((__m256i *)(x + i),
                            w_bits(_mm512_add_ps(ax, w_load(y + i))));
    }
    return i;
}

VEC_BF16HW static size_t
bf16_comb_w(float b, float c, const uint16_t *A, uint16_t *B, size_t n)
{
    const __m512 vb = _mm512_set1_ps(b), vc = _mm512_set1_ps(c);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i v = w_bits(_mm512_mul_ps(vb, w_load(A + i)));
        if (c != 0.0f)
            v = w_bits(_mm512_add_ps(
                w_float(v), w_float(w_bits(_mm512_mul_ps(vc, w_load(B + i))))));
        _mm256_storeu_si256((__m256i *)(B + i), v);
    }
    return i;
}

/* Native loops: 16 wide with AVX512-BF16, else 8 wide, else none. */
#define NATIVE_LOOP(name, ...)                                                 \
    (isa() >= MUON_ISA_BF16HW ? name##_w(__VA_ARGS__)                          \
     : have_vec()            ? name##_vec(__VA_ARGS__)                         \
                             : 0)

/* The native passes run in a thread whose OpenMP team (oneDNN's) is up
 * and spinning between products: large ones are split across it.  Each
 * thread's part starts at a multiple of 16 elements. */
#define NATIVE_PAR_MIN 65536

static void
omp_part(size_t n, size_t *lo, size_t *hi)
{
    muon_omp_share(n, muon_omp_thread(), muon_omp_team(), lo, hi);
}

/* Elements [lo, hi) of muon_bf16_axpy. */
static void
bf16_axpy_range(float a, uint16_t *x, const uint16_t *y, size_t lo,
                size_t hi)
{
    size_t i = lo + NATIVE_LOOP(bf16_axpy, a, x + lo, y + lo, hi - lo);
    for (; i < hi; i++) {
        float ax = rnd(MUON_BF16, a * bf16_float(x[i]));
        x[i] = bf16_bits(rnd(MUON_BF16, ax + bf16_float(y[i])));
    }
}

/* Below NATIVE_PAR_MIN a plain branch, not the pragma's if clause: an
 * inactive parallel region still costs libgomp a team, and batch workers
 * run these passes on small matrices thousands of times.  (The serial
 * branch takes every element: in a batch worker that is itself a thread
 * of oneDNN's team, the team's numbers are not this pass's.) */
void
muon_bf16_axpy(float a, uint16_t *x, const uint16_t *y, size_t n)
{
    if (n >= NATIVE_PAR_MIN) {
        OMP(omp parallel)
        {
            size_t lo, hi;
            omp_part(n, &lo, &hi);
            bf16_axpy_range(a, x, y, lo, hi);
        }
    } else {
        bf16_axpy_range(a, x, y, 0, n);
    }
}

/* Row i of muon_bf16_comb_sym, from the aligned column at or left of the
 * diagonal: the few lower-triangle elements combined on the way are
 * overwritten by the mirror after, and the row needs no scalar head. */
static void
bf16_comb_row(uint16_t *B, const uint16_t *A, size_t n, float b, float c,
              size_t i)
{
    size_t j0 = i & ~(size_t)15;
    const uint16_t *a = A + i * n;
    uint16_t *bb = B + i * n;
    size_t j = j0 + NATIVE_LOOP(bf16_comb, b, c, a + j0, bb + j0, n - j0);
    for (; j < n; j++) {
        float u = rnd(MUON_BF16, b * bf16_float(a[j]));
        if (c != 0.0f)
            u = rnd(MUON_BF16, u + rnd(MUON_BF16, c * bf16_float(bb[j])));
        bb[j] = bf16_bits(u);
    }
}

void
muon_bf16_comb_sym(uint16_t *B, const uint16_t *A, size_t n, float b,
                   float c)
{
    if (n * n >= 2 * NATIVE_PAR_MIN) {
        OMP(omp parallel for schedule(dynamic, 16))
        for (size_t i = 0; i < n; i++)
            bf16_comb_row(B, A, n, b, c, i);
    } else {
        for (size_t i = 0; i < n; i++)
            bf16_comb_row(B, A, n, b, c, i);
    }
    muon_mirror_u16(B, n);
}

/* ---- front-end passes over fp32 input (front.c) ------------------------ */

/* On the bit patterns: |x| is the pattern without its sign bit, ordered as
 * the magnitudes; a pattern >= 0x7f800000 is Inf or NaN. */
#define ABS_BITS 0x7fffffffu
#define INF_BITS 0x7f800000u

VEC_TARGET static size_t
scan_vec(const float *x, size_t n, uint32_t *mx, size_t *bad, double *sum)
{
    const __m256i absm = _mm256_set1_epi32((int)ABS_BITS);
    const __m256i lim = _mm256_set1_epi32((int)(INF_BITS - 1));
    __m256i vmx = _mm256_setzero_si256(), vbad = _mm256_setzero_si256();
    __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i u = _mm256_loadu_si256((const __m256i *)(x + i));
        __m256i au = _mm256_and_si256(u, absm);
        vmx = _mm256_max_epu32(vmx, au);
        /* au > INF_BITS - 1 (both below 2^31: the signed compare is right);
         * the mask is -1 per bad lane. */
        vbad = _mm256_sub_epi32(vbad, _mm256_cmpgt_epi32(au, lim));
        __m256 v = _mm256_castsi256_ps(u);
        __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
        __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
        a0 = _mm256_fmadd_pd(lo, lo, a0);
        a1 = _mm256_fmadd_pd(hi, hi, a1);
    }
    uint32_t m8[8], b8[8];
    double t[4];
    _mm256_storeu_si256((__m256i *)m8, vmx);
    _mm256_storeu_si256((__m256i *)b8, vbad);
    _mm256_storeu_pd(t, _mm256_add_pd(a0, a1));
    for (int l = 0; l < 8; l++) {
        *mx = m8[l] > *mx ? m8[l] : *mx;
        *bad += b8[l];
    }
    *sum += (t[0] + t[1]) + (t[2] + t[3]);
    return i;
}

size_t
muon_scan_f32(const float *x, size_t n, float *maxabs, double *sumsq)
{
    uint32_t mx = 0;
    size_t bad = 0;
    double sum = 0.0;
    /* Per-lane counts are 32-bit: chunks of 2^30 keep them exact. */
    const size_t chunk = (size_t)1 << 30;
    size_t i = 0;
    if (have_vec())
        for (size_t c0 = 0; c0 < n; c0 += chunk)
            i = c0 + scan_vec(x + c0, n - c0 < chunk ? n - c0 : chunk, &mx,
                              &bad, &sum);
    for (; i < n; i++) {
        uint32_t u;
        memcpy(&u, x + i, sizeof u);
        u &= ABS_BITS;
        mx = u > mx ? u : mx;
        bad += u >= INF_BITS;
        sum += (double)x[i] * x[i];
    }
    memcpy(maxabs, &mx, sizeof mx);
    *sumsq = sum;
    return bad;
}

void
muon_scale_f32(muon_precision p, const float *x, size_t n, double k,
               float *y)
{
    size_t i = LOOP(scale_vec, p, x, n, k, y);
    for (; i < n; i++)
        y[i] = rnd(p, (float)((double)x[i] * k));
}

/* Blocked copies of the upper triangle into the lower one: 64 x 64 tiles
 * keep both the rows read and the columns written in cache (a plain column
 * loop misses the cache and the TLB on every write for n >= 1024). */
#define MIRROR_TILE 64
/* The vectorised symmetric passes (mirror, combination) of an n x n matrix
 * from this size on run their tile rows on the OpenMP team, which the
 * symmetric products around them have just used (an n^3 / 2 syrk from
 * n = 512 is at the openblas backend's team threshold, and oneDNN's team
 * is always up).  Below it, where OpenBLAS's own threads may be spinning,
 * a team would contend with them. */
#define SYM_PAR_MIN 512
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

/* dst (8 x 8, leading dimension ld) = src^T. */
VEC_NOFMA static inline void
transpose8(const float *src, float *dst, size_t ld)
{
    __m256 r[8], t[8];
    for (int k = 0; k < 8; k++)
        r[k] = _mm256_loadu_ps(src + k * ld);
    for (int k = 0; k < 8; k += 2) {
        t[k] = _mm256_unpacklo_ps(r[k], r[k + 1]);
        t[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
    }
    for (int k = 0; k < 8; k += 4) {
        r[k] = _mm256_shuffle_ps(t[k], t[k + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[k + 1] = _mm256_shuffle_ps(t[k], t[k + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[k + 2] = _mm256_shuffle_ps(t[k + 1], t[k + 3],
                                     _MM_SHUFFLE(1, 0, 1, 0));
        r[k + 3] = _mm256_shuffle_ps(t[k + 1], t[k + 3],
                                     _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int k = 0; k < 4; k++) {
        _mm256_storeu_ps(dst + k * ld,
                         _mm256_permute2f128_ps(r[k], r[k + 4], 0x20));
        _mm256_storeu_ps(dst + (k + 4) * ld,
                         _mm256_permute2f128_ps(r[k], r[k + 4], 0x31));
    }
}

/* dst (8 x 8 halves, leading dimension ld) = src^T: three rounds of
 * interleaving, 16-, 32- and 64-bit. */
VEC_TARGET static inline void
transpose8_u16(const uint16_t *src, uint16_t *dst, size_t ld)
{
    __m128i r[8], t[8];
    for (int k = 0; k < 8; k++)
        r[k] = _mm_loadu_si128((const __m128i *)(src + k * ld));
    for (int k = 0; k < 8; k += 2) { /* pairs of rows, by column */
        t[k / 2] = _mm_unpacklo_epi16(r[k], r[k + 1]);     /* cols 0-3 */
        t[4 + k / 2] = _mm_unpackhi_epi16(r[k], r[k + 1]); /* cols 4-7 */
    }
    for (int h = 0; h < 8; h += 4) { /* quads of rows */
        r[h] = _mm_unpacklo_epi32(t[h], t[h + 1]);     /* rows 0-3 */
        r[h + 1] = _mm_unpackhi_epi32(t[h], t[h + 1]);
        r[h + 2] = _mm_unpacklo_epi32(t[h + 2], t[h + 3]); /* rows 4-7 */
        r[h + 3] = _mm_unpackhi_epi32(t[h + 2], t[h + 3]);
    }
    /* r[h + q] (q = 0, 1) holds columns h + 2q and h + 2q + 1 of rows
     * 0-3, and r[h + 2 + q] the same columns of rows 4-7. */
    for (int h = 0; h < 8; h += 4)
        for (int q = 0; q < 2; q++) {
            int col = h + 2 * q;
            _mm_storeu_si128((__m128i *)(dst + col * ld),
                             _mm_unpacklo_epi64(r[h + q], r[h + 2 + q]));
            _mm_storeu_si128((__m128i *)(dst + (col + 1) * ld),
                             _mm_unpackhi_epi64(r[h + q], r[h + 2 + q]));
        }
}

/* The strictly-lower 8 x 8 blocks of the first n8 rows, transposed from the
 * upper ones, in the same 64 x 64 tiles as MIRROR_BODY; the rest (diagonal
 * blocks, rows past n8) is left to MIRROR_REST. */
#define MIRROR_VEC_ROW(S, n, n8, ib, TRANSPOSE)                                \
    for (size_t jb = 0; jb <= (ib); jb += MIRROR_TILE) {                       \
        size_t ie = (ib) + MIRROR_TILE < (n8) ? (ib) + MIRROR_TILE : (n8);     \
        for (size_t i0 = (ib); i0 < ie; i0 += 8) {                             \
            size_t je = jb + MIRROR_TILE < i0 ? jb + MIRROR_TILE : i0;         \
            for (size_t j0 = jb; j0 < je; j0 += 8)                             \
                TRANSPOSE((S) + j0 * (n) + i0, (S) + i0 * (n) + j0, (n));      \
        }                                                                      \
    }
/* The tile rows on the team only from SYM_PAR_MIN: below it not even an
 * inactive parallel region is opened (each costs libgomp a team, and batch
 * workers run these passes at 128 x 128 thousands of times). */
#define MIRROR_VEC_BODY(S, n, n8, TRANSPOSE)                                   \
    if ((n) >= SYM_PAR_MIN) {                                                  \
        OMP(omp parallel for schedule(dynamic, 1))                             \
        for (size_t ib = 0; ib < (n8); ib += MIRROR_TILE)                      \
            MIRROR_VEC_ROW(S, n, n8, ib, TRANSPOSE)                            \
    } else {                                                                   \
        for (size_t ib = 0; ib < (n8); ib += MIRROR_TILE)                      \
            MIRROR_VEC_ROW(S, n, n8, ib, TRANSPOSE)                            \
    }

/* Rows below n8: every column; the others: their diagonal block. */
#define MIRROR_REST(S, n, n8)                                                  \
    for (size_t i = 0; i < (n); i++) {                                         \
        size_t j0 = i < (n8) ? i & ~(size_t)7 : 0;                             \
        for (size_t j = j0; j < i; j++)                                        \
            (S)[i * (n) + j] = (S)[j * (n) + i];                               \
    }

VEC_TARGET static void
mirror_vec(float *S, size_t n, size_t n8)
{
    MIRROR_VEC_BODY(S, n, n8, transpose8)
}

VEC_TARGET static void
mirror_vec_u16(uint16_t *S, size_t n, size_t n8)
{
    MIRROR_VEC_BODY(S, n, n8, transpose8_u16)
}

/* The mirror of one element type: the vectorised blocks, then the rest. */
#define MIRROR_VEC(S, n, VEC)                                                  \
    do {                                                                       \
        if (!have_vec()) {                                                     \
            MIRROR_BODY(S, n)                                                  \
            break;                                                             \
        }                                                                      \
        size_t n8 = (n) & ~(size_t)7;                                          \
        VEC(S, n, n8);                                                         \
        MIRROR_REST(S, n, n8)                                                  \
    } while (0)

void
muon_mirror_f32(float *S, size_t n)
{
    MIRROR_VEC(S, n, mirror_vec);
}

void
muon_mirror_u16(uint16_t *S, size_t n)
{
    MIRROR_VEC(S, n, mirror_vec_u16);
}

void
muon_mirror_f64(double *S, size_t n)
{
    MIRROR_BODY(S, n)
}

/* ---- B = a I + b A + c B, symmetric (the fp32/fp64 step of poly.c) ----- */

/* One element of the combination; the diagonal also gets a.  Plain
 * multiplies and adds (no FMA), in the vector body too, so every element
 * is the same expression. */
#define COMB_ELEM(a, b, c, Aij, Bij, diag)                                     \
    ((c) != 0 ? (b) * (Aij) + (c) * (Bij) : (b) * (Aij)) + ((diag) ? (a) : 0)

#define COMB_SYM_BODY(T, B, A, n, a, b, c, i0)                                 \
    for (size_t i = (i0); i < (n); i++)                                        \
        for (size_t j = i; j < (n); j++) {                                     \
            T v = COMB_ELEM(a, b, c, (A)[i * (n) + j], (B)[i * (n) + j],      \
                            i == j);                                           \
            (B)[i * (n) + j] = v;                                              \
            (B)[j * (n) + i] = v;                                              \
        }

void
muon_comb_sym_f64(double *B, const double *A, size_t n, double a, double b,
                  double c)
{
    COMB_SYM_BODY(double, B, A, n, a, b, c, 0)
}

/* Tile row ib of the strictly-upper 8 x 8 blocks of the first n8 rows:
 * combined in place, and their transposes stored into the lower triangle,
 * in 64 x 64 tiles. */
VEC_NOFMA static inline void
comb_sym_row(float *B, const float *A, size_t n, size_t n8, size_t ib,
             float c, __m256 vb, __m256 vc)
{
    for (size_t jb = ib; jb < n8; jb += MIRROR_TILE) {
        size_t ie = ib + MIRROR_TILE < n8 ? ib + MIRROR_TILE : n8;
        size_t je = jb + MIRROR_TILE < n8 ? jb + MIRROR_TILE : n8;
        for (size_t i0 = ib; i0 < ie; i0 += 8)
            for (size_t j0 = jb > i0 + 8 ? jb : i0 + 8; j0 < je; j0 += 8) {
                for (size_t k = 0; k < 8; k++) {
                    float *bk = B + (i0 + k) * n + j0;
                    __m256 v = _mm256_mul_ps(
                        vb, _mm256_loadu_ps(A + (i0 + k) * n + j0));
                    if (c != 0)
                        v = _mm256_add_ps(
                            v, _mm256_mul_ps(vc, _mm256_loadu_ps(bk)));
                    _mm256_storeu_ps(bk, v);
                }
                transpose8(B + i0 * n + j0, B + j0 * n + i0, n);
            }
    }
}

/* Every tile row, on the team from SYM_PAR_MIN (as MIRROR_VEC_BODY). */
VEC_NOFMA static void
comb_sym_vec(float *B, const float *A, size_t n, size_t n8, float b, float c)
{
    const __m256 vb = _mm256_set1_ps(b), vc = _mm256_set1_ps(c);
    if (n >= SYM_PAR_MIN) {
        OMP(omp parallel for schedule(dynamic, 1))
        for (size_t ib = 0; ib < n8; ib += MIRROR_TILE)
            comb_sym_row(B, A, n, n8, ib, c, vb, vc);
    } else {
        for (size_t ib = 0; ib < n8; ib += MIRROR_TILE)
            comb_sym_row(B, A, n, n8, ib, c, vb, vc);
    }
}

void
muon_comb_sym_f32(float *B, const float *A, size_t n, float a, float b,
                  float c)
{
    if (!have_vec()) {
        COMB_SYM_BODY(float, B, A, n, a, b, c, 0)
        return;
    }
    size_t n8 = n & ~(size_t)7;
    comb_sym_vec(B, A, n, n8, b, c);
    /* The rest: each row's diagonal block and the columns past n8, then
     * the rows past n8. */
    for (size_t i = 0; i < n8; i++) {
        size_t de = (i & ~(size_t)7) + 8;
        for (size_t j = i; j < n; j = j + 1 == de ? n8 : j + 1) {
            float v = COMB_ELEM(a, b, c, A[i * n + j], B[i * n + j], i == j);
            B[i * n + j] = v;
            B[j * n + i] = v;
        }
    }
    COMB_SYM_BODY(float, B, A, n, a, b, c, n8)
}
