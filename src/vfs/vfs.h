/* vfs.h — the per-instance in-memory virtual filesystem.
 *
 * Owns the tree of directories and files one sandbox instance sees through
 * WASI: a read-only root, read-only zero-copy files whose bytes live outside
 * the tree (the content at /data.bin, files embedded in the module), and
 * writable areas (/tmp, /metadata, /subcontent) whose bytes are owned by the
 * tree and charged to the instance's memory budget.
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
};

/* Node kinds; the values are WASI filetypes. */
typedef enum { VFS_DIR = 3, VFS_FILE = 4 } vfs_kind_t;

#define VFS_NAME_MAX 255                 /* bytes in one path component */
#define VFS_FILE_MAX (UINT64_C(1) << 32) /* largest file size, bytes */
#define VFS_NODE_OVERHEAD 256            /* bytes charged per node besides name and data */

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
 * EINVAL). A leading '/' starts from the root; otherwise from `dir`. Empty
 * components and "." are skipped, ".." goes to the parent (the root's
 * parent is the root). A non-directory in the middle gives ENOTDIR, a
 * missing component ENOENT, a component longer than VFS_NAME_MAX
 * ENAMETOOLONG, a trailing '/' on a file ENOTDIR. */

/* vfs_lookup: resolve the whole path. An empty path is ENOENT. */
int vfs_lookup(vfs_t *fs, vfs_node_t *dir, const char *path, size_t len, vfs_node_t **out);

/* vfs_lookup_parent: resolve all but the last component, returning the
 * parent directory and the last component (pointing into `path`, trailing
 * slashes removed). A last component of "", "." or ".." is EINVAL
 * (EEXIST-like cases are the caller's business). */
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
/* vfs_unlink: remove a file entry (EISDIR for a directory, ENOENT). */
int vfs_unlink(vfs_t *fs, vfs_node_t *dir, const char *name, size_t len);
/* vfs_rmdir: remove an empty directory (ENOTEMPTY, ENOTDIR, ENOENT). */
int vfs_rmdir(vfs_t *fs, vfs_node_t *dir, const char *name, size_t len);
/* vfs_rename: POSIX rename. Both directories must be writable. A file
 * replaces a file; a directory replaces an empty directory (ENOTEMPTY
 * otherwise); file over directory EISDIR, directory over file ENOTDIR;
 * moving a directory into its own subtree EINVAL; renaming onto itself
 * succeeds and does nothing. */
int vfs_rename(vfs_t *fs, vfs_node_t *old_dir, const char *old_name, size_t old_len,
               vfs_node_t *new_dir, const char *new_name, size_t new_len);

/* ---- node information ---- */
vfs_kind_t vfs_kind(const vfs_node_t *n);
uint64_t vfs_ino(const vfs_node_t *n);      /* unique per filesystem, never 0 */
bool vfs_writable(const vfs_node_t *n);     /* file: data may change; dir: entries may change */
bool vfs_linked(const vfs_node_t *n);       /* false once removed from the tree */
vfs_node_t *vfs_parent(const vfs_node_t *n);/* NULL for the root and unlinked nodes */
const char *vfs_name(const vfs_node_t *n, size_t *len); /* "" for the root */
uint64_t vfs_nlink(const vfs_node_t *n);    /* 1 while linked, 0 after */
/* Timestamps in nanoseconds since the Unix epoch (CLOCK_REALTIME): set at
 * creation, mtim/ctim updated on data or entry changes. */
uint64_t vfs_atim(const vfs_node_t *n);
uint64_t vfs_mtim(const vfs_node_t *n);
uint64_t vfs_ctim(const vfs_node_t *n);
void vfs_set_times(vfs_node_t *n, uint64_t atim, uint64_t mtim); /* ctim = now */

/* ---- file data ---- */
uint64_t vfs_size(const vfs_node_t *file);  /* 0 for directories */
/* vfs_read: copy up to len bytes from offset off; *nread = 0 at or past EOF.
 * EISDIR for a directory; EIO (*nread = 0) if the copier could not read
 * borrowed bytes (see vfs_set_copier). */
int vfs_read(const vfs_node_t *file, uint64_t off, void *dst, size_t len, size_t *nread);
/* vfs_write: write len bytes at off, growing the file (a gap reads as
 * zeros). EROFS for a read-only file, EISDIR, EFBIG past VFS_FILE_MAX,
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
/* vfs_dir_seq: a linked node's insertion number in its directory. Numbers
 * increase along the entries and are never reused while the directory
 * lives, so "the entries from number k on" stays meaningful when entries
 * are removed meanwhile (readdir cookies). */
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
 * EISDIR. Replacing the bytes of an existing borrowed or owned file frees
 * its owned data. */
int vfs_put_borrowed(vfs_t *fs, const char *abs_path, const uint8_t *data, size_t len,
                     vfs_node_t **out);

/* vfs_take: move a file's bytes out to the caller (malloc'd, caller frees;
 * *data may be NULL when *len is 0). Owned bytes are handed over without
 * copying and their budget charge is released; borrowed bytes are copied
 * (through the copier). The file is left empty. ENOMEM if a copy cannot be
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

/* vfs_clear_dir: unlink every entry of `dir`, recursively (open nodes
 * survive until their last vfs_unref). Used between two contents. */
void vfs_clear_dir(vfs_t *fs, vfs_node_t *dir);

#endif
