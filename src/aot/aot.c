/* aot.c — wasm2c + C compiler pipeline, the limits it runs under, and the
 * compiled-object cache (see aot.h for the contract).
 *
 * Default limits (aot.h) were chosen from the largest real module, the
 * CPython runtime (build/python/runtime.wasm: 7.6 MB, 3.9 MB of code),
 * compiled with the command lines below on a 2-core machine: wasm2c 3.5 s
 * and 285 MB of address space (281 MB resident); the C compiler 199 s
 * wall (182 s user + 14 s system CPU in cc1), cc1 peaking at 4.5 GB of
 * address space (3.9 GB resident), as at 184 MB. The defaults, 1800 s and
 * 16 GiB, leave a margin of 9x in time and 3.5x in memory. */
#include "aot/aot.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/spawn.h"

/* Flags for gcc that wasm2c output needs for conformance, plus guard
 * probing so a large native frame cannot jump over the stack guard. */
static const char *const aot_cflags[] = {
    "-shared", "-fPIC", "-O2", "-fno-optimize-sibling-calls", "-frounding-math", "-fsignaling-nans",
    "-fstack-clash-protection", "-fvisibility=hidden", "-w",
};
#define AOT_NCFLAGS (sizeof aot_cflags / sizeof *aot_cflags)

static char *aot_strdup_printf(const char *fmt, const char *a, const char *b) {
    buf_t m = BUF_INIT;
    if (buf_printf(&m, fmt, a, b) != 0) { buf_free(&m); return NULL; }
    return buf_steal(&m);
}

/* ---- limits ---- */

#define AOT_OUTPUT_CAP 65536          /* diagnostics kept per tool run */
#define AOT_PROBE_TIMEOUT_MS 60000    /* for "--version" probes */

static aot_limits_t aot_defaults = {AOT_DEFAULT_COMPILE_TIMEOUT_MS, AOT_DEFAULT_COMPILE_MEMORY};

void aot_set_default_limits(const aot_limits_t *l) { aot_defaults = *l; }

aot_limits_t aot_default_limits(void) { return aot_defaults; }

/* ---- running tools ---- */

/* aot_first_line: the first line of a tool's version output. */
static int aot_first_line(char *const argv[], buf_t *into) {
    buf_t out = BUF_INIT;
    spawn_limits_t lim = {AOT_PROBE_TIMEOUT_MS, AOT_PROBE_TIMEOUT_MS / 1000, 0};
    spawn_result_t res;
    int rc = spawn_run(argv, NULL, &lim, &out, AOT_OUTPUT_CAP, &res);
    if (rc == 0) {
        const char *s = buf_cstr(&out);
        size_t n = strcspn(s, "\n");
        buf_append(into, s, n);
    }
    buf_free(&out);
    return rc;
}

/* ---- configuration ---- */

static char *aot_default_cache_dir(void) {
    const char *env = getenv("WADUP_CACHE_DIR");
    if (env && *env) return strdup(env);
    env = getenv("XDG_CACHE_HOME");
    if (env && *env) return aot_strdup_printf("%s/%s", env, "wadup");
    env = getenv("HOME");
    if (env && *env) return aot_strdup_printf("%s/%s", env, ".cache/wadup");
    return NULL;
}

/* aot_make_dirs: mkdir -p with mode 0700 for what is created. */
static int aot_make_dirs(const char *path) {
    char *p = strdup(path);
    if (!p) return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0700) != 0 && errno != EEXIST) { free(p); return -1; }
        *s = '/';
    }
    int rc = mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

/* aot_check_safe_dir: code is loaded from here, so it must be a real
 * directory owned by us and writable by nobody else. */
static int aot_check_safe_dir(const char *dir, char **err) {
    struct stat st;
    if (lstat(dir, &st) != 0) {
        *err = aot_strdup_printf("cache directory %s: %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        *err = aot_strdup_printf("cache directory %s is not a directory%s", dir, "");
        return -1;
    }
    if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
        *err = aot_strdup_printf("refusing to load native code from %s: it must be owned by you and not "
                                 "writable by group or others%s", dir, "");
        return -1;
    }
    return 0;
}

static int aot_probe_identity(aot_config_t *cfg, char **err) {
    buf_t id = BUF_INIT;
    char *cc_argv[] = {cfg->cc, "--version", NULL};
    char *w2c_argv[] = {"wasm2c", "--version", NULL};
    buf_printf(&id, "wadup-aot-abi-%d|", AOT_ABI_VERSION);
    if (aot_first_line(cc_argv, &id) != 0) {
        *err = aot_strdup_printf("cannot run the C compiler '%s' (set WADUP_CC or install gcc)%s", cfg->cc, "");
        buf_free(&id);
        return -1;
    }
    buf_append_str(&id, "|wasm2c ");
    if (aot_first_line(w2c_argv, &id) != 0) {
        *err = aot_strdup_printf("cannot run wasm2c (install Debian's wabt package)%s%s", "", "");
        buf_free(&id);
        return -1;
    }
    for (size_t i = 0; i < AOT_NCFLAGS; i++) buf_printf(&id, "|%s", aot_cflags[i]);
    cfg->identity = buf_steal(&id);
    return cfg->identity ? 0 : -1;
}

int aot_config_init(aot_config_t *cfg, const char *cache_dir, char **err) {
    memset(cfg, 0, sizeof *cfg);
    *err = NULL;
    cfg->limits = aot_defaults;
    const char *cc = getenv("WADUP_CC");
    cfg->cc = strdup(cc && *cc ? cc : "cc");
    cfg->cache_dir = cache_dir ? strdup(cache_dir) : aot_default_cache_dir();
    if (!cfg->cc || !cfg->cache_dir) {
        *err = strdup(cfg->cc ? "no cache directory: set --cache-dir, WADUP_CACHE_DIR or HOME" : "out of memory");
        aot_config_free(cfg);
        return -1;
    }
    if (aot_make_dirs(cfg->cache_dir) != 0) {
        *err = aot_strdup_printf("cannot create cache directory %s: %s", cfg->cache_dir, strerror(errno));
    } else if (aot_check_safe_dir(cfg->cache_dir, err) == 0 && aot_probe_identity(cfg, err) == 0) {
        return 0;
    }
    aot_config_free(cfg);
    return -1;
}

void aot_config_free(aot_config_t *cfg) {
    free(cfg->cache_dir);
    free(cfg->cc);
    free(cfg->identity);
    memset(cfg, 0, sizeof *cfg);
}

/* ---- cache key ---- */

int aot_key(const aot_config_t *cfg, const wmod_t *m, const uint8_t *bytes, char key[65]) {
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(cfg->identity) + 1, (const uint8_t *)cfg->identity);
    for (uint32_t i = 0; i < m->nsections; i++) {
        const wmod_section_t *s = &m->sections[i];
        if (s->id != 0) sha256_update(&ctx, s->size, bytes + s->offset);
    }
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, digest);
    hex_encode(digest, 32, key);
    return 0;
}

/* ---- compilation ---- */

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

/* aot_write_stripped: the module without custom sections (what the key
 * covers), so the compiled code depends on nothing else. */
static int aot_write_stripped(const char *path, const wmod_t *m, const uint8_t *bytes) {
    buf_t w = BUF_INIT;
    int rc = buf_append(&w, bytes, 8);
    for (uint32_t i = 0; rc == 0 && i < m->nsections; i++)
        if (m->sections[i].id != 0) rc = buf_append(&w, bytes + m->sections[i].offset, m->sections[i].size);
    if (rc == 0) rc = aot_write_file(path, w.data, w.len);
    buf_free(&w);
    return rc;
}

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

/* aot_remove_tree: remove a compilation's temporary directory: our files
 * and whatever the tools left there (a killed compiler cannot clean up
 * its temporary files, which it makes here: see aot_tool_env). */
static void aot_remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    rmdir(dir);
}

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
    char *tmpdir = aot_strdup_printf("%s%s", "TMPDIR=", tmp);
    if (!env || !tmpdir) {
        free(env);
        free(tmpdir);
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "TMPDIR=", 7) != 0) env[k++] = environ[i];
    env[k] = tmpdir;
    return env;
}

static void aot_tool_env_free(char **env) {
    if (!env) return;
    size_t n = 0;
    while (env[n + 1]) n++;
    free(env[n]);  /* the TMPDIR entry, always last */
    free(env);
}

static double aot_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* aot_format_size: "2 GiB", "64 MiB", "512 KiB" or "N bytes" into out. */
static void aot_format_size(uint64_t v, char *out, size_t len) {
    static const char *const units[] = {"GiB", "MiB", "KiB"};
    for (unsigned i = 0; i < 3; i++) {
        unsigned shift = 30 - 10 * i;
        if (v && v % ((uint64_t)1 << shift) == 0) {
            snprintf(out, len, "%" PRIu64 " %s", v >> shift, units[i]);
            return;
        }
    }
    snprintf(out, len, "%" PRIu64 " bytes", v);
}

static bool aot_space(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

/* aot_append_diag: ": <diagnostics>" (surrounding whitespace dropped), or
 * nothing if the tool printed nothing. */
static void aot_append_diag(buf_t *log, const buf_t *diag) {
    size_t start = 0, end = diag->len;
    while (start < end && aot_space(diag->data[start])) start++;
    while (end > start && aot_space(diag->data[end - 1])) end--;
    if (start == end) return;
    buf_append_str(log, ": ");
    buf_append(log, diag->data + start, end - start);
}

/* aot_crashed: the tool, or a program it ran, was killed by a signal
 * (gcc: "... signal terminated program cc1"). */
static bool aot_crashed(const spawn_result_t *res, const buf_t *diag) {
    static const char marker[] = "signal terminated program";
    return res->outcome == SPAWN_SIGNALED ||
           (diag->len && memmem(diag->data, diag->len, marker, sizeof marker - 1) != NULL);
}

/* aot_describe: why `tool` failed, for the user: "the C compiler failed:
 * <diagnostics>", "wasm2c exceeded --compile-timeout (600 s)", "the C
 * compiler ran out of memory under --compile-memory (2 GiB): ...". A
 * crash mentions the memory limit: a stack or mmap growth it refused
 * crashes a tool instead of making it report. */
static void aot_describe(buf_t *log, const char *tool, const spawn_result_t *res, const aot_limits_t *lim,
                         const buf_t *diag) {
    char what[160], size[64];
    aot_format_size(lim->memory, size, sizeof size);
    switch (res->outcome) {
    case SPAWN_WALL_LIMIT:
        buf_printf(log, "%s exceeded --compile-timeout (%g s)", tool, (double)lim->timeout_ms / 1000.0);
        return;
    case SPAWN_CPU_LIMIT:
        buf_printf(log, "%s exceeded its CPU time limit (%" PRIu64 " s, from --compile-timeout)", tool,
                   (lim->timeout_ms + 999) / 1000);
        break;
    case SPAWN_MEMORY_LIMIT:
        if (lim->memory) buf_printf(log, "%s ran out of memory under --compile-memory (%s)", tool, size);
        else buf_printf(log, "%s ran out of memory", tool);
        break;
    case SPAWN_EXITED:
    case SPAWN_SIGNALED:
    case SPAWN_NOT_STARTED:
        buf_printf(log, "%s failed", tool);
        if (lim->memory && aot_crashed(res, diag))
            buf_printf(log, " (crashed under --compile-memory %s)", size);
        spawn_outcome_text(res, what, sizeof what);
        if (res->outcome != SPAWN_EXITED || diag->len == 0) buf_printf(log, ": %s", what);
        break;
    }
    aot_append_diag(log, diag);
}

/* aot_tool_run: run one tool (`tool` names it in messages) under the
 * limits, within the compilation's budget that ends at `deadline`
 * (aot_now() time; ignored without a timeout), with environment `env`.
 * Returns 0, or -1 with the reason appended to log. */
static int aot_tool_run(char *const argv[], char *const env[], const char *tool, const aot_limits_t *lim,
                        double deadline, buf_t *log) {
    spawn_limits_t sl = {0, 0, lim->memory};
    if (lim->timeout_ms) {
        double left = deadline - aot_now();
        sl.wall_ms = left > 0.001 ? (uint64_t)(left * 1000.0) : 1;
        sl.cpu_seconds = (lim->timeout_ms + 999) / 1000;
    }
    buf_t diag = BUF_INIT;
    spawn_result_t res;
    int rc = spawn_run(argv, env, &sl, &diag, AOT_OUTPUT_CAP, &res);
    if (rc != 0) aot_describe(log, tool, &res, lim, &diag);
    buf_free(&diag);
    return rc;
}

/* aot_compile_in: translate and compile into tmp/module.so under the
 * config's limits. Returns AOT_OK, or AOT_ERROR (temporary files) or
 * AOT_COMPILE_ERROR (a tool failed) with the reason in log. */
static int aot_compile_in(const aot_config_t *cfg, const char *tmp, const wmod_t *m, const uint8_t *bytes,
                          buf_t *log) {
    char *wasm = aot_strdup_printf("%s/%s", tmp, "module.wasm");
    char *csrc = aot_strdup_printf("%s/%s", tmp, "module.c");
    char *glue = aot_strdup_printf("%s/%s", tmp, "glue.c");
    char *so = aot_strdup_printf("%s/%s", tmp, "module.so");
    char **env = aot_tool_env(tmp);
    int rc = AOT_ERROR;
    buf_t g = BUF_INIT;
    if (!wasm || !csrc || !glue || !so || !env) {
        buf_append_str(log, "out of memory");
        goto done;
    }
    if (aot_write_stripped(wasm, m, bytes) != 0 || aot_glue_source(m, &g) != 0 ||
        aot_write_file(glue, g.data, g.len) != 0) {
        buf_printf(log, "cannot write temporary files in %s: %s", tmp, strerror(errno));
        goto done;
    }
    double deadline = aot_now() + (double)cfg->limits.timeout_ms / 1000.0;
    rc = AOT_COMPILE_ERROR;
    char *w2c[] = {"wasm2c", "--no-debug-names", "-n", "mod", "-o", csrc, wasm, NULL};
    if (aot_tool_run(w2c, env, "wasm2c", &cfg->limits, deadline, log) != 0) goto done;
    char *cc[AOT_NCFLAGS + 8];
    size_t n = 0;
    cc[n++] = cfg->cc;
    for (size_t i = 0; i < AOT_NCFLAGS; i++) cc[n++] = (char *)aot_cflags[i];
    cc[n++] = "-o"; cc[n++] = so; cc[n++] = csrc; cc[n++] = glue; cc[n++] = "-lm"; cc[n] = NULL;
    if (aot_tool_run(cc, env, "the C compiler", &cfg->limits, deadline, log) != 0) goto done;
    rc = AOT_OK;
done:
    aot_tool_env_free(env);
    buf_free(&g);
    free(wasm); free(csrc); free(glue); free(so);
    return rc;
}

/* aot_compile: compile into the cache under `final_path` atomically.
 * Returns AOT_OK, or AOT_ERROR / AOT_COMPILE_ERROR with a malloc'd *err. */
static int aot_compile(const aot_config_t *cfg, const wmod_t *m, const uint8_t *bytes, const char *name,
                       const char *final_path, char **err) {
    char *tmp = aot_strdup_printf("%s/%s", cfg->cache_dir, "tmp-XXXXXX");
    if (!tmp || !mkdtemp(tmp)) {
        *err = aot_strdup_printf("cannot create a temporary directory in %s: %s", cfg->cache_dir, strerror(errno));
        free(tmp);
        return AOT_ERROR;
    }
    if (!cfg->quiet)
        fprintf(stderr, "wadup: compiling %s (%zu KiB of code) to native code; large modules take minutes...\n",
                name, (m->code_size + 1023) / 1024);
    double t0 = aot_now();
    buf_t log = BUF_INIT;
    int rc = aot_compile_in(cfg, tmp, m, bytes, &log);
    if (rc == AOT_OK) {
        char *so = aot_strdup_printf("%s/%s", tmp, "module.so");
        rc = so && rename(so, final_path) == 0 ? AOT_OK : AOT_ERROR;
        if (rc != AOT_OK) buf_printf(&log, "cannot move the compiled object into %s: %s", final_path, strerror(errno));
        free(so);
    }
    if (rc == AOT_OK && !cfg->quiet) fprintf(stderr, "wadup: compiled %s in %.1f s\n", name, aot_now() - t0);
    if (rc != AOT_OK) *err = buf_steal(&log); /* NULL only if out of memory */
    buf_free(&log);
    aot_remove_tree(tmp);
    free(tmp);
    return rc;
}

/* aot_open: dlopen a cached object and check its glue. */
static int aot_open(const char *path, aot_object_t *obj, char **err) {
    obj->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!obj->handle) {
        *err = aot_strdup_printf("cannot load compiled object %s: %s", path, dlerror());
        return -1;
    }
    obj->glue = dlsym(obj->handle, "wadup_glue");
    if (!obj->glue || obj->glue->abi_version != AOT_ABI_VERSION) {
        *err = aot_strdup_printf("compiled object %s has no compatible wadup_glue%s", path, "");
        dlclose(obj->handle);
        return -1;
    }
    obj->glue->init_module();
    return 0;
}

int aot_load(const aot_config_t *cfg, const wmod_t *m, const uint8_t *bytes, size_t size,
             const char *name, aot_object_t **out, bool *compiled, char **err) {
    *err = NULL;
    *compiled = false;
    (void)size; /* the sections' offsets locate everything the key covers */
    aot_object_t *obj = calloc(1, sizeof *obj);
    if (!obj || aot_key(cfg, m, bytes, obj->key) != 0) {
        free(obj);
        *err = strdup("out of memory computing the cache key");
        return AOT_ERROR;
    }
    buf_t path = BUF_INIT;
    if (buf_printf(&path, "%s/%s.so", cfg->cache_dir, obj->key) != 0) {
        free(obj);
        *err = strdup("out of memory");
        return AOT_ERROR;
    }
    int rc = AOT_OK;
    if (access(buf_cstr(&path), F_OK) != 0) {
        rc = aot_compile(cfg, m, bytes, name, buf_cstr(&path), err);
        *compiled = rc == AOT_OK;
    }
    if (rc == AOT_OK && aot_open(buf_cstr(&path), obj, err) != 0) rc = AOT_ERROR;
    buf_free(&path);
    if (rc == AOT_OK) *out = obj;
    else free(obj);
    return rc;
}

void aot_unload(aot_object_t *obj) {
    if (!obj) return;
    /* Objects stay mapped: function types registered from them are shared
     * process-wide and closing is not worth the risk of dangling code. */
    free(obj);
}
