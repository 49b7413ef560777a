/* optim_impl.h: private parts of the Muon driver shared by optim.c (the
 * step), config.c (configuration), stats.c (exact-SVD statistics) and
 * optim_ckpt.c (checkpoints). */
#ifndef MUON_OPTIM_IMPL_H
#define MUON_OPTIM_IMPL_H

#include <stdint.h>

#include "muon/optim.h"

/* Scratch for the every-k-steps fp64 SVD statistics, sized at alloc for
 * the largest Muon matrix so that a step never allocates. */
typedef struct muon_svd_stats muon_svd_stats;

muon_svd_stats *muon_svd_stats_alloc(const size_t *A, const size_t *B,
                                     size_t nshapes);
void muon_svd_stats_free(muon_svd_stats *s);
/* Fills the svd fields of st from the orthogonalizer input U and output O
 * (both A x B row-major).  Returns a LAPACK failure as MUON_ENOCONV. */
int muon_svd_stats_measure(muon_svd_stats *s, size_t A, size_t B,
                           const float *U, const float *O,
                           muon_optim_stats *st);

/* One Muon parameter's place in the optimizer. */
typedef struct {
    size_t A, B, count; /* flattened matrix shape, A * B */
    size_t group, slot; /* its batch and position in the batch */
    double sA, sB;      /* the shape the scale factor is computed from */
    float *m;           /* momentum, count */
    float *gprev;       /* MARS: previous gradient, count (or NULL) */
    float *v;           /* NorMuon: per-row second moment, A (or NULL) */
} muon_slot;

/* Same-shape Muon matrices, orthogonalized as one batch. */
typedef struct {
    size_t A, B, n;
    muon_orth_workspace *w;
    float *in, *out; /* n * A * B each */
} muon_group;

enum { CTR_STEPS = 0, CTR_CALLS = 1, CTR_SKIPPED = 2, NCTR = 3 };

struct muon_optim {
    muon_optim_config cfg;
    size_t n;
    muon_param *params;
    int *is_muon;
    muon_slot *slot;         /* n entries, used where is_muon */
    float **aux_m, **aux_v;  /* n entries, used where !is_muon */
    size_t ngroups;
    muon_group *groups;
    muon_optim_stats *stats; /* n */
    muon_svd_stats *svd;     /* NULL when stats_every == 0 */
    uint64_t ctr[NCTR];
    int last_skipped;
    /* Step scratch (never state): each gradient's sum of squares from the
     * finiteness scan (n), and the clipping factor shared by both halves of
     * the step. */
    double *gsq;
    double gscale;
    char warning[256];
    /* Checkpoint: texts and the section list, built once at alloc. */
    char *config_text, *params_text;
    size_t nsec;
    muon_ckpt_section *sec;
    char (*secname)[48];
};

/* The step in two halves around the orthogonalizer, so that
 * benchmarks/step_bench.c can time the elementwise part alone (the public
 * muon_optim_step is front, muon_orth_apply_batch_f32 on every group, back).
 * step_front checks the learning rates, scans every gradient (nothing is
 * written before all are known finite), counts the call and runs the
 * momentum pass writing the orthogonalizer inputs.  It returns 0, a status
 * > 0 (error policy or bad lr, nothing modified), or -1 for a skipped step
 * (counted; the caller must not go on).  step_back applies the Muon updates
 * from the orthogonalizer outputs and runs the auxiliary optimizer. */
int muon_optim_step_front(muon_optim *o, double lr, double lr_aux);
int muon_optim_step_back(muon_optim *o, double lr, double lr_aux);

/* Builds the canonical texts and the section list (optim_ckpt.c). */
int muon_optim_ckpt_init(muon_optim *o);

#endif /* MUON_OPTIM_IMPL_H */
