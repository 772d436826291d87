/* sleepy.c — hostile module: sleeps 50 ms at a time, forever.
 *
 * Expected wadup outcome (run with --timeout): failure,
 * error_kind = "timeout". Almost all the time is spent blocked inside the
 * host's poll_oneoff (nanosleep), so this checks that a timeout lands while
 * the module is waiting in a host call, not only while it runs guest code. */
// build-flags: -mexec-model=reactor
#include <stdint.h>
#include <time.h>

static volatile uint32_t naps;

__attribute__((export_name("process"))) int process(void) {
    const struct timespec nap = { .tv_sec = 0, .tv_nsec = 50 * 1000 * 1000 };
    for (;;) {
        nanosleep(&nap, NULL);
        naps = naps + 1;
    }
}
