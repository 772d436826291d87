/* poll-race.c — hostile module: makes the timeout's one signal land while
 * poll_oneoff is still reading a huge subscription array, then asks to
 * sleep for an hour.
 *
 * It spins until just before its deadline (it assumes --timeout 1, the
 * value its test uses), then calls poll_oneoff with 2 million clock
 * subscriptions of one hour each: reading them takes tens of milliseconds,
 * so the watchdog's signal arrives during that host loop, where it can only
 * leave a flag. wadup used to miss the flag and sleep the full hour.
 * Expected: error_kind timeout within --timeout + 1 s. Needs about 200 MiB
 * (--max-memory 512M). */
// build-flags: -mexec-model=reactor
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#define NSUBS (2u * 1000u * 1000u)

static uint64_t now_ms(void) {
    __wasi_timestamp_t t = 0;
    if (__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t) != 0) return 0;
    return t / 1000000u;
}

__attribute__((export_name("process"))) int process(void) {
    uint64_t start = now_ms();
    __wasi_subscription_t *subs = calloc(NSUBS, sizeof *subs);
    __wasi_event_t *events = calloc(NSUBS, sizeof *events);
    if (!subs || !events) return 1;
    for (uint32_t i = 0; i < NSUBS; i++) {
        subs[i].userdata = i;
        subs[i].u.tag = __WASI_EVENTTYPE_CLOCK;
        subs[i].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
        subs[i].u.u.clock.timeout = 3600ull * 1000000000ull;
    }
    while (now_ms() - start < 985) { /* spin in guest code */ }
    for (;;) {
        __wasi_size_t n = 0;
        if (__wasi_poll_oneoff(subs, events, NSUBS, &n) != 0) return 2;
    }
}
