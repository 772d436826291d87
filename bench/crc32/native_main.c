/* native_main.c — native driver for the CRC-32 benchmark: runs the same
 * crc32_path() as the wasm module (module.c) over argv[1], prints
 * "crc32 xxxxxxxx" to stdout exactly like the module, and the time spent in
 * the computation (open + reads + CRC) as "native_ms N" to stderr. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int crc32_path(const char *path, uint32_t *out);

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    struct timespec t0, t1;
    uint32_t crc;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = crc32_path(argv[1], &crc);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != 0) {
        perror(argv[1]);
        return 1;
    }
    printf("crc32 %08x\n", (unsigned)crc);
    fprintf(stderr, "native_ms %.3f\n",
            (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    return 0;
}
