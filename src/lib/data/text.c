/* text.c: a byte-level character corpus (by default the fortunes
 * package's files) and its random-window batch sampler. */
#include "data/data_impl.h"
#include "muon/data.h"
#include "muon/status.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
muon_utf8_valid(const void *s, size_t len, size_t *bad)
{
    const unsigned char *p = s;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        size_t k;                      /* continuation bytes */
        unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            /* E0: no overlong forms (< U+0800); ED: no surrogates. */
            if (c == 0xE0)
                lo = 0xA0;
            if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            /* F0: no overlong forms (< U+10000); F4: nothing > U+10FFFF. */
            if (c == 0xF0)
                lo = 0x90;
            if (c == 0xF4)
                hi = 0x8F;
        } else {
            /* 80..C1 (stray continuation, overlong 2-byte lead), F5..FF. */
            goto fail;
        }
        if (len - i <= k || p[i + 1] < lo || p[i + 1] > hi)
            goto fail;
        for (size_t j = 2; j <= k; j++)
            if ((p[i + j] & 0xC0) != 0x80)
                goto fail;
        i += k + 1;
    }
    return 1;
fail:
    if (bad)
        *bad = i;
    return 0;
}

void
muon_text_free(muon_text *t)
{
    if (!t)
        return;
    free(t->tok);
    free(t);
}

/* Builds the vocabulary, the token stream, the entropy and the split from
 * already validated bytes. */
static muon_text *
build(const unsigned char *bytes, size_t n, double val_frac, const char *name)
{
    if (n == 0)
        return MUON_ERROR_NULL(MUON_EFORMAT, "%s: no text", name);
    size_t n_val = (size_t)floor((double)n * val_frac);
    if (n_val >= n)
        n_val = n - 1;
    muon_text *t = calloc(1, sizeof *t);
    if (!t || !(t->tok = malloc(n))) {
        muon_text_free(t);
        return MUON_ERROR_NULL(MUON_ENOMEM,
                               "%s: out of memory for %zu "
                               "tokens",
                               name, n);
    }
    size_t count[256] = {0};
    for (size_t i = 0; i < n; i++)
        count[bytes[i]]++;
    for (int v = 0; v < 256; v++) {
        t->id_of[v] = -1;
        if (count[v]) {
            t->byte_of[t->vocab] = (uint8_t)v;
            t->id_of[v] = (int16_t)t->vocab++;
        }
    }
    for (size_t i = 0; i < n; i++)
        t->tok[i] = (uint8_t)t->id_of[bytes[i]];
    /* H = -sum p ln p with p = c/n, written as ln n - (1/n) sum c ln c so
     * that only one division is rounded. */
    double s = 0;
    for (int v = 0; v < 256; v++)
        if (count[v])
            s += (double)count[v] * log((double)count[v]);
    t->entropy = log((double)n) - s / (double)n;
    t->n = n;
    t->n_train = n - n_val;
    return t;
}

static int
check_frac(double val_frac)
{
    if (!(val_frac >= 0 && val_frac < 1))
        return MUON_ERROR(MUON_ERANGE,
                          "text: validation fraction must be in "
                          "[0, 1) (got %g)",
                          val_frac);
    return MUON_SUCCESS;
}

static int
check_utf8(const unsigned char *p, size_t len, const char *name)
{
    size_t bad;
    if (!muon_utf8_valid(p, len, &bad))
        return MUON_ERROR(MUON_EFORMAT,
                          "%s: invalid UTF-8 at byte offset %zu "
                          "(byte 0x%02x)",
                          name, bad, p[bad]);
    return MUON_SUCCESS;
}

muon_text *
muon_text_from_bytes(const void *bytes, size_t len, double val_frac,
                     const char *name)
{
    if (!name)
        name = "text";
    if (!bytes && len)
        return MUON_ERROR_NULL(MUON_EINVAL, "%s: NULL bytes", name);
    if (check_frac(val_frac) || check_utf8(bytes, len, name))
        return NULL;
    return build(bytes, len, val_frac, name);
}

/* A growing byte buffer. */
typedef struct {
    unsigned char *p;
    size_t len, cap;
} buffer;

/* Appends the whole file at path to b, then checks that the appended part
 * is valid UTF-8 (offsets are reported within the file). */
static int
append_file(buffer *b, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return MUON_ERROR(MUON_EIO, "%s: %s", path, strerror(errno));
    size_t start = b->len;
    int st = MUON_SUCCESS;
    for (;;) {
        if (b->cap - b->len < 65536) {
            size_t cap = b->cap ? 2 * b->cap : 1u << 20;
            unsigned char *p = cap > b->cap ? realloc(b->p, cap) : NULL;
            if (!p) {
                st = MUON_ERROR(MUON_ENOMEM, "%s: out of memory", path);
                break;
            }
            b->p = p;
            b->cap = cap;
        }
        size_t k = fread(b->p + b->len, 1, b->cap - b->len, f);
        b->len += k;
        if (k == 0) {
            if (ferror(f))
                st = MUON_ERROR(MUON_EIO, "%s: read error: %s", path,
                                strerror(errno));
            break;
        }
    }
    fclose(f);
    if (!st)
        st = check_utf8(b->p + start, b->len - start, path);
    return st;
}

static int
cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_index_file(const char *name)
{
    size_t l = strlen(name);
    return l >= 4 && strcmp(name + l - 4, ".dat") == 0;
}

/* Reads the regular files of dir (rules at muon_text_load) into b. */
static int
append_dir(buffer *b, const char *dir, size_t *nfiles)
{
    DIR *d = opendir(dir);
    if (!d)
        return MUON_ERROR(MUON_EIO, "%s: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int st = MUON_SUCCESS;
    struct dirent *e;
    errno = 0;
    while (!st && (e = readdir(d))) {
        if (e->d_name[0] == '.' || is_index_file(e->d_name))
            continue;
        char *path;
        if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) {
            st = MUON_ERROR(MUON_ENOMEM, "%s: out of memory", dir);
            break;
        }
        struct stat sb;
        /* lstat: symbolic links are skipped, not followed. */
        if (lstat(path, &sb) != 0) {
            st = MUON_ERROR(MUON_EIO, "%s: %s", path, strerror(errno));
            free(path);
            break;
        }
        if (!S_ISREG(sb.st_mode)) {
            free(path);
            continue;
        }
        if (n == cap) {
            char **p = reallocarray(names, cap ? 2 * cap : 64, sizeof *p);
            if (!p) {
                free(path);
                st = MUON_ERROR(MUON_ENOMEM, "%s: out of memory", dir);
                break;
            }
            names = p;
            cap = cap ? 2 * cap : 64;
        }
        names[n++] = path;
        errno = 0;
    }
    if (!st && errno)
        st = MUON_ERROR(MUON_EIO, "%s: %s", dir, strerror(errno));
    closedir(d);
    if (!st && n == 0)
        st = MUON_ERROR(MUON_EFORMAT,
                        "%s: no text files (hidden files, "
                        ".dat files, links and subdirectories are skipped)",
                        dir);
    if (!st)
        qsort(names, n, sizeof *names, cmp_name);
    for (size_t i = 0; i < n; i++) {
        if (!st)
            st = append_file(b, names[i]);
        free(names[i]);
    }
    free(names);
    *nfiles = n;
    return st;
}

muon_text *
muon_text_load(const char *path, double val_frac)
{
    if (!path)
        path = MUON_TEXT_DIR;
    if (check_frac(val_frac))
        return NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return MUON_ERROR_NULL(MUON_EIO, "%s: %s%s", path, strerror(errno),
                               strcmp(path, MUON_TEXT_DIR) == 0
                                   ? " (install it with: apt-get install "
                                     "fortunes)"
                                   : "");
    buffer b = {0};
    size_t nfiles = 1;
    int st;
    if (S_ISDIR(sb.st_mode))
        st = append_dir(&b, path, &nfiles);
    else
        st = append_file(&b, path);
    muon_text *t = NULL;
    if (!st && (t = build(b.p, b.len, val_frac, path)))
        t->nfiles = nfiles;
    free(b.p);
    return t;
}

struct muon_text_batcher {
    const uint8_t *tok; /* the part sampled from */
    size_t len, B, T;
    gsl_rng *rng;
    unsigned long count;
};

muon_text_batcher *
muon_text_batcher_alloc(const muon_text *t, int val, size_t B, size_t T,
                        unsigned long seed)
{
    if (!t || B < 1 || T < 1)
        return MUON_ERROR_NULL(MUON_EINVAL,
                               "text batcher: need a corpus, "
                               "B >= 1 and T >= 1 (got B=%zu, T=%zu)",
                               B, T);
    size_t len = val ? t->n - t->n_train : t->n_train;
    if (len < T + 1 || T + 1 < T)
        return MUON_ERROR_NULL(MUON_ERANGE,
                               "text batcher: the %s part has "
                               "%zu tokens, fewer than T+1 = %zu",
                               val ? "validation" : "training", len, T + 1);
    muon_text_batcher *b = calloc(1, sizeof *b);
    if (!b || !(b->rng = muon_data_rng(seed))) {
        free(b);
        return MUON_ERROR_NULL(MUON_ENOMEM, "text batcher: out of memory");
    }
    /* gsl_rng_uniform_int draws below 2^32 with mt19937. */
    if (len - T - 1 >= gsl_rng_max(b->rng)) {
        muon_text_batcher_free(b);
        return MUON_ERROR_NULL(MUON_ERANGE,
                               "text batcher: %zu tokens are "
                               "more than the generator can index",
                               len);
    }
    b->tok = t->tok + (val ? t->n_train : 0);
    b->len = len;
    b->B = B;
    b->T = T;
    return b;
}

void
muon_text_batcher_free(muon_text_batcher *b)
{
    if (!b)
        return;
    gsl_rng_free(b->rng);
    free(b);
}

int
muon_text_batcher_next(muon_text_batcher *b, int *tok)
{
    if (!b || !tok)
        return MUON_ERROR(MUON_EINVAL, "text batcher: NULL argument");
    size_t w = b->T + 1;
    for (size_t i = 0; i < b->B; i++) {
        /* Starts 0 .. len-T-1: the window s..s+T stays inside the part. */
        size_t s = gsl_rng_uniform_int(b->rng, b->len - b->T);
        for (size_t j = 0; j < w; j++)
            tok[i * w + j] = b->tok[s + j];
    }
    b->count++;
    return MUON_SUCCESS;
}

unsigned long
muon_text_batcher_count(const muon_text_batcher *b)
{
    return b->count;
}

size_t
muon_text_batcher_state_size(const muon_text_batcher *b)
{
    return muon_state_size(b->rng);
}

static void
text_head(const muon_text_batcher *b, muon_state_head *h)
{
    memset(h, 0, sizeof *h);
    h->tag = MUON_TAG_TEXT;
    h->size[0] = b->len;
    h->size[1] = b->B;
    h->size[2] = b->T;
    h->count[0] = b->count;
}

int
muon_text_batcher_save(const muon_text_batcher *b, void *buf, size_t len)
{
    muon_state_head h;
    text_head(b, &h);
    return muon_state_save(&h, b->rng, buf, len);
}

int
muon_text_batcher_restore(muon_text_batcher *b, const void *buf, size_t len)
{
    muon_state_head want, got;
    text_head(b, &want);
    int st = muon_state_load(&want, b->rng, buf, len, &got);
    if (!st)
        b->count = (unsigned long)got.count[0];
    return st;
}
