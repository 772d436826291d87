/* aot_tool.h — running the compilation's tools (wasm2c, the C compiler)
 * under the compile limits, one at a time or several in parallel.
 *
 * Every tool process runs through spawn_run with the limits of aot.h:
 * RLIMIT_AS = --compile-memory and RLIMIT_CPU = --compile-timeout for each
 * process (so with N parallel jobs up to N times the memory limit can be
 * in use at once), and one wall-clock deadline for the whole compilation
 * of a module, shared by all its jobs. When one parallel job fails, the
 * others are killed (their process groups, within 100 ms) and the first
 * failure is the one reported. */
#ifndef WADUP_AOT_AOT_TOOL_H
#define WADUP_AOT_AOT_TOOL_H
#include <stddef.h>
#include <stdint.h>
#include "aot/aot.h"
#include "util/buf.h"

/* aot_now: monotonic seconds. */
double aot_now(void);

/* aot_format_size: "2 GiB", "64 MiB", "512 KiB" or "N bytes" into out. */
void aot_format_size(uint64_t v, char *out, size_t len);

/* aot_tool_run: run one tool (`tool` names it in messages: "wasm2c", "the
 * C compiler") under the limits, within the compilation's budget that
 * ends at `deadline` (aot_now() time; ignored without a timeout), with
 * environment `env`. Returns 0, or -1 with the reason appended to log:
 * "the C compiler failed: <diagnostics>", "wasm2c exceeded
 * --compile-timeout (600 s)", "the C compiler ran out of memory under
 * --compile-memory (2 GiB): ...". */
int aot_tool_run(char *const argv[], char *const env[], const char *tool, const aot_limits_t *lim, double deadline,
                 buf_t *log);

/* One job of a parallel run. */
typedef struct aot_job {
    char **argv;          /* NULL-terminated; not owned */
    const char *tool;     /* for messages */
} aot_job_t;

/* Called (from any thread, one call at a time) after each job that
 * succeeded, with the number done so far. */
typedef void (*aot_progress_fn)(void *ctx, size_t done, size_t total);

/* aot_jobs_run: run jobs[0..n) (started in that order) with up to
 * `parallel` at a time (0 = 1) under `lim` and `deadline` as for
 * aot_tool_run. Stops at the first failure: jobs not yet started are not
 * started, running ones are killed. Returns 0 when all succeeded, else -1
 * with the first failure's reason appended to log ("out of memory" if the
 * run could not be organised at all). */
int aot_jobs_run(const aot_job_t *jobs, size_t n, unsigned parallel, char *const env[], const aot_limits_t *lim,
                 double deadline, aot_progress_fn progress, void *ctx, buf_t *log);

/* aot_cpu_count: the CPUs this process may run on (at least 1). */
unsigned aot_cpu_count(void);

#endif
