/* invalid-conversion.c — hostile module: truncates NaN to i32 with the
 * trapping conversion instruction.
 *
 * Expected wadup outcome: failure, error_kind = "invalid_conversion".
 * __builtin_wasm_trunc_s_i32_f64 always emits the trapping `i32.trunc_f64_s`
 * (never the saturating i32.trunc_sat_f64_s); the NaN is made at run time
 * from volatile zeros so nothing is folded. */
// build-flags: -mexec-model=reactor
#include <stdint.h>

static volatile double zero = 0.0;
static volatile int32_t sink;

__attribute__((export_name("process"))) int process(void) {
    double nan = zero / zero;   /* 0/0 = NaN */
    sink = __builtin_wasm_trunc_s_i32_f64(nan);
    return 0;
}
