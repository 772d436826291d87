/* rt_wasm.c — wadup's implementation of the wasm2c runtime API
 * (/usr/include/wasm-rt.h): linear memories reserved with guard regions,
 * funcref/externref tables, the function-type registry, exceptions and
 * wasm_rt_trap. Memories and tables are recorded in the owner of the guest
 * call in progress (rt_current_owner) and charged to its memory budget. */
#include <wasm-rt.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rt/rt.h"

#define RT_PAGE_SIZE 65536u
/* wasm2c computes addresses as base + u32 address + u32 offset: reserving
 * 8 GiB plus a margin makes every such access land in the reservation. */
#define RT_MEMORY_RESERVATION ((size_t)8 << 30)
#define RT_MEMORY_MARGIN ((size_t)1 << 16)
/* wasm_rt_memory_t.size is a u32: 65535 pages is the largest representable. */
#define RT_MAX_PAGES 65535u
#define RT_MAX_TABLE_ELEMENTS 10000000u

/* ---- owners ---- */

void rt_owner_init(rt_owner_t *o, budget_t *budget) {
    memset(o, 0, sizeof *o);
    o->budget = budget;
    uint64_t pages = budget ? budget->limit / RT_PAGE_SIZE : RT_MAX_PAGES;
    o->max_pages = pages > RT_MAX_PAGES ? RT_MAX_PAGES : (uint32_t)pages;
}

static void rt_region_free(rt_owner_t *o, rt_region_t *r) {
    if (r->is_memory) munmap(r->base, r->reserved);
    else free(r->base);
    if (o->budget) budget_release(o->budget, r->charged);
    r->base = NULL;
    r->charged = 0;
}

void rt_owner_release(rt_owner_t *o) {
    for (size_t i = 0; i < o->nregions; i++) rt_region_free(o, &o->regions[i]);
    free(o->regions);
    o->regions = NULL;
    o->nregions = o->cap = 0;
}

static rt_region_t *rt_owner_find(rt_owner_t *o, const void *object) {
    for (size_t i = 0; o && i < o->nregions; i++)
        if (o->regions[i].object == object) return &o->regions[i];
    return NULL;
}

static rt_region_t *rt_owner_add(rt_owner_t *o) {
    if (o->nregions == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 4;
        rt_region_t *r = realloc(o->regions, cap * sizeof *r);
        if (!r) return NULL;
        o->regions = r;
        o->cap = cap;
    }
    rt_region_t *r = &o->regions[o->nregions++];
    memset(r, 0, sizeof *r);
    return r;
}

static bool rt_charge(rt_owner_t *o, uint64_t bytes) {
    return !o->budget || budget_charge(o->budget, bytes);
}

static rt_owner_t *rt_owner_or_die(void) {
    rt_owner_t *o = rt_current_owner();
    if (!o) abort(); /* wasm2c code running outside rt_call is a host bug */
    return o;
}

/* ---- runtime lifecycle ---- */

void wasm_rt_init(void) { rt_init(); }
bool wasm_rt_is_initialized(void) { return true; }
void wasm_rt_free(void) {}

WASM_RT_NO_RETURN void wasm_rt_trap(wasm_rt_trap_t trap) {
    rt_status_t s;
    switch (trap) {
    case WASM_RT_TRAP_OOB: s = RT_TRAP_OUT_OF_BOUNDS; break;
    case WASM_RT_TRAP_INT_OVERFLOW: s = RT_TRAP_INTEGER_OVERFLOW; break;
    case WASM_RT_TRAP_DIV_BY_ZERO: s = RT_TRAP_DIVIDE_BY_ZERO; break;
    case WASM_RT_TRAP_INVALID_CONVERSION: s = RT_TRAP_INVALID_CONVERSION; break;
    case WASM_RT_TRAP_UNREACHABLE: s = RT_TRAP_UNREACHABLE; break;
    case WASM_RT_TRAP_CALL_INDIRECT: s = RT_TRAP_INDIRECT_CALL; break;
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: s = RT_TRAP_UNCAUGHT_EXCEPTION; break;
    case WASM_RT_TRAP_EXHAUSTION: s = RT_TRAP_STACK_OVERFLOW; break;
    default: s = RT_TRAP_UNREACHABLE; break;
    }
    rt_raise(s);
}

const char *wasm_rt_strerror(wasm_rt_trap_t trap) {
    switch (trap) {
    case WASM_RT_TRAP_NONE: return "no error";
    case WASM_RT_TRAP_OOB: return rt_status_message(RT_TRAP_OUT_OF_BOUNDS);
    case WASM_RT_TRAP_INT_OVERFLOW: return rt_status_message(RT_TRAP_INTEGER_OVERFLOW);
    case WASM_RT_TRAP_DIV_BY_ZERO: return rt_status_message(RT_TRAP_DIVIDE_BY_ZERO);
    case WASM_RT_TRAP_INVALID_CONVERSION: return rt_status_message(RT_TRAP_INVALID_CONVERSION);
    case WASM_RT_TRAP_UNREACHABLE: return rt_status_message(RT_TRAP_UNREACHABLE);
    case WASM_RT_TRAP_CALL_INDIRECT: return rt_status_message(RT_TRAP_INDIRECT_CALL);
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return rt_status_message(RT_TRAP_UNCAUGHT_EXCEPTION);
    case WASM_RT_TRAP_EXHAUSTION: return rt_status_message(RT_TRAP_STACK_OVERFLOW);
    }
    return "unknown trap";
}

/* ---- function types: a process-wide registry, identical signatures share
 * an index (1-based; 0 never matches a real type) ---- */

typedef struct rt_functype {
    uint32_t nparams, nresults;
    wasm_rt_type_t *types;
} rt_functype_t;

static pthread_mutex_t rt_types_lock = PTHREAD_MUTEX_INITIALIZER;
static rt_functype_t *rt_types;
static uint32_t rt_ntypes, rt_types_cap;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
    uint32_t n = params + results;
    wasm_rt_type_t *types = malloc((n ? n : 1) * sizeof *types);
    if (!types) rt_raise(RT_TRAP_HOST_ERROR);
    va_list ap;
    va_start(ap, results);
    for (uint32_t i = 0; i < n; i++) types[i] = (wasm_rt_type_t)va_arg(ap, int);
    va_end(ap);
    pthread_mutex_lock(&rt_types_lock);
    for (uint32_t i = 0; i < rt_ntypes; i++) {
        rt_functype_t *t = &rt_types[i];
        if (t->nparams == params && t->nresults == results &&
            (n == 0 || memcmp(t->types, types, n * sizeof *types) == 0)) {
            pthread_mutex_unlock(&rt_types_lock);
            free(types);
            return i + 1;
        }
    }
    if (rt_ntypes == rt_types_cap) {
        uint32_t cap = rt_types_cap ? rt_types_cap * 2 : 64;
        rt_functype_t *grown = realloc(rt_types, cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&rt_types_lock);
            free(types);
            rt_raise(RT_TRAP_HOST_ERROR);
        }
        rt_types = grown;
        rt_types_cap = cap;
    }
    rt_types[rt_ntypes] = (rt_functype_t){params, results, types};
    uint32_t index = ++rt_ntypes;
    pthread_mutex_unlock(&rt_types_lock);
    return index;
}

/* ---- linear memories ---- */

void wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint32_t initial_pages, uint32_t max_pages) {
    rt_host_enter();
    rt_owner_t *o = rt_owner_or_die();
    memset(mem, 0, sizeof *mem);
    if (max_pages > RT_MAX_PAGES) max_pages = RT_MAX_PAGES;
    if (initial_pages > max_pages || initial_pages > o->max_pages) rt_raise(RT_TRAP_MEMORY_LIMIT);
    uint64_t bytes = (uint64_t)initial_pages * RT_PAGE_SIZE;
    rt_region_t *r = rt_owner_add(o);
    if (!r) rt_raise(RT_TRAP_HOST_ERROR);
    size_t reserve = RT_MEMORY_RESERVATION + RT_MEMORY_MARGIN;
    void *base = mmap(NULL, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) { o->nregions--; rt_raise(RT_TRAP_HOST_ERROR); }
    r->object = mem;
    r->base = base;
    r->reserved = reserve;
    r->is_memory = true;
    if (!rt_charge(o, bytes)) rt_raise(RT_TRAP_MEMORY_LIMIT);
    r->charged = bytes;
    if (bytes && mprotect(base, bytes, PROT_READ | PROT_WRITE) != 0) rt_raise(RT_TRAP_HOST_ERROR);
    mem->data = base;
    mem->pages = initial_pages;
    mem->max_pages = max_pages;
    mem->size = (uint32_t)bytes;
    rt_host_leave();
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint32_t delta) {
    rt_host_enter();
    rt_owner_t *o = rt_owner_or_die();
    uint32_t old = mem->pages;
    uint64_t want = (uint64_t)old + delta;
    rt_region_t *r = rt_owner_find(o, mem);
    uint32_t result = UINT32_MAX;
    if (delta == 0) {
        result = old;
    } else if (r && want <= mem->max_pages && want <= RT_MAX_PAGES) {
        uint64_t extra = (uint64_t)delta * RT_PAGE_SIZE;
        if (want > o->max_pages) {
            if (o->budget) o->budget->refused = true;
        } else if (rt_charge(o, extra)) {
            if (mprotect(mem->data, want * RT_PAGE_SIZE, PROT_READ | PROT_WRITE) == 0) {
                r->charged += extra;
                mem->pages = (uint32_t)want;
                mem->size = (uint32_t)(want * RT_PAGE_SIZE);
                result = old;
            } else if (o->budget) {
                budget_release(o->budget, extra);
            }
        }
    }
    rt_host_leave();
    return result;
}

void wasm_rt_free_memory(wasm_rt_memory_t *mem) {
    rt_owner_t *o = rt_current_owner();
    rt_region_t *r = rt_owner_find(o, mem);
    if (r && r->base) rt_region_free(o, r);
    memset(mem, 0, sizeof *mem);
}

/* ---- tables ---- */

static void *rt_table_allocate(void *table, uint32_t elements, size_t elem_size) {
    rt_owner_t *o = rt_owner_or_die();
    if (elements > RT_MAX_TABLE_ELEMENTS) rt_raise(RT_TRAP_MEMORY_LIMIT);
    uint64_t bytes = (uint64_t)elements * elem_size;
    rt_region_t *r = rt_owner_add(o);
    if (!r) rt_raise(RT_TRAP_HOST_ERROR);
    r->object = table;
    if (!rt_charge(o, bytes)) { o->nregions--; rt_raise(RT_TRAP_MEMORY_LIMIT); }
    r->charged = bytes;
    r->base = calloc(elements ? elements : 1, elem_size);
    if (!r->base) rt_raise(RT_TRAP_HOST_ERROR);
    return r->base;
}

/* rt_table_grow: grow table storage to `want` elements; returns the new
 * data pointer or NULL if refused (nothing changed then). */
static void *rt_table_grow(void *table, uint32_t old, uint32_t want, size_t elem_size) {
    rt_owner_t *o = rt_owner_or_die();
    rt_region_t *r = rt_owner_find(o, table);
    if (!r || want > RT_MAX_TABLE_ELEMENTS) return NULL;
    uint64_t extra = (uint64_t)(want - old) * elem_size;
    if (!rt_charge(o, extra)) return NULL;
    void *grown = realloc(r->base, (size_t)want * elem_size);
    if (!grown) { budget_release(o->budget, extra); return NULL; }
    r->base = grown;
    r->charged += extra;
    return grown;
}

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *t, uint32_t elements, uint32_t max) {
    rt_host_enter();
    t->data = rt_table_allocate(t, elements, sizeof *t->data);
    t->size = elements;
    t->max_size = max;
    rt_host_leave();
}

void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t *t, uint32_t elements, uint32_t max) {
    rt_host_enter();
    t->data = rt_table_allocate(t, elements, sizeof *t->data);
    t->size = elements;
    t->max_size = max;
    rt_host_leave();
}

static void rt_table_free(void *table) {
    rt_owner_t *o = rt_current_owner();
    rt_region_t *r = rt_owner_find(o, table);
    if (r && r->base) rt_region_free(o, r);
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *t) { rt_table_free(t); t->data = NULL; t->size = 0; }
void wasm_rt_free_externref_table(wasm_rt_externref_table_t *t) { rt_table_free(t); t->data = NULL; t->size = 0; }

/* RT_DEFINE_TABLE_GROW: wasm_rt_grow_<type>_table for one table type. */
#define RT_DEFINE_TABLE_GROW(type)                                                                   \
    uint32_t wasm_rt_grow_##type##_table(wasm_rt_##type##_table_t *t, uint32_t delta, wasm_rt_##type##_t init) { \
        rt_host_enter();                                                                             \
        uint32_t old = t->size, result = UINT32_MAX;                                                 \
        uint64_t want = (uint64_t)old + delta;                                                       \
        if (delta == 0) {                                                                            \
            result = old;                                                                            \
        } else if (want <= t->max_size) {                                                            \
            wasm_rt_##type##_t *data = rt_table_grow(t, old, (uint32_t)want, sizeof *data);          \
            if (data) {                                                                              \
                for (uint64_t i = old; i < want; i++) data[i] = init;                                \
                t->data = data;                                                                      \
                t->size = (uint32_t)want;                                                            \
                result = old;                                                                        \
            }                                                                                        \
        }                                                                                            \
        rt_host_leave();                                                                             \
        return result;                                                                               \
    }

RT_DEFINE_TABLE_GROW(funcref)
RT_DEFINE_TABLE_GROW(externref)

/* ---- exceptions (per thread) ---- */

#define RT_MAX_EXCEPTION_SIZE 256
static __thread uint32_t rt_exception_tag, rt_exception_size;
static __thread uint8_t rt_exception_data[RT_MAX_EXCEPTION_SIZE];
static __thread WASM_RT_UNWIND_TARGET *rt_unwind_target;
static uint32_t rt_next_tag;
static pthread_mutex_t rt_tag_lock = PTHREAD_MUTEX_INITIALIZER;

uint32_t wasm_rt_register_tag(uint32_t size) {
    (void)size;
    pthread_mutex_lock(&rt_tag_lock);
    uint32_t tag = rt_next_tag++;
    pthread_mutex_unlock(&rt_tag_lock);
    return tag;
}

void wasm_rt_load_exception(uint32_t tag, uint32_t size, const void *values) {
    if (size > RT_MAX_EXCEPTION_SIZE) rt_raise(RT_TRAP_UNCAUGHT_EXCEPTION);
    rt_exception_tag = tag;
    rt_exception_size = size;
    if (size) memcpy(rt_exception_data, values, size);
}

WASM_RT_NO_RETURN void wasm_rt_throw(void) {
    if (!rt_unwind_target) rt_raise(RT_TRAP_UNCAUGHT_EXCEPTION);
    longjmp(*rt_unwind_target, WASM_RT_TRAP_UNCAUGHT_EXCEPTION);
}

WASM_RT_UNWIND_TARGET *wasm_rt_get_unwind_target(void) { return rt_unwind_target; }
void wasm_rt_set_unwind_target(WASM_RT_UNWIND_TARGET *target) { rt_unwind_target = target; }
uint32_t wasm_rt_exception_tag(void) { return rt_exception_tag; }
uint32_t wasm_rt_exception_size(void) { return rt_exception_size; }
void *wasm_rt_exception(void) { return rt_exception_data; }
