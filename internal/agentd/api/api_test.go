package api

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestFloat(t *testing.T) {
	for v, want := range map[float64]string{0: "0.0", 3: "3.0", 14895: "14895.0", 0.125: "0.125", 1.1: "1.1", 1e21: "1000000000000000000000.0"} {
		b, _ := json.Marshal(Float(v))
		if string(b) != want {
			t.Errorf("Float(%v) = %s, want %s", v, b, want)
		}
	}
}

func TestCallUnmarshal(t *testing.T) {
	var c Call
	if err := json.Unmarshal([]byte(`{"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"c","parent":{"value":"p"}},"command":{"value":"sleep 1"},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":1}}]}}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.Type != CallLaunchContainer || c.LaunchContainer.ContainerID.String() != "p.c" || !strings.Contains(string(c.LaunchContainer.Resources), "cpus") {
		t.Fatalf("call = %+v", c)
	}
	if err := json.Unmarshal([]byte(`{"type":24,"kill_container":{"container_id":{"value":"x"},"signal":15}}`), &c); err != nil || c.Type != CallKillContainer || *c.KillContainer.Signal != 15 {
		t.Fatalf("numeric type: %+v %v", c, err)
	}
	if err := json.Unmarshal([]byte(`{"type":999}`), &c); err != nil || c.Type != CallUnknown {
		t.Fatalf("unknown number: %v %v", c.Type, err)
	}
	if err := json.Unmarshal([]byte(`{"type":true}`), &c); err == nil || !strings.Contains(err.Error(), "type") {
		t.Fatalf("bad type: %v", err)
	}
}

func TestResponseAndContainer(t *testing.T) {
	b, _ := json.Marshal(Response{Type: CallGetHealth, Body: GetHealth{Healthy: true}})
	if string(b) != `{"type":"GET_HEALTH","get_health":{"healthy":true}}` {
		t.Fatalf("response = %s", b)
	}
	b, _ = json.Marshal(Response{Type: CallKillContainer})
	if string(b) != `{"type":"KILL_CONTAINER"}` {
		t.Fatalf("empty response = %s", b)
	}
	c := Container{FrameworkID: "f", ExecutorID: "e", ExecutorName: "n", Source: "s", ContainerID: ContainerID{Value: "c"},
		Status: &ContainerStatus{ContainerID: &ContainerID{Value: "c"}, NetworkInfos: []NetworkInfo{}}}
	b, _ = json.Marshal(c)
	if string(b) != `{"framework_id":"f","executor_id":"e","executor_name":"n","source":"s","container_id":"c","status":{"container_id":{"value":"c"}}}` {
		t.Fatalf("container = %s", b)
	}
}

func TestStateFieldOrder(t *testing.T) {
	b, _ := json.Marshal(State{Resources: json.RawMessage(`{}`), UnreservedResources: json.RawMessage(`{}`),
		UnreservedResourcesFull: json.RawMessage(`[]`), UnreservedResourcesAllocated: json.RawMessage(`{}`),
		Attributes: json.RawMessage(`{}`)})
	order := []string{"version", "build_date", "build_time", "build_user", "start_time", "id", "pid", "hostname",
		"capabilities", "resources", "reserved_resources", "unreserved_resources", "reserved_resources_full",
		"unreserved_resources_full", "reserved_resources_allocated", "unreserved_resources_allocated",
		"resource_providers", "attributes", "flags", "frameworks", "completed_frameworks"}
	last := -1
	for _, k := range order {
		i := strings.Index(string(b), `"`+k+`":`)
		if i < 0 || i < last {
			t.Fatalf("key %s out of order in %s", k, b)
		}
		last = i
	}
}

func FuzzCall(f *testing.F) {
	f.Add(`{"type":"GET_STATE"}`)
	f.Add(`{"type":22,"launch_container":{"container_id":{"value":"x"}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		var c Call
		_ = json.Unmarshal([]byte(s), &c)
	})
}

func TestRedactFlag(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"master", "zk://ops:s3cret@zk1:2181,zk2:2181/mesos", "zk://ops:xxxxx@zk1:2181,zk2:2181/mesos"},
		{"master", "zk://s3cret@zk1:2181/mesos", "zk://xxxxx@zk1:2181/mesos"},
		{"master", "zk://zk1:2181/mesos", "zk://zk1:2181/mesos"},
		{"master", "file:///etc/mesos/zk", "/etc/mesos/zk"},
		{"master", "10.0.0.1:5050", "10.0.0.1:5050"},
		{"http_credentials", `{"credentials":[{"principal":"p","secret":"s"}]}`, Redacted},
		{"http_credentials", ` {"credentials":[]}`, Redacted},
		{"http_credentials", "/etc/mesosctl/agentd-credentials.json", "/etc/mesosctl/agentd-credentials.json"},
		{"credential", "file:///etc/mesos/credential", "file:///etc/mesos/credential"},
		{"credential", `{"principal":"p","secret":"s"}`, Redacted},
		{"attributes", "rack:1", "rack:1"},
	} {
		if got := RedactFlag(tt.name, tt.in); got != tt.want {
			t.Errorf("RedactFlag(%s, %q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}
