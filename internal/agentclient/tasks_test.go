package agentclient

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

// taskServer serves the task API contract from a map, the way agentd does.
func taskServer(t *testing.T) (*Client, *[]string) {
	t.Helper()
	var calls []string
	mux := http.NewServeMux()
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("POST "+api.TaskPath, func(w http.ResponseWriter, r *http.Request) {
		var spec api.TaskSpec
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &spec); err != nil {
			writeJSON(w, 400, api.TaskError{Error: err.Error(), Code: "BAD_REQUEST"})
			return
		}
		switch spec.TaskID {
		case "big":
			writeJSON(w, 409, api.TaskError{Error: "task big needs cpus:4.1;mem:160, agent has cpus:1.9;mem:800 free",
				Code: "INSUFFICIENT_RESOURCES", Need: &api.TaskResources{CPUs: 4.1, Mem: 160}, Free: &api.TaskResources{CPUs: 1.9, Mem: 800}})
		case "dup":
			writeJSON(w, 409, api.TaskError{Error: "task dup exists", Code: "TASK_EXISTS"})
		default:
			writeJSON(w, 201, api.TaskInfo{ID: spec.TaskID, Name: spec.Name, State: "TASK_STAGING", Resources: spec.Resources})
		}
	})
	mux.HandleFunc("GET "+api.TaskPath, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, api.TaskList{Tasks: []api.TaskInfo{{ID: "a"}, {ID: "b"}}})
	})
	mux.HandleFunc("GET "+api.TaskPath+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		calls = append(calls, r.URL.RequestURI())
		if r.PathValue("id") != "a b" {
			writeJSON(w, 404, api.TaskError{Error: "unknown task " + r.PathValue("id"), Code: "NOT_FOUND"})
			return
		}
		writeJSON(w, 200, api.TaskInfo{ID: "a b", State: "TASK_RUNNING", Statuses: []api.TaskUpdate{{State: "TASK_STARTING"}, {State: "TASK_RUNNING"}}})
	})
	mux.HandleFunc("POST "+api.TaskPath+"/{id}/kill", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 202, api.TaskInfo{ID: r.PathValue("id"), State: "TASK_KILLING"})
	})
	mux.HandleFunc("GET /files/read", func(w http.ResponseWriter, r *http.Request) {
		calls = append(calls, r.URL.RequestURI())
		if r.URL.Query().Get("path") != "/sb/stdout" {
			http.Error(w, "Failed to find", 404)
			return
		}
		writeJSON(w, 200, FileChunk{Data: "hello", Offset: 3})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return New(srv.URL), &calls
}

func TestTaskAPI(t *testing.T) {
	ctx := context.Background()
	c, calls := taskServer(t)

	ti, err := c.LaunchTask(ctx, api.TaskSpec{TaskID: "sleep", Name: "sleep", Command: "sleep 1", Resources: api.TaskResources{CPUs: 1, Mem: 128}})
	if err != nil || ti.ID != "sleep" || ti.State != "TASK_STAGING" || ti.Resources.Mem != 128 {
		t.Fatalf("launch: %+v %v", ti, err)
	}
	_, err = c.LaunchTask(ctx, api.TaskSpec{TaskID: "big"})
	var te *TaskError
	var he *HTTPError
	if !errors.Is(err, ErrInsufficient) || !errors.As(err, &te) || te.Need.CPUs != 4.1 || te.Free.CPUs != 1.9 ||
		te.Status != 409 || !strings.Contains(err.Error(), "cpus:1.9") || !errors.As(err, &he) {
		t.Fatalf("insufficient: %#v", err)
	}
	if _, err = c.LaunchTask(ctx, api.TaskSpec{TaskID: "dup"}); !errors.Is(err, ErrTaskExists) || errors.Is(err, ErrInsufficient) {
		t.Fatalf("dup: %v", err)
	}
	list, err := c.Tasks(ctx)
	if err != nil || len(list) != 2 || list[1].ID != "b" {
		t.Fatalf("tasks: %+v %v", list, err)
	}
	if _, err := c.Task(ctx, "nope"); !errors.Is(err, ErrNotFound) || err.Error() != "unknown task nope" {
		t.Fatalf("unknown: %v", err)
	}
	ti, err = c.WaitTask(ctx, "a b", 1, 2*time.Second)
	if err != nil || len(ti.Statuses) != 2 {
		t.Fatalf("wait: %+v %v", ti, err)
	}
	if got := (*calls)[len(*calls)-1]; got != "/mesosctl/v1/tasks/a%20b?after=1&timeout=2s" {
		t.Fatalf("wait URL %s", got)
	}
	if ti, err = c.KillTask(ctx, "x"); err != nil || ti.State != "TASK_KILLING" {
		t.Fatalf("kill: %+v %v", ti, err)
	}
	fc, err := c.ReadFile(ctx, "/sb/stdout", 3, -1)
	if err != nil || fc.Data != "hello" || fc.Offset != 3 {
		t.Fatalf("read: %+v %v", fc, err)
	}
	if got := (*calls)[len(*calls)-1]; got != "/files/read?length=-1&offset=3&path=%2Fsb%2Fstdout" {
		t.Fatalf("read URL %s", got)
	}
	// A plain-text 404 (real Mesos /files/read, or no task API at all).
	if _, err := c.ReadFile(ctx, "/elsewhere", 0, 10); !errors.Is(err, ErrNotFound) || !errors.As(err, &te) || te.Code != "NOT_FOUND" {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := c.Task(ctx, "nope"); errors.Is(err, ErrNoTaskAPI) {
		t.Fatalf("agentd's unknown task is not a missing API: %v", err)
	}
	if _, err := c.Processes(ctx); !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrNoTaskAPI) {
		t.Fatalf("processes on an agent without the endpoint: %v", err)
	}
}
