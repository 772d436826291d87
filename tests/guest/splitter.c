/* splitter.c — a guest module that emits sub-content following a recipe in
 * the content itself, for the batch-runner tests:
 *   "D:<n>:<k>"  emits k byte children, each "D:<n-1>:<k>" (none when n = 0):
 *                a tree of depth n and fan-out k (identical siblings, so
 *                also duplicates);
 *   "U:<n>:<k>"  like D but every child is unique ("U:<n-1>:<k>:<i>...");
 *   "S<rest>"    emits a zero-copy slice of itself without the first byte:
 *                "SSSx" gives the chain "SSx", "Sx", "x" of slices of slices;
 *   "sleep:<ms>" sleeps, then succeeds (for interrupting a run);
 * anything else: no output. Table split_seen(depth Int64, size Int64)
 * records every content seen. */
#define WADUP_IMPLEMENTATION
#include "wadup.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const wadup_column seen_cols[] = {{"depth", WADUP_INT64}, {"size", WADUP_INT64}};

static char *read_all(size_t *len) {
    int fd = open("/data.bin", O_RDONLY);
    if (fd < 0) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    ssize_t got;
    while (buf && (got = read(fd, buf + n, cap - n)) > 0) {
        n += (size_t)got;
        if (n == cap) {
            char *grown = realloc(buf, cap * 2 + 1);
            if (!grown) { free(buf); buf = NULL; break; }
            buf = grown;
            cap *= 2;
        }
    }
    close(fd);
    if (buf) buf[n] = 0;
    *len = n;
    return buf;
}

static int emit_tree(const char *recipe, int unique) {
    int n = 0, k = 0;
    if (sscanf(recipe + 2, "%d:%d", &n, &k) != 2 || n <= 0 || k < 0 || k > 100000) return 0;
    for (int i = 0; i < k; i++) {
        char child[128];
        int len = unique ? snprintf(child, sizeof child, "U:%d:%d:%s.%d", n - 1, k, recipe + 2, i)
                         : snprintf(child, sizeof child, "D:%d:%d", n - 1, k);
        if (len < 0 || len >= (int)sizeof child) len = (int)sizeof child - 1;
        char name[32];
        snprintf(name, sizeof name, "child_%d.txt", i);
        if (wadup_emit_bytes(child, (size_t)len, name) != 0) return 1;
    }
    return 0;
}

WADUP_EXPORT("process") int process(void) {
    size_t len;
    char *data = read_all(&len);
    if (!data) return 1;
    const char *depth = wadup_getenv("WADUP_DEPTH");
    wadup_define_table("split_seen", seen_cols, 2);
    WADUP_ROW("split_seen", wadup_int64(depth ? atoll(depth) : -1), wadup_int64((int64_t)len));
    int rc = 0;
    if (len > 2 && (data[0] == 'D' || data[0] == 'U') && data[1] == ':') rc = emit_tree(data, data[0] == 'U');
    else if (len > 1 && data[0] == 'S') rc = wadup_emit_slice(1, len - 1, "slice.bin");
    else if (strncmp(data, "sleep:", 6) == 0) {
        struct timespec ts = {0, atol(data + 6) * 1000000L};
        nanosleep(&ts, NULL);
    }
    free(data);
    return wadup_flush() == 0 && rc == 0 ? 0 : 1;
}
