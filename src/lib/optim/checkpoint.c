/* checkpoint.c: the named-section checkpoint container (format described in
 * muon/checkpoint.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "muon/checkpoint.h"
#include "muon/io.h"
#include "muon/status.h"

#define HDR_SIZE 40
#define ENT_SIZE 80
#define ENDIAN_MARK 0x01020304u
static const char MAGIC[8] = {'M', 'U', 'O', 'N', 'C', 'K', 'P', 'T'};

struct muon_ckpt {
    char *path;
    unsigned char *buf; /* the whole file */
    size_t n;
    char (*names)[MUON_CKPT_NAME_MAX];
    size_t *off, *size;
};

static void
put32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void
put64(unsigned char *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static uint32_t
get32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t
get64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* zlib's crc32 takes a uInt length: feed large payloads in pieces. */
static uint32_t
crc_of(uint32_t crc, const void *data, size_t size)
{
    const unsigned char *p = data;
    while (size > 0) {
        uInt chunk = size > (1u << 30) ? (1u << 30) : (uInt)size;
        crc = (uint32_t)crc32(crc, p, chunk);
        p += chunk;
        size -= chunk;
    }
    return crc;
}

int
muon_ckpt_write(const char *path, const muon_ckpt_section *s, size_t n)
{
    size_t tsize;
    if (muon_size_mul(&tsize, n, ENT_SIZE))
        return MUON_ENOMEM;
    uint64_t total = HDR_SIZE + tsize;
    for (size_t i = 0; i < n; i++) {
        size_t len = s[i].name ? strlen(s[i].name) : 0;
        if (len == 0 || len >= MUON_CKPT_NAME_MAX)
            return MUON_ERROR(MUON_EINVAL, "%s: checkpoint section %zu name "
                              "'%s' must have 1..%d characters", path, i,
                              s[i].name ? s[i].name : "(null)",
                              MUON_CKPT_NAME_MAX - 1);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(s[i].name, s[j].name))
                return MUON_ERROR(MUON_EINVAL, "%s: duplicate checkpoint "
                                  "section '%s'", path, s[i].name);
        if (s[i].size && !s[i].data)
            return MUON_ERROR(MUON_EINVAL, "%s: section '%s' has no data",
                              path, s[i].name);
        total += s[i].size;
    }
    unsigned char *head = calloc(1, HDR_SIZE + tsize);
    if (!head)
        return MUON_ERROR(MUON_ENOMEM, "%s: out of memory", path);
    memcpy(head, MAGIC, 8);
    put32(head + 8, MUON_CKPT_VERSION);
    put32(head + 12, ENDIAN_MARK);
    head[16] = sizeof(size_t);
    head[17] = sizeof(double);
    head[18] = sizeof(float);
    put32(head + 20, (uint32_t)n);
    put64(head + 24, total);
    for (size_t i = 0; i < n; i++) {
        unsigned char *e = head + HDR_SIZE + i * ENT_SIZE;
        memcpy(e, s[i].name, strlen(s[i].name));
        put64(e + 64, s[i].size);
        put32(e + 72, crc_of(0, s[i].data, s[i].size));
    }
    /* The header CRC covers bytes [0, 32) and the table, so a flipped bit
     * in a size or a section CRC is caught before anything is trusted. */
    uint32_t hcrc = crc_of(0, head, 32);
    hcrc = crc_of(hcrc, head + HDR_SIZE, tsize);
    put32(head + 32, hcrc);

    muon_afile *af;
    FILE *f;
    int rc = muon_afile_open(&af, path, &f);
    if (rc) {
        free(head);
        return rc;
    }
    int ok = fwrite(head, 1, HDR_SIZE + tsize, f) == HDR_SIZE + tsize;
    for (size_t i = 0; ok && i < n; i++)
        ok = s[i].size == 0 || fwrite(s[i].data, 1, s[i].size, f) == s[i].size;
    free(head);
    if (!ok) {
        int e = errno;
        muon_afile_abort(af);
        return MUON_ERROR(MUON_EIO, "%s: cannot write checkpoint: %s", path,
                          strerror(e));
    }
    return muon_afile_commit(af);
}

void
muon_ckpt_free(muon_ckpt *c)
{
    if (!c)
        return;
    free(c->path);
    free(c->buf);
    free(c->names);
    free(c->off);
    free(c->size);
    free(c);
}

/* Reads the whole file; the size is known from fstat-free seeking. */
static int
slurp(const char *path, unsigned char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return MUON_ERROR(MUON_EIO, "%s: cannot open checkpoint: %s", path,
                          strerror(errno));
    long end = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        end = ftell(f);
    if (end < 0 || fseek(f, 0, SEEK_SET) != 0) {
        int e = errno;
        fclose(f);
        return MUON_ERROR(MUON_EIO, "%s: cannot read checkpoint: %s", path,
                          strerror(e));
    }
    *len = (size_t)end;
    *buf = malloc(*len ? *len : 1);
    if (!*buf) {
        fclose(f);
        return MUON_ERROR(MUON_ENOMEM, "%s: out of memory for %zu bytes",
                          path, *len);
    }
    size_t got = fread(*buf, 1, *len, f);
    int err = ferror(f);
    fclose(f);
    if (got != *len || err) {
        free(*buf);
        *buf = NULL;
        return MUON_ERROR(MUON_EIO, "%s: read %zu of %zu bytes", path, got,
                          *len);
    }
    return MUON_SUCCESS;
}

static int
parse(muon_ckpt *c, size_t len)
{
    const char *path = c->path;
    const unsigned char *b = c->buf;
    if (len < HDR_SIZE)
        return MUON_ERROR(MUON_EFORMAT, "%s: short file (%zu bytes, the "
                          "header alone is %d): truncated checkpoint", path,
                          len, HDR_SIZE);
    if (memcmp(b, MAGIC, 8))
        return MUON_ERROR(MUON_EFORMAT, "%s: bad magic (not a muonlab "
                          "checkpoint)", path);
    if (get32(b + 12) != ENDIAN_MARK)
        return MUON_ERROR(MUON_EFORMAT, "%s: endianness marker 0x%08x, "
                          "expected 0x%08x (written on another byte order)",
                          path, (unsigned)get32(b + 12), ENDIAN_MARK);
    if (get32(b + 8) != MUON_CKPT_VERSION)
        return MUON_ERROR(MUON_EFORMAT, "%s: checkpoint format version %u, "
                          "this build reads version %d", path,
                          (unsigned)get32(b + 8), MUON_CKPT_VERSION);
    if (b[16] != sizeof(size_t) || b[17] != sizeof(double) ||
        b[18] != sizeof(float))
        return MUON_ERROR(MUON_EFORMAT, "%s: written with sizeof(size_t, "
                          "double, float) = (%d, %d, %d), this build has "
                          "(%zu, %zu, %zu)", path, b[16], b[17], b[18],
                          sizeof(size_t), sizeof(double), sizeof(float));
    uint64_t n = get32(b + 20);
    uint64_t tsize = n * ENT_SIZE;
    if (tsize > len - HDR_SIZE)
        return MUON_ERROR(MUON_EFORMAT, "%s: short file: section table of %llu "
                          "entries does not fit in %zu bytes", path,
                          (unsigned long long)n, len);
    uint32_t hcrc = crc_of(0, b, 32);
    hcrc = crc_of(hcrc, b + HDR_SIZE, tsize);
    if (hcrc != get32(b + 32))
        return MUON_ERROR(MUON_ECORRUPT, "%s: header CRC mismatch (stored "
                          "0x%08x, computed 0x%08x): corrupt checkpoint", path,
                          (unsigned)get32(b + 32), (unsigned)hcrc);
    uint64_t total = get64(b + 24);
    if (total != len)
        return MUON_ERROR(MUON_EFORMAT, "%s: file has %zu bytes, header says "
                          "%llu: %s", path, len, (unsigned long long)total,
                          len < total ? "truncated checkpoint"
                                      : "trailing bytes");
    c->n = n;
    c->names = calloc(n ? n : 1, sizeof *c->names);
    c->off = calloc(n ? n : 1, sizeof *c->off);
    c->size = calloc(n ? n : 1, sizeof *c->size);
    if (!c->names || !c->off || !c->size)
        return MUON_ERROR(MUON_ENOMEM, "%s: out of memory", path);
    uint64_t off = HDR_SIZE + tsize;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *e = b + HDR_SIZE + i * ENT_SIZE;
        memcpy(c->names[i], e, MUON_CKPT_NAME_MAX);
        if (c->names[i][MUON_CKPT_NAME_MAX - 1] != '\0' || !c->names[i][0])
            return MUON_ERROR(MUON_EFORMAT, "%s: section %zu has an invalid "
                              "name", path, i);
        uint64_t sz = get64(e + 64);
        if (sz > total - off)
            return MUON_ERROR(MUON_EFORMAT, "%s: section '%s' (%llu bytes) "
                              "runs past the end of the file", path,
                              c->names[i], (unsigned long long)sz);
        c->off[i] = off;
        c->size[i] = sz;
        uint32_t crc = crc_of(0, b + off, sz);
        if (crc != get32(e + 72))
            return MUON_ERROR(MUON_ECORRUPT, "%s: section '%s' CRC mismatch "
                              "(stored 0x%08x, computed 0x%08x): corrupt "
                              "checkpoint", path, c->names[i],
                              (unsigned)get32(e + 72), (unsigned)crc);
        off += sz;
    }
    if (off != total)
        return MUON_ERROR(MUON_EFORMAT, "%s: sections cover %llu of %llu "
                          "bytes", path, (unsigned long long)off,
                          (unsigned long long)total);
    return MUON_SUCCESS;
}

int
muon_ckpt_read(const char *path, muon_ckpt **out)
{
    *out = NULL;
    muon_ckpt *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) {
        free(c);
        return MUON_ERROR(MUON_ENOMEM, "%s: out of memory", path);
    }
    size_t len;
    int rc = slurp(path, &c->buf, &len);
    if (!rc)
        rc = parse(c, len);
    if (rc) {
        muon_ckpt_free(c);
        return rc;
    }
    *out = c;
    return MUON_SUCCESS;
}

size_t
muon_ckpt_count(const muon_ckpt *c)
{
    return c->n;
}

const char *
muon_ckpt_name(const muon_ckpt *c, size_t i)
{
    return i < c->n ? c->names[i] : NULL;
}

const char *
muon_ckpt_path(const muon_ckpt *c)
{
    return c->path;
}

int
muon_ckpt_find(const muon_ckpt *c, const char *name, const void **data,
               size_t *size)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->names[i], name)) {
            *data = c->buf + c->off[i];
            *size = c->size[i];
            return MUON_SUCCESS;
        }
    return MUON_ERROR(MUON_EFORMAT, "checkpoint %s has no section '%s'",
                      c->path, name);
}

int
muon_ckpt_get(const muon_ckpt *c, const char *name, void *dst, size_t size)
{
    const void *data;
    size_t have;
    int rc = muon_ckpt_find(c, name, &data, &have);
    if (rc)
        return rc;
    if (have != size)
        return MUON_ERROR(MUON_EBADLEN, "checkpoint %s: section '%s' has %zu "
                          "bytes, expected %zu", c->path, name, have, size);
    memcpy(dst, data, size);
    return MUON_SUCCESS;
}
