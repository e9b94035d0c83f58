package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/mesosctl/mesosctl/internal/mesos"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/atomicfile"
	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/procfs"
)

// Standalone containers are the v1 operator API's LAUNCH_CONTAINER
// containers: no framework, no executor (the launcher runs the command
// itself), sandbox <work_dir>/containers/<cid>, state only in the runtime
// dir. They are accounted against the agent's resources like tasks.

// StandaloneSpec is a LAUNCH_CONTAINER request.
type StandaloneSpec struct {
	ContainerID string
	Shell       bool
	Command     string
	Argv        []string
	Env         map[string]string
	User        string
	Resources   mesos.Resources // cpus, mem and disk are accounted
}

// LaunchStandalone starts a standalone container. It returns false when a
// container with that ID already exists (Mesos answers 202 then).
func (r *Runtime) LaunchStandalone(s StandaloneSpec) (bool, error) {
	if err := validID("container_id", s.ContainerID); err != nil {
		return false, err
	}
	if s.Command == "" && len(s.Argv) == 0 {
		return false, badRequestf("container %s has no command", s.ContainerID)
	}
	r.mu.Lock()
	if _, ok := r.standalone[s.ContainerID]; ok {
		r.mu.Unlock()
		return false, nil
	}
	task := TaskResourcesOf(s.Resources)
	need := ResourcesOf(task)
	if !r.fitsLocked(need) {
		free := r.freeLocked()
		r.mu.Unlock()
		return false, &InsufficientError{Need: need, Free: free}
	}
	r.allocated = r.allocated.Add(need)
	r.seq++
	c := &container{done: make(chan struct{}), seq: r.seq, need: need}
	c.task.Resources = task
	c.task.ID = s.ContainerID
	r.standalone[s.ContainerID] = c
	r.mu.Unlock()

	sandbox := r.paths.StandaloneSandbox(s.ContainerID)
	user := ""
	if r.cfg.SwitchUser {
		user = s.User
	}
	// Mesos gives a standalone container no executor environment: only
	// MESOS_SANDBOX (and PATH), then the command's own.
	info := &launcher.Info{ContainerID: s.ContainerID, AgentID: r.cfg.AgentID, Shell: s.Shell, Command: s.Command,
		Argv: s.Argv, Env: s.Env, User: user, Sandbox: sandbox, WorkDir: r.cfg.WorkDir, RuntimeDir: r.cfg.RuntimeDir,
		PidNamespace: r.has("namespaces/pid"), GracePeriod: r.cfg.GracePeriod, Executable: r.cfg.Executable, Standalone: true,
		ExecutorEnv: map[string]string{"MESOS_SANDBOX": sandbox}, Handshake: true}
	err := r.launchStandalone(c, info)
	if err != nil {
		r.mu.Lock()
		delete(r.standalone, s.ContainerID)
		r.releaseLocked(need)
		r.mu.Unlock()
		var se *sandboxError
		if errors.As(err, &se) {
			return false, err
		}
		return false, fmt.Errorf("launching container %s: %w", s.ContainerID, err)
	}
	return true, nil
}

// sandboxError is a standalone sandbox that could not be made (Mesos
// answers 500 "Failed to create sandbox: …").
type sandboxError struct{ err error }

func (e *sandboxError) Error() string { return "Failed to create sandbox: " + e.err.Error() }
func (e *sandboxError) Unwrap() error { return e.err }

func (r *Runtime) launchStandalone(c *container, info *launcher.Info) error {
	var owner *launcher.Account
	if info.User != "" {
		acct, err := launcher.LookupUser(info.User)
		if err != nil {
			return &sandboxError{fmt.Errorf("Failed to chown directory to '%s': %w", info.User, err)}
		}
		owner = acct
	}
	if err := makeSandbox(info.Sandbox, owner); err != nil {
		return &sandboxError{err}
	}
	if err := r.isolate(info, c.need, 0); err != nil {
		os.RemoveAll(info.Sandbox)
		return err
	}
	r.mu.Lock()
	c.info.Launch = info
	r.mu.Unlock()
	noCommit := func(*atomicfile.Batch, int) error { return nil }
	if err := r.spawn(c, info, owner, &atomicfile.Batch{}, nil, noCommit, func() { r.finishStandalone(c) }); err != nil {
		if derr := info.Cgroup.DestroyWithin(r.destroyTimeout()); derr != nil {
			r.logf(slog.LevelWarn, "destroy cgroups of container %s: %v", info.ContainerID, derr)
		}
		os.RemoveAll(r.paths.Runtime(info.ContainerID))
		os.RemoveAll(info.Sandbox)
		return &CheckpointError{What: "the launch of container " + info.ContainerID, Err: err}
	}
	return nil
}

// finishStandalone handles a standalone container whose launcher exited.
func (r *Runtime) finishStandalone(c *container) {
	r.mu.Lock()
	if c.finished || r.closed {
		r.mu.Unlock()
		return
	}
	c.finished = true
	l := c.info.Launch
	r.mu.Unlock()
	r.stopPressure(l.Cgroup)
	if err := l.Cgroup.DestroyWithin(r.destroyTimeout()); err != nil {
		r.logf(slog.LevelWarn, "destroy cgroups of container %s: %v", l.ContainerID, err)
	}
	r.mu.Lock()
	r.releaseLocked(c.need)
	close(c.done)
	r.broadcastLocked()
	r.mu.Unlock()
}

// recoverStandalone adopts the standalone containers of the runtime dir.
func (r *Runtime) recoverStandalone() error {
	infos, _ := filepath.Glob(filepath.Join(r.cfg.RuntimeDir, "containers", "*", "launch_info.rec"))
	sort.Strings(infos)
	for _, p := range infos {
		var info launcher.Info
		if err := checkpoint.ReadRecord(p, &info); err != nil {
			if e := r.recoveryProblem(err); e != nil {
				return e
			}
			continue
		}
		if !info.Standalone || info.AgentID != r.cfg.AgentID {
			continue
		}
		c := &container{done: make(chan struct{}), recovered: true}
		c.info.Launch = &info
		c.task.ID = info.ContainerID
		if txt, err := checkpoint.ReadText(filepath.Join(filepath.Dir(p), "pid")); err == nil {
			var pid int
			var start uint64
			if _, err := fmt.Sscan(txt, &pid, &start); err == nil {
				c.pid, c.start = pid, start
			}
		}
		r.mu.Lock()
		r.seq++
		c.seq = r.seq
		r.standalone[info.ContainerID] = c
		r.mu.Unlock()
		if c.pid == 0 || !procfs.Alive(c.pid, c.start) {
			c.finished = true
			close(c.done)
			info.Cgroup.DestroyWithin(r.destroyTimeout())
			continue
		}
		// The resources of a recovered container are not in the launch
		// record; the cgroup limits are (when isolated).
		if info.Cgroup != nil {
			c.task.Resources.Mem = info.Cgroup.MemLimitMB()
		}
		c.need = ResourcesOf(c.task.Resources)
		r.mu.Lock()
		r.allocated = r.allocated.Add(c.need)
		r.mu.Unlock()
		rt := r.paths.Runtime(info.ContainerID)
		if r.cfg.Recover == "cleanup" || launcher.RecordedKill(rt) == syscall.SIGKILL {
			// (A SIGKILL that the agentd before was delivering when it
			// stopped goes on.)
			r.killContainer(rt, c.pid, c.start, syscall.SIGKILL)
		}
	}
	return nil
}

// signalStandalone delivers a KILL_CONTAINER signal to a standalone
// container. SIGTERM and SIGINT go to the launcher, which passes them to
// the command's process group or, when the command has not started yet,
// does not start it; so no moment of the launch loses them. Other signals
// (SIGKILL, which the launcher cannot pass on, among them) go to every
// process of the container, stickily (killContainer).
func (r *Runtime) signalStandalone(cid string, pid int, start uint64, sig syscall.Signal) {
	if sig == syscall.SIGTERM || sig == syscall.SIGINT {
		_ = syscall.Kill(pid, sig)
		return
	}
	r.killContainer(r.paths.Runtime(cid), pid, start, sig)
}

func (r *Runtime) standaloneViews() []View {
	r.mu.Lock()
	out := make([]View, 0, len(r.standalone))
	for _, c := range r.standalone {
		v := View{Task: c.task, PID: c.pid, Finished: c.finished, seq: c.seq, ContainerID: c.task.ID}
		if c.info.Launch != nil {
			v.Sandbox = c.info.Launch.Sandbox
			v.Cgroup = c.info.Launch.Cgroup
		}
		out = append(out, v)
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (r *Runtime) standaloneOf(cid string) (*container, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.standalone[cid]
	return c, ok
}

// pollStandalone finishes recovered standalone containers that ended.
func (r *Runtime) pollStandalone() {
	r.mu.Lock()
	var live []*container
	for _, c := range r.standalone {
		if !c.finished && c.recovered {
			live = append(live, c)
		}
	}
	r.mu.Unlock()
	for _, c := range live {
		if !procfs.Alive(c.pid, c.start) {
			r.finishStandalone(c)
		}
	}
}

// ContainerNotFoundError: no container has that ID (HTTP 404).
type ContainerNotFoundError struct{ ContainerID string }

func (e *ContainerNotFoundError) Error() string {
	return "Container " + e.ContainerID + " cannot be found"
}

// ContainerRunningError: REMOVE_CONTAINER of a container still running.
type ContainerRunningError struct{ ContainerID string }

func (e *ContainerRunningError) Error() string {
	return "Container " + e.ContainerID + " is still running: KILL_CONTAINER and WAIT_CONTAINER first"
}

// LaunchContainer starts a standalone container (LAUNCH_CONTAINER). It
// returns false when a container with that ID already exists.
func (s *Service) LaunchContainer(spec StandaloneSpec) (bool, error) {
	return s.rt.LaunchStandalone(spec)
}

// WaitContainer waits until a standalone or task container has ended and
// returns how it ended (WAIT_CONTAINER); ctx's error when ctx is done first.
func (s *Service) WaitContainer(ctx context.Context, cid string) (api.WaitContainerResponse, error) {
	done, term, ok := s.containerDone(cid)
	if !ok {
		return api.WaitContainerResponse{}, &ContainerNotFoundError{cid}
	}
	select {
	case <-done:
	case <-ctx.Done():
		return api.WaitContainerResponse{}, ctx.Err()
	}
	return s.waitResponse(cid, term, s.rt.launcherStatus(cid)), nil
}

// KillContainer signals a standalone or task container (KILL_CONTAINER);
// an ended container is left alone.
func (s *Service) KillContainer(cid string, sig syscall.Signal) error {
	rt := s.rt
	if c, ok := rt.standaloneOf(cid); ok {
		rt.mu.Lock()
		finished, pid, start := c.finished, c.pid, c.start
		rt.mu.Unlock()
		if !finished {
			rt.signalStandalone(cid, pid, start, sig)
		}
		return nil
	}
	for _, v := range rt.Views() {
		if v.ContainerID == cid {
			if !v.Finished {
				rt.killContainer(rt.paths.Runtime(cid), v.PID, rt.launcherStart(cid), sig)
			}
			return nil
		}
	}
	return &ContainerNotFoundError{cid}
}

// RemoveContainer removes an ended standalone container's runtime
// directory and sandbox (REMOVE_CONTAINER).
func (s *Service) RemoveContainer(cid string) error {
	rt := s.rt
	c, ok := rt.standaloneOf(cid)
	if !ok {
		return &ContainerNotFoundError{cid}
	}
	rt.mu.Lock()
	finished := c.finished
	rt.mu.Unlock()
	if !finished {
		return &ContainerRunningError{cid}
	}
	os.RemoveAll(rt.paths.Runtime(cid))
	os.RemoveAll(rt.paths.StandaloneSandbox(cid))
	rt.mu.Lock()
	delete(rt.standalone, cid)
	rt.mu.Unlock()
	return nil
}

// containerDone finds a standalone or task container by container ID.
func (s *Service) containerDone(cid string) (done <-chan struct{}, termPath string, ok bool) {
	term := filepath.Join(s.rt.paths.Runtime(cid), "termination")
	if c, found := s.rt.standaloneOf(cid); found {
		return c.done, term, true
	}
	s.rt.mu.Lock()
	defer s.rt.mu.Unlock()
	for _, c := range s.rt.containers {
		if c.info.Launch != nil && c.info.Launch.ContainerID == cid {
			return c.done, term, true
		}
	}
	return nil, "", false
}

// launcherStart is the start time of the launcher of task container cid
// (0: unknown).
func (r *Runtime) launcherStart(cid string) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.containers {
		if c.info.Launch != nil && c.info.Launch.ContainerID == cid {
			return c.start
		}
	}
	return 0
}

// launcherStatus is the wait status of a container's launcher when this
// agentd started it and it has ended (-1 otherwise).
func (r *Runtime) launcherStatus(cid string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.standalone[cid]
	if c == nil {
		for _, x := range r.containers {
			if x.info.Launch != nil && x.info.Launch.ContainerID == cid {
				c = x
			}
		}
	}
	if c == nil || c.cmd == nil || c.cmd.ProcessState == nil || !c.finished {
		return -1
	}
	return int(c.cmd.ProcessState.Sys().(syscall.WaitStatus))
}

func (s *Service) waitResponse(cid, termPath string, launcherStatus int) api.WaitContainerResponse {
	var t launcher.Termination
	out := api.WaitContainerResponse{}
	if err := checkpoint.ReadRecord(termPath, &t); err != nil {
		if launcherStatus >= 0 {
			st := int32(launcherStatus)
			out.ExitStatus = &st
			return out
		}
		st := int32(syscall.SIGKILL)
		out.ExitStatus = &st
		out.Message = "Container terminated while the agent was down; exit status unknown"
		return out
	}
	st := int32(t.Status)
	out.ExitStatus = &st
	if t.OOM {
		out.State, out.Reason = checkpoint.TaskFailed, "REASON_CONTAINER_LIMITATION_MEMORY"
		out.Message = "Memory limit exceeded"
		out.Limitation = json.RawMessage(`{"resources":[{"name":"mem","type":"SCALAR"}],"reason":"REASON_CONTAINER_LIMITATION_MEMORY"}`)
	}
	return out
}
