/* table-churn.c — hostile module: defines a new 1000-column table on every
 * content (and on every call, 20 more), each with one row.
 *
 * Definitions live for the whole run, so they used to pile up uncharged
 * (one new wide table per content: 269 MiB after 400 contents). Now each
 * definition counts toward the instance's --max-memory and a module may
 * define at most 1000 tables. Expected: calls succeed until the module's
 * definitions reach the memory limit or the table cap, then
 * metadata_error naming that limit; the process's memory stays bounded. */
// build-flags: -mexec-model=reactor
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static unsigned next_table;

static int define_wide(int fd, unsigned t) {
    if (dprintf(fd, "%s{\"name\":\"churn_%u\",\"columns\":[", t % 20 ? "," : "", t) < 0) return -1;
    for (int c = 0; c < 1000; c++)
        if (dprintf(fd, "%s{\"name\":\"column_number_%d\",\"data_type\":\"Int64\"}", c ? "," : "", c) < 0) return -1;
    return dprintf(fd, "]}") < 0 ? -1 : 0;
}

__attribute__((export_name("process"))) int process(void) {
    int fd = open("/metadata/churn.json", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 1;
    unsigned first = next_table;
    if (dprintf(fd, "{\"tables\":[") < 0) return 1;
    for (unsigned i = 0; i < 20; i++)
        if (define_wide(fd, next_table++) != 0) return 1;
    if (dprintf(fd, "],\"rows\":[{\"table_name\":\"churn_%u\",\"values\":[", first) < 0) return 1;
    for (int c = 0; c < 1000; c++)
        if (dprintf(fd, "%s{\"Int64\":%d}", c ? "," : "", c) < 0) return 1;
    if (dprintf(fd, "]}]}") < 0) return 1;
    close(fd);
    return 0;
}
