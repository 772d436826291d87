/* wasi_probe.c — a guest module that exercises wadup's WASI and virtual
 * filesystem from the inside and reports one row per check in table
 * checks(name String, ok Boolean, detail String). tests/e2e checks that
 * every row is ok and that the details carry the expected values. */
#define WADUP_IMPLEMENTATION
#include "wadup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static const wadup_column check_cols[] = {{"name", WADUP_STRING}, {"ok", WADUP_BOOLEAN}, {"detail", WADUP_STRING}};

static void report(const char *name, int ok, const char *detail) {
    WADUP_ROW("checks", wadup_string(name), wadup_bool(ok), wadup_string(detail));
}

static int write_file(const char *path, const char *text, int flags) {
    int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static char *read_file(const char *path, char *buf, size_t cap) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return NULL;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0) return NULL;
    buf[n] = 0;
    return buf;
}

static void check_data(void) {
    struct stat st;
    char detail[64];
    int ok = stat("/data.bin", &st) == 0;
    snprintf(detail, sizeof detail, "%lld", ok ? (long long)st.st_size : -1LL);
    report("data_size", ok, detail);
    /* opening the content for writing works (SQLite opens O_RDWR), writing fails */
    int fd = open("/data.bin", O_WRONLY);
    int ok_ro = fd >= 0 && write(fd, "x", 1) < 0 && errno == EROFS;
    report("data_readonly", ok_ro, strerror(errno));
    if (fd >= 0) close(fd);
    fd = open("/new_in_root", O_WRONLY | O_CREAT, 0644);
    report("root_readonly", fd < 0 && errno == EROFS, strerror(errno));
    if (fd >= 0) close(fd);
}

static void check_files(void) {
    char buf[64];
    int ok = write_file("/tmp/a", "hello", O_TRUNC) == 0 && read_file("/tmp/a", buf, sizeof buf) &&
             strcmp(buf, "hello") == 0;
    report("tmp_write_read", ok, ok ? buf : strerror(errno));
    ok = write_file("/tmp/a", " world", O_APPEND) == 0 && read_file("/tmp/a", buf, sizeof buf) &&
         strcmp(buf, "hello world") == 0;
    report("append", ok, buf);
    int fd = open("/tmp/a", O_RDWR);
    ok = fd >= 0 && ftruncate(fd, 3) == 0;
    struct stat st;
    ok = ok && fstat(fd, &st) == 0 && st.st_size == 3 && ftruncate(fd, 6) == 0;
    char raw[8] = {0};
    ok = ok && pread(fd, raw, sizeof raw, 0) == 6 && memcmp(raw, "hel\0\0\0", 6) == 0;
    ok = ok && pwrite(fd, "XY", 2, 10) == 2 && fstat(fd, &st) == 0 && st.st_size == 12;
    if (fd >= 0) close(fd);
    report("ftruncate_pread_pwrite", ok, "");
    ok = unlink("/tmp/a") == 0 && stat("/tmp/a", &st) != 0 && errno == ENOENT;
    report("unlink", ok, strerror(errno));
    ok = write_file("/tmp/b", "b", 0) == 0 && rename("/tmp/b", "/tmp/c") == 0 && stat("/tmp/b", &st) != 0 &&
         stat("/tmp/c", &st) == 0 && st.st_size == 1;
    report("rename", ok, "");
    ok = mkdir("/tmp/d", 0755) == 0 && write_file("/tmp/d/f", "x", 0) == 0 && rmdir("/tmp/d") != 0 &&
         errno == ENOTEMPTY && unlink("/tmp/d/f") == 0 && rmdir("/tmp/d") == 0;
    report("mkdir_rmdir", ok, strerror(errno));
    ok = mkdir("/tmp/e", 0755) == 0 && write_file("/tmp/./e/../e/g", "dots", 0) == 0 &&
         read_file("/tmp/e/g", buf, sizeof buf) && strcmp(buf, "dots") == 0 && stat("/", &st) == 0 &&
         S_ISDIR(st.st_mode) && stat("/tmp/", &st) == 0 && S_ISDIR(st.st_mode);
    report("dot_dotdot", ok, "");
}

static void check_readdir(void) {
    mkdir("/tmp/list", 0755);
    write_file("/tmp/list/x", "1", 0);
    write_file("/tmp/list/y", "2", 0);
    write_file("/tmp/list/z", "3", 0);
    DIR *d = opendir("/tmp/list");
    char names[128] = "";
    struct dirent *e;
    int count = 0;
    while (d && (e = readdir(d))) {
        strncat(names, e->d_name, sizeof names - strlen(names) - 2);
        strcat(names, ",");
        count++;
    }
    if (d) closedir(d);
    report("readdir", count == 5 && strcmp(names, ".,..,x,y,z,") == 0, names);
}

/* check_delete_while_reading: remove every entry of a 400-file directory
 * while iterating it (as rm -r does): needs several fd_readdir calls, and
 * no entry may be skipped, so the directory ends empty. */
static void check_delete_while_reading(void) {
    mkdir("/tmp/many", 0755);
    char path[96];
    for (int i = 0; i < 400; i++) {
        snprintf(path, sizeof path, "/tmp/many/file-with-a-long-name-%04d", i);
        write_file(path, "x", 0);
    }
    DIR *d = opendir("/tmp/many");
    struct dirent *e;
    int removed = 0;
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "/tmp/many/%s", e->d_name);
        if (unlink(path) == 0) removed++;
    }
    if (d) closedir(d);
    char detail[32];
    snprintf(detail, sizeof detail, "%d", removed);
    report("delete_while_reading", removed == 400 && rmdir("/tmp/many") == 0, detail);
}

static void check_environment(void) {
    report("env_filename", 1, wadup_filename());
    report("env_depth", strcmp(wadup_getenv("WADUP_DEPTH") ? wadup_getenv("WADUP_DEPTH") : "", "0") == 0,
           wadup_getenv("WADUP_DEPTH"));
    const char *uuid = wadup_getenv("WADUP_CONTENT_UUID");
    report("env_uuid", uuid && strlen(uuid) == 36 && uuid[14] == '4', uuid);
    __wasi_size_t argc = 0, size = 0;
    char buf[256] = "";
    char *argv[8];
    int ok = __wasi_args_sizes_get(&argc, &size) == 0 && argc == 1 && size < sizeof buf &&
             __wasi_args_get((uint8_t **)argv, (uint8_t *)buf) == 0;
    report("argv0", ok, ok ? argv[0] : "");
}

static void check_clock_random(void) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec nap = {0, 20 * 1000 * 1000};
    nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long long ms = (long long)(b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    char detail[32];
    snprintf(detail, sizeof detail, "%lld", ms);
    report("sleep_20ms", ms >= 19 && ms < 2000, detail);
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    report("realtime", rt.tv_sec > 1700000000, "");
    unsigned char r1[32] = {0}, r2[32] = {0}, zero[32] = {0};
    int ok = getentropy(r1, sizeof r1) == 0 && getentropy(r2, sizeof r2) == 0 && memcmp(r1, zero, 32) != 0 &&
             memcmp(r1, r2, 32) != 0;
    report("random", ok, "");
    report("sock_shutdown", __wasi_sock_shutdown(1, __WASI_SDFLAGS_WR) == __WASI_ERRNO_NOTSOCK, "");
}

static void check_embedded(void) {
    char buf[128];
    if (!read_file("/probe/embedded.txt", buf, sizeof buf)) return;
    int fd = open("/probe/embedded.txt", O_WRONLY);
    int ok_ro = fd >= 0 && write(fd, "x", 1) < 0 && errno == EROFS;
    report("embedded", ok_ro, buf);
    if (fd >= 0) close(fd);
}

WADUP_EXPORT("process") int process(void) {
    if (wadup_define_table("checks", check_cols, 3) != 0) return 1;
    check_data();
    check_files();
    check_readdir();
    check_delete_while_reading();
    check_environment();
    check_clock_random();
    check_embedded();
    return wadup_flush() == 0 ? 0 : 2;
}
