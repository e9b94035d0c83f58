package nodeset

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func testGroups(name string) ([]string, error) {
	switch name {
	case "rack1":
		return []string{"lxb00[1-4]"}, nil
	case "rack2":
		return []string{"lxb005", "lxb006"}, nil
	case "all":
		return []string{"@rack1", "@rack2"}, nil
	case "loop":
		return []string{"@loop"}, nil
	}
	return nil, fmt.Errorf("unknown group %q (known: all, rack1, rack2)", name)
}

func TestExpand(t *testing.T) {
	tests := []struct {
		expr string
		want string // comma-joined
	}{
		{"lxb001", "lxb001"},
		{"lxb00[1-4,7]", "lxb001,lxb002,lxb003,lxb004,lxb007"},
		{"lxb[001-003]", "lxb001,lxb002,lxb003"},
		{"n[8-10]", "n8,n9,n10"},
		{"n[08-10]", "n08,n09,n10"},
		{"n[098-101]", "n098,n099,n100,n101"},
		{"rack[1-2]n[01-02]", "rack1n01,rack1n02,rack2n01,rack2n02"},
		{"a,b,a", "a,b"},
		{"b,a", "b,a"},
		{"lxb00[1-4,7],!lxb003", "lxb001,lxb002,lxb004,lxb007"},
		{"lxb00[1-4]!lxb002", "lxb001,lxb003,lxb004"},
		{"lxb00[1-4]!lxb00[2-3],lxb002", "lxb001,lxb004,lxb002"},
		{"!lxb001", ""},
		{"n[1-9/4]", "n1,n5,n9"},
		{"n[1-5]&n[4-9]", "n4,n5"},
		{"n[1-3]^n[2-4]", "n1,n4"},
		{"n[1-3],&n2", "n2"},
		{"@all&lxb00[5-9]", "lxb005,lxb006"},
		{"n[1-4]!n2,n2&n[2-3]", "n3,n2"},
		{"n[0]", "n0"},
		{" a , b ", "a,b"},
		{"10.0.0.[1-3]", "10.0.0.1,10.0.0.2,10.0.0.3"},
		{"agent[01-02].dc1", "agent01.dc1,agent02.dc1"},
		{"@rack2", "lxb005,lxb006"},
		{"@all!lxb00[2-5]", "lxb001,lxb006"},
		{"@rack1,lxb001,@rack2", "lxb001,lxb002,lxb003,lxb004,lxb005,lxb006"},
	}
	for _, tt := range tests {
		got, err := Expand(tt.expr, testGroups)
		if err != nil {
			t.Errorf("Expand(%q): %v", tt.expr, err)
			continue
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("Expand(%q) = %q, want %q", tt.expr, strings.Join(got, ","), tt.want)
		}
	}
}

func TestExpandErrors(t *testing.T) {
	tests := []struct {
		expr, want string
	}{
		{"lxb[1-", `bad node set "lxb[1-": unterminated '[' at position 4`},
		{"lxb[]", `bad node set "lxb[]": empty '[]' at position 4`},
		{"lxb[1-x]", `unexpected "x" in range`},
		{"lxb[3-1]", `range 3-1 goes backwards at position 5`},
		{"lxb]", `unmatched ']' at position 4`},
		{"a,,b", `empty element at position 3`},
		{"a,", `trailing ',' at position 2`},
		{",a", `empty element at position 1`},
		{"", `bad node set "": empty`},
		{"a b", `unexpected space at position 2`},
		{"a;b", `unexpected ";" at position 2`},
		{"n[1-1000000]", `expands to more than 100000 nodes`},
		{"n[1-1000]m[1-1000]", `expands to more than 100000 nodes`},
		{"n[8-010]", `mixes paddings`},
		{"n[1/2]", `a step needs a range`},
		{"n[1-4/0]", `step must be at least 1`},
		{"n[1-9999999999999999]", `too long`},
		{"@", `missing group name after '@'`},
		{"@nope", `unknown group "nope" (known: all, rack1, rack2)`},
		{"@loop", `nests too deeply`},
		{"a!!b", `empty element`},
		{"n[[1]]", `nested '['`},
		{"a&&b", `empty element`},
		{"a^", `empty element`},
	}
	for _, tt := range tests {
		_, err := Expand(tt.expr, testGroups)
		if err == nil {
			t.Errorf("Expand(%q): no error, want %q", tt.expr, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Expand(%q) error = %q, want it to contain %q", tt.expr, err, tt.want)
		}
	}
	if _, err := Expand("@rack1", nil); err == nil || !strings.Contains(err.Error(), "no groups are defined") {
		t.Errorf("nil resolver: %v", err)
	}
	var ne *Error
	if _, err := Expand("x[", nil); !errors.As(err, &ne) || ne.Pos != 2 {
		t.Errorf("want *Error at 2, got %#v", err)
	}
}

// TestFold: the expected values are what ClusterShell 1.9's nodeset -f
// prints for the same names (TestFoldAsClusterShell checks more against
// nodeset itself).
func TestFold(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"lxb001,lxb002,lxb003", "lxb[001-003]"},
		{"lxb001,lxb002,lxb003,lxb007", "lxb[001-003,007]"},
		{"n8,n9,n10", "n[8-10]"},
		{"n08,n09,n10", "n[08-10]"},
		{"n10,n9,n8,n9", "n[8-10]"},
		{"n8,n9,n10,n08", "n[8-9,08,10]"},
		{"n8,n9,n10,n08,n09", "n[8-9,08-10]"},
		{"n1,n01,n001,n2,n02", "n[1-2,01-02,001]"},
		{"n098,n099,n100,n101", "n[098-101]"},
		{"n9,n10,n010", "n[9-10,010]"},
		{"x0,x00,x000", "x[0,00,000]"},
		{"a", "a"},
		{"b,a", "a,b"},
		{"a,b,a1,a2", "a,a[1-2],b"},
		{"a1,a-b", "a1,a-b"},
		{"a1,a.b,a_b,aB,aa", "a1,a.b,aB,a_b,aa"},
		{"lxb1,lxb01", "lxb[1,01]"},
		{"rack1n01,rack1n02,rack2n01", "rack1n[01-02],rack2n01"},
		{"web1.dc,web2.dc,db1", "db1,web[1-2].dc"},
		{"a1b3,a1b4,a2b3,a2b4", "a[1-2]b[3-4]"},
		{"a1b3,a1b4,a2b3", "a1b[3-4],a2b3"},
		{"a1b1,a2b1,a1b2", "a1b[1-2],a2b1"},
		{"a1b1,a1b2,a2b1,a2b2,a3b1", "a[1-2]b[1-2],a3b1"},
		{"a1b1,a1b2,a2b2,a3b2,a3b1", "a[1,3]b[1-2],a2b2"},
		{"a01b1,a1b1,a01b2,a1b2", "a[1,01]b[1-2]"},
		{"x1y1z1,x1y1z2,x2y1z1,x2y1z2", "x[1-2]y1z[1-2]"},
		{"a9b1,a9b2,a10b3,a10b4", "a10b[3-4],a9b[1-2]"},
		{"a1b5,a1b6,a1b7,a2b1,a2b2,a3b1,a3b2", "a[2-3]b[1-2],a1b[5-7]"},
		{"10.0.0.1,10.0.0.2,10.0.1.1,10.0.1.2", "10.0.[0-1].[1-2]"},
		{"a%1,a%2", "a%[1-2]"},
		{"", ""},
	}
	for _, tt := range tests {
		var in []string
		if tt.in != "" {
			in = strings.Split(tt.in, ",")
		}
		got := Fold(in)
		if got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got == "" {
			continue
		}
		back, err := Expand(got, nil)
		if err != nil || !sameSet(back, in) {
			t.Errorf("Expand(Fold(%q)) = %q, %v; want the same names", tt.in, back, err)
		}
	}
}

// TestFoldLarge: a 50 × 200 grid given name by name folds back to the
// 25-character expression it came from, and fold∘expand is the identity
// on folded sets.
func TestFoldLarge(t *testing.T) {
	for expr, want := range map[string]string{
		"rack[01-50]-node[001-200]":                         "rack[01-50]-node[001-200]",
		"r[1-4]c[01-10]n[001-032]":                          "r[1-4]c[01-10]n[001-032]",
		"lxb[00001-99999]":                                  "lxb[00001-99999]",
		"10.0.[0-3].[1-254]":                                "10.0.[0-3].[1-254]",
		"c[01-99],a[1-2]b[3-4]":                             "a[1-2]b[3-4],c[01-99]",
		"rack[1-3]-node[01-64]-ipmi,rack[1-3]-node[01-64]":  "rack[1-3]-node[01-64],rack[1-3]-node[01-64]-ipmi",
		"rack[1-4]-node[1-8]!rack2-node[1-8]":               "rack[1,3-4]-node[1-8]",
		"rack[1-4]-node[1-8]!rack2-node8":                   "rack[1,3-4]-node[1-8],rack2-node[1-7]",
		"r[1-2]c[1-3]n[01-10]!r2c2n[05-10]":                 "r1c[1-3]n[01-10],r2c[1,3]n[01-10],r2c2n[01-04]",
		"lxb[001-064]!lxb0[10-19],lxb[100-199]!lxb1[10-19]": "lxb[001-009,020-064,100-109,120-199]",
	} {
		names, err := Expand(expr, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := Fold(names)
		if got != want {
			t.Errorf("Fold(Expand(%q)) = %q, want %q", expr, got, want)
		}
		back, _ := Expand(got, nil)
		if !sameSet(back, names) {
			t.Errorf("Expand(Fold(Expand(%q))) differs", expr)
		}
	}
}

func sameSet(a, b []string) bool {
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
		if seen[x] > 1 {
			return false // a has a duplicate
		}
	}
	for _, x := range b {
		if seen[x] == 0 {
			return false
		}
		seen[x] = -1 // b may repeat names
	}
	for _, v := range seen {
		if v > 0 {
			return false
		}
	}
	return true
}

func TestSort(t *testing.T) {
	got := Sort([]string{"n10", "a", "n9", "n08", "a1b2", "a2b1", "a1b1", "n9", "b"})
	want := []string{"a", "a1b1", "a1b2", "a2b1", "b", "n9", "n08", "n10"}
	if !slices.Equal(got, want) {
		t.Errorf("Sort = %q, want %q", got, want)
	}
}

func TestFromArgsOrEnv(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "NODES" {
				return v
			}
			return ""
		}
	}
	if got, err := FromArgsOrEnv([]string{"a[1-2]", "b"}, env("zzz")); err != nil || got != "a[1-2],b" {
		t.Errorf("args: %q %v", got, err)
	}
	if got, err := FromArgsOrEnv(nil, env("lxb00[1-4]")); err != nil || got != "lxb00[1-4]" {
		t.Errorf("env: %q %v", got, err)
	}
	if _, err := FromArgsOrEnv(nil, env("")); !errors.Is(err, ErrNoNodeSet) {
		t.Errorf("none: %v", err)
	}
}

func TestExpandExclude(t *testing.T) {
	got, err := ExpandExclude("lxb00[1-6]", []string{"lxb00[2,4]", "!lxb005", "lxb00[1-6]!lxb00[1-5]", " "}, nil)
	if err != nil || strings.Join(got, ",") != "lxb001,lxb003" {
		t.Errorf("got %q %v", got, err)
	}
	if _, err := ExpandExclude("a", []string{"b[1-"}, nil); err == nil || !strings.Contains(err.Error(), `bad node set "b[1-"`) {
		t.Errorf("bad exclude: %v", err)
	}
}

func FuzzExpand(f *testing.F) {
	for _, s := range []string{"lxb00[1-4,7],!lxb003", "rack[1-2]n[01-04]", "@rack1!lxb002", "n[1-9/2]", "a,,b", "[", "x[1-]", "@loop"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, err := Expand(s, testGroups)
		if err != nil {
			var ne *Error
			if errors.As(err, &ne) && ne.Pos > len(s)+1 {
				t.Fatalf("position %d beyond input %q", ne.Pos, s)
			}
			return
		}
		if len(names) > MaxNodes {
			t.Fatalf("%d names", len(names))
		}
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				t.Fatalf("duplicate %q in Expand(%q)", n, s)
			}
			seen[n] = true
		}
	})
}

// FuzzFoldRoundTrip: expand∘fold gives back the names (each once), and
// fold∘expand gives back the folded form.
func FuzzFoldRoundTrip(f *testing.F) {
	f.Add("lxb001 lxb002 lxb003 lxb007")
	f.Add("n8 n9 n10 n08 n1 n01")
	f.Add("rack1n01 rack1n02 a b 10.0.0.1")
	f.Add("a1b3 a1b4 a2b3 a2b4 a3b3 x1y1z1 x1y2z1 x2y2z2")
	f.Add("n099 n100 n0100 n1000 n999")
	f.Fuzz(func(t *testing.T, s string) {
		var names []string
		for _, n := range strings.Fields(s) {
			if ValidName(n) {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			return
		}
		folded := Fold(names)
		got, err := Expand(folded, nil)
		if err != nil {
			t.Fatalf("Expand(Fold(%q)) = Expand(%q): %v", names, folded, err)
		}
		if !sameSet(got, names) {
			t.Fatalf("Expand(Fold(%q)) = Expand(%q) = %q, want the same names once each", names, folded, got)
		}
		if again := Fold(got); again != folded {
			t.Fatalf("Fold(Expand(%q)) = %q, want it back", folded, again)
		}
		slices.Reverse(names)
		if rev := Fold(names); rev != folded {
			t.Fatalf("Fold depends on the order of names: %q vs %q", rev, folded)
		}
	})
}

// FuzzExpandFold: every expandable expression folds to one that expands to
// the same names.
func FuzzExpandFold(f *testing.F) {
	for _, s := range []string{"rack[01-50]-node[001-200]", "a[1-2]b[3-4],a3b3", "n[1-9/2]m[08-10]", "x[1,01,001]y[0-3]z", "10.0.[0-3].[1-20]!10.0.2.[5-9]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, err := Expand(s, nil)
		if err != nil || len(names) == 0 || len(names) > 5000 {
			return
		}
		folded := Fold(names)
		back, err := Expand(folded, nil)
		if err != nil || !sameSet(back, names) {
			t.Fatalf("Expand(%q) = %d names; Fold = %q expands to %d names (%v)", s, len(names), folded, len(back), err)
		}
	})
}

func BenchmarkExpand(b *testing.B) {
	for b.Loop() {
		if _, err := Expand("lxb[0001-4096],!lxb00[10-99]", nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFold(b *testing.B) {
	names, _ := Expand("lxb[0001-4096]", nil)
	for b.Loop() {
		Fold(names)
	}
}

// BenchmarkFold100k folds 100,000 names in one, two and three dimensions.
func BenchmarkFold100k(b *testing.B) {
	for _, expr := range []string{"lxb[000001-100000]", "rack[001-100]-node[0001-1000]", "dc[1-4]r[01-25]n[0001-1000]"} {
		names, _ := Expand(expr, nil)
		b.Run(expr, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if Fold(names) != expr {
					b.Fatal("bad fold")
				}
			}
		})
	}
}

// Sort returns names without duplicates in node set order: by pattern
// (the text around the numbers), then number by number, each number
// ordered by length and then value (lxb2 before lxb10, n9 before n08).
// The tests use it as the statement of that order (Fold prints each
// product in it).
func Sort(names []string) []string {
	var out []string
	var b bytes.Buffer
	for _, p := range patterns(names) {
		switch len(p.dims) {
		case 0:
			out = append(out, p.name)
			continue
		case 1:
			d := p.dims[0]
			for _, i := range p.prepare1() {
				out = append(out, p.lits[0]+d.strs[i]+p.lits[1])
			}
			continue
		}
		for _, v := range p.prepare() {
			b.Reset()
			for d, dim := range p.dims {
				b.WriteString(p.lits[d])
				b.WriteString(dim.strs[v[d]])
			}
			b.WriteString(p.lits[len(p.dims)])
			out = append(out, b.String())
		}
	}
	return out
}
