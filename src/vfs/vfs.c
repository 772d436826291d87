/* vfs.c — the per-instance in-memory virtual filesystem (see vfs.h).
 *
 * Owns node (inode) and entry allocation and lifetime, directory storage
 * (an insertion-ordered entry array with holes and a Fenwick tree for
 * O(log n) indexed access and removal, plus an open-addressing hash index
 * keyed by a per-filesystem random SipHash key, so hostile names cannot
 * force collisions), path resolution (symbolic links, containment beneath
 * a start directory), file data (owned buf_t or borrowed bytes, the latter
 * copied out only through the filesystem's copier, which can fail: see
 * vfs_set_copier), symbolic link targets, and the budget accounting of
 * everything it owns.
 *
 * A directory entry (vfs_entry_t) names a node; a node keeps the list of
 * its entries, oldest first, and counts the linked ones (nlink). Files and
 * symbolic links may have several entries (hard links); a directory has
 * exactly one.
 *
 * Invariants:
 *  - every node is on the filesystem's all-nodes list until it is destroyed,
 *    so vfs_free never needs to walk the tree;
 *  - a node is freed when its last entry is removed and no reference is
 *    left (or at its last vfs_unref); an unlinked node that is still
 *    referenced keeps its last entry, detached (dir NULL), for its name;
 *  - an unlinked directory is always empty: namespace changes inside an
 *    unlinked directory fail with ENOENT and a directory is emptied (by
 *    vfs_clear_dir) before it is unlinked, so freeing a node never recurses
 *    and the recursion orphan -> clear -> orphan is at most two deep;
 *  - subtree walks are iterative (hostile nesting depth cannot exhaust the
 *    C stack), and so is path resolution: at most VFS_SYMLOOP_MAX symbolic
 *    links are followed per resolution, each target at most
 *    VFS_SYMLINK_MAX bytes, so its work is bounded by the path's length;
 *  - fs->bytes is the exact sum of node->meta_charge over live nodes, of
 *    entry->charge over allocated entries, and of the sizes of owned file
 *    data. */
#include "vfs/vfs.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/siphash.h"

typedef struct vfs_file {
    buf_t owned;              /* the bytes unless is_borrowed; len is charged */
    const uint8_t *borrowed;  /* the bytes when is_borrowed (not owned) */
    size_t borrowed_len;
    bool is_borrowed;
} vfs_file_t;

/* A symbolic link's target: the bytes given, charged in the node's
 * meta_charge. */
typedef struct vfs_symlink_data {
    char *target;
    size_t len;
} vfs_symlink_data_t;

typedef struct vfs_entry vfs_entry_t;

/* Entries live at positions [0, len) of `entries` in insertion order;
 * removal leaves a hole (NULL) and updates `ranks`, a Fenwick tree of live
 * counts over positions 1..len, in O(log n); `ranks` finds the index-th
 * live entry in O(log n).
 * Holes are squeezed out when the array is full and at least half holes,
 * and trailing holes are trimmed at once, so entries[len - 1] is live
 * whenever count > 0. */
typedef struct vfs_dir {
    vfs_entry_t **entries;    /* cap positions, [0, len) in use, NULL = hole */
    size_t *ranks;            /* Fenwick tree, indices 1..len valid (cap + 1 allocated) */
    size_t len, cap;
    size_t count;             /* live entries */
    vfs_entry_t **slots;      /* hash index: NULL = empty, &vfs_tombstone = deleted */
    size_t slot_cap;          /* 0 or a power of two */
    size_t tombstones;
    uint64_t next_seq;        /* the next entry's sequence number (readdir cookies) */
} vfs_dir_t;

/* One name of a node in a directory. */
struct vfs_entry {
    char *name;               /* NUL-terminated copy */
    size_t name_len;
    uint64_t name_hash;       /* keyed hash of name, for the directory's index */
    vfs_node_t *dir;          /* the directory holding it; NULL once removed */
    vfs_node_t *node;         /* what it names */
    size_t dir_pos;           /* position in dir's entries while linked */
    uint64_t dir_seq;         /* insertion number in dir (increasing along entries) */
    vfs_entry_t *prev, *next; /* the node's entries, oldest first */
    uint64_t charge;          /* name_len, + VFS_LINK_OVERHEAD for one made by vfs_link */
};

struct vfs_node {
    vfs_t *fs;
    vfs_kind_t kind;
    bool writable;
    uint64_t nlink;           /* entries in directories (the root counts 1) */
    vfs_entry_t *links;       /* its entries, oldest first; NULL for the root */
    vfs_entry_t *links_tail;
    uint64_t ino;
    uint64_t refs;
    uint64_t atim, mtim, ctim;
    uint64_t meta_charge;     /* VFS_NODE_OVERHEAD (+ a link's target length), 0 for the root */
    vfs_node_t *all_prev, *all_next;
    union {
        vfs_file_t file;
        vfs_dir_t dir;
        vfs_symlink_data_t link;
    } u;
};

struct vfs {
    budget_t *budget;         /* may be NULL */
    uint64_t bytes;           /* currently charged by this filesystem */
    uint64_t next_ino;
    siphash_key_t hash_key;
    vfs_node_t *root;
    vfs_node_t *all;          /* every live node, including unlinked ones */
    vfs_copier_t copy;        /* copies borrowed bytes out; NULL = memcpy */
};

/* Marks a deleted hash slot; never dereferenced. */
static vfs_entry_t vfs_tombstone;

/* ------------------------------------------------------------------ */
/* time, hashing, budget                                               */

/* vfs_now: CLOCK_REALTIME in nanoseconds (0 before the epoch or on error). */
static uint64_t vfs_now(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0) return 0;
    return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

static uint64_t vfs_name_hash(const vfs_t *fs, const char *name, size_t len) {
    return siphash13(&fs->hash_key, name, len);
}


/* vfs_charge: account n bytes; false (nothing charged) if the budget refuses. */
static bool vfs_charge(vfs_t *fs, uint64_t n) {
    if (fs->budget && !budget_charge(fs->budget, n)) return false;
    fs->bytes += n;
    return true;
}

/* vfs_release: give back n bytes charged earlier by vfs_charge. */
static void vfs_release(vfs_t *fs, uint64_t n) {
    if (fs->budget) budget_release(fs->budget, n);
    fs->bytes = n > fs->bytes ? 0 : fs->bytes - n;
}

static void vfs_touch_data(vfs_node_t *n) { n->mtim = n->ctim = vfs_now(); }
static void vfs_touch_meta(vfs_node_t *n) { n->ctim = vfs_now(); }

/* ------------------------------------------------------------------ */
/* directory storage: entry array + hash index                         */

/* Probe loops below visit each slot at most once (bounded by slot_cap),
 * and the index keeps live entries plus tombstones at most 3/4 of the
 * slots (vfs_dir_reserve, also before a rename inside one directory), so
 * every probe meets an empty slot long before the bound. */

/* vfs_index_find: the entry named [name, name+len) with hash h, or NULL. */
static vfs_entry_t *vfs_index_find(const vfs_dir_t *d, const char *name, size_t len, uint64_t h) {
    if (d->slot_cap == 0) return NULL;
    size_t mask = d->slot_cap - 1;
    size_t i = (size_t)h & mask;
    for (size_t probes = 0; probes < d->slot_cap; probes++, i = (i + 1) & mask) {
        vfs_entry_t *s = d->slots[i];
        if (!s) return NULL;
        if (s != &vfs_tombstone && s->name_hash == h && s->name_len == len &&
            memcmp(s->name, name, len) == 0)
            return s;
    }
    return NULL;
}

/* vfs_index_put: store n in the first free or deleted slot of its probe
 * sequence. The caller guarantees room (see vfs_dir_reserve). */
static void vfs_index_put(vfs_dir_t *d, vfs_entry_t *n) {
    size_t mask = d->slot_cap - 1;
    size_t i = (size_t)n->name_hash & mask;
    for (size_t probes = 0; probes < d->slot_cap; probes++, i = (i + 1) & mask) {
        if (!d->slots[i] || d->slots[i] == &vfs_tombstone) break;
    }
    if (d->slots[i] == &vfs_tombstone) d->tombstones--;
    d->slots[i] = n;
}

/* vfs_index_remove: take n out of the index (n must be indexed). Its slot
 * becomes a tombstone, or empty when the next slot is empty (no probe
 * sequence then runs through it), and so do the tombstones just before. */
static void vfs_index_remove(vfs_dir_t *d, const vfs_entry_t *n) {
    size_t mask = d->slot_cap - 1;
    size_t i = (size_t)n->name_hash & mask;
    for (size_t probes = 0; probes < d->slot_cap && d->slots[i] != n; probes++) i = (i + 1) & mask;
    if (d->slots[i] != n) return;
    if (d->slots[(i + 1) & mask]) {
        d->slots[i] = &vfs_tombstone;
        d->tombstones++;
        return;
    }
    d->slots[i] = NULL;
    for (size_t k = (i - 1) & mask; d->slots[k] == &vfs_tombstone; k = (k - 1) & mask) {
        d->slots[k] = NULL;
        d->tombstones--;
    }
}

/* vfs_index_rebuild: a fresh index of at least twice the live entries
 * (which drops tombstones). Returns 0 or VFS_ENOMEM (index unchanged). */
static int vfs_index_rebuild(vfs_dir_t *d) {
    size_t cap = 8;
    while (cap / 2 < d->count + 1) {
        if (cap > SIZE_MAX / 2 / sizeof(vfs_entry_t *)) return VFS_ENOMEM;
        cap *= 2;
    }
    vfs_entry_t **slots = calloc(cap, sizeof *slots);
    if (!slots) return VFS_ENOMEM;
    free(d->slots);
    d->slots = slots;
    d->slot_cap = cap;
    d->tombstones = 0;
    for (size_t i = 0; i < d->len; i++)
        if (d->entries[i]) vfs_index_put(d, d->entries[i]);
    return VFS_OK;
}

static size_t vfs_lowbit(size_t i) { return i & (0 - i); }

/* vfs_rank_prefix: live entries at positions 1..p (1-based, p <= len). */
static size_t vfs_rank_prefix(const vfs_dir_t *d, size_t p) {
    size_t sum = 0;
    for (; p > 0; p -= vfs_lowbit(p)) sum += d->ranks[p];
    return sum;
}

/* vfs_rank_append: account a live entry at the new position len + 1. */
static void vfs_rank_append(vfs_dir_t *d) {
    size_t p = d->len + 1;
    d->ranks[p] = 1 + vfs_rank_prefix(d, p - 1) - vfs_rank_prefix(d, p - vfs_lowbit(p));
}

/* vfs_rank_drop: position p (1-based, <= len) is no longer live. */
static void vfs_rank_drop(vfs_dir_t *d, size_t p) {
    for (; p <= d->len; p += vfs_lowbit(p)) d->ranks[p]--;
}

/* vfs_rank_find: the 0-based position of the live entry number k
 * (0-based, k < count), by binary lifting over the Fenwick tree. */
static size_t vfs_rank_find(const vfs_dir_t *d, size_t k) {
    size_t step = 1;
    while (step <= d->len / 2) step <<= 1;
    size_t pos = 0, remaining = k + 1;
    for (; step > 0; step >>= 1) {
        if (pos + step <= d->len && d->ranks[pos + step] < remaining) {
            pos += step;
            remaining -= d->ranks[pos];
        }
    }
    return pos; /* 1-based pos + 1, i.e. 0-based pos */
}

/* vfs_dir_compact: squeeze out holes, keeping the order (O(len)). */
static void vfs_dir_compact(vfs_dir_t *d) {
    size_t w = 0;
    for (size_t r = 0; r < d->len; r++) {
        vfs_entry_t *n = d->entries[r];
        if (!n) continue;
        n->dir_pos = w;
        d->entries[w++] = n;
    }
    d->len = w;
    for (size_t i = 1; i <= w; i++) d->ranks[i] = 1;
    for (size_t i = 1; i <= w; i++) {
        size_t up = i + vfs_lowbit(i);
        if (up <= w) d->ranks[up] += d->ranks[i];
    }
}

/* vfs_dir_grow: double the position arrays. Returns 0 or VFS_ENOMEM
 * (capacity unchanged; a larger `entries` block may have been kept). */
static int vfs_dir_grow(vfs_dir_t *d) {
    if (d->cap > SIZE_MAX / 4 / sizeof(size_t)) return VFS_ENOMEM;
    size_t cap = d->cap ? d->cap * 2 : 4;
    vfs_entry_t **e = realloc(d->entries, cap * sizeof *e);
    if (!e) return VFS_ENOMEM;
    d->entries = e;
    size_t *r = realloc(d->ranks, (cap + 1) * sizeof *r);
    if (!r) return VFS_ENOMEM;
    d->ranks = r;
    d->cap = cap;
    return VFS_OK;
}

/* vfs_dir_reserve: make room for one more entry in both the array and the
 * index (index load, tombstones included, stays at most 3/4, so probing
 * always meets an empty slot). May compact positions. Returns 0 or
 * VFS_ENOMEM with the entries unchanged. */
static int vfs_dir_reserve(vfs_dir_t *d) {
    if (d->len == d->cap) {
        if (d->len > 0 && d->len - d->count >= d->len / 2) vfs_dir_compact(d);
        else if (vfs_dir_grow(d) != VFS_OK) return VFS_ENOMEM;
    }
    if ((d->count + d->tombstones + 1) > d->slot_cap / 4 * 3) return vfs_index_rebuild(d);
    return VFS_OK;
}

/* vfs_dir_free_storage: release the arrays and index of an empty directory. */
static void vfs_dir_free_storage(vfs_dir_t *d) {
    free(d->entries);
    free(d->ranks);
    free(d->slots);
    d->entries = d->slots = NULL;
    d->ranks = NULL;
    d->len = d->cap = d->count = d->slot_cap = d->tombstones = 0;
}

/* vfs_dir_add: append entry e to directory node dir (room reserved) and
 * count it as a link of its node. */
static void vfs_dir_add(vfs_node_t *dir, vfs_entry_t *e) {
    vfs_dir_t *d = &dir->u.dir;
    vfs_rank_append(d);
    e->dir_pos = d->len;
    e->dir_seq = d->next_seq++;
    d->entries[d->len++] = e;
    d->count++;
    vfs_index_put(d, e);
    e->dir = dir;
    e->node->nlink++;
    vfs_touch_data(dir);
}

/* vfs_dir_drop: remove entry e from directory node dir in O(log n)
 * amortized, keeping the order of the others, and uncount the link. The
 * entry stays on its node's list. Never reallocates (room reserved
 * earlier stays valid). */
static void vfs_dir_drop(vfs_node_t *dir, vfs_entry_t *e) {
    vfs_dir_t *d = &dir->u.dir;
    vfs_index_remove(d, e);
    d->entries[e->dir_pos] = NULL;
    vfs_rank_drop(d, e->dir_pos + 1);
    d->count--;
    if (d->count == 0) d->len = 0;
    while (d->len > 0 && !d->entries[d->len - 1]) d->len--;
    e->dir = NULL;
    e->node->nlink--;
    vfs_touch_data(dir);
}

/* vfs_dir_at: the live entry number index (< count). */
static vfs_entry_t *vfs_dir_at(const vfs_dir_t *d, size_t index) {
    if (d->len == d->count) return d->entries[index];
    return d->entries[vfs_rank_find(d, index)];
}

/* vfs_dir_last: the last live entry (count > 0). */
static vfs_entry_t *vfs_dir_last(const vfs_dir_t *d) { return d->entries[d->len - 1]; }

/* ------------------------------------------------------------------ */
/* node lifetime                                                       */

static void vfs_all_insert(vfs_t *fs, vfs_node_t *n) {
    n->all_prev = NULL;
    n->all_next = fs->all;
    if (fs->all) fs->all->all_prev = n;
    fs->all = n;
}

static void vfs_all_remove(vfs_t *fs, vfs_node_t *n) {
    if (n->all_prev) n->all_prev->all_next = n->all_next;
    else fs->all = n->all_next;
    if (n->all_next) n->all_next->all_prev = n->all_prev;
}

/* vfs_file_len: the current size of a file node's data. */
static size_t vfs_file_len(const vfs_file_t *f) {
    return f->is_borrowed ? f->borrowed_len : f->owned.len;
}

/* vfs_file_drop_owned: free a file's owned bytes and release their charge. */
static void vfs_file_drop_owned(vfs_t *fs, vfs_file_t *f) {
    if (f->is_borrowed) return;
    vfs_release(fs, f->owned.len);
    buf_free(&f->owned);
}

/* vfs_entry_free: free an entry (already off its node's list and out of
 * any directory) and release its charge. */
static void vfs_entry_free(vfs_t *fs, vfs_entry_t *e) {
    vfs_release(fs, e->charge);
    free(e->name);
    free(e);
}

/* vfs_entry_new: an entry named [name, name+len), not yet in a directory
 * nor on a node's list, charged len (+ VFS_LINK_OVERHEAD if `extra`, for
 * an additional hard link). Returns 0, VFS_ENOSPC or VFS_ENOMEM. */
static int vfs_entry_new(vfs_t *fs, const char *name, size_t len, bool extra, vfs_entry_t **out) {
    uint64_t charge = (uint64_t)len + (extra ? VFS_LINK_OVERHEAD : 0);
    if (!vfs_charge(fs, charge)) return VFS_ENOSPC;
    vfs_entry_t *e = calloc(1, sizeof *e);
    char *copy = malloc(len + 1);
    if (!e || !copy) {
        free(e);
        free(copy);
        vfs_release(fs, charge);
        return VFS_ENOMEM;
    }
    if (len) memcpy(copy, name, len);
    copy[len] = 0;
    e->name = copy;
    e->name_len = len;
    e->name_hash = vfs_name_hash(fs, name, len);
    e->charge = charge;
    *out = e;
    return VFS_OK;
}

/* vfs_links_append: put e at the end of node n's entry list. */
static void vfs_links_append(vfs_node_t *n, vfs_entry_t *e) {
    e->node = n;
    e->next = NULL;
    e->prev = n->links_tail;
    if (n->links_tail) n->links_tail->next = e;
    else n->links = e;
    n->links_tail = e;
}

/* vfs_links_remove: take e off its node's entry list. */
static void vfs_links_remove(vfs_entry_t *e) {
    vfs_node_t *n = e->node;
    if (e->prev) e->prev->next = e->next;
    else n->links = e->next;
    if (e->next) e->next->prev = e->prev;
    else n->links_tail = e->prev;
    e->prev = e->next = NULL;
}

/* vfs_node_destroy: free one node's memory, its entries, and release their
 * charges. Its children (if any) are not touched. */
static void vfs_node_destroy(vfs_t *fs, vfs_node_t *n) {
    if (n->kind == VFS_FILE) vfs_file_drop_owned(fs, &n->u.file);
    else if (n->kind == VFS_DIR) vfs_dir_free_storage(&n->u.dir);
    else free(n->u.link.target);
    while (n->links) {
        vfs_entry_t *e = n->links;
        vfs_links_remove(e);
        vfs_entry_free(fs, e);
    }
    vfs_release(fs, n->meta_charge);
    vfs_all_remove(fs, n);
    free(n);
}

/* vfs_node_new: an unlinked node without entries, charged
 * VFS_NODE_OVERHEAD + extra. Returns 0, VFS_ENOSPC or VFS_ENOMEM. */
static int vfs_node_new(vfs_t *fs, vfs_kind_t kind, bool writable, uint64_t extra, vfs_node_t **out) {
    uint64_t charge = VFS_NODE_OVERHEAD + extra;
    if (!vfs_charge(fs, charge)) return VFS_ENOSPC;
    vfs_node_t *n = calloc(1, sizeof *n);
    if (!n) {
        vfs_release(fs, charge);
        return VFS_ENOMEM;
    }
    n->fs = fs;
    n->kind = kind;
    n->writable = writable;
    n->ino = fs->next_ino++;
    n->atim = n->mtim = n->ctim = vfs_now();
    n->meta_charge = charge;
    vfs_all_insert(fs, n);
    *out = n;
    return VFS_OK;
}

/* vfs_node_orphan: a node whose last entry was just dropped from its
 * directory: a directory is emptied first (keeping the invariant that
 * unlinked directories are empty); freed now unless still referenced
 * (then the entry stays, detached, for vfs_name). */
static void vfs_node_orphan(vfs_t *fs, vfs_node_t *n) {
    if (n->kind == VFS_DIR) vfs_clear_dir(fs, n);
    vfs_touch_meta(n);
    if (n->refs == 0) vfs_node_destroy(fs, n);
}

/* vfs_detach: remove entry e from directory dir; its node loses a link and
 * is orphaned if that was its last one, otherwise the entry is freed. */
static void vfs_detach(vfs_t *fs, vfs_node_t *dir, vfs_entry_t *e) {
    vfs_node_t *n = e->node;
    vfs_dir_drop(dir, e);
    if (n->nlink > 0) {
        vfs_links_remove(e);
        vfs_entry_free(fs, e);
        vfs_touch_meta(n);
        return;
    }
    vfs_node_orphan(fs, n);
}

/* vfs_attach_new: create a node of `kind` with entry `name` in directory
 * dir (no permission checks) and link it; `extra` bytes are charged with
 * the node (a link's target). Returns 0, VFS_ENOSPC or VFS_ENOMEM, with
 * nothing changed on failure. */
static int vfs_attach_new(vfs_t *fs, vfs_node_t *dir, vfs_kind_t kind, const char *name,
                          size_t len, bool writable, uint64_t extra, vfs_node_t **out) {
    int rc = vfs_dir_reserve(&dir->u.dir);
    if (rc != VFS_OK) return rc;
    vfs_node_t *n;
    rc = vfs_node_new(fs, kind, writable, extra, &n);
    if (rc != VFS_OK) return rc;
    vfs_entry_t *e;
    rc = vfs_entry_new(fs, name, len, false, &e);
    if (rc != VFS_OK) {
        vfs_node_destroy(fs, n);
        return rc;
    }
    vfs_links_append(n, e);
    vfs_dir_add(dir, e);
    *out = n;
    return VFS_OK;
}

/* ------------------------------------------------------------------ */
/* filesystem                                                          */

vfs_t *vfs_new(budget_t *budget) {
    vfs_t *fs = calloc(1, sizeof *fs);
    vfs_node_t *root = calloc(1, sizeof *root);
    if (!fs || !root) {
        free(fs);
        free(root);
        return NULL;
    }
    fs->budget = budget;
    fs->next_ino = 1;
    siphash_random_key(&fs->hash_key);
    root->fs = fs;
    root->kind = VFS_DIR;
    root->nlink = 1;
    root->ino = fs->next_ino++;
    root->atim = root->mtim = root->ctim = vfs_now();
    vfs_all_insert(fs, root);
    fs->root = root;
    return fs;
}

void vfs_free(vfs_t *fs) {
    if (!fs) return;
    while (fs->all) vfs_node_destroy(fs, fs->all);
    free(fs);
}

vfs_node_t *vfs_root(vfs_t *fs) { return fs->root; }
uint64_t vfs_bytes(const vfs_t *fs) { return fs->bytes; }

/* ------------------------------------------------------------------ */
/* names and path resolution                                           */

static bool vfs_is_dot(const char *s, size_t len) { return len == 1 && s[0] == '.'; }
static bool vfs_is_dotdot(const char *s, size_t len) {
    return len == 2 && s[0] == '.' && s[1] == '.';
}

/* vfs_check_name: a single entry name: not empty, ".", "..", and without
 * '/' or NUL (VFS_EINVAL); at most VFS_NAME_MAX bytes (VFS_ENAMETOOLONG). */
static int vfs_check_name(const char *name, size_t len) {
    if (len == 0 || !name || vfs_is_dot(name, len) || vfs_is_dotdot(name, len)) return VFS_EINVAL;
    if (len > VFS_NAME_MAX) return VFS_ENAMETOOLONG;
    if (memchr(name, '/', len) || memchr(name, 0, len)) return VFS_EINVAL;
    return VFS_OK;
}

/* vfs_entry_of: the entry `name` of directory dir, or NULL. */
static vfs_entry_t *vfs_entry_of(const vfs_node_t *dir, const char *name, size_t len) {
    if (!dir || dir->kind != VFS_DIR || (len && !name)) return NULL;
    return vfs_index_find(&dir->u.dir, name, len, vfs_name_hash(dir->fs, name, len));
}

vfs_node_t *vfs_child(const vfs_node_t *dir, const char *name, size_t len) {
    vfs_entry_t *e = vfs_entry_of(dir, name, len);
    return e ? e->node : NULL;
}

/* vfs_check_path: EINVAL for a NULL path with bytes or a NUL inside,
 * ENOENT for an empty path. */
static int vfs_check_path(const char *path, size_t len) {
    if (len == 0) return VFS_ENOENT;
    if (!path || memchr(path, 0, len)) return VFS_EINVAL;
    return VFS_OK;
}

/* One piece of path still to resolve: the path itself, or a symbolic
 * link's target pushed on top of the rest. */
typedef struct vfs_frame {
    const char *p;
    size_t len, pos;
} vfs_frame_t;

/* The state of one resolution (vfs_resolve). Frames: the path, plus one
 * per link followed, so at most VFS_SYMLOOP_MAX + 1. */
typedef struct vfs_walk {
    vfs_t *fs;
    unsigned flags;
    vfs_node_t *cur;          /* the directory components are looked up in */
    size_t depth;             /* directories entered below the start (VFS_BENEATH) */
    unsigned followed;        /* symbolic links followed so far */
    bool slash;               /* a '/' followed the last component */
    size_t nframes;
    vfs_frame_t frames[VFS_SYMLOOP_MAX + 1];
} vfs_walk_t;

/* vfs_walk_push: resolve [p, p+len) next (before the rest). An absolute
 * piece restarts from the root, or is EPERM beneath a start directory
 * (cap-std's escape_attempt, which wasmtime reports as EPERM); an empty
 * one (a link with an empty target) is ENOENT. */
static int vfs_walk_push(vfs_walk_t *w, const char *p, size_t len) {
    if (len == 0) return VFS_ENOENT;
    if (w->nframes == VFS_SYMLOOP_MAX + 1) return VFS_ELOOP; /* never: followed is capped first */
    if (p[0] == '/') {
        if (w->flags & VFS_BENEATH) return VFS_EPERM;
        w->cur = w->fs->root;
        w->depth = 0;
    }
    w->frames[w->nframes++] = (vfs_frame_t){p, len, 0};
    return VFS_OK;
}

/* vfs_walk_next: the next component (not empty), or false at the end. */
static bool vfs_walk_next(vfs_walk_t *w, const char **comp, size_t *len) {
    while (w->nframes > 0) {
        vfs_frame_t *f = &w->frames[w->nframes - 1];
        while (f->pos < f->len && f->p[f->pos] == '/') f->pos++;
        if (f->pos == f->len) {
            w->nframes--;
            continue;
        }
        const char *start = f->p + f->pos;
        const char *slash = memchr(start, '/', f->len - f->pos);
        size_t n = slash ? (size_t)(slash - start) : f->len - f->pos;
        f->pos += n;
        *comp = start;
        *len = n;
        return true;
    }
    return false;
}

/* vfs_walk_at_end: true if no component follows the one just taken;
 * records whether a '/' did (sticky: a trailing '/' after a link still
 * applies to what the link leads to). Each '/' is skipped once. */
static bool vfs_walk_at_end(vfs_walk_t *w) {
    bool slash = false;
    for (size_t i = w->nframes; i-- > 0;) {
        vfs_frame_t *f = &w->frames[i];
        while (f->pos < f->len && f->p[f->pos] == '/') {
            f->pos++;
            slash = true;
        }
        if (f->pos < f->len) return false;
    }
    w->slash |= slash;
    return true;
}

/* vfs_walk_up: "..": the parent directory. Beneath a start directory,
 * going above it is EPERM (cap-std); otherwise the root's parent is the
 * root and an unlinked directory has none (ENOENT). */
static int vfs_walk_up(vfs_walk_t *w) {
    if (w->flags & VFS_BENEATH) {
        if (w->depth == 0) return VFS_EPERM;
        w->depth--;
        w->cur = vfs_parent(w->cur); /* entered from it, so linked */
        return VFS_OK;
    }
    if (w->cur == w->fs->root) return VFS_OK;
    vfs_node_t *p = vfs_parent(w->cur);
    if (!p) return VFS_ENOENT;
    w->cur = p;
    return VFS_OK;
}

/* vfs_walk_follow: continue with the target of symbolic link `link`,
 * relative to the directory holding it (w->cur). The VFS_SYMLOOP_MAX + 1st
 * link is ELOOP, as for Linux and cap-std (40). */
static int vfs_walk_follow(vfs_walk_t *w, const vfs_node_t *link) {
    if (w->followed == VFS_SYMLOOP_MAX) return VFS_ELOOP;
    w->followed++;
    return vfs_walk_push(w, link->u.link.target, link->u.link.len);
}

/* vfs_walk_found: the last component `name` in w->cur, naming child (or
 * nothing). A trailing '/' on a non-directory is ENOTDIR unless the caller
 * asked for the entry itself (VFS_PARENT). */
static int vfs_walk_found(const vfs_walk_t *w, const char *name, size_t len, vfs_node_t *child,
                          vfs_where_t *out) {
    if (!(w->flags & VFS_PARENT) && child && w->slash && child->kind != VFS_DIR) return VFS_ENOTDIR;
    *out = (vfs_where_t){w->cur, name, len, child, w->slash};
    return VFS_OK;
}

/* vfs_walk_name: a normal component. Returns 1 when resolution ends here
 * (out filled), 0 to go on, or minus an errno. */
static int vfs_walk_name(vfs_walk_t *w, const char *name, size_t len, bool last, vfs_where_t *out) {
    if (len > VFS_NAME_MAX) return -VFS_ENAMETOOLONG;
    vfs_node_t *child = vfs_child(w->cur, name, len);
    bool follow = child && child->kind == VFS_SYMLINK && (!last || (w->flags & VFS_FOLLOW) || w->slash);
    if (last && ((w->flags & VFS_PARENT) || !follow)) {
        int rc = vfs_walk_found(w, name, len, child, out);
        return rc == VFS_OK ? 1 : -rc;
    }
    if (!child) return -VFS_ENOENT;
    if (follow) {
        int rc = vfs_walk_follow(w, child);
        return rc == VFS_OK ? 0 : -rc;
    }
    if (child->kind != VFS_DIR) return -VFS_ENOTDIR;
    w->cur = child;
    w->depth++;
    return 0;
}

/* Iterative: components are taken from the top frame; a followed link
 * pushes its target, resolved from the link's directory. */
int vfs_resolve(vfs_t *fs, vfs_node_t *start, const char *path, size_t len, unsigned flags,
                vfs_where_t *out) {
    memset(out, 0, sizeof *out);
    int rc = vfs_check_path(path, len);
    if (rc != VFS_OK) return rc;
    vfs_walk_t w = {.fs = fs, .flags = flags, .cur = start ? start : fs->root};
    rc = vfs_walk_push(&w, path, len);
    const char *comp;
    size_t n;
    while (rc == VFS_OK && vfs_walk_next(&w, &comp, &n)) {
        bool last = vfs_walk_at_end(&w);
        if (w.cur->kind != VFS_DIR) return VFS_ENOTDIR; /* only a start that is not a directory */
        bool dot = vfs_is_dot(comp, n) || vfs_is_dotdot(comp, n);
        if (dot && last && (flags & VFS_PARENT) && !(flags & VFS_BENEATH)) break; /* vfs_lookup_parent: EINVAL */
        if (vfs_is_dot(comp, n)) continue;
        if (vfs_is_dotdot(comp, n)) {
            rc = vfs_walk_up(&w);
            continue;
        }
        int step = vfs_walk_name(&w, comp, n, last, out);
        if (step > 0) return VFS_OK;
        rc = -step;
    }
    if (rc != VFS_OK) return rc;
    *out = (vfs_where_t){NULL, NULL, 0, w.cur, w.slash}; /* ended in ".", ".." or "/" */
    return VFS_OK;
}

int vfs_lookup(vfs_t *fs, vfs_node_t *dir, const char *path, size_t len, vfs_node_t **out) {
    vfs_where_t w;
    int rc = vfs_resolve(fs, dir, path, len, VFS_FOLLOW, &w);
    if (rc != VFS_OK) return rc;
    if (!w.node) return VFS_ENOENT;
    *out = w.node;
    return VFS_OK;
}

/* An empty path is ENOENT (as for vfs_lookup), not EINVAL. */
int vfs_lookup_parent(vfs_t *fs, vfs_node_t *dir, const char *path, size_t len,
                      vfs_node_t **parent, const char **name, size_t *name_len) {
    vfs_where_t w;
    int rc = vfs_resolve(fs, dir, path, len, VFS_PARENT, &w);
    if (rc != VFS_OK) return rc;
    if (!w.name) return VFS_EINVAL;
    *parent = w.dir;
    *name = w.name;
    *name_len = w.name_len;
    return VFS_OK;
}

/* ------------------------------------------------------------------ */
/* namespace changes                                                   */

/* vfs_check_live_dir: dir is a directory (ENOTDIR) still in the tree
 * (ENOENT: nothing may be added to or removed from an unlinked one). */
static int vfs_check_live_dir(const vfs_node_t *dir) {
    if (!dir || dir->kind != VFS_DIR) return VFS_ENOTDIR;
    if (dir->nlink == 0) return VFS_ENOENT;
    return VFS_OK;
}

/* vfs_check_mutable_dir: vfs_check_live_dir, then EROFS if read-only. */
static int vfs_check_mutable_dir(const vfs_node_t *dir) {
    int rc = vfs_check_live_dir(dir);
    if (rc != VFS_OK) return rc;
    return dir->writable ? VFS_OK : VFS_EROFS;
}

/* vfs_check_new_name: a name to add to dir: a live directory, a valid
 * name, not taken (EEXIST, reported before EROFS so "mkdir -p" style
 * callers work under a read-only parent), a writable directory. */
static int vfs_check_new_name(const vfs_node_t *dir, const char *name, size_t len) {
    int rc = vfs_check_live_dir(dir);
    if (rc == VFS_OK) rc = vfs_check_name(name, len);
    if (rc != VFS_OK) return rc;
    if (vfs_entry_of(dir, name, len)) return VFS_EEXIST;
    return dir->writable ? VFS_OK : VFS_EROFS;
}

/* vfs_create: shared body of vfs_create_file and vfs_mkdir. */
static int vfs_create(vfs_t *fs, vfs_node_t *dir, vfs_kind_t kind, const char *name, size_t len,
                      vfs_node_t **out) {
    int rc = vfs_check_new_name(dir, name, len);
    if (rc != VFS_OK) return rc;
    vfs_node_t *n;
    rc = vfs_attach_new(fs, dir, kind, name, len, true, 0, &n);
    if (rc == VFS_OK && out) *out = n;
    return rc;
}

int vfs_create_file(vfs_t *fs, vfs_node_t *dir, const char *name, size_t len, vfs_node_t **out) {
    return vfs_create(fs, dir, VFS_FILE, name, len, out);
}

int vfs_mkdir(vfs_t *fs, vfs_node_t *dir, const char *name, size_t len, vfs_node_t **out) {
    return vfs_create(fs, dir, VFS_DIR, name, len, out);
}

/* vfs_check_target: a symbolic link's target: not empty (ENOENT, as
 * symlink(2)), no NUL (EINVAL), at most VFS_SYMLINK_MAX bytes. */
static int vfs_check_target(const char *target, size_t len) {
    if (len == 0) return VFS_ENOENT;
    if (len > VFS_SYMLINK_MAX) return VFS_ENAMETOOLONG; /* before scanning a huge guest buffer */
    return !target || memchr(target, 0, len) ? VFS_EINVAL : VFS_OK;
}

int vfs_symlink(vfs_t *fs, vfs_node_t *dir, const char *name, size_t len, const char *target,
                size_t target_len, vfs_node_t **out) {
    int rc = vfs_check_target(target, target_len);
    if (rc == VFS_OK) rc = vfs_check_new_name(dir, name, len);
    if (rc != VFS_OK) return rc;
    char *copy = malloc(target_len);
    if (!copy) return VFS_ENOMEM;
    memcpy(copy, target, target_len);
    vfs_node_t *n;
    rc = vfs_attach_new(fs, dir, VFS_SYMLINK, name, len, true, (uint64_t)target_len, &n);
    if (rc != VFS_OK) {
        free(copy);
        return rc;
    }
    n->u.link.target = copy;
    n->u.link.len = target_len;
    if (out) *out = n;
    return VFS_OK;
}

/* vfs_check_link_source: what vfs_link may add a name for. */
static int vfs_check_link_source(const vfs_node_t *node) {
    if (node->kind == VFS_DIR) return VFS_EPERM;
    if (!node->writable || (node->kind == VFS_FILE && node->u.file.is_borrowed)) return VFS_EXDEV;
    return node->nlink == 0 ? VFS_ENOENT : VFS_OK;
}

int vfs_link(vfs_t *fs, vfs_node_t *node, vfs_node_t *dir, const char *name, size_t len) {
    int rc = vfs_check_new_name(dir, name, len);
    if (rc == VFS_OK) rc = vfs_check_link_source(node);
    if (rc != VFS_OK) return rc;
    rc = vfs_dir_reserve(&dir->u.dir);
    if (rc != VFS_OK) return rc;
    vfs_entry_t *e;
    rc = vfs_entry_new(fs, name, len, true, &e);
    if (rc != VFS_OK) return rc;
    vfs_links_append(node, e);
    vfs_dir_add(dir, e);
    vfs_touch_meta(node);
    return VFS_OK;
}

/* vfs_find_for_removal: the existing entry `name` of a writable live dir. */
static int vfs_find_for_removal(vfs_node_t *dir, const char *name, size_t len, vfs_entry_t **out) {
    int rc = vfs_check_mutable_dir(dir);
    if (rc == VFS_OK) rc = vfs_check_name(name, len);
    if (rc != VFS_OK) return rc;
    vfs_entry_t *e = vfs_entry_of(dir, name, len);
    if (!e) return VFS_ENOENT;
    *out = e;
    return VFS_OK;
}

int vfs_unlink(vfs_t *fs, vfs_node_t *dir, const char *name, size_t len) {
    vfs_entry_t *e;
    int rc = vfs_find_for_removal(dir, name, len, &e);
    if (rc != VFS_OK) return rc;
    if (e->node->kind == VFS_DIR) return VFS_EISDIR;
    vfs_detach(fs, dir, e);
    return VFS_OK;
}

int vfs_rmdir(vfs_t *fs, vfs_node_t *dir, const char *name, size_t len) {
    vfs_entry_t *e;
    int rc = vfs_find_for_removal(dir, name, len, &e);
    if (rc != VFS_OK) return rc;
    if (e->node->kind != VFS_DIR) return VFS_ENOTDIR;
    if (e->node->u.dir.count > 0) return VFS_ENOTEMPTY;
    vfs_detach(fs, dir, e);
    return VFS_OK;
}

/* vfs_is_within: true if node is anchor or lies below it (O(depth)). */
static bool vfs_is_within(const vfs_node_t *node, const vfs_node_t *anchor) {
    for (const vfs_node_t *p = node; p; p = vfs_parent(p))
        if (p == anchor) return true;
    return false;
}

/* vfs_rename_conflict: the error for moving src over the existing dst. */
static int vfs_rename_conflict(const vfs_node_t *src, const vfs_node_t *dst) {
    if (src->kind != VFS_DIR && dst->kind == VFS_DIR) return VFS_EISDIR;
    if (src->kind == VFS_DIR && dst->kind != VFS_DIR) return VFS_ENOTDIR;
    if (dst->kind == VFS_DIR && dst->u.dir.count > 0) return VFS_ENOTEMPTY;
    return VFS_OK;
}

/* vfs_rename_check: every check of vfs_rename that needs no allocation.
 * *dst is NULL when the target name is free; src and dst naming the same
 * node (the same entry, or two hard links) is a success doing nothing. */
static int vfs_rename_check(vfs_node_t *old_dir, const char *old_name, size_t old_len,
                            vfs_node_t *new_dir, const char *new_name, size_t new_len,
                            vfs_entry_t **src, vfs_entry_t **dst) {
    int rc = vfs_check_mutable_dir(old_dir);
    if (rc == VFS_OK) rc = vfs_check_mutable_dir(new_dir);
    if (rc == VFS_OK) rc = vfs_check_name(old_name, old_len);
    if (rc == VFS_OK) rc = vfs_check_name(new_name, new_len);
    if (rc != VFS_OK) return rc;
    *src = vfs_entry_of(old_dir, old_name, old_len);
    if (!*src) return VFS_ENOENT;
    *dst = vfs_entry_of(new_dir, new_name, new_len);
    vfs_node_t *s = (*src)->node;
    if (*dst && (*dst)->node == s) return VFS_OK;
    if (s->kind == VFS_DIR && vfs_is_within(new_dir, s)) return VFS_EINVAL;
    return *dst ? vfs_rename_conflict(s, (*dst)->node) : VFS_OK;
}

/* vfs_rename_entry: give entry e (already out of its directory's index) the
 * name copy, charging the difference in length (reserved by the caller). */
static void vfs_rename_entry(vfs_t *fs, vfs_entry_t *e, char *copy, size_t new_len) {
    if (new_len < e->name_len) vfs_release(fs, e->name_len - new_len);
    e->charge = e->charge - e->name_len + new_len;
    free(e->name);
    e->name = copy;
    e->name_len = new_len;
    e->name_hash = vfs_name_hash(fs, copy, new_len);
}

int vfs_rename(vfs_t *fs, vfs_node_t *old_dir, const char *old_name, size_t old_len,
               vfs_node_t *new_dir, const char *new_name, size_t new_len) {
    vfs_entry_t *src, *dst;
    int rc = vfs_rename_check(old_dir, old_name, old_len, new_dir, new_name, new_len, &src, &dst);
    if (rc != VFS_OK || (dst && dst->node == src->node)) return rc;
    /* Acquire everything that can fail before changing anything. */
    char *copy = malloc(new_len + 1);
    if (!copy) return VFS_ENOMEM;
    if (new_len > src->name_len && !vfs_charge(fs, new_len - src->name_len)) {
        free(copy);
        return VFS_ENOSPC;
    }
    /* Room in the target's index even within one directory: the entry is
     * re-indexed under its new name while its old slot becomes a tombstone. */
    if (vfs_dir_reserve(&new_dir->u.dir) != VFS_OK) {
        if (new_len > src->name_len) vfs_release(fs, new_len - src->name_len);
        free(copy);
        return VFS_ENOMEM;
    }
    memcpy(copy, new_name, new_len);
    copy[new_len] = 0;
    if (dst) vfs_detach(fs, new_dir, dst);
    if (old_dir == new_dir) vfs_index_remove(&old_dir->u.dir, src);
    else vfs_dir_drop(old_dir, src);
    vfs_rename_entry(fs, src, copy, new_len);
    if (old_dir == new_dir) {
        vfs_index_put(&old_dir->u.dir, src); /* keeps its place in the order */
        vfs_touch_data(old_dir);
    } else {
        vfs_dir_add(new_dir, src);
    }
    vfs_touch_meta(src->node);
    return VFS_OK;
}

/* ------------------------------------------------------------------ */
/* node information                                                    */

vfs_kind_t vfs_kind(const vfs_node_t *n) { return n->kind; }
uint64_t vfs_ino(const vfs_node_t *n) { return n->ino; }
bool vfs_writable(const vfs_node_t *n) { return n->writable; }
bool vfs_linked(const vfs_node_t *n) { return n->nlink > 0; }
vfs_node_t *vfs_parent(const vfs_node_t *n) { return n->links ? n->links->dir : NULL; }
uint64_t vfs_nlink(const vfs_node_t *n) { return n->nlink; }
uint64_t vfs_atim(const vfs_node_t *n) { return n->atim; }
uint64_t vfs_mtim(const vfs_node_t *n) { return n->mtim; }
uint64_t vfs_ctim(const vfs_node_t *n) { return n->ctim; }

const char *vfs_name(const vfs_node_t *n, size_t *len) {
    if (len) *len = n->links ? n->links->name_len : 0;
    return n->links ? n->links->name : "";
}

int vfs_readlink(const vfs_node_t *n, const char **target, size_t *len) {
    if (n->kind != VFS_SYMLINK) return VFS_EINVAL;
    *target = n->u.link.target;
    *len = n->u.link.len;
    return VFS_OK;
}

void vfs_set_times(vfs_node_t *n, uint64_t atim, uint64_t mtim) {
    n->atim = atim;
    n->mtim = mtim;
    n->ctim = vfs_now();
}

/* ------------------------------------------------------------------ */
/* file data                                                           */

uint64_t vfs_size(const vfs_node_t *file) {
    if (file->kind == VFS_SYMLINK) return (uint64_t)file->u.link.len;
    return file->kind == VFS_FILE ? (uint64_t)vfs_file_len(&file->u.file) : 0;
}

/* vfs_not_file: the error for data operations on a non-file: EISDIR for
 * a directory, EINVAL for a symbolic link. */
static int vfs_not_file(const vfs_node_t *n) { return n->kind == VFS_DIR ? VFS_EISDIR : VFS_EINVAL; }

/* vfs_file_bytes: pointer to a file's bytes (NULL if none). */
static const uint8_t *vfs_file_bytes(const vfs_file_t *f) {
    return f->is_borrowed ? f->borrowed : f->owned.data;
}

void vfs_set_copier(vfs_t *fs, vfs_copier_t copy) { fs->copy = copy; }

/* vfs_copy_borrowed: copy n borrowed bytes out through the filesystem's
 * copier; VFS_EIO if it could not read them. */
static int vfs_copy_borrowed(const vfs_t *fs, void *dst, const uint8_t *src, size_t n) {
    if (!fs->copy) { memcpy(dst, src, n); return VFS_OK; }
    return fs->copy(dst, src, n) == 0 ? VFS_OK : VFS_EIO;
}

int vfs_read(const vfs_node_t *file, uint64_t off, void *dst, size_t len, size_t *nread) {
    *nread = 0;
    if (file->kind != VFS_FILE) return vfs_not_file(file);
    const vfs_file_t *f = &file->u.file;
    size_t size = vfs_file_len(f);
    size_t n = 0;
    if (off < size) {
        n = size - (size_t)off;
        if (n > len) n = len;
    }
    if (n && f->is_borrowed) {
        int rc = vfs_copy_borrowed(file->fs, dst, f->borrowed + off, n);
        if (rc != VFS_OK) return rc;
    } else if (n) {
        memcpy(dst, f->owned.data + off, n);
    }
    *nread = n;
    return VFS_OK;
}

/* vfs_check_file_mutable: vfs_not_file, or EROFS for a borrowed or
 * read-only file. */
static int vfs_check_file_mutable(const vfs_node_t *file) {
    if (file->kind != VFS_FILE) return vfs_not_file(file);
    if (!file->writable || file->u.file.is_borrowed) return VFS_EROFS;
    return VFS_OK;
}

/* vfs_file_extend: grow an owned file to new_size (> current size),
 * zero-filling [old size, zero_end). Charges the growth first. Returns 0,
 * VFS_ENOSPC or VFS_ENOMEM; on failure the file is unchanged. */
static int vfs_file_extend(vfs_t *fs, vfs_file_t *f, uint64_t new_size, uint64_t zero_end) {
    buf_t *b = &f->owned;
    if (new_size >= SIZE_MAX) return VFS_ENOMEM;
    size_t grow = (size_t)new_size - b->len;
    if (!vfs_charge(fs, grow)) return VFS_ENOSPC;
    if (buf_reserve(b, grow) != 0) {
        vfs_release(fs, grow);
        return VFS_ENOMEM;
    }
    if (zero_end > b->len) memset(b->data + b->len, 0, (size_t)zero_end - b->len);
    b->len = (size_t)new_size;
    b->data[b->len] = 0;
    return VFS_OK;
}

/* vfs_file_shrink: cut an owned file to new_size (< current size),
 * releasing the charge and, when most of the allocation is unused,
 * returning memory to the system. */
static void vfs_file_shrink(vfs_t *fs, vfs_file_t *f, size_t new_size) {
    buf_t *b = &f->owned;
    vfs_release(fs, b->len - new_size);
    if (new_size == 0) {
        buf_free(b);
        return;
    }
    b->len = new_size;
    b->data[new_size] = 0;
    if (b->cap > 4096 && new_size < b->cap / 4) {
        uint8_t *p = realloc(b->data, new_size + 1);
        if (p) {
            b->data = p;
            b->cap = new_size + 1;
        }
    }
}

int vfs_write(vfs_t *fs, vfs_node_t *file, uint64_t off, const void *src, size_t len) {
    int rc = vfs_check_file_mutable(file);
    if (rc != VFS_OK) return rc;
    if (len == 0) return VFS_OK;
    if ((uint64_t)len > VFS_FILE_MAX || off > VFS_FILE_MAX - (uint64_t)len) return VFS_EFBIG;
    vfs_file_t *f = &file->u.file;
    uint64_t end = off + (uint64_t)len;
    if (end > f->owned.len) {
        rc = vfs_file_extend(fs, f, end, off);
        if (rc != VFS_OK) return rc;
    }
    memcpy(f->owned.data + off, src, len);
    vfs_touch_data(file);
    return VFS_OK;
}

int vfs_truncate(vfs_t *fs, vfs_node_t *file, uint64_t size) {
    int rc = vfs_check_file_mutable(file);
    if (rc != VFS_OK) return rc;
    if (size > VFS_FILE_MAX) return VFS_EFBIG;
    vfs_file_t *f = &file->u.file;
    if (size == f->owned.len) return VFS_OK;
    if (size > f->owned.len) {
        rc = vfs_file_extend(fs, f, size, size);
        if (rc != VFS_OK) return rc;
    } else {
        vfs_file_shrink(fs, f, (size_t)size);
    }
    vfs_touch_data(file);
    return VFS_OK;
}

const uint8_t *vfs_file_data(const vfs_node_t *file) {
    if (file->kind != VFS_FILE || vfs_file_len(&file->u.file) == 0) return NULL;
    return vfs_file_bytes(&file->u.file);
}

/* ------------------------------------------------------------------ */
/* directories and references                                          */

size_t vfs_dir_count(const vfs_node_t *dir) {
    return dir->kind == VFS_DIR ? dir->u.dir.count : 0;
}

/* Returns NULL (leaving name/len untouched) past the last entry; name and
 * len may be NULL. */
vfs_node_t *vfs_dir_entry(const vfs_node_t *dir, size_t index, const char **name, size_t *len) {
    return vfs_dir_get(dir, index, name, len, NULL);
}

/* Returns NULL (leaving the outputs untouched) past the last entry; each
 * output may be NULL. */
vfs_node_t *vfs_dir_get(const vfs_node_t *dir, size_t index, const char **name, size_t *len,
                        uint64_t *seq) {
    if (dir->kind != VFS_DIR || index >= dir->u.dir.count) return NULL;
    vfs_entry_t *e = vfs_dir_at(&dir->u.dir, index);
    if (name) *name = e->name;
    if (len) *len = e->name_len;
    if (seq) *seq = e->dir_seq;
    return e->node;
}

uint64_t vfs_dir_seq(const vfs_node_t *n) { return n->links ? n->links->dir_seq : 0; }

size_t vfs_dir_index_from_seq(const vfs_node_t *dir, uint64_t seq) {
    if (dir->kind != VFS_DIR) return 0;
    size_t lo = 0, hi = dir->u.dir.count; /* entries' seqs increase with the index */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (vfs_dir_at(&dir->u.dir, mid)->dir_seq < seq) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

void vfs_ref(vfs_node_t *n) { n->refs++; }

void vfs_unref(vfs_t *fs, vfs_node_t *n) {
    if (n->refs > 0) n->refs--;
    if (n->refs > 0 || n->nlink > 0) return;
    vfs_node_destroy(fs, n); /* unlinked directories are always empty */
}

/* Iterative post-order: descend into the last entry while it is a
 * non-empty directory, otherwise drop that entry (cheap from the back).
 * Directories have one entry, so going back up is vfs_parent. */
void vfs_clear_dir(vfs_t *fs, vfs_node_t *dir) {
    if (!dir || dir->kind != VFS_DIR) return;
    vfs_node_t *cur = dir;
    for (;;) {
        vfs_dir_t *d = &cur->u.dir;
        if (d->count == 0) {
            vfs_dir_free_storage(d);
            if (cur == dir) return;
            cur = vfs_parent(cur);
            continue;
        }
        vfs_entry_t *last = vfs_dir_last(d);
        if (last->node->kind == VFS_DIR && last->node->u.dir.count > 0) {
            cur = last->node;
            continue;
        }
        vfs_detach(fs, cur, last);
    }
}

/* ------------------------------------------------------------------ */
/* host-side setup                                                     */

/* vfs_detach_dir: remove directory d (not the root) from its parent. */
static void vfs_detach_dir(vfs_t *fs, vfs_node_t *d) { vfs_detach(fs, vfs_parent(d), d->links); }

/* vfs_ensure_dirs: walk the absolute path [path, path+len) from the root,
 * creating missing directories (writable iff `writable`, regardless of the
 * parent's flag). "." components are skipped; ".." is EINVAL. *first is
 * set to the first directory created (NULL if none) so a caller can undo
 * the creation; on failure this function undoes it itself. */
static int vfs_ensure_dirs(vfs_t *fs, const char *path, size_t len, bool writable,
                           vfs_node_t **out, vfs_node_t **first) {
    vfs_node_t *cur = fs->root;
    int rc = VFS_OK;
    size_t i = 0;
    *first = NULL;
    while (i < len && rc == VFS_OK) {
        if (path[i] == '/') { i++; continue; }
        const char *slash = memchr(path + i, '/', len - i);
        size_t end = slash ? (size_t)(slash - path) : len;
        const char *comp = path + i;
        size_t clen = end - i;
        i = end;
        if (vfs_is_dot(comp, clen)) continue;
        rc = vfs_check_name(comp, clen);
        if (rc != VFS_OK) break;
        vfs_node_t *next = vfs_child(cur, comp, clen);
        if (next && next->kind != VFS_DIR) rc = VFS_ENOTDIR;
        if (!next && rc == VFS_OK) {
            rc = vfs_attach_new(fs, cur, VFS_DIR, comp, clen, writable, 0, &next);
            if (rc == VFS_OK && !*first) *first = next;
        }
        if (rc == VFS_OK) cur = next;
    }
    if (rc != VFS_OK) {
        if (*first) vfs_detach_dir(fs, *first);
        *first = NULL;
        return rc;
    }
    *out = cur;
    return VFS_OK;
}

/* Paths must start with '/' (EINVAL otherwise). An existing file or
 * symbolic link on the way is ENOTDIR (links are not followed here). On failure, directories created by this call are
 * removed again. */
int vfs_mkdir_p(vfs_t *fs, const char *abs_path, bool writable, vfs_node_t **out) {
    if (!abs_path || abs_path[0] != '/') return VFS_EINVAL;
    vfs_node_t *dir, *first;
    int rc = vfs_ensure_dirs(fs, abs_path, strlen(abs_path), writable, &dir, &first);
    if (rc != VFS_OK) return rc;
    if (writable) dir->writable = true;
    if (out) *out = dir;
    return VFS_OK;
}

/* vfs_file_set_borrowed: make file read-only with the borrowed bytes. */
static void vfs_file_set_borrowed(vfs_t *fs, vfs_node_t *file, const uint8_t *data, size_t len) {
    vfs_file_t *f = &file->u.file;
    vfs_file_drop_owned(fs, f);
    f->is_borrowed = true;
    f->borrowed = data;
    f->borrowed_len = len;
    file->writable = false;
    vfs_touch_data(file);
}

/* abs_path must start with '/' and name a file (last component not empty,
 * "." or ".."; EINVAL otherwise); len > VFS_FILE_MAX is EFBIG; a symbolic
 * link there is EEXIST. On failure, parent directories created by this
 * call are removed again. */
int vfs_put_borrowed(vfs_t *fs, const char *abs_path, const uint8_t *data, size_t len,
                     vfs_node_t **out) {
    if (!abs_path || abs_path[0] != '/' || (len && !data)) return VFS_EINVAL;
    if ((uint64_t)len > VFS_FILE_MAX) return VFS_EFBIG;
    const char *name = strrchr(abs_path, '/') + 1;
    size_t name_len = strlen(name);
    int rc = vfs_check_name(name, name_len);
    if (rc != VFS_OK) return rc;
    vfs_node_t *dir, *first, *file;
    rc = vfs_ensure_dirs(fs, abs_path, (size_t)(name - abs_path), false, &dir, &first);
    if (rc != VFS_OK) return rc;
    file = vfs_child(dir, name, name_len);
    if (file && file->kind == VFS_DIR) return VFS_EISDIR;
    if (file && file->kind == VFS_SYMLINK) return VFS_EEXIST;
    if (!file) {
        rc = vfs_attach_new(fs, dir, VFS_FILE, name, name_len, false, 0, &file);
        if (rc != VFS_OK) {
            if (first) vfs_detach_dir(fs, first);
            return rc;
        }
    }
    vfs_file_set_borrowed(fs, file, data, len);
    if (out) *out = file;
    return VFS_OK;
}

int vfs_take(vfs_t *fs, vfs_node_t *file, uint8_t **data, size_t *len) {
    if (file->kind != VFS_FILE) return vfs_not_file(file);
    vfs_file_t *f = &file->u.file;
    size_t size = vfs_file_len(f);
    uint8_t *out = NULL;
    if (f->is_borrowed) {
        if (size) {
            out = malloc(size);
            if (!out) return VFS_ENOMEM;
            if (vfs_copy_borrowed(fs, out, f->borrowed, size) != VFS_OK) {
                free(out);
                return VFS_EIO;
            }
        }
        f->borrowed = NULL;
        f->borrowed_len = 0;
    } else if (size) {
        vfs_release(fs, size);
        buf_t *b = &f->owned;
        if (b->cap > size + 1 + size / 4) { /* hand over a tight allocation */
            uint8_t *p = realloc(b->data, size + 1);
            if (p) { b->data = p; b->cap = size + 1; }
        }
        out = b->data;
        *b = (buf_t)BUF_INIT;
    } else {
        buf_free(&f->owned);
    }
    *data = out;
    *len = size;
    vfs_touch_data(file);
    return VFS_OK;
}
