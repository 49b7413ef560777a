/* dataset.c: in-memory data sets, the validation split, the shuffling
 * batch iterator and the saved iterator state shared with text.c. */
#include "data/data_impl.h"
#include "muon/data.h"
#include "muon/status.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

gsl_rng *
muon_data_rng(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return MUON_ERROR_NULL(MUON_ENOMEM, "cannot allocate an RNG");
    gsl_rng_set(r, seed);
    return r;
}

size_t
muon_state_size(const gsl_rng *rng)
{
    return sizeof(muon_state_head) + gsl_rng_size(rng);
}

int
muon_state_save(const muon_state_head *head, const gsl_rng *rng, void *buf,
                size_t len)
{
    size_t need = muon_state_size(rng);
    if (!buf || len < need)
        return MUON_ERROR(MUON_EBADLEN,
                          "iterator state needs %zu bytes "
                          "(buffer has %zu)",
                          need, buf ? len : 0);
    memcpy(buf, head, sizeof *head);
    memcpy((char *)buf + sizeof *head, gsl_rng_state(rng), gsl_rng_size(rng));
    return MUON_SUCCESS;
}

int
muon_state_load(const muon_state_head *expect, gsl_rng *rng, const void *buf,
                size_t len, muon_state_head *got)
{
    size_t need = muon_state_size(rng);
    if (!buf || len != need)
        return MUON_ERROR(MUON_EBADLEN,
                          "iterator state has %zu bytes, "
                          "expected %zu",
                          buf ? len : 0, need);
    muon_state_head h;
    memcpy(&h, buf, sizeof h);
    if (h.tag != expect->tag)
        return MUON_ERROR(MUON_ECORRUPT,
                          "iterator state: tag 0x%016llx, "
                          "expected 0x%016llx (another iterator or version)",
                          (unsigned long long)h.tag,
                          (unsigned long long)expect->tag);
    for (int i = 0; i < 3; i++)
        if (h.size[i] != expect->size[i])
            return MUON_ERROR(MUON_ECORRUPT,
                              "iterator state: size %d is "
                              "%llu, this iterator has %llu",
                              i, (unsigned long long)h.size[i],
                              (unsigned long long)expect->size[i]);
    memcpy(gsl_rng_state(rng), (const char *)buf + sizeof h, gsl_rng_size(rng));
    *got = h;
    return MUON_SUCCESS;
}

muon_dataset *
muon_dataset_alloc(size_t n, size_t in_dim, size_t out_dim, size_t nclass)
{
    if (in_dim == 0 || (out_dim == 0) == (nclass == 0))
        return MUON_ERROR_NULL(MUON_EINVAL,
                               "data set: need in_dim >= 1 and "
                               "exactly one of out_dim, nclass nonzero (got "
                               "in_dim=%zu, out_dim=%zu, nclass=%zu)",
                               in_dim, out_dim, nclass);
    size_t nx, nt;
    if (muon_size_mul3(&nx, n, in_dim, sizeof(float)) ||
        muon_size_mul3(&nt, n, out_dim, sizeof(float)))
        return NULL;
    muon_dataset *d = calloc(1, sizeof *d);
    if (!d)
        return MUON_ERROR_NULL(MUON_ENOMEM, "data set: out of memory");
    d->n = n;
    d->in_dim = in_dim;
    d->out_dim = out_dim;
    d->nclass = nclass;
    /* +1 so that an empty set (n == 0) still has non-NULL arrays. */
    d->x = calloc(1, nx + 1);
    if (out_dim)
        d->t = calloc(1, nt + 1);
    else
        d->y = calloc(n + 1, sizeof *d->y);
    if (!d->x || (out_dim && !d->t) || (nclass && !d->y)) {
        muon_dataset_free(d);
        return MUON_ERROR_NULL(MUON_ENOMEM,
                               "data set: cannot allocate %zu "
                               "examples of %zu values",
                               n, in_dim);
    }
    return d;
}

void
muon_dataset_free(muon_dataset *d)
{
    if (!d)
        return;
    free(d->x);
    free(d->t);
    free(d->y);
    free(d);
}

/* Copies example i of src into row j of dst (same shape). */
static void
copy_example(muon_dataset *dst, size_t j, const muon_dataset *src, size_t i)
{
    memcpy(dst->x + j * dst->in_dim, src->x + i * src->in_dim,
           src->in_dim * sizeof(float));
    if (src->t)
        memcpy(dst->t + j * dst->out_dim, src->t + i * src->out_dim,
               src->out_dim * sizeof(float));
    if (src->y)
        dst->y[j] = src->y[i];
}

int
muon_split_mask(size_t n, size_t n_val, unsigned long seed,
                unsigned char *is_val)
{
    size_t *perm = malloc((n ? n : 1) * sizeof *perm);
    /* An offset seed: the run's seed is also given to the batcher, and the
     * split must not replay the batcher's random stream. */
    gsl_rng *rng = muon_data_rng((seed + MUON_SEED_SPLIT) & 0xFFFFFFFFul);
    if (!perm || !rng) {
        free(perm);
        gsl_rng_free(rng);
        return MUON_ERROR(MUON_ENOMEM, "split: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    if (n > 1)
        gsl_ran_shuffle(rng, perm, n, sizeof *perm);
    memset(is_val, 0, n);
    for (size_t i = 0; i < n_val; i++)
        is_val[perm[i]] = 1;
    gsl_rng_free(rng);
    free(perm);
    return MUON_SUCCESS;
}

int
muon_dataset_split(const muon_dataset *d, size_t n_val, unsigned long seed,
                   muon_dataset **train, muon_dataset **val)
{
    if (!d || !train || !val)
        return MUON_ERROR(MUON_EINVAL, "split: NULL argument");
    *train = *val = NULL;
    if (n_val >= d->n)
        return MUON_ERROR(MUON_ERANGE,
                          "split: validation size %zu must be "
                          "smaller than the %zu examples",
                          n_val, d->n);
    unsigned char *is_val = malloc(d->n);
    muon_dataset *tr =
        muon_dataset_alloc(d->n - n_val, d->in_dim, d->out_dim, d->nclass);
    muon_dataset *va =
        muon_dataset_alloc(n_val, d->in_dim, d->out_dim, d->nclass);
    int st = MUON_SUCCESS;
    if (!is_val)
        st = MUON_ERROR(MUON_ENOMEM, "split: out of memory");
    else if (!tr || !va)
        st = MUON_ENOMEM; /* already reported */
    else
        st = muon_split_mask(d->n, n_val, seed, is_val);
    if (!st) {
        size_t jt = 0, jv = 0;
        for (size_t i = 0; i < d->n; i++) {
            if (is_val[i])
                copy_example(va, jv++, d, i);
            else
                copy_example(tr, jt++, d, i);
        }
        *train = tr;
        *val = va;
    } else {
        muon_dataset_free(tr);
        muon_dataset_free(va);
    }
    free(is_val);
    return st;
}

struct muon_batcher {
    const muon_dataset *d;
    size_t batch;
    int drop_last;
    gsl_rng *rng;
    gsl_rng *epoch_start; /* rng as it was before this epoch's shuffle */
    size_t *perm;         /* (n) this epoch's order */
    unsigned long epoch;  /* epochs completed */
    size_t pos;           /* next index into perm */
};

/* Rebuilds the order of a new epoch from the current generator state,
 * after saving that state (which is what a checkpoint stores). */
static void
shuffle_epoch(muon_batcher *b)
{
    gsl_rng_memcpy(b->epoch_start, b->rng);
    for (size_t i = 0; i < b->d->n; i++)
        b->perm[i] = i;
    gsl_ran_shuffle(b->rng, b->perm, b->d->n, sizeof *b->perm);
    b->pos = 0;
}

muon_batcher *
muon_batcher_alloc(const muon_dataset *d, size_t batch, unsigned long seed,
                   int drop_last)
{
    if (!d || d->n == 0)
        return MUON_ERROR_NULL(MUON_EINVAL, "batcher: empty data set");
    if (batch < 1 || batch > d->n)
        return MUON_ERROR_NULL(MUON_ERANGE,
                               "batcher: batch size must be in "
                               "1..%zu, the data set size (got %zu)",
                               d->n, batch);
    muon_batcher *b = calloc(1, sizeof *b);
    if (!b)
        return MUON_ERROR_NULL(MUON_ENOMEM, "batcher: out of memory");
    b->d = d;
    b->batch = batch;
    b->drop_last = drop_last != 0;
    b->rng = muon_data_rng(seed);
    b->epoch_start = muon_data_rng(seed);
    b->perm = malloc(d->n * sizeof *b->perm);
    if (!b->rng || !b->epoch_start || !b->perm) {
        muon_batcher_free(b);
        return MUON_ERROR_NULL(MUON_ENOMEM, "batcher: out of memory");
    }
    shuffle_epoch(b);
    return b;
}

void
muon_batcher_free(muon_batcher *b)
{
    if (!b)
        return;
    gsl_rng_free(b->rng);
    gsl_rng_free(b->epoch_start);
    free(b->perm);
    free(b);
}

int
muon_batcher_next(muon_batcher *b, float *x, float *t, int *y, size_t *nb)
{
    if (!b || !x || !nb)
        return MUON_ERROR(MUON_EINVAL, "batcher: NULL argument");
    const muon_dataset *d = b->d;
    size_t left = d->n - b->pos;
    if (left == 0 || (b->drop_last && left < b->batch)) {
        b->epoch++;
        shuffle_epoch(b);
        left = d->n;
    }
    size_t k = left < b->batch ? left : b->batch;
    for (size_t j = 0; j < k; j++) {
        size_t i = b->perm[b->pos + j];
        memcpy(x + j * d->in_dim, d->x + i * d->in_dim, d->in_dim * sizeof *x);
        if (t && d->t)
            memcpy(t + j * d->out_dim, d->t + i * d->out_dim,
                   d->out_dim * sizeof *t);
        if (y && d->y)
            y[j] = d->y[i];
    }
    b->pos += k;
    *nb = k;
    return MUON_SUCCESS;
}

unsigned long
muon_batcher_epoch(const muon_batcher *b)
{
    return b->epoch;
}

size_t
muon_batcher_position(const muon_batcher *b)
{
    return b->pos;
}

size_t
muon_batcher_state_size(const muon_batcher *b)
{
    return muon_state_size(b->rng);
}

static void
batcher_head(const muon_batcher *b, muon_state_head *h)
{
    memset(h, 0, sizeof *h);
    h->tag = MUON_TAG_BATCHER;
    h->size[0] = b->d->n;
    h->size[1] = b->batch;
    h->size[2] = (uint64_t)b->drop_last;
    h->count[0] = b->epoch;
    h->count[1] = b->pos;
}

int
muon_batcher_save(const muon_batcher *b, void *buf, size_t len)
{
    muon_state_head h;
    batcher_head(b, &h);
    return muon_state_save(&h, b->epoch_start, buf, len);
}

int
muon_batcher_restore(muon_batcher *b, const void *buf, size_t len)
{
    muon_state_head want, got;
    batcher_head(b, &want);
    /* Load into the spare generator first, so that b is unchanged when
     * the state is rejected. */
    gsl_rng *tmp = gsl_rng_clone(b->epoch_start);
    if (!tmp)
        return MUON_ERROR(MUON_ENOMEM, "batcher: out of memory");
    int st = muon_state_load(&want, tmp, buf, len, &got);
    if (!st && got.count[1] > b->d->n)
        st = MUON_ERROR(MUON_ECORRUPT,
                        "batcher state: position %llu beyond "
                        "the %zu examples",
                        (unsigned long long)got.count[1], b->d->n);
    if (!st && got.count[0] > (uint64_t)(unsigned long)-1)
        st = MUON_ERROR(MUON_ECORRUPT,
                        "batcher state: epoch %llu out of "
                        "range",
                        (unsigned long long)got.count[0]);
    if (!st) {
        gsl_rng_memcpy(b->rng, tmp);
        shuffle_epoch(b);
        b->epoch = (unsigned long)got.count[0];
        b->pos = (size_t)got.count[1];
    }
    gsl_rng_free(tmp);
    return st;
}
