/* front_source.c: the front end for one input element type.  Included by
 * front.c with IN (double or float), IN_IS_FLOAT and SFX (f64 or f32) defined. */
#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define FN(name) CAT(name, SFX)

#if IN_IS_FLOAT
/* fp32 input: one vectorised pass (lowp.c) finds the non-finite entries, the
 * largest magnitude and the sum of squares. */
static size_t
FN(scan)(const IN *G, size_t count, double *maxabs, double *sumsq)
{
    float mx;
    size_t bad = muon_scan_f32(G, count, &mx, sumsq);
    *maxabs = mx;
    return bad;
}

static double
FN(frobenius)(const IN *G, size_t count, double maxabs, double sumsq,
              int *e_out)
{
    /* sqrt(sumsq 2^-2e) = sqrt(sumsq) 2^-e exactly, so scaling after the
     * sum equals the fp64 path's scaling of each term (only the order of
     * the vectorised summation differs). */
    int e = ilogb(maxabs);
    *e_out = e;
    return ldexp(sqrt(sumsq), -e);
}
#else
/* Pass 1: count non-finite entries and find the largest magnitude. */
static size_t
FN(scan)(const IN *G, size_t count, double *maxabs, double *sumsq)
{
    size_t bad = 0;
    double mx = 0.0;
    for (size_t i = 0; i < count; i++) {
        double v = fabs((double)G[i]);
        bad += !isfinite(v);
        mx = v > mx ? v : mx;
    }
    *maxabs = mx;
    *sumsq = 0.0;
    return bad;
}

/* ||G||_F without overflow or underflow: scale by a power of two taken from
 * the largest entry (exact), sum squares in double, scale back. */
static double
FN(frobenius)(const IN *G, size_t count, double maxabs, double sumsq,
              int *e_out)
{
    (void)sumsq; /* fp64 input: squares may overflow; summed scaled below */
    int e = ilogb(maxabs);
    /* 2^-e may itself overflow for subnormal maxabs: apply it in two halves. */
    double r1 = ldexp(1.0, -e / 2), r2 = ldexp(1.0, -e - (-e / 2));
    double sum = 0.0;
    for (size_t i = 0; i < count; i++) {
        double v = ((double)G[i] * r1) * r2;
        sum += v * v;
    }
    *e_out = e;
    return sqrt(sum); /* = ||G||_F * 2^-e */
}
#endif

int
FN(muon_orth_apply)(muon_orth_workspace *w, const IN *G, IN *O)
{
    size_t m = w->m, n = w->n, count = m * n;
    if (count == 0)
        return MUON_SUCCESS;
    double maxabs, sumsq;
    size_t bad = FN(scan)(G, count, &maxabs, &sumsq);
    if (bad)
        return MUON_ERROR(MUON_ENONFINITE, "%s: input %zu x %zu has %zu "
                          "non-finite entries", w->type->name, m, n, bad);
    w->calls++;
    if (maxabs == 0.0) {
        /* The polar factor of 0 is taken to be 0 (PITFALLS.md 3.6): every
         * method agrees, and no 0/0 is ever formed. */
        memset(O, 0, count * sizeof *O);
        return MUON_SUCCESS;
    }
    int e;
    double nrm_scaled = FN(frobenius)(G, count, maxabs, sumsq, &e);
    /* X = G / (||G||_F * safety + eps), evaluated as
     * (G 2^-e) / (||G||_F 2^-e * safety + eps 2^-e). */
    double r1 = ldexp(1.0, -e / 2), r2 = ldexp(1.0, -e - (-e / 2));
    double eps_scaled = (w->p.eps * r1) * r2;
    double inv;
    if (isinf(eps_scaled)) {
        /* eps dwarfs the norm: X = G / eps, with no scaling needed. */
        r1 = r2 = 1.0;
        inv = 1.0 / w->p.eps;
    } else {
        inv = 1.0 / (nrm_scaled * w->p.safety + eps_scaled);
    }
#if IN_IS_FLOAT
    /* r1 r2 = 2^-e and 2^-e inv are exact, so G scale is the same double
     * as ((G r1) r2) inv. */
    const double scale = (r1 * r2) * inv;
    if (fold_ok(w, e, scale))
        return apply_folded(w, G, scale, O);
#endif
    size_t rows = w->rows, cols = w->cols;
    /* Write the working copy, transposed when the input is tall, so the
     * algorithm always sees rows <= cols. */
    if (w->use_f64) {
        double *X = w->xd;
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) {
                double v = (((double)G[i * n + j] * r1) * r2) * inv;
                X[w->transposed ? j * cols + i : i * n + j] = v;
            }
    } else {
        float *X = w->xf;
        muon_precision p = w->p.precision;
#if IN_IS_FLOAT
        if (!w->transposed) {
            /* One vectorised pass, which also rounds to an emulated
             * precision. */
            muon_scale_f32(p, G, count, scale, X);
        } else
#endif
        {
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < n; j++) {
                    double v = (((double)G[i * n + j] * r1) * r2) * inv;
                    X[w->transposed ? j * cols + i : i * n + j] = (float)v;
                }
            if (p == MUON_BF16 || p == MUON_FP16)
                muon_lowp_round(p, X, count);
        }
    }
    void *res = NULL;
    int rc = w->type->ops->apply(w, &res);
    if (rc)
        return rc;
    /* Copy out, transposing back; fp64-only algorithms round their output
     * to the requested precision. */
    if (w->use_f64) {
        const double *R = res;
        muon_precision p = w->p.precision;
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                O[i * n + j] = (IN)round_to(
                    p, R[w->transposed ? j * cols + i : i * n + j]);
    } else {
        const float *R = res;
#if IN_IS_FLOAT
        if (!w->transposed) {
            memcpy(O, R, count * sizeof *O);
            return MUON_SUCCESS;
        }
#endif
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                O[i * n + j] = (IN)R[w->transposed ? j * cols + i : i * n + j];
    }
    (void)rows;
    return MUON_SUCCESS;
}

/* One thread's share of a parallel batch: matrices k = id, id + nt, ... */
typedef struct {
    muon_orth_workspace *w;
    size_t id, nt, count;
    const IN *G;
    IN *O;
    size_t fail_k; /* first failing index (count if none) */
    int rc;
    /* The failure's report, copied from this share's thread (last-error
     * buffers are per thread) for the caller to report again. */
    char why[200];
} FN(batch_job);

/* Runs share i of a batch (muon_linalg_run_threads). */
static void
FN(batch_share)(void *arg, size_t i)
{
    FN(batch_job) *j = (FN(batch_job) *)arg + i;
    size_t mn = j->w->m * j->w->n;
    muon_linalg_worker_init(j->w->local);
    j->fail_k = j->count;
    j->rc = MUON_SUCCESS;
    for (size_t k = j->id; k < j->count; k += j->nt) {
        int rc = FN(muon_orth_apply)(j->w, j->G + k * mn, j->O + k * mn);
        if (rc) {
            j->rc = rc;
            j->fail_k = k;
            snprintf(j->why, sizeof j->why, "%s", muon_last_error());
            break;
        }
    }
    muon_linalg_worker_end();
}

int
FN(muon_orth_apply_batch)(muon_orth_workspace *w, size_t count, const IN *G,
                          IN *O)
{
    size_t mn = w->m * w->n;
    size_t nt = w->nthreads < count ? w->nthreads : count;
    if (nt <= 1 || mn == 0) {
        for (size_t k = 0; k < count; k++) {
            int rc = FN(muon_orth_apply)(w, G + k * mn, O + k * mn);
            if (rc)
                return rc;
        }
        return MUON_SUCCESS;
    }
    /* Interleaved assignment balances equal-sized matrices; each share
     * owns one workspace (w itself for share 0). */
    FN(batch_job) jobs[MUON_ORTH_MAX_THREADS];
    int saved;
    muon_linalg_batch_begin(&saved);
    for (size_t i = 0; i < nt; i++)
        jobs[i] = (FN(batch_job)){i ? w->sib[i - 1] : w, i, nt, count, G, O,
                                  count, MUON_SUCCESS, ""};
    muon_linalg_run_threads(w->be, nt, FN(batch_share), jobs);
    muon_linalg_batch_end(saved);
    size_t fk = count, fi = 0;
    for (size_t i = 0; i < nt; i++) {
        if (jobs[i].fail_k < fk) {
            fk = jobs[i].fail_k;
            fi = i;
        }
        if (i > 0)
            w->calls += w->sib[i - 1]->calls, w->sib[i - 1]->calls = 0;
    }
    if (fk == count)
        return MUON_SUCCESS;
    return MUON_ERROR(jobs[fi].rc, "batch matrix %zu of %zu: %s", fk, count,
                      jobs[fi].why);
}

#undef FN
#undef CAT
#undef CAT2
