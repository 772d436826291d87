/* spawn.h — running a helper program (wasm2c, the C compiler, the Python
 * module builder) and capturing its output. */
#ifndef WADUP_UTIL_SPAWN_H
#define WADUP_UTIL_SPAWN_H
#include <stdbool.h>
#include <stddef.h>
#include "util/buf.h"

/* spawn_capture: run argv (PATH searched) and append its stdout — and its
 * stderr too if `with_stderr` (otherwise stderr is inherited) — to `out`,
 * keeping at most `cap` bytes. Returns the exit status (128 + signal if
 * killed), or -1 with errno set if it could not be started. */
int spawn_capture(char *const argv[], bool with_stderr, buf_t *out, size_t cap);

#endif
