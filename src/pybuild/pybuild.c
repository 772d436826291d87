/* pybuild.c — assembling Python modules (see pybuild.h): run the project
 * builder (build_module.py) with the chosen interpreter, then write the
 * shared runtime plus the embedded-file sections, atomically. */
#include "pybuild/pybuild.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/mapped_file.h"
#include "util/spawn.h"
#include "wasm/wasm_custom.h"
#include "wasm/wasm_module.h"

static char *pyb_printf(const char *fmt, const char *a, const char *b) {
    buf_t m = BUF_INIT;
    buf_printf(&m, fmt, a, b);
    return buf_steal(&m);
}

char *pyb_python_dir(void) {
    const char *env = getenv("WADUP_PYTHON_DIR");
    if (env && *env) return strdup(env);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return NULL;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return NULL;
    *slash = 0;
    return pyb_printf("%s/%s", exe, "python");
}

/* pyb_run_builder: run build_module.py; its stdout (a JSON summary) is
 * appended to `summary`, its stderr goes to ours. Returns 0, 1 if it
 * failed, -1 if it could not be started. */
static int pyb_run_builder(char *const argv[], buf_t *summary) {
    int rc = spawn_capture(argv, false, summary, 1 << 20);
    return rc < 0 ? -1 : rc == 0 ? 0 : 1;
}

static int pyb_embed(buf_t *out, const char *guest_path, const char *host_path, char **err) {
    mapped_file_t f;
    if (mapped_file_open(host_path, &f) != 0) {
        *err = pyb_printf("cannot read %s: %s", host_path, strerror(errno));
        return -1;
    }
    buf_t name = BUF_INIT;
    buf_printf(&name, "wadup.file:%s", guest_path);
    int rc = wmod_append_custom(out, buf_cstr(&name), f.data, f.size);
    buf_free(&name);
    mapped_file_close(&f);
    if (rc != 0) *err = pyb_printf("cannot embed %s%s: out of memory or too large", host_path, "");
    return rc;
}

static int pyb_write_atomically(const char *path, const buf_t *data, char **err) {
    buf_t tmp = BUF_INIT;
    buf_printf(&tmp, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(buf_cstr(&tmp), "wb");
    int rc = f && fwrite(data->data, 1, data->len, f) == data->len ? 0 : -1;
    if (f && fclose(f) != 0) rc = -1;
    if (rc == 0 && rename(buf_cstr(&tmp), path) != 0) rc = -1;
    if (rc != 0) {
        *err = pyb_printf("cannot write %s: %s", path, strerror(errno));
        unlink(buf_cstr(&tmp));
    }
    buf_free(&tmp);
    return rc;
}

static void pyb_cleanup(const char *dir) {
    static const char *const files[] = {"app.zip", "entry"};
    for (size_t i = 0; i < 2; i++) {
        char *p = pyb_printf("%s/%s", dir, files[i]);
        if (p) unlink(p);
        free(p);
    }
    rmdir(dir);
}

/* pyb_assemble: runtime + embedded files into `out`, checked by our reader. */
static int pyb_assemble(const char *pydir, const char *tmp, buf_t *out, char **err) {
    char *runtime = pyb_printf("%s/%s", pydir, "runtime.wasm");
    char *stdlib = pyb_printf("%s/%s", pydir, "stdlib.zip");
    char *app = pyb_printf("%s/%s", tmp, "app.zip");
    char *entry = pyb_printf("%s/%s", tmp, "entry");
    mapped_file_t rt = {0};
    int rc = -1;
    if (!runtime || !stdlib || !app || !entry) { *err = strdup("out of memory"); goto done; }
    if (mapped_file_open(runtime, &rt) != 0) {
        *err = pyb_printf("cannot read the Python runtime %s: %s (build it with `make python`)", runtime,
                          strerror(errno));
        goto done;
    }
    if (buf_append(out, rt.data, rt.size) != 0 || pyb_embed(out, "/wadup/python/stdlib.zip", stdlib, err) != 0 ||
        pyb_embed(out, "/wadup/python/app.zip", app, err) != 0 || pyb_embed(out, "/wadup/python/entry", entry, err) != 0)
        goto done;
    wmod_t m;
    char msg[512];
    if (wmod_parse(out->data, out->len, &m, msg, sizeof msg) != 0) {
        *err = pyb_printf("the assembled module is invalid: %s%s", msg, "");
        goto done;
    }
    wmod_free(&m);
    rc = 0;
done:
    mapped_file_close(&rt);
    free(runtime); free(stdlib); free(app); free(entry);
    return rc;
}

int pyb_build(const pyb_options_t *o, char **err) {
    *err = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *pydir = pyb_python_dir();
    if (!pydir) { *err = strdup("cannot locate the Python runtime directory (set WADUP_PYTHON_DIR)"); return -1; }
    char tmpl[] = "/tmp/wadup-pybuild-XXXXXX";
    if (!mkdtemp(tmpl)) { free(pydir); *err = strdup("cannot create a temporary directory"); return -1; }
    char *script = pyb_printf("%s/%s", pydir, "build_module.py");
    char *package = pyb_printf("%s/%s", pydir, "wadup");
    char *argv[] = {(char *)(o->python ? o->python : "python3"), script, (char *)o->project_dir, "--out-dir", tmpl,
                    "--wadup-package", package, NULL};
    buf_t summary = BUF_INIT, out = BUF_INIT;
    int rc = pyb_run_builder(argv, &summary);
    if (rc != 0) {
        *err = rc < 0 ? pyb_printf("cannot run %s: %s", argv[0], strerror(errno))
                      : pyb_printf("building %s failed (see the messages above)%s", o->project_dir, "");
        rc = -1;
    } else if ((rc = pyb_assemble(pydir, tmpl, &out, err)) == 0 && (rc = pyb_write_atomically(o->output, &out, err)) == 0) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (!o->quiet)
            fprintf(stderr, "wadup: built %s (%zu KiB) in %.2f s: %s", o->output, (out.len + 1023) / 1024,
                    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, buf_cstr(&summary));
    }
    buf_free(&summary);
    buf_free(&out);
    pyb_cleanup(tmpl);
    free(script);
    free(package);
    free(pydir);
    return rc;
}
