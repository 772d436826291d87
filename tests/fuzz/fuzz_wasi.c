/* fuzz_wasi.c — libFuzzer harness for wadup's WASI preview1 functions
 * (src/wasi/wasi.h, wasi_functions.def), called directly the way
 * wasm2c-generated code calls them.
 *
 * Each input builds an instance like the engine's: a budgeted VFS with a
 * read-only root, writable /tmp, /metadata and /subcontent, /data.bin
 * borrowed from the input; wasi_ctx_init with a small output cap, args and
 * environment; and a 64 KiB guest memory (sometimes none, or 0 pages)
 * inside guard bytes, preset with paths, iovecs, buffers and
 * subscriptions. The rest of the input is a sequence of steps: a WASI call
 * (every function except proc_exit and proc_raise, which stop a guest and
 * abort outside rt_call) with arguments drawn per parameter kind —
 * descriptors, pointers (often to the preset structures, sometimes
 * anywhere, near the end, or out of range), lengths, (path, length) pairs
 * from the preset strings, flags, rights, offsets, clocks — or a host step
 * (bytes poked into guest memory, the engine's between-contents reset
 * (wasi_reset_fds, vfs_clear_dir, a new /data.bin, wasi_output_reset),
 * new args/env, a different memory size).
 *
 * Checked after every step: no crash, leak or UB (ASan, UBSan); the result
 * is a WASI errno (0..76); no byte outside guest memory changed (guard
 * bytes); poll_oneoff returns within a second (the harness clamps clock
 * timeouts in the subscriptions to 0.2 ms first, relative or absolute, so a
 * longer sleep, not counting time spent waiting for a CPU, is a bug);
 * every descriptor is well-formed (stdio may be renumbered anywhere; a
 * node descriptor's node is alive; preopens are directories); after the
 * between-contents reset, fds 0-2 are stdio again and fd 3 is the root
 * exactly as wasi_ctx_init preopened it; captured output never exceeds its cap;
 * the VFS's bytes equal the budget's use; on_close runs only for files and
 * never during wasi_reset_fds or wasi_ctx_free. At the end, with every
 * descriptor closed and the tree cleared, the VFS holds no bytes.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz_common.h"
#include "util/budget.h"
#include "vfs/vfs.h"
#include "wasi/wasi.h"
#include "wasi/wasi_abi.h"

typedef uint32_t u32;
typedef uint64_t u64;

/* The functions wasi.c exports, declared from the same list. */
#define WASI_FN(name, sig, params, args) u32 Z_wasi_snapshot_preview1Z_##name params;
#include "wasi/wasi_functions.def"
#undef WASI_FN

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM_SIZE 65536u
#define GUARD 4096u
#define MAX_ERRNO 76u
#define MAX_ARGS 9
#define POLL_CLAMP_NS 200000ull   /* clock subscriptions wait at most this long (0.2 ms) */
#define POLL_MAX_NS 1000000000ull /* poll_oneoff taking longer than this is a bug */
#define STEPS 600

/* ------------------------------------------------------------------ */
/* the call table                                                      */

/* fz_call_<name>: call the WASI function with arguments v[0..] (u64s cut
 * to each parameter's type, in the order of wasi_functions.def). */
#define WASI_FN(name, sig, params, args)                                                        \
    static u32 fz_call_##name(wasi_ctx_t *c, const u64 *v) {                                    \
        u64 a = v[0], b = v[1], d = v[2], e = v[3], f = v[4], g = v[5], h = v[6], i = v[7], j = v[8]; \
        (void)a; (void)b; (void)d; (void)e; (void)f; (void)g; (void)h; (void)i; (void)j;        \
        return Z_wasi_snapshot_preview1Z_##name args;                                           \
    }
#include "wasi/wasi_functions.def"
#undef WASI_FN

typedef struct fz_fn {
    const char *name, *sig;
    u32 (*call)(wasi_ctx_t *, const u64 *);
    const char *shape;      /* one letter per parameter: what kind of value to draw */
} fz_fn_t;

static fz_fn_t fz_fns[] = {
#define WASI_FN(name, sig, params, args) {#name, sig, fz_call_##name, NULL},
#include "wasi/wasi_functions.def"
#undef WASI_FN
};
#define FZ_NFNS (sizeof fz_fns / sizeof *fz_fns)

/* Parameter kinds: f descriptor, p pointer, n length/count, P+L a path
 * (pointer, length), x flags (u32), k small enum, c clock id, w whence,
 * X any u64, o file offset/size (u64), r rights (u64). */
static const struct { const char *name, *shape; } fz_shapes[] = {
    {"args_get", "pp"}, {"args_sizes_get", "pp"}, {"environ_get", "pp"}, {"environ_sizes_get", "pp"},
    {"clock_res_get", "cp"}, {"clock_time_get", "cXp"}, {"fd_advise", "fook"}, {"fd_allocate", "foo"},
    {"fd_close", "f"}, {"fd_datasync", "f"}, {"fd_fdstat_get", "fp"}, {"fd_fdstat_set_flags", "fx"},
    {"fd_fdstat_set_rights", "frr"}, {"fd_filestat_get", "fp"}, {"fd_filestat_set_size", "fo"},
    {"fd_filestat_set_times", "fXXx"}, {"fd_pread", "fpnop"}, {"fd_prestat_get", "fp"},
    {"fd_prestat_dir_name", "fpn"}, {"fd_pwrite", "fpnop"}, {"fd_read", "fpnp"}, {"fd_readdir", "fpnXp"},
    {"fd_renumber", "ff"}, {"fd_seek", "fXwp"}, {"fd_sync", "f"}, {"fd_tell", "fp"}, {"fd_write", "fpnp"},
    {"path_create_directory", "fPL"}, {"path_filestat_get", "fxPLp"}, {"path_filestat_set_times", "fxPLXXx"},
    {"path_link", "fxPLfPL"}, {"path_open", "fxPLxrrxp"}, {"path_readlink", "fPLpnp"},
    {"path_remove_directory", "fPL"}, {"path_rename", "fPLfPL"}, {"path_symlink", "PLfPL"},
    {"path_unlink_file", "fPL"}, {"poll_oneoff", "ppnp"}, {"proc_raise", "k"}, {"sched_yield", ""},
    {"random_get", "pn"}, {"sock_accept", "fxp"}, {"sock_recv", "fpnxpp"}, {"sock_send", "fpnxp"},
    {"sock_shutdown", "fx"},
};

/* params_of: the number of parameters in a signature "ii:i". */
static size_t params_of(const char *sig) { return (size_t)(strchr(sig, ':') - sig); }

/* init_shapes: attach a shape to every function (once); a function
 * without one, or with one of the wrong length, is a harness bug. */
static void init_shapes(void) {
    if (fz_fns[0].shape) return;
    for (size_t i = 0; i < FZ_NFNS; i++) {
        for (size_t k = 0; k < sizeof fz_shapes / sizeof *fz_shapes; k++)
            if (strcmp(fz_shapes[k].name, fz_fns[i].name) == 0) fz_fns[i].shape = fz_shapes[k].shape;
        FZ_CHECK(fz_fns[i].shape && strlen(fz_fns[i].shape) == params_of(fz_fns[i].sig),
                 "no shape matching %s's signature %s", fz_fns[i].name, fz_fns[i].sig);
        FZ_CHECK(params_of(fz_fns[i].sig) <= MAX_ARGS, "too many parameters");
    }
}

/* ------------------------------------------------------------------ */
/* guest memory                                                        */

/* Preset layout of guest memory. */
enum {
    AT_STRINGS = 0x0100,  /* the path strings */
    AT_IOVS = 0x2000,     /* 8 iovecs over AT_BUFS */
    AT_BUFS = 0x3000,     /* 8 buffers of 256 bytes */
    AT_SUBS = 0x4000,     /* 4 subscriptions */
    AT_EVENTS = 0x4200,   /* room for events */
    AT_OUT = 0x5000,      /* scratch for results */
    AT_DIRENTS = 0x6000,  /* a readdir buffer */
};

static uint8_t fz_region[GUARD + MEM_SIZE + GUARD];
static wasm_rt_memory_t fz_mem;

static const char *const fz_paths[] = {
    "/", ".", "..", "tmp", "tmp/a.txt", "/tmp/b", "metadata/out.json", "subcontent/data_0.bin",
    "subcontent/metadata_0.json", "data.bin", "/data.bin", "tmp/dir", "tmp/dir/x", "nope", "tmp/", "tmp/a.txt/",
    "tmp/../tmp/./a.txt", "tmp//a.txt", "../..", "tmp/dir/..", "metadata", "subcontent", "/tmp/dir/../a.txt",
};
#define FZ_NPATHS (sizeof fz_paths / sizeof *fz_paths)
static u32 fz_path_at[FZ_NPATHS + 2], fz_path_len[FZ_NPATHS + 2];

/* memory_preset: fill guard bytes and the preset structures. */
static void memory_preset(void) {
    memset(fz_region, 0xa5, sizeof fz_region);
    uint8_t *m = fz_region + GUARD;
    memset(m, 0, MEM_SIZE);
    u32 at = AT_STRINGS;
    for (size_t i = 0; i < FZ_NPATHS; i++) {
        fz_path_at[i] = at;
        fz_path_len[i] = (u32)strlen(fz_paths[i]);
        memcpy(m + at, fz_paths[i], fz_path_len[i]);
        at += fz_path_len[i] + 1;
    }
    fz_path_at[FZ_NPATHS] = at; /* "tmp/a\0b" */
    fz_path_len[FZ_NPATHS] = 7;
    memcpy(m + at, "tmp/a\0b", 7);
    at += 8;
    fz_path_at[FZ_NPATHS + 1] = at; /* "tmp/" + 256 x 'n' */
    fz_path_len[FZ_NPATHS + 1] = 260;
    memcpy(m + at, "tmp/", 4);
    memset(m + at + 4, 'n', 256);
    for (u32 i = 0; i < 8; i++) {
        u32 iov[2] = {AT_BUFS + 256 * i, 16u << (i % 5)};
        memcpy(m + AT_IOVS + 8 * i, iov, 8);
        memset(m + AT_BUFS + 256 * i, 'a' + (int)i, 256);
    }
    for (u32 i = 0; i < 4; i++) {
        uint8_t *s = m + AT_SUBS + WASI_SUBSCRIPTION_SIZE * i;
        u64 userdata = 100 + i;
        memcpy(s + WASI_SUBSCRIPTION_USERDATA, &userdata, 8);
        s[WASI_SUBSCRIPTION_TAG] = i < 2 ? WASI_EVENTTYPE_CLOCK : (uint8_t)i - 1;
        u32 clock = i == 1 ? WASI_CLOCK_REALTIME : WASI_CLOCK_MONOTONIC;
        memcpy(s + WASI_SUBSCRIPTION_CLOCK_ID, i < 2 ? &clock : &i, 4);
        u64 timeout = 1000;
        memcpy(s + WASI_SUBSCRIPTION_CLOCK_TIMEOUT, &timeout, 8);
    }
}

/* guards_intact: no byte around guest memory changed. */
static bool guards_intact(void) {
    static uint8_t pattern[GUARD];
    if (!pattern[0]) memset(pattern, 0xa5, sizeof pattern);
    return memcmp(fz_region, pattern, GUARD) == 0 && memcmp(fz_region + GUARD + MEM_SIZE, pattern, GUARD) == 0;
}

/* ------------------------------------------------------------------ */
/* argument values                                                     */

/* arg_fd: a descriptor: usually a low one, sometimes anything. */
static u64 arg_fd(fz_in_t *in) {
    uint8_t k = fz_u8(in);
    if (k < 0xf0) return k % 12;
    static const u32 odd[] = {UINT32_MAX, WASI_MAX_FDS, WASI_MAX_FDS - 1, 64, 1u << 31, 100, 7, 16};
    return odd[k % 8];
}

/* arg_ptr: a guest pointer: preset, anywhere, near the end, or out of range. */
static u64 arg_ptr(fz_in_t *in) {
    static const u32 preset[] = {AT_OUT, AT_IOVS, AT_BUFS, AT_SUBS, AT_EVENTS, AT_DIRENTS, AT_OUT + 64, 0};
    uint8_t k = fz_u8(in);
    switch (k % 8) {
    case 0: case 1: case 2: return preset[(k >> 3) % 8];
    case 3: return fz_u16(in);
    case 4: return MEM_SIZE - fz_u8(in) % 65;
    case 5: return MEM_SIZE + fz_u8(in);
    case 6: return UINT32_MAX - fz_u8(in);
    default: return fz_u32(in);
    }
}

/* arg_len: a length or count. */
static u64 arg_len(fz_in_t *in) {
    uint8_t k = fz_u8(in);
    switch (k % 6) {
    case 0: case 1: return k >> 3 & 7;
    case 2: return fz_u8(in);
    case 3: return fz_u16(in);
    case 4: return WASI_MAX_IOVS + (k >> 7);
    default: return fz_u32(in);
    }
}

/* arg_u64: an offset, size, time or cookie. */
static u64 arg_u64(fz_in_t *in, bool small_often) {
    uint8_t k = fz_u8(in);
    if (small_often && k < 0x80) return fz_u16(in);
    switch (k % 4) {
    case 0: return fz_u8(in);
    case 1: return UINT64_MAX - fz_u8(in);
    case 2: return (u64)INT64_MAX - fz_u8(in);
    default: return fz_u64(in);
    }
}

/* arg_rights: rights bits. */
static u64 arg_rights(fz_in_t *in) {
    static const u64 r[] = {WASI_RIGHTS_ALL, 0, WASI_RIGHT_FD_READ, WASI_RIGHT_FD_WRITE,
                            WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_SEEK, UINT64_MAX,
                            WASI_RIGHT_FD_READDIR, WASI_RIGHT_FD_READ | WASI_RIGHT_FD_FILESTAT_SET_SIZE};
    uint8_t k = fz_u8(in);
    return k < 0xf8 ? r[k % 8] : fz_u64(in);
}

/* draw_args: the arguments of one call, by its shape. */
static void draw_args(fz_in_t *in, const char *shape, u64 *v) {
    for (size_t i = 0; shape[i]; i++) {
        switch (shape[i]) {
        case 'f': v[i] = arg_fd(in); break;
        case 'p': v[i] = arg_ptr(in); break;
        case 'n': v[i] = arg_len(in); break;
        case 'P': {
            uint8_t k = fz_u8(in);
            size_t s = k % (FZ_NPATHS + 2);
            v[i] = k < 0xf0 ? fz_path_at[s] : arg_ptr(in);
            v[i + 1] = k < 0xf0 ? fz_path_len[s] : arg_len(in);
            i++;
            break;
        }
        case 'x': { uint8_t k = fz_u8(in); v[i] = k < 0xc0 ? k % 32 : fz_u32(in); break; }
        case 'k': v[i] = fz_u8(in) % 8; break;
        case 'c': v[i] = fz_u8(in) % 6; break;
        case 'w': v[i] = fz_u8(in) % 4; break;
        case 'X': v[i] = arg_u64(in, false); break;
        case 'o': v[i] = arg_u64(in, true); break;
        case 'r': v[i] = arg_rights(in); break;
        default: FZ_CHECK(false, "unknown shape letter %c", shape[i]);
        }
    }
}

/* ------------------------------------------------------------------ */
/* poll_oneoff: never sleep long                                       */

/* now_ns: clock `id` in nanoseconds. */
static u64 now_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

/* clamp_subscriptions: rewrite every clock subscription in guest memory
 * that poll_oneoff(in, ..., nsubs) will read so that it is due within
 * POLL_CLAMP_NS (relative, or absolute on its own clock). */
static void clamp_subscriptions(u64 in_ptr, u64 nsubs) {
    if (!fz_mem.data || nsubs == 0 || in_ptr + nsubs * WASI_SUBSCRIPTION_SIZE > fz_mem.size) return;
    static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
    for (u64 i = 0; i < nsubs; i++) {
        uint8_t *s = fz_mem.data + in_ptr + i * WASI_SUBSCRIPTION_SIZE;
        if (s[WASI_SUBSCRIPTION_TAG] != WASI_EVENTTYPE_CLOCK) continue;
        u32 id;
        u64 timeout;
        uint16_t flags;
        memcpy(&id, s + WASI_SUBSCRIPTION_CLOCK_ID, 4);
        memcpy(&timeout, s + WASI_SUBSCRIPTION_CLOCK_TIMEOUT, 8);
        memcpy(&flags, s + WASI_SUBSCRIPTION_CLOCK_FLAGS, 2);
        timeout %= POLL_CLAMP_NS;
        if ((flags & WASI_SUBCLOCK_ABSTIME) && id < 4) timeout += now_ns(ids[id]);
        memcpy(s + WASI_SUBSCRIPTION_CLOCK_TIMEOUT, &timeout, 8);
    }
}

/* ------------------------------------------------------------------ */
/* the instance                                                        */

typedef struct fz_instance {
    budget_t budget;
    vfs_t *fs;
    wasi_ctx_t ctx;
    vfs_node_t *tmp, *meta, *sub, *data;
    uint8_t *data_bytes;     /* /data.bin's borrowed bytes (replaced between contents) */
    bool in_host_reset;      /* on_close must not run now */
    unsigned closes;
    wasi_fd_t root_fd;       /* fd 3 as wasi_ctx_init made it */
} fz_instance_t;

/* on_close: the engine's hook; only for files, never during host resets. */
static void on_close(void *user, vfs_node_t *node) {
    fz_instance_t *x = user;
    FZ_CHECK(!x->in_host_reset, "on_close during wasi_reset_fds / wasi_ctx_free");
    FZ_CHECK(vfs_kind(node) == VFS_FILE, "on_close for a directory");
    x->closes++;
}

/* keep_between_contents: the engine's rule for descriptors kept across
 * contents (embedded read-only files). */
static bool keep_between_contents(void *user, vfs_node_t *node) {
    fz_instance_t *x = user;
    return vfs_linked(node) && vfs_kind(node) == VFS_FILE && !vfs_writable(node) && node != x->data;
}

/* set_data: /data.bin borrows a fresh copy of input bytes. */
static void set_data(fz_instance_t *x, fz_in_t *in) {
    size_t len;
    const uint8_t *p = fz_bytes(in, 512, &len);
    uint8_t *copy = malloc(len ? len : 1);
    FZ_CHECK(copy != NULL, "out of memory");
    if (len) memcpy(copy, p, len);
    vfs_node_t *out = NULL;
    int rc = vfs_put_borrowed(x->fs, "/data.bin", copy, len, &out);
    if (rc != VFS_OK) { /* only when the budget cannot hold the node */
        FZ_CHECK(rc == VFS_ENOSPC && !x->data, "put /data.bin: %d", rc);
        free(copy);
        return;
    }
    x->data = out;
    free(x->data_bytes); /* nothing refers to the old bytes any more */
    x->data_bytes = copy;
}

/* set_strings: args or environment from the input (NUL-free, short). */
static void set_strings(fz_instance_t *x, fz_in_t *in, bool env) {
    char storage[4][40];
    const char *v[4];
    size_t n = fz_u8(in) % 5;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *p = fz_bytes(in, 38, &len);
        memcpy(storage[i], p, len);
        storage[i][len] = 0;
        for (size_t k = 0; k < len; k++)
            if (!storage[i][k]) storage[i][k] = '=';
        v[i] = storage[i];
    }
    int rc = env ? wasi_set_env(&x->ctx, v, n) : wasi_set_args(&x->ctx, v, n);
    FZ_CHECK(rc == 0, "wasi_set_%s", env ? "env" : "args");
}

/* instance_init: the engine's filesystem and WASI context. */
static void instance_init(fz_instance_t *x, fz_in_t *in) {
    static const uint64_t limits[] = {1u << 22, 1u << 20, 65536, 8192, 3000, 1u << 24}; /* wadup always has one */
    static const size_t caps[] = {1u << 20, 0, 16, 4096};
    memset(x, 0, sizeof *x);
    uint8_t b = fz_u8(in);
    budget_init(&x->budget, limits[b % 6]);
    x->fs = vfs_new(&x->budget);
    FZ_CHECK(x->fs != NULL, "vfs_new");
    vfs_mkdir_p(x->fs, "/tmp", true, &x->tmp);
    vfs_mkdir_p(x->fs, "/metadata", true, &x->meta);
    vfs_mkdir_p(x->fs, "/subcontent", true, &x->sub);
    set_data(x, in);
    if (b & 0x40) vfs_put_borrowed(x->fs, "/lib/embedded.txt", (const uint8_t *)"embedded", 8, NULL);
    FZ_CHECK(wasi_ctx_init(&x->ctx, x->fs, caps[(b >> 3) & 3]) == 0, "wasi_ctx_init");
    static const char *const argv0[] = {"module"};
    static const char *const env[] = {"WADUP_FILENAME=input.bin", "WADUP_CONTENT_UUID=x", "WADUP_DEPTH=0"};
    FZ_CHECK(wasi_set_args(&x->ctx, argv0, 1) == 0 && wasi_set_env(&x->ctx, env, 3) == 0, "args/env");
    x->ctx.on_close = on_close;
    x->ctx.user = x;
    x->root_fd = x->ctx.fds[3];
    memory_preset();
    fz_mem = (wasm_rt_memory_t){fz_region + GUARD, 1, 1, MEM_SIZE};
    x->ctx.memory = (b & 0x80) && (b & 0x20) ? NULL : &fz_mem;
}

/* next_content: what the engine does between two contents. */
static void next_content(fz_instance_t *x, fz_in_t *in) {
    x->in_host_reset = true;
    wasi_reset_fds(&x->ctx, keep_between_contents, x);
    x->in_host_reset = false;
    static const int stdio[3] = {WASI_FD_STDIN, WASI_FD_STDOUT, WASI_FD_STDERR};
    for (u32 i = 0; i < 3; i++)
        FZ_CHECK(x->ctx.fds[i].used && x->ctx.fds[i].kind == stdio[i], "fd %u is not stdio after wasi_reset_fds", i);
    const wasi_fd_t *f3 = &x->ctx.fds[3];
    FZ_CHECK(f3->used && f3->preopen && f3->node == vfs_root(x->fs) && f3->rights_base == x->root_fd.rights_base &&
                 f3->rights_inheriting == x->root_fd.rights_inheriting && f3->pos == 0 && f3->fdflags == 0,
             "fd 3 is not the preopened root as wasi_ctx_init made it after wasi_reset_fds");
    vfs_clear_dir(x->fs, x->tmp);
    vfs_clear_dir(x->fs, x->meta);
    vfs_clear_dir(x->fs, x->sub);
    set_data(x, in);
    wasi_output_reset(&x->ctx);
    FZ_CHECK(x->ctx.out.data.len == 0 && x->ctx.err.data.len == 0, "output not reset");
}

/* check_fds: the descriptor table is well-formed. */
static void check_fds(const fz_instance_t *x) {
    const wasi_ctx_t *c = &x->ctx;
    FZ_CHECK(c->nfds >= 4 && c->nfds <= WASI_MAX_FDS, "nfds %u", c->nfds);
    for (u32 i = 0; i < c->nfds; i++) { /* stdio may be renumbered anywhere (as in wasmtime) */
        const wasi_fd_t *f = &c->fds[i];
        if (!f->used) continue;
        FZ_CHECK(f->kind >= WASI_FD_STDIN && f->kind <= WASI_FD_NODE, "fd %u kind %d", i, f->kind);
        FZ_CHECK((f->kind == WASI_FD_NODE) == (f->node != NULL), "fd %u kind %d node %p", i, f->kind,
                 (void *)f->node);
        if (f->node) FZ_CHECK(vfs_kind(f->node) == VFS_DIR || vfs_kind(f->node) == VFS_FILE, "fd %u node kind", i);
        FZ_CHECK(!f->preopen || (f->node && vfs_kind(f->node) == VFS_DIR), "fd %u: a preopen that is no directory", i);
    }
}

/* check_state: invariants that hold after every step. */
static void check_state(const fz_instance_t *x) {
    FZ_CHECK(guards_intact(), "a byte outside guest memory changed");
    check_fds(x);
    FZ_CHECK(x->ctx.out.data.len <= x->ctx.out.cap && x->ctx.err.data.len <= x->ctx.err.cap, "output over its cap");
    FZ_CHECK(x->budget.used == vfs_bytes(x->fs), "budget %llu, vfs %llu", (unsigned long long)x->budget.used,
             (unsigned long long)vfs_bytes(x->fs));
}

/* runqueue_ns: how long this thread has waited for a CPU so far (Linux
 * schedstat), so a loaded machine is not mistaken for a long sleep; 0 if
 * the kernel does not say. */
static u64 runqueue_ns(void) {
    FILE *f = fopen("/proc/thread-self/schedstat", "r");
    unsigned long long run = 0, wait = 0;
    if (!f) return 0;
    if (fscanf(f, "%llu %llu", &run, &wait) != 2) wait = 0;
    fclose(f);
    return wait;
}

/* do_call: one WASI call with drawn arguments. */
static void do_call(fz_instance_t *x, fz_in_t *in) {
    const fz_fn_t *fn = &fz_fns[fz_below(in, FZ_NFNS)];
    if (strcmp(fn->name, "proc_raise") == 0) return; /* stops the guest: needs rt_call */
    u64 v[MAX_ARGS] = {0};
    draw_args(in, fn->shape, v);
    bool poll = strcmp(fn->name, "poll_oneoff") == 0;
    if (poll) clamp_subscriptions(v[0], v[2]);
    u64 t0 = now_ns(CLOCK_MONOTONIC), wait0 = poll ? runqueue_ns() : 0;
    u32 r = fn->call(&x->ctx, v);
    u64 took = now_ns(CLOCK_MONOTONIC) - t0;
    FZ_CHECK(r <= MAX_ERRNO, "%s returned %u, not a WASI errno", fn->name, r);
    if (!poll) return;
    u64 waited = runqueue_ns() - wait0; /* time the machine was too busy to run us */
    took = took > waited ? took - waited : 0;
    FZ_CHECK(took < POLL_MAX_NS, "poll_oneoff slept %llu ms", (unsigned long long)(took / 1000000));
}

/* poke: input bytes into guest memory. */
static void poke(fz_in_t *in) {
    u32 at = fz_u16(in);
    size_t len;
    const uint8_t *p = fz_bytes(in, 255, &len);
    if (len > MEM_SIZE - at) len = MEM_SIZE - at;
    memcpy(fz_region + GUARD + at, p, len);
}

/* host_step: a step taken by the host rather than the guest. */
static void host_step(fz_instance_t *x, fz_in_t *in) {
    switch (fz_u8(in) % 6) {
    case 0: case 1: poke(in); break;
    case 2: next_content(x, in); break;
    case 3: set_strings(x, in, fz_u8(in) & 1); break;
    case 4: fz_mem.size = fz_mem.size ? 0 : MEM_SIZE; fz_mem.pages = fz_mem.size / MEM_SIZE; break;
    default: x->ctx.memory = x->ctx.memory ? NULL : &fz_mem; break;
    }
}

/* instance_free: close everything (no on_close), clear the tree, check
 * that nothing is left charged, free. */
static void instance_free(fz_instance_t *x) {
    x->in_host_reset = true;
    wasi_ctx_free(&x->ctx);
    vfs_clear_dir(x->fs, vfs_root(x->fs));
    FZ_CHECK(vfs_bytes(x->fs) == 0 && x->budget.used == 0, "%llu bytes left with no file and no descriptor",
             (unsigned long long)vfs_bytes(x->fs));
    vfs_free(x->fs);
    free(x->data_bytes);
}

/* LLVMFuzzerTestOneInput: libFuzzer's entry point: one input, checked as
 * described at the top of this file; returns 0 (failures abort). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static fz_instance_t x;
    init_shapes();
    fz_in_t in = {data, size};
    instance_init(&x, &in);
    check_state(&x);
    for (int step = 0; step < STEPS && !fz_done(&in); step++) {
        if (fz_u8(&in) < 0xe0) do_call(&x, &in);
        else host_step(&x, &in);
        check_state(&x);
    }
    instance_free(&x);
    return 0;
}
