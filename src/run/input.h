/* input.h — lazy enumeration of the input files of a run: each argument is
 * a file or a directory walked depth-first in sorted name order. Only one
 * directory listing per level of the current path is held in memory, so
 * memory stays bounded however many files there are. Symbolic links are
 * skipped unless following is asked for (then directory loops are
 * detected). Not thread-safe: callers serialise access. */
#ifndef WADUP_RUN_INPUT_H
#define WADUP_RUN_INPUT_H
#include <stdbool.h>
#include <stddef.h>

typedef struct run_input run_input_t;

run_input_t *run_input_new(const char *const *paths, size_t n, bool follow_symlinks);
/* run_input_next: the next regular file's path (valid until the next
 * call), or NULL when there are no more. Problems (unreadable directory,
 * special file, skipped link) are counted and reported on stderr. */
const char *run_input_next(run_input_t *in);
size_t run_input_skipped(const run_input_t *in);
void run_input_free(run_input_t *in);

#endif
