/* data.h: data sets for training runs: Fashion-MNIST (IDX files), a
 * byte-level text corpus, and synthetic regression tasks; batch iterators
 * whose state can be saved for bit-identical resume.
 *
 * Random numbers: every stream is gsl_rng_mt19937 seeded explicitly from
 * the run's seed (GSL maps seed 0 to 4357, so seeds 0 and 4357 coincide,
 * and uses only the low 32 bits).  The validation split offsets its seed
 * (muon_dataset_split) so that the run's seed can be passed to the split
 * and to the batcher alike; batchers and tasks use the seed as given.
 *
 * Errors: every function returns a status from muon/status.h and reports
 * it once through MUON_ERROR with the file, field and value at fault;
 * _alloc functions return NULL (reported).  Nothing here prints or exits.
 */
#ifndef MUON_DATA_H
#define MUON_DATA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* IDX files (LeCun's MNIST format)                                   */
/* ------------------------------------------------------------------ */

/* Largest number of dimensions the parser accepts (images have 3). */
#define MUON_IDX_MAXDIM 4

/* A parsed unsigned-byte IDX file.  The magic number is 0x000008NN: two
 * zero bytes, the type code 0x08 (unsigned byte, the only one we accept)
 * and NN = the number of dimensions; then NN big-endian uint32 sizes, then
 * the prod(sizes) payload bytes and nothing else. */
typedef struct {
    unsigned ndim;                  /* low byte of the magic number */
    uint32_t dims[MUON_IDX_MAXDIM]; /* sizes, dims[0] = number of items */
    size_t header_len;              /* 4 + 4 * ndim */
    size_t payload_len;             /* prod(dims), checked for overflow */
    const unsigned char *payload;   /* points into the parsed buffer */
} muon_idx;

/* Parses an IDX file held in memory (no allocation, no I/O: the unit that
 * is fuzzed).  buf: len bytes; ndim: the expected number of dimensions
 * (1..MUON_IDX_MAXDIM); name: the file name used in messages.  Checks, in
 * this order: the magic (0x000008 followed by ndim), the header length,
 * every size >= 1, prod(sizes) within size_t (__builtin_mul_overflow), and
 * len == header + payload exactly (short: truncated; long: trailing
 * bytes).  On success fills *idx (idx->payload points into buf).
 * Returns MUON_SUCCESS, MUON_EINVAL (ndim out of range, NULL pointers) or
 * MUON_EFORMAT (everything about the content), reported. */
int muon_idx_parse(const void *buf, size_t len, unsigned ndim, const char *name,
                   muon_idx *idx);

/* Reads an IDX file through zlib: a gzip file, or, by policy, an
 * uncompressed IDX file (zlib reads those transparently, gzdirect() == 1;
 * accepting them lets users unpack the data once for speed and lets tests
 * use raw fixtures; the content checks are the same).  Reads the header,
 * allocates exactly header + payload bytes (after the overflow check),
 * reads them, then tries to read one more byte, which both detects
 * trailing data and makes zlib verify the gzip CRC and length trailer.
 * Every gzread count is compared with the request; gzerror is consulted
 * (and its message copied) before gzclose, whose result is checked too.
 * If sha256 is not NULL, it must be 64 lowercase hex digits and the
 * decompressed file (header included) must have that SHA-256.
 * On success *buf (owned by the caller, free()) holds *len bytes and *idx
 * describes them (idx->payload points into *buf).  Errors (reported, *buf
 * then NULL):
 *   MUON_EIO      the file cannot be opened (the message names the path and
 *                 strerror, and hint if the file does not exist and hint is
 *                 not NULL), or a read error;
 *   MUON_EFORMAT  bad magic, zero size, "unexpected end of data: got X of Y
 *                 bytes" (truncated), trailing bytes, corrupt deflate data
 *                 or gzip trailer (with zlib's message);
 *   MUON_ENOMEM   the payload size overflows or malloc fails;
 *   MUON_ECORRUPT SHA-256 mismatch (expected and actual digests listed);
 *   MUON_EINVAL   bad arguments. */
int muon_idx_load(const char *path, unsigned ndim, const char *sha256,
                  const char *hint, unsigned char **buf, size_t *len,
                  muon_idx *idx);

/* ------------------------------------------------------------------ */
/* Data sets and the batch iterator                                   */
/* ------------------------------------------------------------------ */

/* An in-memory data set of n examples, row-major.  A classification set
 * has labels y (nclass >= 1, t == NULL, out_dim == 0); a regression set
 * has targets t (out_dim >= 1, y == NULL, nclass == 0).  Owns x, t, y. */
typedef struct {
    size_t n;       /* number of examples */
    size_t in_dim;  /* features per example */
    size_t out_dim; /* targets per example (regression), else 0 */
    size_t nclass;  /* number of classes (classification), else 0 */
    float *x;       /* (n, in_dim) */
    float *t;       /* (n, out_dim) or NULL */
    int *y;         /* (n), values in [0, nclass), or NULL */
} muon_dataset;

/* Allocates a zero-filled set; exactly one of out_dim and nclass must be
 * nonzero, in_dim >= 1 (n may be 0).  NULL (reported: MUON_EINVAL, or
 * MUON_ENOMEM on overflow or allocation failure).  Free with
 * muon_dataset_free. */
muon_dataset *muon_dataset_alloc(size_t n, size_t in_dim, size_t out_dim,
                                 size_t nclass);

/* Frees d and its arrays; NULL is a no-op. */
void muon_dataset_free(muon_dataset *d);

/* Holds out n_val examples of d as a validation set, chosen by a uniform
 * random shuffle (gsl_ran_shuffle on gsl_rng_mt19937 seeded with
 * (seed + 0x9E3779B9) mod 2^32, an offset so that the run's seed can be
 * given to both the split and the batcher without the two replaying one
 * random stream): the first n_val indices of the shuffled order.  Both parts
 * keep the original relative order of their examples, so the split depends only
 * on (d->n, n_val, seed).  n_val must be < d->n (n_val == 0 gives an empty
 * validation set).  *train and *val are new sets owned by the caller; d
 * is unchanged.  Returns MUON_SUCCESS, MUON_ERANGE, MUON_ENOMEM. */
int muon_dataset_split(const muon_dataset *d, size_t n_val, unsigned long seed,
                       muon_dataset **train, muon_dataset **val);

/* Iterates over a data set in mini-batches, in a fresh uniformly random
 * order each epoch.  The order of epoch e is gsl_ran_shuffle applied to the
 * identity permutation, drawing from one gsl_rng_mt19937 seeded once with
 * the seed; the saved state is the generator state at the start of the
 * current epoch plus (epoch, position), from which the permutation is
 * rebuilt on restore.  The data set must outlive the batcher. */
typedef struct muon_batcher muon_batcher;

/* batch >= 1 and <= d->n.  drop_last: if nonzero, an epoch ends when
 * fewer than `batch` examples remain (every batch is full); otherwise the
 * last batch of an epoch may be short.  NULL (reported) on a bad argument
 * or allocation failure.  Allocates the permutation once. */
muon_batcher *muon_batcher_alloc(const muon_dataset *d, size_t batch,
                                 unsigned long seed, int drop_last);

/* Frees b; NULL is a no-op. */
void muon_batcher_free(muon_batcher *b);

/* Copies the next batch into caller buffers: x (batch, in_dim), and t
 * (batch, out_dim) or y (batch) if the set has them (either may be NULL to
 * skip it).  *nb receives the number of examples copied (< batch only for
 * the last batch of an epoch without drop_last).  Starts a new epoch (and
 * reshuffles) when the current one is exhausted.  No allocation.
 * Returns MUON_SUCCESS or MUON_EINVAL (x or nb NULL). */
int muon_batcher_next(muon_batcher *b, float *x, float *t, int *y, size_t *nb);

/* Epochs completed so far and the position in the current one. */
unsigned long muon_batcher_epoch(const muon_batcher *b);
size_t muon_batcher_position(const muon_batcher *b);

/* Size in bytes of the saved state (constant for a given batcher). */
size_t muon_batcher_state_size(const muon_batcher *b);

/* Writes the state as plain bytes into buf (len must be >= state size):
 * a magic tag, the sizes the state depends on, epoch, position and the
 * generator state, in host byte order (a checkpoint is read back on the
 * same kind of machine).  Returns MUON_SUCCESS or MUON_EBADLEN. */
int muon_batcher_save(const muon_batcher *b, void *buf, size_t len);

/* Restores a state written by muon_batcher_save for a batcher over a set
 * of the same size with the same batch size and drop_last; the following
 * batches are then bit-identical to those the saved batcher would have
 * produced.  Returns MUON_SUCCESS, MUON_EBADLEN (wrong length),
 * MUON_ECORRUPT (bad tag, mismatched sizes, position out of range);
 * b is unchanged on error. */
int muon_batcher_restore(muon_batcher *b, const void *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Fashion-MNIST                                                      */
/* ------------------------------------------------------------------ */

#define MUON_FMNIST_DIR "/usr/share/datasets/fashion-mnist"
#define MUON_FMNIST_PACKAGE "dataset-fashion-mnist"

/* The three parts.  Pixels are first mapped to [0, 1] (value / 255), then
 * standardised as (p - mean) / std with ONE scalar mean and std computed
 * over every pixel of the training part (after the validation examples
 * are removed), so that nothing from the validation or test images leaks
 * into the inputs; the same mean and std are applied to validation and
 * test.  x is (n, rows*cols) row-major per image; y in 0..9. */
typedef struct {
    muon_dataset *train;
    muon_dataset *val;  /* n_val examples held out of the 60000 */
    muon_dataset *test; /* the t10k files */
    size_t rows, cols;  /* image shape (28 x 28 for the real data) */
    double mean, std;   /* of value/255 over the training part */
} muon_fmnist;

/* Loads train-{images-idx3,labels-idx1}-ubyte.gz and the t10k-* pair from
 * dir (NULL: MUON_FMNIST_DIR) with muon_idx_load, checks labels <= 9 and
 * that the image and label counts agree (naming both files), splits n_val
 * training examples off by the rule of muon_dataset_split(seed), and
 * standardises.
 * strict: also verify each decompressed file against the SHA-256 of the
 * Debian package's files (PITFALLS.md 3.7) -- only sensible for the real
 * data.  A missing file: MUON_EIO naming the path and the package to
 * install.  Other errors as for muon_idx_load, plus MUON_EFORMAT (label >
 * 9, count mismatch, zero-variance images), MUON_ERANGE (n_val >= number
 * of training images).  On error *fm is left empty (all NULL). */
int muon_fmnist_load(const char *dir, size_t n_val, unsigned long seed,
                     int strict, muon_fmnist *fm);

/* Frees the three sets; fm itself is not freed.  Safe on an empty fm. */
void muon_fmnist_free(muon_fmnist *fm);

/* ------------------------------------------------------------------ */
/* Character-level text                                               */
/* ------------------------------------------------------------------ */

#define MUON_TEXT_DIR "/usr/share/games/fortunes"

/* A byte-level corpus.  The vocabulary is the set of distinct byte values
 * that occur in the data, numbered 0..vocab-1 in increasing byte order:
 * a multi-byte UTF-8 character is several tokens (the corpus is mostly
 * ASCII, and byte tokens keep the vocabulary small and total -- no
 * unknown-character token is ever needed).  The stream is the files
 * concatenated; tokens [0, n_train) are the training part and
 * [n_train, n) the validation part (the last fraction of the stream). */
typedef struct {
    uint8_t *tok; /* (n) token ids */
    size_t n, n_train;
    size_t vocab;
    uint8_t byte_of[256]; /* token id -> byte value */
    int16_t id_of[256];   /* byte value -> token id, -1 if absent */
    double entropy;       /* unigram entropy of the whole stream, nats */
    size_t nfiles;        /* files read */
} muon_text;

/* Reads path: a file, or a directory, of which every regular file is
 * read (sorted by name with strcmp, so the order does not depend on the
 * locale or the file system), except hidden files, the `.dat` index files
 * of strfile(1), symbolic links (the fortunes package ships `x.u8 -> x`
 * links that would double the data) and subdirectories (e.g. the
 * offensive fortunes under `off/` are read only if asked for by path).
 * NULL: MUON_TEXT_DIR.  Every file must be valid UTF-8 (no overlong
 * forms, surrogates or values above U+10FFFF).  val_frac in [0, 1): the
 * validation part is the last floor(n * val_frac) bytes.
 * Returns NULL (reported): MUON_EIO (cannot open/read, naming the path and
 * strerror), MUON_EFORMAT ("<file>: invalid UTF-8 at byte offset N", or
 * no data), MUON_ERANGE (val_frac), MUON_ENOMEM. */
muon_text *muon_text_load(const char *path, double val_frac);

/* Builds a corpus from bytes in memory (same checks; name is used in
 * messages).  Same errors. */
muon_text *muon_text_from_bytes(const void *bytes, size_t len, double val_frac,
                                const char *name);

/* Frees t; NULL is a no-op. */
void muon_text_free(muon_text *t);

/* Checks that s[0..len) is valid UTF-8.  Returns 1 if it is, else 0 and
 * the offset of the first byte of the first invalid sequence in *bad
 * (if bad is not NULL). */
int muon_utf8_valid(const void *s, size_t len, size_t *bad);

/* Samples batches of B random windows of T+1 consecutive tokens from the
 * training part (val == 0) or the validation part (val != 0) for
 * next-token prediction: inputs are columns 0..T-1, targets 1..T.  Window
 * starts are uniform over the part (gsl_rng_uniform_int on an mt19937
 * seeded with seed); the state (generator state and batch count) can be
 * saved and restored like the batcher's. */
typedef struct muon_text_batcher muon_text_batcher;

/* The part must hold at least T+1 tokens; B, T >= 1.  NULL (reported)
 * otherwise.  t must outlive the batcher. */
muon_text_batcher *muon_text_batcher_alloc(const muon_text *t, int val,
                                           size_t B, size_t T,
                                           unsigned long seed);
void muon_text_batcher_free(muon_text_batcher *b);

/* Fills tok (B, T+1) with token ids.  No allocation.  MUON_EINVAL if tok
 * is NULL. */
int muon_text_batcher_next(muon_text_batcher *b, int *tok);

/* Batches drawn so far. */
unsigned long muon_text_batcher_count(const muon_text_batcher *b);

/* State save/restore, same contract as muon_batcher_save/restore. */
size_t muon_text_batcher_state_size(const muon_text_batcher *b);
int muon_text_batcher_save(const muon_text_batcher *b, void *buf, size_t len);
int muon_text_batcher_restore(muon_text_batcher *b, const void *buf,
                              size_t len);

/* ------------------------------------------------------------------ */
/* Synthetic regression tasks                                         */
/* ------------------------------------------------------------------ */

/* A generated regression task: data (float inputs and targets, generated
 * in double and rounded once), the ground truth where there is one, and
 * the loss floor as a mean squared error per target entry,
 *   floor = min over the model class of (1 / (n out_dim)) sum (pred - t)^2
 * in the sense documented at each generator (halve it for a 1/2-MSE loss).
 * The floor is computed in double on the unrounded data. */
typedef struct {
    muon_dataset *data;
    double floor;
    double *truth; /* x* (lstsq, d) or X* (sensing, m x p row-major); or NULL */
    size_t ntruth;
} muon_task;

/* Teacher-student regression.  widths[0..nw-1] = (in, hidden..., out),
 * nw >= 2.  The teacher is an MLP with tanh hidden layers and a linear
 * output, weights W_l (widths[l+1] x widths[l]) iid N(0, 1/widths[l]) and
 * zero biases; inputs iid N(0, 1); targets = teacher(x) + noise * N(0, 1).
 * Random draws from one mt19937 seeded with seed, in this order: the
 * weights layer by layer (row-major), the inputs, the noise.
 * floor = noise^2: the expected MSE of the teacher itself, the best any
 * predictor can do in expectation.  No truth returned.
 * Errors: MUON_EINVAL / MUON_ERANGE (a width 0, n 0, noise < 0 or not
 * finite), MUON_ENOMEM. */
int muon_task_teacher(size_t n, const size_t *widths, size_t nw, double noise,
                      unsigned long seed, muon_task *task);

/* Ill-conditioned linear least squares: inputs are the rows of
 * A = U diag(s) V^T (n x d, n >= d >= 1), U (n x d) and V (d x d) Haar
 * (QR of Gaussian matrices, muon_synth_haar), s_i = sqrt(n) kappa^(-i/(d-1))
 * so that cond(A) = kappa and the rows have mean squared norm
 * (1/n) sum s_i^2 = O(1).  Targets b = A x* + noise * e with x*, e iid
 * N(0, 1); truth = x*.  floor = (1/n) min_x ||A x - b||^2
 * = noise^2 ||(I - U U^T) e||^2 / n exactly (the residual of the least
 * squares solution; 0 without noise).  Draw order: U's Gaussian, V's
 * Gaussian, x*, e.  kappa >= 1 and finite. */
int muon_task_lstsq(size_t n, size_t d, double kappa, double noise,
                    unsigned long seed, muon_task *task);

/* Low-rank matrix sensing: X* = L R^T / sqrt(rank) with L (m x rank) and
 * R (p x rank) iid N(0, 1) (so E X*_ij^2 = 1); n measurements
 * y_i = <A_i, X*> + noise * e_i with A_i iid N(0, 1) entries, stored as
 * the input row i (m*p values, row-major A_i).  truth = X*.  floor =
 * noise^2: the expected MSE of X* itself (the least-squares floor of the
 * rank-constrained problem is below this on the sample, and 0 when
 * n < m*p).  Draw order: L, R, the A_i, e.  1 <= rank <= min(m, p). */
int muon_task_sensing(size_t n, size_t m, size_t p, size_t rank, double noise,
                      unsigned long seed, muon_task *task);

/* Frees the data and truth; task itself is not freed.  Safe on a
 * zero-filled task. */
void muon_task_free(muon_task *task);

#ifdef __cplusplus
}
#endif

#endif /* MUON_DATA_H */
