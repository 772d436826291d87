/* wasm_module.c — wadup's reader of WebAssembly binaries (owns wmod_*).
 *
 * Walks the module header and every section of an untrusted binary,
 * checking framing (sizes, order, LEB128 encodings, vector counts against
 * the bytes left, UTF-8 names) and recording what wasm_module.h exposes.
 * Function bodies are only framed, never decoded. Every read goes through
 * a bounded cursor (wmod_reader_t), so no input can make it read outside
 * the caller's bytes, and every allocation is sized by a count that was
 * first checked against the bytes that remain. */
#include "wasm/wasm_module.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

#define WMOD_HEADER_SIZE 8
#define WMOD_MAX_PAGES32 65536ull                /* 4 GiB of 64 KiB pages */
#define WMOD_MAX_PAGES64 (1ull << 48)            /* 2^64 bytes of 64 KiB pages */

enum {
    WMOD_SEC_CUSTOM = 0, WMOD_SEC_TYPE = 1, WMOD_SEC_IMPORT = 2, WMOD_SEC_FUNCTION = 3,
    WMOD_SEC_TABLE = 4, WMOD_SEC_MEMORY = 5, WMOD_SEC_GLOBAL = 6, WMOD_SEC_EXPORT = 7,
    WMOD_SEC_START = 8, WMOD_SEC_ELEMENT = 9, WMOD_SEC_CODE = 10, WMOD_SEC_DATA = 11,
    WMOD_SEC_DATACOUNT = 12, WMOD_SEC_TAG = 13, WMOD_SEC_LAST = WMOD_SEC_TAG,
};

/* A bounded cursor over [pos, end) of the module bytes. section_id is the
 * section being read (-1 for the top level) and only shapes messages. A
 * reader with err == NULL is quiet (used for the informational name
 * section); oom records that a failure was an allocation failure. */
typedef struct wmod_reader {
    const uint8_t *bytes;
    size_t pos, end;
    int section_id;
    char *err;
    size_t errlen;
    bool oom;
} wmod_reader_t;

/* Parser state that the public wmod_t does not keep. */
typedef struct wmod_parser {
    wmod_t *m;
    uint32_t nimported_tags, ntags;
    int last_rank;                 /* order rank of the last known section, 0 if none */
    uint8_t last_id;               /* id of that section */
    bool has_code, has_data, has_datacount;
    uint32_t datacount;
    uint32_t sections_cap, customs_cap;
} wmod_parser_t;

/* ---------------------------------------------------------------- names */

const char *wmod_section_name(uint8_t id) {
    static const char *const names[] = {
        "custom", "type", "import", "function", "table", "memory", "global",
        "export", "start", "element", "code", "data", "datacount", "tag",
    };
    return id <= WMOD_SEC_LAST ? names[id] : "unknown";
}

const char *wmod_valtype_name(uint8_t valtype) {
    switch (valtype) {
    case WMOD_I32: return "i32";
    case WMOD_I64: return "i64";
    case WMOD_F32: return "f32";
    case WMOD_F64: return "f64";
    case WMOD_V128: return "v128";
    case WMOD_FUNCREF: return "funcref";
    case WMOD_EXTERNREF: return "externref";
    default: return "unknown";
    }
}

const char *wmod_extern_kind_name(wmod_extern_kind_t k) {
    switch (k) {
    case WMOD_EXT_FUNC: return "func";
    case WMOD_EXT_TABLE: return "table";
    case WMOD_EXT_MEMORY: return "memory";
    case WMOD_EXT_GLOBAL: return "global";
    case WMOD_EXT_TAG: return "tag";
    }
    return "unknown";
}

/* wmod_section_rank: position of a known section id in the order the spec
 * requires (type=1 ... data=13), or 0 for custom sections. */
static int wmod_section_rank(uint8_t id) {
    static const int ranks[] = {
        [WMOD_SEC_CUSTOM] = 0, [WMOD_SEC_TYPE] = 1, [WMOD_SEC_IMPORT] = 2,
        [WMOD_SEC_FUNCTION] = 3, [WMOD_SEC_TABLE] = 4, [WMOD_SEC_MEMORY] = 5,
        [WMOD_SEC_TAG] = 6, [WMOD_SEC_GLOBAL] = 7, [WMOD_SEC_EXPORT] = 8,
        [WMOD_SEC_START] = 9, [WMOD_SEC_ELEMENT] = 10, [WMOD_SEC_DATACOUNT] = 11,
        [WMOD_SEC_CODE] = 12, [WMOD_SEC_DATA] = 13,
    };
    return id <= WMOD_SEC_LAST ? ranks[id] : 0;
}

/* --------------------------------------------------------------- errors */

/* wmod_set_error: format a complete message into err (if any). */
static void wmod_set_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void wmod_set_error(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* wmod_rd_fail: report a malformed-input error at the reader's position,
 * prefixed with the section and offset. Always returns -1. */
static int wmod_rd_fail(wmod_reader_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int wmod_rd_fail(wmod_reader_t *r, const char *fmt, ...) {
    if (!r->err || r->errlen == 0) return -1;
    int n;
    if (r->section_id < 0)
        n = snprintf(r->err, r->errlen, "malformed module at offset %zu: ", r->pos);
    else
        n = snprintf(r->err, r->errlen, "malformed module: section %d (%s) at offset %zu: ",
                     r->section_id, wmod_section_name((uint8_t)r->section_id), r->pos);
    if (n < 0 || (size_t)n >= r->errlen) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* wmod_rd_oom: report an allocation failure. Always returns -1. */
static int wmod_rd_oom(wmod_reader_t *r, const char *what) {
    r->oom = true;
    wmod_set_error(r->err, r->errlen, "out of memory while reading %s", what);
    return -1;
}

/* ------------------------------------------------------- basic reading */

static size_t wmod_rd_left(const wmod_reader_t *r) { return r->end - r->pos; }

/* wmod_rd_need: fail unless n more bytes are available. At the top level the
 * region is the whole input, so running out there means truncation. */
static int wmod_rd_need(wmod_reader_t *r, size_t n, const char *what) {
    if (n <= wmod_rd_left(r)) return 0;
    if (r->section_id < 0) {
        wmod_set_error(r->err, r->errlen,
                       "truncated module: unexpected end of input at offset %zu while reading %s",
                       r->pos, what);
        return -1;
    }
    return wmod_rd_fail(r, "unexpected end of section while reading %s (%zu bytes needed, %zu left)",
                        what, n, wmod_rd_left(r));
}

static int wmod_rd_byte(wmod_reader_t *r, const char *what, uint8_t *out) {
    if (wmod_rd_need(r, 1, what) != 0) return -1;
    *out = r->bytes[r->pos++];
    return 0;
}

static int wmod_rd_skip(wmod_reader_t *r, size_t n, const char *what) {
    if (wmod_rd_need(r, n, what) != 0) return -1;
    r->pos += n;
    return 0;
}

/* wmod_rd_leb: read a LEB128 integer of `bits` (32 or 64) bits, signed or
 * unsigned, enforcing the spec's maximum length and requiring the unused
 * bits of the last byte to be zero (unsigned) or a sign extension
 * (signed). The raw (not sign-extended) value goes to *out. */
static int wmod_rd_leb(wmod_reader_t *r, const char *what, unsigned bits, bool is_signed, uint64_t *out) {
    const unsigned max_bytes = (bits + 6) / 7;
    const unsigned last_bits = bits - 7 * (max_bytes - 1);   /* value bits in the last byte */
    const uint8_t unused = (uint8_t)(0x7f & ~((1u << last_bits) - 1));
    size_t start = r->pos;
    uint64_t value = 0;
    uint8_t b = 0x80;
    unsigned i;
    for (i = 0; i < max_bytes && (b & 0x80); i++) {
        if (wmod_rd_byte(r, what, &b) != 0) return -1;
        value |= (uint64_t)(b & 0x7f) << (7 * i);
    }
    *out = value;
    if (i < max_bytes) return 0;
    /* b is the last byte the encoding may have. */
    bool negative = is_signed && (b & (1u << (last_bits - 1)));
    if (!(b & 0x80) && (b & unused) == (negative ? unused : 0)) return 0;
    r->pos = start;
    if (b & 0x80) return wmod_rd_fail(r, "LEB128 %s is longer than %u bytes", what, max_bytes);
    return wmod_rd_fail(r, "LEB128 %s does not fit in %u bits", what, bits);
}

static int wmod_rd_u32(wmod_reader_t *r, const char *what, uint32_t *out) {
    uint64_t v;
    if (wmod_rd_leb(r, what, 32, false, &v) != 0) return -1;
    *out = (uint32_t)v;
    return 0;
}

static int wmod_rd_u64(wmod_reader_t *r, const char *what, uint64_t *out) {
    return wmod_rd_leb(r, what, 64, false, out);
}

/* wmod_rd_count: read a vector length and check that `count` elements of at
 * least `min_elem_bytes` bytes each can fit in what is left, so callers
 * can allocate count elements without trusting the input further. */
static int wmod_rd_count(wmod_reader_t *r, const char *what, size_t min_elem_bytes, uint32_t *count) {
    char label[64];
    snprintf(label, sizeof label, "%s count", what);
    size_t at = r->pos;
    if (wmod_rd_u32(r, label, count) != 0) return -1;
    size_t left = wmod_rd_left(r);
    if (*count > left / min_elem_bytes) {
        r->pos = at;
        return wmod_rd_fail(r, "%s %u cannot fit in the %zu bytes left", label, *count, left);
    }
    return 0;
}

/* wmod_rd_alloc: zeroed array of count elements; *out is NULL for count 0. */
static int wmod_rd_alloc(wmod_reader_t *r, size_t count, size_t elem_size, const char *what, void **out) {
    *out = NULL;
    if (count == 0) return 0;
    *out = calloc(count, elem_size);
    return *out ? 0 : wmod_rd_oom(r, what);
}

/* wmod_rd_name: read a name (length-prefixed UTF-8) into a new C string.
 * Names containing NUL are rejected: wadup handles names as C strings and
 * a silently shortened name could alias another one. */
static int wmod_rd_name(wmod_reader_t *r, const char *what, char **out) {
    *out = NULL;
    uint32_t len;
    size_t at = r->pos;
    if (wmod_rd_u32(r, what, &len) != 0) return -1;
    if (wmod_rd_need(r, len, what) != 0) return -1;
    const uint8_t *s = r->bytes + r->pos;
    if (!utf8_valid(s, len)) {
        r->pos = at;
        return wmod_rd_fail(r, "%s is not valid UTF-8", what);
    }
    if (memchr(s, 0, len)) {
        r->pos = at;
        return wmod_rd_fail(r, "%s contains a NUL byte", what);
    }
    char *copy = malloc((size_t)len + 1);
    if (!copy) return wmod_rd_oom(r, what);
    if (len) memcpy(copy, s, len);
    copy[len] = '\0';
    r->pos += len;
    *out = copy;
    return 0;
}

/* --------------------------------------------------------- types, limits */

static bool wmod_is_valtype(uint8_t b) {
    return b == WMOD_I32 || b == WMOD_I64 || b == WMOD_F32 || b == WMOD_F64 ||
           b == WMOD_V128 || b == WMOD_FUNCREF || b == WMOD_EXTERNREF;
}

static int wmod_rd_valtype(wmod_reader_t *r, const char *what, uint8_t *out) {
    if (wmod_rd_byte(r, what, out) != 0) return -1;
    if (wmod_is_valtype(*out)) return 0;
    r->pos--;
    return wmod_rd_fail(r, "unknown value type 0x%02x in %s", *out, what);
}

static int wmod_rd_reftype(wmod_reader_t *r, const char *what, uint8_t *out) {
    if (wmod_rd_byte(r, what, out) != 0) return -1;
    if (*out == WMOD_FUNCREF || *out == WMOD_EXTERNREF) return 0;
    r->pos--;
    return wmod_rd_fail(r, "expected a reference type (funcref 0x70 or externref 0x6f) for %s, found 0x%02x",
                        what, *out);
}

/* wmod_rd_valtype_vec: a vector of value types into a new array (NULL if empty). */
static int wmod_rd_valtype_vec(wmod_reader_t *r, const char *what, uint32_t *n, uint8_t **out) {
    if (wmod_rd_count(r, what, 1, n) != 0) return -1;
    if (wmod_rd_alloc(r, *n, 1, what, (void **)out) != 0) return -1;
    for (uint32_t i = 0; i < *n; i++)
        if (wmod_rd_valtype(r, what, &(*out)[i]) != 0) return -1;
    return 0;
}

/* wmod_rd_limits_check: spec limits on the values of parsed limits. */
static int wmod_rd_limits_check(wmod_reader_t *r, const char *what, bool is_memory, const wmod_limits_t *l) {
    if (l->has_max && l->min > l->max)
        return wmod_rd_fail(r, "%s minimum %llu is larger than its maximum %llu", what,
                            (unsigned long long)l->min, (unsigned long long)l->max);
    if (!is_memory) return 0;
    uint64_t cap = l->is64 ? WMOD_MAX_PAGES64 : WMOD_MAX_PAGES32;
    if (l->min > cap || (l->has_max && l->max > cap))
        return wmod_rd_fail(r, "%s exceeds the limit of %llu pages", what, (unsigned long long)cap);
    return 0;
}

/* wmod_rd_limit_value: one bound of limits: u64 for memory64, else u32. */
static int wmod_rd_limit_value(wmod_reader_t *r, const char *what, bool is64, uint64_t *out) {
    if (is64) return wmod_rd_u64(r, what, out);
    uint32_t v;
    if (wmod_rd_u32(r, what, &v) != 0) return -1;
    *out = v;
    return 0;
}

/* wmod_rd_limits: limits of a memory (flags 0x00-0x07: bit 0 max, bit 1
 * shared, bit 2 memory64) or a table (flags 0x00, 0x01, 0x04, 0x05). */
static int wmod_rd_limits(wmod_reader_t *r, const char *what, bool is_memory, wmod_limits_t *out) {
    size_t at = r->pos;
    uint8_t flags;
    if (wmod_rd_byte(r, what, &flags) != 0) return -1;
    uint8_t allowed = is_memory ? 0x07 : 0x05;
    if (flags & ~allowed) {
        r->pos = at;
        return wmod_rd_fail(r, "invalid limits flags 0x%02x for %s", flags, what);
    }
    memset(out, 0, sizeof *out);
    out->has_max = flags & 0x01;
    out->shared = flags & 0x02;
    out->is64 = flags & 0x04;
    if (wmod_rd_limit_value(r, what, out->is64, &out->min) != 0) return -1;
    if (out->has_max && wmod_rd_limit_value(r, what, out->is64, &out->max) != 0) return -1;
    size_t after = r->pos;
    r->pos = at;   /* errors about the values point at the limits */
    if (wmod_rd_limits_check(r, what, is_memory, out) != 0) return -1;
    r->pos = after;
    return 0;
}

/* wmod_rd_const_instr: skip the immediates of constant-expression
 * opcode `op`. Returns 1 if op is not a constant instruction, else 0/-1. */
static int wmod_rd_const_instr(wmod_reader_t *r, const char *what, uint8_t op) {
    uint64_t value;
    uint32_t index;
    uint8_t type;
    switch (op) {
    case 0x41: return wmod_rd_leb(r, what, 32, true, &value);   /* i32.const */
    case 0x42: return wmod_rd_leb(r, what, 64, true, &value);   /* i64.const */
    case 0x43: return wmod_rd_skip(r, 4, what);                 /* f32.const */
    case 0x44: return wmod_rd_skip(r, 8, what);                 /* f64.const */
    case 0x23:                                                  /* global.get */
    case 0xd2: return wmod_rd_u32(r, what, &index);             /* ref.func */
    case 0xd0: return wmod_rd_reftype(r, what, &type);          /* ref.null */
    case 0x6a: case 0x6b: case 0x6c:                            /* i32.add/sub/mul */
    case 0x7c: case 0x7d: case 0x7e: return 0;                  /* i64.add/sub/mul */
    case 0xfd:                                                  /* v128.const */
        if (wmod_rd_u32(r, what, &index) != 0) return -1;
        return index == 12 ? wmod_rd_skip(r, 16, what) : 1;
    default: return 1;
    }
}

/* wmod_rd_const_expr: skip a constant expression up to and including its
 * end opcode. Accepts the constant instructions of wasm 2.0 plus the
 * extended-const arithmetic and v128.const. */
static int wmod_rd_const_expr(wmod_reader_t *r, const char *what) {
    for (;;) {
        size_t at = r->pos;
        uint8_t op;
        if (wmod_rd_byte(r, what, &op) != 0) return -1;
        if (op == 0x0b) return 0;                               /* end */
        int rc = wmod_rd_const_instr(r, what, op);
        if (rc < 0) return -1;
        if (rc > 0) {
            r->pos = at;
            return wmod_rd_fail(r, "unsupported instruction 0x%02x in %s (constant expressions allow "
                                "only constants, global.get, ref.null, ref.func and i32/i64 "
                                "add/sub/mul)", op, what);
        }
    }
}

/* wmod_rd_index: read an index and check it against the size of its space. */
static int wmod_rd_index(wmod_reader_t *r, const char *what, uint64_t space, uint32_t *out) {
    size_t at = r->pos;
    if (wmod_rd_u32(r, what, out) != 0) return -1;
    if (*out < space) return 0;
    r->pos = at;
    return wmod_rd_fail(r, "%s %u is out of range (there are %llu)", what, *out, (unsigned long long)space);
}

/* --------------------------------------------------------- index spaces */

static uint64_t wmod_total_funcs(const wmod_t *m) { return (uint64_t)m->nimported_funcs + m->nfuncs; }
static uint64_t wmod_total_tables(const wmod_t *m) { return (uint64_t)m->nimported_tables + m->ntables; }
static uint64_t wmod_total_memories(const wmod_t *m) { return (uint64_t)m->nimported_memories + m->nmemories; }
static uint64_t wmod_total_globals(const wmod_t *m) { return (uint64_t)m->nimported_globals + m->nglobals; }

/* ------------------------------------------------------ known sections */

static int wmod_read_functype(wmod_reader_t *r, uint32_t index, wmod_functype_t *t) {
    size_t at = r->pos;
    uint8_t form;
    if (wmod_rd_byte(r, "function type form", &form) != 0) return -1;
    if (form != 0x60) {
        r->pos = at;
        return wmod_rd_fail(r, "type %u: expected function type (0x60), found 0x%02x%s", index, form,
                            (form >= 0x4e && form <= 0x5f) ? " (GC proposal types are not supported)" : "");
    }
    if (wmod_rd_valtype_vec(r, "function parameter types", &t->nparams, &t->params) != 0) return -1;
    return wmod_rd_valtype_vec(r, "function result types", &t->nresults, &t->results);
}

static int wmod_read_type_section(wmod_parser_t *p, wmod_reader_t *r) {
    wmod_t *m = p->m;
    uint32_t n;
    if (wmod_rd_count(r, "type", 3, &n) != 0) return -1;
    if (wmod_rd_alloc(r, n, sizeof *m->types, "type section", (void **)&m->types) != 0) return -1;
    m->ntypes = n;
    for (uint32_t i = 0; i < n; i++)
        if (wmod_read_functype(r, i, &m->types[i]) != 0) return -1;
    return 0;
}

/* wmod_read_import_desc: the kind-specific part of import `index`. */
static int wmod_read_import_desc(wmod_parser_t *p, wmod_reader_t *r, uint32_t index, wmod_import_t *imp) {
    wmod_t *m = p->m;
    uint8_t kind, mut, attribute;
    size_t at = r->pos;
    if (wmod_rd_byte(r, "import kind", &kind) != 0) return -1;
    switch (kind) {
    case WMOD_EXT_FUNC:
        imp->kind = WMOD_EXT_FUNC;
        m->nimported_funcs++;
        return wmod_rd_index(r, "imported function's type index", m->ntypes, &imp->type_index);
    case WMOD_EXT_TABLE:
        imp->kind = WMOD_EXT_TABLE;
        m->nimported_tables++;
        if (wmod_rd_reftype(r, "imported table's element type", &imp->valtype) != 0) return -1;
        return wmod_rd_limits(r, "imported table's limits", false, &imp->limits);
    case WMOD_EXT_MEMORY:
        imp->kind = WMOD_EXT_MEMORY;
        m->nimported_memories++;
        return wmod_rd_limits(r, "imported memory's limits", true, &imp->limits);
    case WMOD_EXT_GLOBAL:
        imp->kind = WMOD_EXT_GLOBAL;
        m->nimported_globals++;
        if (wmod_rd_valtype(r, "imported global's type", &imp->valtype) != 0) return -1;
        if (wmod_rd_byte(r, "imported global's mutability", &mut) != 0) return -1;
        if (mut > 1) {
            r->pos--;
            return wmod_rd_fail(r, "import %u: invalid global mutability 0x%02x", index, mut);
        }
        imp->mutable_global = mut;
        return 0;
    case WMOD_EXT_TAG:
        imp->kind = WMOD_EXT_TAG;
        p->nimported_tags++;
        if (wmod_rd_byte(r, "imported tag's attribute", &attribute) != 0) return -1;
        if (attribute != 0) {
            r->pos--;
            return wmod_rd_fail(r, "import %u: invalid tag attribute 0x%02x", index, attribute);
        }
        return wmod_rd_index(r, "imported tag's type index", m->ntypes, &imp->type_index);
    default:
        r->pos = at;
        return wmod_rd_fail(r, "import %u: unknown import kind 0x%02x", index, kind);
    }
}

static int wmod_read_import_section(wmod_parser_t *p, wmod_reader_t *r) {
    wmod_t *m = p->m;
    uint32_t n;
    if (wmod_rd_count(r, "import", 4, &n) != 0) return -1;
    if (wmod_rd_alloc(r, n, sizeof *m->imports, "import section", (void **)&m->imports) != 0) return -1;
    m->nimports = n;
    for (uint32_t i = 0; i < n; i++) {
        wmod_import_t *imp = &m->imports[i];
        if (wmod_rd_name(r, "import module name", &imp->module) != 0) return -1;
        if (wmod_rd_name(r, "import field name", &imp->name) != 0) return -1;
        if (wmod_read_import_desc(p, r, i, imp) != 0) return -1;
    }
    return 0;
}

static int wmod_read_function_section(wmod_parser_t *p, wmod_reader_t *r) {
    wmod_t *m = p->m;
    uint32_t n;
    if (wmod_rd_count(r, "function", 1, &n) != 0) return -1;
    if (wmod_rd_alloc(r, n, sizeof *m->func_types, "function section", (void **)&m->func_types) != 0)
        return -1;
    m->nfuncs = n;
    for (uint32_t i = 0; i < n; i++)
        if (wmod_rd_index(r, "function's type index", m->ntypes, &m->func_types[i]) != 0) return -1;
    return 0;
}

static int wmod_read_table_section(wmod_parser_t *p, wmod_reader_t *r) {
    wmod_t *m = p->m;
    uint32_t n;
    if (wmod_rd_count(r, "table", 3, &n) != 0) return -1;
    if (wmod_rd_alloc(r, n, sizeof *m->tables, "table section", (void **)&m->tables) != 0) return -1;
    if (wmod_rd_alloc(r, n, 1, "table section", (void **)&m->table_elem_types) != 0) return -1;
    m->ntables = n;
    for (uint32_t i = 0; i < n; i++) {
        if (wmod_rd_reftype(r, "table element type", &m->table_elem_types[i]) != 0) return -1;
        if (wmod_rd_limits(r, "table limits", false, &m->tables[i]) != 0) return -1;
    }
    return 0;
}

static int wmod_read_memory_section(wmod_parser_t *p, wmod_reader_t *r) {
    wmod_t *m = p->m;
    uint32_t n;
    if (wmod_rd_count(r, "memory", 2, &n) != 0) return -1;
    if (wmod_rd_alloc(r, n, sizeof *m->memories, "memory section", (void **)&m->memories) != 0) return -1;
    m->nmemories = n;
    for (uint32_t i = 0; i < n; i++)
        if (wmod_rd_limits(r, "memory limits", true, &m->memories[i]) != 0) return -1;
    return 0;
}

static int wmod_read_tag_section(wmod_parser_t *p, wmod_reader_t *r) {
    uint32_t n, type_index;
    uint8_t attribute;
    if (wmod_rd_count(r, "tag", 2, &n) != 0) return -1;
    for (uint32_t i = 0; i < n; i++) {
        if (wmod_rd_byte(r, "tag attribute", &attribute) != 0) return -1;
        if (attribute != 0) {
            r->pos--;
            return wmod_rd_fail(r, "tag %u: invalid attribute 0x%02x", i, attribute);
        }
        if (wmod_rd_index(r, "tag's type index", p->m->ntypes, &type_index) != 0) return -1;
    }
    p->ntags = n;
    return 0;
}

static int wmod_read_global_section(wmod_parser_t *p, wmod_reader_t *r) {
    uint32_t n;
    uint8_t type, mut;
    if (wmod_rd_count(r, "global", 3, &n) != 0) return -1;
    for (uint32_t i = 0; i < n; i++) {
        if (wmod_rd_valtype(r, "global type", &type) != 0) return -1;
        if (wmod_rd_byte(r, "global mutability", &mut) != 0) return -1;
        if (mut > 1) {
            r->pos--;
            return wmod_rd_fail(r, "global %u: invalid mutability 0x%02x", i, mut);
        }
        if (wmod_rd_const_expr(r, "global initializer") != 0) return -1;
    }
    p->m->nglobals = n;
    return 0;
}

/* wmod_export_space: number of entities of kind k (imported + defined). */
static uint64_t wmod_export_space(const wmod_parser_t *p, wmod_extern_kind_t k) {
    switch (k) {
    case WMOD_EXT_FUNC: return wmod_total_funcs(p->m);
    case WMOD_EXT_TABLE: return wmod_total_tables(p->m);
    case WMOD_EXT_MEMORY: return wmod_total_memories(p->m);
    case WMOD_EXT_GLOBAL: return wmod_total_globals(p->m);
    case WMOD_EXT_TAG: return (uint64_t)p->nimported_tags + p->ntags;
    }
    return 0;
}

static int wmod_cmp_name_ptr(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* wmod_check_unique_exports: export names must be distinct. */
static int wmod_check_unique_exports(wmod_reader_t *r, const wmod_t *m) {
    if (m->nexports < 2) return 0;
    const char **names = malloc(m->nexports * sizeof *names);
    if (!names) return wmod_rd_oom(r, "export names");
    for (uint32_t i = 0; i < m->nexports; i++) names[i] = m->exports[i].name;
    qsort(names, m->nexports, sizeof *names, wmod_cmp_name_ptr);
    int rc = 0;
    for (uint32_t i = 1; i < m->nexports && rc == 0; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            rc = wmod_rd_fail(r, "duplicate export name (%zu bytes long)", strlen(names[i]));
    free(names);
    return rc;
}

static int wmod_read_export_section(wmod_parser_t *p, wmod_reader_t *r) {
    wmod_t *m = p->m;
    uint32_t n;
    if (wmod_rd_count(r, "export", 3, &n) != 0) return -1;
    if (wmod_rd_alloc(r, n, sizeof *m->exports, "export section", (void **)&m->exports) != 0) return -1;
    m->nexports = n;
    for (uint32_t i = 0; i < n; i++) {
        wmod_export_t *e = &m->exports[i];
        uint8_t kind;
        if (wmod_rd_name(r, "export name", &e->name) != 0) return -1;
        if (wmod_rd_byte(r, "export kind", &kind) != 0) return -1;
        if (kind > WMOD_EXT_TAG) {
            r->pos--;
            return wmod_rd_fail(r, "export %u: unknown export kind 0x%02x", i, kind);
        }
        e->kind = (wmod_extern_kind_t)kind;
        char what[48];
        snprintf(what, sizeof what, "exported %s index", wmod_extern_kind_name(e->kind));
        if (wmod_rd_index(r, what, wmod_export_space(p, e->kind), &e->index) != 0) return -1;
    }
    return wmod_check_unique_exports(r, m);
}

static int wmod_read_start_section(wmod_parser_t *p, wmod_reader_t *r) {
    if (wmod_rd_index(r, "start function index", wmod_total_funcs(p->m), &p->m->start_func) != 0)
        return -1;
    p->m->has_start = true;
    return 0;
}

/* wmod_read_elem_segment: one element segment (flags 0..7: bit 0 passive
 * or declarative, bit 1 explicit table index / declarative, bit 2
 * expressions instead of function indices). */
static int wmod_read_elem_segment(wmod_parser_t *p, wmod_reader_t *r, uint32_t index) {
    uint32_t flags, n, unused;
    uint8_t kind;
    size_t at = r->pos;
    if (wmod_rd_u32(r, "element segment flags", &flags) != 0) return -1;
    if (flags > 7) {
        r->pos = at;
        return wmod_rd_fail(r, "element segment %u: invalid flags %u", index, flags);
    }
    if ((flags & 3) == 2 && wmod_rd_index(r, "element segment table index", wmod_total_tables(p->m), &unused) != 0)
        return -1;
    if (!(flags & 1) && wmod_rd_const_expr(r, "element segment offset") != 0) return -1;
    if (flags & 3) {
        if (flags & 4) {
            if (wmod_rd_reftype(r, "element segment type", &kind) != 0) return -1;
        } else {
            if (wmod_rd_byte(r, "element kind", &kind) != 0) return -1;
            if (kind != 0) {
                r->pos--;
                return wmod_rd_fail(r, "element segment %u: invalid element kind 0x%02x", index, kind);
            }
        }
    }
    if (wmod_rd_count(r, "element segment item", 1, &n) != 0) return -1;
    for (uint32_t i = 0; i < n; i++) {
        int rc = (flags & 4) ? wmod_rd_const_expr(r, "element segment item")
                             : wmod_rd_u32(r, "element segment function index", &unused);
        if (rc != 0) return -1;
    }
    return 0;
}

static int wmod_read_element_section(wmod_parser_t *p, wmod_reader_t *r) {
    uint32_t n;
    if (wmod_rd_count(r, "element segment", 3, &n) != 0) return -1;
    for (uint32_t i = 0; i < n; i++)
        if (wmod_read_elem_segment(p, r, i) != 0) return -1;
    p->m->nelem = n;
    return 0;
}

static int wmod_read_datacount_section(wmod_parser_t *p, wmod_reader_t *r) {
    if (wmod_rd_u32(r, "data count", &p->datacount) != 0) return -1;
    p->has_datacount = true;
    return 0;
}

static int wmod_read_code_section(wmod_parser_t *p, wmod_reader_t *r) {
    uint32_t n, body_size;
    p->m->code_size = wmod_rd_left(r);
    p->has_code = true;
    if (wmod_rd_count(r, "function body", 1, &n) != 0) return -1;
    if (n != p->m->nfuncs)
        return wmod_rd_fail(r, "function and code section counts differ (function section: %u, code section: %u)",
                            p->m->nfuncs, n);
    for (uint32_t i = 0; i < n; i++) {
        size_t at = r->pos;
        if (wmod_rd_u32(r, "function body size", &body_size) != 0) return -1;
        if (body_size == 0) {
            r->pos = at;
            return wmod_rd_fail(r, "function body %u is empty", i);
        }
        if (body_size > wmod_rd_left(r))
            return wmod_rd_fail(r, "function body %u declares %u bytes but only %zu remain in the section",
                                i, body_size, wmod_rd_left(r));
        r->pos += body_size;
    }
    return 0;
}

/* wmod_read_data_segment: one data segment (flags 0 active memory 0,
 * 1 passive, 2 active with explicit memory index). */
static int wmod_read_data_segment(wmod_parser_t *p, wmod_reader_t *r, uint32_t index) {
    uint32_t flags, memidx, len;
    size_t at = r->pos;
    if (wmod_rd_u32(r, "data segment flags", &flags) != 0) return -1;
    if (flags > 2) {
        r->pos = at;
        return wmod_rd_fail(r, "data segment %u: invalid flags %u", index, flags);
    }
    if (flags == 2 && wmod_rd_index(r, "data segment memory index", wmod_total_memories(p->m), &memidx) != 0)
        return -1;
    if (flags != 1 && wmod_rd_const_expr(r, "data segment offset") != 0) return -1;
    if (wmod_rd_u32(r, "data segment size", &len) != 0) return -1;
    if (len > wmod_rd_left(r))
        return wmod_rd_fail(r, "data segment %u declares %u bytes but only %zu remain in the section",
                            index, len, wmod_rd_left(r));
    r->pos += len;
    return 0;
}

static int wmod_read_data_section(wmod_parser_t *p, wmod_reader_t *r) {
    uint32_t n;
    if (wmod_rd_count(r, "data segment", 2, &n) != 0) return -1;
    if (p->has_datacount && n != p->datacount)
        return wmod_rd_fail(r, "data section has %u segments but the datacount section says %u", n, p->datacount);
    for (uint32_t i = 0; i < n; i++)
        if (wmod_read_data_segment(p, r, i) != 0) return -1;
    p->m->ndata = n;
    p->has_data = true;
    return 0;
}

/* ------------------------------------------------------ custom sections */

/* wmod_read_module_name: take the module name (subsection 0) from a name
 * section payload. The name section is informational: malformed content
 * is ignored (reading stays within [offset, offset+size)). Returns -1
 * only when memory runs out. */
static int wmod_read_module_name(wmod_t *m, const uint8_t *bytes, size_t offset, size_t size) {
    wmod_reader_t q = {bytes, offset, offset + size, WMOD_SEC_CUSTOM, NULL, 0, false};
    while (wmod_rd_left(&q) > 0) {
        uint8_t id;
        uint32_t len;
        if (wmod_rd_byte(&q, "name subsection id", &id) != 0) return 0;
        if (wmod_rd_u32(&q, "name subsection size", &len) != 0 || len > wmod_rd_left(&q)) return 0;
        if (id == 0) {
            q.end = q.pos + len;
            char *name;
            if (wmod_rd_name(&q, "module name", &name) != 0) return q.oom ? -1 : 0;
            m->name = name;
            return 0;
        }
        q.pos += len;
    }
    return 0;
}

/* wmod_grow: make room for one more element in a growable array. */
static int wmod_grow(void **arr, uint32_t *cap, uint32_t n, size_t elem_size) {
    if (n < *cap) return 0;
    if (*cap > UINT32_MAX / 2) return -1;
    uint32_t new_cap = *cap ? *cap * 2 : 8;
    void *p = realloc(*arr, (size_t)new_cap * elem_size);
    if (!p) return -1;
    *arr = p;
    *cap = new_cap;
    return 0;
}

static int wmod_read_custom_section(wmod_parser_t *p, wmod_reader_t *r) {
    wmod_t *m = p->m;
    char *name;
    if (wmod_rd_name(r, "custom section name", &name) != 0) return -1;
    if (wmod_grow((void **)&m->customs, &p->customs_cap, m->ncustoms, sizeof *m->customs) != 0) {
        free(name);
        return wmod_rd_oom(r, "custom sections");
    }
    wmod_custom_t *c = &m->customs[m->ncustoms++];
    c->name = name;
    c->offset = r->pos;
    c->size = wmod_rd_left(r);
    r->pos = r->end;
    if (strcmp(name, "name") == 0 && !m->name &&
        wmod_read_module_name(m, r->bytes, c->offset, c->size) != 0)
        return wmod_rd_oom(r, "module name");
    return 0;
}

/* ----------------------------------------------------- section framing */

static int wmod_read_section_payload(wmod_parser_t *p, wmod_reader_t *r, uint8_t id) {
    switch (id) {
    case WMOD_SEC_CUSTOM: return wmod_read_custom_section(p, r);
    case WMOD_SEC_TYPE: return wmod_read_type_section(p, r);
    case WMOD_SEC_IMPORT: return wmod_read_import_section(p, r);
    case WMOD_SEC_FUNCTION: return wmod_read_function_section(p, r);
    case WMOD_SEC_TABLE: return wmod_read_table_section(p, r);
    case WMOD_SEC_MEMORY: return wmod_read_memory_section(p, r);
    case WMOD_SEC_GLOBAL: return wmod_read_global_section(p, r);
    case WMOD_SEC_EXPORT: return wmod_read_export_section(p, r);
    case WMOD_SEC_START: return wmod_read_start_section(p, r);
    case WMOD_SEC_ELEMENT: return wmod_read_element_section(p, r);
    case WMOD_SEC_CODE: return wmod_read_code_section(p, r);
    case WMOD_SEC_DATA: return wmod_read_data_section(p, r);
    case WMOD_SEC_DATACOUNT: return wmod_read_datacount_section(p, r);
    case WMOD_SEC_TAG: return wmod_read_tag_section(p, r);
    }
    return wmod_rd_fail(r, "unknown section id %u", id);
}

/* wmod_check_order: known sections must appear at most once, in the
 * spec's order; custom sections may appear anywhere. */
static int wmod_check_order(wmod_parser_t *p, wmod_reader_t *top, uint8_t id, size_t offset) {
    int rank = wmod_section_rank(id);
    if (rank == 0) return 0;
    if (rank > p->last_rank) {
        p->last_rank = rank;
        p->last_id = id;
        return 0;
    }
    if (rank == p->last_rank)
        wmod_set_error(top->err, top->errlen, "malformed module: section %u (%s) appears twice (again at offset %zu)",
                       id, wmod_section_name(id), offset);
    else
        wmod_set_error(top->err, top->errlen,
                       "malformed module: section %u (%s) out of order at offset %zu (it must come before "
                       "section %u (%s))", id, wmod_section_name(id), offset, p->last_id,
                       wmod_section_name(p->last_id));
    return -1;
}

/* wmod_read_section: one section from the top-level reader, which is
 * left just past it. */
static int wmod_read_section(wmod_parser_t *p, wmod_reader_t *top) {
    wmod_t *m = p->m;
    size_t offset = top->pos;
    uint8_t id;
    uint32_t size;
    if (wmod_rd_byte(top, "section id", &id) != 0) return -1;
    if (id > WMOD_SEC_LAST) {
        wmod_set_error(top->err, top->errlen, "malformed module: unknown section id %u at offset %zu", id, offset);
        return -1;
    }
    if (wmod_rd_u32(top, "section size", &size) != 0) return -1;
    if (size > wmod_rd_left(top)) {
        wmod_set_error(top->err, top->errlen,
                       "truncated module: section %u (%s) at offset %zu declares %u bytes but only %zu remain",
                       id, wmod_section_name(id), offset, size, wmod_rd_left(top));
        return -1;
    }
    if (wmod_check_order(p, top, id, offset) != 0) return -1;
    if (wmod_grow((void **)&m->sections, &p->sections_cap, m->nsections, sizeof *m->sections) != 0)
        return wmod_rd_oom(top, "section list");
    m->sections[m->nsections++] = (wmod_section_t){id, offset, top->pos - offset + size};
    wmod_reader_t r = *top;
    r.end = r.pos + size;
    r.section_id = id;
    if (wmod_read_section_payload(p, &r, id) != 0) return -1;
    if (r.pos != r.end) {
        wmod_set_error(top->err, top->errlen,
                       "malformed module: section %u (%s) at offset %zu has %zu trailing bytes "
                       "(contents end at offset %zu, section ends at %zu)",
                       id, wmod_section_name(id), offset, r.end - r.pos, r.pos, r.end);
        return -1;
    }
    top->pos = r.end;
    return 0;
}

/* wmod_check_header: magic and version. Returns 0 or -1 with a message. */
static int wmod_check_header(const uint8_t *bytes, size_t size, char *err, size_t errlen) {
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
    if (size == 0) {
        wmod_set_error(err, errlen, "not a WebAssembly module (empty input)");
        return -1;
    }
    size_t n = size < 4 ? size : 4;
    if (memcmp(bytes, magic, n) != 0) {
        char hex[16];
        size_t len = 0;
        for (size_t i = 0; i < n; i++)
            len += (size_t)snprintf(hex + len, sizeof hex - len, "%s%02x", i ? " " : "", bytes[i]);
        wmod_set_error(err, errlen, "not a WebAssembly module (bad magic bytes %s)", hex);
        return -1;
    }
    if (size < WMOD_HEADER_SIZE) {
        wmod_set_error(err, errlen, "truncated module: %zu bytes, but the WebAssembly header needs %d",
                       size, WMOD_HEADER_SIZE);
        return -1;
    }
    uint32_t version = (uint32_t)bytes[4] | (uint32_t)bytes[5] << 8;
    uint32_t layer = (uint32_t)bytes[6] | (uint32_t)bytes[7] << 8;
    if (layer != 0) {
        wmod_set_error(err, errlen, "unsupported WebAssembly version/layer (component model?): "
                       "version %u, layer %u", version, layer);
        return -1;
    }
    if (version != 1) {
        wmod_set_error(err, errlen, "unsupported WebAssembly version %u", version);
        return -1;
    }
    return 0;
}

/* wmod_check_end: cross-section checks once every section is read. */
static int wmod_check_end(const wmod_parser_t *p, char *err, size_t errlen) {
    if (!p->has_code && p->m->nfuncs != 0) {
        wmod_set_error(err, errlen, "malformed module: function and code section counts differ "
                       "(function section: %u, code section: missing)", p->m->nfuncs);
        return -1;
    }
    if (p->has_datacount && !p->has_data && p->datacount != 0) {
        wmod_set_error(err, errlen, "malformed module: datacount section says %u data segments "
                       "but there is no data section", p->datacount);
        return -1;
    }
    return 0;
}

int wmod_parse(const uint8_t *bytes, size_t size, wmod_t *m, char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    if (err && errlen) err[0] = '\0';
    if (!bytes && size != 0) {
        wmod_set_error(err, errlen, "not a WebAssembly module (no input)");
        return -1;
    }
    if (wmod_check_header(bytes, size, err, errlen) != 0) return -1;
    wmod_parser_t p = {.m = m};
    wmod_reader_t top = {bytes, WMOD_HEADER_SIZE, size, -1, err, errlen, false};
    while (wmod_rd_left(&top) > 0) {
        if (wmod_read_section(&p, &top) != 0) {
            wmod_free(m);
            return -1;
        }
    }
    if (wmod_check_end(&p, err, errlen) != 0) {
        wmod_free(m);
        return -1;
    }
    return 0;
}

void wmod_free(wmod_t *m) {
    if (!m) return;
    for (uint32_t i = 0; i < m->ntypes; i++) {
        free(m->types[i].params);
        free(m->types[i].results);
    }
    free(m->types);
    for (uint32_t i = 0; i < m->nimports; i++) {
        free(m->imports[i].module);
        free(m->imports[i].name);
    }
    free(m->imports);
    free(m->func_types);
    free(m->tables);
    free(m->table_elem_types);
    free(m->memories);
    for (uint32_t i = 0; i < m->nexports; i++) free(m->exports[i].name);
    free(m->exports);
    for (uint32_t i = 0; i < m->ncustoms; i++) free(m->customs[i].name);
    free(m->customs);
    free(m->sections);
    free(m->name);
    memset(m, 0, sizeof *m);
}

/* -------------------------------------------------------------- queries */

const wmod_functype_t *wmod_func_type(const wmod_t *m, uint32_t funcidx) {
    if (!m) return NULL;
    if (funcidx >= m->nimported_funcs) {
        uint32_t defined = funcidx - m->nimported_funcs;
        if (defined >= m->nfuncs || m->func_types[defined] >= m->ntypes) return NULL;
        return &m->types[m->func_types[defined]];
    }
    uint32_t seen = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wmod_import_t *imp = &m->imports[i];
        if (imp->kind != WMOD_EXT_FUNC) continue;
        if (seen++ == funcidx) return imp->type_index < m->ntypes ? &m->types[imp->type_index] : NULL;
    }
    return NULL;
}

const wmod_export_t *wmod_find_export(const wmod_t *m, const char *name) {
    if (!m || !name) return NULL;
    for (uint32_t i = 0; i < m->nexports; i++)
        if (strcmp(m->exports[i].name, name) == 0) return &m->exports[i];
    return NULL;
}

bool wmod_functype_equal(const wmod_functype_t *a, const wmod_functype_t *b) {
    if (a->nparams != b->nparams || a->nresults != b->nresults) return false;
    if (a->nparams && memcmp(a->params, b->params, a->nparams) != 0) return false;
    if (a->nresults && memcmp(a->results, b->results, a->nresults) != 0) return false;
    return true;
}

/* wmod_out: a bounded, always NUL-terminated text sink that drops what
 * does not fit. */
typedef struct wmod_out {
    char *s;
    size_t cap, len;
} wmod_out_t;

static void wmod_out_str(wmod_out_t *o, const char *text) {
    for (; *text && o->len + 1 < o->cap; text++) o->s[o->len++] = *text;
    o->s[o->len] = '\0';
}

/* wmod_out_types: "(a, b)" — or a bare "a" when bare_single and n == 1. */
static void wmod_out_types(wmod_out_t *o, const uint8_t *types, uint32_t n, bool bare_single) {
    if (bare_single && n == 1) {
        wmod_out_str(o, wmod_valtype_name(types[0]));
        return;
    }
    wmod_out_str(o, "(");
    for (uint32_t i = 0; i < n; i++) {
        if (i) wmod_out_str(o, ", ");
        wmod_out_str(o, wmod_valtype_name(types[i]));
    }
    wmod_out_str(o, ")");
}

void wmod_format_functype(const wmod_functype_t *t, char *out, size_t outlen) {
    if (!out || outlen == 0) return;
    wmod_out_t o = {out, outlen, 0};
    out[0] = '\0';
    wmod_out_types(&o, t->params, t->nparams, false);
    wmod_out_str(&o, " -> ");
    wmod_out_types(&o, t->results, t->nresults, true);
}
