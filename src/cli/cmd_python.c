/* cmd_python.c — `wadup python build PROJECT_DIR -o module.wasm [--python PATH]`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pybuild/pybuild.h"

static void python_help(FILE *to) {
    fprintf(to,
            "usage: wadup python build PROJECT_DIR -o MODULE.wasm [--python PATH] [-q]\n"
            "Builds a Python module: the shared CPython runtime plus the project (pyproject.toml),\n"
            "its dependencies and the wadup package as .pyc files. Dependencies are resolved from\n"
            "the Python 3.11 environment of --python (default: python3 on PATH), e.g. a venv or\n"
            "/usr/bin/python3 with Debian's python3-* packages. No C compiler is needed.\n");
}

int cli_python(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "build") != 0) {
        python_help(argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? stdout : stderr);
        return argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? CLI_OK : CLI_USAGE;
    }
    static const struct option opts[] = {{"output", required_argument, 0, 'o'}, {"python", required_argument, 0, 'p'},
                                         {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    pyb_options_t o = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': o.output = optarg; break;
        case 'p': o.python = optarg; break;
        case 'q': o.quiet = true; break;
        case 'h': python_help(stdout); return CLI_OK;
        default: python_help(stderr); return CLI_USAGE;
        }
    }
    if (optind != argc - 2 || !o.output) {
        python_help(stderr);
        return cli_error("python build needs a project directory and -o");
    }
    o.project_dir = argv[optind + 1];
    char *err = NULL;
    if (pyb_build(&o, &err) != 0) {
        cli_error("%s", err ? err : "build failed");
        free(err);
        return CLI_MODULE_FAILED;
    }
    return CLI_OK;
}
