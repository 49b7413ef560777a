/* registry.c: the list of compiled-in matrix-product backends. */
#include <stdio.h>
#include <string.h>

#include "muon/linalg.h"
#include "muon/status.h"
#include "muon_config.h"

extern const muon_linalg_backend muon_linalg_openblas;
#if MUON_HAVE_ONEDNN
extern const muon_linalg_backend muon_linalg_onednn;
#endif

static const muon_linalg_backend *const backends[] = {
    &muon_linalg_openblas,
#if MUON_HAVE_ONEDNN
    &muon_linalg_onednn,
#endif
    NULL,
};

const muon_linalg_backend *
muon_linalg_default(void)
{
    return &muon_linalg_openblas;
}

const muon_linalg_backend *const *
muon_linalg_backends(void)
{
    return backends;
}

const muon_linalg_backend *
muon_linalg_backend_by_name(const char *name)
{
    char list[256] = "";
    for (size_t i = 0; backends[i]; i++) {
        if (name && !strcmp(name, backends[i]->name))
            return backends[i];
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                 backends[i]->name);
    }
    return MUON_ERROR_NULL(MUON_EUNKNOWN, "unknown backend '%s' (valid: %s)",
                           name ? name : "(null)", list);
}
