/* spawn.c — running helper programs and capturing their output, with or
 * without limits (see spawn.h for the contracts). */
#include "util/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define SPAWN_POLL_MS 100          /* how often the parent looks at the child while it runs */
#define SPAWN_DRAIN_MS 1000        /* output still read after the child exited */
#define SPAWN_TAIL 4096            /* last bytes of output kept for classification */
#define SPAWN_CPU_GRACE 2          /* hard CPU limit = soft + this: SIGXCPU first, then SIGKILL */

/* spawn_append_capped: append data to out, keeping out->len <= cap. */
static void spawn_append_capped(buf_t *out, size_t cap, const char *data, size_t n) {
    size_t room = out->len < cap ? cap - out->len : 0;
    if (room) buf_append(out, data, n < room ? n : room);
}

int spawn_capture(char *const argv[], bool with_stderr, buf_t *out, size_t cap) {
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    if (with_stderr) posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        errno = rc;
        return -1;
    }
    char chunk[4096];
    ssize_t n;
    while ((n = read(pipefd[0], chunk, sizeof chunk)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        spawn_append_capped(out, cap, chunk, (size_t)n);
    }
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- spawn_run: preparation in the parent ---- */

/* Everything the child needs, computed before fork so that the child only
 * makes async-signal-safe calls. */
typedef struct spawn_prep {
    char *path;                    /* resolved program path (malloc'd) */
    char *const *argv;
    char *const *envp;
    int devnull;                   /* stdin */
    int out[2];                    /* stdout + stderr pipe */
    int err[2];                    /* exec failure report: the child writes its errno */
    bool set_as, set_cpu;
    struct rlimit as, cpu, core;
    sigset_t empty;
    struct sigaction dfl;
} spawn_prep_t;

/* spawn_resolve: the path execve should use for `name`: itself if it
 * contains '/', else the first executable regular file in $PATH (default
 * /usr/local/bin:/usr/bin:/bin). Returns a malloc'd path, or NULL with
 * errno set (ENOENT if not found). */
static char *spawn_resolve(const char *name) {
    if (!*name) { errno = ENOENT; return NULL; }
    if (strchr(name, '/')) return strdup(name);
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path;; p++) {
        size_t n = strcspn(p, ":");
        buf_t cand = BUF_INIT;
        int rc = n ? buf_printf(&cand, "%.*s/%s", (int)n, p, name) : buf_printf(&cand, "./%s", name);
        if (rc != 0) { errno = ENOMEM; return NULL; }
        struct stat st;
        if (stat(buf_cstr(&cand), &st) == 0 && S_ISREG(st.st_mode) && access(buf_cstr(&cand), X_OK) == 0)
            return buf_steal(&cand);
        buf_free(&cand);
        p += n;
        if (!*p) break;
    }
    errno = ENOENT;
    return NULL;
}

/* spawn_limit: the rlimit for `resource` with soft `soft` and hard `hard`,
 * both clamped to the current hard limit (which cannot be raised). */
static struct rlimit spawn_limit(int resource, rlim_t soft, rlim_t hard) {
    struct rlimit cur, want = {soft, hard};
    if (getrlimit(resource, &cur) == 0 && cur.rlim_max != RLIM_INFINITY) {
        if (want.rlim_max == RLIM_INFINITY || want.rlim_max > cur.rlim_max) want.rlim_max = cur.rlim_max;
        if (want.rlim_cur == RLIM_INFINITY || want.rlim_cur > want.rlim_max) want.rlim_cur = want.rlim_max;
    }
    return want;
}

static void spawn_close(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

static void spawn_prep_free(spawn_prep_t *p) {
    free(p->path);
    p->path = NULL;
    spawn_close(&p->devnull);
    for (int i = 0; i < 2; i++) {
        spawn_close(&p->out[i]);
        spawn_close(&p->err[i]);
    }
}

/* spawn_above_stdio: move *fd above 2 (keeping close-on-exec), so that
 * the child's dup2 onto 0, 1 and 2 can neither clobber another source nor
 * be a no-op that keeps close-on-exec (when wadup runs with a standard
 * stream closed). Returns 0 or -1 with errno set. */
static int spawn_above_stdio(int *fd) {
    if (*fd > 2) return 0;
    int moved = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return -1;
    close(*fd);
    *fd = moved;
    return 0;
}

/* spawn_prepare: resolve the program, open the pipes and compute the
 * limits. Returns 0, or -1 with errno set (the caller frees *p either way). */
static int spawn_prepare(spawn_prep_t *p, char *const argv[], char *const envp[], const spawn_limits_t *lim) {
    memset(p, 0, sizeof *p);
    p->devnull = p->out[0] = p->out[1] = p->err[0] = p->err[1] = -1;
    p->argv = argv;
    p->envp = envp ? envp : environ;
    if (!(p->path = spawn_resolve(argv[0]))) return -1;
    if ((p->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) return -1;
    if (pipe2(p->out, O_CLOEXEC) != 0 || pipe2(p->err, O_CLOEXEC) != 0) return -1;
    if (spawn_above_stdio(&p->devnull) || spawn_above_stdio(&p->out[1]) || spawn_above_stdio(&p->err[1])) return -1;
    p->set_as = lim->memory_bytes > 0;
    if (p->set_as) p->as = spawn_limit(RLIMIT_AS, (rlim_t)lim->memory_bytes, (rlim_t)lim->memory_bytes);
    p->set_cpu = lim->cpu_seconds > 0;
    if (p->set_cpu)
        p->cpu = spawn_limit(RLIMIT_CPU, (rlim_t)lim->cpu_seconds, (rlim_t)lim->cpu_seconds + SPAWN_CPU_GRACE);
    p->core = spawn_limit(RLIMIT_CORE, 0, 0);
    sigemptyset(&p->empty);
    memset(&p->dfl, 0, sizeof p->dfl);
    p->dfl.sa_handler = SIG_DFL;
    sigemptyset(&p->dfl.sa_mask);
    return 0;
}

/* ---- spawn_run: the child ---- */

/* spawn_child: in the forked child. Only async-signal-safe calls: its own
 * process group, limits, default SIGPIPE and an empty signal mask (both
 * survive exec), the standard streams, close-on-exec for every other
 * descriptor (system calls only), exec. On failure the errno goes to
 * the parent through the close-on-exec error pipe. */
static void __attribute__((noreturn)) spawn_child(const spawn_prep_t *p) {
    int e = 0;
    if (setpgid(0, 0) != 0) e = errno;
    if (!e && p->set_as && setrlimit(RLIMIT_AS, &p->as) != 0) e = errno;
    if (!e && p->set_cpu && setrlimit(RLIMIT_CPU, &p->cpu) != 0) e = errno;
    if (!e && setrlimit(RLIMIT_CORE, &p->core) != 0) e = errno;
    if (!e && (sigaction(SIGPIPE, &p->dfl, NULL) != 0 || sigprocmask(SIG_SETMASK, &p->empty, NULL) != 0)) e = errno;
    if (!e && (dup2(p->devnull, 0) < 0 || dup2(p->out[1], 1) < 0 || dup2(p->out[1], 2) < 0)) e = errno;
    /* No descriptor of wadup beyond the three survives exec (best effort:
     * a kernel before 5.11 leaves those not already close-on-exec). */
    if (!e) close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
    if (!e) {
        execve(p->path, p->argv, p->envp);
        e = errno;
    }
    ssize_t w = write(p->err[1], &e, sizeof e);
    (void)w;
    _exit(127);
}

/* ---- spawn_run: watching the child ---- */

static double spawn_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The parent's view of a running child. */
typedef struct spawn_watch {
    pid_t pid;
    int fd;                        /* read end of the output pipe; -1 at EOF */
    buf_t *out;
    size_t cap;
    char tail[SPAWN_TAIL];         /* the last output bytes, also those past cap */
    size_t tail_len;
    double start, deadline;        /* deadline 0 = none */
    bool exited;                   /* the child has exited (not yet reaped) */
    bool killed_at_deadline;
    const atomic_bool *cancel;     /* NULL or the caller's cancel flag */
    bool killed_by_cancel;
    double exited_at;
} spawn_watch_t;

/* spawn_keep_tail: remember the last SPAWN_TAIL bytes of output. */
static void spawn_keep_tail(spawn_watch_t *w, const char *data, size_t n) {
    if (n >= SPAWN_TAIL) {
        memcpy(w->tail, data + n - SPAWN_TAIL, SPAWN_TAIL);
        w->tail_len = SPAWN_TAIL;
        return;
    }
    size_t keep = w->tail_len + n > SPAWN_TAIL ? SPAWN_TAIL - n : w->tail_len;
    memmove(w->tail, w->tail + w->tail_len - keep, keep);
    memcpy(w->tail + keep, data, n);
    w->tail_len = keep + n;
}

/* spawn_read: read what is available on the pipe (the fd is closed and
 * set to -1 at EOF or on a read error). */
static void spawn_read(spawn_watch_t *w) {
    char chunk[4096];
    ssize_t n = read(w->fd, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        spawn_close(&w->fd);
        return;
    }
    spawn_append_capped(w->out, w->cap, chunk, (size_t)n);
    spawn_keep_tail(w, chunk, (size_t)n);
}

/* spawn_check_exit: has the child exited (waiting for it if `block`)?
 * Looks without reaping, so its pid (and so its process group id) cannot
 * be reused meanwhile. At its exit, kills what is left of its group. */
static void spawn_check_exit(spawn_watch_t *w, bool block) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    while (waitid(P_PID, (id_t)w->pid, &si, WEXITED | WNOWAIT | (block ? 0 : WNOHANG)) != 0)
        if (errno != EINTR) { w->exited = true; return; } /* cannot happen; do not loop forever */
    if (si.si_pid == w->pid) {
        w->exited = true;
        w->exited_at = spawn_now();
        kill(-w->pid, SIGKILL); /* stragglers of the group (the zombie leader keeps the id) */
    }
}

/* spawn_step_ms: how long the next poll may wait. */
static int spawn_step_ms(const spawn_watch_t *w, double now) {
    double limit = SPAWN_POLL_MS / 1000.0;
    double drain_end = w->exited_at + SPAWN_DRAIN_MS / 1000.0;
    if (w->deadline > 0 && w->deadline - now < limit) limit = w->deadline - now;
    if (w->exited && drain_end - now < limit) limit = drain_end - now;
    return limit > 0 ? (int)(limit * 1000.0) + 1 : 0;
}

/* spawn_watch: read output until EOF and the child has exited, killing
 * the group at the deadline. Output a lingering process (outside the
 * group) keeps open is read for at most SPAWN_DRAIN_MS after the exit. */
static void spawn_watch(spawn_watch_t *w) {
    for (;;) {
        if (!w->exited) spawn_check_exit(w, false);
        double now = spawn_now();
        if (w->exited && (w->fd < 0 || now >= w->exited_at + SPAWN_DRAIN_MS / 1000.0)) return;
        bool cancelled = !w->exited && w->cancel && atomic_load(w->cancel);
        if (!w->exited && (cancelled || (w->deadline > 0 && now >= w->deadline))) {
            kill(-w->pid, SIGKILL);
            if (cancelled) w->killed_by_cancel = true;
            else w->killed_at_deadline = true;
            spawn_check_exit(w, true);  /* SIGKILL cannot be ignored: this returns soon */
            if (w->fd < 0) return;
            continue;
        }
        struct pollfd pfd = {w->fd, POLLIN, 0};
        int ready = poll(&pfd, w->fd >= 0 ? 1 : 0, spawn_step_ms(w, now));
        if (ready > 0) spawn_read(w);
    }
}

/* ---- spawn_run: what happened ---- */

static bool spawn_said(const spawn_watch_t *w, size_t from, const char *what) {
    size_t n = strlen(what);
    const buf_t *o = w->out;
    return (o->len > from && memmem(o->data + from, o->len - from, what, n)) || memmem(w->tail, w->tail_len, what, n);
}

/* spawn_out_of_memory: the program (or a child it ran) said it could not
 * allocate: gcc's "out of memory allocating N bytes" and "virtual memory
 * exhausted", binutils' "memory exhausted", C++'s std::bad_alloc, ENOMEM. */
static bool spawn_out_of_memory(const spawn_watch_t *w, size_t from) {
    static const char *const markers[] = {"out of memory", "memory exhausted", "std::bad_alloc",
                                          "Cannot allocate memory"};
    for (size_t i = 0; i < sizeof markers / sizeof *markers; i++)
        if (spawn_said(w, from, markers[i])) return true;
    return false;
}

/* spawn_classify: the outcome from the wait status and the output. */
static void spawn_classify(const spawn_watch_t *w, size_t from, int status, const spawn_limits_t *lim,
                           spawn_result_t *res) {
    bool failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    bool cpu_spent = lim->cpu_seconds > 0 && res->cpu_seconds >= (double)lim->cpu_seconds;
    res->outcome = WIFEXITED(status) ? SPAWN_EXITED : SPAWN_SIGNALED;
    res->status = WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status);
    if (w->killed_by_cancel && failed) res->outcome = SPAWN_CANCELLED;
    else if (w->killed_at_deadline && failed) res->outcome = SPAWN_WALL_LIMIT;
    else if (WIFSIGNALED(status) && (WTERMSIG(status) == SIGXCPU || (WTERMSIG(status) == SIGKILL && cpu_spent)))
        res->outcome = SPAWN_CPU_LIMIT;
    else if (failed && spawn_said(w, from, "CPU time limit exceeded"))  /* gcc: "... signal terminated program cc1" */
        res->outcome = SPAWN_CPU_LIMIT;
    else if (failed && spawn_out_of_memory(w, from))
        res->outcome = SPAWN_MEMORY_LIMIT;
}

/* spawn_finish: reap the child and fill *res. */
static void spawn_finish(spawn_watch_t *w, size_t from, int child_errno, bool exec_failed, const spawn_limits_t *lim,
                         spawn_result_t *res) {
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(w->pid, &status, 0, &ru) < 0 && errno == EINTR) {}
    res->wall_seconds = spawn_now() - w->start;
    res->cpu_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    if (exec_failed) {
        res->outcome = lim->memory_bytes && child_errno == ENOMEM ? SPAWN_MEMORY_LIMIT : SPAWN_NOT_STARTED;
        res->status = child_errno;
    } else {
        spawn_classify(w, from, status, lim, res);
    }
}

int spawn_run(char *const argv[], char *const envp[], const spawn_limits_t *lim, buf_t *out, size_t cap,
              spawn_result_t *res) {
    return spawn_run_cancellable(argv, envp, lim, NULL, out, cap, res);
}

int spawn_run_cancellable(char *const argv[], char *const envp[], const spawn_limits_t *lim, const atomic_bool *cancel,
                          buf_t *out, size_t cap, spawn_result_t *res) {
    memset(res, 0, sizeof *res);
    spawn_prep_t p;
    spawn_watch_t w;
    memset(&w, 0, sizeof w);
    w.start = spawn_now();
    w.deadline = lim->wall_ms ? w.start + (double)lim->wall_ms / 1000.0 : 0;
    w.out = out;
    w.cap = cap;
    w.cancel = cancel;
    w.fd = -1;
    pid_t pid = -1;
    if (spawn_prepare(&p, argv, envp, lim) == 0) pid = fork();
    if (pid == 0) spawn_child(&p);
    if (pid < 0) {
        res->outcome = SPAWN_NOT_STARTED;
        res->status = errno;
        res->wall_seconds = spawn_now() - w.start;
        spawn_prep_free(&p);
        return -1;
    }
    setpgid(pid, pid); /* also in the parent: the group exists before any kill */
    spawn_close(&p.out[1]);
    spawn_close(&p.err[1]);
    int child_errno = 0;
    ssize_t got;
    while ((got = read(p.err[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {}
    w.pid = pid;
    w.fd = p.out[0];
    p.out[0] = -1; /* owned by the watch now */
    size_t from = out->len;
    spawn_watch(&w);
    spawn_close(&w.fd);
    spawn_finish(&w, from, child_errno, got == (ssize_t)sizeof child_errno, lim, res);
    spawn_prep_free(&p);
    return res->outcome == SPAWN_EXITED && res->status == 0 ? 0 : -1;
}

void spawn_outcome_text(const spawn_result_t *res, char *text, size_t len) {
    if (!len) return;
    switch (res->outcome) {
    case SPAWN_EXITED: snprintf(text, len, "exited with status %d", res->status); break;
    case SPAWN_SIGNALED: {
        const char *name = sigdescr_np(res->status);
        snprintf(text, len, "killed by signal %d (%s)", res->status, name ? name : "unknown");
        break;
    }
    case SPAWN_WALL_LIMIT: snprintf(text, len, "killed at the wall-clock limit after %.1f s", res->wall_seconds); break;
    case SPAWN_CPU_LIMIT: snprintf(text, len, "stopped at the CPU time limit (%.1f s of CPU)", res->cpu_seconds); break;
    case SPAWN_MEMORY_LIMIT: snprintf(text, len, "ran out of memory"); break;
    case SPAWN_NOT_STARTED: snprintf(text, len, "could not be started: %s", strerror(res->status)); break;
    case SPAWN_CANCELLED: snprintf(text, len, "cancelled after %.1f s", res->wall_seconds); break;
    }
}
