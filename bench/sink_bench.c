/* sink_bench.c — the SQLite sink alone: submit synthetic contents, each
 * with one module run carrying ROWS metadata rows of table
 * bench(i Int64, f Float64, s String, b Boolean), through the real store
 * (writer thread, prepared statements, large transactions), and report
 * rows per second. Usage: sink_bench DB [CONTENTS] [ROWS_PER_CONTENT] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: sink_bench DB [CONTENTS] [ROWS]\n"); return 2; }
    long contents = argc > 2 ? atol(argv[2]) : 20000, rows = argc > 3 ? atol(argv[3]) : 50;
    if (contents < 1 || contents > 100000000 || rows < 0 || rows > 100000) return 2;
    static const char json_head[] =
        "{\"tables\":[{\"name\":\"bench\",\"columns\":[{\"name\":\"i\",\"data_type\":\"Int64\"},"
        "{\"name\":\"f\",\"data_type\":\"Float64\"},{\"name\":\"s\",\"data_type\":\"String\"},"
        "{\"name\":\"b\",\"data_type\":\"Boolean\"}]}],\"rows\":[";
    buf_t json = BUF_INIT;
    buf_append_str(&json, json_head);
    for (long r = 0; r < rows; r++)
        buf_printf(&json, "%s{\"table_name\":\"bench\",\"values\":[{\"Int64\":%ld},{\"Float64\":%ld.5},"
                          "{\"String\":\"row number %ld\"},{\"Boolean\":true}]}", r ? "," : "", r, r, r);
    buf_append_str(&json, "]}");
    meta_schema_t *schema = meta_schema_new();
    store_t *store;
    char *err = NULL;
    store_options_t o = {argv[1], false, true, 0};
    if (!schema || store_open(&o, &store, &err) != 0) { fprintf(stderr, "sink_bench: %s\n", err); return 1; }
    /* Parsing is the workers' job: prepare every batch first, time only the sink. */
    store_content_t *items = calloc((size_t)contents, sizeof *items);
    for (long c = 0; items && c < contents; c++) {
        store_content_t *sc = &items[c];
        sc->id = sc->root_id = c + 1;
        snprintf(sc->uuid, sizeof sc->uuid, "00000000-0000-4000-8000-%012ld", c % 1000000000000L);
        sc->filename = strdup("bench.bin");
        sc->status = "success";
        sc->runs = calloc(1, sizeof *sc->runs);
        sc->nruns = 1;
        sc->runs[0].module = "bench";
        eng_result_init(&sc->runs[0].result);
        sc->runs[0].result.success = true;
        if (meta_parse_file(schema, "/metadata/bench.json", json.data, json.len, NULL, &sc->runs[0].result.metadata, NULL, &err)) {
            fprintf(stderr, "sink_bench: %s\n", err);
            return 1;
        }
    }
    double t0 = now();
    for (long c = 0; c < contents; c++) store_submit_content(store, &items[c]);
    if (store_close(store, &err) != 0) { fprintf(stderr, "sink_bench: %s\n", err); return 1; }
    double elapsed = now() - t0;
    long total = contents * (rows + 2); /* metadata rows + the content row + the module_runs row */
    printf("%ld %.6f\n", total, elapsed);
    free(items);
    meta_schema_free(schema);
    buf_free(&json);
    return 0;
}
