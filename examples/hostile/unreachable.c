/* unreachable.c — hostile module: executes the wasm `unreachable`
 * instruction (__builtin_trap).
 *
 * Expected wadup outcome: failure, error_kind = "unreachable". */
// build-flags: -mexec-model=reactor
#include <stdint.h>

static volatile uint32_t should_trap = 1;

__attribute__((export_name("process"))) int process(void) {
    if (should_trap)
        __builtin_trap();
    return 0;
}
