/* main.c — wadup's entry point: dispatch to subcommands, shared helpers. */
#include <errno.h>
#include <stdarg.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static void cli_usage(FILE *to) {
    fprintf(to,
            "wadup " WADUP_VERSION " - WebAssembly Data Unified Processing\n"
            "\n"
            "usage: wadup <command> [options]\n"
            "\n"
            "commands:\n"
            "  run --modules DIR --input PATH... [-o DB]   run every module on every file (and on\n"
            "                                              everything extracted), results in SQLite\n"
            "  export DB --format ndjson|es-bulk           export results as JSON documents\n"
            "  python build PROJECT -o MODULE.wasm         build a Python module (no C compiler needed)\n"
            "  test -m MODULE.wasm -s SAMPLE [-f NAME]     run one module on one file, print a JSON result\n"
            "  exec [options] MODULE.wasm [ARGS...]        run a WASI command like a native program\n"
            "  compile MODULE.wasm|DIR...                  compile modules to native code ahead of time\n"
            "  inspect MODULE.wasm [--json]                show what a module imports, exports and embeds\n"
            "  version                                     print the version\n"
            "\n"
            "Run 'wadup <command> --help' for the options of a command.\n");
}

int cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("wadup: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_USAGE;
}

int cli_parse_size(const char *s, uint64_t *out) {
    if (!s || !*s || *s == '-') return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s) return -1;
    unsigned shift = 0;
    switch (*end) {
    case 0: break;
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: return -1;
    }
    if (*end == 'i' && end[1] == 'B') end += 2;
    else if (*end == 'B') end++;
    if (*end) return -1;
    if (shift && v > (UINT64_MAX >> shift)) return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

int cli_parse_seconds(const char *s, uint64_t *ms) {
    if (!s || !*s) return -1;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end || !(v >= 0) || v > 1e9) return -1;
    *ms = (uint64_t)(v * 1000.0 + 0.5);
    if (v > 0 && *ms == 0) *ms = 1;
    return 0;
}

/* cli_memory_policy: memory a module made the host allocate goes back to
 * the system when it is freed. Large blocks (file data, parse trees'
 * big strings) are mapped and unmapped rather than left in a worker's heap
 * arena (glibc would otherwise raise its mapping threshold after the first
 * large free and keep later ones), and heap tops are trimmed early; so the
 * process's resident memory follows what instances hold now, not their
 * peaks long past. */
static void cli_memory_policy(void) {
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 20);
}

int main(int argc, char **argv) {
    cli_memory_policy();
    if (argc < 2) { cli_usage(stderr); return CLI_USAGE; }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0) return cli_run(argc - 1, argv + 1);
    if (strcmp(cmd, "export") == 0) return cli_export(argc - 1, argv + 1);
    if (strcmp(cmd, "python") == 0) return cli_python(argc - 1, argv + 1);
    if (strcmp(cmd, "test") == 0) return cli_test(argc - 1, argv + 1);
    if (strcmp(cmd, "exec") == 0) return cli_exec(argc - 1, argv + 1);
    if (strcmp(cmd, "compile") == 0) return cli_compile(argc - 1, argv + 1);
    if (strcmp(cmd, "inspect") == 0) return cli_inspect(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("wadup %s\n", WADUP_VERSION);
        return CLI_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        cli_usage(stdout);
        return CLI_OK;
    }
    cli_usage(stderr);
    return cli_error("unknown command '%s'", cmd);
}
