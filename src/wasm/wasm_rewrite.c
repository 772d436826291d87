/* wasm_rewrite.c — renaming function imports in a copy of a module (see
 * wasm_rewrite.h). */
#include "wasm/wasm_rewrite.h"

#include <string.h>

/* rw_leb: append v as unsigned LEB128; returns 0 or -1. */
static int rw_leb(buf_t *b, uint64_t v) {
    uint8_t out[10];
    size_t n = 0;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        out[n++] = (uint8_t)(byte | (v ? 0x80 : 0));
    } while (v);
    return buf_append(b, out, n);
}

/* rw_name: append a wasm name (length-prefixed bytes). */
static int rw_name(buf_t *b, const char *s) {
    size_t n = strlen(s);
    if (n > UINT32_MAX) return -1;
    return rw_leb(b, n) | buf_append(b, s, n);
}

/* wmod_rename_imports: see wasm_rewrite.h. */
int wmod_rename_imports(const uint8_t *bytes, size_t size, const wmod_t *m, const char *const *modules,
                        const char *const *names, buf_t *out) {
    const wmod_section_t *sec = NULL;
    for (uint32_t i = 0; i < m->nsections; i++)
        if (m->sections[i].id == 2) sec = &m->sections[i];
    if (!sec || sec->offset > size || sec->size > size - sec->offset) return -1;
    buf_t payload = BUF_INIT;
    int rc = rw_leb(&payload, m->nimports);
    for (uint32_t i = 0; rc == 0 && i < m->nimports; i++) {
        const wmod_import_t *im = &m->imports[i];
        if (im->kind != WMOD_EXT_FUNC) { rc = -1; break; }
        rc |= rw_name(&payload, modules && modules[i] ? modules[i] : im->module);
        rc |= rw_name(&payload, names && names[i] ? names[i] : im->name);
        rc |= buf_append_byte(&payload, 0x00);
        rc |= rw_leb(&payload, im->type_index);
    }
    if (rc == 0 && payload.len > UINT32_MAX) rc = -1;
    if (rc == 0) {
        rc |= buf_append(out, bytes, sec->offset);
        rc |= buf_append_byte(out, 2);
        rc |= rw_leb(out, payload.len);
        rc |= buf_append(out, payload.data, payload.len);
        size_t end = sec->offset + sec->size;
        rc |= buf_append(out, bytes + end, size - end);
    }
    buf_free(&payload);
    return rc ? -1 : 0;
}
