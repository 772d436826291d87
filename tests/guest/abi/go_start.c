/* go_start.c — a module of the shape Go 1.24+ builds for wasip1 with
 * //go:wasmexport: it exports _start, which runs main and ends with
 * proc_exit(0), and process, and no _initialize. Built as a command (no
 * reactor flag). wadup runs _start once per instance, then process per
 * content on the same instance.
 *
 * process() emits go_shape(start_runs Int64, call_number Int64): how many
 * times main ran (always 1) and a count of process calls on this
 * instance (1, 2, 3, ... while the instance is reused). */
#define WADUP_IMPLEMENTATION
#include "wadup.h"

#include <stdint.h>
#include <stdlib.h>

static int64_t start_runs;
static int64_t calls;

int main(void) {
    start_runs++;
    exit(0); /* proc_exit(0), as the Go runtime ends _start */
}

static const wadup_column go_shape_columns[] = {{"start_runs", WADUP_INT64}, {"call_number", WADUP_INT64}};

WADUP_EXPORT("process")
int process(void) {
    calls++;
    if (wadup_define_table("go_shape", go_shape_columns, 2) != 0) return 1;
    if (WADUP_ROW("go_shape", wadup_int64(start_runs), wadup_int64(calls)) != 0) return 1;
    return wadup_flush() != 0 ? 1 : 0;
}
