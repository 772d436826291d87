/* aot_glue.h — the contract between wadup and one compiled module object.
 *
 * wasm2c's output for a module has module-specific types and symbol names;
 * wadup compiles it together with a small generated glue file that exports
 * exactly one symbol, `wadup_glue`, of the type below. The struct text is
 * also pasted into the generated glue (aot_glue_struct_text), so the two
 * sides cannot drift apart. Bump AOT_ABI_VERSION whenever this struct, the
 * runtime (rt/) or the WASI ABI changes in a way compiled objects see: it
 * is part of the cache key. */
#ifndef WADUP_AOT_AOT_GLUE_H
#define WADUP_AOT_AOT_GLUE_H
#include <stddef.h>
#include <stdint.h>
#include <wasm-rt.h>

#define AOT_ABI_VERSION 1

#define AOT_GLUE_FIELDS                                        \
    uint32_t abi_version;                                      \
    uint32_t instance_size;                                    \
    void (*init_module)(void);                                 \
    void (*instantiate)(void *instance, void *wasi);           \
    wasm_rt_memory_t *(*memory)(void *instance);               \
    uint32_t (*process_i32)(void *instance);                   \
    void (*process_void)(void *instance);                      \
    void (*initialize)(void *instance);                        \
    void (*start)(void *instance);

typedef struct aot_glue {
    AOT_GLUE_FIELDS
} aot_glue_t;

#define AOT_STRINGIFY2(x) #x
#define AOT_STRINGIFY(x) AOT_STRINGIFY2(x)
#define AOT_GLUE_STRUCT_TEXT "typedef struct aot_glue { " AOT_STRINGIFY(AOT_GLUE_FIELDS) " } aot_glue_t;\n"

#endif
