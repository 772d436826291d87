/* instance.c — instances and calls: build an instance's sandbox (virtual
 * filesystem, WASI context, memory budget), instantiate the compiled
 * module, run it on a content, collect metadata and sub-content as files
 * are closed, classify failures, and reset or discard the instance. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "rt/rt.h"
#include "vfs/vfs.h"
#include "wasi/wasi.h"

typedef struct eng_instance {
    eng_slot_t *slot;
    void *memory;              /* the wasm2c instance struct */
    budget_t budget;
    rt_owner_t owner;
    vfs_t *fs;
    wasi_ctx_t wasi;
    vfs_node_t *data_node, *tmp_dir, *meta_dir, *sub_dir;
    const eng_content_t *content;  /* during a call */
    eng_result_t *result;          /* during a call */
    buf_t meta_errors;
    size_t nmeta_errors;
    uint64_t retained;         /* bytes of this call's results charged to the budget */
    uint64_t call_deadline_ns; /* CLOCK_MONOTONIC deadline of the current call (0 = none) */
    bool host_timeout;         /* host work for this call (parsing metadata) ran out of time */
} eng_instance_t;

struct eng_slot {
    eng_module_t *module;
    eng_limits_t limits;
    meta_schema_t *schema;
    uint64_t schema_bytes;     /* cost of the schema's definitions, charged to every instance */
    eng_instance_t *instance;  /* live reactor instance, or NULL */
};

/* ---- results ---- */

void eng_result_init(eng_result_t *r) {
    memset(r, 0, sizeof *r);
    meta_batch_init(&r->metadata);
}

void eng_result_free(eng_result_t *r) {
    free(r->error);
    buf_free(&r->out);
    buf_free(&r->err);
    meta_batch_clear(&r->metadata);
    for (size_t i = 0; i < r->nsubcontent; i++) {
        free(r->subcontent[i].filename);
        free(r->subcontent[i].data);
    }
    free(r->subcontent);
    memset(r, 0, sizeof *r);
}

static void eng_result_fail(eng_result_t *r, const char *kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void eng_result_fail(eng_result_t *r, const char *kind, const char *fmt, ...) {
    buf_t m = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&m, fmt, ap);
    va_end(ap);
    free(r->error);
    r->success = false;
    r->error_kind = kind;
    r->error = buf_steal(&m);
}

static eng_emission_t *eng_result_add_emission(eng_result_t *r) {
    if (r->nsubcontent == r->subcontent_cap) {
        size_t cap = r->subcontent_cap ? r->subcontent_cap * 2 : 8;
        eng_emission_t *grown = realloc(r->subcontent, cap * sizeof *grown);
        if (!grown) return NULL;
        r->subcontent = grown;
        r->subcontent_cap = cap;
    }
    eng_emission_t *e = &r->subcontent[r->nsubcontent++];
    memset(e, 0, sizeof *e);
    return e;
}

/* ---- the metadata and sub-content protocol (on close of a file) ---- */

static void eng_meta_error(eng_instance_t *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define ENG_MAX_META_ERRORS 10 /* messages kept per call; the rest are counted */

static void eng_meta_error(eng_instance_t *in, const char *fmt, ...) {
    if (in->nmeta_errors++ >= ENG_MAX_META_ERRORS) return;
    if (in->nmeta_errors > 1) buf_append_str(&in->meta_errors, "; ");
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&in->meta_errors, fmt, ap);
    va_end(ap);
}

static bool eng_name_is(const char *name, size_t len, const char *prefix, const char *suffix, size_t *mid_len) {
    size_t p = strlen(prefix), s = strlen(suffix);
    if (len < p + s || memcmp(name, prefix, p) != 0 || memcmp(name + len - s, suffix, s) != 0) return false;
    if (mid_len) *mid_len = len - p - s;
    return true;
}

/* eng_retain: keep counting n bytes of this call's results (parsed rows,
 * emitted sub-content) toward the instance's memory limit until the call
 * ends, so a module cannot pile up unbounded host memory by writing and
 * closing file after file. */
static bool eng_retain(eng_instance_t *in, uint64_t n) {
    if (!budget_charge(&in->budget, n)) return false;
    in->retained += n;
    return true;
}

/* eng_meta_limits: what parsing a file on the module's behalf may use:
 * the memory left under the instance's limit, and the call's deadline
 * (the runtime's while the call runs, the same one afterwards). */
static meta_limits_t eng_meta_limits(const eng_instance_t *in) {
    const budget_t *b = &in->budget;
    meta_limits_t lim = {0, rt_call_deadline()};
    if (!lim.deadline_ns) lim.deadline_ns = in->call_deadline_ns;
    if (b->limit != UINT64_MAX) lim.max_bytes = b->used < b->limit ? b->limit - b->used : 1;
    return lim;
}

/* eng_parse_failed: record a parse failure. A timeout also stops the
 * module: inside a call, the runtime traps it when the host call returns. */
static void eng_parse_failed(eng_instance_t *in, int rc, const char *error, const char *fallback) {
    if (rc == META_ERR_TIMEOUT) {
        in->host_timeout = true;
        rt_deadline_passed();
    }
    if (rc == META_ERR_MEMORY) in->budget.refused = true;
    eng_meta_error(in, "%s", error ? error : fallback);
}

/* eng_keep_schema: charge new table definitions to the instance for good
 * (they live in the slot as long as the module runs on this worker). */
static void eng_keep_schema(eng_instance_t *in, uint64_t bytes) {
    in->slot->schema_bytes += bytes;
    budget_charge(&in->budget, bytes); /* fits: the parse counted it under the same limit */
}

/* eng_take_metadata: parse and delete /metadata/<name>. */
static void eng_take_metadata(eng_instance_t *in, vfs_node_t *node, const char *name, size_t len) {
    buf_t path = BUF_INIT;
    buf_printf(&path, "/metadata/%.*s", (int)len, name);
    char *error = NULL;
    meta_limits_t lim = eng_meta_limits(in);
    meta_usage_t use;
    int rc = meta_parse_file(in->slot->schema, buf_cstr(&path), vfs_file_data(node), (size_t)vfs_size(node), &lim,
                             &in->result->metadata, &use, &error);
    if (rc == 0) {
        eng_retain(in, use.row_bytes); /* fits: the parse counted it under the same limit */
        eng_keep_schema(in, use.schema_bytes);
    } else {
        eng_parse_failed(in, rc, error, "invalid metadata");
    }
    free(error);
    buf_free(&path);
    vfs_unlink(in->fs, in->meta_dir, name, len);
}

/* eng_emission_cost: the bytes an emission record holds besides its data. */
static uint64_t eng_emission_cost(const char *filename) {
    return sizeof(eng_emission_t) + strlen(filename) + 1 + 32;
}

/* eng_emission_room: may this call keep one more emission named
 * `filename`? Past --max-children it is dropped at once (counted); past
 * the memory limit it is a metadata error. Charges the record if kept. */
static bool eng_emission_room(eng_instance_t *in, const char *path, const char *filename) {
    size_t max = in->slot->limits.max_children;
    if (max && in->result->nsubcontent >= max) {
        in->result->subcontent_dropped++;
        return false;
    }
    if (!eng_retain(in, eng_emission_cost(filename))) {
        eng_meta_error(in, "%s: sub-content not kept: the memory limit of %llu bytes is reached", path,
                       (unsigned long long)in->budget.limit);
        return false;
    }
    return true;
}

static void eng_add_slice(eng_instance_t *in, const char *path, meta_subcontent_t *d) {
    uint64_t size = in->content->size;
    if (d->offset > size || d->length > size - d->offset) {
        eng_meta_error(in, "%s: slice offset %llu length %llu is outside the content (%llu bytes)", path,
                       (unsigned long long)d->offset, (unsigned long long)d->length, (unsigned long long)size);
        free(d->filename);
        return;
    }
    if (!eng_emission_room(in, path, d->filename)) { free(d->filename); return; }
    eng_emission_t *e = eng_result_add_emission(in->result);
    if (!e) { eng_meta_error(in, "%s: out of memory", path); free(d->filename); return; }
    e->filename = d->filename;
    e->is_slice = true;
    e->offset = d->offset;
    e->length = d->length;
}

static void eng_add_bytes(eng_instance_t *in, const char *path, meta_subcontent_t *d, const char *id, size_t id_len) {
    buf_t data_name = BUF_INIT;
    buf_printf(&data_name, "data_%.*s.bin", (int)id_len, id);
    vfs_node_t *data = vfs_child(in->sub_dir, (const char *)data_name.data, data_name.len);
    eng_emission_t *e = NULL;
    if (!data || vfs_kind(data) != VFS_FILE) {
        eng_meta_error(in, "%s: /subcontent/%s not found (write and close the data file before its metadata file)",
                       path, buf_cstr(&data_name));
    } else if (!eng_emission_room(in, path, d->filename)) {
        vfs_unlink(in->fs, in->sub_dir, (const char *)data_name.data, data_name.len);
    } else if (!(e = eng_result_add_emission(in->result))) {
        eng_meta_error(in, "%s: out of memory", path);
    } else {
        uint8_t *bytes = NULL;
        size_t n = 0;
        if (vfs_take(in->fs, data, &bytes, &n) != 0) {
            in->result->nsubcontent--;
            eng_meta_error(in, "%s: out of memory taking %s", path, buf_cstr(&data_name));
            e = NULL;
        } else {
            /* Emitted bytes keep counting toward the instance's memory
             * until the call ends: the data file's charge was just
             * released by vfs_take, so charging them again always fits. */
            eng_retain(in, n);
            e->filename = d->filename;
            e->data = bytes;
            e->size = n;
            d->filename = NULL;
        }
        vfs_unlink(in->fs, in->sub_dir, (const char *)data_name.data, data_name.len);
    }
    free(d->filename);
    buf_free(&data_name);
}

/* eng_take_subcontent: parse and delete /subcontent/metadata_<id>.json. */
static void eng_take_subcontent(eng_instance_t *in, vfs_node_t *node, const char *name, size_t len, size_t id_len) {
    buf_t path = BUF_INIT;
    buf_printf(&path, "/subcontent/%.*s", (int)len, name);
    meta_subcontent_t d;
    char *error = NULL;
    meta_limits_t lim = eng_meta_limits(in);
    int rc = meta_parse_subcontent(buf_cstr(&path), vfs_file_data(node), (size_t)vfs_size(node), &lim, &d, &error);
    if (rc != 0) {
        eng_parse_failed(in, rc, error, "invalid sub-content descriptor");
        free(error);
    } else if (d.is_slice) {
        eng_add_slice(in, buf_cstr(&path), &d);
    } else {
        eng_add_bytes(in, buf_cstr(&path), &d, name + strlen("metadata_"), id_len);
    }
    buf_free(&path);
    vfs_unlink(in->fs, in->sub_dir, name, len);
}

/* eng_on_close: WASI hook, called when a written file handle is closed. */
static void eng_on_close(void *user, vfs_node_t *node) {
    eng_instance_t *in = user;
    if (!in->result || !vfs_linked(node)) return;
    size_t len, id_len;
    const char *name = vfs_name(node, &len);
    vfs_node_t *parent = vfs_parent(node);
    if (parent == in->meta_dir && eng_name_is(name, len, "", ".json", NULL))
        eng_take_metadata(in, node, name, len);
    else if (parent == in->sub_dir && eng_name_is(name, len, "metadata_", ".json", &id_len))
        eng_take_subcontent(in, node, name, len, id_len);
}

/* eng_take_leftover_metadata: /metadata/<name>.json files never closed. */
static void eng_take_leftover_metadata(eng_instance_t *in) {
    for (size_t i = 0; i < vfs_dir_count(in->meta_dir) && !in->host_timeout;) {
        const char *name;
        size_t len;
        vfs_node_t *n = vfs_dir_entry(in->meta_dir, i, &name, &len);
        if (n && vfs_kind(n) == VFS_FILE && eng_name_is(name, len, "", ".json", NULL)) {
            eng_take_metadata(in, n, name, len); /* removes entry i */
            continue;
        }
        i++;
    }
}

/* ---- instances ---- */

static void eng_instance_free(eng_instance_t *in) {
    if (!in) return;
    wasi_ctx_free(&in->wasi);
    rt_owner_release(&in->owner);
    if (in->fs) vfs_free(in->fs);
    free(in->memory);
    buf_free(&in->meta_errors);
    free(in);
}

static int eng_build_fs(eng_instance_t *in, const eng_module_t *m) {
    in->fs = vfs_new(&in->budget);
    if (!in->fs) return -1;
    vfs_set_copier(in->fs, rt_guarded_copy); /* mapped bytes that fault read as EIO */
    if (vfs_mkdir_p(in->fs, "/tmp", true, &in->tmp_dir) || vfs_mkdir_p(in->fs, "/metadata", true, &in->meta_dir) ||
        vfs_mkdir_p(in->fs, "/subcontent", true, &in->sub_dir) ||
        vfs_put_borrowed(in->fs, "/data.bin", NULL, 0, &in->data_node))
        return -1;
    for (size_t i = 0; i < m->nfiles; i++)
        if (vfs_put_borrowed(in->fs, m->files[i].path, m->files[i].data, m->files[i].size, NULL)) return -1;
    return 0;
}

typedef struct eng_call {
    eng_instance_t *in;
    int what;                  /* ENG_CALL_* */
    uint32_t result;
} eng_call_t;

enum { ENG_CALL_INSTANTIATE, ENG_CALL_INITIALIZE, ENG_CALL_START, ENG_CALL_PROCESS };

static void eng_call_entry(void *arg) {
    eng_call_t *call = arg;
    eng_instance_t *in = call->in;
    const aot_glue_t *g = in->slot->module->object->glue;
    switch (call->what) {
    case ENG_CALL_INSTANTIATE: g->instantiate(in->memory, &in->wasi); break;
    case ENG_CALL_INITIALIZE: g->initialize(in->memory); break;
    case ENG_CALL_START: g->start(in->memory); break;
    case ENG_CALL_PROCESS:
        if (g->process_i32) call->result = g->process_i32(in->memory);
        else g->process_void(in->memory);
        break;
    }
}

static rt_status_t eng_call(eng_instance_t *in, int what, uint32_t *result) {
    eng_call_t call = {in, what, 0};
    rt_status_t s = rt_call(&in->owner, in->slot->limits.timeout_ms, eng_call_entry, &call);
    if (result) *result = call.result;
    return s;
}

/* eng_deadline_after: CLOCK_MONOTONIC ns timeout_ms from now (0 = none). */
static uint64_t eng_deadline_after(uint64_t timeout_ms) {
    if (!timeout_ms) return 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    uint64_t span = timeout_ms > UINT64_MAX / 1000000ull ? UINT64_MAX : timeout_ms * 1000000ull;
    return span > UINT64_MAX - now ? UINT64_MAX : now + span;
}

static double eng_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* eng_describe_trap: error kind and message for a status other than RT_OK. */
static void eng_describe_trap(eng_instance_t *in, rt_status_t s, const char *phase, eng_result_t *r) {
    if (s == RT_TRAP_EXIT) {
        r->exit_code = rt_exit_code();
        eng_result_fail(r, ENG_KIND_EXIT, "%sthe module exited with code %lld (proc_exit)", phase, (long long)r->exit_code);
    } else if (s == RT_TRAP_TIMEOUT) {
        eng_result_fail(r, rt_status_name(s), "%stimeout: still running after %.3g s", phase,
                        (double)in->slot->limits.timeout_ms / 1000.0);
    } else if (s == RT_TRAP_MEMORY_LIMIT) {
        eng_result_fail(r, ENG_KIND_MEMORY_LIMIT, "%sthe module's initial memory does not fit the memory limit of %llu bytes",
                        phase, (unsigned long long)in->budget.limit);
    } else {
        eng_result_fail(r, rt_status_name(s), "%strap: %s", phase, rt_status_message(s));
    }
}

/* eng_instantiate: a fresh instance for the slot, or NULL with *r failed. */
static eng_instance_t *eng_instantiate(eng_slot_t *s, eng_result_t *r) {
    const eng_module_t *m = s->module;
    const aot_glue_t *g = m->object->glue;
    eng_instance_t *in = calloc(1, sizeof *in);
    if (!in) { eng_result_fail(r, ENG_KIND_INSTANTIATE, "out of memory"); return NULL; }
    in->slot = s;
    budget_init(&in->budget, s->limits.max_memory);
    if (!budget_charge(&in->budget, s->schema_bytes)) {
        eng_result_fail(r, ENG_KIND_MEMORY_LIMIT, "instantiating: the module's %llu bytes of table definitions do not fit "
                        "the memory limit of %llu bytes", (unsigned long long)s->schema_bytes,
                        (unsigned long long)in->budget.limit);
        free(in);
        return NULL;
    }
    rt_owner_init(&in->owner, &in->budget);
    size_t size = ((size_t)g->instance_size + 63) / 64 * 64;
    in->memory = aligned_alloc(64, size ? size : 64);
    const char *argv0 = m->name;
    if (!in->memory || eng_build_fs(in, m) != 0 || wasi_ctx_init(&in->wasi, in->fs, s->limits.max_output) != 0 ||
        wasi_set_args(&in->wasi, &argv0, 1) != 0) {
        if (in->budget.refused)
            eng_result_fail(r, ENG_KIND_MEMORY_LIMIT,
                            "instantiating: the module's files do not fit the memory limit of %llu bytes",
                            (unsigned long long)in->budget.limit);
        else
            eng_result_fail(r, ENG_KIND_INSTANTIATE, "out of memory while building the instance of %s", m->name);
        eng_instance_free(in);
        return NULL;
    }
    memset(in->memory, 0, size ? size : 64);
    in->wasi.on_close = eng_on_close;
    in->wasi.user = in;
    rt_status_t st = eng_call(in, ENG_CALL_INSTANTIATE, NULL);
    if (st == RT_OK) {
        in->wasi.memory = g->memory(in->memory);
        if (m->kind == ENG_REACTOR && g->initialize) st = eng_call(in, ENG_CALL_INITIALIZE, NULL);
        if (m->kind == ENG_REACTOR_WITH_START) st = eng_call(in, ENG_CALL_START, NULL);
        if (st == RT_TRAP_EXIT && rt_exit_code() == 0) st = RT_OK; /* _start ending with exit(0) */
        if (st != RT_OK) {
            eng_describe_trap(in, st, m->kind == ENG_REACTOR ? "_initialize: " : "_start: ", r);
            eng_instance_free(in);
            return NULL;
        }
    } else {
        eng_describe_trap(in, st, "instantiating: ", r);
        if (st != RT_TRAP_TIMEOUT && strcmp(r->error_kind, ENG_KIND_MEMORY_LIMIT) != 0)
            r->error_kind = ENG_KIND_INSTANTIATE;
        eng_instance_free(in);
        return NULL;
    }
    return in;
}

/* ---- per-content preparation and reset ---- */

static int eng_set_content(eng_instance_t *in, const eng_content_t *c) {
    if (vfs_put_borrowed(in->fs, "/data.bin", c->data, c->size, NULL) != 0) return -1;
    buf_t fname = BUF_INIT, uuid = BUF_INIT, depth = BUF_INIT;
    char digits[16];
    unsigned d = c->depth;
    size_t nd = sizeof digits;
    do { digits[--nd] = (char)('0' + d % 10); d /= 10; } while (d && nd);
    buf_append_str(&fname, "WADUP_FILENAME=");
    buf_append_str(&fname, c->filename ? c->filename : "unknown");
    buf_append_str(&uuid, "WADUP_CONTENT_UUID=");
    buf_append_str(&uuid, c->uuid ? c->uuid : "");
    buf_append_str(&depth, "WADUP_DEPTH=");
    buf_append(&depth, digits + nd, sizeof digits - nd);
    const char *env[] = {buf_cstr(&fname), buf_cstr(&uuid), buf_cstr(&depth)};
    int rc = wasi_set_env(&in->wasi, env, 3);
    buf_free(&fname);
    buf_free(&uuid);
    buf_free(&depth);
    return rc;
}

/* eng_keep_between_contents: the only descriptors that survive to the
 * next content besides the preopen: read-only files embedded in the
 * module (never the content, nothing writable, no directory). */
static bool eng_keep_between_contents(void *user, vfs_node_t *node) {
    eng_instance_t *in = user;
    return vfs_linked(node) && vfs_kind(node) == VFS_FILE && !vfs_writable(node) && node != in->data_node;
}

static void eng_reset(eng_instance_t *in) {
    wasi_reset_fds(&in->wasi, eng_keep_between_contents, in);
    vfs_clear_dir(in->fs, in->tmp_dir);
    vfs_clear_dir(in->fs, in->meta_dir);
    vfs_clear_dir(in->fs, in->sub_dir);
    vfs_put_borrowed(in->fs, "/data.bin", NULL, 0, NULL);
    wasi_output_reset(&in->wasi);
    buf_reset(&in->meta_errors);
    in->nmeta_errors = 0;
    in->content = NULL;
    in->result = NULL;
    in->call_deadline_ns = 0;
    in->host_timeout = false;
}

/* eng_move_output: hand the captured streams to the result. */
static void eng_move_output(eng_instance_t *in, eng_result_t *r) {
    r->out = in->wasi.out.data;
    r->err = in->wasi.err.data;
    r->out_truncated = in->wasi.out.truncated;
    r->err_truncated = in->wasi.err.truncated;
    memset(&in->wasi.out.data, 0, sizeof in->wasi.out.data);
    memset(&in->wasi.err.data, 0, sizeof in->wasi.err.data);
}

/* eng_classify_call: turn the call's outcome into success or a failure. */
static void eng_classify_call(eng_instance_t *in, rt_status_t st, uint32_t ret, eng_result_t *r) {
    eng_kind_t kind = in->slot->module->kind;
    r->success = true;
    if (st == RT_OK && kind != ENG_COMMAND && ret != 0) {
        r->exit_code = (int32_t)ret;
        eng_result_fail(r, ENG_KIND_MODULE_ERROR, "process() returned %d", (int32_t)ret);
    } else if (st == RT_TRAP_EXIT && rt_exit_code() == 0) {
        r->exit_code = 0;
    } else if (st != RT_OK) {
        eng_describe_trap(in, st, "", r);
    }
    if (r->success) eng_take_leftover_metadata(in);
    if (r->success && in->host_timeout)
        eng_result_fail(r, rt_status_name(RT_TRAP_TIMEOUT), "timeout: still running after %.3g s (wadup was parsing "
                        "the module's metadata on its behalf)", (double)in->slot->limits.timeout_ms / 1000.0);
    if (in->nmeta_errors > ENG_MAX_META_ERRORS)
        buf_printf(&in->meta_errors, "; and %zu more metadata errors", in->nmeta_errors - ENG_MAX_META_ERRORS);
    if (in->nmeta_errors) {
        if (r->success) eng_result_fail(r, ENG_KIND_METADATA, "%s", buf_cstr(&in->meta_errors));
        else {
            char *prev = r->error;
            r->error = NULL;
            eng_result_fail(r, r->error_kind, "%s; also: %s", prev, buf_cstr(&in->meta_errors));
            free(prev);
        }
    }
    bool limit_cause = st != RT_TRAP_TIMEOUT && strcmp(r->error_kind ? r->error_kind : "", ENG_KIND_METADATA) != 0;
    if (!r->success && in->budget.refused && limit_cause) {
        char *prev = r->error;
        r->error = NULL;
        eng_result_fail(r, ENG_KIND_MEMORY_LIMIT,
                        "memory limit of %llu bytes reached (a memory.grow or a file write was refused), then: %s",
                        (unsigned long long)in->budget.limit, prev);
        free(prev);
    }
}

/* ---- slots and runs ---- */

eng_slot_t *eng_slot_new(eng_module_t *m, const eng_limits_t *limits) {
    eng_slot_t *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->module = m;
    s->limits = *limits;
    s->schema = meta_schema_new();
    if (!s->schema) { free(s); return NULL; }
    return s;
}

void eng_slot_free(eng_slot_t *s) {
    if (!s) return;
    eng_instance_free(s->instance);
    meta_schema_free(s->schema);
    free(s);
}

const meta_schema_t *eng_slot_schema(const eng_slot_t *s) { return s->schema; }

uint64_t eng_slot_idle_bytes(const eng_slot_t *s) { return s->instance ? s->instance->budget.used : 0; }

void eng_slot_release(eng_slot_t *s) {
    eng_instance_free(s->instance);
    s->instance = NULL;
}

void eng_run(eng_slot_t *s, const eng_content_t *c, eng_result_t *r) {
    eng_result_init(r);
    if (!s->module->object) {
        eng_result_fail(r, ENG_KIND_INSTANTIATE, "module %s is not compiled", s->module->name);
        return;
    }
    if (!s->instance && !(s->instance = eng_instantiate(s, r))) return;
    eng_instance_t *in = s->instance;
    in->content = c;
    in->result = r;
    in->budget.refused = false;
    in->budget.peak = in->budget.used;
    if (eng_set_content(in, c) != 0) {
        eng_result_fail(r, ENG_KIND_INSTANTIATE, "out of memory preparing the content");
        eng_reset(in);
        return;
    }
    uint32_t ret = 0;
    in->host_timeout = false;
    in->call_deadline_ns = eng_deadline_after(in->slot->limits.timeout_ms);
    double t0 = eng_now_ms();
    rt_status_t st = eng_call(in, in->slot->module->kind == ENG_COMMAND ? ENG_CALL_START : ENG_CALL_PROCESS, &ret);
    r->duration_ms = eng_now_ms() - t0;
    eng_classify_call(in, st, ret, r);
    eng_move_output(in, r);
    r->peak_memory = in->budget.peak;
    budget_release(&in->budget, in->retained);
    in->retained = 0;
    bool discard = (st != RT_OK && !(st == RT_TRAP_EXIT && rt_exit_code() == 0)) ||
                   in->slot->module->kind == ENG_COMMAND || st == RT_TRAP_EXIT;
    eng_reset(in);
    if (discard) {
        eng_instance_free(in);
        s->instance = NULL;
    }
}
