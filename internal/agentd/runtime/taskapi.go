package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/agentd/httpapi"
)

// maxTaskBody limits a launch request.
const maxTaskBody = 1 << 20

// maxLongPoll caps ?timeout= of the task long poll.
const maxLongPoll = 5 * time.Minute

func (s *Service) registerTaskAPI(srv *httpapi.Server) {
	srv.Handle("POST "+api.TaskPath, http.HandlerFunc(s.launchTask))
	srv.Handle("GET "+api.TaskPath, http.HandlerFunc(s.listTasks))
	srv.Handle("GET "+api.TaskPath+"/{id}", http.HandlerFunc(s.getTask))
	srv.Handle("POST "+api.TaskPath+"/{id}/kill", http.HandlerFunc(s.killTask))
	srv.Handle("GET "+api.ProcessesPath, http.HandlerFunc(s.processes))
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

func writeTaskError(w http.ResponseWriter, err error) {
	var (
		ins *InsufficientError
		cf  *ConflictError
		nf  *NotFoundError
		bad *badRequest
	)
	switch {
	case errors.As(err, &ins):
		need := api.TaskResources{CPUs: ins.Need.CPUs, Mem: ins.Need.Mem, Disk: ins.Need.Disk}
		free := api.TaskResources{CPUs: round(ins.Free.CPUs), Mem: round(ins.Free.Mem), Disk: round(ins.Free.Disk)}
		writeTaskJSON(w, http.StatusConflict, api.TaskError{Error: err.Error(), Code: "INSUFFICIENT_RESOURCES", Need: &need, Free: &free})
	case errors.As(err, &cf):
		writeTaskJSON(w, http.StatusConflict, api.TaskError{Error: err.Error(), Code: "TASK_EXISTS"})
	case errors.As(err, &nf):
		writeTaskJSON(w, http.StatusNotFound, api.TaskError{Error: err.Error(), Code: "NOT_FOUND"})
	case errors.As(err, &bad):
		writeTaskJSON(w, http.StatusBadRequest, api.TaskError{Error: err.Error(), Code: "BAD_REQUEST"})
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT):
		writeTaskJSON(w, http.StatusInsufficientStorage, api.TaskError{Error: err.Error(), Code: "NO_SPACE"})
	default:
		writeTaskJSON(w, http.StatusInternalServerError, api.TaskError{Error: err.Error()})
	}
}

type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func badRequestf(format string, a ...any) error { return &badRequest{fmt.Sprintf(format, a...)} }

// SpecOf converts a task API launch request to the runtime's TaskSpec,
// checking the numbers (Launch checks the IDs and the command).
func SpecOf(in api.TaskSpec) (TaskSpec, error) {
	r := in.Resources
	for name, v := range map[string]float64{"cpus": r.CPUs, "mem": r.Mem, "disk": r.Disk} {
		if v < 0 || v != v {
			return TaskSpec{}, badRequestf("resources.%s must be a non-negative number, got %v", name, v)
		}
	}
	if in.PidsMax < 0 {
		return TaskSpec{}, badRequestf("pids_max must not be negative")
	}
	return TaskSpec{FrameworkID: in.FrameworkID, FrameworkName: in.FrameworkName, TaskID: in.TaskID, Name: in.Name,
		Command: in.Command, Argv: in.Argv, Env: in.Env, User: in.User, FrameworkUser: in.FrameworkUser, PidsMax: in.PidsMax,
		Resources: Res{CPUs: r.CPUs, Mem: r.Mem, Disk: r.Disk}}, nil
}

// validID refuses IDs that would escape or confuse the work_dir layout.
func validID(field, id string) error {
	if id == "." || id == ".." || id == "latest" || strings.ContainsAny(id, "/\\\x00") || len(id) > 255 {
		return badRequestf("invalid %s %q: IDs may not be '.', '..', 'latest', contain '/', or exceed 255 bytes", field, id)
	}
	for _, c := range id {
		if c < 0x20 || c == 0x7f {
			return badRequestf("invalid %s %q: control characters are not allowed", field, id)
		}
	}
	return nil
}

func (s *Service) launchTask(w http.ResponseWriter, r *http.Request) {
	body, status, err := httpapi.ReadBody(w, r, maxTaskBody)
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
	spec, err := SpecOf(in)
	if err != nil {
		writeTaskError(w, err)
		return
	}
	if _, err := s.rt.Launch(spec); err != nil {
		var ins *InsufficientError
		var cf *ConflictError
		var bad *badRequest
		if !errors.As(err, &ins) && !errors.As(err, &cf) && !errors.As(err, &bad) {
			err = fmt.Errorf("launching task %s: %w", spec.TaskID, err)
		}
		writeTaskError(w, err)
		return
	}
	v, err := s.rt.ViewOf(spec.TaskID)
	if err != nil {
		writeTaskError(w, err)
		return
	}
	writeTaskJSON(w, http.StatusCreated, TaskInfoOf(v))
}

func (s *Service) listTasks(w http.ResponseWriter, r *http.Request) {
	views := s.rt.Views()
	out := api.TaskList{Tasks: make([]api.TaskInfo, 0, len(views))}
	state := r.URL.Query().Get("state")
	for _, v := range views {
		if state != "" && !strings.EqualFold(state, v.Task.State) && !strings.EqualFold("TASK_"+state, v.Task.State) {
			continue
		}
		out.Tasks = append(out.Tasks, TaskInfoOf(v))
	}
	writeTaskJSON(w, http.StatusOK, out)
}

// getTask answers at once, or with ?after=N long-polls until the task has
// more than N statuses or is terminal (bounded by ?timeout=, default 30s).
func (s *Service) getTask(w http.ResponseWriter, r *http.Request) {
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
	if t := q.Get("timeout"); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d < 0 {
			writeTaskError(w, badRequestf("timeout must be a duration like 30s, got %q", t))
			return
		}
		timeout = min(d, maxLongPoll)
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		changed := s.rt.Changed()
		v, err := s.rt.ViewOf(id)
		if err != nil {
			writeTaskError(w, err)
			return
		}
		if after < 0 || len(v.Task.Statuses) > after || (checkpoint.Terminal(v.Task.State) && v.Finished) {
			writeTaskJSON(w, http.StatusOK, TaskInfoOf(v))
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			writeTaskJSON(w, http.StatusOK, TaskInfoOf(v))
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (s *Service) killTask(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.rt.Kill(id); err != nil {
		writeTaskError(w, err)
		return
	}
	v, err := s.rt.ViewOf(id)
	if err != nil {
		writeTaskError(w, err)
		return
	}
	writeTaskJSON(w, http.StatusAccepted, TaskInfoOf(v))
}
