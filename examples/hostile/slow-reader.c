// build-flags: -mexec-model=reactor
/* slow-reader.c — hostile-situation module: sleeps 1.5 s, then reads all
 * of /data.bin in 64 KiB steps and reports how that went.
 *
 * It gives a test time to truncate the input file while wadup has it
 * mapped. Expected wadup outcome then: the read fails with EIO (wadup
 * turns the SIGBUS of the vanished pages into an I/O error), this module
 * prints "slow-reader: read /data.bin failed after N bytes: errno 29
 * (I/O error)" on stderr and process() returns 2, so its run fails with
 * error_kind "module_error"; wadup itself neither crashes nor stops. On an
 * intact file it prints the byte count on stdout and returns 0. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned char chunk[64 * 1024];

/* read_all: read fd to its end; returns the bytes read, or -1 with errno
 * set (*done then holds the bytes read before the error). */
static long long read_all(int fd, long long *done) {
    *done = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0) return -1;
        if (n == 0) return *done;
        *done += n;
    }
}

__attribute__((export_name("process"))) int process(void) {
    const struct timespec nap = {.tv_sec = 1, .tv_nsec = 500 * 1000 * 1000};
    nanosleep(&nap, NULL);
    int fd = open("/data.bin", O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "slow-reader: open /data.bin failed: errno %d (%s)\n", errno, strerror(errno));
        return 1;
    }
    long long done = 0;
    long long total = read_all(fd, &done);
    int e = errno;
    close(fd);
    if (total < 0) {
        fprintf(stderr, "slow-reader: read /data.bin failed after %lld bytes: errno %d (%s)\n", done, e, strerror(e));
        return 2;
    }
    printf("slow-reader: read %lld bytes\n", total);
    return 0;
}
