package runtime

import (
	"context"
	"encoding/json"
	"os"
	"sync"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/mesos"
)

// MaxCompletedExecutorsPerFramework is how many terminated executors a
// framework keeps in /state (Mesos' --max_completed_executors_per_framework
// default). The task API lists every task.
const MaxCompletedExecutorsPerFramework = 150

// Service is the runtime as agentd sees it: it satisfies agentd.Runtime
// (recovery, /state frameworks, /containers, accounting, metrics) and
// offers the operations behind the task API, the v1 container calls,
// /files and the process tree, in terms of the wire types (package api);
// the HTTP layer (package httpapi) calls them.
type Service struct {
	rt       *Runtime
	hostname string
	// process tree roots: agentd's own pid.
	selfPID int

	// executors caches each container's /state executor with its JSON
	// encoding (api.Executor.Encode), rebuilt when its task changes.
	mu        sync.Mutex
	executors map[string]cachedExecutor
}

// cachedExecutor is an executor as /state shows it, valid while its task
// has the state and the number of status updates of key.
type cachedExecutor struct {
	key executorKey
	e   api.Executor
}

type executorKey struct {
	state    string
	statuses int
}

// executor returns the /state executor of v, from the cache while its
// task is unchanged (a task's statuses only grow); keep collects the
// entries still in use.
func (s *Service) executor(v View, keep map[string]cachedExecutor) api.Executor {
	id := v.ContainerID + "/" + v.Task.ID
	k := executorKey{v.Task.State, len(v.Task.Statuses)}
	s.mu.Lock()
	c, ok := s.executors[id]
	s.mu.Unlock()
	if !ok || c.key != k {
		c = cachedExecutor{key: k, e: executorOf(v, s.rt.cfg.Executable, api.AgentNetworkInfos(s.rt.cfg.AgentIP, s.rt.cfg.AgentIP6))}
		if c.e.Encode() != nil {
			c.e = executorOf(v, s.rt.cfg.Executable, api.AgentNetworkInfos(s.rt.cfg.AgentIP, s.rt.cfg.AgentIP6))
		}
	}
	keep[id] = c
	return c.e
}

// NewService returns the agentd-facing runtime. hostname is the agent's
// (frameworks launched through the task API report it).
func NewService(cfg Config, hostname string) *Service {
	return &Service{rt: New(cfg), hostname: hostname, selfPID: os.Getpid()}
}

// Runtime returns the underlying runtime (tests, benchmarks).
func (s *Service) Runtime() *Runtime { return s.rt }

// Recover adopts the checkpointed containers, then starts following them.
func (s *Service) Recover(ctx context.Context) error {
	if err := s.rt.Recover(); err != nil {
		return err
	}
	if err := s.rt.recoverStandalone(); err != nil {
		return err
	}
	s.rt.reapOrphans()
	if err := s.rt.recoverDocker(ctx); err != nil {
		return err
	}
	if err := s.rt.Start(); err != nil {
		return &StartError{Err: err}
	}
	return nil
}

// StartError is a failure to start the runtime that is not about the
// checkpointed state (e.g. an unusable --runtime_dir).
type StartError struct{ Err error }

func (e *StartError) Error() string {
	return "Failed to start the container runtime: " + e.Err.Error()
}

// StartupFailure tells agentd not to print the recovery hint.
func (e *StartError) StartupFailure() bool { return true }

func (e *StartError) Unwrap() error { return e.Err }

// Shutdown stops following the containers without touching them: the
// executors run in their own sessions and are adopted again by the next
// agentd (as a Mesos agent's executors survive its restart).
func (s *Service) Shutdown(context.Context) error {
	s.rt.Close()
	return nil
}

// Allocated is what the tasks and their executors use.
func (s *Service) Allocated() mesos.Resources { return s.rt.Allocated() }

// Metrics returns the slave/tasks_* and executor counters.
func (s *Service) Metrics() map[string]float64 { return s.rt.Metrics() }

// Frameworks builds /state's frameworks and completed_frameworks: a
// framework is active while it has a live executor.
func (s *Service) Frameworks() (active, completed []api.Framework) {
	views := s.rt.Views()
	type fw struct {
		f    api.Framework
		live bool
	}
	byID := map[string]*fw{}
	var order []string
	keep := make(map[string]cachedExecutor, len(views))
	defer func() {
		s.mu.Lock()
		s.executors = keep
		s.mu.Unlock()
	}()
	for _, v := range views {
		f := byID[v.Task.FrameworkID]
		if f == nil {
			f = &fw{f: api.Framework{ID: v.Task.FrameworkID, Name: v.FrameworkName, User: frameworkUser(v),
				Checkpoint: true, Hostname: s.hostname, Role: "*", Capabilities: v.Spec.FrameworkCapabilities,
				Executors: []api.Executor{}, CompletedExecutors: []api.Executor{}}}
			byID[v.Task.FrameworkID] = f
			order = append(order, v.Task.FrameworkID)
		}
		e := s.executor(v, keep)
		if v.Finished {
			f.f.CompletedExecutors = append(f.f.CompletedExecutors, e)
		} else {
			f.live = true
			f.f.Executors = append(f.f.Executors, e)
		}
	}
	active, completed = []api.Framework{}, []api.Framework{}
	for _, id := range order {
		f := byID[id]
		if n := len(f.f.CompletedExecutors); n > MaxCompletedExecutorsPerFramework {
			f.f.CompletedExecutors = f.f.CompletedExecutors[n-MaxCompletedExecutorsPerFramework:]
		}
		if f.live {
			active = append(active, f.f)
		} else {
			completed = append(completed, f.f)
		}
	}
	return active, completed
}

// frameworkUser is FrameworkInfo.user as /state shows it: the framework's
// user, else the task's, else agentd's own.
func frameworkUser(v View) string {
	if v.Spec.FrameworkUser != "" {
		return v.Spec.FrameworkUser
	}
	if v.Task.User != "" {
		return v.Task.User
	}
	return agentUser()
}

// agentUser is the name of agentd's own user, looked up once (os/user
// reads /etc/passwd on every call, and /state asks for every task).
var agentUser = sync.OnceValue(func() string {
	if a, err := launcher.CurrentAccount(); err == nil {
		return a.Name
	}
	return "root"
})

// executorOf is the command executor of a task, as Mesos shows it: executor
// id = source = task id, the task's own executor_id empty.
func executorOf(v View, exe string, networks []api.NetworkInfo) api.Executor {
	t := taskOf(v, networks)
	e := api.Executor{ID: v.Task.ID, Name: v.ExecutorName, Source: v.Task.ID, Container: v.ContainerID,
		Directory: v.Sandbox, Resources: v.ExecutorRes.SummaryJSON(), Role: "*",
		Tasks: []api.Task{}, QueuedTasks: []api.QueuedTask{}, CompletedTasks: []api.Task{},
		FrameworkID: v.Task.FrameworkID, ResourcesFull: v.ExecutorRes.FullJSON()}
	if checkpoint.Terminal(v.Task.State) {
		e.CompletedTasks = append(e.CompletedTasks, t)
	} else {
		e.Tasks = append(e.Tasks, t)
	}
	e.Command = executorCommand(exe, v.Spec.Container.IsDocker())
	return e
}

// executorCommand is the v1 CommandInfo of the command executor (or of
// the Docker executor) at exe, encoded once per executable.
func executorCommand(exe string, docker bool) json.RawMessage {
	k := commandKey{exe, docker}
	if c, ok := commandCache.Load(k); ok {
		return c.(json.RawMessage)
	}
	args := []string{"mesosctl", "executor"}
	if docker {
		args = []string{launcher.DockerExecutorName}
	}
	cmd, _ := json.Marshal(map[string]any{"shell": false, "value": exe, "arguments": args})
	commandCache.Store(k, json.RawMessage(cmd))
	return cmd
}

type commandKey struct {
	exe    string
	docker bool
}

var commandCache sync.Map

// taskOf is a task as /state and the v1 API show it. The executor's status
// updates carry the container's status, with the agent's address as its
// network (networks), as Mesos adds them to the updates it forwards.
func taskOf(v View, networks []api.NetworkInfo) api.Task {
	res := ResourcesOf(v.Task.Resources)
	t := api.Task{ID: v.Task.ID, Name: v.Task.Name, FrameworkID: v.Task.FrameworkID, ExecutorID: "",
		SlaveID: v.Task.SlaveID, State: v.Task.State, Resources: res.SummaryJSON(), Role: "*",
		Statuses: make([]api.Status, 0, len(v.Task.Statuses)), User: v.Task.User,
		ResourcesFull: res.FullJSON(), StatusUpdateState: v.Task.State}
	if v.Spec.Container != nil {
		t.Container, _ = json.Marshal(v.Spec.Container)
	}
	if v.Spec.KillPolicy != nil {
		t.KillPolicy, _ = json.Marshal(v.Spec.KillPolicy)
	}
	for _, st := range v.Task.Statuses {
		as := api.Status{State: st.State, Timestamp: api.Float(st.Timestamp), TaskID: v.Task.ID,
			Message: st.Message, Source: st.Source, Reason: st.Reason, AgentID: v.Task.SlaveID, ExecutorID: v.Task.ID}
		if st.Source == "SOURCE_EXECUTOR" && v.ContainerID != "" {
			as.ContainerStatus = &api.ContainerStatus{ContainerID: &api.ContainerID{Value: v.ContainerID},
				NetworkInfos: networks}
			if st.ContainerStatus != nil && st.ContainerStatus.ExecutorPID > 0 {
				pid := uint32(st.ContainerStatus.ExecutorPID)
				as.ContainerStatus.ExecutorPID = &pid
			}
		}
		t.Statuses = append(t.Statuses, as)
	}
	return t
}

// Containers lists the live containers for /containers and GET_CONTAINERS.
func (s *Service) Containers() []api.Container {
	out := []api.Container{}
	for _, v := range s.rt.Views() {
		if v.Finished || v.ContainerID == "" {
			continue
		}
		c := api.Container{FrameworkID: v.Task.FrameworkID, ExecutorID: v.Task.ID, ExecutorName: v.ExecutorName,
			Source: v.Task.ID, ContainerID: api.ContainerID{Value: v.ContainerID}, Statistics: s.rt.statistics(v)}
		if v.PID > 0 {
			pid := uint32(v.PID)
			c.Status = &api.ContainerStatus{ContainerID: &api.ContainerID{Value: v.ContainerID}, ExecutorPID: &pid,
				NetworkInfos: []api.NetworkInfo{}}
		}
		out = append(out, c)
	}
	for _, v := range s.rt.standaloneViews() {
		if v.Finished {
			continue
		}
		out = append(out, api.Container{ContainerID: api.ContainerID{Value: v.ContainerID}, Standalone: true,
			Statistics: s.rt.statistics(v)})
	}
	return out
}

// TaskInfoOf converts a view to the task API's shape.
func TaskInfoOf(v View) api.TaskInfo {
	ti := api.TaskInfo{ID: v.Task.ID, Name: v.Task.Name, FrameworkID: v.Task.FrameworkID, FrameworkName: v.FrameworkName,
		ExecutorID: v.Task.ID, AgentID: v.Task.SlaveID, ContainerID: v.ContainerID, State: v.Task.State,
		Resources: v.Task.Resources,
		User:      v.Task.User, Statuses: make([]api.TaskUpdate, 0, len(v.Task.Statuses)), ExitStatus: v.ExitStatus(),
		Sandbox: v.Sandbox, Container: v.Spec.Container}
	if !v.Finished {
		ti.ExecutorPID = v.PID
	}
	for _, st := range v.Task.Statuses {
		ti.Statuses = append(ti.Statuses, api.TaskUpdate{State: st.State, Timestamp: st.Timestamp, Message: st.Message,
			Source: st.Source, Reason: st.Reason})
	}
	return ti
}
