/* cmd_compile.c — `wadup compile`: compile modules to native code ahead of
 * time so later runs start at once. Arguments are .wasm files or
 * directories (their *.wasm files, sorted, not recursive), compiled one
 * after the other, each with -j compiler processes. Also owns the
 * compile-limit options that run, test and compile share. */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"

/* parse_jobs: "0" (one per CPU) to "256". Returns 0 or -1. */
static int parse_jobs(const char *arg, unsigned *jobs) {
    char *end;
    if (*arg < '0' || *arg > '9') return -1;
    unsigned long v = strtoul(arg, &end, 10);
    if (*end || v > 256) return -1;
    *jobs = (unsigned)v;
    return 0;
}

int cli_compile_limit(int opt, const char *arg, aot_limits_t *l) {
    if (opt == CLI_O_COMPILE_JOBS) {
        if (parse_jobs(arg, &l->jobs) != 0)
            return cli_error("invalid -j/--compile-jobs '%s' (0 = one per CPU, up to 256)", arg);
        return 0;
    }
    if (opt == CLI_O_COMPILE_TIMEOUT) {
        if (cli_parse_seconds(arg, &l->timeout_ms) != 0)
            return cli_error("invalid --compile-timeout '%s' (seconds; 0 = none)", arg);
        return 0;
    }
    if (cli_parse_size(arg, &l->memory) != 0)
        return cli_error("invalid --compile-memory '%s' (bytes, suffixes K, M, G; 0 = none)", arg);
    return 0;
}

/* compile_one: open and compile one module; prints "name<TAB>compiled|cached
 * <TAB>key" on stdout, or why it failed on stderr. Returns 0 or -1. */
static int compile_one(aot_config_t *cfg, const char *path) {
    cfg->module_index++;
    eng_module_t *m;
    eng_error_t err = {0};
    if (eng_module_open(path, &m, &err) != 0) {
        fprintf(stderr, "wadup: %s: %s%s%s\n", path, err.kind ? err.kind : "", err.kind ? ": " : "", err.message);
        eng_error_clear(&err);
        return -1;
    }
    bool compiled;
    int rc = eng_module_compile(m, cfg, &compiled, &err);
    if (rc != 0) {
        fprintf(stderr, "wadup: %s: %s\n", path, err.message);
        eng_error_clear(&err);
    } else {
        printf("%s\t%s\t%s\n", m->name, compiled ? "compiled" : "cached", m->object->key);
    }
    eng_module_free(m);
    return rc;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* compile_dir: every *.wasm directly in dir, in sorted order. */
static int compile_dir(aot_config_t *cfg, const char *dir) {
    DIR *d = opendir(dir);
    if (!d) { cli_error("cannot open %s: %m", dir); return -1; }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".wasm") != 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(names, cap * sizeof *grown);
            if (!grown) { rc = -1; break; }
            names = grown;
        }
        buf_t p = BUF_INIT;
        char *path = buf_printf(&p, "%s/%s", dir, e->d_name) == 0 ? buf_steal(&p) : NULL;
        if (!path) { buf_free(&p); rc = -1; break; }
        names[n++] = path;
    }
    closedir(d);
    if (rc != 0) cli_error("out of memory listing %s", dir);
    if (n) qsort(names, n, sizeof *names, compare_names);
    if (n) cfg->module_count += (unsigned)n - 1;  /* the directory was counted as one */
    for (size_t i = 0; i < n; i++) {
        if (compile_one(cfg, names[i]) != 0) rc = -1;
        free(names[i]);
    }
    free(names);
    if (n == 0) fprintf(stderr, "wadup: no .wasm files in %s\n", dir);
    return rc;
}

int cli_compile(int argc, char **argv) {
    static const struct option opts[] = {{"cache-dir", required_argument, 0, 'c'}, {"quiet", no_argument, 0, 'q'},
                                         {"jobs", required_argument, 0, 'j'}, CLI_COMPILE_OPTIONS,
                                         CLI_COMPILE_JOBS_OPTION, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *cache_dir = NULL;
    bool quiet = false;
    aot_limits_t limits = aot_default_limits();
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qhj:", opts, NULL)) != -1) {
        if (c == 'c') cache_dir = optarg;
        else if (c == 'q') quiet = true;
        else if (c == CLI_O_COMPILE_TIMEOUT || c == CLI_O_COMPILE_MEMORY || c == CLI_O_COMPILE_JOBS || c == 'j') {
            if (cli_compile_limit(c == 'j' ? CLI_O_COMPILE_JOBS : c, optarg, &limits) != 0) return CLI_USAGE;
        } else {
            fprintf(c == 'h' ? stdout : stderr,
                    "usage: wadup compile [--cache-dir DIR] [-q] [-j N] [--compile-timeout S] [--compile-memory B]\n"
                    "                     MODULE.wasm|DIR...\n"
                    "Compiles each module to native code into the cache; prints name, compiled|cached, key.\n"
                    "A module's generated C is split into translation units compiled in parallel.\n"
                    "  -j, --jobs N          compiler processes at a time (default 0: one per CPU)\n"
                    "  --compile-timeout S   wall-clock limit for translating and compiling one module, also\n"
                    "                        each tool's CPU-time limit (default %llu; 0 = none)\n"
                    "  --compile-memory B    address space of each tool process, so of each parallel job\n"
                    "                        (default %lluG; 0 = none)\n",
                    (unsigned long long)(AOT_DEFAULT_COMPILE_TIMEOUT_MS / 1000),
                    (unsigned long long)(AOT_DEFAULT_COMPILE_MEMORY >> 30));
            return c == 'h' ? CLI_OK : CLI_USAGE;
        }
    }
    if (optind >= argc) return cli_error("compile needs at least one module or directory");
    aot_config_t cfg;
    char *err = NULL;
    if (aot_config_init(&cfg, cache_dir, &err) != 0) {
        cli_error("%s", err);
        free(err);
        return CLI_USAGE;
    }
    cfg.quiet = quiet;
    cfg.limits = limits;
    cfg.module_count = (unsigned)(argc - optind);
    int failed = 0;
    for (int i = optind; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) { cli_error("cannot read %s: %m", argv[i]); failed = 1; continue; }
        if ((S_ISDIR(st.st_mode) ? compile_dir(&cfg, argv[i]) : compile_one(&cfg, argv[i])) != 0) failed = 1;
    }
    aot_config_free(&cfg);
    return failed ? CLI_MODULE_FAILED : CLI_OK;
}
