/* vfs_import.h — copying a host directory tree into a virtual filesystem
 * (the --dir mappings of `wadup exec`).
 *
 * The copy is a snapshot: the guest then works on writable in-memory
 * copies that are never written back. Every byte is charged to the
 * filesystem's budget exactly as if the guest had written it (node
 * overhead, names, data), so a tree larger than the instance's memory
 * limit is refused while it is being copied. Directories and regular files
 * are copied; a symbolic link is never followed on the host: its target
 * text is recreated as a VFS symbolic link, which can only ever resolve to
 * nodes of the sandbox (whatever it names on the host is not copied).
 * FIFOs, sockets and devices are skipped and reported through the note
 * callback. The walk is iterative (no recursion on the tree's depth);
 * every entry is opened relative to its already-open parent with
 * O_NOFOLLOW, so a link swapped in during the copy is never followed
 * either, and files are opened O_NONBLOCK and checked with fstat, so a
 * FIFO swapped in is never waited on. */
#ifndef WADUP_VFS_VFS_IMPORT_H
#define WADUP_VFS_VFS_IMPORT_H
#include <stdint.h>
#include "vfs/vfs.h"

typedef struct vfs_import_stats {
    uint64_t files, dirs, links, bytes; /* copied (links: symbolic links recreated) */
    uint64_t skipped;                   /* special files and changed entries left out */
} vfs_import_stats_t;

/* A note about one host entry left out: host_path names it, why says why
 * ("not a regular file or directory", "changed while copying: left out",
 * "symbolic link target too long: left out"). */
typedef void (*vfs_import_note_t)(void *user, const char *host_path, const char *why);

/* vfs_import_tree: copy the contents of host directory `host_dir` (which
 * itself may be reached through a symbolic link: the caller named it)
 * into the writable directory `dest` of fs, creating writable directories,
 * files and symbolic links with the host timestamps. `note` may be NULL; `stats` may be
 * NULL. Returns 0; VFS_ENOSPC when the budget refused the tree (it does
 * not fit the memory limit); another VFS errno for an entry the VFS
 * cannot hold (a name clash in dest: EEXIST, a file over VFS_FILE_MAX:
 * EFBIG, out of memory: ENOMEM); VFS_EIO for a host error (unreadable
 * entry, too many open descriptors for the tree's depth). On failure *err
 * is a malloc'd message naming the host path (or NULL if even that could
 * not be allocated), and what was copied so far stays in fs. */
int vfs_import_tree(vfs_t *fs, vfs_node_t *dest, const char *host_dir, vfs_import_note_t note, void *user,
                    vfs_import_stats_t *stats, char **err);

#endif
