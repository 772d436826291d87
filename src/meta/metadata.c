/* metadata.c — owns the host side of the module metadata protocol (see
 * metadata.h): parsing and validating /metadata/ JSON documents into the
 * per-module schema registry and per-call batches, and parsing
 * /subcontent/metadata_N.json descriptors.
 *
 * Parsing uses jansson with
 *   JSON_REJECT_DUPLICATES  a key given twice in one object is an error
 *                           (jansson would otherwise keep the last one and
 *                           silently drop data, e.g. a second "rows");
 *   JSON_ALLOW_NUL          strings may contain \u0000 (String values keep
 *                           it; names and filenames reject it);
 *   JSON_DECODE_ANY         so a non-object top level gets our own message.
 * jansson itself rejects NaN/Infinity tokens, invalid UTF-8, lone
 * surrogates, integers outside int64, reals that overflow and nesting
 * deeper than 2048; those errors are reported with line and column.
 *
 * Every file is validated completely into private structures first and
 * committed afterwards with pre-reserved memory, so a rejected file leaves
 * the schema and the batch exactly as they were. Table lookups go through
 * a keyed hash index (SipHash, random key per process) so hostile files
 * with many tables/rows/columns, or crafted names, stay linear.
 *
 * Limits (meta_limits_t): the memory a parse really allocates — jansson's
 * tree, counted through allocation hooks installed for the whole process
 * and charged to the parse running on the calling thread, plus the rows
 * and definitions built from it — never exceeds the caller's budget (except
 * jansson's own allocations: refusing one crashes jansson 2.14, so the
 * first one past the budget fails the parse, which stops before jansson
 * reads its next chunk of at most 1 KiB), and a
 * parse stops at the caller's deadline (JSON is fed to jansson in chunks
 * and validation loops look at the clock). Definitions are capped:
 * META_MAX_COLUMNS per table, META_MAX_TABLES per schema. */
#include "meta/metadata.h"

#include <jansson.h>
#include <malloc.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/siphash.h"
#include "util/utf8.h"

#define META_JSON_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY)
#define META_SHOW_INPUT_MAX 48   /* input bytes of an untrusted name shown in a message */
#define META_DESCRIBE_COLUMNS 8  /* columns listed when a redefinition differs */

static const char *const meta_type_names[] = {"Int64", "Float64", "String", "Boolean"};

const char *meta_type_name(meta_type_t t) {
    size_t i = (size_t)t;
    return i < sizeof meta_type_names / sizeof meta_type_names[0] ? meta_type_names[i] : "?";
}

/* meta_type_from_name: the type called `name`, or -1 if there is none. */
static int meta_type_from_name(const char *name, meta_type_t *out) {
    for (size_t i = 0; i < sizeof meta_type_names / sizeof meta_type_names[0]; i++) {
        if (strcmp(name, meta_type_names[i]) == 0) {
            *out = (meta_type_t)i;
            return 0;
        }
    }
    return -1;
}

/* meta_json_kind: a word for the JSON type of v, for error messages. */
static const char *meta_json_kind(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "real";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* ------------------------------------------------------------------ */
/* Memory accounting of one parse                                      */
/* ------------------------------------------------------------------ */

/* What one parse has allocated so far, against its limit. While a parse
 * runs, meta_mem_active points to it on that thread, and every jansson
 * allocation made on the thread is counted (jansson's allocation hooks are
 * process-wide; they count only for the thread's active parse). */
typedef struct meta_mem {
    uint64_t used, limit;
    uint64_t generation;       /* tells this parse's allocations from others' */
    bool refused;
} meta_mem_t;

static __thread meta_mem_t *meta_mem_active;
static __thread uint64_t meta_mem_generations;

#define META_ALLOC_HEADER 16     /* keeps malloc's 16-byte alignment */
#define META_MALLOC_OVERHEAD 16  /* what malloc spends per block besides the bytes */

/* meta_cost: the bytes an allocation of n bytes really costs. */
static uint64_t meta_cost(uint64_t n) { return n + META_MALLOC_OVERHEAD; }

/* meta_mem_take: count n more bytes; false (and refused) past the limit. */
static bool meta_mem_take(meta_mem_t *m, uint64_t n) {
    if (n > m->limit || m->used > m->limit - n) {
        m->refused = true;
        return false;
    }
    m->used += n;
    return true;
}

/* meta_json_malloc: jansson's allocator: a header records the cost and the
 * parse that was charged, so meta_json_free gives back exactly that. */
static void *meta_json_malloc(size_t n) {
    if (n > SIZE_MAX - META_ALLOC_HEADER) return NULL;
    uint8_t *p = malloc(n + META_ALLOC_HEADER);
    if (!p) return NULL;
    uint64_t head[2] = {meta_cost(malloc_usable_size(p)), 0};
    meta_mem_t *m = meta_mem_active;
    if (m) {
        /* Never refused: jansson 2.14 cannot survive a failed allocation
         * while lexing a token (it asserts, or reads past its buffer). An
         * allocation past the limit is counted and marks the parse
         * refused; meta_feed_next then stops it before more input. */
        if (!meta_mem_take(m, head[0])) m->used = head[0] > UINT64_MAX - m->used ? UINT64_MAX : m->used + head[0];
        head[1] = m->generation;
    }
    memcpy(p, head, sizeof head);
    return p + META_ALLOC_HEADER;
}

static void meta_json_free(void *ptr) {
    if (!ptr) return;
    uint8_t *p = (uint8_t *)ptr - META_ALLOC_HEADER;
    uint64_t head[2];
    memcpy(head, p, sizeof head);
    meta_mem_t *m = meta_mem_active;
    if (m && head[1] && head[1] == m->generation) m->used = head[0] > m->used ? 0 : m->used - head[0];
    free(p);
}

/* Installed before main (and so before any jansson object exists: an
 * object allocated by plain malloc must never reach meta_json_free). */
__attribute__((constructor)) static void meta_install_json_allocator(void) {
    json_set_alloc_funcs(meta_json_malloc, meta_json_free);
}

/* meta_mem_begin / meta_mem_end: make m the thread's active parse. */
static void meta_mem_begin(meta_mem_t *m, uint64_t limit) {
    memset(m, 0, sizeof *m);
    m->limit = limit;
    m->generation = ++meta_mem_generations;
    meta_mem_active = m;
}

static void meta_mem_end(void) { meta_mem_active = NULL; }

static uint64_t meta_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* Growable arrays and the name index                                  */
/* ------------------------------------------------------------------ */

/* meta_grow: make an array of `elem`-byte items with capacity *cap hold at
 * least `need` items. Returns 0 with the (possibly moved) array in *out and
 * *cap updated, or -1 with the array untouched. */
static int meta_grow(void *arr, size_t elem, size_t *cap, size_t need, void **out) {
    *out = arr;
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 8;
    while (n < need) n = n > SIZE_MAX / 2 ? need : n * 2;
    if (n > SIZE_MAX / elem) return -1;
    void *p = realloc(arr, n * elem);
    if (!p) return -1;
    *out = p;
    *cap = n;
    return 0;
}

/* An open-addressing hash map from NUL-terminated names to pointers. Keys
 * are borrowed: they must outlive their entries. */
typedef struct meta_index_slot {
    const char *key;
    void *value;
} meta_index_slot_t;

typedef struct meta_index {
    meta_index_slot_t *slots; /* cap slots, cap a power of two (or 0) */
    size_t cap, count;
} meta_index_t;

/* meta_hash: keyed, so names chosen by a module cannot be made to collide. */
static uint64_t meta_hash(const char *s) { return siphash13(siphash_process_key(), s, strlen(s)); }

/* meta_index_find_slot: the slot holding `key`, or the empty slot where it
 * would go. Requires cap > 0 and at least one empty slot. */
static meta_index_slot_t *meta_index_find_slot(const meta_index_t *ix, const char *key) {
    size_t mask = ix->cap - 1;
    size_t i = (size_t)meta_hash(key) & mask;
    while (ix->slots[i].key && strcmp(ix->slots[i].key, key) != 0) i = (i + 1) & mask;
    return &ix->slots[i];
}

/* meta_index_get: the value stored for key, or NULL. */
static void *meta_index_get(const meta_index_t *ix, const char *key) {
    if (ix->cap == 0) return NULL;
    return meta_index_find_slot(ix, key)->value;
}

/* meta_index_reserve: make room for `extra` more entries (load <= 1/2), so
 * that that many meta_index_put calls cannot fail. Returns 0 or -1 (index
 * unchanged). */
static int meta_index_reserve(meta_index_t *ix, size_t extra) {
    if (extra > SIZE_MAX / 4 - ix->count) return -1;
    size_t need = (ix->count + extra) * 2;
    if (need < ix->cap) return 0;
    size_t cap = ix->cap ? ix->cap : 16;
    while (cap <= need) cap *= 2;
    meta_index_slot_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    meta_index_t grown = {slots, cap, 0};
    for (size_t i = 0; i < ix->cap; i++) {
        if (!ix->slots[i].key) continue;
        *meta_index_find_slot(&grown, ix->slots[i].key) = ix->slots[i];
        grown.count++;
    }
    free(ix->slots);
    *ix = grown;
    return 0;
}

/* meta_index_put: store key -> value (value non-NULL), replacing any
 * previous value. Returns 0, or -1 if memory ran out (index unchanged). */
static int meta_index_put(meta_index_t *ix, const char *key, void *value) {
    if (meta_index_reserve(ix, 1) != 0) return -1;
    meta_index_slot_t *slot = meta_index_find_slot(ix, key);
    if (!slot->key) ix->count++;
    slot->key = key;
    slot->value = value;
    return 0;
}

static void meta_index_free(meta_index_t *ix) {
    free(ix->slots);
    ix->slots = NULL;
    ix->cap = ix->count = 0;
}

/* ------------------------------------------------------------------ */
/* Tables, values, schema, batch                                       */
/* ------------------------------------------------------------------ */

static void meta_table_free(meta_table_t *t) {
    if (!t) return;
    for (size_t i = 0; i < t->ncolumns; i++) free(t->columns[i].name);
    free(t->columns);
    free(t->name);
    free(t);
}

/* meta_table_equal: same name, same column names and types in the same order. */
static bool meta_table_equal(const meta_table_t *a, const meta_table_t *b) {
    if (strcmp(a->name, b->name) != 0 || a->ncolumns != b->ncolumns) return false;
    for (size_t i = 0; i < a->ncolumns; i++) {
        if (a->columns[i].type != b->columns[i].type) return false;
        if (strcmp(a->columns[i].name, b->columns[i].name) != 0) return false;
    }
    return true;
}

/* meta_values_free: free n values (their strings) and the array itself. */
static void meta_values_free(meta_value_t *values, size_t n) {
    if (!values) return;
    for (size_t i = 0; i < n; i++) {
        if (values[i].type == META_STRING && !values[i].is_null) free(values[i].u.s.ptr);
    }
    free(values);
}

static void meta_rows_free(meta_row_t *rows, size_t n) {
    for (size_t i = 0; i < n; i++) meta_values_free(rows[i].values, rows[i].table->ncolumns);
    free(rows);
}

struct meta_schema {
    meta_table_t **tables; /* owned; each table stays at its address */
    size_t count, cap;
    meta_index_t index;    /* name -> meta_table_t* */
};

meta_schema_t *meta_schema_new(void) { return calloc(1, sizeof(meta_schema_t)); }

void meta_schema_free(meta_schema_t *s) {
    if (!s) return;
    for (size_t i = 0; i < s->count; i++) meta_table_free(s->tables[i]);
    free(s->tables);
    meta_index_free(&s->index);
    free(s);
}

const meta_table_t *meta_schema_find(const meta_schema_t *s, const char *name) {
    return meta_index_get(&s->index, name);
}

size_t meta_schema_count(const meta_schema_t *s) { return s->count; }

const meta_table_t *meta_schema_at(const meta_schema_t *s, size_t i) {
    return i < s->count ? s->tables[i] : NULL;
}

void meta_batch_init(meta_batch_t *b) { memset(b, 0, sizeof *b); }

void meta_batch_clear(meta_batch_t *b) {
    free(b->tables);
    meta_rows_free(b->rows, b->nrows);
    meta_batch_init(b);
}

size_t meta_batch_drop_table(meta_batch_t *b, const meta_table_t *t) {
    size_t kept = 0, dropped = 0;
    for (size_t i = 0; i < b->nrows; i++) {
        if (b->rows[i].table == t) {
            meta_values_free(b->rows[i].values, t->ncolumns);
            dropped++;
        } else {
            b->rows[kept++] = b->rows[i];
        }
    }
    b->nrows = kept;
    kept = 0;
    for (size_t i = 0; i < b->ntables; i++)
        if (b->tables[i] != t) b->tables[kept++] = b->tables[i];
    b->ntables = kept;
    return dropped;
}

/* ------------------------------------------------------------------ */
/* Error messages                                                      */
/* ------------------------------------------------------------------ */

/* An untrusted name made safe to quote: printable ASCII except quote and
 * backslash kept, other bytes as \xNN, cut after META_SHOW_INPUT_MAX bytes. */
typedef struct meta_shown {
    char text[META_SHOW_INPUT_MAX * 4 + 4];
} meta_shown_t;

static meta_shown_t meta_show(const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    meta_shown_t out;
    size_t o = 0;
    for (size_t i = 0; i < len && i < META_SHOW_INPUT_MAX; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
            out.text[o++] = (char)c;
        } else {
            out.text[o++] = '\\';
            out.text[o++] = 'x';
            out.text[o++] = hex[c >> 4];
            out.text[o++] = hex[c & 15];
        }
    }
    if (len > META_SHOW_INPUT_MAX) {
        memcpy(out.text + o, "...", 3);
        o += 3;
    }
    out.text[o] = 0;
    return out;
}

static meta_shown_t meta_show_json(const json_t *str) {
    return meta_show(json_string_value(str), json_string_length(str));
}

/* meta_error_finish: hand the message in `msg` to *error (if error is
 * non-NULL), or a fixed out-of-memory text if building it failed. */
static void meta_error_finish(buf_t *msg, bool oom, char **error) {
    if (!error) {
        buf_free(msg);
        return;
    }
    if (oom) {
        buf_free(msg);
        *error = strdup("metadata: out of memory while reporting an error");
        return;
    }
    *error = buf_steal(msg); /* NULL only if even that allocation failed */
}

/* The state of parsing one file: everything here is private until commit. */
typedef struct meta_parse {
    const char *file_name;
    const meta_schema_t *schema;
    buf_t error;
    bool failed, error_oom;
    meta_table_t **new_tables;        /* owned until committed to the schema */
    size_t nnew, new_cap;
    const meta_table_t **file_tables; /* tables this file defines, file order */
    size_t nfile, file_cap;
    meta_index_t file_index;          /* name -> table for file_tables */
    meta_row_t *rows;                 /* owned until committed to the batch */
    size_t nrows, rows_cap;
    meta_mem_t mem;                   /* everything this parse allocates */
    uint64_t deadline_ns;             /* CLOCK_MONOTONIC; 0 = none */
    int status;                       /* META_ERR_* once failed */
    uint64_t row_bytes;               /* cost of the rows parsed (kept if committed) */
    uint64_t table_bytes;             /* cost of the new definitions */
} meta_parse_t;

/* meta_fail: record "<file>: <message>" as the failure (the first one
 * wins) and return -1. */
__attribute__((format(printf, 2, 3)))
static int meta_fail(meta_parse_t *p, const char *fmt, ...) {
    if (p->failed) return -1;
    p->failed = true;
    if (!p->status) p->status = META_ERR_INVALID;
    va_list ap;
    va_start(ap, fmt);
    if (buf_printf(&p->error, "%s: ", p->file_name) != 0 || buf_vprintf(&p->error, fmt, ap) != 0) {
        p->error_oom = true;
    }
    va_end(ap);
    return -1;
}

/* meta_fail_limit: the parse needs more memory than its limit allows. */
static int meta_fail_limit(meta_parse_t *p) {
    if (p->failed) return -1;
    p->status = META_ERR_MEMORY;
    return meta_fail(p, "not parsed: parsing it needs more than the %llu bytes left under the memory limit",
                     (unsigned long long)p->mem.limit);
}

/* meta_fail_oom: an allocation failed: past the parse's limit, or the
 * host itself is out of memory. */
static int meta_fail_oom(meta_parse_t *p) {
    if (p->mem.refused) return meta_fail_limit(p);
    return meta_fail(p, "out of memory");
}

/* meta_fail_timeout: the caller's deadline passed during the parse. */
static int meta_fail_timeout(meta_parse_t *p) {
    if (p->failed) return -1;
    p->status = META_ERR_TIMEOUT;
    return meta_fail(p, "not parsed: the call's time limit ran out while parsing it");
}

/* meta_charge: count n bytes the parse builds itself (rows, definitions)
 * into its memory. Returns 0, or -1 with the limit failure recorded. */
static int meta_charge(meta_parse_t *p, uint64_t n) {
    return meta_mem_take(&p->mem, n) ? 0 : meta_fail_limit(p);
}

/* meta_late: true (with the failure recorded) once the deadline passed. */
static bool meta_late(meta_parse_t *p) {
    if (!p->deadline_ns || meta_now_ns() < p->deadline_ns) return false;
    meta_fail_timeout(p);
    return true;
}

/* meta_fail_json: report a jansson parse error; its text is quoted through
 * meta_show-style escaping because it can echo input bytes. */
static int meta_fail_json(meta_parse_t *p, const json_error_t *jerr) {
    if (p->status == META_ERR_TIMEOUT) return meta_fail_timeout(p);
    if (p->mem.refused) return meta_fail_limit(p);
    if (json_error_code(jerr) == json_error_out_of_memory || jerr->text[0] == 0) {
        return meta_fail(p, "out of memory while parsing JSON"); /* jansson leaves no text then */
    }
    buf_t text = BUF_INIT;
    size_t len = strnlen(jerr->text, sizeof jerr->text);
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)jerr->text[i];
        int rc = (c >= 0x20 && c < 0x7f) ? buf_append_byte(&text, c) : buf_printf(&text, "\\x%02x", c);
        if (rc != 0) {
            buf_free(&text);
            return meta_fail_oom(p);
        }
    }
    meta_fail(p, "invalid JSON at line %d column %d: %s", jerr->line, jerr->column, buf_cstr(&text));
    buf_free(&text);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Parsing tables                                                      */
/* ------------------------------------------------------------------ */

/* meta_name_ok: [A-Za-z_][A-Za-z0-9_]*, 1..META_NAME_MAX bytes, no NUL. */
static bool meta_name_ok(const char *s, size_t len) {
    if (len == 0 || len > META_NAME_MAX) return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        bool digit = c >= '0' && c <= '9';
        if (!alpha && !(digit && i > 0)) return false;
    }
    return true;
}

/* meta_take_name: validate the member `key` of object `obj` as a name and
 * return a malloc'd copy in *out. `what` describes the owner for messages
 * ("table 3", "table 'x' column 2"). Returns 0 or -1 (failure recorded). */
static int meta_take_name(meta_parse_t *p, const json_t *obj, const char *key, const char *what,
                          char **out) {
    const json_t *v = json_object_get(obj, key);
    if (!v) return meta_fail(p, "%s: missing '%s'", what, key);
    if (!json_is_string(v)) {
        return meta_fail(p, "%s: '%s' must be a string, got %s", what, key, meta_json_kind(v));
    }
    if (!meta_name_ok(json_string_value(v), json_string_length(v))) {
        return meta_fail(p, "%s: invalid name '%s' (names must match [A-Za-z_][A-Za-z0-9_]* "
                         "and be at most %d bytes)", what, meta_show_json(v).text, META_NAME_MAX);
    }
    *out = strdup(json_string_value(v));
    return *out ? 0 : meta_fail_oom(p);
}

/* meta_parse_column: fill *col from column object `jc` (index ci) of the
 * table named `table`. Returns 0 or -1. */
static int meta_parse_column(meta_parse_t *p, const char *table, size_t ci, const json_t *jc,
                             meta_column_t *col) {
    char what[META_NAME_MAX + 64];
    snprintf(what, sizeof what, "table '%s' column %zu", table, ci);
    if (!json_is_object(jc)) return meta_fail(p, "%s: must be an object, got %s", what, meta_json_kind(jc));
    if (meta_take_name(p, jc, "name", what, &col->name) != 0) return -1;
    if (meta_charge(p, meta_cost(strlen(col->name) + 1)) != 0) return -1;
    const json_t *dt = json_object_get(jc, "data_type");
    if (!dt) return meta_fail(p, "table '%s' column '%s': missing 'data_type'", table, col->name);
    if (!json_is_string(dt)) {
        return meta_fail(p, "table '%s' column '%s': 'data_type' must be a string, got %s", table,
                         col->name, meta_json_kind(dt));
    }
    if (strlen(json_string_value(dt)) != json_string_length(dt) ||
        meta_type_from_name(json_string_value(dt), &col->type) != 0) {
        return meta_fail(p, "table '%s' column '%s': unknown data_type '%s' (expected Int64, "
                         "Float64, String or Boolean)", table, col->name, meta_show_json(dt).text);
    }
    return 0;
}

/* meta_check_unique_columns: reject a table whose column names repeat. */
static int meta_check_unique_columns(meta_parse_t *p, const meta_table_t *t) {
    meta_index_t seen = {NULL, 0, 0};
    if (meta_index_reserve(&seen, t->ncolumns) != 0) return meta_fail_oom(p);
    int rc = 0;
    for (size_t i = 0; i < t->ncolumns && rc == 0; i++) {
        if (meta_index_get(&seen, t->columns[i].name)) {
            rc = meta_fail(p, "table '%s': duplicate column '%s'", t->name, t->columns[i].name);
        } else {
            meta_index_put(&seen, t->columns[i].name, t->columns[i].name); /* reserved: cannot fail */
        }
    }
    meta_index_free(&seen);
    return rc;
}

/* meta_parse_columns: fill t->columns from the "columns" member of `jt`. */
static int meta_parse_columns(meta_parse_t *p, const json_t *jt, meta_table_t *t) {
    const json_t *cols = json_object_get(jt, "columns");
    if (!cols) return meta_fail(p, "table '%s': missing 'columns'", t->name);
    if (!json_is_array(cols)) {
        return meta_fail(p, "table '%s': 'columns' must be an array, got %s", t->name, meta_json_kind(cols));
    }
    size_t n = json_array_size(cols);
    if (n == 0) return meta_fail(p, "table '%s': a table needs at least one column", t->name);
    if (n > META_MAX_COLUMNS) {
        return meta_fail(p, "table '%s': %zu columns, more than the limit of %d columns per table", t->name, n,
                         META_MAX_COLUMNS);
    }
    if (meta_charge(p, meta_cost(n * sizeof *t->columns)) != 0) return -1;
    t->columns = calloc(n, sizeof *t->columns);
    if (!t->columns) return meta_fail_oom(p);
    for (size_t i = 0; i < n; i++) {
        t->ncolumns = i + 1; /* so meta_table_free frees a partly filled column */
        if (meta_parse_column(p, t->name, i, json_array_get(cols, i), &t->columns[i]) != 0) return -1;
    }
    return meta_check_unique_columns(p, t);
}

/* meta_describe_columns: "(a Int64, b String)" for messages, cut after
 * META_DESCRIBE_COLUMNS columns. Returns 0 or -1. */
static int meta_describe_columns(buf_t *out, const meta_table_t *t) {
    int rc = buf_append_str(out, "(");
    for (size_t i = 0; i < t->ncolumns && i < META_DESCRIBE_COLUMNS && rc == 0; i++) {
        rc = buf_printf(out, "%s%s %s", i ? ", " : "", t->columns[i].name, meta_type_name(t->columns[i].type));
    }
    if (rc == 0 && t->ncolumns > META_DESCRIBE_COLUMNS) rc = buf_printf(out, ", ... %zu columns", t->ncolumns);
    return rc == 0 ? buf_append_str(out, ")") : -1;
}

static int meta_fail_redefined(meta_parse_t *p, const meta_table_t *old, const meta_table_t *now) {
    buf_t was = BUF_INIT, is = BUF_INIT;
    if (meta_describe_columns(&was, old) != 0 || meta_describe_columns(&is, now) != 0) {
        meta_fail_oom(p);
    } else {
        meta_fail(p, "table '%s' is already defined with different columns %s; this definition has %s",
                  now->name, buf_cstr(&was), buf_cstr(&is));
    }
    buf_free(&was);
    buf_free(&is);
    return -1;
}

/* meta_add_file_table: note that this file defines `t` (once per name). */
static int meta_add_file_table(meta_parse_t *p, const meta_table_t *t) {
    void *grown;
    if (meta_grow(p->file_tables, sizeof *p->file_tables, &p->file_cap, p->nfile + 1, &grown) != 0) {
        return meta_fail_oom(p);
    }
    p->file_tables = grown;
    if (meta_index_put(&p->file_index, t->name, (void *)t) != 0) return meta_fail_oom(p);
    p->file_tables[p->nfile++] = t;
    return 0;
}

/* meta_register_table: take ownership of the parsed table `t`: an identical
 * redefinition resolves to the existing table, a new one becomes pending.
 * `t` is freed on every path except becoming pending. Returns 0 or -1. */
static int meta_register_table(meta_parse_t *p, meta_table_t *t) {
    const meta_table_t *in_file = meta_index_get(&p->file_index, t->name);
    const meta_table_t *existing = in_file ? in_file : meta_schema_find(p->schema, t->name);
    if (existing) {
        int rc = meta_table_equal(existing, t) ? 0 : meta_fail_redefined(p, existing, t);
        meta_table_free(t);
        if (rc != 0 || in_file) return rc;
        return meta_add_file_table(p, existing);
    }
    if (meta_schema_count(p->schema) + p->nnew >= META_MAX_TABLES) {
        int rc = meta_fail(p, "table '%s': the module already defines %d tables, the most a module may define",
                           t->name, META_MAX_TABLES);
        meta_table_free(t);
        return rc;
    }
    void *grown;
    if (meta_grow(p->new_tables, sizeof *p->new_tables, &p->new_cap, p->nnew + 1, &grown) != 0) {
        meta_table_free(t);
        return meta_fail_oom(p);
    }
    p->new_tables = grown;
    p->new_tables[p->nnew++] = t;
    return meta_add_file_table(p, t);
}

/* meta_parse_table: parse table entry number `index`. */
static int meta_parse_table(meta_parse_t *p, size_t index, const json_t *jt) {
    char what[64];
    snprintf(what, sizeof what, "table %zu", index);
    if (!json_is_object(jt)) return meta_fail(p, "%s: must be an object, got %s", what, meta_json_kind(jt));
    uint64_t used_before = p->mem.used;
    if (meta_charge(p, meta_cost(sizeof(meta_table_t)) + meta_cost(META_NAME_MAX + 1)) != 0) return -1;
    meta_table_t *t = calloc(1, sizeof *t);
    if (!t) return meta_fail_oom(p);
    if (meta_take_name(p, jt, "name", what, &t->name) != 0 || meta_parse_columns(p, jt, t) != 0) {
        meta_table_free(t);
        return -1;
    }
    size_t nnew = p->nnew;
    if (meta_register_table(p, t) != 0) return -1;
    /* Charged: the definition and its name, columns and column names
     * (counted above), plus an index slot; kept only if it is new. */
    if (p->nnew > nnew) p->table_bytes += p->mem.used - used_before + 2 * sizeof(meta_index_slot_t);
    return 0;
}

static int meta_parse_tables(meta_parse_t *p, const json_t *tables) {
    if (!tables) return 0;
    if (!json_is_array(tables)) return meta_fail(p, "'tables' must be an array, got %s", meta_json_kind(tables));
    for (size_t i = 0; i < json_array_size(tables); i++) {
        if (meta_parse_table(p, i, json_array_get(tables, i)) != 0) return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Parsing rows                                                        */
/* ------------------------------------------------------------------ */

/* Where a value sits, for messages. */
typedef struct meta_value_at {
    const meta_table_t *table;
    size_t row;
    const meta_column_t *column;
} meta_value_at_t;

__attribute__((format(printf, 3, 4)))
static int meta_fail_value(meta_parse_t *p, const meta_value_at_t *at, const char *fmt, ...) {
    buf_t detail = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(&detail, fmt, ap);
    va_end(ap);
    if (rc != 0) {
        meta_fail_oom(p);
    } else {
        meta_fail(p, "table '%s' row %zu column '%s': %s", at->table->name, at->row, at->column->name,
                  buf_cstr(&detail));
    }
    buf_free(&detail);
    return -1;
}

/* meta_convert_payload: check the JSON inside {"<Type>": payload} and store
 * it in *out (out->type already set). Returns 0 or -1. */
static int meta_convert_payload(meta_parse_t *p, const meta_value_at_t *at, const json_t *v, meta_value_t *out) {
    switch (out->type) {
    case META_INT64:
        if (!json_is_integer(v)) return meta_fail_value(p, at, "Int64 value must be a JSON integer, got %s", meta_json_kind(v));
        out->u.i = (int64_t)json_integer_value(v);
        return 0;
    case META_FLOAT64:
        if (!json_is_number(v)) return meta_fail_value(p, at, "Float64 value must be a JSON number, got %s", meta_json_kind(v));
        out->u.f = json_number_value(v);
        if (!isfinite(out->u.f)) return meta_fail_value(p, at, "Float64 value must be finite");
        return 0;
    case META_BOOLEAN:
        if (!json_is_boolean(v)) return meta_fail_value(p, at, "Boolean value must be true or false, got %s", meta_json_kind(v));
        out->u.b = json_is_true(v);
        return 0;
    case META_STRING: break;
    }
    if (!json_is_string(v)) return meta_fail_value(p, at, "String value must be a JSON string, got %s", meta_json_kind(v));
    size_t len = json_string_length(v);
    if (!utf8_valid((const uint8_t *)json_string_value(v), len)) {
        return meta_fail_value(p, at, "String value is not valid UTF-8");
    }
    if (meta_charge(p, meta_cost((uint64_t)len + 1)) != 0) return -1;
    p->row_bytes += meta_cost((uint64_t)len + 1);
    char *copy = malloc(len + 1);
    if (!copy) return meta_fail_oom(p);
    memcpy(copy, json_string_value(v), len);
    copy[len] = 0;
    out->u.s.ptr = copy;
    out->u.s.len = len;
    return 0;
}

/* meta_parse_value: parse `jv` (null or {"<Type>": payload}) for the column
 * at `at` into *out. Returns 0 or -1. */
static int meta_parse_value(meta_parse_t *p, const meta_value_at_t *at, const json_t *jv, meta_value_t *out) {
    meta_type_t want = at->column->type;
    out->type = want;
    out->is_null = json_is_null(jv);
    if (out->is_null) return 0;
    if (!json_is_object(jv)) {
        return meta_fail_value(p, at, "expected null or an object like {\"%s\": ...}, got %s",
                               meta_type_name(want), meta_json_kind(jv));
    }
    if (json_object_size(jv) != 1) {
        return meta_fail_value(p, at, "expected an object with exactly one key (\"%s\"), got %zu keys",
                               meta_type_name(want), json_object_size(jv));
    }
    void *it = json_object_iter((json_t *)jv);
    const char *key = json_object_iter_key(it);
    meta_type_t got;
    if (meta_type_from_name(key, &got) != 0) {
        return meta_fail_value(p, at, "unknown value type '%s' (expected %s)",
                               meta_show(key, strlen(key)).text, meta_type_name(want));
    }
    if (got != want) {
        return meta_fail_value(p, at, "expected %s, got %s", meta_type_name(want), meta_type_name(got));
    }
    return meta_convert_payload(p, at, json_object_iter_value(it), out);
}

/* meta_find_table: a table this file defines, else one in the schema. */
static const meta_table_t *meta_find_table(const meta_parse_t *p, const char *name) {
    const meta_table_t *t = meta_index_get(&p->file_index, name);
    return t ? t : meta_schema_find(p->schema, name);
}

/* meta_row_table: resolve the "table_name" of row `index`. */
static const meta_table_t *meta_row_table(meta_parse_t *p, size_t index, const json_t *jr) {
    const json_t *name = json_object_get(jr, "table_name");
    if (!name) {
        meta_fail(p, "row %zu: missing 'table_name'", index);
        return NULL;
    }
    if (!json_is_string(name)) {
        meta_fail(p, "row %zu: 'table_name' must be a string, got %s", index, meta_json_kind(name));
        return NULL;
    }
    const meta_table_t *t = NULL;
    if (strlen(json_string_value(name)) == json_string_length(name)) t = meta_find_table(p, json_string_value(name));
    if (!t) meta_fail(p, "row %zu: table '%s' is not defined", index, meta_show_json(name).text);
    return t;
}

/* meta_parse_row: parse row entry `index` into *row. Returns 0 or -1. */
static int meta_parse_row(meta_parse_t *p, size_t index, const json_t *jr, meta_row_t *row) {
    if (!json_is_object(jr)) return meta_fail(p, "row %zu: must be an object, got %s", index, meta_json_kind(jr));
    const meta_table_t *t = meta_row_table(p, index, jr);
    if (!t) return -1;
    const json_t *vals = json_object_get(jr, "values");
    if (!vals) return meta_fail(p, "table '%s' row %zu: missing 'values'", t->name, index);
    if (!json_is_array(vals)) {
        return meta_fail(p, "table '%s' row %zu: 'values' must be an array, got %s", t->name, index, meta_json_kind(vals));
    }
    if (json_array_size(vals) != t->ncolumns) {
        return meta_fail(p, "table '%s' row %zu: expected %zu values, got %zu", t->name, index, t->ncolumns,
                         json_array_size(vals));
    }
    uint64_t cost = meta_cost(t->ncolumns * sizeof(meta_value_t)) + sizeof(meta_row_t);
    if (meta_charge(p, cost) != 0) return -1;
    p->row_bytes += cost;
    meta_value_t *values = calloc(t->ncolumns, sizeof *values);
    if (!values) return meta_fail_oom(p);
    for (size_t c = 0; c < t->ncolumns; c++) {
        meta_value_at_t at = {t, index, &t->columns[c]};
        if (meta_parse_value(p, &at, json_array_get(vals, c), &values[c]) != 0) {
            meta_values_free(values, c + 1); /* a failed value owns no string */
            return -1;
        }
    }
    row->table = t;
    row->values = values;
    return 0;
}

static int meta_parse_rows(meta_parse_t *p, const json_t *rows) {
    if (!rows) return 0;
    if (!json_is_array(rows)) return meta_fail(p, "'rows' must be an array, got %s", meta_json_kind(rows));
    size_t n = json_array_size(rows);
    if (meta_charge(p, meta_cost((uint64_t)n * sizeof *p->rows)) != 0) return -1;
    void *grown;
    if (meta_grow(p->rows, sizeof *p->rows, &p->rows_cap, n, &grown) != 0) return meta_fail_oom(p);
    p->rows = grown;
    for (size_t i = 0; i < n; i++) {
        if (i % 256 == 255 && meta_late(p)) return -1;
        if (meta_parse_row(p, i, json_array_get(rows, i), &p->rows[p->nrows]) != 0) return -1;
        p->nrows++;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Whole files                                                         */
/* ------------------------------------------------------------------ */

/* The bytes fed to jansson chunk by chunk, so a parse can stop at the
 * deadline however large the file. */
typedef struct meta_feed {
    meta_parse_t *p;
    const uint8_t *data;
    size_t len, pos;
} meta_feed_t;

#define META_FEED_CHUNK (64 * 1024)

/* meta_feed_next: jansson's load callback; (size_t)-1 stops the parse. */
static size_t meta_feed_next(void *buffer, size_t buflen, void *arg) {
    meta_feed_t *f = arg;
    if (f->p->deadline_ns && meta_now_ns() >= f->p->deadline_ns) {
        f->p->status = META_ERR_TIMEOUT;
        return (size_t)-1;
    }
    if (f->p->mem.refused) return (size_t)-1; /* past the memory limit (see meta_json_malloc) */
    size_t n = f->len - f->pos;
    if (n > buflen) n = buflen;
    if (n > META_FEED_CHUNK) n = META_FEED_CHUNK;
    if (n) memcpy(buffer, f->data + f->pos, n);
    f->pos += n;
    return n;
}

/* meta_load: parse the bytes as JSON and require an object. Returns the
 * root (caller decrefs) or NULL with the failure recorded. */
static json_t *meta_load(meta_parse_t *p, const uint8_t *json, size_t len) {
    json_error_t jerr;
    if (!json && len) {
        meta_fail(p, "no data");
        return NULL;
    }
    meta_feed_t feed = {p, json, len, 0};
    json_t *root = json_load_callback(meta_feed_next, &feed, META_JSON_FLAGS, &jerr);
    if (!root || p->mem.refused) {
        json_decref(root);
        if (root) meta_fail_limit(p);
        else meta_fail_json(p, &jerr);
        return NULL;
    }
    if (!json_is_object(root)) {
        meta_fail(p, "top-level value must be an object, got %s", meta_json_kind(root));
        json_decref(root);
        return NULL;
    }
    return root;
}

/* meta_commit_reserve: make room in schema and batch for everything parsed,
 * so meta_commit cannot fail. Returns 0 or -1 (nothing visible changed). */
static int meta_commit_reserve(meta_parse_t *p, meta_schema_t *s, meta_batch_t *b) {
    void *grown;
    if (meta_grow(s->tables, sizeof *s->tables, &s->cap, s->count + p->nnew, &grown) != 0) return meta_fail_oom(p);
    s->tables = grown;
    if (meta_index_reserve(&s->index, p->nnew) != 0) return meta_fail_oom(p);
    if (meta_grow(b->tables, sizeof *b->tables, &b->tables_cap, b->ntables + p->nfile, &grown) != 0) {
        return meta_fail_oom(p);
    }
    b->tables = grown;
    if (meta_grow(b->rows, sizeof *b->rows, &b->rows_cap, b->nrows + p->nrows, &grown) != 0) return meta_fail_oom(p);
    b->rows = grown;
    return 0;
}

/* meta_commit: move pending tables into the schema and the file's tables
 * and rows into the batch. Space must have been reserved. */
static void meta_commit(meta_parse_t *p, meta_schema_t *s, meta_batch_t *b) {
    for (size_t i = 0; i < p->nnew; i++) {
        s->tables[s->count++] = p->new_tables[i];
        meta_index_put(&s->index, p->new_tables[i]->name, p->new_tables[i]); /* reserved */
    }
    p->nnew = 0;
    /* The batch lists each table once, however many files define it. */
    for (size_t i = 0; i < p->nfile; i++) {
        bool listed = false;
        for (size_t k = 0; k < b->ntables && !listed; k++) listed = b->tables[k] == p->file_tables[i];
        if (!listed) b->tables[b->ntables++] = p->file_tables[i];
    }
    if (p->nrows) memcpy(b->rows + b->nrows, p->rows, p->nrows * sizeof *p->rows);
    b->nrows += p->nrows;
    p->nrows = 0;
}

/* meta_parse_cleanup: free whatever was not committed. */
static void meta_parse_cleanup(meta_parse_t *p) {
    meta_rows_free(p->rows, p->nrows); /* rows first: they point at new tables */
    for (size_t i = 0; i < p->nnew; i++) meta_table_free(p->new_tables[i]);
    free(p->new_tables);
    free(p->file_tables);
    meta_index_free(&p->file_index);
}

/* meta_parse_begin: fresh parse state under the limits (NULL = none). */
static void meta_parse_begin(meta_parse_t *p, const char *file_name, const meta_limits_t *lim) {
    memset(p, 0, sizeof *p);
    p->file_name = file_name;
    meta_mem_begin(&p->mem, lim && lim->max_bytes ? lim->max_bytes : UINT64_MAX);
    p->deadline_ns = lim ? lim->deadline_ns : 0;
}

/* meta_parse_finish: end the accounting; 0, or the failure's META_ERR_*
 * with its message in *error. */
static int meta_parse_finish(meta_parse_t *p, char **error) {
    meta_mem_end();
    if (!p->failed) {
        buf_free(&p->error);
        return 0;
    }
    meta_error_finish(&p->error, p->error_oom, error);
    return p->status ? p->status : META_ERR_INVALID;
}

int meta_parse_file(meta_schema_t *schema, const char *file_name, const uint8_t *json, size_t len,
                    const meta_limits_t *lim, meta_batch_t *batch, meta_usage_t *usage, char **error) {
    meta_parse_t p;
    meta_parse_begin(&p, file_name ? file_name : "(metadata)", lim);
    p.schema = schema;
    if (error) *error = NULL;
    if (usage) memset(usage, 0, sizeof *usage);
    json_t *root = meta_load(&p, json, len);
    if (root && meta_parse_tables(&p, json_object_get(root, "tables")) == 0 &&
        meta_parse_rows(&p, json_object_get(root, "rows")) == 0 && !meta_late(&p) &&
        meta_commit_reserve(&p, schema, batch) == 0) {
        if (usage) {
            usage->row_bytes = p.row_bytes;
            usage->schema_bytes = p.table_bytes;
        }
        meta_commit(&p, schema, batch);
    }
    json_decref(root);
    meta_parse_cleanup(&p);
    return meta_parse_finish(&p, error);
}

/* ------------------------------------------------------------------ */
/* Sub-content descriptors                                             */
/* ------------------------------------------------------------------ */

/* meta_take_u63: read optional member `key` as a non-negative integer.
 * Returns 1 if present (value in *out), 0 if absent, -1 on error. */
static int meta_take_u63(meta_parse_t *p, const json_t *obj, const char *key, uint64_t *out) {
    const json_t *v = json_object_get(obj, key);
    if (!v) return 0;
    if (!json_is_integer(v)) return meta_fail(p, "'%s' must be a non-negative integer, got %s", key, meta_json_kind(v));
    json_int_t n = json_integer_value(v);
    if (n < 0) return meta_fail(p, "'%s' must be a non-negative integer, got %lld", key, (long long)n);
    *out = (uint64_t)n;
    return 1;
}

/* meta_take_filename: the required "filename" string (no NUL) as a copy. */
static int meta_take_filename(meta_parse_t *p, const json_t *root, char **out) {
    const json_t *v = json_object_get(root, "filename");
    if (!v) return meta_fail(p, "missing 'filename'");
    if (!json_is_string(v)) return meta_fail(p, "'filename' must be a string, got %s", meta_json_kind(v));
    if (strlen(json_string_value(v)) != json_string_length(v)) return meta_fail(p, "'filename' must not contain NUL");
    if (json_string_length(v) > META_FILENAME_MAX) {
        return meta_fail(p, "'filename' is %zu bytes, more than the limit of %d", json_string_length(v),
                         META_FILENAME_MAX);
    }
    *out = strdup(json_string_value(v));
    return *out ? 0 : meta_fail_oom(p);
}

/* meta_fill_subcontent: validate the descriptor object into *out. */
static int meta_fill_subcontent(meta_parse_t *p, const json_t *root, meta_subcontent_t *out) {
    uint64_t offset = 0, length = 0;
    int has_offset = meta_take_u63(p, root, "offset", &offset);
    if (has_offset < 0) return -1;
    int has_length = meta_take_u63(p, root, "length", &length);
    if (has_length < 0) return -1;
    if (has_offset != has_length) return meta_fail(p, "'offset' and 'length' must be given together");
    if (meta_take_filename(p, root, &out->filename) != 0) return -1;
    out->is_slice = has_offset == 1;
    out->offset = offset;
    out->length = length;
    return 0;
}

int meta_parse_subcontent(const char *file_name, const uint8_t *json, size_t len, const meta_limits_t *lim,
                          meta_subcontent_t *out, char **error) {
    meta_parse_t p;
    meta_parse_begin(&p, file_name ? file_name : "(subcontent)", lim);
    memset(out, 0, sizeof *out);
    if (error) *error = NULL;
    json_t *root = meta_load(&p, json, len);
    if (root) meta_fill_subcontent(&p, root, out);
    json_decref(root);
    int rc = meta_parse_finish(&p, error);
    if (rc != 0) {
        free(out->filename);
        memset(out, 0, sizeof *out);
    }
    return rc;
}
