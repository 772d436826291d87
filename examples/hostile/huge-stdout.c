/* huge-stdout.c — hostile module: writes 8 MiB to stdout in 64 KiB chunks.
 *
 * Expected wadup outcome: success (process returns 0), with the captured
 * stdout truncated at the 1 MiB cap and "stdout_truncated": true. Write
 * errors are ignored (the loop stops on one) so the result is success
 * whether the host silently discards excess output or reports an error. */
// build-flags: -mexec-model=reactor
#include <string.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define TOTAL (8 * 1024 * 1024)

static char chunk[CHUNK];

__attribute__((export_name("process"))) int process(void) {
    for (size_t i = 0; i < CHUNK; i++)
        chunk[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
    size_t total = 0;
    while (total < TOTAL) {
        size_t done = 0;
        while (done < CHUNK) {
            ssize_t n = write(1, chunk + done, CHUNK - done);
            if (n <= 0)
                return 0;
            done += (size_t)n;
        }
        total += done;
    }
    return 0;
}
