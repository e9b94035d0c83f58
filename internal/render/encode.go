package render

import (
	"bytes"
	"fmt"
	"sort"
	"unicode/utf8"
)

// jqEncoder writes values the way jq 1.6 prints them: 2-space indentation
// (or compact), numbers via formatNumber, strings escaped like jq, and object
// keys in the order the keyOrder recorded.
type jqEncoder struct {
	buf     bytes.Buffer
	indent  bool
	order   *keyOrder
	scratch []byte
}

func (e *jqEncoder) encode(v any, depth int) error {
	switch x := v.(type) {
	case nil:
		e.buf.WriteString("null")
	case bool:
		if x {
			e.buf.WriteString("true")
		} else {
			e.buf.WriteString("false")
		}
	case string:
		writeJQString(&e.buf, x)
	case []any:
		if len(x) == 0 {
			e.buf.WriteString("[]")
			return nil
		}
		e.buf.WriteByte('[')
		for i, el := range x {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			e.newline(depth + 1)
			if err := e.encode(el, depth+1); err != nil {
				return err
			}
		}
		e.newline(depth)
		e.buf.WriteByte(']')
	case map[string]any:
		if len(x) == 0 {
			e.buf.WriteString("{}")
			return nil
		}
		e.buf.WriteByte('{')
		for i, k := range e.order.keys(x) {
			if i > 0 {
				e.buf.WriteByte(',')
			}
			e.newline(depth + 1)
			writeJQString(&e.buf, k)
			e.buf.WriteByte(':')
			if e.indent {
				e.buf.WriteByte(' ')
			}
			if err := e.encode(x[k], depth+1); err != nil {
				return err
			}
		}
		e.newline(depth)
		e.buf.WriteByte('}')
	default:
		f, ok := toFloat(v)
		if !ok {
			return fmt.Errorf("cannot print value of type %T as JSON", v)
		}
		e.buf.WriteString(formatNumber(f))
	}
	return nil
}

func (e *jqEncoder) newline(depth int) {
	if !e.indent {
		return
	}
	e.buf.WriteByte('\n')
	for i := 0; i < depth; i++ {
		e.buf.WriteString("  ")
	}
}

const hexDigits = "0123456789abcdef"

// writeJQString quotes s as jq does: \" \\ \b \f \n \r \t, other control
// characters and DEL as \u00xx, everything else (including '/', '<', '&' and
// non-ASCII) literally; invalid UTF-8 becomes U+FFFD.
func writeJQString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				b.WriteString(`\"`)
			case c == '\\':
				b.WriteString(`\\`)
			case c == '\b':
				b.WriteString(`\b`)
			case c == '\f':
				b.WriteString(`\f`)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c < 0x20 || c == 0x7f:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

// sortedKeys returns the keys of m in byte order (the fallback order).
func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
