/* run.h — `wadup run`, wadup's main job: every module on every input file
 * and on everything extracted from them, in parallel, into one database.
 *
 * Work: a pool of worker threads (each with one slot, i.e. one reusable
 * instance, per module) takes contents from a shared stack — sub-content
 * first (depth-first keeps memory bounded), input files only when no
 * sub-content is waiting; input files are enumerated and mapped lazily.
 * Workers stay busy until nothing is left anywhere. Results go to the
 * store's writer thread. */
#ifndef WADUP_RUN_RUN_H
#define WADUP_RUN_RUN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "engine/engine.h"

#define RUN_DEFAULT_MAX_DEPTH 10
#define RUN_DEFAULT_MAX_CHILDREN 1000
#define RUN_DEFAULT_MAX_CONTENT_SIZE ((uint64_t)4 << 30)

typedef struct run_options {
    const char *modules_dir;
    const char *const *inputs;
    size_t ninputs;
    const char *output;
    const char *cache_dir;
    unsigned threads;            /* 0 = number of cores */
    unsigned max_depth;          /* roots are depth 0 */
    unsigned max_children;       /* per content, all modules together */
    uint64_t max_content_size;
    eng_limits_t limits;
    uint64_t max_idle_memory;    /* per worker: bytes its idle instances may keep between
                                  * contents, all modules together; the default is
                                  * limits.max_memory (see run_idle_budget) */
    bool idle_memory_set;        /* max_idle_memory was given */
    bool strict;                 /* a module that cannot be loaded is fatal */
    bool resume, force;
    bool follow_symlinks;
    bool quiet;                  /* no progress, no summary */
} run_options_t;

void run_options_default(run_options_t *o);

/* run_main: do the run; returns the process exit status (0 when the run
 * completed, even if modules failed on some contents; 1 for a fatal error
 * such as an unwritable database, with a message on stderr). */
int run_main(const run_options_t *o);

#endif
