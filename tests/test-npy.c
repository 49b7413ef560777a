/* test-npy.c: .npy reader/writer against the NPY format specification
 * (numpy/lib/format.py, NEP 1) with hand-built fixture files. */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "muon/npy.h"
#include "muon/status.h"

static char tmpdir[] = "/tmp/muon-test-npy-XXXXXX";

static const char *
fixture_path(const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
    return p;
}

static void
write_bytes(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f, "cannot create fixture %s", path);
    ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static unsigned char *
read_bytes(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    unsigned char *b = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* A raw .npy file: magic, version, header length (2 bytes for major 1, 4
 * otherwise), the header text followed by '\n' (deliberately unpadded: the
 * spec's 64-byte alignment is a writer's duty, readers must not rely on
 * it), then dlen bytes of data (a repeating pattern). */
static void
write_raw_npy(const char *path, unsigned major, unsigned minor,
              const char *header, size_t dlen)
{
    size_t hl = strlen(header) + 1, lb = major == 1 ? 2 : 4;
    size_t total = 8 + lb + hl + dlen;
    unsigned char *b = malloc(total);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)major;
    b[7] = (unsigned char)minor;
    for (size_t i = 0; i < lb; i++)
        b[8 + i] = (unsigned char)(hl >> (8 * i));
    memcpy(b + 8 + lb, header, hl - 1);
    b[8 + lb + hl - 1] = '\n';
    for (size_t i = 0; i < dlen; i++)
        b[8 + lb + hl + i] = (unsigned char)(i * 37 + 1);
    write_bytes(path, b, total);
    free(b);
}

/* ---- the writer produces NumPy's bytes ------------------------------ */

/* Expected preambles derived by hand from the spec: "\x93NUMPY", version
 * 1.0, HEADER_LEN as little-endian uint16, the dict repr with sorted keys
 * and a trailing ", }", then spaces and '\n' so that 10 + HEADER_LEN is a
 * multiple of 64.  Both dicts are <= 60 characters, so 10 + len + 1 <= 71
 * rounds up to 128 and HEADER_LEN = 118 = 0x76. */
START_TEST(test_header_bytes)
{
    static const struct {
        const char *dict;
        int f32;
        size_t ndim, shape[2];
    } cases[] = {
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
         0,
         2,
         {2, 3}},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }",
         1,
         1,
         {5, 1}},
    };
    double d[6] = {1.5, -2.25, 3.0e-300, 4.0e300, -0.0, 0.1};
    float s[5] = {1.5f, -2.25f, 3e-30f, 4e30f, 0.1f};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *path = fixture_path("hdr.npy");
        if (cases[c].f32)
            ck_assert_int_eq(
                muon_npy_write_f32(path, cases[c].ndim, cases[c].shape, s), 0);
        else
            ck_assert_int_eq(
                muon_npy_write_f64(path, cases[c].ndim, cases[c].shape, d), 0);
        unsigned char want[128];
        size_t dl = strlen(cases[c].dict);
        memcpy(want, "\x93NUMPY\x01\x00\x76\x00", 10);
        memcpy(want + 10, cases[c].dict, dl);
        memset(want + 10 + dl, ' ', 128 - 10 - dl - 1);
        want[127] = '\n';
        size_t len;
        unsigned char *got = read_bytes(path, &len);
        size_t dbytes = cases[c].f32 ? sizeof s : sizeof d;
        ck_assert_uint_eq(len, 128 + dbytes);
        ck_assert_msg(!memcmp(got, want, 128),
                      "case %zu: header differs: %.118s", c,
                      (const char *)got + 10);
        /* '<f8'/'<f4' data is the little-endian IEEE bytes of the values. */
        ck_assert(
            !memcmp(got + 128, cases[c].f32 ? (void *)s : (void *)d, dbytes));
        free(got);
    }
}
END_TEST

/* NumPy (>= 1.23) reserves room for the first axis to grow to 21 digits:
 * '{...}' + (21 - digits(shape[0])) spaces, then the padding; so a header
 * whose dict alone would fit in 64 bytes still gets a 128-byte preamble.
 * Checked here on a short dict: the shortest, (1,) of f4, is 57
 * characters; 10 + 57 + 20 + 1 = 88 > 64. */
START_TEST(test_header_alignment)
{
    for (size_t ndim = 1; ndim <= 4; ndim++) {
        size_t shape[4] = {1, 123456789, 7, 100000};
        const char *path = fixture_path("align.npy");
        /* A zero last axis keeps the file small: header only. */
        shape[ndim - 1] = 0;
        ck_assert_int_eq(muon_npy_write_f64(path, ndim, shape, NULL), 0);
        size_t len;
        unsigned char *got = read_bytes(path, &len);
        size_t hl = got[8] | (size_t)got[9] << 8;
        ck_assert_uint_eq((10 + hl) % 64, 0);
        ck_assert_uint_eq(len, 10 + hl);
        ck_assert_int_eq(got[10 + hl - 1], '\n');
        /* The dict, then only spaces: at least 21 - digits(shape[0]). */
        const char *end = memchr(got + 10, '}', hl);
        ck_assert(end);
        size_t spaces = (size_t)((const char *)got + 10 + hl - 1 - end - 1);
        ck_assert_uint_ge(spaces, 21 - 1);
        for (size_t i = 0; i < spaces; i++)
            ck_assert_int_eq(end[1 + i], ' ');
        free(got);
        muon_npy_array a;
        ck_assert_int_eq(muon_npy_read(path, &a), 0);
        ck_assert_uint_eq(a.ndim, ndim);
        ck_assert_uint_eq(a.count, 0);
        for (size_t i = 0; i < ndim; i++)
            ck_assert_uint_eq(a.shape[i], shape[i]);
        muon_npy_array_free(&a);
    }
    /* A case where the growth spaces decide the size: the dict below is
     * 100 characters; 10 + 100 + 1 = 111 would pad to 128, but NumPy first
     * appends 21 - 1 = 20 spaces (shape[0] = 0 has one digit), 10 + 120 +
     * 1 = 131, so the preamble is 192 bytes: HEADER_LEN 182 = 0xb6. */
    static const char dict[] = "{'descr': '<f8', 'fortran_order': False, "
                               "'shape': (0, 123456789012345678, "
                               "1234567890123456789, 1), }";
    ck_assert_uint_eq(strlen(dict), 100);
    size_t shape[4] = {0, 123456789012345678u, 1234567890123456789u, 1};
    const char *path = fixture_path("growth.npy");
    ck_assert_int_eq(muon_npy_write_f64(path, 4, shape, NULL), 0);
    size_t len;
    unsigned char *got = read_bytes(path, &len);
    ck_assert_uint_eq(len, 192);
    ck_assert(!memcmp(got, "\x93NUMPY\x01\x00\xb6\x00", 10));
    ck_assert(!memcmp(got + 10, dict, 100));
    for (size_t i = 10 + 100; i < 191; i++)
        ck_assert_int_eq(got[i], ' ');
    ck_assert_int_eq(got[191], '\n');
    free(got);
}
END_TEST

/* ---- round trips ----------------------------------------------------- */

static const size_t rt_shapes[][5] = {
    /* ndim, shape... */
    {1, 7}, {2, 3, 5}, {3, 2, 3, 4}, {4, 2, 1, 3, 2}, {2, 0, 3},
};

START_TEST(test_roundtrip)
{
    int f32 = _i % 2;
    const size_t *sh = rt_shapes[_i / 2];
    size_t ndim = sh[0], count = 1;
    for (size_t i = 0; i < ndim; i++)
        count *= sh[1 + i];
    double *d = malloc((count + 1) * sizeof *d);
    float *s = malloc((count + 1) * sizeof *s);
    /* Many significant digits, signs, extremes, a subnormal, NaN, Inf: a
     * file must carry every bit. */
    static const double special[] = {-0.0, 4.9e-324, 1.7976931348623157e308,
                                     NAN, -INFINITY};
    for (size_t i = 0; i < count; i++) {
        d[i] = i < 5 ? special[i]
                     : sin(1.0 + (double)i) * pow(10.0, (double)(i % 7) - 3);
        s[i] = i < 5 ? (float)special[i] : (float)d[i];
    }
    const char *path = fixture_path("rt.npy");
    int st = f32 ? muon_npy_write_f32(path, ndim, sh + 1, s)
                 : muon_npy_write_f64(path, ndim, sh + 1, d);
    ck_assert_int_eq(st, 0);
    muon_npy_array a;
    ck_assert_int_eq(muon_npy_read(path, &a), 0);
    ck_assert_int_eq(a.dtype, f32 ? MUON_NPY_F32 : MUON_NPY_F64);
    ck_assert_uint_eq(a.ndim, ndim);
    ck_assert_uint_eq(a.count, count);
    for (size_t i = 0; i < ndim; i++)
        ck_assert_uint_eq(a.shape[i], sh[1 + i]);
    for (size_t i = ndim; i < MUON_NPY_MAXDIM; i++)
        ck_assert_uint_eq(a.shape[i], 1);
    ck_assert(!memcmp(a.data, f32 ? (void *)s : (void *)d,
                      count * (f32 ? sizeof *s : sizeof *d)));
    /* Conversions: float -> double is exact; double -> float is C's
     * round-to-nearest conversion. */
    double *cd;
    float *cs;
    ck_assert_int_eq(muon_npy_to_f64(&a, &cd), 0);
    ck_assert_int_eq(muon_npy_to_f32(&a, &cs), 0);
    for (size_t i = 0; i < count; i++) {
        double ed = f32 ? (double)s[i] : d[i];
        float es = f32 ? s[i] : (float)d[i];
        ck_assert(!memcmp(&cd[i], &ed, sizeof ed) ||
                  (isnan(ed) && isnan(cd[i])));
        ck_assert(!memcmp(&cs[i], &es, sizeof es) ||
                  (isnan(es) && isnan(cs[i])));
    }
    free(cd);
    free(cs);
    muon_npy_array_free(&a);
    muon_npy_array_free(&a); /* twice is harmless */
    free(d);
    free(s);
}
END_TEST

/* ---- files other writers produce ------------------------------------ */

START_TEST(test_read_variants)
{
    static const struct {
        unsigned major;
        const char *header;
        size_t ndim, shape[3];
        muon_npy_dtype dtype;
    } v[] = {
        /* version 2.0 and 3.0 use a 4-byte header length */
        {2,
         "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
         2,
         {2, 3},
         MUON_NPY_F64},
        {3,
         "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }",
         1,
         {4},
         MUON_NPY_F32},
        /* any key order, double quotes, no trailing comma, odd spacing */
        {1,
         "{\"shape\":(3,2,1),\"descr\":\"<f4\",\"fortran_order\":False}",
         3,
         {3, 2, 1},
         MUON_NPY_F32},
        {1,
         "  { 'fortran_order' : False , 'shape' : ( 2 , 2 , ) , "
         "'descr' : '<f8' }   ",
         2,
         {2, 2},
         MUON_NPY_F64},
        /* Python 2 long integers */
        {1,
         "{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 1L), }",
         2,
         {2, 1},
         MUON_NPY_F64},
    };
    for (size_t c = 0; c < sizeof v / sizeof v[0]; c++) {
        size_t count = 1, es = v[c].dtype == MUON_NPY_F64 ? 8 : 4;
        for (size_t i = 0; i < v[c].ndim; i++)
            count *= v[c].shape[i];
        const char *path = fixture_path("variant.npy");
        write_raw_npy(path, v[c].major, 0, v[c].header, count * es);
        muon_npy_array a;
        int st = muon_npy_read(path, &a);
        ck_assert_msg(st == 0, "case %zu: %s", c, muon_last_error());
        ck_assert_int_eq(a.dtype, v[c].dtype);
        ck_assert_uint_eq(a.ndim, v[c].ndim);
        for (size_t i = 0; i < v[c].ndim; i++)
            ck_assert_uint_eq(a.shape[i], v[c].shape[i]);
        const unsigned char *b = a.data;
        for (size_t i = 0; i < count * es; i++)
            ck_assert_uint_eq(b[i], (unsigned char)(i * 37 + 1));
        muon_npy_array_free(&a);
    }
}
END_TEST

/* ---- malformed files -------------------------------------------------- */

typedef struct {
    const char *what;
    unsigned major, minor;
    const char *header; /* NULL: raw bytes below */
    size_t dlen;
    int code;
    const char *msg; /* must appear in the message */
} bad_case;

#define H(d, f, s) "{'descr': " d ", 'fortran_order': " f ", 'shape': " s ", }"
static const bad_case bad[] = {
    {"version 4.0", 4, 0, H("'<f8'", "False", "(2,)"), 16, MUON_EFORMAT,
     "unknown .npy format version 4.0"},
    {"version 1.1", 1, 1, H("'<f8'", "False", "(2,)"), 16, MUON_EFORMAT,
     "version 1.1"},
    {"not a dict", 1, 0, "['descr', '<f8']", 0, MUON_EFORMAT,
     "not a valid dict"},
    {"unclosed dict", 1, 0,
     "{'descr': '<f8', 'fortran_order': False, "
     "'shape': (2,), ",
     16, MUON_EFORMAT, "not a valid dict"},
    {"missing colon", 1, 0,
     "{'descr' '<f8', 'fortran_order': False, "
     "'shape': (2,)}",
     16, MUON_EFORMAT, "expected ':'"},
    {"garbage after", 1, 0, H("'<f8'", "False", "(2,)") " x", 16, MUON_EFORMAT,
     "after '}'"},
    {"int not tuple", 1, 0, H("'<f8'", "False", "(2)"), 16, MUON_EFORMAT,
     "not a tuple"},
    {"negative dim", 1, 0, H("'<f8'", "False", "(-2,)"), 16, MUON_EFORMAT,
     "non-negative integer"},
    {"bool typo", 1, 0, H("'<f8'", "false", "(2,)"), 16, MUON_EFORMAT,
     "True or False"},
    {"missing shape", 1, 0, "{'descr': '<f8', 'fortran_order': False}", 16,
     MUON_EFORMAT, "no key 'shape'"},
    {"missing descr", 1, 0, "{'fortran_order': False, 'shape': (2,)}", 16,
     MUON_EFORMAT, "no key 'descr'"},
    {"extra key", 1, 0,
     "{'descr': '<f8', 'fortran_order': False, "
     "'shape': (2,), 'extra': 1}",
     16, MUON_EFORMAT, "unexpected key 'extra'"},
    {"duplicate key", 1, 0,
     "{'descr': '<f8', 'descr': '<f8', "
     "'fortran_order': False, 'shape': (2,)}",
     16, MUON_EFORMAT, "'descr' given twice"},
    {"big-endian", 1, 0, H("'>f8'", "False", "(2,)"), 16, MUON_EFORMAT,
     "unsupported dtype '>f8'"},
    {"int32", 1, 0, H("'<i4'", "False", "(4,)"), 16, MUON_EFORMAT,
     "unsupported dtype '<i4'"},
    {"uint8", 1, 0, H("'|u1'", "False", "(16,)"), 16, MUON_EFORMAT,
     "unsupported dtype '|u1'"},
    {"complex", 1, 0, H("'<c16'", "False", "(1,)"), 16, MUON_EFORMAT,
     "unsupported dtype '<c16'"},
    {"fortran", 1, 0, H("'<f8'", "True", "(2, 1)"), 16, MUON_EFORMAT,
     "fortran_order True"},
    {"0-D", 1, 0, H("'<f8'", "False", "()"), 8, MUON_EFORMAT,
     "0-D arrays are not supported"},
    {"5-D", 1, 0, H("'<f8'", "False", "(1, 1, 1, 1, 2)"), 16, MUON_EFORMAT,
     "more than 4 dimensions"},
    {"shape overflow", 1, 0, H("'<f8'", "False", "(4294967296, 4294967296, 2)"),
     16, MUON_EFORMAT, "has more bytes than size_t can count"},
    {"dim overflow", 1, 0, H("'<f8'", "False", "(99999999999999999999999,)"),
     16, MUON_EFORMAT, "overflows size_t"},
    {"truncated data", 1, 0, H("'<f8'", "False", "(2, 3)"), 40, MUON_EFORMAT,
     "truncated data: got 40 of 48 bytes"},
    {"no data", 2, 0, H("'<f4'", "False", "(3,)"), 0, MUON_EFORMAT,
     "truncated data: got 0 of 12 bytes"},
    {"trailing bytes", 1, 0, H("'<f8'", "False", "(2, 3)"), 56, MUON_EFORMAT,
     "8 trailing bytes"},
};

START_TEST(test_malformed)
{
    const bad_case *c = &bad[_i];
    const char *path = fixture_path("bad.npy");
    write_raw_npy(path, c->major, c->minor, c->header, c->dlen);
    muon_npy_array a;
    muon_clear_error();
    int st = muon_npy_read(path, &a);
    ck_assert_msg(st == c->code, "%s: status %d, want %d (%s)", c->what, st,
                  c->code, muon_last_error());
    ck_assert_msg(strstr(muon_last_error(), c->msg),
                  "%s: message '%s' lacks "
                  "'%s'",
                  c->what, muon_last_error(), c->msg);
    ck_assert_msg(strstr(muon_last_error(), path),
                  "%s: message '%s' does not "
                  "name the file",
                  c->what, muon_last_error());
    ck_assert_ptr_null(a.data);
    muon_npy_array_free(&a);
}
END_TEST

/* Cases that are not a well-formed preamble at all. */
START_TEST(test_bad_preamble)
{
    static const struct {
        const char *bytes;
        size_t len;
        const char *msg;
    } c[] = {
        {"", 0, "bad magic"},
        {"\x93NUMP", 5, "bad magic"},
        {"\x93NUMPX\x01\x00\x10\x00", 10, "bad magic"},
        {"PK\x03\x04\x14\x00\x00\x00", 8, "bad magic"}, /* an .npz */
        {"\x93NUMPY\x01\x00\x10", 9, "truncated header length: got 1 of 2"},
        {"\x93NUMPY\x01\x00\x76\x00{'descr'", 17,
         "truncated header: got 7 of 118 bytes"},
        {"\x93NUMPY\x02\x00\xff\xff\xff\x7f", 12, "exceeds the limit"},
        {"\x93NUMPY\x01\x00\x03\x00{\0}", 13, "NUL byte"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        const char *path = fixture_path("pre.npy");
        write_bytes(path, c[i].bytes, c[i].len);
        muon_npy_array a;
        ck_assert_int_eq(muon_npy_read(path, &a), MUON_EFORMAT);
        ck_assert_msg(strstr(muon_last_error(), c[i].msg), "case %zu: '%s'", i,
                      muon_last_error());
        ck_assert(strstr(muon_last_error(), path));
    }
}
END_TEST

/* Every byte of a valid preamble replaced by a few values: the reader must
 * return a status (never crash, leak or read out of bounds: this suite
 * also runs under ASan) and, when it accepts, describe a consistent array.
 * A cheap stand-in for a fuzzer over the header parser. */
START_TEST(test_byte_mutations)
{
    const char *path = fixture_path("mut.npy");
    size_t shape[2] = {2, 3};
    double d[6] = {1, 2, 3, 4, 5, 6};
    ck_assert_int_eq(muon_npy_write_f64(path, 2, shape, d), 0);
    size_t len;
    unsigned char *orig = read_bytes(path, &len);
    static const unsigned char vals[] = {0x00, ' ', '(', ',', '9', 0xff};
    int accepted = 0;
    for (size_t i = 0; i < 128; i++)
        for (size_t v = 0; v < sizeof vals; v++) {
            if (orig[i] == vals[v])
                continue;
            unsigned char *b = malloc(len);
            memcpy(b, orig, len);
            b[i] = vals[v];
            write_bytes(path, b, len);
            free(b);
            muon_npy_array a;
            int st = muon_npy_read(path, &a);
            ck_assert(st == MUON_SUCCESS || st == MUON_EFORMAT);
            if (st == MUON_SUCCESS) {
                accepted++;
                ck_assert_uint_eq(a.count * 8, 48); /* size must match */
                muon_npy_array_free(&a);
            } else {
                ck_assert(strstr(muon_last_error(), path));
            }
        }
    /* Some mutations are harmless (the final '\n' or a space after the
     * dict turned into another space); most are not. */
    ck_assert_int_gt(accepted, 0);
    ck_assert_int_lt(accepted, 128);
    free(orig);
}
END_TEST

START_TEST(test_io_errors)
{
    muon_npy_array a;
    const char *missing = fixture_path("does-not-exist.npy");
    ck_assert_int_eq(muon_npy_read(missing, &a), MUON_EIO);
    ck_assert(strstr(muon_last_error(), missing));
    ck_assert(strstr(muon_last_error(), strerror(ENOENT)));
    /* A directory opens for reading on Linux; the read fails (EISDIR). */
    ck_assert_int_eq(muon_npy_read(tmpdir, &a), MUON_EIO);
    ck_assert(strstr(muon_last_error(), strerror(EISDIR)));

    size_t shape[2] = {2, 2};
    double d[4] = {1, 2, 3, 4};
    const char *nodir = fixture_path("no/such/dir/x.npy");
    ck_assert_int_eq(muon_npy_write_f64(nodir, 2, shape, d), MUON_EIO);
    ck_assert(strstr(muon_last_error(), nodir));
    ck_assert_int_eq(muon_npy_write_f64(fixture_path("x.npy"), 0, shape, d),
                     MUON_EINVAL);
    ck_assert_int_eq(muon_npy_write_f64(fixture_path("x.npy"), 5, shape, d),
                     MUON_EINVAL);
    ck_assert_int_eq(muon_npy_write_f32(fixture_path("x.npy"), 2, shape, NULL),
                     MUON_EINVAL);
    size_t huge[3] = {SIZE_MAX / 2, 4, 1};
    ck_assert_int_eq(muon_npy_write_f64(fixture_path("x.npy"), 3, huge, d),
                     MUON_ENOMEM);
    /* A failed write leaves no file behind (atomic writes). */
    ck_assert_int_ne(access(fixture_path("x.npy"), F_OK), 0);
}
END_TEST

START_TEST(test_expect_rank)
{
    muon_npy_array a = {
        .dtype = MUON_NPY_F64, .ndim = 4, .shape = {3, 4, 5, 6}};
    ck_assert_int_eq(muon_npy_expect_rank(&a, "G.npy", 2, 3), MUON_EBADLEN);
    static const char want[] =
        "G.npy: expected a 2-D or 3-D array, got shape (3, 4, 5, 6)";
    ck_assert_msg(!strncmp(muon_last_error(), want, strlen(want)), "%s",
                  muon_last_error());
    ck_assert_int_eq(muon_npy_expect_rank(&a, "G.npy", 1, 4), 0);
    a.ndim = 1;
    ck_assert_int_eq(muon_npy_expect_rank(&a, "v.npy", 2, 2), MUON_EBADLEN);
    ck_assert(
        strstr(muon_last_error(), "expected a 2-D array, got shape (3,)"));
    ck_assert_int_eq(muon_npy_expect_rank(&a, "v.npy", 2, 4), MUON_EBADLEN);
    ck_assert(strstr(muon_last_error(), "expected a 2-D to 4-D array"));
}
END_TEST

static int
rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(p);
}

static Suite *
npy_suite(void)
{
    Suite *s = suite_create("npy");
    TCase *tc = tcase_create("npy");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_header_bytes);
    tcase_add_test(tc, test_header_alignment);
    tcase_add_loop_test(tc, test_roundtrip, 0,
                        2 * (int)(sizeof rt_shapes / sizeof rt_shapes[0]));
    tcase_add_test(tc, test_read_variants);
    tcase_add_loop_test(tc, test_malformed, 0,
                        (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, test_bad_preamble);
    tcase_add_test(tc, test_byte_mutations);
    tcase_add_test(tc, test_io_errors);
    tcase_add_test(tc, test_expect_rank);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    gsl_set_error_handler_off();
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 99;
    }
    SRunner *r = srunner_create(npy_suite());
    srunner_run_all(r, CK_ENV);
    int failed = srunner_ntests_failed(r);
    int run = srunner_ntests_run(r);
    srunner_free(r);
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    printf("%d passed, %d failed\n", run - failed, failed);
    return failed ? 1 : 0;
}
