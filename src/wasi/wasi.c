/* wasi.c — WASI preview1 for guest modules, on top of the virtual
 * filesystem (vfs/) and the runtime (rt/). See wasi.h for the contract.
 *
 * Layout: guest-memory access helpers; descriptor table; one do_<name>
 * function per WASI call returning a WASI errno; the exported
 * Z_wasi_snapshot_preview1Z_<name> wrappers that wasm2c code calls. */
#include "wasi/wasi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "rt/rt.h"
#include "wasi/wasi_abi.h"

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

/* ---- descriptor table ---- */

static wasi_fd_t *fd_get(wasi_ctx_t *c, u32 fd) {
    return fd < c->nfds && c->fds[fd].used ? &c->fds[fd] : NULL;
}

static wasi_fd_t *fd_node(wasi_ctx_t *c, u32 fd) {
    wasi_fd_t *f = fd_get(c, fd);
    return f && f->kind == WASI_FD_NODE ? f : NULL;
}

/* fd_alloc: lowest free descriptor number (>= 3), or -1. */
static int fd_alloc(wasi_ctx_t *c, u32 *out) {
    for (u32 i = 3; i < c->nfds; i++)
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

/* preopen_root: the descriptor record of the preopened root. */
static wasi_fd_t preopen_root(vfs_node_t *root) {
    return (wasi_fd_t){.used = true, .kind = WASI_FD_NODE, .node = root, .preopen = true,
                       .rights_base = WASI_RIGHTS_ALL, .rights_inheriting = WASI_RIGHTS_ALL};
}

int wasi_ctx_init(wasi_ctx_t *ctx, vfs_t *fs, size_t output_cap) {
    memset(ctx, 0, sizeof *ctx);
    ctx->fs = fs;
    ctx->out.cap = ctx->err.cap = output_cap;
    ctx->nfds = 8;
    ctx->fds = calloc(ctx->nfds, sizeof *ctx->fds);
    if (!ctx->fds) return -1;
    ctx->fds[0] = (wasi_fd_t){.used = true, .kind = WASI_FD_STDIN,
                              .rights_base = WASI_RIGHT_FD_READ | WASI_RIGHT_POLL_FD_READWRITE};
    ctx->fds[1] = (wasi_fd_t){.used = true, .kind = WASI_FD_STDOUT,
                              .rights_base = WASI_RIGHT_FD_WRITE | WASI_RIGHT_POLL_FD_READWRITE};
    ctx->fds[2] = ctx->fds[1];
    ctx->fds[2].kind = WASI_FD_STDERR;
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

void wasi_reset_fds(wasi_ctx_t *ctx, bool (*keep)(void *user, vfs_node_t *node), void *user) {
    vfs_node_t *root = vfs_root(ctx->fs);
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
            u16 err = fd_get(c, load_u32(s + WASI_SUBSCRIPTION_FD)) ? 0 : WASI_EBADF;
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

static u32 do_write(wasi_ctx_t *c, u32 fd, u32 iovs, u32 niovs, bool positional, u64 offset, u32 result) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    iov_t iov[WASI_MAX_IOVS];
    u32 e = iovs_load(c, iovs, niovs, iov);
    if (e) return e;
    u64 written = 0;
    if (f->kind == WASI_FD_STDOUT || f->kind == WASI_FD_STDERR) {
        if (positional) return WASI_ESPIPE;
        wasi_output_t *o = f->kind == WASI_FD_STDOUT ? &c->out : &c->err;
        for (u32 i = 0; i < niovs; i++) { output_append(o, iov[i].base, iov[i].len); written += iov[i].len; }
    } else if (f->kind != WASI_FD_NODE || !(f->rights_base & WASI_RIGHT_FD_WRITE)) {
        return WASI_EBADF;
    } else if (vfs_kind(f->node) == VFS_DIR) {
        return WASI_EISDIR;
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
    } else if (f->kind != WASI_FD_NODE || !(f->rights_base & WASI_RIGHT_FD_READ)) {
        return WASI_EBADF;
    } else if (vfs_kind(f->node) == VFS_DIR) {
        return WASI_EISDIR;
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

static u32 do_fd_seek(wasi_ctx_t *c, u32 fd, u64 offset, u32 whence, u32 result) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    if (f->kind != WASI_FD_NODE) return WASI_ESPIPE;
    if (vfs_kind(f->node) == VFS_DIR) return WASI_EBADF;
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
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    if (f->kind != WASI_FD_NODE) return WASI_ESPIPE;
    return (u32)put_u64(c, result, f->pos);
}

static u32 do_fd_close(wasi_ctx_t *c, u32 fd) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    if (fd <= 2) return 0; /* stdio stays open: later writes are still captured */
    fd_release(c, f, true);
    return 0;
}

static u32 do_fd_renumber(wasi_ctx_t *c, u32 from, u32 to) {
    wasi_fd_t *f = fd_get(c, from), *t = fd_get(c, to);
    if (!f || !t) return WASI_EBADF;
    if (from == to) return 0;
    if (to <= 2 || from <= 2) return WASI_ENOTSUP;
    fd_release(c, t, true);
    c->fds[to] = *f;
    memset(f, 0, sizeof *f);
    return 0;
}

static u32 do_fd_sync(wasi_ctx_t *c, u32 fd) { return fd_get(c, fd) ? 0 : WASI_EBADF; }
static u32 do_fd_datasync(wasi_ctx_t *c, u32 fd) { return fd_get(c, fd) ? 0 : WASI_EBADF; }

static u32 do_fd_advise(wasi_ctx_t *c, u32 fd, u64 off, u64 len, u32 advice) {
    (void)off; (void)len;
    if (!fd_node(c, fd)) return fd_get(c, fd) ? WASI_ESPIPE : WASI_EBADF;
    return advice <= 5 ? 0 : WASI_EINVAL;
}

static u32 do_fd_allocate(wasi_ctx_t *c, u32 fd, u64 off, u64 len) {
    wasi_fd_t *f = fd_node(c, fd);
    if (!f || !(f->rights_base & WASI_RIGHT_FD_WRITE)) return WASI_EBADF;
    if (vfs_kind(f->node) == VFS_DIR) return WASI_EISDIR;
    if (len > UINT64_MAX - off) return WASI_EINVAL;
    if (off + len <= vfs_size(f->node)) return 0;
    return (u32)vfs_truncate(c->fs, f->node, off + len);
}

static u8 fd_filetype(const wasi_fd_t *f) {
    if (f->kind != WASI_FD_NODE) return WASI_FILETYPE_CHARACTER_DEVICE;
    return vfs_kind(f->node) == VFS_DIR ? WASI_FILETYPE_DIRECTORY : WASI_FILETYPE_REGULAR_FILE;
}

static u32 do_fd_fdstat_get(wasi_ctx_t *c, u32 fd, u32 out) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    u8 st[WASI_FDSTAT_SIZE];
    memset(st, 0, sizeof st);
    st[WASI_FDSTAT_FILETYPE] = fd_filetype(f);
    memcpy(st + WASI_FDSTAT_FLAGS, &f->fdflags, 2);
    memcpy(st + WASI_FDSTAT_RIGHTS_BASE, &f->rights_base, 8);
    memcpy(st + WASI_FDSTAT_RIGHTS_INHERITING, &f->rights_inheriting, 8);
    return (u32)put_bytes(c, out, st, sizeof st);
}

static u32 do_fd_fdstat_set_flags(wasi_ctx_t *c, u32 fd, u32 flags) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    if (flags & ~(u32)WASI_FDFLAGS_ALL) return WASI_EINVAL;
    f->fdflags = (u16)flags;
    return 0;
}

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
        st[WASI_FILESTAT_FILETYPE] = vfs_kind(n) == VFS_DIR ? WASI_FILETYPE_DIRECTORY : WASI_FILETYPE_REGULAR_FILE;
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

static u32 do_fd_filestat_get(wasi_ctx_t *c, u32 fd, u32 out) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    return (u32)write_filestat(c, out, f->kind == WASI_FD_NODE ? f->node : NULL, WASI_FILETYPE_CHARACTER_DEVICE);
}

static u32 do_fd_filestat_set_size(wasi_ctx_t *c, u32 fd, u64 size) {
    wasi_fd_t *f = fd_node(c, fd);
    if (!f || !(f->rights_base & WASI_RIGHT_FD_WRITE)) return WASI_EBADF;
    if (vfs_kind(f->node) == VFS_DIR) return WASI_EISDIR;
    return (u32)vfs_truncate(c->fs, f->node, size);
}

static u32 set_times(vfs_node_t *n, u64 atim, u64 mtim, u32 flags) {
    if (((flags & WASI_FSTFLAG_ATIM) && (flags & WASI_FSTFLAG_ATIM_NOW)) ||
        ((flags & WASI_FSTFLAG_MTIM) && (flags & WASI_FSTFLAG_MTIM_NOW)) || (flags & ~0xfu))
        return WASI_EINVAL;
    u64 now = now_ns(CLOCK_REALTIME);
    u64 a = (flags & WASI_FSTFLAG_ATIM_NOW) ? now : (flags & WASI_FSTFLAG_ATIM) ? atim : vfs_atim(n);
    u64 m = (flags & WASI_FSTFLAG_MTIM_NOW) ? now : (flags & WASI_FSTFLAG_MTIM) ? mtim : vfs_mtim(n);
    vfs_set_times(n, a, m);
    return 0;
}

static u32 do_fd_filestat_set_times(wasi_ctx_t *c, u32 fd, u64 atim, u64 mtim, u32 flags) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    if (f->kind != WASI_FD_NODE) return WASI_EINVAL;
    return set_times(f->node, atim, mtim, flags);
}

/* ---- preopens and directories ---- */

static u32 do_fd_prestat_get(wasi_ctx_t *c, u32 fd, u32 out) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    if (!f->preopen) return WASI_EBADF;
    u8 st[WASI_PRESTAT_SIZE] = {0};
    u32 len = 1;
    memcpy(st + WASI_PRESTAT_NAME_LEN, &len, 4);
    return (u32)put_bytes(c, out, st, sizeof st);
}

static u32 do_fd_prestat_dir_name(wasi_ctx_t *c, u32 fd, u32 path, u32 len) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    if (!f->preopen) return WASI_EBADF;
    if (len < 1) return WASI_EINVAL;
    return (u32)put_bytes(c, path, "/", 1);
}

/* Readdir cookies: 0 is ".", 1 is "..", and 2 + k resumes at the first
 * entry whose directory sequence number is >= k, so entries removed while a
 * guest iterates (rm -r with a buffered readdir) never make it skip others. */
static u64 readdir_next_cookie(const vfs_node_t *entry) { return 2 + vfs_dir_seq(entry) + 1; }

static u32 do_fd_readdir(wasi_ctx_t *c, u32 fd, u32 buf, u32 buf_len, u64 cookie, u32 used_ptr) {
    wasi_fd_t *f = fd_node(c, fd);
    if (!f) return WASI_EBADF;
    vfs_node_t *dir = f->node;
    if (vfs_kind(dir) != VFS_DIR) return WASI_ENOTDIR;
    u8 *out = gmem(c, buf, buf_len);
    if (!out) return WASI_EFAULT;
    u32 used = 0;
    size_t index = cookie < 2 ? 0 : vfs_dir_index_from_seq(dir, cookie - 2);
    u64 phase = cookie < 2 ? cookie : 2; /* 0: ".", 1: "..", 2: the entries */
    while (used < buf_len) {
        const char *name;
        size_t len;
        vfs_node_t *n;
        u64 next;
        if (phase == 0) { n = dir; name = "."; len = 1; next = 1; }
        else if (phase == 1) { n = vfs_parent(dir) ? vfs_parent(dir) : dir; name = ".."; len = 2; next = 2; }
        else if (!(n = vfs_dir_entry(dir, index++, &name, &len))) break;
        else next = readdir_next_cookie(n);
        u8 d[WASI_DIRENT_SIZE];
        memset(d, 0, sizeof d);
        u64 ino = vfs_ino(n);
        u32 namlen = (u32)len;
        memcpy(d + WASI_DIRENT_NEXT, &next, 8);
        memcpy(d + WASI_DIRENT_INO, &ino, 8);
        memcpy(d + WASI_DIRENT_NAMLEN, &namlen, 4);
        d[WASI_DIRENT_TYPE] = vfs_kind(n) == VFS_DIR ? WASI_FILETYPE_DIRECTORY : WASI_FILETYPE_REGULAR_FILE;
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

/* ---- paths ---- */

/* dir_fd: the directory node of a descriptor, with the errno if not. */
static u32 dir_fd(wasi_ctx_t *c, u32 fd, vfs_node_t **dir) {
    wasi_fd_t *f = fd_get(c, fd);
    if (!f) return WASI_EBADF;
    if (f->kind != WASI_FD_NODE || vfs_kind(f->node) != VFS_DIR) return WASI_ENOTDIR;
    *dir = f->node;
    return 0;
}

/* guest_path: the guest's path bytes. */
static u32 guest_path(wasi_ctx_t *c, u32 ptr, u32 len, const char **out) {
    const u8 *p = gmem(c, ptr, len);
    if (!p) return WASI_EFAULT;
    *out = (const char *)p;
    return 0;
}

static u32 resolve(wasi_ctx_t *c, u32 fd, u32 path, u32 len, vfs_node_t **out) {
    vfs_node_t *dir;
    const char *p;
    u32 e = dir_fd(c, fd, &dir);
    if (!e) e = guest_path(c, path, len, &p);
    if (!e) e = (u32)vfs_lookup(c->fs, dir, p, len, out);
    return e;
}

static u32 resolve_parent(wasi_ctx_t *c, u32 fd, u32 path, u32 len, vfs_node_t **parent,
                          const char **name, size_t *name_len) {
    vfs_node_t *dir;
    const char *p;
    u32 e = dir_fd(c, fd, &dir);
    if (!e) e = guest_path(c, path, len, &p);
    if (!e) e = (u32)vfs_lookup_parent(c->fs, dir, p, len, parent, name, name_len);
    return e;
}

/* open_node: find or create the node path_open names. */
static u32 open_node(wasi_ctx_t *c, u32 dirfd, u32 path, u32 len, u32 oflags, vfs_node_t **out) {
    if (!(oflags & WASI_O_CREAT)) return resolve(c, dirfd, path, len, out);
    vfs_node_t *parent;
    const char *name;
    size_t name_len;
    u32 e = resolve_parent(c, dirfd, path, len, &parent, &name, &name_len);
    if (e) return e;
    vfs_node_t *existing = vfs_child(parent, name, name_len);
    if (existing) return (oflags & WASI_O_EXCL) ? WASI_EEXIST : (*out = existing, 0);
    if (oflags & WASI_O_DIRECTORY) return WASI_EINVAL;
    return (u32)vfs_create_file(c->fs, parent, name, name_len, out);
}

static u32 do_path_open(wasi_ctx_t *c, u32 dirfd, u32 lookup, u32 path, u32 len, u32 oflags,
                        u64 rights_base, u64 rights_inheriting, u32 fdflags, u32 fd_out) {
    (void)lookup; /* no symlinks in the virtual filesystem */
    if (fdflags & ~(u32)WASI_FDFLAGS_ALL) return WASI_EINVAL;
    if (!gmem(c, fd_out, 4)) return WASI_EFAULT;
    vfs_node_t *n;
    u32 e = open_node(c, dirfd, path, len, oflags, &n);
    if (e) return e;
    bool is_dir = vfs_kind(n) == VFS_DIR;
    bool wants_write = (rights_base & WASI_RIGHT_FD_WRITE) || (oflags & WASI_O_TRUNC);
    if ((oflags & WASI_O_DIRECTORY) && !is_dir) return WASI_ENOTDIR;
    if (is_dir && wants_write) return WASI_EISDIR;
    if (wants_write && !vfs_writable(n)) return WASI_EROFS;
    u32 fd;
    if (fd_alloc(c, &fd) != 0) return WASI_EMFILE;
    if (oflags & WASI_O_TRUNC) {
        e = (u32)vfs_truncate(c->fs, n, 0);
        if (e) return e;
    }
    vfs_ref(n);
    c->fds[fd] = (wasi_fd_t){.used = true, .kind = WASI_FD_NODE, .node = n, .fdflags = (u16)fdflags,
                             .rights_base = rights_base, .rights_inheriting = rights_inheriting};
    return (u32)put_u32(c, fd_out, fd);
}

static u32 do_path_create_directory(wasi_ctx_t *c, u32 fd, u32 path, u32 len) {
    vfs_node_t *parent;
    const char *name;
    size_t name_len;
    u32 e = resolve_parent(c, fd, path, len, &parent, &name, &name_len);
    return e ? e : (u32)vfs_mkdir(c->fs, parent, name, name_len, NULL);
}

static u32 do_path_remove_directory(wasi_ctx_t *c, u32 fd, u32 path, u32 len) {
    vfs_node_t *parent;
    const char *name;
    size_t name_len;
    u32 e = resolve_parent(c, fd, path, len, &parent, &name, &name_len);
    return e ? e : (u32)vfs_rmdir(c->fs, parent, name, name_len);
}

static u32 do_path_unlink_file(wasi_ctx_t *c, u32 fd, u32 path, u32 len) {
    vfs_node_t *parent;
    const char *name;
    size_t name_len;
    u32 e = resolve_parent(c, fd, path, len, &parent, &name, &name_len);
    if (e) return e;
    /* "name/" on a file: ENOTDIR, like POSIX. */
    const char *p = NULL;
    if (guest_path(c, path, len, &p) == 0 && len && p[len - 1] == '/') {
        vfs_node_t *n = vfs_child(parent, name, name_len);
        if (n && vfs_kind(n) != VFS_DIR) return WASI_ENOTDIR;
    }
    return (u32)vfs_unlink(c->fs, parent, name, name_len);
}

static u32 do_path_rename(wasi_ctx_t *c, u32 fd, u32 old_path, u32 old_len, u32 new_fd, u32 new_path, u32 new_len) {
    vfs_node_t *op, *np;
    const char *on, *nn;
    size_t onl, nnl;
    u32 e = resolve_parent(c, fd, old_path, old_len, &op, &on, &onl);
    if (!e) e = resolve_parent(c, new_fd, new_path, new_len, &np, &nn, &nnl);
    return e ? e : (u32)vfs_rename(c->fs, op, on, onl, np, nn, nnl);
}

static u32 do_path_filestat_get(wasi_ctx_t *c, u32 fd, u32 flags, u32 path, u32 len, u32 out) {
    (void)flags;
    vfs_node_t *n;
    u32 e = resolve(c, fd, path, len, &n);
    return e ? e : (u32)write_filestat(c, out, n, 0);
}

static u32 do_path_filestat_set_times(wasi_ctx_t *c, u32 fd, u32 flags, u32 path, u32 len, u64 atim, u64 mtim, u32 fst) {
    (void)flags;
    vfs_node_t *n;
    u32 e = resolve(c, fd, path, len, &n);
    return e ? e : set_times(n, atim, mtim, fst);
}

static u32 do_path_readlink(wasi_ctx_t *c, u32 fd, u32 path, u32 len, u32 buf, u32 buf_len, u32 used) {
    (void)buf; (void)buf_len; (void)used;
    vfs_node_t *n;
    u32 e = resolve(c, fd, path, len, &n);
    return e ? e : WASI_EINVAL; /* exists, but is not a symbolic link */
}

static u32 do_path_link(wasi_ctx_t *c, u32 fd, u32 flags, u32 op, u32 ol, u32 nfd, u32 np, u32 nl) {
    (void)flags; (void)op; (void)ol; (void)np; (void)nl;
    vfs_node_t *d;
    u32 e = dir_fd(c, fd, &d);
    if (!e) e = dir_fd(c, nfd, &d);
    return e ? e : WASI_ENOTSUP;
}

static u32 do_path_symlink(wasi_ctx_t *c, u32 op, u32 ol, u32 fd, u32 np, u32 nl) {
    (void)op; (void)ol; (void)np; (void)nl;
    vfs_node_t *d;
    u32 e = dir_fd(c, fd, &d);
    return e ? e : WASI_ENOTSUP;
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
