/* test_fault_guard.c — host reads of bytes that may fault (src/rt fault
 * guards, the VFS copier hook): a mapped file truncated after mapping makes
 * rt_guarded_copy / rt_guarded_call return -1 instead of killing the
 * process, on rt threads and on the main thread; guards nest; a fault
 * outside the guarded range is still a real crash (checked in a child
 * process); vfs_read and vfs_take of borrowed bytes report VFS_EIO when
 * the copier fails. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt/rt.h"
#include "test.h"
#include "util/mapped_file.h"
#include "util/sha256.h"
#include "vfs/vfs.h"

#define MAP_BYTES (1u << 20)   /* mapped, not read: above MAPPED_FILE_READ_MAX */

static char scratch[] = "/tmp/wadup-test-guard-XXXXXX";

/* truncated_mapping: map a fresh MAP_BYTES file, then truncate it to 0
 * bytes, so every page of the mapping faults (SIGBUS). Returns 0 or -1. */
static int truncated_mapping(const char *name, mapped_file_t *f) {
    char path[sizeof scratch + 64];
    snprintf(path, sizeof path, "%s/%s", scratch, name);
    FILE *out = fopen(path, "wb");
    if (!out) return -1;
    for (size_t i = 0; i < MAP_BYTES; i++) fputc('a' + (int)(i % 26), out);
    if (fclose(out) != 0) return -1;
    if (mapped_file_open(path, f) != 0 || f->is_copy || f->size != MAP_BYTES) return -1;
    if (f->data[MAP_BYTES / 2] != 'a' + (int)((MAP_BYTES / 2) % 26)) return -1; /* readable before */
    return truncate(path, 0);
}

/* fault_signals_unblocked: neither SIGBUS nor SIGSEGV is blocked. */
static int fault_signals_unblocked(void) {
    sigset_t now;
    pthread_sigmask(SIG_SETMASK, NULL, &now);
    return !sigismember(&now, SIGBUS) && !sigismember(&now, SIGSEGV);
}

typedef struct hash_job {
    const uint8_t *data;
    size_t len;
    uint8_t digest[32];
} hash_job_t;

/* hash_job_run: SHA-256 of the job's bytes (faults on a truncated map). */
static void hash_job_run(void *arg) {
    hash_job_t *j = arg;
    sha256_of(j->data, j->len, j->digest);
}

/* guard_checks: the guarded-read checks, on whatever thread calls it;
 * returns the number of failed expectations. */
static int guard_checks(const char *name) {
    int bad = 0;
    uint8_t src[100], dst[100];
    for (size_t i = 0; i < sizeof src; i++) src[i] = (uint8_t)i;
    bad += rt_guarded_copy(dst, src, sizeof src) != 0;
    bad += memcmp(dst, src, sizeof src) != 0;
    bad += rt_guarded_copy(dst, NULL, 0) != 0;
    mapped_file_t f;
    if (truncated_mapping(name, &f) != 0) return bad + 100;
    static uint8_t page[8192];
    for (int i = 0; i < 50; i++) /* repeatedly: no state is left behind */
        bad += rt_guarded_copy(page, f.data + (size_t)i * 4096, sizeof page) != -1;
    hash_job_t job = {f.data, f.size, {0}};
    bad += rt_guarded_call(f.data, f.size, hash_job_run, &job) != -1;
    bad += rt_guarded_copy(dst, src, sizeof src) != 0; /* still fine afterwards */
    bad += !fault_signals_unblocked();
    mapped_file_close(&f);
    return bad;
}

TEST(guarded_copy_on_main_thread) { CHECK_EQ_INT(guard_checks("main"), 0); }

/* guard_thread: guard_checks on an rt thread; result in *arg. */
static void *guard_thread(void *arg) {
    *(int *)arg = guard_checks("thread");
    return NULL;
}

TEST(guarded_copy_on_rt_thread) {
    int bad = -1;
    rt_thread_handle_t *h;
    REQUIRE(rt_thread_spawn(1 << 20, guard_thread, &bad, &h) == 0);
    rt_thread_join(h);
    CHECK_EQ_INT(bad, 0);
}

typedef struct nest_job {
    const mapped_file_t *outer_map;
    int inner_rc;
    int reached_end;
} nest_job_t;

static uint8_t nest_buf[64];

/* nest_fault_in_outer: runs under the inner guard (nest_buf only) and
 * faults in the outer guard's range (the truncated mapping). */
static void nest_fault_in_outer(void *arg) {
    nest_job_t *j = arg;
    volatile const uint8_t *p = j->outer_map->data;
    (void)p[4096]; /* faults: truncated */
    j->reached_end = 1;
}

typedef struct nest_outer_job {
    nest_job_t *job;
    int inner_call_rc;
} nest_outer_job_t;

/* nest_outer: a successful nested guarded copy, then a nested guarded
 * call that faults in this (outer) range. */
static void nest_outer(void *arg) {
    nest_outer_job_t *o = arg;
    o->job->inner_rc = rt_guarded_copy(nest_buf, "harmless bytes", 14);
    /* The inner guard covers nest_buf only: the fault is in the outer range. */
    o->inner_call_rc = rt_guarded_call(nest_buf, sizeof nest_buf, nest_fault_in_outer, o->job);
    o->inner_call_rc = 99; /* never reached */
}

TEST(guards_nest) {
    mapped_file_t f;
    REQUIRE(truncated_mapping("nest", &f) == 0);
    nest_job_t job = {&f, -1, 0};
    nest_outer_job_t outer = {&job, -1};
    CHECK_EQ_INT(rt_guarded_call(f.data, f.size, nest_outer, &outer), -1);
    CHECK_EQ_INT(job.inner_rc, 0);
    CHECK_EQ_INT(job.reached_end, 0);
    CHECK_EQ_INT(outer.inner_call_rc, -1); /* abandoned with the outer call */
    /* Both guards are gone: a guarded copy still works, unguarded state is clean. */
    uint8_t d[4];
    CHECK_EQ_INT(rt_guarded_copy(d, "abcd", 4), 0);
    mapped_file_close(&f);
}

/* read_truncated: touch a page of a truncated mapping (faults). */
static void read_truncated(void *arg) {
    const mapped_file_t *f = arg;
    volatile const uint8_t *p = f->data;
    (void)p[4096];
}

/* dies_with_sigbus: a fault outside the guarded range kills a child. */
static bool dies_with_sigbus(void) {
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGBUS, SIG_DFL);
        rt_init();
        mapped_file_t f;
        if (truncated_mapping("crash", &f) != 0) _exit(3);
        uint8_t other[16];
        rt_guarded_call(other, sizeof other, read_truncated, &f); /* guards other bytes */
        _exit(0); /* reaching here means the fault was swallowed */
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
}

TEST(fault_outside_the_range_is_a_real_crash) { CHECK(dies_with_sigbus()); }

/* failing_copier: a copier that can never read its source. */
static int failing_copier(void *dst, const void *src, size_t n) {
    (void)dst; (void)src; (void)n;
    return -1;
}

TEST(vfs_read_through_failing_copier_is_eio) {
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs != NULL);
    static const uint8_t bytes[] = "borrowed bytes";
    vfs_node_t *data, *tmp, *owned;
    REQUIRE(vfs_put_borrowed(fs, "/data.bin", bytes, sizeof bytes, &data) == VFS_OK);
    REQUIRE(vfs_mkdir_p(fs, "/tmp", true, &tmp) == VFS_OK);
    REQUIRE(vfs_create_file(fs, tmp, "f", 1, &owned) == VFS_OK);
    REQUIRE(vfs_write(fs, owned, 0, "owned", 5) == VFS_OK);
    char buf[32];
    size_t n = 99;
    CHECK_EQ_INT(vfs_read(data, 0, buf, sizeof buf, &n), VFS_OK); /* default: memcpy */
    CHECK_EQ_INT(n, sizeof bytes);
    vfs_set_copier(fs, failing_copier);
    n = 99;
    CHECK_EQ_INT(vfs_read(data, 3, buf, sizeof buf, &n), VFS_EIO);
    CHECK_EQ_INT(n, 0);
    n = 99;
    CHECK_EQ_INT(vfs_read(data, sizeof bytes, buf, sizeof buf, &n), VFS_OK); /* at EOF: nothing to copy */
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(vfs_read(owned, 0, buf, sizeof buf, &n), VFS_OK); /* owned bytes never use the copier */
    CHECK_EQ_INT(n, 5);
    uint8_t *taken = NULL;
    size_t len = 0;
    CHECK_EQ_INT(vfs_take(fs, data, &taken, &len), VFS_EIO);
    CHECK(taken == NULL);
    CHECK_EQ_INT(vfs_size(data), sizeof bytes); /* unchanged */
    vfs_set_copier(fs, rt_guarded_copy);
    CHECK_EQ_INT(vfs_take(fs, data, &taken, &len), VFS_OK);
    CHECK_EQ_INT(len, sizeof bytes);
    CHECK(taken && memcmp(taken, bytes, len) == 0);
    free(taken);
    vfs_free(fs);
}

TEST(vfs_read_of_truncated_mapping_is_eio) {
    mapped_file_t f;
    REQUIRE(truncated_mapping("vfs", &f) == 0);
    vfs_t *fs = vfs_new(NULL);
    REQUIRE(fs != NULL);
    vfs_set_copier(fs, rt_guarded_copy);
    vfs_node_t *data;
    REQUIRE(vfs_put_borrowed(fs, "/data.bin", f.data, f.size, &data) == VFS_OK);
    static uint8_t buf[65536];
    size_t n = 99;
    CHECK_EQ_INT(vfs_read(data, 0, buf, sizeof buf, &n), VFS_EIO);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(vfs_read(data, MAP_BYTES - 10, buf, sizeof buf, &n), VFS_EIO);
    vfs_free(fs);
    mapped_file_close(&f);
}

/* remove_scratch: delete the scratch tree (best effort). */
static void remove_scratch(void) {
    char cmd[sizeof scratch + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (system(cmd) != 0) fprintf(stderr, "test_fault_guard: could not remove %s\n", scratch);
}

int main(void) {
    /* Under AddressSanitizer the fork-and-crash check would report ASan's
     * own fault handling; it runs in the normal build only. */
#if defined(__SANITIZE_ADDRESS__)
    const bool sanitized = true;
#else
    const bool sanitized = false;
#endif
    if (!mkdtemp(scratch)) return 1;
    RUN(guarded_copy_on_main_thread);
    RUN(guarded_copy_on_rt_thread);
    RUN(guards_nest);
    if (!sanitized) RUN(fault_outside_the_range_is_a_real_crash);
    RUN(vfs_read_through_failing_copier_is_eio);
    RUN(vfs_read_of_truncated_mapping_is_eio);
    remove_scratch();
    return test_summary("fault_guard");
}
