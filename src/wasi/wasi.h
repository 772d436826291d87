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
    bool preopen;           /* the preopened root "/" */
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
 * descriptor from 3 up except those whose node `keep` approves, and put
 * the preopened root back on fd 3 with its full rights (whatever the
 * guest renumbered, closed or restricted). fds 0-2 cannot be replaced by
 * the guest and stay. */
void wasi_reset_fds(wasi_ctx_t *ctx, bool (*keep)(void *user, vfs_node_t *node), void *user);
/* wasi_output_reset: empty both captured streams and their flags. */
void wasi_output_reset(wasi_ctx_t *ctx);

/* wasi_import_signature: for a function of wasi_snapshot_preview1, its
 * wasm signature as a string of value letters "params:results" using
 * i=i32 I=i64 (e.g. fd_write "iiii:i", proc_exit "i:"), or NULL if
 * wadup does not provide a function of that name. */
const char *wasi_import_signature(const char *name);
/* wasi_function_count / wasi_function_name: the provided functions. */
size_t wasi_function_count(void);
const char *wasi_function_name(size_t i);

#endif
