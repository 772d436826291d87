/* wasi_host_io.h — blocking I/O on real host descriptors on behalf of a
 * guest call (the passthrough stdio of `wadup exec`), internal to wasi/.
 *
 * Every wait is bounded by the running guest call's deadline: the waits
 * are poll() calls whose timeout never goes past the deadline and which
 * the runtime's timer signal interrupts (EINTR), after which
 * rt_check_deadline stops the guest with a timeout. So a guest blocked
 * reading a pipe nobody writes, or writing a pipe nobody reads, still ends
 * at --timeout. Must be called inside a WASI function (after
 * rt_host_enter) holding nothing that needs releasing, since a timeout
 * leaves by rt_raise. Results are WASI errno values. */
#ifndef WADUP_WASI_WASI_HOST_IO_H
#define WADUP_WASI_WASI_HOST_IO_H
#include <stddef.h>
#include <stdint.h>

/* wasi_host_read: wait until `fd` is readable, then read up to len bytes
 * into buf (*got = 0 at end of file). Returns 0 or a WASI errno. */
uint32_t wasi_host_read(int fd, void *buf, size_t len, size_t *got);
/* wasi_host_write: write all len bytes of buf to `fd`, in pieces that
 * never block once poll() reported the descriptor writable (PIPE_BUF for
 * anything but a regular file, which takes larger pieces: `regular`).
 * *done is the number of bytes written, also on error. Returns 0 or a
 * WASI errno (EPIPE when the reader went away: SIGPIPE must be ignored
 * by the process). */
uint32_t wasi_host_write(int fd, const void *buf, size_t len, int regular, size_t *done);
/* wasi_host_filetype: the WASI filetype of host descriptor fd: regular
 * file, directory, character device (terminals, /dev/null), block device,
 * socket (stream or datagram), else unknown (pipes: WASI preview1 has no
 * type for them). */
uint8_t wasi_host_filetype(int fd);

#endif
