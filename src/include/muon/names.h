/* names.h: looking names up in a list, the one way every registry and
 * parser does it (methods, scale modes, backends, precisions, keys), with
 * the same error message: the valid names and the closest one. */
#ifndef MUON_NAMES_H
#define MUON_NAMES_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The candidate (NULL-terminated list) closest to `name` in Levenshtein
 * distance, or NULL when none is within about a third of the name's length
 * (so a typo is suggested but an unrelated word is not). */
const char *muon_closest_name(const char *name, const char *const *cands);

/* Finds `name` in the NULL-terminated `names` and stores its index.  On a
 * miss reports MUON_EUNKNOWN as "unknown KIND 'name' (valid: a, b, c); did
 * you mean 'b'?" and returns it.  `kind` is e.g. "method". */
int muon_name_lookup(const char *kind, const char *name,
                     const char *const *names, size_t *index);

/* Registries (orthogonalizers, scale modes, backends) are NULL-terminated
 * arrays of pointers to structs whose FIRST member is `const char *name`.
 * Returns the entry called `name`, or NULL after reporting MUON_EUNKNOWN as
 * muon_name_lookup does.  At most 64 entries. */
const void *muon_registry_find(const char *kind, const char *name,
                               const void *const *registry);

#ifdef __cplusplus
}
#endif

#endif /* MUON_NAMES_H */
