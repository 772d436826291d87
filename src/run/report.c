/* report.c — progress and summary of a run (see report.h). */
#include "run/report.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct run_report {
    eng_module_t *const *modules;
    size_t nmodules;
    run_module_stats_t *totals;
    bool quiet, tty;
    atomic_long queued;
    atomic_llong done, failed, duplicates, skipped, resumed, bytes;
    double t0;
    pthread_t progress;
    bool progress_running;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
};

static double report_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void run_stats_add(run_module_stats_t *s, const eng_result_t *r) {
    s->runs++;
    s->total_ms += r->duration_ms;
    if (r->success) return;
    s->failures++;
    for (size_t i = 0; i < s->nkinds; i++)
        if (strcmp(s->kinds[i], r->error_kind) == 0) { s->kind_counts[i]++; return; }
    if (s->nkinds < RUN_STATS_KINDS) {
        s->kinds[s->nkinds] = r->error_kind;
        s->kind_counts[s->nkinds++] = 1;
    }
}

run_report_t *run_report_new(eng_module_t *const *modules, size_t n, bool quiet) {
    run_report_t *rep = calloc(1, sizeof *rep);
    if (!rep) return NULL;
    rep->totals = calloc(n ? n : 1, sizeof *rep->totals);
    if (!rep->totals) { free(rep); return NULL; }
    rep->modules = modules;
    rep->nmodules = n;
    rep->quiet = quiet;
    rep->tty = !quiet && isatty(STDERR_FILENO);
    pthread_mutex_init(&rep->lock, NULL);
    pthread_cond_init(&rep->wake, NULL);
    return rep;
}

void run_report_free(run_report_t *rep) {
    if (!rep) return;
    pthread_mutex_destroy(&rep->lock);
    pthread_cond_destroy(&rep->wake);
    free(rep->totals);
    free(rep);
}

static void report_line(run_report_t *rep) {
    double elapsed = report_now() - rep->t0;
    long long bytes = atomic_load(&rep->bytes);
    fprintf(stderr, "\rwadup: %lld done, %ld queued, %.1f MB/s, %lld failed, %lld duplicates   ",
            (long long)atomic_load(&rep->done), (long)atomic_load(&rep->queued),
            elapsed > 0 ? (double)bytes / 1e6 / elapsed : 0.0, (long long)atomic_load(&rep->failed),
            (long long)atomic_load(&rep->duplicates));
}

static void *report_progress_main(void *arg) {
    run_report_t *rep = arg;
    pthread_mutex_lock(&rep->lock);
    while (!rep->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 500 * 1000000L;
        if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait(&rep->wake, &rep->lock, &until);
        if (!rep->stopping) report_line(rep);
    }
    pthread_mutex_unlock(&rep->lock);
    return NULL;
}

void run_report_start(run_report_t *rep) {
    rep->t0 = report_now();
    if (rep->tty && pthread_create(&rep->progress, NULL, report_progress_main, rep) == 0) rep->progress_running = true;
}

void run_report_stop(run_report_t *rep) {
    if (!rep->progress_running) return;
    pthread_mutex_lock(&rep->lock);
    rep->stopping = true;
    pthread_cond_signal(&rep->wake);
    pthread_mutex_unlock(&rep->lock);
    pthread_join(rep->progress, NULL);
    rep->progress_running = false;
    report_line(rep);
    fputc('\n', stderr);
}

void run_report_queued(run_report_t *rep, long delta) { atomic_fetch_add(&rep->queued, delta); }

void run_report_done(run_report_t *rep, const store_content_t *c) {
    atomic_fetch_add(&rep->done, 1);
    atomic_fetch_add(&rep->bytes, (long long)c->size);
    if (strcmp(c->status, "failed") == 0) atomic_fetch_add(&rep->failed, 1);
    else if (strcmp(c->status, "duplicate") == 0) atomic_fetch_add(&rep->duplicates, 1);
    else if (strcmp(c->status, "success") != 0) atomic_fetch_add(&rep->skipped, 1);
}

void run_report_resumed(run_report_t *rep) { atomic_fetch_add(&rep->resumed, 1); }

void run_report_merge(run_report_t *rep, const run_module_stats_t *stats, size_t n) {
    for (size_t m = 0; m < n && m < rep->nmodules; m++) {
        run_module_stats_t *t = &rep->totals[m];
        const run_module_stats_t *s = &stats[m];
        t->runs += s->runs;
        t->failures += s->failures;
        t->total_ms += s->total_ms;
        t->idle_released += s->idle_released;
        for (size_t k = 0; k < s->nkinds; k++) {
            size_t i = 0;
            while (i < t->nkinds && strcmp(t->kinds[i], s->kinds[k]) != 0) i++;
            if (i == t->nkinds && t->nkinds < RUN_STATS_KINDS) t->kinds[t->nkinds++] = s->kinds[k];
            if (i < RUN_STATS_KINDS) t->kind_counts[i] += s->kind_counts[k];
        }
    }
}

void run_report_summary(run_report_t *rep, size_t skipped_inputs, const char *output) {
    if (rep->quiet) return;
    double elapsed = report_now() - rep->t0;
    long long done = atomic_load(&rep->done);
    fprintf(stderr, "wadup: %lld contents in %.2f s (%.0f/s, %.1f MB/s): %lld failed, %lld duplicates, %lld skipped",
            done, elapsed, elapsed > 0 ? (double)done / elapsed : 0.0,
            elapsed > 0 ? (double)atomic_load(&rep->bytes) / 1e6 / elapsed : 0.0, (long long)atomic_load(&rep->failed),
            (long long)atomic_load(&rep->duplicates), (long long)atomic_load(&rep->skipped));
    if (atomic_load(&rep->resumed)) fprintf(stderr, ", %lld already done (resumed)", (long long)atomic_load(&rep->resumed));
    if (skipped_inputs) fprintf(stderr, ", %zu inputs skipped", skipped_inputs);
    fprintf(stderr, "\n%-24s %10s %10s %12s  %s\n", "module", "runs", "failures", "time (s)", "failures by kind");
    for (size_t m = 0; m < rep->nmodules; m++) {
        const run_module_stats_t *t = &rep->totals[m];
        fprintf(stderr, "%-24s %10llu %10llu %12.3f  ", rep->modules[m]->name, (unsigned long long)t->runs,
                (unsigned long long)t->failures, t->total_ms / 1000.0);
        for (size_t k = 0; k < t->nkinds; k++)
            fprintf(stderr, "%s%s=%llu", k ? ", " : "", t->kinds[k], (unsigned long long)t->kind_counts[k]);
        if (t->idle_released)
            fprintf(stderr, "%sinstance freed between contents (--max-idle-memory) %llu times", t->nkinds ? "; " : "",
                    (unsigned long long)t->idle_released);
        fputc('\n', stderr);
    }
    fprintf(stderr, "wadup: results in %s\n", output);
}
