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
int cli_exec(int argc, char **argv);

/* cli_parse_size: "4096", "64K", "64KiB", "16M", "1G" (powers of 1024).
 * Returns 0 or -1. */
int cli_parse_size(const char *s, uint64_t *out);
/* cli_parse_seconds: non-negative decimal seconds into milliseconds. */
int cli_parse_seconds(const char *s, uint64_t *ms);
/* --compile-timeout S and --compile-memory B, shared by run, test and
 * compile (getopt_long values, and their entries for the option table). */
enum { CLI_O_COMPILE_TIMEOUT = 0x1000, CLI_O_COMPILE_MEMORY, CLI_O_COMPILE_JOBS };
#define CLI_COMPILE_OPTIONS                                                   \
    {"compile-timeout", required_argument, 0, CLI_O_COMPILE_TIMEOUT},         \
    {"compile-memory", required_argument, 0, CLI_O_COMPILE_MEMORY}
/* --compile-jobs N (parallel compiler processes per module; 0 = one per
 * CPU), for run and test; `wadup compile` calls it -j. */
#define CLI_COMPILE_JOBS_OPTION {"compile-jobs", required_argument, 0, CLI_O_COMPILE_JOBS}
/* cli_compile_limit: apply option `opt` (CLI_O_COMPILE_*) with argument
 * `arg` to *l (0 = no limit). Returns 0, or CLI_USAGE after an error
 * message. */
int cli_compile_limit(int opt, const char *arg, aot_limits_t *l);
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
