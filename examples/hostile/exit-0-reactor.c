/* exit-0-reactor.c — hostile reactor module: process() calls exit(0)
 * (proc_exit(0)) instead of returning.
 *
 * Expected wadup outcome: success. proc_exit(0) ends the call and is not a
 * failure; stdout holds "exit-0-reactor: calling exit(0)\n" only. If the
 * host failed to stop the call at proc_exit, process would go on to return
 * 5 (module_error). */
// build-flags: -mexec-model=reactor
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static volatile int32_t after_exit = 5;

__attribute__((export_name("process"))) int process(void) {
    fputs("exit-0-reactor: calling exit(0)\n", stdout);
    exit(0);
    fputs("exit-0-reactor: still running after exit(0)\n", stdout); /* never */
    return after_exit;
}
