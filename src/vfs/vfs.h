/* vfs.h — the per-instance in-memory virtual filesystem.
 *
 * Owns the tree of directories, files and symbolic links one sandbox
 * instance sees through WASI: a read-only root, read-only zero-copy files
 * whose bytes live outside the tree (the content at /data.bin, files
 * embedded in the module), and writable areas (/tmp, /metadata,
 * /subcontent) whose bytes are owned by the tree and charged to the
 * instance's memory budget; and path resolution, including the guest's
 * containment rules (vfs_resolve with VFS_BENEATH).
 *
 * Nodes (inodes) are separate from the directory entries naming them: a
 * file or symbolic link may have several entries (hard links, counted by
 * vfs_nlink); a directory has exactly one (no hard links to directories),
 * so the tree stays a tree and ".." is a directory's only parent.
 *
 * File descriptors are not managed here (see wasi/); an open descriptor
 * holds a reference on its node, so unlinking or clearing a directory never
 * frees a node that is still open.
 *
 * Error convention: functions returning int return 0 on success or a
 * positive WASI errno (the VFS_E* values below, identical to WASI preview1).
 * Not thread-safe: one filesystem belongs to one instance, used by one
 * thread at a time. */
#ifndef WADUP_VFS_VFS_H
#define WADUP_VFS_VFS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/budget.h"

/* WASI preview1 errno values used by the filesystem. */
enum {
    VFS_OK = 0,
    VFS_EBADF = 8,
    VFS_EEXIST = 20,
    VFS_EFBIG = 22,
    VFS_EINVAL = 28,
    VFS_EIO = 29,
    VFS_EISDIR = 31,
    VFS_ELOOP = 32,
    VFS_ENAMETOOLONG = 37,
    VFS_ENOENT = 44,
    VFS_ENOMEM = 48,
    VFS_ENOSPC = 51,
    VFS_ENOTDIR = 54,
    VFS_ENOTEMPTY = 55,
    VFS_EPERM = 63,
    VFS_EROFS = 69,
    VFS_EXDEV = 75,
};

/* Node kinds; the values are WASI filetypes. */
typedef enum { VFS_DIR = 3, VFS_FILE = 4, VFS_SYMLINK = 7 } vfs_kind_t;

#define VFS_NAME_MAX 255                 /* bytes in one path component */
#define VFS_FILE_MAX (UINT64_C(1) << 32) /* largest file size, bytes */
#define VFS_NODE_OVERHEAD 256            /* bytes charged per node besides names and data */
#define VFS_LINK_OVERHEAD 128            /* bytes charged per extra hard link besides its name */
#define VFS_SYMLINK_MAX 4096             /* bytes in a symbolic link's target (PATH_MAX) */
#define VFS_SYMLOOP_MAX 40               /* symbolic links one resolution may follow (Linux, cap-std) */

typedef struct vfs vfs_t;
typedef struct vfs_node vfs_node_t;

/* vfs_new: a filesystem holding only a read-only root directory. Owned bytes
 * (file data, node overhead, names) are charged to `budget` (may be NULL =
 * unlimited). Returns NULL if out of memory. */
vfs_t *vfs_new(budget_t *budget);
/* vfs_free: free every node, including nodes still referenced. */
void vfs_free(vfs_t *fs);
vfs_node_t *vfs_root(vfs_t *fs);
/* vfs_bytes: bytes currently charged to the budget by this filesystem. */
uint64_t vfs_bytes(const vfs_t *fs);

/* ---- path resolution ----
 * Paths are '/'-separated byte strings (not NUL-terminated; NUL inside is
 * EINVAL, an empty path ENOENT). Empty components and "." are skipped, ".."
 * goes to the parent directory. A non-directory in the middle gives
 * ENOTDIR, a missing component ENOENT, a component longer than VFS_NAME_MAX
 * ENAMETOOLONG. Symbolic links met in the middle of a path are always
 * followed, relative targets from the link's directory; the last component
 * is followed with VFS_FOLLOW or when a '/' follows it. More than
 * VFS_SYMLOOP_MAX links in one resolution is ELOOP; an empty target ENOENT.
 *
 * Without VFS_BENEATH (host-side and legacy callers) a leading '/' of the
 * path or of a link's target starts from the root and the root's parent is
 * the root. With VFS_BENEATH (every path a guest gives, as cap-std does
 * for wasmtime) the resolution never leaves `start`: an absolute path or
 * link target, or a ".." above `start`, is EPERM. */

#define VFS_FOLLOW 1u   /* follow a symbolic link in the last component */
#define VFS_BENEATH 2u  /* stay beneath the start directory (EPERM otherwise) */
#define VFS_PARENT 4u   /* stop at the last component: never follow it */

/* Where a path led. For a last component that names an entry (or may be
 * created): `dir` holds it, `name`/`name_len` is that component (pointing
 * into the path, or into a followed link's target; valid until the
 * namespace next changes) and `node` the entry's node or NULL if there is
 * none. For a path ending in "." or ".." (or made only of those): `dir` and
 * `name` are NULL and `node` is the directory reached (with VFS_PARENT but
 * not VFS_BENEATH, a last ".." is not walked: the directory holding it, as
 * vfs_lookup_parent only needs to refuse it). `slash` is true when
 * a '/' followed the last component (in the path or in a followed link's
 * target). */
typedef struct vfs_where {
    vfs_node_t *dir;
    const char *name;
    size_t name_len;
    vfs_node_t *node;
    bool slash;
} vfs_where_t;

/* vfs_resolve: resolve [path, path+len) from directory `start` (NULL = the
 * root; a non-directory is ENOTDIR). A missing last component is not an
 * error (node NULL). Without VFS_PARENT, a trailing '/' on an existing
 * non-directory is ENOTDIR. O(path length + link targets followed). */
int vfs_resolve(vfs_t *fs, vfs_node_t *start, const char *path, size_t len, unsigned flags,
                vfs_where_t *out);

/* vfs_lookup: resolve the whole path, following every symbolic link,
 * without VFS_BENEATH; a missing node is ENOENT. */
int vfs_lookup(vfs_t *fs, vfs_node_t *dir, const char *path, size_t len, vfs_node_t **out);

/* vfs_lookup_parent: resolve all but the last component (without
 * VFS_BENEATH), returning the parent directory and the last component
 * (pointing into `path`, trailing slashes removed). A last component of "",
 * "." or ".." is EINVAL (EEXIST-like cases are the caller's business). */
int vfs_lookup_parent(vfs_t *fs, vfs_node_t *dir, const char *path, size_t len,
                      vfs_node_t **parent, const char **name, size_t *name_len);

/* vfs_child: the entry `name` of directory `dir`, or NULL. Lookups are
 * hashed: not linear in the size of the directory. */
vfs_node_t *vfs_child(const vfs_node_t *dir, const char *name, size_t len);

/* ---- namespace changes (all need `dir` writable, else EROFS) ---- */

/* vfs_create_file: new empty writable file; EEXIST if the name exists. */
int vfs_create_file(vfs_t *fs, vfs_node_t *dir, const char *name, size_t len, vfs_node_t **out);
/* vfs_mkdir: new empty writable directory; EEXIST if the name exists.
 * `out` may be NULL. */
int vfs_mkdir(vfs_t *fs, vfs_node_t *dir, const char *name, size_t len, vfs_node_t **out);
/* vfs_symlink: new symbolic link named `name` in `dir` holding the target
 * bytes [target, target+target_len) as they are (resolved only when
 * followed); the target is charged like a name. EEXIST if the name exists,
 * ENOENT for an empty target, EINVAL for a NUL in it, ENAMETOOLONG past
 * VFS_SYMLINK_MAX. `out` may be NULL. */
int vfs_symlink(vfs_t *fs, vfs_node_t *dir, const char *name, size_t len, const char *target,
                size_t target_len, vfs_node_t **out);
/* vfs_link: a new entry `name` in `dir` for the existing linked node
 * (a hard link; it costs VFS_LINK_OVERHEAD plus the name). EEXIST if the
 * name exists, EPERM for a directory, EXDEV for a read-only node (the
 * read-only content is another "device": its bytes are not the tree's),
 * ENOENT for an unlinked node. */
int vfs_link(vfs_t *fs, vfs_node_t *node, vfs_node_t *dir, const char *name, size_t len);
/* vfs_unlink: remove a file or symbolic link entry (EISDIR for a
 * directory, ENOENT). The node lives on while other entries or references
 * remain. */
int vfs_unlink(vfs_t *fs, vfs_node_t *dir, const char *name, size_t len);
/* vfs_rmdir: remove an empty directory (ENOTEMPTY, ENOTDIR, ENOENT). */
int vfs_rmdir(vfs_t *fs, vfs_node_t *dir, const char *name, size_t len);
/* vfs_rename: POSIX rename of an entry. Both directories must be writable.
 * A non-directory (file or symbolic link) replaces a non-directory; a
 * directory replaces an empty directory (ENOTEMPTY otherwise);
 * non-directory over directory EISDIR, directory over non-directory
 * ENOTDIR; moving a directory into its own subtree EINVAL; renaming onto
 * itself or onto another link of the same node succeeds and does nothing. */
int vfs_rename(vfs_t *fs, vfs_node_t *old_dir, const char *old_name, size_t old_len,
               vfs_node_t *new_dir, const char *new_name, size_t new_len);

/* ---- node information ---- */
vfs_kind_t vfs_kind(const vfs_node_t *n);
uint64_t vfs_ino(const vfs_node_t *n);      /* unique per filesystem, never 0 */
bool vfs_writable(const vfs_node_t *n);     /* file: data may change; dir: entries may change */
bool vfs_linked(const vfs_node_t *n);       /* false once its last entry is removed */
/* vfs_parent / vfs_name: the directory and name of the node's oldest
 * remaining entry (a directory's only one). NULL / "" for the root;
 * NULL / the last name it had for an unlinked node. */
vfs_node_t *vfs_parent(const vfs_node_t *n);
const char *vfs_name(const vfs_node_t *n, size_t *len);
uint64_t vfs_nlink(const vfs_node_t *n);    /* entries naming it (1 for the root), 0 once unlinked */
/* vfs_readlink: a symbolic link's target bytes (not NUL-terminated; valid
 * while the node lives). EINVAL if n is not a symbolic link. */
int vfs_readlink(const vfs_node_t *n, const char **target, size_t *len);
/* Timestamps in nanoseconds since the Unix epoch (CLOCK_REALTIME): set at
 * creation, mtim/ctim updated on data or entry changes. */
uint64_t vfs_atim(const vfs_node_t *n);
uint64_t vfs_mtim(const vfs_node_t *n);
uint64_t vfs_ctim(const vfs_node_t *n);
void vfs_set_times(vfs_node_t *n, uint64_t atim, uint64_t mtim); /* ctim = now */

/* ---- file data ---- */
uint64_t vfs_size(const vfs_node_t *file);  /* 0 for directories, the target length for links */
/* vfs_read: copy up to len bytes from offset off; *nread = 0 at or past EOF.
 * EISDIR for a directory, EINVAL for a symbolic link; EIO (*nread = 0) if
 * the copier could not read borrowed bytes (see vfs_set_copier). */
int vfs_read(const vfs_node_t *file, uint64_t off, void *dst, size_t len, size_t *nread);
/* vfs_write: write len bytes at off, growing the file (a gap reads as
 * zeros). EROFS for a read-only file, EISDIR, EINVAL for a symbolic link,
 * EFBIG past VFS_FILE_MAX,
 * ENOSPC if the budget refused the growth (the file is then unchanged). */
int vfs_write(vfs_t *fs, vfs_node_t *file, uint64_t off, const void *src, size_t len);
/* vfs_truncate: set the size (growing fills with zeros). Same errors. */
int vfs_truncate(vfs_t *fs, vfs_node_t *file, uint64_t size);
/* vfs_file_data: zero-copy view of the whole file (NULL if empty); valid
 * until the file is next written, truncated, taken or freed. Reading a
 * borrowed file's view bypasses the copier: use it for owned files. */
const uint8_t *vfs_file_data(const vfs_node_t *file);

/* ---- directories ----
 * Entries keep insertion order; removing an entry shifts later ones down. */
size_t vfs_dir_count(const vfs_node_t *dir);
vfs_node_t *vfs_dir_entry(const vfs_node_t *dir, size_t index, const char **name, size_t *len);
/* vfs_dir_get: vfs_dir_entry, also giving the entry's insertion number
 * (seq may be NULL). Numbers increase along the entries and are never
 * reused while the directory lives, so "the entries from number k on"
 * stays meaningful when entries are removed meanwhile (readdir cookies). */
vfs_node_t *vfs_dir_get(const vfs_node_t *dir, size_t index, const char **name, size_t *len,
                        uint64_t *seq);
/* vfs_dir_seq: the insertion number of a linked node's oldest entry (see
 * vfs_dir_get; with hard links, prefer vfs_dir_get). */
uint64_t vfs_dir_seq(const vfs_node_t *n);
/* vfs_dir_index_from_seq: index of the first entry whose number is >= seq
 * (vfs_dir_count(dir) if none); O(log^2 n). */
size_t vfs_dir_index_from_seq(const vfs_node_t *dir, uint64_t seq);

/* ---- references ----
 * A node stays allocated while it is linked or referenced. vfs_unref on an
 * unlinked node with no references left frees it (and its subtree) and
 * releases its budget. */
void vfs_ref(vfs_node_t *n);
void vfs_unref(vfs_t *fs, vfs_node_t *n);

/* ---- host-side setup (not reachable from the guest) ---- */

/* vfs_mkdir_p: make the absolute directory path and its missing parents.
 * Directories created here are writable iff `writable`; an existing
 * directory keeps its flag unless `writable` is true (then it becomes
 * writable). `out` may be NULL. */
int vfs_mkdir_p(vfs_t *fs, const char *abs_path, bool writable, vfs_node_t **out);

/* vfs_put_borrowed: make (or replace the bytes of) a read-only file at the
 * absolute path whose bytes live outside the tree (zero-copy, not charged
 * to the budget; the caller keeps them alive while the node exists).
 * Missing parents are created read-only. An existing directory there is
 * EISDIR, a symbolic link EEXIST. Replacing the bytes of an existing borrowed or owned file frees
 * its owned data. */
int vfs_put_borrowed(vfs_t *fs, const char *abs_path, const uint8_t *data, size_t len,
                     vfs_node_t **out);

/* vfs_take: move a file's bytes out to the caller (malloc'd, caller frees;
 * *data may be NULL when *len is 0). Owned bytes are handed over without
 * copying and their budget charge is released; borrowed bytes are copied
 * (through the copier). The file (every link of it) is left empty. EISDIR
 * for a directory, EINVAL for a symbolic link, ENOMEM if a copy cannot be
 * allocated, EIO if the copier could not read the borrowed bytes (the
 * file is then unchanged). */
int vfs_take(vfs_t *fs, vfs_node_t *file, uint8_t **data, size_t *len);

/* A copier copies n borrowed bytes from src to dst and returns 0, or -1 if
 * the source could not be read (memory that faults, such as a mapped
 * input file truncated meanwhile). */
typedef int (*vfs_copier_t)(void *dst, const void *src, size_t n);
/* vfs_set_copier: copy borrowed bytes out (vfs_read, vfs_take) with
 * `copy`; NULL (the default) is a plain memcpy. The filesystem itself never
 * touches borrowed bytes otherwise. */
void vfs_set_copier(vfs_t *fs, vfs_copier_t copy);

/* vfs_clear_dir: unlink every entry of `dir`, recursively (open nodes and
 * nodes still linked elsewhere survive; the rest are freed). Used between
 * two contents. */
void vfs_clear_dir(vfs_t *fs, vfs_node_t *dir);

#endif
