/* wasi_rights.c — conformance: descriptor rights (WASI preview1).
 *
 * A directory's fs_rights_base holds only directory rights, the file
 * rights go in fs_rights_inheriting (wasmtime's preopen set); path_open
 * works with the rights a directory reports, checks the directory's
 * rights (PATH_OPEN, PATH_CREATE_FILE for O_CREAT, PATH_FILESTAT_SET_SIZE
 * for O_TRUNC) and limits the new descriptor's rights to the directory's
 * inheriting rights and to what applies to the file type; every call
 * checks its descriptor's rights (ENOTCAPABLE); fd_fdstat_set_rights can
 * only drop rights. See conform.h for the output. */
#include "conform.h"

/* fdstat: fd's fdstat (zeroed on failure). */
static __wasi_fdstat_t fdstat(__wasi_fd_t fd) {
    __wasi_fdstat_t st;
    if (__wasi_fd_fdstat_get(fd, &st) != 0) memset(&st, 0, sizeof st);
    return st;
}

/* rust_rights: what Rust's std (sys/wasi/fs.rs OpenOptions::rights_base)
 * asks for when opening for reading only. */
static __wasi_rights_t rust_rights(void) {
    return __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_FD_ADVISE |
           __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS | __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES |
           __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_SYNC | __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_PATH_CREATE_DIRECTORY |
           __WASI_RIGHTS_PATH_CREATE_FILE | __WASI_RIGHTS_PATH_FILESTAT_GET | __WASI_RIGHTS_PATH_LINK_SOURCE |
           __WASI_RIGHTS_PATH_LINK_TARGET | __WASI_RIGHTS_PATH_OPEN | __WASI_RIGHTS_PATH_READLINK |
           __WASI_RIGHTS_PATH_REMOVE_DIRECTORY | __WASI_RIGHTS_PATH_RENAME_SOURCE | __WASI_RIGHTS_PATH_RENAME_TARGET |
           __WASI_RIGHTS_PATH_SYMLINK | __WASI_RIGHTS_PATH_UNLINK_FILE | __WASI_RIGHTS_POLL_FD_READWRITE;
}

/* The preopen (fd 3) as wasmtime reports it, and opening "." with it. */
static void preopen_rights(void) {
    SECTION("preopen");
    __wasi_fdstat_t st = fdstat(3);
    CHECK("is_directory", st.fs_filetype == __WASI_FILETYPE_DIRECTORY);
    CHECK("base_has_directory_rights", (st.fs_rights_base & DIR_RIGHTS) == DIR_RIGHTS);
    CHECK("base_has_no_file_rights",
          (st.fs_rights_base & (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK |
                                __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_SYNC |
                                __WASI_RIGHTS_FD_ADVISE | __WASI_RIGHTS_FD_ALLOCATE |
                                __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_POLL_FD_READWRITE)) == 0);
    CHECK("inheriting_has_all", (st.fs_rights_inheriting & (DIR_RIGHTS | FILE_RIGHTS)) == (DIR_RIGHTS | FILE_RIGHTS));
    CHECK_ERRNO("open_dot_same_rights", open_errno(3, 0, ".", 0, st.fs_rights_base, st.fs_rights_inheriting), 0);
    CHECK_ERRNO("open_dot_directory_same_rights",
                open_errno(3, 0, ".", __WASI_OFLAGS_DIRECTORY, st.fs_rights_base, st.fs_rights_inheriting), 0);
    CHECK_ERRNO("open_dot_no_rights", open_errno(3, 0, ".", 0, 0, 0), 0);
    CHECK_ERRNO("open_dot_directory_no_rights", open_errno(3, 0, ".", __WASI_OFLAGS_DIRECTORY, 0, 0), 0);
    CHECK_ERRNO("open_dot_directory_read", open_errno(3, 0, ".", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ, 0), 0);
    CHECK_ERRNO("open_dot_rust_std", open_errno(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, ".", __WASI_OFLAGS_DIRECTORY,
                                                rust_rights(), rust_rights()), 0);
    CHECK_ERRNO("open_dot_inheriting_as_base",
                open_errno(3, 0, ".", __WASI_OFLAGS_DIRECTORY, st.fs_rights_inheriting & ~__WASI_RIGHTS_FD_WRITE,
                           st.fs_rights_inheriting), 0);
    CHECK_ERRNO("open_dot_directory_write_isdir",
                open_errno(3, 0, ".", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0),
                __WASI_ERRNO_ISDIR);
    CHECK_ERRNO("open_dot_write_isdir", open_errno(3, 0, ".", 0, __WASI_RIGHTS_FD_WRITE, 0), __WASI_ERRNO_ISDIR);
    CHECK_ERRNO("directory_creat_inval", open_errno(3, 0, ".", __WASI_OFLAGS_DIRECTORY | __WASI_OFLAGS_CREAT, 0, 0),
                __WASI_ERRNO_INVAL);
    CHECK_ERRNO("directory_trunc_inval", open_errno(3, 0, ".", __WASI_OFLAGS_DIRECTORY | __WASI_OFLAGS_TRUNC, 0, 0),
                __WASI_ERRNO_INVAL);
    __wasi_fd_t d;
    CHECK_ERRNO("open_dot_all_but_write", open_at(3, 0, ".", __WASI_OFLAGS_DIRECTORY, DIR_OPEN(~0ull), ~0ull, &d), 0);
    st = fdstat(d);
    CHECK("opened_dir_base_directory_rights_only", st.fs_rights_base == DIR_RIGHTS);
    CHECK("opened_dir_inheriting", st.fs_rights_inheriting == (DIR_RIGHTS | FILE_RIGHTS));
    (void)__wasi_fd_close(d);
}

/* A file's rights: what was asked, within the file rights. */
static void file_rights(__wasi_fd_t dir) {
    SECTION("file");
    __wasi_fd_t fd;
    __wasi_rights_t asked = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_PATH_OPEN |
                            __WASI_RIGHTS_FD_READDIR;
    CHECK_ERRNO("create", open_at(dir, 0, "f", __WASI_OFLAGS_CREAT, asked, ~0ull, &fd), 0);
    __wasi_fdstat_t st = fdstat(fd);
    CHECK("filetype", st.fs_filetype == __WASI_FILETYPE_REGULAR_FILE);
    CHECK("base_is_asked_file_rights", st.fs_rights_base == (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE));
    CHECK("inherits_nothing", st.fs_rights_inheriting == 0);
    (void)__wasi_fd_close(fd);
    CHECK_ERRNO("open_all", open_at(dir, 0, "f", 0, ~0ull, ~0ull, &fd), 0);
    CHECK("all_file_rights", fdstat(fd).fs_rights_base == FILE_RIGHTS);
    (void)__wasi_fd_close(fd);
}

/* Each call on a file checks its right. */
static void operations_need_rights(__wasi_fd_t dir) {
    SECTION("ops");
    __wasi_fd_t fd;
    uint8_t byte = 'x';
    __wasi_ciovec_t out = {&byte, 1};
    __wasi_iovec_t in = {&byte, 1};
    __wasi_size_t n;
    __wasi_filesize_t pos;
    __wasi_filestat_t fst;
    CHECK_ERRNO("put", put_file(dir, "g", "0123456789"), 0);
    CHECK_ERRNO("open_nothing", open_at(dir, 0, "g", 0, 0, 0, &fd), 0);
    CHECK_ERRNO("read", __wasi_fd_read(fd, &in, 1, &n), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("write", __wasi_fd_write(fd, &out, 1, &n), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("pread", __wasi_fd_pread(fd, &in, 1, 0, &n), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("pwrite", __wasi_fd_pwrite(fd, &out, 1, 0, &n), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("seek", __wasi_fd_seek(fd, 1, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("tell", __wasi_fd_tell(fd, &pos), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("filestat_get", __wasi_fd_filestat_get(fd, &fst), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("filestat_set_size", __wasi_fd_filestat_set_size(fd, 1), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("filestat_set_times", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
                __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("fdstat_set_flags", __wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("sync", __wasi_fd_sync(fd), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("datasync", __wasi_fd_datasync(fd), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("advise", __wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_NORMAL), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("allocate", __wasi_fd_allocate(fd, 0, 20), __WASI_ERRNO_NOTCAPABLE);
    __wasi_subscription_t sub = {.userdata = 7, .u = {.tag = __WASI_EVENTTYPE_FD_READ}};
    sub.u.u.fd_read.file_descriptor = fd;
    __wasi_event_t ev;
    CHECK_ERRNO("poll", __wasi_poll_oneoff(&sub, &ev, 1, &n), 0);
    CHECK("poll_event_notcapable", n == 1 && ev.error == __WASI_ERRNO_NOTCAPABLE);
    (void)__wasi_fd_close(fd);

    /* with the rights, the same calls work */
    CHECK_ERRNO("open_all", open_at(dir, 0, "g", 0, FILE_RIGHTS, 0, &fd), 0);
    CHECK_ERRNO("read_ok", __wasi_fd_read(fd, &in, 1, &n), 0);
    CHECK_ERRNO("pread_ok", __wasi_fd_pread(fd, &in, 1, 0, &n), 0);
    CHECK_ERRNO("seek_ok", __wasi_fd_seek(fd, 1, __WASI_WHENCE_SET, &pos), 0);
    CHECK_ERRNO("sync_ok", __wasi_fd_sync(fd), 0);
    CHECK_ERRNO("allocate_ok", __wasi_fd_allocate(fd, 0, 20), 0);
    CHECK_ERRNO("filestat_get_ok", __wasi_fd_filestat_get(fd, &fst), 0);
    CHECK("allocate_grew", fst.size == 20);
    CHECK_ERRNO("poll_ok", __wasi_poll_oneoff(&sub, &ev, 1, &n), 0);
    (void)__wasi_fd_close(fd);

    /* FD_TELL alone: fd_tell and fd_seek(0, CUR) only (witx) */
    CHECK_ERRNO("open_tell", open_at(dir, 0, "g", 0, __WASI_RIGHTS_FD_TELL, 0, &fd), 0);
    CHECK_ERRNO("tell_with_tell", __wasi_fd_tell(fd, &pos), 0);
    CHECK_ERRNO("seek_cur0_with_tell", __wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &pos), 0);
    CHECK_ERRNO("seek_cur1_with_tell", __wasi_fd_seek(fd, 1, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("seek_end_with_tell", __wasi_fd_seek(fd, 0, __WASI_WHENCE_END, &pos), __WASI_ERRNO_NOTCAPABLE);
    (void)__wasi_fd_close(fd);
    /* FD_SEEK implies FD_TELL; pread needs FD_READ and FD_SEEK */
    CHECK_ERRNO("open_seek", open_at(dir, 0, "g", 0, __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_READ, 0, &fd), 0);
    CHECK_ERRNO("tell_with_seek", __wasi_fd_tell(fd, &pos), 0);
    CHECK_ERRNO("pread_with_seek", __wasi_fd_pread(fd, &in, 1, 3, &n), 0);
    CHECK("pread_byte", n == 1 && byte == '3');
    (void)__wasi_fd_close(fd);
    CHECK_ERRNO("open_read", open_at(dir, 0, "g", 0, __WASI_RIGHTS_FD_READ, 0, &fd), 0);
    CHECK_ERRNO("pread_without_seek", __wasi_fd_pread(fd, &in, 1, 0, &n), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("read_without_seek", __wasi_fd_read(fd, &in, 1, &n), 0);
    (void)__wasi_fd_close(fd);
}

/* fd_fdstat_set_rights only drops rights, and the drop holds. */
static void set_rights(__wasi_fd_t dir) {
    SECTION("set_rights");
    __wasi_fd_t fd;
    uint8_t byte = 'y';
    __wasi_ciovec_t out = {&byte, 1};
    __wasi_size_t n;
    CHECK_ERRNO("open", open_at(dir, 0, "g", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, &fd), 0);
    CHECK_ERRNO("write_before", __wasi_fd_write(fd, &out, 1, &n), 0);
    CHECK_ERRNO("drop_write", __wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ, 0), 0);
    CHECK("dropped", fdstat(fd).fs_rights_base == __WASI_RIGHTS_FD_READ);
    CHECK_ERRNO("write_after", __wasi_fd_write(fd, &out, 1, &n), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("add_back", __wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0),
                __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("add_inheriting", __wasi_fd_fdstat_set_rights(fd, __WASI_RIGHTS_FD_READ, __WASI_RIGHTS_FD_READ),
                __WASI_ERRNO_NOTCAPABLE);
    CHECK("unchanged", fdstat(fd).fs_rights_base == __WASI_RIGHTS_FD_READ);
    CHECK_ERRNO("bad_fd", __wasi_fd_fdstat_set_rights(BAD_FD - 1, 0, 0), __WASI_ERRNO_BADF);
    (void)__wasi_fd_close(fd);
    __wasi_fdstat_t st = fdstat(1);
    CHECK_ERRNO("stdout_add", __wasi_fd_fdstat_set_rights(1, st.fs_rights_base | __WASI_RIGHTS_FD_READ,
                                                          st.fs_rights_inheriting), __WASI_ERRNO_NOTCAPABLE);
    CHECK("stdout_writes", (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0);
}

/* restricted: a copy of dir's descriptor with `drop` removed from its
 * base and `drop_inheriting` from its inheriting rights. */
static __wasi_fd_t restricted(__wasi_fd_t dir, __wasi_rights_t drop, __wasi_rights_t drop_inheriting) {
    __wasi_fd_t d;
    if (open_at(dir, 0, ".", __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, DIR_ALL, &d)) return BAD_FD;
    __wasi_fdstat_t st = fdstat(d);
    if (__wasi_fd_fdstat_set_rights(d, st.fs_rights_base & ~drop, st.fs_rights_inheriting & ~drop_inheriting))
        return BAD_FD;
    return d;
}

/* path_* calls check the directory's rights. */
static void directory_rights(__wasi_fd_t dir) {
    SECTION("dir");
    CHECK_ERRNO("put", put_file(dir, "t", "data"), 0);
    CHECK_ERRNO("mkdir", __wasi_path_create_directory(dir, "sub"), 0);
    __wasi_fd_t d = restricted(dir, __WASI_RIGHTS_PATH_OPEN, 0);
    CHECK_ERRNO("open_needs_path_open", open_errno(d, 0, "t", 0, 0, 0), __WASI_ERRNO_NOTCAPABLE);
    (void)__wasi_fd_close(d);
    d = restricted(dir, __WASI_RIGHTS_PATH_CREATE_FILE, 0);
    CHECK_ERRNO("creat_needs_create_file", open_errno(d, 0, "new", __WASI_OFLAGS_CREAT, 0, 0), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("open_without_create_file", open_errno(d, 0, "t", 0, 0, 0), 0);
    (void)__wasi_fd_close(d);
    /* truncation: the directory's PATH_FILESTAT_SET_SIZE, not the file's
     * FD_FILESTAT_SET_SIZE (wasmtime's old truncation_rights test) */
    d = restricted(dir, 0, __WASI_RIGHTS_FD_FILESTAT_SET_SIZE);
    CHECK_ERRNO("trunc_with_no_rights", open_errno(d, 0, "t", __WASI_OFLAGS_TRUNC, 0, 0), 0);
    __wasi_filestat_t st;
    CHECK("truncated", stat_at(dir, 0, "t", &st) == 0 && st.size == 0);
    (void)__wasi_fd_close(d);
    d = restricted(dir, __WASI_RIGHTS_PATH_FILESTAT_SET_SIZE, 0);
    CHECK("dropped_set_size", (fdstat(d).fs_rights_base & __WASI_RIGHTS_PATH_FILESTAT_SET_SIZE) == 0);
    CHECK_ERRNO("trunc_needs_set_size", open_errno(d, 0, "t", __WASI_OFLAGS_TRUNC, 0, 0), __WASI_ERRNO_NOTCAPABLE);
    (void)__wasi_fd_close(d);
    d = restricted(dir, DIR_RIGHTS, 0);
    uint8_t buf[64];
    __wasi_size_t n;
    CHECK_ERRNO("mkdir_needs_right", __wasi_path_create_directory(d, "x"), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("rmdir_needs_right", __wasi_path_remove_directory(d, "sub"), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("unlink_needs_right", __wasi_path_unlink_file(d, "t"), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("stat_needs_right", stat_at(d, 0, "t", &st), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("set_times_needs_right", __wasi_path_filestat_set_times(d, 0, "t", 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
                __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("symlink_needs_right", __wasi_path_symlink("t", d, "l"), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("readlink_needs_right", __wasi_path_readlink(d, "t", buf, sizeof buf, &n), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("rename_needs_source", __wasi_path_rename(d, "t", dir, "t2"), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("rename_needs_target", __wasi_path_rename(dir, "t", d, "t2"), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("link_needs_source", __wasi_path_link(d, 0, "t", dir, "t2"), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("link_needs_target", __wasi_path_link(dir, 0, "t", d, "t2"), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("readdir_needs_right", __wasi_fd_readdir(d, buf, sizeof buf, 0, &n), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("fd_filestat_needs_right", __wasi_fd_filestat_get(d, &st), __WASI_ERRNO_NOTCAPABLE);
    CHECK_ERRNO("still_there", stat_at(dir, 0, "t", &st), 0);
    (void)__wasi_fd_close(d);
}

/* New descriptors get at most the directory's inheriting rights. */
static void inheriting_limits(__wasi_fd_t dir) {
    SECTION("inherit");
    __wasi_fd_t d = restricted(dir, 0, __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_PATH_CREATE_FILE), fd, sub;
    CHECK("restricted", d != BAD_FD);
    CHECK_ERRNO("open_rw", open_at(d, 0, "t", 0, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, &fd), 0);
    CHECK("no_write_inherited", fdstat(fd).fs_rights_base == __WASI_RIGHTS_FD_READ);
    uint8_t byte = 'z';
    __wasi_ciovec_t out = {&byte, 1};
    __wasi_size_t n;
    CHECK_ERRNO("write_refused", __wasi_fd_write(fd, &out, 1, &n), __WASI_ERRNO_NOTCAPABLE);
    (void)__wasi_fd_close(fd);
    CHECK_ERRNO("open_sub", open_at(d, 0, "sub", __WASI_OFLAGS_DIRECTORY, DIR_OPEN(~0ull), ~0ull, &sub), 0);
    __wasi_fdstat_t st = fdstat(sub);
    CHECK("sub_base_limited", (st.fs_rights_base & __WASI_RIGHTS_PATH_CREATE_FILE) == 0 &&
                                  (st.fs_rights_base & __WASI_RIGHTS_PATH_OPEN) != 0);
    CHECK("sub_inheriting_limited", (st.fs_rights_inheriting & (__WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_PATH_CREATE_FILE)) == 0);
    CHECK_ERRNO("sub_creat_refused", open_errno(sub, 0, "new", __WASI_OFLAGS_CREAT, 0, 0), __WASI_ERRNO_NOTCAPABLE);
    (void)__wasi_fd_close(sub);
    (void)__wasi_fd_close(d);
}

int main(int argc, char **argv) {
    preopen_rights();
    __wasi_fd_t dir = scratch(argc, argv, "rights");
    if (dir == BAD_FD) return conform_done();
    file_rights(dir);
    operations_need_rights(dir);
    set_rights(dir);
    directory_rights(dir);
    inheriting_limits(dir);
    return conform_done();
}
