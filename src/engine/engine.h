/* engine.h — running one module on one content, start to finish.
 *
 * A module (eng_module_t) is a .wasm file that has been mapped, read by the
 * wasm reader, checked against what wadup provides (imports, exports,
 * embedded files) and compiled (aot/). A slot (eng_slot_t) is one module on
 * one worker thread: it keeps the module's table definitions and, for
 * reactors, the live instance that is reused from one content to the next
 * and discarded after any trap. eng_run runs the module on one content and
 * returns everything it produced, or exactly why it failed.
 *
 * eng_run must be called on a thread started by rt_thread_spawn. */
#ifndef WADUP_ENGINE_ENGINE_H
#define WADUP_ENGINE_ENGINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "aot/aot.h"
#include "meta/metadata.h"
#include "util/buf.h"
#include "util/mapped_file.h"
#include "wasm/wasm_module.h"

/* Error kinds (the `error_kind` of results). */
#define ENG_KIND_INVALID_MODULE "invalid_module"
#define ENG_KIND_INSTANTIATE "instantiate"
#define ENG_KIND_MODULE_ERROR "module_error"
#define ENG_KIND_EXIT "exit"
#define ENG_KIND_METADATA "metadata_error"
#define ENG_KIND_MEMORY_LIMIT "memory_limit"
#define ENG_KIND_COMPILE "compile_error"   /* wasm2c or the C compiler failed or hit a compile limit */

typedef struct eng_limits {
    uint64_t max_memory;   /* bytes held by one instance: linear memory, files, emitted bytes */
    uint64_t max_stack;    /* native stack for guest code (used when spawning threads) */
    uint64_t timeout_ms;   /* per call (instantiation and each content); 0 = none */
    size_t max_output;     /* bytes captured per stream per call */
    size_t max_children;   /* sub-contents kept per call; later ones are dropped at once (0 = no limit) */
} eng_limits_t;

#define ENG_DEFAULT_MAX_MEMORY ((uint64_t)1 << 30)
#define ENG_DEFAULT_MAX_STACK ((uint64_t)8 << 20)
#define ENG_DEFAULT_TIMEOUT_MS 60000u
#define ENG_DEFAULT_MAX_OUTPUT ((size_t)1 << 20)
#define ENG_DEFAULT_MAX_CHILDREN 1000

void eng_limits_default(eng_limits_t *l);

typedef enum {
    ENG_REACTOR,            /* exports process (+ optional _initialize) */
    ENG_REACTOR_WITH_START, /* exports process and _start, no _initialize: _start runs once */
    ENG_COMMAND,            /* exports _start only: a fresh instance per content */
} eng_kind_t;

const char *eng_kind_name(eng_kind_t k);

typedef struct eng_file {
    char *path;             /* absolute guest path */
    const uint8_t *data;    /* points into the mapped module */
    size_t size;
} eng_file_t;

typedef struct eng_module {
    char *name;             /* file name without directory and .wasm */
    char *path;
    mapped_file_t file;
    wmod_t info;
    eng_kind_t kind;
    eng_file_t *files;      /* embedded files (custom sections "wadup.file:<path>") */
    size_t nfiles;
    aot_object_t *object;   /* NULL until eng_module_compile */
    /* The module with its env binary128 imports renamed to the WASI-side
     * functions implementing them (engine/softfloat.h): compiled instead of
     * the file when has_code. */
    bool has_code;
    buf_t code;
    wmod_t code_info;
} eng_module_t;

/* An error with its kind (NULL kind = an input error, such as an
 * unreadable file, that is not the module's fault). */
typedef struct eng_error {
    const char *kind;
    char *message;
} eng_error_t;

void eng_error_clear(eng_error_t *e);

/* eng_module_open: map, read and check a module. On failure returns -1
 * with err->kind = invalid_module, instantiate, or NULL (I/O error). */
int eng_module_open(const char *path, eng_module_t **out, eng_error_t *err);
/* eng_module_compile: load (compiling if needed) the native object. On
 * failure err->kind = compile_error (message "compile_error: ...") when
 * wasm2c or the C compiler failed or hit a limit, else invalid_module. */
int eng_module_compile(eng_module_t *m, const aot_config_t *cfg, bool *compiled, eng_error_t *err);
void eng_module_free(eng_module_t *m);
/* eng_import_provided: wadup provides import `im` of module `m` (a
 * wasi_snapshot_preview1 function or an env binary128 helper, with a type
 * wadup provides). */
bool eng_import_provided(const wmod_t *m, const wmod_import_t *im);

/* A content to process. */
typedef struct eng_content {
    const uint8_t *data;
    size_t size;
    const char *filename;
    const char *uuid;
    unsigned depth;
} eng_content_t;

/* One piece of sub-content emitted by a module. */
typedef struct eng_emission {
    char *filename;
    bool is_slice;
    uint64_t offset, length;   /* slice of the current content */
    uint8_t *data;             /* bytes (owned) */
    size_t size;
} eng_emission_t;

typedef struct eng_result {
    bool success;
    const char *error_kind;    /* NULL on success */
    char *error;               /* NULL on success */
    int64_t exit_code;         /* process()'s return value or the proc_exit code */
    buf_t out, err;            /* captured stdout / stderr (raw bytes) */
    bool out_truncated, err_truncated;
    meta_batch_t metadata;     /* tables point into the slot's schema */
    eng_emission_t *subcontent;
    size_t nsubcontent, subcontent_cap;
    size_t subcontent_dropped;  /* emissions past limits.max_children, dropped at once */
    double duration_ms;        /* time inside the module's entry point */
    uint64_t peak_memory;      /* the instance's peak bytes */
} eng_result_t;

void eng_result_init(eng_result_t *r);
void eng_result_free(eng_result_t *r);

typedef struct eng_slot eng_slot_t;
eng_slot_t *eng_slot_new(eng_module_t *m, const eng_limits_t *limits);
void eng_slot_free(eng_slot_t *s);
/* eng_slot_schema: the tables the module has defined so far. */
const meta_schema_t *eng_slot_schema(const eng_slot_t *s);
/* eng_slot_idle_bytes: what the slot's instance holds between calls and
 * counts toward --max-memory (its linear memory, the definitions charged to
 * it), or 0 when the slot has no instance. */
uint64_t eng_slot_idle_bytes(const eng_slot_t *s);
/* eng_slot_release: free the slot's instance and everything it holds; the
 * slot's next eng_run instantiates the module afresh. */
void eng_slot_release(eng_slot_t *s);
/* eng_run: run the slot's module on one content. Never fails as a call:
 * every problem is described in *r (initialised by eng_run). */
void eng_run(eng_slot_t *s, const eng_content_t *c, eng_result_t *r);

/* ---- wadup exec: one WASI command run like a native program (exec.c) ---- */

/* A --dir mapping: the host directory is copied into the sandbox (never
 * written back) and preopened under the name `guest`. */
typedef struct eng_exec_dir {
    const char *host;
    const char *guest;
} eng_exec_dir_t;

typedef struct eng_exec_options {
    const char *const *args;   /* argv[1..]; argv[0] is the module's name */
    size_t nargs;
    const char *const *env;    /* the whole environment, "NAME=value" */
    size_t nenv;
    const eng_exec_dir_t *dirs;/* preopened on fds 3, 4, ... in this order */
    size_t ndirs;
    int stdio[3];              /* host descriptors for the guest's fds 0-2 */
    uint64_t max_memory;       /* linear memory + the copied trees + files written */
    uint64_t max_stack;
    uint64_t timeout_ms;       /* instantiation + _start; 0 = none */
    /* note: called for each host entry of a --dir tree left out (symbolic
     * links, special files), before the module runs; may be NULL. */
    void (*note)(void *user, const char *host_path, const char *why);
    void *note_user;
} eng_exec_options_t;

typedef enum {
    ENG_EXEC_EXITED,       /* _start returned (exit_code 0) or called proc_exit */
    ENG_EXEC_TRAPPED,      /* a trap or the timeout stopped it: error_kind, message */
    ENG_EXEC_NOT_RUNNABLE, /* not a command (no _start), or not compiled */
    ENG_EXEC_SETUP_FAILED, /* the sandbox could not be built (a --dir unreadable or
                            * over max_memory, initial memory over it, no thread) */
    ENG_EXEC_BAD_OPTIONS,  /* a --dir GUEST path with "..", two mapped to one place */
} eng_exec_status_t;

typedef struct eng_exec_outcome {
    eng_exec_status_t status;
    uint32_t exit_code;        /* EXITED: proc_exit's code (0 when _start returned) */
    const char *error_kind;    /* static string; NULL when EXITED, and for failures that are not
                                * the module's (SETUP_FAILED other than memory_limit, BAD_OPTIONS) */
    char *message;             /* malloc'd; NULL when EXITED (or out of memory) */
    uint64_t peak_memory;      /* the instance's peak bytes */
} eng_exec_outcome_t;

/* eng_exec: run compiled module m's _start once in a fresh sandbox built
 * only from `o` (no /data.bin, /tmp, /metadata, /subcontent, no root
 * preopen, no embedded files): fds 0-2 passed through to o->stdio, the
 * --dir trees copied in and preopened from fd 3, on a new guest thread of
 * o->max_stack bytes. Blocks until the guest is done. The process should
 * ignore SIGPIPE (a write to a closed pipe is then EPIPE for the guest).
 * Always fills *out (free it with eng_exec_outcome_free); returns 0 when
 * the module ran (EXITED or TRAPPED), -1 otherwise. */
int eng_exec(eng_module_t *m, const eng_exec_options_t *o, eng_exec_outcome_t *out);
void eng_exec_outcome_free(eng_exec_outcome_t *out);

#endif
