/* sha256.h — SHA-256 (Nettle, from Debian's nettle-dev): content hashes
 * for deduplication and compile-cache keys. Nettle keeps no global state,
 * so worker threads hash in parallel without contending on a lock. */
#ifndef WADUP_UTIL_SHA256_H
#define WADUP_UTIL_SHA256_H
#include <nettle/sha2.h>
#include <stddef.h>
#include <stdint.h>

/* sha256_of: the digest of [data, data+len) (data may be NULL if len is 0). */
static inline void sha256_of(const void *data, size_t len, uint8_t out[32]) {
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    if (len) sha256_update(&ctx, len, data);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

#endif
