/* mapped_file.c — read-only whole-file mappings (see mapped_file.h). */
#include "util/mapped_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* read_small: read a small file whole; -1 with errno on failure. */
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

int mapped_file_open(const char *path, mapped_file_t *f) {
    f->data = NULL;
    f->size = 0;
    f->is_copy = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) { int e = errno; close(fd); errno = e; return -1; }
    if (!S_ISREG(st.st_mode)) { close(fd); errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL; return -1; }
    if (st.st_size > 0 && st.st_size <= MAPPED_FILE_READ_MAX) {
        int rc = read_small(fd, (size_t)st.st_size, f);
        int e = errno;
        close(fd);
        errno = e;
        return rc;
    }
    if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) { int e = errno; close(fd); errno = e; return -1; }
        f->data = p;
        f->size = (size_t)st.st_size;
    }
    close(fd);
    return 0;
}

void mapped_file_close(mapped_file_t *f) {
    if (f->data && f->is_copy) free((void *)f->data);
    else if (f->data) munmap((void *)f->data, f->size);
    f->data = NULL;
    f->size = 0;
}
