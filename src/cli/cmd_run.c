/* cmd_run.c — `wadup run`: options of the batch runner (see run/run.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "run/run.h"

static void run_help(FILE *to) {
    fprintf(to,
            "usage: wadup run --modules DIR --input PATH... [options]\n"
            "Runs every module in DIR (its *.wasm files, in name order) on every input file, and\n"
            "recursively on all sub-content they emit, writing everything to a SQLite database.\n"
            "\n"
            "  -m, --modules DIR          directory of modules\n"
            "  -i, --input PATH           input file or directory (recursed); repeatable; more\n"
            "                             paths may also follow the options\n"
            "  -o, --output FILE          results database (default wadup.db)\n"
            "      --resume               continue an interrupted run on the same database,\n"
            "                             skipping inputs already completed\n"
            "      --force                replace an existing database\n"
            "  -t, --threads N            worker threads (default: number of cores)\n"
            "      --max-depth N          sub-content nesting limit; input files are depth 0 (default %d)\n"
            "      --max-children N       sub-contents kept per content, all modules together (default %d)\n"
            "      --max-content-size B   larger contents are recorded as skipped (default 4G)\n"
            "      --timeout SECONDS      per module and content (default 60; 0 = none)\n"
            "      --max-memory BYTES     per module instance (default 1G)\n"
            "      --max-idle-memory B    memory each worker's instances may keep between contents, all\n"
            "                             modules together (default: --max-memory); the largest idle\n"
            "                             instances over it are freed and instantiated afresh\n"
            "      --max-stack BYTES      native stack for guest code (default 8M)\n"
            "      --max-output BYTES     stdout/stderr captured per module and content (default 1M)\n"
            "      --strict               stop if a module cannot be loaded (default: skip it)\n"
            "      --follow-symlinks      follow symbolic links in inputs (default: skip them)\n"
            "      --cache-dir DIR        compiled-module cache\n"
            "      --compile-timeout S    wall-clock limit for translating and compiling one module, also\n"
            "                             each tool's CPU-time limit (default %llu; 0 = none); a module over\n"
            "                             it fails with compile_error\n"
            "      --compile-memory B     address space of each compiler process (default %lluG; 0 = none)\n"
            "      --compile-jobs N       compiler processes at a time per module (default: one per CPU)\n"
            "  -q, --quiet                no progress and no summary on stderr\n",
            RUN_DEFAULT_MAX_DEPTH, RUN_DEFAULT_MAX_CHILDREN,
            (unsigned long long)(AOT_DEFAULT_COMPILE_TIMEOUT_MS / 1000),
            (unsigned long long)(AOT_DEFAULT_COMPILE_MEMORY >> 30));
}

static int parse_count(const char *s, unsigned *out) {
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || *s == '-' || v > 1000000000ul) return -1;
    *out = (unsigned)v;
    return 0;
}

int cli_run(int argc, char **argv) {
    enum { O_RESUME = 256, O_FORCE, O_DEPTH, O_CHILDREN, O_CSIZE, O_TIMEOUT, O_MEM, O_STACK, O_OUT, O_STRICT,
           O_FOLLOW, O_CACHE, O_IDLE };
    static const struct option opts[] = {
        {"modules", required_argument, 0, 'm'}, {"input", required_argument, 0, 'i'},
        {"output", required_argument, 0, 'o'}, {"threads", required_argument, 0, 't'},
        {"resume", no_argument, 0, O_RESUME}, {"force", no_argument, 0, O_FORCE},
        {"max-depth", required_argument, 0, O_DEPTH}, {"max-children", required_argument, 0, O_CHILDREN},
        {"max-content-size", required_argument, 0, O_CSIZE}, {"timeout", required_argument, 0, O_TIMEOUT},
        {"max-memory", required_argument, 0, O_MEM}, {"max-idle-memory", required_argument, 0, O_IDLE}, {"max-stack", required_argument, 0, O_STACK},
        {"max-output", required_argument, 0, O_OUT}, {"strict", no_argument, 0, O_STRICT},
        {"follow-symlinks", no_argument, 0, O_FOLLOW}, {"cache-dir", required_argument, 0, O_CACHE},
        CLI_COMPILE_OPTIONS, CLI_COMPILE_JOBS_OPTION, {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    run_options_t o;
    run_options_default(&o);
    const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
    if (!inputs) return cli_error("out of memory");
    size_t ninputs = 0;
    aot_limits_t compile_limits = aot_default_limits();
    uint64_t v;
    int c, status = CLI_USAGE;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:i:o:t:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'm': o.modules_dir = optarg; break;
        case 'i': inputs[ninputs++] = optarg; break;
        case 'o': o.output = optarg; break;
        case 't':
            if (parse_count(optarg, &o.threads) || o.threads == 0 || o.threads > 1024) {
                cli_error("invalid --threads '%s' (1 to 1024)", optarg);
                goto out;
            }
            break;
        case O_RESUME: o.resume = true; break;
        case O_FORCE: o.force = true; break;
        case O_DEPTH: if (parse_count(optarg, &o.max_depth)) { cli_error("invalid --max-depth '%s'", optarg); goto out; } break;
        case O_CHILDREN: if (parse_count(optarg, &o.max_children)) { cli_error("invalid --max-children '%s'", optarg); goto out; } break;
        case O_CSIZE: if (cli_parse_size(optarg, &o.max_content_size)) { cli_error("invalid --max-content-size '%s'", optarg); goto out; } break;
        case O_TIMEOUT: if (cli_parse_seconds(optarg, &o.limits.timeout_ms)) { cli_error("invalid --timeout '%s'", optarg); goto out; } break;
        case O_MEM:
            if (cli_parse_size(optarg, &o.limits.max_memory) || o.limits.max_memory == 0) { cli_error("invalid --max-memory '%s'", optarg); goto out; }
            break;
        case O_IDLE:
            if (cli_parse_size(optarg, &o.max_idle_memory)) { cli_error("invalid --max-idle-memory '%s'", optarg); goto out; }
            o.idle_memory_set = true;
            break;
        case O_STACK:
            if (cli_parse_size(optarg, &o.limits.max_stack) || o.limits.max_stack < 65536 || o.limits.max_stack > ((uint64_t)1 << 32)) {
                cli_error("invalid --max-stack '%s' (64K to 4G)", optarg);
                goto out;
            }
            break;
        case O_OUT:
            if (cli_parse_size(optarg, &v) || v > ((uint64_t)1 << 32)) { cli_error("invalid --max-output '%s'", optarg); goto out; }
            o.limits.max_output = (size_t)v;
            break;
        case O_STRICT: o.strict = true; break;
        case O_FOLLOW: o.follow_symlinks = true; break;
        case O_CACHE: o.cache_dir = optarg; break;
        case CLI_O_COMPILE_TIMEOUT:
        case CLI_O_COMPILE_JOBS:
        case CLI_O_COMPILE_MEMORY: if (cli_compile_limit(c, optarg, &compile_limits)) goto out; break;
        case 'q': o.quiet = true; break;
        case 'h': run_help(stdout); status = CLI_OK; goto out;
        default: run_help(stderr); goto out;
        }
    }
    while (optind < argc) inputs[ninputs++] = argv[optind++];
    if (!o.modules_dir || ninputs == 0) {
        run_help(stderr);
        cli_error("run needs --modules and at least one --input");
        goto out;
    }
    if (o.resume && o.force) { cli_error("--resume and --force exclude each other"); goto out; }
    o.inputs = inputs;
    o.ninputs = ninputs;
    aot_set_default_limits(&compile_limits); /* the runner creates its own aot config */
    status = run_main(&o);
out:
    free(inputs);
    return status;
}
