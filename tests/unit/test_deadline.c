/* test_deadline.c — a call's deadline holds in host code too (src/rt and
 * src/wasi): the watchdog sends one signal per call, and when it lands
 * while the thread is in host code it only leaves a flag; that flag must
 * never be lost, neither before a blocking wait (poll_oneoff's sleep) nor
 * on the way back into guest code. Plain C functions stand in for guest
 * code, as in test_rt.c. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wasm-rt.h>

#include "rt/rt.h"
#include "test.h"
#include "vfs/vfs.h"
#include "wasi/wasi.h"
#include "wasi/wasi_abi.h"

uint32_t Z_wasi_snapshot_preview1Z_poll_oneoff(wasi_ctx_t *c, uint32_t in, uint32_t out, uint32_t n, uint32_t nev);
uint32_t Z_wasi_snapshot_preview1Z_random_get(wasi_ctx_t *c, uint32_t buf, uint32_t len);

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* host_spin: stay in host code (as a WASI call would) for `seconds`, long
 * enough for the watchdog's signal to come and go. */
static void host_spin(double seconds) {
    double until = now_s() + seconds;
    while (now_s() < until) { }
}

typedef struct job {
    void (*fn)(void *);
    void *arg;
    uint64_t timeout_ms;
    rt_status_t status;
    double seconds;
} job_t;

static void *run_job(void *p) {
    job_t *j = p;
    budget_t budget;
    budget_init(&budget, UINT64_MAX);
    rt_owner_t owner;
    rt_owner_init(&owner, &budget);
    double t0 = now_s();
    j->status = rt_call(&owner, j->timeout_ms, j->fn, j->arg);
    j->seconds = now_s() - t0;
    rt_owner_release(&owner);
    return NULL;
}

static job_t in_thread(void (*fn)(void *), void *arg, uint64_t timeout_ms) {
    job_t j = {fn, arg, timeout_ms, RT_OK, 0};
    rt_thread_handle_t *h;
    if (rt_thread_spawn(1 << 20, run_job, &j, &h) != 0) {
        j.status = RT_TRAP_HOST_ERROR;
        return j;
    }
    rt_thread_join(h);
    return j;
}

/* A WASI context whose guest memory is a host buffer. */
typedef struct sandbox {
    vfs_t *fs;
    wasi_ctx_t ctx;
    wasm_rt_memory_t memory;
    uint8_t *bytes;
} sandbox_t;

static int sandbox_init(sandbox_t *s, size_t size) {
    memset(s, 0, sizeof *s);
    s->fs = vfs_new(NULL);
    s->bytes = calloc(1, size);
    if (!s->fs || !s->bytes || wasi_ctx_init(&s->ctx, s->fs, 1024) != 0) return -1;
    s->memory.data = s->bytes;
    s->memory.size = size;
    s->ctx.memory = &s->memory;
    return 0;
}

static void sandbox_free(sandbox_t *s) {
    wasi_ctx_free(&s->ctx);
    vfs_free(s->fs);
    free(s->bytes);
}

static volatile int returned_to_guest;

/* The signal lands while in host code; then the guest asks poll_oneoff to
 * sleep an hour. The sleep must end at the call's deadline (already past). */
static void guest_sleeps_after_a_late_host_call(void *arg) {
    sandbox_t *s = arg;
    uint8_t *sub = s->bytes;
    uint64_t hour = 3600ull * 1000000000ull;
    sub[WASI_SUBSCRIPTION_TAG] = WASI_EVENTTYPE_CLOCK;
    uint32_t id = WASI_CLOCK_MONOTONIC;
    memcpy(sub + WASI_SUBSCRIPTION_CLOCK_ID, &id, 4);
    memcpy(sub + WASI_SUBSCRIPTION_CLOCK_TIMEOUT, &hour, 8);
    rt_host_enter();
    host_spin(0.15);   /* the watchdog fires at 50 ms: in host code, a flag */
    /* no rt_host_leave: straight on into the next host call, as if the
     * first one had been poll_oneoff's own reading of its subscriptions */
    Z_wasi_snapshot_preview1Z_poll_oneoff(&s->ctx, 0, 4096, 1, 8192);
    returned_to_guest = 1;
}

TEST(sleep_never_outlasts_the_deadline) {
    sandbox_t s;
    REQUIRE(sandbox_init(&s, 65536) == 0);
    returned_to_guest = 0;
    job_t j = in_thread(guest_sleeps_after_a_late_host_call, &s, 50);
    CHECK_EQ_INT(j.status, RT_TRAP_TIMEOUT);
    CHECK(j.seconds < 1.0);
    CHECK(!returned_to_guest);
    sandbox_free(&s);
}

/* A deadline passed during host work with no signal delivered yet (the
 * clock is ahead of the watchdog): still a timeout before the sleep. */
static void guest_sleeps_right_at_the_deadline(void *arg) {
    sandbox_t *s = arg;
    uint8_t *sub = s->bytes;
    uint64_t hour = 3600ull * 1000000000ull;
    sub[WASI_SUBSCRIPTION_TAG] = WASI_EVENTTYPE_CLOCK;
    memcpy(sub + WASI_SUBSCRIPTION_CLOCK_TIMEOUT, &hour, 8);
    for (;;) Z_wasi_snapshot_preview1Z_poll_oneoff(&s->ctx, 0, 4096, 1, 8192);
}

TEST(repeated_sleeps_end_at_the_deadline) {
    sandbox_t s;
    REQUIRE(sandbox_init(&s, 65536) == 0);
    job_t j = in_thread(guest_sleeps_right_at_the_deadline, &s, 100);
    CHECK_EQ_INT(j.status, RT_TRAP_TIMEOUT);
    CHECK(j.seconds >= 0.09 && j.seconds < 1.0);
    sandbox_free(&s);
}

/* The signal lands in host code; leaving host code must deliver it, never
 * return to guest code that could then spin for ever. */
static void guest_after_long_host_call(void *arg) {
    (void)arg;
    rt_host_enter();
    host_spin(0.15);
    rt_host_leave();
    returned_to_guest = 1;
}

TEST(leaving_host_code_delivers_the_timeout) {
    returned_to_guest = 0;
    job_t j = in_thread(guest_after_long_host_call, NULL, 50);
    CHECK_EQ_INT(j.status, RT_TRAP_TIMEOUT);
    CHECK(!returned_to_guest);
}

/* rt_deadline_passed sees the clock, not only the signal. */
static void guest_checks_the_clock(void *arg) {
    int *seen = arg;
    rt_host_enter();
    seen[0] = rt_deadline_passed();
    seen[1] = rt_call_deadline() != 0;
    double until = now_s() + 2.0;
    while (!rt_deadline_passed() && now_s() < until) { }
    seen[2] = rt_deadline_passed();
    rt_host_leave();
    seen[3] = 1;
}

TEST(deadline_passed_by_the_clock) {
    int seen[4] = {0};
    job_t j = in_thread(guest_checks_the_clock, seen, 30);
    CHECK_EQ_INT(j.status, RT_TRAP_TIMEOUT);
    CHECK_EQ_INT(seen[0], 0);
    CHECK_EQ_INT(seen[1], 1);
    CHECK_EQ_INT(seen[2], 1);
    CHECK_EQ_INT(seen[3], 0);
    CHECK(j.seconds < 1.0);
}

/* random_get over a large buffer stops at the deadline. */
static void guest_asks_much_randomness(void *arg) {
    sandbox_t *s = arg;
    for (;;) Z_wasi_snapshot_preview1Z_random_get(&s->ctx, 0, (uint32_t)s->memory.size);
}

TEST(random_get_is_bounded_by_the_deadline) {
    sandbox_t s;
    REQUIRE(sandbox_init(&s, 64u << 20) == 0);
    job_t j = in_thread(guest_asks_much_randomness, &s, 100);
    CHECK_EQ_INT(j.status, RT_TRAP_TIMEOUT);
    CHECK(j.seconds < 1.0);
    sandbox_free(&s);
}

int main(void) {
    if (rt_init() != 0) return 1;
    RUN(sleep_never_outlasts_the_deadline);
    RUN(repeated_sleeps_end_at_the_deadline);
    RUN(leaving_host_code_delivers_the_timeout);
    RUN(deadline_passed_by_the_clock);
    RUN(random_get_is_bounded_by_the_deadline);
    return test_summary("deadline");
}
