/* metadata-bomb.c — writes and closes 200 metadata files of about 1 MiB of
 * valid rows each (200 MiB in all), then returns 0. Each file is deleted
 * once parsed, so the module's own filesystem never holds more than one;
 * what must stay bounded is the host memory holding the parsed rows.
 * Expected under --max-memory 64M: error_kind metadata_error, naming the
 * memory limit, with the rows of the files that fitted kept. */
// build-flags: -mexec-model=reactor
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char row[1100];

__attribute__((export_name("process"))) int process(void) {
    static const char head[] =
        "{\"tables\":[{\"name\":\"bomb\",\"columns\":[{\"name\":\"s\",\"data_type\":\"String\"}]}],\"rows\":[";
    memset(row, 0, sizeof row);
    int n = snprintf(row, sizeof row, "{\"table_name\":\"bomb\",\"values\":[{\"String\":\"%01000d\"}]}", 7);
    if (n <= 0) return 2;
    for (int f = 0; f < 200; f++) {
        char path[64];
        snprintf(path, sizeof path, "/metadata/m_%d.json", f);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) return 1;
        if (write(fd, head, sizeof head - 1) < 0) return 1;
        for (int r = 0; r < 1000; r++)
            if (write(fd, row, (size_t)n) < 0 || (r < 999 && write(fd, ",", 1) < 0)) return 1;
        if (write(fd, "]}", 2) < 0) return 1;
        close(fd);
    }
    return 0;
}
