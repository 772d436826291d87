/* module.c — opening and checking modules before they are compiled:
 * which kind of module it is, whether wadup provides every import with the
 * right type, the exports wadup calls, and the files it embeds. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/softfloat.h"
#include "wasi/wasi.h"
#include "wasm/wasm_rewrite.h"

#define ENG_FILE_SECTION_PREFIX "wadup.file:"

void eng_limits_default(eng_limits_t *l) {
    l->max_memory = ENG_DEFAULT_MAX_MEMORY;
    l->max_stack = ENG_DEFAULT_MAX_STACK;
    l->timeout_ms = ENG_DEFAULT_TIMEOUT_MS;
    l->max_output = ENG_DEFAULT_MAX_OUTPUT;
    l->max_children = ENG_DEFAULT_MAX_CHILDREN;
}

const char *eng_kind_name(eng_kind_t k) {
    switch (k) {
    case ENG_REACTOR: return "reactor (exports process)";
    case ENG_REACTOR_WITH_START: return "reactor with _start (process; _start runs once per instance)";
    case ENG_COMMAND: return "command (exports _start; fresh instance per content)";
    }
    return "unknown";
}

void eng_error_clear(eng_error_t *e) {
    free(e->message);
    e->message = NULL;
    e->kind = NULL;
}

static int eng_fail(eng_error_t *e, const char *kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int eng_fail(eng_error_t *e, const char *kind, const char *fmt, ...) {
    buf_t m = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&m, fmt, ap);
    va_end(ap);
    e->kind = kind;
    e->message = buf_steal(&m);
    return -1;
}

/* eng_signature_text: "(i32, i64) -> i32" for a WASI signature string. */
static void eng_signature_text(const char *sig, char *out, size_t outlen) {
    buf_t b = BUF_INIT;
    buf_append_str(&b, "(");
    const char *p = sig;
    for (bool first = true; *p && *p != ':'; p++, first = false)
        buf_printf(&b, "%s%s", first ? "" : ", ", *p == 'I' ? "i64" : "i32");
    buf_append_str(&b, ") -> ");
    buf_append_str(&b, p[0] == ':' && p[1] ? (p[1] == 'I' ? "i64" : "i32") : "()");
    snprintf(out, outlen, "%s", buf_cstr(&b));
    buf_free(&b);
}

static bool eng_sig_matches(const char *sig, const wmod_functype_t *t) {
    const char *colon = strchr(sig, ':');
    size_t np = (size_t)(colon - sig), nr = strlen(colon + 1);
    if (t->nparams != np || t->nresults != nr) return false;
    for (size_t i = 0; i < np; i++)
        if (t->params[i] != (sig[i] == 'I' ? WMOD_I64 : WMOD_I32)) return false;
    for (size_t i = 0; i < nr; i++)
        if (t->results[i] != (colon[1 + i] == 'I' ? WMOD_I64 : WMOD_I32)) return false;
    return true;
}

/* ---- imports (begin: WASI functions and the env binary128 helpers) ---- */

#define ENG_MAX_IMPORT_PROBLEMS 20 /* problems named in the message; the rest are counted */

/* eng_import_problem: append why import `im` of `m` is not provided to
 * `msg` (nothing if it is provided); *target is set to the wasi name an
 * env helper is renamed to, or NULL. Returns true if there is a problem. */
static bool eng_import_problem(const wmod_t *m, const wmod_import_t *im, buf_t *msg, const char **target) {
    char have[256], want[256];
    *target = NULL;
    if (im->kind != WMOD_EXT_FUNC) {
        buf_printf(msg, "unsupported import %s.%s (%s): wadup provides only functions (wasi_snapshot_preview1 and the "
                   "env binary128 helpers); modules must define their own memory, tables and globals",
                   im->module, im->name, wmod_extern_kind_name(im->kind));
        return true;
    }
    const wmod_functype_t *t = im->type_index < m->ntypes ? &m->types[im->type_index] : NULL;
    if (t) wmod_format_functype(t, have, sizeof have);
    else snprintf(have, sizeof have, "type %u", im->type_index);
    if (strcmp(im->module, SF_IMPORT_MODULE) == 0 && sf_known_name(im->name)) {
        if ((*target = sf_import_target(im->name, t))) return false;
        buf_printf(msg, "import %s.%s has type %s but wadup provides ", im->module, im->name, have);
        sf_describe_types(im->name, msg);
        return true;
    }
    const char *sig = strcmp(im->module, "wasi_snapshot_preview1") == 0 ? wasi_import_signature(im->name) : NULL;
    if (!sig) {
        buf_printf(msg, "unknown import %s.%s (func %s): wadup provides only the wasi_snapshot_preview1 functions "
                   "and the env binary128 (long double) helpers", im->module, im->name, have);
        return true;
    }
    if (!t || !eng_sig_matches(sig, t)) {
        eng_signature_text(sig, want, sizeof want);
        buf_printf(msg, "import %s.%s has type %s but wadup provides %s", im->module, im->name, have, want);
        return true;
    }
    return false;
}

/* eng_import_provided: see engine.h. */
bool eng_import_provided(const wmod_t *m, const wmod_import_t *im) {
    buf_t scratch = BUF_INIT;
    const char *target;
    bool bad = eng_import_problem(m, im, &scratch, &target);
    buf_free(&scratch);
    return !bad;
}

/* eng_check_imports: every import must be a wasi_snapshot_preview1
 * function or an env binary128 helper that wadup provides, with exactly
 * a type wadup provides; the error names every import that is not (the
 * first ENG_MAX_IMPORT_PROBLEMS, then a count). When env helpers are
 * imported, mod->code holds a copy of the module with them renamed to the
 * wasi_snapshot_preview1 functions implementing them (softfloat.h), parsed
 * in mod->code_info: that copy is what is compiled. */
static int eng_check_imports(eng_module_t *mod, eng_error_t *err) {
    const wmod_t *m = &mod->info;
    buf_t msg = BUF_INIT, one = BUF_INIT;
    size_t nbad = 0, nrenamed = 0;
    const char **targets = calloc(m->nimports ? m->nimports : 1, sizeof *targets);
    const char **modules = calloc(m->nimports ? m->nimports : 1, sizeof *modules);
    if (!targets || !modules) {
        free(targets);
        free(modules);
        return eng_fail(err, NULL, "out of memory");
    }
    for (uint32_t i = 0; i < m->nimports; i++) {
        buf_reset(&one);
        if (!eng_import_problem(m, &m->imports[i], &one, &targets[i])) {
            if (targets[i]) { modules[i] = "wasi_snapshot_preview1"; nrenamed++; }
            continue;
        }
        if (nbad++ < ENG_MAX_IMPORT_PROBLEMS) buf_printf(&msg, "%s%s", nbad > 1 ? "; " : "", buf_cstr(&one));
    }
    if (nbad > ENG_MAX_IMPORT_PROBLEMS)
        buf_printf(&msg, "; and %zu more imports wadup does not provide", nbad - ENG_MAX_IMPORT_PROBLEMS);
    int rc = 0;
    if (nbad > 1) {
        rc = eng_fail(err, ENG_KIND_INSTANTIATE, "%zu imports are not provided: %s", nbad, buf_cstr(&msg));
    } else if (nbad == 1) {
        rc = eng_fail(err, ENG_KIND_INSTANTIATE, "%s", buf_cstr(&msg));
    } else if (nrenamed) {
        char perr[512];
        if (wmod_rename_imports(mod->file.data, mod->file.size, m, modules, targets, &mod->code) != 0)
            rc = eng_fail(err, NULL, "out of memory renaming the module's env imports");
        else if (wmod_parse(mod->code.data, mod->code.len, &mod->code_info, perr, sizeof perr) != 0)
            rc = eng_fail(err, ENG_KIND_INVALID_MODULE, "renaming the env imports: %s", perr);
        else
            mod->has_code = true;
    }
    buf_free(&msg);
    buf_free(&one);
    free(targets);
    free(modules);
    return rc;
}

/* ---- imports (end) ---- */

static const wmod_functype_t *eng_export_func(const wmod_t *m, const char *name, bool *present) {
    const wmod_export_t *e = wmod_find_export(m, name);
    *present = e != NULL;
    return e && e->kind == WMOD_EXT_FUNC ? wmod_func_type(m, e->index) : NULL;
}

/* eng_classify: the module kind from its exports. */
static int eng_classify(eng_module_t *mod, eng_error_t *err) {
    const wmod_t *m = &mod->info;
    bool has_process, has_start, has_init;
    const wmod_functype_t *process = eng_export_func(m, "process", &has_process);
    const wmod_functype_t *start = eng_export_func(m, "_start", &has_start);
    const wmod_functype_t *init = eng_export_func(m, "_initialize", &has_init);
    char have[256];
    if (has_process) {
        bool ok = process && process->nparams == 0 &&
                  (process->nresults == 0 || (process->nresults == 1 && process->results[0] == WMOD_I32));
        if (!ok) {
            if (process) wmod_format_functype(process, have, sizeof have);
            else snprintf(have, sizeof have, "a non-function");
            return eng_fail(err, ENG_KIND_INVALID_MODULE,
                            "export 'process' is %s; wadup calls process as () -> i32 or () -> ()", have);
        }
    }
    if ((has_start && !(start && start->nparams == 0 && start->nresults == 0)) ||
        (has_init && !(init && init->nparams == 0 && init->nresults == 0)))
        return eng_fail(err, ENG_KIND_INVALID_MODULE, "exports _start and _initialize must be functions () -> ()");
    if (has_process) mod->kind = has_start && !has_init ? ENG_REACTOR_WITH_START : ENG_REACTOR;
    else if (has_start) mod->kind = ENG_COMMAND;
    else return eng_fail(err, ENG_KIND_INVALID_MODULE, "the module exports neither 'process' nor '_start'");
    return 0;
}

static int eng_check_memory(const wmod_t *m, eng_error_t *err) {
    if (m->nmemories > 1)
        return eng_fail(err, ENG_KIND_INVALID_MODULE, "unsupported: the module defines %u memories (at most 1)",
                        m->nmemories);
    if (m->nmemories == 1 && (m->memories[0].is64 || m->memories[0].shared))
        return eng_fail(err, ENG_KIND_INVALID_MODULE, "unsupported: %s memory",
                        m->memories[0].is64 ? "64-bit" : "shared");
    const wmod_export_t *mem = wmod_find_export(m, "memory");
    if (m->nimported_funcs > 0 && !(mem && mem->kind == WMOD_EXT_MEMORY))
        return eng_fail(err, ENG_KIND_INVALID_MODULE,
                        "the module imports WASI functions but does not export its memory as 'memory'");
    return 0;
}

/* eng_valid_file_path: absolute, no "." or ".." or empty components, and
 * outside the areas wadup manages. */
static bool eng_valid_file_path(const char *p) {
    if (p[0] != '/' || p[1] == 0) return false;
    for (const char *s = p; *s;) {
        s++;
        size_t n = strcspn(s, "/");
        if (n == 0 || n > 255 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) return false;
        s += n;
    }
    static const char *const reserved[] = {"/data.bin", "/tmp", "/metadata", "/subcontent"};
    for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++) {
        size_t n = strlen(reserved[i]);
        if (strncmp(p, reserved[i], n) == 0 && (p[n] == 0 || p[n] == '/')) return false;
    }
    return true;
}

static int eng_collect_files(eng_module_t *mod, eng_error_t *err) {
    const wmod_t *m = &mod->info;
    size_t prefix = strlen(ENG_FILE_SECTION_PREFIX);
    mod->files = calloc(m->ncustoms ? m->ncustoms : 1, sizeof *mod->files);
    if (!mod->files) return eng_fail(err, NULL, "out of memory");
    for (uint32_t i = 0; i < m->ncustoms; i++) {
        const wmod_custom_t *c = &m->customs[i];
        if (strncmp(c->name, ENG_FILE_SECTION_PREFIX, prefix) != 0) continue;
        const char *path = c->name + prefix;
        if (!eng_valid_file_path(path))
            return eng_fail(err, ENG_KIND_INVALID_MODULE,
                            "embedded file section '%s': the path must be absolute, without '.', '..' or empty "
                            "components, and outside /data.bin, /tmp, /metadata and /subcontent", c->name);
        for (size_t j = 0; j < mod->nfiles; j++)
            if (strcmp(mod->files[j].path, path) == 0)
                return eng_fail(err, ENG_KIND_INVALID_MODULE, "file %s is embedded twice", path);
        eng_file_t *f = &mod->files[mod->nfiles];
        f->path = strdup(path);
        if (!f->path) return eng_fail(err, NULL, "out of memory");
        f->data = mod->file.data + c->offset;
        f->size = c->size;
        mod->nfiles++;
    }
    return 0;
}

static char *eng_module_name(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 5 && strcmp(base + n - 5, ".wasm") == 0) n -= 5;
    return strndup(base, n);
}

int eng_module_open(const char *path, eng_module_t **out, eng_error_t *err) {
    err->kind = NULL;
    err->message = NULL;
    eng_module_t *mod = calloc(1, sizeof *mod);
    if (!mod) return eng_fail(err, NULL, "out of memory");
    mod->name = eng_module_name(path);
    mod->path = strdup(path);
    if (!mod->name || !mod->path) { eng_module_free(mod); return eng_fail(err, NULL, "out of memory"); }
    if (mapped_file_open(path, &mod->file) != 0) {
        int e = errno;
        eng_module_free(mod);
        return eng_fail(err, NULL, "cannot read module %s: %s", path, strerror(e));
    }
    char msg[512];
    int rc = 0;
    if (wmod_parse(mod->file.data, mod->file.size, &mod->info, msg, sizeof msg) != 0)
        rc = eng_fail(err, ENG_KIND_INVALID_MODULE, "%s", msg);
    if (rc == 0) rc = eng_classify(mod, err);
    if (rc == 0) rc = eng_check_memory(&mod->info, err);
    if (rc == 0) rc = eng_check_imports(mod, err);
    if (rc == 0) rc = eng_collect_files(mod, err);
    if (rc != 0) { eng_module_free(mod); return -1; }
    *out = mod;
    return 0;
}

/* eng_module_compile: see engine.h. */
int eng_module_compile(eng_module_t *m, const aot_config_t *cfg, bool *compiled, eng_error_t *err) {
    *compiled = false;
    if (m->object) return 0;
    char *msg = NULL;
    /* m->code: the module with its env imports renamed (eng_check_imports) */
    int rc = m->has_code ? aot_load(cfg, &m->code_info, m->code.data, m->code.len, m->name, &m->object, compiled, &msg)
                         : aot_load(cfg, &m->info, m->file.data, m->file.size, m->name, &m->object, compiled, &msg);
    if (rc == AOT_COMPILE_ERROR) {
        /* The kind starts the message too: the modules table keeps only the message. */
        eng_fail(err, ENG_KIND_COMPILE, ENG_KIND_COMPILE ": %s", msg ? msg : "compilation failed");
    } else if (rc != AOT_OK) {
        eng_fail(err, ENG_KIND_INVALID_MODULE, "%s", msg ? msg : "cannot load the compiled object");
    }
    free(msg);
    return rc == AOT_OK ? 0 : -1;
}

void eng_module_free(eng_module_t *m) {
    if (!m) return;
    for (size_t i = 0; i < m->nfiles; i++) free(m->files[i].path);
    free(m->files);
    wmod_free(&m->info);
    wmod_free(&m->code_info);
    buf_free(&m->code);
    mapped_file_close(&m->file);
    aot_unload(m->object);
    free(m->name);
    free(m->path);
    free(m);
}
