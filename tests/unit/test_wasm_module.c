/* test_wasm_module.c — unit tests for the WebAssembly binary reader
 * (src/wasm/wasm_module.c): structure of valid modules, custom section
 * offsets, function types, and clear failures on malformed, truncated and
 * hostile input. Every parse runs on an exactly sized heap copy so that
 * AddressSanitizer catches any read past the input. */
#include <stdlib.h>

#include "test.h"
#include "wasm/wasm_module.h"

#define WASM_HEADER 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00

/* Module A: wat2wasm --debug-names of the text below, with a custom
 * section "wadup.file:/x/y.txt" holding "hello" inserted by hand after the
 * import section (offset 91).
 *   (module $demo
 *     (import "wasi_snapshot_preview1" "fd_write"
 *       (func $fd_write (param i32 i32 i32 i32) (result i32)))
 *     (import "env" "memory" (memory 1 16))
 *     (import "env" "base" (global $base i32))
 *     (global $counter (mut i64) (i64.const -5))
 *     (func $init)
 *     (func $process (param i32) (result i32) local.get 0 global.get $base i32.add)
 *     (export "process" (func $process))
 *     (export "memory" (memory 0))
 *     (export "_initialize" (func $init)))
 * Sections (id offset size): type 1 8 19, import 2 27 64, custom 0 91 27,
 * function 3 118 5, global 6 123 8, export 7 131 36, code 10 167 14,
 * custom "name" 0 181 69. */
static const uint8_t module_a[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x11, 0x03, 0x60,
    0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x60, 0x01,
    0x7f, 0x01, 0x7f, 0x02, 0x3e, 0x03, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f,
    0x73, 0x6e, 0x61, 0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65,
    0x76, 0x69, 0x65, 0x77, 0x31, 0x08, 0x66, 0x64, 0x5f, 0x77, 0x72, 0x69,
    0x74, 0x65, 0x00, 0x00, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d,
    0x6f, 0x72, 0x79, 0x02, 0x01, 0x01, 0x10, 0x03, 0x65, 0x6e, 0x76, 0x04,
    0x62, 0x61, 0x73, 0x65, 0x03, 0x7f, 0x00, 0x00, 0x19, 0x13, 0x77, 0x61,
    0x64, 0x75, 0x70, 0x2e, 0x66, 0x69, 0x6c, 0x65, 0x3a, 0x2f, 0x78, 0x2f,
    0x79, 0x2e, 0x74, 0x78, 0x74, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x03, 0x03,
    0x02, 0x01, 0x02, 0x06, 0x06, 0x01, 0x7e, 0x01, 0x42, 0x7b, 0x0b, 0x07,
    0x22, 0x03, 0x07, 0x70, 0x72, 0x6f, 0x63, 0x65, 0x73, 0x73, 0x00, 0x02,
    0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x0b, 0x5f, 0x69,
    0x6e, 0x69, 0x74, 0x69, 0x61, 0x6c, 0x69, 0x7a, 0x65, 0x00, 0x01, 0x0a,
    0x0c, 0x02, 0x02, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x23, 0x00, 0x6a,
    0x0b, 0x00, 0x43, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x00, 0x05, 0x04, 0x64,
    0x65, 0x6d, 0x6f, 0x01, 0x1a, 0x03, 0x00, 0x08, 0x66, 0x64, 0x5f, 0x77,
    0x72, 0x69, 0x74, 0x65, 0x01, 0x04, 0x69, 0x6e, 0x69, 0x74, 0x02, 0x07,
    0x70, 0x72, 0x6f, 0x63, 0x65, 0x73, 0x73, 0x02, 0x07, 0x03, 0x00, 0x00,
    0x01, 0x00, 0x02, 0x00, 0x07, 0x10, 0x02, 0x00, 0x04, 0x62, 0x61, 0x73,
    0x65, 0x01, 0x07, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x65, 0x72,
};

/* Module B: wat2wasm --enable-extended-const of
 *   (module
 *     (table 2 10 funcref)
 *     (memory 3)
 *     (global f32 (f32.const 1.5))
 *     (global f64 (f64.const 2.5))
 *     (global v128 (v128.const i32x4 1 2 3 4))
 *     (global funcref (ref.func $f))
 *     (global externref (ref.null extern))
 *     (global i32 (i32.add (i32.const 1) (i32.mul (i32.const 2) (i32.const 3))))
 *     (func $f)
 *     (start $f)
 *     (elem (i32.const 0) $f)
 *     (elem funcref (ref.func $f) (ref.null func))
 *     (elem declare func $f)
 *     (data (i32.const 16) "abc")
 *     (data "passive")) */
static const uint8_t module_b[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
    0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x04, 0x05, 0x01, 0x70, 0x01, 0x02,
    0x0a, 0x05, 0x03, 0x01, 0x00, 0x03, 0x06, 0x3f, 0x06, 0x7d, 0x00, 0x43,
    0x00, 0x00, 0xc0, 0x3f, 0x0b, 0x7c, 0x00, 0x44, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x04, 0x40, 0x0b, 0x7b, 0x00, 0xfd, 0x0c, 0x01, 0x00, 0x00,
    0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00,
    0x00, 0x0b, 0x70, 0x00, 0xd2, 0x00, 0x0b, 0x6f, 0x00, 0xd0, 0x6f, 0x0b,
    0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x41, 0x03, 0x6c, 0x6a, 0x0b, 0x08,
    0x01, 0x00, 0x09, 0x14, 0x03, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00, 0x05,
    0x70, 0x02, 0xd2, 0x00, 0x0b, 0xd0, 0x70, 0x0b, 0x03, 0x00, 0x01, 0x00,
    0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, 0x0b, 0x12, 0x02, 0x00, 0x41, 0x10,
    0x0b, 0x03, 0x61, 0x62, 0x63, 0x01, 0x07, 0x70, 0x61, 0x73, 0x73, 0x69,
    0x76, 0x65,
};

/* Module C: wat2wasm --enable-all of
 *   (module
 *     (type $t (func (param i64 v128)))
 *     (import "env" "tbl" (table 1 externref))
 *     (import "env" "tag" (tag (param i64 v128)))
 *     (memory i64 1 2)
 *     (memory 1 4 shared)
 *     (tag $e (type $t))
 *     (export "e" (tag $e))
 *     (export "t" (table 0))) */
static const uint8_t module_c[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60,
    0x02, 0x7e, 0x7b, 0x00, 0x02, 0x18, 0x02, 0x03, 0x65, 0x6e, 0x76, 0x03,
    0x74, 0x62, 0x6c, 0x01, 0x6f, 0x00, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03,
    0x74, 0x61, 0x67, 0x04, 0x00, 0x00, 0x05, 0x07, 0x02, 0x05, 0x01, 0x02,
    0x03, 0x01, 0x04, 0x0d, 0x03, 0x01, 0x00, 0x00, 0x07, 0x09, 0x02, 0x01,
    0x65, 0x04, 0x01, 0x01, 0x74, 0x01, 0x00,
};

/* parse_copy: wmod_parse on an exactly sized heap copy of bytes[0..n).
 * On failure also checks that the module was left empty. */
static int parse_copy(const uint8_t *bytes, size_t n, wmod_t *m, char *err, size_t errlen) {
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy) {
        fprintf(stderr, "test: out of memory\n");
        exit(2);
    }
    if (n) memcpy(copy, bytes, n);
    int rc = wmod_parse(n ? copy : NULL, n, m, err, errlen);
    free(copy);
    if (rc != 0) {
        wmod_t empty;
        memset(&empty, 0, sizeof empty);
        CHECK(memcmp(m, &empty, sizeof empty) == 0);
    }
    return rc;
}

/* parse_error: parse bytes that must be rejected; returns the message. */
static const char *parse_error(const uint8_t *bytes, size_t n) {
    static char err[512];
    wmod_t m;
    strcpy(err, "(parse succeeded)");
    if (parse_copy(bytes, n, &m, err, sizeof err) == 0) {
        wmod_free(&m);
        strcpy(err, "(parse succeeded)");
    }
    return err;
}

#define PARSE_ERROR(arr) parse_error(arr, sizeof arr)

static void format_type(const wmod_functype_t *t, char *out, size_t outlen) {
    if (!t) {
        snprintf(out, outlen, "(null)");
        return;
    }
    wmod_format_functype(t, out, outlen);
}

TEST(module_a_imports) {
    wmod_t m;
    char err[256];
    REQUIRE(parse_copy(module_a, sizeof module_a, &m, err, sizeof err) == 0);
    CHECK_EQ_INT(m.ntypes, 3);
    CHECK_EQ_INT(m.nimports, 3);
    REQUIRE(m.nimports == 3);
    CHECK_STR(m.imports[0].module, "wasi_snapshot_preview1");
    CHECK_STR(m.imports[0].name, "fd_write");
    CHECK_EQ_INT(m.imports[0].kind, WMOD_EXT_FUNC);
    CHECK_EQ_INT(m.imports[0].type_index, 0);
    CHECK_STR(m.imports[1].module, "env");
    CHECK_STR(m.imports[1].name, "memory");
    CHECK_EQ_INT(m.imports[1].kind, WMOD_EXT_MEMORY);
    CHECK_EQ_INT(m.imports[1].limits.min, 1);
    CHECK(m.imports[1].limits.has_max);
    CHECK_EQ_INT(m.imports[1].limits.max, 16);
    CHECK(!m.imports[1].limits.is64 && !m.imports[1].limits.shared);
    CHECK_STR(m.imports[2].name, "base");
    CHECK_EQ_INT(m.imports[2].kind, WMOD_EXT_GLOBAL);
    CHECK_EQ_INT(m.imports[2].valtype, WMOD_I32);
    CHECK(!m.imports[2].mutable_global);
    CHECK_EQ_INT(m.nimported_funcs, 1);
    CHECK_EQ_INT(m.nimported_memories, 1);
    CHECK_EQ_INT(m.nimported_globals, 1);
    CHECK_EQ_INT(m.nimported_tables, 0);
    CHECK_EQ_INT(m.nfuncs, 2);
    REQUIRE(m.nfuncs == 2);
    CHECK_EQ_INT(m.func_types[0], 1);
    CHECK_EQ_INT(m.func_types[1], 2);
    CHECK_EQ_INT(m.nglobals, 1);
    CHECK_EQ_INT(m.nmemories, 0);
    CHECK_EQ_INT(m.ntables, 0);
    CHECK(!m.has_start);
    CHECK_EQ_INT(m.code_size, 12);
    CHECK_STR(m.name, "demo");
    wmod_free(&m);
}

TEST(module_a_exports) {
    wmod_t m;
    char err[256];
    REQUIRE(parse_copy(module_a, sizeof module_a, &m, err, sizeof err) == 0);
    CHECK_EQ_INT(m.nexports, 3);
    REQUIRE(m.nexports == 3);
    CHECK_STR(m.exports[0].name, "process");
    CHECK_EQ_INT(m.exports[0].kind, WMOD_EXT_FUNC);
    CHECK_EQ_INT(m.exports[0].index, 2);
    CHECK_STR(m.exports[1].name, "memory");
    CHECK_EQ_INT(m.exports[1].kind, WMOD_EXT_MEMORY);
    CHECK_EQ_INT(m.exports[1].index, 0);
    const wmod_export_t *init = wmod_find_export(&m, "_initialize");
    REQUIRE(init != NULL);
    CHECK(init == &m.exports[2]);
    CHECK_EQ_INT(init->kind, WMOD_EXT_FUNC);
    CHECK_EQ_INT(init->index, 1);
    CHECK(wmod_find_export(&m, "proc") == NULL);
    CHECK(wmod_find_export(&m, "") == NULL);
    wmod_free(&m);
}

TEST(module_a_sections_and_customs) {
    static const struct { uint8_t id; size_t offset, size; } expected[] = {
        {1, 8, 19}, {2, 27, 64}, {0, 91, 27}, {3, 118, 5},
        {6, 123, 8}, {7, 131, 36}, {10, 167, 14}, {0, 181, 69},
    };
    wmod_t m;
    char err[256];
    REQUIRE(parse_copy(module_a, sizeof module_a, &m, err, sizeof err) == 0);
    CHECK_EQ_INT(m.nsections, 8);
    REQUIRE(m.nsections == 8);
    for (uint32_t i = 0; i < 8; i++) {
        CHECK_EQ_INT(m.sections[i].id, expected[i].id);
        CHECK_EQ_INT(m.sections[i].offset, expected[i].offset);
        CHECK_EQ_INT(m.sections[i].size, expected[i].size);
    }
    CHECK_EQ_INT(m.ncustoms, 2);
    REQUIRE(m.ncustoms == 2);
    CHECK_STR(m.customs[0].name, "wadup.file:/x/y.txt");
    CHECK_EQ_INT(m.customs[0].offset, 113);
    CHECK_EQ_INT(m.customs[0].size, 5);
    CHECK(memcmp(module_a + m.customs[0].offset, "hello", 5) == 0);
    CHECK_STR(m.customs[1].name, "name");
    CHECK_EQ_INT(m.customs[1].offset, 188);
    CHECK_EQ_INT(m.customs[1].size, 62);
    CHECK_EQ_INT(m.customs[1].offset + m.customs[1].size, sizeof module_a);
    wmod_free(&m);
}

TEST(func_type_lookup) {
    wmod_t m;
    char err[256], text[64];
    REQUIRE(parse_copy(module_a, sizeof module_a, &m, err, sizeof err) == 0);
    format_type(wmod_func_type(&m, 0), text, sizeof text);   /* imported fd_write */
    CHECK_STR(text, "(i32, i32, i32, i32) -> i32");
    format_type(wmod_func_type(&m, 1), text, sizeof text);   /* $init */
    CHECK_STR(text, "() -> ()");
    format_type(wmod_func_type(&m, 2), text, sizeof text);   /* $process */
    CHECK_STR(text, "(i32) -> i32");
    CHECK(wmod_func_type(&m, 3) == NULL);
    CHECK(wmod_func_type(&m, UINT32_MAX) == NULL);
    CHECK(wmod_func_type(&m, 0) == &m.types[0]);
    CHECK(wmod_functype_equal(wmod_func_type(&m, 2), &m.types[2]));
    CHECK(!wmod_functype_equal(wmod_func_type(&m, 1), wmod_func_type(&m, 2)));
    CHECK(!wmod_functype_equal(wmod_func_type(&m, 0), wmod_func_type(&m, 2)));
    wmod_free(&m);
}

TEST(format_functype) {
    uint8_t params[] = {WMOD_I64, WMOD_F32, WMOD_F64, WMOD_V128, WMOD_FUNCREF, WMOD_EXTERNREF, 0x42};
    uint8_t results[] = {WMOD_I32, WMOD_I32};
    wmod_functype_t t = {7, 2, params, results};
    char text[128];
    wmod_format_functype(&t, text, sizeof text);
    CHECK_STR(text, "(i64, f32, f64, v128, funcref, externref, unknown) -> (i32, i32)");
    wmod_functype_t empty = {0, 0, NULL, NULL};
    wmod_format_functype(&empty, text, sizeof text);
    CHECK_STR(text, "() -> ()");
    wmod_format_functype(&t, text, 8);
    CHECK_STR(text, "(i64, f");
    text[0] = 'x';
    wmod_format_functype(&t, text, 1);
    CHECK_STR(text, "");
    wmod_functype_t same = {0, 0, NULL, NULL};
    CHECK(wmod_functype_equal(&empty, &same));
    uint8_t other[] = {WMOD_I32, WMOD_I64};
    wmod_functype_t diff = {7, 2, params, other};
    CHECK(!wmod_functype_equal(&t, &diff));
    CHECK_STR(wmod_valtype_name(WMOD_EXTERNREF), "externref");
    CHECK_STR(wmod_section_name(12), "datacount");
    CHECK_STR(wmod_section_name(13), "tag");
    CHECK_STR(wmod_section_name(14), "unknown");
    CHECK_STR(wmod_extern_kind_name(WMOD_EXT_TAG), "tag");
}

TEST(module_b_definitions) {
    wmod_t m;
    char err[256];
    REQUIRE(parse_copy(module_b, sizeof module_b, &m, err, sizeof err) == 0);
    CHECK_EQ_INT(m.nmemories, 1);
    REQUIRE(m.nmemories == 1);
    CHECK_EQ_INT(m.memories[0].min, 3);
    CHECK(!m.memories[0].has_max);
    CHECK_EQ_INT(m.ntables, 1);
    REQUIRE(m.ntables == 1);
    CHECK_EQ_INT(m.table_elem_types[0], WMOD_FUNCREF);
    CHECK_EQ_INT(m.tables[0].min, 2);
    CHECK_EQ_INT(m.tables[0].max, 10);
    CHECK(m.tables[0].has_max);
    CHECK_EQ_INT(m.nglobals, 6);
    CHECK(m.has_start);
    CHECK_EQ_INT(m.start_func, 0);
    CHECK_EQ_INT(m.nelem, 3);
    CHECK_EQ_INT(m.ndata, 2);
    CHECK_EQ_INT(m.code_size, 4);
    CHECK_EQ_INT(m.nimports, 0);
    CHECK_EQ_INT(m.ncustoms, 0);
    CHECK_EQ_INT(m.nsections, 9);
    CHECK(m.name == NULL);
    wmod_free(&m);
}

TEST(module_c_memory64_shared_tags) {
    wmod_t m;
    char err[256], text[64];
    REQUIRE(parse_copy(module_c, sizeof module_c, &m, err, sizeof err) == 0);
    CHECK_EQ_INT(m.nimported_tables, 1);
    REQUIRE(m.nimports == 2);
    CHECK_EQ_INT(m.imports[0].kind, WMOD_EXT_TABLE);
    CHECK_EQ_INT(m.imports[0].valtype, WMOD_EXTERNREF);
    CHECK_EQ_INT(m.imports[0].limits.min, 1);
    CHECK(!m.imports[0].limits.has_max);
    CHECK_EQ_INT(m.imports[1].kind, WMOD_EXT_TAG);
    REQUIRE(m.nmemories == 2);
    CHECK(m.memories[0].is64 && !m.memories[0].shared);
    CHECK_EQ_INT(m.memories[0].max, 2);
    CHECK(m.memories[1].shared && !m.memories[1].is64);
    CHECK_EQ_INT(m.memories[1].max, 4);
    const wmod_export_t *e = wmod_find_export(&m, "e");
    REQUIRE(e != NULL);
    CHECK_EQ_INT(e->kind, WMOD_EXT_TAG);
    CHECK_EQ_INT(e->index, 1);
    wmod_format_functype(&m.types[0], text, sizeof text);
    CHECK_STR(text, "(i64, v128) -> ()");
    wmod_free(&m);
}

TEST(header_errors) {
    static const uint8_t elf[] = {0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00};
    static const uint8_t v2[] = {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00};
    static const uint8_t component[] = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};
    static const uint8_t short_magic[] = {0x00, 0x61};
    static const uint8_t only_header[] = {WASM_HEADER};
    CHECK_STR(parse_error(elf, 0), "not a WebAssembly module (empty input)");
    CHECK_STR(PARSE_ERROR(elf), "not a WebAssembly module (bad magic bytes 7f 45 4c 46)");
    CHECK_STR(parse_error(elf, 2), "not a WebAssembly module (bad magic bytes 7f 45)");
    CHECK_STR(PARSE_ERROR(v2), "unsupported WebAssembly version 2");
    CHECK_CONTAINS(PARSE_ERROR(component), "unsupported WebAssembly version/layer (component model?)");
    CHECK_CONTAINS(PARSE_ERROR(short_magic), "truncated module");
    CHECK_STR(PARSE_ERROR(only_header), "(parse succeeded)");
    char err[8];
    wmod_t m;
    CHECK_EQ_INT(parse_copy(elf, sizeof elf, &m, err, sizeof err), -1);
    CHECK_STR(err, "not a W");
    CHECK_EQ_INT(parse_copy(elf, sizeof elf, &m, NULL, 0), -1);
}

/* prefix_expectation: for a prefix ending exactly at a section boundary
 * the prefix is itself a module; it is valid unless it has a function
 * section but lost its code section. Returns the number of whole sections
 * in the prefix, or -1 if `len` is not a boundary. */
static int prefix_sections(const wmod_t *full, size_t len, bool *valid) {
    if (len == 8) {
        *valid = true;
        return 0;
    }
    bool has_functions = false, has_code = false;
    for (uint32_t i = 0; i < full->nsections; i++) {
        const wmod_section_t *s = &full->sections[i];
        has_functions |= s->id == 3;
        has_code |= s->id == 10;
        if (s->offset + s->size == len) {
            *valid = !has_functions || has_code;
            return (int)i + 1;
        }
    }
    return -1;
}

static void check_every_prefix(const uint8_t *bytes, size_t size) {
    wmod_t full, m;
    char err[256];
    REQUIRE(parse_copy(bytes, size, &full, err, sizeof err) == 0);
    for (size_t len = 1; len < size; len++) {
        bool valid = false;
        int nsections = prefix_sections(&full, len, &valid);
        int rc = parse_copy(bytes, len, &m, err, sizeof err);
        if (nsections < 0) {
            CHECK_EQ_INT(rc, -1);
            if (strncmp(err, "truncated module", 16) != 0) {
                CHECK_STR(err, "truncated module...");
                fprintf(stderr, "  (prefix length %zu)\n", len);
            }
        } else if (valid) {
            CHECK_EQ_INT(rc, 0);
            CHECK_EQ_INT(m.nsections, nsections);
        } else {
            CHECK_EQ_INT(rc, -1);
            CHECK_CONTAINS(err, "function and code section counts differ");
        }
        if (rc == 0) wmod_free(&m);
    }
    wmod_free(&full);
}

TEST(truncation_at_every_prefix) {
    check_every_prefix(module_a, sizeof module_a);
    check_every_prefix(module_b, sizeof module_b);
    check_every_prefix(module_c, sizeof module_c);
}

TEST(truncated_section_message) {
    static const uint8_t big[] = {WASM_HEADER, 0x0a, 0xe8, 0x07, 0x00};
    CHECK_STR(PARSE_ERROR(big), "truncated module: section 10 (code) at offset 8 declares 1000 bytes "
              "but only 1 remain");
}

TEST(trailing_bytes) {
    /* type section declares 5 bytes; one () -> () type uses 4. */
    static const uint8_t trailing[] = {WASM_HEADER, 0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00};
    const char *e = PARSE_ERROR(trailing);
    CHECK_CONTAINS(e, "malformed module: section 1 (type) at offset 8 has 1 trailing bytes");
    /* a vector that runs past its section's end */
    static const uint8_t overrun[] = {WASM_HEADER, 0x02, 0x05, 0x01, 0x03, 'e', 'n', 'v'};
    CHECK_STR(PARSE_ERROR(overrun), "malformed module: section 2 (import) at offset 15: unexpected end of "
              "section while reading import field name (1 bytes needed, 0 left)");
    /* a vector count larger than what is left of the section */
    static const uint8_t count_overrun[] = {WASM_HEADER, 0x01, 0x04, 0x01, 0x60, 0x02, 0x7f};
    CHECK_STR(PARSE_ERROR(count_overrun), "malformed module: section 1 (type) at offset 12: function "
              "parameter types count 2 cannot fit in the 1 bytes left");
}

TEST(section_order) {
    static const uint8_t func_before_type[] = {WASM_HEADER, 0x03, 0x01, 0x00, 0x01, 0x01, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(func_before_type), "malformed module: section 1 (type) out of order at offset 11");
    static const uint8_t twice[] = {WASM_HEADER, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(twice), "section 1 (type) appears twice");
    /* datacount (12) goes before code (10); tag (13) between memory and global */
    static const uint8_t datacount_code[] = {WASM_HEADER, 0x0c, 0x01, 0x00, 0x0a, 0x01, 0x00};
    CHECK_STR(PARSE_ERROR(datacount_code), "(parse succeeded)");
    static const uint8_t code_datacount[] = {WASM_HEADER, 0x0a, 0x01, 0x00, 0x0c, 0x01, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(code_datacount), "section 12 (datacount) out of order");
    static const uint8_t memory_tag_global[] = {WASM_HEADER, 0x05, 0x01, 0x00, 0x0d, 0x01, 0x00,
                                                0x06, 0x01, 0x00};
    CHECK_STR(PARSE_ERROR(memory_tag_global), "(parse succeeded)");
    static const uint8_t global_tag[] = {WASM_HEADER, 0x06, 0x01, 0x00, 0x0d, 0x01, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(global_tag), "section 13 (tag) out of order");
    static const uint8_t custom_anywhere[] = {WASM_HEADER, 0x00, 0x02, 0x01, 'a', 0x01, 0x01, 0x00,
                                              0x00, 0x01, 0x00, 0x03, 0x01, 0x00};
    CHECK_STR(PARSE_ERROR(custom_anywhere), "(parse succeeded)");
    static const uint8_t unknown_id[] = {WASM_HEADER, 0x0e, 0x01, 0x00};
    CHECK_STR(PARSE_ERROR(unknown_id), "malformed module: unknown section id 14 at offset 8");
}

TEST(leb128_errors) {
    /* type count encoded in 6 bytes */
    static const uint8_t too_long[] = {WASM_HEADER, 0x01, 0x06, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    CHECK_STR(PARSE_ERROR(too_long), "malformed module: section 1 (type) at offset 10: "
              "LEB128 type count is longer than 5 bytes");
    /* 5-byte u32 with bits above bit 31 set */
    static const uint8_t too_big[] = {WASM_HEADER, 0x01, 0x05, 0xff, 0xff, 0xff, 0xff, 0x1f};
    CHECK_CONTAINS(PARSE_ERROR(too_big), "LEB128 type count does not fit in 32 bits");
    /* section size LEB too long at the top level */
    static const uint8_t size_too_long[] = {WASM_HEADER, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    CHECK_STR(PARSE_ERROR(size_too_long), "malformed module at offset 9: LEB128 section size is longer than 5 bytes");
    /* a padded but valid 5-byte zero count is accepted */
    static const uint8_t padded[] = {WASM_HEADER, 0x01, 0x05, 0x80, 0x80, 0x80, 0x80, 0x00};
    CHECK_STR(PARSE_ERROR(padded), "(parse succeeded)");
    /* i32.const whose 5th byte is not a sign extension */
    static const uint8_t bad_s32[] = {WASM_HEADER, 0x06, 0x0a, 0x01, 0x7f, 0x00, 0x41,
                                      0xff, 0xff, 0xff, 0xff, 0x4f, 0x0b};
    CHECK_CONTAINS(PARSE_ERROR(bad_s32), "does not fit in 32 bits");
    static const uint8_t good_s32[] = {WASM_HEADER, 0x06, 0x0a, 0x01, 0x7f, 0x00, 0x41,
                                       0xff, 0xff, 0xff, 0xff, 0x7f, 0x0b};
    CHECK_STR(PARSE_ERROR(good_s32), "(parse succeeded)");
}

TEST(huge_counts) {
    static const uint8_t types[] = {WASM_HEADER, 0x01, 0x06, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x60};
    CHECK_STR(PARSE_ERROR(types), "malformed module: section 1 (type) at offset 10: "
              "type count 4294967295 cannot fit in the 1 bytes left");
    static const uint8_t imports[] = {WASM_HEADER, 0x02, 0x07, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(imports), "import count 4294967294 cannot fit in the 2 bytes left");
    static const uint8_t params[] = {WASM_HEADER, 0x01, 0x08, 0x01, 0x60, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f};
    CHECK_CONTAINS(PARSE_ERROR(params), "function parameter types count 4294967295 cannot fit");
    static const uint8_t name_len[] = {WASM_HEADER, 0x00, 0x06, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x61};
    CHECK_CONTAINS(PARSE_ERROR(name_len), "unexpected end of section while reading custom section name");
}

TEST(name_errors) {
    static const uint8_t bad_utf8[] = {WASM_HEADER, 0x02, 0x08, 0x01, 0x01, 0xff, 0x01, 0x66, 0x02, 0x00, 0x00};
    CHECK_STR(PARSE_ERROR(bad_utf8), "malformed module: section 2 (import) at offset 11: "
              "import module name is not valid UTF-8");
    static const uint8_t overlong[] = {WASM_HEADER, 0x02, 0x09, 0x01, 0x01, 0x65, 0x02, 0xc0, 0xaf, 0x02, 0x00, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(overlong), "import field name is not valid UTF-8");
    static const uint8_t nul_export[] = {WASM_HEADER, 0x05, 0x03, 0x01, 0x00, 0x01,
                                         0x07, 0x06, 0x01, 0x02, 'a', 0x00, 0x02, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(nul_export), "export name contains a NUL byte");
    static const uint8_t dup_export[] = {WASM_HEADER, 0x05, 0x03, 0x01, 0x00, 0x01,
                                         0x07, 0x09, 0x02, 0x01, 'm', 0x02, 0x00, 0x01, 'm', 0x02, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(dup_export), "duplicate export name");
    /* a broken name section is ignored */
    static const uint8_t bad_name_section[] = {WASM_HEADER, 0x00, 0x08, 0x04, 'n', 'a', 'm', 'e',
                                               0x00, 0x09, 0x03};
    wmod_t m;
    char err[256];
    REQUIRE(parse_copy(bad_name_section, sizeof bad_name_section, &m, err, sizeof err) == 0);
    CHECK(m.name == NULL);
    CHECK_EQ_INT(m.ncustoms, 1);
    wmod_free(&m);
    /* module name in a later subsection position, after function names */
    static const uint8_t later_name[] = {WASM_HEADER, 0x00, 0x0c, 0x04, 'n', 'a', 'm', 'e',
                                         0x01, 0x01, 0x00, 0x00, 0x02, 0x01, 'q'};
    REQUIRE(parse_copy(later_name, sizeof later_name, &m, err, sizeof err) == 0);
    CHECK_STR(m.name, "q");
    wmod_free(&m);
}

TEST(semantic_errors) {
    static const uint8_t no_code[] = {WASM_HEADER, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(no_code), "function and code section counts differ (function section: 1, "
                   "code section: missing)");
    static const uint8_t code_count[] = {WASM_HEADER, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
                                         0x0a, 0x07, 0x02, 0x02, 0x00, 0x0b, 0x02, 0x00, 0x0b};
    CHECK_CONTAINS(PARSE_ERROR(code_count), "function and code section counts differ (function section: 1, "
                   "code section: 2)");
    static const uint8_t body_overrun[] = {WASM_HEADER, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01,
                                           0x00, 0x0a, 0x04, 0x01, 0x05, 0x00, 0x0b};
    CHECK_CONTAINS(PARSE_ERROR(body_overrun), "function body 0 declares 5 bytes but only 2 remain");
    static const uint8_t bad_type_index[] = {WASM_HEADER, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x01};
    CHECK_CONTAINS(PARSE_ERROR(bad_type_index), "function's type index 1 is out of range (there are 1)");
    static const uint8_t bad_form[] = {WASM_HEADER, 0x01, 0x04, 0x01, 0x5f, 0x00, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(bad_form), "type 0: expected function type (0x60), found 0x5f");
    static const uint8_t bad_valtype[] = {WASM_HEADER, 0x01, 0x05, 0x01, 0x60, 0x01, 0x40, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(bad_valtype), "unknown value type 0x40 in function parameter types");
    static const uint8_t bad_const[] = {WASM_HEADER, 0x06, 0x06, 0x01, 0x7f, 0x00, 0x20, 0x00, 0x0b};
    CHECK_CONTAINS(PARSE_ERROR(bad_const), "at offset 13: unsupported instruction 0x20 in global initializer");
    static const uint8_t datacount[] = {WASM_HEADER, 0x0c, 0x01, 0x02, 0x0b, 0x01, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(datacount), "data section has 0 segments but the datacount section says 2");
    static const uint8_t bad_kind[] = {WASM_HEADER, 0x02, 0x05, 0x01, 0x00, 0x00, 0x05, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(bad_kind), "import 0: unknown import kind 0x05");
    static const uint8_t export_range[] = {WASM_HEADER, 0x07, 0x04, 0x01, 0x00, 0x00, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(export_range), "exported func index 0 is out of range (there are 0)");
    static const uint8_t elem_flags[] = {WASM_HEADER, 0x09, 0x04, 0x01, 0x08, 0x00, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(elem_flags), "section 9 (element) at offset 11: element segment 0: invalid flags 8");
    static const uint8_t data_flags[] = {WASM_HEADER, 0x0b, 0x03, 0x01, 0x03, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(data_flags), "section 11 (data) at offset 11: data segment 0: invalid flags 3");
    static const uint8_t data_overrun[] = {WASM_HEADER, 0x0b, 0x03, 0x01, 0x01, 0x09};
    CHECK_CONTAINS(PARSE_ERROR(data_overrun), "data segment 0 declares 9 bytes but only 0 remain");
    static const uint8_t v128_bad_subop[] = {WASM_HEADER, 0x06, 0x06, 0x01, 0x7b, 0x00, 0xfd, 0x0d, 0x0b};
    CHECK_CONTAINS(PARSE_ERROR(v128_bad_subop), "at offset 13: unsupported instruction 0xfd in global initializer");
    static const uint8_t start_range[] = {WASM_HEADER, 0x08, 0x01, 0x03};
    CHECK_CONTAINS(PARSE_ERROR(start_range), "start function index 3 is out of range (there are 0)");
}

TEST(limits_errors) {
    static const uint8_t min_gt_max[] = {WASM_HEADER, 0x05, 0x04, 0x01, 0x01, 0x05, 0x02};
    CHECK_CONTAINS(PARSE_ERROR(min_gt_max), "memory limits minimum 5 is larger than its maximum 2");
    static const uint8_t bad_flags[] = {WASM_HEADER, 0x05, 0x03, 0x01, 0x08, 0x00};
    CHECK_CONTAINS(PARSE_ERROR(bad_flags), "invalid limits flags 0x08 for memory limits");
    static const uint8_t shared_table[] = {WASM_HEADER, 0x04, 0x05, 0x01, 0x70, 0x03, 0x01, 0x01};
    CHECK_CONTAINS(PARSE_ERROR(shared_table), "invalid limits flags 0x03 for table limits");
    static const uint8_t too_many_pages[] = {WASM_HEADER, 0x05, 0x05, 0x01, 0x00, 0x81, 0x80, 0x04};
    CHECK_CONTAINS(PARSE_ERROR(too_many_pages), "memory limits exceeds the limit of 65536 pages");
}

int main(void) {
    RUN(module_a_imports);
    RUN(module_a_exports);
    RUN(module_a_sections_and_customs);
    RUN(func_type_lookup);
    RUN(format_functype);
    RUN(module_b_definitions);
    RUN(module_c_memory64_shared_tags);
    RUN(header_errors);
    RUN(truncation_at_every_prefix);
    RUN(truncated_section_message);
    RUN(trailing_bytes);
    RUN(section_order);
    RUN(leb128_errors);
    RUN(huge_counts);
    RUN(name_errors);
    RUN(semantic_errors);
    RUN(limits_errors);
    return test_summary("wasm_module");
}
