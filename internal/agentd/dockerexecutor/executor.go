// Package dockerexecutor is mesos-docker-executor, the executor of a
// Docker task (Mesos 1.11's src/docker/executor.cpp): it runs the task's
// container with `docker run` (the container's output goes to the
// executor's stdout and stderr, the sandbox's files), reports
// TASK_STARTING, TASK_RUNNING once `docker inspect` sees the container
// started, and the terminal state from `docker run`'s exit status
// ("Container exited with status N"). On SIGTERM it kills the task: it
// reports TASK_KILLING when the framework has the TASK_KILLING_STATE
// capability, then runs `docker stop -t <grace period>` (the task's
// KillPolicy grace period, else the shutdown grace period), retried until
// the container is gone.
//
// Every update is appended to the task's checkpointed task.updates before
// agentd is told (a datagram on <runtime_dir>/agent.sock), as the command
// executor does, so updates made while agentd is down are found at
// recovery. The executor takes Mesos' flags; the task itself, which a
// Mesos executor receives from the agent, is read from --task_info.
package dockerexecutor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/agentd/docker"
	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
)

// Timings of Mesos' Docker executor.
const (
	// DefaultGracePeriod is the shutdown grace period when the agent
	// sets no MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD.
	DefaultGracePeriod = 5 * time.Second
	// InspectInterval is how often `docker inspect` asks whether the
	// container has started (Mesos: 500ms; shorter here, so that
	// TASK_RUNNING follows the start closely).
	InspectInterval = 100 * time.Millisecond
	// KillRetryInterval is how often a kill whose `docker stop` did not
	// end the container is tried again.
	KillRetryInterval = 5 * time.Second
	// ReapTimeout is how long the executor waits for `docker run` to
	// return once the container's process is gone (moby#33820: the
	// engine may miss a container's exit) before it reports the task
	// failed.
	ReapTimeout = 60 * time.Second
)

// Flags are mesos-docker-executor's flags (Mesos' names), plus TaskInfo.
type Flags struct {
	Container        string // --container: the Docker container's name, mesos-<container id>
	Docker           string // --docker
	DockerSocket     string // --docker_socket
	SandboxDirectory string // --sandbox_directory: the sandbox on the host
	MappedDirectory  string // --mapped_directory: where the sandbox is in the container
	LauncherDir      string // --launcher_dir
	StopTimeout      time.Duration
	CgroupsEnableCFS bool
	// TaskEnvironment is --task_environment, a JSON object of variables
	// for the task (the agent's hooks'; added before the command's own).
	TaskEnvironment string
	// TaskInfo is --task_info: the task (a file path or inline JSON).
	TaskInfo string
}

// Task is the --task_info document: the task and where its updates go.
type Task struct {
	TaskID      string `json:"task_id"`
	FrameworkID string `json:"framework_id"`
	ExecutorID  string `json:"executor_id"`
	ContainerID string `json:"container_id"`
	AgentID     string `json:"agent_id"`
	// WorkDir and RuntimeDir are agentd's --work_dir and --runtime_dir:
	// task.updates and agent.sock are found there.
	WorkDir    string             `json:"work_dir"`
	RuntimeDir string             `json:"runtime_dir"`
	Container  *api.ContainerInfo `json:"container"`
	Command    docker.Command     `json:"command"`
	Resources  *docker.Resources  `json:"resources,omitempty"`
	// FrameworkCapabilities are the framework's capability types: with
	// TASK_KILLING_STATE a kill reports TASK_KILLING first.
	FrameworkCapabilities []string `json:"framework_capabilities,omitempty"`
	// KillPolicy is the task's: its grace period replaces the shutdown
	// grace period of a kill.
	KillPolicy *api.KillPolicy `json:"kill_policy,omitempty"`
}

// killGracePeriod is how long a kill lets the container stop, as Mesos'
// executor picks it: the task's KillPolicy grace period, else the
// shutdown grace period (see GracePeriod).
func (t *Task) killGracePeriod(shutdownGrace time.Duration) time.Duration {
	if t.KillPolicy != nil && t.KillPolicy.GracePeriod != nil {
		return time.Duration(t.KillPolicy.GracePeriod.Nanoseconds)
	}
	return shutdownGrace
}

// killingState reports whether the framework takes TASK_KILLING.
func (t *Task) killingState() bool {
	return slices.Contains(t.FrameworkCapabilities, api.TaskKillingState)
}

// LoadTask reads --task_info: a path or inline JSON.
func LoadTask(arg string) (*Task, error) {
	data := []byte(arg)
	if !strings.HasPrefix(strings.TrimSpace(arg), "{") {
		b, err := os.ReadFile(arg)
		if err != nil {
			return nil, fmt.Errorf("read --task_info: %w", err)
		}
		data = b
	}
	var t Task
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("parse --task_info: %w", err)
	}
	if t.TaskID == "" || t.ContainerID == "" || t.RuntimeDir == "" || t.WorkDir == "" {
		return nil, errors.New("--task_info lacks task_id, container_id, work_dir or runtime_dir")
	}
	if !t.Container.IsDocker() {
		return nil, errors.New("--task_info: the task's container is not a DOCKER container")
	}
	return &t, nil
}

// Validate checks the flags as Mesos' executor does, with its messages.
func (f *Flags) Validate() error {
	for _, r := range []struct{ name, v string }{
		{"docker", f.Docker}, {"container", f.Container}, {"sandbox_directory", f.SandboxDirectory},
		{"mapped_directory", f.MappedDirectory}, {"launcher_dir", f.LauncherDir}, {"task_info", f.TaskInfo},
	} {
		if r.v == "" {
			return fmt.Errorf("Missing required option --%s", r.name)
		}
	}
	if f.DockerSocket == "" {
		f.DockerSocket = docker.DefaultSocket
	}
	return nil
}

// taskEnvironment parses --task_environment.
func (f *Flags) taskEnvironment() (map[string]string, error) {
	if f.TaskEnvironment == "" {
		return nil, nil
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(f.TaskEnvironment), &obj); err != nil {
		return nil, fmt.Errorf("Failed to parse --task_environment: %v", err)
	}
	env := make(map[string]string, len(obj))
	for k, v := range obj {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("Value of key '%s' in --task_environment is not a string", k)
		}
		env[k] = s
	}
	return env, nil
}

// GracePeriod is how long `docker stop` lets the task end on SIGTERM:
// MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD (default 5secs), or the deprecated
// --stop_timeout when that is longer.
func GracePeriod(environ func(string) string, stopTimeout time.Duration, parse func(string) (time.Duration, error)) (time.Duration, error) {
	g := DefaultGracePeriod
	if v := environ("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"); v != "" {
		d, err := parse(v)
		if err != nil {
			return 0, fmt.Errorf("Failed to parse value '%s' of 'MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD': %v", v, err)
		}
		g = d
	}
	return max(g, stopTimeout), nil
}

// executor is one run of the Docker executor.
type executor struct {
	f      *Flags
	task   *Task
	docker *docker.Docker
	grace  time.Duration
	log    io.Writer
	cs     *checkpoint.ContainerStatus

	mu         sync.Mutex
	killing    bool // a kill was asked for
	killed     bool // the kill was issued (docker stop runs)
	terminated bool
	// inspected is closed when the start inspection has ended (the
	// container started, or the inspection gave up).
	inspected chan struct{}
	// exited is closed when `docker run` has returned.
	exited chan struct{}
}

// Run is the Docker executor's main: it runs the task and returns the exit
// code (0 once a terminal update is recorded).
func Run(f *Flags, grace time.Duration) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	signal.Ignore(syscall.SIGHUP)
	task, err := LoadTask(f.TaskInfo)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mesos-docker-executor: %v\n", err)
		return 1
	}
	env, err := f.taskEnvironment()
	if err != nil {
		fmt.Fprintf(os.Stderr, "mesos-docker-executor: %v\n", err)
		return 1
	}
	d, err := docker.New(f.Docker, f.DockerSocket, nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Unable to create docker abstraction: %v\n", err)
		return 1
	}
	e := &executor{f: f, task: task, docker: d, grace: grace, log: os.Stderr,
		cs:        &checkpoint.ContainerStatus{ContainerID: checkpoint.ContainerID{Value: task.ContainerID}, ExecutorPID: os.Getpid()},
		inspected: make(chan struct{}), exited: make(chan struct{})}
	return e.run(env, sigs)
}

func (e *executor) logf(format string, a ...any) { fmt.Fprintf(e.log, format+"\n", a...) }

// persist records one status update (launcher.Reporter).
func (e *executor) persist(st checkpoint.Status, retry bool) error {
	t := e.task
	r := launcher.Reporter{Paths: checkpoint.Paths{WorkDir: t.WorkDir, RuntimeDir: t.RuntimeDir, AgentID: t.AgentID},
		FrameworkID: t.FrameworkID, ExecutorID: t.ExecutorID, ContainerID: t.ContainerID, TaskID: t.TaskID,
		Name: launcher.DockerExecutorName}
	return r.Report(st, retry)
}

func (e *executor) run(env map[string]string, sigs <-chan os.Signal) int {
	t := e.task
	e.logf("Starting task %s", t.TaskID)
	// Without a recorded TASK_STARTING nothing is started.
	if err := e.persist(checkpoint.Status{State: checkpoint.TaskStarting}, false); err != nil {
		return 1
	}
	opts, err := docker.NewRunOptions(t.Container, t.Command, e.f.Container, e.f.SandboxDirectory, e.f.MappedDirectory,
		t.Resources, e.f.CgroupsEnableCFS, env)
	if err != nil {
		msg := "Failed to create docker run options: " + err.Error()
		e.logf("%s", msg)
		e.persist(checkpoint.Status{State: checkpoint.TaskFailed, Message: msg}, true)
		return 0
	}
	for _, w := range opts.Warnings {
		e.logf("%s", w)
	}
	select {
	case s := <-sigs:
		// Killed between TASK_STARTING and the start of the container:
		// nothing ran.
		e.logf("Received %v before the container was started", s)
		e.persist(checkpoint.Status{State: checkpoint.TaskKilled, Reason: "REASON_TASK_KILLED_DURING_LAUNCH",
			Message: "Task killed before its container started"}, true)
		return 0
	default:
	}
	e.logf("Running %s", e.docker.Cmdline(opts.Args()...))
	cmd, err := e.docker.Start(opts, os.Stdout, os.Stderr)
	if err != nil {
		e.persist(checkpoint.Status{State: checkpoint.TaskFailed, Message: "Failed to run docker container: " + err.Error()}, true)
		return 0
	}
	runDone := make(chan syscall.WaitStatus, 1)
	go func() {
		_ = cmd.Wait()
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		close(e.exited)
		runDone <- ws
	}()
	containerGone := make(chan struct{})
	go e.inspectUntilStarted(containerGone)
	go func() {
		for range sigs {
			e.kill()
		}
	}()

	var st checkpoint.Status
	select {
	case ws := <-runDone:
		st = e.terminalStatus(ws)
	case <-containerGone:
		// The container's process is gone but `docker run` has not
		// returned: give it ReapTimeout, then report what is known.
		select {
		case ws := <-runDone:
			st = e.terminalStatus(ws)
		case <-time.After(ReapTimeout):
			e.logf("The container process has exited, but Docker daemon failed to catch it.")
			e.mu.Lock()
			e.terminated = true
			e.mu.Unlock()
			st = checkpoint.Status{State: checkpoint.TaskFailed, Message: "Failed to get exit status of container"}
		}
	}
	// The TASK_RUNNING update, if any, goes first.
	select {
	case <-e.inspected:
	case <-time.After(docker.InspectTimeout):
	}
	e.logf("%s", st.Message)
	e.persist(st, true)
	return 0
}

// terminalStatus is the task's end from `docker run`'s wait status, as
// Mesos' executor words it. From then on the task is terminated: a kill
// does nothing (no TASK_KILLING once the end is known).
func (e *executor) terminalStatus(ws syscall.WaitStatus) checkpoint.Status {
	e.mu.Lock()
	e.terminated = true
	killed := e.killed
	e.mu.Unlock()
	st := checkpoint.Status{Message: "Container " + docker.WaitStatus(ws)}
	switch {
	case killed:
		st.State = checkpoint.TaskKilled
	case ws.Exited() && ws.ExitStatus() == 0:
		st.State = checkpoint.TaskFinished
	default:
		st.State = checkpoint.TaskFailed
	}
	return st
}

// inspectUntilStarted asks `docker inspect` every InspectInterval until
// the container has started, then reports TASK_RUNNING (unless the task
// is being killed) and watches the container's process: when it is gone,
// containerGone is closed.
func (e *executor) inspectUntilStarted(containerGone chan<- struct{}) {
	var c docker.Container
	started := false
	for !started {
		var err error
		c, err = e.docker.Inspect(context.Background(), e.f.Container)
		switch {
		case err == nil && c.Started:
			started = true
			continue
		case err != nil && !docker.IsNoSuchContainer(err):
			e.logf("Failed to inspect container '%s': %v", e.f.Container, err)
		}
		select {
		case <-e.exited:
			// `docker run` ended before the container was seen started
			// (it failed, or the container was very short-lived).
			if err == nil && c.Started {
				started = true
				continue
			}
			close(e.inspected)
			return
		case <-time.After(InspectInterval):
		}
	}
	e.mu.Lock()
	killed := e.killed
	e.mu.Unlock()
	if !killed {
		e.persist(checkpoint.Status{State: checkpoint.TaskRunning, ContainerStatus: e.cs}, true)
	}
	close(e.inspected)
	if c.Pid <= 0 {
		return
	}
	// moby#33820: the engine can miss a container's exit, and then
	// `docker run` never returns. Watch the process itself.
	for {
		select {
		case <-e.exited:
			return
		case <-time.After(time.Second):
		}
		if syscall.Kill(c.Pid, 0) == syscall.ESRCH {
			close(containerGone)
			return
		}
	}
}

// kill stops the container: once the start inspection is over (so that
// docker knows the container), `docker stop -t <grace> <name>`, tried again
// every KillRetryInterval until `docker run` returns.
func (e *executor) kill() {
	e.mu.Lock()
	if e.terminated || e.killing {
		e.mu.Unlock()
		return
	}
	e.killing = true
	e.mu.Unlock()
	grace := e.task.killGracePeriod(e.grace)
	if e.task.KillPolicy != nil && e.task.KillPolicy.GracePeriod != nil {
		e.logf("Received killTask with grace period of %s (the task's kill policy) for task %s", grace, e.task.TaskID)
	} else {
		e.logf("Received killTask for task %s", e.task.TaskID)
	}
	select {
	case <-e.inspected:
	case <-time.After(docker.InspectTimeout):
	}
	// As Mesos' executor: killed is set once the kill is issued, and
	// TASK_KILLING is reported then, once, unless the task has ended.
	e.mu.Lock()
	if e.terminated {
		e.mu.Unlock()
		return
	}
	e.killed = true
	if e.task.killingState() {
		_ = e.persist(checkpoint.Status{State: checkpoint.TaskKilling}, false)
	}
	e.mu.Unlock()
	go func() {
		for {
			ctx, cancel := context.WithTimeout(context.Background(), grace+docker.ForceKillTimeout+docker.InspectTimeout)
			err := e.docker.Stop(ctx, e.f.Container, grace, false)
			cancel()
			if err != nil {
				e.logf("Failed to stop container '%s': %v", e.f.Container, err)
			}
			select {
			case <-e.exited:
				return
			case <-time.After(KillRetryInterval):
				e.logf("Retrying to kill task")
			}
		}
	}()
}
