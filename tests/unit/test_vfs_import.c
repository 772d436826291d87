/* test_vfs_import.c — unit tests for copying host trees into the virtual
 * filesystem (src/vfs/vfs_import.c): contents and structure, links and
 * recreated as sandbox links, special files skipped, the budget refusing a tree that does not fit,
 * deep trees without recursion, name clashes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "util/buf.h"
#include "vfs/vfs_import.h"

static char root[PATH_MAX];

/* host_path: root + "/" + rel in a static buffer (one at a time). */
static const char *host_path(const char *rel) {
    static char p[PATH_MAX * 2];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    return p;
}

static int host_write(const char *rel, const void *data, size_t len) {
    int fd = open(host_path(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    ssize_t n = write(fd, data, len);
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

static vfs_node_t *lookup(vfs_t *fs, const char *path) {
    vfs_node_t *n;
    return vfs_lookup(fs, NULL, path, strlen(path), &n) == VFS_OK ? n : NULL;
}

static int content_is(const vfs_node_t *f, const void *want, size_t len) {
    if (!f || vfs_kind(f) != VFS_FILE || vfs_size(f) != len) return 0;
    return len == 0 || memcmp(vfs_file_data(f), want, len) == 0;
}

typedef struct notes {
    int count;
    buf_t text;
} notes_t;

static void on_note(void *user, const char *path, const char *why) {
    notes_t *n = user;
    n->count++;
    buf_printf(&n->text, "%s: %s\n", path, why);
}

/* make_tree: root/{a.txt, empty, sub/b.bin (100 KiB), sub/deeper/c.txt,
 * out-link -> /etc/passwd, in-link -> a.txt, fifo}. */
static int make_tree(uint8_t *big, size_t big_len) {
    for (size_t i = 0; i < big_len; i++) big[i] = (uint8_t)(i * 7 + 3);
    if (mkdir(host_path("sub"), 0755) || mkdir(host_path("sub/deeper"), 0755)) return -1;
    if (host_write("a.txt", "alpha", 5) || host_write("empty", "", 0) || host_write("sub/b.bin", big, big_len) ||
        host_write("sub/deeper/c.txt", "gamma", 5))
        return -1;
    if (symlink("/etc/passwd", host_path("out-link")) || symlink("a.txt", host_path("in-link"))) return -1;
    return mkfifo(host_path("fifo"), 0644);
}

TEST(test_import_tree) {
    static uint8_t big[100 * 1024];
    REQUIRE(make_tree(big, sizeof big) == 0);
    budget_t b;
    budget_init(&b, UINT64_MAX);
    vfs_t *fs = vfs_new(&b);
    vfs_node_t *dest;
    REQUIRE(fs && vfs_mkdir_p(fs, "/mnt/data", true, &dest) == VFS_OK);
    notes_t notes = {0, BUF_INIT};
    vfs_import_stats_t st;
    char *err = NULL;
    CHECK_EQ_INT(vfs_import_tree(fs, dest, root, on_note, &notes, &st, &err), 0);
    CHECK(err == NULL);
    CHECK(content_is(lookup(fs, "/mnt/data/a.txt"), "alpha", 5));
    CHECK(content_is(lookup(fs, "/mnt/data/empty"), "", 0));
    CHECK(content_is(lookup(fs, "/mnt/data/sub/b.bin"), big, sizeof big));
    CHECK(content_is(lookup(fs, "/mnt/data/sub/deeper/c.txt"), "gamma", 5));
    /* Links are recreated with their target text, never followed on the
     * host: /etc/passwd is not copied, in-link resolves inside the sandbox. */
    vfs_node_t *data = lookup(fs, "/mnt/data"), *link;
    const char *target;
    size_t tlen;
    vfs_where_t w;
    CHECK(vfs_resolve(fs, data, "out-link", 8, 0, &w) == VFS_OK && (link = w.node) && vfs_kind(link) == VFS_SYMLINK &&
          vfs_readlink(link, &target, &tlen) == VFS_OK && tlen == 11 && memcmp(target, "/etc/passwd", 11) == 0);
    CHECK(vfs_resolve(fs, data, "out-link", 8, VFS_FOLLOW | VFS_BENEATH, &w) == VFS_EPERM);
    CHECK(vfs_resolve(fs, data, "in-link", 7, VFS_FOLLOW | VFS_BENEATH, &w) == VFS_OK && w.node &&
          content_is(w.node, "alpha", 5));
    CHECK(lookup(fs, "/mnt/data/fifo") == NULL);
    CHECK_EQ_INT(notes.count, 1);
    CHECK_CONTAINS(buf_cstr(&notes.text), "fifo: not a regular file or directory");
    CHECK_EQ_INT(st.files, 4);
    CHECK_EQ_INT(st.dirs, 2);
    CHECK_EQ_INT(st.links, 2);
    CHECK_EQ_INT(st.bytes, 5 + 5 + sizeof big);
    CHECK_EQ_INT(st.skipped, 1);
    vfs_node_t *copy = lookup(fs, "/mnt/data/sub/b.bin");
    CHECK(copy && vfs_writable(copy) && vfs_writable(lookup(fs, "/mnt/data/sub")));
    CHECK(copy && vfs_write(fs, copy, 0, "changed", 7) == VFS_OK);
    /* The copy is in memory only: the host file is unchanged. */
    int fd = open(host_path("sub/b.bin"), O_RDONLY);
    uint8_t first[7] = {0};
    CHECK(fd >= 0 && read(fd, first, 7) == 7 && memcmp(first, big, 7) == 0);
    if (fd >= 0) close(fd);
    /* Everything is charged: the data plus node overheads. */
    CHECK(b.used >= sizeof big + 10 + 8 * VFS_NODE_OVERHEAD);
    buf_free(&notes.text);
    vfs_free(fs);
    CHECK_EQ_INT(b.used, 0);
}

TEST(test_import_over_budget) {
    budget_t b;
    budget_init(&b, 64 * 1024); /* less than sub/b.bin */
    vfs_t *fs = vfs_new(&b);
    vfs_node_t *dest;
    REQUIRE(fs && vfs_mkdir_p(fs, "/", true, &dest) == VFS_OK);
    char *err = NULL;
    int rc = vfs_import_tree(fs, dest, root, NULL, NULL, NULL, &err);
    CHECK_EQ_INT(rc, VFS_ENOSPC);
    CHECK_CONTAINS(err, "b.bin: the memory limit is reached");
    CHECK(b.used <= b.limit);
    free(err);
    vfs_free(fs);
}

TEST(test_import_clash_and_missing) {
    budget_t b;
    budget_init(&b, UINT64_MAX);
    vfs_t *fs = vfs_new(&b);
    vfs_node_t *dest, *f;
    REQUIRE(fs && vfs_mkdir_p(fs, "/d", true, &dest) == VFS_OK);
    REQUIRE(vfs_create_file(fs, dest, "a.txt", 5, &f) == VFS_OK);
    char *err = NULL;
    CHECK_EQ_INT(vfs_import_tree(fs, dest, root, NULL, NULL, NULL, &err), VFS_EEXIST);
    CHECK_CONTAINS(err, "a.txt: the name already exists");
    free(err);
    err = NULL;
    CHECK_EQ_INT(vfs_import_tree(fs, dest, host_path("no-such-dir"), NULL, NULL, NULL, &err), VFS_EIO);
    CHECK_CONTAINS(err, "cannot open directory");
    free(err);
    err = NULL;
    CHECK_EQ_INT(vfs_import_tree(fs, dest, host_path("a.txt"), NULL, NULL, NULL, &err), VFS_EIO);
    CHECK_CONTAINS(err, "Not a directory");
    free(err);
    vfs_free(fs);
}

/* A tree deeper than any recursion would like; the walk holds one
 * directory per level, well under the descriptor limit. */
TEST(test_import_deep_tree) {
    enum { DEPTH = 400 };
    int dfd = open(root, O_RDONLY | O_DIRECTORY);
    REQUIRE(dfd >= 0);
    REQUIRE(mkdirat(dfd, "deep", 0755) == 0);
    int cur = openat(dfd, "deep", O_RDONLY | O_DIRECTORY);
    close(dfd);
    for (int i = 0; i < DEPTH && cur >= 0; i++) {
        int ok = mkdirat(cur, "d", 0755) == 0;
        int next = ok ? openat(cur, "d", O_RDONLY | O_DIRECTORY) : -1;
        close(cur);
        cur = next;
    }
    REQUIRE(cur >= 0);
    int fd = openat(cur, "bottom.txt", O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0 && write(fd, "x", 1) == 1);
    if (fd >= 0) close(fd);
    close(cur);
    budget_t b;
    budget_init(&b, UINT64_MAX);
    vfs_t *fs = vfs_new(&b);
    vfs_node_t *dest;
    REQUIRE(fs && vfs_mkdir_p(fs, "/", true, &dest) == VFS_OK);
    char *err = NULL;
    vfs_import_stats_t st;
    CHECK_EQ_INT(vfs_import_tree(fs, dest, host_path("deep"), NULL, NULL, &st, &err), 0);
    CHECK_EQ_INT(st.dirs, DEPTH);
    buf_t p = BUF_INIT;
    for (int i = 0; i < DEPTH; i++) buf_append_str(&p, "/d");
    buf_append_str(&p, "/bottom.txt");
    CHECK(content_is(lookup(fs, buf_cstr(&p)), "x", 1));
    buf_free(&p);
    free(err);
    vfs_free(fs);
}

int main(void) {
    snprintf(root, sizeof root, "%s/wadup-import.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(root)) { perror("mkdtemp"); return 1; }
    RUN(test_import_tree);
    RUN(test_import_over_budget);
    RUN(test_import_clash_and_missing);
    RUN(test_import_deep_tree);
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
    return test_summary("vfs_import");
}
