/* fuzz_wasi.c — libFuzzer harness for wadup's WASI preview1 functions
 * (src/wasi/wasi.h, wasi_functions.def), called directly the way
 * wasm2c-generated code calls them.
 *
 * Each input builds an instance like the engine's: a budgeted VFS with a
 * read-only root, writable /tmp, /metadata and /subcontent, /data.bin
 * borrowed from the input; wasi_ctx_init with a small output cap, args and
 * environment (or, for some inputs, like `wadup exec`: no root preopen but
 * /tmp preopened on fd 3 and /metadata on fd 4, so paths must stay beneath
 * a directory that is not the root, and no between-contents reset); and a 64 KiB guest memory (sometimes none, or 0 pages)
 * inside guard bytes, preset with paths, iovecs, buffers and
 * subscriptions. The rest of the input is a sequence of steps: a WASI call
 * (every function except proc_exit and proc_raise, which stop a guest and
 * abort outside rt_call) with arguments drawn per parameter kind —
 * descriptors, pointers (often to the preset structures, sometimes
 * anywhere, near the end, or out of range), lengths, (path, length) pairs
 * from the preset strings, flags, rights, offsets, clocks — or a host step
 * (bytes poked into guest memory, the engine's between-contents reset
 * (wasi_reset_fds, vfs_clear_dir, a new /data.bin, wasi_output_reset),
 * new args/env, a different memory size, a rights probe: see below).
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
 *
 * Rights and containment (a shadow table keeps the rights each descriptor
 * was opened with, carried along by fd_renumber): after every call, each
 * open descriptor's rights are a subset of those, a directory's base
 * rights are directory rights only, a file's inherit nothing; a new
 * descriptor from path_open has exactly what was asked within the
 * directory's inheriting rights and its kind's rights; fd_fdstat_set_rights
 * succeeds exactly when it only drops rights (ENOTCAPABLE otherwise); no
 * call changes a descriptor it was not about (fd_renumber, fd_close,
 * path_open, set_rights: only the one they name); a call that returns
 * ENOTCAPABLE changed no descriptor and nothing in the VFS (a digest of
 * the tree and of every open node); and no path_* call succeeds with an
 * absolute path, or one that climbs above its directory descriptor (found
 * by walking the tree as it was before the call, through symbolic links
 * in the middle). Every 8th step and at the end, fd_fdstat_get is asked
 * about every descriptor and must report the table's type and rights. A
 * host "probe" step takes a descriptor, drops (fd_fdstat_set_rights) the
 * rights one call needs, makes that call with arguments valid in a
 * separate probe memory, and requires ENOTCAPABLE with no change to the
 * descriptors, the VFS, the probe memory or the captured output; a file
 * that is not writable but has FD_WRITE (as /data.bin opened for writing)
 * must refuse fd_write with EROFS, unchanged. The preset paths include
 * symbolic link names and targets (chains, a loop, climbing and absolute
 * targets), paths for a subdirectory descriptor, and escapes; path_symlink,
 * path_link, path_readlink and path_open are drawn more often than the rest.
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
    /* symbolic links (names and targets) and paths for a descriptor on tmp/dir */
    "tmp/l1", "tmp/l2", "tmp/loop", "tmp/dir/l3", "l2", "l1", "loop", "dir", "a.txt", "../tmp/a.txt", "dir/../..",
    "tmp/../..", "x", "l3", "../x", "tmp/dir/../../..", "./../tmp", "tmp/l1/", "tmp/l2/x", "l3/x", "/tmp", "tmp/dir/l3/",
    "..", "../l1", "tmp/l1/..", "tmp/b",
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
                            WASI_RIGHT_FD_READDIR, WASI_RIGHT_FD_READ | WASI_RIGHT_FD_FILESTAT_SET_SIZE,
                            WASI_RIGHTS_DIRECTORY, WASI_RIGHTS_ALL & ~WASI_RIGHT_FD_WRITE, WASI_RIGHTS_REGULAR_FILE,
                            WASI_RIGHTS_DIRECTORY | WASI_RIGHTS_REGULAR_FILE};
    uint8_t k = fz_u8(in);
    return k < 0xf8 ? r[k % (sizeof r / sizeof *r)] : fz_u64(in);
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
    bool exec;               /* preopens /tmp on 3 and /metadata on 4, no root, never reset (wadup exec) */
    u64 orig_base[WASI_MAX_FDS], orig_inh[WASI_MAX_FDS]; /* rights each open fd was opened with */
} fz_instance_t;

/* ------------------------------------------------------------------ */
/* rights                                                              */

#define FILE_ONLY_RIGHTS (WASI_RIGHTS_REGULAR_FILE & ~WASI_RIGHTS_DIRECTORY)

/* sync_orig: after the host set up descriptors (wasi_ctx_init and
 * preopens, wasi_reset_fds), those below `fresh` take their current rights
 * as the rights they were opened with; closed ones lose theirs; the rest
 * keep theirs. */
static void sync_orig(fz_instance_t *x, u32 fresh) {
    for (u32 i = 0; i < WASI_MAX_FDS; i++) {
        const wasi_fd_t *f = i < x->ctx.nfds ? &x->ctx.fds[i] : NULL;
        if (!f || !f->used) { x->orig_base[i] = x->orig_inh[i] = 0; continue; }
        if (i < fresh) { x->orig_base[i] = f->rights_base; x->orig_inh[i] = f->rights_inheriting; }
    }
}

/* check_rights: every open descriptor's rights are within those it was
 * opened with, and within what its kind may hold. */
static void check_rights(const fz_instance_t *x) {
    const wasi_ctx_t *c = &x->ctx;
    for (u32 i = 0; i < c->nfds; i++) {
        const wasi_fd_t *f = &c->fds[i];
        if (!f->used) continue;
        FZ_CHECK((f->rights_base & ~x->orig_base[i]) == 0 && (f->rights_inheriting & ~x->orig_inh[i]) == 0,
                 "fd %u has rights %llx/%llx beyond those it was opened with %llx/%llx", i,
                 (unsigned long long)f->rights_base, (unsigned long long)f->rights_inheriting,
                 (unsigned long long)x->orig_base[i], (unsigned long long)x->orig_inh[i]);
        if (f->kind != WASI_FD_NODE) continue;
        if (vfs_kind(f->node) == VFS_DIR) {
            FZ_CHECK((f->rights_base & ~(u64)WASI_RIGHTS_DIRECTORY) == 0 && (f->rights_base & FILE_ONLY_RIGHTS) == 0,
                     "directory fd %u has base rights %llx beyond directory rights", i,
                     (unsigned long long)f->rights_base);
            FZ_CHECK((f->rights_inheriting & ~(u64)(WASI_RIGHTS_DIRECTORY | WASI_RIGHTS_REGULAR_FILE)) == 0,
                     "directory fd %u inherits %llx", i, (unsigned long long)f->rights_inheriting);
        } else {
            FZ_CHECK((f->rights_base & ~(u64)WASI_RIGHTS_REGULAR_FILE) == 0 && f->rights_inheriting == 0,
                     "file fd %u has rights %llx/%llx", i, (unsigned long long)f->rights_base,
                     (unsigned long long)f->rights_inheriting);
        }
    }
}

/* fd_same: two descriptor records agree on what a call may not change
 * behind the guest's back (with_pos: offset and flags too). */
static bool fd_same(const wasi_fd_t *a, const wasi_fd_t *b, bool with_pos) {
    if (a->used != b->used) return false;
    if (!a->used) return true;
    return a->kind == b->kind && a->node == b->node && a->rights_base == b->rights_base &&
           a->rights_inheriting == b->rights_inheriting && a->preopen == b->preopen &&
           a->preopen_name == b->preopen_name && (!with_pos || (a->pos == b->pos && a->fdflags == b->fdflags));
}

/* A copy of the descriptor table taken before a call. */
typedef struct fd_snap {
    wasi_fd_t fds[WASI_MAX_FDS];
    u32 nfds;
} fd_snap_t;

static void snap_take(const fz_instance_t *x, fd_snap_t *s) {
    s->nfds = x->ctx.nfds;
    memcpy(s->fds, x->ctx.fds, s->nfds * sizeof *s->fds);
}

/* snap_fd: fd i of the snapshot (an unused record past its end). */
static const wasi_fd_t *snap_fd(const fd_snap_t *s, u64 i) {
    static const wasi_fd_t none;
    return i < s->nfds ? &s->fds[i] : &none;
}

/* digest_mix: one more value into a digest (FNV-1a over 64-bit words). */
static u64 digest_mix(u64 h, u64 v) { return (h ^ v) * 0x100000001b3ull; }

static u64 digest_node(u64 h, const vfs_node_t *n) {
    h = digest_mix(h, vfs_ino(n));
    h = digest_mix(h, (u64)vfs_kind(n) | (u64)vfs_writable(n) << 8);
    h = digest_mix(h, vfs_size(n));
    h = digest_mix(h, vfs_nlink(n));
    h = digest_mix(h, vfs_atim(n));
    h = digest_mix(h, vfs_mtim(n));
    return digest_mix(h, vfs_ctim(n));
}

/* vfs_digest: what the VFS holds, as far as a call can change it: every
 * entry's name and node (inode, kind, size, links, times; data changes
 * move mtim), every open descriptor's node, and the bytes charged. */
static u64 vfs_digest(const fz_instance_t *x) {
    typedef struct { vfs_node_t *dir; size_t next; } level_t;
    static level_t stack[4096];
    u64 h = digest_mix(0xcbf29ce484222325ull, vfs_bytes(x->fs));
    size_t top = 0;
    stack[top++] = (level_t){vfs_root(x->fs), 0};
    h = digest_node(h, vfs_root(x->fs));
    while (top > 0) {
        const char *name;
        size_t len;
        vfs_node_t *n = vfs_dir_get(stack[top - 1].dir, stack[top - 1].next++, &name, &len, NULL);
        if (!n) { top--; continue; }
        for (size_t i = 0; i < len; i++) h = digest_mix(h, (uint8_t)name[i]);
        h = digest_node(h, n);
        if (vfs_kind(n) == VFS_DIR && top < sizeof stack / sizeof *stack) stack[top++] = (level_t){n, 0};
    }
    for (u32 i = 0; i < x->ctx.nfds; i++)
        if (x->ctx.fds[i].used && x->ctx.fds[i].node) h = digest_node(h, x->ctx.fds[i].node);
    return h;
}

/* ------------------------------------------------------------------ */
/* containment                                                         */

/* escapes: whether resolving [p, p+len) beneath directory `dir` must
 * leave it: an absolute path, or a walk (through symbolic links in the
 * middle, up to VFS_SYMLOOP_MAX of them; a link in the last place only
 * with a '/' after it is never assumed followed) that climbs above `dir`
 * or meets an absolute target before any other error could stop it.
 * False when the walk stops first (a missing or non-directory component,
 * too many links): the call may then fail for that reason instead. */
static bool escapes(vfs_node_t *dir, const char *p, size_t len) {
    if (len && p[0] == '/') return true;
    typedef struct { const char *p; size_t len, pos; } piece_t;
    piece_t st[VFS_SYMLOOP_MAX + 1];
    int top = 0, hops = 0;
    size_t depth = 0;
    vfs_node_t *cur = dir;
    st[top++] = (piece_t){p, len, 0};
    for (;;) {
        while (top > 0) {
            while (st[top - 1].pos < st[top - 1].len && st[top - 1].p[st[top - 1].pos] == '/') st[top - 1].pos++;
            if (st[top - 1].pos < st[top - 1].len) break;
            top--;
        }
        if (top == 0) return false;
        const char *comp = st[top - 1].p + st[top - 1].pos;
        size_t n = 0;
        while (st[top - 1].pos + n < st[top - 1].len && comp[n] != '/') n++;
        st[top - 1].pos += n;
        bool last = true;
        for (int i = top - 1; i >= 0 && last; i--)
            if (st[i].pos < st[i].len) {
                size_t k = st[i].pos;
                while (k < st[i].len && st[i].p[k] == '/') k++;
                last = k == st[i].len;
            }
        if (vfs_kind(cur) != VFS_DIR || memchr(comp, 0, n)) return false;
        if (n == 1 && comp[0] == '.') continue;
        if (n == 2 && comp[0] == '.' && comp[1] == '.') {
            if (depth == 0) return true;
            depth--;
            cur = vfs_parent(cur);
            continue;
        }
        if (last) return false;
        vfs_node_t *child = vfs_child(cur, comp, n);
        if (!child) return false;
        if (vfs_kind(child) == VFS_SYMLINK) {
            const char *t;
            size_t tl;
            if (hops++ == VFS_SYMLOOP_MAX || vfs_readlink(child, &t, &tl) != VFS_OK || tl == 0) return false;
            if (t[0] == '/') return true;
            st[top++] = (piece_t){t, tl, 0};
            continue;
        }
        if (vfs_kind(child) != VFS_DIR) return false;
        cur = child;
        depth++;
    }
}

/* The paths of one path_* call, noted before it runs: for each, whether
 * it must fail (absolute, or escaping its directory). */
typedef struct path_note {
    int n;
    bool must_fail[2];
    char text[2][64];
} path_note_t;

/* note_paths: for the path arguments of fn (shape letters P after the
 * descriptor they are resolved from; path_symlink's first one is a link
 * target, refused only when absolute). */
static void note_paths(const fz_instance_t *x, const fz_fn_t *fn, const u64 *v, path_note_t *pn) {
    pn->n = 0;
    if (strncmp(fn->name, "path_", 5) != 0 || !x->ctx.memory || !x->ctx.memory->data) return;
    int fd_at = -1;
    for (int i = 0; fn->shape[i] && pn->n < 2; i++) {
        if (fn->shape[i] == 'f') fd_at = i;
        if (fn->shape[i] != 'P') continue;
        u64 at = v[i], len = v[i + 1];
        if (len == 0 || at + len > x->ctx.memory->size) continue;
        const char *p = (const char *)x->ctx.memory->data + at;
        const wasi_fd_t *d = fd_at >= 0 && v[fd_at] < x->ctx.nfds ? &x->ctx.fds[v[fd_at]] : NULL;
        bool bad = p[0] == '/';
        if (!bad && d && d->used && d->kind == WASI_FD_NODE && vfs_kind(d->node) == VFS_DIR && fd_at >= 0)
            bad = escapes(d->node, p, (size_t)len);
        snprintf(pn->text[pn->n], sizeof pn->text[0], "%.*s", (int)(len < 60 ? len : 60), p);
        pn->must_fail[pn->n++] = bad;
    }
}

/* ------------------------------------------------------------------ */
/* what one call may change                                            */

/* opened_rights: what path_open must give a new descriptor for a node of
 * kind `dir_kind` from directory record d, asked for base/inh. */
static void opened_rights(const wasi_fd_t *d, bool is_dir, u64 base, u64 inh, u64 *ob, u64 *oi) {
    *ob = base & d->rights_inheriting & (is_dir ? WASI_RIGHTS_DIRECTORY : WASI_RIGHTS_REGULAR_FILE);
    *oi = is_dir ? inh & d->rights_inheriting & (WASI_RIGHTS_DIRECTORY | WASI_RIGHTS_REGULAR_FILE) : 0;
}

/* check_call_effects: after fn(v) returned r, the descriptor table
 * changed only as fn may change it (see the top of this file); updates
 * the shadow rights. */
static void check_call_effects(fz_instance_t *x, const fz_fn_t *fn, const u64 *v, u32 r, const fd_snap_t *b) {
    const wasi_ctx_t *c = &x->ctx;
    const char *name = fn->name;
    u32 n = c->nfds > b->nfds ? c->nfds : b->nfds;
    int changed = -1, moved_from = -1;
    bool pos_may_change = false;
    if (r == 0 && strcmp(name, "path_open") == 0) {
        u32 fd;
        memcpy(&fd, c->memory->data + v[8], 4);
        FZ_CHECK(fd < c->nfds && c->fds[fd].used && !snap_fd(b, fd)->used, "path_open returned fd %u", fd);
        const wasi_fd_t *f = &c->fds[fd], *d = snap_fd(b, v[0]);
        u64 ob, oi;
        opened_rights(d, vfs_kind(f->node) == VFS_DIR, v[5], v[6], &ob, &oi);
        FZ_CHECK(f->kind == WASI_FD_NODE && f->rights_base == ob && f->rights_inheriting == oi && !f->preopen &&
                     f->pos == 0,
                 "path_open fd %u rights %llx/%llx, asked %llx/%llx from %llx: want %llx/%llx", fd,
                 (unsigned long long)f->rights_base, (unsigned long long)f->rights_inheriting,
                 (unsigned long long)v[5], (unsigned long long)v[6], (unsigned long long)d->rights_inheriting,
                 (unsigned long long)ob, (unsigned long long)oi);
        x->orig_base[fd] = f->rights_base;
        x->orig_inh[fd] = f->rights_inheriting;
        changed = (int)fd;
    } else if (r == 0 && strcmp(name, "fd_renumber") == 0 && (u32)v[0] != (u32)v[1]) {
        u32 from = (u32)v[0], to = (u32)v[1];
        FZ_CHECK(fd_same(&c->fds[to], snap_fd(b, from), true) && !c->fds[from].used,
                 "fd_renumber %u -> %u did not move the descriptor", from, to);
        x->orig_base[to] = x->orig_base[from];
        x->orig_inh[to] = x->orig_inh[from];
        x->orig_base[from] = x->orig_inh[from] = 0;
        changed = (int)to;
        moved_from = (int)from;
    } else if (r == 0 && strcmp(name, "fd_close") == 0) {
        const wasi_fd_t *was = snap_fd(b, v[0]);
        if (was->kind == WASI_FD_NODE) {
            FZ_CHECK(!c->fds[v[0]].used, "fd_close left fd %llu open", (unsigned long long)v[0]);
            x->orig_base[v[0]] = x->orig_inh[v[0]] = 0;
            changed = (int)v[0];
        }
    } else if (strcmp(name, "fd_fdstat_set_rights") == 0) {
        const wasi_fd_t *was = snap_fd(b, v[0]);
        bool shrinks = (v[1] & ~was->rights_base) == 0 && (v[2] & ~was->rights_inheriting) == 0;
        u32 want = !was->used ? WASI_EBADF : shrinks ? 0 : WASI_ENOTCAPABLE;
        FZ_CHECK(r == want, "fd_fdstat_set_rights(%llu, %llx, %llx) from %llx/%llx: %u, want %u",
                 (unsigned long long)v[0], (unsigned long long)v[1], (unsigned long long)v[2],
                 (unsigned long long)was->rights_base, (unsigned long long)was->rights_inheriting, r, want);
        if (r == 0) {
            const wasi_fd_t *f = &c->fds[v[0]];
            FZ_CHECK(f->rights_base == v[1] && f->rights_inheriting == v[2], "fd_fdstat_set_rights did not apply");
            changed = (int)v[0];
        }
    } else if (r != WASI_ENOTCAPABLE) {
        pos_may_change = strcmp(name, "fd_seek") == 0 || strcmp(name, "fd_read") == 0 ||
                         strcmp(name, "fd_write") == 0 || strcmp(name, "fd_fdstat_set_flags") == 0;
    }
    for (u32 i = 0; i < n; i++) {
        if ((int)i == changed || (int)i == moved_from) continue;
        const wasi_fd_t *now = i < c->nfds ? &c->fds[i] : snap_fd(b, WASI_MAX_FDS);
        bool with_pos = !(pos_may_change && i == (u32)v[0]);
        FZ_CHECK(fd_same(now, snap_fd(b, i), with_pos), "%s (returned %u) changed fd %u", name, r, i);
    }
}



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
    if ((b & 0x50) == 0x50 && x->tmp && x->meta) { /* as `wadup exec --dir`: named preopens, no root */
        x->exec = true;
        wasi_remove_root_preopen(&x->ctx);
        FZ_CHECK(wasi_add_preopen(&x->ctx, x->tmp, "/tmp") == 3 && wasi_add_preopen(&x->ctx, x->meta, "meta") == 4,
                 "wasi_add_preopen");
    }
    sync_orig(x, WASI_MAX_FDS);
    memory_preset();
    fz_mem = (wasm_rt_memory_t){fz_region + GUARD, 1, 1, MEM_SIZE};
    x->ctx.memory = (b & 0x80) && (b & 0x20) ? NULL : &fz_mem;
}

/* next_content: what the engine does between two contents. */
static void next_content(fz_instance_t *x, fz_in_t *in) {
    x->in_host_reset = true;
    wasi_reset_fds(&x->ctx, keep_between_contents, x);
    x->in_host_reset = false;
    sync_orig(x, 4);
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
    check_rights(x);
    FZ_CHECK(x->ctx.out.data.len <= x->ctx.out.cap && x->ctx.err.data.len <= x->ctx.err.cap, "output over its cap");
    FZ_CHECK(x->budget.used == vfs_bytes(x->fs), "budget %llu, vfs %llu", (unsigned long long)x->budget.used,
             (unsigned long long)vfs_bytes(x->fs));
}


/* ------------------------------------------------------------------ */
/* probes: calls that lack a right                                     */

/* The probe memory: valid arguments for every probe call, so the only
 * error left is the missing right. */
enum { P_IOVS = 0x100, P_BUF = 0x1000, P_OUT = 0x2000, P_PATH = 0x3000, P_PATH2 = 0x3100, P_DATA = 0x3200,
       P_DIRENTS = 0x4000 };
static uint8_t fz_probe_region[MEM_SIZE];
static wasm_rt_memory_t fz_probe_mem = {fz_probe_region, 1, 1, MEM_SIZE};

static void probe_preset(void) {
    static bool done;
    if (done) return;
    done = true;
    u32 iov[4] = {P_BUF, 16, P_BUF + 0x100, 16};
    memcpy(fz_probe_region + P_IOVS, iov, sizeof iov);
    memset(fz_probe_region + P_BUF, 'p', 0x200);
    memcpy(fz_probe_region + P_PATH, "p", 1);
    memcpy(fz_probe_region + P_PATH2, "q", 1);
    memcpy(fz_probe_region + P_DATA, "data.bin", 8);
}

/* One probe: a call, the kinds of descriptor it applies to (F file, D
 * directory, I stdin, O stdout or stderr), and the rights it needs; all
 * of them are dropped before the call. */
typedef struct probe {
    const char *fn, *kinds;
    u64 need;
    u64 args[9]; /* PROBE_FD stands for the descriptor */
} probe_t;

#define PROBE_FD 0xf0f0f0f0f0ull
#define R(x) WASI_RIGHT_##x
static const probe_t fz_probes[] = {
    {"fd_read", "FI", R(FD_READ), {PROBE_FD, P_IOVS, 2, P_OUT}},
    {"fd_pread", "F", R(FD_READ), {PROBE_FD, P_IOVS, 2, 0, P_OUT}},
    {"fd_pread", "F", R(FD_SEEK), {PROBE_FD, P_IOVS, 2, 0, P_OUT}},
    {"fd_write", "FO", R(FD_WRITE), {PROBE_FD, P_IOVS, 2, P_OUT}},
    {"fd_pwrite", "F", R(FD_WRITE), {PROBE_FD, P_IOVS, 2, 0, P_OUT}},
    {"fd_pwrite", "F", R(FD_SEEK), {PROBE_FD, P_IOVS, 2, 0, P_OUT}},
    {"fd_seek", "F", R(FD_SEEK), {PROBE_FD, 1, WASI_WHENCE_SET, P_OUT}},
    {"fd_tell", "F", R(FD_TELL) | R(FD_SEEK), {PROBE_FD, P_OUT}},
    {"fd_sync", "F", R(FD_SYNC), {PROBE_FD}},
    {"fd_datasync", "F", R(FD_DATASYNC), {PROBE_FD}},
    {"fd_advise", "F", R(FD_ADVISE), {PROBE_FD, 0, 0, 0}},
    {"fd_allocate", "F", R(FD_ALLOCATE), {PROBE_FD, 0, 10}},
    {"fd_filestat_set_size", "F", R(FD_FILESTAT_SET_SIZE), {PROBE_FD, 3}},
    {"fd_filestat_get", "FD", R(FD_FILESTAT_GET), {PROBE_FD, P_OUT}},
    {"fd_filestat_set_times", "FD", R(FD_FILESTAT_SET_TIMES), {PROBE_FD, 0, 0, 0}},
    {"fd_fdstat_set_flags", "FD", R(FD_FDSTAT_SET_FLAGS), {PROBE_FD, 0}},
    {"fd_readdir", "D", R(FD_READDIR), {PROBE_FD, P_DIRENTS, 256, 0, P_OUT}},
    {"path_open", "D", R(PATH_OPEN), {PROBE_FD, 0, P_PATH, 1, 0, WASI_RIGHTS_ALL, WASI_RIGHTS_ALL, 0, P_OUT}},
    {"path_open", "D", R(PATH_CREATE_FILE), {PROBE_FD, 0, P_PATH, 1, WASI_O_CREAT, R(FD_WRITE), 0, 0, P_OUT}},
    {"path_open", "D", R(PATH_FILESTAT_SET_SIZE), {PROBE_FD, 0, P_PATH, 1, WASI_O_TRUNC, R(FD_WRITE), 0, 0, P_OUT}},
    {"path_create_directory", "D", R(PATH_CREATE_DIRECTORY), {PROBE_FD, P_PATH, 1}},
    {"path_link", "D", R(PATH_LINK_SOURCE), {PROBE_FD, 0, P_PATH, 1, PROBE_FD, P_PATH2, 1}},
    {"path_link", "D", R(PATH_LINK_TARGET), {PROBE_FD, 0, P_PATH, 1, PROBE_FD, P_PATH2, 1}},
    {"path_readlink", "D", R(PATH_READLINK), {PROBE_FD, P_PATH, 1, P_OUT + 64, 64, P_OUT}},
    {"path_rename", "D", R(PATH_RENAME_SOURCE), {PROBE_FD, P_PATH, 1, PROBE_FD, P_PATH2, 1}},
    {"path_rename", "D", R(PATH_RENAME_TARGET), {PROBE_FD, P_PATH, 1, PROBE_FD, P_PATH2, 1}},
    {"path_filestat_get", "D", R(PATH_FILESTAT_GET), {PROBE_FD, 0, P_PATH, 1, P_OUT}},
    {"path_filestat_set_times", "D", R(PATH_FILESTAT_SET_TIMES), {PROBE_FD, 0, P_PATH, 1, 0, 0, 0}},
    {"path_symlink", "D", R(PATH_SYMLINK), {P_PATH2, 1, PROBE_FD, P_PATH, 1}},
    {"path_remove_directory", "D", R(PATH_REMOVE_DIRECTORY), {PROBE_FD, P_PATH, 1}},
    {"path_unlink_file", "D", R(PATH_UNLINK_FILE), {PROBE_FD, P_PATH, 1}},
};
#undef R
#define FZ_NPROBES (sizeof fz_probes / sizeof *fz_probes)

/* fn_named: the call table entry of a function. */
static const fz_fn_t *fn_named(const char *name) {
    for (size_t i = 0; i < FZ_NFNS; i++)
        if (strcmp(fz_fns[i].name, name) == 0) return &fz_fns[i];
    FZ_CHECK(false, "no function %s", name);
    return NULL;
}

/* fd_letter: the probe kind letter of an open descriptor. */
static char fd_letter(const wasi_fd_t *f) {
    if (f->kind == WASI_FD_STDIN) return 'I';
    if (f->kind != WASI_FD_NODE) return 'O';
    return vfs_kind(f->node) == VFS_DIR ? 'D' : 'F';
}

/* probe_call: fn with args (PROBE_FD replaced by fd) in the probe memory;
 * returns its errno, and requires that it changed nothing when it is
 * `want_unchanged`. */
static u32 probe_call(fz_instance_t *x, const char *fn, const u64 *args, u32 fd, u32 expect) {
    static fd_snap_t before;
    static uint8_t mem_before[MEM_SIZE];
    u64 v[MAX_ARGS];
    for (int i = 0; i < MAX_ARGS; i++) v[i] = args[i] == PROBE_FD ? fd : args[i];
    wasm_rt_memory_t *saved = x->ctx.memory;
    x->ctx.memory = &fz_probe_mem;
    snap_take(x, &before);
    memcpy(mem_before, fz_probe_region, MEM_SIZE);
    u64 digest = vfs_digest(x);
    size_t out_len = x->ctx.out.data.len, err_len = x->ctx.err.data.len;
    u32 r = fn_named(fn)->call(&x->ctx, v);
    FZ_TRACE("probe %s on fd %u: %u", fn, fd, r);
    FZ_CHECK(r == expect, "%s on fd %u returned %u, not %u", fn, fd, r, expect);
    FZ_CHECK(vfs_digest(x) == digest, "%s on fd %u (errno %u) changed the VFS", fn, fd, r);
    FZ_CHECK(memcmp(mem_before, fz_probe_region, MEM_SIZE) == 0, "%s on fd %u (errno %u) wrote guest memory", fn, fd, r);
    FZ_CHECK(x->ctx.out.data.len == out_len && x->ctx.err.data.len == err_len, "%s on fd %u wrote output", fn, fd);
    for (u32 i = 0; i < x->ctx.nfds || i < before.nfds; i++)
        FZ_CHECK(fd_same(i < x->ctx.nfds ? &x->ctx.fds[i] : snap_fd(&before, WASI_MAX_FDS), snap_fd(&before, i), true),
                 "%s on fd %u (errno %u) changed fd %u", fn, fd, r, i);
    x->ctx.memory = saved;
    return r;
}

/* probe_step: a call the descriptor has (been made to) lack a right for
 * is ENOTCAPABLE and changes nothing; a file that is not writable refuses
 * fd_write with EROFS. */
static void probe_step(fz_instance_t *x, fz_in_t *in) {
    probe_preset();
    u32 fd = (u32)arg_fd(in);
    uint8_t k = fz_u8(in);
    if (fd >= x->ctx.nfds || !x->ctx.fds[fd].used) return;
    wasi_fd_t *f = &x->ctx.fds[fd];
    char letter = fd_letter(f);
    if (letter == 'D' && f->node == vfs_root(x->fs) && (k & 0x80) && vfs_child(f->node, "data.bin", 8) &&
        (f->rights_base & WASI_RIGHT_PATH_OPEN)) { /* /data.bin opens for writing; writes are EROFS */
        u64 v[MAX_ARGS] = {fd, 0, P_DATA, 8, 0, WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE, 0, 0, P_OUT};
        u64 inheriting = f->rights_inheriting; /* (path_open may move the table) */
        wasm_rt_memory_t *saved = x->ctx.memory;
        x->ctx.memory = &fz_probe_mem;
        u32 r = fn_named("path_open")->call(&x->ctx, v);
        x->ctx.memory = saved;
        FZ_CHECK(r == 0 || r == WASI_EMFILE, "path_open of data.bin for writing: %u", r);
        if (r) return;
        u32 nfd;
        memcpy(&nfd, fz_probe_region + P_OUT, 4);
        bool can_write = x->ctx.fds[nfd].rights_base & WASI_RIGHT_FD_WRITE;
        FZ_CHECK(can_write == !!(inheriting & WASI_RIGHT_FD_WRITE), "data.bin opened without FD_WRITE");
        static const u64 w[9] = {PROBE_FD, P_IOVS, 2, P_OUT};
        if (can_write) probe_call(x, "fd_write", w, nfd, WASI_EROFS);
        u64 c[MAX_ARGS] = {nfd};
        r = fn_named("fd_close")->call(&x->ctx, c);
        FZ_CHECK(r == 0, "fd_close: %u", r);
        return;
    }
    if (letter == 'F' && !vfs_writable(f->node) && (f->rights_base & WASI_RIGHT_FD_WRITE) && (k & 0x80)) {
        static const u64 w[9] = {PROBE_FD, P_IOVS, 2, P_OUT};
        probe_call(x, "fd_write", w, fd, WASI_EROFS);
        return;
    }
    const probe_t *fit[FZ_NPROBES];
    size_t nfit = 0;
    for (size_t i = 0; i < FZ_NPROBES; i++)
        if (strchr(fz_probes[i].kinds, letter)) fit[nfit++] = &fz_probes[i];
    if (nfit == 0) return;
    const probe_t *p = fit[k % nfit];
    if (f->rights_base & p->need) {
        u64 v[MAX_ARGS] = {fd, f->rights_base & ~p->need, f->rights_inheriting};
        u32 r = fn_named("fd_fdstat_set_rights")->call(&x->ctx, v);
        FZ_CHECK(r == 0, "dropping rights %llx of fd %u: %u", (unsigned long long)p->need, fd, r);
    }
    probe_call(x, p->fn, p->args, fd, WASI_ENOTCAPABLE);
}

/* check_fdstat: fd_fdstat_get reports every open descriptor's type and
 * rights as the table holds them (asked through the probe memory). */
static void check_fdstat(fz_instance_t *x) {
    wasm_rt_memory_t *saved = x->ctx.memory;
    x->ctx.memory = &fz_probe_mem;
    for (u32 i = 0; i < x->ctx.nfds; i++) {
        const wasi_fd_t *f = &x->ctx.fds[i];
        u64 v[MAX_ARGS] = {i, P_OUT};
        u32 r = fn_named("fd_fdstat_get")->call(&x->ctx, v);
        FZ_CHECK(r == (f->used ? 0u : WASI_EBADF), "fd_fdstat_get(%u): %u", i, r);
        if (r) continue;
        const uint8_t *st = fz_probe_region + P_OUT;
        u64 base, inh;
        memcpy(&base, st + WASI_FDSTAT_RIGHTS_BASE, 8);
        memcpy(&inh, st + WASI_FDSTAT_RIGHTS_INHERITING, 8);
        FZ_CHECK(base == f->rights_base && inh == f->rights_inheriting, "fd_fdstat_get(%u) reports other rights", i);
        FZ_CHECK((base & ~x->orig_base[i]) == 0 && (inh & ~x->orig_inh[i]) == 0,
                 "fd_fdstat_get(%u) reports rights it was not opened with", i);
        if (f->kind == WASI_FD_NODE && vfs_kind(f->node) == VFS_DIR)
            FZ_CHECK(st[WASI_FDSTAT_FILETYPE] == WASI_FILETYPE_DIRECTORY && (base & FILE_ONLY_RIGHTS) == 0,
                     "fd_fdstat_get(%u): a directory with file rights", i);
    }
    x->ctx.memory = saved;
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

/* The functions drawn more often than the rest (after the table's own
 * indices): links and opening, so the tree gets symbolic and hard links. */
static const char *const fz_extra_fns[] = {"path_symlink", "path_symlink", "path_symlink", "path_link",
                                           "path_link",    "path_readlink", "path_open",   "path_open"};
#define FZ_NEXTRA (sizeof fz_extra_fns / sizeof *fz_extra_fns)

/* do_call: one WASI call with drawn arguments, and what it may change. */
static void do_call(fz_instance_t *x, fz_in_t *in) {
    static fd_snap_t before;
    size_t pick = fz_below(in, FZ_NFNS + FZ_NEXTRA);
    const fz_fn_t *fn = pick < FZ_NFNS ? &fz_fns[pick] : fn_named(fz_extra_fns[pick - FZ_NFNS]);
    if (strcmp(fn->name, "proc_raise") == 0) return; /* stops the guest: needs rt_call */
    u64 v[MAX_ARGS] = {0};
    draw_args(in, fn->shape, v);
    bool poll = strcmp(fn->name, "poll_oneoff") == 0;
    if (poll) clamp_subscriptions(v[0], v[2]);
    path_note_t notes;
    note_paths(x, fn, v, &notes);
    snap_take(x, &before);
    u64 digest = vfs_digest(x);
    u64 t0 = now_ns(CLOCK_MONOTONIC), wait0 = poll ? runqueue_ns() : 0;
    u32 r = fn->call(&x->ctx, v);
    u64 took = now_ns(CLOCK_MONOTONIC) - t0;
    FZ_TRACE("%s(%llx, %llx, %llx, %llx, %llx, %llx) = %u", fn->name, (unsigned long long)v[0], (unsigned long long)v[1],
             (unsigned long long)v[2], (unsigned long long)v[3], (unsigned long long)v[4], (unsigned long long)v[5], r);
    FZ_CHECK(r <= MAX_ERRNO, "%s returned %u, not a WASI errno", fn->name, r);
    check_call_effects(x, fn, v, r, &before);
    if (r == WASI_ENOTCAPABLE) FZ_CHECK(vfs_digest(x) == digest, "%s returned ENOTCAPABLE but changed the VFS", fn->name);
    for (int i = 0; i < notes.n; i++)
        FZ_CHECK(r != 0 || !notes.must_fail[i], "%s succeeded with path '%s', absolute or above its directory",
                 fn->name, notes.text[i]);
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
    switch (fz_u8(in) % 8) {
    case 0: case 1: poke(in); break;
    case 2: if (!x->exec) next_content(x, in); break; /* named preopens are for contexts that run once */
    case 3: set_strings(x, in, fz_u8(in) & 1); break;
    case 4: fz_mem.size = fz_mem.size ? 0 : MEM_SIZE; fz_mem.pages = fz_mem.size / MEM_SIZE; break;
    case 5: x->ctx.memory = x->ctx.memory ? NULL : &fz_mem; break;
    default: probe_step(x, in); break;
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
        if (step % 8 == 7) check_fdstat(&x);
    }
    check_fdstat(&x);
    instance_free(&x);
    return 0;
}
