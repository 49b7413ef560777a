/* test-data.c: IDX parsing and loading against hand-built good and bad
 * fixtures, Fashion-MNIST (when installed) against its published counts and
 * statistics, the batch iterators' determinism and bit-identical resume,
 * the text corpus (UTF-8, vocabulary, entropy by hand) and the synthetic
 * tasks (condition number by an independent SVD, floors by an independent
 * least-squares solve). */
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
#include <gsl/gsl_rng.h>
#include <lapacke.h>
#include <zlib.h>

#include "data/data_impl.h"
#include "muon/data.h"
#include "muon/status.h"
#include "tol.h"

/* Float storage of a value computed in double: relative rounding 2^-24 =
 * 6e-8 per entry; sums and SVDs over a few dozen entries stay far below
 * 1e-5, and a condition number of 1e3 amplifies it to ~1e-4 at most. */
#define TOL_F32_STORE 1e-5
#define TOL_F32_COND 1e-3

static char fixture_root[] = "/tmp/muon-test-data-XXXXXX";

/* A fresh directory under the fixture root for one test. */
static char *
fixture_dir(const char *name)
{
    char *d;
    ck_assert_int_ge(asprintf(&d, "%s/%s", fixture_root, name), 0);
    ck_assert_msg(mkdir(d, 0700) == 0 || errno == EEXIST, "mkdir %s", d);
    return d;
}

static char *
join(const char *dir, const char *name)
{
    char *p;
    ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
    return p;
}

static void
write_raw(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static void
write_gz(const char *path, const void *buf, size_t len)
{
    gzFile g = gzopen(path, "wb");
    ck_assert_msg(g != NULL, "cannot create %s", path);
    ck_assert_int_eq(gzwrite(g, buf, (unsigned)len), (int)len);
    ck_assert_int_eq(gzclose(g), Z_OK);
}

static size_t
file_size(const char *path)
{
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    return (size_t)sb.st_size;
}

static void
put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* An IDX byte image written by hand from the format description: magic
 * 0x000008nn, nn big-endian sizes, then the payload.  Caller frees. */
static unsigned char *
make_idx(unsigned ndim, const uint32_t *dims, const unsigned char *payload,
         size_t plen, size_t *len)
{
    *len = 4 + 4 * (size_t)ndim + plen;
    unsigned char *b = malloc(*len);
    put_be32(b, 0x800u | ndim);
    for (unsigned i = 0; i < ndim; i++)
        put_be32(b + 4 + 4 * i, dims[i]);
    if (plen)
        memcpy(b + 4 + 4 * ndim, payload, plen);
    return b;
}

static void
assert_error(int st, int want, const char *needle)
{
    ck_assert_msg(st == want, "status %d (%s), expected %d; message: %s", st,
                  muon_strerror(st), want, muon_last_error());
    if (needle)
        ck_assert_msg(strstr(muon_last_error(), needle) != NULL,
                      "message \"%s\" lacks \"%s\"", muon_last_error(), needle);
}

/* After a function that returned NULL: the recorded message says why. */
static void
assert_message(const char *needle)
{
    if (needle)
        ck_assert_msg(strstr(muon_last_error(), needle) != NULL,
                      "message \"%s\" lacks \"%s\"", muon_last_error(), needle);
}

/* ---------------------------------------------------------------- SHA */

/* FIPS 180-4 example vectors (NIST "SHA256.pdf" examples and the
 * one-million-'a' message of FIPS 180-2 appendix B.3). */
START_TEST(test_sha256_vectors)
{
    static const struct {
        const char *msg;
        const char *hex;
    } v[] = {
        {"abc",
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"",
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
         "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    uint8_t d[32];
    char hex[65];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        muon_sha256(v[i].msg, strlen(v[i].msg), d);
        muon_sha256_hex(d, hex);
        ck_assert_msg(strcmp(hex, v[i].hex) == 0, "SHA-256(\"%s\") = %s",
                      v[i].msg, hex);
    }
    size_t n = 1000000;
    char *a = malloc(n);
    memset(a, 'a', n);
    muon_sha256(a, n, d);
    muon_sha256_hex(d, hex);
    ck_assert_str_eq(
        hex,
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}
END_TEST

/* ---------------------------------------------------------------- IDX */

START_TEST(test_idx_parse_valid)
{
    const uint32_t dims[3] = {2, 2, 3};
    const unsigned char px[12] = {0,   1,   2,   3,   4,   5,
                                  250, 251, 252, 253, 254, 255};
    size_t len;
    unsigned char *b = make_idx(3, dims, px, sizeof px, &len);
    muon_idx idx;
    ck_assert_int_eq(muon_idx_parse(b, len, 3, "mem", &idx), MUON_SUCCESS);
    ck_assert_uint_eq(idx.ndim, 3);
    ck_assert_uint_eq(idx.dims[0], 2);
    ck_assert_uint_eq(idx.dims[1], 2);
    ck_assert_uint_eq(idx.dims[2], 3);
    ck_assert_uint_eq(idx.header_len, 16);
    ck_assert_uint_eq(idx.payload_len, 12);
    ck_assert(idx.payload == b + 16);
    ck_assert_int_eq(memcmp(idx.payload, px, 12), 0);
    free(b);
}
END_TEST

/* Malformed in-memory files: each one byte string and its diagnosis. */
START_TEST(test_idx_parse_bad)
{
    unsigned char b[64];
    muon_idx idx;
    memset(b, 0, sizeof b);

    /* Labels' magic where images are expected. */
    put_be32(b, 0x801);
    put_be32(b + 4, 1);
    assert_error(muon_idx_parse(b, 9, 3, "m1", &idx), MUON_EFORMAT,
                 "magic number 0x00000801, expected 0x00000803");
    /* Float dtype 0x0D instead of unsigned byte. */
    put_be32(b, 0xD01);
    assert_error(muon_idx_parse(b, 9, 1, "m2", &idx), MUON_EFORMAT,
                 "0x00000d01");
    /* Non-zero leading bytes. */
    put_be32(b, 0x01000801);
    assert_error(muon_idx_parse(b, 9, 1, "m3", &idx), MUON_EFORMAT, "magic");
    /* Too short for the magic, then for the sizes. */
    put_be32(b, 0x803);
    assert_error(muon_idx_parse(b, 3, 3, "m4", &idx), MUON_EFORMAT,
                 "unexpected end of data: got 3 of 4");
    assert_error(muon_idx_parse(b, 10, 3, "m5", &idx), MUON_EFORMAT,
                 "got 10 of 16 header bytes");
    /* A zero size. */
    put_be32(b + 4, 2);
    put_be32(b + 8, 0);
    put_be32(b + 12, 3);
    assert_error(muon_idx_parse(b, 16, 3, "m6", &idx), MUON_EFORMAT,
                 "dimension 2 is 0");
    /* Sizes 2x2x3 = 12 bytes but 11 present, or 13. */
    put_be32(b + 8, 2);
    assert_error(muon_idx_parse(b, 27, 3, "m7", &idx), MUON_EFORMAT,
                 "unexpected end of data: got 27 of 28 bytes");
    assert_error(muon_idx_parse(b, 29, 3, "m8", &idx), MUON_EFORMAT,
                 "1 trailing bytes");
    /* 0xFFFFFFFF^3 overflows a 64-bit size_t ((2^32-1)^2 < 2^64 does not):
     * refused before anything could be allocated. */
    put_be32(b + 4, 0xFFFFFFFFu);
    put_be32(b + 8, 0xFFFFFFFFu);
    put_be32(b + 12, 0xFFFFFFFFu);
    assert_error(muon_idx_parse(b, 64, 3, "m9", &idx), MUON_ENOMEM,
                 "overflows");
    /* Bad arguments. */
    assert_error(muon_idx_parse(b, 64, 0, "m10", &idx), MUON_EINVAL, NULL);
    assert_error(muon_idx_parse(b, 64, 3, "m11", NULL), MUON_EINVAL, NULL);
}
END_TEST

/* A cheap in-suite fuzz: 20000 random mutations (byte flips, overwrites
 * with 0x00/0xFF, truncations, extensions) of a valid file.  Under
 * ASan/UBSan any out-of-bounds read fails the test; otherwise the parser
 * must answer SUCCESS, EFORMAT or ENOMEM, and a success must describe a
 * buffer that really has header + payload bytes. */
START_TEST(test_idx_parse_mutations)
{
    const uint32_t dims[3] = {3, 4, 5};
    unsigned char px[60];
    for (int i = 0; i < 60; i++)
        px[i] = (unsigned char)(i * 37);
    size_t len;
    unsigned char *good = make_idx(3, dims, px, sizeof px, &len);
    unsigned char *buf = malloc(len + 16);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 12);
    int ok = 0;
    for (int it = 0; it < 20000; it++) {
        memcpy(buf, good, len);
        size_t blen = len;
        int nmut = 1 + (int)gsl_rng_uniform_int(r, 3);
        for (int k = 0; k < nmut; k++) {
            switch (gsl_rng_uniform_int(r, 4)) {
            case 0:
                buf[gsl_rng_uniform_int(r, 16)] ^=
                    (unsigned char)(1u << gsl_rng_uniform_int(r, 8));
                break;
            case 1:
                buf[gsl_rng_uniform_int(r, 16)] =
                    gsl_rng_uniform_int(r, 2) ? 0xFF : 0x00;
                break;
            case 2:
                blen = gsl_rng_uniform_int(r, len + 1);
                break;
            default:
                blen = len + gsl_rng_uniform_int(r, 16);
                break;
            }
        }
        /* Exactly blen bytes: a copy in a buffer of that size, so ASan
         * sees any read past the end. */
        unsigned char *exact = malloc(blen ? blen : 1);
        memcpy(exact, buf, blen);
        muon_idx idx;
        int st = muon_idx_parse(exact, blen, 3, "fuzz", &idx);
        ck_assert_msg(st == MUON_SUCCESS || st == MUON_EFORMAT ||
                          st == MUON_ENOMEM,
                      "iteration %d: status %d", it, st);
        if (st == MUON_SUCCESS) {
            ok++;
            ck_assert_uint_eq(idx.header_len + idx.payload_len, blen);
            ck_assert_uint_eq((size_t)idx.dims[0] * idx.dims[1] * idx.dims[2],
                              idx.payload_len);
        }
        free(exact);
    }
    /* Some mutations keep the file valid (flips in the payload never
     * happen here, but extensions by 0 bytes and no-op overwrites do). */
    ck_assert_int_gt(ok, 0);
    gsl_rng_free(r);
    free(buf);
    free(good);
}
END_TEST

/* A random (so incompressible) image file of n 10x20 images. */
static unsigned char *
random_images(size_t n, size_t *len, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    size_t plen = n * 200;
    unsigned char *px = malloc(plen);
    for (size_t i = 0; i < plen; i++)
        px[i] = (unsigned char)gsl_rng_uniform_int(r, 256);
    gsl_rng_free(r);
    const uint32_t dims[3] = {(uint32_t)n, 10, 20};
    unsigned char *b = make_idx(3, dims, px, plen, len);
    free(px);
    return b;
}

START_TEST(test_idx_load_gz_and_raw)
{
    char *dir = fixture_dir("load");
    size_t len;
    unsigned char *b = random_images(50, &len, 1);
    char *gz = join(dir, "img.gz"), *raw = join(dir, "img.raw");
    write_gz(gz, b, len);
    write_raw(raw, b, len);
    const char *paths[2] = {gz, raw};
    for (int k = 0; k < 2; k++) {
        unsigned char *got;
        size_t glen;
        muon_idx idx;
        int st = muon_idx_load(paths[k], 3, NULL, NULL, &got, &glen, &idx);
        ck_assert_msg(st == MUON_SUCCESS, "%s: %s", paths[k],
                      muon_last_error());
        ck_assert_uint_eq(glen, 16 + 50 * 200);
        ck_assert_int_eq(memcmp(got, b, len), 0);
        ck_assert_uint_eq(idx.dims[0], 50);
        ck_assert(idx.payload == got + 16);
        free(got);
    }
    /* Strict mode: the SHA-256 of the decompressed bytes, computed here by
     * our FIPS-checked routine, is accepted; any other is refused with
     * both digests named. */
    uint8_t d[32];
    char hex[65];
    muon_sha256(b, len, d);
    muon_sha256_hex(d, hex);
    unsigned char *got;
    size_t glen;
    muon_idx idx;
    ck_assert_int_eq(muon_idx_load(gz, 3, hex, NULL, &got, &glen, &idx),
                     MUON_SUCCESS);
    free(got);
    const char *other =
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34";
    assert_error(muon_idx_load(gz, 3, other, NULL, &got, &glen, &idx),
                 MUON_ECORRUPT, other);
    ck_assert(got == NULL);
    ck_assert(strstr(muon_last_error(), hex) != NULL);
    free(b);
    free(gz);
    free(raw);
    free(dir);
}
END_TEST

START_TEST(test_idx_load_bad)
{
    char *dir = fixture_dir("loadbad");
    size_t len;
    unsigned char *b = random_images(50, &len, 2);
    unsigned char *got;
    size_t glen;
    muon_idx idx;

    /* Truncated .gz: zlib returns a short positive count (PITFALLS.md 3.4);
     * the message says how many of the 10016 bytes arrived. */
    char *gz = join(dir, "full.gz");
    write_gz(gz, b, len);
    size_t zlen = file_size(gz);
    FILE *f = fopen(gz, "rb");
    unsigned char *z = malloc(zlen);
    ck_assert_uint_eq(fread(z, 1, zlen, f), zlen);
    fclose(f);
    char *tr = join(dir, "trunc.gz");
    write_raw(tr, z, zlen / 2);
    assert_error(muon_idx_load(tr, 3, NULL, NULL, &got, &glen, &idx),
                 MUON_EFORMAT, "unexpected end of data: got ");
    ck_assert(strstr(muon_last_error(), " of 10016 bytes") != NULL);
    ck_assert(got == NULL);

    /* Cut inside the 8-byte gzip trailer: all data arrives, but the stream
     * does not end properly. */
    write_raw(tr, z, zlen - 3);
    assert_error(muon_idx_load(tr, 3, NULL, NULL, &got, &glen, &idx),
                 MUON_EFORMAT, "unexpected end of data");

    /* A flipped byte mid-stream: Z_DATA_ERROR (or a CRC mismatch at the
     * end), reported with zlib's own message. */
    char *fl = join(dir, "flip.gz");
    z[zlen / 2] ^= 0xFF;
    write_raw(fl, z, zlen);
    assert_error(muon_idx_load(fl, 3, NULL, NULL, &got, &glen, &idx),
                 MUON_EFORMAT, "corrupt compressed data");
    ck_assert(strstr(muon_last_error(), "zlib error -3") != NULL);
    z[zlen / 2] ^= 0xFF;

    /* Trailing bytes after the announced payload, in gz and raw form. */
    unsigned char *longer = malloc(len + 5);
    memcpy(longer, b, len);
    memset(longer + len, 7, 5);
    char *tg = join(dir, "trail.gz"), *trw = join(dir, "trail.raw");
    write_gz(tg, longer, len + 5);
    write_raw(trw, longer, len + 5);
    assert_error(muon_idx_load(tg, 3, NULL, NULL, &got, &glen, &idx),
                 MUON_EFORMAT, "trailing bytes");
    assert_error(muon_idx_load(trw, 3, NULL, NULL, &got, &glen, &idx),
                 MUON_EFORMAT, "trailing bytes");

    /* Wrong magic (a labels file read as images), wrong sizes (payload
     * shorter than announced), and the u32^3 overflow: all before any
     * payload allocation. */
    char *wm = join(dir, "magic.gz");
    put_be32(longer, 0x801);
    write_gz(wm, longer, len);
    assert_error(muon_idx_load(wm, 3, NULL, NULL, &got, &glen, &idx),
                 MUON_EFORMAT, "magic number 0x00000801, expected 0x00000803");
    put_be32(longer, 0x803);
    put_be32(longer + 4, 51);
    write_gz(wm, longer, len);
    assert_error(muon_idx_load(wm, 3, NULL, NULL, &got, &glen, &idx),
                 MUON_EFORMAT, "unexpected end of data: got 10016 of 10216");
    for (int i = 0; i < 3; i++)
        put_be32(longer + 4 + 4 * i, 0xFFFFFFFFu);
    write_gz(wm, longer, 16);
    assert_error(muon_idx_load(wm, 3, NULL, NULL, &got, &glen, &idx),
                 MUON_ENOMEM, "overflows size_t");

    /* A missing file names the path, strerror and the hint. */
    char *missing = join(dir, "nope.gz");
    assert_error(
        muon_idx_load(missing, 3, NULL, "install me", &got, &glen, &idx),
        MUON_EIO, "nope.gz: No such file or directory (install me)");

    free(b);
    free(z);
    free(longer);
    free(gz);
    free(tr);
    free(fl);
    free(tg);
    free(trw);
    free(wm);
    free(missing);
    free(dir);
}
END_TEST

/* ------------------------------------------------------- Fashion-MNIST */

/* Writes the four files of a tiny Fashion-MNIST with n_train / n_test
 * 2x3 images.  Training image i has pixel 0 = i (its identity) and the
 * rest i*7+k mod 256; label i mod 10. */
static void
write_fmnist(const char *dir, size_t n_train, size_t n_test,
             size_t n_labels_train, int bad_label)
{
    const char *names[4] = {
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
    size_t nimg[2] = {n_train, n_test}, nlab[2] = {n_labels_train, n_test};
    for (int part = 0; part < 2; part++) {
        unsigned char *px = malloc(nimg[part] * 6), *lab = malloc(nlab[part]);
        for (size_t i = 0; i < nimg[part]; i++)
            for (size_t k = 0; k < 6; k++)
                px[i * 6 + k] = (unsigned char)(k == 0 ? i : (i * 7 + k) % 256);
        for (size_t i = 0; i < nlab[part]; i++)
            lab[i] = (unsigned char)(i % 10);
        if (bad_label && part == 0)
            lab[nlab[0] - 1] = 10;
        uint32_t di[3] = {(uint32_t)nimg[part], 2, 3};
        uint32_t dl[1] = {(uint32_t)nlab[part]};
        size_t len;
        unsigned char *b = make_idx(3, di, px, nimg[part] * 6, &len);
        char *p = join(dir, names[2 * part]);
        write_gz(p, b, len);
        free(p);
        free(b);
        b = make_idx(1, dl, lab, nlab[part], &len);
        p = join(dir, names[2 * part + 1]);
        write_gz(p, b, len);
        free(p);
        free(b);
        free(px);
        free(lab);
    }
}

static void
moments(const muon_dataset *d, double *mean, double *sd)
{
    double s = 0, s2 = 0, cnt = (double)(d->n * d->in_dim);
    for (size_t i = 0; i < d->n * d->in_dim; i++)
        s += d->x[i];
    *mean = s / cnt;
    for (size_t i = 0; i < d->n * d->in_dim; i++)
        s2 += (d->x[i] - *mean) * (d->x[i] - *mean);
    *sd = sqrt(s2 / cnt);
}

START_TEST(test_fmnist_fixture)
{
    char *dir = fixture_dir("fm");
    write_fmnist(dir, 100, 20, 100, 0);
    muon_fmnist fm;
    int st = muon_fmnist_load(dir, 30, 7, 0, &fm);
    ck_assert_msg(st == MUON_SUCCESS, "%s", muon_last_error());
    ck_assert_uint_eq(fm.rows, 2);
    ck_assert_uint_eq(fm.cols, 3);
    ck_assert_uint_eq(fm.train->n, 70);
    ck_assert_uint_eq(fm.val->n, 30);
    ck_assert_uint_eq(fm.test->n, 20);
    ck_assert_uint_eq(fm.train->in_dim, 6);
    ck_assert_uint_eq(fm.train->nclass, 10);

    /* Standardised with the training part's statistics: the training
     * inputs have mean 0 and std 1 by definition. */
    double m, sd;
    moments(fm.train, &m, &sd);
    ck_assert_double_eq_tol(m, 0.0, TOL_F32_STORE);
    ck_assert_double_eq_tol(sd, 1.0, TOL_F32_STORE);

    /* Every training and validation example is one of the 100 originals
     * (pixel 0 undoes to its index), each exactly once, in file order
     * within each part, with its label. */
    int seen[100] = {0};
    const muon_dataset *parts[2] = {fm.train, fm.val};
    for (int p = 0; p < 2; p++) {
        long prev = -1;
        for (size_t j = 0; j < parts[p]->n; j++) {
            double v = (parts[p]->x[j * 6] * fm.std + fm.mean) * 255.0;
            long i = lround(v);
            ck_assert_double_eq_tol(v, (double)i, 1e-3);
            ck_assert(i >= 0 && i < 100);
            ck_assert_int_gt(i, prev);
            prev = i;
            seen[i]++;
            ck_assert_int_eq(parts[p]->y[j], (int)(i % 10));
            double v5 = (parts[p]->x[j * 6 + 5] * fm.std + fm.mean) * 255.0;
            ck_assert_double_eq_tol(v5, (double)((i * 7 + 5) % 256), 1e-3);
        }
    }
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(seen[i], 1);

    /* The split depends on the seed only: same seed, same validation set;
     * another seed, another one. */
    muon_fmnist fm2, fm3;
    ck_assert_int_eq(muon_fmnist_load(dir, 30, 7, 0, &fm2), MUON_SUCCESS);
    ck_assert_int_eq(memcmp(fm.val->x, fm2.val->x, 30 * 6 * sizeof(float)), 0);
    ck_assert_int_eq(muon_fmnist_load(dir, 30, 8, 0, &fm3), MUON_SUCCESS);
    ck_assert_int_ne(memcmp(fm.val->x, fm3.val->x, 30 * 6 * sizeof(float)), 0);
    muon_fmnist_free(&fm);
    muon_fmnist_free(&fm2);
    muon_fmnist_free(&fm3);

    /* Validation size out of range. */
    assert_error(muon_fmnist_load(dir, 100, 7, 0, &fm), MUON_ERANGE, "100");
    ck_assert(fm.train == NULL);
    free(dir);
}
END_TEST

START_TEST(test_fmnist_bad)
{
    muon_fmnist fm;
    /* Image and label counts disagree: both files named. */
    char *d1 = fixture_dir("fm-count");
    write_fmnist(d1, 40, 10, 39, 0);
    assert_error(muon_fmnist_load(d1, 0, 1, 0, &fm), MUON_EFORMAT,
                 "train-images-idx3-ubyte.gz has 40 images but ");
    ck_assert(strstr(muon_last_error(), "train-labels-idx1-ubyte.gz has 39 "
                                        "labels") != NULL);
    /* Label 10. */
    char *d2 = fixture_dir("fm-label");
    write_fmnist(d2, 40, 10, 40, 1);
    assert_error(muon_fmnist_load(d2, 0, 1, 0, &fm), MUON_EFORMAT,
                 "label 10 of item 39 is not in 0..9");
    /* Missing files: the path tried and the package to install. */
    char *d3 = fixture_dir("fm-empty");
    char *want = join(d3, "train-images-idx3-ubyte.gz: No such file or "
                          "directory (install it with: apt-get install "
                          "dataset-fashion-mnist)");
    assert_error(muon_fmnist_load(d3, 0, 1, 0, &fm), MUON_EIO, want);
    ck_assert(fm.train == NULL && fm.val == NULL && fm.test == NULL);
    /* Strict mode on fixture data: the Debian digests do not match. */
    char *d4 = fixture_dir("fm-strict");
    write_fmnist(d4, 40, 10, 40, 0);
    assert_error(muon_fmnist_load(d4, 0, 1, 1, &fm), MUON_ECORRUPT,
                 "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa"
                 "44d888");
    free(d1);
    free(d2);
    free(d3);
    free(d4);
    free(want);
}
END_TEST

/* The packaged data set: 60000 + 10000 images of 28x28, exactly 6000
 * training labels per class (PITFALLS.md 3.7), the decompressed files
 * match the recorded SHA-256, and the pixel statistics match the
 * normalisation constants published for Fashion-MNIST (mean 0.2860, std
 * 0.3530 of value/255 over the 60000 training images, to 4 decimals, as
 * used by torchvision examples). */
START_TEST(test_fmnist_real)
{
    struct stat sb;
    if (stat(MUON_FMNIST_DIR "/train-images-idx3-ubyte.gz", &sb) != 0) {
        fprintf(stderr, "skipped: %s not installed\n", MUON_FMNIST_PACKAGE);
        return;
    }
    muon_fmnist fm;
    int st = muon_fmnist_load(NULL, 0, 1, 1, &fm);
    ck_assert_msg(st == MUON_SUCCESS, "%s", muon_last_error());
    ck_assert_uint_eq(fm.train->n, 60000);
    ck_assert_uint_eq(fm.val->n, 0);
    ck_assert_uint_eq(fm.test->n, 10000);
    ck_assert_uint_eq(fm.rows, 28);
    ck_assert_uint_eq(fm.cols, 28);
    size_t per[10] = {0};
    for (size_t i = 0; i < fm.train->n; i++) {
        ck_assert(fm.train->y[i] >= 0 && fm.train->y[i] <= 9);
        per[fm.train->y[i]]++;
    }
    for (int c = 0; c < 10; c++)
        ck_assert_msg(per[c] == 6000, "class %d has %zu images", c, per[c]);
    ck_assert_double_eq_tol(fm.mean, 0.2860, TOL_PUBLISHED_4DP);
    ck_assert_double_eq_tol(fm.std, 0.3530, TOL_PUBLISHED_4DP);
    muon_fmnist_free(&fm);

    /* With a validation split the parts add up. */
    ck_assert_int_eq(muon_fmnist_load(NULL, 5000, 3, 0, &fm), MUON_SUCCESS);
    ck_assert_uint_eq(fm.train->n, 55000);
    ck_assert_uint_eq(fm.val->n, 5000);
    muon_fmnist_free(&fm);
}
END_TEST

/* ------------------------------------------------------------ batcher */

/* n examples with x = (i, -i), t = 10 i (regression) or y = i. */
static muon_dataset *
counting_set(size_t n, int regression)
{
    muon_dataset *d =
        muon_dataset_alloc(n, 2, regression ? 1 : 0, regression ? 0 : n);
    ck_assert_ptr_nonnull(d);
    for (size_t i = 0; i < n; i++) {
        d->x[2 * i] = (float)i;
        d->x[2 * i + 1] = -(float)i;
        if (regression)
            d->t[i] = 10.0f * (float)i;
        else
            d->y[i] = (int)i;
    }
    return d;
}

START_TEST(test_batcher_epochs)
{
    muon_dataset *d = counting_set(10, 0);
    muon_batcher *b = muon_batcher_alloc(d, 3, 5, 0);
    ck_assert_ptr_nonnull(b);
    float x[6];
    int y[3], order[2][10];
    size_t nb;
    /* Without drop_last: batches 3, 3, 3, 1 cover each example once. */
    for (int e = 0; e < 2; e++) {
        size_t got = 0;
        const size_t sizes[4] = {3, 3, 3, 1};
        for (int k = 0; k < 4; k++) {
            ck_assert_int_eq(muon_batcher_next(b, x, NULL, y, &nb), 0);
            ck_assert_uint_eq(nb, sizes[k]);
            ck_assert_uint_eq(muon_batcher_epoch(b), (unsigned long)e);
            for (size_t j = 0; j < nb; j++) {
                ck_assert_float_eq(x[2 * j], (float)y[j]);
                ck_assert_float_eq(x[2 * j + 1], -(float)y[j]);
                order[e][got++] = y[j];
            }
        }
        int seen[10] = {0};
        for (int i = 0; i < 10; i++)
            seen[order[e][i]]++;
        for (int i = 0; i < 10; i++)
            ck_assert_int_eq(seen[i], 1);
    }
    /* Reshuffled: the two epochs' orders differ (fixed seed, so this is a
     * deterministic property of the seed, not a flaky chance). */
    ck_assert_int_ne(memcmp(order[0], order[1], sizeof order[0]), 0);
    muon_batcher_free(b);

    /* drop_last: three full batches per epoch, never a short one. */
    b = muon_batcher_alloc(d, 3, 5, 1);
    for (int k = 0; k < 7; k++) {
        ck_assert_int_eq(muon_batcher_next(b, x, NULL, y, &nb), 0);
        ck_assert_uint_eq(nb, 3);
        ck_assert_uint_eq(muon_batcher_epoch(b), (unsigned long)(k / 3));
    }
    muon_batcher_free(b);

    /* Regression targets travel with their inputs. */
    muon_dataset *r = counting_set(7, 1);
    b = muon_batcher_alloc(r, 7, 1, 0);
    float xr[14], t[7];
    ck_assert_int_eq(muon_batcher_next(b, xr, t, NULL, &nb), 0);
    ck_assert_uint_eq(nb, 7);
    for (size_t j = 0; j < 7; j++)
        ck_assert_float_eq(t[j], 10.0f * xr[2 * j]);
    assert_error(muon_batcher_next(b, NULL, t, NULL, &nb), MUON_EINVAL, "NULL");
    muon_batcher_free(b);
    muon_dataset_free(r);

    /* Bad arguments. */
    ck_assert_ptr_null(muon_batcher_alloc(d, 0, 1, 0));
    assert_message("batch size must be in 1..10");
    ck_assert_ptr_null(muon_batcher_alloc(d, 11, 1, 0));
    muon_dataset_free(d);
}
END_TEST

/* Runs b for k batches; returns the labels of the next m batches
 * (batch 4) in out[m*4] (-1 where a batch was short). */
static void
run_batches(muon_batcher *b, int m, int *out)
{
    float x[8];
    int y[4];
    size_t nb;
    for (int k = 0; k < m; k++) {
        ck_assert_int_eq(muon_batcher_next(b, x, NULL, y, &nb), 0);
        for (size_t j = 0; j < 4; j++)
            out[4 * k + (int)j] = j < nb ? y[j] : -1;
    }
}

START_TEST(test_batcher_resume)
{
    muon_dataset *d = counting_set(10, 0);
    /* Same seed, same stream. */
    int s1[80], s2[80];
    muon_batcher *a = muon_batcher_alloc(d, 4, 11, 0);
    muon_batcher *c = muon_batcher_alloc(d, 4, 11, 0);
    run_batches(a, 20, s1);
    run_batches(c, 20, s2);
    ck_assert_int_eq(memcmp(s1, s2, sizeof s1), 0);
    muon_batcher_free(a);
    muon_batcher_free(c);

    /* Save after k batches (inside epochs and at their boundaries), then
     * a batcher with another seed restored from the bytes continues
     * bit-identically. */
    for (int k = 0; k <= 9; k++) {
        a = muon_batcher_alloc(d, 4, 11, 0);
        run_batches(a, k, s1);
        size_t sz = muon_batcher_state_size(a);
        unsigned char *state = malloc(sz);
        ck_assert_int_eq(muon_batcher_save(a, state, sz), 0);
        unsigned long epoch = muon_batcher_epoch(a);
        size_t pos = muon_batcher_position(a);
        run_batches(a, 8, s1);
        c = muon_batcher_alloc(d, 4, 999, 0);
        ck_assert_int_eq(muon_batcher_restore(c, state, sz), 0);
        ck_assert_uint_eq(muon_batcher_epoch(c), epoch);
        ck_assert_uint_eq(muon_batcher_position(c), pos);
        run_batches(c, 8, s2);
        ck_assert_msg(memcmp(s1, s2, 32 * sizeof(int)) == 0,
                      "resume after %d batches differs", k);
        muon_batcher_free(a);
        muon_batcher_free(c);
        free(state);
    }

    /* Bad states: wrong length, foreign tag, another data set size. */
    a = muon_batcher_alloc(d, 4, 11, 0);
    size_t sz = muon_batcher_state_size(a);
    unsigned char *state = malloc(sz);
    ck_assert_int_eq(muon_batcher_save(a, state, sz - 1), MUON_EBADLEN);
    ck_assert_int_eq(muon_batcher_save(a, state, sz), 0);
    assert_error(muon_batcher_restore(a, state, sz - 1), MUON_EBADLEN,
                 "expected");
    state[0] ^= 1;
    assert_error(muon_batcher_restore(a, state, sz), MUON_ECORRUPT, "tag");
    state[0] ^= 1;
    muon_dataset *d9 = counting_set(9, 0);
    muon_batcher *o = muon_batcher_alloc(d9, 4, 11, 0);
    assert_error(muon_batcher_restore(o, state, sz), MUON_ECORRUPT,
                 "size 0 is 10, this iterator has 9");
    /* A position beyond the data (a hand-edited state). */
    muon_state_head h;
    memcpy(&h, state, sizeof h);
    h.count[1] = 11;
    memcpy(state, &h, sizeof h);
    assert_error(muon_batcher_restore(a, state, sz), MUON_ECORRUPT,
                 "position 11");
    muon_batcher_free(o);
    muon_batcher_free(a);
    muon_dataset_free(d9);
    muon_dataset_free(d);
    free(state);
}
END_TEST

START_TEST(test_dataset_split)
{
    muon_dataset *d = counting_set(50, 1), *tr, *va;
    ck_assert_int_eq(muon_dataset_split(d, 12, 4, &tr, &va), 0);
    ck_assert_uint_eq(tr->n, 38);
    ck_assert_uint_eq(va->n, 12);
    int seen[50] = {0};
    const muon_dataset *parts[2] = {tr, va};
    for (int p = 0; p < 2; p++)
        for (size_t j = 0; j < parts[p]->n; j++) {
            int i = (int)parts[p]->x[2 * j];
            seen[i]++;
            ck_assert_float_eq(parts[p]->t[j], 10.0f * (float)i);
            if (j)
                ck_assert_float_gt(parts[p]->x[2 * j], parts[p]->x[2 * j - 2]);
        }
    for (int i = 0; i < 50; i++)
        ck_assert_int_eq(seen[i], 1);
    muon_dataset_free(tr);
    muon_dataset_free(va);
    assert_error(muon_dataset_split(d, 50, 4, &tr, &va), MUON_ERANGE,
                 "validation size 50");
    ck_assert_ptr_null(muon_dataset_alloc(3, 2, 1, 10));
    assert_message("exactly one of out_dim, nclass");
    ck_assert_ptr_null(muon_dataset_alloc(SIZE_MAX / 2, 4, 0, 10));
    assert_message("overflows size_t");
    muon_dataset_free(d);
}
END_TEST

/* --------------------------------------------------------------- text */

START_TEST(test_utf8)
{
    static const struct {
        const char *s;
        size_t len;
        int ok;
        size_t bad;
    } v[] = {
        {"", 0, 1, 0},
        {"abc", 3, 1, 0},
        {"\xC3\xA9", 2, 1, 0},         /* U+00E9 */
        {"\xE2\x82\xAC", 3, 1, 0},     /* U+20AC */
        {"\xF0\x9D\x84\x9E", 4, 1, 0}, /* U+1D11E */
        {"\xF4\x8F\xBF\xBF", 4, 1, 0}, /* U+10FFFF, the last one */
        {"\xED\x9F\xBF", 3, 1, 0},     /* U+D7FF, just below surrogates */
        {"ab\x80", 3, 0, 2},           /* stray continuation byte */
        {"\xC0\xAF", 2, 0, 0},         /* overlong '/' */
        {"a\xE0\x80\xAF", 4, 0, 1},    /* overlong 3-byte */
        {"\xF0\x80\x80\xAF", 4, 0, 0}, /* overlong 4-byte */
        {"\xED\xA0\x80", 3, 0, 0},     /* surrogate U+D800 */
        {"\xF4\x90\x80\x80", 4, 0, 0}, /* U+110000 */
        {"xy\xE2\x82", 4, 0, 2},       /* truncated at the end */
        {"\xC3\x28", 2, 0, 0},         /* bad continuation */
        {"ok\xE2\x28\xA1", 5, 0, 2},   /* bad third byte... second */
        {"\xFF", 1, 0, 0},
        {"a\xF5\x80\x80\x80", 5, 0, 1}, /* lead byte beyond F4 */
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t bad = 12345;
        int ok = muon_utf8_valid(v[i].s, v[i].len, &bad);
        ck_assert_msg(ok == v[i].ok, "case %zu: valid=%d", i, ok);
        if (!ok)
            ck_assert_msg(bad == v[i].bad, "case %zu: offset %zu, want %zu", i,
                          bad, v[i].bad);
    }
}
END_TEST

START_TEST(test_text_vocab_entropy)
{
    /* "hello": bytes e < h < l < o get ids 0..3. */
    muon_text *t = muon_text_from_bytes("hello", 5, 0.0, "mem");
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(t->vocab, 4);
    const uint8_t ids[5] = {1, 0, 2, 2, 3};
    ck_assert_int_eq(memcmp(t->tok, ids, 5), 0);
    ck_assert_int_eq(t->byte_of[2], 'l');
    ck_assert_int_eq(t->id_of['o'], 3);
    ck_assert_int_eq(t->id_of['a'], -1);
    /* p = (.2, .2, .4, .2): H = -(3 (.2 ln .2) + .4 ln .4) by hand. */
    double H = -(3 * 0.2 * log(0.2) + 0.4 * log(0.4));
    ck_assert_double_eq_tol(t->entropy, H, 1e-15);
    ck_assert_uint_eq(t->n_train, 5);
    muon_text_free(t);

    /* "aab": H = ln 3 - (2/3) ln 2 = 0.636514168294813... */
    t = muon_text_from_bytes("aab", 3, 0.0, "mem");
    ck_assert_double_eq_tol(t->entropy, 0.6365141682948128, 1e-15);
    muon_text_free(t);

    /* A single repeated byte has zero entropy. */
    t = muon_text_from_bytes("zzzz", 4, 0.0, "mem");
    ck_assert_double_eq_tol(t->entropy, 0.0, 1e-15);
    ck_assert_uint_eq(t->vocab, 1);
    muon_text_free(t);

    /* "é" is two byte tokens. */
    t = muon_text_from_bytes("\xC3\xA9", 2, 0.0, "mem");
    ck_assert_uint_eq(t->vocab, 2);
    ck_assert_int_eq(t->byte_of[0], 0xA9); /* ids in byte order */
    ck_assert_int_eq(t->byte_of[1], 0xC3);
    muon_text_free(t);

    /* Split: the last floor(100 * 0.25) = 25 bytes are validation. */
    char buf[100];
    for (int i = 0; i < 100; i++)
        buf[i] = (char)('a' + i % 26);
    t = muon_text_from_bytes(buf, 100, 0.25, "mem");
    ck_assert_uint_eq(t->n_train, 75);
    ck_assert_uint_eq(t->n, 100);
    ck_assert_int_eq(t->byte_of[t->tok[75]], 'a' + 75 % 26);
    muon_text_free(t);

    ck_assert_ptr_null(muon_text_from_bytes("ab", 2, 1.0, "mem"));
    assert_message("[0, 1)");
    ck_assert_ptr_null(muon_text_from_bytes("ab\xFF", 3, 0.0, "mem"));
    assert_message("mem: invalid UTF-8 at byte "
                   "offset 2");
    ck_assert_ptr_null(muon_text_from_bytes("", 0, 0.0, "mem"));
    assert_message("no text");
}
END_TEST

START_TEST(test_text_folder)
{
    char *dir = fixture_dir("text");
    char *p;
    write_raw(p = join(dir, "b.txt"), "bb\n", 3);
    free(p);
    write_raw(p = join(dir, "a.txt"), "aa\n", 3);
    free(p);
    write_raw(p = join(dir, "a.txt.dat"), "\xFF\xFE", 2);
    free(p);
    write_raw(p = join(dir, ".hidden"), "\xFF", 1);
    free(p);
    p = join(dir, "c.u8");
    ck_assert_int_eq(symlink("a.txt", p), 0);
    free(p);
    char *sub = join(dir, "off");
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    write_raw(p = join(sub, "x"), "xx\n", 3);
    free(p);

    muon_text *t = muon_text_load(dir, 0.0);
    ck_assert_msg(t != NULL, "%s", muon_last_error());
    ck_assert_uint_eq(t->nfiles, 2);
    ck_assert_uint_eq(t->n, 6);
    char got[7] = {0};
    for (size_t i = 0; i < 6; i++)
        got[i] = (char)t->byte_of[t->tok[i]];
    ck_assert_str_eq(got, "aa\nbb\n");
    muon_text_free(t);

    /* A subfolder is read when asked for by path. */
    t = muon_text_load(sub, 0.0);
    ck_assert_uint_eq(t->n, 3);
    muon_text_free(t);

    /* One invalid file: named, with the offset inside that file. */
    write_raw(p = join(dir, "c.txt"), "abc\xC0\xAF", 5);
    ck_assert_ptr_null(muon_text_load(dir, 0.0));
    assert_message("c.txt: invalid UTF-8 at byte "
                   "offset 3");
    free(p);
    char *missing = join(dir, "missing");
    ck_assert_ptr_null(muon_text_load(missing, 0.0));
    assert_message("missing: No such file or directory");
    char *empty = fixture_dir("text-empty");
    ck_assert_ptr_null(muon_text_load(empty, 0.0));
    assert_message("no text files");
    free(missing);
    free(empty);
    free(sub);
    free(dir);
}
END_TEST

/* The fortunes package, when installed: the stream is exactly the regular
 * non-.dat files (sizes summed here with stat), and the entropy lies in
 * (0, ln vocab]. */
START_TEST(test_text_fortunes)
{
    struct stat sb;
    if (stat(MUON_TEXT_DIR "/fortunes", &sb) != 0) {
        fprintf(stderr, "skipped: fortunes not installed\n");
        return;
    }
    muon_text *t = muon_text_load(NULL, 0.1);
    ck_assert_msg(t != NULL, "%s", muon_last_error());
    FILE *ls = popen("find " MUON_TEXT_DIR " -maxdepth 1 -type f ! -name "
                     "'*.dat' ! -name '.*' -printf '%s\\n'",
                     "r");
    ck_assert_ptr_nonnull(ls);
    size_t total = 0, files = 0, sz;
    while (fscanf(ls, "%zu", &sz) == 1) {
        total += sz;
        files++;
    }
    pclose(ls);
    ck_assert_uint_eq(t->n, total);
    ck_assert_uint_eq(t->nfiles, files);
    ck_assert_uint_eq(t->n - t->n_train, (size_t)floor(0.1 * (double)total));
    ck_assert(t->entropy > 0 && t->entropy <= log((double)t->vocab));
    muon_text_free(t);
}
END_TEST

START_TEST(test_text_batcher)
{
    /* A stream of 26-letter cycles: a window is valid iff consecutive
     * tokens follow the cycle. */
    char buf[520];
    for (int i = 0; i < 520; i++)
        buf[i] = (char)('a' + i % 26);
    muon_text *t = muon_text_from_bytes(buf, 520, 0.5, "mem");
    const size_t B = 5, T = 7;
    muon_text_batcher *a = muon_text_batcher_alloc(t, 0, B, T, 3);
    muon_text_batcher *v = muon_text_batcher_alloc(t, 1, B, T, 3);
    ck_assert_ptr_nonnull(a);
    int tok[5 * 8], tok2[5 * 8];
    for (int k = 0; k < 50; k++) {
        ck_assert_int_eq(muon_text_batcher_next(a, tok), 0);
        ck_assert_int_eq(muon_text_batcher_next(v, tok2), 0);
        for (size_t i = 0; i < B; i++)
            for (size_t j = 1; j <= T; j++) {
                ck_assert_int_eq(tok[i * 8 + j], (tok[i * 8 + j - 1] + 1) % 26);
                ck_assert_int_eq(tok2[i * 8 + j],
                                 (tok2[i * 8 + j - 1] + 1) % 26);
            }
    }
    ck_assert_uint_eq(muon_text_batcher_count(a), 50);
    /* Both parts hold 260 tokens of the same cycle (260 = 10 * 26), so
     * same-seed windows of the two parts must be equal token for token. */
    ck_assert_int_eq(memcmp(tok, tok2, sizeof tok), 0);

    /* Resume: save, draw 10, restore into another seed's batcher, draw 10. */
    size_t sz = muon_text_batcher_state_size(a);
    unsigned char *state = malloc(sz);
    ck_assert_int_eq(muon_text_batcher_save(a, state, sz), 0);
    int s1[10][40], s2[10][40];
    for (int k = 0; k < 10; k++)
        muon_text_batcher_next(a, s1[k]);
    muon_text_batcher *c = muon_text_batcher_alloc(t, 0, B, T, 77);
    ck_assert_int_eq(muon_text_batcher_restore(c, state, sz), 0);
    ck_assert_uint_eq(muon_text_batcher_count(c), 50);
    for (int k = 0; k < 10; k++)
        muon_text_batcher_next(c, s2[k]);
    ck_assert_int_eq(memcmp(s1, s2, sizeof s1), 0);
    /* A state from another geometry is refused. */
    muon_text_batcher *o = muon_text_batcher_alloc(t, 0, B, T + 1, 3);
    assert_error(muon_text_batcher_restore(o, state, sz), MUON_ECORRUPT,
                 "size 2 is 7");
    state[3] ^= 4;
    assert_error(muon_text_batcher_restore(c, state, sz), MUON_ECORRUPT, "tag");
    /* Windows longer than the part. */
    ck_assert_ptr_null(muon_text_batcher_alloc(t, 1, 1, 260, 1));
    assert_message("fewer than T+1 = 261");
    ck_assert_ptr_nonnull(o);
    muon_text_batcher_free(o);
    muon_text_batcher_free(a);
    muon_text_batcher_free(v);
    muon_text_batcher_free(c);
    muon_text_free(t);
    free(state);
}
END_TEST

/* ---------------------------------------------------------- synthetic */

/* Singular values (descending) of the float n x d inputs, in double. */
static void
svals(const muon_dataset *d, double *s)
{
    size_t n = d->n, k = d->in_dim;
    double *A = malloc(n * k * sizeof *A);
    for (size_t i = 0; i < n * k; i++)
        A[i] = d->x[i];
    int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'N', (int)n, (int)k, A, (int)k,
                              s, NULL, (int)n, NULL, (int)k);
    ck_assert_int_eq(info, 0);
    free(A);
}

/* min_x ||A x - b||^2 / n and the minimiser, by LAPACK's dgels (QR) on
 * double copies of the float data. */
static double
lstsq_floor(const muon_dataset *d, double *x)
{
    size_t n = d->n, k = d->in_dim;
    double *A = malloc(n * k * sizeof *A), *b = malloc(n * sizeof *b);
    for (size_t i = 0; i < n * k; i++)
        A[i] = d->x[i];
    for (size_t i = 0; i < n; i++)
        b[i] = d->t[i];
    int info = LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', (int)n, (int)k, 1, A,
                             (int)k, b, 1);
    ck_assert_int_eq(info, 0);
    double r = 0;
    for (size_t i = k; i < n; i++)
        r += b[i] * b[i];
    if (x)
        memcpy(x, b, k * sizeof *x);
    free(A);
    free(b);
    return r / (double)n;
}

START_TEST(test_task_lstsq)
{
    static const double kappas[] = {1.0, 10.0, 1e3};
    for (size_t c = 0; c < 3; c++) {
        muon_task task;
        int st = muon_task_lstsq(60, 20, kappas[c], 0.0, 5, &task);
        ck_assert_msg(st == 0, "%s", muon_last_error());
        double s[20];
        svals(task.data, s);
        ck_assert_double_eq_tol(s[0] / s[19] / kappas[c], 1.0, TOL_F32_COND);
        ck_assert_double_eq_tol(s[0] / sqrt(60.0), 1.0, TOL_F32_STORE);
        ck_assert_double_eq_tol(task.floor, 0.0, 1e-30);
        /* Noiseless: the least-squares solution is x*. */
        double x[20], err = 0, nrm = 0;
        double fl = lstsq_floor(task.data, x);
        for (int i = 0; i < 20; i++) {
            err += (x[i] - task.truth[i]) * (x[i] - task.truth[i]);
            nrm += task.truth[i] * task.truth[i];
        }
        ck_assert_msg(sqrt(err / nrm) < TOL_F32_COND, "kappa %g: |x-x*| %g",
                      kappas[c], sqrt(err / nrm));
        ck_assert_double_eq_tol(fl, 0.0, 1e-8);
        muon_task_free(&task);
    }
    /* With noise, the reported floor is the least-squares residual. */
    muon_task task;
    ck_assert_int_eq(muon_task_lstsq(80, 30, 100.0, 0.3, 6, &task), 0);
    double fl = lstsq_floor(task.data, NULL);
    ck_assert_double_eq_tol(task.floor / fl, 1.0, TOL_F32_COND);
    /* Its expectation is noise^2 (n-d)/n = 0.09 * 50/80; the realised value
     * is a chi-square with 50 degrees of freedom: within 5 standard
     * deviations sqrt(2/50) = 0.2 relative, loosely. */
    ck_assert(fabs(task.floor / (0.09 * 50 / 80) - 1) < 1.0);
    muon_task_free(&task);

    /* Same seed, same bits; another seed, other data. */
    muon_task t1, t2, t3;
    muon_task_lstsq(30, 10, 50.0, 0.1, 9, &t1);
    muon_task_lstsq(30, 10, 50.0, 0.1, 9, &t2);
    muon_task_lstsq(30, 10, 50.0, 0.1, 10, &t3);
    ck_assert_int_eq(memcmp(t1.data->x, t2.data->x, 300 * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(t1.data->t, t2.data->t, 30 * sizeof(float)), 0);
    ck_assert_int_ne(memcmp(t1.data->x, t3.data->x, 300 * sizeof(float)), 0);
    muon_task_free(&t1);
    muon_task_free(&t2);
    muon_task_free(&t3);

    assert_error(muon_task_lstsq(10, 20, 10, 0, 1, &task), MUON_ERANGE,
                 "n >= d");
    assert_error(muon_task_lstsq(30, 20, 0.5, 0, 1, &task), MUON_ERANGE,
                 "kappa");
    assert_error(muon_task_lstsq(30, 20, 10, NAN, 1, &task), MUON_ERANGE,
                 "noise");
    assert_error(muon_task_lstsq(0, 0, 10, 0, 1, &task), MUON_ERANGE, "n");
    ck_assert_ptr_null(task.data);
}
END_TEST

START_TEST(test_task_teacher)
{
    const size_t w[4] = {6, 16, 8, 3};
    muon_task a, b, c;
    ck_assert_int_eq(muon_task_teacher(200, w, 4, 0.0, 3, &a), 0);
    ck_assert_int_eq(muon_task_teacher(200, w, 4, 0.0, 3, &b), 0);
    ck_assert_int_eq(muon_task_teacher(200, w, 4, 0.0, 4, &c), 0);
    ck_assert_uint_eq(a.data->in_dim, 6);
    ck_assert_uint_eq(a.data->out_dim, 3);
    ck_assert_int_eq(memcmp(a.data->x, b.data->x, 1200 * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(a.data->t, b.data->t, 600 * sizeof(float)), 0);
    ck_assert_int_ne(memcmp(a.data->t, c.data->t, 600 * sizeof(float)), 0);
    ck_assert_double_eq_tol(a.floor, 0.0, 1e-300);
    ck_assert_ptr_null(a.truth);
    /* Nonlinear teacher: targets are not an affine function of inputs (the
     * least-squares residual of t_0 on x is far from 0). */
    muon_dataset lin = *a.data;
    float *t0 = malloc(200 * sizeof *t0);
    for (int i = 0; i < 200; i++)
        t0[i] = a.data->t[3 * i];
    lin.t = t0;
    lin.out_dim = 1;
    ck_assert(lstsq_floor(&lin, NULL) > 1e-4);
    free(t0);
    muon_task_free(&b);
    muon_task_free(&c);

    /* Noise: same seed, so the same inputs and clean targets; the
     * difference is noise * N(0,1), whose sample variance over 3*2000
     * draws is noise^2 within 5 sd (sqrt(2/6000) = 1.8% each). */
    muon_task_free(&a);
    ck_assert_int_eq(muon_task_teacher(2000, w, 4, 0.0, 3, &a), 0);
    ck_assert_int_eq(muon_task_teacher(2000, w, 4, 0.5, 3, &b), 0);
    ck_assert_double_eq_tol(b.floor, 0.25, 1e-15);
    double v = 0;
    for (int i = 0; i < 6000; i++)
        v += (double)(b.data->t[i] - a.data->t[i]) *
             (b.data->t[i] - a.data->t[i]);
    ck_assert_double_eq_tol(v / 6000 / 0.25, 1.0, 5 * sqrt(2.0 / 6000));
    /* Inputs N(0,1): mean within 5 sd of 0, variance within 5 sd of 1. */
    double m = 0, m2 = 0;
    for (int i = 0; i < 12000; i++) {
        m += a.data->x[i];
        m2 += (double)a.data->x[i] * a.data->x[i];
    }
    ck_assert_double_eq_tol(m / 12000, 0.0, 5 / sqrt(12000.0));
    ck_assert_double_eq_tol(m2 / 12000, 1.0, 5 * sqrt(2 / 12000.0));
    muon_task_free(&a);
    muon_task_free(&b);

    /* A linear teacher (no hidden layer), noiseless: exactly linear. */
    const size_t wl[2] = {5, 1};
    ck_assert_int_eq(muon_task_teacher(40, wl, 2, 0.0, 2, &a), 0);
    ck_assert_double_eq_tol(lstsq_floor(a.data, NULL), 0.0, 1e-12);
    muon_task_free(&a);

    const size_t wz[3] = {4, 0, 1};
    assert_error(muon_task_teacher(10, wz, 3, 0, 1, &a), MUON_ERANGE,
                 "width 1 must be");
    assert_error(muon_task_teacher(10, wl, 1, 0, 1, &a), MUON_EINVAL,
                 "at least");
    assert_error(muon_task_teacher(10, wl, 2, -1, 1, &a), MUON_ERANGE, "noise");
}
END_TEST

START_TEST(test_task_sensing)
{
    muon_task a;
    const size_t n = 50, m = 6, p = 5, r = 2;
    ck_assert_int_eq(muon_task_sensing(n, m, p, r, 0.0, 8, &a), 0);
    ck_assert_uint_eq(a.data->in_dim, m * p);
    ck_assert_uint_eq(a.ntruth, m * p);
    /* y_i = <A_i, X*> by a plain double loop. */
    for (size_t i = 0; i < n; i++) {
        double y = 0, s = 0;
        for (size_t k = 0; k < m * p; k++) {
            y += (double)a.data->x[i * m * p + k] * a.truth[k];
            s += fabs((double)a.data->x[i * m * p + k] * a.truth[k]);
        }
        ck_assert_double_eq_tol(a.data->t[i], y, TOL_F32_STORE * s);
    }
    /* X* has rank r exactly: sigma_3 / sigma_1 at round-off level. */
    double X[30], s[5];
    memcpy(X, a.truth, sizeof X);
    ck_assert_int_eq(LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'N', (int)m, (int)p, X,
                                    (int)p, s, NULL, (int)m, NULL, (int)p),
                     0);
    ck_assert(s[1] / s[0] > 1e-3);
    ck_assert_msg(s[2] / s[0] < TOL_F64_SVD, "sigma3/sigma1 = %g", s[2] / s[0]);
    ck_assert_double_eq_tol(a.floor, 0.0, 1e-300);
    muon_task_free(&a);

    ck_assert_int_eq(muon_task_sensing(n, m, p, r, 0.2, 8, &a), 0);
    ck_assert_double_eq_tol(a.floor, 0.04, 1e-15);
    muon_task_free(&a);
    assert_error(muon_task_sensing(n, m, p, 6, 0.0, 8, &a), MUON_ERANGE,
                 "rank must be in 1..min(m, p) = 5 (got 6)");
    assert_error(muon_task_sensing(n, 0, p, 1, 0.0, 8, &a), MUON_ERANGE,
                 "m must be");
}
END_TEST

static Suite *
data_suite(void)
{
    Suite *s = suite_create("data");
    TCase *tc = tcase_create("idx");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sha256_vectors);
    tcase_add_test(tc, test_idx_parse_valid);
    tcase_add_test(tc, test_idx_parse_bad);
    tcase_add_test(tc, test_idx_parse_mutations);
    tcase_add_test(tc, test_idx_load_gz_and_raw);
    tcase_add_test(tc, test_idx_load_bad);
    tcase_add_test(tc, test_fmnist_fixture);
    tcase_add_test(tc, test_fmnist_bad);
    tcase_add_test(tc, test_fmnist_real);
    suite_add_tcase(s, tc);

    tc = tcase_create("batch");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_batcher_epochs);
    tcase_add_test(tc, test_batcher_resume);
    tcase_add_test(tc, test_dataset_split);
    suite_add_tcase(s, tc);

    tc = tcase_create("text");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_utf8);
    tcase_add_test(tc, test_text_vocab_entropy);
    tcase_add_test(tc, test_text_folder);
    tcase_add_test(tc, test_text_fortunes);
    tcase_add_test(tc, test_text_batcher);
    suite_add_tcase(s, tc);

    tc = tcase_create("tasks");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_task_lstsq);
    tcase_add_test(tc, test_task_teacher);
    tcase_add_test(tc, test_task_sensing);
    suite_add_tcase(s, tc);
    return s;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

int
main(void)
{
    gsl_set_error_handler_off();
    if (!mkdtemp(fixture_root)) {
        perror("mkdtemp");
        return 99;
    }
    SRunner *r = srunner_create(data_suite());
    srunner_run_all(r, CK_ENV);
    int nf = srunner_ntests_failed(r), nr = srunner_ntests_run(r);
    srunner_free(r);
    nftw(fixture_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    printf("%d passed, %d failed\n", nr - nf, nf);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
