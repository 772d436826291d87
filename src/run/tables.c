/* tables.c — run-wide metadata table registry (see tables.h). */
#include "run/tables.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/store.h"
#include "util/buf.h"

typedef struct reg_table {
    char *name;
    char *module;
    meta_column_t *columns;
    size_t ncolumns;
} reg_table_t;

struct run_tables {
    pthread_mutex_t lock;
    reg_table_t *tables;
    size_t n, cap;
};

run_tables_t *run_tables_new(void) {
    run_tables_t *t = calloc(1, sizeof *t);
    if (t) pthread_mutex_init(&t->lock, NULL);
    return t;
}

void run_tables_free(run_tables_t *t) {
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) {
        for (size_t k = 0; k < t->tables[i].ncolumns; k++) free(t->tables[i].columns[k].name);
        free(t->tables[i].columns);
        free(t->tables[i].name);
        free(t->tables[i].module);
    }
    free(t->tables);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static reg_table_t *reg_find(run_tables_t *t, const char *name) {
    for (size_t i = 0; i < t->n; i++)
        if (strcasecmp(t->tables[i].name, name) == 0) return &t->tables[i];
    return NULL;
}

static bool reg_same(const reg_table_t *r, const meta_table_t *m) {
    if (strcmp(r->name, m->name) != 0 || r->ncolumns != m->ncolumns) return false;
    for (size_t i = 0; i < m->ncolumns; i++)
        if (strcmp(r->columns[i].name, m->columns[i].name) != 0 || r->columns[i].type != m->columns[i].type)
            return false;
    return true;
}

static void describe(buf_t *b, const char *name, const meta_column_t *cols, size_t n) {
    buf_printf(b, "%s(", name);
    for (size_t i = 0; i < n; i++) buf_printf(b, "%s%s %s", i ? ", " : "", cols[i].name, meta_type_name(cols[i].type));
    buf_append_str(b, ")");
}

/* reg_problem: why a new table cannot be registered (NULL if it can). */
static const char *reg_problem(const meta_table_t *m, const char **column) {
    *column = NULL;
    if (store_reserved_table(m->name)) return "its name is reserved by wadup's database";
    for (size_t i = 0; i < m->ncolumns; i++) {
        *column = m->columns[i].name;
        if (store_reserved_column(m->columns[i].name)) return "reserved column name";
        for (size_t k = 0; k < i; k++)
            if (strcasecmp(m->columns[k].name, m->columns[i].name) == 0)
                return "column names differ only by case, which SQL cannot tell apart";
    }
    return NULL;
}

static int reg_add(run_tables_t *t, const char *module, const meta_table_t *m) {
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        reg_table_t *grown = realloc(t->tables, cap * sizeof *grown);
        if (!grown) return -1;
        t->tables = grown;
        t->cap = cap;
    }
    reg_table_t r = {strdup(m->name), strdup(module), calloc(m->ncolumns, sizeof(meta_column_t)), 0};
    if (!r.name || !r.module || !r.columns) { free(r.name); free(r.module); free(r.columns); return -1; }
    for (; r.ncolumns < m->ncolumns; r.ncolumns++) {
        r.columns[r.ncolumns].type = m->columns[r.ncolumns].type;
        if (!(r.columns[r.ncolumns].name = strdup(m->columns[r.ncolumns].name))) {
            for (size_t k = 0; k < r.ncolumns; k++) free(r.columns[k].name);
            free(r.columns); free(r.name); free(r.module);
            return -1;
        }
    }
    t->tables[t->n++] = r;
    return 0;
}

/* check_one: verdict for one table used by `module`; appends to msg. */
static bool check_one(run_tables_t *t, const char *module, const meta_table_t *m, buf_t *msg) {
    reg_table_t *r = reg_find(t, m->name);
    if (r && reg_same(r, m)) return true;
    if (msg->len) buf_append_str(msg, "; ");
    if (r) {
        buf_append_str(msg, "table ");
        describe(msg, m->name, m->columns, m->ncolumns);
        buf_printf(msg, " conflicts with ");
        describe(msg, r->name, r->columns, r->ncolumns);
        buf_printf(msg, " already defined by module '%s': its rows were dropped", r->module);
        return false;
    }
    const char *column;
    const char *why = reg_problem(m, &column);
    if (why) {
        buf_printf(msg, "table '%s'%s%s%s: %s: its rows were dropped", m->name, column ? " column '" : "",
                   column ? column : "", column ? "'" : "", why);
        return false;
    }
    if (reg_add(t, module, m) != 0) {
        buf_printf(msg, "table '%s': out of memory", m->name);
        return false;
    }
    return true;
}

int run_tables_check(run_tables_t *t, const char *module, eng_result_t *r, char **error) {
    *error = NULL;
    meta_batch_t *b = &r->metadata;
    /* The distinct tables this result uses (definitions and rows). */
    const meta_table_t **used = NULL;
    size_t nused = 0, cap = 0;
    for (size_t i = 0; i < b->ntables + b->nrows; i++) {
        const meta_table_t *m = i < b->ntables ? b->tables[i] : b->rows[i - b->ntables].table;
        bool seen = false;
        for (size_t k = 0; k < nused && !seen; k++) seen = used[k] == m;
        if (seen) continue;
        if (nused == cap) {
            cap = cap ? cap * 2 : 8;
            const meta_table_t **grown = realloc(used, cap * sizeof *grown);
            if (!grown) { free(used); *error = strdup("out of memory checking tables"); return -1; }
            used = grown;
        }
        used[nused++] = m;
    }
    buf_t msg = BUF_INIT;
    pthread_mutex_lock(&t->lock);
    bool *ok = calloc(nused ? nused : 1, sizeof *ok);
    for (size_t k = 0; ok && k < nused; k++) ok[k] = check_one(t, module, used[k], &msg);
    pthread_mutex_unlock(&t->lock);
    for (size_t k = 0; ok && k < nused; k++)
        if (!ok[k]) meta_batch_drop_table(b, used[k]);
    free(ok);
    free(used);
    if (msg.len) { *error = buf_steal(&msg); return -1; }
    buf_free(&msg);
    return 0;
}

void run_tables_seed(void *tables, const char *module, const meta_table_t *t) {
    run_tables_t *reg = tables;
    pthread_mutex_lock(&reg->lock);
    if (!reg_find(reg, t->name)) reg_add(reg, module, t);
    pthread_mutex_unlock(&reg->lock);
}
