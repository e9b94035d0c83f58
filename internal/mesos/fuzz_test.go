package mesos

import (
	"testing"
)

var valueSeeds = []string{
	"3", "0.125", "1.5123", "-1", "nan", "1e400", "1e-310", "centos7", "b:c", "us-east-1a",
	"[31000-32000]", "[21000-24000,30000-34000]", "[5-3]", "[1-2", "{a,b,c}", "{}", "[]",
	"a[1]", "f(x)", "[0-18446744073709551615]", " 1 0 ", "{a\nb}", "[1-2\n3-4]",
}

func FuzzParseValue(f *testing.F) {
	for _, s := range valueSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseValue(s)
		if err != nil {
			return
		}
		text := v.String()
		v2, err := ParseValue(text)
		if err != nil {
			t.Fatalf("ParseValue(%q) = %q, which does not parse: %v", s, text, err)
		}
		if !v2.Equal(v) || v2.String() != text {
			t.Fatalf("round trip of %q: %q → %q", s, text, v2.String())
		}
		_ = v.SummaryString()
	})
}

func FuzzParseResources(f *testing.F) {
	for _, s := range []string{
		"cpus:24;gpus:2;mem:24576;disk:409600;ports:[21000-24000,30000-34000];bugs(debug_role):{a,b,c}",
		"cpus(ads):2;mem(*):1024", "cpus:24;mem", "cpus:1;cpus:2", "os:centos7", "cpus(a/b):1", "cpus((a):1",
		`[{"name":"cpus","type":"SCALAR","scalar":{"value":8}},{"name":"b","type":"SET","set":{"item":["x"]},"role":"r"}]`,
		`[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":1,"end":2}]}}]`, "[", "",
	} {
		f.Add(s, "*")
	}
	f.Add("cpus:1", "prod")
	f.Fuzz(func(t *testing.T, s, role string) {
		r, err := ParseResources(s, role)
		if err != nil {
			return
		}
		text := r.String()
		r2, err := ParseResources(text, "*")
		if err != nil {
			t.Fatalf("ParseResources(%q, %q) = %q, which does not parse: %v", s, role, text, err)
		}
		if r2.String() != text || !r.Contains(r2) || !r2.Contains(r) {
			t.Fatalf("round trip of %q: %q → %q", s, text, r2.String())
		}
		r3, err := ParseResources(string(r.FullJSON()), "*")
		if err != nil || r3.String() != text {
			t.Fatalf("FullJSON round trip of %q: %q, %v", s, r3.String(), err)
		}
		_ = r.SummaryJSON()
		if d, err := r.Subtract(r); err != nil || len(d) != 0 {
			t.Fatalf("r - r = %q, %v", d.String(), err)
		}
	})
}

func FuzzParseAttributes(f *testing.F) {
	for _, s := range []string{
		"os:centos7;rack:3", "a:b:c", "zone:us-east-1a", "keys:[1000-1500]", "rack:{a,b}", "rack",
		":3", "rack:", "os:centos7\nrack:3\r\n", "x: 1 2 ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAttributes(s)
		if err != nil {
			return
		}
		text := a.String()
		a2, err := ParseAttributes(text)
		if err != nil {
			t.Fatalf("ParseAttributes(%q) = %q, which does not parse: %v", s, text, err)
		}
		if a2.String() != text || len(a2) != len(a) {
			t.Fatalf("round trip of %q: %q → %q", s, text, a2.String())
		}
		a3, err := ParseV1Attributes(a.V1JSON())
		if err != nil || a3.String() != text {
			t.Fatalf("V1 round trip of %q: %q, %v", s, a3.String(), err)
		}
		_ = a.V0JSON()
		if len(a) > 0 {
			if ok, err := a.Matches(a[0].String()); err == nil && !ok {
				t.Fatalf("%q does not match its own first attribute %q", text, a[0])
			}
		}
	})
}

func FuzzParseStateJSON(f *testing.F) {
	for _, s := range []string{
		`{"cpus":8.0,"disk":97000.0,"gpus":0.0,"mem":14895.0,"ports":"[31000-32000]"}`,
		`{"os":"centos7","rack":3.0,"keys":"[1000-1500]"}`, `{}`, `[]`, `{"a":null}`, `{"a":"{x, y}"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if r, err := ParseSummary(data); err == nil {
			r2, err := ParseSummary(r.SummaryJSON())
			if err != nil || r2.String() != r.Flatten(UnreservedRole).String() && !(r2.Contains(r) && r.Contains(r2)) {
				t.Fatalf("summary round trip of %s: %q → %q, %v", data, r.String(), r2.String(), err)
			}
		}
		if a, err := ParseV0Attributes(data); err == nil {
			_ = a.V0JSON()
			_ = a.V1JSON()
		}
	})
}
