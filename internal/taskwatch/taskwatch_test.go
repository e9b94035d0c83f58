package taskwatch

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/placement"
)

func intp(i int) *int { return &i }

func TestExitCode(t *testing.T) {
	for _, tt := range []struct {
		t    api.TaskInfo
		want int
	}{
		{api.TaskInfo{State: "TASK_FINISHED", ExitStatus: intp(0)}, 0},
		{api.TaskInfo{State: "TASK_FAILED", ExitStatus: intp(7)}, 7},
		{api.TaskInfo{State: "TASK_FAILED"}, 1},
		{api.TaskInfo{State: "TASK_KILLED"}, 137},
		{api.TaskInfo{State: "TASK_LOST"}, 4},
		{api.TaskInfo{State: "TASK_GONE_BY_OPERATOR"}, 4},
		{api.TaskInfo{State: "TASK_ERROR"}, 1},
		{api.TaskInfo{State: "TASK_RUNNING"}, 0},
	} {
		if got := ExitCode(&tt.t); got != tt.want {
			t.Errorf("%s %v: %d, want %d", tt.t.State, tt.t.ExitStatus, got, tt.want)
		}
	}
}

func TestPrintUpdate(t *testing.T) {
	var b bytes.Buffer
	PrintUpdate(&b, "sleep", api.TaskUpdate{State: "TASK_FAILED", Message: "Memory limit exceeded", Source: "SOURCE_AGENT", Reason: "REASON_CONTAINER_LIMITATION_MEMORY"})
	want := "Received status update TASK_FAILED for task 'sleep'\n  message: 'Memory limit exceeded'\n  source: SOURCE_AGENT\n  reason: REASON_CONTAINER_LIMITATION_MEMORY\n"
	if b.String() != want {
		t.Fatalf("%q", b.String())
	}
}

// TestFollowAndLocate: an agent whose long poll answers one status at a
// time, and fails once with 503 (recovering); another agent without the task.
func TestFollowAndLocate(t *testing.T) {
	all := []api.TaskUpdate{{State: "TASK_STAGING"}, {State: "TASK_STARTING"}, {State: "TASK_RUNNING"}, {State: "TASK_FINISHED", Message: "Command exited with status 0"}}
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "" && r.URL.Path != api.TaskPath+"/t1" {
			w.WriteHeader(404)
			json.NewEncoder(w).Encode(api.TaskError{Error: "unknown task", Code: "NOT_FOUND"})
			return
		}
		if calls.Add(1) == 2 {
			w.WriteHeader(503)
			json.NewEncoder(w).Encode(api.TaskError{Error: "recovering", Code: "RECOVERING"})
			return
		}
		n := len(all)
		if a := r.URL.Query().Get("after"); a != "" {
			after, _ := strconv.Atoi(a)
			n = min(after+1, len(all))
		}
		state := all[n-1].State
		json.NewEncoder(w).Encode(api.TaskInfo{ID: "t1", State: state, Statuses: all[:n], ExitStatus: intp(0)})
	}))
	defer srv.Close()
	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(404)
		json.NewEncoder(w).Encode(api.TaskError{Error: "unknown task", Code: "NOT_FOUND"})
	}))
	defer empty.Close()
	cands := []placement.Candidate{{Name: "a", Addr: empty.URL}, {Name: "b", Addr: srv.URL}}
	client := func(c placement.Candidate) *agentclient.Client { return agentclient.New(c.Addr) }

	loc, cl, err := Locate(context.Background(), cands, client, 2, "t1")
	if err != nil || loc.Agent.Name != "b" || loc.Task.State != "TASK_FINISHED" {
		t.Fatalf("locate: %+v %v", loc, err)
	}
	var seen []string
	ti, err := Follow(context.Background(), cl, "t1", 0, nil, func(u api.TaskUpdate) { seen = append(seen, u.State) })
	if err != nil || ti.State != "TASK_FINISHED" || len(seen) != 4 || seen[3] != "TASK_FINISHED" {
		t.Fatalf("follow: %v %v %v", ti, seen, err)
	}
	seen = nil
	ti, err = Follow(context.Background(), cl, "t1", 0, func(s string) bool { return s == "TASK_RUNNING" }, func(u api.TaskUpdate) { seen = append(seen, u.State) })
	if err != nil || ti.State != "TASK_RUNNING" || len(seen) != 3 {
		t.Fatalf("follow until running: %v %v %v", ti, seen, err)
	}
	_, _, err = Locate(context.Background(), cands[:1], client, 2, "t1")
	if err == nil || err.Error() != "task t1 not found on 1 agent (list tasks with 'mesosctl tasks')" {
		t.Fatalf("not found: %v", err)
	}
}
