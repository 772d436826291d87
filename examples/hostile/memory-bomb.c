/* memory-bomb.c — hostile module: allocates 1 MiB blocks, touching every
 * page of each, until malloc fails, then returns 1.
 *
 * Expected wadup outcome (with --max-memory): failure,
 * error_kind = "memory_limit". The host refuses memory.grow past the limit,
 * malloc returns NULL and process() returns 1; wadup reports memory_limit
 * (not module_error) because a growth was refused during the call.
 * Blocks are kept on a linked list reachable from a volatile global so the
 * allocations cannot be optimised away. */
// build-flags: -mexec-model=reactor
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define BLOCK (1024 * 1024)
#define PAGE 4096

struct block { struct block *next; };

static struct block *volatile head;
static volatile uint32_t nblocks;

__attribute__((export_name("process"))) int process(void) {
    for (;;) {
        struct block *b = malloc(BLOCK);
        if (b == NULL)
            break;
        volatile unsigned char *bytes = (volatile unsigned char *)b;
        for (size_t off = 0; off < BLOCK; off += PAGE)
            bytes[off] = (unsigned char)(off >> 12);
        b->next = head;
        head = b;
        nblocks = nblocks + 1;
    }
    fprintf(stderr, "memory-bomb: malloc failed after %u MiB\n", (unsigned)nblocks);
    return 1;
}
