/* tables.h — the run-wide registry of metadata tables. Every module's
 * tables become SQL tables in one database, so a table name means one
 * definition for the whole run: the first module to use a name defines it;
 * a later module using the same name with a different definition (or a
 * reserved name, or columns SQL cannot tell apart) gets a clear error and
 * its rows for that table are dropped. Thread-safe. */
#ifndef WADUP_RUN_TABLES_H
#define WADUP_RUN_TABLES_H
#include "engine/engine.h"

typedef struct run_tables run_tables_t;
run_tables_t *run_tables_new(void);
void run_tables_free(run_tables_t *t);
/* run_tables_check: check every table the result's rows and definitions
 * use. Conflicting tables are removed from r->metadata; returns 0, or -1
 * with a malloc'd *error naming each conflict. */
int run_tables_check(run_tables_t *t, const char *module, eng_result_t *r, char **error);
/* run_tables_seed: register a table defined by an earlier (resumed) run. */
void run_tables_seed(void *tables, const char *module, const meta_table_t *t);
#endif
