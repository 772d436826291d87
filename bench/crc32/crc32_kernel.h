/* crc32_kernel.h — CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as
 * in zlib) with slicing-by-8, shared verbatim by the wasm benchmark module
 * and its native counterpart so both run exactly the same algorithm.
 *
 * Usage: crc32_init() once, then crc = crc32_update(crc, buf, len) over the
 * data in order, starting from crc = 0. Little-endian hosts only (wasm32 and
 * x86-64 both are). */
#ifndef WADUP_BENCH_CRC32_KERNEL_H
#define WADUP_BENCH_CRC32_KERNEL_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "crc32_kernel.h: slicing-by-8 here assumes a little-endian target"
#endif

static uint32_t crc32_table[8][256];

/* crc32_init: fill the eight 256-entry tables (idempotent). */
static void crc32_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        crc32_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = crc32_table[0][i];
        for (int t = 1; t < 8; t++) {
            c = crc32_table[0][c & 0xffu] ^ (c >> 8);
            crc32_table[t][i] = c;
        }
    }
}

/* crc32_update: continue a CRC-32 over len more bytes. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t len) {
    crc = ~crc;
    while (len >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
        lo ^= crc;
        crc = crc32_table[7][lo & 0xffu] ^ crc32_table[6][(lo >> 8) & 0xffu] ^
              crc32_table[5][(lo >> 16) & 0xffu] ^ crc32_table[4][lo >> 24] ^
              crc32_table[3][hi & 0xffu] ^ crc32_table[2][(hi >> 8) & 0xffu] ^
              crc32_table[1][(hi >> 16) & 0xffu] ^ crc32_table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = crc32_table[0][(crc ^ *p++) & 0xffu] ^ (crc >> 8);
    return ~crc;
}

#endif
