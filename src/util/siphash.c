/* siphash.c — SipHash-1-3 and its keys (see siphash.h). */
#include "util/siphash.h"

#include <pthread.h>
#include <sys/random.h>
#include <time.h>

static uint64_t siphash_rotl(uint64_t x, unsigned b) { return (x << b) | (x >> (64 - b)); }

#define SIPHASH_ROUND(v0, v1, v2, v3) do { \
    v0 += v1; v1 = siphash_rotl(v1, 13); v1 ^= v0; v0 = siphash_rotl(v0, 32); \
    v2 += v3; v3 = siphash_rotl(v3, 16); v3 ^= v2; \
    v0 += v3; v3 = siphash_rotl(v3, 21); v3 ^= v0; \
    v2 += v1; v1 = siphash_rotl(v1, 17); v1 ^= v2; v2 = siphash_rotl(v2, 32); } while (0)

uint64_t siphash13(const siphash_key_t *key, const void *data, size_t len) {
    const uint8_t *m = data;
    uint64_t v0 = UINT64_C(0x736f6d6570736575) ^ key->k[0];
    uint64_t v1 = UINT64_C(0x646f72616e646f6d) ^ key->k[1];
    uint64_t v2 = UINT64_C(0x6c7967656e657261) ^ key->k[0];
    uint64_t v3 = UINT64_C(0x7465646279746573) ^ key->k[1];
    size_t i = 0;
    for (; len - i >= 8; i += 8) {
        uint64_t w = 0;
        for (unsigned j = 0; j < 8; j++) w |= (uint64_t)m[i + j] << (8 * j);
        v3 ^= w;
        SIPHASH_ROUND(v0, v1, v2, v3);
        v0 ^= w;
    }
    uint64_t last = (uint64_t)len << 56;
    for (unsigned j = 0; i + j < len; j++) last |= (uint64_t)m[i + j] << (8 * j);
    v3 ^= last;
    SIPHASH_ROUND(v0, v1, v2, v3);
    v0 ^= last;
    v2 ^= 0xff;
    SIPHASH_ROUND(v0, v1, v2, v3);
    SIPHASH_ROUND(v0, v1, v2, v3);
    SIPHASH_ROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

void siphash_random_key(siphash_key_t *key) {
    if (getrandom(key->k, sizeof key->k, GRND_NONBLOCK) == (ssize_t)sizeof key->k) return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    key->k[0] = ((uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec) ^ UINT64_C(0x9e3779b97f4a7c15);
    key->k[1] = (uint64_t)(uintptr_t)key * UINT64_C(0xff51afd7ed558ccd);
}

static siphash_key_t siphash_the_process_key;
static pthread_once_t siphash_once = PTHREAD_ONCE_INIT;

static void siphash_make_process_key(void) { siphash_random_key(&siphash_the_process_key); }

const siphash_key_t *siphash_process_key(void) {
    pthread_once(&siphash_once, siphash_make_process_key);
    return &siphash_the_process_key;
}
