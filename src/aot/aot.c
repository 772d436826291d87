/* aot.c — the compiled-object cache: configuration, cache key, compiling
 * into the cache atomically (the pipeline itself is aot_build.c) and
 * loading objects (see aot.h for the contract).
 *
 * Default limits (aot.h) were chosen from the largest real module, the
 * CPython runtime (build/python/runtime.wasm: 7.6 MB, 3.9 MB of code). As
 * one translation unit it needed, on a 2-core machine: wasm2c 3.5 s and
 * 285 MB of address space; the C compiler 199 s wall (182 s user + 14 s
 * system CPU in cc1), cc1 peaking at 4.5 GB of address space (3.9 GB
 * resident). Split into 47 units (aot_split.h) the largest cc1 (main.c,
 * the 22 MB of data segments) peaks at about 700 MB resident, a function
 * unit at 150-300 MB, and the CPU time is about 140 s, shared by the
 * parallel jobs (docs/compilation.md). The defaults, 1800 s and 16 GiB per
 * process, leave a wide margin. */
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

#include "aot/aot_build.h"
#include "aot/aot_tool.h"
#include "util/buf.h"
#include "util/spawn.h"

static char *aot_strdup_printf(const char *fmt, const char *a, const char *b) {
    buf_t m = BUF_INIT;
    if (buf_printf(&m, fmt, a, b) != 0) { buf_free(&m); return NULL; }
    return buf_steal(&m);
}

/* ---- limits ---- */

#define AOT_OUTPUT_CAP 65536          /* output kept from a version probe */
#define AOT_PROBE_TIMEOUT_MS 60000    /* for "--version" probes */

static aot_limits_t aot_defaults = {AOT_DEFAULT_COMPILE_TIMEOUT_MS, AOT_DEFAULT_COMPILE_MEMORY, 0};

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
    if (aot_build_identity(&id) != 0) {
        *err = aot_strdup_printf("out of memory%s%s", "", "");
        buf_free(&id);
        return -1;
    }
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
    double t0 = aot_now();
    buf_t log = BUF_INIT;
    int rc = aot_build(cfg, tmp, m, bytes, name, &log);
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
