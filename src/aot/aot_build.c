/* aot_build.c — one module from wasm to a shared object: the module as
 * wasm2c sees it, the glue file, the parallel compile and the link (see
 * aot_build.h). */
#include "aot/aot_build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aot/aot_split.h"
#include "aot/aot_tool.h"

/* Flags for gcc that wasm2c output needs for conformance, plus guard
 * probing so a large native frame cannot jump over the stack guard. Every
 * unit is compiled with these and AOT_OPT (huge functions: see
 * aot_split.h), then linked with aot_ldflags. */
static const char *const aot_cflags[] = {
    "-fPIC", "-fno-optimize-sibling-calls", "-frounding-math", "-fsignaling-nans",
    "-fstack-clash-protection", "-fvisibility=hidden", "-w",
};
#define AOT_NCFLAGS (sizeof aot_cflags / sizeof *aot_cflags)
#define AOT_OPT "-O2"
static const char *const aot_ldflags[] = {"-shared", "-fPIC"};
#define AOT_NLDFLAGS (sizeof aot_ldflags / sizeof *aot_ldflags)
/* Bump when the pipeline changes the object for the same inputs. */
#define AOT_PIPELINE "pipeline-2|exports=process,memory,_initialize,_start"

int aot_build_identity(buf_t *id) {
    int rc = buf_printf(id, "|%s|%s|%s", AOT_PIPELINE, AOT_SPLIT_IDENTITY, AOT_OPT);
    for (size_t i = 0; i < AOT_NCFLAGS; i++) rc |= buf_printf(id, "|%s", aot_cflags[i]);
    rc |= buf_append_str(id, "|link");
    for (size_t i = 0; i < AOT_NLDFLAGS; i++) rc |= buf_printf(id, "|%s", aot_ldflags[i]);
    return rc ? -1 : 0;
}

/* ---- the module as wasm2c sees it ---- */

/* aot_write_file: data into path (created 0600). Returns 0 or -1 (errno). */
static int aot_write_file(const char *path, const void *data, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    const uint8_t *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) { if (errno == EINTR) continue; close(fd); return -1; }
        p += n;
        len -= (size_t)n;
    }
    return close(fd);
}

/* aot_leb: v as unsigned LEB128. Returns 0 or -1. */
static int aot_leb(buf_t *b, uint64_t v) {
    int rc = 0;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        rc |= buf_append_byte(b, byte | (v ? 0x80 : 0));
    } while (v);
    return rc;
}

/* aot_kept_export: the exports wadup calls; wasm2c sees no others. */
static bool aot_kept_export(const char *name) {
    static const char *const kept[] = {"process", "memory", "_initialize", "_start"};
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
        if (strcmp(name, kept[i]) == 0) return true;
    return false;
}

/* aot_export_section: the export section with only the kept exports,
 * their names written from wadup's own strings. */
static int aot_export_section(const wmod_t *m, buf_t *w) {
    buf_t payload = BUF_INIT;
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->nexports; i++) n += aot_kept_export(m->exports[i].name);
    int rc = aot_leb(&payload, n);
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wmod_export_t *e = &m->exports[i];
        if (!aot_kept_export(e->name)) continue;
        rc |= aot_leb(&payload, strlen(e->name));
        rc |= buf_append_str(&payload, e->name);
        rc |= buf_append_byte(&payload, (uint8_t)e->kind);
        rc |= aot_leb(&payload, e->index);
    }
    rc |= buf_append_byte(w, 7);
    rc |= aot_leb(w, payload.len);
    rc |= buf_append(w, payload.data, payload.len);
    buf_free(&payload);
    return rc ? -1 : 0;
}

/* aot_write_stripped: the module without custom sections (what the key
 * covers, so the compiled code depends on nothing else) and with the
 * reduced export section. */
static int aot_write_stripped(const char *path, const wmod_t *m, const uint8_t *bytes) {
    buf_t w = BUF_INIT;
    int rc = buf_append(&w, bytes, 8);
    for (uint32_t i = 0; rc == 0 && i < m->nsections; i++) {
        const wmod_section_t *s = &m->sections[i];
        if (s->id == 7) rc = aot_export_section(m, &w);
        else if (s->id != 0) rc = buf_append(&w, bytes + s->offset, s->size);
    }
    if (rc == 0) rc = aot_write_file(path, w.data, w.len);
    buf_free(&w);
    return rc;
}

/* ---- the glue ---- */

/* aot_export_type: the type of the exported function `name`, or NULL. */
static const wmod_functype_t *aot_export_type(const wmod_t *m, const char *name) {
    const wmod_export_t *e = wmod_find_export(m, name);
    return e && e->kind == WMOD_EXT_FUNC ? wmod_func_type(m, e->index) : NULL;
}

static bool aot_is_void_void(const wmod_functype_t *t) { return t && t->nparams == 0 && t->nresults == 0; }

/* aot_glue_source: the glue file for module `m` (see aot_glue.h). */
static int aot_glue_source(const wmod_t *m, buf_t *g) {
    const wmod_functype_t *process = aot_export_type(m, "process");
    bool has_wasi = false;
    for (uint32_t i = 0; i < m->nimports; i++)
        if (strcmp(m->imports[i].module, "wasi_snapshot_preview1") == 0) has_wasi = true;
    const wmod_export_t *mem = wmod_find_export(m, "memory");
    int rc = 0;
    rc |= buf_append_str(g, "#include \"module.h\"\n" AOT_GLUE_STRUCT_TEXT);
    rc |= buf_append_str(g, "static void g_init(void) { Z_mod_init_module(); }\n");
    rc |= buf_printf(g, "static void g_instantiate(void *i, void *w) { %s }\n",
                     has_wasi ? "Z_mod_instantiate((Z_mod_instance_t *)i, (struct Z_wasi_snapshot_preview1_instance_t *)w);"
                              : "(void)w; Z_mod_instantiate((Z_mod_instance_t *)i);");
    bool mem_ok = mem && mem->kind == WMOD_EXT_MEMORY;
    rc |= buf_printf(g, "static wasm_rt_memory_t *g_memory(void *i) { %s }\n",
                     mem_ok ? "return Z_modZ_memory((Z_mod_instance_t *)i);" : "(void)i; return 0;");
    bool p_i32 = process && process->nparams == 0 && process->nresults == 1 && process->results[0] == WMOD_I32;
    bool p_void = aot_is_void_void(process);
    if (p_i32) rc |= buf_append_str(g, "static uint32_t g_process(void *i) { return Z_modZ_process((Z_mod_instance_t *)i); }\n");
    if (p_void) rc |= buf_append_str(g, "static void g_process(void *i) { Z_modZ_process((Z_mod_instance_t *)i); }\n");
    bool init = aot_is_void_void(aot_export_type(m, "_initialize"));
    bool start = aot_is_void_void(aot_export_type(m, "_start"));
    if (init) rc |= buf_append_str(g, "static void g_initialize(void *i) { Z_modZ__initialize((Z_mod_instance_t *)i); }\n");
    if (start) rc |= buf_append_str(g, "static void g_start(void *i) { Z_modZ__start((Z_mod_instance_t *)i); }\n");
    rc |= buf_printf(g,
                     "__attribute__((visibility(\"default\"))) const aot_glue_t wadup_glue = {\n"
                     "  %d, (uint32_t)sizeof(Z_mod_instance_t), g_init, g_instantiate, g_memory,\n"
                     "  %s, %s, %s, %s };\n",
                     AOT_ABI_VERSION, p_i32 ? "g_process" : "0", p_void ? "g_process" : "0",
                     init ? "g_initialize" : "0", start ? "g_start" : "0");
    return rc ? -1 : 0;
}

/* ---- the tools' environment ---- */

extern char **environ;

/* aot_tool_env: wadup's environment with TMPDIR set to the compilation's
 * temporary directory, so the compiler's own temporary files (cc1's .s,
 * as's .o) go there and are removed with it even when it is killed.
 * Returns a malloc'd array whose TMPDIR entry (the last before NULL) is
 * malloc'd too (aot_tool_env_free), or NULL when out of memory. */
static char **aot_tool_env(const char *tmp) {
    size_t n = 0;
    while (environ[n]) n++;
    char **env = calloc(n + 2, sizeof *env);
    buf_t t = BUF_INIT;
    char *tmpdir = buf_printf(&t, "TMPDIR=%s", tmp) == 0 ? buf_steal(&t) : NULL;
    if (!env || !tmpdir) {
        free(env);
        free(tmpdir);
        buf_free(&t);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "TMPDIR=", 7) != 0) env[k++] = environ[i];
    env[k] = tmpdir;
    return env;
}

/* aot_tool_env_free: free what aot_tool_env returned. */
static void aot_tool_env_free(char **env) {
    if (!env) return;
    size_t n = 0;
    while (env[n + 1]) n++;
    free(env[n]);  /* the TMPDIR entry, always last */
    free(env);
}

/* ---- compiling the units ---- */

/* One translation unit to compile: its source, object and command line. */
typedef struct aot_cunit {
    char *src, *obj;         /* malloc'd */
    size_t bytes;
    bool huge;
    char *argv[AOT_NCFLAGS + 8];
} aot_cunit_t;

typedef struct aot_plan {
    aot_cunit_t *units;
    size_t n;
    char **link;             /* the link command line */
} aot_plan_t;

/* aot_plan_free: the units' paths and the command lines. */
static void aot_plan_free(aot_plan_t *p) {
    for (size_t i = 0; i < p->n; i++) {
        free(p->units[i].src);
        free(p->units[i].obj);
    }
    free(p->units);
    free(p->link);
    memset(p, 0, sizeof *p);
}

/* aot_cunit_init: unit u compiles `src` (taken over: u owns it even on
 * failure) to src with ".o" for ".c". Returns 0 or -1 (memory). */
static int aot_cunit_init(aot_cunit_t *u, const char *cc, char *src, size_t bytes, bool huge) {
    size_t len = strlen(src);
    u->src = src;
    u->obj = strdup(src);
    if (!u->obj || len < 2) return -1;
    u->obj[len - 1] = 'o';
    u->bytes = bytes;
    u->huge = huge;
    size_t n = 0;
    u->argv[n++] = (char *)cc;
    for (size_t i = 0; i < AOT_NCFLAGS; i++) u->argv[n++] = (char *)aot_cflags[i];
    u->argv[n++] = huge ? AOT_SPLIT_HUGE_OPT : AOT_OPT;
    u->argv[n++] = "-c";
    u->argv[n++] = "-o";
    u->argv[n++] = u->obj;
    u->argv[n++] = u->src;
    u->argv[n] = NULL;
    return 0;
}

/* aot_cmp_units: largest first (so the longest jobs start first), then
 * by name: a total order, so the link order is always the same. */
static int aot_cmp_units(const void *a, const void *b) {
    const aot_cunit_t *x = a, *y = b;
    if (x->bytes != y->bytes) return x->bytes < y->bytes ? 1 : -1;
    return strcmp(x->src, y->src);
}

/* aot_plan_make: compile jobs for the split units (or, if the split
 * declined, module.c whole) and glue.c, largest first, and the link
 * command. Returns 0 or -1 (memory). */
static int aot_plan_make(aot_plan_t *p, const char *cc, aot_split_t *split, const char *csrc, const char *glue,
                         const char *so) {
    size_t n = (split->nunits ? split->nunits : 1) + 1;
    p->units = calloc(n, sizeof *p->units);
    p->link = calloc(n + AOT_NLDFLAGS + 6, sizeof *p->link);
    if (!p->units || !p->link) return -1;
    for (size_t i = 0; i < split->nunits; i++) {
        aot_unit_t *u = &split->units[i];
        char *src = u->path;
        u->path = NULL;
        if (aot_cunit_init(&p->units[p->n++], cc, src, u->bytes, u->huge) != 0) return -1;
    }
    char *whole = split->nunits ? NULL : strdup(csrc);
    if (!split->nunits && (!whole || aot_cunit_init(&p->units[p->n++], cc, whole, 0, false) != 0)) return -1;
    char *g = strdup(glue);
    if (!g || aot_cunit_init(&p->units[p->n++], cc, g, 0, false) != 0) return -1;
    qsort(p->units, p->n, sizeof *p->units, aot_cmp_units);
    size_t k = 0;
    p->link[k++] = (char *)cc;
    for (size_t i = 0; i < AOT_NLDFLAGS; i++) p->link[k++] = (char *)aot_ldflags[i];
    p->link[k++] = "-o";
    p->link[k++] = (char *)so;
    for (size_t i = 0; i < p->n; i++) p->link[k++] = p->units[i].obj;
    p->link[k++] = "-lm";
    p->link[k] = NULL;
    return 0;
}

/* ---- progress ---- */

typedef struct aot_progress {
    const aot_config_t *cfg;
    const char *name;
    double t0;
    bool tty, shown;
} aot_progress_t;

/* aot_prefix: "[2/5] " while `wadup compile` works through a list. */
static void aot_prefix(const aot_config_t *cfg, char *out, size_t len) {
    if (cfg->module_count > 1) snprintf(out, len, "[%u/%u] ", cfg->module_index, cfg->module_count);
    else if (len) out[0] = 0;
}

/* aot_progress_unit: the terminal's progress line after each unit. */
static void aot_progress_unit(void *ctx, size_t done, size_t total) {
    aot_progress_t *pr = ctx;
    if (!pr->tty) return;
    char prefix[48];
    aot_prefix(pr->cfg, prefix, sizeof prefix);
    fprintf(stderr, "\r\033[Kwadup: %scompiling %s: %zu/%zu units done, %.0f s", prefix, pr->name, done, total,
            aot_now() - pr->t0);
    fflush(stderr);
    pr->shown = true;
}

/* aot_progress_start: the first line, with what is about to run. */
static void aot_progress_start(aot_progress_t *pr, const wmod_t *m, size_t units, unsigned jobs) {
    pr->t0 = aot_now();
    pr->tty = !pr->cfg->quiet && isatty(2);
    if (pr->cfg->quiet) return;
    char prefix[48];
    aot_prefix(pr->cfg, prefix, sizeof prefix);
    fprintf(stderr, "wadup: %scompiling %s (%zu KiB of code) to native code: %zu units, %u parallel jobs...\n", prefix,
            pr->name, (m->code_size + 1023) / 1024, units, jobs);
}

/* aot_progress_end: clear the terminal's progress line. */
static void aot_progress_end(aot_progress_t *pr) {
    if (pr->shown) fprintf(stderr, "\r\033[K");
}

/* ---- the pipeline ---- */

/* aot_translate: wasm2c, then the split. Returns AOT_OK or AOT_COMPILE_ERROR
 * / AOT_ERROR with the reason in log. */
static int aot_translate(const aot_config_t *cfg, const char *tmp, char *wasm, char *csrc, char **env,
                         double deadline, const char *name, aot_split_t *split, buf_t *log) {
    char *w2c[] = {"wasm2c", "--no-debug-names", "-n", "mod", "-o", csrc, wasm, NULL};
    if (aot_tool_run(w2c, env, "wasm2c", &cfg->limits, deadline, log) != 0) return AOT_COMPILE_ERROR;
    buf_t why = BUF_INIT;
    int rc = aot_split_source(tmp, csrc, split, &why);
    if (rc == AOT_SPLIT_DECLINED && !cfg->quiet)
        fprintf(stderr, "wadup: %s: compiling the generated C as one unit (%s)\n", name, buf_cstr(&why));
    if (rc == AOT_SPLIT_ERROR) buf_append(log, why.data, why.len);
    buf_free(&why);
    return rc == AOT_SPLIT_ERROR ? AOT_ERROR : AOT_OK;
}

/* aot_compile_units: the parallel compile and the link. */
static int aot_compile_units(const aot_config_t *cfg, aot_plan_t *plan, char **env, double deadline,
                             aot_progress_t *pr, buf_t *log) {
    aot_job_t *jobs = calloc(plan->n, sizeof *jobs);
    if (!jobs) {
        buf_append_str(log, "out of memory");
        return AOT_ERROR;
    }
    for (size_t i = 0; i < plan->n; i++) jobs[i] = (aot_job_t){plan->units[i].argv, "the C compiler"};
    unsigned parallel = cfg->limits.jobs ? cfg->limits.jobs : aot_cpu_count();
    int rc = aot_jobs_run(jobs, plan->n, parallel, env, &cfg->limits, deadline, aot_progress_unit, pr, log);
    free(jobs);
    aot_progress_end(pr);
    if (rc != 0) return AOT_COMPILE_ERROR;
    return aot_tool_run(plan->link, env, "the C compiler", &cfg->limits, deadline, log) == 0 ? AOT_OK
                                                                                           : AOT_COMPILE_ERROR;
}

int aot_build(const aot_config_t *cfg, const char *tmp, const wmod_t *m, const uint8_t *bytes, const char *name,
              buf_t *log) {
    buf_t paths[4] = {BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT};
    static const char *const files[4] = {"module.wasm", "module.c", "glue.c", "module.so"};
    int bad = 0;
    for (int i = 0; i < 4; i++) bad |= buf_printf(&paths[i], "%s/%s", tmp, files[i]);
    char *wasm = (char *)buf_cstr(&paths[0]), *csrc = (char *)buf_cstr(&paths[1]);
    char **env = aot_tool_env(tmp);
    aot_split_t split = {0};
    aot_plan_t plan = {0};
    buf_t g = BUF_INIT;
    int rc = AOT_ERROR;
    if (bad || !env) {
        buf_append_str(log, "out of memory");
    } else if (aot_write_stripped(wasm, m, bytes) != 0 || aot_glue_source(m, &g) != 0 ||
               aot_write_file(buf_cstr(&paths[2]), g.data, g.len) != 0) {
        buf_printf(log, "cannot write temporary files in %s: %s", tmp, strerror(errno));
    } else {
        double deadline = aot_now() + (double)cfg->limits.timeout_ms / 1000.0;
        rc = aot_translate(cfg, tmp, wasm, csrc, env, deadline, name, &split, log);
        if (rc == AOT_OK && aot_plan_make(&plan, cfg->cc, &split, csrc, buf_cstr(&paths[2]), buf_cstr(&paths[3])) != 0) {
            buf_append_str(log, "out of memory");
            rc = AOT_ERROR;
        }
        aot_progress_t pr = {cfg, name, 0, false, false};
        unsigned jobs = cfg->limits.jobs ? cfg->limits.jobs : aot_cpu_count();
        if (rc == AOT_OK) aot_progress_start(&pr, m, plan.n, jobs < plan.n ? jobs : (unsigned)plan.n);
        if (rc == AOT_OK) rc = aot_compile_units(cfg, &plan, env, deadline, &pr, log);
    }
    aot_plan_free(&plan);
    aot_split_free(&split);
    aot_tool_env_free(env);
    buf_free(&g);
    for (int i = 0; i < 4; i++) buf_free(&paths[i]);
    return rc;
}
