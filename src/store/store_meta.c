/* store_meta.c — owns the metadata tables of the results database (see
 * docs/sqlite-schema.md and store_internal.h).
 *
 * Tables are owned per module: each (module, table name) pair gets its own
 * physical table "<table>@<module>" (a "#N" suffix when SQLite, which
 * folds ASCII case in names, would confuse it with another), holding
 * _content and the module's columns. Module table names are identifiers,
 * so no module can name a physical table, and internal names start with
 * wadup_, which no module may use. The plain name <table> is a view, the
 * UNION ALL of every module's table of that name with _module added and
 * the union of their columns (NULL where a member lacks one).
 *
 * Containment: each module run's rows of one table are written inside a
 * savepoint. When SQLite refuses them because of what the module sent (a
 * too wide table, a too long value, ...) the savepoint is rolled back, the
 * in-memory registry is restored and the caller is told why; only real
 * store failures (I/O, full disk, out of memory, a transaction SQLite
 * rolled back) fail the store.
 *
 * Every lookup by a guest-chosen name goes through a keyed hash map
 * (keymap.h). Layout: SQL text; names and keys; the registry; views;
 * creating a table; writing rows; loading (resume); indexes. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

/* A view holds at most this many select terms (members x columns): a view
 * is re-created whenever a member joins, and read whole whenever the
 * database schema is loaded, so its size is kept bounded. */
#define STORE_VIEW_MAX_CELLS 100000

/* Refused tables described in one module run's error; the rest are counted. */
#define STORE_SHOWN_REFUSALS 8

/* Results of the steps below: done, refused because of the module's
 * metadata (the reason is in `why`), or a real failure (recorded). */
enum { STORE_OK = 0, STORE_REFUSED = 1, STORE_FAILED = -1 };

/* ---- SQL text ---- */

/* SQL being built; `oom` once an append failed (the text is then unusable). */
typedef struct sql_text {
    buf_t b;
    bool oom;
} sql_text_t;

/* sql_add: append plain SQL. */
static void sql_add(sql_text_t *q, const char *s) {
    if (!q->oom && buf_append_str(&q->b, s) != 0) q->oom = true;
}

/* sql_quoted: append s between `quote`s, doubling every quote inside. */
static void sql_quoted(sql_text_t *q, const char *s, char quote) {
    if (q->oom || buf_append_byte(&q->b, (uint8_t)quote) != 0) { q->oom = true; return; }
    for (const char *p; (p = strchr(s, quote)); s = p + 1)
        if (buf_append(&q->b, s, (size_t)(p - s) + 1) != 0 || buf_append_byte(&q->b, (uint8_t)quote) != 0) {
            q->oom = true;
            return;
        }
    if (buf_append_str(&q->b, s) != 0 || buf_append_byte(&q->b, (uint8_t)quote) != 0) q->oom = true;
}

/* sql_ident: append a quoted identifier. sql_literal: a string literal. */
static void sql_ident(sql_text_t *q, const char *name) { sql_quoted(q, name, '"'); }
static void sql_literal(sql_text_t *q, const char *text) { sql_quoted(q, text, '\''); }

/* ---- names and keys ---- */

/* fold_dup: s with ASCII letters lowercased (how SQLite compares names), or NULL. */
static char *fold_dup(const char *s) {
    char *d = strdup(s);
    for (char *p = d; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    return d;
}

/* fold_into: s lowercased into b (reused). Returns b's text, or NULL. */
static const char *fold_into(buf_t *b, const char *s) {
    buf_reset(b);
    for (; *s; s++)
        if (buf_append_byte(b, (uint8_t)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s)) != 0) return NULL;
    return buf_cstr(b);
}

/* table_key: "<module>\0<lowercased name>" (malloc'd; *len excludes the final NUL), or NULL. */
static char *table_key(const char *module, const char *name, size_t *len) {
    size_t ml = strlen(module), nl = strlen(name);
    char *k = malloc(ml + nl + 2);
    if (!k) return NULL;
    memcpy(k, module, ml + 1);
    for (size_t i = 0; i <= nl; i++) k[ml + 1 + i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
    *len = ml + 1 + nl;
    return k;
}

/* is_identifier: s matches [A-Za-z_][A-Za-z0-9_]*. */
static bool is_identifier(const char *s) {
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_')) return false;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

/* definition_problem: why the store cannot hold table definition def
 * (NULL if it can). The run-wide registry refuses these earlier; the
 * store checks again because it never trusts its input. */
static const char *definition_problem(const meta_table_t *def) {
    if (!is_identifier(def->name)) return "its name is not an identifier";
    if (store_reserved_table(def->name)) return "its name is reserved by wadup's database";
    if (def->ncolumns == 0) return "it has no columns";
    for (size_t i = 0; i < def->ncolumns; i++) {
        if (!is_identifier(def->columns[i].name)) return "a column name is not an identifier";
        if (store_reserved_column(def->columns[i].name)) return "a column name is reserved";
    }
    return NULL;
}

/* same_definition: def has exactly t's name, columns and types. */
static bool same_definition(const store_table_t *t, const meta_table_t *def) {
    if (strcmp(t->name, def->name) != 0 || t->ncolumns != def->ncolumns) return false;
    for (size_t i = 0; i < def->ncolumns; i++)
        if (strcmp(t->columns[i].name, def->columns[i].name) != 0 || t->columns[i].type != def->columns[i].type)
            return false;
    return true;
}

/* ---- outcomes ---- */

/* module_fault: SQLite result codes that a module's metadata can cause
 * while the store itself is sound. */
static bool module_fault(int rc) {
    switch (rc & 0xff) {
    case SQLITE_ERROR: case SQLITE_TOOBIG: case SQLITE_RANGE: case SQLITE_CONSTRAINT: case SQLITE_MISMATCH:
        return true;
    default:
        return false;
    }
}

/* outcome: classify a failed SQLite call (rc, with SQLite's message msg):
 * STORE_REFUSED with msg appended to why when the module caused it and
 * the transaction is still open, else record a store failure. */
static int outcome(store_t *s, int rc, const char *what, const char *msg, buf_t *why) {
    if (module_fault(rc) && !sqlite3_get_autocommit(s->db)) {
        if (buf_append_str(why, msg) == 0) return STORE_REFUSED;
        msg = "out of memory";
    }
    buf_t m = BUF_INIT;
    if (buf_printf(&m, "%s: %s", what, msg) != 0) store_set_error_plain(s, "out of memory");
    else store_set_error_plain(s, buf_cstr(&m));
    buf_free(&m);
    return STORE_FAILED;
}

/* fail_oom: record running out of memory as a store failure. */
static int fail_oom(store_t *s) {
    store_set_error_plain(s, "out of memory");
    return STORE_FAILED;
}

/* exec_sql: run built SQL text; STORE_OK or outcome(). */
static int exec_sql(store_t *s, sql_text_t *q, const char *what, buf_t *why) {
    if (q->oom) { store_set_error_plain(s, "out of memory building SQL"); return STORE_FAILED; }
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, buf_cstr(&q->b), NULL, NULL, &msg);
    if (rc == SQLITE_OK) return STORE_OK;
    rc = outcome(s, rc, what, msg ? msg : sqlite3_errstr(rc), why);
    sqlite3_free(msg);
    return rc;
}

/* step_once: step a prepared statement to completion and reset it. */
static int step_once(store_t *s, sqlite3_stmt *st, const char *what, buf_t *why) {
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        s->txn_rows++;
        return STORE_OK;
    }
    buf_t msg = BUF_INIT;
    int failed = buf_append_str(&msg, sqlite3_errmsg(s->db));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    rc = failed ? fail_oom(s) : outcome(s, rc, what, buf_cstr(&msg), why);
    buf_free(&msg);
    return rc;
}

/* ---- the registry ---- */

static void table_free(store_table_t *t) {
    if (!t) return;
    sqlite3_finalize(t->insert);
    for (size_t i = 0; i < t->ncolumns; i++) free(t->columns[i].name);
    free(t->columns);
    free(t->module);
    free(t->name);
    free(t->sql_name);
    free(t->key);
    free(t->sql_key);
    free(t);
}

/* table_new: an unregistered entry for module's table def (no physical
 * name yet), or NULL when out of memory. */
static store_table_t *table_new(const char *module, const meta_table_t *def) {
    store_table_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->module = strdup(module);
    t->name = strdup(def->name);
    t->key = table_key(module, def->name, &t->key_len);
    t->columns = calloc(def->ncolumns ? def->ncolumns : 1, sizeof *t->columns);
    bool ok = t->module && t->name && t->key && t->columns;
    for (; ok && t->ncolumns < def->ncolumns; t->ncolumns++) {
        t->columns[t->ncolumns].type = def->columns[t->ncolumns].type;
        ok = (t->columns[t->ncolumns].name = strdup(def->columns[t->ncolumns].name)) != NULL;
    }
    if (!ok) { table_free(t); return NULL; }
    return t;
}

/* table_set_sql_name: give t the physical name `name` (copied). 0 or -1. */
static int table_set_sql_name(store_table_t *t, const char *name) {
    t->sql_name = strdup(name);
    t->sql_key = fold_dup(name);
    return t->sql_name && t->sql_key ? 0 : -1;
}

/* table_choose_sql_name: "<name>@<module>", or with "#2", "#3"... the
 * first one no other physical table uses (SQLite folds ASCII case, so
 * modules "A" and "a" would otherwise share a table). 0 or -1 (OOM). */
static int table_choose_sql_name(store_t *s, store_table_t *t) {
    buf_t name = BUF_INIT, key = BUF_INIT;
    int rc = -1;
    for (size_t k = 1; k <= s->ntables + 1; k++) {
        buf_reset(&name);
        if ((k == 1 ? buf_printf(&name, "%s@%s", t->name, t->module)
                    : buf_printf(&name, "%s@%s#%zu", t->name, t->module, k)) != 0)
            break;
        const char *folded = fold_into(&key, buf_cstr(&name));
        if (!folded) break;
        if (!keymap_get(&s->sql_map, folded, key.len)) {
            rc = table_set_sql_name(t, buf_cstr(&name));
            break;
        }
    }
    buf_free(&name);
    buf_free(&key);
    return rc;
}

/* registry_add: register t (named) in s->tables and both maps. 0 or -1
 * (OOM, nothing registered). */
static int registry_add(store_t *s, store_table_t *t) {
    if (s->ntables == s->tables_cap) {
        size_t cap = s->tables_cap ? s->tables_cap * 2 : 16;
        store_table_t **grown = realloc(s->tables, cap * sizeof *grown);
        if (!grown) return -1;
        s->tables = grown;
        s->tables_cap = cap;
    }
    if (keymap_reserve(&s->table_map, 1) != 0 || keymap_reserve(&s->sql_map, 1) != 0) return -1;
    keymap_put(&s->table_map, t->key, t->key_len, t); /* reserved: cannot fail */
    keymap_put(&s->sql_map, t->sql_key, strlen(t->sql_key), t);
    s->tables[s->ntables++] = t;
    return 0;
}

/* registry_remove: undo registry_add of the most recently added table. */
static void registry_remove(store_t *s, store_table_t *t) {
    keymap_remove(&s->table_map, t->key, t->key_len);
    keymap_remove(&s->sql_map, t->sql_key, strlen(t->sql_key));
    if (s->ntables && s->tables[s->ntables - 1] == t) s->ntables--;
}

/* ---- views ---- */

static void view_free(store_view_t *v) {
    if (!v) return;
    for (size_t i = 0; i < v->ncolumns; i++) {
        free(v->columns[i]);
        free(v->column_keys[i]);
    }
    free(v->columns);
    free(v->column_keys);
    free(v->members);
    keymap_free(&v->column_map);
    free(v->name);
    free(v->key);
    free(v);
}

/* view_new: an empty view named name, registered in s, or NULL (OOM). */
static store_view_t *view_new(store_t *s, const char *name) {
    store_view_t *v = calloc(1, sizeof *v);
    if (!v || !(v->name = strdup(name)) || !(v->key = fold_dup(name)) || keymap_reserve(&s->view_map, 1) != 0) {
        view_free(v);
        return NULL;
    }
    if (s->nviews == s->views_cap) {
        size_t cap = s->views_cap ? s->views_cap * 2 : 16;
        store_view_t **grown = realloc(s->views, cap * sizeof *grown);
        if (!grown) { view_free(v); return NULL; }
        s->views = grown;
        s->views_cap = cap;
    }
    keymap_put(&s->view_map, v->key, strlen(v->key), v); /* reserved */
    s->views[s->nviews++] = v;
    return v;
}

/* view_drop_last: unregister and free v, the most recently added view. */
static void view_drop_last(store_t *s, store_view_t *v) {
    keymap_remove(&s->view_map, v->key, strlen(v->key));
    if (s->nviews && s->views[s->nviews - 1] == v) s->nviews--;
    view_free(v);
}

/* view_column: the index of lowercased column `key` in v, or SIZE_MAX. */
static size_t view_column(const store_view_t *v, const char *key, size_t len) {
    void *p = keymap_get(&v->column_map, key, len);
    return p ? (size_t)(uintptr_t)p - 1 : SIZE_MAX;
}

/* view_new_columns: how many of t's columns v does not have yet
 * (SIZE_MAX when out of memory). */
static size_t view_new_columns(const store_view_t *v, const store_table_t *t) {
    buf_t key = BUF_INIT;
    size_t n = 0;
    for (size_t i = 0; i < t->ncolumns && n != SIZE_MAX; i++) {
        const char *k = fold_into(&key, t->columns[i].name);
        if (!k) n = SIZE_MAX;
        else if (view_column(v, k, key.len) == SIZE_MAX) n++;
    }
    buf_free(&key);
    return n;
}

/* view_fits: whether t can join v within SQLite's limits (columns of a
 * result, terms of a compound SELECT) and STORE_VIEW_MAX_CELLS. */
static bool view_fits(const store_t *s, const store_view_t *v, const store_table_t *t, size_t new_columns) {
    size_t members = v ? v->nmembers + 1 : 1;
    size_t columns = 2 + (v ? v->ncolumns : 0) + new_columns;
    return members <= (size_t)s->max_compound && columns <= (size_t)s->max_columns &&
           members <= STORE_VIEW_MAX_CELLS / columns && t->ncolumns < (size_t)s->max_columns;
}

/* view_truncate: forget the members and columns added after the first
 * nmembers / ncolumns (undoing a join). */
static void view_truncate(store_view_t *v, size_t nmembers, size_t ncolumns) {
    while (v->ncolumns > ncolumns) {
        v->ncolumns--;
        keymap_remove(&v->column_map, v->column_keys[v->ncolumns], strlen(v->column_keys[v->ncolumns]));
        free(v->columns[v->ncolumns]);
        free(v->column_keys[v->ncolumns]);
    }
    for (size_t i = nmembers; i < v->nmembers; i++) v->members[i]->view = NULL;
    v->nmembers = nmembers;
}

/* view_add_column: append column `name` (lowercased `key`, taken over). 0 or -1. */
static int view_add_column(store_view_t *v, const char *name, char *key) {
    if (v->ncolumns == v->columns_cap) {
        size_t cap = v->columns_cap ? v->columns_cap * 2 : 8;
        char **c = realloc(v->columns, cap * sizeof *c);
        if (c) v->columns = c;
        char **k = c ? realloc(v->column_keys, cap * sizeof *k) : NULL;
        if (k) v->column_keys = k;
        if (!c || !k) { free(key); return -1; }
        v->columns_cap = cap;
    }
    char *copy = strdup(name);
    if (!copy || keymap_put(&v->column_map, key, strlen(key), (void *)(uintptr_t)(v->ncolumns + 1)) != 0) {
        free(copy);
        free(key);
        return -1;
    }
    v->columns[v->ncolumns] = copy;
    v->column_keys[v->ncolumns++] = key;
    return 0;
}

/* view_add_member: t joins v in memory: its new columns (in order) and
 * itself. 0, or -1 when out of memory (v may hold some of the columns:
 * the caller truncates). */
static int view_add_member(store_view_t *v, store_table_t *t) {
    if (v->nmembers == v->members_cap) {
        size_t cap = v->members_cap ? v->members_cap * 2 : 4;
        store_table_t **grown = realloc(v->members, cap * sizeof *grown);
        if (!grown) return -1;
        v->members = grown;
        v->members_cap = cap;
    }
    for (size_t i = 0; i < t->ncolumns; i++) {
        char *key = fold_dup(t->columns[i].name);
        if (!key) return -1;
        if (view_column(v, key, strlen(key)) != SIZE_MAX) free(key);
        else if (view_add_column(v, t->columns[i].name, key) != 0) return -1;
    }
    v->members[v->nmembers++] = t;
    t->view = v;
    return 0;
}

/* view_member_sql: one member's SELECT: its columns under the view's
 * names, NULL for the view's columns it lacks. `sel` has v->ncolumns slots. */
static void view_member_sql(sql_text_t *q, const store_view_t *v, const store_table_t *m, const char **sel,
                            buf_t *key) {
    memset(sel, 0, v->ncolumns * sizeof *sel);
    for (size_t i = 0; i < m->ncolumns; i++) {
        const char *k = fold_into(key, m->columns[i].name);
        size_t at = k ? view_column(v, k, key->len) : SIZE_MAX;
        if (!k) q->oom = true;
        else if (at != SIZE_MAX) sel[at] = m->columns[i].name;
    }
    sql_add(q, "SELECT _content, ");
    sql_literal(q, m->module);
    sql_add(q, " AS _module");
    for (size_t i = 0; i < v->ncolumns; i++) {
        sql_add(q, ", ");
        if (sel[i]) sql_ident(q, sel[i]);
        else sql_add(q, "NULL");
        sql_add(q, " AS ");
        sql_ident(q, v->columns[i]);
    }
    sql_add(q, " FROM ");
    sql_ident(q, m->sql_name);
}

/* view_sql: DROP and CREATE of the view over all its members. */
static void view_sql(sql_text_t *q, const store_view_t *v) {
    const char **sel = calloc(v->ncolumns ? v->ncolumns : 1, sizeof *sel);
    buf_t key = BUF_INIT;
    if (!sel) q->oom = true;
    sql_add(q, "DROP VIEW IF EXISTS main.");
    sql_ident(q, v->name);
    sql_add(q, "; CREATE VIEW main.");
    sql_ident(q, v->name);
    sql_add(q, " AS ");
    for (size_t i = 0; sel && !q->oom && i < v->nmembers; i++) {
        if (i) sql_add(q, " UNION ALL ");
        view_member_sql(q, v, v->members[i], sel, &key);
    }
    buf_free(&key);
    free(sel);
}

/* ---- creating a table ---- */

/* What creating one table changed, so that a refusal can undo it. */
typedef struct pending {
    store_table_t *table;       /* created (and registered) in this savepoint */
    store_view_t *view;         /* the view it joined, or NULL */
    bool view_new;              /* the view was created for it */
    size_t old_members, old_columns;
} pending_t;

/* pending_undo: forget a table created in a rolled-back savepoint. */
static void pending_undo(store_t *s, pending_t *p) {
    if (!p->table) return;
    if (p->view) view_truncate(p->view, p->old_members, p->old_columns);
    if (p->view_new) view_drop_last(s, p->view);
    registry_remove(s, p->table);
    table_free(p->table);
    memset(p, 0, sizeof *p);
}

/* table_prepare_insert: t's INSERT statement. */
static int table_prepare_insert(store_t *s, store_table_t *t, buf_t *why) {
    sql_text_t q = {BUF_INIT, false};
    sql_add(&q, "INSERT INTO main.");
    sql_ident(&q, t->sql_name);
    sql_add(&q, " VALUES (?");
    for (size_t i = 0; i < t->ncolumns; i++) sql_add(&q, ",?");
    sql_add(&q, ")");
    int rc = STORE_OK;
    if (q.oom) {
        store_set_error_plain(s, "out of memory building SQL");
        rc = STORE_FAILED;
    } else {
        int e = sqlite3_prepare_v3(s->db, buf_cstr(&q.b), -1, SQLITE_PREPARE_PERSISTENT, &t->insert, NULL);
        if (e != SQLITE_OK) rc = outcome(s, e, "preparing a metadata insert", sqlite3_errmsg(s->db), why);
    }
    buf_free(&q.b);
    return rc;
}

/* sql_type: the SQL column type of a metadata type. */
static const char *sql_type(meta_type_t t) {
    switch (t) {
    case META_INT64: return "INTEGER";
    case META_FLOAT64: return "REAL";
    case META_STRING: return "TEXT";
    case META_BOOLEAN: return "INTEGER";
    }
    return "BLOB";
}

/* table_create_sql: CREATE TABLE for t and its insert statement. */
static int table_create_sql(store_t *s, store_table_t *t, buf_t *why) {
    sql_text_t q = {BUF_INIT, false};
    sql_add(&q, "CREATE TABLE main.");
    sql_ident(&q, t->sql_name);
    sql_add(&q, " (_content INTEGER NOT NULL");
    for (size_t i = 0; i < t->ncolumns; i++) {
        sql_add(&q, ", ");
        sql_ident(&q, t->columns[i].name);
        sql_add(&q, " ");
        sql_add(&q, sql_type(t->columns[i].type));
    }
    sql_add(&q, ")");
    int rc = exec_sql(s, &q, "creating a metadata table", why);
    buf_free(&q.b);
    return rc == STORE_OK ? table_prepare_insert(s, t, why) : rc;
}

/* table_join_view: t joins the view of its name when it fits (creating
 * the view for a new name) and the view is re-created. */
static int table_join_view(store_t *s, store_table_t *t, pending_t *p, buf_t *why) {
    buf_t key = BUF_INIT;
    const char *k = fold_into(&key, t->name);
    store_view_t *v = k ? keymap_get(&s->view_map, k, key.len) : NULL;
    buf_free(&key);
    if (!k) return fail_oom(s);
    size_t fresh = v ? view_new_columns(v, t) : t->ncolumns;
    if (fresh == SIZE_MAX) return fail_oom(s);
    if (!view_fits(s, v, t, fresh)) return STORE_OK; /* stored, but not in the view */
    if (!v) {
        if (!(v = view_new(s, t->name))) return fail_oom(s);
        p->view_new = true;
    }
    p->view = v;
    p->old_members = v->nmembers;
    p->old_columns = v->ncolumns;
    if (view_add_member(v, t) != 0) return fail_oom(s);
    sql_text_t q = {BUF_INIT, false};
    view_sql(&q, v);
    int rc = exec_sql(s, &q, "creating a metadata view", why);
    buf_free(&q.b);
    return rc;
}

/* columns_json: t's definition as metadata_tables.columns (malloc'd), or NULL. */
static char *columns_json(const store_table_t *t) {
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < t->ncolumns; i++) {
        json_t *c = json_pack("{s:s,s:s}", "name", t->columns[i].name, "data_type", meta_type_name(t->columns[i].type));
        if (!c || json_array_append_new(arr, c) != 0) { json_decref(arr); arr = NULL; }
    }
    /* json_dumpb into our own buffer: jansson's allocator is not malloc
     * (src/meta installs its own), so its strings must not reach free(). */
    size_t n = arr ? json_dumpb(arr, NULL, 0, JSON_COMPACT) : 0;
    char *text = n ? malloc(n + 1) : NULL;
    if (text && json_dumpb(arr, text, n, JSON_COMPACT) == n) text[n] = 0;
    else { free(text); text = NULL; }
    json_decref(arr);
    return text;
}

/* table_record: t's row in metadata_tables. */
static int table_record(store_t *s, const store_table_t *t, buf_t *why) {
    char *cols = columns_json(t);
    if (!cols) return fail_oom(s);
    sqlite3_stmt *st = s->ins_meta_table;
    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, t->module, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, t->sql_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, cols, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, t->view != NULL);
    int rc = step_once(s, st, "recording a metadata table", why);
    free(cols);
    return rc;
}

/* table_create: a new (module, table): registry entry, physical table,
 * view membership, metadata_tables row. */
static int table_create(store_t *s, const char *module, const meta_table_t *def, pending_t *p, buf_t *why,
                        store_table_t **out) {
    const char *problem = definition_problem(def);
    if (problem) return buf_append_str(why, problem) == 0 ? STORE_REFUSED : fail_oom(s);
    store_table_t *t = table_new(module, def);
    if (!t || table_choose_sql_name(s, t) != 0 || registry_add(s, t) != 0) {
        table_free(t);
        return fail_oom(s);
    }
    p->table = t;
    int rc = table_create_sql(s, t, why);
    if (rc == STORE_OK) rc = table_join_view(s, t, p, why);
    if (rc == STORE_OK) rc = table_record(s, t, why);
    *out = t;
    return rc;
}

/* table_lookup: module's stored table for definition def in *out (NULL
 * when it is new), its insert statement prepared. */
static int table_lookup(store_t *s, const char *module, const meta_table_t *def, buf_t *why, store_table_t **out) {
    size_t ml = strlen(module);
    buf_reset(&s->key_buf);
    if (buf_append(&s->key_buf, module, ml + 1) != 0 || !fold_into(&s->scratch, def->name) ||
        buf_append(&s->key_buf, s->scratch.data, s->scratch.len) != 0)
        return fail_oom(s);
    store_table_t *t = keymap_get(&s->table_map, s->key_buf.data, s->key_buf.len);
    *out = t;
    if (!t) return STORE_OK;
    if (!same_definition(t, def)) {
        int e = buf_printf(why, "it does not match the module's table '%s' already stored (%zu columns)", t->name,
                           t->ncolumns);
        return e == 0 ? STORE_REFUSED : fail_oom(s);
    }
    return t->insert ? STORE_OK : table_prepare_insert(s, t, why);
}

/* ---- writing rows ---- */

/* bind_value: value v as parameter k. */
static int bind_value(sqlite3_stmt *st, int k, const meta_value_t *v) {
    if (v->is_null) return sqlite3_bind_null(st, k);
    switch (v->type) {
    case META_INT64: return sqlite3_bind_int64(st, k, v->u.i);
    case META_FLOAT64: return sqlite3_bind_double(st, k, v->u.f);
    case META_STRING: return sqlite3_bind_text64(st, k, v->u.s.ptr, v->u.s.len, SQLITE_STATIC, SQLITE_UTF8);
    case META_BOOLEAN: return sqlite3_bind_int(st, k, v->u.b ? 1 : 0);
    }
    return SQLITE_MISMATCH;
}

/* insert_row: one row into t (whose definition the row's table matches). */
static int insert_row(store_t *s, store_table_t *t, int64_t content_id, const meta_row_t *row, buf_t *why) {
    sqlite3_stmt *st = t->insert;
    int rc = sqlite3_bind_int64(st, 1, content_id);
    for (size_t i = 0; rc == SQLITE_OK && i < t->ncolumns; i++) rc = bind_value(st, (int)i + 2, &row->values[i]);
    if (rc == SQLITE_OK) return step_once(s, st, "inserting a metadata row", why);
    sqlite3_clear_bindings(st);
    return outcome(s, rc, "inserting a metadata row", sqlite3_errstr(rc), why);
}

/* The rows of one module run that belong to one table definition. */
typedef struct row_list {
    const meta_row_t *rows;
    const size_t *order;        /* indexes into rows; NULL = rows[0..n) */
    size_t n;
} row_list_t;

static const meta_row_t *row_at(const row_list_t *l, size_t i) { return l->order ? &l->rows[l->order[i]] : &l->rows[i]; }

/* savepoint: run one of the savepoint statements. 0 or -1 (recorded). */
static int savepoint(store_t *s, sqlite3_stmt *st) {
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) return 0;
    store_set_error(s, "managing a savepoint");
    return -1;
}

/* The refusals of one module run. */
typedef struct refusals {
    buf_t *text;               /* the first STORE_SHOWN_REFUSALS, described */
    size_t count;
} refusals_t;

/* note_refusal: describe (or count) a refused table. 0 or -1 (OOM). */
static int note_refusal(refusals_t *r, const char *module, const char *table, const buf_t *why, size_t nrows) {
    if (r->count++ >= STORE_SHOWN_REFUSALS) return 0;
    return buf_printf(r->text, "%stable '%s' of module '%s' was not stored: %s (%zu row%s dropped)",
                      r->text->len ? "; " : "", table, module, buf_cstr(why), nrows, nrows == 1 ? "" : "s");
}

/* write_rows: table t (found or created in the open savepoint, if any)
 * and the group's rows. */
static int write_rows(store_t *s, int64_t content_id, const char *module, const row_list_t *rows, store_table_t *t,
                      pending_t *p, buf_t *why) {
    int rc = t ? STORE_OK : table_create(s, module, row_at(rows, 0)->table, p, why, &t);
    for (size_t i = 0; rc == STORE_OK && i < rows->n; i++) rc = insert_row(s, t, content_id, row_at(rows, i), why);
    return rc;
}

/* write_group: one table's rows of a module run. Several statements (a
 * new table, several rows) run inside a savepoint, rolled back when the
 * database refuses them; a single row into an existing table needs none
 * (a failed statement undoes itself). A refusal is noted in problems.
 * 0, or -1 on a store failure. */
static int write_group(store_t *s, int64_t content_id, const char *module, const row_list_t *rows,
                       refusals_t *problems) {
    const meta_table_t *def = row_at(rows, 0)->table;
    buf_t why = BUF_INIT;
    pending_t p = {0};
    store_table_t *t = NULL;
    int rc = table_lookup(s, module, def, &why, &t);
    bool guarded = rc == STORE_OK && (!t || rows->n > 1);
    if (guarded && savepoint(s, s->sp_begin) != 0) rc = STORE_FAILED;
    if (rc == STORE_OK) rc = write_rows(s, content_id, module, rows, t, &p, &why);
    if (rc == STORE_OK && guarded && savepoint(s, s->sp_release) != 0) rc = STORE_FAILED;
    if (rc == STORE_REFUSED) {
        pending_undo(s, &p);
        if (guarded && (savepoint(s, s->sp_rollback) != 0 || savepoint(s, s->sp_release) != 0)) rc = STORE_FAILED;
        else if (note_refusal(problems, module, def->name, &why, rows->n) != 0) rc = fail_oom(s);
    }
    if (rc == STORE_FAILED) pending_undo(s, &p);
    buf_free(&why);
    return rc == STORE_FAILED ? -1 : 0;
}

/* group_rows: order the rows by table definition (stable), in order of
 * first appearance: groups[g] is the end of group g in *order. Returns
 * the number of groups, or 0 when out of memory. */
static size_t group_rows(const meta_batch_t *b, size_t **order, size_t **ends) {
    size_t n = b->nrows, ngroups = 0;
    size_t *gidx = malloc(n * sizeof *gidx), *cnt = calloc(n, sizeof *cnt), *ord = malloc(n * sizeof *ord);
    keymap_t map = KEYMAP_INIT;
    bool ok = gidx && cnt && ord;
    for (size_t i = 0; ok && i < n; i++) {
        /* The key is the row's own table pointer field: it stays put. */
        const void *key = &b->rows[i].table;
        void *v = keymap_get(&map, key, sizeof b->rows[i].table);
        if (!v) {
            v = (void *)(uintptr_t)(++ngroups);
            ok = keymap_put(&map, key, sizeof b->rows[i].table, v) == 0;
        }
        gidx[i] = (size_t)(uintptr_t)v - 1;
        cnt[gidx[i]]++;
    }
    for (size_t g = 0, sum = 0; ok && g < ngroups; g++) {
        size_t c = cnt[g];
        cnt[g] = sum;
        sum += c;
    }
    for (size_t i = 0; ok && i < n; i++) ord[cnt[gidx[i]]++] = i;
    keymap_free(&map);
    free(gidx);
    if (!ok) { free(cnt); free(ord); return 0; }
    *order = ord;
    *ends = cnt;
    return ngroups;
}

/* one_table: all rows of b use the same definition. */
static bool one_table(const meta_batch_t *b) {
    for (size_t i = 1; i < b->nrows; i++)
        if (b->rows[i].table != b->rows[0].table) return false;
    return true;
}

/* store_meta_write_run: see store_internal.h. */
int store_meta_write_run(store_t *s, int64_t content_id, const store_run_t *run, buf_t *problems) {
    const meta_batch_t *b = &run->result.metadata;
    if (b->nrows == 0) return 0;
    refusals_t refused = {problems, 0};
    if (one_table(b)) {
        row_list_t all = {b->rows, NULL, b->nrows};
        return write_group(s, content_id, run->module, &all, &refused);
    }
    size_t *order = NULL, *ends = NULL;
    size_t ngroups = group_rows(b, &order, &ends);
    if (!ngroups) { store_set_error_plain(s, "out of memory grouping metadata rows"); return -1; }
    int rc = 0;
    for (size_t g = 0; rc == 0 && g < ngroups; g++) {
        size_t start = g ? ends[g - 1] : 0;
        row_list_t group = {b->rows, order + start, ends[g] - start};
        rc = write_group(s, content_id, run->module, &group, &refused);
    }
    free(order);
    free(ends);
    if (rc == 0 && refused.count > STORE_SHOWN_REFUSALS &&
        buf_printf(problems, "; and %zu more tables of module '%s' were not stored (their rows were dropped)",
                   refused.count - STORE_SHOWN_REFUSALS, run->module) != 0)
        rc = fail_oom(s);
    return rc;
}

/* ---- statements, loading, indexes, freeing ---- */

/* store_meta_prepare: see store_internal.h. */
int store_meta_prepare(store_t *s) {
    static const char *const sql[] = {
        "INSERT INTO metadata_tables (name, module, sql_table, columns, in_view) VALUES (?,?,?,?,?)",
        "SAVEPOINT wadup_table", "RELEASE wadup_table", "ROLLBACK TO wadup_table"};
    sqlite3_stmt **st[] = {&s->ins_meta_table, &s->sp_begin, &s->sp_release, &s->sp_rollback};
    s->max_columns = sqlite3_limit(s->db, SQLITE_LIMIT_COLUMN, -1);
    s->max_compound = sqlite3_limit(s->db, SQLITE_LIMIT_COMPOUND_SELECT, -1);
    for (size_t i = 0; i < sizeof sql / sizeof *sql; i++)
        if (sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, st[i], NULL) != SQLITE_OK) {
            store_set_error(s, "preparing a statement");
            return -1;
        }
    return 0;
}

/* definition_from_json: a definition from metadata_tables.columns; the
 * caller frees the column names and array. 0 or -1. */
static int definition_from_json(const char *name, const char *columns, meta_table_t *t) {
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
        if (!(t->columns[t->ncolumns].name = strdup(cname))) { rc = -1; break; }
        t->columns[t->ncolumns++].type = ty;
    }
    json_decref(arr);
    return rc;
}

/* load_one: register one metadata_tables row (module's table def with
 * physical name sql_name) and delete its rows of contents being redone. */
static int load_one(store_t *s, const char *module, const meta_table_t *def, const char *sql_name, bool in_view) {
    store_table_t *t = table_new(module, def);
    if (!t || table_set_sql_name(t, sql_name) != 0) { table_free(t); return -1; }
    if (keymap_get(&s->table_map, t->key, t->key_len) || keymap_get(&s->sql_map, t->sql_key, strlen(t->sql_key)) ||
        registry_add(s, t) != 0) {
        table_free(t);
        return -1;
    }
    if (in_view) {
        buf_t key = BUF_INIT;
        const char *k = fold_into(&key, t->name);
        store_view_t *v = k ? keymap_get(&s->view_map, k, key.len) : NULL;
        buf_free(&key);
        if (!k || (!v && !(v = view_new(s, t->name))) || view_add_member(v, t) != 0) return -1;
    }
    sql_text_t q = {BUF_INIT, false};
    sql_add(&q, "DELETE FROM main.");
    sql_ident(&q, sql_name);
    sql_add(&q, " WHERE _content IN (SELECT id FROM temp.wadup_redo)");
    buf_t why = BUF_INIT;
    int rc = exec_sql(s, &q, "removing rows of unfinished contents", &why) == STORE_OK ? 0 : -1;
    if (rc != 0 && !s->error) store_set_error_plain(s, why.len ? buf_cstr(&why) : "removing rows of unfinished contents");
    buf_free(&why);
    buf_free(&q.b);
    return rc;
}

/* store_meta_load: see store_internal.h. */
int store_meta_load(store_t *s) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT name, module, sql_table, columns, in_view FROM metadata_tables ORDER BY rowid",
                           -1, &st, NULL) != SQLITE_OK) {
        store_set_error(s, "listing metadata tables");
        return -1;
    }
    int rc = 0, step;
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *module = (const char *)sqlite3_column_text(st, 1);
        const char *sql_name = (const char *)sqlite3_column_text(st, 2);
        const char *columns = (const char *)sqlite3_column_text(st, 3);
        meta_table_t def = {0};
        rc = name && module && sql_name && columns && definition_from_json(name, columns, &def) == 0 ? 0 : -1;
        if (rc == 0) rc = load_one(s, module, &def, sql_name, sqlite3_column_int(st, 4) != 0);
        if (rc != 0 && !s->error) store_set_error_plain(s, "metadata_tables holds an invalid or duplicate entry");
        for (size_t i = 0; i < def.ncolumns; i++) free(def.columns[i].name);
        free(def.columns);
    }
    if (rc == 0 && step != SQLITE_DONE) {
        store_set_error(s, "listing metadata tables");
        rc = -1;
    }
    sqlite3_finalize(st);
    return rc;
}

/* store_each_table: see store.h (from the registry loaded at open). */
void store_each_table(store_t *s, void (*fn)(void *ctx, const char *module, const meta_table_t *t), void *ctx) {
    for (size_t i = 0; i < s->ntables; i++) {
        const store_table_t *t = s->tables[i];
        meta_table_t def = {t->name, t->columns, t->ncolumns};
        fn(ctx, t->module, &def);
    }
}

/* store_meta_indexes: see store_internal.h. */
int store_meta_indexes(store_t *s) {
    for (size_t i = 0; i < s->ntables; i++) {
        const store_table_t *t = s->tables[i];
        buf_t index = BUF_INIT;
        sql_text_t q = {BUF_INIT, buf_printf(&index, STORE_INTERNAL_PREFIX "content:%s", t->sql_name) != 0};
        sql_add(&q, "CREATE INDEX IF NOT EXISTS main.");
        sql_ident(&q, buf_cstr(&index));
        sql_add(&q, " ON ");
        sql_ident(&q, t->sql_name);
        sql_add(&q, "(_content)");
        int rc = q.oom ? fail_oom(s) : store_exec(s, buf_cstr(&q.b));
        buf_free(&q.b);
        buf_free(&index);
        if (rc != 0) return -1;
    }
    return 0;
}

/* store_meta_free: see store_internal.h. */
void store_meta_free(store_t *s) {
    sqlite3_finalize(s->ins_meta_table);
    sqlite3_finalize(s->sp_begin);
    sqlite3_finalize(s->sp_release);
    sqlite3_finalize(s->sp_rollback);
    buf_free(&s->key_buf);
    buf_free(&s->scratch);
    for (size_t i = 0; i < s->ntables; i++) table_free(s->tables[i]);
    for (size_t i = 0; i < s->nviews; i++) view_free(s->views[i]);
    free(s->tables);
    free(s->views);
    keymap_free(&s->table_map);
    keymap_free(&s->sql_map);
    keymap_free(&s->view_map);
    s->tables = NULL;
    s->views = NULL;
    s->ntables = s->nviews = 0;
}
