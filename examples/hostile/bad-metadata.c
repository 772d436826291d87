/* bad-metadata.c — hostile module: one valid metadata file, then one whose
 * row does not match the declared column type.
 *
 *   /metadata/good.json  defines table good(n Int64) and inserts {"Int64": 7}
 *   /metadata/bad.json   inserts {"String": "x"} into good.n (an Int64 column)
 * Both files are written and closed in that order; process() returns 0.
 *
 * Expected wadup outcome: failure, error_kind = "metadata_error" (the
 * message names /metadata/bad.json, table 'good', column 'n'); the row from
 * good.json (n = 7) is kept. */
// build-flags: -mexec-model=reactor
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(path);
        return -1;
    }
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len) {
        perror(path);
        close(fd);
        return -1;
    }
    return close(fd);
}

__attribute__((export_name("process"))) int process(void) {
    if (write_file("/metadata/good.json",
                   "{\"tables\":[{\"name\":\"good\",\"columns\":[{\"name\":\"n\",\"data_type\":\"Int64\"}]}],"
                   "\"rows\":[{\"table_name\":\"good\",\"values\":[{\"Int64\":7}]}]}") != 0)
        return 1;
    if (write_file("/metadata/bad.json",
                   "{\"rows\":[{\"table_name\":\"good\",\"values\":[{\"String\":\"x\"}]}]}") != 0)
        return 1;
    return 0;
}
