/* bad-slice.c — hostile module: emits a zero-copy sub-content slice that
 * starts past the end of the content.
 *
 * Writes only /subcontent/metadata_0.json (no data_0.bin) containing
 *   {"filename":"bad","offset":<size of /data.bin + 10>,"length":100}
 * and returns 0.
 *
 * Expected wadup outcome: failure, error_kind = "metadata_error" (the slice
 * lies outside the current content), even though process() returned 0. */
// build-flags: -mexec-model=reactor
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((export_name("process"))) int process(void) {
    struct stat st;
    if (stat("/data.bin", &st) != 0) {
        perror("bad-slice: stat /data.bin");
        return 1;
    }
    char json[160];
    int len = snprintf(json, sizeof json, "{\"filename\":\"bad\",\"offset\":%llu,\"length\":100}",
                       (unsigned long long)st.st_size + 10);
    int fd = open("/subcontent/metadata_0.json", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror("bad-slice: open /subcontent/metadata_0.json");
        return 1;
    }
    if (write(fd, json, (size_t)len) != len) {
        perror("bad-slice: write");
        close(fd);
        return 1;
    }
    close(fd);
    return 0;
}
