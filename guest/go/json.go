// json.go — the JSON writer behind Flush and the sub-content descriptors:
// strings escaped as RFC 8259 requires (invalid UTF-8 as U+FFFD), numbers
// in forms wadup's parser accepts.

package wadup

import (
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string literal.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

// appendValue appends v in wadup's tagged form. v must have passed check
// (a Float64 is finite).
func appendValue(b []byte, v Value) []byte {
	switch v.kind {
	case Int64:
		b = append(b, `{"Int64":`...)
		b = strconv.AppendInt(b, v.i, 10)
	case Float64:
		b = append(b, `{"Float64":`...)
		b = strconv.AppendFloat(b, v.f, 'g', -1, 64)
	case String:
		b = append(b, `{"String":`...)
		b = appendString(b, v.s)
	case Boolean:
		b = append(b, `{"Boolean":`...)
		b = strconv.AppendBool(b, v.b)
	default:
		return append(b, "null"...)
	}
	return append(b, '}')
}
