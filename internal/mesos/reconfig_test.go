package mesos

import (
	"errors"
	"strings"
	"testing"
)

func agentInfo(t *testing.T, res, attrs string) AgentInfo {
	t.Helper()
	r, err := ParseResources(res, "*")
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseAttributes(attrs)
	if err != nil {
		t.Fatal(err)
	}
	return AgentInfo{Hostname: "lxb001", Port: 5051, Resources: r, Attributes: a}
}

func TestCheckReconfiguration(t *testing.T) {
	const baseRes = "cpus:2;mem:1024;ports:[31000-32000];bugs:{a,b}"
	const baseAttrs = "os:centos7;rack:2;keys:[1000-1500]"
	type change struct {
		res, attrs string
		edit       func(*AgentInfo)
	}
	tests := []struct {
		name     string
		to       change
		equal    string // "" = allowed; else a substring of the error
		additive string
	}{
		{"unchanged", change{baseRes, baseAttrs, nil}, "", ""},
		{"reordered", change{"bugs:{b,a};ports:[31000-32000];mem:1024;cpus:2", "keys:[1000-1500];rack:2.0;os:centos7", nil}, "", ""},
		{"attribute changed", change{baseRes, "os:centos7;rack:3;keys:[1000-1500]", nil},
			`attribute "rack" changed from 2 to 3`, `attribute "rack" changed from 2 to 3`},
		{"attribute added", change{baseRes, baseAttrs + ";zone:a", nil}, `attribute "zone" added (a)`, ""},
		{"attribute removed", change{baseRes, "os:centos7;keys:[1000-1500]", nil},
			`attribute "rack" removed (was 2)`, `attribute "rack" removed (was 2)`},
		{"attribute type changed", change{baseRes, "os:centos7;rack:two;keys:[1000-1500]", nil},
			`attribute "rack" changed type from SCALAR to TEXT`, `changed type from SCALAR to TEXT`},
		{"text attribute changed", change{baseRes, "os:ubuntu;rack:2;keys:[1000-1500]", nil},
			`attribute "os" changed from centos7 to ubuntu`, `attribute "os" changed from centos7 to ubuntu`},
		{"ranges attribute grown", change{baseRes, "os:centos7;rack:2;keys:[1000-2000]", nil},
			`attribute "keys" changed from [1000-1500] to [1000-2000]`, ""},
		{"ranges attribute shrunk", change{baseRes, "os:centos7;rack:2;keys:[1000-1200]", nil},
			`attribute "keys" changed`, `attribute "keys" changed from [1000-1500] to [1000-1200]`},
		{"resource grown", change{"cpus:2;mem:2048;ports:[31000-32000];bugs:{a,b}", baseAttrs, nil},
			`resource mem(*) changed 1024 → 2048`, ""},
		{"resource shrunk", change{"cpus:2;mem:512;ports:[31000-32000];bugs:{a,b}", baseAttrs, nil},
			`resource mem(*) changed 1024 → 512`, `resource mem(*) changed 1024 → 512`},
		{"resource added", change{baseRes + ";gpus:1", baseAttrs, nil}, `resource gpus(*) added (1)`, ""},
		{"resource removed", change{"cpus:2;mem:1024;ports:[31000-32000]", baseAttrs, nil},
			`resource bugs(*) removed (was {a,b})`, `resource bugs(*) removed`},
		{"resource moved to a role", change{"cpus(ads):2;mem:1024;ports:[31000-32000];bugs:{a,b}", baseAttrs, nil},
			`resource cpus(*) removed (was 2)`, `resource cpus(*) removed (was 2)`},
		{"ports grown", change{"cpus:2;mem:1024;ports:[30000-32000];bugs:{a,b}", baseAttrs, nil}, `resource ports(*) changed`, ""},
		{"ports shrunk", change{"cpus:2;mem:1024;ports:[31000-31500];bugs:{a,b}", baseAttrs, nil},
			`resource ports(*) changed`, `resource ports(*) changed [31000-32000] → [31000-31500]`},
		{"set grown", change{"cpus:2;mem:1024;ports:[31000-32000];bugs:{a,b,c}", baseAttrs, nil}, `resource bugs(*) changed`, ""},
		{"set shrunk", change{"cpus:2;mem:1024;ports:[31000-32000];bugs:{a}", baseAttrs, nil}, `resource bugs(*) changed`, `resource bugs(*) changed {a,b} → {a}`},
		{"hostname", change{baseRes, baseAttrs, func(a *AgentInfo) { a.Hostname = "lxb002" }},
			`hostname changed from "lxb001" to "lxb002"`, `hostname changed from "lxb001" to "lxb002"`},
		{"port", change{baseRes, baseAttrs, func(a *AgentInfo) { a.Port = 5052 }},
			`port changed from 5051 to 5052`, `port changed from 5051 to 5052`},
		{"domain set", change{baseRes, baseAttrs, func(a *AgentInfo) { a.Domain = "eu/z1" }},
			`domain changed from "" to "eu/z1"`, ""},
		{"zero-valued resource ignored", change{baseRes + ";gpus:0", baseAttrs, nil}, "", ""},
	}
	old := agentInfo(t, baseRes, baseAttrs)
	for _, tt := range tests {
		nw := agentInfo(t, tt.to.res, tt.to.attrs)
		if tt.to.edit != nil {
			tt.to.edit(&nw)
		}
		for _, pc := range []struct{ policy, want string }{{"equal", tt.equal}, {"", tt.equal}, {"additive", tt.additive}} {
			err := CheckReconfiguration(pc.policy, old, nw)
			switch {
			case pc.want == "" && err != nil:
				t.Errorf("%s (%q): unexpected error %v", tt.name, pc.policy, err)
			case pc.want != "" && err == nil:
				t.Errorf("%s (%q): no error, want %q", tt.name, pc.policy, pc.want)
			case pc.want != "" && !strings.Contains(err.Error(), pc.want):
				t.Errorf("%s (%q):\n  got %v\n want %q", tt.name, pc.policy, err, pc.want)
			}
			var re *ReconfigurationError
			if err != nil && !errors.As(err, &re) {
				t.Errorf("%s: error is %T, want *ReconfigurationError", tt.name, err)
			}
		}
	}
}

func TestCheckReconfigurationMisc(t *testing.T) {
	a := agentInfo(t, "cpus:1", "rack:1")
	if err := CheckReconfiguration("bogus", a, a); err == nil || !strings.Contains(err.Error(), `unknown --reconfiguration_policy "bogus"`) {
		t.Errorf("bogus policy: %v", err)
	}
	// Domain may not change once set, even additively.
	b := a
	a.Domain, b.Domain = "eu/z1", "eu/z2"
	if err := CheckReconfiguration("additive", a, b); err == nil {
		t.Error("domain change accepted")
	}
	// Several changes are all listed, in one message.
	c := agentInfo(t, "cpus:2", "rack:2")
	err := CheckReconfiguration("equal", agentInfo(t, "cpus:1", "rack:1"), c)
	want := `agent configuration changed in a way --reconfiguration_policy=equal does not allow: resource cpus(*) changed 1 → 2; attribute "rack" changed from 1 to 2`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	// Duplicate attributes compare as multisets under equal.
	d1, d2 := agentInfo(t, "cpus:1", "a:1;a:2"), agentInfo(t, "cpus:1", "a:1;a:3")
	if err := CheckReconfiguration("equal", d1, d2); err == nil {
		t.Error("duplicate attribute change accepted")
	}
	if err := CheckReconfiguration("equal", d1, agentInfo(t, "cpus:1", "a:2;a:1")); err != nil {
		t.Error(err)
	}
}
