/* test_engine.c — the engine across several contents on one slot, with the
 * guest module tests/guest/state_probe.c: instance reuse, nothing left
 * over from one content to the next (files, unclosed metadata,
 * descriptors), a fresh instance after a trap, sub-content and leftover
 * metadata handling. Needs the built guest modules (make examples); the
 * directory is $WADUP_GUEST_DIR or build/tests/guest. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "rt/rt.h"
#include "test.h"

typedef struct probe_row {
    int64_t call, tmp_entries, meta_entries, sub_entries;
    bool marker_seen, old_fd_works;
    char content[16];
} probe_row_t;

typedef struct run_ctx {
    eng_slot_t *slot;
    const char *const *contents;
    size_t n;
    eng_result_t *results;
} run_ctx_t;

static aot_config_t cfg;
static eng_module_t *probe;

static void *run_all(void *arg) {
    run_ctx_t *ctx = arg;
    for (size_t i = 0; i < ctx->n; i++) {
        eng_content_t c = {(const uint8_t *)ctx->contents[i], strlen(ctx->contents[i]), "f.txt",
                           "00000000-0000-4000-8000-000000000000", 1};
        eng_run(ctx->slot, &c, &ctx->results[i]);
    }
    return NULL;
}

/* state_of: the single state row of a result. */
static int state_of(const eng_result_t *r, probe_row_t *out) {
    for (size_t i = 0; i < r->metadata.nrows; i++) {
        const meta_row_t *row = &r->metadata.rows[i];
        if (strcmp(row->table->name, "state") != 0) continue;
        out->call = row->values[0].u.i;
        out->tmp_entries = row->values[1].u.i;
        out->meta_entries = row->values[2].u.i;
        out->sub_entries = row->values[3].u.i;
        out->marker_seen = row->values[4].u.b;
        out->old_fd_works = row->values[5].u.b;
        snprintf(out->content, sizeof out->content, "%s", row->values[6].u.s.ptr);
        return 0;
    }
    return -1;
}

static size_t count_rows(const eng_result_t *r, const char *table) {
    size_t n = 0;
    for (size_t i = 0; i < r->metadata.nrows; i++) n += strcmp(r->metadata.rows[i].table->name, table) == 0;
    return n;
}

/* run_contents: run the probe on each content in turn on one slot; the
 * caller frees the slot after reading the results (their tables point into
 * its schema). */
static eng_slot_t *run_contents(const char *const *contents, size_t n, eng_result_t *results) {
    eng_limits_t limits;
    eng_limits_default(&limits);
    limits.timeout_ms = 10000;
    run_ctx_t ctx = {eng_slot_new(probe, &limits), contents, n, results};
    rt_thread_handle_t *th;
    if (ctx.slot && rt_thread_spawn((size_t)limits.max_stack, run_all, &ctx, &th) == 0) rt_thread_join(th);
    return ctx.slot;
}

static void free_results(eng_slot_t *slot, eng_result_t *results, size_t n) {
    for (size_t i = 0; i < n; i++) eng_result_free(&results[i]);
    eng_slot_free(slot);
}

TEST(instance_reused_and_nothing_leaks) {
    const char *contents[] = {"ok", "fail", "ok", "trap", "ok", "ok"};
    enum { N = 6 };
    eng_result_t r[N];
    memset(r, 0, sizeof r);
    eng_slot_t *slot = run_contents(contents, N, r);
    REQUIRE(slot);
    static const int64_t expected_call[N] = {1, 2, 3, 4, 1, 2}; /* the trap discards the instance */
    static const bool expected_success[N] = {true, false, true, false, true, true};
    for (int i = 0; i < N; i++) {
        probe_row_t row;
        REQUIRE(state_of(&r[i], &row) == 0);
        CHECK_EQ_INT(row.call, expected_call[i]);
        CHECK_EQ_INT(r[i].success, expected_success[i]);
        CHECK_EQ_INT(row.tmp_entries, 0);
        CHECK_EQ_INT(row.meta_entries, 0);
        CHECK_EQ_INT(row.sub_entries, 0);
        CHECK(!row.marker_seen);
        CHECK(!row.old_fd_works);
        CHECK_STR(row.content, contents[i]);
        /* the unclosed /metadata file counts only when the call succeeded */
        CHECK_EQ_INT(count_rows(&r[i], "leftover"), expected_success[i] ? 1 : 0);
    }
    CHECK_STR(r[1].error_kind, "module_error");
    CHECK_STR(r[3].error_kind, "unreachable");
    free_results(slot, r, N);
}

TEST(subcontent_bytes_and_slice) {
    const char *contents[] = {"emit"};
    eng_result_t r[1];
    memset(r, 0, sizeof r);
    eng_slot_t *slot = run_contents(contents, 1, r);
    REQUIRE(slot);
    CHECK(r[0].success);
    REQUIRE(r[0].nsubcontent == 2);
    CHECK_STR(r[0].subcontent[0].filename, "child.txt");
    CHECK(!r[0].subcontent[0].is_slice);
    CHECK_EQ_INT(r[0].subcontent[0].size, 11);
    CHECK(r[0].subcontent[0].data && memcmp(r[0].subcontent[0].data, "child-bytes", 11) == 0);
    CHECK_STR(r[0].subcontent[1].filename, "slice.bin");
    CHECK(r[0].subcontent[1].is_slice);
    CHECK_EQ_INT(r[0].subcontent[1].offset, 0);
    CHECK_EQ_INT(r[0].subcontent[1].length, 2);
    free_results(slot, r, 1);
}

int main(void) {
    const char *dir = getenv("WADUP_GUEST_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/state_probe.wasm", dir ? dir : "build/tests/guest");
    char *err = NULL;
    char tmpl[] = "/tmp/wadup-test-engine-XXXXXX";
    const char *cache = getenv("WADUP_CACHE_DIR");
    if (!cache) cache = mkdtemp(tmpl);
    eng_error_t e = {0};
    if (!cache || aot_config_init(&cfg, cache, &err) != 0) {
        fprintf(stderr, "engine: cannot set up the cache: %s\n", err ? err : "mkdtemp failed");
        return 1;
    }
    cfg.quiet = true;
    bool compiled;
    if (eng_module_open(path, &probe, &e) != 0 || eng_module_compile(probe, &cfg, &compiled, &e) != 0) {
        fprintf(stderr, "engine: cannot load %s: %s\n", path, e.message ? e.message : "?");
        return 1;
    }
    RUN(instance_reused_and_nothing_leaks);
    RUN(subcontent_bytes_and_slice);
    eng_module_free(probe);
    aot_config_free(&cfg);
    return test_summary("engine");
}
