/* wasi_abi.h — WASI preview1 constants and structure layouts (byte offsets
 * in guest memory), from the witx definitions of wasi_snapshot_preview1.
 * tests/unit/wasi_layout_check.c checks these against wasi-libc's
 * <wasi/api.h> with the guest compiler. */
#ifndef WADUP_WASI_WASI_ABI_H
#define WADUP_WASI_WASI_ABI_H

/* errno */
#define WASI_ESUCCESS 0
#define WASI_E2BIG 1
#define WASI_EACCES 2
#define WASI_EBADF 8
#define WASI_EEXIST 20
#define WASI_EFAULT 21
#define WASI_EFBIG 22
#define WASI_EINTR 27
#define WASI_EINVAL 28
#define WASI_EIO 29
#define WASI_EISDIR 31
#define WASI_ELOOP 32
#define WASI_EMFILE 33
#define WASI_ENAMETOOLONG 37
#define WASI_ENOENT 44
#define WASI_ENOMEM 48
#define WASI_ENOSPC 51
#define WASI_ENOSYS 52
#define WASI_ENOTDIR 54
#define WASI_ENOTEMPTY 55
#define WASI_ENOTSOCK 57
#define WASI_ENOTSUP 58
#define WASI_EPERM 63
#define WASI_EROFS 69
#define WASI_ESPIPE 70
#define WASI_EXDEV 75
#define WASI_ENOTCAPABLE 76

/* filetype */
#define WASI_FILETYPE_UNKNOWN 0
#define WASI_FILETYPE_CHARACTER_DEVICE 2
#define WASI_FILETYPE_DIRECTORY 3
#define WASI_FILETYPE_REGULAR_FILE 4
#define WASI_FILETYPE_SYMBOLIC_LINK 7

/* rights */
#define WASI_RIGHT_FD_DATASYNC (1ull << 0)
#define WASI_RIGHT_FD_READ (1ull << 1)
#define WASI_RIGHT_FD_SEEK (1ull << 2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS (1ull << 3)
#define WASI_RIGHT_FD_SYNC (1ull << 4)
#define WASI_RIGHT_FD_TELL (1ull << 5)
#define WASI_RIGHT_FD_WRITE (1ull << 6)
#define WASI_RIGHT_FD_ADVISE (1ull << 7)
#define WASI_RIGHT_FD_ALLOCATE (1ull << 8)
#define WASI_RIGHT_PATH_CREATE_DIRECTORY (1ull << 9)
#define WASI_RIGHT_PATH_CREATE_FILE (1ull << 10)
#define WASI_RIGHT_PATH_LINK_SOURCE (1ull << 11)
#define WASI_RIGHT_PATH_LINK_TARGET (1ull << 12)
#define WASI_RIGHT_PATH_OPEN (1ull << 13)
#define WASI_RIGHT_FD_READDIR (1ull << 14)
#define WASI_RIGHT_PATH_READLINK (1ull << 15)
#define WASI_RIGHT_PATH_RENAME_SOURCE (1ull << 16)
#define WASI_RIGHT_PATH_RENAME_TARGET (1ull << 17)
#define WASI_RIGHT_PATH_FILESTAT_GET (1ull << 18)
#define WASI_RIGHT_PATH_FILESTAT_SET_SIZE (1ull << 19)
#define WASI_RIGHT_PATH_FILESTAT_SET_TIMES (1ull << 20)
#define WASI_RIGHT_FD_FILESTAT_GET (1ull << 21)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE (1ull << 22)
#define WASI_RIGHT_FD_FILESTAT_SET_TIMES (1ull << 23)
#define WASI_RIGHT_PATH_SYMLINK (1ull << 24)
#define WASI_RIGHT_PATH_REMOVE_DIRECTORY (1ull << 25)
#define WASI_RIGHT_PATH_UNLINK_FILE (1ull << 26)
#define WASI_RIGHT_POLL_FD_READWRITE (1ull << 27)
#define WASI_RIGHT_SOCK_SHUTDOWN (1ull << 28)
#define WASI_RIGHT_SOCK_ACCEPT (1ull << 29)
#define WASI_RIGHTS_ALL ((1ull << 30) - 1)

/* The rights that apply to a directory: what wasmtime reports as a
 * preopened directory's base rights (wasmtime-wasi p1 fd_fdstat_get), plus
 * PATH_FILESTAT_SET_SIZE, which path_open with O_TRUNC needs. */
#define WASI_RIGHTS_DIRECTORY                                                                      \
    (WASI_RIGHT_PATH_CREATE_DIRECTORY | WASI_RIGHT_PATH_CREATE_FILE | WASI_RIGHT_PATH_LINK_SOURCE | \
     WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_OPEN | WASI_RIGHT_FD_READDIR |                  \
     WASI_RIGHT_PATH_READLINK | WASI_RIGHT_PATH_RENAME_SOURCE | WASI_RIGHT_PATH_RENAME_TARGET |    \
     WASI_RIGHT_PATH_FILESTAT_GET | WASI_RIGHT_PATH_FILESTAT_SET_SIZE |                           \
     WASI_RIGHT_PATH_FILESTAT_SET_TIMES | WASI_RIGHT_FD_FILESTAT_GET |                            \
     WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_SYMLINK | WASI_RIGHT_PATH_REMOVE_DIRECTORY | \
     WASI_RIGHT_PATH_UNLINK_FILE)
/* The rights that apply to a regular file (wasmtime's additional
 * inheriting rights of a preopened directory, old wasi-common's FileCaps). */
#define WASI_RIGHTS_REGULAR_FILE                                                                   \
    (WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK |                           \
     WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_TELL | WASI_RIGHT_FD_WRITE | \
     WASI_RIGHT_FD_ADVISE | WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_GET |                  \
     WASI_RIGHT_FD_FILESTAT_SET_SIZE | WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_POLL_FD_READWRITE)

/* oflags, fdflags, lookup and fstflags */
#define WASI_LOOKUP_SYMLINK_FOLLOW 1
#define WASI_O_CREAT 1
#define WASI_O_DIRECTORY 2
#define WASI_O_EXCL 4
#define WASI_O_TRUNC 8
#define WASI_FDFLAG_APPEND 1
#define WASI_FDFLAGS_ALL 0x1f
#define WASI_FSTFLAG_ATIM 1
#define WASI_FSTFLAG_ATIM_NOW 2
#define WASI_FSTFLAG_MTIM 4
#define WASI_FSTFLAG_MTIM_NOW 8

/* whence */
#define WASI_WHENCE_SET 0
#define WASI_WHENCE_CUR 1
#define WASI_WHENCE_END 2

/* clocks */
#define WASI_CLOCK_REALTIME 0
#define WASI_CLOCK_MONOTONIC 1
#define WASI_CLOCK_PROCESS_CPUTIME 2
#define WASI_CLOCK_THREAD_CPUTIME 3

/* ciovec / iovec: { u32 buf; u32 len } */
#define WASI_IOVEC_SIZE 8
/* fdstat */
#define WASI_FDSTAT_SIZE 24
#define WASI_FDSTAT_FILETYPE 0
#define WASI_FDSTAT_FLAGS 2
#define WASI_FDSTAT_RIGHTS_BASE 8
#define WASI_FDSTAT_RIGHTS_INHERITING 16
/* filestat */
#define WASI_FILESTAT_SIZE 64
#define WASI_FILESTAT_DEV 0
#define WASI_FILESTAT_INO 8
#define WASI_FILESTAT_FILETYPE 16
#define WASI_FILESTAT_NLINK 24
#define WASI_FILESTAT_FILESIZE 32
#define WASI_FILESTAT_ATIM 40
#define WASI_FILESTAT_MTIM 48
#define WASI_FILESTAT_CTIM 56
/* prestat */
#define WASI_PRESTAT_SIZE 8
#define WASI_PRESTAT_TAG 0
#define WASI_PRESTAT_NAME_LEN 4
/* dirent */
#define WASI_DIRENT_SIZE 24
#define WASI_DIRENT_NEXT 0
#define WASI_DIRENT_INO 8
#define WASI_DIRENT_NAMLEN 16
#define WASI_DIRENT_TYPE 20
/* subscription */
#define WASI_SUBSCRIPTION_SIZE 48
#define WASI_SUBSCRIPTION_USERDATA 0
#define WASI_SUBSCRIPTION_TAG 8
#define WASI_SUBSCRIPTION_CLOCK_ID 16
#define WASI_SUBSCRIPTION_CLOCK_TIMEOUT 24
#define WASI_SUBSCRIPTION_CLOCK_PRECISION 32
#define WASI_SUBSCRIPTION_CLOCK_FLAGS 40
#define WASI_SUBSCRIPTION_FD 16
#define WASI_SUBCLOCK_ABSTIME 1
/* event */
#define WASI_EVENT_SIZE 32
#define WASI_EVENT_USERDATA 0
#define WASI_EVENT_ERROR 8
#define WASI_EVENT_TYPE 10
#define WASI_EVENT_NBYTES 16
#define WASI_EVENT_FLAGS 24
#define WASI_EVENTTYPE_CLOCK 0
#define WASI_EVENTTYPE_FD_READ 1
#define WASI_EVENTTYPE_FD_WRITE 2

#endif
