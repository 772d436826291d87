/* rt_thread.c — guest-capable threads, trap delivery and fault handling.
 *
 * Each thread started by rt_thread_spawn has a private state record
 * (thread-local): its stack bounds and guard region, an alternate signal
 * stack, the deadline and sequence number of the guest call in progress
 * and its catch point. One watchdog thread enforces timeouts for every
 * guest thread: it polls the deadlines every few milliseconds and sends the
 * late thread a signal carrying the call's sequence number, so a guest
 * call costs no system call for its timeout and a late signal can never
 * hit the next call. The SIGSEGV/SIGBUS handler turns a fault
 * into a trap only when the thread is executing guest code and the address
 * is in one of the current owner's memory reservations (out of bounds) or
 * in the stack guard region (stack overflow); a fault inside the range of
 * a fault guard the thread has set (rt_guarded_call: host code reading
 * mapped bytes that may vanish) returns from that guarded call with -1;
 * otherwise the previous handler is restored and the fault happens again
 * for real. */
#include "rt/rt.h"

#include <errno.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define RT_GUARD_SIZE (256u * 1024u)         /* below every guest stack */
#define RT_HOST_HEADROOM (256u * 1024u)      /* stack a host call needs */
#define RT_ALTSTACK_SIZE (64u * 1024u)
#define RT_TIMER_SIGNAL (SIGRTMIN + 3)
#define RT_WATCHDOG_PERIOD_NS (5 * 1000000L)

typedef struct rt_thread_state {
    bool ready;
    pthread_t thread;
    struct rt_thread_state *next_registered;
    _Atomic uint64_t deadline_ns;   /* CLOCK_MONOTONIC; 0 = no timeout armed */
    _Atomic uint64_t call_seq;      /* identifies the guest call in progress */
    uint64_t call_deadline_ns;      /* the call's deadline for host-side checks (0 = none);
                                     * unlike deadline_ns, never cleared by the watchdog */
    sigset_t base_mask;
    uintptr_t guard_lo, guard_hi;   /* [lo, hi): guard region below the stack */
    uintptr_t stack_lo;             /* lowest usable stack address */
    void *altstack;
    sigjmp_buf *catch_point;        /* NULL when no guest call is running */
    rt_owner_t *owner;
    volatile sig_atomic_t in_guest; /* 1 while guest code (not host code) runs */
    volatile sig_atomic_t timeout_pending;
    uint32_t exit_code;
} rt_thread_state_t;

static __thread rt_thread_state_t rt_self;
static struct sigaction rt_previous_segv, rt_previous_bus;

struct rt_thread_handle {
    pthread_t thread;
    void *stack_map;
    size_t stack_map_size;
    size_t stack_size;
    void *(*fn)(void *);
    void *arg;
};

static const char *const rt_status_names[] = {
    [RT_OK] = "success",
    [RT_TRAP_OUT_OF_BOUNDS] = "out_of_bounds",
    [RT_TRAP_INTEGER_OVERFLOW] = "integer_overflow",
    [RT_TRAP_DIVIDE_BY_ZERO] = "integer_divide_by_zero",
    [RT_TRAP_INVALID_CONVERSION] = "invalid_conversion",
    [RT_TRAP_UNREACHABLE] = "unreachable",
    [RT_TRAP_INDIRECT_CALL] = "indirect_call",
    [RT_TRAP_UNCAUGHT_EXCEPTION] = "uncaught_exception",
    [RT_TRAP_STACK_OVERFLOW] = "stack_overflow",
    [RT_TRAP_TIMEOUT] = "timeout",
    [RT_TRAP_EXIT] = "exit",
    [RT_TRAP_MEMORY_LIMIT] = "memory_limit",
    [RT_TRAP_HOST_ERROR] = "host_error",
};

static const char *const rt_status_messages[] = {
    [RT_OK] = "completed",
    [RT_TRAP_OUT_OF_BOUNDS] = "out-of-bounds memory or table access",
    [RT_TRAP_INTEGER_OVERFLOW] = "integer overflow",
    [RT_TRAP_DIVIDE_BY_ZERO] = "integer divide by zero",
    [RT_TRAP_INVALID_CONVERSION] = "invalid conversion to integer",
    [RT_TRAP_UNREACHABLE] = "unreachable instruction executed",
    [RT_TRAP_INDIRECT_CALL] = "indirect call to a null or mistyped function",
    [RT_TRAP_UNCAUGHT_EXCEPTION] = "uncaught wasm exception",
    [RT_TRAP_STACK_OVERFLOW] = "call stack exhausted",
    [RT_TRAP_TIMEOUT] = "timeout: the module ran longer than allowed",
    [RT_TRAP_EXIT] = "the module called proc_exit",
    [RT_TRAP_MEMORY_LIMIT] = "memory limit reached while instantiating",
    [RT_TRAP_HOST_ERROR] = "the host ran out of memory serving the module",
};

const char *rt_status_name(rt_status_t s) {
    return (unsigned)s < sizeof rt_status_names / sizeof *rt_status_names ? rt_status_names[s] : "unknown";
}

const char *rt_status_message(rt_status_t s) {
    return (unsigned)s < sizeof rt_status_messages / sizeof *rt_status_messages ? rt_status_messages[s] : "unknown";
}

/* ---- signal handling ---- */

/* rt_fault_is_guest_memory: is addr inside a linear-memory reservation of
 * the owner currently running on this thread? */
static bool rt_fault_is_guest_memory(uintptr_t addr) {
    rt_owner_t *o = rt_self.owner;
    if (!o) return false;
    for (size_t i = 0; i < o->nregions; i++) {
        const rt_region_t *r = &o->regions[i];
        if (r->is_memory && addr >= (uintptr_t)r->base && addr - (uintptr_t)r->base < r->reserved)
            return true;
    }
    return false;
}

static void rt_jump(rt_status_t status) {
    rt_self.in_guest = 0;
    siglongjmp(*rt_self.catch_point, (int)status);
}

/* A fault guard set by rt_guarded_call: the guarded range and where to
 * return to. Guards live in their caller's frame, innermost first. */
typedef struct rt_guard {
    uintptr_t lo;
    size_t len;
    sigjmp_buf jump;
    struct rt_guard *previous;
} rt_guard_t;

static __thread rt_guard_t *rt_active_guard;   /* this thread's innermost guard */

/* rt_guard_for: the innermost active guard of this thread whose range
 * holds addr, or NULL. Async-signal-safe. */
static rt_guard_t *rt_guard_for(uintptr_t addr) {
    for (rt_guard_t *g = rt_active_guard; g; g = g->previous)
        if (addr - g->lo < g->len) return g;
    return NULL;
}

static void rt_on_fault(int sig, siginfo_t *info, void *uctx) {
    (void)uctx;
    rt_guard_t *guard = rt_guard_for((uintptr_t)info->si_addr);
    if (guard) siglongjmp(guard->jump, 1);
    if (rt_self.ready && rt_self.in_guest && rt_self.catch_point) {
        uintptr_t addr = (uintptr_t)info->si_addr;
        if (addr >= rt_self.guard_lo && addr < rt_self.guard_hi) rt_jump(RT_TRAP_STACK_OVERFLOW);
        if (rt_fault_is_guest_memory(addr)) rt_jump(RT_TRAP_OUT_OF_BOUNDS);
    }
    /* Not a guest fault: let the previous handler (or the default action)
     * see the fault when the instruction runs again. */
    sigaction(sig, sig == SIGSEGV ? &rt_previous_segv : &rt_previous_bus, NULL);
}

static void rt_on_timer(int sig, siginfo_t *info, void *uctx) {
    (void)sig; (void)uctx;
    if (!rt_self.ready || !rt_self.catch_point) return;
    if ((uint64_t)(uintptr_t)info->si_value.sival_ptr != (atomic_load(&rt_self.call_seq) & UINTPTR_MAX)) return;
    if (rt_self.in_guest) rt_jump(RT_TRAP_TIMEOUT);
    rt_self.timeout_pending = 1;
}

/* ---- fault guards for host reads ---- */

int rt_guarded_call(const void *lo, size_t len, void (*fn)(void *), void *arg) {
    if (len == 0) { fn(arg); return 0; }
    if (rt_init() != 0) return -1;
    rt_guard_t guard;
    guard.lo = (uintptr_t)lo;
    guard.len = len;
    guard.previous = rt_active_guard;
    /* No mask saved (a system call per guarded read): the handler runs
     * with SA_NODEFER and an empty sa_mask, so jumping out of it leaves
     * the mask as it was; the two fault signals are unblocked again below
     * in case anything else blocked them. `guard` is not changed after
     * sigsetjmp, so it is intact after the jump. */
    if (sigsetjmp(guard.jump, 0) != 0) {
        rt_active_guard = guard.previous;
        sigset_t faults;
        sigemptyset(&faults);
        sigaddset(&faults, SIGSEGV);
        sigaddset(&faults, SIGBUS);
        pthread_sigmask(SIG_UNBLOCK, &faults, NULL);
        return -1;
    }
    rt_active_guard = &guard;
    atomic_signal_fence(memory_order_seq_cst);
    fn(arg);
    atomic_signal_fence(memory_order_seq_cst);
    rt_active_guard = guard.previous;
    return 0;
}

typedef struct rt_copy_job {
    void *dst;
    const void *src;
    size_t n;
} rt_copy_job_t;

/* rt_copy_job_run: the body of rt_guarded_copy. */
static void rt_copy_job_run(void *arg) {
    const rt_copy_job_t *job = arg;
    memcpy(job->dst, job->src, job->n);
}

int rt_guarded_copy(void *dst, const void *src, size_t n) {
    if (n == 0) return 0;
    rt_copy_job_t job = {dst, src, n};
    return rt_guarded_call(src, n, rt_copy_job_run, &job);
}

/* ---- the watchdog ---- */

static pthread_mutex_t rt_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static rt_thread_state_t *rt_registry;
static pthread_t rt_watchdog;
static bool rt_watchdog_started;

static uint64_t rt_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* rt_watchdog_main: signal every guest thread whose call is past its
 * deadline (once per call: the deadline is cleared when signalled). */
static void *rt_watchdog_main(void *arg) {
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    struct timespec period = {0, RT_WATCHDOG_PERIOD_NS};
    for (;;) {
        nanosleep(&period, NULL);
        uint64_t now = rt_now_ns();
        pthread_mutex_lock(&rt_registry_lock);
        for (rt_thread_state_t *t = rt_registry; t; t = t->next_registered) {
            /* The call's number is read before its deadline and checked
             * again around the exchange, so a late signal can only carry
             * the number of the call that was late (the handler ignores
             * it if that call is over) and a newer call keeps its deadline. */
            uint64_t seq = atomic_load(&t->call_seq);
            uint64_t deadline = atomic_load(&t->deadline_ns);
            if (!deadline || now < deadline || atomic_load(&t->call_seq) != seq) continue;
            if (!atomic_compare_exchange_strong(&t->deadline_ns, &deadline, 0)) continue;
            if (atomic_load(&t->call_seq) != seq) {
                uint64_t cleared = 0;
                atomic_compare_exchange_strong(&t->deadline_ns, &cleared, deadline);
                continue;
            }
            union sigval v = {.sival_ptr = (void *)(uintptr_t)seq};
            pthread_sigqueue(t->thread, RT_TIMER_SIGNAL, v);
        }
        pthread_mutex_unlock(&rt_registry_lock);
    }
    return NULL;
}

static void rt_register(rt_thread_state_t *t) {
    pthread_mutex_lock(&rt_registry_lock);
    t->next_registered = rt_registry;
    rt_registry = t;
    if (!rt_watchdog_started && pthread_create(&rt_watchdog, NULL, rt_watchdog_main, NULL) == 0) {
        pthread_detach(rt_watchdog);
        rt_watchdog_started = true;
    }
    pthread_mutex_unlock(&rt_registry_lock);
}

static void rt_unregister(rt_thread_state_t *t) {
    pthread_mutex_lock(&rt_registry_lock);
    for (rt_thread_state_t **p = &rt_registry; *p; p = &(*p)->next_registered)
        if (*p == t) { *p = t->next_registered; break; }
    pthread_mutex_unlock(&rt_registry_lock);
}

static pthread_once_t rt_init_once = PTHREAD_ONCE_INIT;
static int rt_init_result = -1;

static void rt_install_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = rt_on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &rt_previous_segv) != 0) return;
    if (sigaction(SIGBUS, &sa, &rt_previous_bus) != 0) return;
    sa.sa_sigaction = rt_on_timer;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    if (sigaction(RT_TIMER_SIGNAL, &sa, NULL) != 0) return;
    rt_init_result = 0;
}

int rt_init(void) {
    pthread_once(&rt_init_once, rt_install_handlers);
    return rt_init_result;
}

/* ---- threads ---- */

/* rt_thread_setup: per-thread state for a thread whose usable stack is
 * [stack_lo, stack_lo + size) with the guard region just below. */
static int rt_thread_setup(rt_thread_handle_t *h) {
    memset(&rt_self, 0, sizeof rt_self);
    rt_self.guard_lo = (uintptr_t)h->stack_map;
    rt_self.guard_hi = rt_self.guard_lo + RT_GUARD_SIZE;
    rt_self.stack_lo = rt_self.guard_hi;
    rt_self.altstack = malloc(RT_ALTSTACK_SIZE);
    if (!rt_self.altstack) return -1;
    stack_t ss = {.ss_sp = rt_self.altstack, .ss_size = RT_ALTSTACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) return -1;
    pthread_sigmask(SIG_SETMASK, NULL, &rt_self.base_mask);
    rt_self.thread = pthread_self();
    rt_self.ready = true;
    rt_register(&rt_self);
    return 0;
}

static void rt_thread_teardown(void) {
    if (rt_self.ready) rt_unregister(&rt_self);
    rt_self.ready = false;
    stack_t ss = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    free(rt_self.altstack);
    rt_self.altstack = NULL;
}

static void *rt_thread_main(void *p) {
    rt_thread_handle_t *h = p;
    if (rt_thread_setup(h) != 0) {
        rt_thread_teardown();
        return NULL;
    }
    void *result = h->fn(h->arg);
    rt_thread_teardown();
    return result;
}

int rt_thread_spawn(size_t stack_size, void *(*fn)(void *), void *arg, rt_thread_handle_t **out) {
    if (rt_init() != 0) return -1;
    long page = sysconf(_SC_PAGESIZE);
    size_t pg = page > 0 ? (size_t)page : 4096;
    stack_size = (stack_size + RT_HOST_HEADROOM * 2 + pg - 1) / pg * pg;
    rt_thread_handle_t *h = calloc(1, sizeof *h);
    if (!h) return -1;
    h->stack_map_size = RT_GUARD_SIZE + stack_size;
    h->stack_map = mmap(NULL, h->stack_map_size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (h->stack_map == MAP_FAILED) { free(h); return -1; }
    if (mprotect(h->stack_map, RT_GUARD_SIZE, PROT_NONE) != 0) goto fail;
    h->stack_size = stack_size;
    h->fn = fn;
    h->arg = arg;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) goto fail;
    int rc = pthread_attr_setstack(&attr, (uint8_t *)h->stack_map + RT_GUARD_SIZE, stack_size);
    if (rc == 0) rc = pthread_create(&h->thread, &attr, rt_thread_main, h);
    pthread_attr_destroy(&attr);
    if (rc != 0) goto fail;
    *out = h;
    return 0;
fail:
    munmap(h->stack_map, h->stack_map_size);
    free(h);
    return -1;
}

void *rt_thread_join(rt_thread_handle_t *h) {
    void *result = NULL;
    pthread_join(h->thread, &result);
    munmap(h->stack_map, h->stack_map_size);
    free(h);
    return result;
}

/* ---- guest calls ---- */

static void rt_arm_timer(uint64_t timeout_ms) {
    atomic_fetch_add(&rt_self.call_seq, 1);
    rt_self.call_deadline_ns = 0;
    if (timeout_ms) {
        uint64_t now = rt_now_ns();
        uint64_t span = timeout_ms > UINT64_MAX / 1000000ull ? UINT64_MAX : timeout_ms * 1000000ull;
        rt_self.call_deadline_ns = span > UINT64_MAX - now ? UINT64_MAX : now + span;
        atomic_store(&rt_self.deadline_ns, rt_self.call_deadline_ns);
    }
}

static void rt_disarm_timer(void) {
    atomic_store(&rt_self.deadline_ns, 0);
    atomic_fetch_add(&rt_self.call_seq, 1);
    rt_self.call_deadline_ns = 0;
}

rt_status_t rt_call(rt_owner_t *owner, uint64_t timeout_ms, void (*fn)(void *), void *arg) {
    if (!rt_self.ready) return RT_TRAP_HOST_ERROR;
    sigjmp_buf catch_point;
    sigjmp_buf *volatile previous = rt_self.catch_point;
    rt_owner_t *volatile previous_owner = rt_self.owner;
    volatile rt_status_t status = RT_OK;
    /* No signal mask saved here (that would be a system call per call):
     * after a trap the thread's mask is restored explicitly below. */
    int jumped = sigsetjmp(catch_point, 0);
    if (jumped == 0) {
        rt_self.owner = owner;
        rt_self.timeout_pending = 0;
        rt_self.catch_point = &catch_point;
        rt_arm_timer(timeout_ms);
        rt_self.in_guest = 1;
        atomic_signal_fence(memory_order_seq_cst);
        /* A signal that came before in_guest was set only left the flag. */
        if (rt_self.timeout_pending) rt_jump(RT_TRAP_TIMEOUT);
        fn(arg);
        rt_self.in_guest = 0;
    } else {
        status = (rt_status_t)jumped;
        pthread_sigmask(SIG_SETMASK, &rt_self.base_mask, NULL);
    }
    rt_self.in_guest = 0;
    rt_disarm_timer();
    rt_self.catch_point = previous;
    rt_self.owner = previous_owner;
    rt_self.timeout_pending = 0;
    return status;
}

uint32_t rt_exit_code(void) { return rt_self.exit_code; }

rt_owner_t *rt_current_owner(void) { return rt_self.owner; }

bool rt_timeout_pending(void) { return rt_self.timeout_pending != 0; }

uint64_t rt_call_deadline(void) { return rt_self.catch_point ? rt_self.call_deadline_ns : 0; }

bool rt_deadline_passed(void) {
    if (rt_self.timeout_pending) return true;
    if (!rt_self.catch_point || !rt_self.call_deadline_ns || rt_now_ns() < rt_self.call_deadline_ns) return false;
    rt_self.timeout_pending = 1;
    return true;
}

void rt_check_deadline(void) {
    if (rt_deadline_passed()) rt_raise(RT_TRAP_TIMEOUT);
}

void rt_host_enter(void) {
    rt_self.in_guest = 0;
    char probe;
    uintptr_t sp = (uintptr_t)&probe;
    if (rt_self.ready && rt_self.catch_point && sp - rt_self.stack_lo < RT_HOST_HEADROOM)
        rt_raise(RT_TRAP_STACK_OVERFLOW);
}

/* Back to guest code: in_guest is set before the deferred timeout is
 * checked, so a signal landing in between finds in_guest and traps, and one
 * landing before has left the flag that is checked here: no window loses a
 * deadline. */
void rt_host_leave(void) {
    if (!rt_self.catch_point) return;
    rt_self.in_guest = 1;
    atomic_signal_fence(memory_order_seq_cst);
    if (rt_self.timeout_pending) rt_raise(RT_TRAP_TIMEOUT);
}

_Noreturn void rt_raise(rt_status_t status) {
    if (!rt_self.catch_point) abort(); /* a trap outside any guest call is a host bug */
    rt_jump(status);
    abort();
}

_Noreturn void rt_raise_exit(uint32_t code) {
    rt_self.exit_code = code;
    rt_raise(RT_TRAP_EXIT);
}
