/* softfloat.h — the `env` binary128 (`long double`, f128) helpers wadup
 * provides to modules.
 *
 * wasm32 C and Rust code that uses `long double` calls compiler-rt's
 * binary128 functions (__addtf3, __lttf2, __extenddftf2, ...). A module
 * linked without compiler-rt (rustc links wasm with undefined symbols
 * allowed) imports them from `env`. wadup implements them with the host's
 * IEEE binary128 arithmetic (GCC's __float128, libgcc), round to nearest
 * even, with compiler-rt's results for comparisons and conversions.
 *
 * Each function exists in the shapes compilers and the original WADUP
 * declare, chosen by the import's type:
 *   result pointer (the wasm32 C ABI): an f128 or 128-bit integer result is
 *     written to the 16 bytes at a leading i32 address, e.g.
 *     __multf3 (i32, i64, i64, i64, i64) -> ();
 *   multi-value: the result is returned as (i64 low, i64 high), e.g.
 *     __multf3 (i64, i64, i64, i64) -> (i64, i64), __extenddftf2 (f64) -> (i64, i64).
 * An f128 or 128-bit integer argument is two i64s, low half first.
 *
 * The compiled module calls them through the WASI context (wasm2c passes
 * one context per import module, and wadup's compiled-object glue has
 * only the WASI one): before compilation every such `env` import is renamed
 * to `wasi_snapshot_preview1.<target>` (sf_import_target), and softfloat.c
 * defines Z_wasi_snapshot_preview1Z_<target> for every target. The renamed
 * names are not importable directly: the import check uses the module's
 * original imports. */
#ifndef WADUP_ENGINE_SOFTFLOAT_H
#define WADUP_ENGINE_SOFTFLOAT_H
#include <stdbool.h>
#include <stddef.h>
#include "util/buf.h"
#include "wasm/wasm_module.h"

/* The import module the helpers are imported from. */
#define SF_IMPORT_MODULE "env"

/* sf_import_target: the wasi_snapshot_preview1 name that implements
 * env.`name` with function type `t` (for example "wadup_env___multf3_r"), or
 * NULL when wadup provides no such function with that type. */
const char *sf_import_target(const char *name, const wmod_functype_t *t);

/* sf_known_name: true if `name` is a binary128 helper wadup provides in
 * some shape. */
bool sf_known_name(const char *name);

/* sf_describe_types: append the types wadup provides for helper `name`,
 * as "(i32, i64, i64, i64, i64) -> () or (i64, i64, i64, i64) -> (i64, i64)";
 * returns 0, or -1 when out of memory. */
int sf_describe_types(const char *name, buf_t *out);

#endif
