/* wasi_host_io.c — blocking reads and writes on host descriptors bounded
 * by the guest call's deadline, and host descriptor types as WASI
 * filetypes (see wasi_host_io.h). Owns nothing: the descriptors belong to
 * the caller. */
#include "wasi/wasi_host_io.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rt/rt.h"
#include "wasi/wasi_abi.h"

/* WASI errno values wasi_abi.h does not name. */
#define WASI_HOST_EDQUOT 19
#define WASI_HOST_EFBIG 22
#define WASI_HOST_EPIPE 64
#define WASI_FILETYPE_BLOCK_DEVICE_ 1
#define WASI_FILETYPE_SOCKET_DGRAM_ 5
#define WASI_FILETYPE_SOCKET_STREAM_ 6

#define WASI_HOST_FILE_CHUNK ((size_t)1 << 20) /* per write() to a regular file */

/* host_errno: the WASI errno for a host errno from read/write/poll. */
static uint32_t host_errno(int e) {
    switch (e) {
    case EPIPE: return WASI_HOST_EPIPE;
    case EBADF: return WASI_EBADF;
    case ENOSPC: return WASI_ENOSPC;
    case EDQUOT: return WASI_HOST_EDQUOT;
    case EFBIG: return WASI_HOST_EFBIG;
    case EISDIR: return WASI_EISDIR;
    case EINVAL: return WASI_EINVAL;
    case ENOMEM: return WASI_ENOMEM;
    default: return WASI_EIO;
    }
}

/* poll_timeout_ms: milliseconds until the call's deadline, rounded up and
 * capped at INT_MAX, or -1 when the call has no deadline. */
static int poll_timeout_ms(void) {
    uint64_t deadline = rt_call_deadline();
    if (!deadline) return -1;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    if (now >= deadline) return 0;
    uint64_t ms = (deadline - now + 999999u) / 1000000u;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* host_wait: block until fd reports one of `events` (or an error or hang
 * up, which the following read/write then reports), stopping the guest
 * (rt_check_deadline) once the call's deadline has passed. Returns 0, or
 * -1 with errno for a poll failure other than EINTR. */
static int host_wait(int fd, short events) {
    for (;;) {
        rt_check_deadline();
        struct pollfd p = {.fd = fd, .events = events, .revents = 0};
        int rc = poll(&p, 1, poll_timeout_ms());
        if (rc > 0) return 0;
        if (rc < 0 && errno != EINTR && errno != EAGAIN) return -1;
        /* rc == 0: the deadline came; EINTR: maybe the timer signal. */
    }
}

/* wasi_host_read: see wasi_host_io.h. */
uint32_t wasi_host_read(int fd, void *buf, size_t len, size_t *got) {
    *got = 0;
    if (len == 0) return 0;
    if (len > SSIZE_MAX) len = SSIZE_MAX;
    for (;;) {
        if (host_wait(fd, POLLIN) != 0) return host_errno(errno);
        ssize_t n = read(fd, buf, len);
        if (n >= 0) {
            *got = (size_t)n;
            return 0;
        }
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) return host_errno(errno);
    }
}

/* wasi_host_write: see wasi_host_io.h. */
uint32_t wasi_host_write(int fd, const void *buf, size_t len, int regular, size_t *done) {
    const unsigned char *p = buf;
    size_t chunk = regular ? WASI_HOST_FILE_CHUNK : PIPE_BUF;
    *done = 0;
    while (*done < len) {
        if (host_wait(fd, POLLOUT) != 0) return host_errno(errno);
        size_t step = len - *done < chunk ? len - *done : chunk;
        ssize_t n = write(fd, p + *done, step);
        if (n > 0) *done += (size_t)n;
        else if (n == 0) return WASI_EIO;
        else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) return host_errno(errno);
    }
    return 0;
}

/* socket_filetype: stream or datagram socket. */
static uint8_t socket_filetype(int fd) {
    int type = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM)
        return WASI_FILETYPE_SOCKET_DGRAM_;
    return WASI_FILETYPE_SOCKET_STREAM_;
}

/* wasi_host_filetype: see wasi_host_io.h. */
uint8_t wasi_host_filetype(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) return WASI_FILETYPE_UNKNOWN;
    if (S_ISREG(st.st_mode)) return WASI_FILETYPE_REGULAR_FILE;
    if (S_ISDIR(st.st_mode)) return WASI_FILETYPE_DIRECTORY;
    if (S_ISCHR(st.st_mode)) return WASI_FILETYPE_CHARACTER_DEVICE;
    if (S_ISBLK(st.st_mode)) return WASI_FILETYPE_BLOCK_DEVICE_;
    if (S_ISSOCK(st.st_mode)) return socket_filetype(fd);
    return WASI_FILETYPE_UNKNOWN;
}
