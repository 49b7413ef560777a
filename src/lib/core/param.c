/* param.c: small helpers of the model/optimizer tensor view. */
#include "muon/param.h"

const char *
muon_param_role_name(muon_param_role r)
{
    switch (r) {
    case MUON_ROLE_HIDDEN: return "hidden";
    case MUON_ROLE_EMBEDDING: return "embedding";
    case MUON_ROLE_HEAD: return "head";
    case MUON_ROLE_BIAS: return "bias";
    case MUON_ROLE_GAIN: return "gain";
    case MUON_ROLE_INPUT: return "input";
    }
    return "?";
}

size_t
muon_param_count(const muon_param *p)
{
    size_t c = 1;
    for (size_t i = 0; i < p->ndim; i++)
        c *= p->shape[i];
    return c;
}
