/* instantiate.h: compiles the template source named by TEMPLATE_SOURCE
 * once per base type (GSL's templates_on.h idea): BASE, SFX, GEMM, SYRK,
 * MIRROR, COMB_SYM and EMULATED(w) are defined for fp64, then for fp32 (whose
 * working buffers also carry the emulated bf16/fp16 precisions).
 * Usage:  #define TEMPLATE_SOURCE "poly_source.c"
 *         #include "instantiate.h" */
#define BASE double
#define SFX f64
#define GEMM dgemm
#define SYRK dsyrk
#define MIRROR muon_mirror_f64
#define COMB_SYM muon_comb_sym_f64
#define EMULATED(w) 0
#include TEMPLATE_SOURCE
#undef BASE
#undef SFX
#undef GEMM
#undef SYRK
#undef MIRROR
#undef COMB_SYM
#undef EMULATED

#define BASE float
#define SFX f32
#define GEMM sgemm
#define SYRK ssyrk
#define MIRROR muon_mirror_f32
#define COMB_SYM muon_comb_sym_f32
#define EMULATED(w)                                                            \
    ((w)->p.precision == MUON_BF16 || (w)->p.precision == MUON_FP16)
#include TEMPLATE_SOURCE
#undef BASE
#undef SFX
#undef GEMM
#undef SYRK
#undef MIRROR
#undef COMB_SYM
#undef EMULATED
#undef TEMPLATE_SOURCE
