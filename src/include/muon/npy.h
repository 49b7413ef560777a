/* npy.h: reading and writing NumPy .npy files (float32 / float64 only).
 *
 * Format (numpy/lib/format.py, "NPY format" NEP 1): the magic "\x93NUMPY",
 * a major and a minor version byte, the header length as a little-endian
 * uint16 (version 1.0) or uint32 (2.0, 3.0), then an ASCII (3.0: UTF-8)
 * Python dict literal with exactly the keys 'descr', 'fortran_order' and
 * 'shape', padded with spaces and ended by '\n', then the raw data.
 *
 * Supported: versions 1.0, 2.0 and 3.0 on reading; dtypes '<f4' and '<f8'
 * (little-endian IEEE float/double; '>f8', integers etc. are rejected); C
 * (row-major) order only; 1 to 4 dimensions (a dimension may be 0).  The
 * writer produces exactly the bytes NumPy >= 1.23 writes for the same array:
 * version 1.0 (2.0 only if the header needs more than 65535 bytes), keys in
 * sorted order, preamble padded to a multiple of 64 bytes.
 */
#ifndef MUON_NPY_H
#define MUON_NPY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MUON_NPY_MAXDIM 4

typedef enum {
    MUON_NPY_F32 = 0, /* '<f4' */
    MUON_NPY_F64 = 1  /* '<f8' */
} muon_npy_dtype;

/* An array read from a file.  data holds count = prod(shape) elements of
 * dtype in C order (native byte order after reading); shape[i] for
 * i >= ndim is 1.  Owned by the caller; release with muon_npy_array_free. */
typedef struct {
    muon_npy_dtype dtype;
    size_t ndim;
    size_t shape[MUON_NPY_MAXDIM];
    size_t count;
    void *data;
} muon_npy_array;

/* Reads the .npy file at path into *out (zeroed first, so it is safe to
 * free after a failure).  Returns MUON_SUCCESS, or (reported, the message
 * starting with the path):
 *   MUON_EIO      the file cannot be opened or read (strerror);
 *   MUON_EFORMAT  bad magic, unknown version, header not a valid dict or a
 *                 missing / duplicate / unknown key, unsupported dtype,
 *                 fortran_order True, ndim outside 1..4, a shape whose
 *                 byte count overflows size_t (checked before allocating),
 *                 truncated header or data ("got X of Y bytes"), trailing
 *                 bytes after the data;
 *   MUON_ENOMEM   allocation failed. */
int muon_npy_read(const char *path, muon_npy_array *out);

/* Frees a->data and zeroes *a.  NULL and an already freed array are fine. */
void muon_npy_array_free(muon_npy_array *a);

/* Checks lo <= a->ndim <= hi.  On failure returns MUON_EBADLEN reported as
 * "G.npy: expected a 2-D or 3-D array, got shape (3, 4, 5, 6)" (path is
 * used only for the message). */
int muon_npy_expect_rank(const muon_npy_array *a, const char *path, size_t lo,
                         size_t hi);

/* Writes "(3, 4)" / "(5,)" (Python's tuple repr) into buf; returns buf. */
char *muon_npy_shape_str(const muon_npy_array *a, char *buf, size_t len);

/* Allocated copies of a's data converted to double / float (fp64 -> fp32
 * rounds to nearest).  *out is owned by the caller (free()).  Returns
 * MUON_ENOMEM (reported) on allocation failure; never NULL on success (a
 * 0-element array gives a 1-element allocation). */
int muon_npy_to_f64(const muon_npy_array *a, double **out);
int muon_npy_to_f32(const muon_npy_array *a, float **out);

/* Writes an ndim-dimensional C-order array (1 <= ndim <= 4) atomically to
 * path (muon_afile_*: the file appears complete or not at all).  Returns
 * MUON_EINVAL (bad ndim or NULL data with count > 0), MUON_ENOMEM (shape
 * overflows), MUON_EIO (write / commit failure), all reported. */
int muon_npy_write_f64(const char *path, size_t ndim, const size_t *shape,
                       const double *data);
int muon_npy_write_f32(const char *path, size_t ndim, const size_t *shape,
                       const float *data);

#ifdef __cplusplus
}
#endif

#endif /* MUON_NPY_H */
