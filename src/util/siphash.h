/* siphash.h — keyed hashing for hash tables whose keys come from untrusted
 * input (guest file names, metadata table and column names, ...).
 *
 * SipHash-1-3 under a 128-bit key: without the key, nobody can choose keys
 * that collide, so open-addressing tables keyed by hostile strings keep
 * their expected O(1) probes. siphash_random_key gives each table (or each
 * process) its own key from the kernel's randomness. */
#ifndef WADUP_UTIL_SIPHASH_H
#define WADUP_UTIL_SIPHASH_H
#include <stddef.h>
#include <stdint.h>

typedef struct siphash_key {
    uint64_t k[2];
} siphash_key_t;

/* siphash13: SipHash-1-3 of [m, m+len) under `key`. */
uint64_t siphash13(const siphash_key_t *key, const void *m, size_t len);

/* siphash_random_key: a fresh random key (getrandom; if the kernel cannot
 * supply randomness, clock and address bits: collisions then become
 * guessable, but tables stay correct). */
void siphash_random_key(siphash_key_t *key);

/* siphash_process_key: one random key for the whole process, made on
 * first use (thread-safe). For tables that live across threads. */
const siphash_key_t *siphash_process_key(void);

#endif
