package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/runtime"
)

// maxTaskBody limits a launch request.
const maxTaskBody = 1 << 20

// maxLongPoll caps ?timeout= of the task long poll.
const maxLongPoll = 5 * time.Minute

// taskAPI serves mesosctl's task API and the process tree.
type taskAPI struct{ rt Runtime }

func (s *Server) registerTaskAPI(rt Runtime) {
	t := taskAPI{rt}
	s.Handle("POST "+api.TaskPath, http.HandlerFunc(t.launch))
	s.Handle("GET "+api.TaskPath, http.HandlerFunc(t.list))
	s.Handle("GET "+api.TaskPath+"/{id}", http.HandlerFunc(t.get))
	s.Handle("POST "+api.TaskPath+"/{id}/kill", http.HandlerFunc(t.kill))
	s.Handle("GET "+api.ProcessesPath, http.HandlerFunc(t.processes))
}

func writeTaskJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"cannot encode the response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// badRequest is a malformed task API request (HTTP 400).
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func badRequestf(format string, a ...any) error { return &badRequest{fmt.Sprintf(format, a...)} }

func writeTaskError(w http.ResponseWriter, err error) {
	var (
		ins *runtime.InsufficientError
		cf  *runtime.ConflictError
		nf  *runtime.NotFoundError
		inv *runtime.InvalidError
		bad *badRequest
	)
	switch {
	case errors.As(err, &ins):
		need := runtime.TaskResourcesOf(ins.Need)
		free := runtime.TaskResourcesOf(ins.Free)
		free.CPUs, free.Mem, free.Disk = round(free.CPUs), round(free.Mem), round(free.Disk)
		writeTaskJSON(w, http.StatusConflict, api.TaskError{Error: err.Error(), Code: "INSUFFICIENT_RESOURCES", Need: &need, Free: &free})
	case errors.As(err, &cf):
		writeTaskJSON(w, http.StatusConflict, api.TaskError{Error: err.Error(), Code: "TASK_EXISTS"})
	case errors.As(err, &nf):
		writeTaskJSON(w, http.StatusNotFound, api.TaskError{Error: err.Error(), Code: "NOT_FOUND"})
	case errors.As(err, &inv), errors.As(err, &bad):
		writeTaskJSON(w, http.StatusBadRequest, api.TaskError{Error: err.Error(), Code: "BAD_REQUEST"})
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT):
		writeTaskJSON(w, http.StatusInsufficientStorage, api.TaskError{Error: err.Error(), Code: "NO_SPACE"})
	default:
		writeTaskJSON(w, http.StatusInternalServerError, api.TaskError{Error: err.Error()})
	}
}

// round rounds to 1/1000 (as the runtime's messages do).
func round(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

func (t taskAPI) launch(w http.ResponseWriter, r *http.Request) {
	body, status, err := ReadBody(w, r, maxTaskBody)
	if err != nil {
		code := "BAD_REQUEST"
		if status == http.StatusRequestEntityTooLarge {
			code = "TOO_LARGE"
		}
		writeTaskJSON(w, status, api.TaskError{Error: err.Error(), Code: code})
		return
	}
	var in api.TaskSpec
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeTaskError(w, badRequestf("invalid task spec JSON: %v", err))
		return
	}
	ti, err := t.rt.LaunchTask(in)
	if err != nil {
		writeTaskError(w, err)
		return
	}
	writeTaskJSON(w, http.StatusCreated, ti)
}

func (t taskAPI) list(w http.ResponseWriter, r *http.Request) {
	tasks := t.rt.Tasks()
	out := api.TaskList{Tasks: make([]api.TaskInfo, 0, len(tasks))}
	state := r.URL.Query().Get("state")
	for _, ti := range tasks {
		if state != "" && !strings.EqualFold(state, ti.State) && !strings.EqualFold("TASK_"+state, ti.State) {
			continue
		}
		out.Tasks = append(out.Tasks, ti)
	}
	writeTaskJSON(w, http.StatusOK, out)
}

// get answers at once, or with ?after=N long-polls until the task has
// more than N statuses or is terminal (bounded by ?timeout=, default 30s).
func (t taskAPI) get(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	q := r.URL.Query()
	after := -1
	if a := q.Get("after"); a != "" {
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 {
			writeTaskError(w, badRequestf("after must be a non-negative integer, got %q", a))
			return
		}
		after = n
	}
	timeout := 30 * time.Second
	if s := q.Get("timeout"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			writeTaskError(w, badRequestf("timeout must be a duration like 30s, got %q", s))
			return
		}
		timeout = min(d, maxLongPoll)
	}
	ti, err := t.rt.WaitTask(r.Context(), id, after, timeout)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return // the client went away
	}
	if err != nil {
		writeTaskError(w, err)
		return
	}
	writeTaskJSON(w, http.StatusOK, ti)
}

func (t taskAPI) kill(w http.ResponseWriter, r *http.Request) {
	ti, err := t.rt.KillTask(r.PathValue("id"))
	if err != nil {
		writeTaskError(w, err)
		return
	}
	writeTaskJSON(w, http.StatusAccepted, ti)
}

// processes answers GET /mesosctl/v1/processes: agentd's process tree,
// with each container launcher annotated with its task and cgroup limits.
func (t taskAPI) processes(w http.ResponseWriter, r *http.Request) {
	writeTaskJSON(w, http.StatusOK, t.rt.ProcessTree())
}
