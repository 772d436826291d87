/* int-overflow.c — hostile module: INT32_MIN / -1, the one signed division
 * whose result does not fit in 32 bits.
 *
 * Expected wadup outcome: failure, error_kind = "integer_overflow".
 * Operands come from volatiles, so the wasm holds a real `i32.div_s`
 * (which traps with "integer overflow"), not a folded constant. */
// build-flags: -mexec-model=reactor
#include <stdint.h>

static volatile int32_t dividend = INT32_MIN;
static volatile int32_t divisor = -1;
static volatile int32_t sink;

__attribute__((export_name("process"))) int process(void) {
    sink = dividend / divisor;
    return 0;
}
