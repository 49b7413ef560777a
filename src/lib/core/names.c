/* names.c: name lookup with a suggestion for typos. */
#include "muon/names.h"

#include <stdio.h>
#include <string.h>

#include "muon/status.h"

/* Levenshtein distance, on at most the first 63 characters of each. */
static size_t
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    la = la > 63 ? 63 : la;
    lb = lb > 63 ? 63 : lb;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *
muon_closest_name(const char *name, const char *const *cands)
{
    const char *best = NULL;
    size_t bd = (size_t)-1;
    for (size_t i = 0; cands[i]; i++) {
        size_t d = edit_distance(name, cands[i]);
        if (d < bd) {
            bd = d;
            best = cands[i];
        }
    }
    size_t len = strlen(name);
    if (best && bd <= (len < 3 ? 1 : len / 3 + 1))
        return best;
    return NULL;
}

int
muon_name_lookup(const char *kind, const char *name, const char *const *names,
                 size_t *index)
{
    for (size_t i = 0; name && names[i]; i++)
        if (!strcmp(name, names[i])) {
            *index = i;
            return MUON_SUCCESS;
        }
    char list[768] = "";
    for (size_t i = 0; names[i]; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                 names[i]);
    }
    const char *near = name ? muon_closest_name(name, names) : NULL;
    if (near)
        return MUON_ERROR(MUON_EUNKNOWN, "unknown %s '%s' (valid: %s); did "
                          "you mean '%s'?", kind, name, list, near);
    return MUON_ERROR(MUON_EUNKNOWN, "unknown %s '%s' (valid: %s)", kind,
                      name ? name : "(null)", list);
}

const void *
muon_registry_find(const char *kind, const char *name,
                   const void *const *registry)
{
    const char *names[65];
    size_t n = 0;
    /* A pointer to a struct, converted, points to its first member. */
    for (; registry[n] && n < 64; n++)
        names[n] = *(const char *const *)registry[n];
    names[n] = NULL;
    size_t i;
    if (muon_name_lookup(kind, name, names, &i))
        return NULL;
    return registry[i];
}
