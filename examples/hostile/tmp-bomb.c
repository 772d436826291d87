/* tmp-bomb.c — hostile module: fills /tmp with 1 MiB files /tmp/bomb_<i>
 * until an open or write fails, then returns 1.
 *
 * Expected wadup outcome (with --max-memory): failure,
 * error_kind = "memory_limit". Bytes held by the in-memory filesystem count
 * toward the module's memory limit, so a write eventually fails with ENOSPC
 * (or an open with ENOMEM/ENOSPC); process() returns 1 and wadup reports
 * memory_limit because the budget refused a charge during the call.
 * (Bounded at 2^20 files = 1 TiB only so the loop is finite by construction.) */
// build-flags: -mexec-model=reactor
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FILE_SIZE (1024 * 1024)
#define WRITE_CHUNK (64 * 1024)
#define MAX_FILES (1u << 20)

static char buf[WRITE_CHUNK];

/* fill_file: write FILE_SIZE bytes to path; 0 on success, an errno on failure. */
static int fill_file(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return errno;
    size_t written = 0;
    while (written < FILE_SIZE) {
        ssize_t n = write(fd, buf, WRITE_CHUNK);
        if (n <= 0) {
            int e = n < 0 ? errno : ENOSPC;
            close(fd);
            return e;
        }
        written += (size_t)n;
    }
    if (close(fd) != 0)
        return errno;
    return 0;
}

__attribute__((export_name("process"))) int process(void) {
    memset(buf, 0x5a, sizeof buf);
    for (unsigned i = 0; i < MAX_FILES; i++) {
        char path[64];
        snprintf(path, sizeof path, "/tmp/bomb_%u", i);
        int e = fill_file(path);
        if (e != 0) {
            fprintf(stderr, "tmp-bomb: %s failed after %u files: %s\n", path, i, strerror(e));
            return 1;
        }
    }
    return 1;
}
