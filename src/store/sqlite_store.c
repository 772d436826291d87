/* sqlite_store.c — owns the SQLite results database's connection, schema
 * and writer thread (see store.h): opening and resuming, the item queue,
 * writing contents and module runs, closing. Metadata tables (physical
 * tables per module, views, containment of module-caused SQL errors) are
 * store_meta.c's. Layout: schema; resume; opening; the queue; writing;
 * the writer thread; closing. */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "store/store_internal.h"
#include "util/buf.h"
#include "util/utf8.h"

#define STORE_DEFAULT_QUEUE 2048
/* Producers also wait while the queued items hold this many bytes
 * (captured output, rows, leftover emitted data): what modules produce
 * cannot pile up in the queue however many modules or contents there are.
 * The batch being written holds at most as much again. */
#define STORE_MAX_QUEUE_BYTES ((uint64_t)32 << 20)
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
    "CREATE TABLE IF NOT EXISTS metadata_tables (name TEXT NOT NULL COLLATE NOCASE, module TEXT NOT NULL,"
    " sql_table TEXT NOT NULL COLLATE NOCASE UNIQUE, columns TEXT NOT NULL, in_view INTEGER NOT NULL,"
    " PRIMARY KEY (module, name));";

/* Secondary indexes are built once at the end of a run (cheaper than
 * maintaining them row by row); a resumed run works without them. Their
 * names are internal (wadup_*), so no metadata table can take them. */
static const char store_indexes[] =
    "CREATE UNIQUE INDEX IF NOT EXISTS main.wadup_contents_uuid ON contents(uuid);"
    "CREATE INDEX IF NOT EXISTS main.wadup_contents_parent ON contents(parent_id);"
    "CREATE INDEX IF NOT EXISTS main.wadup_contents_root ON contents(root_id);";

static const char *const store_reserved_tables[] = {"contents", "module_runs", "modules", "metadata_tables"};

/* store_reserved_table: wadup's own tables, SQLite's and internal names. */
bool store_reserved_table(const char *name) {
    for (size_t i = 0; i < sizeof store_reserved_tables / sizeof *store_reserved_tables; i++)
        if (strcasecmp(name, store_reserved_tables[i]) == 0) return true;
    return strncasecmp(name, "sqlite_", 7) == 0 ||
           strncasecmp(name, STORE_INTERNAL_PREFIX, sizeof STORE_INTERNAL_PREFIX - 1) == 0;
}

/* store_reserved_column: the columns the store adds itself. */
bool store_reserved_column(const char *name) {
    return strcasecmp(name, "_content") == 0 || strcasecmp(name, "_module") == 0;
}

/* store_now: monotonic seconds. */
static double store_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* store_record_error: keep `message` (malloc'd, may be NULL when out of
 * memory) as the first failure, or free it. */
static void store_record_error(store_t *s, char *message) {
    pthread_mutex_lock(&s->lock);
    if (!s->error) {
        s->error = message ? message : strdup("out of memory");
        message = NULL;
        atomic_store(&s->failed, true);
        pthread_cond_broadcast(&s->has_room);
    }
    pthread_mutex_unlock(&s->lock);
    free(message);
}

/* store_set_error, store_set_error_plain: see store_internal.h. */
void store_set_error(store_t *s, const char *what) {
    buf_t m = BUF_INIT;
    if (buf_printf(&m, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db)) != 0) buf_free(&m);
    store_record_error(s, m.data ? buf_steal(&m) : NULL);
}

void store_set_error_plain(store_t *s, const char *what) {
    buf_t m = BUF_INIT;
    if (buf_printf(&m, "%s: %s", s->path, what) != 0) buf_free(&m);
    store_record_error(s, m.data ? buf_steal(&m) : NULL);
}

/* store_exec: see store_internal.h. */
int store_exec(store_t *s, const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        sqlite3_free(msg);
        store_set_error(s, sql);
        return -1;
    }
    return 0;
}

/* store_prepare: a persistent prepared statement. 0 or -1 (recorded). */
static int store_prepare(store_t *s, const char *sql, sqlite3_stmt **st) {
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
        store_set_error(s, "preparing a statement");
        return -1;
    }
    return 0;
}

/* ---- resume ---- */

/* store_cmp_str: qsort/bsearch order of C strings. */
static int store_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* store_root_done, store_next_id, store_each_hash: see store.h. */
bool store_root_done(const store_t *s, const char *source_path) {
    return s->ndone && bsearch(&source_path, s->done_paths, s->ndone, sizeof *s->done_paths, store_cmp_str);
}

int64_t store_next_id(const store_t *s) { return s->next_id; }

/* store_load_done: the source paths of completed roots, sorted. 0 or -1. */
static int store_load_done(store_t *s) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT source_path FROM contents WHERE parent_id IS NULL AND subtree_complete = 1",
                           -1, &st, NULL) != SQLITE_OK) {
        store_set_error(s, "reading completed contents");
        return -1;
    }
    size_t cap = 0;
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(st, 0);
        if (!p) continue;
        if (s->ndone == cap) {
            cap = cap ? cap * 2 : 1024;
            char **grown = realloc(s->done_paths, cap * sizeof *grown);
            if (!grown) { rc = -1; break; }
            s->done_paths = grown;
        }
        if (!(s->done_paths[s->ndone] = strdup(p))) rc = -1;
        else s->ndone++;
    }
    sqlite3_finalize(st);
    if (rc != 0) { store_set_error_plain(s, "out of memory reading completed contents"); return -1; }
    if (s->ndone > 1) qsort(s->done_paths, s->ndone, sizeof *s->done_paths, store_cmp_str);
    return 0;
}

/* store_load_resume: completed roots, the metadata tables, the next id,
 * and removal of every row of roots whose subtree was not completed (they
 * are redone). The list of contents to redo is an internal temporary
 * table, so it cannot hide any metadata table or view. */
static int store_load_resume(store_t *s) {
    if (store_load_done(s) != 0 ||
        store_exec(s, "BEGIN; CREATE TEMP TABLE wadup_redo AS SELECT id FROM main.contents WHERE root_id IN"
                      " (SELECT id FROM main.contents WHERE parent_id IS NULL AND subtree_complete = 0);") != 0)
        return -1;
    if (store_meta_load(s) != 0 ||
        store_exec(s, "DELETE FROM main.module_runs WHERE content_id IN (SELECT id FROM temp.wadup_redo);"
                      "DELETE FROM main.contents WHERE id IN (SELECT id FROM temp.wadup_redo);"
                      "DROP TABLE temp.wadup_redo; COMMIT;") != 0)
        return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT COALESCE(MAX(id), 0) + 1 FROM main.contents", -1, &st, NULL) != SQLITE_OK) {
        store_set_error(s, "reading content ids");
        return -1;
    }
    s->next_id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 1;
    sqlite3_finalize(st);
    return 0;
}

/* store_hex_nibble: the value of a lowercase hex digit, or -1. */
static int store_hex_nibble(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* store_each_hash: see store.h. */
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

/* ---- opening ---- */

/* store_prepare_all: the writer's statements. 0 or -1 (recorded). */
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
           store_meta_prepare(s);
}

static void *store_writer_main(void *arg);

/* store_fail_open: *err = fmt with the path and detail; returns -1. */
static int store_fail_open(store_t *s, char **err, const char *fmt, const char *detail) {
    buf_t m = BUF_INIT;
    *err = buf_printf(&m, fmt, s->path, detail) == 0 ? buf_steal(&m) : NULL;
    if (!*err) *err = strdup("out of memory");
    return -1;
}

/* store_remove_files: the database and its WAL and shared-memory files. */
static void store_remove_files(const char *path) {
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        buf_t p = BUF_INIT;
        if (buf_printf(&p, "%s%s", path, suffixes[i]) == 0) unlink(buf_cstr(&p));
        buf_free(&p);
    }
}

/* store_check_version: a database to resume must have this schema
 * version; an older one cannot be continued (its tables are laid out
 * differently). 0, or -1 with *err. */
static int store_check_version(store_t *s, char **err) {
    sqlite3_stmt *st;
    int version = -1;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version == STORE_SCHEMA_VERSION) return 0;
    char detail[200];
    if (version >= 1 && version < STORE_SCHEMA_VERSION)
        snprintf(detail, sizeof detail,
                 "written by an older wadup (results schema version %d, this wadup writes version %d): it cannot be "
                 "resumed; start a new database, or pass --force to replace it",
                 version, STORE_SCHEMA_VERSION);
    else if (version > STORE_SCHEMA_VERSION)
        snprintf(detail, sizeof detail,
                 "written by a newer wadup (results schema version %d, this wadup writes version %d): it cannot be "
                 "resumed",
                 version, STORE_SCHEMA_VERSION);
    else
        snprintf(detail, sizeof detail, "not a wadup results database (cannot resume it)");
    return store_fail_open(s, err, "%s: %s", detail);
}

/* store_init_db: pragmas, schema and version, resume state, statements. 0 or -1 (recorded). */
static int store_init_db(store_t *s, bool resume) {
    char version[64];
    snprintf(version, sizeof version, "PRAGMA user_version=%d", STORE_SCHEMA_VERSION);
    sqlite3_busy_timeout(s->db, 5000);
    if (store_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;"
                      "PRAGMA cache_size=-65536;") != 0 ||
        store_exec(s, store_schema) != 0 || store_exec(s, version) != 0)
        return -1;
    return (resume && store_load_resume(s) != 0) || store_prepare_all(s) != 0 ? -1 : 0;
}

/* store_free_unstarted: free a store whose writer never started. */
static void store_free_unstarted(store_t *s) {
    sqlite3_finalize(s->ins_content);
    sqlite3_finalize(s->ins_run);
    sqlite3_finalize(s->ins_module);
    sqlite3_finalize(s->root_done);
    store_meta_free(s);
    sqlite3_close(s->db);
    for (size_t i = 0; i < s->ndone; i++) free(s->done_paths[i]);
    free(s->done_paths);
    free(s->error);
    free(s->path);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->has_items);
    pthread_cond_destroy(&s->has_room);
    free(s);
}

/* store_open: see store.h. */
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
    if (rc == 0 && store_init_db(s, o->resume) != 0) {
        rc = -1;
        *err = strdup(s->error ? s->error : "cannot initialise the database");
    }
    if (rc == 0 && pthread_create(&s->writer, NULL, store_writer_main, s) != 0) {
        *err = strdup("cannot start the database writer thread");
        rc = -1;
    }
    if (rc != 0) {
        store_free_unstarted(s);
        return -1;
    }
    s->writer_started = true;
    *out = s;
    return 0;
}

/* ---- the queue ---- */

/* store_result_cost: the bytes one module's result holds in the queue. */
static uint64_t store_result_cost(const eng_result_t *r) {
    uint64_t n = (uint64_t)r->out.cap + r->err.cap + (r->error ? strlen(r->error) : 0);
    for (size_t i = 0; i < r->metadata.nrows; i++) {
        const meta_row_t *row = &r->metadata.rows[i];
        n += sizeof *row + 16 + row->table->ncolumns * sizeof(meta_value_t);
        for (size_t k = 0; k < row->table->ncolumns; k++)
            if (row->values[k].type == META_STRING && !row->values[k].is_null) n += row->values[k].u.s.len + 17;
    }
    for (size_t i = 0; i < r->nsubcontent; i++) n += sizeof r->subcontent[i] + (r->subcontent[i].data ? r->subcontent[i].size : 0);
    return n;
}

/* store_item_cost: the bytes an item holds until it is written. */
static uint64_t store_item_cost(const store_item_t *it) {
    uint64_t n = sizeof *it;
    if (it->kind != ITEM_CONTENT) return n;
    const store_content_t *c = &it->content;
    n += (c->error ? strlen(c->error) : 0) + (c->limits_hit ? strlen(c->limits_hit) : 0);
    for (size_t i = 0; i < c->nruns; i++) n += sizeof c->runs[i] + store_result_cost(&c->runs[i].result);
    return n;
}

/* store_enqueue: queue an item, waiting while the queue is full (items or
 * bytes; an item is always accepted into an empty queue). */
static void store_enqueue(store_t *s, store_item_t *it) {
    uint64_t cost = store_item_cost(it);
    pthread_mutex_lock(&s->lock);
    while ((s->queued >= s->max_queue || (s->queued && s->queued_bytes + cost > STORE_MAX_QUEUE_BYTES)) && !s->error)
        pthread_cond_wait(&s->has_room, &s->lock);
    it->next = NULL;
    if (s->tail) s->tail->next = it;
    else s->head = it;
    s->tail = it;
    s->queued++;
    s->queued_bytes += cost;
    if (s->queued == STORE_WAKE_ITEMS || s->queued_bytes >= STORE_MAX_QUEUE_BYTES / 2) pthread_cond_signal(&s->has_items);
    pthread_mutex_unlock(&s->lock);
}

/* store_free_content: see store.h. */
void store_free_content(store_content_t *c) {
    free(c->filename);
    free(c->source_path);
    free(c->error);
    free(c->limits_hit);
    for (size_t i = 0; i < c->nruns; i++) eng_result_free(&c->runs[i].result);
    free(c->runs);
    memset(c, 0, sizeof *c);
}

/* store_free_item: an item and everything it owns. */
static void store_free_item(store_item_t *it) {
    if (it->kind == ITEM_CONTENT) store_free_content(&it->content);
    for (int i = 0; i < 6; i++) free(it->text[i]);
    free(it);
}

/* store_submit_*: see store.h. An item that cannot be allocated fails
 * the store (its data would be missing). */
void store_submit_content(store_t *s, store_content_t *c) {
    store_item_t *it = calloc(1, sizeof *it);
    if (!it) {
        store_free_content(c);
        store_set_error_plain(s, "out of memory queueing a content");
        return;
    }
    it->kind = ITEM_CONTENT;
    it->content = *c;
    memset(c, 0, sizeof *c);
    store_enqueue(s, it);
}

void store_submit_root_done(store_t *s, int64_t root_id) {
    store_item_t *it = calloc(1, sizeof *it);
    if (!it) { store_set_error_plain(s, "out of memory queueing a completed content"); return; }
    it->kind = ITEM_ROOT_DONE;
    it->root_id = root_id;
    store_enqueue(s, it);
}

void store_submit_module(store_t *s, const char *name, const char *path, const char *kind, const char *key,
                         const char *status, const char *error) {
    store_item_t *it = calloc(1, sizeof *it);
    bool ok = it != NULL;
    if (it) it->kind = ITEM_MODULE;
    const char *v[6] = {name, path, kind, key, status, error};
    for (int i = 0; ok && i < 6; i++) ok = !v[i] || (it->text[i] = strdup(v[i])) != NULL;
    if (!ok) {
        if (it) store_free_item(it);
        store_set_error_plain(s, "out of memory queueing a module");
        return;
    }
    store_enqueue(s, it);
}

/* store_failed: see store.h. */
bool store_failed(store_t *s) { return atomic_load(&s->failed); }

/* ---- writing ---- */

/* bind_text_or_null: a NUL-terminated text (kept by the item while the
 * statement runs), or NULL. */
static void bind_text_or_null(sqlite3_stmt *st, int i, const char *v) {
    if (v) sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, i);
}

/* bind_output: captured bytes as (lossy) UTF-8 text, at most a quarter of
 * SQLite's longest value so a row always fits (*cut set when shortened);
 * NULL when empty. */
static int bind_output(sqlite3_stmt *st, int i, const buf_t *b, int *cut) {
    if (b->len == 0) return sqlite3_bind_null(st, i);
    size_t max = (size_t)sqlite3_limit(sqlite3_db_handle(st), SQLITE_LIMIT_LENGTH, -1) / 4;
    size_t len = b->len;
    if (len > max) { len = max; *cut = 1; }
    if (utf8_valid(b->data, len)) return sqlite3_bind_text64(st, i, (const char *)b->data, len, SQLITE_STATIC, SQLITE_UTF8);
    buf_t clean = BUF_INIT;
    int rc = utf8_sanitize_append(&clean, b->data, len) == 0
                 ? sqlite3_bind_text64(st, i, buf_cstr(&clean), clean.len, SQLITE_TRANSIENT, SQLITE_UTF8)
                 : SQLITE_NOMEM;
    buf_free(&clean);
    return rc;
}

/* store_step: run a write statement; any failure is a store failure. */
static int store_step(store_t *s, sqlite3_stmt *st, const char *what) {
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) store_set_error(s, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) return -1;
    s->txn_rows++;
    return 0;
}

/* store_insert_run: the module_runs row of one run. */
static int store_insert_run(store_t *s, int64_t content_id, const store_run_t *run) {
    const eng_result_t *r = &run->result;
    sqlite3_stmt *st = s->ins_run;
    int out_cut = r->out_truncated, err_cut = r->err_truncated;
    sqlite3_bind_int64(st, 1, content_id);
    sqlite3_bind_text(st, 2, run->module, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->success ? "success" : "failed", -1, SQLITE_STATIC);
    bind_text_or_null(st, 4, r->error_kind);
    sqlite3_bind_int64(st, 5, r->exit_code);
    bind_text_or_null(st, 6, r->error);
    if (bind_output(st, 7, &r->out, &out_cut) != SQLITE_OK || bind_output(st, 8, &r->err, &err_cut) != SQLITE_OK) {
        sqlite3_clear_bindings(st);
        store_set_error_plain(s, "out of memory binding module output");
        return -1;
    }
    sqlite3_bind_int(st, 9, out_cut);
    sqlite3_bind_int(st, 10, err_cut);
    sqlite3_bind_double(st, 11, r->duration_ms);
    sqlite3_bind_int64(st, 12, (sqlite3_int64)r->peak_memory);
    return store_step(s, st, "inserting a module run");
}

/* store_append_error: *error += (separator) text; 0 or -1 (OOM, unchanged). */
static int store_append_error(char **error, const char *separator, const char *text) {
    buf_t m = BUF_INIT;
    if (buf_printf(&m, "%s%s%s", *error ? *error : "", *error ? separator : "", text) != 0) return -1;
    char *joined = buf_steal(&m);
    if (!joined) return -1;
    free(*error);
    *error = joined;
    return 0;
}

/* store_refuse_run: the database refused some of run's tables
 * (`problems`): the run becomes a metadata_error (added to an earlier
 * failure) and the content (success or failed: the only statuses of a
 * content with runs) failed, naming it. 0 or -1 (OOM). */
static int store_refuse_run(store_content_t *c, store_run_t *run, const char *problems) {
    eng_result_t *r = &run->result;
    if (store_append_error(&r->error, "; also: ", problems) != 0) return -1;
    if (r->success) {
        r->success = false;
        r->error_kind = ENG_KIND_METADATA;
    }
    buf_t note = BUF_INIT;
    int rc = buf_printf(&note, "%s: %s: %.300s", run->module, ENG_KIND_METADATA, problems);
    if (rc == 0) rc = store_append_error(&c->error, "; ", buf_cstr(&note));
    buf_free(&note);
    if (rc == 0) c->status = "failed";
    return rc;
}

/* store_write_run_rows: one run's metadata rows; tables the database
 * refuses turn the run into a metadata_error. */
static int store_write_run_rows(store_t *s, store_content_t *c, store_run_t *run) {
    buf_t problems = BUF_INIT;
    int rc = store_meta_write_run(s, c->id, run, &problems);
    if (rc == 0 && problems.len && store_refuse_run(c, run, buf_cstr(&problems)) != 0) {
        store_set_error_plain(s, "out of memory recording a refused metadata table");
        rc = -1;
    }
    buf_free(&problems);
    return rc;
}

/* store_insert_content: the contents row. */
static int store_insert_content(store_t *s, const store_content_t *c) {
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
    return store_step(s, st, "inserting a content");
}

/* store_write_content: a content whole: first every run's metadata rows
 * (which may turn runs into metadata errors), then its contents row and
 * its module_runs rows, all in the open transaction. */
static int store_write_content(store_t *s, store_content_t *c) {
    for (size_t i = 0; i < c->nruns; i++)
        if (store_write_run_rows(s, c, &c->runs[i]) != 0) return -1;
    if (store_insert_content(s, c) != 0) return -1;
    for (size_t i = 0; i < c->nruns; i++)
        if (store_insert_run(s, c->id, &c->runs[i]) != 0) return -1;
    return 0;
}

/* store_write_item: one queued item, in the open transaction. */
static int store_write_item(store_t *s, store_item_t *it) {
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

/* store_commit: end the open transaction (rolled back if COMMIT fails). */
static void store_commit(store_t *s) {
    if (!s->in_txn) return;
    if (store_exec(s, "COMMIT") != 0) store_exec(s, "ROLLBACK");
    s->in_txn = false;
    s->txn_rows = 0;
}

/* store_write_batch: write and free a list of items, in transactions of
 * at most STORE_COMMIT_ROWS rows or STORE_COMMIT_SECONDS; a failed item
 * rolls back its transaction and fails the store. */
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

/* store_writer_main: the writer thread: drain the queue until closing. */
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
        s->queued_bytes = 0;
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
    if (rc == 0) rc = store_meta_indexes(s);
    store_exec(s, rc == 0 ? "COMMIT" : "ROLLBACK");
}

/* store_close: see store.h. */
int store_close(store_t *s, char **err) {
    *err = NULL;
    pthread_mutex_lock(&s->lock);
    s->closing = true;
    pthread_cond_broadcast(&s->has_items);
    pthread_mutex_unlock(&s->lock);
    if (s->writer_started) pthread_join(s->writer, NULL);
    if (!s->error) store_build_indexes(s);
    sqlite3_finalize(s->ins_content);
    sqlite3_finalize(s->ins_run);
    sqlite3_finalize(s->ins_module);
    sqlite3_finalize(s->root_done);
    store_meta_free(s);
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
