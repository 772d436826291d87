/* rt.h — wadup's execution runtime for wasm2c-compiled guest code.
 *
 * Owns everything that happens between "the host calls into guest code" and
 * "control is back in the host": per-thread trap delivery (sigsetjmp /
 * siglongjmp, never process-global state), guest stacks with guard regions,
 * an alternate signal stack, per-thread timeout timers, linear memories
 * reserved with guard regions, and the classification of faults. The
 * functions declared by /usr/include/wasm-rt.h are implemented in rt_wasm.c
 * on top of this.
 *
 * Threads that run guest code must be started with rt_thread_spawn (they get
 * a stack of the requested size with a guard region, an alternate signal
 * stack and a timer). A fault in guest code becomes a trap; a fault in
 * the range of a host read guarded by rt_guarded_call becomes an error
 * return; a fault anywhere else is a real crash and is never swallowed. */
#ifndef WADUP_RT_RT_H
#define WADUP_RT_RT_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/budget.h"

/* Why guest execution stopped. RT_OK means it returned normally. */
typedef enum {
    RT_OK = 0,
    RT_TRAP_OUT_OF_BOUNDS,
    RT_TRAP_INTEGER_OVERFLOW,
    RT_TRAP_DIVIDE_BY_ZERO,
    RT_TRAP_INVALID_CONVERSION,
    RT_TRAP_UNREACHABLE,
    RT_TRAP_INDIRECT_CALL,
    RT_TRAP_UNCAUGHT_EXCEPTION,
    RT_TRAP_STACK_OVERFLOW,
    RT_TRAP_TIMEOUT,
    RT_TRAP_EXIT,           /* proc_exit; the code is in rt_exit_code() */
    RT_TRAP_MEMORY_LIMIT,   /* an allocation at instantiation was refused */
    RT_TRAP_HOST_ERROR,     /* the host ran out of memory on the guest's behalf */
} rt_status_t;

/* rt_status_name: the error_kind string for a status ("out_of_bounds",
 * "stack_overflow", "timeout", ...); "success" for RT_OK. */
const char *rt_status_name(rt_status_t s);
/* rt_status_message: a human sentence for a status. */
const char *rt_status_message(rt_status_t s);

/* What one guest instance owns at the runtime level: its memory budget and
 * the linear memories and tables wasm2c asked us to allocate for it.
 * Allocations made while an owner is current are recorded in it, so
 * rt_owner_release can free them even after a trap in the middle of
 * instantiation. */
typedef struct rt_region {
    void *object;       /* wasm_rt_memory_t* or table */
    uint8_t *base;      /* reservation start (memories) or table data */
    size_t reserved;    /* reservation bytes (memories), 0 for tables */
    uint64_t charged;   /* bytes charged to the budget */
    bool is_memory;
} rt_region_t;

typedef struct rt_owner {
    budget_t *budget;
    uint32_t max_pages;        /* cap on any linear memory, from the budget limit */
    rt_region_t *regions;
    size_t nregions, cap;
} rt_owner_t;

/* rt_owner_init: an owner charging `budget` (max_pages derived from its limit). */
void rt_owner_init(rt_owner_t *o, budget_t *budget);
/* rt_owner_release: free every memory and table recorded and forget them. */
void rt_owner_release(rt_owner_t *o);

/* rt_init: install signal handlers (once per process). Returns 0 or -1. */
int rt_init(void);

/* Guest-capable threads. */
typedef struct rt_thread_handle rt_thread_handle_t;
/* rt_thread_spawn: start fn(arg) on a new thread whose stack has
 * `stack_size` usable bytes above a guard region. Returns 0 or -1. */
int rt_thread_spawn(size_t stack_size, void *(*fn)(void *), void *arg, rt_thread_handle_t **out);
/* rt_thread_join: wait for the thread, free its stack, return fn's result. */
void *rt_thread_join(rt_thread_handle_t *h);

/* rt_call: run fn(arg) as guest code for `owner` on the current thread
 * (which must have been started by rt_thread_spawn), with a timeout of
 * `timeout_ms` (0 = none). Returns RT_OK or why the guest stopped. */
rt_status_t rt_call(rt_owner_t *owner, uint64_t timeout_ms, void (*fn)(void *), void *arg);

/* rt_exit_code: the code of the last RT_TRAP_EXIT on this thread. */
uint32_t rt_exit_code(void);

/* Host functions called from guest code bracket their work with
 * rt_host_enter / rt_host_leave. Enter checks there is stack headroom
 * (else the guest traps with stack_overflow) and marks the thread as being
 * in host code, where faults are real crashes and a timeout is deferred;
 * leave delivers a deferred timeout. */
void rt_host_enter(void);
void rt_host_leave(void);
/* rt_raise: stop the guest from host code (after rt_host_enter, holding
 * no resources). Never returns. */
_Noreturn void rt_raise(rt_status_t status);
/* rt_raise_exit: stop the guest with proc_exit(code). */
_Noreturn void rt_raise_exit(uint32_t code);
/* rt_timeout_pending: true if the timer expired while in host code (a host
 * call that blocks, such as poll_oneoff, checks it after EINTR). */
bool rt_timeout_pending(void);
/* rt_call_deadline: the CLOCK_MONOTONIC deadline (ns) of the guest call
 * running on this thread, 0 if it has none. Host code that waits or loops
 * on the guest's behalf bounds itself by it. */
uint64_t rt_call_deadline(void);
/* rt_deadline_passed: true if the current call's timeout expired (the
 * watchdog's signal came while in host code, or the deadline is past by
 * the clock, which also covers a signal that has not arrived yet). Once
 * true it stays true for the call, and rt_host_leave then stops the guest
 * with RT_TRAP_TIMEOUT. Long host loops call it and stop early, releasing
 * what they hold. */
bool rt_deadline_passed(void);
/* rt_check_deadline: rt_raise(RT_TRAP_TIMEOUT) if the deadline passed; for
 * host code that holds nothing (after rt_host_enter). */
void rt_check_deadline(void);
/* rt_current_owner: the owner of the guest call running on this thread. */
rt_owner_t *rt_current_owner(void);

/* ---- guarded host reads of memory that may fault ----
 * Host code reading bytes that can disappear under it (an input file
 * mapped with mmap and truncated meanwhile raises SIGBUS) does it inside a
 * per-thread fault guard: a SIGBUS or SIGSEGV whose address lies in the
 * guarded range, on the thread that set the guard, abandons the work and
 * the guarded function returns -1. Faults at any other address keep the
 * behaviour above (a real crash). Works on any thread, including the main
 * thread and threads not started by rt_thread_spawn. Guards nest. */

/* rt_guarded_call: run fn(arg) guarded for [lo, lo + len). Returns 0 when
 * fn returned, -1 if it faulted inside the range (its work is abandoned
 * half-done: it must hold no locks or allocations it expects to release,
 * keep its state in *arg, and never leave by rt_raise or call guest code)
 * or if the fault handlers cannot be installed. len == 0 runs fn
 * unguarded. */
int rt_guarded_call(const void *lo, size_t len, void (*fn)(void *), void *arg);
/* rt_guarded_copy: memcpy(dst, src, n) guarded for the source range.
 * Returns 0, or -1 if the source faulted (dst then holds part of the
 * bytes). Its signature fits vfs_set_copier (vfs/vfs.h). */
int rt_guarded_copy(void *dst, const void *src, size_t n);

#endif
