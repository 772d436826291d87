/* store_internal.h — owns the layout of the store object shared by the
 * store's two halves: sqlite_store.c (schema, opening and resuming, the
 * item queue, the writer thread, contents and module runs, closing) and
 * store_meta.c (metadata tables: the per-module physical tables, the
 * shared views, containment of module-caused SQL errors, their indexes).
 * Nothing outside src/store includes it. */
#ifndef WADUP_STORE_STORE_INTERNAL_H
#define WADUP_STORE_STORE_INTERNAL_H
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "store/keymap.h"
#include "store/store.h"
#include "util/buf.h"

#define STORE_SCHEMA_VERSION 2

/* Internal names: every schema object wadup itself names (indexes,
 * temporary tables, savepoints) starts with this prefix, which metadata
 * table names may not use (store_reserved_table). */
#define STORE_INTERNAL_PREFIX "wadup_"

typedef enum { ITEM_CONTENT, ITEM_ROOT_DONE, ITEM_MODULE } item_kind_t;

typedef struct store_item {
    item_kind_t kind;
    struct store_item *next;
    store_content_t content;          /* ITEM_CONTENT */
    int64_t root_id;                  /* ITEM_ROOT_DONE */
    char *text[6];                    /* ITEM_MODULE: name, path, kind, key, status, error */
} store_item_t;

struct store_view;

/* One (module, table) pair: its physical table and insert statement. */
typedef struct store_table {
    char *module;                     /* the module that owns it */
    char *name;                       /* the table name, as the module spelled it */
    char *sql_name;                   /* the physical table: "<name>@<module>" (+ "#N") */
    char *key;                        /* module, NUL, ASCII-lowercased name */
    size_t key_len;
    char *sql_key;                    /* sql_name ASCII-lowercased */
    meta_column_t *columns;           /* the definition (owned copy) */
    size_t ncolumns;
    sqlite3_stmt *insert;             /* prepared on first use */
    struct store_view *view;          /* the view it is part of; NULL = not in the view */
} store_table_t;

/* The view named like a table: every member's rows, _module added. */
typedef struct store_view {
    char *name;                       /* as its first member spelled it */
    char *key;                        /* name ASCII-lowercased */
    store_table_t **members;
    size_t nmembers, members_cap;
    char **columns;                   /* after _content and _module, first spelling */
    char **column_keys;               /* the same, lowercased (keys of column_map) */
    size_t ncolumns, columns_cap;
    keymap_t column_map;              /* lowercased column -> index + 1 */
} store_view_t;

struct store {
    sqlite3 *db;
    char *path;
    pthread_t writer;
    bool writer_started;
    pthread_mutex_t lock;
    pthread_cond_t has_items, has_room;
    store_item_t *head, *tail;
    size_t queued, max_queue;
    uint64_t queued_bytes;            /* what the queued items hold (store_item_cost) */
    bool closing;
    /* writer state */
    sqlite3_stmt *ins_content, *ins_run, *ins_module, *root_done;
    bool in_txn;
    size_t txn_rows;
    double txn_started;
    char *error;                      /* first failure */
    atomic_bool failed;               /* error != NULL, readable without the lock */
    /* metadata tables (store_meta.c; the writer's, or store_open's before it starts) */
    sqlite3_stmt *ins_meta_table, *sp_begin, *sp_release, *sp_rollback;
    store_table_t **tables;           /* every (module, table), in creation order */
    size_t ntables, tables_cap;
    store_view_t **views;
    size_t nviews, views_cap;
    keymap_t table_map;               /* store_table_t.key -> table */
    keymap_t sql_map;                 /* store_table_t.sql_key -> table */
    keymap_t view_map;                /* store_view_t.key -> view */
    int max_columns, max_compound;    /* SQLite's limits on this connection */
    buf_t key_buf, scratch;           /* reused for lookup keys */
    /* resume state */
    char **done_paths;                /* sorted */
    size_t ndone;
    int64_t next_id;
};

/* ---- sqlite_store.c ---- */
/* store_set_error: record the first failure: "<path>: <what>: <SQLite's message>". */
void store_set_error(store_t *s, const char *what);
/* store_set_error_plain: the same without SQLite's message. */
void store_set_error_plain(store_t *s, const char *what);
/* store_exec: run SQL text; on failure records it and returns -1. */
int store_exec(store_t *s, const char *sql);

/* ---- store_meta.c ---- */
/* store_meta_prepare: the statements store_meta.c uses; reads SQLite's
 * limits. Returns 0, or -1 (failure recorded). */
int store_meta_prepare(store_t *s);
/* store_meta_load: (resume, inside a transaction) rebuild the registry
 * from metadata_tables and delete the rows of contents listed in
 * temp.wadup_redo from every physical table. Returns 0 or -1 (recorded). */
int store_meta_load(store_t *s);
/* store_meta_write_run: write the metadata rows of one module run, one
 * savepoint per table. A table the database refuses because of what the
 * module sent is rolled back and described in *problems ("; "-separated);
 * returns 0 then. Returns -1 on a real store failure (recorded). */
int store_meta_write_run(store_t *s, int64_t content_id, const store_run_t *run, buf_t *problems);
/* store_meta_indexes: (in a transaction) one index on _content per
 * physical table. Returns 0 or -1 (recorded). */
int store_meta_indexes(store_t *s);
/* store_meta_free: finalize the statements and free the registry. */
void store_meta_free(store_t *s);

#endif
