/* export.h — exporting a results database as JSON documents, in the
 * original WADUP's Elasticsearch document model: one `content` document
 * per content, one `module_output` document per module run that printed
 * something or failed, one `row` document per metadata row. */
#ifndef WADUP_STORE_EXPORT_H
#define WADUP_STORE_EXPORT_H
#include <stdbool.h>
#include <stdio.h>

typedef enum { EXPORT_NDJSON, EXPORT_ES_BULK } export_format_t;

/* export_database: write every document of `db_path` to `out`; with
 * EXPORT_ES_BULK each document is preceded by its _bulk action line for
 * index `index`. Returns the number of documents, or -1 with a malloc'd
 * *err. */
long export_database(const char *db_path, export_format_t format, const char *index, FILE *out, char **err);

#endif
