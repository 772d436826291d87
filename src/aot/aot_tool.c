/* aot_tool.c — running wasm2c and the C compiler under the compile limits,
 * alone or as a pool of parallel jobs (see aot_tool.h). */
#include "aot/aot_tool.h"

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/spawn.h"

#define AOT_OUTPUT_CAP 65536          /* diagnostics kept per tool run */
#define AOT_MAX_PARALLEL 256          /* threads of one parallel run */

double aot_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void aot_format_size(uint64_t v, char *out, size_t len) {
    static const char *const units[] = {"GiB", "MiB", "KiB"};
    for (unsigned i = 0; i < 3; i++) {
        unsigned shift = 30 - 10 * i;
        if (v && v % ((uint64_t)1 << shift) == 0) {
            snprintf(out, len, "%" PRIu64 " %s", v >> shift, units[i]);
            return;
        }
    }
    snprintf(out, len, "%" PRIu64 " bytes", v);
}

unsigned aot_cpu_count(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* ---- describing failures ---- */

static bool aot_space(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

/* aot_append_diag: ": <diagnostics>" (surrounding whitespace dropped), or
 * nothing if the tool printed nothing. */
static void aot_append_diag(buf_t *log, const buf_t *diag) {
    size_t start = 0, end = diag->len;
    while (start < end && aot_space(diag->data[start])) start++;
    while (end > start && aot_space(diag->data[end - 1])) end--;
    if (start == end) return;
    buf_append_str(log, ": ");
    buf_append(log, diag->data + start, end - start);
}

/* aot_crashed: the tool, or a program it ran, was killed by a signal
 * (gcc: "... signal terminated program cc1"). */
static bool aot_crashed(const spawn_result_t *res, const buf_t *diag) {
    static const char marker[] = "signal terminated program";
    return res->outcome == SPAWN_SIGNALED ||
           (diag->len && memmem(diag->data, diag->len, marker, sizeof marker - 1) != NULL);
}

/* aot_describe: why `tool` failed, for the user. A crash mentions the
 * memory limit: a stack or mmap growth it refused crashes a tool instead
 * of making it report. */
static void aot_describe(buf_t *log, const char *tool, const spawn_result_t *res, const aot_limits_t *lim,
                         const buf_t *diag) {
    char what[160], size[64];
    aot_format_size(lim->memory, size, sizeof size);
    switch (res->outcome) {
    case SPAWN_WALL_LIMIT:
        buf_printf(log, "%s exceeded --compile-timeout (%g s)", tool, (double)lim->timeout_ms / 1000.0);
        return;
    case SPAWN_CPU_LIMIT:
        buf_printf(log, "%s exceeded its CPU time limit (%" PRIu64 " s, from --compile-timeout)", tool,
                   (lim->timeout_ms + 999) / 1000);
        break;
    case SPAWN_MEMORY_LIMIT:
        if (lim->memory) buf_printf(log, "%s ran out of memory under --compile-memory (%s)", tool, size);
        else buf_printf(log, "%s ran out of memory", tool);
        break;
    case SPAWN_EXITED:
    case SPAWN_SIGNALED:
    case SPAWN_NOT_STARTED:
    case SPAWN_CANCELLED:
        buf_printf(log, "%s failed", tool);
        if (lim->memory && aot_crashed(res, diag))
            buf_printf(log, " (crashed under --compile-memory %s)", size);
        spawn_outcome_text(res, what, sizeof what);
        if (res->outcome != SPAWN_EXITED || diag->len == 0) buf_printf(log, ": %s", what);
        break;
    }
    aot_append_diag(log, diag);
}

/* aot_spawn_limits: the spawn limits of one tool run within the budget. */
static spawn_limits_t aot_spawn_limits(const aot_limits_t *lim, double deadline) {
    spawn_limits_t sl = {0, 0, lim->memory};
    if (lim->timeout_ms) {
        double left = deadline - aot_now();
        sl.wall_ms = left > 0.001 ? (uint64_t)(left * 1000.0) : 1;
        sl.cpu_seconds = (lim->timeout_ms + 999) / 1000;
    }
    return sl;
}

int aot_tool_run(char *const argv[], char *const env[], const char *tool, const aot_limits_t *lim, double deadline,
                 buf_t *log) {
    spawn_limits_t sl = aot_spawn_limits(lim, deadline);
    buf_t diag = BUF_INIT;
    spawn_result_t res;
    int rc = spawn_run(argv, env, &sl, &diag, AOT_OUTPUT_CAP, &res);
    if (rc != 0) aot_describe(log, tool, &res, lim, &diag);
    buf_free(&diag);
    return rc;
}

/* ---- parallel jobs ---- */

typedef struct aot_pool {
    const aot_job_t *jobs;
    size_t n, next, done;
    char *const *env;
    const aot_limits_t *lim;
    double deadline;
    aot_progress_fn progress;
    void *ctx;
    pthread_mutex_t mu;
    atomic_bool cancel;      /* a job failed: start nothing, kill the rest */
    bool failed;
    buf_t *log;              /* the first failure's reason */
} aot_pool_t;

/* aot_pool_take: the next job to run, or SIZE_MAX when done or cancelled. */
static size_t aot_pool_take(aot_pool_t *p) {
    pthread_mutex_lock(&p->mu);
    size_t i = p->next < p->n && !atomic_load(&p->cancel) ? p->next++ : SIZE_MAX;
    pthread_mutex_unlock(&p->mu);
    return i;
}

/* aot_pool_finish: record the outcome of job i; the first failure (not a
 * job the cancellation killed) is reported and cancels the rest. */
static void aot_pool_finish(aot_pool_t *p, size_t i, int rc, const spawn_result_t *res, const buf_t *diag) {
    pthread_mutex_lock(&p->mu);
    if (rc == 0) {
        p->done++;
        if (p->progress) p->progress(p->ctx, p->done, p->n);
    } else if (!p->failed && res->outcome != SPAWN_CANCELLED) {
        p->failed = true;
        atomic_store(&p->cancel, true);
        aot_describe(p->log, p->jobs[i].tool, res, p->lim, diag);
    }
    pthread_mutex_unlock(&p->mu);
}

/* aot_pool_worker: run jobs until there are none left. */
static void *aot_pool_worker(void *arg) {
    aot_pool_t *p = arg;
    buf_t diag = BUF_INIT;
    for (size_t i; (i = aot_pool_take(p)) != SIZE_MAX;) {
        spawn_limits_t sl = aot_spawn_limits(p->lim, p->deadline);
        spawn_result_t res;
        buf_reset(&diag);
        int rc = spawn_run_cancellable(p->jobs[i].argv, p->env, &sl, &p->cancel, &diag, AOT_OUTPUT_CAP, &res);
        aot_pool_finish(p, i, rc, &res, &diag);
    }
    buf_free(&diag);
    return NULL;
}

int aot_jobs_run(const aot_job_t *jobs, size_t n, unsigned parallel, char *const env[], const aot_limits_t *lim,
                 double deadline, aot_progress_fn progress, void *ctx, buf_t *log) {
    aot_pool_t p = {.jobs = jobs, .n = n, .env = env, .lim = lim, .deadline = deadline, .progress = progress,
                    .ctx = ctx, .log = log};
    atomic_init(&p.cancel, false);
    if (pthread_mutex_init(&p.mu, NULL) != 0) {
        buf_append_str(log, "cannot start the compiler jobs: out of memory");
        return -1;
    }
    size_t threads = parallel ? parallel : 1;
    if (threads > n) threads = n;
    if (threads > AOT_MAX_PARALLEL) threads = AOT_MAX_PARALLEL;
    pthread_t tid[AOT_MAX_PARALLEL];
    size_t started = 0;
    /* This thread is one of the workers; fewer helpers if they cannot start. */
    while (started + 1 < threads && pthread_create(&tid[started], NULL, aot_pool_worker, &p) == 0) started++;
    aot_pool_worker(&p);
    for (size_t i = 0; i < started; i++) pthread_join(tid[i], NULL);
    pthread_mutex_destroy(&p.mu);
    if (!p.failed && p.done < n) buf_append_str(log, "the compiler jobs stopped early");
    return p.failed || p.done < n ? -1 : 0;
}
