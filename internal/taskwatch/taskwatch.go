// Package taskwatch follows tasks on agentd's task API: it finds which
// agent runs a task, streams its status updates (long poll), prints them
// the way mesos-execute does, and maps a task's final state to the exit
// code of `mesosctl exec` and `mesosctl task wait`.
package taskwatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/parallel"
	"github.com/mesosctl/mesosctl/internal/placement"
)

// Terminal reports whether a task state is final (as mesos-execute and
// agents decide it).
func Terminal(state string) bool {
	switch state {
	case "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR",
		"TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR":
		return true
	}
	return false
}

// Exit codes for task outcomes other than FINISHED and FAILED-with-status.
const (
	ExitFailed = 1   // TASK_FAILED without an exit status (signal, limit), TASK_ERROR
	ExitLost   = 4   // TASK_LOST, TASK_DROPPED, TASK_GONE, TASK_GONE_BY_OPERATOR
	ExitKilled = 137 // TASK_KILLED (128 + SIGKILL, as a shell reports a killed command)
)

// ExitCode maps a terminal task to a process exit code: FINISHED 0; FAILED
// with the command's exit status N → N (1 when it has none, e.g. killed by
// a signal or a memory limit); KILLED 137; LOST, DROPPED, GONE and
// GONE_BY_OPERATOR 4; ERROR 1. A task that is not terminal gives 0.
func ExitCode(t *api.TaskInfo) int {
	switch t.State {
	case "TASK_FINISHED":
		return 0
	case "TASK_FAILED":
		if t.ExitStatus != nil && *t.ExitStatus > 0 && *t.ExitStatus < 256 {
			return *t.ExitStatus
		}
		return ExitFailed
	case "TASK_KILLED":
		return ExitKilled
	case "TASK_LOST", "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR":
		return ExitLost
	case "TASK_ERROR":
		return ExitFailed
	}
	return 0
}

// PrintUpdate writes one status update as mesos-execute does:
//
//	Received status update TASK_FINISHED for task 'sleep'
//	  message: 'Command exited with status 0'
//	  source: SOURCE_EXECUTOR
//	  reason: REASON_…
func PrintUpdate(w io.Writer, task string, u api.TaskUpdate) {
	fmt.Fprintf(w, "Received status update %s for task '%s'\n", u.State, task)
	if u.Message != "" {
		fmt.Fprintf(w, "  message: '%s'\n", u.Message)
	}
	if u.Source != "" {
		fmt.Fprintf(w, "  source: %s\n", u.Source)
	}
	if u.Reason != "" {
		fmt.Fprintf(w, "  reason: %s\n", u.Reason)
	}
}

// Printable reports whether an update is one a scheduler receives
// (TASK_STAGING is the agent's initial bookkeeping state, never sent).
func Printable(u api.TaskUpdate) bool { return u.State != "TASK_STAGING" }

// PollTimeout is the long-poll timeout of each request.
var PollTimeout = 30 * time.Second

// RetryFor bounds how long Follow keeps retrying an agent that cannot be
// reached or is recovering (e.g. while it restarts).
var RetryFor = 60 * time.Second

// Follow long-polls task id on cl, calling onUpdate for each status from
// index from on, until the task is terminal or stop(state) is true. It
// returns the task as last seen. Connection errors and 503 are retried
// for RetryFor.
func Follow(ctx context.Context, cl *agentclient.Client, id string, from int, stop func(string) bool, onUpdate func(api.TaskUpdate)) (*api.TaskInfo, error) {
	next := from
	var failingSince time.Time
	for {
		ti, err := cl.WaitTask(ctx, id, next, PollTimeout)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !transient(err) {
				return nil, err
			}
			if failingSince.IsZero() {
				failingSince = time.Now()
			} else if time.Since(failingSince) > RetryFor {
				return nil, fmt.Errorf("task %s: agent %s unreachable for %s: %w", id, cl.BaseURL, RetryFor, err)
			}
			select {
			case <-time.After(500 * time.Millisecond):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			continue
		}
		failingSince = time.Time{}
		for ; next < len(ti.Statuses); next++ {
			if onUpdate != nil {
				onUpdate(ti.Statuses[next])
			}
			if stop != nil && stop(ti.Statuses[next].State) {
				return ti, nil
			}
		}
		if Terminal(ti.State) && next >= len(ti.Statuses) {
			return ti, nil
		}
	}
}

func transient(err error) bool {
	var te *agentclient.TaskError
	if errors.As(err, &te) {
		return te.Status == 503 || te.Status == 502 || te.Status == 504
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "connection refused")
}

// Located is a task and the agent that has it.
type Located struct {
	Agent placement.Candidate
	Task  api.TaskInfo
	// ViaState is set when the agent has no task API (a real Mesos
	// agent): the task was read from /state, and can be followed with
	// FollowState but not killed.
	ViaState bool
}

// NotFoundError says no candidate agent knows the task.
type NotFoundError struct {
	ID      string
	Agents  int
	Failed  []string // agents that could not be asked, with why
	NoTasks []string // agents without the task API (real Mesos agents)
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("task %s not found on %d agent%s", e.ID, e.Agents, plural(e.Agents))
	if len(e.Failed) > 0 {
		msg += "; could not ask " + strings.Join(e.Failed, ", ")
	}
	return msg + " (list tasks with 'mesosctl tasks')"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Locate asks every candidate (at most fanout at once) for task id and
// returns where it is. When several agents know the ID (IDs are only unique
// per agent), the one with the task's newest status wins.
func Locate(ctx context.Context, cands []placement.Candidate, client placement.Client, fanout int, id string) (*Located, *agentclient.Client, error) {
	type answer struct {
		ti       *api.TaskInfo
		err      error
		viaState bool
	}
	answers := make([]answer, len(cands))
	if err := parallel.Each(ctx, fanout, len(cands), func(ctx context.Context, i int) {
		cl := client(cands[i])
		ti, err := cl.Task(ctx, id)
		if errors.Is(err, agentclient.ErrNoTaskAPI) {
			ti, err = FromState(ctx, cl, id)
			answers[i] = answer{ti, err, true}
			return
		}
		answers[i] = answer{ti, err, false}
	}); err != nil {
		return nil, nil, err
	}
	nf := &NotFoundError{ID: id, Agents: len(cands)}
	var found []int
	for i, a := range answers {
		switch {
		case a.err == nil:
			found = append(found, i)
		case errors.Is(a.err, agentclient.ErrNotFound):
		case errors.As(a.err, new(*NotFoundError)):
		default:
			nf.Failed = append(nf.Failed, cands[i].Name+" ("+a.err.Error()+")")
		}
	}
	if len(found) == 0 {
		return nil, nil, nf
	}
	sort.SliceStable(found, func(x, y int) bool { return lastTime(answers[found[x]].ti) > lastTime(answers[found[y]].ti) })
	i := found[0]
	return &Located{Agent: cands[i], Task: *answers[i].ti, ViaState: answers[i].viaState}, client(cands[i]), nil
}

func lastTime(t *api.TaskInfo) float64 {
	if len(t.Statuses) == 0 {
		return 0
	}
	return t.Statuses[len(t.Statuses)-1].Timestamp
}

// StateTasks lists every task of an agent's /state (frameworks and
// completed frameworks, executors and completed executors, tasks and
// completed tasks) in the task API's shape: how tasks of a real Mesos
// agent, which has no task API, are read. The sandbox is the executor's
// directory; statuses carry state and timestamp only (what /state has).
func StateTasks(st *api.State) []api.TaskInfo {
	var out []api.TaskInfo
	for _, fws := range [][]api.Framework{st.Frameworks, st.CompletedFrameworks} {
		for _, fw := range fws {
			for _, exs := range [][]api.Executor{fw.Executors, fw.CompletedExecutors} {
				for _, ex := range exs {
					for _, ts := range [][]api.Task{ex.Tasks, ex.CompletedTasks} {
						for _, t := range ts {
							out = append(out, *infoOf(st, fw, ex, t))
						}
					}
				}
			}
		}
	}
	return out
}

// FromState finds task id in an agent's /state (see StateTasks). A task
// that is not there is a *NotFoundError.
func FromState(ctx context.Context, cl *agentclient.Client, id string) (*api.TaskInfo, error) {
	st, err := cl.StateTyped(ctx)
	if err != nil {
		return nil, err
	}
	for _, ti := range StateTasks(st) {
		if ti.ID == id {
			return &ti, nil
		}
	}
	return nil, &NotFoundError{ID: id, Agents: 1}
}

func infoOf(st *api.State, fw api.Framework, ex api.Executor, t api.Task) *api.TaskInfo {
	ti := &api.TaskInfo{ID: t.ID, Name: t.Name, FrameworkID: fw.ID, FrameworkName: fw.Name, ExecutorID: ex.ID,
		AgentID: st.ID, ContainerID: ex.Container, State: t.State, User: t.User, Sandbox: ex.Directory,
		Statuses: make([]api.TaskUpdate, 0, len(t.Statuses))}
	if len(t.Container) > 0 {
		var ci api.ContainerInfo
		if json.Unmarshal(t.Container, &ci) == nil {
			ti.Container = &ci
		}
	}
	var res map[string]any
	if json.Unmarshal(t.Resources, &res) == nil {
		ti.Resources.CPUs, _ = res["cpus"].(float64)
		ti.Resources.Mem, _ = res["mem"].(float64)
		ti.Resources.Disk, _ = res["disk"].(float64)
	}
	for _, s := range t.Statuses {
		ti.Statuses = append(ti.Statuses, api.TaskUpdate{State: s.State, Timestamp: float64(s.Timestamp)})
	}
	return ti
}

// StatePollInterval is how often FollowState re-reads /state.
var StatePollInterval = time.Second

// FollowState is Follow for an agent without the task API: it re-reads
// /state until the task is terminal.
func FollowState(ctx context.Context, cl *agentclient.Client, id string, from int, onUpdate func(api.TaskUpdate)) (*api.TaskInfo, error) {
	next := from
	for {
		ti, err := FromState(ctx, cl, id)
		if err != nil {
			return nil, err
		}
		for ; next < len(ti.Statuses); next++ {
			if onUpdate != nil {
				onUpdate(ti.Statuses[next])
			}
		}
		if Terminal(ti.State) {
			return ti, nil
		}
		select {
		case <-time.After(StatePollInterval):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
