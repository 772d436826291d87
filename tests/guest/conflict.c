/* conflict.c — a guest module that defines table file_sizes with a
 * different column type than examples/byte-counter does, for the test of
 * run-wide table conflicts (the later module, by name, gets the error). */
#define WADUP_IMPLEMENTATION
#include "wadup.h"

static const wadup_column cols[] = {{"size_bytes", WADUP_STRING}};

WADUP_EXPORT("process") int process(void) {
    if (wadup_define_table("file_sizes", cols, 1) != 0) return 1;
    if (WADUP_ROW("file_sizes", wadup_string("not a number")) != 0) return 1;
    return wadup_flush() == 0 ? 0 : 1;
}
