/* vfs_import.c — copy a host directory tree into a virtual filesystem
 * (see vfs_import.h). Owns the walk: a stack of open host directories
 * (one per level of the path being copied, never recursion), the host
 * path of the current entry for messages, and one bounce buffer for file
 * data and link targets. Uses only the public VFS API, so the VFS charges every byte. */
#include "vfs/vfs_import.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"

#define IMPORT_CHUNK ((size_t)64 << 10) /* bytes per read() of a host file (> VFS_SYMLINK_MAX) */
_Static_assert(IMPORT_CHUNK > VFS_SYMLINK_MAX, "the bounce buffer holds a link target");

typedef struct import_frame {
    DIR *dir;              /* the host directory being listed */
    vfs_node_t *node;      /* its copy */
    size_t path_len;       /* length of its host path in import_t.path */
    uint64_t atim, mtim;   /* its host timestamps, set once its entries are in */
    bool set_times;        /* false for the destination itself */
} import_frame_t;

typedef struct import {
    vfs_t *fs;
    buf_t path;            /* host path of the entry being copied */
    import_frame_t *stack;
    size_t depth, cap;
    uint8_t *chunk;        /* IMPORT_CHUNK bytes: file data, link targets */
    vfs_import_note_t note;
    void *user;
    vfs_import_stats_t *stats;
    char *err;
} import_t;

/* import_fail: record the error message (formatted, with the current
 * host path available to fmt) and return rc. */
static int import_fail(import_t *im, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int import_fail(import_t *im, int rc, const char *fmt, ...) {
    buf_t m = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&m, fmt, ap);
    va_end(ap);
    free(im->err);
    im->err = m.data ? buf_steal(&m) : NULL;
    return rc;
}

/* vfs_errno_text: a short explanation of a VFS errno from the copy. */
static const char *vfs_errno_text(int rc) {
    switch (rc) {
    case VFS_ENOSPC: return "the memory limit is reached";
    case VFS_EEXIST: return "the name already exists in the sandbox";
    case VFS_EFBIG: return "file too large for the sandbox (4 GiB at most)";
    case VFS_ENOMEM: return "out of memory";
    case VFS_ENAMETOOLONG: return "name too long";
    case VFS_EROFS: return "the sandbox directory is read-only";
    default: return "the sandbox's filesystem refused it";
    }
}

/* import_vfs_fail: a VFS error for the current host path. */
static int import_vfs_fail(import_t *im, int rc) {
    return import_fail(im, rc, "%s: %s", buf_cstr(&im->path), vfs_errno_text(rc));
}

/* import_host_fail: a host error (errno e) for the current host path. */
static int import_host_fail(import_t *im, const char *what, int e) {
    const char *hint = e == EMFILE || e == ENFILE ? " (the tree is too deep for the open-file limit)" : "";
    return import_fail(im, VFS_EIO, "cannot %s %s: %s%s", what, buf_cstr(&im->path), strerror(e), hint);
}

/* ts_ns: a host timestamp in nanoseconds since the epoch (0 before it). */
static uint64_t ts_ns(struct timespec ts) {
    return ts.tv_sec < 0 ? 0 : (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* import_skip: leave out the current entry, saying why. */
static int import_skip(import_t *im, const char *why) {
    if (im->stats) im->stats->skipped++;
    if (im->note) im->note(im->user, buf_cstr(&im->path), why);
    return 0;
}

/* import_push: list host directory fd (taken over) into node next. */
static int import_push(import_t *im, int fd, vfs_node_t *node, const struct stat *st) {
    if (im->depth == im->cap) {
        size_t cap = im->cap ? im->cap * 2 : 16;
        import_frame_t *grown = realloc(im->stack, cap * sizeof *grown);
        if (!grown) { close(fd); return import_vfs_fail(im, VFS_ENOMEM); }
        im->stack = grown;
        im->cap = cap;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return import_host_fail(im, "list", e);
    }
    im->stack[im->depth++] = (import_frame_t){d, node, im->path.len, st ? ts_ns(st->st_atim) : 0,
                                              st ? ts_ns(st->st_mtim) : 0, st != NULL};
    return 0;
}

/* import_pop: done with the innermost directory. */
static void import_pop(import_t *im) {
    import_frame_t *f = &im->stack[--im->depth];
    closedir(f->dir);
    if (f->set_times) vfs_set_times(f->node, f->atim, f->mtim);
    im->path.len = f->path_len;
    if (im->path.data) im->path.data[im->path.len] = 0;
}

/* import_copy_data: size bytes of host file fd into the empty file node.
 * The whole size is charged first (refused at once if it does not fit);
 * a file that shrank meanwhile is cut to what could be read. */
static int import_copy_data(import_t *im, int fd, vfs_node_t *node, uint64_t size) {
    if (size > VFS_FILE_MAX) return import_vfs_fail(im, VFS_EFBIG);
    int rc = vfs_truncate(im->fs, node, size);
    if (rc != VFS_OK) return import_vfs_fail(im, rc);
    uint64_t off = 0;
    while (off < size) {
        size_t want = size - off < IMPORT_CHUNK ? (size_t)(size - off) : IMPORT_CHUNK;
        ssize_t n = read(fd, im->chunk, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return import_host_fail(im, "read", errno);
        if (n == 0) break;
        rc = vfs_write(im->fs, node, off, im->chunk, (size_t)n);
        if (rc != VFS_OK) return import_vfs_fail(im, rc);
        off += (uint64_t)n;
    }
    if (off < size && (rc = vfs_truncate(im->fs, node, off)) != VFS_OK) return import_vfs_fail(im, rc);
    if (im->stats) { im->stats->files++; im->stats->bytes += off; }
    return 0;
}

/* import_file: copy regular file `name` of host directory dfd into dir. */
static int import_file(import_t *im, int dfd, const char *name, vfs_node_t *dir) {
    int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 && errno == ELOOP) return import_skip(im, "changed while copying: left out");
    if (fd < 0) return import_host_fail(im, "open", errno);
    struct stat st;
    int rc = 0;
    vfs_node_t *node;
    if (fstat(fd, &st) != 0) rc = import_host_fail(im, "stat", errno);
    else if (!S_ISREG(st.st_mode)) rc = import_skip(im, "not a regular file or directory");
    else if ((rc = vfs_create_file(im->fs, dir, name, strlen(name), &node)) != VFS_OK) rc = import_vfs_fail(im, rc);
    else if ((rc = import_copy_data(im, fd, node, (uint64_t)st.st_size)) == 0)
        vfs_set_times(node, ts_ns(st.st_atim), ts_ns(st.st_mtim));
    close(fd);
    return rc;
}

/* import_symlink: recreate symbolic link `name` of host directory dfd in
 * dir with the same target text (never followed on the host). */
static int import_symlink(import_t *im, int dfd, const char *name, vfs_node_t *dir, const struct stat *st) {
    ssize_t n = readlinkat(dfd, name, (char *)im->chunk, VFS_SYMLINK_MAX + 1);
    if (n < 0 && (errno == EINVAL || errno == ENOENT)) return import_skip(im, "changed while copying: left out");
    if (n < 0) return import_host_fail(im, "read the link", errno);
    if (n == 0 || n > VFS_SYMLINK_MAX) return import_skip(im, "symbolic link target too long: left out");
    vfs_node_t *node;
    int rc = vfs_symlink(im->fs, dir, name, strlen(name), (const char *)im->chunk, (size_t)n, &node);
    if (rc == VFS_EINVAL) return import_skip(im, "symbolic link target the sandbox cannot hold: left out");
    if (rc != VFS_OK) return import_vfs_fail(im, rc);
    vfs_set_times(node, ts_ns(st->st_atim), ts_ns(st->st_mtim));
    if (im->stats) im->stats->links++;
    return 0;
}

/* import_dir: make the copy of directory `name` of host directory dfd
 * and push it, so its entries are copied next. */
static int import_dir(import_t *im, int dfd, const char *name, vfs_node_t *dir) {
    int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && (errno == ELOOP || errno == ENOTDIR)) return import_skip(im, "changed while copying: left out");
    if (fd < 0) return import_host_fail(im, "open", errno);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return import_host_fail(im, "stat", e);
    }
    vfs_node_t *node;
    int rc = vfs_mkdir(im->fs, dir, name, strlen(name), &node);
    if (rc != VFS_OK) {
        close(fd);
        return import_vfs_fail(im, rc);
    }
    if (im->stats) im->stats->dirs++;
    return import_push(im, fd, node, &st);
}

/* import_entry: copy one entry of the innermost directory. */
static int import_entry(import_t *im, const char *name) {
    import_frame_t *top = &im->stack[im->depth - 1];
    int dfd = dirfd(top->dir);
    if (buf_append_byte(&im->path, '/') != 0 || buf_append_str(&im->path, name) != 0)
        return import_fail(im, VFS_ENOMEM, "out of memory");
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return import_host_fail(im, "stat", errno);
    if (S_ISLNK(st.st_mode)) return import_symlink(im, dfd, name, top->node, &st);
    if (S_ISDIR(st.st_mode)) return import_dir(im, dfd, name, top->node);
    if (S_ISREG(st.st_mode)) return import_file(im, dfd, name, top->node);
    return import_skip(im, "not a regular file or directory");
}

/* import_walk: depth-first over the stack until it is empty or an error. */
static int import_walk(import_t *im) {
    while (im->depth > 0) {
        import_frame_t *top = &im->stack[im->depth - 1];
        im->path.len = top->path_len;
        if (im->path.data) im->path.data[im->path.len] = 0;
        errno = 0;
        struct dirent *e = readdir(top->dir);
        if (!e) {
            if (errno) return import_host_fail(im, "list", errno);
            import_pop(im);
            continue;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        int rc = import_entry(im, e->d_name);
        if (rc != 0) return rc;
    }
    return 0;
}

int vfs_import_tree(vfs_t *fs, vfs_node_t *dest, const char *host_dir, vfs_import_note_t note, void *user,
                    vfs_import_stats_t *stats, char **err) {
    import_t im = {.fs = fs, .note = note, .user = user, .stats = stats};
    *err = NULL;
    if (stats) memset(stats, 0, sizeof *stats);
    int rc;
    if (buf_append_str(&im.path, host_dir) != 0 || !(im.chunk = malloc(IMPORT_CHUNK))) {
        rc = import_fail(&im, VFS_ENOMEM, "out of memory");
    } else {
        int fd = open(host_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        rc = fd < 0 ? import_host_fail(&im, "open directory", errno) : import_push(&im, fd, dest, NULL);
        if (rc == 0) rc = import_walk(&im);
    }
    while (im.depth > 0) import_pop(&im);
    free(im.stack);
    free(im.chunk);
    buf_free(&im.path);
    *err = im.err;
    return rc;
}
