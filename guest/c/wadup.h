/* wadup.h — the WADUP C module SDK: one header for modules written in C and
 * compiled to wasm32-wasi (WASI preview1). It owns the guest side of the
 * metadata and sub-content protocols.
 *
 * Usage (stb style): in exactly ONE .c file of the module write
 *
 *     #define WADUP_IMPLEMENTATION
 *     #include "wadup.h"
 *
 * and include "wadup.h" without the define everywhere else. A module is a
 * WASI reactor that exports
 *
 *     WADUP_EXPORT("process") int process(void) { ...; return 0; }
 *
 * returning 0 on success (anything else reports a failure for the current
 * content). It reads the content from /data.bin, and may call the
 * functions below.
 *
 * Build (see docs/writing-modules-c.md):
 *     clang-19 --target=wasm32-wasi --sysroot=SYSROOT -O2 -mexec-model=reactor \
 *         -Iguest/c -o module.wasm module.c
 *
 * All functions return 0 on success and -1 on error; nothing aborts (an
 * allocation failure is an error return). Strings passed in are copied or
 * rendered immediately, so they may be freed after the call returns.
 *
 * Not thread-safe: wasm32-wasi modules here are single-threaded, and the
 * SDK keeps its state in plain globals. That state persists across
 * contents because wadup reuses an instance for many contents. */
#ifndef WADUP_H
#define WADUP_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* WADUP_EXPORT(name): export a function from the module under `name`. */
#define WADUP_EXPORT(name) __attribute__((export_name(name)))

typedef enum { WADUP_INT64, WADUP_FLOAT64, WADUP_STRING, WADUP_BOOLEAN } wadup_type;

typedef struct {
    const char *name;
    wadup_type type;
} wadup_column;

/* A cell value. Build it with the constructors below; a null value matches
 * a column of any type. */
typedef struct {
    wadup_type type;
    int is_null;
    union {
        int64_t i;
        double f;
        int b;
        struct { const char *ptr; size_t len; } s; /* not copied until inserted */
    } u;
} wadup_value;

static inline wadup_value wadup_null(void) {
    wadup_value v = {WADUP_INT64, 1, {0}};
    return v;
}
static inline wadup_value wadup_int64(int64_t x) {
    wadup_value v = {WADUP_INT64, 0, {0}};
    v.u.i = x;
    return v;
}
/* wadup_float64: x must be finite, or wadup_insert_row fails. */
static inline wadup_value wadup_float64(double x) {
    wadup_value v = {WADUP_FLOAT64, 0, {0}};
    v.u.f = x;
    return v;
}
/* wadup_string_n: len bytes from s; may contain NUL bytes and invalid UTF-8
 * (each invalid sequence becomes U+FFFD). s == NULL gives null. */
static inline wadup_value wadup_string_n(const char *s, size_t len) {
    if (!s) return wadup_null();
    wadup_value v = {WADUP_STRING, 0, {0}};
    v.u.s.ptr = s;
    v.u.s.len = len;
    return v;
}
/* wadup_string: a NUL-terminated string; NULL gives null. */
static inline wadup_value wadup_string(const char *s) { return wadup_string_n(s, s ? strlen(s) : 0); }
static inline wadup_value wadup_bool(int x) {
    wadup_value v = {WADUP_BOOLEAN, 0, {0}};
    v.u.b = x != 0;
    return v;
}

/* wadup_define_table: declare a table. Names must match
 * [A-Za-z_][A-Za-z0-9_]* and be at most 64 bytes; at least one column;
 * column names unique. Defining the same table again identically is fine
 * (do it in every process() call if convenient); a different definition of
 * an existing name fails. The table is sent with the next wadup_flush. */
int wadup_define_table(const char *name, const wadup_column *columns, size_t ncolumns);

/* wadup_insert_row: queue a row for a table defined earlier in this
 * instance. Fails (and queues nothing) if the table is unknown, nvalues is
 * not its column count, a value's type differs from its column's, or a
 * float is NaN or infinite. */
int wadup_insert_row(const char *table, const wadup_value *values, size_t nvalues);

/* WADUP_ROW(table, v1, v2, ...): wadup_insert_row with an inline array. */
#define WADUP_ROW(table, ...)                                                  \
    wadup_insert_row((table), (const wadup_value[]){__VA_ARGS__},              \
                     sizeof((const wadup_value[]){__VA_ARGS__}) / sizeof(wadup_value))

/* wadup_flush: write everything queued (tables defined or used since the
 * last flush, and rows) as one JSON document to /metadata/output_<k>.json
 * and close it, which hands it to the host. No-op when nothing is queued.
 * On failure the queue is kept. Call it before process() returns. */
int wadup_flush(void);

/* wadup_emit_bytes: emit len bytes as a new sub-content called `filename`
 * (/subcontent/data_N.bin, then /subcontent/metadata_N.json). */
int wadup_emit_bytes(const void *data, size_t len, const char *filename);

/* wadup_emit_slice: emit bytes [offset, offset+length) of the current
 * content as a sub-content without copying. offset and length must be at
 * most INT64_MAX; the host checks them against the content size. */
int wadup_emit_slice(uint64_t offset, uint64_t length, const char *filename);

/* wadup_filename: the current content's WADUP_FILENAME, or "unknown".
 * wadup_getenv: the value of an environment variable (e.g.
 * WADUP_CONTENT_UUID, WADUP_DEPTH), or NULL. Both read the environment
 * afresh from the host on every call (libc's getenv() would return the
 * first content's values forever, since instances are reused). The result
 * stays valid until a later call sees a changed environment, i.e. at most
 * until the next content. */
const char *wadup_filename(void);
const char *wadup_getenv(const char *name);

#endif /* WADUP_H */

/* ====================================================================== */
#ifdef WADUP_IMPLEMENTATION
#ifndef WADUP_IMPLEMENTATION_DONE
#define WADUP_IMPLEMENTATION_DONE
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __wasi__
#include <wasi/api.h>
#endif

#define WADUP__NAME_MAX 64

/* ---- growable text buffer ---- */

typedef struct {
    char *data;
    size_t len, cap;
} wadup__buf;

/* wadup__reserve: room for `extra` more bytes plus a NUL. 0 or -1. */
static int wadup__reserve(wadup__buf *b, size_t extra) {
    if (extra > SIZE_MAX - b->len - 1) return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = (char *)realloc(b->data, cap);
    if (!p) return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

static int wadup__append(wadup__buf *b, const void *data, size_t len) {
    if (wadup__reserve(b, len) != 0) return -1;
    if (len) memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
    return 0;
}

static int wadup__append_str(wadup__buf *b, const char *s) { return wadup__append(b, s, strlen(s)); }

static void wadup__buf_free(wadup__buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- JSON rendering ---- */

/* wadup__utf8_len: length (2..4) of the well-formed multi-byte UTF-8
 * sequence at s, or 0 (overlong, surrogate, > U+10FFFF, truncated). */
static size_t wadup__utf8_len(const unsigned char *s, size_t avail) {
    unsigned char c = s[0];
    size_t n;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) { n = 2; min = 0x80; cp = c & 0x1Fu; }
    else if ((c & 0xF0) == 0xE0) { n = 3; min = 0x800; cp = c & 0x0Fu; }
    else if ((c & 0xF8) == 0xF0) { n = 4; min = 0x10000; cp = c & 0x07u; }
    else return 0;
    if (avail < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

/* wadup__escape_ascii: the escape for an ASCII byte, or NULL if it is
 * written as is. `tmp` (7 bytes) holds \u00XX forms. */
static const char *wadup__escape_ascii(unsigned char c, char tmp[7]) {
    static const char hex[] = "0123456789abcdef";
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\b': return "\\b";
    case '\f': return "\\f";
    default: break;
    }
    if (c >= 0x20) return NULL;
    memcpy(tmp, "\\u00", 4);
    tmp[4] = hex[c >> 4];
    tmp[5] = hex[c & 15];
    tmp[6] = 0;
    return tmp;
}

/* wadup__append_json_string: append s[0..len) as a quoted JSON string;
 * ill-formed UTF-8 becomes \ufffd, control bytes and NUL are escaped. */
static int wadup__append_json_string(wadup__buf *b, const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    if (wadup__append(b, "\"", 1) != 0) return -1;
    size_t i = 0;
    while (i < len) {
        char tmp[7];
        int rc;
        size_t step = 1;
        if (p[i] < 0x80) {
            const char *esc = wadup__escape_ascii(p[i], tmp);
            rc = esc ? wadup__append_str(b, esc) : wadup__append(b, p + i, 1);
        } else if ((step = wadup__utf8_len(p + i, len - i)) != 0) {
            rc = wadup__append(b, p + i, step);
        } else {
            step = 1;
            rc = wadup__append_str(b, "\\ufffd");
        }
        if (rc != 0) return -1;
        i += step;
    }
    return wadup__append(b, "\"", 1);
}

static int wadup__append_cstring(wadup__buf *b, const char *s) {
    return wadup__append_json_string(b, s, strlen(s));
}

static const char *wadup__type_name(wadup_type t) {
    switch (t) {
    case WADUP_INT64: return "Int64";
    case WADUP_FLOAT64: return "Float64";
    case WADUP_STRING: return "String";
    case WADUP_BOOLEAN: return "Boolean";
    }
    return NULL;
}

/* wadup__append_value: {"Int64":1}, {"Float64":2.5}, {"String":"s"},
 * {"Boolean":true} or null. The value must have been checked. */
static int wadup__append_value(wadup__buf *b, const wadup_value *v) {
    char num[40];
    if (v->is_null) return wadup__append_str(b, "null");
    if (wadup__append_str(b, "{\"") != 0 || wadup__append_str(b, wadup__type_name(v->type)) != 0 ||
        wadup__append_str(b, "\":") != 0) {
        return -1;
    }
    int rc = 0;
    switch (v->type) {
    case WADUP_INT64:
        snprintf(num, sizeof num, "%" PRId64, v->u.i);
        rc = wadup__append_str(b, num);
        break;
    case WADUP_FLOAT64:
        snprintf(num, sizeof num, "%.17g", v->u.f); /* finite: always a JSON number */
        rc = wadup__append_str(b, num);
        break;
    case WADUP_STRING: rc = wadup__append_json_string(b, v->u.s.ptr, v->u.s.len); break;
    case WADUP_BOOLEAN: rc = wadup__append_str(b, v->u.b ? "true" : "false"); break;
    }
    return rc == 0 ? wadup__append_str(b, "}") : -1;
}

/* ---- files ---- */

/* wadup__write_file: create/truncate `path`, write all bytes, close it.
 * On a write error the file is unlinked before closing, so the host never
 * sees a partial file. 0 or -1. */
static int wadup__write_file(const char *path, const void *data, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    const unsigned char *p = (const unsigned char *)data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n <= 0) {
            unlink(path);
            close(fd);
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return close(fd) == 0 ? 0 : -1;
}

/* ---- tables and the row queue ---- */

typedef struct {
    char *name;
    wadup_type type;
} wadup__column;

typedef struct {
    char *name;
    wadup__column *columns;
    size_t ncolumns;
    int to_send; /* defined or used since the last successful flush */
} wadup__table;

static wadup__table *wadup__tables;
static size_t wadup__ntables, wadup__tables_cap;
static wadup__buf wadup__rows;       /* rendered rows, comma-separated */
static unsigned long long wadup__flush_count;
static unsigned long long wadup__emit_count;

/* wadup__name_ok: the host's naming rule. */
static int wadup__name_ok(const char *s) {
    if (!s) return 0;
    size_t len = strlen(s);
    if (len == 0 || len > WADUP__NAME_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        int digit = c >= '0' && c <= '9';
        if (!alpha && !(digit && i > 0)) return 0;
    }
    return 1;
}

static wadup__table *wadup__find_table(const char *name) {
    for (size_t i = 0; i < wadup__ntables; i++) {
        if (strcmp(wadup__tables[i].name, name) == 0) return &wadup__tables[i];
    }
    return NULL;
}

/* wadup__columns_ok: valid names and types, no duplicates. */
static int wadup__columns_ok(const wadup_column *columns, size_t n) {
    if (!columns || n == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        if (!wadup__name_ok(columns[i].name) || !wadup__type_name(columns[i].type)) return 0;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(columns[i].name, columns[j].name) == 0) return 0;
        }
    }
    return 1;
}

static int wadup__same_columns(const wadup__table *t, const wadup_column *columns, size_t n) {
    if (t->ncolumns != n) return 0;
    for (size_t i = 0; i < n; i++) {
        if (t->columns[i].type != columns[i].type || strcmp(t->columns[i].name, columns[i].name) != 0) return 0;
    }
    return 1;
}

static void wadup__table_free(wadup__table *t) {
    for (size_t i = 0; i < t->ncolumns; i++) free(t->columns[i].name);
    free(t->columns);
    free(t->name);
}

/* wadup__table_copy: fill *t with copies of name and columns. 0 or -1. */
static int wadup__table_copy(wadup__table *t, const char *name, const wadup_column *columns, size_t n) {
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    t->columns = (wadup__column *)calloc(n, sizeof *t->columns);
    if (!t->name || !t->columns) {
        wadup__table_free(t);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        t->ncolumns = i + 1;
        t->columns[i].type = columns[i].type;
        t->columns[i].name = strdup(columns[i].name);
        if (!t->columns[i].name) {
            wadup__table_free(t);
            return -1;
        }
    }
    t->to_send = 1;
    return 0;
}

int wadup_define_table(const char *name, const wadup_column *columns, size_t ncolumns) {
    if (!wadup__name_ok(name) || !wadup__columns_ok(columns, ncolumns)) return -1;
    wadup__table *existing = wadup__find_table(name);
    if (existing) {
        if (!wadup__same_columns(existing, columns, ncolumns)) return -1;
        existing->to_send = 1;
        return 0;
    }
    if (wadup__ntables == wadup__tables_cap) {
        size_t cap = wadup__tables_cap ? wadup__tables_cap * 2 : 8;
        if (cap > SIZE_MAX / sizeof *wadup__tables) return -1;
        wadup__table *grown = (wadup__table *)realloc(wadup__tables, cap * sizeof *wadup__tables);
        if (!grown) return -1;
        wadup__tables = grown;
        wadup__tables_cap = cap;
    }
    if (wadup__table_copy(&wadup__tables[wadup__ntables], name, columns, ncolumns) != 0) return -1;
    wadup__ntables++;
    return 0;
}

/* wadup__values_ok: count, types and finiteness against table t. */
static int wadup__values_ok(const wadup__table *t, const wadup_value *values, size_t n) {
    if (n != t->ncolumns || (n && !values)) return 0;
    for (size_t i = 0; i < n; i++) {
        const wadup_value *v = &values[i];
        if (v->is_null) continue;
        if (v->type != t->columns[i].type) return 0;
        if (v->type == WADUP_FLOAT64 && !isfinite(v->u.f)) return 0;
        if (v->type == WADUP_STRING && !v->u.s.ptr) return 0;
    }
    return 1;
}

/* wadup__append_row: {"table_name":T,"values":[...]} after a comma if needed. */
static int wadup__append_row(wadup__buf *b, const wadup__table *t, const wadup_value *values) {
    if ((b->len && wadup__append_str(b, ",") != 0) || wadup__append_str(b, "{\"table_name\":") != 0 ||
        wadup__append_cstring(b, t->name) != 0 || wadup__append_str(b, ",\"values\":[") != 0) {
        return -1;
    }
    for (size_t i = 0; i < t->ncolumns; i++) {
        if ((i && wadup__append_str(b, ",") != 0) || wadup__append_value(b, &values[i]) != 0) return -1;
    }
    return wadup__append_str(b, "]}");
}

int wadup_insert_row(const char *table, const wadup_value *values, size_t nvalues) {
    wadup__table *t = table ? wadup__find_table(table) : NULL;
    if (!t || !wadup__values_ok(t, values, nvalues)) return -1;
    size_t before = wadup__rows.len;
    if (wadup__append_row(&wadup__rows, t, values) != 0) {
        wadup__rows.len = before; /* drop the partial row */
        if (wadup__rows.data) wadup__rows.data[before] = 0;
        return -1;
    }
    t->to_send = 1;
    return 0;
}

/* wadup__append_table: {"name":T,"columns":[{"name":C,"data_type":D},...]} */
static int wadup__append_table(wadup__buf *b, const wadup__table *t) {
    if (wadup__append_str(b, "{\"name\":") != 0 || wadup__append_cstring(b, t->name) != 0 ||
        wadup__append_str(b, ",\"columns\":[") != 0) {
        return -1;
    }
    for (size_t i = 0; i < t->ncolumns; i++) {
        if ((i && wadup__append_str(b, ",") != 0) || wadup__append_str(b, "{\"name\":") != 0 ||
            wadup__append_cstring(b, t->columns[i].name) != 0 || wadup__append_str(b, ",\"data_type\":\"") != 0 ||
            wadup__append_str(b, wadup__type_name(t->columns[i].type)) != 0 || wadup__append_str(b, "\"}") != 0) {
            return -1;
        }
    }
    return wadup__append_str(b, "]}");
}

/* wadup__render_document: the whole metadata document into *doc. */
static int wadup__render_document(wadup__buf *doc) {
    if (wadup__append_str(doc, "{\"tables\":[") != 0) return -1;
    int first = 1;
    for (size_t i = 0; i < wadup__ntables; i++) {
        if (!wadup__tables[i].to_send) continue;
        if ((!first && wadup__append_str(doc, ",") != 0) || wadup__append_table(doc, &wadup__tables[i]) != 0) return -1;
        first = 0;
    }
    if (wadup__append_str(doc, "],\"rows\":[") != 0 || wadup__append(doc, wadup__rows.data, wadup__rows.len) != 0) {
        return -1;
    }
    return wadup__append_str(doc, "]}");
}

static int wadup__queue_empty(void) {
    if (wadup__rows.len) return 0;
    for (size_t i = 0; i < wadup__ntables; i++) {
        if (wadup__tables[i].to_send) return 0;
    }
    return 1;
}

int wadup_flush(void) {
    if (wadup__queue_empty()) return 0;
    wadup__buf doc = {NULL, 0, 0};
    char path[64];
    snprintf(path, sizeof path, "/metadata/output_%llu.json", wadup__flush_count);
    int rc = wadup__render_document(&doc);
    if (rc == 0) rc = wadup__write_file(path, doc.data, doc.len);
    wadup__buf_free(&doc);
    if (rc != 0) return -1;
    wadup__flush_count++;
    wadup__rows.len = 0;
    if (wadup__rows.data) wadup__rows.data[0] = 0;
    for (size_t i = 0; i < wadup__ntables; i++) wadup__tables[i].to_send = 0;
    return 0;
}

/* ---- sub-content ---- */

/* wadup__emit_descriptor: write /subcontent/metadata_N.json for `filename`,
 * with offset/length when is_slice. */
static int wadup__emit_descriptor(unsigned long long n, const char *filename, int is_slice, uint64_t offset,
                                  uint64_t length) {
    wadup__buf doc = {NULL, 0, 0};
    char path[64], tail[64];
    snprintf(path, sizeof path, "/subcontent/metadata_%llu.json", n);
    if (is_slice) {
        snprintf(tail, sizeof tail, ",\"offset\":%" PRIu64 ",\"length\":%" PRIu64 "}", offset, length);
    } else {
        snprintf(tail, sizeof tail, "}");
    }
    int rc = (wadup__append_str(&doc, "{\"filename\":") != 0 || wadup__append_cstring(&doc, filename) != 0 ||
              wadup__append_str(&doc, tail) != 0) ? -1 : wadup__write_file(path, doc.data, doc.len);
    wadup__buf_free(&doc);
    return rc;
}

int wadup_emit_bytes(const void *data, size_t len, const char *filename) {
    if (!filename || (len && !data)) return -1;
    unsigned long long n = wadup__emit_count++;
    char path[64];
    snprintf(path, sizeof path, "/subcontent/data_%llu.bin", n);
    if (wadup__write_file(path, data, len) != 0) return -1;
    if (wadup__emit_descriptor(n, filename, 0, 0, 0) != 0) {
        unlink(path);
        return -1;
    }
    return 0;
}

int wadup_emit_slice(uint64_t offset, uint64_t length, const char *filename) {
    if (!filename || offset > (uint64_t)INT64_MAX || length > (uint64_t)INT64_MAX) return -1;
    return wadup__emit_descriptor(wadup__emit_count++, filename, 1, offset, length);
}

/* ---- environment ---- */

#ifdef __wasi__
static char *wadup__env;       /* "K=V\0K=V\0..." plus a final NUL */
static size_t wadup__env_size; /* bytes of environment data */
static size_t wadup__env_count;

/* wadup__env_refresh: read the environment from the host. Keeps the old
 * copy (and pointers into it) when nothing changed. 0 or -1. */
static int wadup__env_refresh(void) {
    __wasi_size_t count = 0, size = 0;
    if (__wasi_environ_sizes_get(&count, &size) != 0) return -1;
    if ((size_t)count > SIZE_MAX / sizeof(uint8_t *) - 1 || (size_t)size == SIZE_MAX) return -1;
    uint8_t **ptrs = (uint8_t **)malloc(((size_t)count + 1) * sizeof *ptrs);
    char *data = (char *)malloc((size_t)size + 1);
    int rc = (ptrs && data) ? 0 : -1;
    if (rc == 0 && __wasi_environ_get(ptrs, (uint8_t *)data) != 0) rc = -1;
    free(ptrs);
    if (rc != 0) {
        free(data);
        return -1;
    }
    data[size] = 0;
    if (wadup__env && wadup__env_size == size && wadup__env_count == count && memcmp(wadup__env, data, size) == 0) {
        free(data); /* unchanged: earlier results stay valid */
        return 0;
    }
    free(wadup__env);
    wadup__env = data;
    wadup__env_size = size;
    wadup__env_count = count;
    return 0;
}
#endif

const char *wadup_getenv(const char *name) {
    if (!name || !*name || strchr(name, '=')) return NULL;
#ifndef __wasi__
    return getenv(name); /* native builds (SDK tests): the process environment */
#else
    if (wadup__env_refresh() != 0) return NULL;
    size_t name_len = strlen(name);
    const char *p = wadup__env, *end = wadup__env + wadup__env_size;
    for (size_t i = 0; i < wadup__env_count && p < end; i++) {
        size_t entry_len = strlen(p); /* bounded: the copy ends with a NUL */
        if (entry_len > name_len && memcmp(p, name, name_len) == 0 && p[name_len] == '=') return p + name_len + 1;
        p += entry_len + 1;
    }
    return NULL;
#endif
}

const char *wadup_filename(void) {
    const char *name = wadup_getenv("WADUP_FILENAME");
    return name ? name : "unknown";
}

#endif /* WADUP_IMPLEMENTATION_DONE */
#endif /* WADUP_IMPLEMENTATION */
