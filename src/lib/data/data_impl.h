/* data_impl.h: helpers shared by the data module's files (not public). */
#ifndef MUON_DATA_IMPL_H
#define MUON_DATA_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

/* SHA-256 (FIPS 180-4) of len bytes into out[32].  No linked Debian
 * library offers it (GSL, zlib and jansson do not), so this is our own,
 * checked against the FIPS 180-4 example vectors in tests/test-data.c. */
void muon_sha256(const void *data, size_t len, uint8_t out[32]);

/* out[65] <- the 64 lowercase hex digits of digest[32] and a NUL. */
void muon_sha256_hex(const uint8_t digest[32], char out[65]);

/* A gsl_rng_mt19937 seeded with seed, or NULL (reported MUON_ENOMEM). */
gsl_rng *muon_data_rng(unsigned long seed);

/* Added to the seed of the validation split (mod 2^32, as mt19937 uses
 * 32 bits): 2^32 / golden ratio, an arbitrary odd constant. */
#define MUON_SEED_SPLIT 0x9E3779B9ul

/* is_val[0..n-1] <- 1 for the n_val examples held out for validation,
 * 0 for the others (the rule documented at muon_dataset_split; n_val <=
 * n).  Returns MUON_SUCCESS or MUON_ENOMEM (reported). */
int muon_split_mask(size_t n, size_t n_val, unsigned long seed,
                    unsigned char *is_val);

/* State tags: the iterator kind and format version, "MUONBAT1" and
 * "MUONTXT1" read as big-endian ASCII. */
#define MUON_TAG_BATCHER 0x4d554f4e42415431ull
#define MUON_TAG_TEXT 0x4d554f4e54585431ull

/* Saved iterator state: a header the restore side checks, followed by the
 * raw generator state (gsl_rng_state, gsl_rng_size bytes). */
typedef struct {
    uint64_t tag;      /* which iterator wrote it, and the format version */
    uint64_t size[3];  /* the sizes the state is only valid for */
    uint64_t count[2]; /* epoch/position or batch count */
} muon_state_head;

/* Bytes needed for a state with rng's generator. */
size_t muon_state_size(const gsl_rng *rng);

/* Writes head then rng's state into buf (len >= muon_state_size). */
int muon_state_save(const muon_state_head *head, const gsl_rng *rng, void *buf,
                    size_t len);

/* Checks len, tag and sizes against `expect` (counts are not compared),
 * copies the stored head into *got and the generator state into rng.
 * MUON_EBADLEN or MUON_ECORRUPT (reported) leave rng unchanged. */
int muon_state_load(const muon_state_head *expect, gsl_rng *rng,
                    const void *buf, size_t len, muon_state_head *got);

#endif /* MUON_DATA_IMPL_H */
