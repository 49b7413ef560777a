/* orth_impl.h: private parts of the orthogonalizer framework shared by the
 * front end (front.c) and the algorithms (poly.c, svd.c). */
#ifndef MUON_ORTH_IMPL_H
#define MUON_ORTH_IMPL_H

#include "muon/linalg.h"
#include "muon/orth.h"

/* The algorithm vtable.  The front end hands the algorithm a normalised,
 * wide (rows <= cols) matrix in w->xd (fp64 working precision, or
 * fp64_only algorithms) or w->xf (fp32 and emulated bf16/fp16), already
 * rounded to the working precision.  apply leaves a pointer to the result
 * (rows x cols, same type as the input buffer) in *result; it may be the
 * input buffer or one of the algorithm's own. */
struct muon_orth_ops {
    const char *name;
    int fp64_only; /* computes in fp64 whatever the precision */
    int (*alloc)(muon_orth_workspace *w);
    void (*free)(muon_orth_workspace *w);
    int (*apply)(muon_orth_workspace *w, void **result);
    double (*flops)(const muon_orth_params *p, size_t s, size_t l);
};

struct muon_orth_workspace {
    const muon_orth_type *type;
    muon_orth_params p;
    const muon_linalg_backend *be;
    size_t m, n;       /* caller's shape */
    size_t rows, cols; /* working shape: rows = min(m,n), cols = max(m,n) */
    int transposed;    /* m > n: the algorithm sees G^T */
    int use_f64;       /* working buffer is xd (else xf) */
    double *xd;        /* rows x cols */
    float *xf;         /* rows x cols */
    void *state;       /* algorithm-private */
    unsigned long long calls;
};

extern const struct muon_orth_ops muon_orth_poly_ops;
extern const struct muon_orth_ops muon_orth_svd_ops;

#endif /* MUON_ORTH_IMPL_H */
