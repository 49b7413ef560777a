/* io.h: atomic output files and provenance records.
 *
 * Every result file muonlab writes records the command, version, seed and
 * library versions that produced it (muon_provenance_*), and appears under
 * its final name only once it is complete (muon_afile_*): written to a
 * temporary file in the same directory, flushed, fsync'ed, renamed over the
 * destination, and the directory fsync'ed.  A failed write leaves any old
 * file intact and removes the temporary one.
 */
#ifndef MUON_IO_H
#define MUON_IO_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct muon_afile muon_afile;

/* Opens a temporary file beside `path` for writing; *f is the stream to
 * write to.  Returns MUON_EIO (reported with the path and strerror) or
 * MUON_ENOMEM.  The caller must finish with exactly one of
 * muon_afile_commit() or muon_afile_abort(), which free *af. */
int muon_afile_open(muon_afile **af, const char *path, FILE **f);

/* Checks the stream for write errors, flushes, fsyncs, closes and renames
 * the temporary file to the destination, then fsyncs the directory.  On any
 * failure the temporary file is removed, the destination is untouched and
 * MUON_EIO is returned (reported).  Frees af. */
int muon_afile_commit(muon_afile *af);

/* Closes and removes the temporary file; the destination is untouched.
 * Frees af; NULL is a no-op. */
void muon_afile_abort(muon_afile *af);

/* Provenance of a run: set once by the tool from main(). */
void muon_provenance_set_command(int argc, char **argv);
void muon_provenance_set_seed(unsigned long long seed);

/* Writes the provenance as comment lines, each starting with `prefix`
 * ("# " for CSV):  command, muonlab version, seed, date (UTC), host CPU,
 * BLAS configuration, thread count and OPENBLAS_CORETYPE, the OpenBLAS core
 * in use ("blas_core", muon_linalg_blas_core()), and the versions of
 * OpenBLAS, LAPACKE, GSL, zlib and jansson.  Returns MUON_EIO on a write
 * error. */
int muon_provenance_write(FILE *f, const char *prefix);

/* The same as one JSON object (a jansson json_t *, returned as void * so
 * that this header does not need jansson.h); the caller owns the reference.
 * NULL on allocation failure. */
void *muon_provenance_json(void);

/* The command line recorded by muon_provenance_set_command, shell-quoted. */
const char *muon_provenance_command(void);

#ifdef __cplusplus
}
#endif

#endif /* MUON_IO_H */
