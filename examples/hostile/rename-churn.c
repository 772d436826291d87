/* rename-churn.c — hostile module: renames one file in /tmp back and forth
 * under ever new names, thousands of times, looking each name up.
 *
 * Every same-directory rename used to leave a tombstone in the directory's
 * hash index without ever rebuilding it, until a lookup probed a full table
 * for ever in host code, where no timeout could stop it. Expected now:
 * success, quickly (the file ends as /tmp/f20000). */
// build-flags: -mexec-model=reactor
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((export_name("process"))) int process(void) {
    int fd = open("/tmp/f0", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 1;
    close(fd);
    char from[32], to[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(from, sizeof from, "/tmp/f%d", i);
        snprintf(to, sizeof to, "/tmp/f%d", i + 1);
        if (rename(from, to) != 0) return 2;
        struct stat st;
        if (stat(from, &st) == 0 || stat(to, &st) != 0) return 3;
    }
    printf("renamed 20000 times\n");
    return 0;
}
