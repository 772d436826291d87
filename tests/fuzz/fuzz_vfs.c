/* fuzz_vfs.c — libFuzzer harness for the in-memory filesystem
 * (src/vfs/vfs.h), differential against a simple model.
 *
 * The input is a budget choice followed by a sequence of operations:
 * create, mkdir, unlink, rmdir, rename, lookup and lookup_parent (paths
 * with ".", "..", empty components, trailing slashes, NULs and over-long
 * names, absolute or relative to a referenced node), write, truncate,
 * read, take, references (vfs_ref/vfs_unref on open slots, so nodes get
 * unlinked while open), clear_dir, put_borrowed, mkdir_p, set_times, bulk
 * creation and removal (large directories, with holes, compaction and
 * index rebuilds), and a copier that fails (borrowed bytes that cannot be
 * read). Each operation is applied to the VFS and to the model: a tree of
 * nodes {kind, name, parent, writable, borrowed, bytes, refs} with
 * children lists in insertion order, which predicts every result exactly
 * from the contract in vfs.h (including which errno comes first when
 * several apply, as vfs.c orders its checks).
 *
 * Compared after every step (the whole tree every step while it is small,
 * every 8th step and at the end when it is large; the nodes an operation
 * touched always): return codes; found nodes; existence, kind, name,
 * parent, link state, nlink, writability, size and bytes of every node;
 * directory listings in order, vfs_child on every entry, sequence numbers
 * strictly increasing along a directory, never reused, stable across a
 * rename within the directory, and vfs_dir_index_from_seq; distinct
 * stable inode numbers; times set by vfs_set_times; and the byte
 * accounting: vfs_bytes and the budget's use equal the model's sum of
 * VFS_NODE_OVERHEAD + name length per node plus owned file bytes, nodes
 * being freed exactly when unlinked with no reference left. Any
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
#define M_SLOTS 8         /* open references */
#define M_STEPS 1500      /* operations per input */
#define M_SMALL 96        /* nodes up to which the whole tree is checked every step */
#define M_BIG_FILE (1u << 20) /* growth past this is only tried when the budget refuses it */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ------------------------------------------------------------------ */
/* the model                                                           */

typedef struct mnode {
    bool alive, linked, is_dir, writable, borrowed;
    int parent;                     /* model index, -1 for the root and unlinked nodes */
    char name[VFS_NAME_MAX + 1];
    size_t name_len;
    int *kids;                      /* directories: children in listing order */
    size_t nkids, kids_cap;
    bool has_seq;                   /* directories: some entry got a sequence number */
    uint64_t max_seq;               /* the largest one handed out */
    uint64_t seq;                   /* this node's number in its directory */
    uint8_t *data;                  /* files: the bytes (owned copy) */
    size_t size;
    const uint8_t *borrowed_ptr;
    int refs;
    vfs_node_t *v;
    uint64_t ino;
} mnode_t;

typedef struct model {
    mnode_t n[M_MAX];
    int count;                      /* nodes ever created (index space) */
    int alive;
    uint64_t bytes;                 /* what the VFS must have charged */
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

/* kid_add: append child c to directory d's listing and link it. */
static void kid_add(model_t *m, int d, int c) {
    mnode_t *dn = &m->n[d];
    if (dn->nkids == dn->kids_cap) {
        size_t cap = dn->kids_cap ? dn->kids_cap * 2 : 8;
        int *k = realloc(dn->kids, cap * sizeof *k);
        FZ_CHECK(k != NULL, "out of memory");
        dn->kids = k;
        dn->kids_cap = cap;
    }
    dn->kids[dn->nkids++] = c;
    m->n[c].parent = d;
    m->n[c].linked = true;
}

/* kid_remove: take child c out of directory d's listing (order kept). */
static void kid_remove(model_t *m, int d, int c) {
    mnode_t *dn = &m->n[d];
    for (size_t i = 0; i < dn->nkids; i++) {
        if (dn->kids[i] != c) continue;
        memmove(dn->kids + i, dn->kids + i + 1, (dn->nkids - i - 1) * sizeof *dn->kids);
        dn->nkids--;
        return;
    }
    FZ_CHECK(false, "model: %d is not a child of %d", c, d);
}

/* kid_find: the child of d named [name, name+len), or -1. */
static int kid_find(const model_t *m, int d, const char *name, size_t len) {
    const mnode_t *dn = &m->n[d];
    if (!dn->is_dir) return -1;
    for (size_t i = 0; i < dn->nkids; i++) {
        const mnode_t *c = &m->n[dn->kids[i]];
        if (c->name_len == len && memcmp(c->name, name, len) == 0) return dn->kids[i];
    }
    return -1;
}

/* node_cost: what node i is charged (overhead, name, owned bytes). */
static uint64_t node_cost(const mnode_t *n) {
    return VFS_NODE_OVERHEAD + n->name_len + (n->borrowed ? 0 : n->size);
}

/* node_die: node i is freed: forget it and its bytes. */
static void node_die(model_t *m, int i) {
    mnode_t *n = &m->n[i];
    m->bytes -= node_cost(n);
    free(n->kids);
    free(n->data);
    n->kids = NULL;
    n->data = NULL;
    n->alive = false;
    n->v = NULL;
    m->alive--;
}

static void unlink_tree(model_t *m, int i);

/* orphan: node i has left its directory: empty it if a directory, mark it
 * unlinked, and free it unless referenced. */
static void orphan(model_t *m, int i) {
    mnode_t *n = &m->n[i];
    if (n->is_dir) unlink_tree(m, i);
    n->linked = false;
    n->parent = -1;
    if (n->refs == 0) node_die(m, i);
}

/* unlink_tree: every entry of directory d leaves it (vfs_clear_dir). */
static void unlink_tree(model_t *m, int d) {
    while (m->n[d].nkids > 0) {
        int c = m->n[d].kids[m->n[d].nkids - 1];
        m->n[d].nkids--;
        orphan(m, c);
    }
}

/* detach: remove entry c of directory d (unlink, rmdir, rename over). */
static void detach(model_t *m, int d, int c) {
    kid_remove(m, d, c);
    orphan(m, c);
}

/* node_new: a fresh model node (unlinked, charged). */
static int node_new(model_t *m, bool is_dir, const char *name, size_t len, bool writable) {
    FZ_CHECK(m->count < M_MAX, "model full");
    int i = m->count++;
    mnode_t *n = &m->n[i];
    memset(n, 0, sizeof *n);
    n->alive = true;
    n->is_dir = is_dir;
    n->writable = writable;
    n->parent = -1;
    memcpy(n->name, name, len);
    n->name_len = len;
    m->alive++;
    m->bytes += node_cost(n);
    return i;
}

/* bind_new: record the VFS node of model node i (just linked into its
 * parent) and check its sequence number against the parent's history. */
static void bind_new(model_t *m, int i, vfs_node_t *v) {
    FZ_CHECK(v != NULL, "new node %d without a VFS node", i);
    mnode_t *n = &m->n[i];
    n->v = v;
    n->ino = vfs_ino(v);
    FZ_CHECK(n->ino != 0, "inode 0");
    for (int k = 0; k < m->count; k++)
        FZ_CHECK(k == i || !m->n[k].alive || m->n[k].ino != n->ino, "inode %llu reused while alive",
                 (unsigned long long)n->ino);
    mnode_t *p = &m->n[n->parent];
    n->seq = vfs_dir_seq(v);
    FZ_CHECK(!p->has_seq || n->seq > p->max_seq, "sequence number %llu not above %llu",
             (unsigned long long)n->seq, (unsigned long long)p->max_seq);
    p->has_seq = true;
    p->max_seq = n->seq;
}

/* can_fit: model is not full (an operation that would create is skipped). */
static bool can_fit(const model_t *m, int more) { return m->count + more <= M_MAX; }

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

static char fz_long[VFS_NAME_MAX + 2];

/* pick_name: a name into buf (at least VFS_NAME_MAX + 2 bytes); with
 * `dir` >= 0, often the name of one of its entries. */
static size_t pick_name(fz_in_t *in, const model_t *m, int dir, char *buf) {
    static const char *const fixed[] = {"a", "b", "c", "d", "A", "tmp", "x.txt", ".", "..", "", "a/b", "f"};
    uint8_t k = fz_u8(in);
    if (dir >= 0 && m->n[dir].is_dir && m->n[dir].nkids > 0 && (k & 0x80)) {
        const mnode_t *c = &m->n[m->n[dir].kids[fz_u16(in) % m->n[dir].nkids]];
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

/* path_of: the canonical absolute path of linked node i into buf. */
static size_t path_of(const model_t *m, int i, char *buf, size_t cap) {
    int chain[M_MAX];
    int n = 0;
    for (int k = i; k > 0; k = m->n[k].parent) chain[n++] = k;
    size_t len = 0;
    if (n == 0) buf[len++] = '/';
    while (n-- > 0) {
        const mnode_t *c = &m->n[chain[n]];
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
        int next = kid_find(m, cur, name, nl);
        cur = next >= 0 ? next : cur;
        if (c + 1 < ncomp || (f & 0x40)) buf[len++] = '/';
        if ((f & 0x80) && c == 0) buf[len++] = '/';
    }
    return len;
}

/* ------------------------------------------------------------------ */
/* model path resolution (the contract of vfs_lookup)                  */

/* m_step: one component from cur. */
static int m_step(const model_t *m, int cur, const char *comp, size_t len, int *next) {
    if (!m->n[cur].is_dir) return VFS_ENOTDIR;
    if (len > VFS_NAME_MAX) return VFS_ENAMETOOLONG;
    if (is_dot(comp, len)) *next = cur;
    else if (is_dotdot(comp, len)) {
        if (cur == 0) *next = 0;
        else if (m->n[cur].linked) *next = m->n[cur].parent;
        else return VFS_ENOENT;
    } else {
        int c = kid_find(m, cur, comp, len);
        if (c < 0) return VFS_ENOENT;
        *next = c;
    }
    return VFS_OK;
}

/* m_walk: resolve [path, path+len) from start. */
static int m_walk(const model_t *m, int start, const char *path, size_t len, int *out) {
    int cur = start;
    size_t i = 0;
    while (i < len) {
        if (path[i] == '/') {
            if (!m->n[cur].is_dir) return VFS_ENOTDIR;
            i++;
            continue;
        }
        const char *slash = memchr(path + i, '/', len - i);
        size_t end = slash ? (size_t)(slash - path) : len;
        int rc = m_step(m, cur, path + i, end - i, &cur);
        if (rc != VFS_OK) return rc;
        i = end;
    }
    *out = cur;
    return VFS_OK;
}

/* m_lookup: the model's vfs_lookup. */
static int m_lookup(const model_t *m, int start, const char *path, size_t len, int *out) {
    if (len == 0) return VFS_ENOENT;
    if (memchr(path, 0, len)) return VFS_EINVAL;
    return m_walk(m, path[0] == '/' ? 0 : start, path, len, out);
}

/* m_lookup_parent: the model's vfs_lookup_parent. */
static int m_lookup_parent(const model_t *m, int start, const char *path, size_t len, int *parent,
                           size_t *name_off, size_t *name_len) {
    if (len == 0) return VFS_ENOENT;
    if (memchr(path, 0, len)) return VFS_EINVAL;
    size_t end = len;
    while (end > 0 && path[end - 1] == '/') end--;
    size_t s = end;
    while (s > 0 && path[s - 1] != '/') s--;
    int p;
    int rc = m_walk(m, path[0] == '/' ? 0 : start, path, s, &p);
    if (rc != VFS_OK) return rc;
    if (!m->n[p].is_dir) return VFS_ENOTDIR;
    size_t n = end - s;
    if (n == 0 || is_dot(path + s, n) || is_dotdot(path + s, n)) return VFS_EINVAL;
    if (n > VFS_NAME_MAX) return VFS_ENAMETOOLONG;
    *parent = p;
    *name_off = s;
    *name_len = n;
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

/* check_dir: listing, child index and sequence numbers of directory i. */
static void check_dir(const model_t *m, int i) {
    const mnode_t *n = &m->n[i];
    FZ_CHECK(vfs_dir_count(n->v) == n->nkids, "dir %d has %zu entries, model %zu", i, vfs_dir_count(n->v), n->nkids);
    FZ_CHECK(n->linked || n->nkids == 0, "unlinked dir %d not empty", i);
    uint64_t prev = 0;
    for (size_t k = 0; k < n->nkids; k++) {
        const mnode_t *c = &m->n[n->kids[k]];
        const char *name = NULL;
        size_t len = 0;
        vfs_node_t *e = vfs_dir_entry(n->v, k, &name, &len);
        FZ_CHECK(e == c->v, "dir %d entry %zu is another node", i, k);
        FZ_CHECK(len == c->name_len && memcmp(name, c->name, len) == 0, "dir %d entry %zu name", i, k);
        FZ_CHECK(vfs_child(n->v, c->name, c->name_len) == c->v, "vfs_child misses entry %zu of dir %d", k, i);
        uint64_t seq = vfs_dir_seq(e);
        FZ_CHECK(seq == c->seq, "entry %zu of dir %d changed its sequence number", k, i);
        FZ_CHECK(k == 0 || seq > prev, "sequence numbers not increasing in dir %d", i);
        FZ_CHECK(vfs_dir_index_from_seq(n->v, seq) == k, "index_from_seq(%llu) in dir %d", (unsigned long long)seq,
                 i);
        FZ_CHECK(vfs_dir_index_from_seq(n->v, seq + 1) == k + 1, "index_from_seq(seq+1) in dir %d", i);
        prev = seq;
    }
    FZ_CHECK(vfs_dir_entry(n->v, n->nkids, NULL, NULL) == NULL, "an entry past the end of dir %d", i);
    FZ_CHECK(vfs_dir_index_from_seq(n->v, 0) == 0, "index_from_seq(0)");
    FZ_CHECK(vfs_dir_index_from_seq(n->v, UINT64_MAX) == n->nkids, "index_from_seq(max)");
}

/* check_node: everything the VFS says about alive model node i. */
static void check_node(const model_t *m, int i) {
    const mnode_t *n = &m->n[i];
    vfs_node_t *v = n->v;
    FZ_CHECK(vfs_kind(v) == (n->is_dir ? VFS_DIR : VFS_FILE), "node %d kind", i);
    FZ_CHECK(vfs_linked(v) == n->linked && vfs_nlink(v) == (n->linked ? 1u : 0u), "node %d link state", i);
    FZ_CHECK(vfs_writable(v) == n->writable, "node %d writable %d, model %d", i, vfs_writable(v), n->writable);
    FZ_CHECK(vfs_ino(v) == n->ino, "node %d inode changed", i);
    vfs_node_t *parent = vfs_parent(v);
    FZ_CHECK(parent == (n->parent >= 0 ? m->n[n->parent].v : NULL), "node %d parent", i);
    size_t len = 0;
    const char *name = vfs_name(v, &len);
    FZ_CHECK(len == n->name_len && memcmp(name, n->name, len) == 0, "node %d name", i);
    if (n->is_dir) check_dir(m, i);
    else check_file(m, i);
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

/* pick_node: an alive node: a referenced one (maybe unlinked), or a
 * linked one found through its path (which vfs_lookup must resolve). */
static int pick_node(fz_in_t *in, model_t *m) {
    uint8_t k = fz_u8(in);
    if (k < 0x30) {
        int s = m->slots[k % M_SLOTS];
        if (s >= 0) return s;
    }
    if (k < 0x40) { /* by absolute path (as the seed corpus spells nodes) */
        size_t len;
        const char *p = (const char *)fz_bytes(in, 255, &len);
        int found = 0;
        if (len && p[0] == '/' && m_lookup(m, 0, p, len, &found) == VFS_OK) return found;
        return 0;
    }
    int want = (int)(fz_u16(in) % (unsigned)m->alive), seen = 0, pick = 0;
    for (int i = 0; i < m->count; i++) {
        if (!m->n[i].alive || !m->n[i].linked) continue;
        pick = i;
        if (seen++ == want) break;
    }
    char path[4096 + 8];
    size_t len = path_of(m, pick, path, sizeof path - 4);
    if (len == 0) return pick;
    if (m->n[pick].is_dir && (k & 1)) { memcpy(path + len, "/.", 2); len += 2; }
    vfs_node_t *v = NULL;
    int rc = vfs_lookup(m->fs, (k & 2) ? vfs_root(m->fs) : NULL, path, len, &v);
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

/* op_create: vfs_create_file or vfs_mkdir. */
static void op_create(fz_in_t *in, model_t *m, bool is_dir) {
    int d = pick_node(in, m);
    char name[VFS_NAME_MAX + 2];
    size_t len = pick_name(in, m, d, name);
    const mnode_t *dn = &m->n[d];
    int want = !dn->is_dir ? VFS_ENOTDIR : !dn->linked ? VFS_ENOENT : check_name_rc(name, len);
    if (want == VFS_OK && kid_find(m, d, name, len) >= 0) want = VFS_EEXIST;
    if (want == VFS_OK && !dn->writable) want = VFS_EROFS;
    if (want == VFS_OK && !charge_fits(m, VFS_NODE_OVERHEAD + len)) want = VFS_ENOSPC;
    if (want == VFS_OK && !can_fit(m, 1)) return;
    vfs_node_t *out = NULL;
    int rc = is_dir ? vfs_mkdir(m->fs, dn->v, name, len, &out) : vfs_create_file(m->fs, dn->v, name, len, &out);
    FZ_CHECK(rc == want, "%s '%.*s' in %d: rc %d, model %d", is_dir ? "mkdir" : "create", (int)len, name, d, rc,
             want);
    if (rc != VFS_OK) return;
    int c = node_new(m, is_dir, name, len, true);
    kid_add(m, d, c);
    bind_new(m, c, out);
}

/* removal_rc: the checks vfs_unlink and vfs_rmdir share; *c = the entry. */
static int removal_rc(const model_t *m, int d, const char *name, size_t len, int *c) {
    const mnode_t *dn = &m->n[d];
    int rc = !dn->is_dir ? VFS_ENOTDIR : !dn->linked ? VFS_ENOENT : !dn->writable ? VFS_EROFS : VFS_OK;
    if (rc == VFS_OK) rc = check_name_rc(name, len);
    if (rc == VFS_OK && (*c = kid_find(m, d, name, len)) < 0) rc = VFS_ENOENT;
    return rc;
}

/* op_remove: vfs_unlink or vfs_rmdir. */
static void op_remove(fz_in_t *in, model_t *m, bool is_dir) {
    int d = pick_node(in, m), c = -1;
    char name[VFS_NAME_MAX + 2];
    size_t len = pick_name(in, m, d, name);
    int want = removal_rc(m, d, name, len, &c);
    if (want == VFS_OK && !is_dir && m->n[c].is_dir) want = VFS_EISDIR;
    if (want == VFS_OK && is_dir && !m->n[c].is_dir) want = VFS_ENOTDIR;
    if (want == VFS_OK && is_dir && m->n[c].nkids > 0) want = VFS_ENOTEMPTY;
    int rc = is_dir ? vfs_rmdir(m->fs, m->n[d].v, name, len) : vfs_unlink(m->fs, m->n[d].v, name, len);
    FZ_CHECK(rc == want, "%s '%.*s' in %d: rc %d, model %d", is_dir ? "rmdir" : "unlink", (int)len, name, d, rc,
             want);
    if (rc == VFS_OK) detach(m, d, c);
}

/* within: node a is b or lies below it. */
static bool within(const model_t *m, int a, int b) {
    for (int p = a; p >= 0; p = m->n[p].parent)
        if (p == b) return true;
    return false;
}

/* rename_rc: the model's vfs_rename verdict; *src, *dst the entries. */
static int rename_rc(const model_t *m, int d1, const char *n1, size_t l1, int d2, const char *n2, size_t l2,
                     int *src, int *dst) {
    const mnode_t *a = &m->n[d1], *b = &m->n[d2];
    int rc = !a->is_dir ? VFS_ENOTDIR : !a->linked ? VFS_ENOENT : !a->writable ? VFS_EROFS : VFS_OK;
    if (rc == VFS_OK) rc = !b->is_dir ? VFS_ENOTDIR : !b->linked ? VFS_ENOENT : !b->writable ? VFS_EROFS : VFS_OK;
    if (rc == VFS_OK) rc = check_name_rc(n1, l1);
    if (rc == VFS_OK) rc = check_name_rc(n2, l2);
    if (rc != VFS_OK) return rc;
    if ((*src = kid_find(m, d1, n1, l1)) < 0) return VFS_ENOENT;
    *dst = kid_find(m, d2, n2, l2);
    if (*dst == *src) return VFS_OK;
    const mnode_t *s = &m->n[*src];
    if (s->is_dir && within(m, d2, *src)) return VFS_EINVAL;
    if (*dst >= 0) {
        const mnode_t *t = &m->n[*dst];
        if (!s->is_dir && t->is_dir) return VFS_EISDIR;
        if (s->is_dir && !t->is_dir) return VFS_ENOTDIR;
        if (t->is_dir && t->nkids > 0) return VFS_ENOTEMPTY;
    }
    if (l2 > s->name_len && !charge_fits(m, l2 - s->name_len)) return VFS_ENOSPC;
    return VFS_OK;
}

/* rename_apply: the model side of a successful rename. */
static void rename_apply(model_t *m, int d1, int d2, int src, int dst, const char *n2, size_t l2) {
    if (dst == src) return;
    if (dst >= 0) detach(m, d2, dst);
    mnode_t *s = &m->n[src];
    m->bytes = m->bytes - s->name_len + l2;
    memcpy(s->name, n2, l2);
    s->name_len = l2;
    if (d1 == d2) return; /* keeps its place and its sequence number */
    kid_remove(m, d1, src);
    kid_add(m, d2, src);
    bind_new(m, src, s->v);
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
    FZ_CHECK(rc == want, "rename %d/'%.*s' -> %d/'%.*s': rc %d, model %d", d1, (int)l1, n1, d2, (int)l2, n2, rc,
             want);
    if (rc == VFS_OK) rename_apply(m, d1, d2, src, dst, n2, l2);
}

/* op_lookup: vfs_lookup or vfs_lookup_parent on a generated path. */
static void op_lookup(fz_in_t *in, model_t *m, bool parent) {
    vfs_node_t *startv;
    int start = pick_start(in, m, &startv);
    char path[2048];
    size_t len = pick_path(in, m, start, path, sizeof path, false);
    if (!parent) {
        int want_node = -1;
        int want = m_lookup(m, start, path, len, &want_node);
        vfs_node_t *out = NULL;
        int rc = vfs_lookup(m->fs, startv, path, len, &out);
        FZ_CHECK(rc == want, "lookup '%.*s' from %d: rc %d, model %d", (int)len, path, start, rc, want);
        if (rc == VFS_OK) FZ_CHECK(out == m->n[want_node].v, "lookup '%.*s' found another node", (int)len, path);
        return;
    }
    int want_parent = -1;
    size_t off = 0, nlen = 0;
    int want = m_lookup_parent(m, start, path, len, &want_parent, &off, &nlen);
    vfs_node_t *p = NULL;
    const char *name = NULL;
    size_t name_len = 0;
    int rc = vfs_lookup_parent(m->fs, startv, path, len, &p, &name, &name_len);
    FZ_CHECK(rc == want, "lookup_parent '%.*s' from %d: rc %d, model %d", (int)len, path, start, rc, want);
    if (rc == VFS_OK)
        FZ_CHECK(p == m->n[want_parent].v && name == path + off && name_len == nlen, "lookup_parent '%.*s' result",
                 (int)len, path);
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

/* file_rc: the checks of vfs_write and vfs_truncate on node i. */
static int file_rc(const mnode_t *n) {
    if (n->is_dir) return VFS_EISDIR;
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

/* op_write: vfs_write at a picked offset. */
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
    FZ_CHECK(rc == want, "write %zu at %llu to %d: rc %d, model %d", len, (unsigned long long)off, i, rc, want);
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
    FZ_CHECK(rc == want, "truncate %d to %llu: rc %d, model %d", i, (unsigned long long)size, rc, want);
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
    size_t want_n = !n->is_dir && off < n->size ? n->size - (size_t)off : 0;
    if (want_n > len) want_n = len;
    int want = n->is_dir ? VFS_EISDIR : (n->borrowed && want_n && fz_copier_set && fz_copier_fails) ? VFS_EIO : VFS_OK;
    int rc = vfs_read(n->v, off, buf, len, &got);
    FZ_CHECK(rc == want, "read %d: rc %d, model %d", i, rc, want);
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
    int want = n->is_dir ? VFS_EISDIR : (n->borrowed && n->size && fz_copier_set && fz_copier_fails) ? VFS_EIO : VFS_OK;
    uint8_t *data = (uint8_t *)"untouched";
    size_t len = 777;
    int rc = vfs_take(m->fs, n->v, &data, &len);
    FZ_CHECK(rc == want, "take %d: rc %d, model %d", i, rc, want);
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
    if (n->refs == 0 && !n->linked) node_die(m, i);
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

/* op_clear: vfs_clear_dir on a picked node (a file: nothing happens). */
static void op_clear(fz_in_t *in, model_t *m) {
    int d = pick_node(in, m);
    vfs_clear_dir(m->fs, m->n[d].v);
    if (m->n[d].is_dir) unlink_tree(m, d);
}

/* op_times: vfs_set_times reads back. */
static void op_times(fz_in_t *in, model_t *m) {
    int i = pick_node(in, m);
    uint64_t a = fz_u64(in), t = fz_u64(in);
    vfs_set_times(m->n[i].v, a, t);
    FZ_CHECK(vfs_atim(m->n[i].v) == a && vfs_mtim(m->n[i].v) == t, "times do not read back");
}

/* ensure_plan: the model's vfs_ensure_dirs over [path, path+len), which
 * goes component by component: the error, or the final directory with
 * *need the charge of the directories to create (ENOSPC as soon as one
 * does not fit on top of `extra` already needed). */
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
        int next = missing ? -1 : kid_find(m, cur, comp, clen);
        if (next >= 0 && !m->n[next].is_dir) return VFS_ENOTDIR;
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
        int next = kid_find(m, cur, comp, clen);
        if (next < 0) {
            next = node_new(m, true, comp, clen, writable);
            kid_add(m, cur, next);
            bind_new(m, next, vfs_child(m->n[cur].v, comp, clen));
        }
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
    if (want == VFS_OK && !can_fit(m, (int)created)) return;
    vfs_node_t *out = NULL;
    int rc = vfs_mkdir_p(m->fs, path, writable, &out);
    FZ_CHECK(rc == want, "mkdir_p '%s': rc %d, model %d", path, rc, want);
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
    int file = want == VFS_OK && created == 0 ? kid_find(m, dir, name, name_len) : -1;
    if (want == VFS_OK && file >= 0 && m->n[file].is_dir) want = VFS_EISDIR;
    if (want == VFS_OK && file < 0 && !charge_fits(m, need + VFS_NODE_OVERHEAD + name_len)) want = VFS_ENOSPC;
    if (want == VFS_OK && !can_fit(m, (int)created + 1)) return;
    vfs_node_t *out = NULL;
    int rc = vfs_put_borrowed(m->fs, path, bytes, dlen, &out);
    FZ_CHECK(rc == want, "put_borrowed '%s': rc %d, model %d", path, rc, want);
    if (rc != VFS_OK) return;
    dir = create_chain(m, path, (size_t)(name - path), false);
    if (file < 0) {
        file = node_new(m, false, name, name_len, false);
        kid_add(m, dir, file);
        bind_new(m, file, out);
    }
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
    const mnode_t *dn = &m->n[d];
    if (!dn->is_dir || !dn->linked || !dn->writable) return;
    for (int k = 0; k < count && can_fit(m, 1); k++) {
        char name[8];
        int len = snprintf(name, sizeof name, "%c%03d", prefix, k);
        int want = kid_find(m, d, name, (size_t)len) >= 0 ? VFS_EEXIST
                   : !charge_fits(m, VFS_NODE_OVERHEAD + (uint64_t)len) ? VFS_ENOSPC
                                                                        : VFS_OK;
        vfs_node_t *out = NULL;
        int rc = vfs_create_file(m->fs, m->n[d].v, name, (size_t)len, &out);
        FZ_CHECK(rc == want, "bulk create '%s': rc %d, model %d", name, rc, want);
        if (rc != VFS_OK) continue;
        int c = node_new(m, false, name, (size_t)len, true);
        kid_add(m, d, c);
        bind_new(m, c, out);
    }
}

/* op_bulk_remove: unlink every stride-th file entry of a directory. */
static void op_bulk_remove(fz_in_t *in, model_t *m) {
    int d = pick_node(in, m);
    size_t stride = 1 + fz_u8(in) % 4, phase = fz_u8(in) % stride;
    mnode_t *dn = &m->n[d];
    if (!dn->is_dir || !dn->linked || !dn->writable) return;
    for (size_t k = dn->nkids; k-- > 0;) {
        if (k % stride != phase) continue;
        int c = dn->kids[k];
        if (m->n[c].is_dir) continue;
        int rc = vfs_unlink(m->fs, dn->v, m->n[c].name, m->n[c].name_len);
        FZ_CHECK(rc == VFS_OK, "bulk unlink: rc %d", rc);
        detach(m, d, c);
    }
}

/* ------------------------------------------------------------------ */
/* setup and the main loop                                             */

/* model_init: the filesystem an instance starts with (like the engine's:
 * read-only root, writable /tmp /metadata /subcontent, /data.bin). */
static void model_init(model_t *m, fz_in_t *in) {
    static const uint64_t limits[] = {UINT64_MAX, 4096, 16384, 65536, 1u << 20, 2000};
    uint8_t b = fz_u8(in);
    memset(m, 0, sizeof *m);
    for (int s = 0; s < M_SLOTS; s++) m->slots[s] = -1;
    m->has_budget = b % 8 != 7;
    budget_init(&m->budget, limits[(b / 8) % 6]);
    m->fs = vfs_new(m->has_budget ? &m->budget : NULL);
    FZ_CHECK(m->fs != NULL, "vfs_new");
    fz_copier_set = b & 0x80;
    if (fz_copier_set) vfs_set_copier(m->fs, fz_copier);
    fz_copier_fails = false;
    mnode_t *root = &m->n[0];
    root->alive = root->linked = root->is_dir = true;
    root->parent = -1;
    root->v = vfs_root(m->fs);
    root->ino = vfs_ino(root->v);
    m->count = m->alive = 1;
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
        free(m->n[i].data);
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
    int f = node_new(m, false, "data.bin", 8, false);
    kid_add(m, 0, f);
    bind_new(m, f, out);
    m->n[f].borrowed = true;
    m->n[f].borrowed_ptr = bytes;
    m->n[f].size = len;
}

/* run_op: one operation chosen by the next byte. */
static void run_op(fz_in_t *in, model_t *m) {
    switch (fz_u8(in) % 22) {
    case 0: case 1: op_create(in, m, false); break;
    case 2: op_create(in, m, true); break;
    case 3: op_remove(in, m, false); break;
    case 4: op_remove(in, m, true); break;
    case 5: case 6: op_rename(in, m); break;
    case 7: op_lookup(in, m, false); break;
    case 8: op_lookup(in, m, true); break;
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
    default:
        if (fz_u8(in) & 1) op_times(in, m);
        else fz_copier_fails = !fz_copier_fails;
        break;
    }
}

/* LLVMFuzzerTestOneInput: libFuzzer's entry point: one input, checked as
 * described at the top of this file; returns 0 (failures abort). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static model_t m;
    if (!fz_long[0]) memset(fz_long, 'L', sizeof fz_long - 1);
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
