/* tables.h — owns the run-wide registry of metadata tables, checked for
 * every module run before its results go to the store.
 *
 * Tables are owned per module (docs/sqlite-schema.md): the registry is
 * keyed by (module, table name folded to lowercase), so modules never
 * conflict with each other. What it refuses, with a metadata_error naming
 * the table (its rows are dropped, the module's other tables are kept):
 *   - a module defining a table differently from its own earlier
 *     definition (on another worker, another content, or in the run being
 *     resumed): the message names the earlier definition;
 *   - reserved table or column names, columns differing only by case;
 *   - tables beyond the run-wide caps below. Each of the run's modules is
 *     entitled to an equal share of each cap, so no module can use up the
 *     room of another.
 * Thread-safe; lookups are keyed hash tables (SipHash), linear in the
 * size of what a result uses. */
#ifndef WADUP_RUN_TABLES_H
#define WADUP_RUN_TABLES_H
#include "engine/engine.h"

#define RUN_TABLES_MAX 10000          /* (module, table) pairs in one run */
#define RUN_TABLES_MAX_COLUMNS 200000 /* columns of all those tables together */

typedef struct run_tables run_tables_t;

/* run_tables_new: an empty registry (NULL when out of memory). */
run_tables_t *run_tables_new(void);
/* run_tables_free: free the registry (NULL is fine). */
void run_tables_free(run_tables_t *t);
/* run_tables_set_modules: the number of modules in the run (default 1):
 * each may register at most 1/n of each cap. */
void run_tables_set_modules(run_tables_t *t, size_t n);
/* run_tables_check: check every table the result's rows and definitions
 * use, registering new ones. Refused tables are removed from r->metadata;
 * returns 0, or -1 with a malloc'd *error naming each refused table. */
int run_tables_check(run_tables_t *t, const char *module, eng_result_t *r, char **error);
/* run_tables_seed: register a table defined by an earlier (resumed) run
 * (a store_each_table callback; `tables` is the run_tables_t). */
void run_tables_seed(void *tables, const char *module, const meta_table_t *t);
#endif
