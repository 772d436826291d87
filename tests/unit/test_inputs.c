/* test_inputs.c — opening input files (src/util/mapped_file.c) and the
 * enumeration's link flag (src/run/input.c): only regular files are
 * accepted, decided on the descriptor; a FIFO, device, directory or (with
 * MAPPED_FILE_NOFOLLOW) symbolic link is refused at once with a
 * description, never blocking. The race "regular file at enumeration,
 * something else at open" is reproduced deterministically by swapping the
 * path between run_input_next and the open, exactly the sequence the
 * runner follows (run_take -> run_root_content). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "run/input.h"
#include "test.h"
#include "util/mapped_file.h"

static char scratch[] = "/tmp/wadup-test-inputs-XXXXXX";

/* path_in: "<scratch>/<name>" in one of four rotating static buffers (so
 * two results can be used together; names are short literals, and
 * snprintf truncates anything longer). */
static const char *path_in(const char *name) {
    static char bufs[4][256];
    static unsigned next;
    char *buf = bufs[next++ % 4];
    snprintf(buf, sizeof bufs[0], "%s/%s", scratch, name);
    return buf;
}

/* write_file: create `name` in the scratch directory holding len bytes of
 * the pattern i % 251. Returns 0 or -1. */
static int write_file(const char *name, size_t len) {
    FILE *f = fopen(path_in(name), "wb");
    if (!f) return -1;
    for (size_t i = 0; i < len; i++) fputc((int)(i % 251), f);
    return fclose(f) == 0 ? 0 : -1;
}

/* now_s: CLOCK_MONOTONIC seconds. */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* pattern_ok: the mapping holds len bytes of the write_file pattern. */
static int pattern_ok(const mapped_file_t *f, size_t len) {
    if (f->size != len) return 0;
    for (size_t i = 0; i < len; i++)
        if (f->data[i] != (uint8_t)(i % 251)) return 0;
    return 1;
}

TEST(regular_files_small_large_empty) {
    REQUIRE(write_file("small", 1000) == 0);
    REQUIRE(write_file("large", MAPPED_FILE_READ_MAX + 4096) == 0);
    REQUIRE(write_file("empty", 0) == 0);
    mapped_file_t f;
    REQUIRE(mapped_file_open_flags(path_in("small"), MAPPED_FILE_NOFOLLOW, &f) == 0);
    CHECK(f.is_copy);
    CHECK(pattern_ok(&f, 1000));
    mapped_file_close(&f);
    REQUIRE(mapped_file_open_flags(path_in("large"), MAPPED_FILE_NOFOLLOW, &f) == 0);
    CHECK(!f.is_copy);
    CHECK(pattern_ok(&f, MAPPED_FILE_READ_MAX + 4096));
    mapped_file_close(&f);
    REQUIRE(mapped_file_open(path_in("empty"), &f) == 0);
    CHECK(f.data == NULL);
    CHECK_EQ_INT(f.size, 0);
    mapped_file_close(&f);
}

TEST(fifo_is_refused_at_once) {
    REQUIRE(mkfifo(path_in("fifo"), 0600) == 0);
    mapped_file_t f;
    double t0 = now_s();
    alarm(10); /* a blocking open would hang the test: fail it instead */
    int rc = mapped_file_open_flags(path_in("fifo"), MAPPED_FILE_NOFOLLOW, &f);
    int e = errno;
    int rc2 = mapped_file_open(path_in("fifo"), &f); /* following or not, same answer */
    alarm(0);
    CHECK_EQ_INT(rc, -1);
    CHECK_EQ_INT(e, EINVAL);
    CHECK_EQ_INT(rc2, -1);
    CHECK_STR(f.refused, "not a regular file (FIFO)");
    CHECK_STR(mapped_file_strerror(&f, e), "not a regular file (FIFO)");
    CHECK(now_s() - t0 < 2.0);
}

TEST(symlink_refused_with_nofollow_followed_without) {
    REQUIRE(symlink(path_in("target"), path_in("link")) == 0);
    mapped_file_t f;
    CHECK_EQ_INT(mapped_file_open_flags(path_in("link"), MAPPED_FILE_NOFOLLOW, &f), -1);
    CHECK_EQ_INT(errno, ELOOP);
    CHECK_STR(f.refused, "symbolic link (not followed)");
    REQUIRE(mapped_file_open(path_in("link"), &f) == 0);
    CHECK(pattern_ok(&f, 100));
    mapped_file_close(&f);
    /* A link to a FIFO, followed: still refused by type, without blocking. */
    REQUIRE(mkfifo(path_in("fifo2"), 0600) == 0);
    REQUIRE(symlink(path_in("fifo2"), path_in("fifo-link")) == 0);
    alarm(10);
    CHECK_EQ_INT(mapped_file_open(path_in("fifo-link"), &f), -1);
    alarm(0);
    CHECK_STR(f.refused, "not a regular file (FIFO)");
    /* A dangling link is refused as a link too. */
    REQUIRE(symlink(path_in("nowhere"), path_in("dangling")) == 0);
    CHECK_EQ_INT(mapped_file_open_flags(path_in("dangling"), MAPPED_FILE_NOFOLLOW, &f), -1);
    CHECK_STR(f.refused, "symbolic link (not followed)");
}

TEST(device_directory_and_missing) {
    mapped_file_t f;
    CHECK_EQ_INT(mapped_file_open_flags("/dev/null", MAPPED_FILE_NOFOLLOW, &f), -1);
    CHECK_EQ_INT(errno, EINVAL);
    CHECK_STR(f.refused, "not a regular file (character device)");
    CHECK_EQ_INT(mapped_file_open_flags(scratch, MAPPED_FILE_NOFOLLOW, &f), -1);
    CHECK_EQ_INT(errno, EISDIR);
    CHECK_STR(f.refused, "not a regular file (directory)");
    CHECK_EQ_INT(mapped_file_open_flags(path_in("missing"), MAPPED_FILE_NOFOLLOW, &f), -1);
    int e = errno;
    CHECK_EQ_INT(e, ENOENT);
    CHECK(f.refused == NULL);
    CHECK_STR(mapped_file_strerror(&f, e), strerror(ENOENT));
}

/* open_like_runner: open the path run_input_next returned the way the
 * runner does (following only a link the user asked to follow). */
static int open_like_runner(const run_input_t *in, const char *path, mapped_file_t *f) {
    return mapped_file_open_flags(path, run_input_followed_link(in) ? 0 : MAPPED_FILE_NOFOLLOW, f);
}

/* swap_for: replace the file at path by a FIFO (kind 'f'), a symbolic
 * link to "target" ('l') or a directory ('d'). Returns 0 or -1. */
static int swap_for(const char *path, char kind) {
    if (unlink(path) != 0) return -1;
    if (kind == 'f') return mkfifo(path, 0600);
    if (kind == 'l') return symlink(path_in("target"), path);
    return mkdir(path, 0700);
}

TEST(swapped_after_enumeration_is_refused) {
    REQUIRE(mkdir(path_in("walk"), 0700) == 0);
    static const char *const names[] = {"walk/a", "walk/b", "walk/c", "walk/d"};
    for (size_t i = 0; i < 4; i++) REQUIRE(write_file(names[i], 10) == 0);
    char *arg = strdup(path_in("walk"));
    REQUIRE(arg != NULL);
    const char *const argv[] = {arg};
    run_input_t *in = run_input_new(argv, 1, true); /* even with --follow-symlinks */
    REQUIRE(in != NULL);
    static const char kinds[] = {'f', 'l', 'd', 0};
    static const char *const expected[] = {"not a regular file (FIFO)", "symbolic link (not followed)",
                                           "not a regular file (directory)", NULL};
    alarm(10);
    for (size_t i = 0; i < 4; i++) {
        const char *p = run_input_next(in);
        REQUIRE(p != NULL);
        CHECK_CONTAINS(p, names[i]);
        CHECK(!run_input_followed_link(in));
        if (kinds[i]) REQUIRE(swap_for(p, kinds[i]) == 0);
        mapped_file_t f;
        int rc = open_like_runner(in, p, &f);
        if (expected[i]) {
            CHECK_EQ_INT(rc, -1);
            CHECK_STR(f.refused, expected[i]);
        } else {
            CHECK_EQ_INT(rc, 0);
            mapped_file_close(&f);
        }
    }
    alarm(0);
    CHECK(run_input_next(in) == NULL);
    run_input_free(in);
    free(arg);
}

TEST(followed_link_is_flagged) {
    REQUIRE(mkdir(path_in("links"), 0700) == 0);
    REQUIRE(write_file("links/plain", 10) == 0);
    REQUIRE(symlink(path_in("target"), path_in("links/via")) == 0);
    char *arg = strdup(path_in("links"));
    REQUIRE(arg != NULL);
    const char *const argv[] = {arg};
    run_input_t *in = run_input_new(argv, 1, true);
    REQUIRE(in != NULL);
    const char *p = run_input_next(in);
    REQUIRE(p != NULL);
    CHECK_CONTAINS(p, "plain");
    CHECK(!run_input_followed_link(in));
    p = run_input_next(in);
    REQUIRE(p != NULL);
    CHECK_CONTAINS(p, "via");
    CHECK(run_input_followed_link(in));
    mapped_file_t f;
    CHECK_EQ_INT(open_like_runner(in, p, &f), 0);
    CHECK(pattern_ok(&f, 100));
    mapped_file_close(&f);
    CHECK(run_input_next(in) == NULL);
    run_input_free(in);
    /* Without --follow-symlinks the link is skipped at enumeration. */
    in = run_input_new(argv, 1, false);
    REQUIRE(in != NULL);
    p = run_input_next(in);
    REQUIRE(p != NULL);
    CHECK_CONTAINS(p, "plain");
    CHECK(run_input_next(in) == NULL);
    CHECK_EQ_INT(run_input_skipped(in), 1);
    run_input_free(in);
    free(arg);
}

/* remove_scratch: delete the scratch tree (best effort). */
static void remove_scratch(void) {
    char cmd[sizeof scratch + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (system(cmd) != 0) fprintf(stderr, "test_inputs: could not remove %s\n", scratch);
}

int main(void) {
    if (!mkdtemp(scratch)) return 1;
    if (write_file("target", 100) != 0) return 1; /* what the test links point to */
    RUN(regular_files_small_large_empty);
    RUN(fifo_is_refused_at_once);
    RUN(symlink_refused_with_nofollow_followed_without);
    RUN(device_directory_and_missing);
    RUN(swapped_after_enumeration_is_refused);
    RUN(followed_link_is_flagged);
    remove_scratch();
    return test_summary("inputs");
}
