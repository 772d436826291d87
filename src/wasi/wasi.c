/* wasi.c — WASI preview1 for guest modules, on top of the virtual
 * filesystem (vfs/) and the runtime (rt/). See wasi.h for the contract.
 *
 * Owns the descriptor table and its rights (what each descriptor may do,
 * checked by every call: ENOTCAPABLE), the guest's path rules (every path
 * is resolved beneath the directory descriptor it is given with: absolute
 * paths and escapes are EPERM, as wasmtime), and the preview1 semantics of
 * each call, following wasmtime (wasmtime-wasi's p1 adapter over cap-std)
 * where preview1 leaves a choice, and the witx documentation for rights,
 * which current wasmtime reports but no longer enforces.
 *
 * Layout: guest-memory access helpers; descriptor table and rights; one
 * do_<name> function per WASI call returning a WASI errno; the exported
 * Z_wasi_snapshot_preview1Z_<name> wrappers that wasm2c code calls. */
#include "wasi/wasi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "rt/rt.h"
#include "wasi/wasi_abi.h"
#include "wasi/wasi_host_io.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

/* ---- guest memory ---- */

/* gmem: host pointer for [ptr, ptr+len) of guest memory, or NULL. */
static u8 *gmem(wasi_ctx_t *c, u32 ptr, u64 len) {
    wasm_rt_memory_t *m = c->memory;
    if (!m || (u64)ptr + len > m->size) return NULL;
    return m->data + ptr;
}

static int put_bytes(wasi_ctx_t *c, u32 ptr, const void *src, size_t len) {
    u8 *p = gmem(c, ptr, len);
    if (!p) return WASI_EFAULT;
    if (len) memcpy(p, src, len);
    return 0;
}
static int put_u32(wasi_ctx_t *c, u32 ptr, u32 v) { return put_bytes(c, ptr, &v, 4); }
static int put_u64(wasi_ctx_t *c, u32 ptr, u64 v) { return put_bytes(c, ptr, &v, 8); }

static u32 load_u32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }
static u64 load_u64(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }
static u16 load_u16(const u8 *p) { u16 v; memcpy(&v, p, 2); return v; }

static u64 now_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

/* ---- output capture ---- */

static void output_append(wasi_output_t *o, const u8 *data, size_t len) {
    size_t room = o->data.len < o->cap ? o->cap - o->data.len : 0;
    size_t take = len < room ? len : room;
    if (take && buf_append(&o->data, data, take) != 0) take = 0;
    if (take < len) o->truncated = true;
}

void wasi_output_reset(wasi_ctx_t *ctx) {
    buf_reset(&ctx->out.data);
    buf_reset(&ctx->err.data);
    ctx->out.truncated = ctx->err.truncated = false;
}

/* ---- passthrough stdio (wasi_stdio_passthrough) ---- */

void wasi_stdio_passthrough(wasi_ctx_t *ctx, const int host_fds[3]) {
    ctx->stdio_passthrough = true;
    for (int i = 0; i < 3; i++) {
        ctx->stdio_host_fd[i] = host_fds[i];
        ctx->stdio_filetype[i] = wasi_host_filetype(host_fds[i]);
    }
}

/* stdio_index: 0, 1 or 2 for a stdio descriptor record. */
static int stdio_index(const wasi_fd_t *f) { return f->kind - WASI_FD_STDIN; }

/* stdio_filetype: what a stdio descriptor reports: its host type when
 * passed through, else a character device (captured streams). */
static u8 stdio_filetype(const wasi_ctx_t *c, const wasi_fd_t *f) {
    return c->stdio_passthrough ? c->stdio_filetype[stdio_index(f)] : WASI_FILETYPE_CHARACTER_DEVICE;
}

/* ---- descriptor table ---- */

static wasi_fd_t *fd_get(wasi_ctx_t *c, u32 fd) {
    return fd < c->nfds && c->fds[fd].used ? &c->fds[fd] : NULL;
}

static wasi_fd_t *fd_node(wasi_ctx_t *c, u32 fd) {
    wasi_fd_t *f = fd_get(c, fd);
    return f && f->kind == WASI_FD_NODE ? f : NULL;
}

/* has_rights: the descriptor's base rights include every right in need. */
static bool has_rights(const wasi_fd_t *f, u64 need) { return (f->rights_base & need) == need; }

/* node_fd: the file or directory descriptor fd, with every right in need:
 * EBADF if there is none (or fd is stdio), ENOTCAPABLE if a right is
 * missing. */
static u32 node_fd(wasi_ctx_t *c, u32 fd, u64 need, wasi_fd_t **out) {
    wasi_fd_t *f = fd_node(c, fd);
    if (!f) return WASI_EBADF;
    if (!has_rights(f, need)) return WASI_ENOTCAPABLE;
    *out = f;
    return 0;
}

/* file_fd: node_fd for a regular file; a directory gives dir_errno (before
 * the rights, as wasmtime checks the descriptor's type first). */
static u32 file_fd(wasi_ctx_t *c, u32 fd, u64 need, u32 dir_errno, wasi_fd_t **out) {
    wasi_fd_t *f = fd_node(c, fd);
    if (!f) return WASI_EBADF;
    if (vfs_kind(f->node) != VFS_FILE) return dir_errno;
    return node_fd(c, fd, need, out);
}

/* node_filetype: the WASI filetype of a node. */
static u8 node_filetype(const vfs_node_t *n) {
    switch (vfs_kind(n)) {
    case VFS_DIR: return WASI_FILETYPE_DIRECTORY;
    case VFS_SYMLINK: return WASI_FILETYPE_SYMBOLIC_LINK;
    default: return WASI_FILETYPE_REGULAR_FILE;
    }
}

/* child_rights: the rights of a descriptor path_open makes for a node of
 * this kind: what was asked for, within the directory's inheriting rights
 * (silently dropping the rest, as wasi-common's child_file_caps and as
 * Rust's std expects), and within the rights that apply to the kind (the
 * witx: "fewer rights than specified, if those rights do not apply to the
 * type of file"). Files inherit nothing. */
static void child_rights(const wasi_fd_t *dir, vfs_kind_t kind, u64 base, u64 inheriting, u64 *out_base,
                         u64 *out_inheriting) {
    bool is_dir = kind == VFS_DIR;
    *out_base = base & dir->rights_inheriting & (is_dir ? WASI_RIGHTS_DIRECTORY : WASI_RIGHTS_REGULAR_FILE);
    *out_inheriting = is_dir ? inheriting & dir->rights_inheriting & (WASI_RIGHTS_DIRECTORY | WASI_RIGHTS_REGULAR_FILE)
                             : 0;
}

/* fd_alloc: the lowest free descriptor number, or -1. Numbers 0-2 are
 * free only after fd_renumber moved stdio away (POSIX: lowest free). */
static int fd_alloc(wasi_ctx_t *c, u32 *out) {
    for (u32 i = 0; i < c->nfds; i++)
        if (!c->fds[i].used) { *out = i; return 0; }
    if (c->nfds >= WASI_MAX_FDS) return -1;
    u32 n = c->nfds ? c->nfds * 2 : 8;
    if (n > WASI_MAX_FDS) n = WASI_MAX_FDS;
    wasi_fd_t *grown = realloc(c->fds, n * sizeof *grown);
    if (!grown) return -1;
    memset(grown + c->nfds, 0, (n - c->nfds) * sizeof *grown);
    c->fds = grown;
    *out = c->nfds;
    c->nfds = n;
    return 0;
}

/* fd_release: close descriptor f, calling on_close if requested and it
 * was a writable file handle. */
static void fd_release(wasi_ctx_t *c, wasi_fd_t *f, bool notify) {
    if (f->kind == WASI_FD_NODE && f->node) {
        if (notify && c->on_close && (f->rights_base & WASI_RIGHT_FD_WRITE) && vfs_kind(f->node) == VFS_FILE)
            c->on_close(c->user, f->node);
        vfs_unref(c->fs, f->node);
    }
    memset(f, 0, sizeof *f);
}

/* preopen_root: the descriptor record of a preopened directory: the
 * directory rights as base, and directory plus file rights to pass on, as
 * wasmtime reports for a preopen (read-only parts of the tree refuse
 * changes with EROFS, not through rights). */
static wasi_fd_t preopen_root(vfs_node_t *root) {
    return (wasi_fd_t){.used = true, .kind = WASI_FD_NODE, .node = root, .preopen = true,
                       .rights_base = WASI_RIGHTS_DIRECTORY,
                       .rights_inheriting = WASI_RIGHTS_DIRECTORY | WASI_RIGHTS_REGULAR_FILE};
}

/* stdio_record: the descriptor record wasi_ctx_init puts on fd i (0-2). */
static wasi_fd_t stdio_record(u32 i) {
    u64 rw = i == 0 ? WASI_RIGHT_FD_READ : WASI_RIGHT_FD_WRITE;
    return (wasi_fd_t){.used = true, .kind = WASI_FD_STDIN + (int)i, .rights_base = rw | WASI_RIGHT_POLL_FD_READWRITE};
}

int wasi_ctx_init(wasi_ctx_t *ctx, vfs_t *fs, size_t output_cap) {
    memset(ctx, 0, sizeof *ctx);
    ctx->fs = fs;
    ctx->out.cap = ctx->err.cap = output_cap;
    ctx->nfds = 8;
    ctx->fds = calloc(ctx->nfds, sizeof *ctx->fds);
    if (!ctx->fds) return -1;
    for (u32 i = 0; i < 3; i++) ctx->fds[i] = stdio_record(i);
    vfs_node_t *root = vfs_root(fs);
    vfs_ref(root);
    ctx->fds[3] = preopen_root(root);
    return 0;
}

static void free_strings(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

void wasi_ctx_free(wasi_ctx_t *ctx) {
    for (u32 i = 0; i < ctx->nfds; i++)
        if (ctx->fds[i].used) fd_release(ctx, &ctx->fds[i], false);
    free(ctx->fds);
    free_strings(ctx->preopen_names, ctx->npreopen_names);
    free_strings(ctx->args, ctx->nargs);
    free_strings(ctx->env, ctx->nenv);
    buf_free(&ctx->out.data);
    buf_free(&ctx->err.data);
    memset(ctx, 0, sizeof *ctx);
}

static int copy_strings(char ***dst, size_t *dst_n, const char *const *src, size_t n) {
    char **v = calloc(n ? n : 1, sizeof *v);
    if (!v) return -1;
    for (size_t i = 0; i < n; i++) {
        v[i] = strdup(src[i]);
        if (!v[i]) { free_strings(v, i); return -1; }
    }
    free_strings(*dst, *dst_n);
    *dst = v;
    *dst_n = n;
    return 0;
}

int wasi_set_args(wasi_ctx_t *ctx, const char *const *args, size_t n) {
    return copy_strings(&ctx->args, &ctx->nargs, args, n);
}

int wasi_set_env(wasi_ctx_t *ctx, const char *const *env, size_t n) {
    return copy_strings(&ctx->env, &ctx->nenv, env, n);
}

/* Also puts stdio back on fds 0-2 (fd_renumber may have moved or replaced
 * it, fd_fdstat_set_rights restricted it). */
void wasi_reset_fds(wasi_ctx_t *ctx, bool (*keep)(void *user, vfs_node_t *node), void *user) {
    vfs_node_t *root = vfs_root(ctx->fs);
    for (u32 i = 0; i < 3 && i < ctx->nfds; i++) {
        if (ctx->fds[i].used) fd_release(ctx, &ctx->fds[i], false);
        ctx->fds[i] = stdio_record(i);
    }
    for (u32 i = 3; i < ctx->nfds; i++) {
        wasi_fd_t *f = &ctx->fds[i];
        if (!f->used) continue;
        bool kept = i == 3 ? f->preopen && f->node == root
                           : f->kind == WASI_FD_NODE && !f->preopen && keep(user, f->node);
        if (!kept) fd_release(ctx, f, false);
    }
    if (ctx->nfds <= 3) return; /* never: wasi_ctx_init makes 8 */
    vfs_ref(root);
    if (ctx->fds[3].used) vfs_unref(ctx->fs, ctx->fds[3].node);
    ctx->fds[3] = preopen_root(root);
}

/* ---- named preopens (wasi_add_preopen) ---- */

void wasi_remove_root_preopen(wasi_ctx_t *ctx) {
    if (ctx->nfds > 3 && ctx->fds[3].used && ctx->fds[3].preopen && !ctx->fds[3].preopen_name)
        fd_release(ctx, &ctx->fds[3], false);
}

/* keep_preopen_name: a copy of name owned by the context, or NULL. */
static const char *keep_preopen_name(wasi_ctx_t *ctx, const char *name) {
    char **grown = realloc(ctx->preopen_names, (ctx->npreopen_names + 1) * sizeof *grown);
    if (!grown) return NULL;
    ctx->preopen_names = grown;
    char *copy = strdup(name);
    if (!copy) return NULL;
    ctx->preopen_names[ctx->npreopen_names++] = copy;
    return copy;
}

int wasi_add_preopen(wasi_ctx_t *ctx, vfs_node_t *dir, const char *guest_name) {
    u32 fd;
    if (!guest_name || !*guest_name || strlen(guest_name) > UINT32_MAX / 2 || vfs_kind(dir) != VFS_DIR || fd_alloc(ctx, &fd) != 0) return -1;
    const char *name = keep_preopen_name(ctx, guest_name);
    if (!name) return -1;
    vfs_ref(dir);
    ctx->fds[fd] = preopen_root(dir);
    ctx->fds[fd].preopen_name = name;
    return (int)fd;
}

/* preopen_name: the name fd_prestat_* report for a preopen. */
static const char *preopen_name(const wasi_fd_t *f) { return f->preopen_name ? f->preopen_name : "/"; }

/* ---- args and environment ---- */

static u32 strings_sizes(wasi_ctx_t *c, char **v, size_t n, u32 count_ptr, u32 size_ptr) {
    u64 total = 0;
    for (size_t i = 0; i < n; i++) total += strlen(v[i]) + 1;
    if (total > UINT32_MAX) return WASI_E2BIG;
    int e = put_u32(c, count_ptr, (u32)n);
    return e ? (u32)e : (u32)put_u32(c, size_ptr, (u32)total);
}

static u32 strings_get(wasi_ctx_t *c, char **v, size_t n, u32 ptrs, u32 buf) {
    u32 off = buf;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(v[i]) + 1;
        if (put_u32(c, ptrs + (u32)(i * 4), off) || put_bytes(c, off, v[i], len)) return WASI_EFAULT;
        off += (u32)len;
    }
    return 0;
}

static u32 do_args_sizes_get(wasi_ctx_t *c, u32 argc, u32 size) { return strings_sizes(c, c->args, c->nargs, argc, size); }
static u32 do_args_get(wasi_ctx_t *c, u32 argv, u32 buf) { return strings_get(c, c->args, c->nargs, argv, buf); }
static u32 do_environ_sizes_get(wasi_ctx_t *c, u32 n, u32 size) { return strings_sizes(c, c->env, c->nenv, n, size); }
static u32 do_environ_get(wasi_ctx_t *c, u32 envp, u32 buf) { return strings_get(c, c->env, c->nenv, envp, buf); }

/* ---- clocks, randomness, scheduling ---- */

static int clock_of(u32 id, clockid_t *out) {
    switch (id) {
    case WASI_CLOCK_REALTIME: *out = CLOCK_REALTIME; return 0;
    case WASI_CLOCK_MONOTONIC: *out = CLOCK_MONOTONIC; return 0;
    /* The process clock is the thread's: other workers are not the module's business. */
    case WASI_CLOCK_PROCESS_CPUTIME:
    case WASI_CLOCK_THREAD_CPUTIME: *out = CLOCK_THREAD_CPUTIME_ID; return 0;
    default: return WASI_EINVAL;
    }
}

static u32 do_clock_res_get(wasi_ctx_t *c, u32 id, u32 out) {
    clockid_t cid;
    if (clock_of(id, &cid)) return WASI_EINVAL;
    struct timespec ts;
    clock_getres(cid, &ts);
    return (u32)put_u64(c, out, (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec);
}

static u32 do_clock_time_get(wasi_ctx_t *c, u32 id, u64 precision, u32 out) {
    (void)precision;
    clockid_t cid;
    if (clock_of(id, &cid)) return WASI_EINVAL;
    return (u32)put_u64(c, out, now_ns(cid));
}

static u32 do_random_get(wasi_ctx_t *c, u32 buf, u32 len) {
    u8 *p = gmem(c, buf, len);
    if (!p) return WASI_EFAULT;
    size_t done = 0;
    while (done < len) {
        rt_check_deadline(); /* up to 4 GiB: in 1 MiB steps within the deadline */
        size_t step = len - done < (1u << 20) ? len - done : (1u << 20);
        ssize_t n = getrandom(p + done, step, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return WASI_EIO;
        }
        done += (size_t)n;
    }
    return 0;
}

static u32 do_sched_yield(wasi_ctx_t *c) { (void)c; return 0; }

static u32 do_proc_exit(wasi_ctx_t *c, u32 code) { (void)c; rt_raise_exit(code); }

static u32 do_proc_raise(wasi_ctx_t *c, u32 sig) { (void)c; rt_raise_exit(128 + (sig & 0x7f)); }

/* ---- poll_oneoff: clock subscriptions sleep, descriptors are always ready ---- */

/* sleep_until: sleep on CLOCK_MONOTONIC until the absolute deadline,
 * stopping the guest when its call's timeout comes first. The sleep never
 * goes past the call's own deadline, so the timeout holds even if the
 * watchdog's one signal landed before the sleep began (it would then
 * interrupt nothing). */
static void sleep_until(u64 deadline_ns) {
    rt_check_deadline();
    u64 call_deadline = rt_call_deadline();
    u64 until = call_deadline && call_deadline < deadline_ns ? call_deadline : deadline_ns;
    struct timespec ts = {.tv_sec = (time_t)(until / 1000000000ull), .tv_nsec = (long)(until % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) rt_check_deadline();
    rt_check_deadline();
}

/* Host loops over guest-sized arrays look at the deadline this often. */
#define WASI_DEADLINE_STRIDE 4096u

/* clock_deadline: the subscription's deadline on CLOCK_MONOTONIC. */
static int clock_deadline(const u8 *sub, u64 *deadline) {
    u32 id = load_u32(sub + WASI_SUBSCRIPTION_CLOCK_ID);
    u64 timeout = load_u64(sub + WASI_SUBSCRIPTION_CLOCK_TIMEOUT);
    u16 flags = load_u16(sub + WASI_SUBSCRIPTION_CLOCK_FLAGS);
    clockid_t cid;
    if (clock_of(id, &cid)) return WASI_EINVAL;
    u64 mono = now_ns(CLOCK_MONOTONIC);
    if (flags & WASI_SUBCLOCK_ABSTIME) {
        u64 now = now_ns(cid);
        timeout = timeout > now ? timeout - now : 0;
    }
    *deadline = timeout > UINT64_MAX - mono ? UINT64_MAX : mono + timeout;
    return 0;
}

static int write_event(wasi_ctx_t *c, u32 out, u32 index, u64 userdata, u16 error, u8 type) {
    u8 ev[WASI_EVENT_SIZE];
    memset(ev, 0, sizeof ev);
    memcpy(ev + WASI_EVENT_USERDATA, &userdata, 8);
    memcpy(ev + WASI_EVENT_ERROR, &error, 2);
    ev[WASI_EVENT_TYPE] = type;
    return put_bytes(c, out + index * WASI_EVENT_SIZE, ev, sizeof ev);
}

static u32 do_poll_oneoff(wasi_ctx_t *c, u32 in, u32 out, u32 nsubs, u32 nevents_ptr) {
    if (nsubs == 0) return WASI_EINVAL;
    const u8 *subs = gmem(c, in, (u64)nsubs * WASI_SUBSCRIPTION_SIZE);
    if (!subs || !gmem(c, out, (u64)nsubs * WASI_EVENT_SIZE)) return WASI_EFAULT;
    u32 nevents = 0;
    u64 earliest = UINT64_MAX;
    /* Descriptors (files, stdio) are always ready: report them at once. */
    for (u32 i = 0; i < nsubs; i++) {
        if (i % WASI_DEADLINE_STRIDE == WASI_DEADLINE_STRIDE - 1) rt_check_deadline();
        const u8 *s = subs + (u64)i * WASI_SUBSCRIPTION_SIZE;
        u8 tag = s[WASI_SUBSCRIPTION_TAG];
        u64 userdata = load_u64(s + WASI_SUBSCRIPTION_USERDATA);
        if (tag == WASI_EVENTTYPE_CLOCK) {
            u64 d;
            if (clock_deadline(s, &d)) { write_event(c, out, nevents++, userdata, WASI_EINVAL, tag); continue; }
            if (d < earliest) earliest = d;
        } else if (tag == WASI_EVENTTYPE_FD_READ || tag == WASI_EVENTTYPE_FD_WRITE) {
            const wasi_fd_t *f = fd_get(c, load_u32(s + WASI_SUBSCRIPTION_FD));
            u16 err = !f ? WASI_EBADF : !has_rights(f, WASI_RIGHT_POLL_FD_READWRITE) ? WASI_ENOTCAPABLE : 0;
            write_event(c, out, nevents++, userdata, err, tag);
        } else {
            return WASI_EINVAL;
        }
    }
    if (nevents == 0 && earliest != UINT64_MAX) {
        sleep_until(earliest);
        u64 now = now_ns(CLOCK_MONOTONIC);
        for (u32 i = 0; i < nsubs; i++) {
            if (i % WASI_DEADLINE_STRIDE == WASI_DEADLINE_STRIDE - 1) rt_check_deadline();
            const u8 *s = subs + (u64)i * WASI_SUBSCRIPTION_SIZE;
            u64 d;
            if (s[WASI_SUBSCRIPTION_TAG] == WASI_EVENTTYPE_CLOCK && !clock_deadline(s, &d) && d <= now + 1)
                write_event(c, out, nevents++, load_u64(s + WASI_SUBSCRIPTION_USERDATA), 0, WASI_EVENTTYPE_CLOCK);
        }
        if (nevents == 0) /* rounding: the earliest one is due */
            for (u32 i = 0; i < nsubs && nevents == 0; i++) {
                const u8 *s = subs + (u64)i * WASI_SUBSCRIPTION_SIZE;
                if (s[WASI_SUBSCRIPTION_TAG] == WASI_EVENTTYPE_CLOCK)
                    write_event(c, out, nevents++, load_u64(s + WASI_SUBSCRIPTION_USERDATA), 0, WASI_EVENTTYPE_CLOCK);
            }
    }
    return (u32)put_u32(c, nevents_ptr, nevents);
}

/* ---- descriptor I/O ---- */

typedef struct iov { u8 *base; u32 len; } iov_t;

/* iovs_load: resolve `n` guest iovecs into host pointers. */
static u32 iovs_load(wasi_ctx_t *c, u32 iovs, u32 n, iov_t *out) {
    if (n > WASI_MAX_IOVS) return WASI_EINVAL;
    const u8 *raw = gmem(c, iovs, (u64)n * WASI_IOVEC_SIZE);
    if (!raw) return WASI_EFAULT;
    for (u32 i = 0; i < n; i++) {
        u32 buf = load_u32(raw + i * 8), len = load_u32(raw + i * 8 + 4);
        out[i].base = gmem(c, buf, len);
        out[i].len = len;
        if (!out[i].base) return WASI_EFAULT;
    }
    return 0;
}

static u32 node_write(wasi_ctx_t *c, wasi_fd_t *f, u64 off, const iov_t *iov, u32 n, u64 *written) {
    u64 total = 0;
    for (u32 i = 0; i < n; i++) {
        int e = vfs_write(c->fs, f->node, off + total, iov[i].base, iov[i].len);
        if (e) { *written = total; return total ? 0 : (u32)e; }
        total += iov[i].len;
    }
    *written = total;
    return 0;
}

static u32 node_read(wasi_fd_t *f, u64 off, const iov_t *iov, u32 n, u64 *nread) {
    u64 total = 0;
    for (u32 i = 0; i < n; i++) {
        size_t got = 0;
        int e = vfs_read(f->node, off + total, iov[i].base, iov[i].len, &got);
        if (e) { *nread = total; return total ? 0 : (u32)e; }
        total += got;
        if (got < iov[i].len) break;
    }
    *nread = total;
    return 0;
}

/* stdio_write: the iovecs to a passed-through stdout or stderr, in order;
 * an error after some bytes went out reports those bytes (the next write
 * sees the error). */
static u32 stdio_write(wasi_ctx_t *c, const wasi_fd_t *f, const iov_t *iov, u32 n, u64 *written) {
    int i = stdio_index(f);
    int regular = c->stdio_filetype[i] == WASI_FILETYPE_REGULAR_FILE;
    *written = 0;
    for (u32 k = 0; k < n; k++) {
        size_t done = 0;
        u32 e = wasi_host_write(c->stdio_host_fd[i], iov[k].base, iov[k].len, regular, &done);
        *written += done;
        if (e) return *written ? 0 : e;
    }
    return 0;
}

/* stdio_read: one read from the passed-through stdin into the first
 * non-empty iovec (a short read, as POSIX allows). */
static u32 stdio_read(wasi_ctx_t *c, const iov_t *iov, u32 n, u64 *nread) {
    *nread = 0;
    for (u32 k = 0; k < n; k++) {
        if (!iov[k].len) continue;
        size_t got = 0;
        u32 e = wasi_host_read(c->stdio_host_fd[0], iov[k].base, iov[k].len, &got);
        *nread = got;
        return e;
    }
    return 0;
}

static u32 do_write(wasi_ctx_t *c, u32 fd, u32 iovs, u32 niovs, bool positional, u64 offset, u32 result) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    iov_t iov[WASI_MAX_IOVS];
    u32 e = iovs_load(c, iovs, niovs, iov);
    if (e) return e;
    u64 written = 0;
    if (f->kind == WASI_FD_STDOUT || f->kind == WASI_FD_STDERR) {
        if (positional) return WASI_ESPIPE;
        if (!has_rights(f, WASI_RIGHT_FD_WRITE)) return WASI_ENOTCAPABLE;
        if (c->stdio_passthrough) {
            e = stdio_write(c, f, iov, niovs, &written);
            if (e) return e;
        } else {
            wasi_output_t *o = f->kind == WASI_FD_STDOUT ? &c->out : &c->err;
            for (u32 i = 0; i < niovs; i++) { output_append(o, iov[i].base, iov[i].len); written += iov[i].len; }
        }
    } else if (f->kind != WASI_FD_NODE) {
        return WASI_EBADF;
    } else if (vfs_kind(f->node) == VFS_DIR) {
        return WASI_EISDIR;
    } else if (!has_rights(f, WASI_RIGHT_FD_WRITE | (positional ? WASI_RIGHT_FD_SEEK : 0))) {
        return WASI_ENOTCAPABLE; /* fd_pwrite: fd_write "if fd_seek is set" (witx) */
    } else {
        u64 off = positional ? offset : (f->fdflags & WASI_FDFLAG_APPEND) ? vfs_size(f->node) : f->pos;
        e = node_write(c, f, off, iov, niovs, &written);
        if (e) return e;
        if (!positional) f->pos = off + written;
    }
    if (written > UINT32_MAX) written = UINT32_MAX;
    return (u32)put_u32(c, result, (u32)written);
}

static u32 do_read(wasi_ctx_t *c, u32 fd, u32 iovs, u32 niovs, bool positional, u64 offset, u32 result) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    iov_t iov[WASI_MAX_IOVS];
    u32 e = iovs_load(c, iovs, niovs, iov);
    if (e) return e;
    u64 nread = 0;
    if (f->kind == WASI_FD_STDIN) {
        if (positional) return WASI_ESPIPE;
        if (!has_rights(f, WASI_RIGHT_FD_READ)) return WASI_ENOTCAPABLE;
        if (c->stdio_passthrough && (e = stdio_read(c, iov, niovs, &nread)) != 0) return e;
    } else if (f->kind != WASI_FD_NODE) {
        return WASI_EBADF;
    } else if (vfs_kind(f->node) == VFS_DIR) {
        return WASI_EISDIR;
    } else if (!has_rights(f, WASI_RIGHT_FD_READ | (positional ? WASI_RIGHT_FD_SEEK : 0))) {
        return WASI_ENOTCAPABLE; /* fd_pread: fd_read "if fd_seek is set" (witx) */
    } else {
        u64 off = positional ? offset : f->pos;
        e = node_read(f, off, iov, niovs, &nread);
        if (e) return e;
        if (!positional) f->pos = off + nread;
    }
    return (u32)put_u32(c, result, (u32)nread);
}

static u32 do_fd_write(wasi_ctx_t *c, u32 fd, u32 iovs, u32 n, u32 res) { return do_write(c, fd, iovs, n, false, 0, res); }
static u32 do_fd_pwrite(wasi_ctx_t *c, u32 fd, u32 iovs, u32 n, u64 off, u32 res) { return do_write(c, fd, iovs, n, true, off, res); }
static u32 do_fd_read(wasi_ctx_t *c, u32 fd, u32 iovs, u32 n, u32 res) { return do_read(c, fd, iovs, n, false, 0, res); }
static u32 do_fd_pread(wasi_ctx_t *c, u32 fd, u32 iovs, u32 n, u64 off, u32 res) { return do_read(c, fd, iovs, n, true, off, res); }

/* seekable_fd: a file descriptor fd_seek / fd_tell may use: EBADF if none,
 * ESPIPE for stdio, EBADF for a directory (wasmtime's get_seekable), then
 * ENOTCAPABLE unless it has FD_SEEK, or FD_TELL when `tell_only` (fd_tell,
 * or fd_seek(0, CUR): "the file offset remains unaltered", witx). */
static u32 seekable_fd(wasi_ctx_t *c, u32 fd, bool tell_only, wasi_fd_t **out) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    if (f->kind != WASI_FD_NODE) return WASI_ESPIPE;
    if (vfs_kind(f->node) != VFS_FILE) return WASI_EBADF;
    bool ok = has_rights(f, WASI_RIGHT_FD_SEEK) || (tell_only && has_rights(f, WASI_RIGHT_FD_TELL));
    if (!ok) return WASI_ENOTCAPABLE;
    *out = f;
    return 0;
}

static u32 do_fd_seek(wasi_ctx_t *c, u32 fd, u64 offset, u32 whence, u32 result) {
    wasi_fd_t *f;
    u32 e = seekable_fd(c, fd, offset == 0 && whence == WASI_WHENCE_CUR, &f);
    if (e) return e;
    int64_t delta = (int64_t)offset, base;
    switch (whence) {
    case WASI_WHENCE_SET: base = 0; break;
    case WASI_WHENCE_CUR: base = (int64_t)f->pos; break;
    case WASI_WHENCE_END: base = (int64_t)vfs_size(f->node); break;
    default: return WASI_EINVAL;
    }
    if ((delta > 0 && base > INT64_MAX - delta) || base + delta < 0) return WASI_EINVAL;
    u64 pos = (u64)(base + delta);
    if (!gmem(c, result, 8)) return WASI_EFAULT;
    f->pos = pos;
    return (u32)put_u64(c, result, pos);
}

static u32 do_fd_tell(wasi_ctx_t *c, u32 fd, u32 result) {
    wasi_fd_t *f;
    u32 e = seekable_fd(c, fd, true, &f);
    return e ? e : (u32)put_u64(c, result, f->pos);
}

static u32 do_fd_close(wasi_ctx_t *c, u32 fd) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    if (f->kind != WASI_FD_NODE) return 0; /* stdio stays open: later writes are still captured */
    fd_release(c, f, true);
    return 0;
}

/* Any two open descriptors, stdio included (as wasmtime): `to` is closed
 * first, `from` is free afterwards. */
static u32 do_fd_renumber(wasi_ctx_t *c, u32 from, u32 to) {
    wasi_fd_t *f = fd_get(c, from), *t = fd_get(c, to);
    if (!f || !t) return WASI_EBADF;
    if (from == to) return 0;
    fd_release(c, t, true);
    c->fds[to] = *f;
    memset(f, 0, sizeof *f);
    return 0;
}

/* sync_fd: fd_sync / fd_datasync: nothing to write back in memory, but a
 * file needs the right; stdio succeeds, a directory is EBADF (wasmtime). */
static u32 sync_fd(wasi_ctx_t *c, u32 fd, u64 right) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    if (f->kind != WASI_FD_NODE) return 0;
    return file_fd(c, fd, right, WASI_EBADF, &f);
}

static u32 do_fd_sync(wasi_ctx_t *c, u32 fd) { return sync_fd(c, fd, WASI_RIGHT_FD_SYNC); }
static u32 do_fd_datasync(wasi_ctx_t *c, u32 fd) { return sync_fd(c, fd, WASI_RIGHT_FD_DATASYNC); }

static u32 do_fd_advise(wasi_ctx_t *c, u32 fd, u64 off, u64 len, u32 advice) {
    (void)off; (void)len;
    if (!fd_node(c, fd)) return fd_get(c, fd) ? WASI_ESPIPE : WASI_EBADF;
    wasi_fd_t *f;
    u32 e = file_fd(c, fd, WASI_RIGHT_FD_ADVISE, WASI_EBADF, &f);
    if (e) return e;
    return advice <= 5 ? 0 : WASI_EINVAL;
}

static u32 do_fd_allocate(wasi_ctx_t *c, u32 fd, u64 off, u64 len) {
    wasi_fd_t *f;
    u32 e = file_fd(c, fd, WASI_RIGHT_FD_ALLOCATE, WASI_EISDIR, &f);
    if (e) return e;
    if (len > UINT64_MAX - off) return WASI_EINVAL;
    if (off + len <= vfs_size(f->node)) return vfs_writable(f->node) ? 0 : WASI_EROFS;
    return (u32)vfs_truncate(c->fs, f->node, off + len);
}

static u8 fd_filetype(const wasi_ctx_t *c, const wasi_fd_t *f) {
    if (f->kind != WASI_FD_NODE) return stdio_filetype(c, f);
    return node_filetype(f->node);
}

static u32 do_fd_fdstat_get(wasi_ctx_t *c, u32 fd, u32 out) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    u8 st[WASI_FDSTAT_SIZE];
    memset(st, 0, sizeof st);
    st[WASI_FDSTAT_FILETYPE] = fd_filetype(c, f);
    memcpy(st + WASI_FDSTAT_FLAGS, &f->fdflags, 2);
    memcpy(st + WASI_FDSTAT_RIGHTS_BASE, &f->rights_base, 8);
    memcpy(st + WASI_FDSTAT_RIGHTS_INHERITING, &f->rights_inheriting, 8);
    return (u32)put_bytes(c, out, st, sizeof st);
}

static u32 do_fd_fdstat_set_flags(wasi_ctx_t *c, u32 fd, u32 flags) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    if (f->kind == WASI_FD_NODE && !has_rights(f, WASI_RIGHT_FD_FDSTAT_SET_FLAGS)) return WASI_ENOTCAPABLE;
    if (flags & ~(u32)WASI_FDFLAGS_ALL) return WASI_EINVAL;
    f->fdflags = (u16)flags;
    return 0;
}

/* Rights can only be dropped (witx: "can only remove rights"). */
static u32 do_fd_fdstat_set_rights(wasi_ctx_t *c, u32 fd, u64 base, u64 inheriting) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    if ((base & ~f->rights_base) || (inheriting & ~f->rights_inheriting)) return WASI_ENOTCAPABLE;
    f->rights_base = base;
    f->rights_inheriting = inheriting;
    return 0;
}

static int write_filestat(wasi_ctx_t *c, u32 out, vfs_node_t *n, u8 type_if_no_node) {
    u8 st[WASI_FILESTAT_SIZE];
    memset(st, 0, sizeof st);
    if (n) {
        u64 ino = vfs_ino(n), nlink = vfs_nlink(n), size = vfs_size(n);
        u64 at = vfs_atim(n), mt = vfs_mtim(n), ct = vfs_ctim(n);
        st[WASI_FILESTAT_FILETYPE] = node_filetype(n);
        memcpy(st + WASI_FILESTAT_INO, &ino, 8);
        memcpy(st + WASI_FILESTAT_NLINK, &nlink, 8);
        memcpy(st + WASI_FILESTAT_FILESIZE, &size, 8);
        memcpy(st + WASI_FILESTAT_ATIM, &at, 8);
        memcpy(st + WASI_FILESTAT_MTIM, &mt, 8);
        memcpy(st + WASI_FILESTAT_CTIM, &ct, 8);
    } else {
        st[WASI_FILESTAT_FILETYPE] = type_if_no_node;
    }
    return put_bytes(c, out, st, sizeof st);
}

/* stdio has no rights to check here: it is always a character device (or
 * the host's type when passed through). */
static u32 do_fd_filestat_get(wasi_ctx_t *c, u32 fd, u32 out) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    if (f->kind == WASI_FD_NODE && !has_rights(f, WASI_RIGHT_FD_FILESTAT_GET)) return WASI_ENOTCAPABLE;
    return (u32)write_filestat(c, out, f->kind == WASI_FD_NODE ? f->node : NULL,
                               f->kind == WASI_FD_NODE ? 0 : stdio_filetype(c, f));
}

static u32 do_fd_filestat_set_size(wasi_ctx_t *c, u32 fd, u64 size) {
    wasi_fd_t *f;
    u32 e = file_fd(c, fd, WASI_RIGHT_FD_FILESTAT_SET_SIZE, WASI_EISDIR, &f);
    return e ? e : (u32)vfs_truncate(c->fs, f->node, size);
}

/* fst_flags_valid: no unknown flag, and not both a time and "now" for the
 * same timestamp (EINVAL, checked first, as wasmtime's systimespec). */
static bool fst_flags_valid(u32 flags) {
    return !(((flags & WASI_FSTFLAG_ATIM) && (flags & WASI_FSTFLAG_ATIM_NOW)) ||
             ((flags & WASI_FSTFLAG_MTIM) && (flags & WASI_FSTFLAG_MTIM_NOW)) || (flags & ~0xfu));
}

/* set_times: apply valid fst flags to n; EROFS for a read-only node (the
 * content, module files, the read-only directories). */
static u32 set_times(vfs_node_t *n, u64 atim, u64 mtim, u32 flags) {
    if (!vfs_writable(n)) return WASI_EROFS;
    u64 now = now_ns(CLOCK_REALTIME);
    u64 a = (flags & WASI_FSTFLAG_ATIM_NOW) ? now : (flags & WASI_FSTFLAG_ATIM) ? atim : vfs_atim(n);
    u64 m = (flags & WASI_FSTFLAG_MTIM_NOW) ? now : (flags & WASI_FSTFLAG_MTIM) ? mtim : vfs_mtim(n);
    vfs_set_times(n, a, m);
    return 0;
}

static u32 do_fd_filestat_set_times(wasi_ctx_t *c, u32 fd, u64 atim, u64 mtim, u32 flags) {
    if (!fst_flags_valid(flags)) return WASI_EINVAL;
    wasi_fd_t *f;
    u32 e = node_fd(c, fd, WASI_RIGHT_FD_FILESTAT_SET_TIMES, &f);
    return e ? e : set_times(f->node, atim, mtim, flags);
}

/* ---- preopens and directories ---- */

static u32 do_fd_prestat_get(wasi_ctx_t *c, u32 fd, u32 out) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    if (!f->preopen) return WASI_EBADF;
    u8 st[WASI_PRESTAT_SIZE] = {0};
    u32 len = (u32)strlen(preopen_name(f));
    memcpy(st + WASI_PRESTAT_NAME_LEN, &len, 4);
    return (u32)put_bytes(c, out, st, sizeof st);
}

static u32 do_fd_prestat_dir_name(wasi_ctx_t *c, u32 fd, u32 path, u32 len) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    if (!f->preopen) return WASI_EBADF;
    const char *name = preopen_name(f);
    size_t n = strlen(name);
    if (len < n) return WASI_EINVAL;
    return (u32)put_bytes(c, path, name, n);
}

/* Readdir cookies: 0 is ".", 1 is "..", and 2 + k resumes at the first
 * entry whose directory sequence number is >= k, so entries removed while a
 * guest iterates (rm -r with a buffered readdir) never make it skip others. */
static u64 readdir_next_cookie(u64 seq) { return 2 + seq + 1; }

static u32 do_fd_readdir(wasi_ctx_t *c, u32 fd, u32 buf, u32 buf_len, u64 cookie, u32 used_ptr) {
    wasi_fd_t *f = fd_node(c, fd);
    if (!f) return WASI_EBADF;
    vfs_node_t *dir = f->node;
    if (vfs_kind(dir) != VFS_DIR) return WASI_ENOTDIR;
    if (!has_rights(f, WASI_RIGHT_FD_READDIR)) return WASI_ENOTCAPABLE;
    u8 *out = gmem(c, buf, buf_len);
    if (!out) return WASI_EFAULT;
    u32 used = 0;
    size_t index = cookie < 2 ? 0 : vfs_dir_index_from_seq(dir, cookie - 2);
    u64 phase = cookie < 2 ? cookie : 2; /* 0: ".", 1: "..", 2: the entries */
    while (used < buf_len) {
        const char *name;
        size_t len;
        vfs_node_t *n;
        u64 next, seq;
        if (phase == 0) { n = dir; name = "."; len = 1; next = 1; }
        else if (phase == 1) { n = vfs_parent(dir) ? vfs_parent(dir) : dir; name = ".."; len = 2; next = 2; }
        else if (!(n = vfs_dir_get(dir, index++, &name, &len, &seq))) break;
        else next = readdir_next_cookie(seq);
        u8 d[WASI_DIRENT_SIZE];
        memset(d, 0, sizeof d);
        u64 ino = vfs_ino(n);
        u32 namlen = (u32)len;
        memcpy(d + WASI_DIRENT_NEXT, &next, 8);
        memcpy(d + WASI_DIRENT_INO, &ino, 8);
        memcpy(d + WASI_DIRENT_NAMLEN, &namlen, 4);
        d[WASI_DIRENT_TYPE] = node_filetype(n);
        /* Write as much as fits, a partial entry included: the guest
         * retries with a larger buffer when the buffer came back full. */
        u32 take = buf_len - used < sizeof d ? buf_len - used : (u32)sizeof d;
        memcpy(out + used, d, take);
        used += take;
        take = buf_len - used < namlen ? buf_len - used : namlen;
        memcpy(out + used, name, take);
        used += take;
        if (phase < 2) phase++;
    }
    return (u32)put_u32(c, used_ptr, used);
}

/* ---- paths ----
 * Every path is resolved beneath the directory descriptor it comes with
 * (VFS_BENEATH): an absolute path, a ".." above that directory, or a
 * symbolic link whose target is absolute or climbs above it is EPERM
 * (wasmtime: cap-std's escape_attempt, reported as ERRNO_PERM). Symbolic
 * links in the middle of a path are followed; the last component only
 * with LOOKUPFLAGS_SYMLINK_FOLLOW (or a trailing '/'), and never for the
 * calls that act on the entry itself (create, link, unlink, rename). */

/* dir_fd: the directory descriptor fd with every right in need: EBADF if
 * there is none or it is stdio (wasmtime), ENOTDIR for a file, then
 * ENOTCAPABLE if a right is missing. */
static u32 dir_fd(wasi_ctx_t *c, u32 fd, u64 need, wasi_fd_t **out) {
    wasi_fd_t *f = fd_node(c, fd);
    if (!f) return WASI_EBADF;
    if (vfs_kind(f->node) != VFS_DIR) return WASI_ENOTDIR;
    if (!has_rights(f, need)) return WASI_ENOTCAPABLE;
    *out = f;
    return 0;
}

/* guest_path: the guest's path bytes. */
static u32 guest_path(wasi_ctx_t *c, u32 ptr, u32 len, const char **out) {
    const u8 *p = gmem(c, ptr, len);
    if (!p) return WASI_EFAULT;
    *out = (const char *)p;
    return 0;
}

/* walk: resolve the guest path [path, path+len) beneath directory d with
 * the VFS_* flags (VFS_BENEATH added). */
static u32 walk(wasi_ctx_t *c, const wasi_fd_t *d, u32 path, u32 len, unsigned flags, vfs_where_t *w) {
    const char *p;
    u32 e = guest_path(c, path, len, &p);
    return e ? e : (u32)vfs_resolve(c->fs, d->node, p, len, flags | VFS_BENEATH, w);
}

/* lookup_flags: VFS_FOLLOW for LOOKUPFLAGS_SYMLINK_FOLLOW. */
static unsigned lookup_flags(u32 lookup) { return (lookup & WASI_LOOKUP_SYMLINK_FOLLOW) ? VFS_FOLLOW : 0; }

/* find: the node a path names (ENOENT if none). */
static u32 find(wasi_ctx_t *c, u32 fd, u64 need, u32 lookup, u32 path, u32 len, vfs_node_t **out) {
    wasi_fd_t *d;
    vfs_where_t w;
    u32 e = dir_fd(c, fd, need, &d);
    if (!e) e = walk(c, d, path, len, lookup_flags(lookup), &w);
    if (!e && !w.node) e = WASI_ENOENT;
    if (!e) *out = w.node;
    return e;
}

/* find_entry: the entry a path's last component is (VFS_PARENT: links
 * there are not followed; w->name is NULL for "." or ".."). */
static u32 find_entry(wasi_ctx_t *c, u32 fd, u64 need, u32 path, u32 len, vfs_where_t *w) {
    wasi_fd_t *d;
    u32 e = dir_fd(c, fd, need, &d);
    return e ? e : walk(c, d, path, len, VFS_PARENT, w);
}

/* new_entry_error: the errno for making a non-directory entry where w is
 * (symbolic and hard links): EEXIST if the name is taken, ENOTDIR for a
 * trailing '/' on an existing non-directory, ENOENT for a trailing '/' on
 * a new name (wasmtime's path_symlink_trailing_slashes, path_link); 0 if
 * the entry may be made. */
static u32 new_entry_error(const vfs_where_t *w) {
    if (!w->name) return WASI_EEXIST;
    if (w->node) return w->slash && vfs_kind(w->node) != VFS_DIR ? WASI_ENOTDIR : WASI_EEXIST;
    return w->slash ? WASI_ENOENT : 0;
}

/* open_rights: the directory rights path_open needs: PATH_OPEN, plus
 * PATH_CREATE_FILE for O_CREAT and PATH_FILESTAT_SET_SIZE for O_TRUNC
 * (witx rights documentation). */
static u64 open_rights(u32 oflags) {
    u64 need = WASI_RIGHT_PATH_OPEN;
    if (oflags & WASI_O_CREAT) need |= WASI_RIGHT_PATH_CREATE_FILE;
    if (oflags & WASI_O_TRUNC) need |= WASI_RIGHT_PATH_FILESTAT_SET_SIZE;
    return need;
}

/* open_existing: the checks path_open makes on a node that exists. A
 * symbolic link left unfollowed is ELOOP (O_NOFOLLOW, wasmtime's
 * nofollow_errors); a directory cannot be opened for writing or truncated
 * (EISDIR); truncation needs a writable file (EROFS). Asking for FD_WRITE
 * on a read-only file is allowed, as in the original WADUP: SQLite opens
 * its database read-write; the writes then fail with EROFS. */
static u32 open_existing(vfs_node_t *n, u32 oflags, u64 rights_base) {
    if ((oflags & WASI_O_CREAT) && (oflags & WASI_O_EXCL)) return WASI_EEXIST;
    if (vfs_kind(n) == VFS_SYMLINK) return WASI_ELOOP;
    if ((oflags & WASI_O_DIRECTORY) && vfs_kind(n) != VFS_DIR) return WASI_ENOTDIR;
    if (vfs_kind(n) == VFS_DIR && ((rights_base & WASI_RIGHT_FD_WRITE) || (oflags & WASI_O_TRUNC))) return WASI_EISDIR;
    if ((oflags & WASI_O_TRUNC) && !vfs_writable(n)) return WASI_EROFS;
    return 0;
}

/* open_node: find or create (O_CREAT) the node path_open names. The last
 * component is followed with SYMLINK_FOLLOW, except with O_CREAT|O_EXCL
 * (O_EXCL never follows: POSIX); following a dangling link with O_CREAT
 * creates its target, beneath the directory like any other path. */
static u32 open_node(wasi_ctx_t *c, const wasi_fd_t *d, u32 lookup, u32 path, u32 len, u32 oflags,
                     u64 rights_base, vfs_node_t **out) {
    bool excl = (oflags & WASI_O_CREAT) && (oflags & WASI_O_EXCL);
    vfs_where_t w;
    u32 e = walk(c, d, path, len, excl ? 0 : lookup_flags(lookup), &w);
    if (e) return e;
    if (w.node) {
        e = open_existing(w.node, oflags, rights_base);
        if (!e) *out = w.node;
        return e;
    }
    if (!(oflags & WASI_O_CREAT) || w.slash) return WASI_ENOENT;
    return (u32)vfs_create_file(c->fs, w.dir, w.name, w.name_len, out);
}

/* O_DIRECTORY with O_CREAT, O_EXCL or O_TRUNC is EINVAL (wasmtime). The
 * new descriptor's rights: see child_rights. */
static u32 do_path_open(wasi_ctx_t *c, u32 dirfd, u32 lookup, u32 path, u32 len, u32 oflags,
                        u64 rights_base, u64 rights_inheriting, u32 fdflags, u32 fd_out) {
    if (fdflags & ~(u32)WASI_FDFLAGS_ALL) return WASI_EINVAL;
    if (!gmem(c, fd_out, 4)) return WASI_EFAULT;
    wasi_fd_t *d;
    u32 e = dir_fd(c, dirfd, open_rights(oflags), &d);
    if (e) return e;
    if ((oflags & WASI_O_DIRECTORY) && (oflags & (WASI_O_CREAT | WASI_O_EXCL | WASI_O_TRUNC))) return WASI_EINVAL;
    u32 fd;
    if (fd_alloc(c, &fd) != 0) return WASI_EMFILE;
    d = &c->fds[dirfd]; /* fd_alloc may have moved the table */
    vfs_node_t *n;
    e = open_node(c, d, lookup, path, len, oflags, rights_base, &n);
    if (e) return e;
    if ((oflags & WASI_O_TRUNC) && vfs_kind(n) == VFS_FILE) {
        e = (u32)vfs_truncate(c->fs, n, 0);
        if (e) return e;
    }
    u64 base, inheriting;
    child_rights(d, vfs_kind(n), rights_base, rights_inheriting, &base, &inheriting);
    vfs_ref(n);
    c->fds[fd] = (wasi_fd_t){.used = true, .kind = WASI_FD_NODE, .node = n, .fdflags = (u16)fdflags,
                             .rights_base = base, .rights_inheriting = inheriting};
    return (u32)put_u32(c, fd_out, fd);
}

/* "." or ".." as the new name exists already (EEXIST, as mkdir(2)). */
static u32 do_path_create_directory(wasi_ctx_t *c, u32 fd, u32 path, u32 len) {
    vfs_where_t w;
    u32 e = find_entry(c, fd, WASI_RIGHT_PATH_CREATE_DIRECTORY, path, len, &w);
    if (e) return e;
    if (!w.name || w.node) return WASI_EEXIST;
    return (u32)vfs_mkdir(c->fs, w.dir, w.name, w.name_len, NULL);
}

/* A symbolic link, even to a directory, is ENOTDIR (not followed). */
static u32 do_path_remove_directory(wasi_ctx_t *c, u32 fd, u32 path, u32 len) {
    vfs_where_t w;
    u32 e = find_entry(c, fd, WASI_RIGHT_PATH_REMOVE_DIRECTORY, path, len, &w);
    if (e) return e;
    if (!w.name) return WASI_EINVAL;
    if (!w.node) return WASI_ENOENT;
    if (vfs_kind(w.node) != VFS_DIR) return WASI_ENOTDIR;
    return (u32)vfs_rmdir(c->fs, w.dir, w.name, w.name_len);
}

/* Removes a file or a symbolic link itself; "name/" on a non-directory is
 * ENOTDIR, a directory EISDIR (POSIX, wasmtime's
 * unlink_file_trailing_slashes). */
static u32 do_path_unlink_file(wasi_ctx_t *c, u32 fd, u32 path, u32 len) {
    vfs_where_t w;
    u32 e = find_entry(c, fd, WASI_RIGHT_PATH_UNLINK_FILE, path, len, &w);
    if (e) return e;
    if (!w.name) return WASI_EISDIR;
    if (!w.node) return WASI_ENOENT;
    if (vfs_kind(w.node) == VFS_DIR) return WASI_EISDIR;
    if (w.slash) return WASI_ENOTDIR;
    return (u32)vfs_unlink(c->fs, w.dir, w.name, w.name_len);
}

/* rename_slash_error: a trailing '/' on either name requires the source
 * to be a directory, and an existing target too (ENOTDIR). */
static u32 rename_slash_error(const vfs_where_t *from, const vfs_where_t *to) {
    if (!from->slash && !to->slash) return 0;
    if (vfs_kind(from->node) != VFS_DIR) return WASI_ENOTDIR;
    return to->node && vfs_kind(to->node) != VFS_DIR ? WASI_ENOTDIR : 0;
}

/* Renames the entries themselves (links are not followed). */
static u32 do_path_rename(wasi_ctx_t *c, u32 fd, u32 old_path, u32 old_len, u32 new_fd, u32 new_path, u32 new_len) {
    vfs_where_t from, to;
    u32 e = find_entry(c, fd, WASI_RIGHT_PATH_RENAME_SOURCE, old_path, old_len, &from);
    if (!e) e = find_entry(c, new_fd, WASI_RIGHT_PATH_RENAME_TARGET, new_path, new_len, &to);
    if (e) return e;
    if (!from.name || !to.name) return WASI_EINVAL;
    if (!from.node) return WASI_ENOENT;
    e = rename_slash_error(&from, &to);
    return e ? e : (u32)vfs_rename(c->fs, from.dir, from.name, from.name_len, to.dir, to.name, to.name_len);
}

static u32 do_path_filestat_get(wasi_ctx_t *c, u32 fd, u32 flags, u32 path, u32 len, u32 out) {
    vfs_node_t *n;
    u32 e = find(c, fd, WASI_RIGHT_PATH_FILESTAT_GET, flags, path, len, &n);
    return e ? e : (u32)write_filestat(c, out, n, 0);
}

/* Without SYMLINK_FOLLOW a link's own times change (wasmtime's
 * symlink_filestat). */
static u32 do_path_filestat_set_times(wasi_ctx_t *c, u32 fd, u32 flags, u32 path, u32 len, u64 atim, u64 mtim, u32 fst) {
    if (!fst_flags_valid(fst)) return WASI_EINVAL;
    vfs_node_t *n;
    u32 e = find(c, fd, WASI_RIGHT_PATH_FILESTAT_SET_TIMES, flags, path, len, &n);
    return e ? e : set_times(n, atim, mtim, fst);
}

/* The target, cut to buf_len bytes without error (wasmtime's readlink);
 * EINVAL for anything but a symbolic link (readlink(2)). */
static u32 do_path_readlink(wasi_ctx_t *c, u32 fd, u32 path, u32 len, u32 buf, u32 buf_len, u32 used) {
    vfs_node_t *n;
    u32 e = find(c, fd, WASI_RIGHT_PATH_READLINK, 0, path, len, &n);
    if (e) return e;
    const char *target;
    size_t tlen;
    if (vfs_readlink(n, &target, &tlen) != VFS_OK) return WASI_EINVAL;
    u32 n_out = tlen < buf_len ? (u32)tlen : buf_len;
    if (!gmem(c, buf, buf_len) || !gmem(c, used, 4)) return WASI_EFAULT;
    put_bytes(c, buf, target, n_out);
    return (u32)put_u32(c, used, n_out);
}

/* A hard link to the entry itself (a symbolic link too, even dangling or
 * looping): SYMLINK_FOLLOW is EINVAL, a directory EPERM (wasmtime's
 * path_link); a read-only file EXDEV (see vfs_link). */
static u32 do_path_link(wasi_ctx_t *c, u32 fd, u32 flags, u32 op, u32 ol, u32 nfd, u32 np, u32 nl) {
    vfs_where_t from, to;
    wasi_fd_t *source, *target;
    u32 e = dir_fd(c, fd, WASI_RIGHT_PATH_LINK_SOURCE, &source);
    if (!e) e = dir_fd(c, nfd, WASI_RIGHT_PATH_LINK_TARGET, &target);
    if (!e && (flags & WASI_LOOKUP_SYMLINK_FOLLOW)) e = WASI_EINVAL;
    if (!e) e = walk(c, source, op, ol, VFS_PARENT, &from);
    if (e) return e;
    if (!from.name) return WASI_EPERM; /* "." or "..": a directory */
    if (!from.node) return WASI_ENOENT;
    if (from.slash && vfs_kind(from.node) != VFS_DIR) return WASI_ENOTDIR;
    e = walk(c, target, np, nl, VFS_PARENT, &to);
    if (!e) e = new_entry_error(&to);
    return e ? e : (u32)vfs_link(c->fs, from.node, to.dir, to.name, to.name_len);
}

/* path_symlink(old_path, fd, new_path): the target is stored as given;
 * an absolute one is refused (EPERM, as cap-std: it could never be
 * followed), an empty one is ENOENT. */
static u32 do_path_symlink(wasi_ctx_t *c, u32 op, u32 ol, u32 fd, u32 np, u32 nl) {
    const char *target;
    vfs_where_t w;
    u32 e = guest_path(c, op, ol, &target);
    if (!e) e = find_entry(c, fd, WASI_RIGHT_PATH_SYMLINK, np, nl, &w);
    if (e) return e;
    if (ol && target[0] == '/') return WASI_EPERM;
    e = new_entry_error(&w);
    return e ? e : (u32)vfs_symlink(c->fs, w.dir, w.name, w.name_len, target, ol, NULL);
}

/* ---- sockets: none in the sandbox ---- */

static u32 not_a_socket(wasi_ctx_t *c, u32 fd) { return fd_get(c, fd) ? WASI_ENOTSOCK : WASI_EBADF; }
static u32 do_sock_accept(wasi_ctx_t *c, u32 fd, u32 flags, u32 out) { (void)flags; (void)out; return not_a_socket(c, fd); }
static u32 do_sock_recv(wasi_ctx_t *c, u32 fd, u32 a, u32 b, u32 d, u32 e, u32 f) {
    (void)a; (void)b; (void)d; (void)e; (void)f;
    return not_a_socket(c, fd);
}
static u32 do_sock_send(wasi_ctx_t *c, u32 fd, u32 a, u32 b, u32 d, u32 e) {
    (void)a; (void)b; (void)d; (void)e;
    return not_a_socket(c, fd);
}
static u32 do_sock_shutdown(wasi_ctx_t *c, u32 fd, u32 how) { (void)how; return not_a_socket(c, fd); }

/* ---- exported functions: the ABI wasm2c code links against ---- */

#define WASI_FN(name, sig, params, args)                                  \
    u32 Z_wasi_snapshot_preview1Z_##name params;                          \
    u32 Z_wasi_snapshot_preview1Z_##name params {                         \
        rt_host_enter();                                                  \
        u32 r_ = do_##name args;                                          \
        rt_host_leave();                                                  \
        return r_;                                                        \
    }
#include "wasi/wasi_functions.def"
#undef WASI_FN

void Z_wasi_snapshot_preview1Z_proc_exit(wasi_ctx_t *c, u32 code);
void Z_wasi_snapshot_preview1Z_proc_exit(wasi_ctx_t *c, u32 code) {
    rt_host_enter();
    do_proc_exit(c, code);
}

typedef struct wasi_signature { const char *name, *sig; } wasi_signature_t;

static const wasi_signature_t wasi_signatures[] = {
#define WASI_FN(name, sig, params, args) {#name, sig},
#include "wasi/wasi_functions.def"
#undef WASI_FN
    {"proc_exit", "i:"},
};

#define WASI_NFUNCTIONS (sizeof wasi_signatures / sizeof *wasi_signatures)

const char *wasi_import_signature(const char *name) {
    for (size_t i = 0; i < WASI_NFUNCTIONS; i++)
        if (strcmp(wasi_signatures[i].name, name) == 0) return wasi_signatures[i].sig;
    return NULL;
}

size_t wasi_function_count(void) { return WASI_NFUNCTIONS; }
const char *wasi_function_name(size_t i) { return i < WASI_NFUNCTIONS ? wasi_signatures[i].name : NULL; }
