/* input.h — lazy enumeration of the input files of a run: each argument is
 * a file or a directory walked depth-first in sorted name order. Only one
 * directory listing per level of the current path is held in memory, so
 * memory stays bounded however many files there are. Symbolic links are
 * skipped unless following is asked for (then directory loops are
 * detected). Not thread-safe: callers serialise access.
 *
 * The checks made here (lstat) are only a first sorting: the file can be
 * replaced under its name before it is opened, so the opener must decide
 * again on the descriptor (mapped_file_open_flags: regular files only,
 * never blocking, and MAPPED_FILE_NOFOLLOW unless run_input_followed_link
 * says the user asked for this very link to be followed). */
#ifndef WADUP_RUN_INPUT_H
#define WADUP_RUN_INPUT_H
#include <stdbool.h>
#include <stddef.h>

typedef struct run_input run_input_t;

/* run_input_new: an enumeration of the n paths (kept by reference: they
 * must outlive it). NULL if out of memory. */
run_input_t *run_input_new(const char *const *paths, size_t n, bool follow_symlinks);
/* run_input_next: the next regular file's path (valid until the next
 * call), or NULL when there are no more. Problems (unreadable directory,
 * special file, skipped link) are counted and reported on stderr. */
const char *run_input_next(run_input_t *in);
/* run_input_followed_link: true if the path last returned by
 * run_input_next was a symbolic link (to a regular file) and following
 * links was asked for: open it following the link. False for every other
 * path: a link found there at open time was swapped in after enumeration
 * and must be refused (O_NOFOLLOW), even with --follow-symlinks. */
bool run_input_followed_link(const run_input_t *in);
/* run_input_skipped: how many paths were skipped so far (with a warning). */
size_t run_input_skipped(const run_input_t *in);
/* run_input_free: release everything (NULL is allowed). */
void run_input_free(run_input_t *in);

#endif
