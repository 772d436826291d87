/* fuzz_export.c — libFuzzer harness for the results export
 * (src/store/export.h): NDJSON and Elasticsearch _bulk documents from a
 * results database that the input describes.
 *
 * The first byte picks how the database is built:
 *  - store mode (even): through the store itself (store_open,
 *    store_submit_module, store_submit_content with module runs whose
 *    metadata batches come from meta_parse_file on JSON in the input,
 *    store_close), with untrusted-looking names, file names and outputs
 *    (invalid UTF-8 included) — the databases wadup really writes;
 *  - raw mode (odd): the store's own schema (taken once from a database
 *    store_open created), filled with sqlite3 directly with values of any
 *    SQLite type in any column, metadata_tables entries naming physical
 *    tables that may or may not exist, and any user_version.
 * Then export_database runs in both formats into memory streams.
 *
 * Checked: export never crashes, leaks or invokes UB (ASan, UBSan); a
 * database written by the store always exports; a failed export returns
 * -1 with a message; otherwise the NDJSON output has exactly one line per
 * document, every line a JSON object whose doc_type is content,
 * module_output or row, with every field of its document type present
 * (values may be null); the _bulk output is the same documents, each
 * preceded by an action line {"index":{"_index":INDEX,...}}; in store
 * mode there is one content document per content stored.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "fuzz_common.h"
#include "meta/metadata.h"
#include "store/export.h"
#include "store/store.h"
#include "util/buf.h"

#define FZ_MAX_MODULES 3
#define FZ_MAX_CONTENTS 12
#define FZ_MAX_RUNS 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ------------------------------------------------------------------ */
/* the scratch directory and the schema template                       */

static char fz_dir[64];          /* a private directory for databases */
static char **fz_schema_sql;     /* CREATE statements of an empty store database */
static size_t fz_schema_n;

/* db_path: "<dir>/<name>" into out (PATH_MAX-sized). */
static void db_path(char *out, size_t len, const char *name) { snprintf(out, len, "%s/%s", fz_dir, name); }

/* remove_db: delete a database and its WAL/shared-memory files. */
static void remove_db(const char *path) {
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[512];
    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

/* load_schema: open an empty database made by store_open/store_close and
 * keep its CREATE statements (tables first, then indexes). */
static void load_schema(void) {
    char path[512], *err = NULL;
    db_path(path, sizeof path, "template.db");
    remove_db(path);
    store_options_t o = {.path = path, .force = true};
    store_t *s;
    FZ_CHECK(store_open(&o, &s, &err) == 0, "store_open: %s", err ? err : "?");
    FZ_CHECK(store_close(s, &err) == 0, "store_close: %s", err ? err : "?");
    sqlite3 *db;
    sqlite3_stmt *st;
    FZ_CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "open template");
    FZ_CHECK(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type = 'index', rowid",
                                -1, &st, NULL) == SQLITE_OK, "read template schema");
    while (sqlite3_step(st) == SQLITE_ROW) {
        char **grown = realloc(fz_schema_sql, (fz_schema_n + 1) * sizeof *grown);
        FZ_CHECK(grown != NULL, "out of memory");
        fz_schema_sql = grown;
        const unsigned char *sql = sqlite3_column_text(st, 0);
        fz_schema_sql[fz_schema_n++] = fz_dup(sql, strlen((const char *)sql));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    remove_db(path);
    FZ_CHECK(fz_schema_n >= 4, "template schema has %zu statements", fz_schema_n);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
/* LLVMFuzzerInitialize: once per process: a private scratch directory (in
 * /dev/shm when possible) and the store's schema. */
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fz_dir, sizeof fz_dir, "%s/wadup-fuzz-export.XXXXXX", base);
    FZ_CHECK(mkdtemp(fz_dir) != NULL, "mkdtemp %s", fz_dir);
    load_schema();
    return 0;
}

/* ------------------------------------------------------------------ */
/* untrusted-looking values                                            */

/* pick_text: a malloc'd string: one of a few interesting fixed ones, or
 * bytes from the input (NUL-free, possibly invalid UTF-8). */
static char *pick_text(fz_in_t *in, size_t max) {
    static const char *const fixed[] = {"a",   "data.bin", "\xc3\xa9t\xc3\xa9.txt", "\xff\xfe", "x\"y\\z\n",
                                        "",    "doc_type", "_module",               "col_doc_type", "Contents",
                                        "\xed\xa0\x80", "wadup_x"};
    uint8_t k = fz_u8(in);
    if (k < 0xc0) return fz_dup(fixed[k % (sizeof fixed / sizeof *fixed)], strlen(fixed[k % (sizeof fixed / sizeof *fixed)]));
    size_t len;
    const uint8_t *p = fz_bytes(in, max, &len);
    char *s = fz_dup(p, len);
    for (size_t i = 0; i < len; i++)
        if (!s[i]) s[i] = '?';
    return s;
}

/* pick_bytes: captured output bytes into b (any bytes). */
static void pick_bytes(fz_in_t *in, buf_t *b) {
    size_t len;
    const uint8_t *p = fz_bytes(in, 300, &len);
    FZ_CHECK(buf_append(b, p, len) == 0, "out of memory");
}

/* ------------------------------------------------------------------ */
/* store mode                                                          */

typedef struct fz_module {
    char *name;
    meta_schema_t *schema;
} fz_module_t;

/* make_result: one module run's result, its metadata parsed from input
 * JSON with the module's persistent schema. */
static void make_result(fz_in_t *in, fz_module_t *m, eng_result_t *r) {
    static const char *const kinds[] = {ENG_KIND_MODULE_ERROR, ENG_KIND_EXIT, ENG_KIND_METADATA, "timeout",
                                        ENG_KIND_MEMORY_LIMIT};
    eng_result_init(r);
    uint8_t f = fz_u8(in);
    r->success = f & 1;
    if (!r->success) {
        r->error_kind = kinds[(f >> 1) % (sizeof kinds / sizeof *kinds)];
        r->error = pick_text(in, 200);
    }
    r->exit_code = (int8_t)fz_u8(in);
    if (f & 2) pick_bytes(in, &r->out);
    if (f & 4) pick_bytes(in, &r->err);
    r->out_truncated = f & 8;
    r->err_truncated = f & 16;
    r->duration_ms = fz_u16(in) / 8.0;
    r->peak_memory = fz_u32(in);
    if (f & 32) {
        size_t len;
        const uint8_t *json = fz_bytes(in, 4000, &len);
        char *error = NULL;
        meta_parse_file(m->schema, "/metadata/fuzz.json", json, len, NULL, &r->metadata, NULL, &error);
        free(error);
    }
}

/* make_content: content number id (1-based) with its runs. */
static void make_content(fz_in_t *in, int64_t id, fz_module_t *mods, size_t nmods, store_content_t *c) {
    static const char *const statuses[] = {"success", "failed", "duplicate", "skipped"};
    memset(c, 0, sizeof *c);
    uint8_t f = fz_u8(in);
    c->id = id;
    c->parent_id = (f & 1) && id > 1 ? 1 + (int64_t)fz_below(in, (size_t)id - 1) : 0;
    c->root_id = c->parent_id ? 1 : id;
    snprintf(c->uuid, sizeof c->uuid, "%08llx-0000-4000-8000-%012llx", (unsigned long long)id,
             (unsigned long long)fz_u32(in));
    c->depth = c->parent_id ? 1 + fz_u8(in) % 10 : 0;
    c->filename = pick_text(in, 120);
    c->source_path = c->parent_id ? NULL : pick_text(in, 120);
    c->size = fz_u32(in);
    c->has_sha256 = f & 2;
    for (int i = 0; i < 32; i++) c->sha256[i] = fz_u8(in);
    c->status = statuses[(f >> 2) % 4];
    c->error = (f & 16) ? pick_text(in, 200) : NULL;
    c->duplicate_of = (f & 32) && id > 1 ? 1 + (int64_t)fz_below(in, (size_t)id - 1) : 0;
    c->limits_hit = (f & 64) ? pick_text(in, 40) : NULL;
    c->is_slice = f & 128;
    c->slice_offset = fz_u16(in);
    c->started_at = 1.7e9 + fz_u32(in) / 1000.0;
    c->duration_ms = fz_u16(in);
    size_t nruns = nmods ? fz_u8(in) % (FZ_MAX_RUNS + 1) : 0;
    if (nruns > nmods) nruns = nmods;
    c->runs = calloc(nruns ? nruns : 1, sizeof *c->runs);
    FZ_CHECK(c->runs != NULL, "out of memory");
    for (size_t i = 0; i < nruns; i++) { /* each module at most once per content */
        c->runs[i].module = mods[i].name;
        make_result(in, &mods[i], &c->runs[i].result);
    }
    c->nruns = nruns;
}

/* build_with_store: write a database through the store; returns the
 * number of contents written, or -1 if the store refused (allowed only
 * for reasons the input chose, never checked further). */
static long build_with_store(fz_in_t *in, const char *path) {
    store_options_t o = {.path = path, .force = true};
    store_t *s;
    char *err = NULL;
    FZ_CHECK(store_open(&o, &s, &err) == 0, "store_open: %s", err ? err : "?");
    fz_module_t mods[FZ_MAX_MODULES];
    size_t nmods = 1 + fz_u8(in) % FZ_MAX_MODULES;
    for (size_t i = 0; i < nmods; i++) {
        mods[i].name = pick_text(in, 40);
        for (size_t k = 0; k < i; k++)
            if (strcmp(mods[k].name, mods[i].name) == 0) { /* module names are unique (file names) */
                free(mods[i].name);
                mods[i].name = fz_dup("dup", 3);
                mods[i].name[2] = (char)('0' + i);
            }
        mods[i].schema = meta_schema_new();
        FZ_CHECK(mods[i].schema != NULL, "out of memory");
        store_submit_module(s, mods[i].name, "/m.wasm", "reactor", "k", "ok", NULL);
    }
    long n = 0;
    while (!fz_done(in) && n < FZ_MAX_CONTENTS) {
        store_content_t c;
        make_content(in, n + 1, mods, nmods, &c);
        store_submit_content(s, &c);
        n++;
    }
    int rc = store_close(s, &err);
    FZ_CHECK(rc == 0, "the store failed on module data: %s", err ? err : "?");
    for (size_t i = 0; i < nmods; i++) {
        free(mods[i].name);
        meta_schema_free(mods[i].schema);
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* raw mode                                                            */

/* bind_any: bind a value of a type the input picks. */
static void bind_any(fz_in_t *in, sqlite3_stmt *st, int i) {
    size_t len;
    const uint8_t *p;
    uint64_t bits;
    double d;
    switch (fz_u8(in) % 6) {
    case 0: sqlite3_bind_null(st, i); break;
    case 1: sqlite3_bind_int64(st, i, (sqlite3_int64)fz_u64(in)); break;
    case 2:
        bits = fz_u64(in);
        memcpy(&d, &bits, sizeof d);
        sqlite3_bind_double(st, i, d);
        break;
    case 3: sqlite3_bind_int64(st, i, (sqlite3_int64)fz_u8(in)); break;
    case 4:
        p = fz_bytes(in, 200, &len);
        sqlite3_bind_blob(st, i, p, (int)len, SQLITE_TRANSIENT);
        break;
    default:
        p = fz_bytes(in, 200, &len);
        sqlite3_bind_text(st, i, (const char *)p, (int)len, SQLITE_TRANSIENT);
        break;
    }
}

/* raw_insert: run `sql` (with n placeholders) once with values from the
 * input; constraint failures are fine (the row is just not there). */
static void raw_insert(fz_in_t *in, sqlite3 *db, const char *sql, int n) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return;
    for (int i = 1; i <= n; i++) bind_any(in, st, i);
    sqlite3_step(st);
    sqlite3_finalize(st);
}

/* raw_table: a physical metadata table with input column names, listed
 * in metadata_tables (or a listing without a table). */
static void raw_table(fz_in_t *in, sqlite3 *db) {
    char *name = pick_text(in, 30), *module = pick_text(in, 30), *col = pick_text(in, 30);
    char *sql_table = sqlite3_mprintf("%s@%s", name, module);
    char *create = sqlite3_mprintf("CREATE TABLE \"%w\" (_content INTEGER, \"%w\", _module TEXT)", sql_table, col);
    if (fz_u8(in) % 4) sqlite3_exec(db, create, NULL, NULL, NULL);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO metadata_tables VALUES (?, ?, ?, '[]', 1)", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, module, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, sql_table, -1, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_finalize(st);
    }
    char *ins = sqlite3_mprintf("INSERT INTO \"%w\" VALUES (?, ?, ?)", sql_table);
    for (int k = fz_u8(in) % 4; k > 0; k--) raw_insert(in, db, ins, 3);
    sqlite3_free(ins);
    sqlite3_free(create);
    sqlite3_free(sql_table);
    free(name);
    free(module);
    free(col);
}

/* build_raw: the store's schema filled directly. */
static void build_raw(fz_in_t *in, const char *path) {
    sqlite3 *db;
    FZ_CHECK(sqlite3_open(path, &db) == SQLITE_OK, "open %s", path);
    sqlite3_exec(db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF; BEGIN", NULL, NULL, NULL);
    for (size_t i = 0; i < fz_schema_n; i++) sqlite3_exec(db, fz_schema_sql[i], NULL, NULL, NULL);
    char version[48];
    snprintf(version, sizeof version, "PRAGMA user_version=%d", (int)(int8_t)fz_u8(in));
    sqlite3_exec(db, version, NULL, NULL, NULL);
    for (int steps = 0; !fz_done(in) && steps < 40; steps++) {
        switch (fz_u8(in) % 3) {
        case 0: raw_insert(in, db, "INSERT INTO contents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", 17); break;
        case 1: raw_insert(in, db, "INSERT INTO module_runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", 12); break;
        default: raw_table(in, db); break;
        }
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
}

/* ------------------------------------------------------------------ */
/* checking the output                                                 */

/* check_fields: every field of a document of this doc_type is present. */
static void check_fields(json_t *doc, const char *line) {
    static const char *const content[] = {"content_uuid", "filename", "parent_uuid", "processed_at", "status",
                                          "error_message", "depth", "size", "sha256", "duplicate_of",
                                          "limits_hit", NULL};
    static const char *const output[] = {"content_uuid", "module_name", "processed_at", "stdout", "stderr",
                                         "stdout_truncated", "stderr_truncated", "status", "error_kind",
                                         "error", NULL};
    static const char *const row[] = {"content_uuid", "_module", "_table", "processed_at", NULL};
    const char *type = json_string_value(json_object_get(doc, "doc_type"));
    FZ_CHECK(type != NULL, "document without doc_type: %s", line);
    const char *const *fields = strcmp(type, "content") == 0         ? content
                                : strcmp(type, "module_output") == 0 ? output
                                : strcmp(type, "row") == 0           ? row
                                                                     : NULL;
    FZ_CHECK(fields != NULL, "unknown doc_type '%s'", type);
    for (size_t i = 0; fields[i]; i++)
        FZ_CHECK(json_object_get(doc, fields[i]) != NULL, "%s document without '%s': %s", type, fields[i], line);
    const char *at = json_string_value(json_object_get(doc, "processed_at"));
    FZ_CHECK(at && strlen(at) >= 20 && at[strlen(at) - 1] == 'Z', "processed_at is not RFC 3339: %s", line);
}

/* parse_line: the JSON object on one output line (caller decrefs). */
static json_t *parse_line(const char *line, size_t len) {
    json_error_t e;
    json_t *v = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
    FZ_CHECK(v != NULL, "output line is not JSON (%s): %.*s", e.text, (int)len, line);
    FZ_CHECK(json_is_object(v), "output line is not an object: %.*s", (int)len, line);
    return v;
}

/* check_action: an _bulk action line for index `index`. */
static void check_action(const char *line, size_t len, const char *index) {
    json_t *a = parse_line(line, len);
    json_t *meta = json_object_get(a, "index");
    FZ_CHECK(json_object_size(a) == 1 && json_is_object(meta), "bad action line: %.*s", (int)len, line);
    const char *ix = json_string_value(json_object_get(meta, "_index"));
    FZ_CHECK(ix && strcmp(ix, index) == 0, "action for another index: %.*s", (int)len, line);
    json_decref(a);
}

/* next_line: the line at *pos of [buf, buf+size) (without '\n'); false at
 * the end. Every line must end with '\n'. */
static bool next_line(const char *buf, size_t size, size_t *pos, const char **line, size_t *len) {
    if (*pos >= size) return false;
    const char *nl = memchr(buf + *pos, '\n', size - *pos);
    FZ_CHECK(nl != NULL, "output does not end with a newline");
    *line = buf + *pos;
    *len = (size_t)(nl - *line);
    *pos = (size_t)(nl - buf) + 1;
    return true;
}

/* run_export: export `path` in `format` into a malloc'd buffer. */
static long run_export(const char *path, export_format_t format, const char *index, char **buf, size_t *size,
                       long *contents) {
    FILE *out = open_memstream(buf, size);
    FZ_CHECK(out != NULL, "open_memstream");
    char *err = NULL;
    long docs = export_database(path, format, index, out, &err);
    FZ_CHECK(fclose(out) == 0, "closing the memory stream");
    if (docs < 0) {
        FZ_CHECK(err != NULL && err[0], "failed export without a message");
        free(err);
        return -1;
    }
    FZ_CHECK(err == NULL, "successful export with a message");
    *contents = 0;
    size_t pos = 0, len, n = 0;
    const char *line;
    while (next_line(*buf, *size, &pos, &line, &len)) {
        n++;
        if (format == EXPORT_ES_BULK && n % 2 == 1) {
            check_action(line, len, index);
            continue;
        }
        json_t *doc = parse_line(line, len);
        check_fields(doc, line);
        *contents += strcmp(json_string_value(json_object_get(doc, "doc_type")), "content") == 0;
        json_decref(doc);
    }
    FZ_CHECK(n == (size_t)docs * (format == EXPORT_ES_BULK ? 2 : 1), "%zu lines for %ld documents", n, docs);
    return docs;
}

/* check_same_docs: the _bulk output is the NDJSON documents, in order,
 * each after its action line. */
static void check_same_docs(const char *nd, size_t nd_size, const char *es, size_t es_size) {
    size_t p1 = 0, p2 = 0, l1, l2;
    const char *a, *b;
    while (next_line(nd, nd_size, &p1, &a, &l1)) {
        FZ_CHECK(next_line(es, es_size, &p2, &b, &l2), "bulk output ends early");
        FZ_CHECK(next_line(es, es_size, &p2, &b, &l2), "bulk output ends early");
        FZ_CHECK(l1 == l2 && memcmp(a, b, l1) == 0, "bulk document differs: %.*s vs %.*s", (int)l1, a, (int)l2, b);
    }
    FZ_CHECK(p2 == es_size, "bulk output has extra lines");
}

/* LLVMFuzzerTestOneInput: libFuzzer's entry point: one input, checked as
 * described at the top of this file; returns 0 (failures abort). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const indexes[] = {"wadup", "results-2024", "\xc3\xa9t\xc3\xa9", "a\"b\\c"};
    fz_in_t in = {data, size};
    uint8_t mode = fz_u8(&in);
    const char *index = indexes[(mode >> 1) % 4];
    char path[512];
    db_path(path, sizeof path, "results.db");
    remove_db(path);
    long stored = -1;
    if (mode & 1) build_raw(&in, path);
    else stored = build_with_store(&in, path);
    char *nd = NULL, *es = NULL;
    size_t nd_size = 0, es_size = 0;
    long nd_contents = 0, es_contents = 0;
    long n1 = run_export(path, EXPORT_NDJSON, index, &nd, &nd_size, &nd_contents);
    long n2 = run_export(path, EXPORT_ES_BULK, index, &es, &es_size, &es_contents);
    FZ_CHECK(n1 == n2, "ndjson exported %ld documents, es-bulk %ld", n1, n2);
    if (stored >= 0) {
        FZ_CHECK(n1 >= 0, "a database the store wrote failed to export");
        FZ_CHECK(nd_contents == stored, "%ld content documents for %ld contents", nd_contents, stored);
    }
    if (n1 >= 0) check_same_docs(nd, nd_size, es, es_size);
    free(nd);
    free(es);
    remove_db(path);
    return 0;
}
