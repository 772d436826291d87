/* input.c — depth-first, sorted, lazy enumeration of input files (see
 * input.h), and whether each one is a link the user asked to follow. */
#include "run/input.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/buf.h"

typedef struct input_dir {
    char *path;
    char **names;        /* sorted entries, consumed from `next` */
    size_t n, next;
    dev_t dev;
    ino_t ino;
} input_dir_t;

struct run_input {
    const char *const *args;
    size_t nargs, next_arg;
    bool follow;
    input_dir_t *stack;
    size_t depth, cap;
    buf_t current;
    bool current_is_link;   /* `current` is a link the user asked to follow */
    size_t skipped;
};

run_input_t *run_input_new(const char *const *paths, size_t n, bool follow_symlinks) {
    run_input_t *in = calloc(1, sizeof *in);
    if (!in) return NULL;
    in->args = paths;
    in->nargs = n;
    in->follow = follow_symlinks;
    return in;
}

/* input_warn: count a skipped path and say why on stderr. */
static void input_warn(run_input_t *in, const char *path, const char *why) {
    in->skipped++;
    fprintf(stderr, "wadup: skipping %s: %s\n", path, why);
}

/* input_cmp: qsort order of entry names (bytewise). */
static int input_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* input_pop: drop the innermost directory being walked. */
static void input_pop(run_input_t *in) {
    input_dir_t *d = &in->stack[--in->depth];
    for (size_t i = d->next; i < d->n; i++) free(d->names[i]);
    free(d->names);
    free(d->path);
}

/* input_on_stack: is this directory already being walked (a link loop)? */
static bool input_on_stack(const run_input_t *in, const struct stat *st) {
    for (size_t i = 0; i < in->depth; i++)
        if (in->stack[i].dev == st->st_dev && in->stack[i].ino == st->st_ino) return true;
    return false;
}

/* input_push: read and sort a directory's entries. */
static void input_push(run_input_t *in, const char *path, const struct stat *st) {
    if (input_on_stack(in, st)) { input_warn(in, path, "directory loop through a symbolic link"); return; }
    DIR *dir = opendir(path);
    if (!dir) { input_warn(in, path, strerror(errno)); return; }
    if (in->depth == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 16;
        input_dir_t *grown = realloc(in->stack, cap * sizeof *grown);
        if (!grown) { closedir(dir); input_warn(in, path, "out of memory"); return; }
        in->stack = grown;
        in->cap = cap;
    }
    input_dir_t d = {strdup(path), NULL, 0, 0, st->st_dev, st->st_ino};
    size_t cap = 0;
    struct dirent *e;
    while (d.path && (e = readdir(dir))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (d.n == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(d.names, cap * sizeof *grown);
            if (!grown) break;
            d.names = grown;
        }
        if (!(d.names[d.n] = strdup(e->d_name))) break;
        d.n++;
    }
    closedir(dir);
    qsort(d.names, d.n, sizeof *d.names, input_cmp);
    in->stack[in->depth++] = d;
}

/* input_consider: decide what `path` is; returns true if it is a file to
 * yield (now in in->current). */
static bool input_consider(run_input_t *in, const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) { input_warn(in, path, strerror(errno)); return false; }
    bool is_link = S_ISLNK(st.st_mode);
    if (is_link) {
        if (!in->follow) { input_warn(in, path, "symbolic link (use --follow-symlinks)"); return false; }
        if (stat(path, &st) != 0) { input_warn(in, path, strerror(errno)); return false; }
    }
    if (S_ISDIR(st.st_mode)) { input_push(in, path, &st); return false; }
    if (!S_ISREG(st.st_mode)) { input_warn(in, path, "not a regular file"); return false; }
    buf_reset(&in->current);
    in->current_is_link = is_link;
    return buf_append_str(&in->current, path) == 0;
}

const char *run_input_next(run_input_t *in) {
    for (;;) {
        while (in->depth) {
            input_dir_t *d = &in->stack[in->depth - 1];
            if (d->next == d->n) { input_pop(in); continue; }
            char *name = d->names[d->next++];
            buf_t path = BUF_INIT;
            int rc = buf_printf(&path, "%s%s%s", d->path, d->path[strlen(d->path) - 1] == '/' ? "" : "/", name);
            free(name);
            bool yield = rc == 0 && input_consider(in, buf_cstr(&path));
            buf_free(&path);
            if (yield) return buf_cstr(&in->current);
        }
        if (in->next_arg == in->nargs) return NULL;
        if (input_consider(in, in->args[in->next_arg++])) return buf_cstr(&in->current);
    }
}

bool run_input_followed_link(const run_input_t *in) { return in->current_is_link; }

size_t run_input_skipped(const run_input_t *in) { return in->skipped; }

void run_input_free(run_input_t *in) {
    if (!in) return;
    while (in->depth) input_pop(in);
    free(in->stack);
    buf_free(&in->current);
    free(in);
}
