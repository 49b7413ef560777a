/* idx.c: the IDX parser (in memory) and loader (through zlib), with the
 * checks of PITFALLS.md 3.4 and 3.7. */
#include "data/data_impl.h"
#include "muon/data.h"
#include "muon/status.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#define IDX_UBYTE 0x08

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

/* Checks the 4-byte magic against 0x000008<ndim>. */
static int
check_magic(const unsigned char *p, unsigned ndim, const char *name)
{
    uint32_t magic = be32(p), want = (uint32_t)IDX_UBYTE << 8 | ndim;
    if (magic != want)
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: magic number 0x%08x, expected 0x%08x "
                          "(unsigned-byte IDX with %u dimension%s)",
                          name, magic, want, ndim, ndim == 1 ? "" : "s");
    return MUON_SUCCESS;
}

/* Reads the ndim sizes after the magic and their product, refusing a zero
 * size and a product that does not fit size_t (before anyone mallocs). */
static int
parse_dims(const unsigned char *p, unsigned ndim, const char *name,
           muon_idx *idx)
{
    size_t prod = 1;
    idx->ndim = ndim;
    for (unsigned i = 0; i < ndim; i++) {
        idx->dims[i] = be32(p + 4 + 4 * i);
        if (idx->dims[i] == 0)
            return MUON_ERROR(MUON_EFORMAT, "%s: dimension %u is 0", name,
                              i + 1);
        if (__builtin_mul_overflow(prod, (size_t)idx->dims[i], &prod))
            return MUON_ERROR(MUON_ENOMEM,
                              "%s: the product of the dimensions overflows "
                              "size_t (dimension %u is %u)",
                              name, i + 1, (unsigned)idx->dims[i]);
    }
    for (unsigned i = ndim; i < MUON_IDX_MAXDIM; i++)
        idx->dims[i] = 0;
    idx->header_len = 4 + 4 * (size_t)ndim;
    idx->payload_len = prod;
    if (prod > SIZE_MAX - idx->header_len)
        return MUON_ERROR(MUON_ENOMEM, "%s: file size overflows size_t", name);
    return MUON_SUCCESS;
}

static int
check_args(unsigned ndim, const char *name, const void *out)
{
    if (ndim < 1 || ndim > MUON_IDX_MAXDIM)
        return MUON_ERROR(MUON_EINVAL,
                          "%s: IDX dimensions must be 1..%d "
                          "(got %u)",
                          name, MUON_IDX_MAXDIM, ndim);
    if (!out)
        return MUON_ERROR(MUON_EINVAL, "%s: NULL output", name);
    return MUON_SUCCESS;
}

int
muon_idx_parse(const void *buf, size_t len, unsigned ndim, const char *name,
               muon_idx *idx)
{
    const unsigned char *p = buf;
    if (!name)
        name = "IDX data";
    int st = check_args(ndim, name, idx);
    if (st)
        return st;
    if (!p && len)
        return MUON_ERROR(MUON_EINVAL, "%s: NULL buffer", name);
    if (len < 4)
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: unexpected end of data: got %zu "
                          "of 4 bytes of the magic number",
                          name, len);
    if ((st = check_magic(p, ndim, name)))
        return st;
    if (len < 4 + 4 * (size_t)ndim)
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: unexpected end of data: got %zu "
                          "of %zu header bytes",
                          name, len, 4 + 4 * (size_t)ndim);
    if ((st = parse_dims(p, ndim, name, idx)))
        return st;
    size_t want = idx->header_len + idx->payload_len;
    if (len < want)
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: unexpected end of data: got %zu "
                          "of %zu bytes",
                          name, len, want);
    if (len > want)
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: %zu trailing bytes after the "
                          "%zu bytes the header announces",
                          name, len - want, want);
    idx->payload = p + idx->header_len;
    return MUON_SUCCESS;
}

/* An open gzip stream and what we know about it, for error messages. */
typedef struct {
    gzFile gz;
    const char *path;
    size_t got;  /* bytes delivered so far */
    size_t want; /* bytes expected in total so far (for messages) */
} reader;

/* Reads exactly n bytes into dst.  zlib reads are partial by design: a
 * truncated stream gives a short positive count with Z_BUF_ERROR, a
 * corrupt one -1 with Z_DATA_ERROR (PITFALLS.md 3.4), so both the count
 * and gzerror are checked.  gzread takes an unsigned count and returns an
 * int, hence the chunks. */
static int
read_exact(reader *r, unsigned char *dst, size_t n)
{
    while (n > 0) {
        unsigned chunk = n > (1u << 30) ? 1u << 30 : (unsigned)n;
        int k = gzread(r->gz, dst, chunk);
        int zerr = Z_OK;
        const char *msg = gzerror(r->gz, &zerr);
        if (k < 0 || (zerr != Z_OK && zerr != Z_BUF_ERROR)) {
            if (zerr == Z_ERRNO)
                return MUON_ERROR(MUON_EIO, "%s: read error: %s", r->path,
                                  strerror(errno));
            return MUON_ERROR(MUON_EFORMAT,
                              "%s: corrupt compressed data "
                              "after %zu bytes: %s (zlib error %d)",
                              r->path, r->got, msg ? msg : "?", zerr);
        }
        r->got += (size_t)k;
        if ((unsigned)k < chunk)
            return MUON_ERROR(MUON_EFORMAT,
                              "%s: unexpected end of data: got "
                              "%zu of %zu bytes",
                              r->path, r->got, r->want);
        dst += k;
        n -= (size_t)k;
    }
    return MUON_SUCCESS;
}

/* After the announced bytes, the stream must end: reading one more byte
 * must return 0 and leave no error (this is also when zlib checks the
 * gzip trailer's CRC-32 and length). */
static int
expect_end(reader *r)
{
    unsigned char extra[4096];
    int k = gzread(r->gz, extra, sizeof extra);
    int zerr = Z_OK;
    const char *msg = gzerror(r->gz, &zerr);
    if (k < 0 || (zerr != Z_OK && zerr != Z_BUF_ERROR))
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: corrupt compressed data at the "
                          "end of the stream: %s (zlib error %d)",
                          r->path, msg ? msg : "?", zerr);
    if (zerr == Z_BUF_ERROR)
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: unexpected end of data: the "
                          "gzip stream is truncated after all %zu bytes "
                          "(%s)",
                          r->path, r->got, msg ? msg : "?");
    if (k > 0)
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: trailing bytes after the %zu "
                          "bytes the header announces",
                          r->path, r->got);
    return MUON_SUCCESS;
}

static int
open_gz(reader *r, const char *path, const char *hint)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT && hint)
            return MUON_ERROR(MUON_EIO, "%s: %s (%s)", path, strerror(e), hint);
        return MUON_ERROR(MUON_EIO, "%s: %s", path, strerror(e));
    }
    /* Opening the descriptor ourselves gives a reliable errno above;
     * gzdopen then owns fd. */
    r->gz = gzdopen(fd, "rb");
    if (!r->gz) {
        close(fd);
        return MUON_ERROR(MUON_ENOMEM, "%s: cannot start zlib", path);
    }
    /* A larger input buffer than zlib's 8 KiB default: fewer read calls
     * on the 26 MB training images. */
    gzbuffer(r->gz, 1u << 17);
    r->path = path;
    r->got = 0;
    return MUON_SUCCESS;
}

/* Closes the stream, reporting gzclose's own error if nothing was
 * reported before (st == MUON_SUCCESS). */
static int
close_gz(reader *r, int st)
{
    int zc = gzclose(r->gz);
    r->gz = NULL;
    if (st == MUON_SUCCESS && zc != Z_OK)
        return MUON_ERROR(zc == Z_ERRNO ? MUON_EIO : MUON_EFORMAT,
                          "%s: closing the compressed stream failed (zlib "
                          "error %d)",
                          r->path, zc);
    return st;
}

static int
check_sha256(const char *path, const unsigned char *buf, size_t len,
             const char *expect)
{
    uint8_t d[32];
    char hex[65];
    muon_sha256(buf, len, d);
    muon_sha256_hex(d, hex);
    if (strlen(expect) != 64 || strcmp(hex, expect) != 0)
        return MUON_ERROR(MUON_ECORRUPT,
                          "%s: SHA-256 of the decompressed "
                          "data is %s, expected %s",
                          path, hex, expect);
    return MUON_SUCCESS;
}

int
muon_idx_load(const char *path, unsigned ndim, const char *sha256,
              const char *hint, unsigned char **buf, size_t *len, muon_idx *idx)
{
    if (!path || !buf || !len)
        return MUON_ERROR(MUON_EINVAL, "IDX load: NULL argument");
    *buf = NULL;
    *len = 0;
    int st = check_args(ndim, path, idx);
    if (st)
        return st;

    reader r;
    if ((st = open_gz(&r, path, hint)))
        return st;
    unsigned char head[4 + 4 * MUON_IDX_MAXDIM];
    unsigned char *data = NULL;
    r.want = 4;
    st = read_exact(&r, head, 4);
    if (!st)
        st = check_magic(head, ndim, path);
    if (!st) {
        r.want = 4 + 4 * (size_t)ndim;
        st = read_exact(&r, head + 4, 4 * (size_t)ndim);
    }
    if (!st)
        st = parse_dims(head, ndim, path, idx);
    if (!st) {
        r.want = idx->header_len + idx->payload_len;
        data = malloc(r.want);
        if (!data)
            st = MUON_ERROR(MUON_ENOMEM, "%s: cannot allocate %zu bytes", path,
                            r.want);
    }
    if (!st) {
        memcpy(data, head, idx->header_len);
        st = read_exact(&r, data + idx->header_len, idx->payload_len);
    }
    if (!st)
        st = expect_end(&r);
    st = close_gz(&r, st);
    if (!st && sha256)
        st = check_sha256(path, data, r.want, sha256);
    /* The same parser that is fuzzed fills *idx, so the loader and the
     * parser cannot disagree about what a valid file is. */
    if (!st)
        st = muon_idx_parse(data, r.want, ndim, path, idx);
    if (st) {
        free(data);
        return st;
    }
    *buf = data;
    *len = r.want;
    return MUON_SUCCESS;
}
