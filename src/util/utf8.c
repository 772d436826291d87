/* utf8.c — UTF-8 validation and lossy conversion (see utf8.h). */
#include "util/utf8.h"

/* utf8_seq_len: length of the well-formed sequence starting at s (1..4),
 * or 0 if the bytes there are not a well-formed sequence. */
static size_t utf8_seq_len(const uint8_t *s, size_t avail) {
    uint8_t c = s[0];
    if (c < 0x80) return 1;
    size_t n;
    uint32_t min;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) { n = 2; min = 0x80; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 3; min = 0x800; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 4; min = 0x10000; cp = c & 0x07; }
    else return 0;
    if (avail < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

bool utf8_valid(const uint8_t *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_seq_len(s + i, len - i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

int utf8_sanitize_append(buf_t *out, const uint8_t *s, size_t len) {
    static const uint8_t replacement[3] = {0xEF, 0xBF, 0xBD};
    size_t i = 0, run = 0;
    while (i < len) {
        size_t n = utf8_seq_len(s + i, len - i);
        if (n) { i += n; continue; }
        if (buf_append(out, s + run, i - run) != 0) return -1;
        if (buf_append(out, replacement, sizeof replacement) != 0) return -1;
        i += 1;
        run = i;
    }
    return buf_append(out, s + run, len - run);
}
