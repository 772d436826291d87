/* infinite-loop.c — hostile module: process() spins forever.
 *
 * Expected wadup outcome (run with --timeout): failure, error_kind = "timeout".
 * The loop does a volatile store on every iteration so the compiler keeps it
 * (a side-effect-free loop could otherwise be assumed to terminate); the wasm
 * body is a bare `loop ... br 0` with no host calls, so the timeout must be
 * able to interrupt pure guest code. */
// build-flags: -mexec-model=reactor
#include <stdint.h>

static volatile uint32_t spin_counter;

__attribute__((export_name("process"))) int process(void) {
    for (;;) {
        spin_counter = spin_counter + 1;
    }
}
