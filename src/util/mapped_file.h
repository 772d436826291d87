/* mapped_file.h — read-only memory mapping of a whole file (zero-copy input
 * for contents and modules). An empty file maps to data == NULL, size 0.
 * Small files (up to MAPPED_FILE_READ_MAX bytes) are read into memory
 * instead: unmapping many small mappings from a multi-threaded process
 * costs a TLB shootdown on every core each time.
 *
 * Only regular files are accepted, and the decision is made on the opened
 * descriptor (fstat), never on an earlier lstat of the name: the file is
 * opened O_RDONLY|O_NONBLOCK|O_NOCTTY|O_CLOEXEC, so a FIFO or device
 * swapped in under the name is refused at once instead of blocking, and
 * with MAPPED_FILE_NOFOLLOW a symbolic link as the last component is
 * refused (O_NOFOLLOW) instead of followed.
 *
 * A mapping stays valid memory only while the file keeps its size: if the
 * file is truncated meanwhile, reading the lost pages raises SIGBUS. Host
 * code reading mapped bytes therefore goes through rt_guarded_copy /
 * rt_guarded_call (rt/rt.h), which turn that fault into an error. */
#ifndef WADUP_UTIL_MAPPED_FILE_H
#define WADUP_UTIL_MAPPED_FILE_H
#include <stddef.h>
#include <stdint.h>

#define MAPPED_FILE_READ_MAX (64 * 1024)

/* Flags for mapped_file_open_flags. */
#define MAPPED_FILE_NOFOLLOW 1u  /* refuse a symbolic link as the last component */

typedef struct mapped_file {
    const uint8_t *data;
    size_t size;
    int is_copy;   /* read into malloc'd memory rather than mapped */
    /* After a failed open: what the path turned out to be, when that was
     * the reason ("symbolic link", "not a regular file (FIFO)", ...; a
     * static string), else NULL (then errno says why). */
    const char *refused;
} mapped_file_t;

/* mapped_file_open_flags: map the regular file `path` (flags: 0 or
 * MAPPED_FILE_NOFOLLOW). Never blocks on a FIFO or device. Returns 0, or
 * -1 with errno set and f->refused describing a refused file type: ELOOP
 * for a symbolic link refused by MAPPED_FILE_NOFOLLOW, EISDIR for a
 * directory, EINVAL for anything else that is not a regular file. */
int mapped_file_open_flags(const char *path, unsigned flags, mapped_file_t *f);
/* mapped_file_open: mapped_file_open_flags(path, 0, f): a symbolic link is
 * followed (modules, and files the user named explicitly). */
int mapped_file_open(const char *path, mapped_file_t *f);
/* mapped_file_strerror: why the last open of f failed, given the errno it
 * left (`err`): f->refused if set, else strerror(err). */
const char *mapped_file_strerror(const mapped_file_t *f, int err);
/* mapped_file_close: release the bytes (unmap or free); f is left empty. */
void mapped_file_close(mapped_file_t *f);

#endif
