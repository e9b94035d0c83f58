package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/agentd/httpapi"
	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/agentd/procfs"
	"github.com/mesosctl/mesosctl/internal/mesos"
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
	Resources   Res
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
	free := r.cfg.Total.sub(r.allocated)
	need := s.Resources
	if need.CPUs > free.CPUs+1e-9 || need.Mem > free.Mem+1e-9 || need.Disk > free.Disk+1e-9 {
		r.mu.Unlock()
		return false, &InsufficientError{Need: need, Free: free}
	}
	r.allocated = r.allocated.add(need)
	r.seq++
	c := &container{done: make(chan struct{}), seq: r.seq}
	c.task.Resources = need
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
		r.allocated = r.allocated.sub(need)
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
	if err := r.isolate(info, c.task.Resources, 0); err != nil {
		os.RemoveAll(info.Sandbox)
		return err
	}
	r.mu.Lock()
	c.info.Launch = info
	r.mu.Unlock()
	noCommit := func(int) error { return nil }
	if err := r.spawn(c, info, owner, noCommit, func() { r.finishStandalone(c) }); err != nil {
		if derr := info.Cgroup.Destroy(); derr != nil {
			r.logf("W destroy cgroups of container %s: %v", info.ContainerID, derr)
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
	if err := l.Cgroup.Destroy(); err != nil {
		r.logf("W destroy cgroups of container %s: %v", l.ContainerID, err)
	}
	r.mu.Lock()
	r.allocated = r.allocated.sub(c.task.Resources)
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
			info.Cgroup.Destroy()
			continue
		}
		// The resources of a recovered container are not in the launch
		// record; the cgroup limits are (when isolated).
		if info.Cgroup != nil {
			c.task.Resources.Mem = info.Cgroup.MemLimitMB()
		}
		r.mu.Lock()
		r.allocated = r.allocated.add(c.task.Resources)
		r.mu.Unlock()
		if r.cfg.Recover == "cleanup" {
			r.signalTree(c.pid, syscall.SIGKILL)
		}
	}
	return nil
}

// signalTree signals every descendant of the launcher pid (the launcher
// then reports its child's end and exits).
func (r *Runtime) signalTree(pid int, sig syscall.Signal) {
	tree := procfs.Tree(pid)
	// Just launched: give the launcher a moment to fork its child, so the
	// signal reaches the command and the launcher records its end.
	for i := 0; i < 100 && len(tree) == 1 && procfs.Alive(pid, 0); i++ {
		time.Sleep(10 * time.Millisecond)
		tree = procfs.Tree(pid)
	}
	for _, p := range tree[1:] {
		_ = syscall.Kill(p, sig)
	}
	if len(tree) == 1 {
		_ = syscall.Kill(pid, sig)
	}
}

// signalStandalone delivers a KILL_CONTAINER signal. SIGTERM and SIGINT go
// to the launcher, which passes them to the command's process group or,
// when the command has not started yet, does not start it; so no moment of
// the launch loses them. Other signals (SIGKILL, which the launcher cannot
// pass on, among them) go to every process of the container.
func (r *Runtime) signalStandalone(pid int, sig syscall.Signal) {
	if sig == syscall.SIGTERM || sig == syscall.SIGINT {
		_ = syscall.Kill(pid, sig)
		return
	}
	r.signalTree(pid, sig)
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

func notFoundContainer(cid string) error {
	return httpapi.CodedError(http.StatusNotFound, "Container "+cid+" cannot be found")
}

func (s *Service) registerContainerCalls(srv *httpapi.Server) {
	rt := s.rt
	srv.HandleCall(api.CallLaunchContainer, func(ctx context.Context, call *api.Call) (any, error) {
		lc := call.LaunchContainer
		if lc == nil {
			return nil, httpapi.CodedError(http.StatusBadRequest, "Expecting 'launch_container' to be present")
		}
		if lc.ContainerID.Parent != nil {
			return nil, httpapi.CodedError(http.StatusBadRequest,
				"agentd does not launch nested containers: launch a standalone container (no parent) instead")
		}
		if len(lc.Container) > 0 && string(lc.Container) != "null" {
			var ci struct {
				Type string `json:"type"`
			}
			_ = json.Unmarshal(lc.Container, &ci)
			if ci.Type != "" && ci.Type != "MESOS" {
				return nil, httpapi.CodedError(http.StatusBadRequest, "agentd runs only MESOS containers without images, not "+ci.Type)
			}
		}
		var cmd api.CommandInfo
		if len(lc.Command) > 0 {
			if err := json.Unmarshal(lc.Command, &cmd); err != nil {
				return nil, httpapi.CodedError(http.StatusBadRequest, "Invalid command: "+err.Error())
			}
		}
		spec := StandaloneSpec{ContainerID: lc.ContainerID.Value, Shell: cmd.Shell == nil || *cmd.Shell,
			Command: cmd.Value, User: cmd.User, Env: map[string]string{}}
		if !spec.Shell {
			spec.Argv = cmd.Arguments
			if len(spec.Argv) == 0 && cmd.Value != "" {
				spec.Argv = []string{cmd.Value}
			}
			spec.Command = ""
		}
		if cmd.Environment != nil {
			for _, v := range cmd.Environment.Variables {
				spec.Env[v.Name] = v.Value
			}
		}
		if len(lc.Resources) > 0 {
			res, err := mesos.ParseResources(string(lc.Resources), mesos.UnreservedRole)
			if err != nil {
				return nil, httpapi.CodedError(http.StatusBadRequest, "Invalid resources: "+err.Error())
			}
			spec.Resources = Res{CPUs: res.Scalar("cpus"), Mem: res.Scalar("mem"), Disk: res.Scalar("disk")}
		}
		created, err := rt.LaunchStandalone(spec)
		if err != nil {
			return nil, containerCallError(err)
		}
		if !created {
			return httpapi.Status(http.StatusAccepted), nil
		}
		return nil, nil
	})
	srv.HandleCall(api.CallWaitContainer, func(ctx context.Context, call *api.Call) (any, error) {
		if call.WaitContainer == nil {
			return nil, httpapi.CodedError(http.StatusBadRequest, "Expecting 'wait_container' to be present")
		}
		cid := call.WaitContainer.ContainerID.Value
		done, term, ok := s.containerDone(cid)
		if !ok {
			return nil, notFoundContainer(cid)
		}
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return s.waitResponse(cid, term, s.rt.launcherStatus(cid)), nil
	})
	srv.HandleCall(api.CallKillContainer, func(ctx context.Context, call *api.Call) (any, error) {
		kc := call.KillContainer
		if kc == nil {
			return nil, httpapi.CodedError(http.StatusBadRequest, "Expecting 'kill_container' to be present")
		}
		sig := syscall.SIGKILL
		if kc.Signal != nil {
			sig = syscall.Signal(*kc.Signal)
		}
		cid := kc.ContainerID.Value
		if c, ok := rt.standaloneOf(cid); ok {
			rt.mu.Lock()
			finished, pid := c.finished, c.pid
			rt.mu.Unlock()
			if !finished {
				rt.signalStandalone(pid, sig)
			}
			return nil, nil
		}
		for _, v := range rt.Views() {
			if v.ContainerID == cid {
				if !v.Finished {
					rt.signalTree(v.PID, sig)
				}
				return nil, nil
			}
		}
		return nil, notFoundContainer(cid)
	})
	srv.HandleCall(api.CallRemoveContainer, func(ctx context.Context, call *api.Call) (any, error) {
		if call.RemoveContainer == nil {
			return nil, httpapi.CodedError(http.StatusBadRequest, "Expecting 'remove_container' to be present")
		}
		cid := call.RemoveContainer.ContainerID.Value
		c, ok := rt.standaloneOf(cid)
		if !ok {
			return nil, notFoundContainer(cid)
		}
		rt.mu.Lock()
		finished := c.finished
		rt.mu.Unlock()
		if !finished {
			return nil, httpapi.CodedError(http.StatusInternalServerError,
				"Container "+cid+" is still running: KILL_CONTAINER and WAIT_CONTAINER first")
		}
		os.RemoveAll(rt.paths.Runtime(cid))
		os.RemoveAll(rt.paths.StandaloneSandbox(cid))
		rt.mu.Lock()
		delete(rt.standalone, cid)
		rt.mu.Unlock()
		return nil, nil
	})
}

func containerCallError(err error) error {
	switch e := err.(type) {
	case *InsufficientError:
		return httpapi.CodedError(http.StatusConflict, e.Error())
	case *badRequest:
		return httpapi.CodedError(http.StatusBadRequest, e.Error())
	}
	return err
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
