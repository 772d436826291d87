/* metadata.h — the module metadata protocol: parse and validate the JSON a
 * module writes to /metadata/<name>.json, and the sub-content descriptors it
 * writes to /subcontent/metadata_N.json.
 *
 * Metadata file (compatible with the original WADUP):
 *   {"tables":[{"name":T,"columns":[{"name":C,"data_type":"Int64"|"Float64"|"String"|"Boolean"}]}],
 *    "rows":[{"table_name":T,"values":[{"Int64":1},{"Float64":2.5},{"String":"s"},{"Boolean":true},null]}]}
 * Both keys are optional; unknown keys are ignored. Values are positional
 * and must match the declared column types; JSON null is a null of any type.
 *
 * Everything here parses untrusted input: every error is a message naming
 * the file and, where relevant, the table, row index and column. A file is
 * accepted or rejected as a whole. */
#ifndef WADUP_META_METADATA_H
#define WADUP_META_METADATA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { META_INT64, META_FLOAT64, META_STRING, META_BOOLEAN } meta_type_t;

#define META_NAME_MAX 64          /* bytes in a table or column name */
#define META_MAX_COLUMNS 1000     /* columns in one table */
#define META_MAX_TABLES 1000      /* tables one schema (one module) may define */
#define META_FILENAME_MAX 4096    /* bytes in a sub-content file name */

/* Limits of one parse: the memory it may allocate (jansson's tree while
 * parsing, and the rows and definitions it builds; 0 = unlimited) and a
 * CLOCK_MONOTONIC deadline in ns (0 = none). */
typedef struct meta_limits {
    uint64_t max_bytes;
    uint64_t deadline_ns;
} meta_limits_t;

/* What a successful parse keeps: the cost of the rows it added to the
 * batch and of the new table definitions it added to the schema. */
typedef struct meta_usage {
    uint64_t row_bytes;
    uint64_t schema_bytes;
} meta_usage_t;

/* Results of the parse functions: 0, or one of these. */
enum {
    META_ERR_INVALID = -1,  /* the file breaks the protocol */
    META_ERR_MEMORY = -2,   /* parsing it needs more than lim->max_bytes */
    META_ERR_TIMEOUT = -3,  /* lim->deadline_ns passed during the parse */
};

typedef struct meta_column {
    char *name;
    meta_type_t type;
} meta_column_t;

typedef struct meta_table {
    char *name;
    meta_column_t *columns;
    size_t ncolumns;
} meta_table_t;

typedef struct meta_value {
    meta_type_t type;   /* the column's type */
    bool is_null;
    union {
        int64_t i;
        double f;       /* always finite */
        bool b;
        struct { char *ptr; size_t len; } s; /* valid UTF-8; may contain NUL; ptr NUL-terminated */
    } u;
} meta_value_t;

typedef struct meta_row {
    const meta_table_t *table; /* points into the schema registry (meta_schema_t) */
    meta_value_t *values;      /* table->ncolumns values */
} meta_row_t;

/* The tables a module has defined so far (persisting across calls of the
 * same module). Table names are unique; a second definition must be
 * identical (same column names and types, same order). */
typedef struct meta_schema meta_schema_t;
meta_schema_t *meta_schema_new(void);
void meta_schema_free(meta_schema_t *s);
const meta_table_t *meta_schema_find(const meta_schema_t *s, const char *name);
size_t meta_schema_count(const meta_schema_t *s);
const meta_table_t *meta_schema_at(const meta_schema_t *s, size_t i);

/* The results of one call: the tables it defined (each listed once, in
 * order of first definition) and the rows it inserted, in file order. */
typedef struct meta_batch {
    const meta_table_t **tables; size_t ntables, tables_cap;
    meta_row_t *rows; size_t nrows, rows_cap;
} meta_batch_t;
void meta_batch_init(meta_batch_t *b);
void meta_batch_clear(meta_batch_t *b); /* frees rows, keeps nothing */
/* meta_batch_drop_table: remove table t and all its rows from the batch
 * (used when the table conflicts with another module's); returns the
 * number of rows removed. */
size_t meta_batch_drop_table(meta_batch_t *b, const meta_table_t *t);

/* meta_parse_file: parse one metadata file named `file_name` (used in
 * messages, e.g. "/metadata/output_0.json") within `lim` (NULL = no
 * limits). Names must match [A-Za-z_][A-Za-z0-9_]* and be at most
 * META_NAME_MAX bytes; a table needs 1..META_MAX_COLUMNS columns; column
 * names are unique within a table; a schema holds at most META_MAX_TABLES.
 * On success (returns 0) new tables are added to `schema`, the file's
 * tables and rows are appended to `batch` and *usage (may be NULL) tells
 * what they cost. On failure (META_ERR_*) nothing is added anywhere and
 * *error is a malloc'd message, e.g.
 *   "/metadata/a.json: table 'file_sizes' row 3 column 'size_bytes': expected Int64, got String"
 *   "/metadata/a.json: row 0: table 'nope' is not defined"
 *   "/metadata/a.json: invalid JSON at line 1 column 9: ..." */
int meta_parse_file(meta_schema_t *schema, const char *file_name, const uint8_t *json, size_t len,
                    const meta_limits_t *lim, meta_batch_t *batch, meta_usage_t *usage, char **error);

/* A sub-content descriptor: {"filename": S} for bytes taken from the
 * matching data_N.bin, or {"filename": S, "offset": U, "length": U} for a
 * zero-copy slice of the current content. offset/length are non-negative
 * integers up to 2^63-1; giving only one of them is an error. */
typedef struct meta_subcontent {
    char *filename;   /* malloc'd, valid UTF-8 */
    bool is_slice;
    uint64_t offset, length;
} meta_subcontent_t;

/* meta_parse_subcontent: within `lim` (NULL = none); returns 0 and fills
 * *out (caller frees out->filename), or META_ERR_* with a malloc'd *error
 * naming `file_name`. A filename longer than META_FILENAME_MAX is invalid. */
int meta_parse_subcontent(const char *file_name, const uint8_t *json, size_t len, const meta_limits_t *lim,
                          meta_subcontent_t *out, char **error);

const char *meta_type_name(meta_type_t t); /* "Int64", "Float64", "String", "Boolean" */

#endif
