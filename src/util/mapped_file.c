/* mapped_file.c — read-only whole-file mappings (see mapped_file.h): opening
 * without following or blocking, the regular-file check on the descriptor,
 * reading small files and mapping large ones. */
#include "util/mapped_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* read_small: read a small file whole; -1 with errno on failure (EIO if
 * the file got shorter than fstat said). */
static int read_small(int fd, size_t size, mapped_file_t *f) {
    uint8_t *buf = malloc(size);
    if (!buf) { errno = ENOMEM; return -1; }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { int e = n < 0 ? errno : EIO; free(buf); errno = e; return -1; }
        got += (size_t)n;
    }
    f->data = buf;
    f->size = size;
    f->is_copy = 1;
    return 0;
}

/* map_large: map `size` (> 0) bytes of fd; -1 with errno on failure. */
static int map_large(int fd, size_t size, mapped_file_t *f) {
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return -1;
    f->data = p;
    f->size = size;
    return 0;
}

/* file_type_refusal: the description of a file type that is not accepted
 * (never NULL for a non-regular mode). */
static const char *file_type_refusal(mode_t mode) {
    if (S_ISDIR(mode)) return "not a regular file (directory)";
    if (S_ISFIFO(mode)) return "not a regular file (FIFO)";
    if (S_ISCHR(mode)) return "not a regular file (character device)";
    if (S_ISBLK(mode)) return "not a regular file (block device)";
    if (S_ISSOCK(mode)) return "not a regular file (socket)";
    if (S_ISLNK(mode)) return "symbolic link";
    return "not a regular file (unknown type)";
}

/* open_refused_link: after open(O_NOFOLLOW) failed with ELOOP, is the last
 * component a symbolic link (rather than a loop further up)? */
static int open_refused_link(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

/* map_descriptor: check that fd is a regular file and read or map it.
 * Returns 0, or -1 with errno set (and f->refused for a wrong type). */
static int map_descriptor(int fd, mapped_file_t *f) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -1;
    if (!S_ISREG(st.st_mode)) {
        f->refused = file_type_refusal(st.st_mode);
        errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        return -1;
    }
    if (st.st_size < 0 || (uintmax_t)st.st_size > SIZE_MAX) { errno = EFBIG; return -1; }
    size_t size = (size_t)st.st_size;
    if (size == 0) return 0;
    return size <= MAPPED_FILE_READ_MAX ? read_small(fd, size, f) : map_large(fd, size, f);
}

int mapped_file_open_flags(const char *path, unsigned flags, mapped_file_t *f) {
    f->data = NULL;
    f->size = 0;
    f->is_copy = 0;
    f->refused = NULL;
    int oflags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
    if (flags & MAPPED_FILE_NOFOLLOW) oflags |= O_NOFOLLOW;
    int fd = open(path, oflags);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP && (flags & MAPPED_FILE_NOFOLLOW) && open_refused_link(path))
            f->refused = "symbolic link (not followed)";
        errno = e;
        return -1;
    }
    int rc = map_descriptor(fd, f);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int mapped_file_open(const char *path, mapped_file_t *f) { return mapped_file_open_flags(path, 0, f); }

const char *mapped_file_strerror(const mapped_file_t *f, int err) {
    return f->refused ? f->refused : strerror(err);
}

void mapped_file_close(mapped_file_t *f) {
    if (f->data && f->is_copy) free((void *)f->data);
    else if (f->data) munmap((void *)f->data, f->size);
    f->data = NULL;
    f->size = 0;
}
