/* fmnist.c: Fashion-MNIST from Debian's dataset-fashion-mnist package
 * (REFERENCE.md 7, PITFALLS.md 3.7). */
#include "data/data_impl.h"
#include "muon/data.h"
#include "muon/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The files of one part, and the SHA-256 of their decompressed bytes as
 * packaged in Debian (PITFALLS.md 3.7; the .gz files themselves were
 * recompressed, so only the decompressed bytes can be checked). */
static const struct {
    const char *images, *labels, *sha_images, *sha_labels;
} parts[2] = {
    {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
     "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
     "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"},
    {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
     "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
     "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
};

#define NCLASS 10
#define HINT "install it with: apt-get install " MUON_FMNIST_PACKAGE

/* One part as read from disk: images (n, rows, cols) and labels (n). */
typedef struct {
    unsigned char *ibuf, *lbuf;
    muon_idx img, lab;
    char ipath[4096], lpath[4096];
} raw_part;

static int
load_part(const char *dir, int which, int strict, raw_part *p)
{
    size_t len;
    int n1 =
        snprintf(p->ipath, sizeof p->ipath, "%s/%s", dir, parts[which].images);
    int n2 =
        snprintf(p->lpath, sizeof p->lpath, "%s/%s", dir, parts[which].labels);
    if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof p->ipath ||
        (size_t)n2 >= sizeof p->lpath)
        return MUON_ERROR(MUON_EINVAL,
                          "Fashion-MNIST directory name too "
                          "long: %s",
                          dir);
    int st = muon_idx_load(p->ipath, 3, strict ? parts[which].sha_images : NULL,
                           HINT, &p->ibuf, &len, &p->img);
    if (!st)
        st = muon_idx_load(p->lpath, 1, strict ? parts[which].sha_labels : NULL,
                           HINT, &p->lbuf, &len, &p->lab);
    if (st)
        return st;
    if (p->img.dims[0] != p->lab.dims[0])
        return MUON_ERROR(MUON_EFORMAT,
                          "%s has %u images but %s has %u "
                          "labels",
                          p->ipath, (unsigned)p->img.dims[0], p->lpath,
                          (unsigned)p->lab.dims[0]);
    for (size_t i = 0; i < p->lab.payload_len; i++)
        if (p->lab.payload[i] >= NCLASS)
            return MUON_ERROR(MUON_EFORMAT,
                              "%s: label %u of item %zu is "
                              "not in 0..9",
                              p->lpath, p->lab.payload[i], i);
    return MUON_SUCCESS;
}

static void
free_part(raw_part *p)
{
    free(p->ibuf);
    free(p->lbuf);
    p->ibuf = p->lbuf = NULL;
}

/* Fills dst with the examples i of p that have mask[i] == want (mask
 * NULL: all of them), in file order, mapping pixel bytes through lut. */
static void
fill(muon_dataset *dst, const raw_part *p, const unsigned char *mask,
     unsigned char want, const float lut[256])
{
    size_t dim = dst->in_dim, j = 0;
    for (size_t i = 0; i < p->lab.payload_len; i++) {
        if (mask && mask[i] != want)
            continue;
        const unsigned char *px = p->img.payload + i * dim;
        float *x = dst->x + j * dim;
        for (size_t k = 0; k < dim; k++)
            x[k] = lut[px[k]];
        dst->y[j++] = p->lab.payload[i];
    }
}

void
muon_fmnist_free(muon_fmnist *fm)
{
    if (!fm)
        return;
    muon_dataset_free(fm->train);
    muon_dataset_free(fm->val);
    muon_dataset_free(fm->test);
    fm->train = fm->val = fm->test = NULL;
}

int
muon_fmnist_load(const char *dir, size_t n_val, unsigned long seed, int strict,
                 muon_fmnist *fm)
{
    if (!fm)
        return MUON_ERROR(MUON_EINVAL, "Fashion-MNIST: NULL output");
    memset(fm, 0, sizeof *fm);
    if (!dir)
        dir = MUON_FMNIST_DIR;
    raw_part tr = {0}, te = {0};
    unsigned char *is_val = NULL;
    int st = load_part(dir, 0, strict, &tr);
    if (!st)
        st = load_part(dir, 1, strict, &te);
    size_t n = tr.lab.payload_len;
    if (!st &&
        (te.img.dims[1] != tr.img.dims[1] || te.img.dims[2] != tr.img.dims[2]))
        st = MUON_ERROR(MUON_EFORMAT, "%s has %ux%u images but %s has %ux%u",
                        tr.ipath, (unsigned)tr.img.dims[1],
                        (unsigned)tr.img.dims[2], te.ipath,
                        (unsigned)te.img.dims[1], (unsigned)te.img.dims[2]);
    if (!st && n_val >= n)
        st = MUON_ERROR(MUON_ERANGE,
                        "Fashion-MNIST: validation size %zu "
                        "must be smaller than the %zu training images",
                        n_val, n);
    if (!st && !(is_val = malloc(n)))
        st = MUON_ERROR(MUON_ENOMEM, "Fashion-MNIST: out of memory");
    if (!st)
        st = muon_split_mask(n, n_val, seed, is_val);

    size_t dim = (size_t)tr.img.dims[1] * tr.img.dims[2];
    if (!st) {
        /* Mean and std of value/255 over the training part's pixels, from
         * a histogram of byte values: exact sums of integers, no
         * accumulation error whatever the order. */
        uint64_t hist[256] = {0};
        for (size_t i = 0; i < n; i++)
            if (!is_val[i])
                for (size_t k = 0; k < dim; k++)
                    hist[tr.img.payload[i * dim + k]]++;
        double cnt = (double)(n - n_val) * (double)dim, mean = 0, var = 0;
        for (int v = 0; v < 256; v++)
            mean += (double)hist[v] * (v / 255.0);
        mean /= cnt;
        for (int v = 0; v < 256; v++)
            var += (double)hist[v] * (v / 255.0 - mean) * (v / 255.0 - mean);
        fm->mean = mean;
        fm->std = sqrt(var / cnt);
        if (!(fm->std > 0))
            st = MUON_ERROR(MUON_EFORMAT,
                            "%s: every training pixel has the "
                            "same value; cannot standardise",
                            tr.ipath);
    }
    if (!st) {
        fm->rows = tr.img.dims[1];
        fm->cols = tr.img.dims[2];
        fm->train = muon_dataset_alloc(n - n_val, dim, 0, NCLASS);
        fm->val = muon_dataset_alloc(n_val, dim, 0, NCLASS);
        fm->test = muon_dataset_alloc(te.lab.payload_len, dim, 0, NCLASS);
        if (!fm->train || !fm->val || !fm->test)
            st = MUON_ENOMEM; /* reported by the allocator */
    }
    if (!st) {
        float lut[256];
        for (int v = 0; v < 256; v++)
            lut[v] = (float)((v / 255.0 - fm->mean) / fm->std);
        fill(fm->train, &tr, is_val, 0, lut);
        fill(fm->val, &tr, is_val, 1, lut);
        fill(fm->test, &te, NULL, 0, lut);
    }
    free(is_val);
    free_part(&tr);
    free_part(&te);
    if (st)
        muon_fmnist_free(fm);
    return st;
}
