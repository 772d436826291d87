/* fuzz_wasm.c — libFuzzer harness for wadup's WebAssembly reader
 * (src/wasm/wasm_module.h, wasm_custom.h).
 *
 * The whole input is a candidate module. Checked for every input:
 *  - wmod_parse returns 0 or -1, never crashes, leaks or reads outside the
 *    input (ASan); with an error buffer the message is NUL-terminated
 *    within errlen (also for tiny buffers) and, on failure, not empty;
 *    on failure the wmod_t is all zeros;
 *  - on success the parsed structure is consistent: the sections tile the
 *    input from byte 8 to the end in file order; custom payloads lie inside
 *    their custom sections; every name is NUL-free valid UTF-8; value types
 *    are known; the imported-entity counters match the imports; every type
 *    index, export index and the start function are inside their index
 *    spaces; export names are unique and wmod_find_export finds each;
 *    wmod_func_type answers for exactly the function index space;
 *    wmod_format_functype always NUL-terminates within its buffer;
 *  - cutting a successfully parsed module inside one of its sections makes
 *    it fail (truncation is always detected);
 *  - appending a custom section with wmod_append_custom keeps the module
 *    valid and the new section reads back with the same name and payload.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "util/buf.h"
#include "util/utf8.h"
#include "wasm/wasm_custom.h"
#include "wasm/wasm_module.h"

#define FZ_SECTION_LAST 13 /* tag section */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_name: a name the reader produced is valid UTF-8 without NUL. */
static void check_name(const char *name, const char *what) {
    FZ_CHECK(name != NULL, "%s is NULL", what);
    FZ_CHECK(utf8_valid((const uint8_t *)name, strlen(name)), "%s is not valid UTF-8", what);
}

/* check_valtypes: every byte of a type vector is a value type the reader
 * knows by name. */
static void check_valtypes(const uint8_t *types, uint32_t n) {
    FZ_CHECK(n == 0 || types != NULL, "%u value types without an array", n);
    for (uint32_t i = 0; i < n; i++)
        FZ_CHECK(strcmp(wmod_valtype_name(types[i]), "unknown") != 0, "unknown value type 0x%02x", types[i]);
}

/* check_format: wmod_format_functype NUL-terminates within outlen. */
static void check_format(const wmod_functype_t *t) {
    static const size_t lens[] = {1, 2, 5, 16, 512};
    for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {
        char out[512];
        memset(out, 'x', sizeof out);
        wmod_format_functype(t, out, lens[k]);
        FZ_CHECK(memchr(out, 0, lens[k]) != NULL, "format not terminated within %zu bytes", lens[k]);
    }
}

/* check_sections: sections tile [8, size) and custom payloads are inside
 * custom sections. */
static void check_sections(const wmod_t *m, size_t size) {
    size_t at = 8;
    for (uint32_t i = 0; i < m->nsections; i++) {
        const wmod_section_t *s = &m->sections[i];
        FZ_CHECK(s->offset == at, "section %u at %zu, expected %zu", i, s->offset, at);
        FZ_CHECK(s->size >= 2 && s->size <= size - at, "section %u size %zu", i, s->size);
        FZ_CHECK(s->id <= FZ_SECTION_LAST, "section %u has id %u", i, s->id);
        at += s->size;
    }
    FZ_CHECK(at == size, "sections end at %zu of %zu", at, size);
    uint32_t next = 0;
    for (uint32_t c = 0; c < m->ncustoms; c++) {
        const wmod_custom_t *cu = &m->customs[c];
        check_name(cu->name, "custom section name");
        while (next < m->nsections && (m->sections[next].id != 0 ||
                                       m->sections[next].offset + m->sections[next].size < cu->offset))
            next++;
        FZ_CHECK(next < m->nsections, "custom %u at %zu is in no custom section", c, cu->offset);
        const wmod_section_t *s = &m->sections[next];
        FZ_CHECK(cu->offset > s->offset && cu->offset + cu->size == s->offset + s->size,
                 "custom %u payload [%zu,+%zu) vs section [%zu,+%zu)", c, cu->offset, cu->size, s->offset, s->size);
        next++;
    }
    FZ_CHECK(m->code_size <= size, "code size %zu", m->code_size);
}

/* check_imports: names, type indices and the imported-entity counters. */
static void check_imports(const wmod_t *m) {
    uint32_t counts[5] = {0};
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wmod_import_t *imp = &m->imports[i];
        check_name(imp->module, "import module");
        check_name(imp->name, "import name");
        FZ_CHECK((unsigned)imp->kind <= WMOD_EXT_TAG, "import %u kind %d", i, (int)imp->kind);
        counts[imp->kind]++;
        if (imp->kind == WMOD_EXT_FUNC || imp->kind == WMOD_EXT_TAG)
            FZ_CHECK(imp->type_index < m->ntypes, "import %u type %u of %u", i, imp->type_index, m->ntypes);
        if ((imp->kind == WMOD_EXT_TABLE || imp->kind == WMOD_EXT_MEMORY) && imp->limits.has_max)
            FZ_CHECK(imp->limits.min <= imp->limits.max, "import %u limits %llu > %llu", i,
                     (unsigned long long)imp->limits.min, (unsigned long long)imp->limits.max);
    }
    FZ_CHECK(counts[WMOD_EXT_FUNC] == m->nimported_funcs && counts[WMOD_EXT_TABLE] == m->nimported_tables &&
                 counts[WMOD_EXT_MEMORY] == m->nimported_memories && counts[WMOD_EXT_GLOBAL] == m->nimported_globals,
             "import counters differ from the imports");
}

/* space_of: the size of the index space of kind k (tags: unknown, so any). */
static uint64_t space_of(const wmod_t *m, wmod_extern_kind_t k) {
    switch (k) {
    case WMOD_EXT_FUNC: return (uint64_t)m->nimported_funcs + m->nfuncs;
    case WMOD_EXT_TABLE: return (uint64_t)m->nimported_tables + m->ntables;
    case WMOD_EXT_MEMORY: return (uint64_t)m->nimported_memories + m->nmemories;
    case WMOD_EXT_GLOBAL: return (uint64_t)m->nimported_globals + m->nglobals;
    case WMOD_EXT_TAG: return UINT64_MAX;
    }
    return 0;
}

/* check_exports: indices in range, unique names, wmod_find_export. */
static void check_exports(const wmod_t *m) {
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wmod_export_t *e = &m->exports[i];
        check_name(e->name, "export name");
        FZ_CHECK((unsigned)e->kind <= WMOD_EXT_TAG, "export %u kind %d", i, (int)e->kind);
        FZ_CHECK(e->index < space_of(m, e->kind), "export %u index %u out of its space", i, e->index);
        const wmod_export_t *found = wmod_find_export(m, e->name);
        FZ_CHECK(found == e, "export %u '%s' found as another export (duplicate name?)", i, e->name);
    }
    FZ_CHECK(wmod_find_export(m, NULL) == NULL, "wmod_find_export(NULL)");
}

/* check_functions: types, function type indices, wmod_func_type, start. */
static void check_functions(const wmod_t *m) {
    for (uint32_t i = 0; i < m->ntypes; i++) {
        check_valtypes(m->types[i].params, m->types[i].nparams);
        check_valtypes(m->types[i].results, m->types[i].nresults);
        FZ_CHECK(wmod_functype_equal(&m->types[i], &m->types[i]), "type %u differs from itself", i);
        if (i < 64) check_format(&m->types[i]);
    }
    for (uint32_t i = 0; i < m->nfuncs; i++)
        FZ_CHECK(m->func_types[i] < m->ntypes, "function %u type %u of %u", i, m->func_types[i], m->ntypes);
    uint64_t total = (uint64_t)m->nimported_funcs + m->nfuncs;
    uint64_t probe = total < 4096 ? total : 4096;
    for (uint64_t i = 0; i < probe; i++)
        FZ_CHECK(wmod_func_type(m, (uint32_t)i) != NULL, "no type for function %llu", (unsigned long long)i);
    if (total < UINT32_MAX) FZ_CHECK(wmod_func_type(m, (uint32_t)total) == NULL, "a type past the functions");
    if (m->has_start) FZ_CHECK(m->start_func < total, "start %u of %llu", m->start_func, (unsigned long long)total);
    for (uint32_t i = 0; i < m->ntables; i++)
        FZ_CHECK(!m->tables[i].has_max || m->tables[i].min <= m->tables[i].max, "table %u limits", i);
    for (uint32_t i = 0; i < m->nmemories; i++)
        FZ_CHECK(!m->memories[i].has_max || m->memories[i].min <= m->memories[i].max, "memory %u limits", i);
    if (m->name) check_name(m->name, "module name");
}

/* check_truncation: a cut strictly inside some section must be refused. */
static void check_truncation(const wmod_t *m, const uint8_t *data) {
    if (m->nsections == 0) return;
    const wmod_section_t *s = &m->sections[data[8] % m->nsections];
    size_t cut = s->offset + 1 + (size_t)data[9] % (s->size - 1);
    wmod_t t;
    char err[128];
    int rc = wmod_parse(data, cut, &t, err, sizeof err);
    FZ_CHECK(rc == -1, "module cut at %zu inside section [%zu,+%zu) was accepted", cut, s->offset, s->size);
    wmod_free(&t);
}

/* check_append_custom: a custom section appended by wmod_append_custom
 * parses back with its name and payload. */
static void check_append_custom(const wmod_t *m, const uint8_t *data, size_t size) {
    static const char name[] = "wadup.fuzz:round-trip";
    buf_t b = BUF_INIT;
    size_t plen = size < 32 ? size : 32;
    FZ_CHECK(buf_append(&b, data, size) == 0 && wmod_append_custom(&b, name, data, plen) == 0, "out of memory");
    wmod_t t;
    char err[256];
    int rc = wmod_parse(b.data, b.len, &t, err, sizeof err);
    FZ_CHECK(rc == 0, "module with an appended custom section refused: %s", err);
    FZ_CHECK(t.ncustoms == m->ncustoms + 1 && t.nsections == m->nsections + 1, "custom section count");
    const wmod_custom_t *c = &t.customs[t.ncustoms - 1];
    FZ_CHECK(strcmp(c->name, name) == 0 && c->size == plen && memcmp(b.data + c->offset, data, plen) == 0,
             "appended custom section reads back differently");
    FZ_CHECK(t.nimports == m->nimports && t.nexports == m->nexports && t.nfuncs == m->nfuncs,
             "appending a custom section changed the module");
    wmod_free(&t);
    buf_free(&b);
}

/* errlen_for: the error buffer size used for this input (0 = no buffer). */
static size_t errlen_for(size_t size) {
    static const size_t lens[] = {256, 1, 7, 0, 64, 4096};
    return lens[size % (sizeof lens / sizeof *lens)];
}

/* LLVMFuzzerTestOneInput: libFuzzer's entry point: one input, checked as
 * described at the top of this file; returns 0 (failures abort). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const wmod_t zero;
    size_t errlen = errlen_for(size);
    char err[4096];
    memset(err, 'x', sizeof err);
    wmod_t m;
    int rc = wmod_parse(data, size, &m, errlen ? err : NULL, errlen);
    FZ_CHECK(rc == 0 || rc == -1, "wmod_parse returned %d", rc);
    if (errlen) FZ_CHECK(memchr(err, 0, errlen) != NULL, "error message not terminated within %zu", errlen);
    if (rc != 0) {
        FZ_CHECK(memcmp(&m, &zero, sizeof m) == 0, "failed parse left data in the module");
        if (errlen > 1) FZ_CHECK(err[0] != 0, "failed parse without a message");
        wmod_free(&m);
        return 0;
    }
    if (errlen) FZ_CHECK(err[0] == 0, "successful parse with a message: %s", err);
    check_sections(&m, size);
    check_imports(&m);
    check_functions(&m);
    check_exports(&m);
    check_truncation(&m, data);
    check_append_custom(&m, data, size);
    wmod_free(&m);
    wmod_free(&m); /* freeing twice is allowed: wmod_free leaves it empty */
    return 0;
}
