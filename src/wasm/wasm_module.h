/* wasm_module.h — wadup's own reader of WebAssembly binaries.
 *
 * Reads the module structure wadup needs before compiling anything: types,
 * imports, functions, tables, memories, globals, exports, start, custom
 * sections (including the name section's module name). It checks the
 * binary's framing (magic, version, section order and sizes, LEB128
 * encodings, vector counts against the bytes available) so that non-wasm,
 * truncated or unsupported input gets a clear message. It does not validate
 * function bodies (wasm2c does that when translating).
 *
 * The parsed module borrows nothing: names are copied. Custom section
 * payloads are given as offsets into the caller's bytes. */
#ifndef WADUP_WASM_WASM_MODULE_H
#define WADUP_WASM_WASM_MODULE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    WMOD_I32 = 0x7f, WMOD_I64 = 0x7e, WMOD_F32 = 0x7d, WMOD_F64 = 0x7c,
    WMOD_V128 = 0x7b, WMOD_FUNCREF = 0x70, WMOD_EXTERNREF = 0x6f,
};

typedef enum {
    WMOD_EXT_FUNC = 0, WMOD_EXT_TABLE = 1, WMOD_EXT_MEMORY = 2, WMOD_EXT_GLOBAL = 3, WMOD_EXT_TAG = 4,
} wmod_extern_kind_t;

typedef struct wmod_functype {
    uint32_t nparams, nresults;
    uint8_t *params;   /* value type bytes (WMOD_I32...) */
    uint8_t *results;
} wmod_functype_t;

typedef struct wmod_limits {
    uint64_t min;
    uint64_t max;      /* valid if has_max */
    bool has_max;
    bool is64;         /* memory64 */
    bool shared;       /* threads proposal */
} wmod_limits_t;

typedef struct wmod_import {
    char *module;
    char *name;
    wmod_extern_kind_t kind;
    uint32_t type_index;    /* FUNC: index into types */
    wmod_limits_t limits;   /* TABLE, MEMORY */
    uint8_t valtype;        /* GLOBAL: value type; TABLE: element type */
    bool mutable_global;    /* GLOBAL */
} wmod_import_t;

typedef struct wmod_export {
    char *name;
    wmod_extern_kind_t kind;
    uint32_t index;
} wmod_export_t;

typedef struct wmod_custom {
    char *name;
    size_t offset;     /* payload offset in the module bytes (after the name) */
    size_t size;       /* payload size */
} wmod_custom_t;

typedef struct wmod_section {
    uint8_t id;
    size_t offset;     /* offset of the section id byte */
    size_t size;       /* id byte + size LEB + payload */
} wmod_section_t;

typedef struct wmod {
    wmod_functype_t *types; uint32_t ntypes;
    wmod_import_t *imports; uint32_t nimports;
    uint32_t nimported_funcs, nimported_tables, nimported_memories, nimported_globals;
    uint32_t *func_types; uint32_t nfuncs;   /* defined functions' type indices */
    wmod_limits_t *tables; uint32_t ntables; /* defined tables */
    uint8_t *table_elem_types;
    wmod_limits_t *memories; uint32_t nmemories; /* defined memories */
    uint32_t nglobals;                        /* defined globals */
    wmod_export_t *exports; uint32_t nexports;
    bool has_start; uint32_t start_func;
    uint32_t ndata, nelem;
    wmod_custom_t *customs; uint32_t ncustoms;
    wmod_section_t *sections; uint32_t nsections; /* every section, in file order */
    char *name;        /* module name from the "name" custom section, or NULL */
    size_t code_size;  /* bytes of the code section payload */
} wmod_t;

/* wmod_parse: parse `size` bytes. Returns 0, or -1 with a message in
 * err (always NUL-terminated, truncated to errlen), for example
 *   "not a WebAssembly module (bad magic bytes 7f 45 4c 46)"
 *   "unsupported WebAssembly version 2"
 *   "truncated module: section 10 (code) at offset 1234 declares 5000 bytes but only 100 remain"
 *   "malformed module: section 3 (function) out of order"
 * On failure *m is left empty (safe to wmod_free). */
int wmod_parse(const uint8_t *bytes, size_t size, wmod_t *m, char *err, size_t errlen);
void wmod_free(wmod_t *m);

/* wmod_func_type: type of function `funcidx` in the function index space
 * (imported functions first), or NULL if out of range. */
const wmod_functype_t *wmod_func_type(const wmod_t *m, uint32_t funcidx);
/* wmod_find_export: the export named `name`, or NULL. */
const wmod_export_t *wmod_find_export(const wmod_t *m, const char *name);
/* wmod_functype_equal: same params and results. */
bool wmod_functype_equal(const wmod_functype_t *a, const wmod_functype_t *b);
/* wmod_format_functype: "(i32, i64) -> i32", "() -> ()", "(i32) -> (i32, i32)"
 * into out (NUL-terminated, truncated to outlen). */
void wmod_format_functype(const wmod_functype_t *t, char *out, size_t outlen);
const char *wmod_valtype_name(uint8_t valtype); /* "i32", ..., "unknown" */
const char *wmod_section_name(uint8_t id);      /* "type", "import", ..., "custom" */
const char *wmod_extern_kind_name(wmod_extern_kind_t k); /* "func", "table", "memory", "global", "tag" */

#endif
