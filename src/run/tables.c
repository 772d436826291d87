/* tables.c — owns the run-wide metadata table registry (see tables.h):
 * entries keyed by "<module>\0<lowercased table name>" and per-module
 * usage keyed by module name, both in keyed hash maps (store/keymap.h). */
#include "run/tables.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store/keymap.h"
#include "store/store.h"
#include "util/buf.h"

#define DESCRIBE_COLUMNS 8 /* columns listed when describing a definition */
#define SHOWN_REFUSALS 8   /* refused tables described in one error; the rest are counted */

typedef struct reg_table {
    char *key;                 /* module, NUL, lowercased name (module = key) */
    size_t key_len;
    char *name;
    meta_column_t *columns;
    size_t ncolumns;
} reg_table_t;

/* What one module has registered. */
typedef struct reg_module {
    char *name;
    size_t tables, columns;
} reg_module_t;

struct run_tables {
    pthread_mutex_t lock;
    keymap_t by_key;           /* reg_table_t.key -> reg_table_t */
    reg_table_t **tables;
    size_t n, cap;
    keymap_t by_module;        /* reg_module_t.name -> reg_module_t */
    reg_module_t **modules;
    size_t nmodules, modules_cap;
    size_t columns;            /* of all registered tables */
    size_t shares;             /* modules in the run: each gets 1/shares of each cap */
};

/* run_tables_new: see tables.h. */
run_tables_t *run_tables_new(void) {
    run_tables_t *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    pthread_mutex_init(&t->lock, NULL);
    t->shares = 1;
    return t;
}

/* reg_table_free: an entry and its copies. */
static void reg_table_free(reg_table_t *r) {
    if (!r) return;
    for (size_t k = 0; k < r->ncolumns; k++) free(r->columns[k].name);
    free(r->columns);
    free(r->name);
    free(r->key);
    free(r);
}

/* run_tables_free: see tables.h. */
void run_tables_free(run_tables_t *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) reg_table_free(t->tables[i]);
    for (size_t i = 0; i < t->nmodules; i++) {
        free(t->modules[i]->name);
        free(t->modules[i]);
    }
    free(t->tables);
    free(t->modules);
    keymap_free(&t->by_key);
    keymap_free(&t->by_module);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* run_tables_set_modules: see tables.h. */
void run_tables_set_modules(run_tables_t *t, size_t n) {
    pthread_mutex_lock(&t->lock);
    t->shares = n ? n : 1;
    pthread_mutex_unlock(&t->lock);
}

/* ---- keys and lookups ---- */

/* lower: ASCII lowercase of c. */
static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* reg_key: "<module>\0<lowercased name>" (malloc'd; *len without the final NUL), or NULL. */
static char *reg_key(const char *module, const char *name, size_t *len) {
    size_t ml = strlen(module), nl = strlen(name);
    char *k = malloc(ml + nl + 2);
    if (!k) return NULL;
    memcpy(k, module, ml + 1);
    for (size_t i = 0; i <= nl; i++) k[ml + 1 + i] = lower(name[i]);
    *len = ml + 1 + nl;
    return k;
}

/* reg_module: module's usage record, created if new (NULL when out of memory). */
static reg_module_t *reg_module(run_tables_t *t, const char *module) {
    reg_module_t *m = keymap_get(&t->by_module, module, strlen(module));
    if (m) return m;
    if (t->nmodules == t->modules_cap) {
        size_t cap = t->modules_cap ? t->modules_cap * 2 : 8;
        reg_module_t **grown = realloc(t->modules, cap * sizeof *grown);
        if (!grown) return NULL;
        t->modules = grown;
        t->modules_cap = cap;
    }
    m = calloc(1, sizeof *m);
    if (!m || !(m->name = strdup(module)) || keymap_put(&t->by_module, m->name, strlen(m->name), m) != 0) {
        if (m) free(m->name);
        free(m);
        return NULL;
    }
    t->modules[t->nmodules++] = m;
    return m;
}

/* reg_same: whether definition m is exactly entry r's. */
static bool reg_same(const reg_table_t *r, const meta_table_t *m) {
    if (strcmp(r->name, m->name) != 0 || r->ncolumns != m->ncolumns) return false;
    for (size_t i = 0; i < m->ncolumns; i++)
        if (strcmp(r->columns[i].name, m->columns[i].name) != 0 || r->columns[i].type != m->columns[i].type)
            return false;
    return true;
}

/* describe: "name(col Type, ...)", the first DESCRIBE_COLUMNS columns. */
static void describe(buf_t *b, const char *name, const meta_column_t *cols, size_t n) {
    buf_printf(b, "%s(", name);
    for (size_t i = 0; i < n && i < DESCRIBE_COLUMNS; i++)
        buf_printf(b, "%s%s %s", i ? ", " : "", cols[i].name, meta_type_name(cols[i].type));
    if (n > DESCRIBE_COLUMNS) buf_printf(b, ", ... %zu more", n - DESCRIBE_COLUMNS);
    buf_append_str(b, ")");
}

/* case_duplicate: the first column whose name equals an earlier one's but
 * for ASCII case (SQL cannot tell them apart), or NULL. *oom on failure. */
static const char *case_duplicate(const meta_table_t *m, bool *oom) {
    size_t total = 0;
    for (size_t i = 0; i < m->ncolumns; i++) total += strlen(m->columns[i].name) + 1;
    char *folded = malloc(total ? total : 1);
    keymap_t seen = KEYMAP_INIT;
    const char *dup = NULL;
    *oom = !folded || keymap_reserve(&seen, m->ncolumns) != 0;
    char *p = folded;
    for (size_t i = 0; !*oom && !dup && i < m->ncolumns; i++) {
        size_t len = strlen(m->columns[i].name);
        for (size_t k = 0; k <= len; k++) p[k] = lower(m->columns[i].name[k]);
        if (keymap_get(&seen, p, len)) dup = m->columns[i].name;
        else keymap_put(&seen, p, len, p); /* reserved: cannot fail */
        p += len + 1;
    }
    keymap_free(&seen);
    free(folded);
    return dup;
}

/* reg_problem: why definition m can never be registered (NULL if it can);
 * *column names the column concerned. */
static const char *reg_problem(const meta_table_t *m, const char **column) {
    *column = NULL;
    if (store_reserved_table(m->name)) return "its name is reserved by wadup's database";
    for (size_t i = 0; i < m->ncolumns; i++)
        if (store_reserved_column(m->columns[i].name)) {
            *column = m->columns[i].name;
            return "reserved column name";
        }
    bool oom;
    *column = case_duplicate(m, &oom);
    if (oom) return "out of memory checking its columns";
    return *column ? "column names differ only by case, which SQL cannot tell apart" : NULL;
}

/* ---- registering ---- */

/* reg_new: a copy of module's definition m as an entry, or NULL. */
static reg_table_t *reg_new(const char *module, const meta_table_t *m) {
    reg_table_t *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->key = reg_key(module, m->name, &r->key_len);
    r->name = strdup(m->name);
    r->columns = calloc(m->ncolumns ? m->ncolumns : 1, sizeof *r->columns);
    bool ok = r->key && r->name && r->columns;
    for (; ok && r->ncolumns < m->ncolumns; r->ncolumns++) {
        r->columns[r->ncolumns].type = m->columns[r->ncolumns].type;
        ok = (r->columns[r->ncolumns].name = strdup(m->columns[r->ncolumns].name)) != NULL;
    }
    if (!ok) { reg_table_free(r); return NULL; }
    return r;
}

/* reg_add: register module's definition m, counting it in its usage. 0 or -1 (OOM). */
static int reg_add(run_tables_t *t, reg_module_t *mod, const meta_table_t *m) {
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        reg_table_t **grown = realloc(t->tables, cap * sizeof *grown);
        if (!grown) return -1;
        t->tables = grown;
        t->cap = cap;
    }
    reg_table_t *r = reg_new(mod->name, m);
    if (!r || keymap_put(&t->by_key, r->key, r->key_len, r) != 0) { reg_table_free(r); return -1; }
    t->tables[t->n++] = r;
    mod->tables++;
    mod->columns += m->ncolumns;
    t->columns += m->ncolumns;
    return 0;
}

/* over_cap: describe in msg why m would exceed a cap for mod (false if it fits). */
static bool over_cap(const run_tables_t *t, const reg_module_t *mod, const meta_table_t *m, buf_t *msg) {
    size_t table_share = RUN_TABLES_MAX / t->shares, column_share = RUN_TABLES_MAX_COLUMNS / t->shares;
    if (t->n + 1 > RUN_TABLES_MAX || mod->tables + 1 > table_share) {
        buf_printf(msg,
                   "table '%s': refused: the run-wide cap on metadata tables is reached (%d (module, table) pairs per "
                   "run, shared equally: %zu per module with %zu modules; this module has %zu): its rows were dropped",
                   m->name, RUN_TABLES_MAX, table_share, t->shares, mod->tables);
        return true;
    }
    if (t->columns + m->ncolumns > RUN_TABLES_MAX_COLUMNS || mod->columns + m->ncolumns > column_share) {
        buf_printf(msg,
                   "table '%s' (%zu columns): refused: it would exceed the run-wide cap on metadata columns (%d columns "
                   "of all tables per run, shared equally: %zu per module with %zu modules; this module has %zu): its "
                   "rows were dropped",
                   m->name, m->ncolumns, RUN_TABLES_MAX_COLUMNS, column_share, t->shares, mod->columns);
        return true;
    }
    return false;
}

/* check_one: verdict for one table used by `module` (lock held); a
 * refusal is described in msg (emptied first). */
static bool check_one(run_tables_t *t, const char *module, const meta_table_t *m, buf_t *msg) {
    size_t len;
    char *key = reg_key(module, m->name, &len);
    reg_table_t *r = key ? keymap_get(&t->by_key, key, len) : NULL;
    free(key);
    if (r && reg_same(r, m)) return true;
    buf_reset(msg);
    if (r) {
        buf_append_str(msg, "table ");
        describe(msg, m->name, m->columns, m->ncolumns);
        buf_append_str(msg, " conflicts with ");
        describe(msg, r->name, r->columns, r->ncolumns);
        buf_printf(msg, " already defined by module '%s' (a module defines each table once per run): its rows were "
                        "dropped", module);
        return false;
    }
    const char *column = NULL;
    const char *why = key ? reg_problem(m, &column) : "out of memory";
    if (why) {
        buf_printf(msg, "table '%s'%s%s%s: %s: its rows were dropped", m->name, column ? " column '" : "",
                   column ? column : "", column ? "'" : "", why);
        return false;
    }
    reg_module_t *mod = reg_module(t, module);
    if (mod && over_cap(t, mod, m, msg)) return false;
    if (!mod || reg_add(t, mod, m) != 0) {
        buf_printf(msg, "table '%s': out of memory: its rows were dropped", m->name);
        return false;
    }
    return true;
}

/* used_tables: the distinct definitions result batch b uses (its
 * definitions, then its rows' tables), in order of first use. Returns the
 * count (*out malloc'd), or -1 when out of memory. */
static long used_tables(const meta_batch_t *b, const meta_table_t ***out) {
    ptrset_t seen = PTRSET_INIT;
    const meta_table_t **used = NULL;
    size_t n = 0, cap = 0;
    long rc = 0;
    const meta_table_t *last = NULL;
    for (size_t i = 0; rc == 0 && i < b->ntables + b->nrows; i++) {
        const meta_table_t *m = i < b->ntables ? b->tables[i] : b->rows[i - b->ntables].table;
        if (m == last) continue; /* runs of rows of one table: no lookup */
        last = m;
        int added = ptrset_add(&seen, m);
        if (added < 0) rc = -1;
        if (added <= 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            const meta_table_t **grown = realloc(used, cap * sizeof *grown);
            if (!grown) { rc = -1; continue; }
            used = grown;
        }
        used[n++] = m;
    }
    ptrset_free(&seen);
    if (rc != 0) { free(used); return -1; }
    *out = used;
    return (long)n;
}

/* run_tables_check: see tables.h. */
int run_tables_check(run_tables_t *t, const char *module, eng_result_t *r, char **error) {
    *error = NULL;
    meta_batch_t *b = &r->metadata;
    const meta_table_t **used = NULL;
    long nused = used_tables(b, &used);
    bool *ok = nused >= 0 ? calloc(nused ? (size_t)nused : 1, sizeof *ok) : NULL;
    if (!ok) {
        free(used);
        meta_batch_clear(b);
        *error = strdup("out of memory checking metadata tables: the rows were dropped");
        return -1;
    }
    buf_t msg = BUF_INIT, one = BUF_INIT;
    size_t refused = 0;
    pthread_mutex_lock(&t->lock);
    for (long k = 0; k < nused; k++) {
        ok[k] = check_one(t, module, used[k], &one);
        if (!ok[k] && refused++ < SHOWN_REFUSALS) buf_printf(&msg, "%s%s", msg.len ? "; " : "", buf_cstr(&one));
    }
    pthread_mutex_unlock(&t->lock);
    buf_free(&one);
    if (refused > SHOWN_REFUSALS)
        buf_printf(&msg, "; and %zu more tables refused (their rows were dropped)", refused - SHOWN_REFUSALS);
    for (long k = 0; k < nused; k++)
        if (!ok[k]) meta_batch_drop_table(b, used[k]);
    free(ok);
    free(used);
    if (!refused) { buf_free(&msg); return 0; }
    *error = buf_steal(&msg);
    if (!*error) *error = strdup("metadata tables refused (out of memory describing them)");
    return -1;
}

/* run_tables_seed: see tables.h. Seeds count toward the caps but are
 * never refused by them (they are already in the database). */
void run_tables_seed(void *tables, const char *module, const meta_table_t *m) {
    run_tables_t *t = tables;
    size_t len;
    char *key = reg_key(module, m->name, &len);
    pthread_mutex_lock(&t->lock);
    reg_module_t *mod = key && !keymap_get(&t->by_key, key, len) ? reg_module(t, module) : NULL;
    if (mod) reg_add(t, mod, m); /* out of memory: the module's next use registers it again */
    pthread_mutex_unlock(&t->lock);
    free(key);
}
