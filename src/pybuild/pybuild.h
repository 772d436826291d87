/* pybuild.h — `wadup python build`: turn a Python project into a wadup
 * module without any C compiler. The shared CPython runtime
 * (runtime.wasm, compiled once through the AOT cache and shared by every
 * Python module) gets three embedded files as custom sections:
 *   /wadup/python/stdlib.zip  the standard library as .pyc
 *   /wadup/python/app.zip     the project, its dependencies and the wadup
 *                             package, as .pyc (made by build_module.py)
 *   /wadup/python/entry       the entry module name
 * Custom sections do not change the compile-cache key, so every Python
 * module reuses the same native object.
 *
 * Resources come from the Python directory: $WADUP_PYTHON_DIR, else
 * <directory of the wadup binary>/python (build/python in a build tree):
 * runtime.wasm, stdlib.zip, build_module.py and the wadup/ package. */
#ifndef WADUP_PYBUILD_PYBUILD_H
#define WADUP_PYBUILD_PYBUILD_H
#include <stdbool.h>

typedef struct pyb_options {
    const char *project_dir;
    const char *output;       /* module.wasm to write */
    const char *python;       /* interpreter resolving dependencies (default "python3") */
    bool quiet;
} pyb_options_t;

/* pyb_python_dir: the resource directory (malloc'd), or NULL. */
char *pyb_python_dir(void);

/* pyb_build: build the module. Returns 0, or -1 with a malloc'd *err. */
int pyb_build(const pyb_options_t *o, char **err);

#endif
