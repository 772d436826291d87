/* wasi.h — wadup's WASI preview1 implementation (import module
 * "wasi_snapshot_preview1").
 *
 * The context below is the `struct Z_wasi_snapshot_preview1_instance_t` that
 * wasm2c-generated code passes to every imported WASI function; the
 * functions themselves (Z_wasi_snapshot_preview1Z_<name>) are defined in
 * wasi.c and resolved when a compiled module is dlopened. All guest
 * pointers are bounds-checked against the current memory size (EFAULT);
 * every function brackets its work with rt_host_enter/rt_host_leave. */
#ifndef WADUP_WASI_WASI_H
#define WADUP_WASI_WASI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wasm-rt.h>
#include "util/buf.h"
#include "vfs/vfs.h"

/* A captured output stream (stdout or stderr) with a byte cap. */
typedef struct wasi_output {
    buf_t data;
    size_t cap;
    bool truncated;
} wasi_output_t;

typedef struct wasi_fd {
    bool used;
    int kind;               /* WASI_FD_STDIN/STDOUT/STDERR/NODE */
    vfs_node_t *node;       /* NODE: referenced */
    uint64_t pos;
    uint16_t fdflags;
    uint64_t rights_base, rights_inheriting;
    bool preopen;           /* a preopened directory (the root "/" unless preopen_name) */
    const char *preopen_name; /* a named preopen's guest name (owned by the context); NULL = "/" */
} wasi_fd_t;

enum { WASI_FD_STDIN = 1, WASI_FD_STDOUT, WASI_FD_STDERR, WASI_FD_NODE };

#define WASI_MAX_FDS 1024
#define WASI_MAX_IOVS 1024

typedef struct Z_wasi_snapshot_preview1_instance_t wasi_ctx_t;
struct Z_wasi_snapshot_preview1_instance_t {
    wasm_rt_memory_t *memory;   /* the module's exported "memory" (may be NULL) */
    vfs_t *fs;
    wasi_fd_t *fds;
    uint32_t nfds;
    char **args; size_t nargs;  /* NUL-terminated strings */
    char **env; size_t nenv;    /* "NAME=value" */
    wasi_output_t out, err;
    /* on_close: called when a descriptor that had the FD_WRITE right on a
     * file is closed (or replaced by fd_renumber). */
    void (*on_close)(void *user, vfs_node_t *node);
    void *user;
    char **preopen_names; size_t npreopen_names; /* wasi_add_preopen's names */
    /* wasi_stdio_passthrough: fds 0-2 are these host descriptors (their
     * WASI filetypes probed once) instead of empty stdin and capture. */
    bool stdio_passthrough;
    int stdio_host_fd[3];
    uint8_t stdio_filetype[3];
};

/* wasi_ctx_init: stdio on fds 0-2 and the root "/" preopened on fd 3;
 * output captured up to `output_cap` bytes per stream. Returns 0 or -1. */
int wasi_ctx_init(wasi_ctx_t *ctx, vfs_t *fs, size_t output_cap);
/* wasi_ctx_free: close every descriptor (no on_close calls) and free. */
void wasi_ctx_free(wasi_ctx_t *ctx);
/* wasi_set_args / wasi_set_env: replace argv / environment (copied).
 * env entries are "NAME=value". Return 0 or -1. */
int wasi_set_args(wasi_ctx_t *ctx, const char *const *args, size_t n);
int wasi_set_env(wasi_ctx_t *ctx, const char *const *env, size_t n);
/* wasi_reset_fds: between two contents: close (without on_close) every
 * descriptor from 3 up except those whose node `keep` approves, put stdio
 * back on fds 0-2 and the preopened root on fd 3 with a preopen's rights
 * (whatever the guest renumbered, closed or restricted). */
void wasi_reset_fds(wasi_ctx_t *ctx, bool (*keep)(void *user, vfs_node_t *node), void *user);
/* wasi_output_reset: empty both captured streams and their flags. */
void wasi_output_reset(wasi_ctx_t *ctx);

/* ---- contexts that choose their own preopens and stdio (wadup exec) ---- */
/* wasi_remove_root_preopen: close the root preopen wasi_ctx_init put on
 * fd 3, leaving fd 3 free. Not for contexts reset with wasi_reset_fds
 * (which puts the root back on fd 3). */
void wasi_remove_root_preopen(wasi_ctx_t *ctx);
/* wasi_add_preopen: preopen directory `dir` (referenced) with a preopen's
 * rights (directory rights as base, directory and file rights to pass on)
 * on the lowest free descriptor from 3 up, so successive calls take
 * 3, 4, ... in order; fd_prestat_get / fd_prestat_dir_name report
 * `guest_name` (copied, non-empty). Returns the descriptor, or -1 (out of
 * memory or descriptors, empty name). Named preopens are for contexts that
 * run once: wasi_reset_fds closes them. */
int wasi_add_preopen(wasi_ctx_t *ctx, vfs_node_t *dir, const char *guest_name);
/* wasi_stdio_passthrough: fds 0, 1, 2 become the host descriptors
 * host_fds[0..2] (still owned by the caller) instead of an empty stdin and
 * captured output: fd_read on stdin reads for real, fd_write on stdout and
 * stderr writes everything (partial writes and EINTR handled) unless the
 * host reports an error (EPIPE, ENOSPC, ...), both wait at most until the
 * call's deadline (the guest then stops with a timeout), and
 * fd_fdstat_get / fd_filestat_get report each descriptor's host type
 * (regular file, directory, character device for a terminal, socket,
 * unknown for a pipe: WASI preview1 has no pipe type). */
void wasi_stdio_passthrough(wasi_ctx_t *ctx, const int host_fds[3]);

/* wasi_import_signature: for a function of wasi_snapshot_preview1, its
 * wasm signature as a string of value letters "params:results" using
 * i=i32 I=i64 (e.g. fd_write "iiii:i", proc_exit "i:"), or NULL if
 * wadup does not provide a function of that name. */
const char *wasi_import_signature(const char *name);
/* wasi_function_count / wasi_function_name: the provided functions. */
size_t wasi_function_count(void);
const char *wasi_function_name(size_t i);

#endif
