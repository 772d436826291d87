/* returns-error.c — hostile module: process() returns 2.
 *
 * Expected wadup outcome: failure, error_kind = "module_error" (a non-zero
 * return from process is the module reporting its own failure). */
// build-flags: -mexec-model=reactor
#include <stdint.h>

static volatile int32_t status = 2;

__attribute__((export_name("process"))) int process(void) {
    return status;
}
