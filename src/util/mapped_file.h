/* mapped_file.h — read-only memory mapping of a whole file (zero-copy input
 * for contents and modules). An empty file maps to data == NULL, size 0.
 * Small files (up to MAPPED_FILE_READ_MAX bytes) are read into memory
 * instead: unmapping many small mappings from a multi-threaded process
 * costs a TLB shootdown on every core each time. */
#ifndef WADUP_UTIL_MAPPED_FILE_H
#define WADUP_UTIL_MAPPED_FILE_H
#include <stddef.h>
#include <stdint.h>

#define MAPPED_FILE_READ_MAX (64 * 1024)

typedef struct mapped_file {
    const uint8_t *data;
    size_t size;
    int is_copy;   /* read into malloc'd memory rather than mapped */
} mapped_file_t;

/* mapped_file_open: map `path`. Returns 0, or -1 with errno set (EISDIR
 * for a directory, EINVAL for something that is not a regular file). */
int mapped_file_open(const char *path, mapped_file_t *f);
void mapped_file_close(mapped_file_t *f);

#endif
