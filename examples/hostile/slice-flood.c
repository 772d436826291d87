/* slice-flood.c — hostile module: emits 20,000 zero-copy slices with
 * 4000-byte file names, then 50 with 1 MiB names.
 *
 * Slices used to cost the host their records and names uncharged, and
 * emissions past --max-children were kept until the call ended. Expected
 * under --max-children 10 --max-memory 16M: the call succeeds except for
 * the over-long names (metadata_error: 'filename' ... more than the limit
 * of 4096), 10 sub-contents are kept and limits_hit records the rest as
 * dropped; the process's memory stays small. */
// build-flags: -mexec-model=reactor
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int emit(int n, size_t name_len, char *name) {
    char path[64];
    snprintf(path, sizeof path, "/subcontent/metadata_%d.json", n);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    int ok = dprintf(fd, "{\"filename\":\"%.*s\",\"offset\":0,\"length\":1}", (int)name_len, name) > 0;
    close(fd);
    return ok ? 0 : -1;
}

__attribute__((export_name("process"))) int process(void) {
    size_t big = 1 << 20;
    char *name = malloc(big);
    if (!name) return 1;
    memset(name, 'n', big);
    for (int i = 0; i < 20000; i++)
        if (emit(i, 4000, name) != 0) return 2;
    for (int i = 0; i < 50; i++)
        if (emit(20000 + i, big, name) != 0) return 3;
    free(name);
    return 0;
}
