/* wasi_layout.c — conformance: wadup's own sandbox layout for `wadup run`
 * and `wadup test` (run only there): fd 3 is the read-only root "/" with
 * directory rights, /data.bin the read-only content, /tmp writable.
 *
 * /data.bin opens with write rights as in the original WADUP (SQLite
 * opens its database O_RDWR|O_CREAT), but every change fails with EROFS;
 * the root refuses new entries (EROFS) and hard links from the read-only
 * content (EXDEV); paths and links never climb out of an opened /tmp; the
 * environment is exactly WADUP_FILENAME, WADUP_CONTENT_UUID, WADUP_DEPTH.
 * See conform.h for the output. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conform.h"

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

/* errno_of: errno after a libc call that should fail (0 if it did not). */
static int errno_of(int rc) { return rc < 0 ? errno : 0; }

/* The content through libc, as a C or SQLite module opens it. */
static void data_bin_libc(void) {
    SECTION("data_libc");
    struct stat st;
    CHECK("stat", stat("/data.bin", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 8);
    int fd = open("/data.bin", O_RDWR | O_CREAT, 0644);
    CHECK("open_rdwr_creat", fd >= 0);
    char buf[16] = {0};
    CHECK("read", pread(fd, buf, sizeof buf, 0) == 8 && memcmp(buf, "SAMPLE!\n", 8) == 0);
    CHECK("write_erofs", errno_of((int)write(fd, "x", 1)) == EROFS);
    CHECK("pwrite_erofs", errno_of((int)pwrite(fd, "x", 1, 0)) == EROFS);
    CHECK("ftruncate_erofs", errno_of(ftruncate(fd, 0)) == EROFS);
    CHECK("unchanged", pread(fd, buf, sizeof buf, 0) == 8 && memcmp(buf, "SAMPLE!\n", 8) == 0);
    close(fd);
    fd = open("/data.bin", O_WRONLY);
    CHECK("open_wronly", fd >= 0);
    CHECK("wronly_write_erofs", errno_of((int)write(fd, "x", 1)) == EROFS);
    close(fd);
    CHECK("trunc_erofs", errno_of(open("/data.bin", O_WRONLY | O_TRUNC)) == EROFS);
    CHECK("excl_eexist", errno_of(open("/data.bin", O_RDWR | O_CREAT | O_EXCL, 0644)) == EEXIST);
    CHECK("unlink_erofs", errno_of(unlink("/data.bin")) == EROFS);
    CHECK("rename_erofs", errno_of(rename("/data.bin", "/tmp/x")) == EROFS);
}

/* The content through raw calls. */
static void data_bin_raw(void) {
    SECTION("data_raw");
    __wasi_fd_t fd;
    CHECK_ERRNO("open_all_file_rights", open_at(3, 0, "data.bin", 0, FILE_RIGHTS, 0, &fd), 0);
    uint8_t byte = 'x';
    __wasi_ciovec_t out = {&byte, 1};
    __wasi_size_t n;
    CHECK_ERRNO("write", __wasi_fd_write(fd, &out, 1, &n), __WASI_ERRNO_ROFS);
    CHECK_ERRNO("set_size", __wasi_fd_filestat_set_size(fd, 1), __WASI_ERRNO_ROFS);
    CHECK_ERRNO("allocate", __wasi_fd_allocate(fd, 0, 100), __WASI_ERRNO_ROFS);
    CHECK_ERRNO("set_times", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), __WASI_ERRNO_ROFS);
    CHECK_ERRNO("path_set_times", __wasi_path_filestat_set_times(3, 0, "data.bin", 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
                __WASI_ERRNO_ROFS);
    CHECK_ERRNO("read_ok", __wasi_fd_read(fd, &(__wasi_iovec_t){&byte, 1}, 1, &n), 0);
    CHECK("first_byte", n == 1 && byte == 'S');
    (void)__wasi_fd_close(fd);
    CHECK_ERRNO("trunc", open_errno(3, 0, "data.bin", __WASI_OFLAGS_TRUNC, 0, 0), __WASI_ERRNO_ROFS);
    CHECK_ERRNO("link_exdev", __wasi_path_link(3, 0, "data.bin", 3, "tmp/data-link"), __WASI_ERRNO_XDEV);
}

/* The read-only root. */
static void root(void) {
    SECTION("root");
    __wasi_fdstat_t st;
    CHECK("preopen_rights", __wasi_fd_fdstat_get(3, &st) == 0 && st.fs_rights_base == DIR_RIGHTS &&
                                st.fs_rights_inheriting == (DIR_RIGHTS | FILE_RIGHTS));
    CHECK_ERRNO("creat", open_errno(3, 0, "new", __WASI_OFLAGS_CREAT, 0, 0), __WASI_ERRNO_ROFS);
    CHECK_ERRNO("mkdir", __wasi_path_create_directory(3, "d"), __WASI_ERRNO_ROFS);
    CHECK_ERRNO("mkdir_existing", __wasi_path_create_directory(3, "tmp"), __WASI_ERRNO_EXIST);
    CHECK_ERRNO("symlink", __wasi_path_symlink("data.bin", 3, "l"), __WASI_ERRNO_ROFS);
    CHECK_ERRNO("put_tmp", put_file(3, "tmp/f", "f"), 0);
    CHECK_ERRNO("link_into_root", __wasi_path_link(3, 0, "tmp/f", 3, "f"), __WASI_ERRNO_ROFS);
    CHECK_ERRNO("rmdir_tmp", __wasi_path_remove_directory(3, "tmp"), __WASI_ERRNO_ROFS);
    CHECK_ERRNO("escape", open_errno(3, 0, "../data.bin", 0, 0, 0), __WASI_ERRNO_PERM);
    CHECK("libc_root_dotdot_is_eperm", errno_of(open("/../data.bin", O_RDONLY)) == EPERM);
}

/* Paths from an opened /tmp stay in /tmp; links are followed within the
 * descriptor's directory only. */
static void tmp_containment(void) {
    SECTION("tmp");
    __wasi_fd_t tmp;
    CHECK_ERRNO("open_tmp", open_at(3, 0, "tmp", __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, DIR_ALL, &tmp), 0);
    CHECK_ERRNO("dotdot_data", open_errno(tmp, 0, "../data.bin", 0, 0, 0), __WASI_ERRNO_PERM);
    CHECK_ERRNO("symlink_up", __wasi_path_symlink("../data.bin", tmp, "up"), 0);
    CHECK("from_root_fd", file_is(3, "tmp/up", "SAMPLE!\n"));
    CHECK_ERRNO("from_tmp_fd", open_errno(tmp, FOLLOW, "up", 0, 0, 0), __WASI_ERRNO_PERM);
    int fd = open("/tmp/up", O_RDONLY);
    char buf[16] = {0};
    CHECK("libc_follows_within_root", fd >= 0 && read(fd, buf, sizeof buf) == 8 && memcmp(buf, "SAMPLE", 6) == 0);
    if (fd >= 0) close(fd);
    char target[32] = {0};
    CHECK("libc_readlink", readlink("/tmp/up", target, sizeof target - 1) == 11 && strcmp(target, "../data.bin") == 0);
    CHECK("libc_symlink_absolute_eperm", errno_of(symlink("/data.bin", "/tmp/abs")) == EPERM);
    struct stat st;
    CHECK("libc_lstat", lstat("/tmp/up", &st) == 0 && S_ISLNK(st.st_mode));
    CHECK("libc_link", link("/tmp/f", "/tmp/f2") == 0 && stat("/tmp/f2", &st) == 0 && st.st_nlink == 2);
    (void)__wasi_fd_close(tmp);
}

/* The environment, read raw (libc caches it). */
static void environment(void) {
    SECTION("env");
    __wasi_size_t count = 0, size = 0;
    CHECK_ERRNO("sizes", __wasi_environ_sizes_get(&count, &size), 0);
    CHECK("three", count == 3);
    if (count != 3 || size > 4096) return;
    char *buf = malloc(size);
    char *ptrs[3];
    CHECK_ERRNO("get", __wasi_environ_get((uint8_t **)ptrs, (uint8_t *)buf), 0);
    const char *want[3] = {"WADUP_FILENAME=", "WADUP_CONTENT_UUID=", "WADUP_DEPTH=0"};
    for (int i = 0; i < 3; i++) CHECK(want[i], strncmp(ptrs[i], want[i], strlen(want[i])) == 0);
    free(buf);
}

int main(void) {
    data_bin_libc();
    data_bin_raw();
    root();
    tmp_containment();
    environment();
    return conform_done();
}
