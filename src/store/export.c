/* export.c — results database to NDJSON / Elasticsearch _bulk (see
 * export.h). Document fields follow the original WADUP: content
 * {doc_type, content_uuid, filename, parent_uuid, processed_at, status,
 * error_message}, module_output {doc_type, content_uuid, module_name,
 * processed_at, stdout, stderr, stdout_truncated, stderr_truncated}, row
 * {doc_type, content_uuid, _module, _table, processed_at, <columns>}.
 * Additions: content depth, size, sha256, duplicate_of, limits_hit;
 * module_output status, error_kind, error. Row values keep their types
 * (the original turned everything into strings); a column whose name
 * collides with a fixed field is written as col_<name>. */
#include "store/export.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"

typedef struct exporter {
    sqlite3 *db;
    export_format_t format;
    const char *index;
    FILE *out;
    long docs;
} exporter_t;

static json_t *rfc3339(double unix_seconds) {
    time_t secs = (time_t)unix_seconds;
    long micros = (long)((unix_seconds - (double)secs) * 1e6);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char text[64];
    snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, micros < 0 ? 0 : micros);
    return json_string(text);
}

static json_t *column_json(sqlite3_stmt *st, int i) {
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: return json_integer(sqlite3_column_int64(st, i));
    case SQLITE_FLOAT: return json_real(sqlite3_column_double(st, i));
    case SQLITE_TEXT:
        return json_stringn((const char *)sqlite3_column_text(st, i), (size_t)sqlite3_column_bytes(st, i));
    default: return json_null();
    }
}

static void emit(exporter_t *x, json_t *doc, const char *id) {
    if (x->format == EXPORT_ES_BULK) {
        json_t *meta = json_pack("{ss}", "_index", x->index);
        if (id) json_object_set_new(meta, "_id", json_string(id));
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

static json_t *text_or_null(sqlite3_stmt *st, int i) {
    return sqlite3_column_bytes(st, i) > 0 ? column_json(st, i) : json_null();
}

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
        buf_printf(&id, "%s_%s", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1));
        emit(x, doc, buf_cstr(&id));
        buf_free(&id);
    }
    return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

static bool fixed_field(const char *name) {
    static const char *const fixed[] = {"doc_type", "content_uuid", "processed_at", "_module", "_table"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        if (strcmp(name, fixed[i]) == 0) return true;
    return false;
}

static int export_table(exporter_t *x, const char *table) {
    buf_t sql = BUF_INIT;
    buf_printf(&sql, "SELECT c.uuid, c.started_at, t.* FROM \"%s\" t JOIN contents c ON c.id = t._content", table);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(x->db, buf_cstr(&sql), -1, &st, NULL);
    buf_free(&sql);
    if (rc != SQLITE_OK) return -1;
    int ncols = sqlite3_column_count(st);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *doc = json_object();
        json_object_set_new(doc, "doc_type", json_string("row"));
        json_object_set_new(doc, "content_uuid", column_json(st, 0));
        json_object_set_new(doc, "_module", column_json(st, 3));
        json_object_set_new(doc, "_table", json_string(table));
        json_object_set_new(doc, "processed_at", rfc3339(sqlite3_column_double(st, 1)));
        for (int i = 4; i < ncols; i++) {
            const char *name = sqlite3_column_name(st, i);
            buf_t key = BUF_INIT;
            buf_printf(&key, "%s%s", fixed_field(name) ? "col_" : "", name);
            json_object_set_new(doc, buf_cstr(&key), column_json(st, i));
            buf_free(&key);
        }
        emit(x, doc, NULL);
    }
    return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

static int export_rows(exporter_t *x) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(x->db, "SELECT name FROM metadata_tables ORDER BY name", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) rc = export_table(x, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc;
}

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
