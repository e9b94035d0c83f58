package render

import (
	"bufio"
	"io"
	"unicode/utf8"
)

// WriteJSONString writes everything r yields as one JSON string, quotes
// included, escaped as encoding/json escapes it without HTML escaping:
// invalid UTF-8 becomes U+FFFD (keep the bytes elsewhere, e.g. in base64,
// when they matter). It holds only a small buffer, whatever the size of
// the content.
func WriteJSONString(w io.Writer, r io.Reader) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.WriteByte('"')
	buf := make([]byte, 32<<10)
	carry := 0 // bytes of an incomplete UTF-8 sequence kept at buf[:carry]
	for {
		n, err := r.Read(buf[carry:])
		n += carry
		end := n
		if err == nil {
			// Hold back a sequence that may continue in the next read.
			for i := n - 1; i >= 0 && i >= n-3; i-- {
				if utf8.RuneStart(buf[i]) {
					if !utf8.FullRune(buf[i:n]) {
						end = i
					}
					break
				}
			}
		}
		escapeJSON(bw, buf[:end])
		carry = copy(buf, buf[end:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	bw.WriteByte('"')
	return bw.Flush()
}

func escapeJSON(w *bufio.Writer, b []byte) {
	start := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			w.Write(b[start:i])
			switch c {
			case '"', '\\':
				w.WriteByte('\\')
				w.WriteByte(c)
			case '\n':
				w.WriteString(`\n`)
			case '\r':
				w.WriteString(`\r`)
			case '\t':
				w.WriteString(`\t`)
			case '\b':
				w.WriteString(`\b`)
			case '\f':
				w.WriteString(`\f`)
			default:
				w.WriteString(`\u00`)
				w.WriteByte(hexDigits[c>>4])
				w.WriteByte(hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			w.Write(b[start:i])
			w.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			w.Write(b[start:i])
			w.WriteString(`\u202`)
			w.WriteByte(hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	w.Write(b[start:])
}
