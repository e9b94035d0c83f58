package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// testExecutor is a command executor with one task (running or completed)
// and strings that encoding/json escapes.
func testExecutor(i int, done bool) Executor {
	id := fmt.Sprintf("task-%04d <&> \u2028 é", i)
	healthy := true
	pid := uint32(4242)
	t := Task{ID: id, Name: id, FrameworkID: "fw", SlaveID: "a-S0", State: "TASK_RUNNING",
		Resources: json.RawMessage(`{"cpus": 0.1, "mem": 32.0}`), Role: "*",
		Labels: &Labels{Labels: []Label{{Key: "k", Value: "<v>"}}},
		Statuses: []Status{{State: "TASK_STARTING", Timestamp: 1.5},
			{State: "TASK_RUNNING", Timestamp: 1700000000.25, Healthy: &healthy,
				ContainerStatus: &ContainerStatus{ContainerID: &ContainerID{Value: "c"}, ExecutorPID: &pid,
					NetworkInfos: AgentNetworkInfos("127.0.0.1", "::1")}}},
		ResourcesFull: json.RawMessage(`[]`), Terminated: done}
	e := Executor{ID: id, Name: "Command Executor (Task: " + id + ")", Source: id, Container: "c",
		Directory: "/var/lib/mesos/" + id, Resources: json.RawMessage(`{"cpus":0.2}`), Role: "*",
		Tasks: []Task{}, QueuedTasks: []QueuedTask{}, CompletedTasks: []Task{}, FrameworkID: "fw"}
	if done {
		t.State = "TASK_FINISHED"
		e.CompletedTasks = append(e.CompletedTasks, t)
	} else {
		e.Tasks = append(e.Tasks, t)
	}
	return e
}

func testState(active, completed, executors int, encode bool) State {
	st := State{Version: "1.11.0", GitSHA: "abc", BuildDate: "2026-01-01 00:00:00", BuildTime: 1, BuildUser: "mesosctl",
		StartTime: 1700000000.5, ID: "a-S0", PID: "slave(1)@127.0.0.1:5051", Hostname: "h<1>",
		Capabilities: []string{"MULTI_ROLE"}, Domain: json.RawMessage(`{"fault_domain": {"region": {"name": "r"}}}`),
		Resources:         json.RawMessage(`{"cpus":2.0}`),
		ReservedResources: map[string]json.RawMessage{"b": json.RawMessage(`{}`), "a": json.RawMessage(`{"cpus":1.0}`)},
		ResourceProviders: []json.RawMessage{}, Attributes: json.RawMessage(`{"rack":"3"}`),
		Flags: map[string]string{"work_dir": "/w", "attributes": "a:<b>&c"}, Frameworks: []Framework{}, CompletedFrameworks: []Framework{}}
	n := 0
	add := func(list *[]Framework, live bool) {
		f := Framework{ID: fmt.Sprintf("fw-%d", len(*list)), Name: "mesosctl", User: "root", FailoverTimeout: 0,
			Checkpoint: true, Hostname: "h", Role: "*", Capabilities: []string{"x"},
			Executors: []Executor{}, CompletedExecutors: []Executor{}}
		for i := 0; i < executors; i++ {
			e := testExecutor(n, !live || i%3 == 0)
			n++
			if encode && i%5 != 4 { // some executors without a cached encoding
				if err := e.Encode(); err != nil {
					panic(err)
				}
			}
			if live && i%3 != 0 {
				f.Executors = append(f.Executors, e)
			} else {
				f.CompletedExecutors = append(f.CompletedExecutors, e)
			}
		}
		*list = append(*list, f)
	}
	for range active {
		add(&st.Frameworks, true)
	}
	for range completed {
		add(&st.CompletedFrameworks, false)
	}
	return st
}

// TestStateAppendJSON: AppendJSON writes exactly what json.Marshal does,
// with 0, 1 and many executors, completed frameworks and executors, cached
// and uncached executor encodings, nil and empty arrays.
func TestStateAppendJSON(t *testing.T) {
	cases := map[string]State{
		"empty":             {},
		"no tasks":          testState(0, 0, 0, true),
		"one task":          testState(1, 0, 1, true),
		"one task uncached": testState(1, 0, 1, false),
		"many":              testState(3, 2, 400, true),
		"many uncached":     testState(2, 1, 50, false),
	}
	nilSlices := testState(2, 0, 3, true)
	nilSlices.Frameworks[0].Executors = nil
	nilSlices.Frameworks[1].CompletedExecutors = nil
	nilSlices.CompletedFrameworks = nil
	cases["nil arrays"] = nilSlices
	for name, st := range cases {
		want, err := json.Marshal(st)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := st.AppendJSON([]byte("prefix"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("%s: AppendJSON differs from json.Marshal:\n got %s\nwant prefix%s", name, got, want)
		}
	}
}

func BenchmarkStateJSON(b *testing.B) {
	st := testState(1, 0, 1000, true)
	for _, f := range st.Frameworks {
		for _, list := range [][]Executor{f.Executors, f.CompletedExecutors} {
			for i := range list {
				if err := list[i].Encode(); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("json.Marshal", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(st); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = st.AppendJSON(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
