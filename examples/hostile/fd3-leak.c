/* fd3-leak.c — hostile module: tries to carry data from one content to the
 * next on file descriptor 3.
 *
 * On each content it first reads fd 3: if that yields bytes, the previous
 * content's secret leaked, and it prints them and fails. Then it writes
 * this content's file name to a /tmp file and renumbers that descriptor
 * onto fd 3 (the preopened root). Expected: every call succeeds (fd 3 is
 * the preopen again on every content, reading it gives an error). */
// build-flags: -mexec-model=reactor
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

#define WADUP_IMPLEMENTATION
#include "wadup.h"

__attribute__((export_name("process"))) int process(void) {
    char got[256];
    ssize_t n = read(3, got, sizeof got - 1);
    if (n > 0) {
        got[n] = 0;
        printf("LEAK: %s\n", got);
        return 1;
    }
    int fd = open("/tmp/secret", O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 2;
    const char *name = wadup_filename();
    if (write(fd, name, strlen(name)) < 0) return 3;
    lseek(fd, 0, SEEK_SET);
    if (__wasi_fd_renumber((__wasi_fd_t)fd, 3) != 0) return 4;
    return 0;
}
