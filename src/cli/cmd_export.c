/* cmd_export.c — `wadup export`: a results database as NDJSON documents or
 * an Elasticsearch _bulk body, on stdout or into a file. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/export.h"

int cli_export(int argc, char **argv) {
    static const struct option opts[] = {{"format", required_argument, 0, 'f'}, {"index", required_argument, 0, 'x'},
                                         {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    export_format_t format = EXPORT_NDJSON;
    const char *index = "wadup", *output = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "ndjson") == 0) format = EXPORT_NDJSON;
            else if (strcmp(optarg, "es-bulk") == 0) format = EXPORT_ES_BULK;
            else return cli_error("unknown --format '%s' (ndjson or es-bulk)", optarg);
            break;
        case 'x': index = optarg; break;
        case 'o': output = optarg; break;
        default:
            fprintf(c == 'h' ? stdout : stderr,
                    "usage: wadup export RESULTS.db [--format ndjson|es-bulk] [--index NAME] [-o FILE]\n"
                    "Writes content, module_output and row documents (the original WADUP's model);\n"
                    "es-bulk adds the _bulk action lines for index NAME (default wadup).\n");
            return c == 'h' ? CLI_OK : CLI_USAGE;
        }
    }
    if (optind != argc - 1) return cli_error("export needs exactly one database");
    FILE *out = output ? fopen(output, "w") : stdout;
    if (!out) return cli_error("cannot write %s: %m", output);
    char *err = NULL;
    long docs = export_database(argv[optind], format, index, out, &err);
    if (output && fclose(out) != 0 && docs >= 0) { docs = -1; err = strdup("write failed"); }
    if (docs < 0) {
        cli_error("%s", err ? err : "export failed");
        free(err);
        return 1;
    }
    fflush(stdout);
    fprintf(stderr, "wadup: exported %ld documents\n", docs);
    return CLI_OK;
}
