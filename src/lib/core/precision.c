/* precision.c: precision names and in-place rounding of float arrays. */
#include "muon/precision.h"

#include "muon/names.h"
#include "muon/status.h"

static const char *const names[MUON_NPRECISIONS + 1] = {"fp64", "fp32",
                                                        "bf16", "fp16", NULL};

const char *
muon_precision_name(muon_precision p)
{
    return (unsigned)p < MUON_NPRECISIONS ? names[p] : "?";
}

int
muon_precision_by_name(const char *name, muon_precision *out)
{
    size_t i;
    int rc = muon_name_lookup("precision", name, names, &i);
    if (!rc)
        *out = (muon_precision)i;
    return rc;
}

double
muon_precision_unit_roundoff(muon_precision p)
{
    switch (p) {
    case MUON_FP64: return 0x1p-53;
    case MUON_FP32: return 0x1p-24;
    case MUON_BF16: return 0x1p-8;
    case MUON_FP16: return 0x1p-11;
    }
    return 0.0;
}

void
muon_round_array(muon_precision p, float *x, size_t n)
{
    /* Separate loops so each one vectorises on its own. */
    if (p == MUON_BF16) {
        for (size_t i = 0; i < n; i++)
            x[i] = muon_round_bf16(x[i]);
    } else if (p == MUON_FP16) {
        for (size_t i = 0; i < n; i++)
            x[i] = muon_round_fp16(x[i]);
    }
}
