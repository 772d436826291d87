/* unknown-import.c — hostile module: imports a function the host does not
 * provide, env.mystery_function.
 *
 * Expected wadup outcome: failure, error_kind = "instantiate" (linking fails
 * before any code runs; the error message must name env.mystery_function).
 * wasm-ld leaves the symbol as an import because it carries explicit
 * import_module/import_name attributes. */
// build-flags: -mexec-model=reactor

__attribute__((import_module("env"), import_name("mystery_function"))) int mystery_function(int);

__attribute__((export_name("process"))) int process(void) {
    return mystery_function(42) == 0 ? 0 : 1;
}
