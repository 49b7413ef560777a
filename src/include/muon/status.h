/* status.h: status codes and the replaceable error handler (GSL gsl_errno.h style).
 *
 * Every public function of libmuon returns an int status from the enum below
 * (or NULL from an _alloc function).  A problem is reported once, where it is
 * found, through muon_error(): the current handler receives the reason, the
 * source file and line, and the code.  The default handler stores the message
 * so that a tool can print it (muon_last_error()); it never prints, exits or
 * aborts.  The library never calls exit() or abort(); the command-line tools
 * turn status codes into messages and exit codes.
 */
#ifndef MUON_STATUS_H
#define MUON_STATUS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    MUON_SUCCESS = 0,
    MUON_EINVAL = 1,     /* invalid argument or configuration value */
    MUON_EBADLEN = 2,    /* shapes or lengths do not match */
    MUON_ENONFINITE = 3, /* NaN or Inf where finite numbers are required */
    MUON_ENOMEM = 4,     /* allocation failed or a size overflowed */
    MUON_EIO = 5,        /* a file could not be read or written */
    MUON_ENOCONV = 6,    /* an iteration (LAPACK, Remez, minimiser) did not converge */
    MUON_EFORMAT = 7,    /* a file is malformed (bad header, truncated, wrong dtype) */
    MUON_EUNKNOWN = 8,   /* an unknown name (method, scale mode, model, key) */
    MUON_ERANGE = 9,     /* a value is out of its allowed range */
    MUON_ECORRUPT = 10,  /* checksum or consistency check of stored data failed */
    MUON_EINTERRUPT = 11,/* interrupted by a signal; state was saved */
    MUON_EDIVERGED = 12, /* training diverged (non-finite loss or gradient) */
    MUON_EINTERNAL = 13  /* a bug: an invariant of libmuon was violated */
};

/* Short constant description of a status code ("invalid argument", ...). */
const char *muon_strerror(int status);

/* The handler receives the formatted reason, the file and line where the
 * problem was found, and the status code. */
typedef void muon_error_handler_t(const char *reason, const char *file,
                                  int line, int status);

/* Installs a handler and returns the previous one.  NULL restores the
 * default handler (which records the message for muon_last_error()). */
muon_error_handler_t *muon_set_error_handler(muon_error_handler_t *h);

/* Reports an error through the current handler.  printf-style reason. */
void muon_error_at(const char *file, int line, int status, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

/* The last message recorded by the default handler in this thread, "" if
 * none.  The string is owned by libmuon and valid until the next error. */
const char *muon_last_error(void);

/* Clears the recorded message. */
void muon_clear_error(void);

/* Report and return: `return MUON_ERROR(MUON_EINVAL, "lr must be > 0 (got %g)", lr);` */
#define MUON_ERROR(status, ...)                                                \
    (muon_error_at(__FILE__, __LINE__, (status), __VA_ARGS__), (status))

/* Report and return NULL from an _alloc function. */
#define MUON_ERROR_NULL(status, ...)                                           \
    (muon_error_at(__FILE__, __LINE__, (status), __VA_ARGS__), NULL)

/* Checked size arithmetic: returns MUON_ENOMEM (reported) on overflow. */
int muon_size_mul(size_t *out, size_t a, size_t b);
int muon_size_mul3(size_t *out, size_t a, size_t b, size_t c);

#ifdef __cplusplus
}
#endif

#endif /* MUON_STATUS_H */
