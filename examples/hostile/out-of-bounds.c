/* out-of-bounds.c — hostile module: loads from linear-memory address
 * 0xFFFFFFF0 (just below 4 GiB) with a constant offset of 32, so the
 * effective address 0x1_0000_0010 is past the end of even a full 4 GiB
 * memory: the access is out of bounds whatever memory limit is in force.
 *
 * Expected wadup outcome: failure, error_kind = "out_of_bounds".
 * The address comes from a volatile global so the compiler cannot prove the
 * access is out of range; the wasm contains `i32.load offset=32` whose
 * address operand is that global's value. */
// build-flags: -mexec-model=reactor
#include <stdint.h>

static volatile uintptr_t bad_address = 0xFFFFFFF0u;
static volatile uint32_t sink;

__attribute__((export_name("process"))) int process(void) {
    const volatile uint32_t *p = (const volatile uint32_t *)bad_address;
    sink = p[8];   /* traps: out of bounds memory access */
    return 0;
}
