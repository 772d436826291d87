/* aot_build.h — the compilation pipeline of one module: wasm2c, splitting
 * its C into translation units (aot_split.h), compiling them in parallel
 * with the system C compiler (aot_tool.h), linking one shared object.
 *
 * What wasm2c sees is the module without its custom sections and with its
 * export section reduced to the exports wadup calls (process, memory,
 * _initialize, _start): wasm2c 1.0.32 copies export names verbatim into C
 * comments, so any other export name could smuggle C code into the object
 * ("*" "/" and a newline end the comment). */
#ifndef WADUP_AOT_AOT_BUILD_H
#define WADUP_AOT_AOT_BUILD_H
#include "aot/aot.h"
#include "util/buf.h"

/* aot_build_identity: append to id what, besides the compiler and wasm2c
 * versions, decides the object: pipeline version, flags, split
 * parameters. Returns 0 or -1 (memory). */
int aot_build_identity(buf_t *id);

/* aot_build: translate and compile module `m` (whose bytes are `bytes`)
 * into <tmp>/module.so under cfg's limits, with up to cfg->limits.jobs
 * (0 = one per CPU) compiler processes at a time; progress on stderr
 * unless cfg->quiet (`name` names the module). Returns AOT_OK, or
 * AOT_ERROR (temporary files, memory) or AOT_COMPILE_ERROR (a tool failed
 * or hit a limit) with the reason appended to log. */
int aot_build(const aot_config_t *cfg, const char *tmp, const wmod_t *m, const uint8_t *bytes, const char *name,
              buf_t *log);

#endif
