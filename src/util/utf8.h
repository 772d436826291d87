/* utf8.h — UTF-8 checks and lossy conversion of untrusted bytes to text. */
#ifndef WADUP_UTIL_UTF8_H
#define WADUP_UTIL_UTF8_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/buf.h"

/* utf8_valid: true if [s, s+len) is well-formed UTF-8 (no surrogates, no
 * overlong forms, nothing above U+10FFFF). NUL bytes are allowed. */
bool utf8_valid(const uint8_t *s, size_t len);

/* utf8_sanitize_append: append s to out, replacing each ill-formed
 * sequence by U+FFFD. Returns 0, or -1 on allocation failure. */
int utf8_sanitize_append(buf_t *out, const uint8_t *s, size_t len);

#endif
