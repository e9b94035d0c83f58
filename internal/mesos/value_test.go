package mesos

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseValue(t *testing.T) {
	tests := []struct {
		in   string
		typ  ValueType
		want string // String() of the parsed value
	}{
		{"3", Scalar, "3"},
		{"3.0", Scalar, "3"},
		{"0.125", Scalar, "0.125"},
		{"1.5123", Scalar, "1.512"},
		{"1.5126", Scalar, "1.513"},
		{" 1024 ", Scalar, "1024"},
		{"+2", Scalar, "2"},
		{".5", Scalar, "0.5"},
		{"5.", Scalar, "5"},
		{"1e3", Scalar, "1000"},
		{"-0", Scalar, "0"},
		{"0", Scalar, "0"},
		{"centos7", Text, "centos7"},
		{"us-east-1a", Text, "us-east-1a"},
		{"b:c", Text, "b:c"},
		{"centos 7", Text, "centos7"},
		{"nan", Text, "nan"},
		{"inf", Text, "inf"},
		{"0x10", Text, "0x10"},
		{"1e400", Text, "1e400"},
		{"f(x)", Text, "f(x)"},
		{"[31000-32000]", Ranges, "[31000-32000]"},
		{"[21000-24000,30000-34000]", Ranges, "[21000-24000,30000-34000]"},
		{"[30000-34000, 21000-24000]", Ranges, "[21000-24000,30000-34000]"},
		{"[1-5,3-10]", Ranges, "[1-10]"},
		{"[1-2,3-4]", Ranges, "[1-4]"},
		{"[1-1]", Ranges, "[1-1]"},
		{"[1-2,]", Ranges, "[1-2]"},
		{"[]", Ranges, "[]"},
		{"[0-18446744073709551615]", Ranges, "[0-18446744073709551615]"},
		{"{a,b,c}", Set, "{a,b,c}"},
		{"{c, a, a}", Set, "{c,a}"},
		{"{}", Set, "{}"},
		{"{a-b}", Set, "{a-b}"},
	}
	for _, tt := range tests {
		v, err := ParseValue(tt.in)
		if err != nil {
			t.Errorf("ParseValue(%q): %v", tt.in, err)
			continue
		}
		if v.Type != tt.typ || v.String() != tt.want {
			t.Errorf("ParseValue(%q) = %s %q, want %s %q", tt.in, v.Type, v.String(), tt.typ, tt.want)
		}
	}
}

func TestParseValueErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `invalid value "": empty value`},
		{"   ", `empty value`},
		{"-1", `invalid scalar "-1": negative values not supported`},
		{"1e-310", `subnormal values not supported`},
		{"[5-3]", `invalid ranges "[5-3]": range 5-3 has begin > end`},
		{"[1-2", `unmatched '['`},
		{"[1-2]]", `unmatched ']'`},
		{"{a", `unmatched '{'`},
		{"f(x", `unmatched '('`},
		{"a[1-2]", `unexpected '[' at position 1`},
		{"a{b}", `unexpected '{' at position 1`},
		{"[1-2][3-4]", `invalid ranges`},
		{"[5]", `"5" is not a range begin-end`},
		{"[1-2-3]", `is not a range begin-end`},
		{"[a-b]", `expecting non-negative integers in "a-b"`},
		{"[1-18446744073709551616]", `expecting non-negative integers`},
		{"{a,[b]}", `unexpected '['`},
		{"{a}b", `invalid set`},
	}
	for _, tt := range tests {
		_, err := ParseValue(tt.in)
		if err == nil {
			t.Errorf("ParseValue(%q): no error, want %q", tt.in, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseValue(%q) error %q, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

func TestValueTypeString(t *testing.T) {
	for typ, want := range map[ValueType]string{Scalar: "SCALAR", Ranges: "RANGES", Set: "SET", Text: "TEXT"} {
		if typ.String() != want {
			t.Errorf("%d.String() = %q", typ, typ.String())
		}
		if got, err := ParseValueType(strings.ToLower(want)); err != nil || got != typ {
			t.Errorf("ParseValueType(%q) = %v, %v", want, got, err)
		}
	}
	if _, err := ParseValueType("BOGUS"); err == nil {
		t.Error("ParseValueType(BOGUS): no error")
	}
}

func TestFloatJSON(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{3, "3.0"}, {8, "8.0"}, {0, "0.0"}, {0.125, "0.125"}, {14895, "14895.0"},
		{1.1, "1.1"}, {160, "160.0"}, {1700000001.5, "1700000001.5"}, {1e21, "1000000000000000000000.0"},
		{1e-7, "0.0000001"}, {123456789012, "123456789012.0"},
	}
	for _, tt := range tests {
		b, err := json.Marshal(Float(tt.in))
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(Float(%v)) = %s, %v; want %s", tt.in, b, err, tt.want)
		}
	}
	b, _ := json.Marshal(struct {
		V Float `json:"v"`
	}{2})
	if string(b) != `{"v":2.0}` {
		t.Errorf("in struct: %s", b)
	}
}

func TestValueContainsSubtract(t *testing.T) {
	mustV := func(s string) Value {
		v, err := ParseValue(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a := mustV("[31000-32000]")
	b := mustV("[31000-31000,31500-31600]")
	if !a.Contains(b) || b.Contains(a) {
		t.Fatal("range containment wrong")
	}
	if got := a.subtract(b).String(); got != "[31001-31499,31601-32000]" {
		t.Errorf("subtract = %s", got)
	}
	if got := a.subtract(b).add(b).String(); got != "[31000-32000]" {
		t.Errorf("add back = %s", got)
	}
	if !mustV("{a,b,c}").Contains(mustV("{c,a}")) || mustV("{a}").Contains(mustV("{b}")) {
		t.Error("set containment wrong")
	}
	if !mustV("3").Equal(mustV("3.0")) || mustV("3").Equal(mustV("3.5")) {
		t.Error("scalar equality wrong")
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "nl\ncr\rtab\t", "\x01\x1f", "<&>", "ünï", "\u2028\u2029", "bad\xffutf8"} {
		var buf strings.Builder
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		want := strings.TrimSuffix(buf.String(), "\n")
		if got := string(appendJSONString(nil, s)); got != want {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}
