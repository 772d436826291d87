/* keymap.c — keyed (SipHash-1-3) hash map and pointer set (see keymap.h).
 * Open addressing with linear probing, load factor at most 1/2. */
#include "store/keymap.h"

#include <stdlib.h>
#include <string.h>

#include "util/siphash.h"

/* keymap_hash: the keyed hash of key[0..len). */
static uint64_t keymap_hash(const void *key, size_t len) { return siphash13(siphash_process_key(), key, len); }

/* keymap_slot: the slot holding the key, or the empty slot where it would
 * go. Requires cap > 0 and at least one empty slot. */
static keymap_slot_t *keymap_slot(const keymap_t *m, uint64_t hash, const void *key, size_t len) {
    size_t mask = m->cap - 1, i = (size_t)hash & mask;
    for (;;) {
        keymap_slot_t *s = &m->slots[i];
        if (!s->key || (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0)) return s;
        i = (i + 1) & mask;
    }
}

/* keymap_get, keymap_reserve, keymap_put, keymap_remove, keymap_free,
 * ptrset_add, ptrset_free: see keymap.h. */
void *keymap_get(const keymap_t *m, const void *key, size_t len) {
    if (m->cap == 0) return NULL;
    const keymap_slot_t *s = keymap_slot(m, keymap_hash(key, len), key, len);
    return s->key ? s->value : NULL;
}

int keymap_reserve(keymap_t *m, size_t extra) {
    if (extra > SIZE_MAX / 4 - m->count) return -1;
    size_t need = (m->count + extra) * 2;
    if (need < m->cap) return 0;
    size_t cap = m->cap ? m->cap : 16;
    while (cap <= need) {
        if (cap > SIZE_MAX / 2 / sizeof(keymap_slot_t)) return -1;
        cap *= 2;
    }
    keymap_slot_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    keymap_t grown = {slots, cap, m->count};
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key) *keymap_slot(&grown, m->slots[i].hash, m->slots[i].key, m->slots[i].len) = m->slots[i];
    free(m->slots);
    *m = grown;
    return 0;
}

int keymap_put(keymap_t *m, const void *key, size_t len, void *value) {
    if (keymap_reserve(m, 1) != 0) return -1;
    uint64_t hash = keymap_hash(key, len);
    keymap_slot_t *s = keymap_slot(m, hash, key, len);
    if (!s->key) m->count++;
    s->hash = hash;
    s->key = key;
    s->len = len;
    s->value = value;
    return 0;
}

/* keymap_home_between: whether home slot h lies cyclically in (i, j]. */
static int keymap_home_between(size_t h, size_t i, size_t j) { return i <= j ? (h > i && h <= j) : (h > i || h <= j); }

void keymap_remove(keymap_t *m, const void *key, size_t len) {
    if (m->cap == 0) return;
    keymap_slot_t *s = keymap_slot(m, keymap_hash(key, len), key, len);
    if (!s->key) return;
    size_t mask = m->cap - 1, i = (size_t)(s - m->slots);
    /* Backward-shift deletion: move later entries of the probe run into
     * the hole unless their home lies between the hole and them. */
    for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
        size_t h = (size_t)m->slots[j].hash & mask;
        if (keymap_home_between(h, i, j)) continue;
        m->slots[i] = m->slots[j];
        i = j;
    }
    memset(&m->slots[i], 0, sizeof m->slots[i]);
    m->count--;
}

void keymap_free(keymap_t *m) {
    free(m->slots);
    memset(m, 0, sizeof *m);
}

/* ptrset_slot: the slot holding p or the empty slot where it would go. */
static const void **ptrset_slot(const void **slots, size_t cap, const void *p) {
    uintptr_t v = (uintptr_t)p;
    size_t mask = cap - 1, i = (size_t)siphash13(siphash_process_key(), &v, sizeof v) & mask;
    while (slots[i] && slots[i] != p) i = (i + 1) & mask;
    return &slots[i];
}

/* ptrset_grow: keep the load factor at most 1/2 for one more entry. */
static int ptrset_grow(ptrset_t *s) {
    if ((s->count + 1) * 2 < s->cap) return 0;
    size_t cap = s->cap ? s->cap * 2 : 16;
    if (cap > SIZE_MAX / sizeof(void *)) return -1;
    const void **slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i]) *ptrset_slot(slots, cap, s->slots[i]) = s->slots[i];
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    return 0;
}

int ptrset_add(ptrset_t *s, const void *p) {
    if (s->cap && *ptrset_slot(s->slots, s->cap, p)) return 0;
    if (ptrset_grow(s) != 0) return -1;
    *ptrset_slot(s->slots, s->cap, p) = p;
    s->count++;
    return 1;
}

void ptrset_free(ptrset_t *s) {
    free(s->slots);
    memset(s, 0, sizeof *s);
}
