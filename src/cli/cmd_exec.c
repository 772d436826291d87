/* cmd_exec.c — `wadup exec`: run any WASI command module the way wasmtime
 * does: argv, the environment and the preopened directories exactly as
 * given on the command line, the process's own stdin/stdout/stderr, and
 * the guest's exit code as the exit status. Owns the option parsing and
 * the mapping of outcomes to exit statuses (see exec_help). The sandbox
 * itself is eng_exec's (src/engine/exec.c). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cli/cli.h"

/* Exit statuses besides the guest's own exit code (documented in
 * docs/module-abi.md, "wadup exec"). */
enum {
    EXEC_USAGE = 2,          /* bad options */
    EXEC_TIMEOUT = 124,      /* --timeout expired (like timeout(1)) */
    EXEC_SETUP = 125,        /* the sandbox could not be built: a --dir, --max-memory, the cache */
    EXEC_CANNOT_RUN = 126,   /* the module is invalid, not a command, or does not compile */
    EXEC_NOT_FOUND = 127,    /* the module file cannot be read */
    EXEC_TRAP = 134,         /* a trap (128 + SIGABRT, like wasmtime) */
};

#define EXEC_MAX_NOTES 10    /* skipped --dir entries listed on stderr */

typedef struct exec_cli {
    eng_exec_options_t o;
    const char **env;        /* --env values (point into argv) */
    eng_exec_dir_t *dirs;    /* --dir mappings (point into argv / owned guest copies) */
    char **owned;            /* HOST parts split off "HOST::GUEST" */
    size_t nowned;
    const char *cache_dir;
    bool quiet;
    aot_limits_t compile_limits;
    unsigned notes;
} exec_cli_t;

/* exec_help: the usage text, with the exit statuses. */
static void exec_help(FILE *to) {
    fprintf(to,
            "usage: wadup exec [options] MODULE.wasm [ARGS...]\n"
            "Runs a WASI command module (one exporting _start) like a native program: argv is\n"
            "[module name, ARGS...], stdin/stdout/stderr are this process's, the exit status is\n"
            "the module's exit code. Options must come before MODULE.\n"
            "  --env NAME=VALUE        set a variable (the environment is exactly these; repeatable)\n"
            "  --dir HOST[::GUEST]     copy host directory HOST into the sandbox and preopen it as\n"
            "                          GUEST (default: HOST as written); fds 3, 4, ... in order;\n"
            "                          writable in memory, never written back; host symlinks are\n"
            "                          copied as links that resolve only inside the sandbox\n"
            "  --timeout SECONDS       stop the module after this long (default: none)\n"
            "  --max-memory BYTES      linear memory + copied trees + files written (default 1G)\n"
            "  --max-stack BYTES       native stack for guest code (default 8M)\n"
            "  --cache-dir DIR         compiled-module cache (default $WADUP_CACHE_DIR,\n"
            "                          $XDG_CACHE_HOME/wadup, ~/.cache/wadup)\n"
            "  --compile-timeout S     limit for compiling the module (default %llu; 0 = none)\n"
            "  --compile-memory B      address space of each compiler process (default %lluG; 0 = none)\n"
            "  -q, --quiet             no compile progress on stderr\n"
            "Exit status: the module's exit code (0 when _start returns; codes above 255 give 255);\n"
            "124 timeout; 134 trap (its kind and message on stderr); 125 the sandbox could not be\n"
            "built (--dir, --max-memory); 126 the module cannot run (invalid, not a command,\n"
            "compile error); 127 the module file cannot be read; 2 bad options.\n",
            (unsigned long long)(AOT_DEFAULT_COMPILE_TIMEOUT_MS / 1000),
            (unsigned long long)(AOT_DEFAULT_COMPILE_MEMORY >> 30));
}

/* exec_note: a --dir entry left out, on stderr (the first few only). */
static void exec_note(void *user, const char *host_path, const char *why) {
    exec_cli_t *cli = user;
    if (cli->notes < EXEC_MAX_NOTES)
        fprintf(stderr, "wadup exec: --dir: skipped %s: %s\n", host_path, why);
    else if (cli->notes == EXEC_MAX_NOTES)
        fprintf(stderr, "wadup exec: --dir: more entries skipped (not listed)\n");
    cli->notes++;
}

/* exec_add_env: one --env NAME=VALUE. Returns 0 or EXEC_USAGE. */
static int exec_add_env(exec_cli_t *cli, const char *arg) {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) return cli_error("--env needs NAME=VALUE (got '%s')", arg);
    const char **grown = realloc(cli->env, (cli->o.nenv + 1) * sizeof *grown);
    if (!grown) return cli_error("out of memory");
    cli->env = grown;
    cli->env[cli->o.nenv++] = arg;
    return 0;
}

/* exec_add_dir: one --dir HOST[::GUEST]. Returns 0 or EXEC_USAGE. */
static int exec_add_dir(exec_cli_t *cli, const char *arg) {
    const char *sep = strstr(arg, "::");
    if (sep == arg || !*arg) return cli_error("--dir needs HOST[::GUEST] (got '%s')", arg);
    if (sep && !sep[2]) return cli_error("--dir %s: GUEST is empty", arg);
    eng_exec_dir_t *grown = realloc(cli->dirs, (cli->o.ndirs + 1) * sizeof *grown);
    if (grown) cli->dirs = grown;
    char **owned = grown ? realloc(cli->owned, (cli->nowned + 1) * sizeof *owned) : NULL;
    if (owned) cli->owned = owned;
    char *host = owned ? (sep ? strndup(arg, (size_t)(sep - arg)) : strdup(arg)) : NULL;
    if (!host) return cli_error("out of memory");
    cli->owned[cli->nowned++] = host;
    cli->dirs[cli->o.ndirs++] = (eng_exec_dir_t){host, sep ? sep + 2 : arg};
    return 0;
}

enum { EXEC_O_ENV = 0x2000, EXEC_O_DIR, EXEC_O_TIMEOUT, EXEC_O_MEMORY, EXEC_O_STACK, EXEC_O_CACHE };

/* exec_option: apply one parsed option. Returns 0, EXEC_USAGE, or -1
 * after --help. */
static int exec_option(exec_cli_t *cli, int c, const char *arg) {
    switch (c) {
    case EXEC_O_ENV: return exec_add_env(cli, arg);
    case EXEC_O_DIR: return exec_add_dir(cli, arg);
    case EXEC_O_CACHE: cli->cache_dir = arg; return 0;
    case 'q': cli->quiet = true; return 0;
    case EXEC_O_TIMEOUT:
        if (cli_parse_seconds(arg, &cli->o.timeout_ms)) return cli_error("invalid --timeout '%s'", arg);
        return 0;
    case EXEC_O_MEMORY:
        if (cli_parse_size(arg, &cli->o.max_memory) || cli->o.max_memory == 0)
            return cli_error("invalid --max-memory '%s'", arg);
        return 0;
    case EXEC_O_STACK:
        if (cli_parse_size(arg, &cli->o.max_stack) || cli->o.max_stack < 65536 || cli->o.max_stack > ((uint64_t)1 << 32))
            return cli_error("invalid --max-stack '%s' (64K to 4G)", arg);
        return 0;
    case CLI_O_COMPILE_TIMEOUT:
    case CLI_O_COMPILE_MEMORY: return cli_compile_limit(c, arg, &cli->compile_limits) ? EXEC_USAGE : 0;
    case 'h': exec_help(stdout); return -1;
    default: exec_help(stderr); return EXEC_USAGE;
    }
}

/* exec_parse: options up to MODULE (getopt stops at the first operand,
 * so the module's own arguments are never taken as wadup's). Returns 0
 * with optind at MODULE, EXEC_USAGE, or -1 after --help. */
static int exec_parse(exec_cli_t *cli, int argc, char **argv) {
    static const struct option opts[] = {
        {"env", required_argument, 0, EXEC_O_ENV}, {"dir", required_argument, 0, EXEC_O_DIR},
        {"timeout", required_argument, 0, EXEC_O_TIMEOUT}, {"max-memory", required_argument, 0, EXEC_O_MEMORY},
        {"max-stack", required_argument, 0, EXEC_O_STACK}, {"cache-dir", required_argument, 0, EXEC_O_CACHE},
        CLI_COMPILE_OPTIONS, {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    optind = 0; /* full reinitialisation, as glibc wants for a '+' optstring */
    while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
        int rc = exec_option(cli, c, optarg);
        if (rc != 0) return rc;
    }
    if (optind >= argc) {
        exec_help(stderr);
        return cli_error("exec needs a module");
    }
    return 0;
}

/* exec_load: open and compile the module. Returns 0, or the exit status
 * after a message. */
static int exec_load(exec_cli_t *cli, const char *path, eng_module_t **m) {
    eng_error_t err = {0};
    if (eng_module_open(path, m, &err) != 0) {
        int status = err.kind ? EXEC_CANNOT_RUN : EXEC_NOT_FOUND;
        fprintf(stderr, "wadup exec: %s: %s%s%s\n", path, err.kind ? err.kind : "", err.kind ? ": " : "", err.message);
        eng_error_clear(&err);
        return status;
    }
    if (!wmod_find_export(&(*m)->info, "_start")) { /* refused before compiling it */
        fprintf(stderr, "wadup exec: %s: " ENG_KIND_INVALID_MODULE ": not a command: it does not export _start (a "
                "reactor exporting process runs under wadup run or wadup test)\n", path);
        return EXEC_CANNOT_RUN;
    }
    aot_config_t cfg;
    char *cfg_err = NULL;
    if (aot_config_init(&cfg, cli->cache_dir, &cfg_err) != 0) {
        fprintf(stderr, "wadup exec: %s\n", cfg_err ? cfg_err : "cannot use the compiled-module cache");
        free(cfg_err);
        return EXEC_SETUP;
    }
    cfg.quiet = cli->quiet;
    cfg.limits = cli->compile_limits;
    bool compiled;
    int rc = eng_module_compile(*m, &cfg, &compiled, &err);
    aot_config_free(&cfg);
    if (rc != 0) {
        /* A compile_error message already starts with its kind. */
        bool prefixed = err.kind && strncmp(err.message, err.kind, strlen(err.kind)) == 0;
        fprintf(stderr, "wadup exec: %s: %s%s%s\n", path, prefixed ? "" : err.kind, prefixed ? "" : ": ", err.message);
        eng_error_clear(&err);
        return EXEC_CANNOT_RUN;
    }
    return 0;
}

/* exec_status: report the outcome and turn it into the exit status. */
static int exec_status(const eng_module_t *m, const eng_exec_outcome_t *out) {
    const char *msg = out->message ? out->message : "out of memory";
    switch (out->status) {
    case ENG_EXEC_EXITED:
        if (out->exit_code <= 255) return (int)out->exit_code;
        fprintf(stderr, "wadup exec: %s: exit code %u does not fit an exit status; exiting with 255\n", m->name,
                out->exit_code);
        return 255;
    case ENG_EXEC_TRAPPED:
        fprintf(stderr, "wadup exec: %s: %s: %s\n", m->name, out->error_kind, msg);
        return strcmp(out->error_kind, "timeout") == 0 ? EXEC_TIMEOUT : EXEC_TRAP;
    case ENG_EXEC_NOT_RUNNABLE:
        fprintf(stderr, "wadup exec: %s: %s: %s\n", m->name, out->error_kind ? out->error_kind : "error", msg);
        return EXEC_CANNOT_RUN;
    case ENG_EXEC_BAD_OPTIONS:
        fprintf(stderr, "wadup exec: %s\n", msg);
        return EXEC_USAGE;
    case ENG_EXEC_SETUP_FAILED: break;
    }
    if (out->error_kind) fprintf(stderr, "wadup exec: %s: %s\n", out->error_kind, msg);
    else fprintf(stderr, "wadup exec: %s\n", msg);
    return EXEC_SETUP;
}

/* exec_std_fds_open: make sure descriptors 0-2 are open (on /dev/null if
 * not), before wadup opens anything: otherwise the module file, the cache
 * or a --dir entry could land on one of them and the guest, which reads
 * and writes fds 0-2 for real, would reach it. Returns 0 or -1. */
static int exec_std_fds_open(void) {
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (n != fd) {
            if (n >= 0) close(n);
            return -1;
        }
    }
    return 0;
}

/* exec_cli_free: what option parsing allocated. */
static void exec_cli_free(exec_cli_t *cli) {
    for (size_t i = 0; i < cli->nowned; i++) free(cli->owned[i]);
    free(cli->owned);
    free(cli->dirs);
    free(cli->env);
}

/* cli_exec: `wadup exec`; returns the exit status (see exec_help). */
int cli_exec(int argc, char **argv) {
    exec_cli_t cli;
    memset(&cli, 0, sizeof cli);
    cli.o.max_memory = ENG_DEFAULT_MAX_MEMORY;
    cli.o.max_stack = ENG_DEFAULT_MAX_STACK;
    cli.o.timeout_ms = 0;
    cli.o.stdio[0] = 0;
    cli.o.stdio[1] = 1;
    cli.o.stdio[2] = 2;
    cli.compile_limits = aot_default_limits();
    if (exec_std_fds_open() != 0) return EXEC_SETUP;
    int status = exec_parse(&cli, argc, argv);
    if (status != 0) {
        exec_cli_free(&cli);
        return status < 0 ? CLI_OK : status;
    }
    eng_module_t *m = NULL;
    status = exec_load(&cli, argv[optind], &m);
    if (status == 0) {
        /* A guest writing to a closed pipe gets EPIPE instead of killing wadup. */
        signal(SIGPIPE, SIG_IGN);
        cli.o.args = (const char *const *)argv + optind + 1;
        cli.o.nargs = (size_t)(argc - optind - 1);
        cli.o.env = cli.env;
        cli.o.dirs = cli.dirs;
        cli.o.note = exec_note;
        cli.o.note_user = &cli;
        eng_exec_outcome_t out;
        eng_exec(m, &cli.o, &out);
        fflush(stdout);
        status = exec_status(m, &out);
        eng_exec_outcome_free(&out);
    }
    eng_module_free(m);
    exec_cli_free(&cli);
    return status;
}
