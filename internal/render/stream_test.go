package render

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
	"testing/iotest"
)

// TestWriteJSONStringMatchesEncodingJSON: streamed in any chunking, the
// string is what encoding/json (without HTML escaping) writes.
func TestWriteJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "tab\tnl\ncr\r\"q\" \\ <&> \x00\x1f\x7f", "héllo → ✓ 𝄞", "bad\xff\xfe utf8 \xe2\x82", "\u2028\u2029", string(bytes.Repeat([]byte("é"), 40000))} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		for name, r := range map[string]io.Reader{"whole": bytes.NewReader([]byte(s)), "bytewise": iotest.OneByteReader(bytes.NewReader([]byte(s)))} {
			var got bytes.Buffer
			if err := WriteJSONString(&got, r); err != nil {
				t.Fatal(err)
			}
			if got.String() != string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
				t.Fatalf("%s %q:\n got %q\nwant %q", name, s[:min(len(s), 40)], got.String()[:min(got.Len(), 200)], want.String()[:min(want.Len(), 200)])
			}
		}
	}
}
