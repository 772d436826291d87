/* test_softfloat.c — unit tests of the env binary128 helpers
 * (src/engine/softfloat.c): the import table (names, shapes, targets), and
 * results of the functions called as compiled modules call them, against
 * well-known binary128 encodings. (tests/e2e/test_softfloat.py runs every
 * function from a module against an exact oracle.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/softfloat.h"
#include "test.h"
#include "wasi/wasi.h"

typedef struct { uint64_t j0, j1; } pair_t;

/* The symbols compiled modules call (defined in softfloat.c). */
pair_t Z_wasi_snapshot_preview1Z_wadup_env___divtf3_m(wasi_ctx_t *, uint64_t, uint64_t, uint64_t, uint64_t);
void Z_wasi_snapshot_preview1Z_wadup_env___addtf3_r(wasi_ctx_t *, uint32_t, uint64_t, uint64_t, uint64_t, uint64_t);
pair_t Z_wasi_snapshot_preview1Z_wadup_env___extenddftf2_m(wasi_ctx_t *, double);
double Z_wasi_snapshot_preview1Z_wadup_env___trunctfdf2(wasi_ctx_t *, uint64_t, uint64_t);
uint32_t Z_wasi_snapshot_preview1Z_wadup_env___lttf2(wasi_ctx_t *, uint64_t, uint64_t, uint64_t, uint64_t);
uint32_t Z_wasi_snapshot_preview1Z_wadup_env___getf2(wasi_ctx_t *, uint64_t, uint64_t, uint64_t, uint64_t);
uint32_t Z_wasi_snapshot_preview1Z_wadup_env___fixtfsi(wasi_ctx_t *, uint64_t, uint64_t);
uint64_t Z_wasi_snapshot_preview1Z_wadup_env___fixunstfdi(wasi_ctx_t *, uint64_t, uint64_t);
void Z_wasi_snapshot_preview1Z_wadup_env___floatditf_r(wasi_ctx_t *, uint32_t, uint64_t);

#define ONE_HI 0x3FFF000000000000ull
#define TWO_HI 0x4000000000000000ull
#define THREE_HI 0x4000800000000000ull
#define NAN_HI 0x7FFF800000000000ull

static wmod_functype_t functype(const char *params, const char *results, uint8_t *pb, uint8_t *rb) {
    wmod_functype_t t = {(uint32_t)strlen(params), (uint32_t)strlen(results), pb, rb};
    for (size_t i = 0; params[i]; i++) pb[i] = params[i] == 'i' ? WMOD_I32 : params[i] == 'j' ? WMOD_I64 : params[i] == 'd' ? WMOD_F64 : WMOD_F32;
    for (size_t i = 0; results[i]; i++) rb[i] = results[i] == 'i' ? WMOD_I32 : results[i] == 'j' ? WMOD_I64 : results[i] == 'd' ? WMOD_F64 : WMOD_F32;
    return t;
}

TEST(test_import_table) {
    uint8_t p[8], r[4];
    wmod_functype_t t = functype("ijjjj", "", p, r);
    CHECK_STR(sf_import_target("__multf3", &t), "wadup_env___multf3_r");
    t = functype("jjjj", "jj", p, r);
    CHECK_STR(sf_import_target("__multf3", &t), "wadup_env___multf3_m");
    t = functype("d", "jj", p, r);
    CHECK_STR(sf_import_target("__extenddftf2", &t), "wadup_env___extenddftf2_m");
    t = functype("id", "", p, r);
    CHECK_STR(sf_import_target("__extenddftf2", &t), "wadup_env___extenddftf2_r");
    t = functype("jj", "i", p, r);
    CHECK_STR(sf_import_target("__fixtfsi", &t), "wadup_env___fixtfsi");
    t = functype("j", "j", p, r);
    CHECK(sf_import_target("__multf3", &t) == NULL);
    CHECK(sf_import_target("__nosuchtf3", &t) == NULL);
    CHECK(sf_import_target("__multf3", NULL) == NULL);
    CHECK(sf_known_name("__floatuntitf"));
    CHECK(!sf_known_name("fd_write"));
    buf_t b = BUF_INIT;
    CHECK_EQ_INT(sf_describe_types("__addtf3", &b), 0);
    CHECK_STR(buf_cstr(&b), "(i32, i64, i64, i64, i64) -> () or (i64, i64, i64, i64) -> (i64, i64)");
    buf_free(&b);
}

TEST(test_values) {
    pair_t q = Z_wasi_snapshot_preview1Z_wadup_env___divtf3_m(NULL, 0, ONE_HI, 0, THREE_HI);
    CHECK(q.j0 == 0x5555555555555555ull && q.j1 == 0x3FFD555555555555ull); /* 1/3 */
    q = Z_wasi_snapshot_preview1Z_wadup_env___extenddftf2_m(NULL, 0.1);
    CHECK(q.j0 == 0xA000000000000000ull && q.j1 == 0x3FFB999999999999ull);
    CHECK(Z_wasi_snapshot_preview1Z_wadup_env___trunctfdf2(NULL, q.j0, q.j1) == 0.1);
    CHECK_EQ_INT((int32_t)Z_wasi_snapshot_preview1Z_wadup_env___lttf2(NULL, 0, ONE_HI, 0, TWO_HI), -1);
    CHECK_EQ_INT((int32_t)Z_wasi_snapshot_preview1Z_wadup_env___lttf2(NULL, 0, NAN_HI, 0, TWO_HI), 1);
    CHECK_EQ_INT((int32_t)Z_wasi_snapshot_preview1Z_wadup_env___getf2(NULL, 0, NAN_HI, 0, TWO_HI), -1);
    CHECK_EQ_INT((int32_t)Z_wasi_snapshot_preview1Z_wadup_env___fixtfsi(NULL, 0, 0x401E000000000000ull), INT32_MAX); /* 2^31 */
    CHECK_EQ_INT((int32_t)Z_wasi_snapshot_preview1Z_wadup_env___fixtfsi(NULL, 0, 0x3FFF000000000000ull | (1ull << 63)), -1);
    CHECK(Z_wasi_snapshot_preview1Z_wadup_env___fixunstfdi(NULL, 0, ONE_HI | (1ull << 63)) == 0);
    CHECK(Z_wasi_snapshot_preview1Z_wadup_env___fixunstfdi(NULL, 0, NAN_HI) == UINT64_MAX);
}

TEST(test_result_pointer) {
    uint8_t mem[64] = {0};
    wasm_rt_memory_t m;
    memset(&m, 0, sizeof m);
    m.data = mem;
    m.size = sizeof mem;
    wasi_ctx_t c;
    memset(&c, 0, sizeof c);
    c.memory = &m;
    Z_wasi_snapshot_preview1Z_wadup_env___addtf3_r(&c, 16, 0, ONE_HI, 0, TWO_HI);
    uint64_t lo, hi;
    memcpy(&lo, mem + 16, 8);
    memcpy(&hi, mem + 24, 8);
    CHECK(lo == 0 && hi == THREE_HI);
    Z_wasi_snapshot_preview1Z_wadup_env___floatditf_r(&c, 48, (uint64_t)-3);
    memcpy(&hi, mem + 56, 8);
    CHECK(hi == (THREE_HI | (1ull << 63)));
    CHECK(mem[15] == 0 && mem[32] == 0); /* nothing written outside the 16 bytes */
}

int main(void) {
    RUN(test_import_table);
    RUN(test_values);
    RUN(test_result_pointer);
    return test_summary("softfloat");
}
