/* spawn.h — running a helper program (wasm2c, the C compiler, the Python
 * module builder) and capturing its output, optionally under limits.
 *
 * spawn_capture runs a trusted helper as it is. spawn_run runs a helper
 * that processes untrusted input (wasm2c and the C compiler on a module)
 * under limits: address space and CPU seconds set in the child before
 * exec, the child in its own process group, and a wall-clock deadline the
 * parent enforces by killing the whole group (so cc1, as and ld die too).
 * It reports exactly what happened. spawn_run forks, and the child calls
 * only async-signal-safe functions before exec, so it is safe in a
 * multi-threaded process. */
#ifndef WADUP_UTIL_SPAWN_H
#define WADUP_UTIL_SPAWN_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"

/* spawn_capture: run argv (PATH searched) and append its stdout — and its
 * stderr too if `with_stderr` (otherwise stderr is inherited) — to `out`,
 * keeping at most `cap` bytes. Returns the exit status (128 + signal if
 * killed), or -1 with errno set if it could not be started. */
int spawn_capture(char *const argv[], bool with_stderr, buf_t *out, size_t cap);

/* Limits for spawn_run; 0 means no limit. */
typedef struct spawn_limits {
    uint64_t wall_ms;        /* wall clock, from the start; the group is killed at the deadline */
    uint64_t cpu_seconds;    /* RLIMIT_CPU of every process of the group (each its own) */
    uint64_t memory_bytes;   /* RLIMIT_AS of every process of the group (each its own) */
} spawn_limits_t;

/* What happened to the program, most specific first: a limit that was
 * exceeded wins over the plain exit status it caused. */
typedef enum spawn_outcome {
    SPAWN_EXITED,        /* exited on its own; status = exit status (0 = success) */
    SPAWN_SIGNALED,      /* killed by a signal; status = the signal */
    SPAWN_WALL_LIMIT,    /* still running at the wall-clock deadline: killed */
    SPAWN_CPU_LIMIT,     /* it or a child went over RLIMIT_CPU (SIGXCPU, or SIGKILL at the hard limit) */
    SPAWN_MEMORY_LIMIT,  /* it or a child reported it could not allocate memory */
    SPAWN_NOT_STARTED,   /* could not be started; status = errno */
    SPAWN_CANCELLED,     /* spawn_run_cancellable: still running when *cancel was set: killed */
} spawn_outcome_t;

typedef struct spawn_result {
    spawn_outcome_t outcome;
    int status;              /* see spawn_outcome_t */
    double wall_seconds;     /* how long it ran */
    double cpu_seconds;      /* user + system time of it and its reaped children */
} spawn_result_t;

/* spawn_run: run argv[0] (searched in PATH by the parent if it has no '/')
 * with environment `envp` (NULL = wadup's own), stdin from /dev/null and
 * stdout and stderr appended to `out` (at most `cap` bytes kept) under
 * `lim`. Always fills *res; returns 0 if the program exited with status
 * 0, else -1. */
int spawn_run(char *const argv[], char *const envp[], const spawn_limits_t *lim, buf_t *out, size_t cap,
              spawn_result_t *res);

/* spawn_run_cancellable: spawn_run that also kills the program's group
 * when another thread sets *cancel (looked at every 100 ms; outcome
 * SPAWN_CANCELLED). cancel NULL = spawn_run. */
int spawn_run_cancellable(char *const argv[], char *const envp[], const spawn_limits_t *lim, const atomic_bool *cancel,
                          buf_t *out, size_t cap, spawn_result_t *res);

/* spawn_outcome_text: "exited with status 1", "killed by signal 11
 * (Segmentation fault)", "killed at the wall-clock limit", ... for
 * messages (written to `text`, at most `len` bytes with the NUL). */
void spawn_outcome_text(const spawn_result_t *res, char *text, size_t len);

#endif
