/* checkpoint.h: a small, generic, checksummed binary container of named
 * sections, written atomically.  The optimizer stores its state in sections
 * named "optim.*"; `muonlab train` adds model parameters and data-iterator
 * state to the same file under its own names.
 *
 * File format, version 1 (all integers little-endian fixed width, as
 * written by this machine; the endianness marker refuses anything else):
 *
 *   offset size  field
 *   0      8     magic "MUONCKPT"
 *   8      4     format version (1)
 *   12     4     endianness marker 0x01020304
 *   16     1     sizeof(size_t)   17 sizeof(double)   18 sizeof(float)
 *   19     1     0 (reserved)
 *   20     4     number of sections n
 *   24     8     total file size in bytes
 *   32     4     CRC32 of bytes [0, 32) and of the section table
 *   36     4     0 (reserved)
 *   40     n*80  section table, one entry per section:
 *                  name  64 bytes, NUL-padded (at most 63 characters)
 *                  size  8 bytes (payload bytes)
 *                  crc   4 bytes (zlib crc32 of the payload)
 *                  pad   4 bytes (0)
 *   40+80n ...   payloads, in table order, back to back
 *
 * Written with muon_afile_* (temporary file, fsync, rename, directory
 * fsync): the destination holds the old checkpoint or the complete new one,
 * never a mix.  Reading checks, in order, and refuses with a specific
 * message naming the file: short file, bad magic, version, endianness,
 * sizeof mismatch, header CRC, file size, each section's CRC.
 */
#ifndef MUON_CHECKPOINT_H
#define MUON_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MUON_CKPT_VERSION 1
#define MUON_CKPT_NAME_MAX 64 /* including the terminating NUL */

/* One section to write: the payload is copied into the file as is. */
typedef struct {
    const char *name; /* unique, 1..63 characters */
    const void *data; /* may be NULL when size == 0 */
    size_t size;
} muon_ckpt_section;

/* Writes n sections atomically to path.  Returns MUON_EINVAL (empty, too
 * long or duplicate name), MUON_EIO (reported with the path and strerror;
 * an existing file at path is left intact) or MUON_SUCCESS. */
int muon_ckpt_write(const char *path, const muon_ckpt_section *s, size_t n);

/* A checkpoint read into memory.  Opaque; owned by the caller. */
typedef struct muon_ckpt muon_ckpt;

/* Reads and fully verifies the file at path.  *out is NULL on failure.
 * Returns MUON_EIO (cannot open/read), MUON_EFORMAT (short file, bad magic,
 * unsupported version, other endianness or type sizes, inconsistent table,
 * wrong total size), MUON_ECORRUPT (header or section CRC mismatch; the
 * message names the section), MUON_ENOMEM; all reported. */
int muon_ckpt_read(const char *path, muon_ckpt **out);

/* Frees c; NULL is a no-op. */
void muon_ckpt_free(muon_ckpt *c);

/* Number of sections and the name of section i (owned by c). */
size_t muon_ckpt_count(const muon_ckpt *c);
const char *muon_ckpt_name(const muon_ckpt *c, size_t i);

/* Finds section `name`: *data points into c (valid until muon_ckpt_free),
 * *size is its length.  Returns MUON_EFORMAT (reported: "checkpoint X has no
 * section 'name'") if absent. */
int muon_ckpt_find(const muon_ckpt *c, const char *name, const void **data,
                   size_t *size);

/* Copies section `name` into dst, which must be exactly `size` bytes long.
 * MUON_EFORMAT if absent, MUON_EBADLEN (reported with both sizes) if the
 * stored size differs. */
int muon_ckpt_get(const muon_ckpt *c, const char *name, void *dst,
                  size_t size);

/* The path c was read from (for messages). */
const char *muon_ckpt_path(const muon_ckpt *c);

#ifdef __cplusplus
}
#endif

#endif /* MUON_CHECKPOINT_H */
