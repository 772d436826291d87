/* test_rt.c — the runtime for compiled guest code (src/rt/): traps are
 * delivered to the right thread with the right kind, timeouts interrupt
 * busy code, stack exhaustion and out-of-bounds accesses become traps,
 * memory growth honours the budget, and a fault outside guest code is a
 * real crash (checked in child processes). Plain C functions stand in for
 * wasm2c-generated code: rt_call runs them exactly as it runs a module. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wasm-rt.h>

#include "rt/rt.h"
#include "test.h"

typedef struct job {
    rt_status_t status;
    uint64_t timeout_ms;
    void (*fn)(void *);
    void *arg;
    budget_t budget;
} job_t;

static void *run_job(void *p) {
    job_t *j = p;
    rt_owner_t owner;
    rt_owner_init(&owner, &j->budget);
    j->status = rt_call(&owner, j->timeout_ms, j->fn, j->arg);
    rt_owner_release(&owner);
    return NULL;
}

/* in_thread: run fn as guest code on a fresh guest thread. */
static rt_status_t in_thread(void (*fn)(void *), void *arg, uint64_t timeout_ms, uint64_t budget) {
    job_t j = {RT_OK, timeout_ms, fn, arg, {0}};
    budget_init(&j.budget, budget);
    rt_thread_handle_t *h;
    if (rt_thread_spawn(1 << 20, run_job, &j, &h) != 0) return RT_TRAP_HOST_ERROR;
    rt_thread_join(h);
    return j.status;
}

static void guest_traps(void *arg) { wasm_rt_trap((wasm_rt_trap_t)(intptr_t)arg); }
static void guest_returns(void *arg) { *(int *)arg = 42; }

static volatile unsigned long spin_counter;
static void guest_spins(void *arg) { (void)arg; for (;;) spin_counter++; }

static volatile int recursion_limit = 1 << 30; /* never reached: the stack runs out first */

static int recurse(volatile int *depth) {
    volatile char frame[256];
    frame[0] = (char)*depth;
    if (++*depth > recursion_limit) return 0;
    return recurse(depth) + frame[0];
}
static void guest_recurses(void *arg) { recurse(arg); }

static void guest_memory(void *arg) {
    wasm_rt_memory_t *mem = arg;
    wasm_rt_allocate_memory(mem, 1, 100);
    mem->data[65535] = 1;            /* last valid byte */
    volatile uint8_t *p = mem->data;
    p[65536 + 4096] = 1;             /* beyond the size, inside the reservation */
}

static void guest_grows(void *arg) {
    uint32_t *results = arg;
    wasm_rt_memory_t mem;
    wasm_rt_allocate_memory(&mem, 1, 1000);
    results[0] = wasm_rt_grow_memory(&mem, 2);    /* 3 pages: within a 4-page budget */
    results[1] = wasm_rt_grow_memory(&mem, 10);   /* refused */
    results[2] = mem.pages;
}

static void host_code_faults(void *arg) {
    (void)arg;
    rt_host_enter();
    volatile int *null = NULL;
    *null = 1;
}

static volatile uintptr_t wild_address = 16;

static void guest_faults_outside_memory(void *arg) {
    (void)arg;
    volatile int *wild = (volatile int *)wild_address;
    *wild = 1;
}

TEST(trap_kinds_are_exact) {
    static const struct { wasm_rt_trap_t trap; rt_status_t expected; } cases[] = {
        {WASM_RT_TRAP_OOB, RT_TRAP_OUT_OF_BOUNDS},        {WASM_RT_TRAP_INT_OVERFLOW, RT_TRAP_INTEGER_OVERFLOW},
        {WASM_RT_TRAP_DIV_BY_ZERO, RT_TRAP_DIVIDE_BY_ZERO}, {WASM_RT_TRAP_INVALID_CONVERSION, RT_TRAP_INVALID_CONVERSION},
        {WASM_RT_TRAP_UNREACHABLE, RT_TRAP_UNREACHABLE},  {WASM_RT_TRAP_CALL_INDIRECT, RT_TRAP_INDIRECT_CALL},
        {WASM_RT_TRAP_EXHAUSTION, RT_TRAP_STACK_OVERFLOW},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        CHECK_EQ_INT(in_thread(guest_traps, (void *)(intptr_t)cases[i].trap, 0, 1 << 20), cases[i].expected);
    int out = 0;
    CHECK_EQ_INT(in_thread(guest_returns, &out, 0, 1 << 20), RT_OK);
    CHECK_EQ_INT(out, 42);
    CHECK_STR(rt_status_name(RT_TRAP_STACK_OVERFLOW), "stack_overflow");
    CHECK_STR(rt_status_name(RT_TRAP_DIVIDE_BY_ZERO), "integer_divide_by_zero");
}

TEST(timeout_interrupts_busy_code) {
    CHECK_EQ_INT(in_thread(guest_spins, NULL, 100, 1 << 20), RT_TRAP_TIMEOUT);
    /* The next call on a fresh thread is not hit by a stale timeout. */
    int out = 0;
    CHECK_EQ_INT(in_thread(guest_returns, &out, 100, 1 << 20), RT_OK);
}

TEST(stack_exhaustion_is_a_trap) {
    volatile int depth = 0;
    CHECK_EQ_INT(in_thread(guest_recurses, (void *)&depth, 0, 1 << 20), RT_TRAP_STACK_OVERFLOW);
    CHECK(depth > 1000);
}

TEST(out_of_bounds_is_a_trap) {
    wasm_rt_memory_t mem;
    CHECK_EQ_INT(in_thread(guest_memory, &mem, 0, 1 << 20), RT_TRAP_OUT_OF_BOUNDS);
}

TEST(growth_honours_the_budget) {
    uint32_t results[3] = {0};
    CHECK_EQ_INT(in_thread(guest_grows, results, 0, 4 * 65536), RT_OK);
    CHECK_EQ_INT(results[0], 1);
    CHECK_EQ_INT(results[1], UINT32_MAX);
    CHECK_EQ_INT(results[2], 3);
}

TEST(initial_memory_over_budget_is_memory_limit) {
    wasm_rt_memory_t mem;
    CHECK_EQ_INT(in_thread(guest_memory, &mem, 0, 1000), RT_TRAP_MEMORY_LIMIT);
}

/* dies_with_sigsegv: run fn on a guest thread in a child process; true if
 * the child was killed by SIGSEGV (a real crash, not a trap). */
static bool dies_with_sigsegv(void (*fn)(void *)) {
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        rt_init();
        in_thread(fn, NULL, 0, 1 << 20);
        _exit(0); /* reaching here means the fault was swallowed */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

TEST(faults_outside_guest_code_are_real_crashes) {
    CHECK(dies_with_sigsegv(host_code_faults));
    CHECK(dies_with_sigsegv(guest_faults_outside_memory));
}

static void *trap_many(void *arg) {
    int *ok = arg;
    for (int i = 0; i < 200; i++) {
        rt_owner_t owner;
        rt_owner_init(&owner, NULL);
        wasm_rt_trap_t t = i % 2 ? WASM_RT_TRAP_UNREACHABLE : WASM_RT_TRAP_DIV_BY_ZERO;
        rt_status_t s = rt_call(&owner, 0, guest_traps, (void *)(intptr_t)t);
        if (s != (i % 2 ? RT_TRAP_UNREACHABLE : RT_TRAP_DIVIDE_BY_ZERO)) *ok = 0;
        rt_owner_release(&owner);
    }
    return NULL;
}

TEST(traps_are_per_thread) {
    int ok[4] = {1, 1, 1, 1};
    rt_thread_handle_t *h[4];
    for (int i = 0; i < 4; i++) REQUIRE(rt_thread_spawn(1 << 20, trap_many, &ok[i], &h[i]) == 0);
    for (int i = 0; i < 4; i++) rt_thread_join(h[i]);
    for (int i = 0; i < 4; i++) CHECK(ok[i]);
}

int main(void) {
    /* Under AddressSanitizer the fork-and-crash checks would report ASan's
     * own SEGV handling; they run in the normal build only. */
#if defined(__SANITIZE_ADDRESS__)
    const bool sanitized = true;
#else
    const bool sanitized = false;
#endif
    if (rt_init() != 0) return 1;
    RUN(trap_kinds_are_exact);
    RUN(timeout_interrupts_busy_code);
    RUN(stack_exhaustion_is_a_trap);
    RUN(out_of_bounds_is_a_trap);
    RUN(growth_honours_the_budget);
    RUN(initial_memory_over_budget_is_memory_limit);
    if (!sanitized) RUN(faults_outside_guest_code_are_real_crashes);
    RUN(traps_are_per_thread);
    return test_summary("rt");
}
