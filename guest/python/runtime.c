/* runtime.c — the shared CPython runtime of wadup's Python modules.
 *
 * A WASI reactor exporting `int process(void)`, linked with CPython 3.11
 * (libpython3.11.a and its static extension modules) by
 * scripts/build-python.sh into build/python/runtime.wasm. A Python module is
 * that file plus embedded files (custom sections `wadup.file:<path>`):
 *
 *   /wadup/python/stdlib.zip  the standard library, .pyc only
 *   /wadup/python/app.zip     the module's package, its dependencies and the
 *                             `wadup` helper package, .pyc only
 *   /wadup/python/entry       the entry module's name (e.g. "my_module")
 *
 * First call: CPython is initialised (isolated, UTF-8 mode, no site, no
 * bytecode writing, sys.path = [app.zip, stdlib.zip], no signal handlers),
 * the optional `wadup` package is imported and its hooks looked up.
 * Every call, for the current content:
 *   1. WADUP_FILENAME, WADUP_CONTENT_UUID and WADUP_DEPTH are read with the
 *      raw WASI calls (libc caches environ) and copied into os.environ;
 *   2. wadup._begin_content(filename, uuid, depth) if the package has it
 *      (str or None, str or None, int or None);
 *   3. the entry module is imported if it is not yet (its top-level code
 *      runs once per instance; a failed import is retried next call), and
 *      its main() is called without arguments (the result is ignored);
 *   4. wadup._end_content() if main() succeeded (it flushes pending rows);
 *   5. sys.stdout and sys.stderr are flushed.
 * process() returns 0 on success. An exception prints its traceback to
 * stderr and returns 1; SystemExit(None or 0) is a success, another
 * SystemExit prints "SystemExit: <code>" and returns the code when it is
 * an int in 1..255, else 1. The glue never exits the process.
 *
 * SQLite: libsqlite3.a is built with SQLITE_OS_OTHER (no VFS; see
 * scripts/build-guest-libs.sh), so this file also provides one for the
 * sqlite3 module: POSIX I/O over wasi-libc, no locking (one thread in one
 * instance). Compiled with -DWADUP_PY_SQLITE_VFS_ONLY, only the VFS is
 * built (linked into the plain python.wasm of the build).
 */
#ifndef WADUP_PY_SQLITE_VFS_ONLY
#define PY_SSIZE_T_CLEAN
#include <Python.h> /* first, as CPython requires */
#include <wasi/api.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#ifndef WADUP_PY_SQLITE_VFS_ONLY

/* ====================================================================
 * The glue
 * ==================================================================== */

#define PY_HOME L"/wadup/python"
#define APP_ZIP L"/wadup/python/app.zip"
#define STDLIB_ZIP L"/wadup/python/stdlib.zip"
#define STDLIB_ZIP_PATH "/wadup/python/stdlib.zip"
#define ENTRY_PATH "/wadup/python/entry"
#define ENTRY_MAX 4096 /* bytes of the entry file */

static int py_broken;          /* initialisation failed: this instance is unusable */
static int py_ready;           /* CPython initialised, hooks looked up */
static char *entry_name;       /* the entry module's name */
static PyObject *os_environ;   /* os.environ */
static PyObject *hook_begin;   /* wadup._begin_content, or NULL */
static PyObject *hook_end;     /* wadup._end_content, or NULL */
static PyObject *entry_main;   /* the entry module's main, once imported */
static int entry_has_no_main;  /* imported, but without a callable main */

static const char *const content_vars[3] = {"WADUP_FILENAME", "WADUP_CONTENT_UUID", "WADUP_DEPTH"};

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* read_entry: the entry module name from ENTRY_PATH, whitespace trimmed.
 * Returns a malloc'ed string, or NULL after printing why. */
static char *read_entry(void) {
    FILE *f = fopen(ENTRY_PATH, "rb");
    if (!f) {
        fprintf(stderr, "wadup python runtime: cannot open %s (%s): the module must embed the entry "
                        "module's name as custom section 'wadup.file:%s'\n",
                ENTRY_PATH, strerror(errno), ENTRY_PATH);
        return NULL;
    }
    char *buf = malloc(ENTRY_MAX + 1);
    if (!buf) {
        fclose(f);
        fprintf(stderr, "wadup python runtime: out of memory\n");
        return NULL;
    }
    size_t n = fread(buf, 1, ENTRY_MAX + 1, f);
    int bad = ferror(f) || n > ENTRY_MAX;
    fclose(f);
    size_t start = 0;
    while (start < n && is_space(buf[start])) start++;
    while (n > start && is_space(buf[n - 1])) n--;
    if (bad || n == start || memchr(buf + start, '\0', n - start)) {
        free(buf);
        fprintf(stderr, "wadup python runtime: %s must hold a module name (non-empty, at most %d bytes)\n",
                ENTRY_PATH, ENTRY_MAX);
        return NULL;
    }
    memmove(buf, buf + start, n - start);
    buf[n - start] = '\0';
    return buf;
}

/* init_python: CPython, isolated from the host's environment. */
static int init_python(void) {
    PyStatus status;
    PyPreConfig pre;
    PyConfig config;
    char *argv[1] = {entry_name};

    PyPreConfig_InitIsolatedConfig(&pre);
    pre.utf8_mode = 1;
    status = Py_PreInitialize(&pre);
    if (PyStatus_Exception(status)) goto failed_pre;

    PyConfig_InitIsolatedConfig(&config);
    config.site_import = 0;
    config.write_bytecode = 0;
    config.install_signal_handlers = 0;
    config.buffered_stdio = 1; /* flushed at the end of every call */
    config.use_frozen_modules = 1;
    config.pathconfig_warnings = 0;
    config.parse_argv = 0;
    /* Every path getpath would compute, so it looks nowhere. */
#define SET(field, value)                                          \
    do {                                                           \
        status = PyConfig_SetString(&config, &config.field, value); \
        if (PyStatus_Exception(status)) goto failed;               \
    } while (0)
    SET(program_name, L"python3");
    SET(home, PY_HOME);
    SET(prefix, PY_HOME);
    SET(base_prefix, PY_HOME);
    SET(exec_prefix, PY_HOME);
    SET(base_exec_prefix, PY_HOME);
    SET(executable, PY_HOME L"/python3");
    SET(base_executable, PY_HOME L"/python3");
    SET(stdlib_dir, STDLIB_ZIP);
#undef SET
    status = PyConfig_SetBytesArgv(&config, 1, argv); /* sys.argv = [entry] */
    if (PyStatus_Exception(status)) goto failed;
    config.module_search_paths_set = 1;
    status = PyWideStringList_Append(&config.module_search_paths, APP_ZIP);
    if (PyStatus_Exception(status)) goto failed;
    status = PyWideStringList_Append(&config.module_search_paths, STDLIB_ZIP);
    if (PyStatus_Exception(status)) goto failed;

    status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) goto failed_pre;
    return 0;

failed:
    PyConfig_Clear(&config);
failed_pre:
    if (PyStatus_IsExit(status)) {
        fprintf(stderr, "wadup python runtime: initialisation exited with code %d\n", status.exitcode);
    } else {
        fprintf(stderr, "wadup python runtime: initialisation failed: %s%s%s\n", status.func ? status.func : "",
                status.func ? ": " : "", status.err_msg ? status.err_msg : "unknown error");
    }
    return -1;
}

/* write_stderr: str(obj) or text to sys.stderr (C stderr if unusable). */
static void write_stderr(const char *text, PyObject *obj) {
    PyObject *err = PySys_GetObject("stderr"); /* borrowed */
    if (err && err != Py_None && PyFile_WriteString(text, err) == 0 &&
        (!obj || PyFile_WriteObject(obj, err, Py_PRINT_RAW) == 0) && PyFile_WriteString("\n", err) == 0) {
        return;
    }
    PyErr_Clear();
    fprintf(stderr, "%s<unprintable>\n", text);
}

/* exception_status: consumes the pending exception. SystemExit(None or 0)
 * gives 0 silently; another SystemExit prints "SystemExit: <code>" and
 * gives the code if it is in 1..255, else 1; any other exception prints
 * its traceback (sys.excepthook is not used) and gives 1. */
static int exception_status(void) {
    PyObject *type, *value, *tb, *code = NULL;
    int rc = 1;
    if (!PyErr_Occurred()) return 1;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (!PyErr_GivenExceptionMatches(type, PyExc_SystemExit)) {
        /* Not PyErr_Print: it would exit on a SystemExit raised by
         * sys.excepthook, and it keeps sys.last_* references. */
        if (tb && value) PyException_SetTraceback(value, tb);
        PyErr_Display(type, value, tb);
        goto out;
    }
    if (value) code = PyObject_GetAttrString(value, "code");
    if (!code) PyErr_Clear();
    if (!code || code == Py_None) {
        rc = 0;
    } else if (PyLong_Check(code)) {
        int overflow = 0;
        long v = PyLong_AsLongAndOverflow(code, &overflow);
        if (v == -1 && PyErr_Occurred()) PyErr_Clear();
        rc = overflow ? 1 : v == 0 ? 0 : (v >= 1 && v <= 255) ? (int)v : 1;
    }
    if (rc != 0) write_stderr("SystemExit: ", code);
out:
    Py_XDECREF(code);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return rc;
}

/* load_hooks: wadup._begin_content/_end_content if the wadup package is
 * present. Its absence is fine; a failing import is an error. */
static int load_hooks(void) {
    PyObject *mod = PyImport_ImportModule("wadup");
    if (!mod) {
        PyObject *type, *value, *tb, *name = NULL;
        int absent = 0;
        if (!PyErr_ExceptionMatches(PyExc_ModuleNotFoundError)) {
            exception_status();
            return -1;
        }
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        if (value) name = PyObject_GetAttrString(value, "name");
        if (name && PyUnicode_Check(name)) absent = PyUnicode_CompareWithASCIIString(name, "wadup") == 0;
        Py_XDECREF(name);
        if (absent) {
            Py_XDECREF(type);
            Py_XDECREF(value);
            Py_XDECREF(tb);
            PyErr_Clear();
            return 0;
        }
        PyErr_Restore(type, value, tb); /* a module wadup imports is missing */
        exception_status();
        return -1;
    }
    hook_begin = PyObject_GetAttrString(mod, "_begin_content");
    if (!hook_begin) PyErr_Clear();
    hook_end = PyObject_GetAttrString(mod, "_end_content");
    if (!hook_end) PyErr_Clear();
    Py_DECREF(mod);
    return 0;
}

/* start: first-call work. 0, or a process() status. */
static int start(void) {
    struct stat st;
    if (!entry_name && !(entry_name = read_entry())) return 1;
    if (stat(STDLIB_ZIP_PATH, &st) != 0) {
        fprintf(stderr, "wadup python runtime: %s missing: the module must embed the standard library as "
                        "custom section 'wadup.file:%s'\n", STDLIB_ZIP_PATH, STDLIB_ZIP_PATH);
        return 1;
    }
    if (!Py_IsInitialized() && init_python() != 0) {
        py_broken = 1;
        return 1;
    }
    if (!os_environ) {
        PyObject *os = PyImport_ImportModule("os");
        if (os) {
            os_environ = PyObject_GetAttrString(os, "environ");
            Py_DECREF(os);
        }
        if (!os_environ) {
            exception_status();
            return 1;
        }
    }
    if (load_hooks() != 0) return 1;
    py_ready = 1;
    return 0;
}

/* content_env: the per-content variables, read fresh from the host into
 * vals[] (malloc'ed copies or NULL). -1 when the WASI calls fail. */
static int content_env(char *vals[3]) {
    __wasi_size_t count = 0, size = 0;
    if (__wasi_environ_sizes_get(&count, &size) != 0) return -1;
    if (count >= 1u << 24 || size >= 1u << 30) return -1;
    uint8_t **ptrs = calloc((size_t)count + 1, sizeof *ptrs);
    uint8_t *buf = malloc((size_t)size + 1);
    int rc = -1;
    if (ptrs && buf && __wasi_environ_get(ptrs, buf) == 0) {
        buf[size] = '\0';
        rc = 0;
        for (__wasi_size_t i = 0; i < count && rc == 0; i++) {
            const char *kv = (const char *)ptrs[i];
            if (!kv || kv < (char *)buf || kv >= (char *)buf + size) continue;
            for (int v = 0; v < 3; v++) {
                size_t len = strlen(content_vars[v]);
                if (!vals[v] && strncmp(kv, content_vars[v], len) == 0 && kv[len] == '=') {
                    if (!(vals[v] = strdup(kv + len + 1))) rc = -1;
                }
            }
        }
    }
    free(ptrs);
    free(buf);
    return rc;
}

/* refresh_env: os.environ gets the current content's variables (or loses
 * them); args becomes (filename, uuid, depth) for _begin_content. */
static int refresh_env(PyObject **args) {
    char *vals[3] = {NULL, NULL, NULL};
    int rc = -1;
    *args = NULL;
    if (content_env(vals) != 0) {
        PyErr_SetString(PyExc_OSError, "wadup python runtime: cannot read the environment (environ_get)");
        goto out;
    }
    for (int v = 0; v < 3; v++) {
        PyObject *key = PyUnicode_DecodeFSDefault(content_vars[v]);
        int err = !key;
        if (!err && vals[v]) {
            PyObject *s = PyUnicode_DecodeFSDefault(vals[v]);
            err = !s || PyObject_SetItem(os_environ, key, s) != 0;
            Py_XDECREF(s);
        } else if (!err && PyObject_DelItem(os_environ, key) != 0) {
            if (PyErr_ExceptionMatches(PyExc_KeyError)) PyErr_Clear();
            else err = 1;
        }
        Py_XDECREF(key);
        if (err) goto out;
    }
    PyObject *filename = vals[0] ? PyUnicode_DecodeFSDefault(vals[0]) : Py_NewRef(Py_None);
    PyObject *uuid = vals[1] ? PyUnicode_DecodeFSDefault(vals[1]) : Py_NewRef(Py_None);
    PyObject *depth = NULL;
    if (vals[2]) {
        char *end;
        errno = 0;
        long d = strtol(vals[2], &end, 10);
        if (end != vals[2] && *end == '\0' && errno == 0) depth = PyLong_FromLong(d);
        else depth = Py_NewRef(Py_None);
    } else {
        depth = Py_NewRef(Py_None);
    }
    if (filename && uuid && depth) {
        *args = PyTuple_Pack(3, filename, uuid, depth);
        rc = *args ? 0 : -1;
    }
    Py_XDECREF(filename);
    Py_XDECREF(uuid);
    Py_XDECREF(depth);
out:
    for (int v = 0; v < 3; v++) free(vals[v]);
    return rc;
}

/* import_entry: the entry module's main, imported on first success. */
static int import_entry(void) {
    PyObject *mod = PyImport_ImportModule(entry_name);
    if (!mod) {
        if (exception_status() == 0) { /* SystemExit(0) during import */
            PySys_FormatStderr("wadup python runtime: entry module '%s' exited while being imported\n",
                               entry_name);
        }
        return 1;
    }
    entry_main = PyObject_GetAttrString(mod, "main");
    Py_DECREF(mod);
    if (!entry_main || !PyCallable_Check(entry_main)) {
        PyErr_Clear();
        Py_CLEAR(entry_main);
        entry_has_no_main = 1;
    }
    return 0;
}

/* run_content: steps 1-4 for the current content. */
static int run_content(void) {
    PyObject *args = NULL, *res;
    int rc = 0;
    if (refresh_env(&args) != 0) {
        exception_status();
        return 1;
    }
    if (hook_begin) {
        res = PyObject_Call(hook_begin, args, NULL);
        if (!res && (rc = exception_status()) != 0) goto out;
        Py_XDECREF(res);
    }
    if (!entry_main && !entry_has_no_main && (rc = import_entry()) != 0) goto out;
    if (entry_has_no_main) {
        PySys_FormatStderr("wadup python runtime: entry module '%s' has no callable main()\n", entry_name);
        rc = 1;
        goto out;
    }
    res = PyObject_CallNoArgs(entry_main);
    if (!res && (rc = exception_status()) != 0) goto out;
    Py_XDECREF(res);
    if (hook_end) {
        res = PyObject_CallNoArgs(hook_end);
        if (!res) rc = exception_status();
        Py_XDECREF(res);
    }
out:
    Py_XDECREF(args);
    return rc;
}

/* flush_stdio: Python's buffered streams, then C's. */
static void flush_stdio(void) {
    static const char *const names[2] = {"stdout", "stderr"};
    for (int i = 0; i < 2; i++) {
        PyObject *f = PySys_GetObject(names[i]); /* borrowed */
        if (f && f != Py_None) {
            PyObject *r = PyObject_CallMethod(f, "flush", NULL);
            if (!r) PyErr_Clear();
            Py_XDECREF(r);
        }
    }
    fflush(stdout);
    fflush(stderr);
}

__attribute__((export_name("process"))) int process(void) {
    int rc;
    if (py_broken) {
        fprintf(stderr, "wadup python runtime: CPython failed to initialise earlier in this instance\n");
        return 1;
    }
    if (!py_ready && (rc = start()) != 0) {
        if (Py_IsInitialized()) flush_stdio();
        return rc;
    }
    rc = run_content();
    flush_stdio();
    return rc;
}

#endif /* !WADUP_PY_SQLITE_VFS_ONLY */

/* ====================================================================
 * SQLite VFS "wadup": POSIX files through wasi-libc
 * ==================================================================== */

typedef struct {
    sqlite3_file base;
    int fd;
    char *delete_path; /* SQLITE_OPEN_DELETEONCLOSE: unlinked by xClose */
} vfs_file;

static int vfs_close(sqlite3_file *f) {
    vfs_file *p = (vfs_file *)f;
    if (p->fd >= 0) close(p->fd);
    p->fd = -1;
    if (p->delete_path) unlink(p->delete_path);
    free(p->delete_path);
    p->delete_path = NULL;
    return SQLITE_OK;
}

/* vfs_read: a short read zero-fills the rest, as SQLite requires. */
static int vfs_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off) {
    vfs_file *p = (vfs_file *)f;
    unsigned char *out = buf;
    size_t want = amt > 0 ? (size_t)amt : 0, got = 0;
    if (off < 0) return SQLITE_IOERR_READ;
    while (got < want) {
        ssize_t n = pread(p->fd, out + got, want - got, (off_t)(off + (sqlite3_int64)got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return SQLITE_IOERR_READ;
        if (n == 0) break;
        got += (size_t)n;
    }
    if (got == want) return SQLITE_OK;
    memset(out + got, 0, want - got);
    return SQLITE_IOERR_SHORT_READ;
}

static int vfs_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off) {
    vfs_file *p = (vfs_file *)f;
    const unsigned char *in = buf;
    size_t want = amt > 0 ? (size_t)amt : 0, done = 0;
    if (off < 0) return SQLITE_IOERR_WRITE;
    while (done < want) {
        ssize_t n = pwrite(p->fd, in + done, want - done, (off_t)(off + (sqlite3_int64)done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return errno == ENOSPC ? SQLITE_FULL : SQLITE_IOERR_WRITE;
        done += (size_t)n;
    }
    return SQLITE_OK;
}

static int vfs_truncate(sqlite3_file *f, sqlite3_int64 size) {
    if (size < 0 || ftruncate(((vfs_file *)f)->fd, (off_t)size) != 0) return SQLITE_IOERR_TRUNCATE;
    return SQLITE_OK;
}

/* vfs_sync: wadup's filesystem is in memory; there is nothing to sync. */
static int vfs_sync(sqlite3_file *f, int flags) {
    (void)f, (void)flags;
    return SQLITE_OK;
}

static int vfs_file_size(sqlite3_file *f, sqlite3_int64 *size) {
    struct stat st;
    if (fstat(((vfs_file *)f)->fd, &st) != 0) return SQLITE_IOERR_FSTAT;
    *size = (sqlite3_int64)st.st_size;
    return SQLITE_OK;
}

/* Locks: an instance is one thread and nothing else sees its files. */
static int vfs_lock(sqlite3_file *f, int level) {
    (void)f, (void)level;
    return SQLITE_OK;
}

static int vfs_check_reserved(sqlite3_file *f, int *out) {
    (void)f;
    *out = 0;
    return SQLITE_OK;
}

static int vfs_file_control(sqlite3_file *f, int op, void *arg) {
    (void)f, (void)op, (void)arg;
    return SQLITE_NOTFOUND;
}

static int vfs_sector_size(sqlite3_file *f) {
    (void)f;
    return 4096;
}

static int vfs_device_characteristics(sqlite3_file *f) {
    (void)f;
    return 0;
}

static const sqlite3_io_methods vfs_io_methods = {
    1, vfs_close, vfs_read, vfs_write, vfs_truncate, vfs_sync, vfs_file_size, vfs_lock, vfs_lock,
    vfs_check_reserved, vfs_file_control, vfs_sector_size, vfs_device_characteristics,
    NULL, NULL, NULL, NULL, NULL, NULL,
};

static int vfs_randomness(sqlite3_vfs *vfs, int n, char *out);

/* vfs_open: a read-write open of a read-only file (/data.bin, embedded
 * files) falls back to read-only, like SQLite's unix VFS. A temporary
 * file without a name gets a random one in /tmp. */
static int vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags) {
    vfs_file *p = (vfs_file *)f;
    int oflags;
    p->base.pMethods = NULL; /* SQLite must not call xClose after a failed open */
    p->fd = -1;
    p->delete_path = NULL;
    if (!name) {
        static const char hex[] = "0123456789abcdef";
        unsigned char rnd[8];
        char *tmp = malloc(sizeof "/tmp/.sqlite-" + 2 * sizeof rnd);
        if (!tmp) return SQLITE_NOMEM;
        vfs_randomness(vfs, (int)sizeof rnd, (char *)rnd);
        memcpy(tmp, "/tmp/.sqlite-", sizeof "/tmp/.sqlite-" - 1);
        for (size_t i = 0; i < sizeof rnd; i++) {
            tmp[sizeof "/tmp/.sqlite-" - 1 + 2 * i] = hex[rnd[i] >> 4];
            tmp[sizeof "/tmp/.sqlite-" + 2 * i] = hex[rnd[i] & 15];
        }
        tmp[sizeof "/tmp/.sqlite-" - 1 + 2 * sizeof rnd] = '\0';
        p->delete_path = tmp;
        name = tmp;
        flags |= SQLITE_OPEN_CREATE | SQLITE_OPEN_EXCLUSIVE | SQLITE_OPEN_DELETEONCLOSE;
    } else if (flags & SQLITE_OPEN_DELETEONCLOSE) {
        if (!(p->delete_path = strdup(name))) return SQLITE_NOMEM;
    }
    oflags = (flags & SQLITE_OPEN_READWRITE) ? O_RDWR : O_RDONLY;
    if (flags & SQLITE_OPEN_CREATE) oflags |= O_CREAT;
    if (flags & SQLITE_OPEN_EXCLUSIVE) oflags |= O_EXCL;
    p->fd = open(name, oflags, 0644);
    if (p->fd < 0 && (flags & SQLITE_OPEN_READWRITE) && !(flags & SQLITE_OPEN_EXCLUSIVE) &&
        (errno == EROFS || errno == EACCES || errno == EPERM || errno == ENOTCAPABLE)) {
        flags = (flags & ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_READONLY;
        p->fd = open(name, O_RDONLY);
    }
    if (p->fd < 0) {
        free(p->delete_path);
        p->delete_path = NULL;
        return SQLITE_CANTOPEN;
    }
    p->base.pMethods = &vfs_io_methods;
    if (out_flags) *out_flags = flags;
    return SQLITE_OK;
}

static int vfs_delete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
    (void)vfs, (void)sync_dir;
    if (unlink(name) == 0) return SQLITE_OK;
    return errno == ENOENT ? SQLITE_IOERR_DELETE_NOENT : SQLITE_IOERR_DELETE;
}

static int vfs_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
    struct stat st;
    (void)vfs;
    if (flags == SQLITE_ACCESS_EXISTS) {
        *out = stat(name, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size > 0);
    } else {
        *out = access(name, flags == SQLITE_ACCESS_READWRITE ? R_OK | W_OK : R_OK) == 0;
    }
    return SQLITE_OK;
}

/* vfs_full_pathname: absolute names as given; relative ones under the
 * current directory. */
static int vfs_full_pathname(sqlite3_vfs *vfs, const char *name, int n_out, char *out) {
    size_t len = strlen(name), cwd_len = 0;
    (void)vfs;
    if (n_out <= 0) return SQLITE_CANTOPEN;
    if (name[0] != '/') {
        if (!getcwd(out, (size_t)n_out)) return SQLITE_CANTOPEN;
        cwd_len = strlen(out);
        if (cwd_len == 0 || out[cwd_len - 1] != '/') {
            if (cwd_len + 1 >= (size_t)n_out) return SQLITE_CANTOPEN;
            out[cwd_len++] = '/';
        }
    }
    if (cwd_len + len >= (size_t)n_out) return SQLITE_CANTOPEN;
    memcpy(out + cwd_len, name, len + 1);
    return SQLITE_OK;
}

/* vfs_randomness: WASI random_get (getentropy takes at most 256 bytes). */
static int vfs_randomness(sqlite3_vfs *vfs, int n, char *out) {
    int done = 0;
    (void)vfs;
    while (done < n) {
        int chunk = n - done < 256 ? n - done : 256;
        if (getentropy(out + done, (size_t)chunk) != 0) {
            memset(out + done, 0, (size_t)(n - done));
            break;
        }
        done += chunk;
    }
    return n;
}

static int vfs_sleep(sqlite3_vfs *vfs, int microseconds) {
    struct timespec ts;
    (void)vfs;
    if (microseconds < 0) microseconds = 0;
    ts.tv_sec = microseconds / 1000000;
    ts.tv_nsec = (long)(microseconds % 1000000) * 1000;
    nanosleep(&ts, NULL);
    return microseconds;
}

/* vfs_current_time_int64: milliseconds since the Julian epoch. */
static int vfs_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out) {
    static const sqlite3_int64 unix_epoch_ms = (sqlite3_int64)24405875 * 8640000;
    struct timespec ts;
    (void)vfs;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return SQLITE_ERROR;
    *out = unix_epoch_ms + (sqlite3_int64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return SQLITE_OK;
}

static int vfs_current_time(sqlite3_vfs *vfs, double *out) {
    sqlite3_int64 ms = 0;
    int rc = vfs_current_time_int64(vfs, &ms);
    *out = (double)ms / 86400000.0;
    return rc;
}

static int vfs_get_last_error(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs, (void)n, (void)out;
    return 0;
}

static sqlite3_vfs wadup_vfs = {
    2, (int)sizeof(vfs_file), 512, NULL, "wadup", NULL,
    vfs_open, vfs_delete, vfs_access, vfs_full_pathname,
    NULL, NULL, NULL, NULL, /* no loadable extensions */
    vfs_randomness, vfs_sleep, vfs_current_time, vfs_get_last_error, vfs_current_time_int64,
    NULL, NULL, NULL,
};

/* Called by sqlite3_initialize() when SQLite is built with SQLITE_OS_OTHER. */
int sqlite3_os_init(void) { return sqlite3_vfs_register(&wadup_vfs, 1); }
int sqlite3_os_end(void) { return SQLITE_OK; }

/* The library is built with SQLITE_OMIT_SHARED_CACHE, but CPython's
 * deprecated sqlite3.enable_shared_cache() calls this: it fails cleanly
 * (OperationalError). Weak, so a library that has it wins. */
__attribute__((weak)) int sqlite3_enable_shared_cache(int enable) {
    (void)enable;
    return SQLITE_MISUSE;
}
