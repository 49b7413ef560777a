/* npy.c: NumPy .npy reader (versions 1.0-3.0) and writer (1.0 / 2.0) for
 * '<f4' and '<f8' C-order arrays; format per numpy/lib/format.py. */
#include "muon/npy.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "muon/io.h"
#include "muon/status.h"

/* The data is copied byte for byte between file and memory, which is right
 * only when the host stores floats little-endian like '<f4' / '<f8'. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "npy.c assumes a little-endian host");

#define MAGIC "\x93NUMPY"
#define MAGIC_LEN 6
#define ALIGN 64 /* NumPy pads the preamble to a multiple of 64 bytes */
/* NumPy >= 1.23 leaves room for the growth axis to reach 21 digits, so that
 * the header can be rewritten in place when appending. */
#define GROWTH_AXIS_MAX_DIGITS 21
/* numpy.lib.format refuses headers above this many bytes by default
 * (max_header_size); far beyond any header of a <= 4-D array. */
#define MAX_HEADER_LEN 10000u

static size_t
dtype_size(muon_npy_dtype t)
{
    return t == MUON_NPY_F32 ? 4 : 8;
}

char *
muon_npy_shape_str(const muon_npy_array *a, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
#define APPEND(...)                                                            \
    do {                                                                       \
        int k_ = snprintf(buf + used, len - used, __VA_ARGS__);                \
        if (k_ < 0 || (size_t)k_ >= len - used)                                \
            return buf;                                                        \
        used += (size_t)k_;                                                    \
    } while (0)
    APPEND("(");
    for (size_t i = 0; i < a->ndim && i < MUON_NPY_MAXDIM; i++)
        APPEND(i ? ", %zu" : "%zu", a->shape[i]);
    /* Python writes a 1-tuple as "(5,)". */
    APPEND(a->ndim == 1 ? ",)" : ")");
#undef APPEND
    return buf;
}

/* ---- header parsing ------------------------------------------------- */

/* A cursor over the header text, for messages that say where parsing
 * stopped. */
typedef struct {
    const char *s;
    size_t len, pos;
    const char *path;
} cursor;

static void
skip_ws(cursor *c)
{
    while (c->pos < c->len && (c->s[c->pos] == ' ' || c->s[c->pos] == '\t' ||
                               c->s[c->pos] == '\n' || c->s[c->pos] == '\r'))
        c->pos++;
}

static int
syntax_error(const cursor *c, const char *what)
{
    /* Show the header (up to 80 characters) so the user sees what is
     * there; it is ASCII in every file NumPy writes. */
    int show = (int)(c->len < 80 ? c->len : 80);
    while (show > 0 && (c->s[show - 1] == ' ' || c->s[show - 1] == '\n'))
        show--;
    return MUON_ERROR(MUON_EFORMAT,
                      "%s: header is not a valid dict: %s at byte %zu of "
                      "header \"%.*s\"",
                      c->path, what, c->pos, show, c->s);
}

static int
expect_char(cursor *c, char ch, const char *what)
{
    skip_ws(c);
    if (c->pos >= c->len || c->s[c->pos] != ch)
        return syntax_error(c, what);
    c->pos++;
    return MUON_SUCCESS;
}

/* A Python string literal in ' or " quotes, without escapes (none of the
 * strings a valid header holds needs one).  Copied into buf. */
static int
parse_string(cursor *c, char *buf, size_t cap)
{
    skip_ws(c);
    if (c->pos >= c->len || (c->s[c->pos] != '\'' && c->s[c->pos] != '"'))
        return syntax_error(c, "expected a quoted string");
    char q = c->s[c->pos++];
    size_t n = 0;
    while (c->pos < c->len && c->s[c->pos] != q) {
        if (c->s[c->pos] == '\\' || c->s[c->pos] == '\n')
            return syntax_error(c, "unsupported character in a string");
        if (n + 1 < cap)
            buf[n++] = c->s[c->pos];
        else
            return syntax_error(c, "string too long");
        c->pos++;
    }
    if (c->pos >= c->len)
        return syntax_error(c, "unterminated string");
    c->pos++;
    buf[n] = '\0';
    return MUON_SUCCESS;
}

static int
parse_bool(cursor *c, int *out)
{
    skip_ws(c);
    const char *p = c->s + c->pos;
    size_t left = c->len - c->pos;
    if (left >= 4 && !memcmp(p, "True", 4)) {
        *out = 1;
        c->pos += 4;
    } else if (left >= 5 && !memcmp(p, "False", 5)) {
        *out = 0;
        c->pos += 5;
    } else {
        return syntax_error(c, "expected True or False");
    }
    return MUON_SUCCESS;
}

/* A tuple of non-negative Python ints: "()", "(5,)", "(2, 3)", "(2, 3,)".
 * "(5)" is an int, not a tuple, so it is rejected as NumPy would. */
static int
parse_shape(cursor *c, size_t *shape, size_t *ndim)
{
    int st = expect_char(c, '(', "expected '(' to start the shape tuple");
    if (st)
        return st;
    size_t k = 0;
    int trailing_comma = 0;
    for (;;) {
        skip_ws(c);
        if (c->pos < c->len && c->s[c->pos] == ')') {
            c->pos++;
            break;
        }
        if (c->pos >= c->len || c->s[c->pos] < '0' || c->s[c->pos] > '9')
            return syntax_error(c, "expected a non-negative integer in shape");
        size_t v = 0;
        while (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9') {
            if (__builtin_mul_overflow(v, (size_t)10, &v) ||
                __builtin_add_overflow(v, (size_t)(c->s[c->pos] - '0'), &v))
                return MUON_ERROR(MUON_EFORMAT,
                                  "%s: shape dimension %zu overflows size_t",
                                  c->path, k);
            c->pos++;
        }
        /* Python 2 era files may carry long-integer suffixes. */
        if (c->pos < c->len && c->s[c->pos] == 'L')
            c->pos++;
        if (k >= MUON_NPY_MAXDIM)
            return MUON_ERROR(MUON_EFORMAT,
                              "%s: more than %d dimensions are not supported",
                              c->path, MUON_NPY_MAXDIM);
        shape[k++] = v;
        skip_ws(c);
        trailing_comma = 0;
        if (c->pos < c->len && c->s[c->pos] == ',') {
            c->pos++;
            trailing_comma = 1;
        } else if (c->pos < c->len && c->s[c->pos] == ')') {
            c->pos++;
            break;
        } else {
            return syntax_error(c, "expected ',' or ')' in shape");
        }
    }
    if (k == 1 && !trailing_comma)
        return syntax_error(c, "shape '(n)' is not a tuple (write '(n,)')");
    *ndim = k;
    return MUON_SUCCESS;
}

enum { KEY_DESCR = 1, KEY_FORTRAN = 2, KEY_SHAPE = 4 };

static int
parse_header(const char *text, size_t len, const char *path,
             muon_npy_array *out)
{
    cursor c = {text, len, 0, path};
    unsigned seen = 0;
    int fortran = 0;
    char descr[32] = "";
    int st = expect_char(&c, '{', "expected '{'");
    if (st)
        return st;
    for (;;) {
        skip_ws(&c);
        if (c.pos < c.len && c.s[c.pos] == '}') {
            c.pos++;
            break;
        }
        char key[32];
        if ((st = parse_string(&c, key, sizeof key)) ||
            (st = expect_char(&c, ':', "expected ':' after a key")))
            return st;
        unsigned bit = !strcmp(key, "descr")           ? KEY_DESCR
                       : !strcmp(key, "fortran_order") ? KEY_FORTRAN
                       : !strcmp(key, "shape")         ? KEY_SHAPE
                                                       : 0;
        if (!bit)
            return MUON_ERROR(MUON_EFORMAT,
                              "%s: unexpected key '%s' in header (valid: "
                              "'descr', 'fortran_order', 'shape')",
                              path, key);
        if (seen & bit)
            return MUON_ERROR(MUON_EFORMAT,
                              "%s: key '%s' given twice in header", path, key);
        seen |= bit;
        if (bit == KEY_DESCR)
            st = parse_string(&c, descr, sizeof descr);
        else if (bit == KEY_FORTRAN)
            st = parse_bool(&c, &fortran);
        else
            st = parse_shape(&c, out->shape, &out->ndim);
        if (st)
            return st;
        skip_ws(&c);
        if (c.pos < c.len && c.s[c.pos] == ',') {
            c.pos++;
        } else if (c.pos < c.len && c.s[c.pos] == '}') {
            c.pos++;
            break;
        } else {
            return syntax_error(&c, "expected ',' or '}' after a value");
        }
    }
    skip_ws(&c);
    if (c.pos != c.len)
        return syntax_error(&c, "unexpected text after '}'");
    static const char *const names[] = {"descr", "fortran_order", "shape"};
    for (unsigned i = 0; i < 3; i++)
        if (!(seen & (1u << i)))
            return MUON_ERROR(MUON_EFORMAT, "%s: header has no key '%s'", path,
                              names[i]);

    /* '|' marks "byte order not applicable" and never occurs for floats;
     * '=' (native) is normalised away by NumPy before writing. */
    if (!strcmp(descr, "<f8"))
        out->dtype = MUON_NPY_F64;
    else if (!strcmp(descr, "<f4"))
        out->dtype = MUON_NPY_F32;
    else
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: unsupported dtype '%s' (supported: '<f4', "
                          "'<f8': little-endian float32 / float64)",
                          path, descr);
    if (fortran)
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: fortran_order True is not supported (save a "
                          "C-order array: numpy.ascontiguousarray)",
                          path);
    if (out->ndim < 1 || out->ndim > MUON_NPY_MAXDIM)
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: %zu-D arrays are not supported (1 to %d "
                          "dimensions)",
                          path, out->ndim, MUON_NPY_MAXDIM);
    size_t count = 1;
    for (size_t i = 0; i < out->ndim; i++)
        if (__builtin_mul_overflow(count, out->shape[i], &count) ||
            __builtin_mul_overflow(count, dtype_size(out->dtype),
                                   &(size_t){0})) {
            char sh[128];
            return MUON_ERROR(MUON_EFORMAT,
                              "%s: shape %s has more bytes than size_t can "
                              "count",
                              path, muon_npy_shape_str(out, sh, sizeof sh));
        }
    for (size_t i = out->ndim; i < MUON_NPY_MAXDIM; i++)
        out->shape[i] = 1;
    out->count = count;
    return MUON_SUCCESS;
}

/* ---- reading -------------------------------------------------------- */

static unsigned long
le_uint(const unsigned char *b, size_t n)
{
    unsigned long v = 0;
    for (size_t i = n; i-- > 0;)
        v = (v << 8) | b[i];
    return v;
}

/* Reads exactly n bytes; returns the number read and sets *err to errno
 * on a read error (0 at end of file). */
static size_t
read_full(FILE *f, void *buf, size_t n, int *err)
{
    errno = 0;
    size_t got = fread(buf, 1, n, f);
    *err = (got < n && ferror(f)) ? (errno ? errno : EIO) : 0;
    return got;
}

static int
read_stream(FILE *f, const char *path, muon_npy_array *out)
{
    unsigned char pre[12];
    int err;
    size_t got = read_full(f, pre, 8, &err);
    if (err)
        return MUON_ERROR(MUON_EIO, "%s: %s", path, strerror(err));
    if (got < 8 || memcmp(pre, MAGIC, MAGIC_LEN))
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: not a .npy file (bad magic: the file must "
                          "start with \\x93NUMPY and two version bytes)",
                          path);
    unsigned major = pre[6], minor = pre[7];
    if (minor != 0 || major < 1 || major > 3)
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: unknown .npy format version %u.%u (supported: "
                          "1.0, 2.0, 3.0)",
                          path, major, minor);
    size_t lenbytes = major == 1 ? 2 : 4;
    got = read_full(f, pre + 8, lenbytes, &err);
    if (err)
        return MUON_ERROR(MUON_EIO, "%s: %s", path, strerror(err));
    if (got < lenbytes)
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: truncated header length: got %zu of %zu bytes",
                          path, got, lenbytes);
    unsigned long hlen = le_uint(pre + 8, lenbytes);
    if (hlen > MAX_HEADER_LEN)
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: header length %lu exceeds the limit of %u bytes",
                          path, hlen, MAX_HEADER_LEN);
    char header[MAX_HEADER_LEN];
    got = read_full(f, header, hlen, &err);
    if (err)
        return MUON_ERROR(MUON_EIO, "%s: %s", path, strerror(err));
    if (got < hlen)
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: truncated header: got %zu of %lu bytes", path,
                          got, hlen);
    if (memchr(header, '\0', hlen))
        return MUON_ERROR(MUON_EFORMAT, "%s: header contains a NUL byte", path);
    int st = parse_header(header, hlen, path, out);
    if (st)
        return st;

    size_t nbytes = out->count * dtype_size(out->dtype); /* checked above */
    long long offset = 8 + (long long)lenbytes + (long long)hlen;
    /* For a regular file the size tells truncation and trailing bytes
     * before we allocate: a corrupt shape must not trigger a huge malloc. */
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode)) {
        unsigned long long have =
            sb.st_size > offset ? (unsigned long long)(sb.st_size - offset) : 0;
        if (have < nbytes)
            return MUON_ERROR(MUON_EFORMAT,
                              "%s: truncated data: got %llu of %zu bytes", path,
                              have, nbytes);
        if (have > nbytes)
            return MUON_ERROR(MUON_EFORMAT,
                              "%s: %llu trailing bytes after the %zu bytes of "
                              "data",
                              path, have - nbytes, nbytes);
    }
    out->data = malloc(nbytes ? nbytes : 1);
    if (!out->data)
        return MUON_ERROR(MUON_ENOMEM, "%s: cannot allocate %zu bytes", path,
                          nbytes);
    got = read_full(f, out->data, nbytes, &err);
    if (err)
        return MUON_ERROR(MUON_EIO, "%s: %s", path, strerror(err));
    if (got < nbytes)
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: truncated data: got %zu of %zu bytes", path, got,
                          nbytes);
    if (fgetc(f) != EOF)
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: trailing bytes after the %zu bytes of data",
                          path, nbytes);
    return MUON_SUCCESS;
}

int
muon_npy_read(const char *path, muon_npy_array *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return MUON_ERROR(MUON_EIO, "%s: cannot open: %s", path,
                          strerror(errno));
    int st = read_stream(f, path, out);
    fclose(f); /* read-only: nothing to lose on close */
    if (st)
        muon_npy_array_free(out);
    return st;
}

void
muon_npy_array_free(muon_npy_array *a)
{
    if (!a)
        return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

int
muon_npy_expect_rank(const muon_npy_array *a, const char *path, size_t lo,
                     size_t hi)
{
    if (a->ndim >= lo && a->ndim <= hi)
        return MUON_SUCCESS;
    char want[64], sh[128];
    if (lo == hi)
        snprintf(want, sizeof want, "a %zu-D", lo);
    else if (hi == lo + 1)
        snprintf(want, sizeof want, "a %zu-D or %zu-D", lo, hi);
    else
        snprintf(want, sizeof want, "a %zu-D to %zu-D", lo, hi);
    return MUON_ERROR(MUON_EBADLEN, "%s: expected %s array, got shape %s", path,
                      want, muon_npy_shape_str(a, sh, sizeof sh));
}

int
muon_npy_to_f64(const muon_npy_array *a, double **out)
{
    *out = malloc((a->count ? a->count : 1) * sizeof **out);
    if (!*out)
        return MUON_ERROR(MUON_ENOMEM, "cannot allocate %zu doubles", a->count);
    if (a->count == 0)
        return MUON_SUCCESS;
    if (a->dtype == MUON_NPY_F64) {
        memcpy(*out, a->data, a->count * sizeof **out);
    } else {
        const float *x = a->data;
        for (size_t i = 0; i < a->count; i++)
            (*out)[i] = x[i];
    }
    return MUON_SUCCESS;
}

int
muon_npy_to_f32(const muon_npy_array *a, float **out)
{
    *out = malloc((a->count ? a->count : 1) * sizeof **out);
    if (!*out)
        return MUON_ERROR(MUON_ENOMEM, "cannot allocate %zu floats", a->count);
    if (a->count == 0)
        return MUON_SUCCESS;
    if (a->dtype == MUON_NPY_F32) {
        memcpy(*out, a->data, a->count * sizeof **out);
    } else {
        const double *x = a->data;
        for (size_t i = 0; i < a->count; i++)
            (*out)[i] = (float)x[i];
    }
    return MUON_SUCCESS;
}

/* ---- writing -------------------------------------------------------- */

static int
write_array(const char *path, muon_npy_dtype dtype, size_t ndim,
            const size_t *shape, const void *data)
{
    if (ndim < 1 || ndim > MUON_NPY_MAXDIM)
        return MUON_ERROR(MUON_EINVAL,
                          "%s: cannot write a %zu-D array (1 to %d dimensions)",
                          path, ndim, MUON_NPY_MAXDIM);
    muon_npy_array a = {.dtype = dtype, .ndim = ndim};
    size_t count = 1, nbytes;
    for (size_t i = 0; i < ndim; i++) {
        a.shape[i] = shape[i];
        if (muon_size_mul(&count, count, shape[i]))
            return MUON_ENOMEM;
    }
    if (muon_size_mul(&nbytes, count, dtype_size(dtype)))
        return MUON_ENOMEM;
    if (!data && count > 0)
        return MUON_ERROR(MUON_EINVAL, "%s: data is NULL for %zu elements",
                          path, count);

    /* Exactly NumPy's _write_array_header: keys sorted, repr of values,
     * growth-axis spaces, then spaces and '\n' up to a multiple of 64. */
    char dict[256], sh[128];
    int len = snprintf(dict, sizeof dict,
                       "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                       dtype == MUON_NPY_F64 ? "<f8" : "<f4",
                       muon_npy_shape_str(&a, sh, sizeof sh));
    int digits = snprintf(NULL, 0, "%zu", shape[0]);
    for (int i = digits; i < GROWTH_AXIS_MAX_DIGITS; i++)
        dict[len++] = ' ';
    size_t hlen = (size_t)len + 1; /* + the final '\n' */
    unsigned major = 1;
    size_t lenbytes = 2;
    size_t pad = ALIGN - (MAGIC_LEN + 2 + lenbytes + hlen) % ALIGN;
    if (hlen + pad > 65535) { /* cannot happen for <= 4-D, kept for spec */
        major = 2;
        lenbytes = 4;
        pad = ALIGN - (MAGIC_LEN + 2 + lenbytes + hlen) % ALIGN;
    }
    size_t total = hlen + pad;
    unsigned char pre[12] = {
        0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)major, 0};
    for (size_t i = 0; i < lenbytes; i++)
        pre[8 + i] = (unsigned char)(total >> (8 * i));

    muon_afile *af;
    FILE *f;
    int st = muon_afile_open(&af, path, &f);
    if (st)
        return st;
    fwrite(pre, 1, 8 + lenbytes, f);
    fwrite(dict, 1, (size_t)len, f);
    for (size_t i = 0; i < pad; i++)
        fputc(' ', f);
    fputc('\n', f);
    if (nbytes)
        fwrite(data, 1, nbytes, f);
    /* commit checks the stream's error flag, so short writes are caught. */
    return muon_afile_commit(af);
}

int
muon_npy_write_f64(const char *path, size_t ndim, const size_t *shape,
                   const double *data)
{
    return write_array(path, MUON_NPY_F64, ndim, shape, data);
}

int
muon_npy_write_f32(const char *path, size_t ndim, const size_t *shape,
                   const float *data)
{
    return write_array(path, MUON_NPY_F32, ndim, shape, data);
}
