/* buf.h — growable byte buffer (the project's one dynamic string/bytes type).
 *
 * All functions return 0 on success and -1 when memory could not be
 * allocated; on failure the buffer is left unchanged and still valid.
 * The content is always followed by a NUL byte (not counted in len), so
 * a buffer of text can be used as a C string. */
#ifndef WADUP_UTIL_BUF_H
#define WADUP_UTIL_BUF_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    uint8_t *data; /* NULL until the first append */
    size_t len;
    size_t cap;
} buf_t;

#define BUF_INIT {NULL, 0, 0}

int buf_reserve(buf_t *b, size_t extra);
int buf_append(buf_t *b, const void *data, size_t len);
int buf_append_str(buf_t *b, const char *s);
int buf_append_byte(buf_t *b, uint8_t byte);
int buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(buf_t *b, const char *fmt, va_list ap);
/* buf_cstr: the content as a C string ("" for an empty buffer). */
const char *buf_cstr(const buf_t *b);
/* buf_steal: hand the allocation to the caller (NUL-terminated, never NULL
 * unless allocation fails) and reset the buffer. */
char *buf_steal(buf_t *b);
void buf_reset(buf_t *b);   /* len = 0, keeps the allocation */
/* hex_encode: 2*len lowercase hex digits and a NUL into out. */
void hex_encode(const uint8_t *data, size_t len, char *out);
void buf_free(buf_t *b);

#endif
