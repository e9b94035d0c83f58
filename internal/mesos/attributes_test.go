package mesos

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseAttributes(t *testing.T) {
	tests := []struct {
		in    string
		want  string // String()
		types string // types joined by ","
	}{
		{"rack:3", "rack:3", "SCALAR"},
		{"os:centos7;rack:3", "os:centos7;rack:3", "TEXT,SCALAR"},
		{"a:b:c", "a:b:c", "TEXT"},
		{"zone:us-east-1a", "zone:us-east-1a", "TEXT"},
		{"keys:[1000-1500]", "keys:[1000-1500]", "RANGES"},
		{"level:10;rack:abc", "level:10;rack:abc", "SCALAR,TEXT"},
		{"os:centos7\nrack:3\n", "os:centos7;rack:3", "TEXT,SCALAR"},
		{"os:centos7\r\nrack:3\r\n", "os:centos7;rack:3", "TEXT,SCALAR"},
		{"rack:3;rack:4", "rack:3;rack:4", "SCALAR,SCALAR"},
		{"url:http://x:80/", "url:http://x:80/", "TEXT"},
		{"", "", ""},
		{";;", "", ""},
	}
	for _, tt := range tests {
		a, err := ParseAttributes(tt.in)
		if err != nil {
			t.Errorf("ParseAttributes(%q): %v", tt.in, err)
			continue
		}
		var types []string
		for _, at := range a {
			types = append(types, at.Value.Type.String())
		}
		if a.String() != tt.want || strings.Join(types, ",") != tt.types {
			t.Errorf("ParseAttributes(%q) = %q %v, want %q %s", tt.in, a.String(), types, tt.want, tt.types)
		}
	}
	a, _ := ParseAttributes("a:b:c")
	if v, ok := a.Get("a"); !ok || v.Text != "b:c" {
		t.Errorf("a:b:c → %+v", v)
	}
	a, _ = ParseAttributes("rack:3")
	if v, ok := a.Get("rack"); !ok || v.Type != Scalar || v.Scalar != 3 {
		t.Errorf("rack:3 → %+v", v)
	}
	if _, ok := a.Get("nope"); ok {
		t.Error("Get(nope) found")
	}
}

func TestParseAttributesErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"rack:{a,b}", `invalid attribute "rack:{a,b}": Bad type for attribute rack (SET)`},
		{"os:centos7;rack", `invalid attribute "rack": Invalid attribute key:value pair`},
		{":3", `empty name`},
		{"rack:", `empty value for rack`},
		{"rack: ", `empty value for rack`},
		{"level:-1", `negative values not supported`},
		{"keys:[5-3]", `range 5-3 has begin > end`},
		{"os:cent[os", `unmatched '['`},
	}
	for _, tt := range tests {
		_, err := ParseAttributes(tt.in)
		if err == nil {
			t.Errorf("ParseAttributes(%q): no error, want %q", tt.in, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseAttributes(%q) error\n  %q\nwant it to contain\n  %q", tt.in, err, tt.want)
		}
	}
}

func TestAttributesJSON(t *testing.T) {
	a, err := ParseAttributes("os:centos7;rack:3")
	if err != nil {
		t.Fatal(err)
	}
	// The reference: --attributes=os:centos7;rack:3 → "attributes":{"os":"centos7","rack":3.0}
	if got := string(a.V0JSON()); got != `{"os":"centos7","rack":3.0}` {
		t.Errorf("V0JSON = %s", got)
	}
	b, _ := json.Marshal(map[string]any{"attributes": a})
	if string(b) != `{"attributes":{"os":"centos7","rack":3.0}}` {
		t.Errorf("Marshal = %s", b)
	}
	b, _ = json.Marshal(a.V0())
	if string(b) != `{"os":"centos7","rack":3.0}` {
		t.Errorf("Marshal V0 = %s", b)
	}
	// v1: the reference lists rack first.
	a2, _ := ParseAttributes("rack:3;os:centos7")
	want := `[{"name":"rack","type":"SCALAR","scalar":{"value":3.0}},{"name":"os","type":"TEXT","text":{"value":"centos7"}}]`
	if got := string(a2.V1JSON()); got != want {
		t.Errorf("V1JSON\n got %s\nwant %s", got, want)
	}
	a3, _ := ParseAttributes("keys:[1000-1500];zone:us-east-1a;w:0.5")
	if got := string(a3.V0JSON()); got != `{"keys":"[1000-1500]","zone":"us-east-1a","w":0.5}` {
		t.Errorf("V0JSON ranges = %s", got)
	}
	if got := string(a3.V1JSON()); got != `[{"name":"keys","type":"RANGES","ranges":{"range":[{"begin":1000,"end":1500}]}},{"name":"zone","type":"TEXT","text":{"value":"us-east-1a"}},{"name":"w","type":"SCALAR","scalar":{"value":0.5}}]` {
		t.Errorf("V1JSON ranges = %s", got)
	}
	back, err := ParseV1Attributes(a3.V1JSON())
	if err != nil || back.String() != a3.String() {
		t.Errorf("ParseV1Attributes = %q, %v", back.String(), err)
	}
	if got := string(Attributes(nil).V0JSON()) + string(Attributes(nil).V1JSON()); got != `{}[]` {
		t.Errorf("empty = %s", got)
	}
	if _, err := ParseV1Attributes([]byte(`[{"name":"x","type":"SCALAR"}]`)); err == nil {
		t.Error("ParseV1Attributes without value: no error")
	}
}

func TestAttributesMatches(t *testing.T) {
	a, _ := ParseAttributes("os:centos7;rack:3.0;zone:us-east-1a;keys:[1000-1500]")
	tests := []struct {
		c    string
		want bool
	}{
		{"rack:3", true}, {"rack:3.0", true}, {"rack:4", false}, {"os:centos7", true},
		{"os:centos8", false}, {"zone:us-east-1a", true}, {"nope:1", false},
		{"os:centos7;rack:3", true}, {"os:centos7;rack:2", false},
		{"keys:[1100-1200]", true}, {"keys:[1400-1600]", false}, {"rack:three", false},
	}
	for _, tt := range tests {
		got, err := a.Matches(tt.c)
		if err != nil || got != tt.want {
			t.Errorf("Matches(%q) = %v, %v; want %v", tt.c, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "rack", "rack:{a}"} {
		if _, err := a.Matches(bad); err == nil || !strings.Contains(err.Error(), "invalid constraint") {
			t.Errorf("Matches(%q) error = %v", bad, err)
		}
	}
}
