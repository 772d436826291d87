/* aot.h — ahead-of-time compilation of modules and the compiled-object cache.
 *
 * A module is translated by wasm2c, its C split into translation units
 * compiled in parallel by the system C compiler and linked into a shared
 * object (aot_build.h), which is cached under
 *   <cache dir>/<key>.so
 * where key = SHA-256 of (wadup's AOT ABI version, compiler identity,
 * wasm2c version, the pipeline's version, flags and split parameters, and
 * every non-custom section of the module). The number of parallel jobs
 * does not change the object and is not in the key. Custom
 * sections (embedded files, names) do not change the key, so modules that
 * differ only in embedded files share one object. Objects are written to a
 * temporary file and renamed into place, so concurrent wadup processes never
 * load a half-written object. Native code is only ever loaded from the
 * cache directory, which must be owned by the user and not writable by
 * others.
 *
 * wasm2c and the C compiler run on untrusted modules, so they run under
 * limits (aot_limits_t): a wall-clock budget for the whole compilation of
 * a module (the tools' process groups are killed when it runs out), the
 * same number of CPU seconds for each of their processes, and an address
 * space limit for each process. A module that fails to translate or
 * compile, or hits a limit, is reported as AOT_COMPILE_ERROR with a
 * message that names the tool and what happened. */
#ifndef WADUP_AOT_AOT_H
#define WADUP_AOT_AOT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "aot/aot_glue.h"
#include "wasm/wasm_module.h"

/* Compile limits; 0 = no limit. */
typedef struct aot_limits {
    uint64_t timeout_ms;  /* wall clock for translating + compiling one module (--compile-timeout);
                             also RLIMIT_CPU, in whole seconds, of each tool process */
    uint64_t memory;      /* RLIMIT_AS of each tool process: wasm2c, cc, cc1, as, ld (--compile-memory);
                             per process, so N parallel jobs may use up to N times this at once */
    unsigned jobs;        /* compiler processes at a time (-j, --compile-jobs); 0 = one per CPU */
} aot_limits_t;

/* Defaults, with a large margin over the largest real module (the CPython
 * runtime, see src/aot/aot.c for the measurements). */
#define AOT_DEFAULT_COMPILE_TIMEOUT_MS ((uint64_t)1800 * 1000)
#define AOT_DEFAULT_COMPILE_MEMORY ((uint64_t)16 << 30)

/* aot_set_default_limits: the limits aot_config_init gives every later
 * config (initially the AOT_DEFAULT_* values); for commands whose config
 * is created elsewhere (the batch runner). Call before starting threads. */
void aot_set_default_limits(const aot_limits_t *l);
/* aot_default_limits: the current defaults. */
aot_limits_t aot_default_limits(void);

typedef struct aot_config {
    char *cache_dir;
    char *cc;             /* C compiler command ($WADUP_CC, default "cc") */
    char *identity;       /* compiler + wasm2c versions, flags, ABI */
    bool quiet;           /* no progress lines on stderr */
    unsigned module_index, module_count; /* "[index/count]" in progress lines when count > 1 */
    aot_limits_t limits;  /* for compiling (not part of the cache key) */
} aot_config_t;

/* aot_config_init: choose the cache directory (explicit argument, else
 * $WADUP_CACHE_DIR, else $XDG_CACHE_HOME/wadup, else ~/.cache/wadup),
 * create it (mode 0700) and check it is safe to load code from. Probes the
 * compiler and wasm2c versions; limits = the defaults. Returns 0, or -1
 * with a malloc'd *err. */
int aot_config_init(aot_config_t *cfg, const char *cache_dir, char **err);
void aot_config_free(aot_config_t *cfg);

/* aot_key: the cache key (64 hex digits + NUL) of a parsed module. */
int aot_key(const aot_config_t *cfg, const wmod_t *m, const uint8_t *bytes, char key[65]);

typedef struct aot_object {
    void *handle;              /* dlopen handle */
    const aot_glue_t *glue;
    char key[65];
} aot_object_t;

/* aot_load results. */
enum { AOT_OK = 0, AOT_ERROR = -1, AOT_COMPILE_ERROR = -2 };

/* aot_load: load the module's compiled object, compiling it first if it is
 * not in the cache (*compiled set to true then; progress on stderr unless
 * quiet). `name` is used in messages. Returns AOT_OK; AOT_COMPILE_ERROR
 * with a malloc'd *err when wasm2c or the C compiler failed or went over
 * a limit ("wasm2c failed: <diagnostics>", "the C compiler failed: ...",
 * "the C compiler exceeded --compile-timeout (600 s)", "wasm2c ran out of
 * memory under --compile-memory (2 GiB)", ...); or AOT_ERROR with a
 * malloc'd *err for other problems (temporary files, the cache, loading
 * the object). */
int aot_load(const aot_config_t *cfg, const wmod_t *m, const uint8_t *bytes, size_t size,
             const char *name, aot_object_t **out, bool *compiled, char **err);
void aot_unload(aot_object_t *obj);

#endif
