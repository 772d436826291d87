/* keymap.h — owns the hash tables of the results side whose keys a guest
 * chooses (metadata table and column names, module names): a map from byte
 * strings to pointers, and a set of pointers. Both hash with SipHash-1-3
 * under the process key (util/siphash.h), so nobody who does not know the
 * key can make keys collide, and lookups stay O(1) whatever the names.
 *
 * keymap_t borrows its keys: a key's bytes must stay unchanged at the same
 * address as long as its entry exists (typically the key lives in the
 * value the entry points to). After
 * keymap_reserve(m, n) the next n keymap_put calls of new keys cannot fail,
 * which lets callers commit several entries all-or-nothing.
 *
 * Neither structure is thread-safe; callers lock. */
#ifndef WADUP_STORE_KEYMAP_H
#define WADUP_STORE_KEYMAP_H
#include <stddef.h>
#include <stdint.h>

typedef struct keymap_slot {
    uint64_t hash;
    const void *key;   /* NULL = empty slot */
    size_t len;
    void *value;
} keymap_slot_t;

typedef struct keymap {
    keymap_slot_t *slots;  /* cap slots, cap a power of two (or 0) */
    size_t cap, count;
} keymap_t;

#define KEYMAP_INIT {NULL, 0, 0}

/* keymap_get: the value stored under key[0..len), or NULL. */
void *keymap_get(const keymap_t *m, const void *key, size_t len);
/* keymap_reserve: room for `extra` more entries without allocating.
 * Returns 0, or -1 (out of memory; the map is unchanged). */
int keymap_reserve(keymap_t *m, size_t extra);
/* keymap_put: store value under key[0..len) (borrowed), replacing the
 * value of an existing equal key. Returns 0, or -1 (out of memory; the
 * map is unchanged). */
int keymap_put(keymap_t *m, const void *key, size_t len, void *value);
/* keymap_remove: remove the entry of key[0..len) if there is one. */
void keymap_remove(keymap_t *m, const void *key, size_t len);
/* keymap_free: release the table (not the keys or values). */
void keymap_free(keymap_t *m);

/* A set of pointers (e.g. distinct table definitions of a batch). */
typedef struct ptrset {
    const void **slots;    /* cap slots, NULL = empty */
    size_t cap, count;
} ptrset_t;

#define PTRSET_INIT {NULL, 0, 0}

/* ptrset_add: add p (not NULL). Returns 1 if it was added, 0 if it was
 * already there, -1 when out of memory (the set is unchanged). */
int ptrset_add(ptrset_t *s, const void *p);
void ptrset_free(ptrset_t *s);

#endif
