package mesos

import (
	"encoding/json"
	"testing"
)

func TestStateShapes(t *testing.T) {
	r := mustResources(t, "cpus:6;mem:1024;cpus(ads):2;mem(prod):128")
	doc := map[string]any{
		"resources":               r.Summary(),
		"reserved_resources":      r.ReservedSummary(),
		"unreserved_resources":    r.Unreserved().Summary(),
		"reserved_resources_full": r.ReservedFull(),
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"reserved_resources":{"ads":{"cpus":2.0,"disk":0.0,"gpus":0.0,"mem":0.0},"prod":{"cpus":0.0,"disk":0.0,"gpus":0.0,"mem":128.0}},` +
		`"reserved_resources_full":{"ads":[{"name":"cpus","type":"SCALAR","scalar":{"value":2.0},"role":"ads","reservations":[{"type":"STATIC","role":"ads"}]}],` +
		`"prod":[{"name":"mem","type":"SCALAR","scalar":{"value":128.0},"role":"prod","reservations":[{"type":"STATIC","role":"prod"}]}]},` +
		`"resources":{"cpus":8.0,"disk":0.0,"gpus":0.0,"mem":1152.0},` +
		`"unreserved_resources":{"cpus":6.0,"disk":0.0,"gpus":0.0,"mem":1024.0}}`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
	empty := mustResources(t, "cpus:1")
	b, _ = json.Marshal(map[string]any{"r": empty.ReservedSummary(), "f": empty.ReservedFull()})
	if string(b) != `{"f":{},"r":{}}` {
		t.Errorf("no reservations: %s", b)
	}
	if !r.Equal(mustResources(t, "mem(prod):128;cpus(ads):2;mem:1024;cpus:6;gpus:0")) || r.Equal(empty) {
		t.Error("Equal wrong")
	}
}
