/* store.h — the results database (SQLite, the embedded default).
 *
 * One writer thread owns the connection: producers (worker threads) hand it
 * finished work as items, and it writes them with prepared statements in
 * large transactions, so workers never wait on the database. An item is
 * always written whole inside one transaction, so after a crash (even
 * kill -9) the database holds only complete contents. WAL mode.
 *
 * Schema (docs/sqlite-schema.md): contents, module_runs, modules,
 * metadata_tables; one physical table per (module, metadata table),
 * "<table>@<module>" (its typed columns plus _content), created the first
 * time a row for it arrives; and per table name a view "<table>" over every
 * module's table of that name, with _module. Nothing a module writes can
 * fail the store: a table or row SQLite refuses because of the module's
 * metadata is rolled back (a savepoint per module run and table) and turns
 * that run into a metadata_error; only real database failures (I/O, full
 * disk, out of memory) fail the store. */
#ifndef WADUP_STORE_STORE_H
#define WADUP_STORE_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "engine/engine.h"

typedef struct store store_t;

typedef struct store_options {
    const char *path;
    bool resume;       /* continue an existing database */
    bool force;        /* replace an existing database */
    size_t max_queue;  /* items waiting before producers block (0 = default) */
} store_options_t;

/* store_open: create (or, with resume, reopen) the database and start the
 * writer thread. Returns 0, or -1 with a malloc'd *err. */
int store_open(const store_options_t *o, store_t **out, char **err);

/* ---- state of a resumed database (read before any submission) ---- */
/* store_root_done: true if a root with this source path was completed. */
bool store_root_done(const store_t *s, const char *source_path);
/* store_next_id: the first content id this run may use. */
int64_t store_next_id(const store_t *s);
/* store_each_hash: call fn for every stored content's SHA-256 (not
 * duplicates), for deduplication across a resumed run. */
void store_each_hash(store_t *s, void (*fn)(void *ctx, const uint8_t sha[32], int64_t id), void *ctx);

/* store_each_table: call fn for every (module, metadata table) already in
 * the database, with the module's definition, so a resumed run keeps each
 * module's definitions. */
void store_each_table(store_t *s, void (*fn)(void *ctx, const char *module, const meta_table_t *t), void *ctx);

/* ---- items ---- */

/* What is written for one module on one content. The store takes the
 * result (eng_result_t) and frees it after writing. */
typedef struct store_run {
    const char *module;        /* lives as long as the store */
    eng_result_t result;
} store_run_t;

typedef struct store_content {
    int64_t id, parent_id, root_id;  /* parent_id 0 for roots */
    char uuid[37];
    unsigned depth;
    char *filename;
    char *source_path;               /* roots only */
    uint64_t size;
    bool has_sha256;
    uint8_t sha256[32];
    const char *status;              /* "success", "failed", "duplicate", "skipped" */
    char *error;
    int64_t duplicate_of;            /* 0 = none */
    char *limits_hit;
    bool is_slice;
    uint64_t slice_offset;
    double started_at;               /* Unix seconds */
    double duration_ms;
    store_run_t *runs;
    size_t nruns;
} store_content_t;

/* store_submit_content: hand over a finished content (ownership of every
 * pointer field and of the runs' results passes to the store). May block
 * while the writer catches up. */
void store_submit_content(store_t *s, store_content_t *c);
/* store_submit_root_done: the root and all its descendants are stored. */
void store_submit_root_done(store_t *s, int64_t root_id);
/* store_submit_module: record a module and whether it could be loaded. */
void store_submit_module(store_t *s, const char *name, const char *path, const char *kind, const char *key,
                         const char *status, const char *error);

/* store_failed: true once a write failed (the message is kept). */
bool store_failed(store_t *s);

/* store_close: write everything pending, commit, checkpoint and close.
 * Returns 0, or -1 with a malloc'd *err describing the first failure. */
int store_close(store_t *s, char **err);

/* store_free_content: free a content item that was not submitted. */
void store_free_content(store_content_t *c);

/* Reserved SQL names a metadata table or column may not use. */
bool store_reserved_table(const char *name);
bool store_reserved_column(const char *name);

#endif
