package render

import (
	"encoding/json"
	"reflect"
	"testing"
)

func FuzzDecodeOrderedMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":[true,false,null],"c":"x\"y\\z\/\b\f\n\r\t\u00e9"}`,
		`"\ud83d\ude00 \ud83d x \ude00 \ud83d\u0041"`, `[1e400, -1e400, 0.5e-400, -0, 1.5E+3]`,
		`{"a":1,"a":2}`, `[`, `{"a"}`, `01`, `1.`, `"\u12"`, `nul`, `[1,]`, " \n[ ] ",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeOrdered(data, newKeyOrder())
		var want any
		werr := json.Unmarshal(data, &want)
		if werr != nil {
			if err == nil && !json.Valid(data) {
				t.Fatalf("%q: invalid JSON accepted (encoding/json: %v)", data, werr)
			}
			return // out-of-range numbers are accepted here (jq prints DBL_MAX)
		}
		if err != nil {
			t.Fatalf("%q: valid JSON rejected: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %#v, encoding/json %#v", data, got, want)
		}
	})
}
