/* status.c: status strings and the replaceable error handler. */
#include "muon/status.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[1024];

static void
default_handler(const char *reason, const char *file, int line, int status)
{
    (void)status;
    /* Keep the reason first: tools print it as the user-facing message;
     * the location follows for bug reports. */
    snprintf(last_error, sizeof last_error, "%s [%s:%d]", reason, file, line);
}

static muon_error_handler_t *handler = default_handler;

const char *
muon_strerror(int status)
{
    switch (status) {
    case MUON_SUCCESS: return "success";
    case MUON_EINVAL: return "invalid argument";
    case MUON_EBADLEN: return "shape or length mismatch";
    case MUON_ENONFINITE: return "non-finite value";
    case MUON_ENOMEM: return "out of memory or size overflow";
    case MUON_EIO: return "input/output error";
    case MUON_ENOCONV: return "iteration did not converge";
    case MUON_EFORMAT: return "malformed file";
    case MUON_EUNKNOWN: return "unknown name";
    case MUON_ERANGE: return "value out of range";
    case MUON_ECORRUPT: return "corrupt data";
    case MUON_EINTERRUPT: return "interrupted";
    case MUON_EDIVERGED: return "diverged";
    case MUON_EINTERNAL: return "internal error";
    default: return "unknown status";
    }
}

muon_error_handler_t *
muon_set_error_handler(muon_error_handler_t *h)
{
    muon_error_handler_t *old = handler;
    handler = h ? h : default_handler;
    return old;
}

void
muon_error_at(const char *file, int line, int status, const char *fmt, ...)
{
    char reason[896];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    /* Exactly one handler sees each error, as in GSL. */
    handler(reason, file, line, status);
}

const char *
muon_last_error(void)
{
    return last_error;
}

void
muon_clear_error(void)
{
    last_error[0] = '\0';
}

int
muon_size_mul(size_t *out, size_t a, size_t b)
{
    if (__builtin_mul_overflow(a, b, out))
        return MUON_ERROR(MUON_ENOMEM, "size %zu x %zu overflows size_t", a, b);
    return MUON_SUCCESS;
}

int
muon_size_mul3(size_t *out, size_t a, size_t b, size_t c)
{
    size_t ab;
    if (a == 0 || b == 0 || c == 0) { /* the product is 0 whatever the order */
        *out = 0;
        return MUON_SUCCESS;
    }
    if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, out))
        return MUON_ERROR(MUON_ENOMEM, "size %zu x %zu x %zu overflows size_t",
                          a, b, c);
    return MUON_SUCCESS;
}
