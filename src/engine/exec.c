/* exec.c — `wadup exec`: one WASI command module run once like a native
 * program (see eng_exec in engine.h). Owns the exec sandbox: the
 * --dir mappings turned into sandbox directories (copied from the host,
 * charged to the instance's budget, preopened in order from fd 3), the
 * bare instance (budget, runtime owner, VFS, WASI context with
 * passthrough stdio, the wasm2c instance memory), the guest thread, and
 * the classification of how the run ended. Shares nothing with the
 * per-content instances of instance.c except the runtime and WASI. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "rt/rt.h"
#include "vfs/vfs.h"
#include "vfs/vfs_import.h"
#include "wasi/wasi.h"

/* One --dir mapping as placed in the sandbox. */
typedef struct exec_dir {
    const eng_exec_dir_t *spec;
    char *path;            /* sandbox directory, absolute, normalised */
    size_t depth;          /* its number of components */
    vfs_node_t *node;      /* once made */
} exec_dir_t;

typedef struct exec_run {
    const eng_module_t *m;
    const eng_exec_options_t *o;
    eng_exec_outcome_t *out;
    exec_dir_t *dirs;
    budget_t budget;
    rt_owner_t owner;
    vfs_t *fs;
    wasi_ctx_t wasi;
    bool wasi_ready;
    void *memory;          /* the wasm2c instance struct */
    uint64_t deadline_ns;  /* CLOCK_MONOTONIC end of the run (0 = none) */
} exec_run_t;

/* ---- outcomes ---- */

void eng_exec_outcome_free(eng_exec_outcome_t *out) {
    free(out->message);
    memset(out, 0, sizeof *out);
}

/* exec_fail: set the outcome to `status` with a kind and a message;
 * returns -1. */
static int exec_fail(eng_exec_outcome_t *out, eng_exec_status_t status, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int exec_fail(eng_exec_outcome_t *out, eng_exec_status_t status, const char *kind, const char *fmt, ...) {
    buf_t m = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&m, fmt, ap);
    va_end(ap);
    free(out->message);
    out->status = status;
    out->error_kind = kind;
    out->message = m.data ? buf_steal(&m) : NULL;
    return -1;
}

/* ---- --dir mappings ---- */

/* exec_sandbox_path: the sandbox directory of preopen name `guest`.
 * Like wasi-libc, leading "/" and "./" (and a lone ".") do not matter:
 * "/data", "./data" and "data" are the directory /data, "." and "/" the
 * root. Later "." and empty components are dropped; ".." is refused.
 * Returns 0 with the absolute path in *out and its component count, or
 * -1 (".." or out of memory). */
static int exec_sandbox_path(const char *guest, char **out, size_t *depth) {
    buf_t b = BUF_INIT;
    *depth = 0;
    for (const char *s = guest; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 2 && s[0] == '.' && s[1] == '.') { buf_free(&b); return -1; }
        if (n && !(n == 1 && s[0] == '.')) {
            if (buf_append_byte(&b, '/') != 0 || buf_append(&b, s, n) != 0) { buf_free(&b); return -1; }
            (*depth)++;
        }
        s += n;
        while (*s == '/') s++;
    }
    if (!b.len && buf_append_byte(&b, '/') != 0) return -1;
    *out = buf_steal(&b);
    return *out ? 0 : -1;
}

/* exec_plan_dirs: every mapping's sandbox path; refuses ".." and two
 * mappings onto one directory (ENG_EXEC_BAD_OPTIONS). */
static int exec_plan_dirs(exec_run_t *r) {
    const eng_exec_options_t *o = r->o;
    r->dirs = calloc(o->ndirs ? o->ndirs : 1, sizeof *r->dirs);
    if (!r->dirs) return exec_fail(r->out, ENG_EXEC_SETUP_FAILED, NULL, "out of memory");
    for (size_t i = 0; i < o->ndirs; i++) {
        exec_dir_t *d = &r->dirs[i];
        d->spec = &o->dirs[i];
        if (!*d->spec->guest || exec_sandbox_path(d->spec->guest, &d->path, &d->depth) != 0)
            return exec_fail(r->out, ENG_EXEC_BAD_OPTIONS, NULL,
                             "--dir %s::%s: the guest path must be non-empty and without '..'", d->spec->host,
                             d->spec->guest);
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->dirs[j].path, d->path) == 0)
                return exec_fail(r->out, ENG_EXEC_BAD_OPTIONS, NULL,
                                 "--dir %s::%s and --dir %s::%s are the same sandbox directory %s", r->dirs[j].spec->host,
                                 r->dirs[j].spec->guest, d->spec->host, d->spec->guest, d->path);
    }
    return 0;
}

/* exec_by_depth: mapping order for copying: outer directories first, so
 * a nested mapping is copied into place after the tree around it. */
static int exec_by_depth(const void *a, const void *b) {
    const exec_dir_t *x = *(exec_dir_t *const *)a, *y = *(exec_dir_t *const *)b;
    if (x->depth != y->depth) return x->depth < y->depth ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* exec_parent_path: the parent of absolute sandbox path p ("/" for the
 * root's children), malloc'd, or NULL. */
static char *exec_parent_path(const char *p) {
    const char *slash = strrchr(p, '/');
    size_t n = slash && slash != p ? (size_t)(slash - p) : 1;
    return strndup(p, n);
}

/* exec_make_dir: the (empty, writable) sandbox directory of mapping d:
 * missing parents read-only, the directory itself writable. A nested
 * mapping whose place is already taken by the outer tree is refused. */
static int exec_make_dir(exec_run_t *r, exec_dir_t *d) {
    vfs_node_t *existing = NULL;
    if (vfs_lookup(r->fs, vfs_root(r->fs), d->path, strlen(d->path), &existing) == VFS_OK &&
        (vfs_kind(existing) != VFS_DIR || vfs_dir_count(existing) > 0))
        return exec_fail(r->out, ENG_EXEC_SETUP_FAILED, NULL,
                         "--dir %s::%s: %s already exists in the sandbox, inside the tree of an enclosing --dir "
                         "(a nested mapping needs a place the outer tree does not use)",
                         d->spec->host, d->spec->guest, d->path);
    char *parent = exec_parent_path(d->path);
    int rc = parent ? vfs_mkdir_p(r->fs, parent, false, NULL) : VFS_ENOMEM;
    if (rc == VFS_OK) rc = vfs_mkdir_p(r->fs, d->path, true, &d->node);
    free(parent);
    if (rc == VFS_ENOSPC)
        return exec_fail(r->out, ENG_EXEC_SETUP_FAILED, ENG_KIND_MEMORY_LIMIT,
                         "--dir %s::%s: the copied trees do not fit --max-memory (%llu bytes)", d->spec->host,
                         d->spec->guest, (unsigned long long)r->budget.limit);
    if (rc != VFS_OK)
        return exec_fail(r->out, ENG_EXEC_SETUP_FAILED, NULL, "--dir %s::%s: cannot make %s in the sandbox (%s)",
                         d->spec->host, d->spec->guest, d->path, rc == VFS_ENOTDIR ? "a file is in the way" : "error");
    return 0;
}

/* exec_import_dir: make mapping d's directory and copy its host tree. */
static int exec_import_dir(exec_run_t *r, exec_dir_t *d) {
    if (exec_make_dir(r, d) != 0) return -1;
    char *err = NULL;
    int rc = vfs_import_tree(r->fs, d->node, d->spec->host, r->o->note, r->o->note_user, NULL, &err);
    if (rc == VFS_ENOSPC)
        exec_fail(r->out, ENG_EXEC_SETUP_FAILED, ENG_KIND_MEMORY_LIMIT,
                  "--dir %s::%s: the copied trees do not fit --max-memory (%llu bytes): %s", d->spec->host,
                  d->spec->guest, (unsigned long long)r->budget.limit, err ? err : "");
    else if (rc != 0)
        exec_fail(r->out, ENG_EXEC_SETUP_FAILED, NULL, "--dir %s::%s: %s", d->spec->host, d->spec->guest,
                  err ? err : "cannot copy the tree");
    free(err);
    return rc == 0 ? 0 : -1;
}

/* exec_build_dirs: copy every mapping (outer first), then preopen them in
 * command-line order from fd 3. */
static int exec_build_dirs(exec_run_t *r) {
    size_t n = r->o->ndirs;
    if (exec_plan_dirs(r) != 0) return -1;
    exec_dir_t **order = calloc(n ? n : 1, sizeof *order);
    if (!order) return exec_fail(r->out, ENG_EXEC_SETUP_FAILED, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) order[i] = &r->dirs[i];
    qsort(order, n, sizeof *order, exec_by_depth);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) rc = exec_import_dir(r, order[i]);
    free(order);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (wasi_add_preopen(&r->wasi, r->dirs[i].node, r->dirs[i].spec->guest) < 0)
            rc = exec_fail(r->out, ENG_EXEC_SETUP_FAILED, NULL, "out of memory or descriptors for the preopens");
    return rc;
}

/* ---- the bare instance ---- */

/* exec_build_wasi: WASI context with passthrough stdio, no preopen yet,
 * argv = [module name, args...], the environment exactly as given. */
static int exec_build_wasi(exec_run_t *r) {
    const eng_exec_options_t *o = r->o;
    if (wasi_ctx_init(&r->wasi, r->fs, 0) != 0)
        return exec_fail(r->out, ENG_EXEC_SETUP_FAILED, NULL, "out of memory");
    r->wasi_ready = true;
    wasi_remove_root_preopen(&r->wasi);
    wasi_stdio_passthrough(&r->wasi, o->stdio);
    const char **argv = calloc(o->nargs + 1, sizeof *argv);
    if (!argv) return exec_fail(r->out, ENG_EXEC_SETUP_FAILED, NULL, "out of memory");
    argv[0] = r->m->name;
    for (size_t i = 0; i < o->nargs; i++) argv[i + 1] = o->args[i];
    int rc = wasi_set_args(&r->wasi, argv, o->nargs + 1);
    free(argv);
    if (rc == 0) rc = wasi_set_env(&r->wasi, o->env, o->nenv);
    return rc == 0 ? 0 : exec_fail(r->out, ENG_EXEC_SETUP_FAILED, NULL, "out of memory");
}

/* exec_build: budget, filesystem, WASI context, --dir trees, instance
 * memory. */
static int exec_build(exec_run_t *r) {
    budget_init(&r->budget, r->o->max_memory);
    rt_owner_init(&r->owner, &r->budget);
    r->fs = vfs_new(&r->budget);
    if (!r->fs) return exec_fail(r->out, ENG_EXEC_SETUP_FAILED, NULL, "out of memory");
    if (exec_build_wasi(r) != 0 || exec_build_dirs(r) != 0) return -1;
    size_t size = ((size_t)r->m->object->glue->instance_size + 63) / 64 * 64;
    if (!size) size = 64;
    r->memory = aligned_alloc(64, size);
    if (!r->memory) return exec_fail(r->out, ENG_EXEC_SETUP_FAILED, NULL, "out of memory");
    memset(r->memory, 0, size);
    return 0;
}

/* exec_teardown: free whatever exec_build made (any part may be missing). */
static void exec_teardown(exec_run_t *r) {
    if (r->wasi_ready) wasi_ctx_free(&r->wasi);
    rt_owner_release(&r->owner);
    if (r->fs) vfs_free(r->fs);
    free(r->memory);
    if (r->dirs)
        for (size_t i = 0; i < r->o->ndirs; i++) free(r->dirs[i].path);
    free(r->dirs);
}

/* ---- running ---- */

/* exec_now_ns: CLOCK_MONOTONIC in nanoseconds. */
static uint64_t exec_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* exec_remaining_ms: time left until the run's deadline (at least 1 ms),
 * or 0 for none. */
static uint64_t exec_remaining_ms(const exec_run_t *r) {
    if (!r->deadline_ns) return 0;
    uint64_t now = exec_now_ns();
    uint64_t left = r->deadline_ns > now ? (r->deadline_ns - now) / 1000000u : 0;
    return left ? left : 1;
}

typedef struct exec_call {
    exec_run_t *r;
    bool start;            /* _start, else instantiation */
} exec_call_t;

/* exec_call_entry: the guest code rt_call runs (instantiate or _start). */
static void exec_call_entry(void *arg) {
    exec_call_t *c = arg;
    const aot_glue_t *g = c->r->m->object->glue;
    if (c->start) g->start(c->r->memory);
    else g->instantiate(c->r->memory, &c->r->wasi);
}

/* exec_call: run instantiation or _start within what is left of the
 * run's time; returns how the guest stopped. */
static rt_status_t exec_call(exec_run_t *r, bool start) {
    exec_call_t c = {r, start};
    return rt_call(&r->owner, exec_remaining_ms(r), exec_call_entry, &c);
}

/* exec_trapped: the outcome for a guest stopped by status s. */
static void exec_trapped(exec_run_t *r, rt_status_t s, const char *phase) {
    eng_exec_outcome_t *out = r->out;
    if (s == RT_TRAP_TIMEOUT)
        exec_fail(out, ENG_EXEC_TRAPPED, rt_status_name(s), "%sstill running after %.3g s (--timeout)", phase,
                  (double)r->o->timeout_ms / 1000.0);
    else if (r->budget.refused)
        exec_fail(out, ENG_EXEC_TRAPPED, ENG_KIND_MEMORY_LIMIT,
                  "%smemory limit of %llu bytes reached (a memory.grow or a file write was refused), then: %s: %s",
                  phase, (unsigned long long)r->budget.limit, rt_status_name(s), rt_status_message(s));
    else
        exec_fail(out, ENG_EXEC_TRAPPED, rt_status_name(s), "%s%s", phase, rt_status_message(s));
}

/* exec_instantiate_and_start: the guest's part of the run. */
static void exec_instantiate_and_start(exec_run_t *r) {
    const aot_glue_t *g = r->m->object->glue;
    rt_status_t s = exec_call(r, false);
    if (s == RT_TRAP_MEMORY_LIMIT) {
        exec_fail(r->out, ENG_EXEC_SETUP_FAILED, ENG_KIND_MEMORY_LIMIT,
                  "the module's initial memory does not fit --max-memory (%llu bytes; %llu already used by the "
                  "--dir trees)", (unsigned long long)r->budget.limit, (unsigned long long)vfs_bytes(r->fs));
        return;
    }
    const char *phase = "instantiating: ";
    if (s == RT_OK) {
        r->wasi.memory = g->memory(r->memory);
        s = exec_call(r, true);
        phase = "";
    }
    if (s == RT_OK || s == RT_TRAP_EXIT) { /* a start function may proc_exit too */
        eng_exec_outcome_free(r->out);
        r->out->status = ENG_EXEC_EXITED;
        r->out->exit_code = s == RT_OK ? 0 : rt_exit_code();
    } else {
        exec_trapped(r, s, phase);
    }
}

/* exec_worker: the guest thread: build the sandbox, run, tear down. */
static void *exec_worker(void *arg) {
    exec_run_t *r = arg;
    if (exec_build(r) == 0) {
        r->deadline_ns = r->o->timeout_ms ? exec_now_ns() + r->o->timeout_ms * 1000000ull : 0;
        exec_instantiate_and_start(r);
    }
    r->out->peak_memory = r->budget.peak;
    exec_teardown(r);
    return NULL;
}

/* eng_exec: see engine.h. */
int eng_exec(eng_module_t *m, const eng_exec_options_t *o, eng_exec_outcome_t *out) {
    memset(out, 0, sizeof *out);
    if (!m->object)
        return exec_fail(out, ENG_EXEC_NOT_RUNNABLE, ENG_KIND_INSTANTIATE, "module %s is not compiled", m->name);
    if (!m->object->glue->start)
        return exec_fail(out, ENG_EXEC_NOT_RUNNABLE, ENG_KIND_INVALID_MODULE,
                         "%s is not a command: it does not export _start (a reactor exporting process runs under "
                         "wadup run or wadup test)", m->name);
    if (o->timeout_ms > UINT64_MAX / 2000000ull)
        return exec_fail(out, ENG_EXEC_BAD_OPTIONS, NULL, "timeout too large");
    exec_run_t r = {.m = m, .o = o, .out = out};
    /* What the outcome says if the thread never gets to run exec_worker. */
    exec_fail(out, ENG_EXEC_SETUP_FAILED, NULL, "the guest thread could not be set up");
    rt_thread_handle_t *th;
    if (rt_thread_spawn((size_t)o->max_stack, exec_worker, &r, &th) != 0)
        return exec_fail(out, ENG_EXEC_SETUP_FAILED, NULL, "cannot start the guest thread");
    rt_thread_join(th);
    return out->status == ENG_EXEC_EXITED || out->status == ENG_EXEC_TRAPPED ? 0 : -1;
}
