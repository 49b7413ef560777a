/* schedules.c: the registry of orthogonalizers and their published default
 * parameters.  Every coefficient here is typed from its source, named next
 * to it (see also ../shared/REFERENCE.md section 2). */
#include <stdio.h>
#include <string.h>

#include "muon/names.h"
#include "muon/status.h"
#include "orth_impl.h"

void
muon_orth_base_defaults(muon_orth_params *p)
{
    memset(p, 0, sizeof *p);
    p->steps = 5;
    p->eps = 1e-7;
    p->safety = 1.0;
    p->precision = MUON_FP32;
    p->extend = MUON_EXTEND_REPEAT_LAST;
    p->svd_rcond = -1.0;
}

static void
set_coeffs(muon_orth_params *p, const muon_coeff *c, size_t n, double scale)
{
    p->ncoeffs = n;
    for (size_t i = 0; i < n; i++) {
        p->coeffs[i].a = c[i].a / scale;
        p->coeffs[i].b = c[i].b / scale;
        p->coeffs[i].c = c[i].c / scale;
    }
}

static void
svd_defaults(muon_orth_params *p)
{
    muon_orth_base_defaults(p);
    p->steps = 0;
    p->eps = 0.0; /* the SVD needs no guard; keeps it scale-invariant */
    p->precision = MUON_FP64;
}

/* Classical cubic Newton-Schulz p(x) = (3x - x^3) / 2 (seed 002).  The
 * seed divides by ||X||_F with no eps; we keep eps = 0 so the method is
 * scale-invariant (the front end returns 0 for a zero matrix). */
static void
ns3_defaults(muon_orth_params *p)
{
    static const muon_coeff c[] = {{1.5, -0.5, 0.0}};
    muon_orth_base_defaults(p);
    p->eps = 0.0;
    set_coeffs(p, c, 1, 1.0);
}

/* Keller Jordan's quintic, KellerJordan/Muon muon.py (also torch.optim.Muon
 * and MLX): maximal slope at 0 subject to staying in ~[0.7, 1.2]. */
static void
ns5_defaults(muon_orth_params *p)
{
    static const muon_coeff c[] = {{3.4445, -4.7750, 2.0315}};
    muon_orth_base_defaults(p);
    set_coeffs(p, c, 1, 1.0);
}

/* The converging quintic (2, -1.5, 0.5) x 12, modded-nanogpt track 3
 * baseline: p(1) = 1 and p'(1) = 0, so singular values converge to 1. */
static void
ns5c_defaults(muon_orth_params *p)
{
    static const muon_coeff c[] = {{2.0, -1.5, 0.5}};
    muon_orth_base_defaults(p);
    p->steps = 12;
    set_coeffs(p, c, 1, 1.0);
}

/* You Jiacheng's 5-step list: modded-nanogpt train_gpt_medium,
 * microsoft/dion. */
static void
you5_defaults(muon_orth_params *p)
{
    static const muon_coeff c[] = {
        {4.0848, -6.8946, 2.9270}, {3.9505, -6.3029, 2.6377},
        {3.7418, -5.5913, 2.3037}, {2.8769, -3.1427, 1.2046},
        {2.8366, -3.0525, 1.2012},
    };
    muon_orth_base_defaults(p);
    set_coeffs(p, c, 5, 1.0);
}

/* You Jiacheng's 6-step list, gist 393c90cb, published as integers / 1024. */
static void
you6_defaults(muon_orth_params *p)
{
    static const muon_coeff c[] = {
        {3955, -8306, 5008}, {3735, -6681, 3463}, {3799, -6499, 3211},
        {4019, -6385, 2906}, {2677, -3029, 1162}, {2172, -1833, 682},
    };
    muon_orth_base_defaults(p);
    p->steps = 6;
    set_coeffs(p, c, 6, 1024.0);
}

/* CANS 5-step, NVIDIA Emerging-Optimizers "cans" (4 decimals). */
static void
cans_defaults(muon_orth_params *p)
{
    static const muon_coeff c[] = {
        {8.4703, -25.1081, 18.6293}, {4.1828, -3.1087, 0.5806},
        {3.9619, -2.9541, 0.5630},   {3.2866, -2.4647, 0.5074},
        {2.2737, -1.6447, 0.4162},
    };
    muon_orth_base_defaults(p);
    set_coeffs(p, c, 5, 1.0);
}

/* Polar Express 5-step, modded-nanogpt train_gpt.py (Amsel, Persson, Musco,
 * Gower 2025, arXiv 2505.16932), paired with X / (||X||_F * 1.02 + 1e-6). */
static void
polar_express_defaults(muon_orth_params *p)
{
    static const muon_coeff c[] = {
        {8.156554524902461, -22.48329292557795, 15.878769915207462},
        {4.042929935166739, -2.808917465908714, 0.5000178451051316},
        {3.8916678022926607, -2.772484153217685, 0.5060648178503393},
        {3.285753657755655, -2.3681294933425376, 0.46449024233003106},
        {2.3465413258596377, -1.7097828382687081, 0.42323551169305323},
    };
    muon_orth_base_defaults(p);
    p->eps = 1e-6;
    p->safety = 1.02;
    set_coeffs(p, c, 5, 1.0);
}

/* A user's list from a file (--coeffs FILE): no coefficients until read. */
static void
custom_defaults(muon_orth_params *p)
{
    muon_orth_base_defaults(p);
    p->steps = 0; /* taken from the file's length unless given */
}

#define POLY(var, nm, desc, src, def)                                          \
    static const muon_orth_type var = {nm, desc, src, 1, def,                  \
                                       &muon_orth_poly_ops}

static const muon_orth_type svd_type = {
    "svd", "exact U V^T via LAPACK gesdd (gesvd fallback), fp64, rank cutoff",
    "LAPACK", 0, svd_defaults, &muon_orth_svd_ops};
POLY(ns3_type, "ns3", "cubic Newton-Schulz (3x - x^3)/2",
     "classical; seed 002", ns3_defaults);
POLY(ns5_type, "ns5", "Keller Jordan's quintic (3.4445, -4.7750, 2.0315)",
     "KellerJordan/Muon muon.py", ns5_defaults);
POLY(ns5c_type, "ns5-converging", "converging quintic (2, -1.5, 0.5) x 12",
     "modded-nanogpt track 3 baseline", ns5c_defaults);
POLY(you5_type, "you5", "You Jiacheng's 5-step schedule",
     "modded-nanogpt train_gpt_medium, microsoft/dion", you5_defaults);
POLY(you6_type, "you6", "You Jiacheng's 6-step schedule (/1024)",
     "YouJiacheng gist 393c90cb", you6_defaults);
POLY(cans_type, "cans", "CANS 5-step greedy minimax (4 decimals)",
     "NVIDIA Emerging-Optimizers", cans_defaults);
POLY(pe_type, "polar-express", "Polar Express 5-step, norm*1.02 + 1e-6",
     "modded-nanogpt train_gpt.py; arXiv 2505.16932", polar_express_defaults);
POLY(custom_type, "custom", "any coefficient list from --coeffs FILE",
     "user", custom_defaults);

static const muon_orth_type *const registry[] = {
    &svd_type, &ns3_type,  &ns5_type, &ns5c_type,   &you5_type,
    &you6_type, &cans_type, &pe_type, &custom_type, &muon_orth_gram_type, NULL,
};

const muon_orth_type *const *
muon_orth_types(void)
{
    return registry;
}

const muon_orth_type *
muon_orth_type_by_name(const char *name)
{
    return muon_registry_find("method", name, (const void *const *)registry);
}

void
muon_orth_default_params(const muon_orth_type *T, muon_orth_params *p)
{
    T->defaults(p);
}
