/* wasm_custom.h — writing custom sections (used to embed files into a
 * module: section name "wadup.file:<path>", payload = the file). */
#ifndef WADUP_WASM_WASM_CUSTOM_H
#define WADUP_WASM_WASM_CUSTOM_H
#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"

/* wmod_append_custom: append a custom section (id 0, size, name, payload)
 * to out. Returns 0, or -1 if out of memory or too large for wasm (4 GiB). */
int wmod_append_custom(buf_t *out, const char *name, const uint8_t *payload, size_t len);

#endif
