/* wide-table.c — hostile module: metadata as wide as wadup allows, and
 * wider. Each call writes, one metadata file each:
 *
 *   /metadata/ok.json     wide_ok(n Int64) with the row n = 1
 *   /metadata/wide.json   wide(c0..c1999 Int64), 2000 columns (over SQLite's
 *                         limit with _content, and over the parser's limit
 *                         of 1000 columns per table), one row of zeros
 *   /metadata/w_K.json    for K = 0..24: table wK (w000..w024) with 1000
 *                         Int64 columns (the most a table may have), one row
 *                         of zeros: 25,000 columns together
 * and returns 0.
 *
 * Expected under `wadup test`: metadata_error for /metadata/wide.json (too
 * many columns), every other table kept. Expected under `wadup run` with
 * ten modules: besides that, the tables past this module's share of the
 * run-wide column cap (20,000 of 200,000 with ten modules) are refused:
 * wide_ok and w000..w018 are stored, w019..w024 are not; the run exits 0
 * and the other modules' results are intact. */
// build-flags: -mexec-model=reactor
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WIDE_COLUMNS 2000
#define TABLES 25
#define TABLE_COLUMNS 1000

/* append: text at *len in buf (of cap bytes). 0 or -1 when it would not fit. */
static int append(char *buf, size_t cap, size_t *len, const char *text) {
    size_t n = strlen(text);
    if (n >= cap - *len) return -1;
    memcpy(buf + *len, text, n + 1);
    *len += n;
    return 0;
}

/* table_file: path := table `name` with `ncols` Int64 columns c0.. and one row of zeros. */
static int table_file(const char *path, const char *name, int ncols) {
    size_t cap = (size_t)ncols * 64 + 256, len = 0;
    char *buf = malloc(cap), item[96];
    int rc = buf ? 0 : -1;
    snprintf(item, sizeof item, "{\"tables\":[{\"name\":\"%s\",\"columns\":[", name);
    if (rc == 0) rc = append(buf, cap, &len, item);
    for (int i = 0; rc == 0 && i < ncols; i++) {
        snprintf(item, sizeof item, "%s{\"name\":\"c%d\",\"data_type\":\"Int64\"}", i ? "," : "", i);
        rc = append(buf, cap, &len, item);
    }
    snprintf(item, sizeof item, "]}],\"rows\":[{\"table_name\":\"%s\",\"values\":[", name);
    if (rc == 0) rc = append(buf, cap, &len, item);
    for (int i = 0; rc == 0 && i < ncols; i++) rc = append(buf, cap, &len, i ? ",{\"Int64\":0}" : "{\"Int64\":0}");
    if (rc == 0) rc = append(buf, cap, &len, "]}]}");
    int fd = rc == 0 ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
    if (fd < 0 || write(fd, buf, len) != (ssize_t)len) rc = -1;
    if (fd >= 0 && close(fd) != 0) rc = -1;
    free(buf);
    return rc;
}

__attribute__((export_name("process"))) int process(void) {
    static const char ok[] = "{\"tables\":[{\"name\":\"wide_ok\",\"columns\":[{\"name\":\"n\",\"data_type\":\"Int64\"}]}],"
                             "\"rows\":[{\"table_name\":\"wide_ok\",\"values\":[{\"Int64\":1}]}]}";
    int fd = open("/metadata/ok.json", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, ok, sizeof ok - 1) != (ssize_t)(sizeof ok - 1) || close(fd) != 0) return 1;
    if (table_file("/metadata/wide.json", "wide", WIDE_COLUMNS) != 0) return 1;
    for (int k = 0; k < TABLES; k++) {
        char path[64], name[16];
        snprintf(path, sizeof path, "/metadata/w_%d.json", k);
        snprintf(name, sizeof name, "w%03d", k);
        if (table_file(path, name, TABLE_COLUMNS) != 0) return 1;
    }
    return 0;
}
