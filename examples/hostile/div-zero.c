/* div-zero.c — hostile module: signed 32-bit division by zero.
 *
 * Expected wadup outcome: failure, error_kind = "integer_divide_by_zero".
 * Both operands are read through volatiles so the `i32.div_s` instruction
 * survives optimisation; it traps when the divisor is 0. */
// build-flags: -mexec-model=reactor
#include <stdint.h>

static volatile int32_t dividend = 42;
static volatile int32_t divisor = 0;
static volatile int32_t sink;

__attribute__((export_name("process"))) int process(void) {
    sink = dividend / divisor;
    return 0;
}
