/* fuzz_common.h — shared helpers of the libFuzzer harnesses (tests/fuzz):
 * a cursor that turns the fuzzer's input into numbers, choices and byte
 * strings (reading past the end yields zeros, so every input is a valid
 * program), FZ_CHECK, which reports a broken invariant and aborts so
 * libFuzzer records the input as a crash, and FZ_TRACE (FZ_TRACE=1 in the
 * environment prints each step a harness takes).
 *
 * Header-only (static functions): each harness is one translation unit. */
#ifndef WADUP_FUZZ_COMMON_H
#define WADUP_FUZZ_COMMON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FZ_CHECK: abort with the failed condition and a formatted detail. */
#define FZ_CHECK(cond, ...)                                                                 \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "\nFUZZ INVARIANT FAILED at %s:%d: %s\n  ", __FILE__, __LINE__, \
                    #cond);                                                                 \
            fprintf(stderr, __VA_ARGS__);                                                   \
            fputc('\n', stderr);                                                            \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

/* fz_tracing: true when FZ_TRACE is set in the environment: harnesses then
 * print every step they take (FZ_TRACE), to follow a crashing input. */
static inline bool fz_tracing(void) {
    static int on = -1;
    if (on < 0) on = getenv("FZ_TRACE") != NULL;
    return on;
}

/* FZ_TRACE: print a formatted line on stderr while tracing. */
#define FZ_TRACE(...)                     \
    do {                                  \
        if (fz_tracing()) {               \
            fprintf(stderr, __VA_ARGS__); \
            fputc('\n', stderr);          \
        }                                 \
    } while (0)

/* A read cursor over the fuzzer's input. */
typedef struct fz_in {
    const uint8_t *p;
    size_t n;
} fz_in_t;

/* fz_done: true once every input byte has been consumed. */
static inline bool fz_done(const fz_in_t *in) { return in->n == 0; }

/* fz_u8: the next byte, 0 past the end. */
static inline uint8_t fz_u8(fz_in_t *in) {
    if (in->n == 0) return 0;
    in->n--;
    return *in->p++;
}

/* fz_uint: the next `bytes` bytes (at most 8) as a little-endian number. */
static inline uint64_t fz_uint(fz_in_t *in, unsigned bytes) {
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) v |= (uint64_t)fz_u8(in) << (8 * i);
    return v;
}

static inline uint16_t fz_u16(fz_in_t *in) { return (uint16_t)fz_uint(in, 2); }
static inline uint32_t fz_u32(fz_in_t *in) { return (uint32_t)fz_uint(in, 4); }
static inline uint64_t fz_u64(fz_in_t *in) { return fz_uint(in, 8); }

/* fz_below: a number in [0, n) (n > 0), from one byte when n <= 256. */
static inline size_t fz_below(fz_in_t *in, size_t n) {
    if (n <= 1) return 0;
    uint64_t v = n <= 256 ? fz_u8(in) : n <= 65536 ? fz_u16(in) : fz_u32(in);
    return (size_t)(v % n);
}

/* fz_bytes: a length-prefixed byte string of at most `max` bytes (length
 * from one byte, or two when max > 255), pointing into the input; the
 * length is cut to the bytes that remain. */
static inline const uint8_t *fz_bytes(fz_in_t *in, size_t max, size_t *len) {
    size_t want = max > 255 ? fz_u16(in) : fz_u8(in);
    if (want > max) want = max > 0 ? want % (max + 1) : 0;
    if (want > in->n) want = in->n;
    const uint8_t *p = in->p;
    in->p += want;
    in->n -= want;
    *len = want;
    return p;
}

/* fz_rest: everything not yet consumed. */
static inline const uint8_t *fz_rest(fz_in_t *in, size_t *len) {
    const uint8_t *p = in->p;
    *len = in->n;
    in->p += in->n;
    in->n = 0;
    return p;
}

/* fz_dup: a malloc'd, NUL-terminated copy of [p, p+len); aborts if out of
 * memory (a harness cannot go on without it). */
static inline char *fz_dup(const void *p, size_t len) {
    char *s = malloc(len + 1);
    FZ_CHECK(s != NULL, "out of memory copying %zu bytes", len);
    if (len) memcpy(s, p, len);
    s[len] = 0;
    return s;
}

#endif
