/* wasi_paths.c — conformance: path resolution and descriptor rules
 * (WASI preview1).
 *
 * Paths given to path_* calls never leave the directory descriptor they
 * are resolved from: absolute paths and ".." above it are EPERM (wasmtime,
 * whose cap-std reports escape attempts as ERRNO_PERM), while ".." inside
 * it works; trailing slashes on non-directories are ENOTDIR (ENOENT for a
 * name to create), as wasmtime's interesting_paths and *_trailing_slashes
 * tests; fd_tell/fd_seek on a directory are EBADF, on stdio ESPIPE;
 * fd_renumber works with stdio; fd_filestat_set_times and
 * path_filestat_set_times refuse a time together with "now" (EINVAL).
 * See conform.h for the output. */
#include "conform.h"

__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open"))) extern int32_t
raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len, int32_t oflags, int64_t base,
              int64_t inheriting, int32_t fdflags, int32_t fd_out);

/* raw_open: path_open on len bytes of path (NULs included). */
static __wasi_errno_t raw_open(__wasi_fd_t dir, const char *path, size_t len) {
    __wasi_fd_t fd = BAD_FD;
    __wasi_errno_t e = (__wasi_errno_t)raw_path_open((int32_t)dir, 0, (int32_t)(uintptr_t)path, (int32_t)len, 0, 0, 0,
                                                     0, (int32_t)(uintptr_t)&fd);
    if (!e) (void)__wasi_fd_close(fd);
    return e;
}

/* Absolute paths and ".." above the descriptor's directory. */
static void containment(__wasi_fd_t dir) {
    SECTION("contain");
    __wasi_filestat_t st;
    __wasi_fd_t sub;
    CHECK_ERRNO("mkdir", __wasi_path_create_directory(dir, "dir"), 0);
    CHECK_ERRNO("mkdir_nested", __wasi_path_create_directory(dir, "dir/nested"), 0);
    CHECK_ERRNO("put", put_file(dir, "dir/nested/file", "n"), 0);
    CHECK_ERRNO("put_top", put_file(dir, "top", "t"), 0);
    CHECK_ERRNO("absolute_open", open_errno(dir, 0, "/dir/nested/file", 0, 0, 0), __WASI_ERRNO_PERM);
    CHECK_ERRNO("absolute_open_preopen", open_errno(3, 0, "/", 0, 0, 0), __WASI_ERRNO_PERM);
    CHECK_ERRNO("absolute_stat", stat_at(dir, 0, "/top", &st), __WASI_ERRNO_PERM);
    CHECK_ERRNO("absolute_mkdir", __wasi_path_create_directory(dir, "/newdir"), __WASI_ERRNO_PERM);
    CHECK_ERRNO("absolute_unlink", __wasi_path_unlink_file(dir, "/top"), __WASI_ERRNO_PERM);
    CHECK_ERRNO("absolute_rename", __wasi_path_rename(dir, "top", dir, "/top2"), __WASI_ERRNO_PERM);
    CHECK_ERRNO("dotdot_inside", open_errno(dir, 0, "dir/.//nested/../../dir/nested/../nested///./file", 0, 0, 0), 0);
    CHECK_ERRNO("dotdot_to_self", open_errno(dir, 0, "dir/..", __WASI_OFLAGS_DIRECTORY, 0, 0), 0);
    CHECK_ERRNO("dotdot_above", open_errno(dir, 0, "..", 0, 0, 0), __WASI_ERRNO_PERM);
    CHECK_ERRNO("dotdot_above_deep", open_errno(dir, 0, "dir/nested/../../../rights", 0, 0, 0), __WASI_ERRNO_PERM);
    CHECK_ERRNO("dotdot_above_preopen", open_errno(3, 0, "..", 0, 0, 0), __WASI_ERRNO_PERM);
    CHECK_ERRNO("dotdot_above_preopen_sub", open_errno(3, 0, "x/../..", 0, 0, 0), __WASI_ERRNO_NOENT);
    CHECK_ERRNO("open_sub", open_at(dir, 0, "dir", __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, DIR_ALL, &sub), 0);
    /* "../top" exists in the tree, but above sub's directory */
    CHECK_ERRNO("sub_dotdot_file", open_errno(sub, 0, "../top", 0, 0, 0), __WASI_ERRNO_PERM);
    CHECK_ERRNO("sub_dotdot_stat", stat_at(sub, 0, "..", &st), __WASI_ERRNO_PERM);
    CHECK_ERRNO("sub_dotdot_create", open_errno(sub, 0, "../new", __WASI_OFLAGS_CREAT, 0, 0), __WASI_ERRNO_PERM);
    CHECK_ERRNO("sub_dotdot_mkdir", __wasi_path_create_directory(sub, "nested/../../x"), __WASI_ERRNO_PERM);
    CHECK_ERRNO("sub_dotdot_unlink", __wasi_path_unlink_file(sub, "../top"), __WASI_ERRNO_PERM);
    CHECK_ERRNO("sub_dotdot_rename_from", __wasi_path_rename(sub, "../top", sub, "t"), __WASI_ERRNO_PERM);
    CHECK_ERRNO("sub_dotdot_rename_to", __wasi_path_rename(sub, "nested/file", sub, "../file"), __WASI_ERRNO_PERM);
    CHECK_ERRNO("sub_dotdot_link", __wasi_path_link(sub, 0, "../top", sub, "t"), __WASI_ERRNO_PERM);
    CHECK_ERRNO("sub_inside", open_errno(sub, 0, "nested/../nested/file", 0, 0, 0), 0);
    CHECK_ERRNO("top_still_there", stat_at(dir, 0, "top", &st), 0);
    (void)__wasi_fd_close(sub);
    /* the ".." of an opened directory's own listing is its real parent, but
     * cannot be used to climb */
    CHECK_ERRNO("empty_path", open_errno(dir, 0, "", 0, 0, 0), __WASI_ERRNO_NOENT);
    CHECK_ERRNO("trailing_nul", raw_open(dir, "dir/nested/file\0", 16), __WASI_ERRNO_INVAL);
    CHECK_ERRNO("inner_nul", raw_open(dir, "dir\0/nested", 11), __WASI_ERRNO_INVAL);
}

/* Trailing slashes (wasmtime's interesting_paths, *_trailing_slashes). */
static void trailing_slashes(__wasi_fd_t dir) {
    SECTION("slash");
    __wasi_filestat_t st;
    CHECK_ERRNO("file_slash", open_errno(dir, 0, "dir/nested/file/", 0, 0, 0), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("file_slashes", open_errno(dir, 0, "dir/nested/file///", 0, 0, 0), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("file_slash_dot", open_errno(dir, 0, "dir/nested/file/.", 0, 0, 0), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("dir_slash", open_errno(dir, 0, "dir/nested/", 0, 0, 0), 0);
    CHECK_ERRNO("dir_slashes", open_errno(dir, 0, "dir/nested///", 0, 0, 0), 0);
    CHECK_ERRNO("stat_file_slash", stat_at(dir, 0, "top/", &st), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("stat_dir_slash", stat_at(dir, 0, "dir/", &st), 0);
    CHECK_ERRNO("creat_slash", open_errno(dir, 0, "newfile/", __WASI_OFLAGS_CREAT, 0, 0), __WASI_ERRNO_NOENT);
    CHECK_ERRNO("creat_slash_made_nothing", stat_at(dir, 0, "newfile", &st), __WASI_ERRNO_NOENT);
    CHECK_ERRNO("missing_slash", open_errno(dir, 0, "missing/", 0, 0, 0), __WASI_ERRNO_NOENT);
    CHECK_ERRNO("mkdir_slash", __wasi_path_create_directory(dir, "made/"), 0);
    CHECK_ERRNO("mkdir_exists", __wasi_path_create_directory(dir, "made"), __WASI_ERRNO_EXIST);
    CHECK_ERRNO("mkdir_dot", __wasi_path_create_directory(dir, "."), __WASI_ERRNO_EXIST);
    CHECK_ERRNO("unlink_dir", __wasi_path_unlink_file(dir, "made"), __WASI_ERRNO_ISDIR);
    CHECK_ERRNO("unlink_dir_slash", __wasi_path_unlink_file(dir, "made/"), __WASI_ERRNO_ISDIR);
    CHECK_ERRNO("unlink_file_slash", __wasi_path_unlink_file(dir, "top/"), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("rmdir_file", __wasi_path_remove_directory(dir, "top"), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("rmdir_file_slash", __wasi_path_remove_directory(dir, "top/"), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("rmdir_dot", __wasi_path_remove_directory(dir, "made/."), __WASI_ERRNO_INVAL);
    CHECK_ERRNO("rmdir_dir_slash", __wasi_path_remove_directory(dir, "made/"), 0);
    CHECK_ERRNO("rename_to_slash", __wasi_path_rename(dir, "top", dir, "moved/"), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("rename_from_slash", __wasi_path_rename(dir, "top/", dir, "moved"), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("rename_both_slash", __wasi_path_rename(dir, "top/", dir, "moved/"), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("rename_dir_slashes", __wasi_path_rename(dir, "dir/", dir, "dir2/"), 0);
    CHECK_ERRNO("rename_dir_back", __wasi_path_rename(dir, "dir2", dir, "dir"), 0);
    CHECK_ERRNO("top_unmoved", stat_at(dir, 0, "top", &st), 0);
}

/* Which descriptors path_* accept, fd_seek / fd_tell on directories and
 * stdio. */
static void descriptors(__wasi_fd_t dir) {
    SECTION("fd");
    __wasi_fd_t file;
    __wasi_filesize_t pos;
    __wasi_filestat_t st;
    CHECK_ERRNO("open_file", open_at(dir, 0, "top", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK, 0, &file), 0);
    CHECK_ERRNO("path_on_file", open_errno(file, 0, "x", 0, 0, 0), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("stat_on_file", stat_at(file, 0, "x", &st), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("path_on_stdout", open_errno(1, 0, "x", 0, 0, 0), __WASI_ERRNO_BADF);
    CHECK_ERRNO("path_on_bad", open_errno(BAD_FD - 1, 0, "x", 0, 0, 0), __WASI_ERRNO_BADF);
    CHECK_ERRNO("tell_dir", __wasi_fd_tell(dir, &pos), __WASI_ERRNO_BADF);
    CHECK_ERRNO("tell_preopen", __wasi_fd_tell(3, &pos), __WASI_ERRNO_BADF);
    CHECK_ERRNO("seek_dir", __wasi_fd_seek(dir, 0, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_BADF);
    CHECK_ERRNO("seek_dir_cur", __wasi_fd_seek(dir, 0, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_BADF);
    CHECK_ERRNO("tell_stdout", __wasi_fd_tell(1, &pos), __WASI_ERRNO_SPIPE);
    CHECK_ERRNO("seek_stdout", __wasi_fd_seek(1, 0, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_SPIPE);
    CHECK_ERRNO("tell_file", __wasi_fd_tell(file, &pos), 0);
    CHECK_ERRNO("read_dir", __wasi_fd_read(dir, NULL, 0, NULL), __WASI_ERRNO_ISDIR);
    (void)__wasi_fd_close(file);
}

/* fd_renumber, stdio included (wasmtime allows any two open
 * descriptors). */
static void renumber(__wasi_fd_t dir) {
    SECTION("renumber");
    __wasi_fd_t a, b;
    char buf[64];
    CHECK_ERRNO("put_a", put_file(dir, "ra", "file a"), 0);
    CHECK_ERRNO("open_a", open_at(dir, 0, "ra", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK, 0, &a), 0);
    CHECK_ERRNO("open_b", open_at(dir, 0, "ra", 0, FILE_RIGHTS, 0, &b), 0);
    CHECK_ERRNO("files", __wasi_fd_renumber(a, b), 0);
    CHECK_ERRNO("from_closed", __wasi_fd_close(a), __WASI_ERRNO_BADF);
    CHECK_ERRNO("to_is_from", read_all(b, buf, sizeof buf), 0);
    __wasi_fdstat_t st;
    CHECK("to_has_from_rights", __wasi_fd_fdstat_get(b, &st) == 0 &&
                                    st.fs_rights_base == (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK));
    CHECK_ERRNO("bad_from", __wasi_fd_renumber(BAD_FD - 1, b), __WASI_ERRNO_BADF);
    CHECK_ERRNO("bad_to", __wasi_fd_renumber(b, BAD_FD - 1), __WASI_ERRNO_BADF);
    CHECK_ERRNO("self", __wasi_fd_renumber(b, b), 0);
    /* stdout moved onto b: writes through b reach stdout. Nothing is
     * printed while fd 1 is free; a file opened meanwhile takes fd 1 (the
     * lowest free number), and renumbering onto it puts stdout back. */
    fflush(stdout);
    __wasi_errno_t moved = __wasi_fd_renumber(1, b);
    const char *line = "ok renumber.written_through_moved_stdout\n";
    __wasi_ciovec_t iov = {(const uint8_t *)line, strlen(line)};
    __wasi_size_t n = 0;
    __wasi_errno_t wrote = __wasi_fd_write(b, &iov, 1, &n);
    __wasi_errno_t gone = __wasi_fd_fdstat_get(1, &st);
    __wasi_errno_t spare = open_at(dir, 0, "ra", 0, 0, 0, &a);
    __wasi_errno_t back = __wasi_fd_renumber(b, a);
    CHECK_ERRNO("stdout_from", moved, 0);
    CHECK_ERRNO("write_moved", wrote, 0);
    CHECK_ERRNO("stdout_gone", gone, __WASI_ERRNO_BADF);
    CHECK_ERRNO("open_spare", spare, 0);
    CHECK("spare_took_1", a == 1);
    CHECK_ERRNO("stdout_back", back, 0);
    CHECK_ERRNO("stdout_fdstat", __wasi_fd_fdstat_get(1, &st), 0);
    CHECK("stdout_writable", (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0);
    /* a file onto stderr (2), then stderr's writes go to the file */
    CHECK_ERRNO("open_err", open_at(dir, 0, "errfile", __WASI_OFLAGS_CREAT, FILE_RIGHTS, 0, &a), 0);
    CHECK_ERRNO("file_onto_stderr", __wasi_fd_renumber(a, 2), 0);
    iov = (__wasi_ciovec_t){(const uint8_t *)"to file", 7};
    CHECK_ERRNO("write_2", __wasi_fd_write(2, &iov, 1, &n), 0);
    CHECK("stderr_is_file", file_is(dir, "errfile", "to file"));
    CHECK_ERRNO("close_2", __wasi_fd_close(2), 0);
    CHECK_ERRNO("closed_2", __wasi_fd_write(2, &iov, 1, &n), __WASI_ERRNO_BADF);
}

/* The set_times flags: a time and "now" together are EINVAL. */
static void set_times_flags(__wasi_fd_t dir) {
    SECTION("times");
    __wasi_fd_t fd;
    __wasi_filestat_t st;
    CHECK_ERRNO("open", open_at(dir, 0, "top", 0, FILE_RIGHTS, 0, &fd), 0);
    CHECK_ERRNO("fd_atim_both", __wasi_fd_filestat_set_times(fd, 1, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
                __WASI_ERRNO_INVAL);
    CHECK_ERRNO("fd_mtim_both", __wasi_fd_filestat_set_times(fd, 0, 1, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
                __WASI_ERRNO_INVAL);
    CHECK_ERRNO("fd_unknown_flag", __wasi_fd_filestat_set_times(fd, 0, 0, 0x10), __WASI_ERRNO_INVAL);
    CHECK_ERRNO("fd_set", __wasi_fd_filestat_set_times(fd, 1000, 2000, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM), 0);
    CHECK("fd_set_applied", __wasi_fd_filestat_get(fd, &st) == 0 && st.atim == 1000 && st.mtim == 2000);
    CHECK_ERRNO("fd_mtim_only", __wasi_fd_filestat_set_times(fd, 5, 3000, __WASI_FSTFLAGS_MTIM), 0);
    CHECK("fd_atim_kept", __wasi_fd_filestat_get(fd, &st) == 0 && st.atim == 1000 && st.mtim == 3000);
    CHECK_ERRNO("path_atim_both",
                __wasi_path_filestat_set_times(dir, 0, "top", 1, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW),
                __WASI_ERRNO_INVAL);
    CHECK_ERRNO("path_mtim_both",
                __wasi_path_filestat_set_times(dir, 0, "top", 0, 1, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
                __WASI_ERRNO_INVAL);
    CHECK_ERRNO("path_both_bad_fd", __wasi_path_filestat_set_times(BAD_FD - 1, 0, "top", 0, 1,
                                                                   __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW),
                __WASI_ERRNO_INVAL); /* flags first, as wasmtime */
    CHECK_ERRNO("path_now", __wasi_path_filestat_set_times(dir, 0, "top", 0, 0, __WASI_FSTFLAGS_MTIM_NOW), 0);
    CHECK("path_now_applied", __wasi_fd_filestat_get(fd, &st) == 0 && st.mtim > 3000);
    CHECK_ERRNO("stdout_set_times", __wasi_fd_filestat_set_times(1, 0, 0, 0), __WASI_ERRNO_BADF);
    (void)__wasi_fd_close(fd);
}

int main(int argc, char **argv) {
    __wasi_fd_t dir = scratch(argc, argv, "paths");
    if (dir == BAD_FD) return conform_done();
    containment(dir);
    trailing_slashes(dir);
    descriptors(dir);
    set_times_flags(dir);
    renumber(dir);
    return conform_done();
}
