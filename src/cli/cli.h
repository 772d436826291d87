/* cli.h — the wadup command line: subcommands and shared option helpers. */
#ifndef WADUP_CLI_CLI_H
#define WADUP_CLI_CLI_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "engine/engine.h"

#define WADUP_VERSION "0.1.0"

/* Exit statuses. */
enum { CLI_OK = 0, CLI_MODULE_FAILED = 1, CLI_USAGE = 2 };

int cli_test(int argc, char **argv);
int cli_compile(int argc, char **argv);
int cli_inspect(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_python(int argc, char **argv);

/* cli_parse_size: "4096", "64K", "64KiB", "16M", "1G" (powers of 1024).
 * Returns 0 or -1. */
int cli_parse_size(const char *s, uint64_t *out);
/* cli_parse_seconds: non-negative decimal seconds into milliseconds. */
int cli_parse_seconds(const char *s, uint64_t *ms);
/* cli_error: print "wadup: <message>" on stderr; returns CLI_USAGE. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cli_result_json: the JSON object `wadup test` prints for a result. */
json_t *cli_result_json(const eng_module_t *m, const eng_result_t *r, const uint8_t *content);
/* cli_error_json: the same object for a module that failed before running
 * (`module_path` gives the module's name). */
json_t *cli_error_json(const char *module_path, const char *kind, const char *message);
/* cli_text: a JSON string from raw bytes (invalid UTF-8 replaced). */
json_t *cli_text(const uint8_t *data, size_t len);

#endif
