/* wasm_custom.c — custom section writer (see wasm_custom.h). */
#include "wasm/wasm_custom.h"

#include <string.h>

/* leb_u32: unsigned LEB128 of v into out; returns its length. */
static size_t leb_u32(uint32_t v, uint8_t out[5]) {
    size_t n = 0;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        out[n++] = (uint8_t)(byte | (v ? 0x80 : 0));
    } while (v);
    return n;
}

int wmod_append_custom(buf_t *out, const char *name, const uint8_t *payload, size_t len) {
    size_t name_len = strlen(name);
    uint8_t name_leb[5], size_leb[5];
    size_t nl = leb_u32((uint32_t)name_len, name_leb);
    uint64_t total = (uint64_t)nl + name_len + len;
    if (name_len > UINT32_MAX || total > UINT32_MAX) return -1;
    size_t sl = leb_u32((uint32_t)total, size_leb);
    if (buf_reserve(out, 1 + sl + (size_t)total) != 0) return -1;
    buf_append_byte(out, 0);
    buf_append(out, size_leb, sl);
    buf_append(out, name_leb, nl);
    buf_append(out, name, name_len);
    return buf_append(out, payload, len);
}
