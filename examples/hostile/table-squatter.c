/* table-squatter.c — hostile module: metadata tables named to collide with
 * other modules' tables and with wadup's internal names. Each call writes
 * one metadata file per table (so each is parsed on its own), one row each:
 *
 *   file_sizes(x String) = "squatted"   byte-counter's table name, another definition
 *   file_sizes__content(n Int64) = 1    the old per-table index name
 *   t__content(n Int64) = 2             the same for a table called t
 *   contents_uuid(n Int64) = 3          the old index on contents(uuid)
 *   redo(n Int64) = 4                   the old temporary table of --resume
 *   wadup_content(n Int64) = 5          reserved (wadup_*)
 *   contents(n Int64) = 6               reserved (wadup's own table)
 *   sneaky(_module String) = "x"        reserved column name
 *   cased(a Int64, A Int64) = 7, 8      columns differing only by case
 *   FILE_SIZES(y Int64) = 9             file_sizes again, differently (SQL ignores case)
 * process() returns 0.
 *
 * Expected under `wadup test`: success (these are all valid metadata files;
 * the database rules apply in `wadup run`). Expected under `wadup run`,
 * even when it sorts before byte-counter: the first five are stored in its
 * own tables and byte-counter's file_sizes is untouched; the last five are
 * refused with metadata_error (run exits 0; see
 * tests/e2e/test_store_containment.py for the exact messages). */
// build-flags: -mexec-model=reactor
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* write_file: path := text, closed (which hands it to the host). 0 or -1. */
static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    size_t len = strlen(text);
    int rc = write(fd, text, len) == (ssize_t)len ? 0 : -1;
    return close(fd) == 0 ? rc : -1;
}

/* table_file: a metadata file defining table `name` with `columns` (JSON
 * list body) and inserting one row `values` (JSON list body). */
static int table_file(int k, const char *name, const char *columns, const char *values) {
    char path[64], text[1024];
    snprintf(path, sizeof path, "/metadata/t%d.json", k);
    int n = snprintf(text, sizeof text,
                     "{\"tables\":[{\"name\":\"%s\",\"columns\":[%s]}],"
                     "\"rows\":[{\"table_name\":\"%s\",\"values\":[%s]}]}",
                     name, columns, name, values);
    if (n <= 0 || (size_t)n >= sizeof text) return -1;
    return write_file(path, text);
}

#define INT_COL(c) "{\"name\":\"" c "\",\"data_type\":\"Int64\"}"
#define STR_COL(c) "{\"name\":\"" c "\",\"data_type\":\"String\"}"

__attribute__((export_name("process"))) int process(void) {
    static const struct { const char *name, *columns, *values; } tables[] = {
        {"file_sizes", STR_COL("x"), "{\"String\":\"squatted\"}"},
        {"file_sizes__content", INT_COL("n"), "{\"Int64\":1}"},
        {"t__content", INT_COL("n"), "{\"Int64\":2}"},
        {"contents_uuid", INT_COL("n"), "{\"Int64\":3}"},
        {"redo", INT_COL("n"), "{\"Int64\":4}"},
        {"wadup_content", INT_COL("n"), "{\"Int64\":5}"},
        {"contents", INT_COL("n"), "{\"Int64\":6}"},
        {"sneaky", STR_COL("_module"), "{\"String\":\"x\"}"},
        {"cased", INT_COL("a") "," INT_COL("A"), "{\"Int64\":7},{\"Int64\":8}"},
        {"FILE_SIZES", INT_COL("y"), "{\"Int64\":9}"},
    };
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++)
        if (table_file((int)i, tables[i].name, tables[i].columns, tables[i].values) != 0) return 1;
    return 0;
}
