/* lowp_loops.c: the vectorised loops of lowp.c for one instruction set,
 * each returning how many leading elements it did (a multiple of 8; the
 * scalar code in lowp.c does the rest).  Included by lowp.c with LTARGET
 * (the function attribute), LSFX (the name suffix) and LBF16(x) (8 floats
 * rounded to bf16, bit-identical to muon_round_bf16) defined. */
#define LCAT2(a, b) a##_##b
#define LCAT(a, b) LCAT2(a, b)
#define LFN(name) LCAT(name, LSFX)

LTARGET static inline __m256
LFN(v_rnd)(muon_precision p, __m256 x)
{
    return p == MUON_BF16 ? LBF16(x) : p == MUON_FP16 ? v_fp16(x) : x;
}

LTARGET static size_t
LFN(round_vec)(muon_precision p, float *x, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(x + i, LFN(v_rnd)(p, _mm256_loadu_ps(x + i)));
    return i;
}

LTARGET static size_t
LFN(axpy_vec)(muon_precision p, float a, float *x, const float *y, size_t n)
{
    __m256 va = _mm256_set1_ps(a);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 ax = LFN(v_rnd)(p, _mm256_mul_ps(va, _mm256_loadu_ps(x + i)));
        __m256 yy = LFN(v_rnd)(p, _mm256_loadu_ps(y + i));
        _mm256_storeu_ps(x + i, LFN(v_rnd)(p, _mm256_add_ps(ax, yy)));
    }
    return i;
}

LTARGET static size_t
LFN(comb_vec)(muon_precision p, float b, float c, const float *A, float *B,
         size_t n)
{
    __m256 vb = _mm256_set1_ps(b), vc = _mm256_set1_ps(c);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 u = LFN(v_rnd)(p, _mm256_mul_ps(vb, _mm256_loadu_ps(A + i)));
        __m256 v = u;
        if (c != 0.0f) {
            __m256 bb = LFN(v_rnd)(p, _mm256_loadu_ps(B + i));
            v = LFN(v_rnd)(p, _mm256_add_ps(u, LFN(v_rnd)(p, _mm256_mul_ps(vc, bb))));
        }
        _mm256_storeu_ps(B + i, v);
    }
    return i;
}

LTARGET static size_t
LFN(scale_vec)(muon_precision p, const float *x, size_t n, double k, float *y)
{
    const __m256d vk = _mm256_set1_pd(k);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128 lo = _mm256_cvtpd_ps(
            _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i)), vk));
        __m128 hi = _mm256_cvtpd_ps(
            _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)), vk));
        _mm256_storeu_ps(y + i, LFN(v_rnd)(p, _mm256_set_m128(hi, lo)));
    }
    return i;
}

#undef LFN
#undef LCAT
#undef LCAT2
