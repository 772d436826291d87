/* module.c — CPU-bound benchmark: CRC-32 (slicing-by-8) of the whole
 * content. As a wadup reactor module (wasm32-wasi) process() reads
 * /data.bin with read() in 1 MiB chunks, checksums it and prints
 * "crc32 xxxxxxxx\n" to stdout. Compiled natively (with native_main.c) the
 * same crc32_path() runs over a host file, so both sides execute identical
 * code: see bench/cpu_bound.py. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include "crc32_kernel.h"

#define CHUNK (1024 * 1024)

static uint8_t chunk[CHUNK];

/* crc32_path: CRC-32 of the file at `path`, read sequentially in CHUNK-byte
 * reads. Returns 0 and sets *out, or -1 (errno set) on an I/O error. */
int crc32_path(const char *path, uint32_t *out) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    crc32_init();
    uint32_t crc = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0) {
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        crc = crc32_update(crc, chunk, (size_t)n);
    }
    close(fd);
    *out = crc;
    return 0;
}

#ifdef __wasm__
__attribute__((export_name("process"))) int process(void) {
    uint32_t crc;
    if (crc32_path("/data.bin", &crc) != 0) {
        perror("crc32: /data.bin");
        return 1;
    }
    printf("crc32 %08x\n", (unsigned)crc);
    return fflush(stdout) == 0 ? 0 : 1;
}
#endif
