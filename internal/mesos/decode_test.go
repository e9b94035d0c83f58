package mesos

import (
	"strings"
	"testing"
)

func TestParseSummary(t *testing.T) {
	r, err := ParseSummary([]byte(`{"cpus":8.0,"disk":97000.0,"gpus":0.0,"mem":14895.0,"ports":"[31000-32000, 40000-40010]","bugs":"{a, b}","cpus_revocable":2.0}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.String(); got != "cpus:8;disk:97000;mem:14895;ports:[31000-32000,40000-40010];bugs:{a,b}" {
		t.Errorf("got %q", got)
	}
	// Round trip through SummaryJSON.
	r2, err := ParseSummary(r.SummaryJSON())
	if err != nil || !r2.Contains(r) || !r.Contains(r2) {
		t.Errorf("round trip: %q, %v", r2.String(), err)
	}
	for _, bad := range []string{`[]`, `{"cpus":-1}`, `{"os":"centos7"}`, `{"cpus":true}`, `{"cpus":1`, `{"cpus":1}x`, `{"p":"[5-3]"}`, `{"cpus":null}`} {
		if _, err := ParseSummary([]byte(bad)); err == nil || !strings.Contains(err.Error(), "invalid resources summary") {
			t.Errorf("ParseSummary(%s): %v", bad, err)
		}
	}
}

func TestParseV0Attributes(t *testing.T) {
	a, err := ParseV0Attributes([]byte(`{"os":"centos7","rack":3.0,"keys":"[1000-1500]","zone":"us-east-1a","ver":"7"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := a.String(); got != "os:centos7;rack:3;keys:[1000-1500];zone:us-east-1a;ver:7" {
		t.Errorf("got %q", got)
	}
	if v, _ := a.Get("ver"); v.Type != Text {
		t.Errorf("a JSON string stays TEXT, got %s", v.Type)
	}
	if got := string(a.V0JSON()); got != `{"os":"centos7","rack":3.0,"keys":"[1000-1500]","zone":"us-east-1a","ver":"7"}` {
		t.Errorf("V0JSON round trip = %s", got)
	}
	if ok, _ := a.Matches("rack:3"); !ok {
		t.Error("rack:3 should match a /state attribute 3.0")
	}
	if _, err := ParseV0Attributes([]byte(`{"a":null}`)); err == nil {
		t.Error("null accepted")
	}
}

func TestFits(t *testing.T) {
	free := mustResources(t, "cpus:1;mem:256;cpus(ads):2;mem(ads):1024;cpus(eng/web):4")
	task := mustResources(t, "cpus:2;mem:512")
	if free.Fits(task, "*") {
		t.Error("unreserved alone has only cpus:1")
	}
	if !free.Fits(task, "ads") {
		t.Error("role ads may use its reservation too")
	}
	if !free.Fits(mustResources(t, "cpus:5"), "eng/web/a") || free.Fits(mustResources(t, "cpus:5"), "eng") {
		t.Error("hierarchical roles: a child may use its parent's reservation, not the reverse")
	}
	if got := free.UsableBy("ads").String(); got != "cpus:1;mem:256;cpus(ads):2;mem(ads):1024" {
		t.Errorf("UsableBy = %q", got)
	}
}
