/* scale.c: the learning-rate scale modes of REFERENCE.md section 3 and their
 * registry.  A = rows = fan_out, B = cols = fan_in. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "muon/scale.h"
#include "muon/names.h"
#include "muon/status.h"

static double
f_none(double A, double B, const muon_scale_params *p, double mnorm)
{
    return 1.0;
}

/* KJ: only tall matrices (more outputs than inputs) are scaled up, so that
 * the update's RMS operator norm matches a square matrix's. */
static double
f_original(double A, double B, const muon_scale_params *p, double mnorm)
{
    return sqrt(fmax(1.0, A / B));
}

/* Moonlight: an orthogonal A x B matrix has RMS 1/sqrt(max(A, B)), so this
 * factor gives an update RMS of rms_factor, like AdamW's typical update. */
static double
f_match_rms(double A, double B, const muon_scale_params *p, double mnorm)
{
    return p->rms_factor * sqrt(fmax(A, B));
}

/* dion / muP: the spectral norm of the update relative to the RMS->RMS
 * operator norm. */
static double
f_spectral(double A, double B, const muon_scale_params *p, double mnorm)
{
    return sqrt(A / B);
}

static double
f_spectral_max(double A, double B, const muon_scale_params *p, double mnorm)
{
    return sqrt(fmax(A, B));
}

/* Seed 002: sqrt(d_in d_out) / ||M||_F.  The product under the root is
 * formed in double, so no integer overflow. */
static double
f_seed002(double A, double B, const muon_scale_params *p, double mnorm)
{
    return mnorm > 0.0 ? sqrt(A) * sqrt(B) / mnorm : 0.0;
}

static const muon_scale_type none_type = {
    "none", "1", "optimuon", 0, f_none};
static const muon_scale_type original_type = {
    "original", "sqrt(max(1, A/B))",
    "KellerJordan/Muon, torch.optim.Muon, MLX, modded-nanogpt", 0,
    f_original};
static const muon_scale_type match_rms_type = {
    "match_rms_adamw", "rms_factor * sqrt(max(A, B)), rms_factor = 0.2",
    "Moonlight arXiv 2502.16982, torch, dion rms_norm", 0, f_match_rms};
static const muon_scale_type spectral_type = {
    "spectral", "sqrt(A/B)", "dion default (spectral_norm, mup)", 0,
    f_spectral};
static const muon_scale_type spectral_max_type = {
    "spectral_max", "sqrt(max(A, B))", "NVIDIA Emerging-Optimizers spectral",
    0, f_spectral_max};
static const muon_scale_type seed002_type = {
    "seed002", "sqrt(A*B) / ||M||_F", "seed 002 tutorial", 1, f_seed002};

static const muon_scale_type *const registry[] = {
    &none_type,     &original_type,     &match_rms_type,
    &spectral_type, &spectral_max_type, &seed002_type,
    NULL,
};

const muon_scale_type *const *
muon_scale_types(void)
{
    return registry;
}

const muon_scale_type *
muon_scale_default(void)
{
    return &original_type;
}

const muon_scale_type *
muon_scale_type_by_name(const char *name)
{
    return muon_registry_find("scale mode", name,
                              (const void *const *)registry);
}

void
muon_scale_default_params(muon_scale_params *p)
{
    memset(p, 0, sizeof *p);
    p->rms_factor = 0.2;
}

int
muon_scale_params_validate(const muon_scale_params *p)
{
    if (!isfinite(p->rms_factor) || p->rms_factor <= 0.0)
        return MUON_ERROR(MUON_ERANGE, "scale rms_factor must be finite and "
                          "> 0 (got %g)", p->rms_factor);
    return MUON_SUCCESS;
}

double
muon_scale_factor(const muon_scale_type *T, size_t A, size_t B,
                  const muon_scale_params *p, double mnorm)
{
    if (A == 0 || B == 0)
        return 0.0;
    return T->factor((double)A, (double)B, p, mnorm);
}
