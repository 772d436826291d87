/* softfloat.c — a reactor that imports every env binary128 helper wadup
 * provides and checks each result against its known value.
 *
 * The imports are declared with their C types, so clang gives them the
 * shape a C or Rust module linked without compiler-rt has: built normally,
 * an f128 or __int128 result comes back through a result pointer
 * (`__multf3 (i32, i64, i64, i64, i64) -> ()`); built with
 * -DSF_MULTIVALUE and clang's experimental multi-value ABI it is returned
 * as two i64 (`(i64, i64, i64, i64) -> (i64, i64)`, the original WADUP's
 * shape). softfloat_cases.h holds the cases and their known results
 * (exact rational arithmetic, tests/e2e/binary128.py).
 *
 * process() emits one row per case in
 *   softfloat_checks(function String, a String, b String, result String, expected String, ok Boolean)
 * (raw bits in hex, 32 digits) and softfloat_shape(abi String, cases Int64,
 * failed Int64), and returns the number of failed cases (0 = all right). */
#define WADUP_IMPLEMENTATION
#include "wadup.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef unsigned __int128 u128;
typedef __int128 i128;

typedef struct sf_case {
    int fn;
    const char *name;
    uint64_t a[2], b[2], want[2];
    int any_nan;   /* the known result is a NaN: any NaN of the result type is right */
} sf_case_t;

#include "softfloat_cases.h"

#define IMPORT(n) __attribute__((import_module("env"), import_name(#n)))
IMPORT(__addtf3) long double imp_addtf3(long double, long double);
IMPORT(__subtf3) long double imp_subtf3(long double, long double);
IMPORT(__multf3) long double imp_multf3(long double, long double);
IMPORT(__divtf3) long double imp_divtf3(long double, long double);
IMPORT(__negtf2) long double imp_negtf2(long double);
IMPORT(__powitf2) long double imp_powitf2(long double, int);
IMPORT(__eqtf2) int imp_eqtf2(long double, long double);
IMPORT(__netf2) int imp_netf2(long double, long double);
IMPORT(__lttf2) int imp_lttf2(long double, long double);
IMPORT(__letf2) int imp_letf2(long double, long double);
IMPORT(__cmptf2) int imp_cmptf2(long double, long double);
IMPORT(__gttf2) int imp_gttf2(long double, long double);
IMPORT(__getf2) int imp_getf2(long double, long double);
IMPORT(__unordtf2) int imp_unordtf2(long double, long double);
IMPORT(__extendsftf2) long double imp_extendsftf2(float);
IMPORT(__extenddftf2) long double imp_extenddftf2(double);
IMPORT(__trunctfsf2) float imp_trunctfsf2(long double);
IMPORT(__trunctfdf2) double imp_trunctfdf2(long double);
IMPORT(__fixtfsi) int imp_fixtfsi(long double);
IMPORT(__fixunstfsi) unsigned imp_fixunstfsi(long double);
IMPORT(__fixtfdi) long long imp_fixtfdi(long double);
IMPORT(__fixunstfdi) unsigned long long imp_fixunstfdi(long double);
IMPORT(__fixtfti) i128 imp_fixtfti(long double);
IMPORT(__fixunstfti) u128 imp_fixunstfti(long double);
IMPORT(__floatsitf) long double imp_floatsitf(int);
IMPORT(__floatunsitf) long double imp_floatunsitf(unsigned);
IMPORT(__floatditf) long double imp_floatditf(long long);
IMPORT(__floatunditf) long double imp_floatunditf(unsigned long long);
IMPORT(__floattitf) long double imp_floattitf(i128);
IMPORT(__floatuntitf) long double imp_floatuntitf(u128);

/* bits / ld / raw conversions between raw bits and typed values */
static u128 join(const uint64_t p[2]) { return (u128)p[1] << 64 | p[0]; }
static long double ld(const uint64_t p[2]) { u128 b = join(p); long double x; memcpy(&x, &b, 16); return x; }
static u128 ld_bits(long double x) { u128 b; memcpy(&b, &x, 16); return b; }
static double f64_of(const uint64_t p[2]) { double x; memcpy(&x, &p[0], 8); return x; }
static float f32_of(const uint64_t p[2]) { uint32_t w = (uint32_t)p[0]; float x; memcpy(&x, &w, 4); return x; }
static u128 f64_bits(double x) { uint64_t b; memcpy(&b, &x, 8); return b; }
static u128 f32_bits(float x) { uint32_t b; memcpy(&b, &x, 4); return b; }

enum { R_Q, R_D, R_F, R_INT };

/* run: call the case's import; *kind tells the result's type. */
static u128 run(const sf_case_t *c, int *kind) {
    long double a = ld(c->a), b = ld(c->b);
    *kind = R_INT;
    switch (c->fn) {
    case SF__addtf3: *kind = R_Q; return ld_bits(imp_addtf3(a, b));
    case SF__subtf3: *kind = R_Q; return ld_bits(imp_subtf3(a, b));
    case SF__multf3: *kind = R_Q; return ld_bits(imp_multf3(a, b));
    case SF__divtf3: *kind = R_Q; return ld_bits(imp_divtf3(a, b));
    case SF__negtf2: *kind = R_Q; return ld_bits(imp_negtf2(a));
    case SF__powitf2: *kind = R_Q; return ld_bits(imp_powitf2(a, (int)(uint32_t)c->b[0]));
    case SF__eqtf2: return (uint32_t)imp_eqtf2(a, b);
    case SF__netf2: return (uint32_t)imp_netf2(a, b);
    case SF__lttf2: return (uint32_t)imp_lttf2(a, b);
    case SF__letf2: return (uint32_t)imp_letf2(a, b);
    case SF__cmptf2: return (uint32_t)imp_cmptf2(a, b);
    case SF__gttf2: return (uint32_t)imp_gttf2(a, b);
    case SF__getf2: return (uint32_t)imp_getf2(a, b);
    case SF__unordtf2: return (uint32_t)imp_unordtf2(a, b);
    case SF__extendsftf2: *kind = R_Q; return ld_bits(imp_extendsftf2(f32_of(c->a)));
    case SF__extenddftf2: *kind = R_Q; return ld_bits(imp_extenddftf2(f64_of(c->a)));
    case SF__trunctfsf2: *kind = R_F; return f32_bits(imp_trunctfsf2(a));
    case SF__trunctfdf2: *kind = R_D; return f64_bits(imp_trunctfdf2(a));
    case SF__fixtfsi: return (uint32_t)imp_fixtfsi(a);
    case SF__fixunstfsi: return imp_fixunstfsi(a);
    case SF__fixtfdi: return (uint64_t)imp_fixtfdi(a);
    case SF__fixunstfdi: return imp_fixunstfdi(a);
    case SF__fixtfti: return (u128)imp_fixtfti(a);
    case SF__fixunstfti: return imp_fixunstfti(a);
    case SF__floatsitf: *kind = R_Q; return ld_bits(imp_floatsitf((int)(uint32_t)c->a[0]));
    case SF__floatunsitf: *kind = R_Q; return ld_bits(imp_floatunsitf((uint32_t)c->a[0]));
    case SF__floatditf: *kind = R_Q; return ld_bits(imp_floatditf((long long)c->a[0]));
    case SF__floatunditf: *kind = R_Q; return ld_bits(imp_floatunditf(c->a[0]));
    case SF__floattitf: *kind = R_Q; return ld_bits(imp_floattitf((i128)join(c->a)));
    case SF__floatuntitf: *kind = R_Q; return ld_bits(imp_floatuntitf(join(c->a)));
    }
    return 0;
}

/* is_nan: raw bits x are a NaN of result type kind. */
static int is_nan(u128 x, int kind) {
    switch (kind) {
    case R_Q: return ((x >> 112) & 0x7fff) == 0x7fff && (x & (((u128)1 << 112) - 1)) != 0;
    case R_D: return ((x >> 52) & 0x7ff) == 0x7ff && (x & ((1ull << 52) - 1)) != 0;
    case R_F: return ((x >> 23) & 0xff) == 0xff && (x & ((1u << 23) - 1)) != 0;
    }
    return 0;
}

/* hex: 32 hex digits of x into out[33]. */
static const char *hex(u128 x, char out[33]) {
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)(x >> 64), (unsigned long long)x);
    return out;
}

static const wadup_column check_columns[] = {
    {"function", WADUP_STRING}, {"a", WADUP_STRING}, {"b", WADUP_STRING},
    {"result", WADUP_STRING}, {"expected", WADUP_STRING}, {"ok", WADUP_BOOLEAN},
};
static const wadup_column shape_columns[] = {{"abi", WADUP_STRING}, {"cases", WADUP_INT64}, {"failed", WADUP_INT64}};

WADUP_EXPORT("process")
int process(void) {
    size_t n = sizeof sf_cases / sizeof *sf_cases;
    int64_t failed = 0;
    if (wadup_define_table("softfloat_checks", check_columns, 6) != 0 ||
        wadup_define_table("softfloat_shape", shape_columns, 3) != 0)
        return 100;
    for (size_t i = 0; i < n; i++) {
        const sf_case_t *c = &sf_cases[i];
        int kind;
        u128 got = run(c, &kind), want = join(c->want);
        int ok = c->any_nan ? is_nan(got, kind) : got == want;
        failed += !ok;
        char ha[33], hb[33], hg[33], hw[33];
        if (WADUP_ROW("softfloat_checks", wadup_string(c->name), wadup_string(hex(join(c->a), ha)),
                      wadup_string(hex(join(c->b), hb)), wadup_string(hex(got, hg)), wadup_string(hex(want, hw)),
                      wadup_bool(ok)) != 0)
            return 101;
    }
#ifdef SF_MULTIVALUE
    const char *abi = "multivalue";
#else
    const char *abi = "result_pointer";
#endif
    if (WADUP_ROW("softfloat_shape", wadup_string(abi), wadup_int64((int64_t)n), wadup_int64(failed)) != 0) return 102;
    if (wadup_flush() != 0) return 103;
    return (int)failed;
}
