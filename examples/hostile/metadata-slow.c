/* metadata-slow.c — hostile module: closes one metadata file of about
 * 300 MiB of valid rows, leaving the host hours of parsing... or seconds,
 * but far more than the call's --timeout.
 *
 * The file is parsed inside fd_close, in host code: that work must stop at
 * the call's deadline. Expected under --timeout 1 (and --max-memory 2G so
 * that memory is not what stops it): error_kind timeout within
 * --timeout + 1 s. */
// build-flags: -mexec-model=reactor
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char chunk[1 << 16];

__attribute__((export_name("process"))) int process(void) {
    static const char head[] =
        "{\"tables\":[{\"name\":\"slow\",\"columns\":[{\"name\":\"n\",\"data_type\":\"Int64\"}]}],\"rows\":[";
    static const char row[] = "{\"table_name\":\"slow\",\"values\":[{\"Int64\":7}]},";
    size_t rlen = sizeof row - 1, used = 0;
    while (used + rlen <= sizeof chunk) { memcpy(chunk + used, row, rlen); used += rlen; }
    int fd = open("/metadata/slow.json", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 1;
    if (write(fd, head, sizeof head - 1) < 0) return 1;
    for (int i = 0; i < 300 * 16; i++)
        if (write(fd, chunk, used) != (ssize_t)used) return 2;
    if (write(fd, "{\"table_name\":\"slow\",\"values\":[null]}]}", 39) < 0) return 1;
    close(fd); /* parsed here */
    return 0;
}
