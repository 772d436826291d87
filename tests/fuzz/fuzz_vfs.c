/* fuzz_vfs.c — libFuzzer harness for the in-memory filesystem
 * (src/vfs/vfs.h), differential against a simple model.
 *
 * The input is a budget choice followed by a sequence of operations:
 * create, mkdir, unlink, rmdir, rename, lookup, lookup_parent and
 * vfs_resolve with every combination of VFS_FOLLOW / VFS_BENEATH /
 * VFS_PARENT (paths with ".", "..", empty components, trailing slashes,
 * NULs and over-long names, absolute or relative to a referenced node),
 * symbolic links (targets relative, absolute, climbing, empty, with NULs,
 * at and past VFS_SYMLINK_MAX, naming themselves; chains of up to 64 links
 * so the 40-hop limit is met on both sides), hard links, readlink, write,
 * truncate, read, take, references (vfs_ref/vfs_unref on open slots, so
 * nodes get unlinked while open), clear_dir, put_borrowed, mkdir_p,
 * set_times, bulk creation and removal (large directories, with holes,
 * compaction and index rebuilds), and a copier that fails (borrowed bytes
 * that cannot be read). Each operation is applied to the VFS and to the
 * model, which keeps nodes {kind, writable, borrowed, bytes or link
 * target, refs, entries oldest first} apart from entries {directory,
 * name, node, sequence number, made by vfs_link}, with directory listings
 * in insertion order, and predicts every result exactly from the contract
 * in vfs.h (including which errno comes first when several apply, as
 * vfs.c orders its checks): links share a node (a write through one name
 * is seen through every other), unlinking one name keeps the node while
 * another entry or a reference is left, readlink returns exactly the
 * bytes stored, and the model's own resolver (the documented algorithm:
 * links followed in the middle, the last one per flags, 40 hops then
 * ELOOP, EPERM for anything leaving the start directory with VFS_BENEATH)
 * gives the same errno, directory, name (the same pointer, into the path
 * or into the link's stored target), node and trailing-slash flag.
 *
 * Compared after every step (the whole tree every step while it is small,
 * every 8th step and at the end when it is large; the nodes an operation
 * touched always): return codes; found nodes; existence, kind, name and
 * parent (of the oldest entry), link state, nlink, writability, size and
 * bytes or target of every node; directory listings in order, vfs_child
 * on every entry, sequence numbers strictly increasing along a directory,
 * never reused, stable across a rename within the directory, and
 * vfs_dir_index_from_seq; distinct stable inode numbers; times set by
 * vfs_set_times; and the byte accounting: vfs_bytes and the budget's use
 * equal the model's sum of VFS_NODE_OVERHEAD (+ target length) per node,
 * name length (+ VFS_LINK_OVERHEAD for hard links) per entry, and owned
 * file bytes, nodes being freed exactly when unlinked with no reference
 * left. Independently of the model, a resolution that succeeds must end
 * inside the tree, and with VFS_BENEATH inside its start directory. Any
 * difference abort()s. ASan/LSan catch use-after-free (a node freed while
 * still referenced) and leaks.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "util/budget.h"
#include "vfs/vfs.h"

#define M_MAX 1024        /* model nodes (alive or not) per input */
#define E_MAX 2048        /* model entries (alive or not) per input */
#define M_SLOTS 8         /* open references */
#define M_STEPS 1500      /* operations per input */
#define M_SMALL 96        /* nodes up to which the whole tree is checked every step */
#define M_BIG_FILE (1u << 20) /* growth past this is only tried when the budget refuses it */
#define T_MAX (VFS_SYMLINK_MAX + 1) /* longest link target tried */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* FZ_RC: an operation's result rc must be the model's `want` (traced). */
#define FZ_RC(rc, want, fmt, ...)                                                 \
    do {                                                                          \
        FZ_TRACE(fmt ": rc %d", __VA_ARGS__, rc);                                 \
        FZ_CHECK((rc) == (want), fmt ": rc %d, model %d", __VA_ARGS__, rc, want); \
    } while (0)

/* ------------------------------------------------------------------ */
/* the model                                                           */

/* One directory entry: a name of a node. */
typedef struct mentry {
    bool alive;                     /* in a directory, or kept (detached) by its unlinked, referenced node */
    bool extra;                     /* made by vfs_link: charged VFS_LINK_OVERHEAD more */
    int dir;                        /* the directory holding it, -1 once removed */
    int node;
    uint64_t seq;                   /* its number in its directory */
    size_t name_len;
    char name[VFS_NAME_MAX + 1];
} mentry_t;

typedef struct mnode {
    bool alive, writable, borrowed;
    vfs_kind_t kind;
    uint64_t nlink;                 /* entries in directories (1 for the root) */
    int *links;                     /* its entries, oldest first (attached, or the one kept) */
    size_t nlinks, links_cap;
    int *kids;                      /* directories: entries in listing order */
    size_t nkids, kids_cap;
    bool has_seq;                   /* directories: some entry got a sequence number */
    uint64_t max_seq;               /* the largest one handed out */
    uint8_t *data;                  /* files: the bytes (owned copy) */
    size_t size;
    const uint8_t *borrowed_ptr;
    char *target;                   /* symbolic links: the target (owned copy) */
    size_t target_len;
    int refs;
    vfs_node_t *v;
    uint64_t ino;
} mnode_t;

typedef struct model {
    mnode_t n[M_MAX];
    mentry_t e[E_MAX];
    int count;                      /* nodes ever created (index space) */
    int ecount;                     /* entries ever created (index space) */
    int alive;
    int attached;                   /* entries in directories */
    uint64_t bytes;                 /* what the VFS must have charged */
    uint64_t max_ino;               /* the largest inode number seen */
    budget_t budget;
    bool has_budget;
    int slots[M_SLOTS];             /* model index or -1 */
    vfs_t *fs;
    uint8_t **arena;                /* borrowed bytes, kept until the end */
    size_t narena;
} model_t;

static bool fz_copier_fails; /* the copier fails (when installed) */
static bool fz_copier_set;   /* the VFS has the copier */

/* fz_copier: the VFS copier: memcpy, or failure while fz_copier_fails. */
static int fz_copier(void *dst, const void *src, size_t n) {
    if (fz_copier_fails) return -1;
    memcpy(dst, src, n);
    return 0;
}

/* charge_fits: whether the budget accepts n more bytes right now. */
static bool charge_fits(const model_t *m, uint64_t n) {
    if (!m->has_budget) return true;
    return n <= m->budget.limit && m->bytes <= m->budget.limit - n;
}

/* big_ok: growth to `end` bytes may be attempted (refused by the budget,
 * or small enough to really allocate). */
static bool big_ok(const model_t *m, uint64_t end, uint64_t old) {
    return end <= M_BIG_FILE || (m->has_budget && !charge_fits(m, end - old));
}

static bool is_dir(const model_t *m, int i) { return m->n[i].kind == VFS_DIR; }
static bool linked(const model_t *m, int i) { return m->n[i].nlink > 0; }

/* node_entry: node i's oldest entry (the one vfs_name and vfs_parent
 * report), or NULL for the root. */
static const mentry_t *node_entry(const model_t *m, int i) {
    const mnode_t *n = &m->n[i];
    return n->nlinks ? &m->e[n->links[0]] : NULL;
}

/* node_parent: the directory of node i's oldest entry, -1 for the root
 * and unlinked nodes. */
static int node_parent(const model_t *m, int i) {
    const mentry_t *e = node_entry(m, i);
    return e ? e->dir : -1;
}

/* list_push: append v to the growable int array (*a, *n, *cap). */
static void list_push(int **a, size_t *n, size_t *cap, int v) {
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        int *g = realloc(*a, c * sizeof *g);
        FZ_CHECK(g != NULL, "out of memory");
        *a = g;
        *cap = c;
    }
    (*a)[(*n)++] = v;
}

/* list_remove: take v out of the array, keeping the order (searching from
 * the back, where bulk removal and clearing work). */
static void list_remove(int *a, size_t *n, int v) {
    for (size_t i = *n; i-- > 0;) {
        if (a[i] != v) continue;
        memmove(a + i, a + i + 1, (*n - i - 1) * sizeof *a);
        (*n)--;
        return;
    }
    FZ_CHECK(false, "model: %d not in its list", v);
}

/* node_cost / entry_cost: what a node and an entry are charged. */
static uint64_t node_cost(const mnode_t *n) {
    return VFS_NODE_OVERHEAD + n->target_len + (n->kind == VFS_FILE && !n->borrowed ? n->size : 0);
}
static uint64_t entry_cost(const mentry_t *e) { return e->name_len + (e->extra ? VFS_LINK_OVERHEAD : 0); }

/* entry_free: entry ei is freed: release its charge. */
static void entry_free(model_t *m, int ei) {
    m->bytes -= entry_cost(&m->e[ei]);
    m->e[ei].alive = false;
}

/* node_die: node i is freed with every entry it kept: forget its bytes. */
static void node_die(model_t *m, int i) {
    mnode_t *n = &m->n[i];
    m->bytes -= node_cost(n);
    for (size_t k = 0; k < n->nlinks; k++) entry_free(m, n->links[k]);
    free(n->kids);
    free(n->data);
    free(n->target);
    free(n->links);
    n->kids = n->links = NULL;
    n->data = NULL;
    n->target = NULL;
    n->nkids = n->nlinks = 0;
    n->alive = false;
    n->v = NULL;
    m->alive--;
}

static void unlink_tree(model_t *m, int i);

/* entry_gone: entry ei has just left its directory's listing: its node
 * loses a link; the entry is freed unless it was the node's last one,
 * which the node keeps (detached, for its name) while it is referenced; a
 * directory that loses its entry is emptied first. */
static void entry_gone(model_t *m, int ei) {
    mentry_t *e = &m->e[ei];
    int i = e->node;
    mnode_t *n = &m->n[i];
    e->dir = -1;
    m->attached--;
    n->nlink--;
    if (n->nlink > 0) {
        list_remove(n->links, &n->nlinks, ei);
        entry_free(m, ei);
        return;
    }
    if (n->kind == VFS_DIR) unlink_tree(m, i);
    if (n->refs == 0) node_die(m, i);
}

/* unlink_tree: every entry of directory d leaves it, the last first
 * (vfs_clear_dir). */
static void unlink_tree(model_t *m, int d) {
    while (m->n[d].nkids > 0) {
        int ei = m->n[d].kids[--m->n[d].nkids];
        entry_gone(m, ei);
    }
}

/* detach: remove entry ei from its directory (unlink, rmdir, rename over). */
static void detach(model_t *m, int ei) {
    mnode_t *d = &m->n[m->e[ei].dir];
    list_remove(d->kids, &d->nkids, ei);
    entry_gone(m, ei);
}

/* node_new: a fresh model node without entries (charged). */
static int node_new(model_t *m, vfs_kind_t kind, bool writable) {
    FZ_CHECK(m->count < M_MAX, "model full");
    int i = m->count++;
    mnode_t *n = &m->n[i];
    memset(n, 0, sizeof *n);
    n->alive = true;
    n->kind = kind;
    n->writable = writable;
    m->alive++;
    m->bytes += node_cost(n);
    return i;
}

/* set_target: symbolic link node i holds [t, t+len) (charged with it). */
static void set_target(model_t *m, int i, const char *t, size_t len) {
    mnode_t *n = &m->n[i];
    n->target = fz_dup(t, len);
    n->target_len = len;
    m->bytes += len;
}

/* entry_add: a new entry for node i at the end of directory d (charged). */
static int entry_add(model_t *m, int i, int d, const char *name, size_t len, bool extra) {
    FZ_CHECK(m->ecount < E_MAX, "model entries full");
    int ei = m->ecount++;
    mentry_t *e = &m->e[ei];
    e->alive = true;
    e->extra = extra;
    e->dir = d;
    e->node = i;
    e->seq = 0;
    memcpy(e->name, name, len);
    e->name_len = len;
    mnode_t *n = &m->n[i];
    list_push(&n->links, &n->nlinks, &n->links_cap, ei);
    n->nlink++;
    mnode_t *dn = &m->n[d];
    list_push(&dn->kids, &dn->nkids, &dn->kids_cap, ei);
    m->attached++;
    m->bytes += entry_cost(e);
    return ei;
}

/* bind_node: record the VFS node of new model node i; its inode must be
 * new among the living. */
static void bind_node(model_t *m, int i, vfs_node_t *v) {
    FZ_CHECK(v != NULL, "new node %d without a VFS node", i);
    mnode_t *n = &m->n[i];
    n->v = v;
    n->ino = vfs_ino(v);
    FZ_CHECK(n->ino != 0, "inode 0");
    if (n->ino > m->max_ino) { /* above every inode seen: new (the usual case, in O(1)) */
        m->max_ino = n->ino;
        return;
    }
    for (int k = 0; k < m->count; k++)
        FZ_CHECK(k == i || !m->n[k].alive || m->n[k].ino != n->ino, "inode %llu reused while alive",
                 (unsigned long long)n->ino);
}

/* bind_entry: entry ei was just appended to its directory: the VFS's last
 * entry there must be it, with a sequence number above every earlier one. */
static void bind_entry(model_t *m, int ei) {
    mentry_t *e = &m->e[ei];
    mnode_t *p = &m->n[e->dir];
    const char *name = NULL;
    size_t len = 0, count = vfs_dir_count(p->v);
    uint64_t seq = 0;
    vfs_node_t *v = count ? vfs_dir_get(p->v, count - 1, &name, &len, &seq) : NULL;
    FZ_CHECK(v == m->n[e->node].v && len == e->name_len && memcmp(name, e->name, len) == 0,
             "the new entry '%.*s' is not last in its directory", (int)e->name_len, e->name);
    FZ_CHECK(!p->has_seq || seq > p->max_seq, "sequence number %llu not above %llu", (unsigned long long)seq,
             (unsigned long long)p->max_seq);
    e->seq = seq;
    p->has_seq = true;
    p->max_seq = seq;
}

/* can_fit: room in the model for `nodes` more nodes and `entries` more
 * entries (an operation that would not fit is skipped). */
static bool can_fit(const model_t *m, int nodes, int entries) {
    return m->count + nodes <= M_MAX && m->ecount + entries <= E_MAX;
}

/* ------------------------------------------------------------------ */
/* names and paths                                                     */

/* is_dot / is_dotdot: the components "." and "..". */
static bool is_dot(const char *s, size_t len) { return len == 1 && s[0] == '.'; }
static bool is_dotdot(const char *s, size_t len) { return len == 2 && s[0] == '.' && s[1] == '.'; }

/* check_name_rc: vfs_check_name's verdict on an entry name. */
static int check_name_rc(const char *s, size_t len) {
    if (len == 0 || is_dot(s, len) || is_dotdot(s, len)) return VFS_EINVAL;
    if (len > VFS_NAME_MAX) return VFS_ENAMETOOLONG;
    if (memchr(s, '/', len) || memchr(s, 0, len)) return VFS_EINVAL;
    return VFS_OK;
}

/* kid_find: the entry of directory d named [name, name+len), or -1. */
static int kid_find(const model_t *m, int d, const char *name, size_t len) {
    const mnode_t *dn = &m->n[d];
    if (dn->kind != VFS_DIR) return -1;
    for (size_t i = 0; i < dn->nkids; i++) {
        const mentry_t *e = &m->e[dn->kids[i]];
        if (e->name_len == len && memcmp(e->name, name, len) == 0) return dn->kids[i];
    }
    return -1;
}

/* kid_node: the node entry `name` of d names, or -1. */
static int kid_node(const model_t *m, int d, const char *name, size_t len) {
    int ei = kid_find(m, d, name, len);
    return ei >= 0 ? m->e[ei].node : -1;
}

static char fz_long[VFS_NAME_MAX + 2];
static char fz_long_target[T_MAX + 1]; /* "/" + "./" x 2047 + "/a": T_MAX bytes, or VFS_SYMLINK_MAX from +1 */

/* pick_name: a name into buf (at least VFS_NAME_MAX + 2 bytes); with
 * `dir` >= 0, often the name of one of its entries. */
static size_t pick_name(fz_in_t *in, const model_t *m, int dir, char *buf) {
    static const char *const fixed[] = {"a", "b", "c", "d", "A", "tmp", "x.txt", ".", "..", "", "a/b", "f", "l", "m"};
    uint8_t k = fz_u8(in);
    if (dir >= 0 && is_dir(m, dir) && m->n[dir].nkids > 0 && (k & 0x80)) {
        const mentry_t *c = &m->e[m->n[dir].kids[fz_u16(in) % m->n[dir].nkids]];
        memcpy(buf, c->name, c->name_len);
        return c->name_len;
    }
    k &= 0x7f;
    if (k < 96) {
        const char *s = fixed[k % (sizeof fixed / sizeof *fixed)];
        memcpy(buf, s, strlen(s));
        return strlen(s);
    }
    if (k < 100) { memcpy(buf, "n\0n", 3); return 3; }
    if (k < 108) { memcpy(buf, fz_long, VFS_NAME_MAX); return VFS_NAME_MAX; }
    if (k < 112) { memcpy(buf, fz_long, VFS_NAME_MAX + 1); return VFS_NAME_MAX + 1; }
    size_t len;
    const uint8_t *p = fz_bytes(in, VFS_NAME_MAX + 1, &len);
    memcpy(buf, p, len);
    return len;
}

/* pick_target: a symbolic link target (or a path) into buf (T_MAX + 1
 * bytes): relative, climbing, absolute, a name in `dir` (chains and
 * self-loops), empty, with a NUL, VFS_SYMLINK_MAX bytes and one more, a
 * component too long, or raw input bytes. */
static size_t pick_target(fz_in_t *in, const model_t *m, int dir, char *buf) {
    static const char *const fixed[] = {"a", "b", "c", "d", "l", "m", "f", "..", "../..", ".", "./", "a/b", "d/",
                                        "d/a", "../tmp", "a/../b", "/", "/tmp", "/tmp/a", "/data.bin", "data.bin",
                                        "x.txt", "tmp/../..", "l/", "..//.", "../a", "l/..", "m/l"};
    uint8_t k = fz_u8(in);
    if (k < 0x80) {
        const char *s = fixed[k % (sizeof fixed / sizeof *fixed)];
        memcpy(buf, s, strlen(s));
        return strlen(s);
    }
    if (k < 0xa0) {
        if (dir >= 0 && is_dir(m, dir) && m->n[dir].nkids > 0) {
            const mentry_t *c = &m->e[m->n[dir].kids[fz_u16(in) % m->n[dir].nkids]];
            memcpy(buf, c->name, c->name_len);
            return c->name_len;
        }
        buf[0] = 'l';
        return 1;
    }
    if (k < 0xa8) return 0;
    if (k < 0xb0) { memcpy(buf, "a\0b", 3); return 3; }
    if (k < 0xb8) { memcpy(buf, fz_long_target + 1, VFS_SYMLINK_MAX); return VFS_SYMLINK_MAX; }
    if (k < 0xbc) { memcpy(buf, fz_long_target, T_MAX); return T_MAX; }
    if (k < 0xc4) { memcpy(buf, fz_long, VFS_NAME_MAX + 1); return VFS_NAME_MAX + 1; }
    size_t len;
    const uint8_t *p = fz_bytes(in, 300, &len);
    memcpy(buf, p, len);
    return len;
}

/* path_of_entry: the canonical absolute path of attached entry ei into
 * buf; 0 if it does not fit in cap bytes. */
static size_t path_of_entry(const model_t *m, int ei, char *buf, size_t cap) {
    int chain[M_MAX + 1];
    int n = 0;
    for (int k = ei; k >= 0;) {
        chain[n++] = k;
        int d = m->e[k].dir;
        k = d > 0 ? m->n[d].links[0] : -1;
    }
    size_t len = 0;
    while (n-- > 0) {
        const mentry_t *c = &m->e[chain[n]];
        if (len + 1 + c->name_len > cap) return 0;
        buf[len++] = '/';
        memcpy(buf + len, c->name, c->name_len);
        len += c->name_len;
    }
    return len;
}

/* pick_path: a path of a few components into buf (cap bytes). */
static size_t pick_path(fz_in_t *in, const model_t *m, int start, char *buf, size_t cap, bool nul_free) {
    size_t len = 0;
    uint8_t f = fz_u8(in);
    int cur = start;
    if (f & 1) { buf[len++] = '/'; cur = 0; }
    int ncomp = 1 + (f >> 1) % 5;
    char name[VFS_NAME_MAX + 2];
    for (int c = 0; c < ncomp; c++) {
        size_t nl = pick_name(in, m, cur, name);
        if (nul_free && memchr(name, 0, nl)) nl = 0;
        if (len + nl + 2 > cap) break;
        memcpy(buf + len, name, nl);
        len += nl;
        int next = kid_node(m, cur, name, nl);
        cur = next >= 0 ? next : cur;
        if (c + 1 < ncomp || (f & 0x40)) buf[len++] = '/';
        if ((f & 0x80) && c == 0) buf[len++] = '/';
    }
    return len;
}

/* ------------------------------------------------------------------ */
/* model path resolution (the contract of vfs_resolve)                 */

/* The model's vfs_where_t: dir and node are model indices (-1 = NULL);
 * the name lies at name_off in the path (name_src -1) or in the target of
 * symbolic link node name_src. */
typedef struct mwhere {
    int dir, node, name_src;
    size_t name_off, name_len;
    bool slash;
} mwhere_t;

/* A piece still to resolve: the path (src -1) or a link's target. */
typedef struct mframe {
    const char *p;
    size_t len, pos;
    int src;
} mframe_t;

/* m_resolve: vfs_resolve on the model, from vfs.h: components taken one by
 * one; "." skipped; ".." to the parent (beneath: never above start, EPERM;
 * otherwise the root's parent is the root and an unlinked directory has
 * none, ENOENT); a link in the middle followed from its directory, the
 * last one with VFS_FOLLOW or a trailing '/' (never with VFS_PARENT); 40
 * links, then ELOOP; an absolute piece restarts at the root (EPERM
 * beneath); a trailing '/' on an existing non-directory ENOTDIR unless
 * VFS_PARENT; with VFS_PARENT but not VFS_BENEATH, a last "." or ".." stops
 * at the directory holding it. */
static int m_resolve(const model_t *m, int start, const char *path, size_t len, unsigned flags, mwhere_t *out) {
    bool beneath = flags & VFS_BENEATH, parent = flags & VFS_PARENT;
    if (len == 0) return VFS_ENOENT;
    if (memchr(path, 0, len)) return VFS_EINVAL;
    mframe_t st[VFS_SYMLOOP_MAX + 1];
    int top = 0, cur = start, hops = 0;
    size_t depth = 0;
    bool slash = false;
    if (path[0] == '/') {
        if (beneath) return VFS_EPERM;
        cur = 0;
    }
    st[top++] = (mframe_t){path, len, 0, -1};
    for (;;) {
        while (top > 0) { /* the next component */
            mframe_t *f = &st[top - 1];
            while (f->pos < f->len && f->p[f->pos] == '/') f->pos++;
            if (f->pos < f->len) break;
            top--;
        }
        if (top == 0) break;
        mframe_t *f = &st[top - 1];
        const char *comp = f->p + f->pos;
        size_t clen = 0;
        while (f->pos + clen < f->len && comp[clen] != '/') clen++;
        f->pos += clen;
        size_t comp_off = (size_t)(comp - f->p);
        int comp_src = f->src;
        bool last = true, sl = false;
        for (int i = top - 1; i >= 0 && last; i--) {
            mframe_t *g = &st[i];
            while (g->pos < g->len && g->p[g->pos] == '/') { g->pos++; sl = true; }
            if (g->pos < g->len) last = false;
        }
        if (last) slash = slash || sl;
        if (!is_dir(m, cur)) return VFS_ENOTDIR;
        bool dots = is_dot(comp, clen) || is_dotdot(comp, clen);
        if (dots && last && parent && !beneath) break;
        if (is_dot(comp, clen)) continue;
        if (is_dotdot(comp, clen)) {
            if (beneath) {
                if (depth == 0) return VFS_EPERM;
                depth--;
                cur = node_parent(m, cur);
            } else if (cur != 0) {
                if (node_parent(m, cur) < 0) return VFS_ENOENT;
                cur = node_parent(m, cur);
            }
            continue;
        }
        if (clen > VFS_NAME_MAX) return VFS_ENAMETOOLONG;
        int child = kid_node(m, cur, comp, clen);
        bool follow = child >= 0 && m->n[child].kind == VFS_SYMLINK && (!last || (flags & VFS_FOLLOW) || slash);
        if (last && (parent || !follow)) {
            if (!parent && child >= 0 && slash && !is_dir(m, child)) return VFS_ENOTDIR;
            *out = (mwhere_t){cur, child, comp_src, comp_off, clen, slash};
            return VFS_OK;
        }
        if (child < 0) return VFS_ENOENT;
        if (follow) {
            if (hops == VFS_SYMLOOP_MAX) return VFS_ELOOP;
            hops++;
            const mnode_t *l = &m->n[child];
            if (l->target[0] == '/') {
                if (beneath) return VFS_EPERM;
                cur = 0;
                depth = 0;
            }
            FZ_CHECK(top < VFS_SYMLOOP_MAX + 1, "model: too many frames");
            st[top++] = (mframe_t){l->target, l->target_len, 0, child};
            continue;
        }
        if (!is_dir(m, child)) return VFS_ENOTDIR;
        cur = child;
        depth++;
    }
    *out = (mwhere_t){-1, cur, -1, 0, 0, slash};
    return VFS_OK;
}

/* ------------------------------------------------------------------ */
/* checking the VFS against the model                                  */

/* check_file: size and bytes of file node i. */
static void check_file(const model_t *m, int i) {
    const mnode_t *n = &m->n[i];
    FZ_CHECK(vfs_size(n->v) == n->size, "node %d size %llu, model %zu", i, (unsigned long long)vfs_size(n->v),
             n->size);
    const uint8_t *view = vfs_file_data(n->v);
    if (n->size == 0) {
        FZ_CHECK(view == NULL, "empty file %d with a data view", i);
        return;
    }
    if (n->borrowed) {
        FZ_CHECK(view == n->borrowed_ptr, "borrowed file %d views other bytes", i);
        return;
    }
    FZ_CHECK(view && memcmp(view, n->data, n->size) == 0, "file %d bytes differ", i);
}

/* check_symlink: size, target and data view of symbolic link node i. */
static void check_symlink(const model_t *m, int i) {
    const mnode_t *n = &m->n[i];
    FZ_CHECK(vfs_size(n->v) == n->target_len, "link %d size %llu, target %zu bytes", i,
             (unsigned long long)vfs_size(n->v), n->target_len);
    FZ_CHECK(vfs_file_data(n->v) == NULL, "link %d has a data view", i);
    const char *t = NULL;
    size_t len = 0;
    FZ_CHECK(vfs_readlink(n->v, &t, &len) == VFS_OK && len == n->target_len && memcmp(t, n->target, len) == 0,
             "link %d target differs", i);
}

/* check_dir: listing, child index and sequence numbers of directory i. */
static void check_dir(const model_t *m, int i) {
    const mnode_t *n = &m->n[i];
    FZ_CHECK(vfs_dir_count(n->v) == n->nkids, "dir %d has %zu entries, model %zu", i, vfs_dir_count(n->v), n->nkids);
    FZ_CHECK(linked(m, i) || n->nkids == 0, "unlinked dir %d not empty", i);
    uint64_t prev = 0;
    for (size_t k = 0; k < n->nkids; k++) {
        const mentry_t *c = &m->e[n->kids[k]];
        const char *name = NULL;
        size_t len = 0;
        uint64_t seq = 0;
        vfs_node_t *e = vfs_dir_get(n->v, k, &name, &len, &seq);
        FZ_CHECK(e == m->n[c->node].v, "dir %d entry %zu is another node", i, k);
        FZ_CHECK(len == c->name_len && memcmp(name, c->name, len) == 0, "dir %d entry %zu name", i, k);
        FZ_CHECK(vfs_child(n->v, c->name, c->name_len) == e, "vfs_child misses entry %zu of dir %d", k, i);
        FZ_CHECK(seq == c->seq, "entry %zu of dir %d changed its sequence number", k, i);
        FZ_CHECK(k == 0 || seq > prev, "sequence numbers not increasing in dir %d", i);
        FZ_CHECK(vfs_dir_index_from_seq(n->v, seq) == k, "index_from_seq(%llu) in dir %d", (unsigned long long)seq,
                 i);
        FZ_CHECK(vfs_dir_index_from_seq(n->v, seq + 1) == k + 1, "index_from_seq(seq+1) in dir %d", i);
        prev = seq;
    }
    FZ_CHECK(vfs_dir_get(n->v, n->nkids, NULL, NULL, NULL) == NULL, "an entry past the end of dir %d", i);
    FZ_CHECK(vfs_dir_index_from_seq(n->v, 0) == 0, "index_from_seq(0)");
    FZ_CHECK(vfs_dir_index_from_seq(n->v, UINT64_MAX) == n->nkids, "index_from_seq(max)");
}

/* check_node: everything the VFS says about alive model node i. */
static void check_node(const model_t *m, int i) {
    const mnode_t *n = &m->n[i];
    vfs_node_t *v = n->v;
    FZ_CHECK(vfs_kind(v) == n->kind, "node %d kind %d, model %d", i, vfs_kind(v), n->kind);
    FZ_CHECK(vfs_linked(v) == linked(m, i) && vfs_nlink(v) == n->nlink, "node %d nlink %llu, model %llu", i,
             (unsigned long long)vfs_nlink(v), (unsigned long long)n->nlink);
    FZ_CHECK(vfs_writable(v) == n->writable, "node %d writable %d, model %d", i, vfs_writable(v), n->writable);
    FZ_CHECK(vfs_ino(v) == n->ino, "node %d inode changed", i);
    int p = node_parent(m, i);
    FZ_CHECK(vfs_parent(v) == (p >= 0 ? m->n[p].v : NULL), "node %d parent", i);
    const mentry_t *e = node_entry(m, i);
    size_t len = 99;
    const char *name = vfs_name(v, &len);
    if (e) FZ_CHECK(len == e->name_len && memcmp(name, e->name, len) == 0, "node %d name", i);
    else FZ_CHECK(len == 0 && name && !*name, "root name");
    if (e && linked(m, i)) FZ_CHECK(vfs_dir_seq(v) == e->seq, "node %d: vfs_dir_seq is not its oldest entry's", i);
    if (n->kind == VFS_DIR) check_dir(m, i);
    else if (n->kind == VFS_FILE) check_file(m, i);
    else check_symlink(m, i);
}

/* check_bytes: the accounting. */
static void check_bytes(const model_t *m) {
    FZ_CHECK(vfs_bytes(m->fs) == m->bytes, "vfs_bytes %llu, model %llu", (unsigned long long)vfs_bytes(m->fs),
             (unsigned long long)m->bytes);
    if (m->has_budget)
        FZ_CHECK(m->budget.used == m->bytes && m->budget.peak >= m->budget.used, "budget used %llu, model %llu",
                 (unsigned long long)m->budget.used, (unsigned long long)m->bytes);
}

/* check_all: the whole tree. */
static void check_all(const model_t *m) {
    for (int i = 0; i < m->count; i++)
        if (m->n[i].alive) check_node(m, i);
    check_bytes(m);
}

/* ------------------------------------------------------------------ */
/* choosing nodes                                                      */

/* pick_node: an alive node: a referenced one (maybe unlinked), one named
 * by an absolute path from the input, or the node of a random entry (so
 * a hard-linked file is reached through each of its names) or the root,
 * found through its path (which vfs_lookup, or vfs_resolve without
 * following for a link, must resolve). */
static int pick_node(fz_in_t *in, model_t *m) {
    uint8_t k = fz_u8(in);
    if (k < 0x30) {
        int s = m->slots[k % M_SLOTS];
        if (s >= 0) return s;
    }
    if (k < 0x40) { /* by absolute path (as the seed corpus spells nodes), odd k: a link itself */
        size_t len;
        const char *p = (const char *)fz_bytes(in, 255, &len);
        mwhere_t w;
        if (!len || p[0] != '/' || m_resolve(m, 0, p, len, (k & 1) ? 0 : VFS_FOLLOW, &w) != VFS_OK || w.node < 0)
            return 0;
        return w.node;
    }
    int want = (int)(fz_u16(in) % (unsigned)(m->attached + 1)), seen = 0, ei = -1;
    if (want > 0) {
        for (int i = 0; i < m->ecount; i++) {
            if (!m->e[i].alive || m->e[i].dir < 0) continue;
            ei = i;
            if (++seen == want) break;
        }
    }
    int pick = ei >= 0 ? m->e[ei].node : 0;
    char path[4096 + 8];
    size_t len = 1;
    path[0] = '/';
    if (ei >= 0 && (len = path_of_entry(m, ei, path, sizeof path - 4)) == 0) return pick;
    if (is_dir(m, pick) && (k & 1)) { memcpy(path + len, "/.", 2); len += 2; }
    vfs_node_t *start = (k & 2) ? vfs_root(m->fs) : NULL;
    if (m->n[pick].kind == VFS_SYMLINK) {
        vfs_where_t w;
        int rc = vfs_resolve(m->fs, start, path, len, 0, &w);
        FZ_CHECK(rc == VFS_OK && w.node == m->n[pick].v, "resolve of link %.*s: rc %d", (int)len, path, rc);
        return pick;
    }
    vfs_node_t *v = NULL;
    int rc = vfs_lookup(m->fs, start, path, len, &v);
    FZ_CHECK(rc == VFS_OK && v == m->n[pick].v, "lookup of %.*s: rc %d", (int)len, path, rc);
    return pick;
}

/* pick_start: the start node of a relative path (sometimes NULL, meaning the root). */
static int pick_start(fz_in_t *in, model_t *m, vfs_node_t **v) {
    int s = pick_node(in, m);
    *v = m->n[s].v;
    if (s == 0 && (fz_u8(in) & 1)) *v = NULL;
    return s;
}

/* ------------------------------------------------------------------ */
/* operations                                                          */

/* check_where: the VFS's vfs_where_t against the model's. */
static void check_where(const model_t *m, const vfs_where_t *w, const mwhere_t *mw, const char *path, size_t len) {
    FZ_CHECK(w->dir == (mw->dir >= 0 ? m->n[mw->dir].v : NULL), "resolve '%.*s': another directory", (int)len, path);
    FZ_CHECK(w->node == (mw->node >= 0 ? m->n[mw->node].v : NULL), "resolve '%.*s': another node", (int)len, path);
    FZ_CHECK(w->slash == mw->slash, "resolve '%.*s': slash %d, model %d", (int)len, path, w->slash, mw->slash);
    if (mw->dir < 0) {
        FZ_CHECK(w->name == NULL && w->name_len == 0, "resolve '%.*s': a name for a directory", (int)len, path);
        return;
    }
    const char *base = path;
    if (mw->name_src >= 0) {
        size_t tl;
        FZ_CHECK(vfs_readlink(m->n[mw->name_src].v, &base, &tl) == VFS_OK, "model: name from a non-link");
    }
    FZ_CHECK(w->name == base + mw->name_off && w->name_len == mw->name_len,
             "resolve '%.*s': name at another place (%zu bytes, model %zu)", (int)len, path, w->name_len,
             mw->name_len);
}

/* check_inside: a resolution that succeeded ends inside the tree (below
 * the root, or at its start if that is an unlinked directory), and with
 * VFS_BENEATH inside its start directory (checked on the VFS alone, not
 * the model). */
static void check_inside(model_t *m, vfs_node_t *start, unsigned flags, const vfs_where_t *w) {
    vfs_node_t *root = vfs_root(m->fs), *anchor = start && (flags & VFS_BENEATH) ? start : root;
    const vfs_node_t *p = w->dir ? w->dir : w->node;
    if (p == start && !(flags & VFS_BENEATH)) return;
    while (p && p != anchor) p = vfs_parent(p);
    FZ_CHECK(p == anchor, "a resolution (flags %u) left %s", flags, anchor == root ? "the tree" : "its start");
}

/* resolve_check: vfs_resolve against m_resolve (errno, and on success
 * the whole vfs_where_t, and containment beneath the start). */
static void resolve_check(model_t *m, int start, vfs_node_t *startv, const char *path, size_t len, unsigned flags) {
    mwhere_t mw;
    vfs_where_t w;
    int want = m_resolve(m, start, path, len, flags, &mw);
    int rc = vfs_resolve(m->fs, startv, path, len, flags, &w);
    FZ_RC(rc, want, "resolve '%.*s' from %d flags %u", (int)(len < 200 ? len : 200), path, start, flags);
    if (rc != VFS_OK) return;
    check_where(m, &w, &mw, path, len);
    check_inside(m, startv, flags, &w);
}

/* new_name_rc: vfs_check_new_name's verdict on adding `name` to d. */
static int new_name_rc(const model_t *m, int d, const char *name, size_t len) {
    int rc = !is_dir(m, d) ? VFS_ENOTDIR : !linked(m, d) ? VFS_ENOENT : check_name_rc(name, len);
    if (rc == VFS_OK && kid_find(m, d, name, len) >= 0) rc = VFS_EEXIST;
    if (rc == VFS_OK && !m->n[d].writable) rc = VFS_EROFS;
    return rc;
}

/* add_node: the model side of a new node of `kind` named `name` in d. */
static int add_node(model_t *m, int d, vfs_kind_t kind, bool writable, const char *name, size_t len, vfs_node_t *v) {
    int c = node_new(m, kind, writable);
    int ei = entry_add(m, c, d, name, len, false);
    bind_node(m, c, v);
    bind_entry(m, ei);
    return c;
}

/* op_create: vfs_create_file or vfs_mkdir. */
static void op_create(fz_in_t *in, model_t *m, bool dir) {
    int d = pick_node(in, m);
    char name[VFS_NAME_MAX + 2];
    size_t len = pick_name(in, m, d, name);
    int want = new_name_rc(m, d, name, len);
    if (want == VFS_OK && !charge_fits(m, VFS_NODE_OVERHEAD + len)) want = VFS_ENOSPC;
    if (want == VFS_OK && !can_fit(m, 1, 1)) return;
    vfs_node_t *out = NULL;
    vfs_node_t *dv = m->n[d].v;
    int rc = dir ? vfs_mkdir(m->fs, dv, name, len, &out) : vfs_create_file(m->fs, dv, name, len, &out);
    FZ_RC(rc, want, "%s '%.*s' in %d", dir ? "mkdir" : "create", (int)len, name, d);
    if (rc == VFS_OK) add_node(m, d, dir ? VFS_DIR : VFS_FILE, true, name, len, out);
}

/* op_symlink: vfs_symlink with a picked target. */
static void op_symlink(fz_in_t *in, model_t *m) {
    static char target[T_MAX + 1];
    int d = pick_node(in, m);
    char name[VFS_NAME_MAX + 2];
    size_t len = pick_name(in, m, d, name);
    size_t tlen = pick_target(in, m, d, target);
    int want = tlen == 0 ? VFS_ENOENT : tlen > VFS_SYMLINK_MAX ? VFS_ENAMETOOLONG
               : memchr(target, 0, tlen) ? VFS_EINVAL : new_name_rc(m, d, name, len);
    if (want == VFS_OK && !charge_fits(m, VFS_NODE_OVERHEAD + tlen + len)) want = VFS_ENOSPC;
    if (want == VFS_OK && !can_fit(m, 1, 1)) return;
    vfs_node_t *out = NULL;
    int rc = vfs_symlink(m->fs, m->n[d].v, name, len, target, tlen, &out);
    FZ_RC(rc, want, "symlink '%.*s' -> '%.*s' in %d", (int)len, name, (int)(tlen < 64 ? tlen : 64), target, d);
    if (rc != VFS_OK) return;
    int c = node_new(m, VFS_SYMLINK, true);
    set_target(m, c, target, tlen);
    int ei = entry_add(m, c, d, name, len, false);
    bind_node(m, c, out);
    bind_entry(m, ei);
    const char *t = NULL;
    size_t tl = 0;
    FZ_CHECK(vfs_readlink(out, &t, &tl) == VFS_OK && t != target && tl == tlen && memcmp(t, target, tlen) == 0,
             "readlink of a new link is not a copy of its target");
}

/* op_bulk_symlink: a chain "<p>00" -> "<p>01" -> ... -> a picked target in
 * one directory, then lookups of its head (the 40-hop limit on either side
 * when the chain is long enough). */
static void op_bulk_symlink(fz_in_t *in, model_t *m) {
    static char last[T_MAX + 1];
    int d = pick_node(in, m);
    char prefix = (char)('a' + fz_u8(in) % 26);
    int count = 1 + fz_u8(in) % 64;
    size_t last_len = pick_target(in, m, d, last);
    if (!is_dir(m, d) || !linked(m, d) || !m->n[d].writable || last_len == 0 || last_len > VFS_SYMLINK_MAX ||
        memchr(last, 0, last_len))
        return;
    for (int k = 0; k < count && can_fit(m, 1, 1); k++) {
        char name[8], next[8];
        int len = snprintf(name, sizeof name, "%c%02d", prefix, k);
        int nlen = snprintf(next, sizeof next, "%c%02d", prefix, k + 1);
        const char *t = k + 1 < count ? next : last;
        size_t tlen = k + 1 < count ? (size_t)nlen : last_len;
        int want = kid_find(m, d, name, (size_t)len) >= 0 ? VFS_EEXIST
                   : !charge_fits(m, VFS_NODE_OVERHEAD + tlen + (uint64_t)len) ? VFS_ENOSPC
                                                                               : VFS_OK;
        vfs_node_t *out = NULL;
        int rc = vfs_symlink(m->fs, m->n[d].v, name, (size_t)len, t, tlen, &out);
        FZ_RC(rc, want, "bulk symlink '%s'", name);
        if (rc != VFS_OK) continue;
        int c = node_new(m, VFS_SYMLINK, true);
        set_target(m, c, t, tlen);
        int ei = entry_add(m, c, d, name, (size_t)len, false);
        bind_node(m, c, out);
        bind_entry(m, ei);
    }
    char head[8];
    int hlen = snprintf(head, sizeof head, "%c00", prefix);
    for (unsigned flags = 0; flags < 8; flags++) resolve_check(m, d, m->n[d].v, head, (size_t)hlen, flags);
}

/* op_link: vfs_link of a picked node into a picked directory. */
static void op_link(fz_in_t *in, model_t *m) {
    int s = pick_node(in, m);
    int d = (fz_u8(in) & 3) || node_parent(m, s) < 0 ? pick_node(in, m) : node_parent(m, s);
    char name[VFS_NAME_MAX + 2];
    size_t len = pick_name(in, m, d, name);
    const mnode_t *sn = &m->n[s];
    int want = new_name_rc(m, d, name, len);
    if (want == VFS_OK)
        want = sn->kind == VFS_DIR ? VFS_EPERM : !sn->writable || sn->borrowed ? VFS_EXDEV
               : !linked(m, s) ? VFS_ENOENT : VFS_OK;
    if (want == VFS_OK && !charge_fits(m, VFS_LINK_OVERHEAD + len)) want = VFS_ENOSPC;
    if (want == VFS_OK && !can_fit(m, 0, 1)) return;
    int rc = vfs_link(m->fs, sn->v, m->n[d].v, name, len);
    FZ_RC(rc, want, "link %d as '%.*s' in %d", s, (int)len, name, d);
    if (rc != VFS_OK) return;
    int ei = entry_add(m, s, d, name, len, true);
    bind_entry(m, ei);
    FZ_CHECK(vfs_child(m->n[d].v, name, len) == sn->v && vfs_nlink(sn->v) == sn->nlink,
             "the new link does not name the node");
}

/* op_readlink: vfs_readlink returns exactly the stored target. */
static void op_readlink(fz_in_t *in, model_t *m) {
    int i = pick_node(in, m);
    const mnode_t *n = &m->n[i];
    const char *t = (const char *)"untouched";
    size_t len = 777;
    int rc = vfs_readlink(n->v, &t, &len);
    FZ_CHECK(rc == (n->kind == VFS_SYMLINK ? VFS_OK : VFS_EINVAL), "readlink %d: rc %d", i, rc);
    if (rc == VFS_OK) FZ_CHECK(len == n->target_len && memcmp(t, n->target, len) == 0, "readlink %d target", i);
}

/* removal_rc: the checks vfs_unlink and vfs_rmdir share; *c = the entry. */
static int removal_rc(const model_t *m, int d, const char *name, size_t len, int *c) {
    const mnode_t *dn = &m->n[d];
    int rc = dn->kind != VFS_DIR ? VFS_ENOTDIR : !linked(m, d) ? VFS_ENOENT : !dn->writable ? VFS_EROFS : VFS_OK;
    if (rc == VFS_OK) rc = check_name_rc(name, len);
    if (rc == VFS_OK && (*c = kid_find(m, d, name, len)) < 0) rc = VFS_ENOENT;
    return rc;
}

/* op_remove: vfs_unlink or vfs_rmdir. */
static void op_remove(fz_in_t *in, model_t *m, bool dir) {
    int d = pick_node(in, m), c = -1;
    char name[VFS_NAME_MAX + 2];
    size_t len = pick_name(in, m, d, name);
    int want = removal_rc(m, d, name, len, &c);
    int cn = c >= 0 ? m->e[c].node : -1;
    if (want == VFS_OK && !dir && is_dir(m, cn)) want = VFS_EISDIR;
    if (want == VFS_OK && dir && !is_dir(m, cn)) want = VFS_ENOTDIR;
    if (want == VFS_OK && dir && m->n[cn].nkids > 0) want = VFS_ENOTEMPTY;
    int rc = dir ? vfs_rmdir(m->fs, m->n[d].v, name, len) : vfs_unlink(m->fs, m->n[d].v, name, len);
    FZ_RC(rc, want, "%s '%.*s' in %d", dir ? "rmdir" : "unlink", (int)len, name, d);
    if (rc == VFS_OK) detach(m, c);
}

/* within: node a is b or lies below it. */
static bool within(const model_t *m, int a, int b) {
    for (int p = a; p >= 0; p = node_parent(m, p))
        if (p == b) return true;
    return false;
}

/* rename_rc: the model's vfs_rename verdict; *src, *dst the entries. */
static int rename_rc(const model_t *m, int d1, const char *n1, size_t l1, int d2, const char *n2, size_t l2,
                     int *src, int *dst) {
    const mnode_t *a = &m->n[d1], *b = &m->n[d2];
    int rc = a->kind != VFS_DIR ? VFS_ENOTDIR : !linked(m, d1) ? VFS_ENOENT : !a->writable ? VFS_EROFS : VFS_OK;
    if (rc == VFS_OK)
        rc = b->kind != VFS_DIR ? VFS_ENOTDIR : !linked(m, d2) ? VFS_ENOENT : !b->writable ? VFS_EROFS : VFS_OK;
    if (rc == VFS_OK) rc = check_name_rc(n1, l1);
    if (rc == VFS_OK) rc = check_name_rc(n2, l2);
    if (rc != VFS_OK) return rc;
    if ((*src = kid_find(m, d1, n1, l1)) < 0) return VFS_ENOENT;
    *dst = kid_find(m, d2, n2, l2);
    int s = m->e[*src].node;
    if (*dst >= 0 && m->e[*dst].node == s) return VFS_OK; /* the same entry, or another link of the node */
    if (is_dir(m, s) && within(m, d2, s)) return VFS_EINVAL;
    if (*dst >= 0) {
        int t = m->e[*dst].node;
        if (!is_dir(m, s) && is_dir(m, t)) return VFS_EISDIR;
        if (is_dir(m, s) && !is_dir(m, t)) return VFS_ENOTDIR;
        if (is_dir(m, t) && m->n[t].nkids > 0) return VFS_ENOTEMPTY;
    }
    if (l2 > l1 && !charge_fits(m, l2 - l1)) return VFS_ENOSPC;
    return VFS_OK;
}

/* rename_apply: the model side of a successful rename. */
static void rename_apply(model_t *m, int d1, int d2, int src, int dst, const char *n2, size_t l2) {
    mentry_t *s = &m->e[src];
    if (dst >= 0 && m->e[dst].node == s->node) return;
    if (dst >= 0) detach(m, dst);
    m->bytes = m->bytes - s->name_len + l2;
    memcpy(s->name, n2, l2);
    s->name_len = l2;
    if (d1 == d2) return; /* keeps its place and its sequence number */
    list_remove(m->n[d1].kids, &m->n[d1].nkids, src);
    list_push(&m->n[d2].kids, &m->n[d2].nkids, &m->n[d2].kids_cap, src);
    s->dir = d2;
    bind_entry(m, src);
}

/* op_rename: vfs_rename between two picked directories. */
static void op_rename(fz_in_t *in, model_t *m) {
    int d1 = pick_node(in, m);
    char n1[VFS_NAME_MAX + 2], n2[VFS_NAME_MAX + 2];
    size_t l1 = pick_name(in, m, d1, n1);
    int d2 = (fz_u8(in) & 3) ? d1 : pick_node(in, m);
    size_t l2 = pick_name(in, m, d2, n2);
    int src = -1, dst = -1;
    int want = rename_rc(m, d1, n1, l1, d2, n2, l2, &src, &dst);
    int rc = vfs_rename(m->fs, m->n[d1].v, n1, l1, m->n[d2].v, n2, l2);
    FZ_RC(rc, want, "rename %d/'%.*s' -> %d/'%.*s'", d1, (int)l1, n1, d2, (int)l2, n2);
    if (rc == VFS_OK) rename_apply(m, d1, d2, src, dst, n2, l2);
}

/* op_resolve: vfs_resolve with picked flags (and vfs_lookup,
 * vfs_lookup_parent) on a generated path, against the model. */
static void op_resolve(fz_in_t *in, model_t *m, int api) {
    static char path[T_MAX + 1];
    vfs_node_t *startv;
    int start = pick_start(in, m, &startv);
    uint8_t f = fz_u8(in);
    size_t len = (f & 0x80) ? pick_target(in, m, start, path) : pick_path(in, m, start, path, 2048, false);
    if (api == 0) {
        resolve_check(m, start, startv, path, len, f & 7u);
        return;
    }
    unsigned flags = api == 1 ? VFS_FOLLOW : VFS_PARENT;
    mwhere_t mw;
    int want = m_resolve(m, start, path, len, flags, &mw);
    if (api == 1) {
        if (want == VFS_OK && mw.node < 0) want = VFS_ENOENT;
        vfs_node_t *out = NULL;
        int rc = vfs_lookup(m->fs, startv, path, len, &out);
        FZ_RC(rc, want, "lookup '%.*s' from %d", (int)len, path, start);
        if (rc == VFS_OK) FZ_CHECK(out == m->n[mw.node].v, "lookup '%.*s' found another node", (int)len, path);
        return;
    }
    if (want == VFS_OK && mw.dir < 0) want = VFS_EINVAL;
    vfs_node_t *p = NULL;
    const char *name = NULL;
    size_t name_len = 0;
    int rc = vfs_lookup_parent(m->fs, startv, path, len, &p, &name, &name_len);
    FZ_RC(rc, want, "lookup_parent '%.*s' from %d", (int)len, path, start);
    if (rc != VFS_OK) return;
    vfs_where_t w = {p, name, name_len, vfs_child(p, name, name_len), mw.slash}; /* slash: not reported */
    check_where(m, &w, &mw, path, len);
}

/* pick_offset: a file offset: small, at the end, or near VFS_FILE_MAX. */
static uint64_t pick_offset(fz_in_t *in, const mnode_t *n) {
    uint8_t k = fz_u8(in);
    switch (k % 8) {
    case 0: return fz_u16(in);
    case 1: return n->size;
    case 2: return n->size > 0 ? n->size - 1 - fz_below(in, n->size) : 0;
    case 3: return VFS_FILE_MAX - fz_u8(in);
    case 4: return VFS_FILE_MAX + fz_u8(in);
    case 5: return UINT64_MAX - fz_u8(in);
    default: return fz_u8(in);
    }
}

/* not_file_rc: the error of data operations on a non-file. */
static int not_file_rc(const mnode_t *n) { return n->kind == VFS_DIR ? VFS_EISDIR : VFS_EINVAL; }

/* file_rc: the checks of vfs_write and vfs_truncate on node n. */
static int file_rc(const mnode_t *n) {
    if (n->kind != VFS_FILE) return not_file_rc(n);
    if (!n->writable || n->borrowed) return VFS_EROFS;
    return VFS_OK;
}

/* resize_model: file i now has `size` bytes (new ones zero). */
static void resize_model(model_t *m, int i, size_t size) {
    mnode_t *n = &m->n[i];
    if (size > n->size) {
        uint8_t *d = realloc(n->data, size);
        FZ_CHECK(d != NULL, "out of memory");
        memset(d + n->size, 0, size - n->size);
        n->data = d;
    }
    m->bytes = m->bytes - n->size + size;
    n->size = size;
}

/* op_write: vfs_write at a picked offset (through whichever name the node
 * was picked by). */
static void op_write(fz_in_t *in, model_t *m) {
    int i = pick_node(in, m);
    mnode_t *n = &m->n[i];
    uint64_t off = pick_offset(in, n);
    size_t len;
    const uint8_t *src = fz_bytes(in, 600, &len);
    int want = file_rc(n);
    uint64_t end = off + len;
    if (want == VFS_OK && len > 0 && off > VFS_FILE_MAX - len) want = VFS_EFBIG;
    if (want == VFS_OK && len > 0 && end > n->size) {
        if (!big_ok(m, end, n->size)) return;
        if (!charge_fits(m, end - n->size)) want = VFS_ENOSPC;
    }
    int rc = vfs_write(m->fs, n->v, off, src, len);
    FZ_RC(rc, want, "write %zu at %llu to %d", len, (unsigned long long)off, i);
    if (rc != VFS_OK || len == 0) return;
    if (end > n->size) resize_model(m, i, (size_t)end);
    memcpy(n->data + off, src, len);
}

/* op_truncate: vfs_truncate to a picked size. */
static void op_truncate(fz_in_t *in, model_t *m) {
    int i = pick_node(in, m);
    mnode_t *n = &m->n[i];
    uint64_t size = pick_offset(in, n);
    int want = file_rc(n);
    if (want == VFS_OK && size > VFS_FILE_MAX) want = VFS_EFBIG;
    if (want == VFS_OK && size > n->size) {
        if (!big_ok(m, size, n->size)) return;
        if (!charge_fits(m, size - n->size)) want = VFS_ENOSPC;
    }
    int rc = vfs_truncate(m->fs, n->v, size);
    FZ_RC(rc, want, "truncate %d to %llu", i, (unsigned long long)size);
    if (rc == VFS_OK) resize_model(m, i, (size_t)size);
}

/* op_read: vfs_read at a picked offset, compared with the model. */
static void op_read(fz_in_t *in, model_t *m) {
    int i = pick_node(in, m);
    const mnode_t *n = &m->n[i];
    uint64_t off = pick_offset(in, n);
    size_t len = fz_u16(in) % 2048;
    uint8_t buf[2048];
    size_t got = 12345;
    bool file = n->kind == VFS_FILE;
    size_t want_n = file && off < n->size ? n->size - (size_t)off : 0;
    if (want_n > len) want_n = len;
    int want = !file ? not_file_rc(n) : (n->borrowed && want_n && fz_copier_set && fz_copier_fails) ? VFS_EIO : VFS_OK;
    int rc = vfs_read(n->v, off, buf, len, &got);
    FZ_RC(rc, want, "read %d", i);
    if (rc != VFS_OK) {
        FZ_CHECK(got == 0, "failed read reports %zu bytes", got);
        return;
    }
    FZ_CHECK(got == want_n, "read %zu bytes at %llu of %d, model %zu", got, (unsigned long long)off, i, want_n);
    const uint8_t *src = n->borrowed ? n->borrowed_ptr : n->data;
    if (got) FZ_CHECK(memcmp(buf, src + off, got) == 0, "read bytes differ");
}

/* op_take: vfs_take, compared with the model. */
static void op_take(fz_in_t *in, model_t *m) {
    int i = pick_node(in, m);
    mnode_t *n = &m->n[i];
    int want = n->kind != VFS_FILE ? not_file_rc(n)
               : (n->borrowed && n->size && fz_copier_set && fz_copier_fails) ? VFS_EIO : VFS_OK;
    uint8_t *data = (uint8_t *)"untouched";
    size_t len = 777;
    int rc = vfs_take(m->fs, n->v, &data, &len);
    FZ_RC(rc, want, "take %d", i);
    if (rc != VFS_OK) return;
    FZ_CHECK(len == n->size, "took %zu bytes of %zu", len, n->size);
    const uint8_t *src = n->borrowed ? n->borrowed_ptr : n->data;
    if (len) FZ_CHECK(data && memcmp(data, src, len) == 0, "taken bytes differ");
    free(data);
    if (!n->borrowed) m->bytes -= n->size;
    free(n->data);
    n->data = NULL;
    n->size = 0;
    n->borrowed_ptr = NULL;
}

/* op_close: drop the reference held by a slot. */
static void op_close(model_t *m, int slot) {
    int i = m->slots[slot];
    if (i < 0) return;
    m->slots[slot] = -1;
    mnode_t *n = &m->n[i];
    vfs_unref(m->fs, n->v);
    n->refs--;
    if (n->refs == 0 && !linked(m, i)) node_die(m, i);
}

/* op_open: take a reference into a slot (dropping the slot's old one). */
static void op_open(fz_in_t *in, model_t *m) {
    int slot = fz_u8(in) % M_SLOTS;
    int i = pick_node(in, m);
    vfs_ref(m->n[i].v);
    m->n[i].refs++;
    op_close(m, slot);
    m->slots[slot] = i;
}

/* op_clear: vfs_clear_dir on a picked node (a file or link: nothing happens). */
static void op_clear(fz_in_t *in, model_t *m) {
    int d = pick_node(in, m);
    vfs_clear_dir(m->fs, m->n[d].v);
    if (is_dir(m, d)) unlink_tree(m, d);
}

/* op_times: vfs_set_times reads back. */
static void op_times(fz_in_t *in, model_t *m) {
    int i = pick_node(in, m);
    uint64_t a = fz_u64(in), t = fz_u64(in);
    vfs_set_times(m->n[i].v, a, t);
    FZ_CHECK(vfs_atim(m->n[i].v) == a && vfs_mtim(m->n[i].v) == t, "times do not read back");
}

/* ensure_plan: the model's vfs_ensure_dirs over [path, path+len), which
 * goes component by component without following links: the error, or the
 * final directory with *need the charge of the directories to create
 * (ENOSPC as soon as one does not fit). */
static int ensure_plan(const model_t *m, const char *path, size_t len, int *dir, uint64_t *need, size_t *created) {
    int cur = 0;
    size_t i = 0;
    bool missing = false;
    *need = 0;
    *created = 0;
    while (i < len) {
        if (path[i] == '/') { i++; continue; }
        const char *slash = memchr(path + i, '/', len - i);
        size_t end = slash ? (size_t)(slash - path) : len;
        const char *comp = path + i;
        size_t clen = end - i;
        i = end;
        if (is_dot(comp, clen)) continue;
        int rc = check_name_rc(comp, clen);
        if (rc != VFS_OK) return rc;
        int next = missing ? -1 : kid_node(m, cur, comp, clen);
        if (next >= 0 && !is_dir(m, next)) return VFS_ENOTDIR;
        if (next >= 0) { cur = next; continue; }
        missing = true;
        *need += VFS_NODE_OVERHEAD + clen;
        (*created)++;
        if (!charge_fits(m, *need)) return VFS_ENOSPC;
    }
    *dir = cur;
    return VFS_OK;
}

/* create_chain: after the VFS made them, the missing directories of path
 * in the model; returns the last directory. */
static int create_chain(model_t *m, const char *path, size_t len, bool writable) {
    int cur = 0;
    size_t i = 0;
    while (i < len) {
        if (path[i] == '/') { i++; continue; }
        const char *slash = memchr(path + i, '/', len - i);
        size_t end = slash ? (size_t)(slash - path) : len;
        const char *comp = path + i;
        size_t clen = end - i;
        i = end;
        if (is_dot(comp, clen)) continue;
        int next = kid_node(m, cur, comp, clen);
        if (next < 0) next = add_node(m, cur, VFS_DIR, writable, comp, clen, vfs_child(m->n[cur].v, comp, clen));
        cur = next;
    }
    return cur;
}

/* pick_abs_path: a NUL-terminated host path for mkdir_p / put_borrowed. */
static size_t pick_abs_path(fz_in_t *in, const model_t *m, char *buf, size_t cap) {
    size_t len = pick_path(in, m, 0, buf, cap - 1, true);
    if (len == 0 || (buf[0] != '/' && (fz_u8(in) & 7))) {
        memmove(buf + 1, buf, len < cap - 2 ? len : cap - 2);
        buf[0] = '/';
        len = len < cap - 2 ? len + 1 : cap - 1;
    }
    buf[len] = 0;
    return len;
}

/* op_mkdir_p: vfs_mkdir_p. */
static void op_mkdir_p(fz_in_t *in, model_t *m) {
    char path[2048];
    size_t len = pick_abs_path(in, m, path, sizeof path);
    bool writable = fz_u8(in) & 1;
    int dir = 0;
    size_t created = 0;
    uint64_t need = 0;
    int want = path[0] != '/' ? VFS_EINVAL : ensure_plan(m, path, len, &dir, &need, &created);
    if (want == VFS_OK && !can_fit(m, (int)created, (int)created)) return;
    vfs_node_t *out = NULL;
    int rc = vfs_mkdir_p(m->fs, path, writable, &out);
    FZ_RC(rc, want, "mkdir_p '%s'", path);
    if (rc != VFS_OK) return;
    dir = create_chain(m, path, len, writable);
    if (writable) m->n[dir].writable = true;
    FZ_CHECK(out == m->n[dir].v, "mkdir_p '%s' returned another node", path);
}

/* keep_bytes: a copy of [p, p+len) that lives until the end of the input. */
static const uint8_t *keep_bytes(model_t *m, const uint8_t *p, size_t len) {
    uint8_t **grown = realloc(m->arena, (m->narena + 1) * sizeof *grown);
    FZ_CHECK(grown != NULL, "out of memory");
    m->arena = grown;
    uint8_t *copy = malloc(len ? len : 1);
    FZ_CHECK(copy != NULL, "out of memory");
    if (len) memcpy(copy, p, len);
    m->arena[m->narena++] = copy;
    return copy;
}

/* borrowed_rc: the model's vfs_put_borrowed verdict before its parents. */
static int borrowed_rc(const char *path, size_t len, const char **name, size_t *name_len) {
    if (path[0] != '/') return VFS_EINVAL;
    *name = strrchr(path, '/') + 1;
    *name_len = len - (size_t)(*name - path);
    return check_name_rc(*name, *name_len);
}

/* op_put_borrowed: vfs_put_borrowed of input bytes. */
static void op_put_borrowed(fz_in_t *in, model_t *m) {
    char path[2048];
    size_t len = pick_abs_path(in, m, path, sizeof path);
    size_t dlen;
    const uint8_t *raw = fz_bytes(in, 1000, &dlen);
    const uint8_t *bytes = dlen || (fz_u8(in) & 1) ? keep_bytes(m, raw, dlen) : NULL;
    const char *name = NULL;
    size_t name_len = 0, created = 0;
    uint64_t need = 0;
    int dir = 0;
    int want = borrowed_rc(path, len, &name, &name_len);
    if (want == VFS_OK) want = ensure_plan(m, path, (size_t)(name - path), &dir, &need, &created);
    int file = want == VFS_OK && created == 0 ? kid_node(m, dir, name, name_len) : -1;
    if (want == VFS_OK && file >= 0 && is_dir(m, file)) want = VFS_EISDIR;
    if (want == VFS_OK && file >= 0 && m->n[file].kind == VFS_SYMLINK) want = VFS_EEXIST;
    if (want == VFS_OK && file < 0 && !charge_fits(m, need + VFS_NODE_OVERHEAD + name_len)) want = VFS_ENOSPC;
    if (want == VFS_OK && !can_fit(m, (int)created + 1, (int)created + 1)) return;
    vfs_node_t *out = NULL;
    int rc = vfs_put_borrowed(m->fs, path, bytes, dlen, &out);
    FZ_RC(rc, want, "put_borrowed '%s'", path);
    if (rc != VFS_OK) return;
    dir = create_chain(m, path, (size_t)(name - path), false);
    if (file < 0) file = add_node(m, dir, VFS_FILE, false, name, name_len, out);
    mnode_t *f = &m->n[file];
    FZ_CHECK(out == f->v, "put_borrowed '%s' returned another node", path);
    if (!f->borrowed) m->bytes -= f->size;
    free(f->data);
    f->data = NULL;
    f->borrowed = true;
    f->writable = false;
    f->borrowed_ptr = bytes;
    f->size = dlen;
}

/* op_bulk_create: many files "<p>NNN" in one directory. */
static void op_bulk_create(fz_in_t *in, model_t *m) {
    int d = pick_node(in, m);
    uint8_t prefix = (uint8_t)('a' + fz_u8(in) % 26);
    int count = 1 + fz_u8(in) % 128;
    if (!is_dir(m, d) || !linked(m, d) || !m->n[d].writable) return;
    for (int k = 0; k < count && can_fit(m, 1, 1); k++) {
        char name[8];
        int len = snprintf(name, sizeof name, "%c%03d", prefix, k);
        int want = kid_find(m, d, name, (size_t)len) >= 0 ? VFS_EEXIST
                   : !charge_fits(m, VFS_NODE_OVERHEAD + (uint64_t)len) ? VFS_ENOSPC
                                                                        : VFS_OK;
        vfs_node_t *out = NULL;
        int rc = vfs_create_file(m->fs, m->n[d].v, name, (size_t)len, &out);
        FZ_RC(rc, want, "bulk create '%s'", name);
        if (rc == VFS_OK) add_node(m, d, VFS_FILE, true, name, (size_t)len, out);
    }
}

/* op_bulk_remove: unlink every stride-th non-directory entry of a directory. */
static void op_bulk_remove(fz_in_t *in, model_t *m) {
    int d = pick_node(in, m);
    size_t stride = 1 + fz_u8(in) % 4, phase = fz_u8(in) % stride;
    mnode_t *dn = &m->n[d];
    if (!is_dir(m, d) || !linked(m, d) || !dn->writable) return;
    for (size_t k = dn->nkids; k-- > 0;) {
        if (k % stride != phase) continue;
        int c = dn->kids[k];
        if (is_dir(m, m->e[c].node)) continue;
        int rc = vfs_unlink(m->fs, dn->v, m->e[c].name, m->e[c].name_len);
        FZ_CHECK(rc == VFS_OK, "bulk unlink: rc %d", rc);
        detach(m, c);
    }
}

/* ------------------------------------------------------------------ */
/* setup and the main loop                                             */

/* model_init: the filesystem an instance starts with (like the engine's:
 * read-only root, writable /tmp /metadata /subcontent, /data.bin). */
static void model_init(model_t *m, fz_in_t *in) {
    static const uint64_t limits[] = {UINT64_MAX, 4096, 16384, 65536, 1u << 20, 2000};
    uint8_t b = fz_u8(in);
    m->count = m->ecount = m->alive = m->attached = 0;
    m->bytes = 0;
    m->arena = NULL;
    m->narena = 0;
    for (int s = 0; s < M_SLOTS; s++) m->slots[s] = -1;
    m->has_budget = b % 8 != 7;
    budget_init(&m->budget, limits[(b / 8) % 6]);
    m->fs = vfs_new(m->has_budget ? &m->budget : NULL);
    FZ_CHECK(m->fs != NULL, "vfs_new");
    fz_copier_set = b & 0x80;
    if (fz_copier_set) vfs_set_copier(m->fs, fz_copier);
    fz_copier_fails = false;
    int r = node_new(m, VFS_DIR, false);
    m->bytes = 0; /* the root is not charged */
    m->n[r].nlink = 1;
    m->n[r].v = vfs_root(m->fs);
    m->n[r].ino = m->max_ino = vfs_ino(m->n[r].v);
}

/* model_free: drop every reference, free the filesystem and the model. */
static void model_free(model_t *m) {
    for (int s = 0; s < M_SLOTS; s++) op_close(m, s);
    check_all(m);
    vfs_clear_dir(m->fs, vfs_root(m->fs));
    unlink_tree(m, 0);
    check_bytes(m);
    FZ_CHECK(m->bytes == 0 && m->alive == 1, "%d nodes and %llu bytes left after clearing the root", m->alive,
             (unsigned long long)m->bytes);
    vfs_free(m->fs);
    for (int i = 0; i < m->count; i++) {
        free(m->n[i].kids);
        free(m->n[i].links);
        free(m->n[i].data);
        free(m->n[i].target);
    }
    for (size_t i = 0; i < m->narena; i++) free(m->arena[i]);
    free(m->arena);
}

/* setup_instance: /tmp, /metadata, /subcontent writable, /data.bin. */
static void setup_instance(model_t *m, fz_in_t *in) {
    static const char *const dirs[] = {"/tmp", "/metadata", "/subcontent"};
    for (size_t i = 0; i < 3; i++) {
        vfs_node_t *out = NULL;
        if (!charge_fits(m, VFS_NODE_OVERHEAD + strlen(dirs[i]) - 1)) return;
        FZ_CHECK(vfs_mkdir_p(m->fs, dirs[i], true, &out) == VFS_OK, "mkdir_p %s", dirs[i]);
        create_chain(m, dirs[i], strlen(dirs[i]), true);
    }
    size_t len;
    const uint8_t *p = fz_bytes(in, 200, &len);
    if (!charge_fits(m, VFS_NODE_OVERHEAD + 8)) return;
    const uint8_t *bytes = keep_bytes(m, p, len);
    vfs_node_t *out = NULL;
    FZ_CHECK(vfs_put_borrowed(m->fs, "/data.bin", bytes, len, &out) == VFS_OK, "put /data.bin");
    int f = add_node(m, 0, VFS_FILE, false, "data.bin", 8, out);
    m->n[f].borrowed = true;
    m->n[f].borrowed_ptr = bytes;
    m->n[f].size = len;
}

/* run_op: one operation chosen by the next byte. */
static void run_op(fz_in_t *in, model_t *m) {
    switch (fz_u8(in) % 28) {
    case 0: case 1: op_create(in, m, false); break;
    case 2: op_create(in, m, true); break;
    case 3: op_remove(in, m, false); break;
    case 4: op_remove(in, m, true); break;
    case 5: case 6: op_rename(in, m); break;
    case 7: op_resolve(in, m, 1); break;
    case 8: op_resolve(in, m, 2); break;
    case 9: case 10: op_write(in, m); break;
    case 11: op_truncate(in, m); break;
    case 12: op_read(in, m); break;
    case 13: op_take(in, m); break;
    case 14: op_open(in, m); break;
    case 15: op_close(m, fz_u8(in) % M_SLOTS); break;
    case 16: op_clear(in, m); break;
    case 17: op_put_borrowed(in, m); break;
    case 18: op_mkdir_p(in, m); break;
    case 19: op_bulk_create(in, m); break;
    case 20: op_bulk_remove(in, m); break;
    case 21:
        if (fz_u8(in) & 1) op_times(in, m);
        else fz_copier_fails = !fz_copier_fails;
        break;
    case 22: case 23: op_symlink(in, m); break;
    case 24: op_link(in, m); break;
    case 25: op_readlink(in, m); break;
    case 26: op_resolve(in, m, 0); break;
    default: op_bulk_symlink(in, m); break;
    }
}

/* init_long: the long names and targets (once). */
static void init_long(void) {
    if (fz_long[0]) return;
    memset(fz_long, 'L', sizeof fz_long - 1);
    char *t = fz_long_target;
    t[0] = '/';
    for (size_t i = 1; i + 2 <= T_MAX - 2; i += 2) memcpy(t + i, "./", 2);
    memcpy(t + T_MAX - 2, "/a", 2);
}

/* LLVMFuzzerTestOneInput: libFuzzer's entry point: one input, checked as
 * described at the top of this file; returns 0 (failures abort). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static model_t m;
    init_long();
    fz_in_t in = {data, size};
    model_init(&m, &in);
    setup_instance(&m, &in);
    check_all(&m);
    for (int step = 0; step < M_STEPS && !fz_done(&in); step++) {
        run_op(&in, &m);
        if (m.alive <= M_SMALL || step % 8 == 0) check_all(&m);
        else check_bytes(&m);
    }
    model_free(&m);
    return 0;
}
