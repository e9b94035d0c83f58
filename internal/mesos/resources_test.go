package mesos

import (
	"encoding/json"
	"strings"
	"testing"
)

func mustResources(t *testing.T, s string) Resources {
	t.Helper()
	r, err := ParseResources(s, "*")
	if err != nil {
		t.Fatalf("ParseResources(%q): %v", s, err)
	}
	return r
}

func TestParseResources(t *testing.T) {
	tests := []struct{ in, role, want string }{
		{"cpus:24;gpus:2;mem:24576;disk:409600;ports:[21000-24000,30000-34000];bugs(debug_role):{a,b,c}", "*",
			"cpus:24;gpus:2;mem:24576;disk:409600;ports:[21000-24000,30000-34000];bugs(debug_role):{a,b,c}"},
		{"cpus(ads):2;mem(*):1024;ports:[31000-32000]", "*", "cpus(ads):2;mem:1024;ports:[31000-32000]"},
		{"cpus:2;mem:1024", "prod", "cpus(prod):2;mem(prod):1024"},
		{"cpus:2;mem(*):1024", "prod", "cpus(prod):2;mem:1024"},
		{"cpus:1;cpus:2.5", "*", "cpus:3.5"},
		{"cpus:1;cpus(r):2", "*", "cpus:1;cpus(r):2"},
		{"cpus:0", "*", "cpus:0"},
		{" cpus : 2 ; mem : 1024 ;", "*", "cpus:2;mem:1024"},
		{"cpus(a/b):1", "*", "cpus(a/b):1"},
		{"cpus( ads ):1", "*", "cpus(ads):1"},
		{"", "*", ""},
		{"ports:[1-2];ports:[3-4]", "*", "ports:[1-4]"},
		{"cpus:1", "", "cpus:1"},
	}
	for _, tt := range tests {
		r, err := ParseResources(tt.in, tt.role)
		if err != nil {
			t.Errorf("ParseResources(%q, %q): %v", tt.in, tt.role, err)
			continue
		}
		if r.String() != tt.want {
			t.Errorf("ParseResources(%q, %q) = %q, want %q", tt.in, tt.role, r.String(), tt.want)
		}
	}
}

func TestParseResourcesErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"cpus:24;mem", `invalid resources "cpus:24;mem": token 2 "mem": missing or extra ':'`},
		{"cpus:1:2", `token 1 "cpus:1:2": missing or extra ':'`},
		{"os:centos7", `Bad type for resource os value centos7 type TEXT`},
		{"cpus:-1", `negative values not supported`},
		{"cpus(ads:1", `mismatched parentheses`},
		{"cpus)ads(:1", `mismatched parentheses`},
		{"cpus(ads)x:1", `mismatched parentheses`},
		{"cpus():1", `empty role`},
		{"cpus(a b):1", `whitespace`},
		{"cpus(.):1", `"." component`},
		{"cpus(..):1", `".." component`},
		{"cpus(/a):1", `empty path component`},
		{"cpus(a//b):1", `empty path component`},
		{"cpus(-a):1", `starting with '-'`},
		{"cpus(a/*):1", `'*' is only valid`},
		{":1", `missing or extra ':'`},
		{"(r):1", `empty resource name`},
		{"gpus:1.5", `gpus must be a whole number`},
		{"cpus:1;cpus:[1-2]", `resource cpus has two types, SCALAR and RANGES`},
		{"ports:[5-3]", `range 5-3 has begin > end`},
		{"[{\"name\":\"cpus\"", `invalid resources JSON`},
		{`[{"name":"cpus","type":"SCALAR"}]`, `SCALAR resource without`},
		{`[{"name":"os","type":"TEXT"}]`, `Bad type for resource os`},
		{`[{"name":"cpus","type":"FOO","scalar":{"value":1}}]`, `unknown value type "FOO"`},
		{`[{"name":"","type":"SCALAR","scalar":{"value":1}}]`, `empty resource name`},
		{`[{"name":"cpus","type":"SCALAR","scalar":{"value":-1}}]`, `negative`},
		{`[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":5,"end":3}]}}]`, `begin > end`},
	}
	for _, tt := range tests {
		_, err := ParseResources(tt.in, "*")
		if err == nil {
			t.Errorf("ParseResources(%q): no error, want %q", tt.in, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseResources(%q) error\n  %q\nwant it to contain\n  %q", tt.in, err, tt.want)
		}
	}
	if _, err := ParseResources("cpus:1", "a b"); err == nil || !strings.Contains(err.Error(), "invalid default role") {
		t.Errorf("bad default role: %v", err)
	}
}

func TestParseResourcesJSON(t *testing.T) {
	in := `[
	  {"name":"cpus","type":"SCALAR","scalar":{"value":8}},
	  {"name":"mem","type":"SCALAR","scalar":{"value":1024.5},"role":"ads"},
	  {"name":"disk","type":"SCALAR","scalar":{"value":100},"reservations":[{"type":"STATIC","role":"prod"}]},
	  {"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000},{"begin":1,"end":2}]}},
	  {"name":"bugs","type":"SET","set":{"item":["a","b"]},"revocable":{}}
	]`
	r, err := ParseResources(in, "dflt")
	if err != nil {
		t.Fatal(err)
	}
	want := "cpus(dflt):8;mem(ads):1024.5;disk(prod):100;ports(dflt):[1-2,31000-32000];bugs(dflt):{a,b}"
	if r.String() != want {
		t.Errorf("got %q\nwant %q", r.String(), want)
	}
	// The Full form is accepted back.
	r2, err := ParseResources(string(r.FullJSON()), "*")
	if err != nil || r2.String() != want {
		t.Errorf("Full round trip: %q, %v", r2.String(), err)
	}
}

func TestSummaryJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		// The reference /state example.
		{"cpus:8;mem:14895;disk:97000;ports:[31000-32000]",
			`{"cpus":8.0,"disk":97000.0,"gpus":0.0,"mem":14895.0,"ports":"[31000-32000]"}`},
		{"", `{"cpus":0.0,"disk":0.0,"gpus":0.0,"mem":0.0}`},
		{"cpus:1.1;mem:160", `{"cpus":1.1,"disk":0.0,"gpus":0.0,"mem":160.0}`},
		{"cpus(ads):2;cpus:6;ports:[21000-24000,30000-34000];bugs(r):{a,b,c};zeta:1;alpha:2",
			`{"cpus":8.0,"disk":0.0,"gpus":0.0,"mem":0.0,"alpha":2.0,"bugs":"{a, b, c}","ports":"[21000-24000, 30000-34000]","zeta":1.0}`},
		{"ports:[1-2];ports(r):[3-4,10-11]", `{"cpus":0.0,"disk":0.0,"gpus":0.0,"mem":0.0,"ports":"[1-4, 10-11]"}`},
	}
	for _, tt := range tests {
		r := mustResources(t, tt.in)
		if got := string(r.SummaryJSON()); got != tt.want {
			t.Errorf("SummaryJSON(%q)\n got %s\nwant %s", tt.in, got, tt.want)
		}
		b, err := json.Marshal(map[string]any{"resources": r.Summary()})
		if err != nil || string(b) != `{"resources":`+tt.want+`}` {
			t.Errorf("json.Marshal(Summary) = %s, %v", b, err)
		}
	}
}

func TestFullJSON(t *testing.T) {
	r := mustResources(t, "cpus:8;mem(ads):1024;ports:[31000-32000];bugs:{a,b}")
	want := `[{"name":"cpus","type":"SCALAR","scalar":{"value":8.0},"role":"*"},` +
		`{"name":"mem","type":"SCALAR","scalar":{"value":1024.0},"role":"ads","reservations":[{"type":"STATIC","role":"ads"}]},` +
		`{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":32000}]},"role":"*"},` +
		`{"name":"bugs","type":"SET","set":{"item":["a","b"]},"role":"*"}]`
	if got := string(r.FullJSON()); got != want {
		t.Errorf("FullJSON\n got %s\nwant %s", got, want)
	}
	if got := string(Resources(nil).FullJSON()); got != `[]` {
		t.Errorf("empty FullJSON = %s", got)
	}
	// The reference example's unreserved_resources_full entry.
	if got := string(mustResources(t, "cpus:8").Unreserved().FullJSON()); got != `[{"name":"cpus","type":"SCALAR","scalar":{"value":8.0},"role":"*"}]` {
		t.Errorf("got %s", got)
	}
}

func TestReservedByRole(t *testing.T) {
	r := mustResources(t, "cpus:6;cpus(ads):2;mem(ads):512;mem(prod):128;disk:10")
	if got := r.Unreserved().String(); got != "cpus:6;disk:10" {
		t.Errorf("Unreserved = %q", got)
	}
	if got := r.Reserved().String(); got != "cpus(ads):2;mem(ads):512;mem(prod):128" {
		t.Errorf("Reserved = %q", got)
	}
	by := r.ByRole()
	if len(by) != 2 || by["ads"].String() != "cpus(ads):2;mem(ads):512" || by["prod"].String() != "mem(prod):128" {
		t.Errorf("ByRole = %v", by)
	}
	if got := strings.Join(r.Roles(), ","); got != "ads,prod" {
		t.Errorf("Roles = %q", got)
	}
	if r.Scalar("cpus") != 8 || r.Scalar("mem") != 640 || r.Scalar("gpus") != 0 {
		t.Errorf("Scalar sums wrong: %v %v", r.Scalar("cpus"), r.Scalar("mem"))
	}
	if got := r.Flatten("*").String(); got != "cpus:8;mem:640;disk:10" {
		t.Errorf("Flatten = %q", got)
	}
}

func TestAccounting(t *testing.T) {
	agent := mustResources(t, "cpus:2;mem:1024;ports:[31000-32000]")
	task := mustResources(t, "cpus:1;mem:128;ports:[31000-31000,31500-31501]")
	if !agent.Contains(task) {
		t.Fatal("agent should contain task")
	}
	free, err := agent.Subtract(task)
	if err != nil {
		t.Fatal(err)
	}
	if got := free.String(); got != "cpus:1;mem:896;ports:[31001-31499,31502-32000]" {
		t.Errorf("free = %q", got)
	}
	// A second identical task does not fit (ports taken); a third cpus:1 does, then cpus run out.
	if free.Contains(task) {
		t.Error("ports already used must not be contained")
	}
	small := mustResources(t, "cpus:1;mem:128")
	free2, err := free.Subtract(small)
	if err != nil {
		t.Fatal(err)
	}
	if got := free2.String(); got != "mem:768;ports:[31001-31499,31502-32000]" {
		t.Errorf("free2 = %q (cpus:0 should be dropped)", got)
	}
	if _, err := free2.Subtract(small); err == nil || !strings.Contains(err.Error(), "cpus:1 needed, no cpus(*) available") {
		t.Errorf("Subtract over capacity: %v", err)
	}
	if _, err := mustResources(t, "cpus:0.5").Subtract(small); err == nil || !strings.Contains(err.Error(), "cpus:1 needed, cpus:0.5 available") {
		t.Errorf("Subtract over capacity: %v", err)
	}
	back := free2.Add(small).Add(task)
	if !back.Contains(agent) || !agent.Contains(back) {
		t.Errorf("Add back = %q", back.String())
	}
	// Roles are kept apart.
	reserved := mustResources(t, "cpus(ads):2;mem(ads):1024")
	if reserved.Contains(small) {
		t.Error("reserved resources must not satisfy an unreserved request")
	}
	if !reserved.Flatten("*").Contains(small) {
		t.Error("flattened resources should satisfy the request")
	}
	// Fixed point: 0.1 + 0.2 == 0.3.
	sum := mustResources(t, "cpus:0.1").Add(mustResources(t, "cpus:0.2"))
	if !sum.Contains(mustResources(t, "cpus:0.3")) || sum.String() != "cpus:0.3" {
		t.Errorf("fixed point sum = %q", sum.String())
	}
}

func TestParseResourcesJSONProtobufVariants(t *testing.T) {
	// proto3 JSON: enum numbers, 64-bit integers and doubles as strings; extra fields ignored.
	in := `[{"name":"cpus","type":0,"scalar":{"value":"1.5"},"allocation_info":{"role":"*"}},
	        {"name":"ports","type":"RANGES","ranges":{"range":[{"begin":"31000","end":"31005"}]}},
	        {"name":"bugs","type":2,"set":{"item":["a"]}}]`
	r, err := ParseResources(in, "*")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.String(); got != "cpus:1.5;ports:[31000-31005];bugs:{a}" {
		t.Errorf("got %q", got)
	}
	for _, bad := range []string{
		`[{"name":"cpus","type":7,"scalar":{"value":1}}]`,
		`[{"name":"cpus","type":"SCALAR","scalar":{"value":"x"}}]`,
		`[{"name":"cpus","type":"SCALAR","scalar":{"value":"NaN"}}]`,
		`[{"name":"p","type":"RANGES","ranges":{"range":[{"begin":-1,"end":2}]}}]`,
		`[{"name":"p","type":"RANGES","ranges":{"range":[{"begin":"1.5","end":2}]}}]`,
		`[{"name":"b","type":"SET","set":{"item":["a,b"]}}]`,
		`[{"name":"c:d","type":"SCALAR","scalar":{"value":1}}]`,
		`[{"name":"cpus","type":"SCALAR","scalar":{"value":1},"role":"a b"}]`,
	} {
		if _, err := ParseResources(bad, "*"); err == nil {
			t.Errorf("ParseResources(%s): no error", bad)
		}
	}
}

func TestParseFlagFileWhitespace(t *testing.T) {
	r, err := ParseResources("cpus:2;mem:1024\n", "*")
	if err != nil || r.String() != "cpus:2;mem:1024" {
		t.Errorf("resources with trailing newline: %q, %v", r.String(), err)
	}
	r, err = ParseResources("cpus:2;\n\tmem : 1024\r\n", "*")
	if err != nil || r.String() != "cpus:2;mem:1024" {
		t.Errorf("resources with CRLF and tabs: %q, %v", r.String(), err)
	}
	a, err := ParseAttributes("os:\tcentos7\t\r\nrack:3\t\n")
	if err != nil || a.String() != "os:centos7;rack:3" || a[1].Value.Type != Scalar {
		t.Errorf("attributes with tabs: %q, %v", a.String(), err)
	}
}

func TestExecutorOverhead(t *testing.T) {
	task := mustResources(t, "cpus:1;mem:128")
	exec := task.Add(ExecutorOverhead(""))
	// The reference /state example: task {"cpus":1.0,...,"mem":128.0}, executor {"cpus":1.1,...,"mem":160.0}.
	if got := string(exec.SummaryJSON()); got != `{"cpus":1.1,"disk":0.0,"gpus":0.0,"mem":160.0}` {
		t.Errorf("executor summary = %s", got)
	}
	if got := ExecutorOverhead("ads").String(); got != "cpus(ads):0.1;mem(ads):32" {
		t.Errorf("overhead = %q", got)
	}
}

func TestAccountingUnnormalized(t *testing.T) {
	// Hand-built lists may repeat a name and leave the role empty.
	agent := Resources{{Name: "cpus", Value: ScalarValue(1)}}
	task := Resources{{Name: "cpus", Role: "*", Value: ScalarValue(1)}, {Name: "cpus", Role: "*", Value: ScalarValue(1)}}
	if agent.Contains(task) {
		t.Error("cpus:1 must not contain cpus:1 twice")
	}
	if _, err := agent.Subtract(task); err == nil {
		t.Error("Subtract of cpus:2 from cpus:1 succeeded")
	}
	if got := agent.Add(task).String(); got != "cpus:3" {
		t.Errorf("Add = %q", got)
	}
	if _, err := ParseResources(`[{"name":"cpus","type":"SCALAR","scalar":{"value":1}}] trailing`, "*"); err == nil {
		t.Error("trailing data after the JSON array accepted")
	}
}

func TestScalars(t *testing.T) {
	r := Scalars(0.1+0.2, 32, 0)
	if got := r.String(); got != "cpus:0.3;mem:32" {
		t.Errorf("Scalars = %q, want cpus:0.3;mem:32 (rounded, zeros left out)", got)
	}
	if len(Scalars(0, 0, 0)) != 0 {
		t.Error("Scalars of zeros is not empty")
	}
}
