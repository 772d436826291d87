/* cmd_test.c — `wadup test`: run one module once on one sample and print
 * exactly one JSON object on stdout (logs go to stderr). Exit status 0 on
 * success, 1 when the module failed, 2 for usage or input errors. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "rt/rt.h"
#include "util/uuid.h"

typedef struct test_job {
    eng_module_t *module;
    eng_limits_t limits;
    eng_content_t content;
    eng_slot_t *slot;        /* outlives the run: result tables point into its schema */
    eng_result_t result;
} test_job_t;

static void test_help(FILE *to) {
    fprintf(to,
            "usage: wadup test -m MODULE.wasm -s SAMPLE [options]\n"
            "  -m, --module FILE        the module to run\n"
            "  -s, --sample FILE        the content to run it on (exposed as /data.bin)\n"
            "  -f, --filename NAME      WADUP_FILENAME seen by the module (default: the sample's base name)\n"
            "      --timeout SECONDS    stop the module after this long (default 60; 0 = never)\n"
            "      --max-memory BYTES   memory one instance may hold: linear memory, files, emitted data\n"
            "                           (default 1G; suffixes K, M, G)\n"
            "      --max-stack BYTES    native stack for guest code (default 8M)\n"
            "      --max-output BYTES   stdout/stderr captured per stream (default 1M)\n"
            "      --cache-dir DIR      compiled-module cache (default $WADUP_CACHE_DIR, $XDG_CACHE_HOME/wadup,\n"
            "                           ~/.cache/wadup)\n"
            "      --compile-timeout S  wall-clock limit for translating and compiling the module, also each\n"
            "                           tool's CPU-time limit (default %llu; 0 = none)\n"
            "      --compile-memory B   address space of each compiler process (default %lluG; 0 = none)\n"
            "      --compile-jobs N     compiler processes at a time (default: one per CPU)\n"
            "  -q, --quiet              no progress messages on stderr\n",
            (unsigned long long)(AOT_DEFAULT_COMPILE_TIMEOUT_MS / 1000),
            (unsigned long long)(AOT_DEFAULT_COMPILE_MEMORY >> 30));
}

static void *test_worker(void *arg) {
    test_job_t *job = arg;
    eng_run(job->slot, &job->content, &job->result);
    return NULL;
}

static int test_print(json_t *j, int status) {
    json_dumpf(j, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(j);
    return status;
}

int cli_test(int argc, char **argv) {
    static const struct option opts[] = {
        {"module", required_argument, 0, 'm'}, {"sample", required_argument, 0, 's'},
        {"filename", required_argument, 0, 'f'}, {"timeout", required_argument, 0, 't'},
        {"max-memory", required_argument, 0, 'M'}, {"max-stack", required_argument, 0, 'S'},
        {"max-output", required_argument, 0, 'O'}, {"cache-dir", required_argument, 0, 'c'},
        CLI_COMPILE_OPTIONS, CLI_COMPILE_JOBS_OPTION, {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *module_path = NULL, *sample_path = NULL, *filename = NULL, *cache_dir = NULL;
    bool quiet = false;
    test_job_t job;
    memset(&job, 0, sizeof job);
    eng_limits_default(&job.limits);
    aot_limits_t compile_limits = aot_default_limits();
    uint64_t v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "m:s:f:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'm': module_path = optarg; break;
        case 's': sample_path = optarg; break;
        case 'f': filename = optarg; break;
        case 'c': cache_dir = optarg; break;
        case 'q': quiet = true; break;
        case 't':
            if (cli_parse_seconds(optarg, &job.limits.timeout_ms)) return cli_error("invalid --timeout '%s'", optarg);
            break;
        case 'M':
            if (cli_parse_size(optarg, &job.limits.max_memory) || job.limits.max_memory == 0)
                return cli_error("invalid --max-memory '%s'", optarg);
            break;
        case 'S':
            if (cli_parse_size(optarg, &job.limits.max_stack) || job.limits.max_stack < 65536 ||
                job.limits.max_stack > ((uint64_t)1 << 32))
                return cli_error("invalid --max-stack '%s' (64K to 4G)", optarg);
            break;
        case 'O':
            if (cli_parse_size(optarg, &v) || v > ((uint64_t)1 << 32)) return cli_error("invalid --max-output '%s'", optarg);
            job.limits.max_output = (size_t)v;
            break;
        case CLI_O_COMPILE_TIMEOUT:
        case CLI_O_COMPILE_JOBS:
        case CLI_O_COMPILE_MEMORY:
            if (cli_compile_limit(c, optarg, &compile_limits)) return CLI_USAGE;
            break;
        case 'h': test_help(stdout); return CLI_OK;
        default: test_help(stderr); return CLI_USAGE;
        }
    }
    if (optind < argc) return cli_error("unexpected argument '%s'", argv[optind]);
    if (!module_path || !sample_path) {
        test_help(stderr);
        return cli_error("test needs --module and --sample");
    }
    mapped_file_t sample;
    /* The sample is named explicitly: a symbolic link is followed, but it
     * must be a regular file (a FIFO or device is refused, never waited on). */
    if (mapped_file_open(sample_path, &sample) != 0) {
        int e = errno;
        return cli_error("cannot read sample %s: %s", sample_path, mapped_file_strerror(&sample, e));
    }
    if (!filename) {
        const char *slash = strrchr(sample_path, '/');
        filename = slash ? slash + 1 : sample_path;
    }
    int status = CLI_USAGE;
    eng_error_t err = {0};
    aot_config_t cfg;
    char *cfg_err = NULL;
    if (eng_module_open(module_path, &job.module, &err) != 0) {
        if (!err.kind) cli_error("%s", err.message);
        else status = test_print(cli_error_json(module_path, err.kind, err.message), CLI_MODULE_FAILED);
        eng_error_clear(&err);
        mapped_file_close(&sample);
        return status;
    }
    if (aot_config_init(&cfg, cache_dir, &cfg_err) != 0) {
        cli_error("%s", cfg_err);
        free(cfg_err);
        goto out_module;
    }
    cfg.quiet = quiet;
    cfg.limits = compile_limits;
    bool compiled;
    if (eng_module_compile(job.module, &cfg, &compiled, &err) != 0) {
        status = test_print(cli_error_json(module_path, err.kind, err.message), CLI_MODULE_FAILED);
        eng_error_clear(&err);
        goto out_cfg;
    }
    char uuid[37];
    uuid_v4(uuid);
    job.content = (eng_content_t){sample.data, sample.size, filename, uuid, 0};
    rt_thread_handle_t *th;
    job.slot = eng_slot_new(job.module, &job.limits);
    if (!job.slot || rt_thread_spawn((size_t)job.limits.max_stack, test_worker, &job, &th) != 0) {
        cli_error("cannot start a worker thread");
        eng_slot_free(job.slot);
        goto out_cfg;
    }
    rt_thread_join(th);
    status = test_print(cli_result_json(job.module, &job.result, sample.data),
                        job.result.success ? CLI_OK : CLI_MODULE_FAILED);
    eng_result_free(&job.result);
    eng_slot_free(job.slot);
out_cfg:
    aot_config_free(&cfg);
out_module:
    eng_module_free(job.module);
    mapped_file_close(&sample);
    return status;
}
