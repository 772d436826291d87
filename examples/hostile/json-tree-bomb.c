/* json-tree-bomb.c — hostile module: closes an 8 MiB metadata file
 * holding [{},{},...]: small on disk, but its parse tree costs about 75
 * times that in host memory.
 *
 * Expected under --max-memory 32M: error_kind metadata_error naming the
 * memory limit, with the wadup process's memory staying far below what the
 * tree would need (what parsing allocates is counted as it happens). */
// build-flags: -mexec-model=reactor
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static char chunk[1 << 16];

__attribute__((export_name("process"))) int process(void) {
    for (size_t i = 0; i + 3 <= sizeof chunk; i += 3) memcpy(chunk + i, "{},", 3);
    size_t used = sizeof chunk / 3 * 3;
    int fd = open("/metadata/bomb.json", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 1;
    if (write(fd, "[", 1) < 0) return 1;
    for (int i = 0; i < 128; i++)
        if (write(fd, chunk, used) != (ssize_t)used) return 2;
    if (write(fd, "{}]", 3) < 0) return 1;
    close(fd);
    return 0;
}
