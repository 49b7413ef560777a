/* synth.c: test matrices G = scale * U diag(s) V^T with Haar U, V and a
 * prescribed spectrum s (see muon/synth.h). */
#include "muon/synth.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "gauss.h"
#include "muon/names.h"
#include "muon/status.h"

_Static_assert(sizeof(unsigned long) == sizeof(size_t),
               "seeds are parsed as size_t");

static const char *const spectrum_names[MUON_NSPECTRA] = {
    "gaussian", "geometric", "powerlaw", "lowrank", "clustered"};

const char *
muon_spectrum_name(muon_spectrum s)
{
    return (unsigned)s < MUON_NSPECTRA ? spectrum_names[s] : "?";
}

void
muon_synth_default_spec(muon_synth_spec *spec)
{
    *spec = (muon_synth_spec){.m = 64,
                              .n = 64,
                              .spectrum = MUON_SPECTRUM_GEOMETRIC,
                              .cond = 1e3,
                              .alpha = 1.0,
                              .rank = 0,
                              .jitter = 1e-2,
                              .scale = 1.0,
                              .seed = 1};
}

static size_t
min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

static size_t
effective_rank(const muon_synth_spec *s)
{
    size_t r = min_size(s->m, s->n);
    return s->rank ? s->rank : (r + 3) / 4;
}

int
muon_synth_validate(const muon_synth_spec *s)
{
    size_t bytes;
    if (s->m < 1 || s->n < 1)
        return MUON_ERROR(MUON_ERANGE,
                          "synth: m and n must be >= 1 (got "
                          "m=%zu, n=%zu)",
                          s->m, s->n);
    if (s->m > INT_MAX || s->n > INT_MAX)
        return MUON_ERROR(MUON_ERANGE,
                          "synth: m and n must be <= %d for "
                          "LAPACK (got m=%zu, n=%zu)",
                          INT_MAX, s->m, s->n);
    if (muon_size_mul3(&bytes, s->m, s->n, sizeof(double)))
        return MUON_ENOMEM;
    if ((unsigned)s->spectrum >= MUON_NSPECTRA)
        return MUON_ERROR(MUON_EINVAL, "synth: invalid spectrum %d",
                          (int)s->spectrum);
    if (!(isfinite(s->cond) && s->cond >= 1))
        return MUON_ERROR(MUON_ERANGE,
                          "synth: cond must be finite and >= 1 "
                          "(got %g)",
                          s->cond);
    if (!(isfinite(s->alpha) && s->alpha >= 0))
        return MUON_ERROR(MUON_ERANGE,
                          "synth: alpha must be finite and >= 0 "
                          "(got %g)",
                          s->alpha);
    if (s->rank > min_size(s->m, s->n))
        return MUON_ERROR(MUON_ERANGE,
                          "synth: rank must be in 1..min(m,n) = "
                          "1..%zu (got %zu)",
                          min_size(s->m, s->n), s->rank);
    if (!(s->jitter >= 0 && s->jitter < 1))
        return MUON_ERROR(MUON_ERANGE,
                          "synth: jitter must be in [0, 1) "
                          "(got %g)",
                          s->jitter);
    if (!(isfinite(s->scale) && s->scale > 0))
        return MUON_ERROR(MUON_ERANGE,
                          "synth: scale must be finite and > 0 "
                          "(got %g)",
                          s->scale);
    return MUON_SUCCESS;
}

/* ---- text form ------------------------------------------------------ */

typedef enum {
    K_M,
    K_N,
    K_SPECTRUM,
    K_COND,
    K_ALPHA,
    K_RANK,
    K_JITTER,
    K_SCALE,
    K_SEED,
    NKEYS
} key_id;

static const char *const key_names[NKEYS + 1] = {
    "m", "n", "spectrum", "cond", "alpha", "rank", "jitter", "scale", "seed",
    NULL};

/* Which spectra a key applies to (bit i = muon_spectrum i); the rest apply
 * to all. */
static unsigned
key_spectra(key_id k)
{
    switch (k) {
    case K_COND:
        return 1u << MUON_SPECTRUM_GEOMETRIC | 1u << MUON_SPECTRUM_LOWRANK |
               1u << MUON_SPECTRUM_CLUSTERED;
    case K_ALPHA:
        return 1u << MUON_SPECTRUM_POWERLAW;
    case K_RANK:
        return 1u << MUON_SPECTRUM_LOWRANK;
    case K_JITTER:
        return 1u << MUON_SPECTRUM_CLUSTERED;
    default:
        return ~0u;
    }
}

static int
parse_size(const char *key, const char *v, size_t *out)
{
    size_t x = 0;
    if (!*v)
        return MUON_ERROR(MUON_EINVAL, "synth: %s has an empty value", key);
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9')
            return MUON_ERROR(MUON_EINVAL,
                              "synth: %s must be a non-negative "
                              "integer in plain decimal digits (got '%s')",
                              key, v);
        if (__builtin_mul_overflow(x, (size_t)10, &x) ||
            __builtin_add_overflow(x, (size_t)(*p - '0'), &x))
            return MUON_ERROR(MUON_ERANGE, "synth: %s=%s is too large", key, v);
    }
    *out = x;
    return MUON_SUCCESS;
}

static int
parse_real(const char *key, const char *v, double *out)
{
    /* strtod also takes "inf", "nan", hex floats and leading spaces; a
     * spec is meant to be read by people, so only decimal notation. */
    if (!*v || strspn(v, "0123456789+-.eE") != strlen(v))
        return MUON_ERROR(MUON_EINVAL,
                          "synth: %s must be a decimal number "
                          "(got '%s')",
                          key, v);
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end)
        return MUON_ERROR(MUON_EINVAL,
                          "synth: %s must be a decimal number "
                          "(got '%s')",
                          key, v);
    if (errno == ERANGE || !isfinite(x))
        return MUON_ERROR(MUON_ERANGE,
                          "synth: %s=%s overflows or underflows "
                          "a double",
                          key, v);
    *out = x;
    return MUON_SUCCESS;
}

static int
set_value(muon_synth_spec *s, key_id k, const char *v)
{
    size_t z;
    int st;
    switch (k) {
    case K_M:
        return parse_size("m", v, &s->m);
    case K_N:
        return parse_size("n", v, &s->n);
    case K_RANK:
        if ((st = parse_size("rank", v, &z)))
            return st;
        if (z == 0)
            return MUON_ERROR(MUON_ERANGE, "synth: rank must be >= 1 (got 0)");
        s->rank = z;
        return MUON_SUCCESS;
    case K_SEED:
        if ((st = parse_size("seed", v, &z)))
            return st;
        s->seed = (unsigned long)z; /* same width (static assert below) */
        return MUON_SUCCESS;
    case K_COND:
        return parse_real("cond", v, &s->cond);
    case K_ALPHA:
        return parse_real("alpha", v, &s->alpha);
    case K_JITTER:
        return parse_real("jitter", v, &s->jitter);
    case K_SCALE:
        return parse_real("scale", v, &s->scale);
    case K_SPECTRUM:
        for (int i = 0; i < MUON_NSPECTRA; i++)
            if (!strcmp(v, spectrum_names[i])) {
                s->spectrum = (muon_spectrum)i;
                return MUON_SUCCESS;
            }
        return MUON_ERROR(MUON_EUNKNOWN,
                          "synth: unknown spectrum '%s' (valid: "
                          "gaussian, geometric, powerlaw, lowrank, clustered)",
                          v);
    case NKEYS:
        break;
    }
    return MUON_ERROR(MUON_EINTERNAL, "synth: key id %d", (int)k);
}

/* Copies [b, e) without surrounding spaces into buf (cap > 0); returns
 * MUON_EINVAL if it does not fit. */
static int
copy_trimmed(const char *b, const char *e, char *buf, size_t cap,
             const char *what)
{
    while (b < e && *b == ' ')
        b++;
    while (e > b && e[-1] == ' ')
        e--;
    if ((size_t)(e - b) >= cap)
        return MUON_ERROR(MUON_EINVAL, "synth: %s '%.*s' is too long", what,
                          (int)(e - b), b);
    memcpy(buf, b, (size_t)(e - b));
    buf[e - b] = '\0';
    return MUON_SUCCESS;
}

int
muon_synth_parse(const char *text, muon_synth_spec *spec)
{
    muon_synth_spec s;
    muon_synth_default_spec(&s);
    unsigned given = 0;
    const char *p = text;
    int st;
    if (!text || !*text)
        return MUON_ERROR(MUON_EINVAL, "synth: empty specification");
    for (;;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        char key[32], val[128];
        if (!eq)
            return MUON_ERROR(MUON_EINVAL,
                              "synth: item '%.*s' is not "
                              "key=value",
                              (int)(end - p), p);
        if ((st = copy_trimmed(p, eq, key, sizeof key, "key")) ||
            (st = copy_trimmed(eq + 1, end, val, sizeof val, "value")))
            return st;
        if (!*key)
            return MUON_ERROR(MUON_EINVAL, "synth: empty key in item '%.*s'",
                              (int)(end - p), p);
        if (!*val)
            return MUON_ERROR(MUON_EINVAL, "synth: %s has an empty value", key);
        size_t ki;
        if ((st = muon_name_lookup("synth key", key, key_names, &ki)))
            return st;
        int k = (int)ki;
        if (given & (1u << k))
            return MUON_ERROR(MUON_EINVAL, "synth: key '%s' given twice", key);
        given |= 1u << k;
        if ((st = set_value(&s, (key_id)k, val)))
            return st;
        if (!*end)
            break;
        p = end + 1;
    }
    for (int k = 0; k < NKEYS; k++)
        if ((given & (1u << k)) &&
            !(key_spectra((key_id)k) & (1u << s.spectrum)))
            return MUON_ERROR(MUON_EINVAL,
                              "synth: key '%s' does not apply to "
                              "spectrum=%s",
                              key_names[k], spectrum_names[s.spectrum]);
    if ((st = muon_synth_validate(&s)))
        return st;
    *spec = s;
    return MUON_SUCCESS;
}

int
muon_synth_format(const muon_synth_spec *s, char *buf, size_t len)
{
    char extra[96] = "";
    switch (s->spectrum) {
    case MUON_SPECTRUM_GEOMETRIC:
        snprintf(extra, sizeof extra, ",cond=%.17g", s->cond);
        break;
    case MUON_SPECTRUM_POWERLAW:
        snprintf(extra, sizeof extra, ",alpha=%.17g", s->alpha);
        break;
    case MUON_SPECTRUM_LOWRANK:
        snprintf(extra, sizeof extra, ",cond=%.17g,rank=%zu", s->cond,
                 effective_rank(s));
        break;
    case MUON_SPECTRUM_CLUSTERED:
        snprintf(extra, sizeof extra, ",cond=%.17g,jitter=%.17g", s->cond,
                 s->jitter);
        break;
    default:
        break;
    }
    return snprintf(buf, len, "m=%zu,n=%zu,spectrum=%s%s,scale=%.17g,seed=%lu",
                    s->m, s->n, muon_spectrum_name(s->spectrum), extra,
                    s->scale, s->seed);
}

/* ---- generation ----------------------------------------------------- */

static int
cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* s (length min(m,n)) without the scale factor. */
static void
unscaled_spectrum(const muon_synth_spec *spec, gsl_rng *rng, double *s)
{
    size_t r = min_size(spec->m, spec->n);
    switch (spec->spectrum) {
    case MUON_SPECTRUM_GEOMETRIC:
    case MUON_SPECTRUM_LOWRANK: {
        size_t k =
            spec->spectrum == MUON_SPECTRUM_LOWRANK ? effective_rank(spec) : r;
        for (size_t i = 0; i < r; i++)
            s[i] = i >= k   ? 0.0
                   : k == 1 ? 1.0
                            : pow(spec->cond, -(double)i / (double)(k - 1));
        break;
    }
    case MUON_SPECTRUM_POWERLAW:
        for (size_t i = 0; i < r; i++)
            s[i] = pow((double)(i + 1), -spec->alpha);
        break;
    case MUON_SPECTRUM_CLUSTERED: {
        size_t top = (r + 1) / 2;
        for (size_t i = 0; i < r; i++)
            s[i] = (i < top ? 1.0 : 1.0 / spec->cond) *
                   (1.0 - spec->jitter * gsl_rng_uniform(rng));
        qsort(s, r, sizeof *s, cmp_desc);
        break;
    }
    case MUON_SPECTRUM_GAUSSIAN:
        break;
    }
}

int
muon_synth_spectrum(const muon_synth_spec *spec, gsl_rng *rng, double *sigma)
{
    int st = muon_synth_validate(spec);
    if (st)
        return st;
    if (spec->spectrum == MUON_SPECTRUM_GAUSSIAN)
        return MUON_ERROR(MUON_EINVAL, "synth: the gaussian spectrum is not "
                                       "prescribed (take it from an SVD of G)");
    unscaled_spectrum(spec, rng, sigma);
    for (size_t i = 0; i < min_size(spec->m, spec->n); i++)
        sigma[i] *= spec->scale;
    return MUON_SUCCESS;
}

int
muon_synth_haar(gsl_rng *rng, size_t m, size_t k, double *Q)
{
    if (k == 0 || k > m || m > INT_MAX)
        return MUON_ERROR(MUON_EINVAL,
                          "synth: Haar matrix needs 1 <= k <= m "
                          "<= INT_MAX (got m=%zu, k=%zu)",
                          m, k);
    double *tau = malloc(k * sizeof *tau);
    if (!tau)
        return MUON_ERROR(MUON_ENOMEM, "synth: out of memory");
    muon_fill_gaussian(rng, Q, m * k);
    int info = LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, (int)m, (int)k, Q, (int)k, tau);
    if (info == 0) {
        /* Householder QR makes R's diagonal sign depend on the data, which
         * biases Q; multiplying column j by sign(R_jj) makes Q Haar.  The
         * signs are saved because dorgqr overwrites R. */
        double *sgn = malloc(k * sizeof *sgn);
        if (!sgn) {
            free(tau);
            return MUON_ERROR(MUON_ENOMEM, "synth: out of memory");
        }
        for (size_t j = 0; j < k; j++)
            sgn[j] = Q[j * k + j] < 0 ? -1.0 : 1.0;
        info = LAPACKE_dorgqr(LAPACK_ROW_MAJOR, (int)m, (int)k, (int)k, Q,
                              (int)k, tau);
        for (size_t i = 0; info == 0 && i < m; i++)
            for (size_t j = 0; j < k; j++)
                Q[i * k + j] *= sgn[j];
        free(sgn);
    }
    free(tau);
    if (info == LAPACK_WORK_MEMORY_ERROR)
        return MUON_ERROR(MUON_ENOMEM, "synth: out of memory in LAPACK");
    if (info != 0)
        return MUON_ERROR(MUON_EINTERNAL, "synth: QR failed (info %d)", info);
    return MUON_SUCCESS;
}

/* Singular values of the row-major m x n matrix G (destroyed), descending.
 * Row-major G is column-major G^T (n x m), which has the same singular
 * values and needs no transposed copy. */
static int
singular_values(size_t m, size_t n, double *G, double *s)
{
    int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', (int)n, (int)m, G, (int)n,
                              s, NULL, 1, NULL, 1);
    if (info > 0)
        return MUON_ERROR(MUON_ENOCONV,
                          "synth: SVD of a %zu x %zu gaussian "
                          "matrix did not converge (info %d)",
                          m, n, info);
    if (info != 0)
        return MUON_ERROR(info == LAPACK_WORK_MEMORY_ERROR ? MUON_ENOMEM
                                                           : MUON_EINTERNAL,
                          "synth: dgesdd failed (info %d)", info);
    return MUON_SUCCESS;
}

int
muon_synth_generate(const muon_synth_spec *spec, double *G, double *sigma)
{
    int st = muon_synth_validate(spec);
    if (st)
        return st;
    size_t m = spec->m, n = spec->n, r = min_size(m, n);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng)
        return MUON_ERROR(MUON_ENOMEM, "synth: cannot allocate the RNG");
    gsl_rng_set(rng, spec->seed);
    double *buf = NULL;

    if (spec->spectrum == MUON_SPECTRUM_GAUSSIAN) {
        muon_fill_gaussian(rng, G, m * n);
        if (sigma) {
            buf = malloc(m * n * sizeof *buf);
            if (!buf) {
                st = MUON_ERROR(MUON_ENOMEM, "synth: out of memory");
                goto done;
            }
            memcpy(buf, G, m * n * sizeof *buf);
            if ((st = singular_values(m, n, buf, sigma)))
                goto done;
        }
    } else {
        /* One block: s (r), U (m x r), V (n x r). */
        buf = malloc((r + m * r + n * r) * sizeof *buf);
        if (!buf) {
            st = MUON_ERROR(MUON_ENOMEM, "synth: out of memory");
            goto done;
        }
        double *s = buf, *U = s + r, *V = U + m * r;
        unscaled_spectrum(spec, rng, s);
        if ((st = muon_synth_haar(rng, m, r, U)) ||
            (st = muon_synth_haar(rng, n, r, V)))
            goto done;
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < r; j++)
                U[i * r + j] *= s[j];
        /* G (m x n) = (U diag(s)) (m x r) * V^T (r x n) */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n,
                    (int)r, 1.0, U, (int)r, V, (int)r, 0.0, G, (int)n);
        if (sigma)
            memcpy(sigma, s, r * sizeof *s);
    }
    /* Last, so that intermediate values stay O(1) whatever the scale. */
    for (size_t i = 0; i < m * n; i++)
        G[i] *= spec->scale;
    if (sigma)
        for (size_t i = 0; i < r; i++)
            sigma[i] *= spec->scale;
done:
    free(buf);
    gsl_rng_free(rng);
    return st;
}
