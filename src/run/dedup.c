/* dedup.c — an open-addressing hash set of SHA-256 digests. Modules choose
 * the bytes of sub-content, so they could search for digests that share
 * their first bits: slots are chosen by a keyed hash of the digest
 * (SipHash, random key per process), not by the digest itself. */
#include "run/dedup.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/siphash.h"

typedef struct dedup_slot {
    uint8_t sha[32];
    int64_t id;      /* 0 = empty */
} dedup_slot_t;

struct run_dedup {
    pthread_mutex_t lock;
    dedup_slot_t *slots;
    size_t cap, count;   /* cap is a power of two */
};

run_dedup_t *run_dedup_new(void) {
    run_dedup_t *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->cap = 1024;
    d->slots = calloc(d->cap, sizeof *d->slots);
    if (!d->slots) { free(d); return NULL; }
    pthread_mutex_init(&d->lock, NULL);
    return d;
}

void run_dedup_free(run_dedup_t *d) {
    if (!d) return;
    pthread_mutex_destroy(&d->lock);
    free(d->slots);
    free(d);
}

static size_t dedup_start(const uint8_t sha[32], size_t cap) {
    return (size_t)siphash13(siphash_process_key(), sha, 32) & (cap - 1);
}

static dedup_slot_t *dedup_find(dedup_slot_t *slots, size_t cap, const uint8_t sha[32]) {
    for (size_t i = dedup_start(sha, cap);; i = (i + 1) & (cap - 1))
        if (slots[i].id == 0 || memcmp(slots[i].sha, sha, 32) == 0) return &slots[i];
}

static int dedup_grow(run_dedup_t *d) {
    size_t cap = d->cap * 2;
    dedup_slot_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < d->cap; i++)
        if (d->slots[i].id) *dedup_find(slots, cap, d->slots[i].sha) = d->slots[i];
    free(d->slots);
    d->slots = slots;
    d->cap = cap;
    return 0;
}

int64_t run_dedup_claim(run_dedup_t *d, const uint8_t sha[32], int64_t id) {
    pthread_mutex_lock(&d->lock);
    int64_t result = -1;
    if ((d->count + 1) * 2 <= d->cap || dedup_grow(d) == 0) {
        dedup_slot_t *s = dedup_find(d->slots, d->cap, sha);
        if (s->id) {
            result = s->id;
        } else {
            memcpy(s->sha, sha, 32);
            s->id = id;
            d->count++;
            result = 0;
        }
    }
    pthread_mutex_unlock(&d->lock);
    return result;
}
