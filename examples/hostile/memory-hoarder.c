/* memory-hoarder.c — hostile module: every call keeps 12 MiB more of
 * touched memory, up to 48 MiB, and succeeds.
 *
 * A reused instance keeps its linear memory between contents (wasm memory
 * never shrinks), so a run of many such modules used to hold modules x
 * 48 MiB per worker, whatever --max-memory. Expected: every call
 * succeeds; with --max-idle-memory (by default --max-memory) a worker's
 * idle instances together keep at most that much: the largest are freed
 * and instantiated afresh, and the run summary counts how often. */
// build-flags: -mexec-model=reactor
#include <stdlib.h>

#define STEP (12u << 20)
#define MAX_KEPT 4
#define PAGE 4096

static unsigned char *volatile kept[MAX_KEPT];
static volatile unsigned nkept;

__attribute__((export_name("process"))) int process(void) {
    if (nkept < MAX_KEPT) {
        unsigned char *b = malloc(STEP);
        if (!b) return 1;
        for (size_t off = 0; off < STEP; off += PAGE) b[off] = (unsigned char)(off >> 12 | 1);
        kept[nkept] = b;
        nkept = nkept + 1;
    }
    return 0;
}
