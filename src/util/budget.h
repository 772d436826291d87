/* budget.h — a memory budget shared by everything one sandbox instance holds
 * (linear memories, bytes in its virtual filesystem, sub-content emitted in
 * the current call). Charging past the limit is refused and remembered, so a
 * later failure of the module can be reported as `memory_limit`.
 * Not thread-safe: one instance runs on one thread at a time. */
#ifndef WADUP_UTIL_BUDGET_H
#define WADUP_UTIL_BUDGET_H
#include <stdbool.h>
#include <stdint.h>

typedef struct budget {
    uint64_t limit;   /* bytes; UINT64_MAX = unlimited */
    uint64_t used;
    uint64_t peak;
    bool refused;     /* a charge was refused since the last budget_clear_refused */
} budget_t;

static inline void budget_init(budget_t *b, uint64_t limit) {
    b->limit = limit; b->used = 0; b->peak = 0; b->refused = false;
}

/* budget_charge: account n more bytes. Returns true if they fit; otherwise
 * charges nothing, sets `refused` and returns false. */
static inline bool budget_charge(budget_t *b, uint64_t n) {
    if (n > b->limit || b->used > b->limit - n) { b->refused = true; return false; }
    b->used += n;
    if (b->used > b->peak) b->peak = b->used;
    return true;
}

/* budget_release: give back n bytes previously charged. */
static inline void budget_release(budget_t *b, uint64_t n) {
    b->used = n > b->used ? 0 : b->used - n;
}

#endif
