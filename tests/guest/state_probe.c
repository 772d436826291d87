/* state_probe.c — a guest module that shows what survives from one content
 * to the next. Each call reports, in table state(...), its call number
 * (instance reuse), what it finds left in /tmp, /metadata and /subcontent,
 * and whether the descriptor it kept open last time still works; then it
 * leaves a marker in /tmp, an unclosed /metadata file and an open
 * descriptor behind. The content decides how the call ends: "fail" returns
 * 1, "trap" executes unreachable, "emit" emits sub-content, else success. */
#define WADUP_IMPLEMENTATION
#include "wadup.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const wadup_column state_cols[] = {
    {"call", WADUP_INT64},         {"tmp_entries", WADUP_INT64}, {"meta_entries", WADUP_INT64},
    {"sub_entries", WADUP_INT64},  {"marker_seen", WADUP_BOOLEAN}, {"old_fd_works", WADUP_BOOLEAN},
    {"content", WADUP_STRING}};

static int64_t calls;
static int kept_fd = -1;

static int64_t count_entries(const char *path) {
    DIR *d = opendir(path);
    int64_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    if (d) closedir(d);
    return d ? n : -1;
}

static void read_content(char *buf, size_t cap) {
    int fd = open("/data.bin", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, cap - 1) : 0;
    buf[n > 0 ? n : 0] = 0;
    if (fd >= 0) close(fd);
    buf[strcspn(buf, "\n")] = 0;
}

WADUP_EXPORT("process") int process(void) {
    char content[64];
    read_content(content, sizeof content);
    struct stat st;
    int old_fd_works = kept_fd >= 0 && write(kept_fd, "x", 1) == 1;
    calls++;
    wadup_define_table("state", state_cols, 7);
    WADUP_ROW("state", wadup_int64(calls), wadup_int64(count_entries("/tmp")), wadup_int64(count_entries("/metadata")),
              wadup_int64(count_entries("/subcontent")), wadup_bool(stat("/tmp/marker", &st) == 0),
              wadup_bool(old_fd_works), wadup_string(content));
    wadup_flush();
    close(open("/tmp/marker", O_WRONLY | O_CREAT, 0644));
    kept_fd = open("/tmp/kept", O_WRONLY | O_CREAT, 0644);
    int fd = open("/metadata/unclosed.json", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    static const char leftover[] =
        "{\"tables\":[{\"name\":\"leftover\",\"columns\":[{\"name\":\"call\",\"data_type\":\"Int64\"}]}],"
        "\"rows\":[{\"table_name\":\"leftover\",\"values\":[{\"Int64\":%lld}]}]}";
    char text[256];
    int n = snprintf(text, sizeof text, leftover, (long long)calls);
    if (fd >= 0 && n > 0) write(fd, text, (size_t)n); /* deliberately not closed */
    if (strcmp(content, "fail") == 0) return 1;
    if (strcmp(content, "trap") == 0) __builtin_trap();
    if (strcmp(content, "emit") == 0) {
        wadup_emit_bytes("child-bytes", 11, "child.txt");
        wadup_emit_slice(0, 2, "slice.bin");
    }
    return 0;
}
