/* test_vfs.c — unit tests for the in-memory virtual filesystem (src/vfs):
 * namespace, data, accounting, symbolic and hard links, path resolution. */
#include <stdlib.h>
#include <time.h>

#include "test.h"
#include "vfs/vfs.h"

#define NODE_COST(name_len) ((uint64_t)VFS_NODE_OVERHEAD + (uint64_t)(name_len))

/* lookup_rc: vfs_lookup of a C-string path; *out gets the node (or NULL). */
static int lookup_rc(vfs_t *fs, vfs_node_t *dir, const char *path, vfs_node_t **out) {
    vfs_node_t *n = NULL;
    int rc = vfs_lookup(fs, dir, path, strlen(path), &n);
    if (out) *out = rc == VFS_OK ? n : NULL;
    return rc;
}

static vfs_node_t *lookup(vfs_t *fs, const char *path) {
    vfs_node_t *n;
    return lookup_rc(fs, NULL, path, &n) == VFS_OK ? n : NULL;
}

static int create_str(vfs_t *fs, vfs_node_t *dir, const char *name, vfs_node_t **out) {
    return vfs_create_file(fs, dir, name, strlen(name), out);
}

static int mkdir_str(vfs_t *fs, vfs_node_t *dir, const char *name, vfs_node_t **out) {
    return vfs_mkdir(fs, dir, name, strlen(name), out);
}

static int write_str(vfs_t *fs, vfs_node_t *f, uint64_t off, const char *s) {
    return vfs_write(fs, f, off, s, strlen(s));
}

/* content_is: the whole file equals the len bytes at want. */
static int content_is(const vfs_node_t *f, const void *want, size_t len) {
    if (vfs_size(f) != len) return 0;
    uint8_t *got = malloc(len + 1);
    if (!got) return 0;
    size_t n = 0;
    int ok = vfs_read(f, 0, got, len + 1, &n) == VFS_OK && n == len && memcmp(got, want, len) == 0;
    free(got);
    return ok;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- root and node information ---- */

TEST(test_new_root) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *root = vfs_root(fs);
    size_t len = 99;
    CHECK_EQ_INT(vfs_kind(root), VFS_DIR);
    CHECK(vfs_ino(root) != 0);
    CHECK(!vfs_writable(root));
    CHECK(vfs_linked(root));
    CHECK_EQ_INT(vfs_nlink(root), 1);
    CHECK(vfs_parent(root) == NULL);
    CHECK_STR(vfs_name(root, &len), "");
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_INT(vfs_size(root), 0);
    CHECK_EQ_INT(vfs_dir_count(root), 0);
    CHECK_EQ_INT(vfs_bytes(fs), 0);
    CHECK(vfs_atim(root) > UINT64_C(1500000000) * 1000000000);
    vfs_free(fs);
}

/* ---- path resolution ---- */

TEST(test_lookup_paths) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *a, *b, *f, *n;
    REQUIRE(vfs_mkdir_p(fs, "/a/b", true, &b) == VFS_OK);
    a = vfs_parent(b);
    REQUIRE(create_str(fs, b, "f", &f) == VFS_OK);
    vfs_node_t *root = vfs_root(fs);

    CHECK(lookup(fs, "/a/b/f") == f);
    CHECK(lookup_rc(fs, root, "a/b/f", &n) == VFS_OK && n == f);
    CHECK(lookup(fs, "/a/./b//f") == f);
    CHECK(lookup(fs, "//a///b/./f") == f);
    CHECK(lookup(fs, "/a/b/../b/f") == f);
    CHECK(lookup(fs, "/../../a") == a);          /* the root's parent is the root */
    CHECK(lookup(fs, "/a/b/") == b);             /* trailing slash on a directory */
    CHECK(lookup(fs, "/a/b/.") == b);
    CHECK(lookup(fs, "/") == root);
    CHECK(lookup_rc(fs, root, ".", &n) == VFS_OK && n == root);
    CHECK(lookup_rc(fs, b, "f", &n) == VFS_OK && n == f);
    CHECK(lookup_rc(fs, b, "..", &n) == VFS_OK && n == a);
    CHECK(lookup_rc(fs, b, "../b/f", &n) == VFS_OK && n == f);
    CHECK(lookup_rc(fs, b, "/a", &n) == VFS_OK && n == a); /* absolute ignores dir */

    CHECK_EQ_INT(lookup_rc(fs, NULL, "/a/b/f/", &n), VFS_ENOTDIR);
    CHECK_EQ_INT(lookup_rc(fs, NULL, "/a/b/f//", &n), VFS_ENOTDIR);
    CHECK_EQ_INT(lookup_rc(fs, NULL, "/a/b/f/x", &n), VFS_ENOTDIR);
    CHECK_EQ_INT(lookup_rc(fs, NULL, "/a/b/f/.", &n), VFS_ENOTDIR);
    CHECK_EQ_INT(lookup_rc(fs, NULL, "/a/b/f/..", &n), VFS_ENOTDIR);
    CHECK_EQ_INT(lookup_rc(fs, f, "x", &n), VFS_ENOTDIR); /* relative to a file */
    CHECK_EQ_INT(lookup_rc(fs, NULL, "/a/nope", &n), VFS_ENOENT);
    CHECK_EQ_INT(lookup_rc(fs, NULL, "/nope/b", &n), VFS_ENOENT);
    CHECK_EQ_INT(lookup_rc(fs, NULL, "", &n), VFS_ENOENT);
    CHECK_EQ_INT(vfs_lookup(fs, root, "/a\0b", 4, &n), VFS_EINVAL);
    CHECK_EQ_INT(vfs_lookup(fs, root, "a/b/f\0", 6, &n), VFS_EINVAL);
    /* only len bytes count: "/a/b/fXYZ" cut at 6 is "/a/b/f" */
    CHECK(vfs_lookup(fs, root, "/a/b/fXYZ", 6, &n) == VFS_OK && n == f);

    char longname[2 + VFS_NAME_MAX + 2];
    longname[0] = '/';
    memset(longname + 1, 'x', VFS_NAME_MAX + 1);
    longname[VFS_NAME_MAX + 2] = 0;
    CHECK_EQ_INT(lookup_rc(fs, NULL, longname, &n), VFS_ENAMETOOLONG);
    longname[VFS_NAME_MAX + 1] = 0; /* exactly VFS_NAME_MAX bytes: allowed, missing */
    CHECK_EQ_INT(lookup_rc(fs, NULL, longname, &n), VFS_ENOENT);
    vfs_free(fs);
}

TEST(test_lookup_parent) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *b, *f, *p = NULL;
    REQUIRE(vfs_mkdir_p(fs, "/a/b", true, &b) == VFS_OK);
    REQUIRE(create_str(fs, b, "f", &f) == VFS_OK);
    const char *name = NULL;
    size_t nlen = 0;
    const char *path = "/a/b/newname";
    CHECK_EQ_INT(vfs_lookup_parent(fs, NULL, path, strlen(path), &p, &name, &nlen), VFS_OK);
    CHECK(p == b);
    CHECK(name == path + 5);
    CHECK_EQ_INT(nlen, 7);
    path = "/a/b//";
    CHECK_EQ_INT(vfs_lookup_parent(fs, NULL, path, strlen(path), &p, &name, &nlen), VFS_OK);
    CHECK(p == vfs_parent(b));
    CHECK(name == path + 3);
    CHECK_EQ_INT(nlen, 1);
    path = "x";
    CHECK_EQ_INT(vfs_lookup_parent(fs, b, path, 1, &p, &name, &nlen), VFS_OK);
    CHECK(p == b);
    CHECK_EQ_INT(nlen, 1);
    path = "/top";
    CHECK_EQ_INT(vfs_lookup_parent(fs, b, path, 4, &p, &name, &nlen), VFS_OK);
    CHECK(p == vfs_root(fs));

    CHECK_EQ_INT(vfs_lookup_parent(fs, NULL, "/", 1, &p, &name, &nlen), VFS_EINVAL);
    CHECK_EQ_INT(vfs_lookup_parent(fs, NULL, "///", 3, &p, &name, &nlen), VFS_EINVAL);
    CHECK_EQ_INT(vfs_lookup_parent(fs, NULL, "/a/.", 4, &p, &name, &nlen), VFS_EINVAL);
    CHECK_EQ_INT(vfs_lookup_parent(fs, NULL, "/a/../", 6, &p, &name, &nlen), VFS_EINVAL);
    CHECK_EQ_INT(vfs_lookup_parent(fs, NULL, "", 0, &p, &name, &nlen), VFS_ENOENT);
    CHECK_EQ_INT(vfs_lookup_parent(fs, NULL, "/nope/x", 7, &p, &name, &nlen), VFS_ENOENT);
    CHECK_EQ_INT(vfs_lookup_parent(fs, NULL, "/a/b/f/x", 8, &p, &name, &nlen), VFS_ENOTDIR);
    CHECK_EQ_INT(vfs_lookup_parent(fs, f, "x", 1, &p, &name, &nlen), VFS_ENOTDIR);
    CHECK_EQ_INT(vfs_lookup_parent(fs, NULL, "/a/x\0y", 6, &p, &name, &nlen), VFS_EINVAL);
    char longname[VFS_NAME_MAX + 4];
    memcpy(longname, "/a/", 3);
    memset(longname + 3, 'y', VFS_NAME_MAX + 1);
    CHECK_EQ_INT(vfs_lookup_parent(fs, NULL, longname, VFS_NAME_MAX + 4, &p, &name, &nlen),
                 VFS_ENAMETOOLONG);
    vfs_free(fs);
}

/* ---- namespace changes ---- */

TEST(test_create_and_mkdir) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *root = vfs_root(fs), *tmp, *f, *d, *n = NULL;
    CHECK_EQ_INT(create_str(fs, root, "x", &n), VFS_EROFS);
    CHECK_EQ_INT(mkdir_str(fs, root, "x", NULL), VFS_EROFS);
    CHECK_EQ_INT(vfs_dir_count(root), 0);

    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    CHECK(vfs_writable(tmp));
    CHECK(!vfs_writable(root));
    /* an existing name in a read-only directory is EEXIST, not EROFS */
    CHECK_EQ_INT(mkdir_str(fs, root, "tmp", NULL), VFS_EEXIST);

    REQUIRE(create_str(fs, tmp, "f", &f) == VFS_OK);
    REQUIRE(mkdir_str(fs, tmp, "d", &d) == VFS_OK);
    CHECK(vfs_writable(f));
    CHECK(vfs_writable(d));
    CHECK_EQ_INT(vfs_kind(f), VFS_FILE);
    CHECK_EQ_INT(vfs_kind(d), VFS_DIR);
    CHECK(vfs_parent(f) == tmp);
    CHECK(vfs_linked(f));
    CHECK_EQ_INT(vfs_nlink(f), 1);
    CHECK(vfs_ino(f) != vfs_ino(d) && vfs_ino(f) != vfs_ino(tmp) && vfs_ino(f) != 0);
    size_t len;
    CHECK_STR(vfs_name(f, &len), "f");
    CHECK_EQ_INT(len, 1);
    CHECK(vfs_child(tmp, "f", 1) == f);
    CHECK(vfs_child(tmp, "g", 1) == NULL);
    CHECK(vfs_child(f, "f", 1) == NULL);

    n = NULL;
    CHECK_EQ_INT(create_str(fs, tmp, "f", &n), VFS_EEXIST);
    CHECK(n == NULL);
    CHECK_EQ_INT(mkdir_str(fs, tmp, "f", NULL), VFS_EEXIST);
    CHECK_EQ_INT(create_str(fs, tmp, "d", NULL), VFS_EEXIST);
    CHECK_EQ_INT(create_str(fs, f, "x", NULL), VFS_ENOTDIR);
    CHECK_EQ_INT(create_str(fs, tmp, "a/b", NULL), VFS_EINVAL);
    CHECK_EQ_INT(create_str(fs, tmp, ".", NULL), VFS_EINVAL);
    CHECK_EQ_INT(mkdir_str(fs, tmp, "..", NULL), VFS_EINVAL);
    CHECK_EQ_INT(vfs_create_file(fs, tmp, "", 0, NULL), VFS_EINVAL);
    CHECK_EQ_INT(vfs_create_file(fs, tmp, "a\0b", 3, NULL), VFS_EINVAL);
    char longname[VFS_NAME_MAX + 1];
    memset(longname, 'z', sizeof longname);
    CHECK_EQ_INT(vfs_create_file(fs, tmp, longname, VFS_NAME_MAX + 1, NULL), VFS_ENAMETOOLONG);
    CHECK_EQ_INT(vfs_create_file(fs, tmp, longname, VFS_NAME_MAX, NULL), VFS_OK);
    CHECK_EQ_INT(vfs_dir_count(tmp), 3);
    vfs_free(fs);
}

TEST(test_readonly_dirs) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *ro, *tmp, *f;
    REQUIRE(vfs_mkdir_p(fs, "/ro/sub", false, &ro) == VFS_OK);
    CHECK(!vfs_writable(ro));
    CHECK(!vfs_writable(vfs_parent(ro)));
    CHECK_EQ_INT(create_str(fs, ro, "f", NULL), VFS_EROFS);
    CHECK_EQ_INT(mkdir_str(fs, ro, "d", NULL), VFS_EROFS);
    /* host-side creation ignores the flag; the guest still cannot remove */
    REQUIRE(vfs_put_borrowed(fs, "/ro/sub/blob", (const uint8_t *)"xy", 2, &f) == VFS_OK);
    CHECK_EQ_INT(vfs_unlink(fs, ro, "blob", 4), VFS_EROFS);
    CHECK_EQ_INT(vfs_rmdir(fs, vfs_parent(ro), "sub", 3), VFS_EROFS);
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    CHECK_EQ_INT(vfs_rename(fs, ro, "blob", 4, tmp, "blob", 4), VFS_EROFS);
    CHECK_EQ_INT(vfs_rename(fs, tmp, "x", 1, ro, "x", 1), VFS_EROFS);
    CHECK(vfs_child(ro, "blob", 4) == f);

    /* an existing directory keeps its flag unless writable is requested */
    vfs_node_t *again;
    REQUIRE(vfs_mkdir_p(fs, "/ro/sub", false, &again) == VFS_OK);
    CHECK(again == ro && !vfs_writable(ro));
    REQUIRE(vfs_mkdir_p(fs, "/ro/sub/", true, &again) == VFS_OK);
    CHECK(again == ro && vfs_writable(ro));
    CHECK(!vfs_writable(vfs_parent(ro)));  /* existing parents are not changed */
    REQUIRE(vfs_mkdir_p(fs, "/tmp", false, &again) == VFS_OK);
    CHECK(again == tmp && vfs_writable(tmp));
    CHECK_EQ_INT(create_str(fs, ro, "f", NULL), VFS_OK);
    vfs_free(fs);
}

TEST(test_mkdir_p_errors) {
    budget_t budget;
    budget_init(&budget, UINT64_MAX);
    vfs_t *fs = vfs_new(&budget);
    REQUIRE(fs);
    vfs_node_t *d = NULL;
    CHECK_EQ_INT(vfs_mkdir_p(fs, "rel/path", true, &d), VFS_EINVAL);
    CHECK_EQ_INT(vfs_mkdir_p(fs, "/x/../y", true, &d), VFS_EINVAL);
    CHECK_EQ_INT(vfs_dir_count(vfs_root(fs)), 0); /* "/x" was created, then undone */
    REQUIRE(vfs_put_borrowed(fs, "/file", (const uint8_t *)"a", 1, NULL) == VFS_OK);
    CHECK_EQ_INT(vfs_mkdir_p(fs, "/file/sub", true, &d), VFS_ENOTDIR);
    REQUIRE(vfs_mkdir_p(fs, "/./p//q/", true, &d) == VFS_OK);
    CHECK(lookup(fs, "/p/q") == d);
    CHECK(vfs_mkdir_p(fs, "/", true, &d) == VFS_OK && d == vfs_root(fs));
    CHECK(vfs_writable(d));

    /* refused half-way: the directories made by the call are removed again */
    uint64_t before = vfs_bytes(fs);
    budget.limit = budget.used + NODE_COST(2) + NODE_COST(2); /* room for two */
    CHECK_EQ_INT(vfs_mkdir_p(fs, "/m1/m2/m3", true, &d), VFS_ENOSPC);
    CHECK(budget.refused);
    CHECK(lookup(fs, "/m1") == NULL);
    CHECK_EQ_INT(vfs_bytes(fs), before);
    CHECK_EQ_INT(budget.used, before);
    vfs_free(fs);
    CHECK_EQ_INT(budget.used, 0);
}

/* ---- file data ---- */

TEST(test_write_read_truncate) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *tmp, *f;
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    REQUIRE(create_str(fs, tmp, "f", &f) == VFS_OK);
    CHECK_EQ_INT(vfs_size(f), 0);
    CHECK(vfs_file_data(f) == NULL);

    CHECK_EQ_INT(write_str(fs, f, 0, "hello"), VFS_OK);
    CHECK(content_is(f, "hello", 5));
    CHECK_EQ_INT(write_str(fs, f, 8, "XY"), VFS_OK);       /* gap of 3 zeros */
    CHECK(content_is(f, "hello\0\0\0XY", 10));
    CHECK_EQ_INT(write_str(fs, f, 1, "EL"), VFS_OK);       /* overwrite inside */
    CHECK(content_is(f, "hELlo\0\0\0XY", 10));
    CHECK_EQ_INT(write_str(fs, f, 9, "yz"), VFS_OK);       /* straddles EOF */
    CHECK(content_is(f, "hELlo\0\0\0Xyz", 11));
    CHECK(memcmp(vfs_file_data(f), "hELlo\0\0\0Xyz", 11) == 0);

    char buf[16];
    size_t n = 99;
    CHECK_EQ_INT(vfs_read(f, 9, buf, sizeof buf, &n), VFS_OK);
    CHECK_EQ_INT(n, 2);
    CHECK(memcmp(buf, "yz", 2) == 0);
    CHECK_EQ_INT(vfs_read(f, 2, buf, 3, &n), VFS_OK);
    CHECK_EQ_INT(n, 3);
    CHECK(memcmp(buf, "Llo", 3) == 0);
    n = 99;
    CHECK_EQ_INT(vfs_read(f, 11, buf, sizeof buf, &n), VFS_OK);   /* at EOF */
    CHECK_EQ_INT(n, 0);
    n = 99;
    CHECK_EQ_INT(vfs_read(f, UINT64_MAX, buf, sizeof buf, &n), VFS_OK);
    CHECK_EQ_INT(n, 0);

    CHECK_EQ_INT(vfs_truncate(fs, f, 4), VFS_OK);
    CHECK(content_is(f, "hELl", 4));
    CHECK_EQ_INT(vfs_truncate(fs, f, 7), VFS_OK);
    CHECK(content_is(f, "hELl\0\0\0", 7));
    CHECK_EQ_INT(vfs_truncate(fs, f, 0), VFS_OK);
    CHECK_EQ_INT(vfs_size(f), 0);
    CHECK(vfs_file_data(f) == NULL);
    CHECK_EQ_INT(write_str(fs, f, 3, "a"), VFS_OK);
    CHECK(content_is(f, "\0\0\0a", 4));

    /* empty writes change nothing */
    CHECK_EQ_INT(vfs_write(fs, f, 100, "", 0), VFS_OK);
    CHECK_EQ_INT(vfs_size(f), 4);

    /* size limits and offset overflow */
    CHECK_EQ_INT(vfs_write(fs, f, VFS_FILE_MAX, "a", 1), VFS_EFBIG);
    CHECK_EQ_INT(vfs_write(fs, f, UINT64_MAX, "ab", 2), VFS_EFBIG);
    CHECK_EQ_INT(vfs_write(fs, f, UINT64_MAX - 1, "ab", 2), VFS_EFBIG);
    CHECK_EQ_INT(vfs_truncate(fs, f, VFS_FILE_MAX + 1), VFS_EFBIG);
    CHECK_EQ_INT(vfs_truncate(fs, f, UINT64_MAX), VFS_EFBIG);
    CHECK(content_is(f, "\0\0\0a", 4));

    /* directories */
    CHECK_EQ_INT(vfs_write(fs, tmp, 0, "a", 1), VFS_EISDIR);
    CHECK_EQ_INT(vfs_truncate(fs, tmp, 0), VFS_EISDIR);
    CHECK_EQ_INT(vfs_read(tmp, 0, buf, 1, &n), VFS_EISDIR);
    CHECK(vfs_file_data(tmp) == NULL);
    vfs_free(fs);
}

TEST(test_timestamps) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *tmp, *f;
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    REQUIRE(create_str(fs, tmp, "f", &f) == VFS_OK);
    uint64_t created = vfs_mtim(f);
    CHECK(created > UINT64_C(1500000000) * 1000000000);
    CHECK_EQ_INT(vfs_atim(f), created);
    vfs_set_times(f, 5, 7);
    CHECK_EQ_INT(vfs_atim(f), 5);
    CHECK_EQ_INT(vfs_mtim(f), 7);
    CHECK(vfs_ctim(f) >= created);
    CHECK_EQ_INT(write_str(fs, f, 0, "x"), VFS_OK);
    CHECK(vfs_mtim(f) >= created);
    CHECK_EQ_INT(vfs_atim(f), 5);
    vfs_set_times(tmp, 1, 1);
    REQUIRE(create_str(fs, tmp, "g", NULL) == VFS_OK);
    CHECK(vfs_mtim(tmp) >= created);     /* entry changes touch the directory */
    CHECK(vfs_ctim(tmp) >= created);
    vfs_free(fs);
}

/* ---- budget ---- */

TEST(test_budget_write_refused) {
    budget_t budget;
    budget_init(&budget, UINT64_MAX);
    vfs_t *fs = vfs_new(&budget);
    REQUIRE(fs);
    CHECK_EQ_INT(vfs_bytes(fs), 0);
    vfs_node_t *tmp, *f;
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    CHECK_EQ_INT(vfs_bytes(fs), NODE_COST(3));
    budget.limit = budget.used + NODE_COST(1) + 10;
    REQUIRE(create_str(fs, tmp, "f", &f) == VFS_OK);
    CHECK_EQ_INT(vfs_bytes(fs), NODE_COST(3) + NODE_COST(1));
    CHECK_EQ_INT(write_str(fs, f, 0, "0123456789"), VFS_OK);   /* exactly fits */
    CHECK_EQ_INT(vfs_bytes(fs), NODE_COST(3) + NODE_COST(1) + 10);
    CHECK_EQ_INT(budget.used, vfs_bytes(fs));
    CHECK(!budget.refused);

    CHECK_EQ_INT(write_str(fs, f, 8, "abc"), VFS_ENOSPC);      /* one byte too many */
    CHECK(budget.refused);
    CHECK(content_is(f, "0123456789", 10));
    CHECK_EQ_INT(vfs_bytes(fs), NODE_COST(3) + NODE_COST(1) + 10);
    CHECK_EQ_INT(budget.used, vfs_bytes(fs));
    budget.refused = false;
    CHECK_EQ_INT(vfs_truncate(fs, f, 11), VFS_ENOSPC);
    CHECK(budget.refused);
    CHECK_EQ_INT(vfs_size(f), 10);
    CHECK_EQ_INT(write_str(fs, f, 8, "ab"), VFS_OK);           /* no growth: fine */
    CHECK(content_is(f, "01234567ab", 10));

    /* shrinking releases, so the space can be used again */
    CHECK_EQ_INT(vfs_truncate(fs, f, 4), VFS_OK);
    CHECK_EQ_INT(vfs_bytes(fs), NODE_COST(3) + NODE_COST(1) + 4);
    CHECK_EQ_INT(budget.used, vfs_bytes(fs));
    CHECK_EQ_INT(write_str(fs, f, 4, "456789"), VFS_OK);
    CHECK(content_is(f, "0123456789", 10));

    /* node creation is refused the same way and leaves no entry */
    budget.refused = false;
    CHECK_EQ_INT(create_str(fs, tmp, "g", NULL), VFS_ENOSPC);
    CHECK_EQ_INT(mkdir_str(fs, tmp, "g", NULL), VFS_ENOSPC);
    CHECK(budget.refused);
    CHECK(vfs_child(tmp, "g", 1) == NULL);
    CHECK_EQ_INT(vfs_dir_count(tmp), 1);
    vfs_free(fs);
    CHECK_EQ_INT(budget.used, 0);
}

TEST(test_bytes_and_unlink) {
    budget_t budget;
    budget_init(&budget, UINT64_MAX);
    vfs_t *fs = vfs_new(&budget);
    REQUIRE(fs);
    vfs_node_t *tmp, *f;
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    REQUIRE(create_str(fs, tmp, "file.txt", &f) == VFS_OK);
    REQUIRE(write_str(fs, f, 0, "some data") == VFS_OK);
    uint64_t base = NODE_COST(3);
    CHECK_EQ_INT(vfs_bytes(fs), base + NODE_COST(8) + 9);
    CHECK_EQ_INT(budget.used, base + NODE_COST(8) + 9);
    CHECK_EQ_INT(vfs_unlink(fs, tmp, "file.txt", 8), VFS_OK);
    CHECK_EQ_INT(vfs_bytes(fs), base);
    CHECK_EQ_INT(budget.used, base);
    CHECK_EQ_INT(vfs_unlink(fs, tmp, "file.txt", 8), VFS_ENOENT);
    CHECK_EQ_INT(vfs_dir_count(tmp), 0);
    CHECK_EQ_INT(lookup_rc(fs, NULL, "/tmp/file.txt", NULL), VFS_ENOENT);
    vfs_free(fs);
    CHECK_EQ_INT(budget.used, 0);
}

TEST(test_unlink_open_file) {
    budget_t budget;
    budget_init(&budget, UINT64_MAX);
    vfs_t *fs = vfs_new(&budget);
    REQUIRE(fs);
    vfs_node_t *tmp, *f;
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    REQUIRE(create_str(fs, tmp, "f", &f) == VFS_OK);
    REQUIRE(write_str(fs, f, 0, "kept") == VFS_OK);
    uint64_t base = NODE_COST(3);
    vfs_ref(f);
    vfs_ref(f);
    CHECK_EQ_INT(vfs_unlink(fs, tmp, "f", 1), VFS_OK);
    CHECK(!vfs_linked(f));
    CHECK_EQ_INT(vfs_nlink(f), 0);
    CHECK(vfs_parent(f) == NULL);
    CHECK(vfs_child(tmp, "f", 1) == NULL);
    CHECK(content_is(f, "kept", 4));
    CHECK_EQ_INT(write_str(fs, f, 4, "!"), VFS_OK);   /* still usable through the handle */
    CHECK(content_is(f, "kept!", 5));
    CHECK_EQ_INT(vfs_bytes(fs), base + NODE_COST(1) + 5);
    /* a new file may take the name meanwhile */
    CHECK_EQ_INT(create_str(fs, tmp, "f", NULL), VFS_OK);
    CHECK_EQ_INT(vfs_unlink(fs, tmp, "f", 1), VFS_OK);
    vfs_unref(fs, f);
    CHECK(content_is(f, "kept!", 5));
    CHECK_EQ_INT(vfs_bytes(fs), base + NODE_COST(1) + 5);
    vfs_unref(fs, f);                                /* last reference: freed */
    CHECK_EQ_INT(vfs_bytes(fs), base);
    CHECK_EQ_INT(budget.used, base);

    /* a referenced linked node is not freed by vfs_unref */
    REQUIRE(create_str(fs, tmp, "g", &f) == VFS_OK);
    vfs_ref(f);
    vfs_unref(fs, f);
    CHECK(vfs_child(tmp, "g", 1) == f);
    CHECK(vfs_linked(f));
    vfs_free(fs);
    CHECK_EQ_INT(budget.used, 0);
}

TEST(test_unlinked_open_dir) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *tmp, *d, *n;
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    REQUIRE(mkdir_str(fs, tmp, "d", &d) == VFS_OK);
    vfs_ref(d);
    CHECK_EQ_INT(vfs_rmdir(fs, tmp, "d", 1), VFS_OK);
    CHECK(!vfs_linked(d));
    CHECK_EQ_INT(create_str(fs, d, "x", NULL), VFS_ENOENT);
    CHECK_EQ_INT(mkdir_str(fs, d, "x", NULL), VFS_ENOENT);
    CHECK_EQ_INT(vfs_rename(fs, tmp, "q", 1, d, "q", 1), VFS_ENOENT);
    CHECK_EQ_INT(lookup_rc(fs, d, "..", &n), VFS_ENOENT);
    CHECK(lookup_rc(fs, d, ".", &n) == VFS_OK && n == d);
    const char *name;
    size_t nlen;
    CHECK_EQ_INT(vfs_lookup_parent(fs, d, "..", 2, &n, &name, &nlen), VFS_EINVAL); /* not ENOENT */
    CHECK_EQ_INT(lookup_rc(fs, d, "x", &n), VFS_ENOENT);
    vfs_unref(fs, d);
    CHECK_EQ_INT(vfs_bytes(fs), NODE_COST(3));
    vfs_free(fs);
}

TEST(test_free_with_references) {
    budget_t budget;
    budget_init(&budget, UINT64_MAX);
    vfs_t *fs = vfs_new(&budget);
    REQUIRE(fs);
    vfs_node_t *tmp, *f, *g;
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    REQUIRE(create_str(fs, tmp, "f", &f) == VFS_OK);
    REQUIRE(create_str(fs, tmp, "g", &g) == VFS_OK);
    REQUIRE(write_str(fs, f, 0, "data") == VFS_OK);
    vfs_ref(f);
    vfs_ref(g);
    REQUIRE(vfs_unlink(fs, tmp, "f", 1) == VFS_OK);
    vfs_free(fs);            /* frees the open orphan and the open linked node */
    CHECK_EQ_INT(budget.used, 0);
}

/* ---- rename, rmdir ---- */

TEST(test_rename) {
    budget_t budget;
    budget_init(&budget, UINT64_MAX);
    vfs_t *fs = vfs_new(&budget);
    REQUIRE(fs);
    vfs_node_t *tmp, *a, *b, *f, *g, *d1, *d2, *sub, *n;
    REQUIRE(vfs_mkdir_p(fs, "/tmp/a", true, &a) == VFS_OK);
    tmp = vfs_parent(a);
    REQUIRE(vfs_mkdir_p(fs, "/tmp/b", true, &b) == VFS_OK);
    REQUIRE(create_str(fs, a, "f", &f) == VFS_OK);
    REQUIRE(create_str(fs, b, "g", &g) == VFS_OK);
    REQUIRE(write_str(fs, f, 0, "FFF") == VFS_OK);
    REQUIRE(write_str(fs, g, 0, "GGGGG") == VFS_OK);
    uint64_t ino_f = vfs_ino(f);

    /* file over file: the target is replaced and its bytes released */
    uint64_t before = vfs_bytes(fs);
    CHECK_EQ_INT(vfs_rename(fs, a, "f", 1, b, "g", 1), VFS_OK);
    CHECK(lookup(fs, "/tmp/b/g") == f);
    CHECK_EQ_INT(vfs_ino(f), ino_f);
    CHECK(vfs_parent(f) == b);
    CHECK(vfs_child(a, "f", 1) == NULL);
    CHECK_EQ_INT(vfs_dir_count(a), 0);
    CHECK_EQ_INT(vfs_dir_count(b), 1);
    CHECK(content_is(f, "FFF", 3));
    CHECK_EQ_INT(vfs_bytes(fs), before - NODE_COST(1) - 5);

    /* renaming onto itself does nothing */
    CHECK_EQ_INT(vfs_rename(fs, b, "g", 1, b, "g", 1), VFS_OK);
    CHECK(lookup(fs, "/tmp/b/g") == f);
    CHECK_EQ_INT(vfs_dir_count(b), 1);

    /* a longer name is charged, a shorter one released */
    before = vfs_bytes(fs);
    CHECK_EQ_INT(vfs_rename(fs, b, "g", 1, b, "longer", 6), VFS_OK);
    CHECK_EQ_INT(vfs_bytes(fs), before + 5);
    size_t len;
    CHECK_STR(vfs_name(f, &len), "longer");
    CHECK_EQ_INT(len, 6);
    CHECK(vfs_child(b, "g", 1) == NULL);
    budget.limit = budget.used + 2;
    CHECK_EQ_INT(vfs_rename(fs, b, "longer", 6, b, "longer_still", 12), VFS_ENOSPC);
    CHECK(vfs_child(b, "longer", 6) == f);
    CHECK_EQ_INT(vfs_bytes(fs), before + 5);
    CHECK_EQ_INT(vfs_rename(fs, b, "longer", 6, b, "s", 1), VFS_OK);
    CHECK_EQ_INT(vfs_bytes(fs), before);
    budget.limit = UINT64_MAX;

    /* directories */
    REQUIRE(mkdir_str(fs, tmp, "d1", &d1) == VFS_OK);
    REQUIRE(mkdir_str(fs, tmp, "d2", &d2) == VFS_OK);
    REQUIRE(mkdir_str(fs, d1, "sub", &sub) == VFS_OK);
    REQUIRE(create_str(fs, d2, "x", NULL) == VFS_OK);
    CHECK_EQ_INT(vfs_rename(fs, tmp, "d1", 2, tmp, "d2", 2), VFS_ENOTEMPTY);
    CHECK_EQ_INT(vfs_rename(fs, b, "s", 1, tmp, "d1", 2), VFS_EISDIR);
    CHECK_EQ_INT(vfs_rename(fs, tmp, "d1", 2, b, "s", 1), VFS_ENOTDIR);
    CHECK_EQ_INT(vfs_rename(fs, tmp, "d1", 2, sub, "in", 2), VFS_EINVAL);  /* own subtree */
    CHECK_EQ_INT(vfs_rename(fs, tmp, "d1", 2, d1, "in", 2), VFS_EINVAL);   /* into itself */
    CHECK_EQ_INT(vfs_rename(fs, tmp, "nope", 4, b, "z", 1), VFS_ENOENT);
    CHECK_EQ_INT(vfs_rename(fs, tmp, ".", 1, b, "z", 1), VFS_EINVAL);
    CHECK(vfs_parent(d1) == tmp && vfs_parent(sub) == d1);

    /* a directory replaces an empty directory; the replaced one is freed */
    REQUIRE(vfs_unlink(fs, d2, "x", 1) == VFS_OK);
    before = vfs_bytes(fs);
    CHECK_EQ_INT(vfs_rename(fs, tmp, "d1", 2, tmp, "d2", 2), VFS_OK);
    CHECK(lookup(fs, "/tmp/d2/sub") == sub);
    CHECK(lookup(fs, "/tmp/d1") == NULL);
    CHECK_EQ_INT(vfs_bytes(fs), before - NODE_COST(2));
    /* move a directory to another parent: ".." follows */
    CHECK_EQ_INT(vfs_rename(fs, d1, "sub", 3, a, "moved", 5), VFS_OK);
    CHECK(vfs_parent(sub) == a);
    CHECK(lookup_rc(fs, sub, "..", &n) == VFS_OK && n == a);
    CHECK(lookup(fs, "/tmp/a/moved") == sub);
    vfs_free(fs);
    CHECK_EQ_INT(budget.used, 0);
}

TEST(test_rename_replaces_open_file) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *tmp, *f, *g;
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    REQUIRE(create_str(fs, tmp, "f", &f) == VFS_OK);
    REQUIRE(create_str(fs, tmp, "g", &g) == VFS_OK);
    REQUIRE(write_str(fs, g, 0, "old") == VFS_OK);
    vfs_ref(g);
    CHECK_EQ_INT(vfs_rename(fs, tmp, "f", 1, tmp, "g", 1), VFS_OK);
    CHECK(!vfs_linked(g));
    CHECK(content_is(g, "old", 3));
    CHECK(vfs_child(tmp, "g", 1) == f);
    CHECK_EQ_INT(vfs_dir_count(tmp), 1);
    vfs_unref(fs, g);
    CHECK_EQ_INT(vfs_bytes(fs), NODE_COST(3) + NODE_COST(1));
    vfs_free(fs);
}

TEST(test_rmdir) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *tmp, *d;
    REQUIRE(vfs_mkdir_p(fs, "/tmp/d", true, &d) == VFS_OK);
    tmp = vfs_parent(d);
    REQUIRE(create_str(fs, d, "f", NULL) == VFS_OK);
    REQUIRE(create_str(fs, tmp, "file", NULL) == VFS_OK);
    CHECK_EQ_INT(vfs_rmdir(fs, tmp, "d", 1), VFS_ENOTEMPTY);
    CHECK_EQ_INT(vfs_rmdir(fs, tmp, "file", 4), VFS_ENOTDIR);
    CHECK_EQ_INT(vfs_rmdir(fs, tmp, "nope", 4), VFS_ENOENT);
    CHECK_EQ_INT(vfs_unlink(fs, tmp, "d", 1), VFS_EISDIR);
    CHECK_EQ_INT(vfs_unlink(fs, d, "f", 1), VFS_OK);
    CHECK_EQ_INT(vfs_rmdir(fs, tmp, "d", 1), VFS_OK);
    CHECK(vfs_child(tmp, "d", 1) == NULL);
    CHECK_EQ_INT(vfs_dir_count(tmp), 1);
    vfs_free(fs);
}

/* ---- directory order ---- */

/* names_are: the entry names of dir, in order, joined by ','. */
static int names_are(const vfs_node_t *dir, const char *want) {
    char got[256] = "";
    size_t used = 0;
    const char *name;
    size_t len;
    for (size_t i = 0; vfs_dir_entry(dir, i, &name, &len); i++) {
        if (used + len + 2 > sizeof got) return 0;
        if (i) got[used++] = ',';
        memcpy(got + used, name, len);
        used += len;
        got[used] = 0;
    }
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "  entries \"%s\", expected \"%s\"\n", got, want);
        return 0;
    }
    return 1;
}

TEST(test_dir_order) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *tmp, *c;
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    REQUIRE(create_str(fs, tmp, "a", NULL) == VFS_OK);
    REQUIRE(mkdir_str(fs, tmp, "b", NULL) == VFS_OK);
    REQUIRE(create_str(fs, tmp, "c", &c) == VFS_OK);
    REQUIRE(create_str(fs, tmp, "d", NULL) == VFS_OK);
    CHECK(names_are(tmp, "a,b,c,d"));
    CHECK_EQ_INT(vfs_rmdir(fs, tmp, "b", 1), VFS_OK);
    CHECK(names_are(tmp, "a,c,d"));
    CHECK_EQ_INT(vfs_dir_count(tmp), 3);
    const char *name = "unchanged";
    CHECK(vfs_dir_entry(tmp, 1, &name, NULL) == c);
    CHECK_STR(name, "c");
    CHECK(vfs_dir_entry(tmp, 3, &name, NULL) == NULL);
    CHECK(vfs_dir_entry(tmp, SIZE_MAX, NULL, NULL) == NULL);
    REQUIRE(create_str(fs, tmp, "e", NULL) == VFS_OK);
    CHECK(names_are(tmp, "a,c,d,e"));
    CHECK_EQ_INT(vfs_rename(fs, tmp, "c", 1, tmp, "z", 1), VFS_OK); /* keeps its place */
    CHECK(names_are(tmp, "a,z,d,e"));
    CHECK_EQ_INT(vfs_rename(fs, tmp, "a", 1, tmp, "e", 1), VFS_OK); /* target leaves */
    CHECK(names_are(tmp, "e,z,d"));
    CHECK_EQ_INT(vfs_unlink(fs, tmp, "e", 1), VFS_OK);
    CHECK(names_are(tmp, "z,d"));
    CHECK(vfs_child(tmp, "z", 1) == c);
    vfs_free(fs);
}

/* rng_next: xorshift64, a fixed sequence for reproducible tests. */
static uint64_t rng_next(uint64_t *state) {
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* Random creates, unlinks and renames in one directory compared with a
 * plain array model of the expected entry order. */
TEST(test_dir_order_model) {
    enum { OPS = 20000, NAMES = 300 };
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *tmp;
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    int model[NAMES];     /* name numbers in expected order */
    size_t count = 0;
    uint64_t rng = 0x243f6a8885a308d3u;
    int mismatches = 0;
    char name[16], name2[16];
    for (int op = 0; op < OPS; op++) {
        int id = (int)(rng_next(&rng) % NAMES);
        int len = snprintf(name, sizeof name, "n%d", id);
        size_t at = 0;
        while (at < count && model[at] != id) at++;
        bool exists = at < count;
        unsigned kind = (unsigned)(rng_next(&rng) % 3);
        if (!exists) {
            REQUIRE(vfs_create_file(fs, tmp, name, (size_t)len, NULL) == VFS_OK);
            model[count++] = id;
        } else if (kind < 2) {
            REQUIRE(vfs_unlink(fs, tmp, name, (size_t)len) == VFS_OK);
            memmove(&model[at], &model[at + 1], (count - at - 1) * sizeof *model);
            count--;
        } else {
            /* rename in place onto a name that may exist (that entry leaves) */
            int id2 = (int)(rng_next(&rng) % NAMES);
            int len2 = snprintf(name2, sizeof name2, "n%d", id2);
            REQUIRE(vfs_rename(fs, tmp, name, (size_t)len, tmp, name2, (size_t)len2) == VFS_OK);
            if (id2 != id) {
                size_t at2 = 0;
                while (at2 < count && model[at2] != id2) at2++;
                model[at] = id2;
                if (at2 < count) {
                    memmove(&model[at2], &model[at2 + 1], (count - at2 - 1) * sizeof *model);
                    count--;
                }
            }
        }
        if (vfs_dir_count(tmp) != count) mismatches++;
        if (op % 50 != 0) continue;
        for (size_t i = 0; i < count; i++) {
            const char *got = NULL;
            size_t got_len = 0;
            len = snprintf(name, sizeof name, "n%d", model[i]);
            vfs_dir_entry(tmp, i, &got, &got_len);
            if (!got || got_len != (size_t)len || memcmp(got, name, got_len) != 0) mismatches++;
        }
        if (vfs_dir_entry(tmp, count, NULL, NULL) != NULL) mismatches++;
    }
    CHECK_EQ_INT(mismatches, 0);
    uint64_t expected = NODE_COST(3);
    for (size_t i = 0; i < count; i++)
        expected += NODE_COST(snprintf(name, sizeof name, "n%d", model[i]));
    CHECK_EQ_INT(vfs_bytes(fs), expected);
    vfs_clear_dir(fs, tmp);
    CHECK_EQ_INT(vfs_bytes(fs), NODE_COST(3));
    vfs_free(fs);
}

/* ---- borrowed bytes, take ---- */

TEST(test_put_borrowed) {
    static const uint8_t content[] = "the content bytes";
    static const uint8_t other[] = "replacement";
    budget_t budget;
    budget_init(&budget, UINT64_MAX);
    vfs_t *fs = vfs_new(&budget);
    REQUIRE(fs);
    vfs_node_t *f, *g, *tmp;
    REQUIRE(vfs_put_borrowed(fs, "/data.bin", content, 17, &f) == VFS_OK);
    CHECK(vfs_file_data(f) == content);                 /* zero-copy */
    CHECK_EQ_INT(vfs_size(f), 17);
    CHECK(!vfs_writable(f));
    CHECK(vfs_parent(f) == vfs_root(fs));
    CHECK(lookup(fs, "/data.bin") == f);
    CHECK(content_is(f, content, 17));
    CHECK_EQ_INT(vfs_bytes(fs), NODE_COST(8));          /* the bytes are not charged */
    CHECK_EQ_INT(vfs_write(fs, f, 0, "x", 1), VFS_EROFS);
    CHECK_EQ_INT(vfs_write(fs, f, 17, "x", 1), VFS_EROFS);
    CHECK_EQ_INT(vfs_truncate(fs, f, 0), VFS_EROFS);
    CHECK(content_is(f, content, 17));

    /* replacing keeps the node and its number */
    uint64_t ino = vfs_ino(f);
    REQUIRE(vfs_put_borrowed(fs, "/data.bin", other, 11, &g) == VFS_OK);
    CHECK(g == f);
    CHECK_EQ_INT(vfs_ino(g), ino);
    CHECK(vfs_file_data(f) == other);
    CHECK_EQ_INT(vfs_size(f), 11);
    CHECK_EQ_INT(vfs_dir_count(vfs_root(fs)), 1);
    REQUIRE(vfs_put_borrowed(fs, "/data.bin", NULL, 0, NULL) == VFS_OK);
    CHECK_EQ_INT(vfs_size(f), 0);
    CHECK(vfs_file_data(f) == NULL);

    /* parents are made read-only; a directory in the way is EISDIR */
    REQUIRE(vfs_put_borrowed(fs, "/emb/x/y.txt", content, 3, &g) == VFS_OK);
    CHECK(lookup(fs, "/emb/x/y.txt") == g);
    CHECK(!vfs_writable(lookup(fs, "/emb")));
    CHECK(!vfs_writable(lookup(fs, "/emb/x")));
    CHECK_EQ_INT(vfs_put_borrowed(fs, "/emb/x", content, 3, NULL), VFS_EISDIR);
    CHECK_EQ_INT(vfs_put_borrowed(fs, "/emb/x/", content, 3, NULL), VFS_EINVAL);
    CHECK_EQ_INT(vfs_put_borrowed(fs, "relative", content, 3, NULL), VFS_EINVAL);
    CHECK_EQ_INT(vfs_put_borrowed(fs, "/emb/x/y.txt/z", content, 3, NULL), VFS_ENOTDIR);

    /* an owned file replaced by borrowed bytes releases its data */
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    REQUIRE(create_str(fs, tmp, "own", &g) == VFS_OK);
    REQUIRE(write_str(fs, g, 0, "owned data") == VFS_OK);
    uint64_t before = vfs_bytes(fs);
    REQUIRE(vfs_put_borrowed(fs, "/tmp/own", content, 5, NULL) == VFS_OK);
    CHECK_EQ_INT(vfs_bytes(fs), before - 10);
    CHECK(vfs_file_data(g) == content);
    CHECK(!vfs_writable(g));
    CHECK_EQ_INT(vfs_write(fs, g, 0, "x", 1), VFS_EROFS);
    vfs_free(fs);
    CHECK_EQ_INT(budget.used, 0);
}

TEST(test_take) {
    static const uint8_t content[] = "borrowed!";
    budget_t budget;
    budget_init(&budget, UINT64_MAX);
    vfs_t *fs = vfs_new(&budget);
    REQUIRE(fs);
    vfs_node_t *tmp, *f, *b;
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    REQUIRE(create_str(fs, tmp, "f", &f) == VFS_OK);
    char data[63];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (char)('A' + i % 26);
    REQUIRE(vfs_write(fs, f, 0, data, sizeof data) == VFS_OK);
    const uint8_t *view = vfs_file_data(f);
    uint64_t before = vfs_bytes(fs);
    uint8_t *out = NULL;
    size_t len = 0;
    CHECK_EQ_INT(vfs_take(fs, f, &out, &len), VFS_OK);
    CHECK(out == view);                        /* moved, not copied */
    CHECK_EQ_INT(len, sizeof data);
    CHECK(out && memcmp(out, data, sizeof data) == 0);
    CHECK_EQ_INT(vfs_size(f), 0);
    CHECK(vfs_file_data(f) == NULL);
    CHECK_EQ_INT(vfs_bytes(fs), before - sizeof data);
    CHECK_EQ_INT(budget.used, before - sizeof data);
    free(out);
    /* the file stays usable */
    CHECK_EQ_INT(write_str(fs, f, 0, "again"), VFS_OK);
    CHECK(content_is(f, "again", 5));

    /* an empty file gives NULL, 0 */
    REQUIRE(create_str(fs, tmp, "empty", &f) == VFS_OK);
    out = (uint8_t *)1;
    len = 7;
    CHECK_EQ_INT(vfs_take(fs, f, &out, &len), VFS_OK);
    CHECK(out == NULL);
    CHECK_EQ_INT(len, 0);

    /* borrowed bytes are copied, the borrowed buffer is untouched */
    REQUIRE(vfs_put_borrowed(fs, "/in", content, 9, &b) == VFS_OK);
    before = vfs_bytes(fs);
    CHECK_EQ_INT(vfs_take(fs, b, &out, &len), VFS_OK);
    CHECK(out != NULL && out != content);
    CHECK_EQ_INT(len, 9);
    CHECK(out && memcmp(out, "borrowed!", 9) == 0);
    CHECK_EQ_INT(vfs_size(b), 0);
    CHECK_EQ_INT(vfs_bytes(fs), before);
    CHECK(memcmp(content, "borrowed!", 9) == 0);
    free(out);

    CHECK_EQ_INT(vfs_take(fs, tmp, &out, &len), VFS_EISDIR);
    vfs_free(fs);
    CHECK_EQ_INT(budget.used, 0);
}

/* ---- clearing ---- */

TEST(test_clear_dir) {
    budget_t budget;
    budget_init(&budget, UINT64_MAX);
    vfs_t *fs = vfs_new(&budget);
    REQUIRE(fs);
    vfs_node_t *meta, *a, *b, *open_file, *open_dir, *closed;
    REQUIRE(vfs_mkdir_p(fs, "/metadata", true, &meta) == VFS_OK);
    uint64_t base = vfs_bytes(fs);
    REQUIRE(vfs_mkdir_p(fs, "/metadata/a/b", true, &b) == VFS_OK);
    a = vfs_parent(b);
    REQUIRE(create_str(fs, b, "open", &open_file) == VFS_OK);
    REQUIRE(write_str(fs, open_file, 0, "12345") == VFS_OK);
    REQUIRE(create_str(fs, b, "closed", &closed) == VFS_OK);
    REQUIRE(write_str(fs, closed, 0, "gone") == VFS_OK);
    REQUIRE(mkdir_str(fs, a, "od", &open_dir) == VFS_OK);
    REQUIRE(create_str(fs, open_dir, "inner", NULL) == VFS_OK);
    REQUIRE(create_str(fs, meta, "top.json", NULL) == VFS_OK);
    vfs_ref(open_file);
    vfs_ref(open_dir);

    vfs_clear_dir(fs, meta);
    CHECK_EQ_INT(vfs_dir_count(meta), 0);
    CHECK(vfs_linked(meta));
    CHECK(lookup(fs, "/metadata/a") == NULL);
    CHECK(!vfs_linked(open_file));
    CHECK(!vfs_linked(open_dir));
    CHECK_EQ_INT(vfs_dir_count(open_dir), 0);    /* emptied before being unlinked */
    CHECK(content_is(open_file, "12345", 5));
    CHECK_EQ_INT(vfs_bytes(fs), base + NODE_COST(4) + 5 + NODE_COST(2));
    vfs_unref(fs, open_file);
    vfs_unref(fs, open_dir);
    CHECK_EQ_INT(vfs_bytes(fs), base);
    CHECK_EQ_INT(budget.used, base);
    /* the directory is usable again */
    CHECK_EQ_INT(create_str(fs, meta, "a", NULL), VFS_OK);
    CHECK_EQ_INT(vfs_dir_count(meta), 1);
    vfs_free(fs);
    CHECK_EQ_INT(budget.used, 0);
}

TEST(test_clear_deep_tree) {
    enum { DEPTH = 100000 };
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *tmp, *cur;
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    cur = tmp;
    for (int i = 0; i < DEPTH; i++) {
        vfs_node_t *next;
        REQUIRE(mkdir_str(fs, cur, "d", &next) == VFS_OK);
        REQUIRE(create_str(fs, cur, "f", NULL) == VFS_OK);
        cur = next;
    }
    CHECK_EQ_INT(vfs_bytes(fs), NODE_COST(3) + (uint64_t)DEPTH * 2 * NODE_COST(1));
    /* renaming the top into the bottom is caught without recursion */
    CHECK_EQ_INT(vfs_rename(fs, tmp, "d", 1, cur, "loop", 4), VFS_EINVAL);
    vfs_clear_dir(fs, tmp);                   /* iterative: no stack overflow */
    CHECK_EQ_INT(vfs_dir_count(tmp), 0);
    CHECK_EQ_INT(vfs_bytes(fs), NODE_COST(3));
    vfs_free(fs);
}

/* ---- scale ---- */

TEST(test_large_directory) {
    enum { COUNT = 100000 };
    budget_t budget;
    budget_init(&budget, UINT64_MAX);
    vfs_t *fs = vfs_new(&budget);
    REQUIRE(fs);
    vfs_node_t *tmp;
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    double start = now_seconds();
    char name[32];
    uint64_t name_bytes = 0;
    for (int i = 0; i < COUNT; i++) {
        int len = snprintf(name, sizeof name, "entry-%d", i);
        REQUIRE(vfs_create_file(fs, tmp, name, (size_t)len, NULL) == VFS_OK);
        name_bytes += (uint64_t)len;
    }
    CHECK_EQ_INT(vfs_dir_count(tmp), COUNT);
    CHECK_EQ_INT(vfs_bytes(fs), NODE_COST(3) + (uint64_t)COUNT * VFS_NODE_OVERHEAD + name_bytes);
    int found = 0, ordered = 0;
    for (int i = 0; i < COUNT; i++) {
        int len = snprintf(name, sizeof name, "entry-%d", i);
        vfs_node_t *n = vfs_child(tmp, name, (size_t)len);
        found += n != NULL;
        ordered += n != NULL && vfs_dir_entry(tmp, (size_t)i, NULL, NULL) == n;
    }
    CHECK_EQ_INT(found, COUNT);
    CHECK_EQ_INT(ordered, COUNT);
    CHECK(vfs_child(tmp, "entry-100000", 12) == NULL);
    vfs_node_t *n;
    CHECK(lookup_rc(fs, NULL, "/tmp/entry-54321", &n) == VFS_OK && n != NULL);
    CHECK_EQ_INT(vfs_create_file(fs, tmp, "entry-777", 9, NULL), VFS_EEXIST);
    /* remove every other entry from the back; the rest stay reachable */
    for (int i = COUNT - 1; i >= 0; i -= 2) {
        int len = snprintf(name, sizeof name, "entry-%d", i);
        REQUIRE(vfs_unlink(fs, tmp, name, (size_t)len) == VFS_OK);
    }
    found = 0;
    for (int i = 0; i < COUNT; i++) {
        int len = snprintf(name, sizeof name, "entry-%d", i);
        found += (vfs_child(tmp, name, (size_t)len) != NULL) == (i % 2 == 0);
    }
    CHECK_EQ_INT(found, COUNT);
    CHECK_EQ_INT(vfs_dir_count(tmp), COUNT / 2);
    /* the survivors keep their order: entry number i is "entry-<2i>" */
    ordered = 0;
    for (int i = 0; i < COUNT / 2; i++) {
        int len = snprintf(name, sizeof name, "entry-%d", 2 * i);
        const char *got = NULL;
        size_t got_len = 0;
        vfs_dir_entry(tmp, (size_t)i, &got, &got_len);
        ordered += got && got_len == (size_t)len && memcmp(got, name, got_len) == 0;
    }
    CHECK_EQ_INT(ordered, COUNT / 2);
    /* delete the rest in directory order, as "rm -r" does */
    for (int i = 0; i < COUNT / 2; i++) {
        const char *got;
        size_t got_len;
        REQUIRE(vfs_dir_entry(tmp, 0, &got, &got_len) != NULL);
        int len = snprintf(name, sizeof name, "entry-%d", 2 * i);
        CHECK(got_len == (size_t)len && memcmp(got, name, got_len) == 0);
        REQUIRE(vfs_unlink(fs, tmp, got, got_len) == VFS_OK);
    }
    CHECK_EQ_INT(vfs_dir_count(tmp), 0);
    CHECK_EQ_INT(vfs_bytes(fs), NODE_COST(3));
    double elapsed = now_seconds() - start;
    fprintf(stderr, "  100000 entries: %.3f s\n", elapsed);
    CHECK(elapsed < 5.0);          /* linear lookups or removals would take far longer */
    vfs_free(fs);
    CHECK_EQ_INT(budget.used, 0);
}

/* Sequence numbers resume a listing correctly after removals (readdir). */
TEST(test_dir_seq_survives_removal) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *dir;
    REQUIRE(vfs_mkdir_p(fs, "/d", true, &dir) == 0);
    char name[16];
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof name, "f%d", i);
        REQUIRE(vfs_create_file(fs, dir, name, strlen(name), NULL) == 0);
    }
    vfs_node_t *e3 = vfs_dir_entry(dir, 3, NULL, NULL);
    REQUIRE(e3);
    uint64_t resume = vfs_dir_seq(e3) + 1; /* a listing stopped after f3 */
    CHECK(vfs_dir_seq(vfs_dir_entry(dir, 0, NULL, NULL)) < vfs_dir_seq(e3));
    /* remove f0..f3 (already listed) and f5 (not yet listed) */
    static const char *const gone[] = {"f0", "f1", "f2", "f3", "f5"};
    for (size_t i = 0; i < 5; i++) REQUIRE(vfs_unlink(fs, dir, gone[i], 2) == 0);
    size_t idx = vfs_dir_index_from_seq(dir, resume);
    const char *n;
    size_t len;
    REQUIRE(vfs_dir_entry(dir, idx, &n, &len) != NULL);
    CHECK(len == 2 && memcmp(n, "f4", 2) == 0);
    CHECK_EQ_INT(vfs_dir_count(dir) - idx, 5); /* f4 f6 f7 f8 f9 */
    CHECK_EQ_INT(vfs_dir_index_from_seq(dir, UINT64_MAX), vfs_dir_count(dir));
    CHECK_EQ_INT(vfs_dir_index_from_seq(dir, 0), 0);
    vfs_free(fs);
}

/* Renaming back and forth inside one directory used to fill its hash index
 * with tombstones until a lookup probed for ever. */
TEST(test_rename_churn_in_one_dir) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *dir;
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &dir) == VFS_OK);
    char a[32], b[32];
    for (int k = 0; k < 8; k++) {
        snprintf(a, sizeof a, "keep%d", k);
        REQUIRE(create_str(fs, dir, a, NULL) == VFS_OK);
    }
    REQUIRE(create_str(fs, dir, "f0", NULL) == VFS_OK);
    double t0 = now_seconds();
    for (int i = 0; i < 20000; i++) {
        snprintf(a, sizeof a, "f%d", i);
        snprintf(b, sizeof b, "f%d", i + 1);
        REQUIRE(vfs_rename(fs, dir, a, strlen(a), dir, b, strlen(b)) == VFS_OK);
        REQUIRE(vfs_child(dir, b, strlen(b)) != NULL);
        REQUIRE(vfs_child(dir, a, strlen(a)) == NULL);
        REQUIRE(vfs_child(dir, "missing", 7) == NULL);
    }
    CHECK(now_seconds() - t0 < 5.0);
    CHECK_EQ_INT(vfs_dir_count(dir), 9);
    CHECK(vfs_child(dir, "keep7", 5) != NULL);
    vfs_free(fs);
}

/* ---- symbolic links ---- */

static int symlink_str(vfs_t *fs, vfs_node_t *dir, const char *name, const char *target, vfs_node_t **out) {
    return vfs_symlink(fs, dir, name, strlen(name), target, strlen(target), out);
}

/* resolve_str: vfs_resolve of a C-string path. */
static int resolve_str(vfs_t *fs, vfs_node_t *start, const char *path, unsigned flags, vfs_where_t *w) {
    return vfs_resolve(fs, start, path, strlen(path), flags, w);
}

/* found: the node a resolution reached (NULL on error or if missing). */
static vfs_node_t *found(vfs_t *fs, vfs_node_t *start, const char *path, unsigned flags) {
    vfs_where_t w;
    return resolve_str(fs, start, path, flags, &w) == VFS_OK ? w.node : NULL;
}

TEST(test_symlink_nodes) {
    budget_t budget;
    budget_init(&budget, UINT64_MAX);
    vfs_t *fs = vfs_new(&budget);
    REQUIRE(fs);
    vfs_node_t *tmp, *l, *f;
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    uint64_t base = vfs_bytes(fs);
    REQUIRE(symlink_str(fs, tmp, "link", "some/target", &l) == VFS_OK);
    CHECK_EQ_INT(vfs_kind(l), VFS_SYMLINK);
    CHECK_EQ_INT(vfs_size(l), 11);
    CHECK_EQ_INT(vfs_nlink(l), 1);
    CHECK(vfs_parent(l) == tmp && vfs_child(tmp, "link", 4) == l);
    CHECK_EQ_INT(vfs_bytes(fs), base + NODE_COST(4) + 11);  /* the target is charged like a name */
    const char *target = NULL;
    size_t tlen = 0;
    CHECK_EQ_INT(vfs_readlink(l, &target, &tlen), VFS_OK);
    CHECK(tlen == 11 && memcmp(target, "some/target", 11) == 0);
    REQUIRE(create_str(fs, tmp, "f", &f) == VFS_OK);
    CHECK_EQ_INT(vfs_readlink(f, &target, &tlen), VFS_EINVAL);
    CHECK_EQ_INT(vfs_readlink(tmp, &target, &tlen), VFS_EINVAL);

    /* errors: taken name, bad targets, read-only directory */
    CHECK_EQ_INT(symlink_str(fs, tmp, "link", "x", NULL), VFS_EEXIST);
    CHECK_EQ_INT(symlink_str(fs, tmp, "f", "x", NULL), VFS_EEXIST);
    CHECK_EQ_INT(symlink_str(fs, tmp, "e", "", NULL), VFS_ENOENT);
    CHECK_EQ_INT(vfs_symlink(fs, tmp, "n", 1, "a\0b", 3, NULL), VFS_EINVAL);
    char *big = malloc(VFS_SYMLINK_MAX + 1);
    REQUIRE(big);
    memset(big, 'a', VFS_SYMLINK_MAX + 1);
    CHECK_EQ_INT(vfs_symlink(fs, tmp, "big", 3, big, VFS_SYMLINK_MAX + 1, NULL), VFS_ENAMETOOLONG);
    CHECK_EQ_INT(vfs_symlink(fs, tmp, "big", 3, big, VFS_SYMLINK_MAX, NULL), VFS_OK);
    free(big);
    CHECK_EQ_INT(symlink_str(fs, vfs_root(fs), "r", "x", NULL), VFS_EROFS);
    CHECK_EQ_INT(symlink_str(fs, tmp, "a/b", "x", NULL), VFS_EINVAL);

    /* data calls refuse links; unlink removes the link, rmdir refuses it */
    char buf[4];
    size_t n;
    uint8_t *data;
    CHECK_EQ_INT(vfs_read(l, 0, buf, sizeof buf, &n), VFS_EINVAL);
    CHECK_EQ_INT(vfs_write(fs, l, 0, "x", 1), VFS_EINVAL);
    CHECK_EQ_INT(vfs_truncate(fs, l, 0), VFS_EINVAL);
    CHECK_EQ_INT(vfs_take(fs, l, &data, &n), VFS_EINVAL);
    CHECK(vfs_file_data(l) == NULL);
    CHECK_EQ_INT(vfs_rmdir(fs, tmp, "link", 4), VFS_ENOTDIR);
    CHECK_EQ_INT(vfs_rename(fs, tmp, "link", 4, tmp, "renamed", 7), VFS_OK);
    CHECK(vfs_child(tmp, "renamed", 7) == l);
    CHECK_EQ_INT(vfs_rename(fs, tmp, "renamed", 7, tmp, "f", 1), VFS_OK); /* a link replaces a file */
    CHECK(vfs_child(tmp, "f", 1) == l);
    REQUIRE(mkdir_str(fs, tmp, "d", NULL) == VFS_OK);
    CHECK_EQ_INT(vfs_rename(fs, tmp, "f", 1, tmp, "d", 1), VFS_EISDIR);
    CHECK_EQ_INT(vfs_rename(fs, tmp, "d", 1, tmp, "f", 1), VFS_ENOTDIR);
    CHECK_EQ_INT(vfs_unlink(fs, tmp, "f", 1), VFS_OK);
    CHECK_EQ_INT(vfs_unlink(fs, tmp, "big", 3), VFS_OK);
    CHECK_EQ_INT(vfs_rmdir(fs, tmp, "d", 1), VFS_OK);
    CHECK_EQ_INT(vfs_bytes(fs), base);
    CHECK_EQ_INT(vfs_put_borrowed(fs, "/tmp/x", (const uint8_t *)"a", 1, NULL), VFS_OK);
    REQUIRE(symlink_str(fs, tmp, "y", "x", NULL) == VFS_OK);
    CHECK_EQ_INT(vfs_put_borrowed(fs, "/tmp/y", (const uint8_t *)"a", 1, NULL), VFS_EEXIST);
    CHECK_EQ_INT(vfs_mkdir_p(fs, "/tmp/y/z", true, NULL), VFS_ENOTDIR); /* host setup never follows links */
    vfs_free(fs);
    CHECK_EQ_INT(budget.used, 0);
}

TEST(test_resolve_follow) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *tmp, *d, *f, *l, *dl;
    REQUIRE(vfs_mkdir_p(fs, "/tmp/d", true, &d) == VFS_OK);
    tmp = vfs_parent(d);
    REQUIRE(create_str(fs, d, "f", &f) == VFS_OK);
    REQUIRE(symlink_str(fs, tmp, "fl", "d/f", &l) == VFS_OK);
    REQUIRE(symlink_str(fs, tmp, "dl", "./d/", &dl) == VFS_OK);
    REQUIRE(symlink_str(fs, d, "up", "../fl", NULL) == VFS_OK);
    vfs_where_t w;

    /* the last component: followed with VFS_FOLLOW or a trailing '/' */
    CHECK(found(fs, tmp, "fl", 0) == l);
    CHECK(found(fs, tmp, "fl", VFS_FOLLOW) == f);
    CHECK(found(fs, tmp, "dl", 0) == dl);
    CHECK(found(fs, tmp, "dl", VFS_FOLLOW) == d);
    CHECK(found(fs, tmp, "dl/", 0) == d);
    CHECK_EQ_INT(resolve_str(fs, tmp, "fl/", 0, &w), VFS_ENOTDIR);     /* followed to a file */
    /* in the middle: always followed, relative to the link's directory */
    CHECK(found(fs, tmp, "dl/f", 0) == f);
    CHECK(found(fs, tmp, "dl/up", VFS_FOLLOW) == f);                    /* d/up -> ../fl -> d/f */
    CHECK(found(fs, tmp, "dl/../fl", 0) == l);                          /* ".." of d, reached through dl */
    /* VFS_PARENT never follows the last component, even with a '/' */
    CHECK_EQ_INT(resolve_str(fs, tmp, "dl/", VFS_PARENT | VFS_FOLLOW, &w), VFS_OK);
    CHECK(w.dir == tmp && w.node == dl && w.slash && w.name_len == 2 && memcmp(w.name, "dl", 2) == 0);
    CHECK_EQ_INT(resolve_str(fs, tmp, "dl/f", VFS_PARENT, &w), VFS_OK);
    CHECK(w.dir == d && w.node == f && !w.slash);
    CHECK_EQ_INT(resolve_str(fs, tmp, "dl/.", VFS_PARENT, &w), VFS_OK);
    CHECK(w.dir == NULL && w.name == NULL && w.node == d);
    /* a missing last component, through a dangling link: where to create */
    REQUIRE(symlink_str(fs, tmp, "dangling", "d/new", NULL) == VFS_OK);
    CHECK_EQ_INT(resolve_str(fs, tmp, "dangling", VFS_FOLLOW, &w), VFS_OK);
    CHECK(w.node == NULL && w.dir == d && w.name_len == 3 && memcmp(w.name, "new", 3) == 0);
    CHECK_EQ_INT(resolve_str(fs, tmp, "dangling/x", 0, &w), VFS_ENOENT);
    CHECK_EQ_INT(resolve_str(fs, tmp, "dl//missing/", 0, &w), VFS_OK);
    CHECK(w.node == NULL && w.dir == d && w.slash);
    CHECK_EQ_INT(vfs_lookup(fs, tmp, "dangling", 8, &l), VFS_ENOENT);

    /* loops and the limit of VFS_SYMLOOP_MAX links per resolution */
    REQUIRE(symlink_str(fs, tmp, "self", "self", NULL) == VFS_OK);
    CHECK(found(fs, tmp, "self", 0) != NULL);
    CHECK_EQ_INT(resolve_str(fs, tmp, "self", VFS_FOLLOW, &w), VFS_ELOOP);
    CHECK_EQ_INT(resolve_str(fs, tmp, "self/", 0, &w), VFS_ELOOP);
    char name[16], next[16];
    REQUIRE(create_str(fs, tmp, "c0", NULL) == VFS_OK);
    for (int i = 1; i <= VFS_SYMLOOP_MAX + 1; i++) {
        snprintf(name, sizeof name, "c%d", i);
        snprintf(next, sizeof next, "c%d", i - 1);
        REQUIRE(symlink_str(fs, tmp, name, next, NULL) == VFS_OK);
    }
    snprintf(name, sizeof name, "c%d", VFS_SYMLOOP_MAX);
    CHECK(found(fs, tmp, name, VFS_FOLLOW) == vfs_child(tmp, "c0", 2));
    snprintf(name, sizeof name, "c%d", VFS_SYMLOOP_MAX + 1);
    CHECK_EQ_INT(resolve_str(fs, tmp, name, VFS_FOLLOW, &w), VFS_ELOOP);
    vfs_free(fs);
}

TEST(test_resolve_beneath) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *tmp, *d, *f, *g;
    REQUIRE(vfs_mkdir_p(fs, "/tmp/d", true, &d) == VFS_OK);
    tmp = vfs_parent(d);
    REQUIRE(create_str(fs, tmp, "f", &f) == VFS_OK);
    REQUIRE(create_str(fs, d, "g", &g) == VFS_OK);
    REQUIRE(symlink_str(fs, d, "up", "../f", NULL) == VFS_OK);
    REQUIRE(symlink_str(fs, d, "abs", "/tmp/f", NULL) == VFS_OK);
    REQUIRE(symlink_str(fs, d, "dotdot", "..", NULL) == VFS_OK);
    const unsigned B = VFS_BENEATH;
    vfs_where_t w;
    /* absolute paths, ".." above the start, links leading out: EPERM */
    CHECK_EQ_INT(resolve_str(fs, tmp, "/tmp/f", B, &w), VFS_EPERM);
    CHECK_EQ_INT(resolve_str(fs, tmp, "..", B, &w), VFS_EPERM);
    CHECK_EQ_INT(resolve_str(fs, vfs_root(fs), "..", B, &w), VFS_EPERM);
    CHECK_EQ_INT(resolve_str(fs, tmp, "d/../../tmp/f", B, &w), VFS_EPERM);
    CHECK_EQ_INT(resolve_str(fs, d, "up", B | VFS_FOLLOW, &w), VFS_EPERM);
    CHECK_EQ_INT(resolve_str(fs, d, "dotdot/f", B, &w), VFS_EPERM);
    CHECK_EQ_INT(resolve_str(fs, d, "abs", B | VFS_FOLLOW, &w), VFS_EPERM);
    CHECK_EQ_INT(resolve_str(fs, tmp, "d/abs", B | VFS_FOLLOW, &w), VFS_EPERM);
    CHECK_EQ_INT(resolve_str(fs, d, "../g", B | VFS_PARENT, &w), VFS_EPERM);
    /* inside the start: fine, links included */
    CHECK(found(fs, tmp, "d/up", B | VFS_FOLLOW) == f);
    CHECK(found(fs, tmp, "d/dotdot/d/g", B) == g);
    CHECK(found(fs, tmp, "d/..", B) == tmp);
    CHECK(found(fs, d, "up", B) != NULL);                        /* the link itself */
    CHECK(found(fs, tmp, "./d/./g", B) == g);
    /* without VFS_BENEATH (host side): from the root, the root's parent is the root */
    CHECK(found(fs, d, "abs", VFS_FOLLOW) == f);
    CHECK(found(fs, d, "/../tmp/d/../f", 0) == f);
    /* an unlinked start directory has nothing above it */
    vfs_node_t *gone;
    REQUIRE(mkdir_str(fs, tmp, "gone", &gone) == VFS_OK);
    vfs_ref(gone);
    REQUIRE(vfs_rmdir(fs, tmp, "gone", 4) == VFS_OK);
    CHECK_EQ_INT(resolve_str(fs, gone, "..", B, &w), VFS_EPERM);
    CHECK_EQ_INT(resolve_str(fs, gone, "..", 0, &w), VFS_ENOENT);
    CHECK(found(fs, gone, ".", B) == gone);
    vfs_unref(fs, gone);
    vfs_free(fs);
}

/* ---- hard links ---- */

TEST(test_hard_links) {
    budget_t budget;
    budget_init(&budget, UINT64_MAX);
    vfs_t *fs = vfs_new(&budget);
    REQUIRE(fs);
    vfs_node_t *a, *b, *f, *d;
    REQUIRE(vfs_mkdir_p(fs, "/tmp/a", true, &a) == VFS_OK);
    REQUIRE(vfs_mkdir_p(fs, "/tmp/b", true, &b) == VFS_OK);
    REQUIRE(create_str(fs, a, "first", &f) == VFS_OK);
    REQUIRE(write_str(fs, f, 0, "shared") == VFS_OK);
    uint64_t before = vfs_bytes(fs);
    CHECK_EQ_INT(vfs_link(fs, f, b, "second", 6), VFS_OK);
    CHECK_EQ_INT(vfs_bytes(fs), before + VFS_LINK_OVERHEAD + 6);
    CHECK_EQ_INT(vfs_nlink(f), 2);
    CHECK(vfs_child(a, "first", 5) == f && vfs_child(b, "second", 6) == f);
    CHECK(vfs_parent(f) == a);                                  /* the oldest entry */
    size_t len;
    CHECK_STR(vfs_name(f, &len), "first");
    CHECK(content_is(vfs_child(b, "second", 6), "shared", 6));
    REQUIRE(write_str(fs, vfs_child(b, "second", 6), 6, "!") == VFS_OK);
    CHECK(content_is(f, "shared!", 7));
    /* each entry has its own place and number in its directory */
    uint64_t seq = 99;
    const char *name;
    CHECK(vfs_dir_get(b, 0, &name, &len, &seq) == f && len == 6 && seq == 0);

    /* errors */
    CHECK_EQ_INT(vfs_link(fs, f, b, "second", 6), VFS_EEXIST);
    CHECK_EQ_INT(vfs_link(fs, f, a, "first", 5), VFS_EEXIST);
    CHECK_EQ_INT(vfs_link(fs, a, b, "dirlink", 7), VFS_EPERM);
    CHECK_EQ_INT(vfs_link(fs, f, vfs_root(fs), "x", 1), VFS_EROFS);
    CHECK_EQ_INT(vfs_link(fs, f, f, "x", 1), VFS_ENOTDIR);
    CHECK_EQ_INT(vfs_link(fs, f, b, "..", 2), VFS_EINVAL);
    REQUIRE(vfs_put_borrowed(fs, "/data.bin", (const uint8_t *)"ro", 2, &d) == VFS_OK);
    CHECK_EQ_INT(vfs_link(fs, d, b, "data", 4), VFS_EXDEV);   /* read-only content: another "device" */
    budget.limit = budget.used + VFS_LINK_OVERHEAD;             /* the name does not fit */
    CHECK_EQ_INT(vfs_link(fs, f, b, "third", 5), VFS_ENOSPC);
    CHECK(vfs_child(b, "third", 5) == NULL);
    budget.limit = UINT64_MAX;

    /* rename onto another link of the same node: nothing happens (POSIX) */
    CHECK_EQ_INT(vfs_rename(fs, a, "first", 5, b, "second", 6), VFS_OK);
    CHECK_EQ_INT(vfs_nlink(f), 2);
    CHECK(vfs_child(a, "first", 5) == f && vfs_child(b, "second", 6) == f);
    /* rename moves one entry only */
    CHECK_EQ_INT(vfs_rename(fs, b, "second", 6, a, "moved", 5), VFS_OK);
    CHECK(vfs_child(a, "moved", 5) == f && vfs_child(b, "second", 6) == NULL);
    CHECK_EQ_INT(vfs_nlink(f), 2);
    /* "!" written, "second" renamed to "moved", /data.bin made */
    CHECK_EQ_INT(vfs_bytes(fs), before + 1 + VFS_LINK_OVERHEAD + 5 + NODE_COST(8));

    /* removing the oldest entry: the node is named by the other one */
    CHECK_EQ_INT(vfs_unlink(fs, a, "first", 5), VFS_OK);
    CHECK_EQ_INT(vfs_nlink(f), 1);
    CHECK(vfs_linked(f));
    CHECK_STR(vfs_name(f, &len), "moved");
    CHECK(content_is(f, "shared!", 7));
    CHECK_EQ_INT(vfs_bytes(fs), before + 1 - 5 + VFS_LINK_OVERHEAD + 5 + NODE_COST(8));
    /* the last entry removed while referenced: kept until the last unref */
    vfs_ref(f);
    CHECK_EQ_INT(vfs_unlink(fs, a, "moved", 5), VFS_OK);
    CHECK(!vfs_linked(f) && vfs_parent(f) == NULL);
    CHECK_EQ_INT(vfs_link(fs, f, b, "again", 5), VFS_ENOENT);  /* no way back into the tree */
    CHECK(content_is(f, "shared!", 7));
    vfs_unref(fs, f);
    CHECK_EQ_INT(vfs_bytes(fs), NODE_COST(3) + 2 * NODE_COST(1) + NODE_COST(8));
    CHECK_EQ_INT(budget.used, vfs_bytes(fs));
    vfs_free(fs);
    CHECK_EQ_INT(budget.used, 0);
}

TEST(test_links_across_cleared_dirs) {
    budget_t budget;
    budget_init(&budget, UINT64_MAX);
    vfs_t *fs = vfs_new(&budget);
    REQUIRE(fs);
    vfs_node_t *tmp, *meta, *f, *l;
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    REQUIRE(vfs_mkdir_p(fs, "/metadata", true, &meta) == VFS_OK);
    uint64_t base = vfs_bytes(fs);
    REQUIRE(create_str(fs, tmp, "x.json", &f) == VFS_OK);
    REQUIRE(write_str(fs, f, 0, "{}") == VFS_OK);
    REQUIRE(vfs_link(fs, f, meta, "x.json", 6) == VFS_OK);
    REQUIRE(symlink_str(fs, meta, "l", "../tmp/x.json", &l) == VFS_OK);
    REQUIRE(vfs_link(fs, l, tmp, "l2", 2) == VFS_OK);          /* a hard link to a symlink */
    vfs_clear_dir(fs, tmp);                                     /* the other names survive */
    CHECK(vfs_child(meta, "x.json", 6) == f);
    CHECK_EQ_INT(vfs_nlink(f), 1);
    CHECK(vfs_parent(f) == meta);
    CHECK_EQ_INT(vfs_nlink(l), 1);
    CHECK(content_is(f, "{}", 2));
    uint8_t *data;
    size_t n;
    CHECK_EQ_INT(vfs_take(fs, f, &data, &n), VFS_OK);
    CHECK(n == 2 && data && memcmp(data, "{}", 2) == 0);
    free(data);
    vfs_clear_dir(fs, meta);
    CHECK_EQ_INT(vfs_bytes(fs), base);
    CHECK_EQ_INT(budget.used, base);
    vfs_free(fs);
    CHECK_EQ_INT(budget.used, 0);
}

TEST(test_legacy_lookup_with_links) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs);
    vfs_node_t *d, *f, *l, *p;
    REQUIRE(vfs_mkdir_p(fs, "/a/d", true, &d) == VFS_OK);
    REQUIRE(create_str(fs, d, "f", &f) == VFS_OK);
    REQUIRE(symlink_str(fs, vfs_parent(d), "l", "/a/d", &l) == VFS_OK);
    vfs_node_t *n;
    CHECK(lookup_rc(fs, NULL, "/a/l/f", &n) == VFS_OK && n == f);  /* absolute target from the root */
    CHECK(lookup_rc(fs, NULL, "/a/l", &n) == VFS_OK && n == d);    /* vfs_lookup follows the last too */
    const char *name;
    size_t len;
    CHECK_EQ_INT(vfs_lookup_parent(fs, NULL, "/a/l", 4, &p, &name, &len), VFS_OK);
    CHECK(p == vfs_parent(d) && len == 1 && name[0] == 'l');       /* ... vfs_lookup_parent does not */
    CHECK_EQ_INT(vfs_lookup_parent(fs, NULL, "/a/l/f", 6, &p, &name, &len), VFS_OK);
    CHECK(p == d);
    vfs_free(fs);
}

int main(void) {
    RUN(test_new_root);
    RUN(test_dir_seq_survives_removal);
    RUN(test_lookup_paths);
    RUN(test_lookup_parent);
    RUN(test_create_and_mkdir);
    RUN(test_readonly_dirs);
    RUN(test_mkdir_p_errors);
    RUN(test_write_read_truncate);
    RUN(test_timestamps);
    RUN(test_budget_write_refused);
    RUN(test_bytes_and_unlink);
    RUN(test_unlink_open_file);
    RUN(test_unlinked_open_dir);
    RUN(test_free_with_references);
    RUN(test_rename);
    RUN(test_rename_replaces_open_file);
    RUN(test_rename_churn_in_one_dir);
    RUN(test_rmdir);
    RUN(test_dir_order);
    RUN(test_dir_order_model);
    RUN(test_put_borrowed);
    RUN(test_take);
    RUN(test_clear_dir);
    RUN(test_clear_deep_tree);
    RUN(test_large_directory);
    RUN(test_symlink_nodes);
    RUN(test_resolve_follow);
    RUN(test_resolve_beneath);
    RUN(test_hard_links);
    RUN(test_links_across_cleared_dirs);
    RUN(test_legacy_lookup_with_links);
    return test_summary("vfs");
}
