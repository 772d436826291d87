/* result_json.c — the JSON document `wadup test` prints for a result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rt/rt.h"
#include "util/utf8.h"

#define CLI_HEX_BYTES 4096

json_t *cli_text(const uint8_t *data, size_t len) {
    buf_t b = BUF_INIT;
    json_t *j = NULL;
    if (utf8_sanitize_append(&b, data, len) == 0) j = json_stringn(buf_cstr(&b), b.len);
    buf_free(&b);
    return j ? j : json_string("");
}

static json_t *cli_value_json(const meta_value_t *v) {
    if (v->is_null) return json_null();
    switch (v->type) {
    case META_INT64: return json_pack("{sI}", "Int64", (json_int_t)v->u.i);
    case META_FLOAT64: return json_pack("{sf}", "Float64", v->u.f);
    case META_STRING: return json_pack("{so}", "String", json_stringn(v->u.s.ptr, v->u.s.len));
    case META_BOOLEAN: return json_pack("{sb}", "Boolean", v->u.b);
    }
    return json_null();
}

static json_t *cli_table_json(const meta_table_t *t) {
    json_t *cols = json_array();
    for (size_t i = 0; i < t->ncolumns; i++)
        json_array_append_new(cols, json_pack("{ssss}", "name", t->columns[i].name, "data_type",
                                              meta_type_name(t->columns[i].type)));
    return json_pack("{ssso}", "name", t->name, "columns", cols);
}

static json_t *cli_metadata_json(const meta_batch_t *b) {
    json_t *tables = json_array(), *rows = json_array();
    for (size_t i = 0; i < b->ntables; i++) json_array_append_new(tables, cli_table_json(b->tables[i]));
    for (size_t i = 0; i < b->nrows; i++) {
        const meta_row_t *row = &b->rows[i];
        json_t *values = json_array();
        for (size_t k = 0; k < row->table->ncolumns; k++) json_array_append_new(values, cli_value_json(&row->values[k]));
        json_array_append_new(rows, json_pack("{ssso}", "table_name", row->table->name, "values", values));
    }
    return json_pack("{soso}", "tables", tables, "rows", rows);
}

static json_t *cli_hex(const uint8_t *data, size_t len) {
    static const char digits[] = "0123456789abcdef";
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < len; i++) {
        buf_append_byte(&b, (uint8_t)digits[data[i] >> 4]);
        buf_append_byte(&b, (uint8_t)digits[data[i] & 15]);
    }
    json_t *j = json_string(buf_cstr(&b));
    buf_free(&b);
    return j;
}

/* cli_hex_guarded: cli_hex of at most CLI_HEX_BYTES bytes that may lie in
 * the mapped sample, read through a fault guard; NULL if they could not be
 * read (the sample was truncated while mapped). */
static json_t *cli_hex_guarded(const uint8_t *data, size_t len) {
    uint8_t copy[CLI_HEX_BYTES];
    if (len > sizeof copy) len = sizeof copy;
    if (rt_guarded_copy(copy, data, len) != 0) return NULL;
    return cli_hex(copy, len);
}

static json_t *cli_subcontent_json(const eng_result_t *r, const uint8_t *content) {
    json_t *arr = json_array();
    for (size_t i = 0; i < r->nsubcontent; i++) {
        const eng_emission_t *e = &r->subcontent[i];
        const uint8_t *data = e->is_slice ? content + e->offset : e->data;
        size_t size = e->is_slice ? (size_t)e->length : e->size;
        size_t shown = size < CLI_HEX_BYTES ? size : CLI_HEX_BYTES;
        json_t *o = json_pack("{sIsssIsb}", "index", (json_int_t)i, "filename", e->filename, "size", (json_int_t)size,
                              "truncated", size > CLI_HEX_BYTES);
        json_t *hex = cli_hex_guarded(data, shown);
        json_object_set_new(o, "data_hex", hex ? hex : json_null());
        if (!hex) json_object_set_new(o, "data_error", json_string("I/O error: the sample changed (truncated?) while mapped"));
        json_object_set_new(o, "kind", json_string(e->is_slice ? "slice" : "bytes"));
        if (e->is_slice) {
            json_object_set_new(o, "offset", json_integer((json_int_t)e->offset));
            json_object_set_new(o, "length", json_integer((json_int_t)e->length));
        }
        json_array_append_new(arr, o);
    }
    return arr;
}

/* cli_base_json: the fields every result object has, in order. */
static json_t *cli_base_json(const char *name, bool success, const char *kind, const char *error) {
    json_t *o = json_object();
    json_object_set_new(o, "success", json_boolean(success));
    json_object_set_new(o, "error", error ? cli_text((const uint8_t *)error, strlen(error)) : json_null());
    json_object_set_new(o, "error_kind", kind ? json_string(kind) : json_null());
    json_object_set_new(o, "module", name ? json_string(name) : json_null());
    return o;
}


json_t *cli_result_json(const eng_module_t *m, const eng_result_t *r, const uint8_t *content) {
    json_t *o = cli_base_json(m->name, r->success, r->error_kind, r->error);
    json_object_set_new(o, "exit_code", json_integer((json_int_t)r->exit_code));
    json_object_set_new(o, "stdout", cli_text(r->out.data, r->out.len));
    json_object_set_new(o, "stderr", cli_text(r->err.data, r->err.len));
    json_object_set_new(o, "stdout_truncated", json_boolean(r->out_truncated));
    json_object_set_new(o, "stderr_truncated", json_boolean(r->err_truncated));
    json_object_set_new(o, "metadata", cli_metadata_json(&r->metadata));
    json_object_set_new(o, "subcontent", cli_subcontent_json(r, content));
    json_object_set_new(o, "duration_ms", json_real(r->duration_ms));
    json_object_set_new(o, "peak_memory", json_integer((json_int_t)r->peak_memory));
    return o;
}

json_t *cli_error_json(const char *module_path, const char *kind, const char *message) {
    const char *slash = strrchr(module_path, '/');
    const char *base = slash ? slash + 1 : module_path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".wasm") == 0) n -= 5;
    char *name = strndup(base, n);
    json_t *o = cli_base_json(name, false, kind, message);
    free(name);
    json_object_set_new(o, "exit_code", json_integer(0));
    json_object_set_new(o, "stdout", json_string(""));
    json_object_set_new(o, "stderr", json_string(""));
    json_object_set_new(o, "stdout_truncated", json_false());
    json_object_set_new(o, "stderr_truncated", json_false());
    json_object_set_new(o, "metadata", json_pack("{s[]s[]}", "tables", "rows"));
    json_object_set_new(o, "subcontent", json_array());
    json_object_set_new(o, "duration_ms", json_real(0));
    json_object_set_new(o, "peak_memory", json_integer(0));
    return o;
}
