/* recursion.c — hostile module: unbounded, non-tail recursion.
 *
 * Expected wadup outcome: failure, error_kind = "stack_overflow".
 * `descend` keeps its argument and result in wasm locals only (no address is
 * taken, no large locals), so it never touches the shadow stack in linear
 * memory: every level costs native stack alone, and it is the native/call
 * depth limit of the host that must stop it. The result of the recursive
 * call is stored to a volatile and then used, so the call is not a tail call
 * and cannot be turned into a loop; `noinline` keeps one wasm function per
 * level. The stop value is a volatile 0 that the argument never reaches
 * before the stack is exhausted (it would take 2^32 levels). */
// build-flags: -mexec-model=reactor
#include <stdint.h>

static volatile uint32_t stop_at = 0;
static volatile uint32_t sink;

__attribute__((noinline)) static uint32_t descend(uint32_t depth) {
    if (depth == stop_at)
        return depth;
    uint32_t below = descend(depth + 1);
    sink = below;                 /* work after the call: not a tail call */
    return below * 2654435761u + depth;
}

__attribute__((export_name("process"))) int process(void) {
    sink = descend(1);
    return 0;
}
