package runtime

import (
	"cmp"
	"github.com/mesosctl/mesosctl/internal/mesos"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mesosctl/mesosctl/internal/agentd/cgroups"
	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
)

// View is a consistent copy of one container's state: what /state, the
// task API and the process tree are built from.
type View struct {
	Task          Task
	FrameworkName string
	ContainerID   string
	Sandbox       string
	ExecutorName  string
	ExecutorRes   mesos.Resources // task + executor overhead
	PID           int             // launcher pid
	Finished      bool
	Cgroup        *cgroups.Group
	Spec          TaskSpec
	seq           uint64
}

// ExitStatus is the command's exit code, when it exited normally.
func (v View) ExitStatus() *int {
	if !checkpoint.Terminal(v.Task.State) || len(v.Task.Statuses) == 0 {
		return nil
	}
	if v.Task.State == checkpoint.TaskFinished {
		zero := 0
		return &zero
	}
	msg := v.Task.Statuses[len(v.Task.Statuses)-1].Message
	// The command executor's and the Docker executor's words.
	for _, prefix := range []string{"Command exited with status ", "Container exited with status "} {
		if i := strings.Index(msg, prefix); i >= 0 {
			rest := msg[i+len(prefix):]
			if j := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' }); j >= 0 {
				rest = rest[:j]
			}
			if n, err := strconv.Atoi(rest); err == nil {
				return &n
			}
		}
	}
	return nil
}

func (r *Runtime) viewLocked(c *container) View {
	v := View{Task: c.task, FrameworkName: c.frameName, ExecutorRes: c.need,
		PID: c.pid, Finished: c.finished, Spec: c.info.Spec, seq: c.seq}
	v.Task.Statuses = append([]checkpoint.Status(nil), c.task.Statuses...)
	if l := c.info.Launch; l != nil {
		v.ContainerID = l.ContainerID
		v.Sandbox = l.Sandbox
		v.Cgroup = l.Cgroup
	}
	v.ExecutorName = ExecutorName(c.task.ID, c.info.Spec)
	return v
}

// Views returns every task container, in launch order. The containers are
// put in order before their views are copied: sorting 1,000 views moved
// whole structs around (it was a third of /state's time at 1,000 tasks).
func (r *Runtime) Views() []View {
	r.mu.Lock()
	defer r.mu.Unlock()
	cs := make([]*container, 0, len(r.containers))
	for _, c := range r.containers {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(a, b *container) int {
		if a.seq != b.seq {
			return cmp.Compare(a.seq, b.seq)
		}
		return strings.Compare(a.task.ID, b.task.ID)
	})
	out := make([]View, len(cs))
	for i, c := range cs {
		out[i] = r.viewLocked(c)
	}
	return out
}

// ViewOf returns one task's view.
func (r *Runtime) ViewOf(tid string) (View, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[tid]
	if !ok {
		return View{}, &NotFoundError{tid}
	}
	return r.viewLocked(c), nil
}

// SandboxPaths maps the virtual paths Mesos attaches for every executor
// sandbox the runtime knows (until garbage collection forgets it) to the
// sandbox: /frameworks/<fid>/executors/<eid>/runs/latest, the sandbox's
// own path, and <…>/runs/latest beside it; and the sandboxes of standalone
// containers under their own paths. A command task's executor ID is its
// task ID.
func (r *Runtime) SandboxPaths() map[string]string {
	out := map[string]string{}
	for _, v := range r.Views() {
		if v.Sandbox == "" {
			continue
		}
		out[v.Sandbox] = v.Sandbox
		out[filepath.Join(filepath.Dir(v.Sandbox), "latest")] = v.Sandbox
		out["/frameworks/"+v.Task.FrameworkID+"/executors/"+v.Task.ID+"/runs/latest"] = v.Sandbox
	}
	// Standalone containers' sandboxes, under their own paths (agentd's:
	// Mesos attaches none, but their output is read through /files).
	for _, v := range r.standaloneViews() {
		if v.Sandbox != "" {
			out[v.Sandbox] = v.Sandbox
		}
	}
	return out
}
