package v1pb

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The byte strings are protobuf encodings worked out by hand from Mesos'
// field numbers: tag = field<<3 | wire type.
func TestCallsFromKnownBytes(t *testing.T) {
	for _, c := range []struct {
		name, hex string
		want      api.Call
	}{
		{"GET_HEALTH", "08 01", api.Call{Type: api.CallGetHealth}},
		// type READ_FILE (8); read_file (5) {path (1) "/a", offset (2) 0, length (3) 5}
		{"READ_FILE", "08 08 2a 08 0a 02 2f 61 10 00 18 05",
			api.Call{Type: api.CallReadFile, ReadFile: &api.ReadFileCall{Path: "/a", Offset: 0, Length: ptr(uint64(5))}}},
		// type SET_LOGGING_LEVEL (6); set_logging_level (3) {level 1, duration {nanoseconds 60e9}}
		{"SET_LOGGING_LEVEL", "08 06 1a 0b 08 01 12 07 08 80 b0 9d c2 df 01",
			api.Call{Type: api.CallSetLoggingLevel, SetLoggingLevel: &api.SetLoggingLevel{Level: 1, Duration: api.Duration{Nanoseconds: 60e9}}}},
		// type KILL_CONTAINER (24); kill_container (15) {container_id {value "c1"}, signal 15}
		{"KILL_CONTAINER", "08 18 7a 08 0a 04 0a 02 63 31 10 0f",
			api.Call{Type: api.CallKillContainer, KillContainer: &api.KillContainer{ContainerID: api.ContainerID{Value: "c1"}, Signal: ptr(int32(15))}}},
		// type GET_METRICS (4); get_metrics (2) {} (present, empty)
		{"GET_METRICS", "08 04 12 00", api.Call{Type: api.CallGetMetrics, GetMetrics: &api.GetMetricsCall{}}},
	} {
		js, err := DecodeCall(unhex(t, c.hex))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := api.DecodeCall(js)
		if err != nil {
			t.Fatalf("%s: api.DecodeCall(%s): %v", c.name, js, err)
		}
		gotJS, _ := json.Marshal(got)
		wantJS, _ := json.Marshal(c.want)
		if !bytes.Equal(gotJS, wantJS) {
			t.Errorf("%s: decoded %s\n got %s\nwant %s", c.name, js, gotJS, wantJS)
		}
	}
}

func TestLaunchContainerCallKeepsMesosJSON(t *testing.T) {
	call := &Call{Type: Call_LAUNCH_CONTAINER.Enum(), LaunchContainer: &Call_LaunchContainer{
		ContainerId: &ContainerID{Value: proto.String("c1")},
		Command:     &CommandInfo{Value: proto.String("sleep 1"), Environment: &Environment{Variables: []*Environment_Variable{{Name: proto.String("A"), Value: proto.String("b")}}}},
		Resources: []*Resource{{Name: proto.String("cpus"), Type: Value_SCALAR.Enum(), Scalar: &Value_Scalar{Value: proto.Float64(0.5)}},
			{Name: proto.String("ports"), Type: Value_RANGES.Enum(), Ranges: &Value_Ranges{Range: []*Value_Range{{Begin: proto.Uint64(31000), End: proto.Uint64(31001)}}}}},
		Limits: map[string]*Value_Scalar{"cpus": {Value: proto.Float64(1)}},
	}}
	b, err := proto.Marshal(call)
	if err != nil {
		t.Fatal(err)
	}
	js, err := DecodeCall(b)
	if err != nil {
		t.Fatal(err)
	}
	// Explicit defaults appear (shell, type VALUE), 64-bit integers are
	// numbers, the deprecated role with a default does not.
	want := `{"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"c1"},` +
		`"command":{"environment":{"variables":[{"name":"A","type":"VALUE","value":"b"}]},"shell":true,"value":"sleep 1"},` +
		`"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.5}},{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,"end":31001}]}}],` +
		`"limits":{"cpus":{"value":1}}}}`
	if string(js) != want {
		t.Errorf("JSON\n got %s\nwant %s", js, want)
	}
}

func TestMissingRequiredFieldIsRefused(t *testing.T) {
	// read_file without its required offset.
	if _, err := DecodeCall(unhex(t, "08 08 2a 04 0a 02 2f 61")); err == nil || err.Error() != "Failed to parse body into a protobuf object" {
		t.Errorf("err = %v", err)
	}
	if _, err := DecodeCall([]byte{0xff}); err == nil {
		t.Error("garbage decoded")
	}
}

// Responses, written by the api types, encode to the bytes Mesos would send.
func TestResponsesToKnownBytes(t *testing.T) {
	for _, c := range []struct {
		name string
		resp api.Response
		hex  string
	}{
		// type GET_HEALTH (1); get_health (2) {healthy true}
		{"GET_HEALTH", api.Response{Type: "GET_HEALTH", Body: api.GetHealth{Healthy: true}}, "08 01 12 02 08 01"},
		// type GET_LOGGING_LEVEL (5); get_logging_level (6) {level 0}: a
		// required zero is still on the wire.
		{"GET_LOGGING_LEVEL", api.Response{Type: "GET_LOGGING_LEVEL", Body: map[string]uint32{"level": 0}}, "08 05 32 02 08 00"},
		// type READ_FILE (7); read_file (8) {size 3, data "abc"}
		{"READ_FILE", api.Response{Type: "READ_FILE", Body: map[string]any{"size": 3, "data": "YWJj"}}, "08 07 42 07 08 03 12 03 61 62 63"},
		// type GET_FLAGS (2); get_flags (3) {flags [{name "port", value "5051"}]}
		{"GET_FLAGS", api.Response{Type: "GET_FLAGS", Body: api.GetFlags{Flags: []api.Flag{{Name: "port", Value: "5051"}}}},
			"08 02 1a 0e 0a 0c 0a 04 70 6f 72 74 12 04 35 30 35 31"},
	} {
		js, err := json.Marshal(c.resp)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ResponseProto(js)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if want := unhex(t, c.hex); !bytes.Equal(b, want) {
			t.Errorf("%s: % x, want % x", c.name, b, want)
		}
	}
}

// A GET_STATE document of the api types survives JSON → protobuf → JSON
// with the fields Mesos' protobuf has.
func TestStateRoundTrip(t *testing.T) {
	fw := api.Framework{ID: "F", Name: "mesos-execute instance", User: "root", Checkpoint: true,
		Capabilities: []string{"TASK_KILLING_STATE"}, Executors: []api.Executor{{ID: "t1", Name: "Command Executor",
			Source: "t1", FrameworkID: "F", Tasks: []api.Task{{ID: "t1", Name: "sleep", FrameworkID: "F",
				SlaveID: "A-S0", State: "TASK_RUNNING", ResourcesFull: json.RawMessage(`[{"name":"cpus","type":"SCALAR","scalar":{"value":0.1}}]`),
				Statuses: []api.Status{{State: "TASK_RUNNING", Timestamp: 1700000000.5, UUID: "AAEC",
					ContainerStatus: &api.ContainerStatus{ContainerID: &api.ContainerID{Value: "C"}}}}}}}}}
	resp := api.Response{Type: "GET_STATE", Body: api.StateFromFrameworks([]api.Framework{fw}, nil)}
	js, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ResponseProto(js)
	if err != nil {
		t.Fatal(err)
	}
	var r Response
	if err := proto.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	task := r.GetGetState().GetGetTasks().GetLaunchedTasks()[0]
	if task.GetTaskId().GetValue() != "t1" || task.GetState() != TaskState_TASK_RUNNING ||
		task.GetResources()[0].GetScalar().GetValue() != 0.1 || !bytes.Equal(task.GetStatuses()[0].GetUuid(), []byte{0, 1, 2}) ||
		task.GetStatuses()[0].GetContainerStatus().GetContainerId().GetValue() != "C" {
		t.Errorf("task = %v", task)
	}
	if fi := r.GetGetState().GetGetFrameworks().GetFrameworks()[0].GetFrameworkInfo(); fi.GetName() != "mesos-execute instance" ||
		fi.GetCapabilities()[0].GetType() != FrameworkInfo_Capability_TASK_KILLING_STATE {
		t.Errorf("framework = %v", fi)
	}
}

func TestResponseMissingRequiredFieldIsAnError(t *testing.T) {
	if _, err := ResponseProto([]byte(`{"type":"GET_FLAGS","get_flags":{"flags":[{"value":"x"}]}}`)); err == nil {
		t.Error("a flag without its required name was encoded")
	}
}

func TestRecordIO(t *testing.T) {
	// Records as Mesos frames them: decimal length, newline, the bytes.
	rr := NewRecordReader(strings.NewReader("5\nhello0\n3\na\nb"))
	for _, want := range []string{"hello", "", "a\nb"} {
		got, err := rr.Next()
		if err != nil || string(got) != want {
			t.Fatalf("Next = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := rr.Next(); err != io.EOF {
		t.Errorf("after the last record: %v", err)
	}
	for _, bad := range []string{"5\nhel", "x\nabc", "5", "99999999999\n"} {
		if _, err := NewRecordReader(strings.NewReader(bad)).Next(); err == nil || err == io.EOF {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

// mesos.pb.go is what protoc and protoc-gen-go make of mesos.proto today.
func TestGeneratedCodeIsCurrent(t *testing.T) {
	protoc, err := exec.LookPath("protoc")
	if err != nil {
		t.Fatalf("protoc is not installed (Debian package protobuf-compiler; scripts/install-deps.sh installs it): %v", err)
	}
	dir := t.TempDir()
	plugin := filepath.Join(dir, "protoc-gen-go")
	if out, err := exec.Command("go", "build", "-o", plugin, "google.golang.org/protobuf/cmd/protoc-gen-go").CombinedOutput(); err != nil {
		t.Fatalf("build protoc-gen-go: %v\n%s", err, out)
	}
	cmd := exec.Command(protoc, "--plugin=protoc-gen-go="+plugin, "--go_out="+dir, "--go_opt=paths=source_relative", "mesos.proto")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, out)
	}
	want, err := os.ReadFile(filepath.Join(dir, "mesos.pb.go"))
	if err != nil {
		t.Fatal(err)
	}
	// go:generate deletes the package init that builds the descriptors
	// (Load does it on first use).
	initLine := []byte("func init() { file_mesos_proto_init() }\n")
	if bytes.Count(want, initLine) != 1 {
		t.Fatalf("protoc-gen-go no longer writes %q once: gen.go's sed and Load need a look", initLine)
	}
	want = bytes.Replace(want, initLine, nil, 1)
	got, err := os.ReadFile("mesos.pb.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("mesos.pb.go is stale: run go generate ./internal/agentd/api/v1pb")
	}
}

// TestMain: the tests build messages directly, so the descriptors are
// loaded first (the package's own functions call Load themselves).
func TestMain(m *testing.M) {
	Load()
	os.Exit(m.Run())
}

func ptr[T any](v T) *T { return &v }
