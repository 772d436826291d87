/* test_spawn.c — running helper programs under limits (util/spawn): exit
 * statuses and captured output, signals, the wall-clock deadline killing
 * the whole process group, the CPU limit, out-of-memory reports, programs
 * that cannot be started, the output cap, stdin from /dev/null, the
 * environment, no leaked descriptors, and the unlimited spawn_capture. Uses /bin/sh only. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "util/spawn.h"

static const spawn_limits_t no_limits = {0, 0, 0};

/* sh_run: `sh -c script` under lim; the output in *out (caller frees). */
static int sh_run(const char *script, const spawn_limits_t *lim, buf_t *out, spawn_result_t *res) {
    char *argv[] = {"sh", "-c", (char *)script, NULL};
    return spawn_run(argv, NULL, lim, out, 65536, res);
}

TEST(exit_status_and_output) {
    buf_t out = BUF_INIT;
    spawn_result_t res;
    CHECK_EQ_INT(sh_run("echo hi; echo err >&2; exit 3", &no_limits, &out, &res), -1);
    CHECK_EQ_INT(res.outcome, SPAWN_EXITED);
    CHECK_EQ_INT(res.status, 3);
    CHECK_STR(buf_cstr(&out), "hi\nerr\n");
    buf_reset(&out);
    CHECK_EQ_INT(sh_run("exit 0", &no_limits, &out, &res), 0);
    CHECK_EQ_INT(res.outcome, SPAWN_EXITED);
    CHECK_EQ_INT(res.status, 0);
    char text[128];
    res.status = 3;
    spawn_outcome_text(&res, text, sizeof text);
    CHECK_STR(text, "exited with status 3");
    buf_free(&out);
}

TEST(killed_by_signal) {
    buf_t out = BUF_INIT;
    spawn_result_t res;
    CHECK_EQ_INT(sh_run("kill -SEGV $$", &no_limits, &out, &res), -1);
    CHECK_EQ_INT(res.outcome, SPAWN_SIGNALED);
    CHECK_EQ_INT(res.status, SIGSEGV);
    char text[128];
    spawn_outcome_text(&res, text, sizeof text);
    CHECK_CONTAINS(text, "killed by signal 11");
    buf_free(&out);
}

/* gone: true once pid no longer runs (a zombie awaiting its new parent
 * counts as gone), waiting up to 2 s for the reaper. */
static bool gone(pid_t pid) {
    for (int i = 0; i < 200; i++) {
        char path[64], state = 0;
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        FILE *f = fopen(path, "r");
        if (!f) return true;
        int n = fscanf(f, "%*d %*s %c", &state);
        fclose(f);
        if (n == 1 && state == 'Z') return true;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

TEST(wall_limit_kills_the_group) {
    buf_t out = BUF_INIT;
    spawn_result_t res;
    spawn_limits_t lim = {300, 0, 0};
    /* The background sleep stands for cc1: a grandchild holding the pipe. */
    CHECK_EQ_INT(sh_run("sleep 30 & echo $!; wait", &lim, &out, &res), -1);
    CHECK_EQ_INT(res.outcome, SPAWN_WALL_LIMIT);
    CHECK(res.wall_seconds >= 0.29 && res.wall_seconds < 2.0);
    long grandchild = strtol(buf_cstr(&out), NULL, 10);
    REQUIRE(grandchild > 0);
    CHECK(gone((pid_t)grandchild));
    buf_free(&out);
}

TEST(cpu_limit) {
    buf_t out = BUF_INIT;
    spawn_result_t res;
    spawn_limits_t lim = {20000, 1, 0};
    CHECK_EQ_INT(sh_run("while :; do :; done", &lim, &out, &res), -1);
    CHECK_EQ_INT(res.outcome, SPAWN_CPU_LIMIT);
    CHECK(res.wall_seconds < 10.0);
    CHECK(res.cpu_seconds >= 0.9);
    buf_free(&out);
}

TEST(out_of_memory_reports) {
    static const char *const reports[] = {
        "echo 'cc1: out of memory allocating 65536 bytes after a total of 2260992 bytes' >&2; exit 1",
        "echo 'virtual memory exhausted: Cannot allocate memory' >&2; exit 1",
        "echo \"terminate called after throwing an instance of 'std::bad_alloc'\" >&2; kill -ABRT $$",
    };
    for (size_t i = 0; i < sizeof reports / sizeof *reports; i++) {
        buf_t out = BUF_INIT;
        spawn_result_t res;
        spawn_limits_t lim = {0, 0, (uint64_t)1 << 30};
        CHECK_EQ_INT(sh_run(reports[i], &lim, &out, &res), -1);
        CHECK_EQ_INT(res.outcome, SPAWN_MEMORY_LIMIT);
        buf_free(&out);
    }
    /* The same words from a program that succeeded are just output. */
    buf_t out = BUF_INIT;
    spawn_result_t res;
    CHECK_EQ_INT(sh_run("echo out of memory", &no_limits, &out, &res), 0);
    CHECK_EQ_INT(res.outcome, SPAWN_EXITED);
    buf_free(&out);
}

TEST(memory_limit_applies_to_the_child) {
    /* 64 MiB of address space is too little for a shell that reads 100 MB. */
    buf_t out = BUF_INIT;
    spawn_result_t res;
    spawn_limits_t lim = {10000, 10, (uint64_t)64 << 20};
    CHECK_EQ_INT(sh_run("x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo ${#x}", &lim, &out, &res), -1);
    CHECK(res.outcome == SPAWN_MEMORY_LIMIT || res.outcome == SPAWN_SIGNALED);
    buf_free(&out);
}

TEST(not_started) {
    buf_t out = BUF_INIT;
    spawn_result_t res;
    char *missing[] = {"/nonexistent/wadup-tool", NULL};
    CHECK_EQ_INT(spawn_run(missing, NULL, &no_limits, &out, 100, &res), -1);
    CHECK_EQ_INT(res.outcome, SPAWN_NOT_STARTED);
    CHECK_EQ_INT(res.status, ENOENT);
    char *unknown[] = {"wadup-no-such-tool-in-path", NULL};
    CHECK_EQ_INT(spawn_run(unknown, NULL, &no_limits, &out, 100, &res), -1);
    CHECK_EQ_INT(res.outcome, SPAWN_NOT_STARTED);
    char text[128];
    spawn_outcome_text(&res, text, sizeof text);
    CHECK_CONTAINS(text, "could not be started");
    buf_free(&out);
}

TEST(output_cap_and_stdin) {
    buf_t out = BUF_INIT;
    spawn_result_t res;
    char *argv[] = {"sh", "-c", "head -c 100000 /dev/zero; cat; echo done >&2", NULL};
    CHECK_EQ_INT(spawn_run(argv, NULL, &no_limits, &out, 1000, &res), 0);  /* cat sees EOF at once */
    CHECK_EQ_INT(out.len, 1000);
    buf_free(&out);
}

TEST(environment) {
    buf_t out = BUF_INIT;
    spawn_result_t res;
    char *argv[] = {"/bin/sh", "-c", "echo \"$WADUP_SPAWN_TEST\"", NULL};
    char *envp[] = {"WADUP_SPAWN_TEST=given", NULL};
    CHECK_EQ_INT(spawn_run(argv, envp, &no_limits, &out, 100, &res), 0);
    CHECK_STR(buf_cstr(&out), "given\n");
    buf_free(&out);
}

TEST(no_descriptor_leaks) {
    int fd = dup2(2, 50);  /* not close-on-exec */
    REQUIRE(fd == 50);
    buf_t out = BUF_INIT;
    spawn_result_t res;
    CHECK_EQ_INT(sh_run("if [ -e /dev/fd/50 ]; then echo leaked; else echo closed; fi", &no_limits, &out, &res), 0);
    CHECK_STR(buf_cstr(&out), "closed\n");
    close(fd);
    buf_free(&out);
}

TEST(capture_still_works) {
    buf_t out = BUF_INIT;
    char *argv[] = {"sh", "-c", "echo one; exit 4", NULL};
    CHECK_EQ_INT(spawn_capture(argv, false, &out, 100), 4);
    CHECK_STR(buf_cstr(&out), "one\n");
    buf_free(&out);
}

int main(void) {
    RUN(exit_status_and_output);
    RUN(killed_by_signal);
    RUN(wall_limit_kills_the_group);
    RUN(cpu_limit);
    RUN(out_of_memory_reports);
    RUN(memory_limit_applies_to_the_child);
    RUN(not_started);
    RUN(output_cap_and_stdin);
    RUN(environment);
    RUN(no_descriptor_leaks);
    RUN(capture_still_works);
    return test_summary("spawn");
}
