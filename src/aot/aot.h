/* aot.h — ahead-of-time compilation of modules and the compiled-object cache.
 *
 * A module is translated by wasm2c and compiled by the system C compiler
 * into a shared object, which is cached under
 *   <cache dir>/<key>.so
 * where key = SHA-256 of (wadup's AOT ABI version, compiler identity and
 * flags, wasm2c version, and every non-custom section of the module). Custom
 * sections (embedded files, names) do not change the key, so modules that
 * differ only in embedded files share one object. Objects are written to a
 * temporary file and renamed into place, so concurrent wadup processes never
 * load a half-written object. Native code is only ever loaded from the
 * cache directory, which must be owned by the user and not writable by
 * others. */
#ifndef WADUP_AOT_AOT_H
#define WADUP_AOT_AOT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "aot/aot_glue.h"
#include "wasm/wasm_module.h"

typedef struct aot_config {
    char *cache_dir;
    char *cc;             /* C compiler command ($WADUP_CC, default "cc") */
    char *identity;       /* compiler + wasm2c versions, flags, ABI */
    bool quiet;           /* no progress lines on stderr */
} aot_config_t;

/* aot_config_init: choose the cache directory (explicit argument, else
 * $WADUP_CACHE_DIR, else $XDG_CACHE_HOME/wadup, else ~/.cache/wadup),
 * create it (mode 0700) and check it is safe to load code from. Probes the
 * compiler and wasm2c versions. Returns 0, or -1 with a malloc'd *err. */
int aot_config_init(aot_config_t *cfg, const char *cache_dir, char **err);
void aot_config_free(aot_config_t *cfg);

/* aot_key: the cache key (64 hex digits + NUL) of a parsed module. */
int aot_key(const aot_config_t *cfg, const wmod_t *m, const uint8_t *bytes, char key[65]);

typedef struct aot_object {
    void *handle;              /* dlopen handle */
    const aot_glue_t *glue;
    char key[65];
} aot_object_t;

/* aot_load: load the module's compiled object, compiling it first if it is
 * not in the cache (*compiled set to true then; progress on stderr unless
 * quiet). `name` is used in messages. Returns 0, or -1 with a malloc'd
 * *err (wasm2c's or the compiler's diagnostics included). */
int aot_load(const aot_config_t *cfg, const wmod_t *m, const uint8_t *bytes, size_t size,
             const char *name, aot_object_t **out, bool *compiled, char **err);
void aot_unload(aot_object_t *obj);

#endif
