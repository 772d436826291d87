/* exec_probe.c — a WASI command module (exports _start, built without
 * -mexec-model=reactor) for the `wadup exec` end-to-end tests
 * (tests/e2e/test_exec.py). argv[1] picks what it does:
 *   args             print argc, each argv, then each environ entry
 *   echo             copy stdin to stdout until end of file
 *   lines            for each line of stdin print "got: LINE" and flush
 *   stderr TEXT      write TEXT and a newline to stderr
 *   exit N           exit with code N (after printing "exiting N")
 *   trap             __builtin_trap()
 *   ls DIR           list DIR recursively: "d PATH" / "f PATH SIZE FNV1A64" /
 *                    "l PATH TARGET"
 *   cat FILE         copy FILE to stdout
 *   mutate DIR       change the tree under DIR (write, create, delete,
 *                    rename, mkdir), print "mutated", then list DIR as ls
 *   prestat          "FD NAME" for each preopen from fd 3 up
 *   open3            try path_open on fd 3: print "errno N"
 *   fdstat           "FD FILETYPE" for fds 0, 1, 2
 *   grow MIB         allocate and touch MIB MiB, print "grew" */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

extern char **environ;

static int do_args(int argc, char **argv) {
    printf("argc %d\n", argc);
    for (int i = 0; i < argc; i++) printf("arg %s\n", argv[i]);
    for (char **e = environ; *e; e++) printf("env %s\n", *e);
    return 0;
}

static int do_lines(void) {
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        printf("got: %s", line);
        fflush(stdout);
    }
    return 0;
}

static int do_echo(void) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
        if (fwrite(buf, 1, n, stdout) != n) return 1;
    return ferror(stdin) ? 1 : 0;
}

/* fnv1a_file: the FNV-1a 64 hash and size of a file, or -1. */
static int fnv1a_file(const char *path, uint64_t *hash, uint64_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    uint64_t h = 1469598103934665603ull, n = 0;
    int c;
    while ((c = getc(f)) != EOF) {
        h = (h ^ (uint8_t)c) * 1099511628211ull;
        n++;
    }
    fclose(f);
    *hash = h;
    *size = n;
    return 0;
}

static int list(const char *dir, const char *rel) {
    DIR *d = opendir(dir);
    if (!d) { printf("error %s %s\n", dir, strerror(errno)); return 1; }
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char path[4096], relpath[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(relpath, sizeof relpath, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0) { printf("error %s %s\n", relpath, strerror(errno)); rc = 1; continue; }
        if (S_ISDIR(st.st_mode)) {
            printf("d %s\n", relpath);
            rc |= list(path, relpath);
        } else if (S_ISLNK(st.st_mode)) {
            char target[4097];
            ssize_t n = readlink(path, target, sizeof target - 1);
            if (n < 0) { printf("error %s %s\n", relpath, strerror(errno)); rc = 1; continue; }
            target[n] = 0;
            printf("l %s %s\n", relpath, target);
        } else {
            uint64_t h, n;
            if (fnv1a_file(path, &h, &n) != 0) { printf("error %s %s\n", relpath, strerror(errno)); rc = 1; continue; }
            printf("f %s %llu %016llx\n", relpath, (unsigned long long)n, (unsigned long long)h);
        }
    }
    closedir(d);
    return rc;
}

static int do_cat(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "cat %s: %s\n", path, strerror(errno)); return 1; }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
    fclose(f);
    return 0;
}

static int write_text(const char *path, const char *text, int flags) {
    int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* do_mutate: expects DIR/top.txt, DIR/sub/inner.txt, DIR/sub/deep/leaf.txt. */
static int do_mutate(const char *dir) {
    char a[4096], b[4096];
    int rc = 0;
    snprintf(a, sizeof a, "%s/top.txt", dir);
    if (write_text(a, "overwritten in the sandbox\n", O_TRUNC) != 0) { perror("overwrite"); rc = 1; }
    snprintf(a, sizeof a, "%s/created.txt", dir);
    if (write_text(a, "created in the sandbox\n", O_EXCL) != 0) { perror("create"); rc = 1; }
    snprintf(a, sizeof a, "%s/sub/inner.txt", dir);
    if (unlink(a) != 0) { perror("unlink"); rc = 1; }
    snprintf(a, sizeof a, "%s/sub/deep/leaf.txt", dir);
    snprintf(b, sizeof b, "%s/renamed.txt", dir);
    if (rename(a, b) != 0) { perror("rename"); rc = 1; }
    snprintf(a, sizeof a, "%s/newdir", dir);
    if (mkdir(a, 0755) != 0) { perror("mkdir"); rc = 1; }
    if (rc) return rc;
    printf("mutated\n");
    return list(dir, "");
}

static int do_prestat(void) {
    for (__wasi_fd_t fd = 3;; fd++) {
        __wasi_prestat_t ps;
        if (__wasi_fd_prestat_get(fd, &ps) != 0) break;
        char name[4096];
        size_t len = ps.u.dir.pr_name_len;
        if (len >= sizeof name || __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, len) != 0) return 1;
        name[len] = 0;
        printf("%u %s\n", (unsigned)fd, name);
    }
    return 0;
}

static int do_open3(void) {
    __wasi_fd_t fd;
    __wasi_errno_t e = __wasi_path_open(3, 0, "x", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
    printf("errno %u\n", (unsigned)e);
    return 0;
}

static int do_fdstat(void) {
    for (__wasi_fd_t fd = 0; fd < 3; fd++) {
        __wasi_fdstat_t st;
        if (__wasi_fd_fdstat_get(fd, &st) != 0) return 1;
        fprintf(fd == 2 ? stderr : stdout, "%u %u\n", (unsigned)fd, (unsigned)st.fs_filetype);
    }
    return 0;
}

static int do_grow(const char *mib) {
    size_t n = (size_t)strtoul(mib, NULL, 10) << 20;
    char *p = malloc(n);
    if (!p) { fprintf(stderr, "grow: malloc failed\n"); abort(); }
    memset(p, 1, n);
    printf("grew %zu\n", n);
    return p[n / 2] == 1 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: exec_probe COMMAND [ARGS]\n"); return 64; }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "args")) return do_args(argc, argv);
    if (!strcmp(cmd, "echo")) return do_echo();
    if (!strcmp(cmd, "lines")) return do_lines();
    if (!strcmp(cmd, "stderr") && argc > 2) { fprintf(stderr, "%s\n", argv[2]); return 0; }
    if (!strcmp(cmd, "exit") && argc > 2) {
        printf("exiting %s\n", argv[2]);
        fflush(stdout);
        exit(atoi(argv[2]));
    }
    if (!strcmp(cmd, "trap")) {
        printf("before the trap\n");
        fflush(stdout);
        __builtin_trap();
    }
    if (!strcmp(cmd, "ls") && argc > 2) return list(argv[2], "");
    if (!strcmp(cmd, "cat") && argc > 2) return do_cat(argv[2]);
    if (!strcmp(cmd, "mutate") && argc > 2) return do_mutate(argv[2]);
    if (!strcmp(cmd, "prestat")) return do_prestat();
    if (!strcmp(cmd, "open3")) return do_open3();
    if (!strcmp(cmd, "fdstat")) return do_fdstat();
    if (!strcmp(cmd, "grow") && argc > 2) return do_grow(argv[2]);
    fprintf(stderr, "exec_probe: unknown command %s\n", cmd);
    return 64;
}
