/* uuid.c — random UUIDs from the kernel's random source. */
#include "util/uuid.h"

#include <stdint.h>
#include <string.h>
#include <sys/random.h>

#include "util/buf.h"

/* Random bytes are fetched from the kernel in blocks, per thread. */
static __thread uint8_t uuid_pool[4096];
static __thread size_t uuid_pool_left;

static void uuid_random(uint8_t *out, size_t n) {
    if (uuid_pool_left < n) {
        size_t got = 0;
        while (got < sizeof uuid_pool) {
            ssize_t r = getrandom(uuid_pool + got, sizeof uuid_pool - got, 0);
            if (r > 0) got += (size_t)r;
        }
        uuid_pool_left = sizeof uuid_pool;
    }
    memcpy(out, uuid_pool + sizeof uuid_pool - uuid_pool_left, n);
    uuid_pool_left -= n;
}

void uuid_v4(char out[37]) {
    uint8_t b[16];
    uuid_random(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    char hex[33];
    hex_encode(b, sizeof b, hex);
    /* 8-4-4-4-12 */
    memcpy(out, hex, 8);
    out[8] = '-';
    memcpy(out + 9, hex + 8, 4);
    out[13] = '-';
    memcpy(out + 14, hex + 12, 4);
    out[18] = '-';
    memcpy(out + 19, hex + 16, 4);
    out[23] = '-';
    memcpy(out + 24, hex + 20, 12);
    out[36] = 0;
}
