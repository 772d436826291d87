/* mapped_file.h — read-only memory mapping of a whole file (zero-copy input
 * for contents and modules). An empty file maps to data == NULL, size 0. */
#ifndef WADUP_UTIL_MAPPED_FILE_H
#define WADUP_UTIL_MAPPED_FILE_H
#include <stddef.h>
#include <stdint.h>

typedef struct mapped_file {
    const uint8_t *data;
    size_t size;
} mapped_file_t;

/* mapped_file_open: map `path`. Returns 0, or -1 with errno set (EISDIR
 * for a directory, EINVAL for something that is not a regular file). */
int mapped_file_open(const char *path, mapped_file_t *f);
void mapped_file_close(mapped_file_t *f);

#endif
