/* aot_split.c — splitting wasm2c's module.c into translation units (see
 * aot_split.h for the layout and the contract).
 *
 * The parser works on whole lines and relies on how wasm2c 1.0.32 writes
 * (src/c-writer.cc): top-level items start in column 0, everything inside
 * a brace is indented, a function definition ends with a line that is
 * exactly "}", a forward declaration is one line ending in ");". */
#include "aot/aot_split.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The last line of wasm2c's prelude template (wasm2c.declarations.c). */
static const char aot_prelude_end[] = "static bool s_module_initialized = false;";
static const char aot_hidden[] = "__attribute__((visibility(\"hidden\"))) ";

/* ---- the parsed file ---- */

typedef enum { ITEM_TEXT, ITEM_FDECL, ITEM_FDEF, ITEM_OBJ } item_kind_t;

/* A top-level stretch of module.c after the prelude. */
typedef struct item {
    item_kind_t kind;
    size_t off, len;     /* bytes of the original text (whole lines) */
    uint32_t sym;        /* FDECL, FDEF, OBJ: index into syms */
} item_t;

/* A wasm function (w2c_*) or a static object of the module state. */
typedef struct sym {
    size_t name_off, name_len;
    bool is_func;
    bool shared;         /* used from another unit: not static, declared in common.h */
    uint32_t decl, def;  /* FDECL / FDEF item + 1 (0 = none); OBJ: its item + 1 in def */
    uint32_t unit;       /* FDEF: the part it goes to (1-based) */
} sym_t;

/* A small function defined again, static and renamed, in a unit that
 * calls it (see aot_split.h). */
typedef struct copy {
    uint32_t unit, sym;
} copy_t;

typedef struct parse {
    const char *text;
    size_t len, prelude_len;
    item_t *items; size_t nitems, items_cap;
    sym_t *syms; size_t nsyms, syms_cap;
    uint32_t *table; size_t table_cap;   /* open addressing: sym index + 1, 0 = empty */
    copy_t *copies; size_t ncopies, copies_cap;  /* in unit order */
    uint64_t *copy_set; size_t copy_set_cap;     /* (sym << 32 | unit) + 1 of every copy, 0 = empty */
    buf_t *why;
} parse_t;

/* grow: make room for one more element of `size` bytes in *arr. */
static int grow(void **arr, size_t *cap, size_t n, size_t size) {
    if (n < *cap) return 0;
    size_t want = *cap ? *cap * 2 : 256;
    if (want > SIZE_MAX / size) return -1;
    void *p = realloc(*arr, want * size);
    if (!p) return -1;
    *arr = p;
    *cap = want;
    return 0;
}

/* add_item: append an item; consecutive TEXT lines merge. Returns 0 or -1. */
static int add_item(parse_t *p, item_kind_t kind, size_t off, size_t len, uint32_t sym) {
    if (kind == ITEM_TEXT && p->nitems && p->items[p->nitems - 1].kind == ITEM_TEXT &&
        p->items[p->nitems - 1].off + p->items[p->nitems - 1].len == off) {
        p->items[p->nitems - 1].len += len;
        return 0;
    }
    if (grow((void **)&p->items, &p->items_cap, p->nitems, sizeof *p->items) != 0) return -1;
    p->items[p->nitems++] = (item_t){kind, off, len, sym};
    return 0;
}

/* ---- the symbol table ---- */

/* name_hash: FNV-1a of s[0..n) (the names are wasm2c's, not chosen by the module). */
static uint64_t name_hash(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull;  /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h;
}

/* sym_find: the index + 1 of the symbol named s[0..n), or 0. */
static uint32_t sym_find(const parse_t *p, const char *s, size_t n) {
    if (!p->table_cap) return 0;
    size_t mask = p->table_cap - 1;
    for (size_t i = (size_t)name_hash(s, n) & mask;; i = (i + 1) & mask) {
        uint32_t e = p->table[i];
        if (!e) return 0;
        const sym_t *y = &p->syms[e - 1];
        if (y->name_len == n && memcmp(p->text + y->name_off, s, n) == 0) return e;
    }
}

/* table_rehash: a table of twice the symbols' count, rounded to a power of 2. */
static int table_rehash(parse_t *p) {
    size_t cap = 1024;
    while (cap < p->nsyms * 2 + 2) cap *= 2;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t) return -1;
    free(p->table);
    p->table = t;
    p->table_cap = cap;
    for (size_t k = 0; k < p->nsyms; k++) {
        const sym_t *y = &p->syms[k];
        size_t i = (size_t)name_hash(p->text + y->name_off, y->name_len) & (cap - 1);
        while (t[i]) i = (i + 1) & (cap - 1);
        t[i] = (uint32_t)(k + 1);
    }
    return 0;
}

/* sym_get: the symbol named s[0..n), created (is_func as given) if new.
 * Returns its index + 1, or 0 when out of memory. */
static uint32_t sym_get(parse_t *p, const char *s, size_t n, bool is_func) {
    uint32_t e = sym_find(p, s, n);
    if (e) return e;
    if (p->nsyms >= UINT32_MAX - 1) return 0;
    if (grow((void **)&p->syms, &p->syms_cap, p->nsyms, sizeof *p->syms) != 0) return 0;
    p->syms[p->nsyms++] = (sym_t){(size_t)(s - p->text), n, is_func, false, 0, 0, 0};
    if (p->nsyms * 2 + 2 > p->table_cap) return table_rehash(p) == 0 ? (uint32_t)p->nsyms : 0;
    size_t mask = p->table_cap - 1, i = (size_t)name_hash(s, n) & mask;
    while (p->table[i]) i = (i + 1) & mask;
    p->table[i] = (uint32_t)p->nsyms;
    return (uint32_t)p->nsyms;
}

/* ---- lines ---- */

/* is_ident: a character of a C identifier (or number). */
static bool is_ident(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* line_end: the offset just past the line starting at off (its '\n'
 * included; the end of the text for a last line without one). */
static size_t line_end(const parse_t *p, size_t off) {
    const char *nl = memchr(p->text + off, '\n', p->len - off);
    return nl ? (size_t)(nl - p->text) + 1 : p->len;
}

/* line_is: the line [off, end) is exactly s (without its newline). */
static bool line_is(const parse_t *p, size_t off, size_t end, const char *s) {
    size_t n = strlen(s);
    size_t len = end - off;
    if (len && p->text[end - 1] == '\n') len--;
    return len == n && memcmp(p->text + off, s, n) == 0;
}

/* line_ends_with: the line's text (without its newline) ends with s. */
static bool line_ends_with(const parse_t *p, size_t off, size_t end, const char *s) {
    size_t n = strlen(s);
    size_t len = end - off;
    if (len && p->text[end - 1] == '\n') len--;
    return len >= n && memcmp(p->text + off + len - n, s, n) == 0;
}

/* declared_name: in a line starting "static ", the identifier before the
 * first '(' (*is_func) or before the first '[', '=' or ';', whichever
 * comes first. Returns its offset with its length in *n, or 0 if none. */
static size_t declared_name(const parse_t *p, size_t off, size_t end, size_t *n, bool *is_func) {
    size_t i = off + 7;  /* after "static " */
    while (i < end && !strchr("([=;\n", p->text[i])) i++;
    if (i >= end || p->text[i] == '\n') return 0;
    *is_func = p->text[i] == '(';
    size_t e = i;
    while (e > off + 7 && p->text[e - 1] == ' ') e--;
    size_t s = e;
    while (s > off + 7 && is_ident(p->text[s - 1])) s--;
    *n = e - s;
    return *n && !(p->text[s] >= '0' && p->text[s] <= '9') ? s : 0;
}

/* ---- parsing ---- */

/* decline: record why the text cannot be split. */
static int decline(parse_t *p, const char *what, size_t off) {
    size_t line = 1;
    for (const char *c = p->text; (c = memchr(c, '\n', (size_t)(p->text + off - c))); c++) line++;
    buf_printf(p->why, "%s at line %zu of wasm2c's output", what, line);
    return AOT_SPLIT_DECLINED;
}

/* parse_function: a w2c_* definition starting at off: up to and including
 * the line that is exactly "}". Its header is the first line and
 * continuation lines (indented), the last ending in " {". Returns the end
 * offset, or 0 if the shape is wrong. */
static size_t parse_function(const parse_t *p, size_t off) {
    size_t pos = off, end = line_end(p, pos);
    while (!line_ends_with(p, pos, end, ") {")) {
        if (end >= p->len || p->text[end] != ' ') return 0;
        pos = end;
        end = line_end(p, pos);
    }
    for (pos = end; pos < p->len; pos = end) {
        end = line_end(p, pos);
        if (p->text[pos] == '}') return line_is(p, pos, end, "}") ? end : 0;
        if (p->text[pos] != ' ' && p->text[pos] != '\n') return 0;
    }
    return 0;
}

/* parse_static: a top-level line starting "static " at off: a wasm
 * function's declaration or definition, a module-state object, or other
 * text (the init functions). Sets *next. Returns 0, -1 (memory) or
 * AOT_SPLIT_DECLINED. */
static int parse_static(parse_t *p, size_t off, size_t end, size_t *next) {
    size_t n;
    bool is_func = false;
    size_t name = declared_name(p, off, end, &n, &is_func);
    *next = end;
    if (!name || (is_func && (n < 5 || memcmp(p->text + name, "w2c_", 4) != 0)))
        return add_item(p, ITEM_TEXT, off, end - off, 0);
    uint32_t s = sym_get(p, p->text + name, n, is_func);
    if (!s) return -1;
    sym_t *y = &p->syms[s - 1];
    if (y->is_func != is_func) return decline(p, "a name used for a function and an object", off);
    uint32_t *slot = !is_func ? &y->def : line_ends_with(p, off, end, ");") ? &y->decl : &y->def;
    if (*slot) return decline(p, "a name declared twice", off);
    item_kind_t kind = !is_func ? ITEM_OBJ : slot == &y->decl ? ITEM_FDECL : ITEM_FDEF;
    if (kind == ITEM_FDEF && !(*next = parse_function(p, off))) return decline(p, "an unexpected function shape", off);
    if (add_item(p, kind, off, *next - off, s - 1) != 0) return -1;
    *slot = (uint32_t)p->nitems;
    return 0;
}

/* parse_body: everything after the prelude into items. */
static int parse_body(parse_t *p) {
    for (size_t off = p->prelude_len, next; off < p->len; off = next) {
        size_t end = line_end(p, off);
        int rc;
        if (p->text[off] == '#') return decline(p, "a preprocessor line after the prelude", off);
        if (end - off > 7 && memcmp(p->text + off, "static ", 7) == 0) {
            rc = parse_static(p, off, end, &next);
        } else {
            next = end;
            rc = add_item(p, ITEM_TEXT, off, end - off, 0);
        }
        if (rc != 0) return rc;
    }
    for (size_t i = 0; i < p->nsyms; i++)
        if (p->syms[i].is_func && (!p->syms[i].decl || !p->syms[i].def))
            return decline(p, "a function without both declaration and definition", p->syms[i].name_off);
    return 0;
}

/* find_prelude: the prelude ends after its last line (aot_prelude_end). */
static int find_prelude(parse_t *p) {
    for (size_t off = 0, end; off < p->len; off = end) {
        end = line_end(p, off);
        if (line_is(p, off, end, aot_prelude_end)) {
            p->prelude_len = end;
            return 0;
        }
    }
    return decline(p, "no end of the wasm2c prelude", p->len);
}

/* ---- units and references ---- */

/* assign_units: wasm functions in file order into units of about `target`
 * bytes; a huge function gets a unit of its own. Returns the unit count. */
static uint32_t assign_units(parse_t *p, size_t total) {
    size_t want = (total + AOT_SPLIT_UNIT_BYTES - 1) / AOT_SPLIT_UNIT_BYTES;
    size_t floor_units = (total + AOT_SPLIT_MIN_UNIT_BYTES - 1) / AOT_SPLIT_MIN_UNIT_BYTES;
    if (want < 4) want = floor_units < 4 ? floor_units : 4;
    if (want > AOT_SPLIT_MAX_UNITS) want = AOT_SPLIT_MAX_UNITS;
    if (want < 1) want = 1;
    size_t target = total / want + 1, fill = 0;
    uint32_t unit = 0;
    bool last_huge = false;
    for (size_t i = 0; i < p->nitems; i++) {
        item_t *it = &p->items[i];
        if (it->kind != ITEM_FDEF) continue;
        bool huge = it->len >= AOT_SPLIT_HUGE_BYTES;
        if (unit == 0 || huge || last_huge || (fill >= target && unit < AOT_SPLIT_MAX_UNITS)) {
            unit++;
            fill = 0;
        }
        p->syms[it->sym].unit = unit;
        fill += it->len;
        last_huge = huge;
    }
    return unit;
}

/* ---- copies of small functions ---- */

/* copy_key: the set's key of "unit has a copy of sym" (never 0). */
static uint64_t copy_key(uint32_t sym, uint32_t unit) { return ((uint64_t)sym << 32 | unit) + 1; }

/* copy_slot: where key is, or the empty slot where it would go. */
static size_t copy_slot(const parse_t *p, uint64_t key) {
    size_t mask = p->copy_set_cap - 1, i = (size_t)(key * 0x9e3779b97f4a7c15ull) & mask;
    while (p->copy_set[i] && p->copy_set[i] != key) i = (i + 1) & mask;
    return i;
}

/* is_copied: does unit `unit` have its own copy of function `sym`? */
static bool is_copied(const parse_t *p, uint32_t sym, uint32_t unit) {
    return p->copy_set_cap && p->copy_set[copy_slot(p, copy_key(sym, unit))] != 0;
}

/* copy_set_grow: keep the set at most half full. */
static int copy_set_grow(parse_t *p) {
    if ((p->ncopies + 1) * 2 <= p->copy_set_cap) return 0;
    size_t cap = p->copy_set_cap ? p->copy_set_cap * 2 : 1024;
    uint64_t *old = p->copy_set;
    size_t old_cap = p->copy_set_cap;
    if (!(p->copy_set = calloc(cap, sizeof *p->copy_set))) { p->copy_set = old; return -1; }
    p->copy_set_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i]) p->copy_set[copy_slot(p, old[i])] = old[i];
    free(old);
    return 0;
}

/* add_copy: give unit `unit` a copy of `sym` (once). Returns 0 or -1. */
static int add_copy(parse_t *p, uint32_t sym, uint32_t unit) {
    if (is_copied(p, sym, unit)) return 0;
    if (copy_set_grow(p) != 0 || grow((void **)&p->copies, &p->copies_cap, p->ncopies, sizeof *p->copies) != 0)
        return -1;
    p->copy_set[copy_slot(p, copy_key(sym, unit))] = copy_key(sym, unit);
    p->copies[p->ncopies++] = (copy_t){unit, sym};
    return 0;
}

/* ---- references ---- */

/* next_sym: the next symbol named in text[*i, end) (advancing *i past
 * it), as its index + 1; 0 at the end. Numbers are skipped. */
static uint32_t next_sym(const parse_t *p, size_t *i, size_t end) {
    const char *t = p->text;
    while (*i < end) {
        if (!is_ident(t[*i])) { (*i)++; continue; }
        size_t s = *i;
        while (*i < end && is_ident(t[*i])) (*i)++;
        if (t[s] >= '0' && t[s] <= '9') continue;
        uint32_t e = sym_find(p, t + s, *i - s);
        if (e) return e;
    }
    return 0;
}

/* find_copies: every small function that a unit's functions call but
 * that lives in another unit gets a copy in the caller's unit. */
static int find_copies(parse_t *p) {
    for (size_t k = 0; k < p->nitems; k++) {
        const item_t *it = &p->items[k];
        if (it->kind != ITEM_FDEF) continue;
        uint32_t unit = p->syms[it->sym].unit;
        size_t i = it->off, end = it->off + it->len;
        for (uint32_t e; (e = next_sym(p, &i, end));) {
            const sym_t *y = &p->syms[e - 1];
            if (y->is_func && y->unit != unit && p->items[y->def - 1].len <= AOT_SPLIT_COPY_BYTES &&
                add_copy(p, e - 1, unit) != 0)
                return -1;
        }
    }
    return 0;
}

/* mark_refs: every symbol named in text[off, off+len) that lives in
 * another unit than `unit` (0 = main; UINT32_MAX = every unit, for the
 * prelude) and has no copy there becomes shared. */
static void mark_refs(parse_t *p, size_t off, size_t len, uint32_t unit) {
    size_t i = off;
    for (uint32_t e; (e = next_sym(p, &i, off + len));) {
        sym_t *y = &p->syms[e - 1];
        if (y->is_func ? y->unit != unit && !is_copied(p, e - 1, unit) : unit != 0) y->shared = true;
    }
}

/* ---- writing ---- */

/* write_all: write b to path (created 0600). Returns 0 or -1 (errno). */
static int write_all(const char *path, const buf_t *b) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    size_t done = 0;
    while (done < b->len) {
        ssize_t n = write(fd, b->data + done, b->len - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    return close(fd);
}

/* decl_span: an object's definition line reduced to a declaration: the
 * text after "static " up to " =" or ";" (into *off, *len). */
static void decl_span(const parse_t *p, const item_t *it, size_t *off, size_t *len) {
    size_t s = it->off + 7, e = s;
    while (e < it->off + it->len && p->text[e] != '=' && p->text[e] != ';' && p->text[e] != '\n') e++;
    while (e > s && p->text[e - 1] == ' ') e--;
    *off = s;
    *len = e - s;
}

/* common_header: the prelude and the shared declarations. */
static int common_header(const parse_t *p, buf_t *h) {
    int rc = buf_append_str(h, "/* common.h — generated by wadup from wasm2c's output: the shared prelude\n"
                               " * and the declarations used across units. */\n");
    rc |= buf_append(h, p->text, p->prelude_len);
    rc |= buf_append_str(h, "\n/* Used across units. */\n");
    for (size_t i = 0; i < p->nitems && rc == 0; i++) {
        const item_t *it = &p->items[i];
        if ((it->kind != ITEM_FDECL && it->kind != ITEM_OBJ) || !p->syms[it->sym].shared) continue;
        size_t off = it->off + 7, len = it->len - 7;
        if (it->kind == ITEM_OBJ) decl_span(p, it, &off, &len);
        rc |= buf_append_str(h, aot_hidden);
        rc |= buf_append_str(h, it->kind == ITEM_OBJ ? "extern " : "");
        rc |= buf_append(h, p->text + off, len);
        rc |= buf_append_str(h, it->kind == ITEM_OBJ ? ";\n" : "");
    }
    return rc ? -1 : 0;
}

/* ---- init_memories as a table ---- */

static const char aot_init_memories[] = "static void init_memories(Z_mod_instance_t* instance) {\n";

/* load_data_line: a line "  LOAD_DATA(MEM, 123u, NAME, 45);" (NAME may be
 * NULL): the spans of MEM and of "123u, NAME, 45". Returns false for any
 * other shape. */
static bool load_data_line(const char *l, size_t n, size_t *mem_len, size_t *args_off, size_t *args_len) {
    static const char head[] = "  LOAD_DATA(";
    size_t h = sizeof head - 1;
    if (n < h + 4 || memcmp(l, head, h) != 0 || memcmp(l + n - 3, ");\n", 3) != 0) return false;
    const char *comma = memchr(l + h, ',', n - h);
    if (!comma) return false;
    *mem_len = (size_t)(comma - l) - h;
    size_t i = (size_t)(comma - l) + 2, fields = 0;
    *args_off = i;
    while (i < n - 3) {  /* digits "u", identifier, digits: separated by ", " */
        size_t s = i;
        while (i < n - 3 && is_ident(l[i])) i++;
        if (i == s) return false;
        if (fields == 0 && !(l[i - 1] == 'u' && i - s >= 2 && l[s] >= '0' && l[s] <= '9')) return false;
        fields++;
        if (i < n - 3 && (l[i] != ',' || l[i + 1] != ' ' || (i += 2) >= n - 3)) return false;
    }
    *args_len = i - *args_off;
    return fields == 3 && is_ident(l[h]);
}

/* table_init_memories: the function text [off, end) (after its first line)
 * rewritten as a table of segments and one loop over it, when it is a run
 * of at least 16 LOAD_DATA lines after the memory allocations and all load
 * into the same memory; else 0 (and nothing is written). A module with
 * thousands of data segments (Go) otherwise makes one function of
 * thousands of inlined range checks and copies: 46 s and 1.7 GB of cc1.
 * The loop does the same checks and copies in the same order. */
static int table_init_memories(const parse_t *p, size_t off, size_t end, buf_t *m, bool *done) {
    const char *t = p->text;
    size_t first = off, nloads = 0, mem_off = 0, mem_len = 0;
    *done = false;
    while (first < end && memcmp(t + first, "  wasm_rt_allocate_memory(", 26) == 0) first = line_end(p, first);
    for (size_t l = first, e; l < end; l = e) {
        e = line_end(p, l);
        size_t ml, ao, al;
        if (line_is(p, l, e, "}") && e == end) break;
        if (!load_data_line(t + l, e - l, &ml, &ao, &al)) return 0;
        if (nloads++ == 0) { mem_off = l + 12; mem_len = ml; }
        else if (ml != mem_len || memcmp(t + l + 12, t + mem_off, ml) != 0) return 0;
    }
    if (nloads < 16) return 0;
    int rc = buf_append_str(m, "static const struct { u32 offset; const u8 *data; size_t size; } wadup_segments[] = {\n");
    for (size_t l = first, e; l < end && rc == 0; l = e) {
        e = line_end(p, l);
        size_t ml, ao, al;
        if (!load_data_line(t + l, e - l, &ml, &ao, &al)) break;
        rc |= buf_printf(m, "  {%.*s},\n", (int)al, t + l + ao);
    }
    rc |= buf_append_str(m, "};\n");
    rc |= buf_append_str(m, aot_init_memories);
    rc |= buf_append(m, t + off, first - off);
    rc |= buf_printf(m, "  for (size_t wadup_i = 0; wadup_i < %zu; wadup_i++)\n    LOAD_DATA(%.*s, wadup_segments[wadup_i].offset, "
                        "wadup_segments[wadup_i].data, wadup_segments[wadup_i].size);\n}\n",
                     nloads, (int)mem_len, t + mem_off);
    *done = true;
    return rc ? -1 : 0;
}

/* main_text: a TEXT item of main, with init_memories as a table if it is in it. */
static int main_text(const parse_t *p, const item_t *it, buf_t *m) {
    const char *t = p->text, *f = memmem(t + it->off, it->len, aot_init_memories, sizeof aot_init_memories - 1);
    size_t end = it->off + it->len;
    if (!f || (f != t + it->off && f[-1] != '\n')) return buf_append(m, t + it->off, it->len);
    size_t start = (size_t)(f - t), body = start + sizeof aot_init_memories - 1, close = body;
    while (close < end && !line_is(p, close, line_end(p, close), "}")) close = line_end(p, close);
    if (close >= end) return buf_append(m, t + it->off, it->len);
    size_t after = line_end(p, close);
    bool done = false;
    int rc = buf_append(m, t + it->off, start - it->off);
    if (rc == 0) rc = table_init_memories(p, body, after, m, &done);
    if (rc == 0 && !done) rc = buf_append(m, t + start, after - start);
    if (rc == 0) rc = buf_append(m, t + after, end - after);
    return rc;
}

/* main_unit: module state, initialisers and exports, without the
 * functions; shared objects lose their "static". */
static int main_unit(const parse_t *p, buf_t *m) {
    int rc = buf_append_str(m, "/* main.c — generated by wadup: module state and exports. */\n#include \"common.h\"\n");
    for (size_t i = 0; i < p->nitems && rc == 0; i++) {
        const item_t *it = &p->items[i];
        if (it->kind == ITEM_FDECL || it->kind == ITEM_FDEF) continue;
        bool strip = it->kind == ITEM_OBJ && p->syms[it->sym].shared;
        if (it->kind == ITEM_TEXT) rc |= main_text(p, it, m);
        else rc |= buf_append(m, p->text + it->off + (strip ? 7 : 0), it->len - (strip ? 7 : 0));
    }
    return rc ? -1 : 0;
}

/* part_copies: the copies unit `u` holds (from p->copies[*c] on, which
 * are in unit order): a macro that renames each, so that the unit's calls
 * reach its own copy and the names cannot clash with common.h, then their
 * declarations; *end is set past them. */
static int part_copies(const parse_t *p, uint32_t u, size_t *c, size_t *end, buf_t *b) {
    int rc = 0;
    while (*c < p->ncopies && p->copies[*c].unit < u) (*c)++;
    for (*end = *c; *end < p->ncopies && p->copies[*end].unit == u && rc == 0; (*end)++) {
        const sym_t *y = &p->syms[p->copies[*end].sym];
        rc |= buf_printf(b, "#define %.*s wadup_copy_%.*s\n", (int)y->name_len, p->text + y->name_off,
                         (int)y->name_len, p->text + y->name_off);
    }
    for (size_t k = *c; k < *end && rc == 0; k++) {
        const item_t *d = &p->items[p->syms[p->copies[k].sym].decl - 1];
        rc |= buf_append(b, p->text + d->off, d->len);
    }
    return rc ? -1 : 0;
}

/* part_unit: the functions of unit `u` (items from *pos on, copies from
 * *copy on), declarations first. Advances *pos and *copy past the unit. */
static int part_unit(const parse_t *p, uint32_t u, size_t *pos, size_t *copy, buf_t *b, bool *huge) {
    size_t copies_end = *copy;
    int rc = buf_printf(b, "/* part %u — generated by wadup: wasm functions. */\n#include \"common.h\"\n", u);
    if (rc == 0) rc = part_copies(p, u, copy, &copies_end, b);
    size_t first = *pos, last = *pos;
    for (size_t i = first; i < p->nitems && rc == 0; i++) {
        const item_t *it = &p->items[i];
        if (it->kind != ITEM_FDEF) continue;
        const sym_t *y = &p->syms[it->sym];
        if (y->unit != u) break;
        last = i + 1;
        if (!y->shared) rc |= buf_append(b, p->text + p->items[y->decl - 1].off, p->items[y->decl - 1].len);
    }
    *huge = false;
    for (size_t i = first; i < last && rc == 0; i++) {
        const item_t *it = &p->items[i];
        if (it->kind != ITEM_FDEF) continue;
        bool strip = p->syms[it->sym].shared;
        rc |= buf_append(b, p->text + it->off + (strip ? 7 : 0), it->len - (strip ? 7 : 0));
        if (it->len >= AOT_SPLIT_HUGE_BYTES) *huge = true;
    }
    for (size_t k = *copy; k < copies_end && rc == 0; k++) {
        const item_t *d = &p->items[p->syms[p->copies[k].sym].def - 1];
        rc |= buf_append(b, p->text + d->off, d->len);  /* keeps its "static" */
    }
    *pos = last;
    *copy = copies_end;
    return rc ? -1 : 0;
}

/* emit_unit: write one unit's text to <dir>/<name> and list it. */
static int emit_unit(const char *dir, const char *name, const buf_t *b, bool huge, aot_split_t *out, buf_t *why) {
    buf_t path = BUF_INIT;
    if (buf_printf(&path, "%s/%s", dir, name) != 0) return -1;
    if (write_all(buf_cstr(&path), b) != 0) {
        buf_printf(why, "cannot write %s: %s", buf_cstr(&path), strerror(errno));
        buf_free(&path);
        return -1;
    }
    aot_unit_t *u = &out->units[out->nunits++];
    u->bytes = b->len;
    u->huge = huge;
    u->path = buf_steal(&path);
    return u->path ? 0 : -1;
}

/* write_units: common.h, main.c and the parts. */
static int write_units(const parse_t *p, const char *dir, uint32_t nparts, aot_split_t *out, buf_t *why) {
    out->units = calloc((size_t)nparts + 1, sizeof *out->units);
    if (!out->units) return -1;
    buf_t b = BUF_INIT;
    int rc = common_header(p, &b);
    if (rc == 0) {
        buf_t path = BUF_INIT;
        rc = buf_printf(&path, "%s/common.h", dir) == 0 && write_all(buf_cstr(&path), &b) == 0 ? 0 : -1;
        if (rc != 0) buf_printf(why, "cannot write %s: %s", buf_cstr(&path), strerror(errno));
        buf_free(&path);
    }
    buf_reset(&b);
    if (rc == 0) rc = main_unit(p, &b) == 0 ? emit_unit(dir, "main.c", &b, false, out, why) : -1;
    size_t pos = 0, copy = 0;
    for (uint32_t u = 1; u <= nparts && rc == 0; u++) {
        char name[32];
        bool huge;
        buf_reset(&b);
        snprintf(name, sizeof name, "part-%03u.c", u);
        rc = part_unit(p, u, &pos, &copy, &b, &huge) == 0 ? emit_unit(dir, name, &b, huge, out, why) : -1;
    }
    buf_free(&b);
    return rc;
}

/* ---- the whole ---- */

/* read_file: the whole of path into b. */
static int read_file(const char *path, buf_t *b) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = 0;
    for (;;) {
        if (buf_reserve(b, 1 << 20) != 0) { rc = -1; errno = ENOMEM; break; }
        ssize_t n = read(fd, b->data + b->len, b->cap - b->len - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { rc = n < 0 ? -1 : 0; break; }
        b->len += (size_t)n;
    }
    close(fd);
    return rc;
}

/* split_parsed: units, references, files. */
static int split_parsed(parse_t *p, const char *dir, aot_split_t *out) {
    size_t total = 0;
    for (size_t i = 0; i < p->nitems; i++)
        if (p->items[i].kind == ITEM_FDEF) { total += p->items[i].len; out->nfuncs++; }
    uint32_t nparts = assign_units(p, total);
    if (nparts > 1 && find_copies(p) != 0) {
        buf_append_str(p->why, "out of memory splitting the generated C");
        return AOT_SPLIT_ERROR;
    }
    /* The prelude's macros name module state too (CALL_INDIRECT: func_types). */
    mark_refs(p, 0, p->prelude_len, UINT32_MAX);
    for (size_t i = 0; i < p->nitems; i++) {
        const item_t *it = &p->items[i];
        if (it->kind == ITEM_FDEF) mark_refs(p, it->off, it->len, p->syms[it->sym].unit);
        else if (it->kind == ITEM_TEXT || it->kind == ITEM_OBJ) mark_refs(p, it->off, it->len, 0);
    }
    for (size_t k = 0; k < p->ncopies; k++) {
        const item_t *d = &p->items[p->syms[p->copies[k].sym].def - 1];
        mark_refs(p, d->off, d->len, p->copies[k].unit);
    }
    out->ncopies = p->ncopies;
    for (size_t i = 0; i < p->nsyms; i++) out->nshared += p->syms[i].is_func && p->syms[i].shared;
    return write_units(p, dir, nparts, out, p->why) == 0 ? AOT_SPLIT_OK : AOT_SPLIT_ERROR;
}

int aot_split_source(const char *dir, const char *csrc, aot_split_t *out, buf_t *why) {
    memset(out, 0, sizeof *out);
    buf_t text = BUF_INIT;
    if (read_file(csrc, &text) != 0) {
        buf_printf(why, "cannot read %s: %s", csrc, strerror(errno));
        buf_free(&text);
        return AOT_SPLIT_ERROR;
    }
    parse_t p = {.text = buf_cstr(&text), .len = text.len, .why = why};
    int rc = find_prelude(&p);
    if (rc == 0) rc = parse_body(&p);
    if (rc == 0) rc = split_parsed(&p, dir, out);
    else if (rc < 0) buf_append_str(why, "out of memory splitting the generated C");
    if (rc != AOT_SPLIT_OK) aot_split_free(out);
    free(p.items);
    free(p.syms);
    free(p.table);
    free(p.copies);
    free(p.copy_set);
    buf_free(&text);
    return rc;
}

void aot_split_free(aot_split_t *s) {
    for (size_t i = 0; i < s->nunits; i++) free(s->units[i].path);
    free(s->units);
    memset(s, 0, sizeof *s);
}
