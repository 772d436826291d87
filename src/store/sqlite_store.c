/* sqlite_store.c — the SQLite results database and its writer thread
 * (see store.h). Layout: schema; opening and resuming; the item queue;
 * writing items; the writer thread; closing. */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/utf8.h"

#define STORE_SCHEMA_VERSION 1
#define STORE_DEFAULT_QUEUE 2048
#define STORE_COMMIT_ROWS 200000
#define STORE_COMMIT_SECONDS 0.5
/* Producers wake the writer only once this many items wait; otherwise the
 * writer looks again after STORE_POLL_MS (fewer wake-ups, same latency). */
#define STORE_WAKE_ITEMS 256
#define STORE_POLL_MS 2

static const char store_schema[] =
    "CREATE TABLE IF NOT EXISTS contents ("
    " id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, parent_id INTEGER, root_id INTEGER NOT NULL,"
    " depth INTEGER NOT NULL, filename TEXT NOT NULL, source_path TEXT, size INTEGER NOT NULL, sha256 TEXT,"
    " status TEXT NOT NULL, error TEXT, duplicate_of INTEGER, limits_hit TEXT, slice_offset INTEGER,"
    " started_at REAL, duration_ms REAL, subtree_complete INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS module_runs ("
    " content_id INTEGER NOT NULL, module TEXT NOT NULL, status TEXT NOT NULL, error_kind TEXT,"
    " exit_code INTEGER, error TEXT, stdout TEXT, stderr TEXT, stdout_truncated INTEGER NOT NULL,"
    " stderr_truncated INTEGER NOT NULL, duration_ms REAL, peak_memory INTEGER, PRIMARY KEY (content_id, module))"
    " WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS modules (name TEXT PRIMARY KEY, path TEXT, kind TEXT, cache_key TEXT,"
    " status TEXT NOT NULL, error TEXT);"
    "CREATE TABLE IF NOT EXISTS metadata_tables (name TEXT PRIMARY KEY, module TEXT NOT NULL,"
    " columns TEXT NOT NULL);";

/* Secondary indexes are built once at the end of a run (cheaper than
 * maintaining them row by row); a resumed run works without them. */
static const char store_indexes[] =
    "CREATE UNIQUE INDEX IF NOT EXISTS contents_uuid ON contents(uuid);"
    "CREATE INDEX IF NOT EXISTS contents_parent ON contents(parent_id);"
    "CREATE INDEX IF NOT EXISTS contents_root ON contents(root_id);";

static const char *const store_reserved_tables[] = {"contents", "module_runs", "modules", "metadata_tables"};

bool store_reserved_table(const char *name) {
    for (size_t i = 0; i < sizeof store_reserved_tables / sizeof *store_reserved_tables; i++)
        if (strcasecmp(name, store_reserved_tables[i]) == 0) return true;
    return strncasecmp(name, "sqlite_", 7) == 0 || strncasecmp(name, "wadup_", 6) == 0;
}

bool store_reserved_column(const char *name) {
    return strcasecmp(name, "_content") == 0 || strcasecmp(name, "_module") == 0;
}

/* ---- items ---- */

typedef enum { ITEM_CONTENT, ITEM_ROOT_DONE, ITEM_MODULE } item_kind_t;

typedef struct store_item {
    item_kind_t kind;
    struct store_item *next;
    store_content_t content;          /* ITEM_CONTENT */
    int64_t root_id;                  /* ITEM_ROOT_DONE */
    char *text[6];                    /* ITEM_MODULE: name, path, kind, key, status, error */
} store_item_t;

/* A metadata table the writer has created, with its insert statement. */
typedef struct store_table {
    char *name;
    size_t ncolumns;
    sqlite3_stmt *insert;
} store_table_t;

typedef struct completed_root { char *path; } completed_root_t;

struct store {
    sqlite3 *db;
    char *path;
    pthread_t writer;
    bool writer_started;
    pthread_mutex_t lock;
    pthread_cond_t has_items, has_room;
    store_item_t *head, *tail;
    size_t queued, max_queue;
    bool closing;
    /* writer state */
    sqlite3_stmt *ins_content, *ins_run, *ins_module, *root_done, *ins_meta_table;
    store_table_t *tables;
    size_t ntables, tables_cap;
    bool in_txn;
    size_t txn_rows;
    double txn_started;
    char *error;                      /* first failure */
    atomic_bool failed;               /* error != NULL, readable without the lock */
    /* resume state */
    char **done_paths;                /* sorted */
    size_t ndone;
    int64_t next_id;
};

static double store_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void store_set_error(store_t *s, const char *what) {
    pthread_mutex_lock(&s->lock);
    if (!s->error) {
        buf_t m = BUF_INIT;
        buf_printf(&m, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
        s->error = buf_steal(&m);
        atomic_store(&s->failed, true);
    }
    pthread_mutex_unlock(&s->lock);
}

static int store_exec(store_t *s, const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        sqlite3_free(msg);
        store_set_error(s, sql);
        return -1;
    }
    return 0;
}

static int store_prepare(store_t *s, const char *sql, sqlite3_stmt **st) {
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
        store_set_error(s, "preparing a statement");
        return -1;
    }
    return 0;
}

/* ---- resume ---- */

static int store_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

bool store_root_done(const store_t *s, const char *source_path) {
    return s->ndone && bsearch(&source_path, s->done_paths, s->ndone, sizeof *s->done_paths, store_cmp_str);
}

int64_t store_next_id(const store_t *s) { return s->next_id; }

/* store_load_resume: completed roots, the next id, and removal of every
 * row of roots whose subtree was not completed (they are redone). */
static int store_load_resume(store_t *s) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT source_path FROM contents WHERE parent_id IS NULL AND subtree_complete = 1",
                           -1, &st, NULL) != SQLITE_OK) {
        store_set_error(s, "reading completed contents");
        return -1;
    }
    size_t cap = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(st, 0);
        if (!p) continue;
        if (s->ndone == cap) {
            cap = cap ? cap * 2 : 1024;
            char **grown = realloc(s->done_paths, cap * sizeof *grown);
            if (!grown) { sqlite3_finalize(st); return -1; }
            s->done_paths = grown;
        }
        if (!(s->done_paths[s->ndone] = strdup(p))) { sqlite3_finalize(st); return -1; }
        s->ndone++;
    }
    sqlite3_finalize(st);
    qsort(s->done_paths, s->ndone, sizeof *s->done_paths, store_cmp_str);
    /* Remove partial subtrees from every metadata table, then the rest. */
    if (store_exec(s, "BEGIN; CREATE TEMP TABLE redo AS SELECT id FROM contents WHERE root_id IN"
                      " (SELECT id FROM contents WHERE parent_id IS NULL AND subtree_complete = 0);") != 0)
        return -1;
    if (sqlite3_prepare_v2(s->db, "SELECT name FROM metadata_tables", -1, &st, NULL) != SQLITE_OK) {
        store_set_error(s, "listing metadata tables");
        return -1;
    }
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        buf_t sql = BUF_INIT;
        buf_printf(&sql, "DELETE FROM \"%s\" WHERE _content IN (SELECT id FROM redo);", sqlite3_column_text(st, 0));
        rc = store_exec(s, buf_cstr(&sql));
        buf_free(&sql);
    }
    sqlite3_finalize(st);
    if (rc == 0)
        rc = store_exec(s, "DELETE FROM module_runs WHERE content_id IN (SELECT id FROM redo);"
                           "DELETE FROM contents WHERE id IN (SELECT id FROM redo); DROP TABLE redo; COMMIT;");
    if (rc != 0) return -1;
    if (sqlite3_prepare_v2(s->db, "SELECT COALESCE(MAX(id), 0) + 1 FROM contents", -1, &st, NULL) != SQLITE_OK)
        return -1;
    s->next_id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 1;
    sqlite3_finalize(st);
    return 0;
}

static int store_hex_nibble(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

void store_each_hash(store_t *s, void (*fn)(void *ctx, const uint8_t sha[32], int64_t id), void *ctx) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT sha256, id FROM contents WHERE sha256 IS NOT NULL AND status != 'duplicate'",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *hex = (const char *)sqlite3_column_text(st, 0);
        uint8_t sha[32];
        bool ok = hex && strlen(hex) == 64;
        for (int i = 0; ok && i < 32; i++) {
            int hi = store_hex_nibble(hex[2 * i]), lo = store_hex_nibble(hex[2 * i + 1]);
            ok = hi >= 0 && lo >= 0;
            sha[i] = (uint8_t)(hi * 16 + lo);
        }
        if (ok) fn(ctx, sha, sqlite3_column_int64(st, 1));
    }
    sqlite3_finalize(st);
}

/* store_table_from_json: a table definition from metadata_tables.columns. */
static int store_table_from_json(const char *name, const char *columns, meta_table_t *t) {
    json_t *arr = json_loads(columns, 0, NULL);
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    t->name = (char *)name;
    t->ncolumns = 0;
    t->columns = calloc(n ? n : 1, sizeof *t->columns);
    int rc = arr && t->columns && n ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *c = json_array_get(arr, i);
        const char *cname = json_string_value(json_object_get(c, "name"));
        const char *type = json_string_value(json_object_get(c, "data_type"));
        meta_type_t ty = META_STRING;
        if (!cname || !type) { rc = -1; break; }
        if (strcmp(type, "Int64") == 0) ty = META_INT64;
        else if (strcmp(type, "Float64") == 0) ty = META_FLOAT64;
        else if (strcmp(type, "Boolean") == 0) ty = META_BOOLEAN;
        else if (strcmp(type, "String") != 0) { rc = -1; break; }
        t->columns[t->ncolumns].name = strdup(cname);
        t->columns[t->ncolumns].type = ty;
        if (!t->columns[t->ncolumns].name) { rc = -1; break; }
        t->ncolumns++;
    }
    json_decref(arr);
    return rc;
}

void store_each_table(store_t *s, void (*fn)(void *ctx, const char *module, const meta_table_t *t), void *ctx) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT name, module, columns FROM metadata_tables", -1, &st, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        meta_table_t t = {0};
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *module = (const char *)sqlite3_column_text(st, 1);
        const char *columns = (const char *)sqlite3_column_text(st, 2);
        if (name && module && columns && store_table_from_json(name, columns, &t) == 0) fn(ctx, module, &t);
        for (size_t i = 0; i < t.ncolumns; i++) free(t.columns[i].name);
        free(t.columns);
    }
    sqlite3_finalize(st);
}

/* ---- opening ---- */

static int store_prepare_all(store_t *s) {
    return store_prepare(s,
                         "INSERT INTO contents (id, uuid, parent_id, root_id, depth, filename, source_path, size,"
                         " sha256, status, error, duplicate_of, limits_hit, slice_offset, started_at, duration_ms,"
                         " subtree_complete) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)",
                         &s->ins_content) ||
           store_prepare(s,
                         "INSERT OR REPLACE INTO module_runs (content_id, module, status, error_kind, exit_code, error,"
                         " stdout, stderr, stdout_truncated, stderr_truncated, duration_ms, peak_memory)"
                         " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                         &s->ins_run) ||
           store_prepare(s, "INSERT OR REPLACE INTO modules (name, path, kind, cache_key, status, error) VALUES (?,?,?,?,?,?)",
                         &s->ins_module) ||
           store_prepare(s, "UPDATE contents SET subtree_complete = 1 WHERE id = ?", &s->root_done) ||
           store_prepare(s, "INSERT OR IGNORE INTO metadata_tables (name, module, columns) VALUES (?,?,?)",
                         &s->ins_meta_table);
}

static void *store_writer_main(void *arg);

static int store_fail_open(store_t *s, char **err, const char *fmt, const char *detail) {
    buf_t m = BUF_INIT;
    buf_printf(&m, fmt, s->path, detail);
    *err = buf_steal(&m);
    return -1;
}

/* store_remove_files: the database and its WAL and shared-memory files. */
static void store_remove_files(const char *path) {
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        buf_t p = BUF_INIT;
        buf_printf(&p, "%s%s", path, suffixes[i]);
        unlink(buf_cstr(&p));
        buf_free(&p);
    }
}

static int store_check_version(store_t *s, char **err) {
    sqlite3_stmt *st;
    int version = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version != STORE_SCHEMA_VERSION)
        return store_fail_open(s, err, "%s: %s", "not a wadup results database of this version (cannot resume it)");
    return 0;
}

int store_open(const store_options_t *o, store_t **out, char **err) {
    *err = NULL;
    store_t *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(o->path))) { free(s); *err = strdup("out of memory"); return -1; }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->has_items, NULL);
    pthread_cond_init(&s->has_room, NULL);
    s->max_queue = o->max_queue ? o->max_queue : STORE_DEFAULT_QUEUE;
    s->next_id = 1;
    bool exists = access(o->path, F_OK) == 0;
    int rc = 0;
    if (exists && !o->resume && !o->force)
        rc = store_fail_open(s, err, "%s: %s", "already exists: pass --resume to continue it or --force to replace it");
    else if (!exists && o->resume)
        rc = store_fail_open(s, err, "%s: %s", "does not exist, nothing to resume");
    if (rc == 0 && exists && o->force) store_remove_files(o->path);
    if (rc == 0 && sqlite3_open_v2(o->path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        rc = store_fail_open(s, err, "%s: cannot open: %s", s->db ? sqlite3_errmsg(s->db) : "out of memory");
    if (rc == 0 && o->resume) rc = store_check_version(s, err);
    if (rc == 0) {
        sqlite3_busy_timeout(s->db, 5000);
        if (store_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;"
                          "PRAGMA cache_size=-65536;") != 0 ||
            store_exec(s, store_schema) != 0 || store_exec(s, "PRAGMA user_version=1") != 0 ||
            (o->resume && store_load_resume(s) != 0) || store_prepare_all(s) != 0)
            rc = -1;
        if (rc != 0 && !*err) *err = strdup(s->error ? s->error : "cannot initialise the database");
    }
    if (rc == 0 && pthread_create(&s->writer, NULL, store_writer_main, s) != 0) {
        *err = strdup("cannot start the database writer thread");
        rc = -1;
    }
    if (rc != 0) {
        sqlite3_finalize(s->ins_content); sqlite3_finalize(s->ins_run); sqlite3_finalize(s->ins_module);
        sqlite3_finalize(s->root_done); sqlite3_finalize(s->ins_meta_table);
        sqlite3_close(s->db);
        for (size_t i = 0; i < s->ndone; i++) free(s->done_paths[i]);
        free(s->done_paths);
        free(s->error);
        free(s->path);
        free(s);
        return -1;
    }
    s->writer_started = true;
    *out = s;
    return 0;
}

/* ---- the queue ---- */

static void store_enqueue(store_t *s, store_item_t *it) {
    pthread_mutex_lock(&s->lock);
    while (s->queued >= s->max_queue && !s->error) pthread_cond_wait(&s->has_room, &s->lock);
    it->next = NULL;
    if (s->tail) s->tail->next = it;
    else s->head = it;
    s->tail = it;
    s->queued++;
    if (s->queued == STORE_WAKE_ITEMS) pthread_cond_signal(&s->has_items);
    pthread_mutex_unlock(&s->lock);
}

void store_free_content(store_content_t *c) {
    free(c->filename);
    free(c->source_path);
    free(c->error);
    free(c->limits_hit);
    for (size_t i = 0; i < c->nruns; i++) eng_result_free(&c->runs[i].result);
    free(c->runs);
    memset(c, 0, sizeof *c);
}

static void store_free_item(store_item_t *it) {
    if (it->kind == ITEM_CONTENT) store_free_content(&it->content);
    for (int i = 0; i < 6; i++) free(it->text[i]);
    free(it);
}

void store_submit_content(store_t *s, store_content_t *c) {
    store_item_t *it = calloc(1, sizeof *it);
    if (!it) { store_free_content(c); return; }
    it->kind = ITEM_CONTENT;
    it->content = *c;
    memset(c, 0, sizeof *c);
    store_enqueue(s, it);
}

void store_submit_root_done(store_t *s, int64_t root_id) {
    store_item_t *it = calloc(1, sizeof *it);
    if (!it) return;
    it->kind = ITEM_ROOT_DONE;
    it->root_id = root_id;
    store_enqueue(s, it);
}

void store_submit_module(store_t *s, const char *name, const char *path, const char *kind, const char *key,
                         const char *status, const char *error) {
    store_item_t *it = calloc(1, sizeof *it);
    if (!it) return;
    it->kind = ITEM_MODULE;
    const char *v[6] = {name, path, kind, key, status, error};
    for (int i = 0; i < 6; i++) it->text[i] = v[i] ? strdup(v[i]) : NULL;
    store_enqueue(s, it);
}

bool store_failed(store_t *s) { return atomic_load(&s->failed); }

/* ---- writing ---- */

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *v) {
    if (v) sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC); /* items outlive the step */
    else sqlite3_bind_null(st, i);
}

/* bind_output: captured bytes as (lossy) UTF-8 text; NULL when empty. */
static void bind_output(sqlite3_stmt *st, int i, const buf_t *b) {
    if (b->len == 0) {
        sqlite3_bind_null(st, i);
        return;
    }
    if (utf8_valid(b->data, b->len)) {
        sqlite3_bind_text(st, i, (const char *)b->data, (int)b->len, SQLITE_STATIC);
        return;
    }
    buf_t clean = BUF_INIT;
    utf8_sanitize_append(&clean, b->data, b->len);
    sqlite3_bind_text(st, i, buf_cstr(&clean), (int)clean.len, SQLITE_TRANSIENT);
    buf_free(&clean);
}

static int store_step(store_t *s, sqlite3_stmt *st, const char *what) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) { store_set_error(s, what); return -1; }
    s->txn_rows++;
    return 0;
}

static const char *store_sql_type(meta_type_t t) {
    switch (t) {
    case META_INT64: return "INTEGER";
    case META_FLOAT64: return "REAL";
    case META_STRING: return "TEXT";
    case META_BOOLEAN: return "INTEGER";
    }
    return "BLOB";
}

/* store_create_table: the SQL table for metadata table t, its index, its
 * insert statement and its entry in metadata_tables. */
static store_table_t *store_create_table(store_t *s, const meta_table_t *t, const char *module) {
    buf_t sql = BUF_INIT, ins = BUF_INIT, cols = BUF_INIT;
    buf_printf(&sql, "CREATE TABLE IF NOT EXISTS \"%s\" (_content INTEGER NOT NULL, _module TEXT NOT NULL", t->name);
    buf_printf(&ins, "INSERT INTO \"%s\" VALUES (?,?", t->name);
    buf_append_str(&cols, "[");
    for (size_t i = 0; i < t->ncolumns; i++) {
        buf_printf(&sql, ", \"%s\" %s", t->columns[i].name, store_sql_type(t->columns[i].type));
        buf_append_str(&ins, ",?");
        buf_printf(&cols, "%s{\"name\":\"%s\",\"data_type\":\"%s\"}", i ? "," : "", t->columns[i].name,
                   meta_type_name(t->columns[i].type));
    }
    buf_append_str(&sql, ");");
    buf_append_str(&ins, ")");
    buf_append_str(&cols, "]");
    store_table_t *entry = NULL;
    if (s->ntables == s->tables_cap) {
        size_t cap = s->tables_cap ? s->tables_cap * 2 : 16;
        store_table_t *grown = realloc(s->tables, cap * sizeof *grown);
        if (grown) { s->tables = grown; s->tables_cap = cap; }
    }
    if (s->ntables < s->tables_cap && store_exec(s, buf_cstr(&sql)) == 0) {
        store_table_t *e = &s->tables[s->ntables];
        e->name = strdup(t->name);
        e->ncolumns = t->ncolumns;
        e->insert = NULL;
        if (e->name && store_prepare(s, buf_cstr(&ins), &e->insert) == 0) {
            sqlite3_bind_text(s->ins_meta_table, 1, t->name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(s->ins_meta_table, 2, module, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(s->ins_meta_table, 3, buf_cstr(&cols), -1, SQLITE_TRANSIENT);
            if (store_step(s, s->ins_meta_table, "recording a metadata table") == 0) entry = &s->tables[s->ntables++];
        } else {
            free(e->name);
        }
    }
    buf_free(&sql);
    buf_free(&ins);
    buf_free(&cols);
    return entry;
}

static store_table_t *store_table_for(store_t *s, const meta_table_t *t, const char *module) {
    for (size_t i = 0; i < s->ntables; i++)
        if (strcasecmp(s->tables[i].name, t->name) == 0) return &s->tables[i];
    return store_create_table(s, t, module);
}

static int store_write_row(store_t *s, int64_t content_id, const char *module, const meta_row_t *row) {
    store_table_t *t = store_table_for(s, row->table, module);
    if (!t) return -1;
    if (t->ncolumns != row->table->ncolumns) {
        store_set_error(s, "a metadata row does not match its table");
        return -1;
    }
    sqlite3_stmt *st = t->insert;
    sqlite3_bind_int64(st, 1, content_id);
    sqlite3_bind_text(st, 2, module, -1, SQLITE_STATIC);
    for (size_t i = 0; i < row->table->ncolumns; i++) {
        const meta_value_t *v = &row->values[i];
        int k = (int)i + 3;
        if (v->is_null) { sqlite3_bind_null(st, k); continue; }
        switch (v->type) {
        case META_INT64: sqlite3_bind_int64(st, k, v->u.i); break;
        case META_FLOAT64: sqlite3_bind_double(st, k, v->u.f); break;
        case META_STRING: sqlite3_bind_text(st, k, v->u.s.ptr, (int)v->u.s.len, SQLITE_STATIC); break;
        case META_BOOLEAN: sqlite3_bind_int(st, k, v->u.b ? 1 : 0); break;
        }
    }
    return store_step(s, st, "inserting a metadata row");
}

static int store_write_run(store_t *s, int64_t content_id, const store_run_t *run) {
    const eng_result_t *r = &run->result;
    sqlite3_stmt *st = s->ins_run;
    sqlite3_bind_int64(st, 1, content_id);
    sqlite3_bind_text(st, 2, run->module, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->success ? "success" : "failed", -1, SQLITE_STATIC);
    bind_text_or_null(st, 4, r->error_kind);
    sqlite3_bind_int64(st, 5, r->exit_code);
    bind_text_or_null(st, 6, r->error);
    bind_output(st, 7, &r->out);
    bind_output(st, 8, &r->err);
    sqlite3_bind_int(st, 9, r->out_truncated);
    sqlite3_bind_int(st, 10, r->err_truncated);
    sqlite3_bind_double(st, 11, r->duration_ms);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)r->peak_memory);
    if (store_step(s, st, "inserting a module run") != 0) return -1;
    for (size_t i = 0; i < r->metadata.nrows; i++)
        if (store_write_row(s, content_id, run->module, &r->metadata.rows[i]) != 0) return -1;
    return 0;
}

static int store_write_content(store_t *s, const store_content_t *c) {
    sqlite3_stmt *st = s->ins_content;
    char hex[65];
    hex_encode(c->sha256, 32, hex);
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_text(st, 2, c->uuid, -1, SQLITE_STATIC);
    if (c->parent_id) sqlite3_bind_int64(st, 3, c->parent_id);
    sqlite3_bind_int64(st, 4, c->root_id);
    sqlite3_bind_int(st, 5, (int)c->depth);
    bind_text_or_null(st, 6, c->filename ? c->filename : "");
    bind_text_or_null(st, 7, c->source_path);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)c->size);
    if (c->has_sha256) sqlite3_bind_text(st, 9, hex, 64, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 10, c->status, -1, SQLITE_STATIC);
    bind_text_or_null(st, 11, c->error);
    if (c->duplicate_of) sqlite3_bind_int64(st, 12, c->duplicate_of);
    bind_text_or_null(st, 13, c->limits_hit);
    if (c->is_slice) sqlite3_bind_int64(st, 14, (sqlite3_int64)c->slice_offset);
    sqlite3_bind_double(st, 15, c->started_at);
    sqlite3_bind_double(st, 16, c->duration_ms);
    if (store_step(s, st, "inserting a content") != 0) return -1;
    for (size_t i = 0; i < c->nruns; i++)
        if (store_write_run(s, c->id, &c->runs[i]) != 0) return -1;
    return 0;
}

static int store_write_item(store_t *s, const store_item_t *it) {
    switch (it->kind) {
    case ITEM_CONTENT: return store_write_content(s, &it->content);
    case ITEM_ROOT_DONE:
        sqlite3_bind_int64(s->root_done, 1, it->root_id);
        return store_step(s, s->root_done, "marking a content complete");
    case ITEM_MODULE:
        for (int i = 0; i < 6; i++) bind_text_or_null(s->ins_module, i + 1, it->text[i]);
        return store_step(s, s->ins_module, "recording a module");
    }
    return 0;
}

/* ---- the writer thread ---- */

static void store_commit(store_t *s) {
    if (!s->in_txn) return;
    if (store_exec(s, "COMMIT") != 0) store_exec(s, "ROLLBACK");
    s->in_txn = false;
    s->txn_rows = 0;
}

static void store_write_batch(store_t *s, store_item_t *items) {
    while (items) {
        store_item_t *next = items->next;
        if (!store_failed(s)) {
            if (!s->in_txn) {
                if (store_exec(s, "BEGIN") == 0) s->in_txn = true;
                s->txn_started = store_now();
            }
            if (s->in_txn && store_write_item(s, items) != 0) {
                store_exec(s, "ROLLBACK");
                s->in_txn = false;
            }
        }
        store_free_item(items);
        items = next;
        if (s->in_txn && (s->txn_rows >= STORE_COMMIT_ROWS || store_now() - s->txn_started >= STORE_COMMIT_SECONDS))
            store_commit(s);
    }
}

/* store_wait_items: wait (lock held) until items are queued or the store
 * closes, committing an open transaction when the queue stays empty. */
static void store_wait_items(store_t *s) {
    while (!s->head && !s->closing) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += STORE_POLL_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
        if (pthread_cond_timedwait(&s->has_items, &s->lock, &until) != 0 && !s->head && s->in_txn &&
            store_now() - s->txn_started >= STORE_COMMIT_SECONDS) {
            pthread_mutex_unlock(&s->lock);
            store_commit(s);
            pthread_mutex_lock(&s->lock);
        }
    }
}

static void *store_writer_main(void *arg) {
    store_t *s = arg;
    pthread_setname_np(pthread_self(), "wadup-writer");
    pthread_mutex_lock(&s->lock);
    for (;;) {
        store_wait_items(s);
        if (!s->head && s->closing) break;
        store_item_t *items = s->head;
        s->head = s->tail = NULL;
        s->queued = 0;
        pthread_cond_broadcast(&s->has_room);
        pthread_mutex_unlock(&s->lock);
        store_write_batch(s, items);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    store_commit(s);
    return NULL;
}

/* store_build_indexes: the secondary indexes, built once at the end. */
static void store_build_indexes(store_t *s) {
    if (store_exec(s, "BEGIN") != 0) return;
    int rc = store_exec(s, store_indexes);
    sqlite3_stmt *st;
    if (rc == 0 && sqlite3_prepare_v2(s->db, "SELECT name FROM metadata_tables", -1, &st, NULL) == SQLITE_OK) {
        while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
            buf_t sql = BUF_INIT;
            const char *t = (const char *)sqlite3_column_text(st, 0);
            buf_printf(&sql, "CREATE INDEX IF NOT EXISTS \"%s__content\" ON \"%s\"(_content);", t, t);
            rc = store_exec(s, buf_cstr(&sql));
            buf_free(&sql);
        }
        sqlite3_finalize(st);
    }
    store_exec(s, rc == 0 ? "COMMIT" : "ROLLBACK");
}

int store_close(store_t *s, char **err) {
    *err = NULL;
    pthread_mutex_lock(&s->lock);
    s->closing = true;
    pthread_cond_broadcast(&s->has_items);
    pthread_mutex_unlock(&s->lock);
    if (s->writer_started) pthread_join(s->writer, NULL);
    sqlite3_finalize(s->ins_content);
    sqlite3_finalize(s->ins_run);
    sqlite3_finalize(s->ins_module);
    sqlite3_finalize(s->root_done);
    sqlite3_finalize(s->ins_meta_table);
    for (size_t i = 0; i < s->ntables; i++) {
        sqlite3_finalize(s->tables[i].insert);
        free(s->tables[i].name);
    }
    free(s->tables);
    if (!s->error) store_build_indexes(s);
    if (!s->error) sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(s->db);
    int rc = 0;
    if (s->error) { *err = s->error; s->error = NULL; rc = -1; }
    for (size_t i = 0; i < s->ndone; i++) free(s->done_paths[i]);
    free(s->done_paths);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->has_items);
    pthread_cond_destroy(&s->has_room);
    free(s->path);
    free(s);
    return rc;
}
