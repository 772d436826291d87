/* wasm_rewrite.h — a copy of a module with its function imports renamed.
 *
 * Used to resolve imports wadup implements under other names (the `env`
 * binary128 helpers, engine/softfloat.h): the copy differs from the
 * original only in its import section, which is re-encoded from the parsed
 * module with the new module and field names. */
#ifndef WADUP_WASM_WASM_REWRITE_H
#define WADUP_WASM_WASM_REWRITE_H
#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"
#include "wasm/wasm_module.h"

/* wmod_rename_imports: append to `out` the module `bytes` (parsed as `m`)
 * with import i named modules[i].names[i] (NULL keeps the original name).
 * Every import must be a function (the only kind wadup accepts). Returns 0,
 * or -1 (out of memory, a non-function import, no import section, a name
 * too long for wasm) with `out` left in an unspecified state. */
int wmod_rename_imports(const uint8_t *bytes, size_t size, const wmod_t *m, const char *const *modules,
                        const char *const *names, buf_t *out);

#endif
