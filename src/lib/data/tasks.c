/* tasks.c: synthetic regression tasks generated from a seed: a random MLP
 * teacher, ill-conditioned linear least squares, low-rank matrix
 * sensing.  Set-up code: it allocates scratch freely. */
#include "data/data_impl.h"
#include "metrics/gauss.h"
#include "muon/data.h"
#include "muon/status.h"
#include "muon/synth.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

void
muon_task_free(muon_task *task)
{
    if (!task)
        return;
    muon_dataset_free(task->data);
    free(task->truth);
    task->data = NULL;
    task->truth = NULL;
    task->ntruth = 0;
}

static int
check_noise(const char *task, double noise)
{
    if (!(isfinite(noise) && noise >= 0))
        return MUON_ERROR(MUON_ERANGE,
                          "%s: noise must be finite and >= 0 "
                          "(got %g)",
                          task, noise);
    return MUON_SUCCESS;
}

/* BLAS and LAPACK take int sizes. */
static int
check_size(const char *task, const char *field, size_t v)
{
    if (v < 1 || v > INT_MAX)
        return MUON_ERROR(MUON_ERANGE, "%s: %s must be in 1..%d (got %zu)",
                          task, field, INT_MAX, v);
    return MUON_SUCCESS;
}

/* malloc of a*b doubles with the product checked; NULL reported. */
static double *
alloc_doubles(size_t a, size_t b)
{
    size_t bytes;
    if (muon_size_mul3(&bytes, a, b, sizeof(double)))
        return NULL;
    double *p = malloc(bytes ? bytes : 1);
    if (!p)
        return MUON_ERROR_NULL(MUON_ENOMEM,
                               "task: cannot allocate %zu "
                               "bytes",
                               bytes);
    return p;
}

/* Creates task->data from double inputs X (n, in) and targets Y (n, out),
 * rounding each value once to float. */
static int
make_data(muon_task *task, size_t n, size_t in, size_t out, const double *X,
          const double *Y)
{
    task->data = muon_dataset_alloc(n, in, out, 0);
    if (!task->data)
        return MUON_ENOMEM;
    for (size_t i = 0; i < n * in; i++)
        task->data->x[i] = (float)X[i];
    for (size_t i = 0; i < n * out; i++)
        task->data->t[i] = (float)Y[i];
    return MUON_SUCCESS;
}

/* y (n) += noise * e, e iid N(0,1) drawn into scratch e (n). */
static void
add_noise(gsl_rng *rng, double noise, double *y, double *e, size_t n)
{
    muon_fill_gaussian(rng, e, n);
    for (size_t i = 0; i < n; i++)
        y[i] += noise * e[i];
}

int
muon_task_teacher(size_t n, const size_t *widths, size_t nw, double noise,
                  unsigned long seed, muon_task *task)
{
    const char *me = "teacher-student";
    if (!task || !widths)
        return MUON_ERROR(MUON_EINVAL, "%s: NULL argument", me);
    memset(task, 0, sizeof *task);
    if (nw < 2)
        return MUON_ERROR(MUON_EINVAL,
                          "%s: need at least the input and "
                          "output widths (got %zu widths)",
                          me, nw);
    int st = check_size(me, "n", n);
    size_t wmax = 0;
    for (size_t l = 0; !st && l < nw; l++) {
        if (widths[l] < 1 || widths[l] > INT_MAX)
            st = MUON_ERROR(MUON_ERANGE,
                            "%s: width %zu must be in 1..%d "
                            "(got %zu)",
                            me, l, INT_MAX, widths[l]);
        wmax = widths[l] > wmax ? widths[l] : wmax;
    }
    if (!st)
        st = check_noise(me, noise);
    if (st)
        return st;

    size_t nwts = 0;
    for (size_t l = 0; l + 1 < nw; l++) {
        size_t k;
        if (muon_size_mul(&k, widths[l], widths[l + 1]) ||
            __builtin_add_overflow(nwts, k, &nwts))
            return MUON_ERROR(MUON_ENOMEM, "%s: too many weights", me);
    }
    size_t in = widths[0], out = widths[nw - 1];
    gsl_rng *rng = muon_data_rng(seed);
    double *W = alloc_doubles(nwts, 1);
    double *H0 = alloc_doubles(n, wmax), *H1 = alloc_doubles(n, wmax);
    double *X = alloc_doubles(n, in), *e = alloc_doubles(n, out);
    if (!rng || !W || !H0 || !H1 || !X || !e) {
        st = MUON_ENOMEM; /* reported by the allocator */
        goto done;
    }
    /* Weights N(0, 1/fan_in): every pre-activation then has variance ~1,
     * so tanh works in its nonlinear range at every depth. */
    muon_fill_gaussian(rng, W, nwts);
    double *Wl = W;
    for (size_t l = 0; l + 1 < nw; l++) {
        double sc = 1.0 / sqrt((double)widths[l]);
        for (size_t i = 0; i < widths[l] * widths[l + 1]; i++)
            Wl[i] *= sc;
        Wl += widths[l] * widths[l + 1];
    }
    muon_fill_gaussian(rng, X, n * in);

    /* H_{l+1} (n, w_{l+1}) = act(H_l (n, w_l) W_l^T); W_l is (w_{l+1}, w_l). */
    double *h = X;
    double *next = H0, *other = H1;
    Wl = W;
    for (size_t l = 0; l + 1 < nw; l++) {
        int a = (int)widths[l], b = (int)widths[l + 1];
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, b, a, 1.0,
                    h, a, Wl, a, 0.0, next, b);
        if (l + 2 < nw)
            for (size_t i = 0; i < n * (size_t)b; i++)
                next[i] = tanh(next[i]);
        Wl += widths[l] * widths[l + 1];
        h = next;
        next = other;
        other = h;
    }
    add_noise(rng, noise, h, e, n * out);
    st = make_data(task, n, in, out, X, h);
    task->floor = noise * noise;
done:
    gsl_rng_free(rng);
    free(W);
    free(H0);
    free(H1);
    free(X);
    free(e);
    if (st)
        muon_task_free(task);
    return st;
}

int
muon_task_lstsq(size_t n, size_t d, double kappa, double noise,
                unsigned long seed, muon_task *task)
{
    const char *me = "least squares";
    if (!task)
        return MUON_ERROR(MUON_EINVAL, "%s: NULL argument", me);
    memset(task, 0, sizeof *task);
    int st = check_size(me, "n", n);
    if (!st)
        st = check_size(me, "d", d);
    if (!st && d > n)
        st = MUON_ERROR(MUON_ERANGE,
                        "%s: need n >= d for a full-rank "
                        "overdetermined problem (got n=%zu, d=%zu)",
                        me, n, d);
    if (!st && !(isfinite(kappa) && kappa >= 1))
        st = MUON_ERROR(MUON_ERANGE,
                        "%s: condition number kappa must be "
                        "finite and >= 1 (got %g)",
                        me, kappa);
    if (!st)
        st = check_noise(me, noise);
    if (st)
        return st;

    gsl_rng *rng = muon_data_rng(seed);
    double *U = alloc_doubles(n, d), *A = alloc_doubles(n, d);
    double *V = alloc_doubles(d, d), *xs = alloc_doubles(d, 1);
    double *b = alloc_doubles(n, 1), *e = alloc_doubles(n, 1);
    double *c = alloc_doubles(d, 1);
    if (!rng || !U || !A || !V || !xs || !b || !e || !c) {
        st = MUON_ENOMEM;
        goto done;
    }
    if ((st = muon_synth_haar(rng, n, d, U)) ||
        (st = muon_synth_haar(rng, d, d, V)))
        goto done;
    muon_fill_gaussian(rng, xs, d);
    muon_fill_gaussian(rng, e, n);

    /* The least-squares residual of b = A x* + noise e is noise times the
     * part of e orthogonal to range(A) = range(U): r = e - U (U^T e),
     * computed directly rather than as ||e||^2 - ||U^T e||^2, which
     * cancels when n is close to d. */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d, 1, (int)n, 1.0,
                U, (int)d, e, 1, 0.0, c, 1);
    memcpy(b, e, n * sizeof *b);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, 1, (int)d,
                -1.0, U, (int)d, c, 1, 1.0, b, 1);
    double rr = 0;
    for (size_t i = 0; i < n; i++)
        rr += b[i] * b[i];
    task->floor = noise * noise * rr / (double)n;

    /* A = (U diag(s)) V^T; s_i = sqrt(n) kappa^(-i/(d-1)). */
    for (size_t j = 0; j < d; j++) {
        double s = sqrt((double)n) *
                   (d > 1 ? pow(kappa, -(double)j / (double)(d - 1)) : 1.0);
        for (size_t i = 0; i < n; i++)
            U[i * d + j] *= s;
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)d, (int)d,
                1.0, U, (int)d, V, (int)d, 0.0, A, (int)d);
    /* b = A x* + noise e. */
    for (size_t i = 0; i < n; i++)
        b[i] = noise * e[i];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, 1, (int)d,
                1.0, A, (int)d, xs, 1, 1.0, b, 1);
    if ((st = make_data(task, n, d, 1, A, b)))
        goto done;
    task->truth = xs;
    task->ntruth = d;
    xs = NULL;
done:
    gsl_rng_free(rng);
    free(U);
    free(A);
    free(V);
    free(xs);
    free(b);
    free(e);
    free(c);
    if (st)
        muon_task_free(task);
    return st;
}

int
muon_task_sensing(size_t n, size_t m, size_t p, size_t rank, double noise,
                  unsigned long seed, muon_task *task)
{
    const char *me = "matrix sensing";
    if (!task)
        return MUON_ERROR(MUON_EINVAL, "%s: NULL argument", me);
    memset(task, 0, sizeof *task);
    size_t mp = 0;
    int st = check_size(me, "n", n);
    if (!st)
        st = check_size(me, "m", m);
    if (!st)
        st = check_size(me, "p", p);
    if (!st && (muon_size_mul(&mp, m, p) || mp > INT_MAX))
        st = MUON_ERROR(MUON_ERANGE, "%s: m*p = %zu x %zu exceeds %d", me, m, p,
                        INT_MAX);
    if (!st && (rank < 1 || rank > m || rank > p))
        st = MUON_ERROR(MUON_ERANGE,
                        "%s: rank must be in 1..min(m, p) = "
                        "%zu (got %zu)",
                        me, m < p ? m : p, rank);
    if (!st)
        st = check_noise(me, noise);
    if (st)
        return st;

    gsl_rng *rng = muon_data_rng(seed);
    double *L = alloc_doubles(m, rank), *R = alloc_doubles(p, rank);
    double *Xs = alloc_doubles(m, p), *A = alloc_doubles(n, mp);
    double *y = alloc_doubles(n, 1), *e = alloc_doubles(n, 1);
    if (!rng || !L || !R || !Xs || !A || !y || !e) {
        st = MUON_ENOMEM;
        goto done;
    }
    muon_fill_gaussian(rng, L, m * rank);
    muon_fill_gaussian(rng, R, p * rank);
    /* X* (m, p) = L R^T / sqrt(rank): each entry is a sum of rank products
     * of independent N(0,1), so it has variance 1. */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)p,
                (int)rank, 1.0 / sqrt((double)rank), L, (int)rank, R, (int)rank,
                0.0, Xs, (int)p);
    muon_fill_gaussian(rng, A, n * mp);
    /* y_i = <A_i, X*> = row i of A (n, m*p) times vec(X*) (m*p). */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, 1, (int)mp,
                1.0, A, (int)mp, Xs, 1, 0.0, y, 1);
    add_noise(rng, noise, y, e, n);
    if ((st = make_data(task, n, mp, 1, A, y)))
        goto done;
    task->floor = noise * noise;
    task->truth = Xs;
    task->ntruth = mp;
    Xs = NULL;
done:
    gsl_rng_free(rng);
    free(L);
    free(R);
    free(Xs);
    free(A);
    free(y);
    free(e);
    if (st)
        muon_task_free(task);
    return st;
}
