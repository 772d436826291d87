/* report.h — what a run tells its user: live progress on stderr when it is
 * a terminal, and a summary at the end (per module: runs, failures by
 * kind, time). Counters are updated by workers without locks. */
#ifndef WADUP_RUN_REPORT_H
#define WADUP_RUN_REPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "engine/engine.h"
#include "store/store.h"

#define RUN_STATS_KINDS 20

/* One worker's statistics for one module. */
typedef struct run_module_stats {
    uint64_t runs, failures;
    double total_ms;
    const char *kinds[RUN_STATS_KINDS]; /* static error-kind strings */
    uint64_t kind_counts[RUN_STATS_KINDS];
    size_t nkinds;
    uint64_t idle_released;             /* instances freed for --max-idle-memory */
} run_module_stats_t;

void run_stats_add(run_module_stats_t *s, const eng_result_t *r);

typedef struct run_report run_report_t;
run_report_t *run_report_new(eng_module_t *const *modules, size_t n, bool quiet);
void run_report_free(run_report_t *rep);
void run_report_start(run_report_t *rep);          /* progress thread, if stderr is a terminal */
void run_report_stop(run_report_t *rep);
void run_report_queued(run_report_t *rep, long delta);
void run_report_done(run_report_t *rep, const store_content_t *c);
void run_report_resumed(run_report_t *rep);        /* a root skipped by --resume */
void run_report_merge(run_report_t *rep, const run_module_stats_t *stats, size_t n);
void run_report_summary(run_report_t *rep, size_t skipped_inputs, const char *output);

#endif
