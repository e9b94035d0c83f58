package agentd

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

// TestPlacementView: GET /mesosctl/v1/placement holds the /state fields
// placement reads, with the same values, before and after a launch (what
// the task allocated included), and the containerizers flag.
func TestPlacementView(t *testing.T) {
	a := startBinaryAgent(t, "--attributes=rack:3;os:centos7", "--resources=cpus:4;mem:2048;disk:1000;cpus(web):2")
	check := func(when string) {
		t.Helper()
		code, body := a.do("GET", api.PlacementPath, nil)
		if code != 200 {
			t.Fatalf("%s: GET %s: %d %s", when, api.PlacementPath, code, body)
		}
		var p api.Placement
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatalf("%s: %v: %s", when, err, body)
		}
		var fields map[string]json.RawMessage
		_ = json.Unmarshal(body, &fields)
		if len(fields) != 9 {
			t.Errorf("%s: placement has %d fields, want 9: %s", when, len(fields), body)
		}
		st := a.state()
		got := p.State()
		want := &api.State{ID: st.ID, Hostname: st.Hostname, Resources: st.Resources,
			UnreservedResources: st.UnreservedResources, UnreservedResourcesAllocated: st.UnreservedResourcesAllocated,
			ReservedResources: st.ReservedResources, ReservedResourcesAllocated: st.ReservedResourcesAllocated,
			Attributes: st.Attributes, Flags: map[string]string{"containerizers": st.Flags["containerizers"]}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: placement view\n%+v\nis not /state's\n%+v", when, got, want)
		}
		if p.Containerizers != "mesos" || len(p.Attributes) < 10 {
			t.Errorf("%s: containerizers %q attributes %s", when, p.Containerizers, p.Attributes)
		}
	}
	check("idle")
	a.launch(sh("p1", "sleep 300"))
	a.waitState("p1", 10e9, "TASK_RUNNING")
	check("one task")
	var p api.Placement
	_, body := a.do("GET", api.PlacementPath, nil)
	_ = json.Unmarshal(body, &p)
	if string(p.UnreservedResourcesAllocated) == "{}" || len(p.ReservedResources["web"]) == 0 {
		t.Errorf("allocation or reservation missing: %s", body)
	}
}
