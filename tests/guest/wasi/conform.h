/* conform.h — the small harness shared by wadup's WASI preview1
 * conformance programs (the .c files in tests/guest/wasi: WASI command modules that
 * tests/e2e/test_wasi_conformance.py runs through `wadup exec` and
 * `wadup test`).
 *
 * Each check prints "ok SECTION.NAME" or "FAIL SECTION.NAME (line N):
 * detail" on stdout; main returns the number of failures, so exit status 0
 * means every check passed. Checks call the raw __wasi_* functions to see
 * the exact errno; the expected values are wadup's (wasmtime's where
 * preview1 leaves a choice, noted at the check).
 *
 * The programs work in a scratch directory: argv[1] relative to the first
 * preopen (fd 3), "tmp" by default (wadup run/test's /tmp), and in a fresh
 * subdirectory of it named after the program. */
#ifndef WADUP_CONFORM_H
#define WADUP_CONFORM_H
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

static int conform_failures;
static const char *conform_section = "";

/* SECTION: the prefix of the following checks' names. */
#define SECTION(name) (conform_section = (name))
#define CHECK(name, cond) conform_report((name), __LINE__, (cond) != 0, #cond)
#define CHECK_ERRNO(name, expr, want) conform_errno((name), __LINE__, (expr), (want))

/* Rights that apply to files and to directories (wasmtime's preopen). */
#define FILE_RIGHTS                                                                                         \
    (__WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK |                            \
     __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS | __WASI_RIGHTS_FD_SYNC | __WASI_RIGHTS_FD_TELL |                    \
     __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_ADVISE | __WASI_RIGHTS_FD_ALLOCATE |                         \
     __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES | \
     __WASI_RIGHTS_POLL_FD_READWRITE)
#define DIR_RIGHTS                                                                                          \
    (__WASI_RIGHTS_PATH_CREATE_DIRECTORY | __WASI_RIGHTS_PATH_CREATE_FILE | __WASI_RIGHTS_PATH_LINK_SOURCE | \
     __WASI_RIGHTS_PATH_LINK_TARGET | __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_FD_READDIR |                  \
     __WASI_RIGHTS_PATH_READLINK | __WASI_RIGHTS_PATH_RENAME_SOURCE | __WASI_RIGHTS_PATH_RENAME_TARGET |    \
     __WASI_RIGHTS_PATH_FILESTAT_GET | __WASI_RIGHTS_PATH_FILESTAT_SET_SIZE |                              \
     __WASI_RIGHTS_PATH_FILESTAT_SET_TIMES | __WASI_RIGHTS_FD_FILESTAT_GET |                               \
     __WASI_RIGHTS_FD_FILESTAT_SET_TIMES | __WASI_RIGHTS_PATH_SYMLINK | __WASI_RIGHTS_PATH_REMOVE_DIRECTORY | \
     __WASI_RIGHTS_PATH_UNLINK_FILE)
#define BAD_FD ((__wasi_fd_t)-1)
/* DIR_OPEN: rights to ask for when opening a directory (no FD_WRITE:
 * EISDIR); DIR_ALL: every right a directory may pass on. */
#define DIR_OPEN(rights) ((rights) & ~(__wasi_rights_t)__WASI_RIGHTS_FD_WRITE)
#define DIR_ALL (DIR_RIGHTS | FILE_RIGHTS)

/* conform_report: one check's outcome. */
static inline void conform_report(const char *name, int line, int ok, const char *detail) {
    if (ok) {
        printf("ok %s.%s\n", conform_section, name);
        return;
    }
    conform_failures++;
    printf("FAIL %s.%s (line %d): %s\n", conform_section, name, line, detail);
}

/* conform_errno: a check that a call returned errno want. */
static inline void conform_errno(const char *name, int line, __wasi_errno_t got, __wasi_errno_t want) {
    char detail[64];
    snprintf(detail, sizeof detail, "errno %u, expected %u", (unsigned)got, (unsigned)want);
    conform_report(name, line, got == want, detail);
}

/* open_at: path_open returning the errno; *fd is BAD_FD on failure. */
static inline __wasi_errno_t open_at(__wasi_fd_t dir, __wasi_lookupflags_t lookup, const char *path,
                              __wasi_oflags_t oflags, __wasi_rights_t base, __wasi_rights_t inheriting,
                              __wasi_fd_t *fd) {
    *fd = BAD_FD;
    __wasi_errno_t e = __wasi_path_open(dir, lookup, path, oflags, base, inheriting, 0, fd);
    if (e) *fd = BAD_FD;
    return e;
}

/* open_errno: the errno of path_open (closing what it opened). */
static inline __wasi_errno_t open_errno(__wasi_fd_t dir, __wasi_lookupflags_t lookup, const char *path,
                                 __wasi_oflags_t oflags, __wasi_rights_t base, __wasi_rights_t inheriting) {
    __wasi_fd_t fd;
    __wasi_errno_t e = open_at(dir, lookup, path, oflags, base, inheriting, &fd);
    if (!e) (void)__wasi_fd_close(fd);
    return e;
}

/* put_file: create (or truncate) dir/name holding text; 0 or an errno. */
static inline __wasi_errno_t put_file(__wasi_fd_t dir, const char *name, const char *text) {
    __wasi_fd_t fd;
    __wasi_errno_t e = open_at(dir, 0, name, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC,
                               __WASI_RIGHTS_FD_WRITE, 0, &fd);
    if (e) return e;
    __wasi_ciovec_t iov = {(const uint8_t *)text, strlen(text)};
    __wasi_size_t n = 0;
    e = __wasi_fd_write(fd, &iov, 1, &n);
    (void)__wasi_fd_close(fd);
    return e;
}

/* read_all: up to cap - 1 bytes of fd from offset 0, NUL-terminated. */
static inline __wasi_errno_t read_all(__wasi_fd_t fd, char *buf, size_t cap) {
    __wasi_iovec_t iov = {(uint8_t *)buf, cap - 1};
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_fd_pread(fd, &iov, 1, 0, &n);
    buf[e ? 0 : n] = 0;
    return e;
}

/* file_is: dir/path (links followed) holds exactly text. */
static inline int file_is(__wasi_fd_t dir, const char *path, const char *text) {
    __wasi_fd_t fd;
    char buf[256];
    if (open_at(dir, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK,
                0, &fd))
        return 0;
    __wasi_errno_t e = read_all(fd, buf, sizeof buf);
    (void)__wasi_fd_close(fd);
    return !e && strcmp(buf, text) == 0;
}

/* stat_at: path_filestat_get's errno, *st zeroed on failure. */
static inline __wasi_errno_t stat_at(__wasi_fd_t dir, __wasi_lookupflags_t lookup, const char *path, __wasi_filestat_t *st) {
    memset(st, 0, sizeof *st);
    return __wasi_path_filestat_get(dir, lookup, path, st);
}

/* scratch: a fresh directory `name` inside the scratch directory (argv[1]
 * relative to fd 3, default "tmp"), opened with every right fd 3 passes
 * on; BAD_FD (and a FAIL) if that is impossible. */
static inline __wasi_fd_t scratch(int argc, char **argv, const char *name) {
    const char *base = argc > 1 ? argv[1] : "tmp";
    __wasi_fdstat_t st;
    __wasi_fd_t top, fd = BAD_FD;
    SECTION("setup");
    /* a directory's own rights, and everything it may pass on */
    if (__wasi_fd_fdstat_get(3, &st) != 0 ||
        open_at(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, base, __WASI_OFLAGS_DIRECTORY, st.fs_rights_inheriting & DIR_RIGHTS,
                st.fs_rights_inheriting, &top) != 0) {
        CHECK("open_scratch", 0);
        return BAD_FD;
    }
    __wasi_errno_t e = __wasi_path_create_directory(top, name);
    if (e == 0 || e == __WASI_ERRNO_EXIST)
        e = open_at(top, 0, name, __WASI_OFLAGS_DIRECTORY, st.fs_rights_inheriting & DIR_RIGHTS, st.fs_rights_inheriting,
                    &fd);
    (void)__wasi_fd_close(top);
    CHECK_ERRNO("open_scratch", e, 0);
    return fd;
}

/* conform_done: the summary line and main's return value. */
static inline int conform_done(void) {
    printf("done %d failures\n", conform_failures);
    return conform_failures > 100 ? 100 : conform_failures;
}

#endif
