/* cmd_inspect.c — `wadup inspect`: what wadup sees in a module (its kind,
 * imports and whether wadup provides them, exports, memory limits, custom
 * sections and embedded files), as text or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "wasi/wasi.h"

/* inspect_json: the module structure as read by the wasm reader (no engine
 * checks, so a module with an unknown import can still be inspected). */
static json_t *inspect_json(const char *path, const wmod_t *m, size_t size) {
    char type[256];
    json_t *o = json_object();
    json_object_set_new(o, "path", json_string(path));
    json_object_set_new(o, "size", json_integer((json_int_t)size));
    json_object_set_new(o, "name_section", m->name ? json_string(m->name) : json_null());
    json_t *imports = json_array();
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wmod_import_t *im = &m->imports[i];
        json_t *j = json_pack("{ssssss}", "module", im->module, "name", im->name, "kind", wmod_extern_kind_name(im->kind));
        if (im->kind == WMOD_EXT_FUNC && im->type_index < m->ntypes) {
            wmod_format_functype(&m->types[im->type_index], type, sizeof type);
            json_object_set_new(j, "type", json_string(type));
        }
        bool provided = eng_import_provided(m, im);
        json_object_set_new(j, "provided", json_boolean(provided));
        json_array_append_new(imports, j);
    }
    json_object_set_new(o, "imports", imports);
    json_t *exports = json_array();
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wmod_export_t *e = &m->exports[i];
        json_t *j = json_pack("{ssss}", "name", e->name, "kind", wmod_extern_kind_name(e->kind));
        const wmod_functype_t *t = e->kind == WMOD_EXT_FUNC ? wmod_func_type(m, e->index) : NULL;
        if (t) { wmod_format_functype(t, type, sizeof type); json_object_set_new(j, "type", json_string(type)); }
        json_array_append_new(exports, j);
    }
    json_object_set_new(o, "exports", exports);
    json_t *mems = json_array();
    for (uint32_t i = 0; i < m->nmemories; i++) {
        const wmod_limits_t *l = &m->memories[i];
        json_t *j = json_pack("{sI}", "min_pages", (json_int_t)l->min);
        json_object_set_new(j, "max_pages", l->has_max ? json_integer((json_int_t)l->max) : json_null());
        json_array_append_new(mems, j);
    }
    json_object_set_new(o, "memories", mems);
    json_t *customs = json_array();
    for (uint32_t i = 0; i < m->ncustoms; i++)
        json_array_append_new(customs, json_pack("{sssI}", "name", m->customs[i].name, "size", (json_int_t)m->customs[i].size));
    json_object_set_new(o, "custom_sections", customs);
    json_object_set_new(o, "functions", json_integer(m->nfuncs));
    json_object_set_new(o, "code_size", json_integer((json_int_t)m->code_size));
    return o;
}

static void inspect_print_text(json_t *o) {
    printf("module:     %s (%lld bytes)\n", json_string_value(json_object_get(o, "path")),
           (long long)json_integer_value(json_object_get(o, "size")));
    json_t *kind = json_object_get(o, "kind");
    printf("kind:       %s\n", kind && json_is_string(kind) ? json_string_value(kind) : "not runnable");
    json_t *verdict = json_object_get(o, "error");
    if (verdict && json_is_string(verdict))
        printf("problem:    %s: %s\n", json_string_value(json_object_get(o, "error_kind")), json_string_value(verdict));
    printf("functions:  %lld (%lld bytes of code)\n", (long long)json_integer_value(json_object_get(o, "functions")),
           (long long)json_integer_value(json_object_get(o, "code_size")));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(o, "memories"), i, v) {
        json_t *max = json_object_get(v, "max_pages");
        printf("memory %zu:   %lld pages initial, ", i, (long long)json_integer_value(json_object_get(v, "min_pages")));
        if (json_is_null(max)) printf("no max\n");
        else printf("%lld max\n", (long long)json_integer_value(max));
    }
    printf("imports:    %zu\n", json_array_size(json_object_get(o, "imports")));
    json_array_foreach(json_object_get(o, "imports"), i, v) {
        json_t *t = json_object_get(v, "type");
        printf("  %s.%s  %s %s%s\n", json_string_value(json_object_get(v, "module")),
               json_string_value(json_object_get(v, "name")), json_string_value(json_object_get(v, "kind")),
               t ? json_string_value(t) : "", json_is_true(json_object_get(v, "provided")) ? "" : "  [NOT PROVIDED]");
    }
    printf("exports:    %zu\n", json_array_size(json_object_get(o, "exports")));
    json_array_foreach(json_object_get(o, "exports"), i, v) {
        json_t *t = json_object_get(v, "type");
        printf("  %s  %s %s\n", json_string_value(json_object_get(v, "name")), json_string_value(json_object_get(v, "kind")),
               t ? json_string_value(t) : "");
    }
    printf("custom sections: %zu\n", json_array_size(json_object_get(o, "custom_sections")));
    json_array_foreach(json_object_get(o, "custom_sections"), i, v)
        printf("  %s  (%lld bytes)\n", json_string_value(json_object_get(v, "name")),
               (long long)json_integer_value(json_object_get(v, "size")));
    printf("embedded files: %zu\n", json_array_size(json_object_get(o, "embedded_files")));
    json_array_foreach(json_object_get(o, "embedded_files"), i, v)
        printf("  %s  (%lld bytes)\n", json_string_value(json_object_get(v, "path")),
               (long long)json_integer_value(json_object_get(v, "size")));
}

int cli_inspect(int argc, char **argv) {
    static const struct option opts[] = {{"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    bool as_json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'j') as_json = true;
        else {
            fprintf(c == 'h' ? stdout : stderr, "usage: wadup inspect [--json] MODULE.wasm\n");
            return c == 'h' ? CLI_OK : CLI_USAGE;
        }
    }
    if (optind != argc - 1) return cli_error("inspect needs exactly one module");
    const char *path = argv[optind];
    mapped_file_t f;
    if (mapped_file_open(path, &f) != 0) return cli_error("cannot read %s: %m", path);
    wmod_t m;
    char msg[512];
    if (wmod_parse(f.data, f.size, &m, msg, sizeof msg) != 0) {
        mapped_file_close(&f);
        if (as_json) {
            json_t *o = json_pack("{ssssss}", "path", path, "error_kind", ENG_KIND_INVALID_MODULE, "error", msg);
            json_dumpf(o, stdout, JSON_INDENT(2));
            fputc('\n', stdout);
            json_decref(o);
        } else {
            printf("module:     %s\nproblem:    invalid_module: %s\n", path, msg);
        }
        return CLI_MODULE_FAILED;
    }
    json_t *o = inspect_json(path, &m, f.size);
    wmod_free(&m);
    mapped_file_close(&f);
    eng_module_t *mod;
    eng_error_t err = {0};
    int status = CLI_OK;
    json_t *files = json_array();
    if (eng_module_open(path, &mod, &err) == 0) {
        json_object_set_new(o, "kind", json_string(eng_kind_name(mod->kind)));
        for (size_t i = 0; i < mod->nfiles; i++)
            json_array_append_new(files, json_pack("{sssI}", "path", mod->files[i].path, "size", (json_int_t)mod->files[i].size));
        eng_module_free(mod);
    } else {
        json_object_set_new(o, "kind", json_null());
        json_object_set_new(o, "error_kind", json_string(err.kind ? err.kind : "io"));
        json_object_set_new(o, "error", json_string(err.message));
        eng_error_clear(&err);
        status = CLI_MODULE_FAILED;
    }
    json_object_set_new(o, "embedded_files", files);
    if (as_json) {
        json_dumpf(o, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        inspect_print_text(o);
    }
    json_decref(o);
    return status;
}
