/* export.c — results database to NDJSON / Elasticsearch _bulk (see
 * export.h). Document fields follow the original WADUP: content
 * {doc_type, content_uuid, filename, parent_uuid, processed_at, status,
 * error_message}, module_output {doc_type, content_uuid, module_name,
 * processed_at, stdout, stderr, stdout_truncated, stderr_truncated}, row
 * {doc_type, content_uuid, _module, _table, processed_at, <columns>}.
 * Additions: content depth, size, sha256, duplicate_of, limits_hit;
 * module_output status, error_kind, error. Row values keep their types
 * (the original turned everything into strings); a column whose name
 * collides with a fixed field is written as col_<name>. Rows are read
 * from each module's own physical table (metadata_tables.sql_table), so
 * every document names the module that wrote it. */
#include "store/export.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/utf8.h"

typedef struct exporter {
    sqlite3 *db;
    export_format_t format;
    const char *index;
    FILE *out;
    long docs;
} exporter_t;

/* rfc3339: Unix seconds as an RFC 3339 UTC timestamp string. */
static json_t *rfc3339(double unix_seconds) {
    /* NaN, before 1970 or after 9999 (a damaged database): the epoch, not a
     * cast out of time_t's range (undefined) or a gmtime_r failure. */
    if (!(unix_seconds >= 0.0 && unix_seconds < 253402300800.0)) unix_seconds = 0.0;
    time_t secs = (time_t)unix_seconds;
    long micros = (long)((unix_seconds - (double)secs) * 1e6);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char text[64];
    snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, micros < 0 ? 0 : micros);
    return json_string(text);
}

/* text_json: text as a JSON string; text that is not valid UTF-8 (a file
 * or module name from the file system can be anything) is converted lossily
 * (U+FFFD) rather than lost. NULL only if out of memory. */
static json_t *text_json(const char *s, size_t len) {
    json_t *v = json_stringn(s, len);
    buf_t clean = BUF_INIT;
    if (!v && utf8_sanitize_append(&clean, (const uint8_t *)s, len) == 0) v = json_stringn(buf_cstr(&clean), clean.len);
    buf_free(&clean);
    return v;
}

/* column_json: result column i as JSON, keeping its SQLite type. */
static json_t *column_json(sqlite3_stmt *st, int i) {
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(st, i));
    case SQLITE_FLOAT: return json_real(sqlite3_column_double(st, i));
    case SQLITE_TEXT:
        return text_json((const char *)sqlite3_column_text(st, i), (size_t)sqlite3_column_bytes(st, i));
    default: return json_null();
    }
}

/* emit: write doc (taken over), after its _bulk action line for es-bulk. */
static void emit(exporter_t *x, json_t *doc, const char *id) {
    if (x->format == EXPORT_ES_BULK) {
        json_t *meta = json_pack("{ss}", "_index", x->index);
        if (id) json_object_set_new(meta, "_id", text_json(id, strlen(id)));
        json_t *action = json_pack("{so}", "index", meta);
        json_dumpf(action, x->out, JSON_COMPACT);
        fputc('\n', x->out);
        json_decref(action);
    }
    json_dumpf(doc, x->out, JSON_COMPACT);
    fputc('\n', x->out);
    json_decref(doc);
    x->docs++;
}

/* export_contents: one content document per content. */
static int export_contents(exporter_t *x) {
    sqlite3_stmt *st;
    const char *sql =
        "SELECT c.uuid, c.filename, p.uuid, c.started_at, c.status, c.error, c.depth, c.size, c.sha256, d.uuid,"
        " c.limits_hit FROM contents c LEFT JOIN contents p ON p.id = c.parent_id"
        " LEFT JOIN contents d ON d.id = c.duplicate_of ORDER BY c.id";
    if (sqlite3_prepare_v2(x->db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *doc = json_object();
        json_object_set_new(doc, "doc_type", json_string("content"));
        json_object_set_new(doc, "content_uuid", column_json(st, 0));
        json_object_set_new(doc, "filename", column_json(st, 1));
        json_object_set_new(doc, "parent_uuid", column_json(st, 2));
        json_object_set_new(doc, "processed_at", rfc3339(sqlite3_column_double(st, 3)));
        json_object_set_new(doc, "status", column_json(st, 4));
        json_object_set_new(doc, "error_message", column_json(st, 5));
        json_object_set_new(doc, "depth", column_json(st, 6));
        json_object_set_new(doc, "size", column_json(st, 7));
        json_object_set_new(doc, "sha256", column_json(st, 8));
        json_object_set_new(doc, "duplicate_of", column_json(st, 9));
        json_object_set_new(doc, "limits_hit", column_json(st, 10));
        emit(x, doc, (const char *)sqlite3_column_text(st, 0));
    }
    return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

/* text_or_null: a non-empty text column, else null. */
static json_t *text_or_null(sqlite3_stmt *st, int i) {
    return sqlite3_column_bytes(st, i) > 0 ? column_json(st, i) : json_null();
}

/* export_outputs: a module_output document per run that printed or failed. */
static int export_outputs(exporter_t *x) {
    sqlite3_stmt *st;
    const char *sql = "SELECT c.uuid, r.module, c.started_at, r.stdout, r.stderr, r.stdout_truncated,"
                      " r.stderr_truncated, r.status, r.error_kind, r.error FROM module_runs r"
                      " JOIN contents c ON c.id = r.content_id"
                      " WHERE r.status != 'success' OR length(r.stdout) > 0 OR length(r.stderr) > 0"
                      " ORDER BY r.content_id, r.module";
    if (sqlite3_prepare_v2(x->db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *doc = json_object();
        json_object_set_new(doc, "doc_type", json_string("module_output"));
        json_object_set_new(doc, "content_uuid", column_json(st, 0));
        json_object_set_new(doc, "module_name", column_json(st, 1));
        json_object_set_new(doc, "processed_at", rfc3339(sqlite3_column_double(st, 2)));
        json_object_set_new(doc, "stdout", text_or_null(st, 3));
        json_object_set_new(doc, "stderr", text_or_null(st, 4));
        json_object_set_new(doc, "stdout_truncated", json_boolean(sqlite3_column_int(st, 5)));
        json_object_set_new(doc, "stderr_truncated", json_boolean(sqlite3_column_int(st, 6)));
        json_object_set_new(doc, "status", column_json(st, 7));
        json_object_set_new(doc, "error_kind", column_json(st, 8));
        json_object_set_new(doc, "error", column_json(st, 9));
        buf_t id = BUF_INIT;
        int failed = buf_printf(&id, "%s_%s", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1));
        emit(x, doc, failed ? NULL : buf_cstr(&id));
        buf_free(&id);
    }
    return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

/* fixed_field: a document field a column may not overwrite. */
static bool fixed_field(const char *name) {
    static const char *const fixed[] = {"doc_type", "content_uuid", "processed_at", "_module", "_table"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        if (strcmp(name, fixed[i]) == 0) return true;
    return false;
}

/* append_ident: name as a quoted SQL identifier. 0 or -1 (OOM). */
static int append_ident(buf_t *b, const char *name) {
    int rc = buf_append_byte(b, '"');
    for (; rc == 0 && *name; name++) rc = *name == '"' ? buf_append_str(b, "\"\"") : buf_append_byte(b, (uint8_t)*name);
    return rc == 0 ? buf_append_byte(b, '"') : -1;
}

/* row_doc: the row document of the current result row of st (columns
 * from 2 on are the physical table's; _content is skipped, and _module,
 * present in version 1 databases, gives the module when module is NULL). */
static json_t *row_doc(sqlite3_stmt *st, const char *table, const char *module, int module_col) {
    json_t *doc = json_object();
    json_object_set_new(doc, "doc_type", json_string("row"));
    json_object_set_new(doc, "content_uuid", column_json(st, 0));
    json_object_set_new(doc, "_module", module ? text_json(module, strlen(module)) : module_col >= 0 ? column_json(st, module_col)
                                                                                        : json_null());
    json_object_set_new(doc, "_table", text_json(table, strlen(table)));
    json_object_set_new(doc, "processed_at", rfc3339(sqlite3_column_double(st, 1)));
    int ncols = sqlite3_column_count(st);
    for (int i = 2; i < ncols; i++) {
        const char *name = sqlite3_column_name(st, i);
        if (!name || strcmp(name, "_content") == 0 || strcmp(name, "_module") == 0) continue;
        buf_t key = BUF_INIT;
        if (buf_printf(&key, "%s%s", fixed_field(name) ? "col_" : "", name) == 0)
            json_object_set_new(doc, buf_cstr(&key), column_json(st, i));
        buf_free(&key);
    }
    return doc;
}

/* export_table: the row documents of one physical table (sql_table) of
 * module `module` (NULL: each row names it) for metadata table `table`. */
static int export_table(exporter_t *x, const char *table, const char *module, const char *sql_table) {
    buf_t sql = BUF_INIT;
    int rc = buf_append_str(&sql, "SELECT c.uuid, c.started_at, t.* FROM ");
    if (rc == 0) rc = append_ident(&sql, sql_table);
    if (rc == 0) rc = buf_append_str(&sql, " t JOIN contents c ON c.id = t._content ORDER BY t.rowid");
    sqlite3_stmt *st = NULL;
    if (rc == 0) rc = sqlite3_prepare_v2(x->db, buf_cstr(&sql), -1, &st, NULL) == SQLITE_OK ? 0 : -1;
    buf_free(&sql);
    if (rc != 0) return -1;
    int module_col = -1;
    for (int i = 2; i < sqlite3_column_count(st); i++)
        if (sqlite3_column_name(st, i) && strcmp(sqlite3_column_name(st, i), "_module") == 0) module_col = i;
    while (sqlite3_step(st) == SQLITE_ROW) emit(x, row_doc(st, table, module, module_col), NULL);
    return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

/* schema_version: the database's PRAGMA user_version (-1 if unreadable). */
static int schema_version(sqlite3 *db) {
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* export_rows: every metadata table's rows: per (table, module) physical
 * table (version 2), or per shared table (version 1, rows carry _module). */
static int export_rows(exporter_t *x) {
    const char *sql = schema_version(x->db) >= 2
                          ? "SELECT name, module, sql_table FROM metadata_tables ORDER BY name, module"
                          : "SELECT name, NULL, name FROM metadata_tables ORDER BY name";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(x->db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *sql_table = (const char *)sqlite3_column_text(st, 2);
        rc = name && sql_table ? export_table(x, name, (const char *)sqlite3_column_text(st, 1), sql_table) : -1;
    }
    sqlite3_finalize(st);
    return rc;
}

/* export_database: see export.h. */
long export_database(const char *db_path, export_format_t format, const char *index, FILE *out, char **err) {
    exporter_t x = {NULL, format, index, out, 0};
    *err = NULL;
    if (sqlite3_open_v2(db_path, &x.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        export_contents(&x) != 0 || export_outputs(&x) != 0 || export_rows(&x) != 0) {
        buf_t m = BUF_INIT;
        buf_printf(&m, "%s: %s", db_path, x.db ? sqlite3_errmsg(x.db) : "cannot open");
        *err = buf_steal(&m);
        sqlite3_close(x.db);
        return -1;
    }
    sqlite3_close(x.db);
    return x.docs;
}
