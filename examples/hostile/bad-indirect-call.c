/* bad-indirect-call.c — hostile module: calls a `void (void)` function
 * through a pointer of type `int (int, int)`.
 *
 * Expected wadup outcome: failure, error_kind = "indirect_call" (the
 * call_indirect's signature (i32, i32) -> i32 does not match the table
 * entry's () -> ()). The pointer goes through a volatile so clang cannot
 * see the target and turn the call into a direct one (wasm-ld would then
 * substitute a signature-mismatch stub that traps with `unreachable`). */
// build-flags: -mexec-model=reactor
#include <stdint.h>

typedef void (*nullary_fn)(void);
typedef int (*binary_fn)(int, int);

static volatile int32_t sink;

__attribute__((noinline)) static void victim(void) {
    sink = 1;
}

static nullary_fn volatile target = victim;

__attribute__((export_name("process"))) int process(void) {
    binary_fn wrong = (binary_fn)(uintptr_t)target;
    sink = wrong(1, 2);
    return 0;
}
