/* softfloat.c — the `env` binary128 helpers (softfloat.h): compiler-rt's
 * __*tf* functions computed with the host's __float128 (libgcc), in the
 * result-pointer and multi-value shapes, and the table that maps an import
 * (name and type) to the function implementing it. */
#include <stdint.h>
#include <string.h>

#include "engine/softfloat.h"
#include "wasi/wasi.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "softfloat.c stores guest values in host byte order: it needs a little-endian host (as wasm2c's memories do)"
#endif

typedef uint32_t u32;
typedef uint64_t u64;
typedef __float128 f128;
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

/* Two i64 results of a multi-value function: the layout of wasm2c's
 * `struct wasm_multi_jj` (returned in registers by the host C ABI). */
typedef struct sf_pair { u64 j0, j1; } sf_pair_t;

/* ---- values ---- */

/* sf_join: the 128 bits (low, high) as one integer. */
static u128 sf_join(u64 lo, u64 hi) { return (u128)hi << 64 | lo; }

/* sf_f128: the binary128 value with bits (lo, hi). */
static f128 sf_f128(u64 lo, u64 hi) {
    u128 b = sf_join(lo, hi);
    f128 x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* sf_bits_of: the bits of binary128 value x. */
static u128 sf_bits_of(f128 x) {
    u128 b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static sf_pair_t sf_pair(u128 b) { return (sf_pair_t){(u64)b, (u64)(b >> 64)}; }

/* sf_store: write the 16 bytes of b (little-endian, as the guest's
 * memory holds them) at guest address ptr; an address outside the memory
 * traps (out_of_bounds), as the guest's own store would. */
static void sf_store(wasi_ctx_t *c, u32 ptr, u128 b) {
    wasm_rt_memory_t *m = c->memory;
    if (!m || (u64)ptr + 16 > (u64)m->size) wasm_rt_trap(WASM_RT_TRAP_OOB);
    memcpy(m->data + ptr, &b, 16);
}

static bool sf_isnan(f128 x) { return x != x; }
static bool sf_signbit(f128 x) { return sf_bits_of(x) >> 127 != 0; }

/* ---- the operations (compiler-rt's semantics) ---- */

static f128 sf_add(f128 a, f128 b) { return a + b; }
static f128 sf_sub(f128 a, f128 b) { return a - b; }
static f128 sf_mul(f128 a, f128 b) { return a * b; }
static f128 sf_div(f128 a, f128 b) { return a / b; }
static f128 sf_neg(f128 a) { return sf_f128((u64)sf_bits_of(a), (u64)(sf_bits_of(a) >> 64) ^ (1ull << 63)); }

/* sf_powi: a**b by compiler-rt's __powitf2 algorithm (the same sequence
 * of roundings). */
static f128 sf_powi(f128 a, int32_t b) {
    bool recip = b < 0;
    f128 r = 1;
    for (;;) {
        if (b & 1) r *= a;
        b /= 2;
        if (b == 0) break;
        a *= a;
    }
    return recip ? 1 / r : r;
}

/* sf_cmp: -1, 0, 1 for a < b, a == b, a > b; `unordered` if either is NaN
 * (1 for __eqtf2, __netf2, __lttf2, __letf2, __cmptf2; -1 for __getf2,
 * __gttf2). */
static int32_t sf_cmp(f128 a, f128 b, int32_t unordered) {
    if (sf_isnan(a) || sf_isnan(b)) return unordered;
    return a < b ? -1 : a == b ? 0 : 1;
}
static int32_t sf_cmp_le(f128 a, f128 b) { return sf_cmp(a, b, 1); }
static int32_t sf_cmp_ge(f128 a, f128 b) { return sf_cmp(a, b, -1); }
static int32_t sf_unord(f128 a, f128 b) { return sf_isnan(a) || sf_isnan(b); }

/* sf_to_signed: a truncated toward zero, saturated to [min, max] where
 * max = 2^(bits-1) - 1; NaN gives max, or min when its sign bit is set
 * (compiler-rt's __fixtf*i). */
static i128 sf_to_signed(f128 a, unsigned bits) {
    u128 umax = ((u128)1 << (bits - 1)) - 1;
    i128 max = (i128)umax, min = -max - 1;
    f128 limit = (f128)((u128)1 << (bits - 1)); /* 2^(bits-1), exact */
    if (sf_isnan(a)) return sf_signbit(a) ? min : max;
    if (a >= limit) return max;
    if (a < -limit) return min;
    return (i128)a;
}

/* sf_to_unsigned: a truncated toward zero, saturated to [0, 2^bits - 1];
 * NaN gives 0 when its sign bit is set, else the maximum (compiler-rt's
 * __fixunstf*i). */
static u128 sf_to_unsigned(f128 a, unsigned bits) {
    u128 max = bits == 128 ? ~(u128)0 : ((u128)1 << bits) - 1;
    if (sf_isnan(a)) return sf_signbit(a) ? 0 : max;
    if (a <= -1) return 0;
    if (a >= (f128)max + 1) return max; /* 2^bits (exact for 32 and 64; for 128, max rounds up to it) */
    if (a <= 0) return 0;
    return (u128)a;
}

static u32 sf_fixtfsi(f128 a) { return (u32)(int32_t)sf_to_signed(a, 32); }
static u64 sf_fixtfdi(f128 a) { return (u64)(int64_t)sf_to_signed(a, 64); }
static u128 sf_fixtfti(f128 a) { return (u128)sf_to_signed(a, 128); }
static u32 sf_fixunstfsi(f128 a) { return (u32)sf_to_unsigned(a, 32); }
static u64 sf_fixunstfdi(f128 a) { return (u64)sf_to_unsigned(a, 64); }
static u128 sf_fixunstfti(f128 a) { return sf_to_unsigned(a, 128); }

/* ---- the functions, in each shape ----
 * SF_SYM(x) is the symbol wasm2c code calls for import
 * wasi_snapshot_preview1.wadup_env_<x>. A definition is preceded by its
 * prototype (the symbols are only referenced by compiled modules). */
#define SF_SYM(x) Z_wasi_snapshot_preview1Z_wadup_env_##x
#define SF_DEFINE(ret, sym, params) ret sym params; ret sym params

/* f128 (f128, f128): __addtf3 ... */
#define SF_BIN(name, op)                                                                            \
    SF_DEFINE(void, SF_SYM(name##_r), (wasi_ctx_t *c, u32 ret, u64 al, u64 ah, u64 bl, u64 bh)) {   \
        sf_store(c, ret, sf_bits_of(op(sf_f128(al, ah), sf_f128(bl, bh))));                         \
    }                                                                                               \
    SF_DEFINE(sf_pair_t, SF_SYM(name##_m), (wasi_ctx_t *c, u64 al, u64 ah, u64 bl, u64 bh)) {       \
        (void)c;                                                                                    \
        return sf_pair(sf_bits_of(op(sf_f128(al, ah), sf_f128(bl, bh))));                           \
    }
/* i32 (f128, f128): comparisons */
#define SF_CMP(name, op)                                                                            \
    SF_DEFINE(u32, SF_SYM(name), (wasi_ctx_t *c, u64 al, u64 ah, u64 bl, u64 bh)) {                 \
        (void)c;                                                                                    \
        return (u32)op(sf_f128(al, ah), sf_f128(bl, bh));                                           \
    }
/* f128 (T): conversions to f128 from a scalar wasm type T */
#define SF_FROM(name, T, expr)                                                                      \
    SF_DEFINE(void, SF_SYM(name##_r), (wasi_ctx_t *c, u32 ret, T v)) { sf_store(c, ret, sf_bits_of(expr)); } \
    SF_DEFINE(sf_pair_t, SF_SYM(name##_m), (wasi_ctx_t *c, T v)) {                                  \
        (void)c;                                                                                    \
        return sf_pair(sf_bits_of(expr));                                                           \
    }
/* f128 or 128-bit integer (two i64): unary functions with a 128-bit result */
#define SF_WIDE(name, expr)                                                                         \
    SF_DEFINE(void, SF_SYM(name##_r), (wasi_ctx_t *c, u32 ret, u64 al, u64 ah)) { sf_store(c, ret, (expr)); } \
    SF_DEFINE(sf_pair_t, SF_SYM(name##_m), (wasi_ctx_t *c, u64 al, u64 ah)) {                       \
        (void)c;                                                                                    \
        return sf_pair(expr);                                                                       \
    }
/* T (f128): conversions from f128 to a scalar wasm type T */
#define SF_TO(name, T, expr)                                                                        \
    SF_DEFINE(T, SF_SYM(name), (wasi_ctx_t *c, u64 al, u64 ah)) {                                   \
        (void)c;                                                                                    \
        f128 a = sf_f128(al, ah);                                                                   \
        return expr;                                                                                \
    }

SF_BIN(__addtf3, sf_add)
SF_BIN(__subtf3, sf_sub)
SF_BIN(__multf3, sf_mul)
SF_BIN(__divtf3, sf_div)

SF_CMP(__eqtf2, sf_cmp_le)
SF_CMP(__netf2, sf_cmp_le)
SF_CMP(__lttf2, sf_cmp_le)
SF_CMP(__letf2, sf_cmp_le)
SF_CMP(__cmptf2, sf_cmp_le)
SF_CMP(__gttf2, sf_cmp_ge)
SF_CMP(__getf2, sf_cmp_ge)
SF_CMP(__unordtf2, sf_unord)

SF_WIDE(__negtf2, sf_bits_of(sf_neg(sf_f128(al, ah))))
SF_WIDE(__fixtfti, sf_fixtfti(sf_f128(al, ah)))
SF_WIDE(__fixunstfti, sf_fixunstfti(sf_f128(al, ah)))
SF_WIDE(__floattitf, sf_bits_of((f128)(i128)sf_join(al, ah)))
SF_WIDE(__floatuntitf, sf_bits_of((f128)sf_join(al, ah)))

SF_FROM(__extendsftf2, float, (f128)v)
SF_FROM(__extenddftf2, double, (f128)v)
SF_FROM(__floatsitf, u32, (f128)(int32_t)v)
SF_FROM(__floatunsitf, u32, (f128)v)
SF_FROM(__floatditf, u64, (f128)(int64_t)v)
SF_FROM(__floatunditf, u64, (f128)v)

SF_TO(__trunctfsf2, float, (float)a)
SF_TO(__trunctfdf2, double, (double)a)
SF_TO(__fixtfsi, u32, sf_fixtfsi(a))
SF_TO(__fixunstfsi, u32, sf_fixunstfsi(a))
SF_TO(__fixtfdi, u64, sf_fixtfdi(a))
SF_TO(__fixunstfdi, u64, sf_fixunstfdi(a))

/* __powitf2: f128 (f128, i32) */
SF_DEFINE(void, SF_SYM(__powitf2_r), (wasi_ctx_t *c, u32 ret, u64 al, u64 ah, u32 b)) {
    sf_store(c, ret, sf_bits_of(sf_powi(sf_f128(al, ah), (int32_t)b)));
}
SF_DEFINE(sf_pair_t, SF_SYM(__powitf2_m), (wasi_ctx_t *c, u64 al, u64 ah, u32 b)) {
    (void)c;
    return sf_pair(sf_bits_of(sf_powi(sf_f128(al, ah), (int32_t)b)));
}

/* ---- the import table ----
 * Types are written as wasm2c abbreviates value types: i = i32, j = i64,
 * f = f32, d = f64; parameters, ':', results. */
typedef struct sf_entry {
    const char *name;     /* the env import's name */
    const char *type;     /* its type */
    const char *target;   /* the wasi_snapshot_preview1 name implementing it */
} sf_entry_t;

#define SF_T(x) "wadup_env_" #x
#define SF_E_BIN(n) {#n, "ijjjj:", SF_T(n##_r)}, {#n, "jjjj:jj", SF_T(n##_m)}
#define SF_E_WIDE(n) {#n, "ijj:", SF_T(n##_r)}, {#n, "jj:jj", SF_T(n##_m)}
#define SF_E_FROM(n, c) {#n, "i" c ":", SF_T(n##_r)}, {#n, c ":jj", SF_T(n##_m)}
#define SF_E_TO(n, c) {#n, "jj:" c, SF_T(n)}

static const sf_entry_t sf_table[] = {
    SF_E_BIN(__addtf3), SF_E_BIN(__subtf3), SF_E_BIN(__multf3), SF_E_BIN(__divtf3),
    {"__unordtf2", "jjjj:i", SF_T(__unordtf2)},
    {"__eqtf2", "jjjj:i", SF_T(__eqtf2)}, {"__netf2", "jjjj:i", SF_T(__netf2)},
    {"__lttf2", "jjjj:i", SF_T(__lttf2)}, {"__letf2", "jjjj:i", SF_T(__letf2)},
    {"__cmptf2", "jjjj:i", SF_T(__cmptf2)}, {"__gttf2", "jjjj:i", SF_T(__gttf2)},
    {"__getf2", "jjjj:i", SF_T(__getf2)},
    SF_E_WIDE(__negtf2), SF_E_WIDE(__fixtfti), SF_E_WIDE(__fixunstfti), SF_E_WIDE(__floattitf),
    SF_E_WIDE(__floatuntitf),
    {"__powitf2", "ijji:", SF_T(__powitf2_r)}, {"__powitf2", "jji:jj", SF_T(__powitf2_m)},
    SF_E_FROM(__extendsftf2, "f"), SF_E_FROM(__extenddftf2, "d"), SF_E_FROM(__floatsitf, "i"),
    SF_E_FROM(__floatunsitf, "i"), SF_E_FROM(__floatditf, "j"), SF_E_FROM(__floatunditf, "j"),
    SF_E_TO(__trunctfsf2, "f"), SF_E_TO(__trunctfdf2, "d"), SF_E_TO(__fixtfsi, "i"),
    SF_E_TO(__fixunstfsi, "i"), SF_E_TO(__fixtfdi, "j"), SF_E_TO(__fixunstfdi, "j"),
};
#define SF_NENTRIES (sizeof sf_table / sizeof *sf_table)

/* sf_code: the letter for a wasm value type, 0 for others. */
static char sf_code(uint8_t t) {
    switch (t) {
    case WMOD_I32: return 'i';
    case WMOD_I64: return 'j';
    case WMOD_F32: return 'f';
    case WMOD_F64: return 'd';
    default: return 0;
    }
}

/* sf_type_matches: function type t is `type`. */
static bool sf_type_matches(const char *type, const wmod_functype_t *t) {
    const char *colon = strchr(type, ':');
    size_t np = (size_t)(colon - type), nr = strlen(colon + 1);
    if (t->nparams != np || t->nresults != nr) return false;
    for (size_t i = 0; i < np; i++)
        if (sf_code(t->params[i]) != type[i]) return false;
    for (size_t i = 0; i < nr; i++)
        if (sf_code(t->results[i]) != colon[1 + i]) return false;
    return true;
}

/* sf_import_target: see softfloat.h. */
const char *sf_import_target(const char *name, const wmod_functype_t *t) {
    if (!t) return NULL;
    for (size_t i = 0; i < SF_NENTRIES; i++)
        if (strcmp(sf_table[i].name, name) == 0 && sf_type_matches(sf_table[i].type, t)) return sf_table[i].target;
    return NULL;
}

/* sf_known_name: see softfloat.h. */
bool sf_known_name(const char *name) {
    for (size_t i = 0; i < SF_NENTRIES; i++)
        if (strcmp(sf_table[i].name, name) == 0) return true;
    return false;
}

/* sf_append_type: "(i32, i64) -> (i64, i64)" for a type string. */
static int sf_append_type(const char *type, buf_t *out) {
    static const char *const names[] = {"i32", "i64", "f32", "f64"};
    const char *colon = strchr(type, ':');
    int rc = buf_append_str(out, "(");
    for (const char *p = type; p < colon; p++)
        rc |= buf_printf(out, "%s%s", p == type ? "" : ", ", names[strchr("ijfd", *p) - "ijfd"]);
    rc |= buf_append_str(out, ") -> ");
    size_t nr = strlen(colon + 1);
    if (nr != 1) rc |= buf_append_str(out, "(");
    for (size_t i = 0; i < nr; i++)
        rc |= buf_printf(out, "%s%s", i ? ", " : "", names[strchr("ijfd", colon[1 + i]) - "ijfd"]);
    if (nr != 1) rc |= buf_append_str(out, ")");
    return rc ? -1 : 0;
}

/* sf_describe_types: see softfloat.h. */
int sf_describe_types(const char *name, buf_t *out) {
    int rc = 0;
    bool first = true;
    for (size_t i = 0; i < SF_NENTRIES; i++) {
        if (strcmp(sf_table[i].name, name) != 0) continue;
        if (!first) rc |= buf_append_str(out, " or ");
        rc |= sf_append_type(sf_table[i].type, out);
        first = false;
    }
    return rc ? -1 : 0;
}
