/* runner.c — the batch runner (see run.h). Layout: contents and roots;
 * the shared work stack; processing one content; workers; module
 * loading; the run itself. Progress and summary are in report.c. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run/dedup.h"
#include "run/input.h"
#include "run/report.h"
#include "run/run.h"
#include "run/tables.h"
#include "rt/rt.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/sha256.h"
#include "util/uuid.h"

void run_options_default(run_options_t *o) {
    memset(o, 0, sizeof *o);
    o->output = "wadup.db";
    o->max_depth = RUN_DEFAULT_MAX_DEPTH;
    o->max_children = RUN_DEFAULT_MAX_CHILDREN;
    o->max_content_size = RUN_DEFAULT_MAX_CONTENT_SIZE;
    eng_limits_default(&o->limits);
}

/* ---- contents ---- */

/* A root (input file) and how many contents of its tree are unfinished. */
typedef struct run_root {
    int64_t id;
    atomic_long pending;
} run_root_t;

typedef struct run_content {
    int64_t id, parent_id;
    run_root_t *root;
    unsigned depth;
    char uuid[37];
    char *filename, *source_path;
    const uint8_t *data;
    size_t size;
    mapped_file_t map;           /* roots */
    uint8_t *owned;              /* emitted bytes */
    struct run_content *parent;  /* slices keep their parent's bytes alive */
    bool is_slice;
    uint64_t slice_offset;
    atomic_int refs;
} run_content_t;

static void content_unref(run_content_t *c) {
    while (c && atomic_fetch_sub(&c->refs, 1) == 1) {
        run_content_t *parent = c->parent;
        mapped_file_close(&c->map);
        free(c->owned);
        free(c->filename);
        free(c->source_path);
        free(c);
        c = parent;
    }
}

/* ---- the run ---- */

struct run_worker;

typedef struct run {
    const run_options_t *opt;
    eng_module_t **modules;
    size_t nmodules;
    store_t *store;
    run_input_t *input;
    run_dedup_t *dedup;
    run_tables_t *tables;
    run_report_t *report;
    atomic_llong next_id;
    pthread_mutex_t lock;
    pthread_cond_t work;
    run_content_t **stack;
    size_t nstack, cap;
    bool input_done;
    unsigned active;
    struct run_worker *workers;
    unsigned nworkers;
} run_t;

typedef struct run_worker {
    run_t *run;
    eng_slot_t **slots;
    run_module_stats_t *stats;
    rt_thread_handle_t *thread;
} run_worker_t;

/* run_push: queue contents for processing (caller holds no lock).
 * Returns 0, or -1 if the stack could not grow (nothing queued). */
static int run_push(run_t *r, run_content_t **cs, size_t n) {
    if (!n) return 0;
    pthread_mutex_lock(&r->lock);
    if (r->nstack + n > r->cap) {
        size_t cap = r->cap ? r->cap : 256;
        while (cap < r->nstack + n) cap *= 2;
        run_content_t **grown = realloc(r->stack, cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&r->lock);
            return -1;
        }
        r->stack = grown;
        r->cap = cap;
    }
    /* Pushed in reverse so they come out in emission order. */
    for (size_t i = n; i-- > 0;) r->stack[r->nstack++] = cs[i];
    run_report_queued(r->report, (long)n);
    pthread_cond_broadcast(&r->work);
    pthread_mutex_unlock(&r->lock);
    return 0;
}

/* run_finish_content: the content is stored; release it and, if it was
 * the last unfinished content of its tree, mark the root complete. */
static void run_finish_content(run_t *r, run_content_t *c) {
    run_root_t *root = c->root;
    content_unref(c);
    if (atomic_fetch_sub(&root->pending, 1) == 1) {
        store_submit_root_done(r->store, root->id);
        free(root);
    }
}

static double run_wall_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- children ---- */

static run_content_t *run_child(run_t *r, run_content_t *parent, eng_emission_t *e) {
    run_content_t *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->id = atomic_fetch_add(&r->next_id, 1);
    c->parent_id = parent->id;
    c->root = parent->root;
    c->depth = parent->depth + 1;
    uuid_v4(c->uuid);
    c->filename = e->filename;
    e->filename = NULL;
    atomic_init(&c->refs, 1);
    if (e->is_slice) {
        c->is_slice = true;
        c->slice_offset = e->offset;
        c->data = parent->data + e->offset;
        c->size = (size_t)e->length;
        c->parent = parent;
        atomic_fetch_add(&parent->refs, 1);
    } else {
        c->owned = e->data;
        c->data = e->data;
        c->size = e->size;
        e->data = NULL;
    }
    atomic_fetch_add(&c->root->pending, 1);
    return c;
}

/* run_children: turn the emissions of every module into queued contents,
 * within the depth and children limits (what is dropped is recorded). */
static void run_children(run_t *r, run_content_t *c, store_content_t *sc) {
    const run_options_t *o = r->opt;
    size_t emitted = 0, queued = 0, dropped_early = 0;
    for (size_t m = 0; m < sc->nruns; m++) {
        emitted += sc->runs[m].result.nsubcontent + sc->runs[m].result.subcontent_dropped;
        dropped_early += sc->runs[m].result.subcontent_dropped;
    }
    if (!emitted) return;
    run_content_t **kids = calloc(emitted - dropped_early ? emitted - dropped_early : 1, sizeof *kids);
    buf_t notes = BUF_INIT;
    if (!kids) {
        buf_printf(&notes, "out of memory: %zu sub-contents not processed", emitted);
    } else if (c->depth + 1 > o->max_depth) {
        buf_printf(&notes, "max_depth: %zu sub-contents not processed (depth limit %u)", emitted, o->max_depth);
    } else {
        for (size_t m = 0; m < sc->nruns && kids; m++) {
            eng_result_t *res = &sc->runs[m].result;
            for (size_t i = 0; i < res->nsubcontent && queued < o->max_children; i++) {
                run_content_t *k = run_child(r, c, &res->subcontent[i]);
                if (k) kids[queued++] = k;
            }
        }
        if (queued < emitted)
            buf_printf(&notes, "max_children: %zu of %zu sub-contents dropped (limit %u)", emitted - queued, emitted,
                       o->max_children);
    }
    if (run_push(r, kids, queued) != 0) {
        buf_printf(&notes, "%sout of memory: %zu sub-contents not processed", notes.len ? "; " : "", queued);
        for (size_t i = 0; i < queued; i++) run_finish_content(r, kids[i]);
    }
    if (notes.len) sc->limits_hit = buf_steal(&notes);
    buf_free(&notes);
    /* Emitted bytes not turned into contents are freed with the results. */
    free(kids);
}

/* ---- processing one content ---- */

static void run_note_failure(buf_t *errors, const char *module, const eng_result_t *res) {
    if (errors->len > 4000) return;
    buf_printf(errors, "%s%s: %s: %.300s", errors->len ? "; " : "", module, res->error_kind, res->error ? res->error : "");
}

/* run_idle_budget: the bytes one worker's instances may keep between
 * contents, all its modules together (--max-idle-memory, by default
 * --max-memory). */
static uint64_t run_idle_budget(const run_options_t *o) {
    return o->idle_memory_set ? o->max_idle_memory : o->limits.max_memory;
}

/* run_trim_idle: after a call, free the worker's largest idle instances
 * until what they keep between contents fits the idle budget. A worker
 * then holds at most one running instance (within --max-memory) plus the
 * budget, whatever the number of modules; a freed module is instantiated
 * afresh for its next content (the summary counts how often). */
static void run_trim_idle(run_worker_t *w) {
    const run_t *r = w->run;
    uint64_t budget = run_idle_budget(r->opt), total = 0;
    for (size_t m = 0; m < r->nmodules; m++) total += eng_slot_idle_bytes(w->slots[m]);
    while (total > budget) {
        size_t largest = 0;
        uint64_t most = 0;
        for (size_t m = 0; m < r->nmodules; m++) {
            uint64_t b = eng_slot_idle_bytes(w->slots[m]);
            if (b > most) { most = b; largest = m; }
        }
        if (!most) break;
        eng_slot_release(w->slots[largest]);
        w->stats[largest].idle_released++;
        total -= most;
    }
}

/* run_module: one module on the content, with the run-wide table check. */
static void run_module(run_worker_t *w, size_t m, const eng_content_t *ec, store_run_t *out) {
    run_t *r = w->run;
    out->module = r->modules[m]->name;
    eng_run(w->slots[m], ec, &out->result);
    char *conflict = NULL;
    if (run_tables_check(r->tables, out->module, &out->result, &conflict) != 0) {
        eng_result_t *res = &out->result;
        if (res->success) {
            res->success = false;
            res->error_kind = ENG_KIND_METADATA;
            res->error = conflict;
        } else {
            buf_t m2 = BUF_INIT;
            buf_printf(&m2, "%s; also: %s", res->error ? res->error : "", conflict);
            free(res->error);
            free(conflict);
            res->error = buf_steal(&m2);
        }
    }
    run_stats_add(&w->stats[m], &out->result);
    run_trim_idle(w);
}

typedef struct run_hash_job {
    const run_content_t *content;
    uint8_t *out;
} run_hash_job_t;

/* run_hash_job_run: the body of run_hash (may be abandoned by a fault). */
static void run_hash_job_run(void *arg) {
    const run_hash_job_t *job = arg;
    sha256_of(job->content->data, job->content->size, job->out);
}

/* run_hash: the SHA-256 of the content's bytes into out. Returns 0, or -1
 * if the bytes could not be read: they are (or lie in) a mapped input file
 * that was truncated meanwhile, and reading them faulted. */
static int run_hash(const run_content_t *c, uint8_t out[32]) {
    run_hash_job_t job = {c, out};
    return rt_guarded_call(c->data, c->size, run_hash_job_run, &job);
}

/* run_origin_path: the input file whose bytes the content is (or is a
 * slice of), or NULL for emitted bytes. */
static const char *run_origin_path(const run_content_t *c) {
    while (c && !c->source_path) c = c->is_slice ? c->parent : NULL;
    return c ? c->source_path : NULL;
}

/* run_hash_or_fail: hash the content into sc; on an I/O error record it
 * as unreadable (the content is then not processed). */
static void run_hash_or_fail(const run_content_t *c, store_content_t *sc) {
    if (run_hash(c, sc->sha256) == 0) {
        sc->has_sha256 = true;
        return;
    }
    const char *origin = run_origin_path(c);
    buf_t m = BUF_INIT;
    buf_printf(&m, "I/O error reading the content's bytes: input file %s changed (truncated?) while being processed",
               origin ? origin : "(unknown)");
    sc->status = "unreadable";
    sc->error = buf_steal(&m);
}

static void run_process(run_worker_t *w, run_content_t *c) {
    run_t *r = w->run;
    double t0 = run_mono_ms();
    store_content_t sc;
    memset(&sc, 0, sizeof sc);
    sc.id = c->id;
    sc.parent_id = c->parent_id;
    sc.root_id = c->root->id;
    memcpy(sc.uuid, c->uuid, sizeof sc.uuid);
    sc.depth = c->depth;
    sc.filename = strdup(c->filename ? c->filename : "");
    sc.source_path = c->source_path ? strdup(c->source_path) : NULL;
    sc.size = c->size;
    sc.is_slice = c->is_slice;
    sc.slice_offset = c->slice_offset;
    sc.started_at = run_wall_now();
    sc.status = "success";
    if (c->size > r->opt->max_content_size) {
        sc.status = "skipped";
        buf_t m = BUF_INIT;
        buf_printf(&m, "content of %zu bytes exceeds --max-content-size %llu", c->size,
                   (unsigned long long)r->opt->max_content_size);
        sc.error = buf_steal(&m);
        sc.limits_hit = strdup("max_content_size");
    } else {
        run_hash_or_fail(c, &sc);
        int64_t first = sc.has_sha256 ? run_dedup_claim(r->dedup, sc.sha256, c->id) : 0;
        if (first > 0) {
            sc.status = "duplicate";
            sc.duplicate_of = first;
        }
    }
    if (strcmp(sc.status, "success") == 0) {
        eng_content_t ec = {c->data, c->size, c->filename, c->uuid, c->depth};
        sc.runs = calloc(r->nmodules, sizeof *sc.runs);
        buf_t errors = BUF_INIT;
        for (size_t m = 0; sc.runs && m < r->nmodules; m++) {
            run_module(w, m, &ec, &sc.runs[m]);
            sc.nruns++;
            if (!sc.runs[m].result.success) run_note_failure(&errors, sc.runs[m].module, &sc.runs[m].result);
        }
        if (errors.len) {
            sc.status = "failed";
            sc.error = buf_steal(&errors);
        }
        buf_free(&errors);
        run_children(r, c, &sc);
    }
    sc.duration_ms = run_mono_ms() - t0;
    run_report_done(r->report, &sc);
    store_submit_content(r->store, &sc);
    run_finish_content(r, c);
}

/* run_root_content: map an input file as a root content (NULL if it was
 * completed by a previous run; unreadable files are recorded). The file is
 * opened without following a symbolic link unless `follow_link` (a link
 * the user asked to follow) and must be a regular file when opened (a
 * FIFO, device or link swapped in after enumeration is unreadable). */
static run_content_t *run_root_content(run_t *r, const char *path, bool follow_link) {
    if (r->opt->resume && store_root_done(r->store, path)) {
        run_report_resumed(r->report);
        return NULL;
    }
    run_content_t *c = calloc(1, sizeof *c);
    run_root_t *root = calloc(1, sizeof *root);
    if (!c || !root) { free(c); free(root); return NULL; }
    c->id = atomic_fetch_add(&r->next_id, 1);
    root->id = c->id;
    atomic_init(&root->pending, 1);
    c->root = root;
    uuid_v4(c->uuid);
    const char *slash = strrchr(path, '/');
    c->filename = strdup(slash ? slash + 1 : path);
    c->source_path = strdup(path);
    atomic_init(&c->refs, 1);
    if (mapped_file_open_flags(path, follow_link ? 0 : MAPPED_FILE_NOFOLLOW, &c->map) != 0) {
        int e = errno;
        store_content_t sc;
        memset(&sc, 0, sizeof sc);
        sc.id = sc.root_id = c->id;
        memcpy(sc.uuid, c->uuid, sizeof sc.uuid);
        sc.filename = c->filename;
        sc.source_path = c->source_path;
        c->filename = c->source_path = NULL;
        sc.status = "unreadable";
        buf_t m = BUF_INIT;
        buf_printf(&m, "cannot read %s: %s", path, mapped_file_strerror(&c->map, e));
        sc.error = buf_steal(&m);
        sc.started_at = run_wall_now();
        run_report_done(r->report, &sc);
        store_submit_content(r->store, &sc);
        run_finish_content(r, c);
        return NULL;
    }
    c->data = c->map.data;
    c->size = c->map.size;
    return c;
}

/* ---- workers ---- */

/* run_take: the next content to process, or NULL when the run is over. */
static run_content_t *run_take(run_t *r) {
    pthread_mutex_lock(&r->lock);
    run_content_t *c = NULL;
    for (;;) {
        if (r->nstack) {
            c = r->stack[--r->nstack];
            run_report_queued(r->report, -1);
            r->active++;
            break;
        }
        if (!r->input_done && !store_failed(r->store)) {
            const char *path = run_input_next(r->input);
            if (!path) { r->input_done = true; continue; }
            bool follow_link = run_input_followed_link(r->input);
            char *copy = strdup(path);
            r->active++;
            pthread_mutex_unlock(&r->lock);
            c = copy ? run_root_content(r, copy, follow_link) : NULL;
            free(copy);
            pthread_mutex_lock(&r->lock);
            if (c) break;
            r->active--;
            continue;
        }
        if (r->active == 0) {
            pthread_cond_broadcast(&r->work);
            break;
        }
        pthread_cond_wait(&r->work, &r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return c;
}

static void run_release(run_t *r) {
    pthread_mutex_lock(&r->lock);
    r->active--;
    if (r->active == 0 && r->nstack == 0) pthread_cond_broadcast(&r->work);
    pthread_mutex_unlock(&r->lock);
}

static void *run_worker_main(void *arg) {
    run_worker_t *w = arg;
    pthread_setname_np(pthread_self(), "wadup-worker");
    run_content_t *c;
    while ((c = run_take(w->run))) {
        run_process(w, c);
        run_release(w->run);
    }
    return NULL;
}

/* ---- modules ---- */

static int run_cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* run_list_modules: the sorted *.wasm paths of the modules directory. */
static char **run_list_modules(const char *dir, size_t *n) {
    DIR *d = opendir(dir);
    *n = 0;
    if (!d) return NULL;
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".wasm") != 0) continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(names, cap * sizeof *grown);
            if (!grown) break;
            names = grown;
        }
        buf_t p = BUF_INIT;
        buf_printf(&p, "%s/%s", dir, e->d_name);
        names[(*n)++] = buf_steal(&p);
    }
    closedir(d);
    if (names) qsort(names, *n, sizeof *names, run_cmp_names);
    return names ? names : calloc(1, sizeof *names);
}

/* run_load_modules: open and compile every module; failures are reported
 * and skipped (fatal with --strict). Returns 0 or -1 (fatal). */
static int run_load_modules(run_t *r, const aot_config_t *cfg) {
    size_t n;
    char **paths = run_list_modules(r->opt->modules_dir, &n);
    if (!paths) {
        fprintf(stderr, "wadup: cannot read modules directory %s: %s\n", r->opt->modules_dir, strerror(errno));
        return -1;
    }
    r->modules = calloc(n ? n : 1, sizeof *r->modules);
    int rc = r->modules ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++) {
        eng_module_t *m = NULL;
        eng_error_t err = {0};
        bool compiled;
        if (eng_module_open(paths[i], &m, &err) == 0 && eng_module_compile(m, cfg, &compiled, &err) == 0) {
            store_submit_module(r->store, m->name, m->path, eng_kind_name(m->kind), m->object->key, "loaded", NULL);
            r->modules[r->nmodules++] = m;
        } else {
            const char *slash = strrchr(paths[i], '/');
            buf_t name = BUF_INIT;
            buf_append(&name, slash + 1, strlen(slash + 1) - 5);
            /* the kind, unless the message already starts with it */
            size_t klen = err.kind ? strlen(err.kind) : 0;
            bool named = klen && strncmp(err.message ? err.message : "", err.kind, klen) == 0;
            fprintf(stderr, "wadup: module %s cannot be used: %s%s%s\n", buf_cstr(&name),
                    err.kind && !named ? err.kind : "", err.kind && !named ? ": " : "", err.message);
            store_submit_module(r->store, buf_cstr(&name), paths[i], NULL, NULL, "failed", err.message);
            buf_free(&name);
            eng_error_clear(&err);
            eng_module_free(m);
            if (r->opt->strict) rc = -1;
        }
    }
    for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
    if (rc == 0 && r->nmodules == 0) {
        fprintf(stderr, "wadup: no usable modules in %s\n", r->opt->modules_dir);
        rc = -1;
    }
    return rc;
}

/* ---- the run ---- */

static void run_seed_dedup(void *ctx, const uint8_t sha[32], int64_t id) {
    run_dedup_claim(ctx, sha, id);
}

static int run_workers(run_t *r) {
    unsigned n = r->opt->threads;
    if (n == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores > 0 ? (unsigned)cores : 1;
    }
    run_worker_t *ws = calloc(n, sizeof *ws);
    if (!ws) return -1;
    int rc = 0;
    unsigned started = 0;
    for (unsigned i = 0; i < n && rc == 0; i++, started++) {
        run_worker_t *w = &ws[i];
        w->run = r;
        w->slots = calloc(r->nmodules, sizeof *w->slots);
        w->stats = calloc(r->nmodules, sizeof *w->stats);
        eng_limits_t limits = r->opt->limits;
        limits.max_children = r->opt->max_children; /* no module keeps more than the content may */
        for (size_t m = 0; w->slots && m < r->nmodules; m++)
            if (!(w->slots[m] = eng_slot_new(r->modules[m], &limits))) rc = -1;
        if (rc == 0 && (!w->slots || !w->stats ||
                        rt_thread_spawn((size_t)r->opt->limits.max_stack, run_worker_main, w, &w->thread) != 0))
            rc = -1;
        if (rc != 0) {
            for (size_t m = 0; w->slots && m < r->nmodules; m++) eng_slot_free(w->slots[m]);
            free(w->slots);
            free(w->stats);
        }
    }
    if (rc != 0) {
        started--;
        fprintf(stderr, "wadup: cannot start worker threads\n");
        pthread_mutex_lock(&r->lock);
        r->input_done = true; /* let the started ones drain and stop */
        pthread_mutex_unlock(&r->lock);
    }
    for (unsigned i = 0; i < started; i++) rt_thread_join(ws[i].thread);
    /* Results still queued in the store point into the slots' schemas:
     * the slots are freed only after the store is closed (run_main). */
    for (unsigned i = 0; i < started; i++) run_report_merge(r->report, ws[i].stats, r->nmodules);
    r->workers = ws;
    r->nworkers = started;
    return rc;
}

static void run_free_workers(run_t *r) {
    run_worker_t *ws = r->workers;
    for (unsigned i = 0; i < r->nworkers; i++) {
        for (size_t m = 0; m < r->nmodules; m++) eng_slot_free(ws[i].slots[m]);
        free(ws[i].slots);
        free(ws[i].stats);
    }
    free(ws);
}

int run_main(const run_options_t *o) {
    run_t r;
    memset(&r, 0, sizeof r);
    r.opt = o;
    pthread_mutex_init(&r.lock, NULL);
    pthread_cond_init(&r.work, NULL);
    json_object_seed(0);
    aot_config_t cfg;
    char *err = NULL;
    int status = 1;
    if (aot_config_init(&cfg, o->cache_dir, &err) != 0) {
        fprintf(stderr, "wadup: %s\n", err);
        free(err);
        return 1;
    }
    cfg.quiet = o->quiet;
    store_options_t so = {o->output, o->resume, o->force, 0};
    if (store_open(&so, &r.store, &err) != 0) {
        fprintf(stderr, "wadup: %s\n", err);
        free(err);
        aot_config_free(&cfg);
        return 1;
    }
    atomic_init(&r.next_id, store_next_id(r.store));
    r.dedup = run_dedup_new();
    r.tables = run_tables_new();
    r.input = run_input_new(o->inputs, o->ninputs, o->follow_symlinks);
    if (o->resume && r.dedup) store_each_hash(r.store, run_seed_dedup, r.dedup);
    if (o->resume && r.tables) store_each_table(r.store, run_tables_seed, r.tables);
    if (r.dedup && r.tables && r.input && run_load_modules(&r, &cfg) == 0) {
        run_tables_set_modules(r.tables, r.nmodules); /* each module's share of the table caps */
        r.report = run_report_new(r.modules, r.nmodules, o->quiet);
        if (r.report) {
            run_report_start(r.report);
            if (run_workers(&r) == 0) status = 0;
            run_report_stop(r.report);
        }
    }
    if (store_close(r.store, &err) != 0) {
        fprintf(stderr, "wadup: writing results failed: %s\n", err);
        free(err);
        status = 1;
    }
    if (r.report && status == 0) run_report_summary(r.report, run_input_skipped(r.input), o->output);
    run_free_workers(&r);
    run_report_free(r.report);
    for (size_t i = 0; i < r.nmodules; i++) eng_module_free(r.modules[i]);
    free(r.modules);
    free(r.stack);
    run_input_free(r.input);
    run_dedup_free(r.dedup);
    run_tables_free(r.tables);
    aot_config_free(&cfg);
    pthread_mutex_destroy(&r.lock);
    pthread_cond_destroy(&r.work);
    return status;
}
