/* byte-counter — records the size of every content in the table
 * file_sizes(size_bytes Int64). Returns 1 if the size cannot be read or
 * the metadata cannot be written. */
#define WADUP_IMPLEMENTATION
#include "wadup.h"

#include <sys/stat.h>

static const wadup_column file_sizes_columns[] = {{"size_bytes", WADUP_INT64}};

WADUP_EXPORT("process")
int process(void) {
    struct stat st;
    if (stat("/data.bin", &st) != 0) return 1;
    /* Defining the table on every call is fine: identical redefinitions
     * are accepted, and each metadata file stays self-contained. */
    if (wadup_define_table("file_sizes", file_sizes_columns, 1) != 0) return 1;
    if (WADUP_ROW("file_sizes", wadup_int64((int64_t)st.st_size)) != 0) return 1;
    return wadup_flush() != 0 ? 1 : 0;
}
