/* wasi_layout_check.c — compile-time check that wadup's WASI constants and
 * structure offsets (src/wasi/wasi_abi.h, src/vfs/vfs.h) match wasi-libc's
 * <wasi/api.h>. Compiled (not run) by scripts/test.sh with the guest
 * compiler: clang-19 --target=wasm32-wasi -fsyntax-only. */
#include <stddef.h>
#include <wasi/api.h>

#include "vfs/vfs.h"
#include "wasi/wasi_abi.h"

#define SAME(ours, theirs) _Static_assert((ours) == (theirs), #ours " != " #theirs)

SAME(WASI_ESUCCESS, __WASI_ERRNO_SUCCESS);
SAME(WASI_E2BIG, __WASI_ERRNO_2BIG);
SAME(WASI_EACCES, __WASI_ERRNO_ACCES);
SAME(WASI_EBADF, __WASI_ERRNO_BADF);
SAME(WASI_EEXIST, __WASI_ERRNO_EXIST);
SAME(WASI_EFAULT, __WASI_ERRNO_FAULT);
SAME(WASI_EINTR, __WASI_ERRNO_INTR);
SAME(WASI_EINVAL, __WASI_ERRNO_INVAL);
SAME(WASI_EIO, __WASI_ERRNO_IO);
SAME(WASI_EISDIR, __WASI_ERRNO_ISDIR);
SAME(WASI_EMFILE, __WASI_ERRNO_MFILE);
SAME(WASI_ENOENT, __WASI_ERRNO_NOENT);
SAME(WASI_ENOMEM, __WASI_ERRNO_NOMEM);
SAME(WASI_ENOSPC, __WASI_ERRNO_NOSPC);
SAME(WASI_ENOSYS, __WASI_ERRNO_NOSYS);
SAME(WASI_ENOTDIR, __WASI_ERRNO_NOTDIR);
SAME(WASI_ENOTSOCK, __WASI_ERRNO_NOTSOCK);
SAME(WASI_ENOTSUP, __WASI_ERRNO_NOTSUP);
SAME(WASI_EPERM, __WASI_ERRNO_PERM);
SAME(WASI_EROFS, __WASI_ERRNO_ROFS);
SAME(WASI_ESPIPE, __WASI_ERRNO_SPIPE);
SAME(WASI_ENOTCAPABLE, __WASI_ERRNO_NOTCAPABLE);
SAME(VFS_EBADF, __WASI_ERRNO_BADF);
SAME(VFS_EEXIST, __WASI_ERRNO_EXIST);
SAME(VFS_EFBIG, __WASI_ERRNO_FBIG);
SAME(VFS_EINVAL, __WASI_ERRNO_INVAL);
SAME(VFS_EIO, __WASI_ERRNO_IO);
SAME(VFS_EISDIR, __WASI_ERRNO_ISDIR);
SAME(VFS_ELOOP, __WASI_ERRNO_LOOP);
SAME(VFS_ENAMETOOLONG, __WASI_ERRNO_NAMETOOLONG);
SAME(VFS_ENOENT, __WASI_ERRNO_NOENT);
SAME(VFS_ENOMEM, __WASI_ERRNO_NOMEM);
SAME(VFS_ENOSPC, __WASI_ERRNO_NOSPC);
SAME(VFS_ENOTDIR, __WASI_ERRNO_NOTDIR);
SAME(VFS_ENOTEMPTY, __WASI_ERRNO_NOTEMPTY);
SAME(VFS_EPERM, __WASI_ERRNO_PERM);
SAME(VFS_EROFS, __WASI_ERRNO_ROFS);
SAME(VFS_DIR, __WASI_FILETYPE_DIRECTORY);
SAME(VFS_FILE, __WASI_FILETYPE_REGULAR_FILE);

SAME(WASI_FILETYPE_UNKNOWN, __WASI_FILETYPE_UNKNOWN);
SAME(WASI_FILETYPE_CHARACTER_DEVICE, __WASI_FILETYPE_CHARACTER_DEVICE);
SAME(WASI_FILETYPE_DIRECTORY, __WASI_FILETYPE_DIRECTORY);
SAME(WASI_FILETYPE_REGULAR_FILE, __WASI_FILETYPE_REGULAR_FILE);

SAME(WASI_RIGHT_FD_DATASYNC, __WASI_RIGHTS_FD_DATASYNC);
SAME(WASI_RIGHT_FD_READ, __WASI_RIGHTS_FD_READ);
SAME(WASI_RIGHT_FD_SEEK, __WASI_RIGHTS_FD_SEEK);
SAME(WASI_RIGHT_FD_FDSTAT_SET_FLAGS, __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS);
SAME(WASI_RIGHT_FD_SYNC, __WASI_RIGHTS_FD_SYNC);
SAME(WASI_RIGHT_FD_TELL, __WASI_RIGHTS_FD_TELL);
SAME(WASI_RIGHT_FD_WRITE, __WASI_RIGHTS_FD_WRITE);
SAME(WASI_RIGHT_FD_ADVISE, __WASI_RIGHTS_FD_ADVISE);
SAME(WASI_RIGHT_FD_ALLOCATE, __WASI_RIGHTS_FD_ALLOCATE);
SAME(WASI_RIGHT_FD_READDIR, __WASI_RIGHTS_FD_READDIR);
SAME(WASI_RIGHT_FD_FILESTAT_SET_SIZE, __WASI_RIGHTS_FD_FILESTAT_SET_SIZE);
SAME(WASI_RIGHT_POLL_FD_READWRITE, __WASI_RIGHTS_POLL_FD_READWRITE);
SAME(WASI_RIGHTS_ALL, (__WASI_RIGHTS_SOCK_SHUTDOWN << 2) - 1); /* every right through sock_accept (bit 29) */

SAME(WASI_O_CREAT, __WASI_OFLAGS_CREAT);
SAME(WASI_O_DIRECTORY, __WASI_OFLAGS_DIRECTORY);
SAME(WASI_O_EXCL, __WASI_OFLAGS_EXCL);
SAME(WASI_O_TRUNC, __WASI_OFLAGS_TRUNC);
SAME(WASI_FDFLAG_APPEND, __WASI_FDFLAGS_APPEND);
SAME(WASI_FDFLAGS_ALL, __WASI_FDFLAGS_APPEND | __WASI_FDFLAGS_DSYNC | __WASI_FDFLAGS_NONBLOCK |
                           __WASI_FDFLAGS_RSYNC | __WASI_FDFLAGS_SYNC);
SAME(WASI_FSTFLAG_ATIM, __WASI_FSTFLAGS_ATIM);
SAME(WASI_FSTFLAG_ATIM_NOW, __WASI_FSTFLAGS_ATIM_NOW);
SAME(WASI_FSTFLAG_MTIM, __WASI_FSTFLAGS_MTIM);
SAME(WASI_FSTFLAG_MTIM_NOW, __WASI_FSTFLAGS_MTIM_NOW);
SAME(WASI_WHENCE_SET, __WASI_WHENCE_SET);
SAME(WASI_WHENCE_CUR, __WASI_WHENCE_CUR);
SAME(WASI_WHENCE_END, __WASI_WHENCE_END);
SAME(WASI_CLOCK_REALTIME, __WASI_CLOCKID_REALTIME);
SAME(WASI_CLOCK_MONOTONIC, __WASI_CLOCKID_MONOTONIC);
SAME(WASI_CLOCK_PROCESS_CPUTIME, __WASI_CLOCKID_PROCESS_CPUTIME_ID);
SAME(WASI_CLOCK_THREAD_CPUTIME, __WASI_CLOCKID_THREAD_CPUTIME_ID);
SAME(WASI_SUBCLOCK_ABSTIME, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
SAME(WASI_EVENTTYPE_CLOCK, __WASI_EVENTTYPE_CLOCK);
SAME(WASI_EVENTTYPE_FD_READ, __WASI_EVENTTYPE_FD_READ);
SAME(WASI_EVENTTYPE_FD_WRITE, __WASI_EVENTTYPE_FD_WRITE);

SAME(WASI_IOVEC_SIZE, sizeof(__wasi_ciovec_t));
SAME(WASI_FDSTAT_SIZE, sizeof(__wasi_fdstat_t));
SAME(WASI_FDSTAT_FILETYPE, offsetof(__wasi_fdstat_t, fs_filetype));
SAME(WASI_FDSTAT_FLAGS, offsetof(__wasi_fdstat_t, fs_flags));
SAME(WASI_FDSTAT_RIGHTS_BASE, offsetof(__wasi_fdstat_t, fs_rights_base));
SAME(WASI_FDSTAT_RIGHTS_INHERITING, offsetof(__wasi_fdstat_t, fs_rights_inheriting));
SAME(WASI_FILESTAT_SIZE, sizeof(__wasi_filestat_t));
SAME(WASI_FILESTAT_DEV, offsetof(__wasi_filestat_t, dev));
SAME(WASI_FILESTAT_INO, offsetof(__wasi_filestat_t, ino));
SAME(WASI_FILESTAT_FILETYPE, offsetof(__wasi_filestat_t, filetype));
SAME(WASI_FILESTAT_NLINK, offsetof(__wasi_filestat_t, nlink));
SAME(WASI_FILESTAT_FILESIZE, offsetof(__wasi_filestat_t, size));
SAME(WASI_FILESTAT_ATIM, offsetof(__wasi_filestat_t, atim));
SAME(WASI_FILESTAT_MTIM, offsetof(__wasi_filestat_t, mtim));
SAME(WASI_FILESTAT_CTIM, offsetof(__wasi_filestat_t, ctim));
SAME(WASI_PRESTAT_SIZE, sizeof(__wasi_prestat_t));
SAME(WASI_PRESTAT_NAME_LEN, offsetof(__wasi_prestat_t, u) + offsetof(__wasi_prestat_dir_t, pr_name_len));
SAME(WASI_DIRENT_SIZE, sizeof(__wasi_dirent_t));
SAME(WASI_DIRENT_NEXT, offsetof(__wasi_dirent_t, d_next));
SAME(WASI_DIRENT_INO, offsetof(__wasi_dirent_t, d_ino));
SAME(WASI_DIRENT_NAMLEN, offsetof(__wasi_dirent_t, d_namlen));
SAME(WASI_DIRENT_TYPE, offsetof(__wasi_dirent_t, d_type));
SAME(WASI_SUBSCRIPTION_SIZE, sizeof(__wasi_subscription_t));
SAME(WASI_SUBSCRIPTION_USERDATA, offsetof(__wasi_subscription_t, userdata));
SAME(WASI_SUBSCRIPTION_TAG, offsetof(__wasi_subscription_t, u) + offsetof(__wasi_subscription_u_t, tag));
SAME(WASI_SUBSCRIPTION_CLOCK_ID, offsetof(__wasi_subscription_t, u) + offsetof(__wasi_subscription_u_t, u) +
                                     offsetof(__wasi_subscription_clock_t, id));
SAME(WASI_SUBSCRIPTION_CLOCK_TIMEOUT, offsetof(__wasi_subscription_t, u) + offsetof(__wasi_subscription_u_t, u) +
                                          offsetof(__wasi_subscription_clock_t, timeout));
SAME(WASI_SUBSCRIPTION_CLOCK_PRECISION, offsetof(__wasi_subscription_t, u) + offsetof(__wasi_subscription_u_t, u) +
                                            offsetof(__wasi_subscription_clock_t, precision));
SAME(WASI_SUBSCRIPTION_CLOCK_FLAGS, offsetof(__wasi_subscription_t, u) + offsetof(__wasi_subscription_u_t, u) +
                                        offsetof(__wasi_subscription_clock_t, flags));
SAME(WASI_SUBSCRIPTION_FD, offsetof(__wasi_subscription_t, u) + offsetof(__wasi_subscription_u_t, u) +
                               offsetof(__wasi_subscription_fd_readwrite_t, file_descriptor));
SAME(WASI_EVENT_SIZE, sizeof(__wasi_event_t));
SAME(WASI_EVENT_USERDATA, offsetof(__wasi_event_t, userdata));
SAME(WASI_EVENT_ERROR, offsetof(__wasi_event_t, error));
SAME(WASI_EVENT_TYPE, offsetof(__wasi_event_t, type));
SAME(WASI_EVENT_NBYTES, offsetof(__wasi_event_t, fd_readwrite) + offsetof(__wasi_event_fd_readwrite_t, nbytes));
SAME(WASI_EVENT_FLAGS, offsetof(__wasi_event_t, fd_readwrite) + offsetof(__wasi_event_fd_readwrite_t, flags));
