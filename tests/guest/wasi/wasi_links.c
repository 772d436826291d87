/* wasi_links.c — conformance: symbolic and hard links (WASI preview1).
 *
 * path_symlink / path_readlink / path_link as wasmtime's readlink,
 * path_link, dangling_symlink, nofollow_errors, symlink_loop,
 * path_symlink_trailing_slashes and symlink_filestat tests expect;
 * LOOKUPFLAGS_SYMLINK_FOLLOW only decides the last component (links in
 * the middle are always followed); at most 40 links per resolution
 * (ELOOP, as Linux and cap-std); link targets never escape the directory
 * the resolution started from (EPERM), and absolute targets are refused
 * when the link is made (EPERM, cap-std). See conform.h for the output. */
#include "conform.h"

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

/* readlink_into: path_readlink into buf (cap bytes, pre-zeroed by the
 * caller); *used gets the count. */
static __wasi_errno_t readlink_into(__wasi_fd_t dir, const char *path, char *buf, size_t cap, __wasi_size_t *used) {
    *used = 0;
    return __wasi_path_readlink(dir, path, (uint8_t *)buf, cap, used);
}

static void readlink_tests(__wasi_fd_t dir) {
    SECTION("readlink");
    char buf[10] = {0};
    __wasi_size_t used;
    CHECK_ERRNO("put_target", put_file(dir, "target", "T"), 0);
    CHECK_ERRNO("symlink", __wasi_path_symlink("target", dir, "symlink"), 0);
    CHECK_ERRNO("read", readlink_into(dir, "symlink", buf, sizeof buf, &used), 0);
    CHECK("six_bytes", used == 6 && memcmp(buf, "target", 6) == 0);
    CHECK("rest_untouched", memcmp(buf + 6, "\0\0\0\0", 4) == 0);
    char small[4];
    CHECK_ERRNO("read_small", readlink_into(dir, "symlink", small, sizeof small, &used), 0);
    CHECK("truncated_silently", used == 4 && memcmp(small, "targ", 4) == 0);
    CHECK_ERRNO("read_file", readlink_into(dir, "target", buf, sizeof buf, &used), __WASI_ERRNO_INVAL);
    CHECK_ERRNO("read_dir", readlink_into(dir, ".", buf, sizeof buf, &used), __WASI_ERRNO_INVAL);
    CHECK_ERRNO("read_missing", readlink_into(dir, "missing", buf, sizeof buf, &used), __WASI_ERRNO_NOENT);
    CHECK("follows_to_target", file_is(dir, "symlink", "T"));
    CHECK_ERRNO("absolute_target", __wasi_path_symlink("/etc/passwd", dir, "abs"), __WASI_ERRNO_PERM);
    CHECK_ERRNO("empty_target", __wasi_path_symlink("", dir, "empty"), __WASI_ERRNO_NOENT);
    __wasi_filestat_t st;
    CHECK_ERRNO("abs_not_made", stat_at(dir, 0, "abs", &st), __WASI_ERRNO_NOENT);
}

/* A dangling link, nofollow errors, loops. */
static void dangling_and_loops(__wasi_fd_t dir) {
    SECTION("dangling");
    __wasi_filestat_t st;
    CHECK_ERRNO("make", __wasi_path_symlink("nowhere", dir, "dangling"), 0);
    CHECK_ERRNO("open_nofollow", open_errno(dir, 0, "dangling", 0, 0, 0), __WASI_ERRNO_LOOP);
    CHECK_ERRNO("open_dir_nofollow", open_errno(dir, 0, "dangling", __WASI_OFLAGS_DIRECTORY, 0, 0), __WASI_ERRNO_LOOP);
    CHECK_ERRNO("open_follow", open_errno(dir, FOLLOW, "dangling", 0, 0, 0), __WASI_ERRNO_NOENT);
    CHECK_ERRNO("stat_nofollow", stat_at(dir, 0, "dangling", &st), 0);
    CHECK("stat_is_link", st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK && st.size == 7 && st.nlink == 1);
    CHECK_ERRNO("stat_follow", stat_at(dir, FOLLOW, "dangling", &st), __WASI_ERRNO_NOENT);
    CHECK_ERRNO("excl_on_link", open_errno(dir, FOLLOW, "dangling", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, 0, 0),
                __WASI_ERRNO_EXIST);
    CHECK_ERRNO("creat_nofollow", open_errno(dir, 0, "dangling", __WASI_OFLAGS_CREAT, 0, 0), __WASI_ERRNO_LOOP);
    CHECK_ERRNO("creat_follow_makes_target", open_errno(dir, FOLLOW, "dangling", __WASI_OFLAGS_CREAT, 0, 0), 0);
    CHECK_ERRNO("target_made", stat_at(dir, 0, "nowhere", &st), 0);
    CHECK("target_is_file", st.filetype == __WASI_FILETYPE_REGULAR_FILE);
    CHECK_ERRNO("unlink_link", __wasi_path_unlink_file(dir, "dangling"), 0);
    CHECK_ERRNO("target_kept", stat_at(dir, 0, "nowhere", &st), 0);

    SECTION("loop");
    CHECK_ERRNO("self", __wasi_path_symlink("self", dir, "self"), 0);
    CHECK_ERRNO("open_self", open_errno(dir, 0, "self", 0, 0, 0), __WASI_ERRNO_LOOP);
    CHECK_ERRNO("open_self_follow", open_errno(dir, FOLLOW, "self", 0, 0, 0), __WASI_ERRNO_LOOP);
    CHECK_ERRNO("stat_self_follow", stat_at(dir, FOLLOW, "self", &st), __WASI_ERRNO_LOOP);
    CHECK_ERRNO("through_self", open_errno(dir, 0, "self/x", 0, 0, 0), __WASI_ERRNO_LOOP);
    CHECK_ERRNO("a_to_b", __wasi_path_symlink("loop_b", dir, "loop_a"), 0);
    CHECK_ERRNO("b_to_a", __wasi_path_symlink("./loop_a", dir, "loop_b"), 0);
    CHECK_ERRNO("open_cycle", open_errno(dir, FOLLOW, "loop_a", 0, 0, 0), __WASI_ERRNO_LOOP);
    CHECK_ERRNO("unlink_self", __wasi_path_unlink_file(dir, "self"), 0);
    /* a chain of 40 links resolves, 41 is ELOOP */
    char name[16], next[16];
    CHECK_ERRNO("chain_end", put_file(dir, "c0", "end"), 0);
    for (int i = 1; i <= 41; i++) {
        snprintf(name, sizeof name, "c%d", i);
        snprintf(next, sizeof next, "c%d", i - 1);
        if (__wasi_path_symlink(next, dir, name) != 0) CHECK("chain_link", 0);
    }
    CHECK("chain_40", file_is(dir, "c40", "end"));
    CHECK_ERRNO("chain_41", open_errno(dir, FOLLOW, "c41", 0, 0, 0), __WASI_ERRNO_LOOP);
    CHECK_ERRNO("chain_41_nofollow_stat", stat_at(dir, 0, "c41", &st), 0);
    CHECK_ERRNO("chain_40_middle", open_errno(dir, 0, "c40/x", 0, 0, 0), __WASI_ERRNO_NOTDIR);
}

/* wasmtime's nofollow_errors: a link to a directory, then to a file. */
static void nofollow(__wasi_fd_t dir) {
    SECTION("nofollow");
    __wasi_fd_t fd;
    CHECK_ERRNO("mkdir", __wasi_path_create_directory(dir, "ndir"), 0);
    CHECK_ERRNO("symlink", __wasi_path_symlink("ndir", dir, "nlink"), 0);
    CHECK_ERRNO("dir_nofollow", open_errno(dir, 0, "nlink", __WASI_OFLAGS_DIRECTORY, 0, 0), __WASI_ERRNO_LOOP);
    CHECK_ERRNO("plain_nofollow", open_errno(dir, 0, "nlink", 0, 0, 0), __WASI_ERRNO_LOOP);
    CHECK_ERRNO("dir_follow", open_at(dir, FOLLOW, "nlink", __WASI_OFLAGS_DIRECTORY, 0, 0, &fd), 0);
    __wasi_fdstat_t fst;
    CHECK("followed_is_dir", __wasi_fd_fdstat_get(fd, &fst) == 0 && fst.fs_filetype == __WASI_FILETYPE_DIRECTORY);
    (void)__wasi_fd_close(fd);
    CHECK_ERRNO("trailing_slash_follows", open_errno(dir, 0, "nlink/", __WASI_OFLAGS_DIRECTORY, 0, 0), 0);
    CHECK_ERRNO("middle_always_followed", put_file(dir, "nlink/inner", "I"), 0);
    CHECK("inner_in_dir", file_is(dir, "ndir/inner", "I"));
    CHECK_ERRNO("rmdir_link", __wasi_path_remove_directory(dir, "nlink"), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("rmdir_link_slash", __wasi_path_remove_directory(dir, "nlink/"), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("unlink_link_slash", __wasi_path_unlink_file(dir, "nlink/"), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("unlink_link", __wasi_path_unlink_file(dir, "nlink"), 0);
    CHECK("dir_kept", file_is(dir, "ndir/inner", "I"));
    CHECK_ERRNO("put_file", put_file(dir, "nfile", "F"), 0);
    CHECK_ERRNO("symlink_file", __wasi_path_symlink("nfile", dir, "flink"), 0);
    CHECK_ERRNO("file_dir_nofollow", open_errno(dir, 0, "flink", __WASI_OFLAGS_DIRECTORY, 0, 0), __WASI_ERRNO_LOOP);
    CHECK_ERRNO("file_nofollow", open_errno(dir, 0, "flink", 0, 0, 0), __WASI_ERRNO_LOOP);
    CHECK_ERRNO("file_dir_follow", open_errno(dir, FOLLOW, "flink", __WASI_OFLAGS_DIRECTORY, 0, 0), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("file_slash", open_errno(dir, 0, "flink/", 0, 0, 0), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("rename_link", __wasi_path_rename(dir, "flink", dir, "flink2"), 0);
    CHECK("renamed_link_works", file_is(dir, "flink2", "F"));
    __wasi_filestat_t st;
    CHECK("rename_moved_link_only", stat_at(dir, 0, "flink2", &st) == 0 && st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
}

/* wasmtime's path_symlink_trailing_slashes. */
static void symlink_slashes(__wasi_fd_t dir) {
    SECTION("symlink_slash");
    CHECK_ERRNO("dangling_slash", __wasi_path_symlink("source", dir, "target2/"), __WASI_ERRNO_NOENT);
    CHECK_ERRNO("dangling", __wasi_path_symlink("source", dir, "target2"), 0);
    CHECK_ERRNO("cleanup", __wasi_path_unlink_file(dir, "target2"), 0);
    CHECK_ERRNO("mkdir", __wasi_path_create_directory(dir, "target2"), 0);
    CHECK_ERRNO("dir_slash", __wasi_path_symlink("source", dir, "target2/"), __WASI_ERRNO_EXIST);
    CHECK_ERRNO("dir", __wasi_path_symlink("source", dir, "target2"), __WASI_ERRNO_EXIST);
    CHECK_ERRNO("rmdir", __wasi_path_remove_directory(dir, "target2"), 0);
    CHECK_ERRNO("put", put_file(dir, "target2", ""), 0);
    CHECK_ERRNO("file_slash", __wasi_path_symlink("source", dir, "target2/"), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("file", __wasi_path_symlink("source", dir, "target2"), __WASI_ERRNO_EXIST);
}

/* Targets never leave the directory resolution started from. */
static void containment(__wasi_fd_t dir) {
    SECTION("escape");
    __wasi_fd_t sub;
    CHECK_ERRNO("mkdir", __wasi_path_create_directory(dir, "esub"), 0);
    CHECK_ERRNO("put", put_file(dir, "outside", "O"), 0);
    CHECK_ERRNO("up_link", __wasi_path_symlink("../outside", dir, "esub/up"), 0);
    CHECK("from_parent_fd", file_is(dir, "esub/up", "O"));
    CHECK_ERRNO("open_sub", open_at(dir, 0, "esub", __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, DIR_ALL, &sub), 0);
    CHECK_ERRNO("from_sub_fd", open_errno(sub, FOLLOW, "up", 0, 0, 0), __WASI_ERRNO_PERM);
    CHECK_ERRNO("from_sub_creat", open_errno(sub, FOLLOW, "up", __WASI_OFLAGS_CREAT, 0, 0), __WASI_ERRNO_PERM);
    __wasi_filestat_t st;
    CHECK_ERRNO("stat_from_sub", stat_at(sub, FOLLOW, "up", &st), __WASI_ERRNO_PERM);
    CHECK_ERRNO("lstat_from_sub", stat_at(sub, 0, "up", &st), 0);
    CHECK_ERRNO("dirlink", __wasi_path_symlink("..", dir, "esub/parent"), 0);
    CHECK_ERRNO("through_dirlink", open_errno(sub, 0, "parent/outside", 0, 0, 0), __WASI_ERRNO_PERM);
    CHECK_ERRNO("deep_up", __wasi_path_symlink("../../../../../../../../x", dir, "deep"), 0);
    CHECK_ERRNO("deep_up_preopen", open_errno(dir, FOLLOW, "deep", 0, 0, 0), __WASI_ERRNO_PERM);
    CHECK_ERRNO("unlink_from_sub", __wasi_path_unlink_file(sub, "up"), 0); /* the link itself: inside */
    CHECK("outside_kept", file_is(dir, "outside", "O"));
    (void)__wasi_fd_close(sub);
}

/* Symbolic links' own timestamps (wasmtime's symlink_filestat). */
static void link_times(__wasi_fd_t dir) {
    SECTION("times");
    __wasi_filestat_t file0, link0, st;
    CHECK_ERRNO("put", put_file(dir, "tfile", "x"), 0);
    CHECK_ERRNO("symlink", __wasi_path_symlink("tfile", dir, "tlink"), 0);
    CHECK_ERRNO("stat_file", stat_at(dir, 0, "tfile", &file0), 0);
    CHECK_ERRNO("stat_link", stat_at(dir, 0, "tlink", &link0), 0);
    CHECK_ERRNO("set_link", __wasi_path_filestat_set_times(dir, 0, "tlink", 0, 12345, __WASI_FSTFLAGS_MTIM), 0);
    CHECK("link_changed", stat_at(dir, 0, "tlink", &st) == 0 && st.mtim == 12345);
    CHECK("file_unchanged", stat_at(dir, 0, "tfile", &st) == 0 && st.mtim == file0.mtim);
    CHECK("follow_sees_file", stat_at(dir, FOLLOW, "tlink", &st) == 0 && st.mtim == file0.mtim &&
                                  st.ino == file0.ino);
    CHECK_ERRNO("set_file", __wasi_path_filestat_set_times(dir, FOLLOW, "tlink", 0, 777, __WASI_FSTFLAGS_MTIM), 0);
    CHECK("file_changed", stat_at(dir, 0, "tfile", &st) == 0 && st.mtim == 777);
}

/* d_type of a link in fd_readdir. */
static void readdir_type(__wasi_fd_t dir) {
    SECTION("readdir");
    __wasi_fd_t d;
    CHECK_ERRNO("mkdir", __wasi_path_create_directory(dir, "rd"), 0);
    CHECK_ERRNO("symlink", __wasi_path_symlink("x", dir, "rd/l"), 0);
    CHECK_ERRNO("open", open_at(dir, 0, "rd", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, &d), 0);
    uint8_t buf[256];
    __wasi_size_t used = 0;
    CHECK_ERRNO("readdir", __wasi_fd_readdir(d, buf, sizeof buf, 0, &used), 0);
    int found = 0;
    for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used;) {
        __wasi_dirent_t e;
        memcpy(&e, buf + off, sizeof e);
        const char *nm = (const char *)buf + off + sizeof e;
        if (e.d_namlen == 1 && nm[0] == 'l') found = e.d_type == __WASI_FILETYPE_SYMBOLIC_LINK;
        off += sizeof e + e.d_namlen;
    }
    CHECK("dtype_symlink", found);
    (void)__wasi_fd_close(d);
}

/* Hard links (wasmtime's path_link, plus counts and shared data). */
static void hard_links(__wasi_fd_t dir) {
    SECTION("link");
    __wasi_fd_t f1, f2, sub;
    __wasi_filestat_t s1, s2;
    CHECK_ERRNO("create", open_errno(dir, 0, "hfile", __WASI_OFLAGS_CREAT, 0, 0), 0);
    CHECK_ERRNO("open", open_at(dir, 0, "hfile", 0, __WASI_RIGHTS_FD_FILESTAT_GET, 0, &f1), 0);
    CHECK_ERRNO("link", __wasi_path_link(dir, 0, "hfile", dir, "hlink"), 0);
    CHECK_ERRNO("open_link", open_at(dir, 0, "hlink", 0, __WASI_RIGHTS_FD_FILESTAT_GET, 0, &f2), 0);
    __wasi_fdstat_t d1, d2;
    CHECK("same_fdstat", __wasi_fd_fdstat_get(f1, &d1) == 0 && __wasi_fd_fdstat_get(f2, &d2) == 0 &&
                             d1.fs_rights_base == d2.fs_rights_base && d1.fs_filetype == d2.fs_filetype &&
                             d1.fs_rights_inheriting == d2.fs_rights_inheriting);
    CHECK("same_filestat", stat_at(dir, 0, "hfile", &s1) == 0 && stat_at(dir, 0, "hlink", &s2) == 0 &&
                               s1.ino == s2.ino && s1.nlink == 2 && s2.nlink == 2 && s1.mtim == s2.mtim);
    (void)__wasi_fd_close(f2);
    CHECK_ERRNO("write_one", put_file(dir, "hfile", "shared"), 0);
    CHECK("read_other", file_is(dir, "hlink", "shared"));
    CHECK_ERRNO("unlink_link", __wasi_path_unlink_file(dir, "hlink"), 0);
    CHECK("nlink_1", stat_at(dir, 0, "hfile", &s1) == 0 && s1.nlink == 1);
    CHECK_ERRNO("mkdir", __wasi_path_create_directory(dir, "hsub"), 0);
    CHECK_ERRNO("open_sub", open_at(dir, 0, "hsub", __WASI_OFLAGS_DIRECTORY, DIR_RIGHTS, DIR_ALL, &sub), 0);
    CHECK_ERRNO("link_to_subdir", __wasi_path_link(dir, 0, "hfile", sub, "link"), 0);
    CHECK("sub_link_same", stat_at(sub, 0, "link", &s2) == 0 && s2.ino == s1.ino);
    CHECK_ERRNO("unlink_original", __wasi_path_unlink_file(dir, "hfile"), 0);
    CHECK("data_survives", file_is(sub, "link", "shared"));
    CHECK("fd_sees_nlink", __wasi_fd_filestat_get(f1, &s1) == 0 && s1.nlink == 1);
    CHECK_ERRNO("unlink_last", __wasi_path_unlink_file(sub, "link"), 0);
    CHECK("open_fd_nlink_0", __wasi_fd_filestat_get(f1, &s1) == 0 && s1.nlink == 0);
    (void)__wasi_fd_close(f1);
    (void)__wasi_fd_close(sub);

    CHECK_ERRNO("put", put_file(dir, "file", "f"), 0);
    CHECK_ERRNO("put_existing", put_file(dir, "exists", ""), 0);
    CHECK_ERRNO("to_existing", __wasi_path_link(dir, 0, "file", dir, "exists"), __WASI_ERRNO_EXIST);
    CHECK_ERRNO("to_itself", __wasi_path_link(dir, 0, "file", dir, "file"), __WASI_ERRNO_EXIST);
    CHECK_ERRNO("to_dir", __wasi_path_link(dir, 0, "file", dir, "hsub"), __WASI_ERRNO_EXIST);
    CHECK_ERRNO("of_dir", __wasi_path_link(dir, 0, "hsub", dir, "dirlink"), __WASI_ERRNO_PERM);
    CHECK_ERRNO("of_dot", __wasi_path_link(dir, 0, ".", dir, "dotlink"), __WASI_ERRNO_PERM);
    CHECK_ERRNO("trailing_slash", __wasi_path_link(dir, 0, "file", dir, "newlink/"), __WASI_ERRNO_NOENT);
    CHECK_ERRNO("source_slash", __wasi_path_link(dir, 0, "file/", dir, "newlink"), __WASI_ERRNO_NOTDIR);
    CHECK_ERRNO("missing_source", __wasi_path_link(dir, 0, "missing", dir, "newlink"), __WASI_ERRNO_NOENT);
    CHECK_ERRNO("follow_inval", __wasi_path_link(dir, FOLLOW, "file", dir, "newlink"), __WASI_ERRNO_INVAL);
    CHECK_ERRNO("dangling", __wasi_path_symlink("target", dir, "lsym"), 0);
    CHECK_ERRNO("of_dangling_symlink", __wasi_path_link(dir, 0, "lsym", dir, "lsym2"), 0);
    CHECK("link_of_symlink_is_symlink", stat_at(dir, 0, "lsym2", &s1) == 0 &&
                                            s1.filetype == __WASI_FILETYPE_SYMBOLIC_LINK && s1.nlink == 2);
    CHECK_ERRNO("to_dangling_symlink", __wasi_path_link(dir, 0, "file", dir, "lsym"), __WASI_ERRNO_EXIST);
    CHECK_ERRNO("loop", __wasi_path_symlink("lloop", dir, "lloop"), 0);
    CHECK_ERRNO("of_loop", __wasi_path_link(dir, 0, "lloop", dir, "lloop2"), 0);
    /* renaming onto another link of the same file does nothing (POSIX) */
    CHECK_ERRNO("link_again", __wasi_path_link(dir, 0, "file", dir, "file2"), 0);
    CHECK_ERRNO("rename_onto_same", __wasi_path_rename(dir, "file", dir, "file2"), 0);
    CHECK("both_names_kept", stat_at(dir, 0, "file", &s1) == 0 && stat_at(dir, 0, "file2", &s2) == 0 &&
                                 s1.ino == s2.ino && s1.nlink == 2);
    CHECK_ERRNO("rename_over_other", __wasi_path_rename(dir, "exists", dir, "file2"), 0);
    CHECK("replaced_one_link", stat_at(dir, 0, "file", &s1) == 0 && s1.nlink == 1);
}

int main(int argc, char **argv) {
    __wasi_fd_t dir = scratch(argc, argv, "links");
    if (dir == BAD_FD) return conform_done();
    readlink_tests(dir);
    dangling_and_loops(dir);
    nofollow(dir);
    symlink_slashes(dir);
    containment(dir);
    link_times(dir);
    readdir_type(dir);
    hard_links(dir);
    return conform_done();
}
