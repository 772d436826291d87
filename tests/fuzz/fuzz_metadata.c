/* fuzz_metadata.c — libFuzzer harness for metadata parsing and validation
 * (src/meta/metadata.h): meta_parse_file into one schema and batch that
 * persist across the files of an input, meta_parse_subcontent,
 * meta_batch_drop_table and meta_batch_clear, under memory limits from
 * unlimited down to a few bytes and with deadlines already past.
 *
 * Input: one byte of flags, then records [op:u8][len:u16 LE][len bytes].
 * op % 8: 0-3 metadata file, 4 sub-content descriptor, 5 drop a batch
 * table, 6 clear the batch, 7 start a new schema; op / 8 picks the limit.
 * scripts/fuzz-corpus.sh writes the project's JSON examples in this form.
 *
 * Checked after every call:
 *  - the result is 0 or a META_ERR_*; a parse with a deadline already
 *    passed times out; an unlimited parse never reports memory/timeout;
 *  - on failure: *error is a message starting with the file name, valid
 *    UTF-8, and the schema and the batch are exactly as before (same
 *    tables at the same addresses, same rows with the same values);
 *  - on success: *error is NULL; old tables and rows are untouched; new
 *    tables are appended; every batch table is in the schema and listed
 *    once; every row's table is in the schema and its values have the
 *    column types (floats finite, strings NUL-terminated valid UTF-8);
 *    names match [A-Za-z_][A-Za-z0-9_]{0,63}, tables have 1..1000 unique
 *    columns, a schema at most 1000 tables; the usage reported fits the
 *    memory limit;
 *  - sub-content descriptors: a filename that is valid UTF-8 without NUL
 *    and at most META_FILENAME_MAX bytes, offsets below 2^63; on failure
 *    the output is zeroed;
 *  - dropping a table removes exactly its rows and keeps the others' order.
 * ASan/LSan catch memory errors and leaks (including jansson's tree).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_common.h"
#include "meta/metadata.h"
#include "util/utf8.h"

#define FZ_FILE_NAME "/metadata/fuzz.json"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A copy of what the schema and the batch held before a call. */
typedef struct snapshot {
    const meta_table_t **schema_tables;
    size_t nschema;
    const meta_table_t **batch_tables;
    size_t nbatch_tables;
    meta_row_t *rows;
    size_t nrows;
} snapshot_t;

/* snapshot_take: record the schema's table addresses and the batch's
 * tables and rows (row structs, whose value arrays stay owned by the batch). */
static void snapshot_take(snapshot_t *s, const meta_schema_t *schema, const meta_batch_t *b) {
    s->nschema = meta_schema_count(schema);
    s->schema_tables = malloc((s->nschema + 1) * sizeof *s->schema_tables);
    s->nbatch_tables = b->ntables;
    s->batch_tables = malloc((b->ntables + 1) * sizeof *s->batch_tables);
    s->nrows = b->nrows;
    s->rows = malloc((b->nrows + 1) * sizeof *s->rows);
    FZ_CHECK(s->schema_tables && s->batch_tables && s->rows, "out of memory taking a snapshot");
    for (size_t i = 0; i < s->nschema; i++) s->schema_tables[i] = meta_schema_at(schema, i);
    if (b->ntables) memcpy(s->batch_tables, b->tables, b->ntables * sizeof *b->tables);
    if (b->nrows) memcpy(s->rows, b->rows, b->nrows * sizeof *b->rows);
}

/* snapshot_free: release what snapshot_take copied. */
static void snapshot_free(snapshot_t *s) {
    free(s->schema_tables);
    free(s->batch_tables);
    free(s->rows);
}

/* check_prefix_kept: the schema and batch still start with the snapshot
 * (exactly equal when `exact`). */
static void check_prefix_kept(const snapshot_t *s, const meta_schema_t *schema, const meta_batch_t *b, bool exact) {
    size_t n = meta_schema_count(schema);
    FZ_CHECK(exact ? n == s->nschema : n >= s->nschema, "schema had %zu tables, now %zu", s->nschema, n);
    for (size_t i = 0; i < s->nschema; i++)
        FZ_CHECK(meta_schema_at(schema, i) == s->schema_tables[i], "schema table %zu moved or changed", i);
    FZ_CHECK(exact ? b->ntables == s->nbatch_tables : b->ntables >= s->nbatch_tables, "batch tables %zu -> %zu",
             s->nbatch_tables, b->ntables);
    for (size_t i = 0; i < s->nbatch_tables; i++)
        FZ_CHECK(b->tables[i] == s->batch_tables[i], "batch table %zu changed", i);
    FZ_CHECK(exact ? b->nrows == s->nrows : b->nrows >= s->nrows, "batch rows %zu -> %zu", s->nrows, b->nrows);
    if (s->nrows) FZ_CHECK(memcmp(b->rows, s->rows, s->nrows * sizeof *s->rows) == 0, "old batch rows changed");
}

/* name_ok: [A-Za-z_][A-Za-z0-9_]*, 1..META_NAME_MAX bytes. */
static bool name_ok(const char *s) {
    size_t len = strlen(s);
    if (len == 0 || len > META_NAME_MAX) return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

/* check_table: a definition as the protocol promises. */
static void check_table(const meta_table_t *t) {
    FZ_CHECK(t && t->name && name_ok(t->name), "bad table name");
    FZ_CHECK(t->ncolumns >= 1 && t->ncolumns <= META_MAX_COLUMNS, "table '%s' has %zu columns", t->name,
             t->ncolumns);
    for (size_t i = 0; i < t->ncolumns; i++) {
        FZ_CHECK(t->columns[i].name && name_ok(t->columns[i].name), "table '%s' column %zu name", t->name, i);
        FZ_CHECK((unsigned)t->columns[i].type <= META_BOOLEAN, "column type %d", (int)t->columns[i].type);
        for (size_t k = 0; k < i && t->ncolumns <= 64; k++)
            FZ_CHECK(strcmp(t->columns[k].name, t->columns[i].name) != 0, "duplicate column '%s'",
                     t->columns[i].name);
    }
}

/* check_row: the row's table is in the schema and its values fit. */
static void check_row(const meta_schema_t *schema, const meta_row_t *r) {
    FZ_CHECK(r->table && meta_schema_find(schema, r->table->name) == r->table, "row table not in the schema");
    FZ_CHECK(r->values != NULL, "row without values");
    for (size_t i = 0; i < r->table->ncolumns; i++) {
        const meta_value_t *v = &r->values[i];
        FZ_CHECK(v->type == r->table->columns[i].type, "value %zu type %d, column %d", i, (int)v->type,
                 (int)r->table->columns[i].type);
        if (v->is_null) continue;
        if (v->type == META_FLOAT64)
            FZ_CHECK(v->u.f - v->u.f == 0.0, "non-finite Float64 in column %zu", i);
        if (v->type == META_STRING) {
            FZ_CHECK(v->u.s.ptr && v->u.s.ptr[v->u.s.len] == 0, "String not NUL-terminated");
            FZ_CHECK(utf8_valid((const uint8_t *)v->u.s.ptr, v->u.s.len), "String not valid UTF-8");
        }
    }
}

/* check_state: the whole schema and batch are consistent. */
static void check_state(const meta_schema_t *schema, const meta_batch_t *b, size_t first_new_row) {
    size_t n = meta_schema_count(schema);
    FZ_CHECK(n <= META_MAX_TABLES, "schema holds %zu tables", n);
    for (size_t i = 0; i < n; i++) {
        const meta_table_t *t = meta_schema_at(schema, i);
        check_table(t);
        FZ_CHECK(meta_schema_find(schema, t->name) == t, "schema index misses '%s'", t->name);
    }
    FZ_CHECK(meta_schema_at(schema, n) == NULL, "meta_schema_at past the end");
    for (size_t i = 0; i < b->ntables; i++) {
        FZ_CHECK(meta_schema_find(schema, b->tables[i]->name) == b->tables[i], "batch table not in the schema");
        for (size_t k = 0; k < i && b->ntables <= 256; k++)
            FZ_CHECK(b->tables[k] != b->tables[i], "batch lists table '%s' twice", b->tables[i]->name);
    }
    for (size_t i = first_new_row; i < b->nrows; i++) check_row(schema, &b->rows[i]);
}

/* limit_for: the memory limit that selector k picks for a file of len bytes. */
static uint64_t limit_for(unsigned k, size_t len) {
    switch (k % 8) {
    case 0: return 0; /* unlimited */
    case 1: return 1;
    case 2: return 100 + len;
    case 3: return 4096;
    case 4: return 2 * (uint64_t)len + 1024;
    case 5: return 8 * (uint64_t)len + 4096;
    case 6: return 65536;
    default: return 1u << 20;
    }
}

/* now_ns: CLOCK_MONOTONIC in nanoseconds. */
static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* check_rc: the common checks of a parse result and its message. */
static void check_rc(int rc, const meta_limits_t *lim, char *error) {
    FZ_CHECK(rc == 0 || rc == META_ERR_INVALID || rc == META_ERR_MEMORY || rc == META_ERR_TIMEOUT, "rc %d", rc);
    if (lim && lim->deadline_ns) FZ_CHECK(rc == META_ERR_TIMEOUT, "a parse past its deadline returned %d", rc);
    if (!lim || (!lim->max_bytes && !lim->deadline_ns))
        FZ_CHECK(rc == 0 || rc == META_ERR_INVALID, "an unlimited parse returned %d", rc);
    if (rc == 0) {
        FZ_CHECK(error == NULL, "success with an error message: %s", error);
        return;
    }
    FZ_CHECK(error != NULL, "failure %d without a message", rc);
    FZ_CHECK(strncmp(error, FZ_FILE_NAME ": ", strlen(FZ_FILE_NAME) + 2) == 0, "message without the file: %s",
             error);
    FZ_CHECK(utf8_valid((const uint8_t *)error, strlen(error)), "message is not valid UTF-8");
}

/* do_parse_file: one metadata file against the persistent schema/batch. */
static void do_parse_file(meta_schema_t *schema, meta_batch_t *b, const uint8_t *json, size_t len,
                          const meta_limits_t *lim) {
    snapshot_t s;
    snapshot_take(&s, schema, b);
    meta_usage_t usage;
    char *error = (char *)"not touched";
    int rc = meta_parse_file(schema, FZ_FILE_NAME, json, len, lim, b, &usage, &error);
    check_rc(rc, lim, error);
    if (rc != 0) {
        check_prefix_kept(&s, schema, b, true);
        free(error);
    } else {
        check_prefix_kept(&s, schema, b, false);
        check_state(schema, b, s.nrows);
        if (lim && lim->max_bytes)
            FZ_CHECK(usage.row_bytes + usage.schema_bytes <= lim->max_bytes, "usage %llu+%llu over limit %llu",
                     (unsigned long long)usage.row_bytes, (unsigned long long)usage.schema_bytes,
                     (unsigned long long)lim->max_bytes);
        if (b->nrows == s.nrows && meta_schema_count(schema) == s.nschema)
            FZ_CHECK(usage.row_bytes == 0 && usage.schema_bytes == 0, "usage without rows or tables");
    }
    snapshot_free(&s);
}

/* do_parse_subcontent: one sub-content descriptor. */
static void do_parse_subcontent(const uint8_t *json, size_t len, const meta_limits_t *lim) {
    meta_subcontent_t out;
    memset(&out, 0xa5, sizeof out);
    char *error = (char *)"not touched";
    int rc = meta_parse_subcontent(FZ_FILE_NAME, json, len, lim, &out, &error);
    check_rc(rc, lim, error);
    if (rc != 0) {
        static const meta_subcontent_t zero;
        FZ_CHECK(memcmp(&out, &zero, sizeof out) == 0, "failed descriptor parse left output");
        free(error);
        return;
    }
    size_t n = strlen(out.filename);
    FZ_CHECK(n <= META_FILENAME_MAX, "filename of %zu bytes", n);
    FZ_CHECK(utf8_valid((const uint8_t *)out.filename, n), "filename is not valid UTF-8");
    FZ_CHECK(out.offset <= INT64_MAX && out.length <= INT64_MAX, "offset/length past 2^63-1");
    FZ_CHECK(out.is_slice || (out.offset == 0 && out.length == 0), "offset/length without a slice");
    free(out.filename);
}

/* do_drop_table: drop the batch table chosen by `pick` and check what went. */
static void do_drop_table(meta_schema_t *schema, meta_batch_t *b, unsigned pick) {
    /* A batch lists the tables its calls defined; rows may also use tables
     * defined by earlier calls, so either kind can be dropped. */
    if (b->ntables + b->nrows == 0) return;
    size_t k = pick % (b->ntables + b->nrows);
    const meta_table_t *t = k < b->ntables ? b->tables[k] : b->rows[k - b->ntables].table;
    bool listed = false;
    for (size_t i = 0; i < b->ntables; i++) listed |= b->tables[i] == t;
    size_t expect = 0;
    for (size_t i = 0; i < b->nrows; i++) expect += b->rows[i].table == t;
    snapshot_t s;
    snapshot_take(&s, schema, b);
    size_t dropped = meta_batch_drop_table(b, t);
    FZ_CHECK(dropped == expect, "dropped %zu rows, expected %zu", dropped, expect);
    FZ_CHECK(b->nrows == s.nrows - expect && b->ntables == s.nbatch_tables - listed, "counts after drop");
    k = 0;
    for (size_t i = 0; i < s.nrows; i++) {
        if (s.rows[i].table == t) continue;
        FZ_CHECK(memcmp(&b->rows[k++], &s.rows[i], sizeof s.rows[i]) == 0, "row %zu changed by the drop", i);
    }
    for (size_t i = 0; i < b->ntables; i++) FZ_CHECK(b->tables[i] != t, "dropped table still listed");
    snapshot_free(&s);
}

/* LLVMFuzzerTestOneInput: libFuzzer's entry point: one input, checked as
 * described at the top of this file; returns 0 (failures abort). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_in_t in = {data, size};
    uint8_t flags = fz_u8(&in);
    meta_schema_t *schema = meta_schema_new();
    FZ_CHECK(schema != NULL, "out of memory");
    meta_batch_t batch;
    meta_batch_init(&batch);
    while (!fz_done(&in)) {
        uint8_t op = fz_u8(&in);
        size_t len;
        const uint8_t *json = fz_bytes(&in, 65535, &len);
        static const uint8_t empty[1];
        if (!json || len == 0) json = empty; /* a valid pointer for zero bytes */
        meta_limits_t lim = {limit_for(op / 8u + flags, len), 0};
        if ((flags & 0x80) && (op & 0x38) == 0x38) lim.deadline_ns = now_ns() > 1 ? now_ns() - 1 : 1; /* already passed */
        const meta_limits_t *limp = (flags & 0x40) && !lim.max_bytes && !lim.deadline_ns ? NULL : &lim;
        switch (op % 8) {
        case 4: do_parse_subcontent(json, len, limp); break;
        case 5: do_drop_table(schema, &batch, op / 8u); break;
        case 6: meta_batch_clear(&batch); break;
        case 7:
            meta_batch_clear(&batch);
            meta_schema_free(schema);
            schema = meta_schema_new();
            FZ_CHECK(schema != NULL, "out of memory");
            break;
        default: do_parse_file(schema, &batch, json, len, limp); break;
        }
    }
    check_state(schema, &batch, 0);
    meta_batch_clear(&batch);
    meta_schema_free(schema);
    return 0;
}
