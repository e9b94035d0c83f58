// Package runtime is agentd's task runtime: it launches command tasks as
// containers (mesosctl containerizer launch → mesosctl executor → sh -c),
// applies the --isolation isolators, accounts resources, follows status
// updates through the checkpoint, and recovers live containers after an
// agentd restart. It knows nothing of HTTP: package httpapi serves its
// operations (Service), which speak the wire types of package api.
package runtime

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/mesos"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/atomicfile"
	"github.com/mesosctl/mesosctl/internal/agentd/cgroups"
	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/agentd/metrics"
	"github.com/mesosctl/mesosctl/internal/agentd/netports"
	"github.com/mesosctl/mesosctl/internal/agentd/usage"
	"github.com/mesosctl/mesosctl/internal/procfs"
	"golang.org/x/sys/unix"
)

// Executor overhead added by Mesos to every command executor.
const (
	ExecutorCPUs  = 0.1
	ExecutorMemMB = 32
)

// Config configures the runtime (from agentd flags).
type Config struct {
	WorkDir, RuntimeDir, AgentID string
	Executable                   string   // the mesosctl binary
	Isolation                    []string // normalised isolator names
	CgroupsHierarchy             string   // --cgroups_hierarchy
	CgroupsRoot                  string   // --cgroups_root
	CgroupsEnableCFS             bool
	GracePeriod                  time.Duration // --executor_shutdown_grace_period
	Recover                      string        // reconnect | cleanup
	Strict                       bool
	Total                        mesos.Resources // agent resources (mesos.Scalars: cpus, mem, disk)
	Logger                       *slog.Logger    // default: text to stderr
	// GCDelay is how long an ended task's sandbox and checkpoint stay on
	// disk (--gc_delay; 0 = never removed).
	GCDelay time.Duration
	// GCDiskHeadroom and DiskWatchInterval are --gc_disk_headroom and
	// --disk_watch_interval: every interval the disk holding WorkDir is
	// measured and runs older than the age that leaves are pruned
	// (CheckDiskUsage). A zero interval checks every second.
	GCDiskHeadroom    float64
	DiskWatchInterval time.Duration
	// MaxCompleted is how many ended tasks per framework are kept in
	// memory (--max_completed_executors_per_framework; 0 = 150). Older
	// ones are forgotten (their sandboxes stay on disk).
	MaxCompleted int
	// SwitchUser is --switch_user: a task runs as its own user, else its
	// framework's; false runs every task as agentd's user.
	SwitchUser bool
	// AgentEnv is the agent-wide part of every executor's environment
	// (AgentEnvironment); the per-container variables are added at launch.
	AgentEnv map[string]string
	// Containerizers is --containerizers (mesos, docker); empty means
	// mesos only.
	Containerizers []string
	// Docker is the Docker containerizer, when docker is in Containerizers.
	Docker *DockerConfig
	// AgentIP and AgentIP6 are the agent's addresses, which Mesos adds to
	// the container_status.network_infos of executors' status updates.
	AgentIP, AgentIP6 string
	// CgroupsLimitSwap is --cgroups_limit_swap, CountProcesses
	// --cgroups_cpu_enable_pids_and_tids_count (ResourceStatistics).
	CgroupsLimitSwap bool
	CountProcesses   bool
	// CgroupsDestroyTimeout is --cgroups_destroy_timeout (0: Mesos'
	// default, 1mins): how long a container's cgroups may take to go.
	CgroupsDestroyTimeout time.Duration
	// ExecutorRegistrationTimeout is --executor_registration_timeout (0:
	// none): an executor that has not reported (its task still
	// TASK_STAGING) by then is destroyed and its task fails with
	// REASON_EXECUTOR_REGISTRATION_TIMEOUT.
	ExecutorRegistrationTimeout time.Duration
	// Ports configures the network/ports isolator (active when Isolation
	// has network/ports).
	Ports PortsConfig
	// KeepOrphans (--mesosctl_keep_orphans, not a Mesos flag) keeps the
	// containers of previous agent IDs that recovery finds, which are
	// otherwise destroyed as Mesos destroys them (orphans.go).
	KeepOrphans bool
	// WarmLaunchers (--mesosctl_warm_launchers, not a Mesos flag) is how
	// many launcher+executor pairs agentd keeps started ahead for the
	// launches of command tasks (warm.go); 0 starts each one at launch.
	WarmLaunchers int
}

// PortsConfig is the network/ports isolator's flags.
type PortsConfig struct {
	// Enforce (--enforce_container_ports) destroys a container listening
	// on a port it was not allocated; without it the agent only logs.
	Enforce bool
	// WatchInterval is --container_ports_watch_interval (0: 30secs).
	WatchInterval time.Duration
	// Checked are the ports the check covers (--container_ports_isolated_range,
	// or the agent's ports with --check_agent_port_range_only); none: all.
	Checked []mesos.Range
}

// destroyTimeout is --cgroups_destroy_timeout.
func (r *Runtime) destroyTimeout() time.Duration {
	if r.cfg.CgroupsDestroyTimeout > 0 {
		return r.cfg.CgroupsDestroyTimeout
	}
	return cgroups.DefaultDestroyTimeout
}

// ResourcesOf is the accounted form of a task's resources as the task
// API and the checkpoint carry them.
func ResourcesOf(r api.TaskResources) mesos.Resources { return mesos.Scalars(r.CPUs, r.Mem, r.Disk) }

// TaskResourcesOf is the task API's form of accounted resources.
func TaskResourcesOf(r mesos.Resources) api.TaskResources {
	return api.TaskResources{CPUs: r.Scalar("cpus"), Mem: r.Scalar("mem"), Disk: r.Scalar("disk")}
}

// executorOverhead is what the command executor of a task adds to it.
var executorOverhead = sync.OnceValue(func() mesos.Resources { return mesos.Scalars(ExecutorCPUs, ExecutorMemMB, 0) })

// withExecutor is a task's resources with its executor's overhead (in the
// order cpus, mem, disk).
func withExecutor(task api.TaskResources) mesos.Resources {
	return executorOverhead().Add(ResourcesOf(task))
}

// fitsLocked reports whether need fits what is not allocated (r.mu held).
func (r *Runtime) fitsLocked(need mesos.Resources) bool {
	return r.cfg.Total.Contains(r.allocated.Add(need))
}

// freeLocked is what is not allocated, per scalar (negative when more is
// allocated than the agent has, e.g. after a restart with fewer
// resources); r.mu held.
func (r *Runtime) freeLocked() mesos.Resources {
	t, a := r.cfg.Total, r.allocated
	return mesos.Scalars(t.Scalar("cpus")-a.Scalar("cpus"), t.Scalar("mem")-a.Scalar("mem"), t.Scalar("disk")-a.Scalar("disk"))
}

// releaseLocked returns res to the free resources (r.mu held).
func (r *Runtime) releaseLocked(res mesos.Resources) {
	if rest, err := r.allocated.Subtract(res); err == nil {
		r.allocated = rest
	} else {
		r.logf(slog.LevelError, "resource accounting: releasing %s from %s: %v", res, r.allocated, err)
	}
}

// TaskSpec is a task launch request (the body of POST /mesosctl/v1/tasks).
type TaskSpec struct {
	FrameworkID   string            `json:"framework_id,omitempty"`
	FrameworkName string            `json:"framework_name,omitempty"`
	TaskID        string            `json:"task_id"`
	Name          string            `json:"name"`
	Command       string            `json:"command,omitempty"`
	Argv          []string          `json:"argv,omitempty"`
	Env           map[string]string `json:"env,omitempty"`
	User          string            `json:"user,omitempty"`
	FrameworkUser string            `json:"framework_user,omitempty"`
	Resources     api.TaskResources `json:"resources"`
	PidsMax       int               `json:"pids_max,omitempty"`
	// Container is the task's ContainerInfo; a DOCKER one runs under the
	// Docker containerizer.
	Container *api.ContainerInfo `json:"container,omitempty"`
	// FrameworkCapabilities and KillPolicy are as in api.TaskSpec.
	FrameworkCapabilities []string        `json:"framework_capabilities,omitempty"`
	KillPolicy            *api.KillPolicy `json:"kill_policy,omitempty"`
}

// killGracePeriod is the task's KillPolicy grace period, if it has one.
func (s TaskSpec) killGracePeriod() (time.Duration, bool) {
	if s.KillPolicy == nil || s.KillPolicy.GracePeriod == nil {
		return 0, false
	}
	return time.Duration(s.KillPolicy.GracePeriod.Nanoseconds), true
}

// InsufficientError is returned when a launch does not fit (HTTP 409).
type InsufficientError struct{ Need, Free mesos.Resources }

func (e *InsufficientError) Error() string {
	return fmt.Sprintf("insufficient resources on agent: need cpus %g, mem %g; free cpus %g, mem %g",
		round(e.Need.Scalar("cpus")), round(e.Need.Scalar("mem")), round(e.Free.Scalar("cpus")), round(e.Free.Scalar("mem")))
}

func round(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// ConflictError: the task ID is already in use (HTTP 409).
type ConflictError struct{ TaskID string }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("task %s already exists on this agent", e.TaskID)
}

// NotFoundError: unknown task (HTTP 404).
type NotFoundError struct{ TaskID string }

func (e *NotFoundError) Error() string { return fmt.Sprintf("task %s cannot be found", e.TaskID) }

// Task is one task's record, shaped like Mesos' /state task object.
type Task struct {
	ID          string              `json:"id"`
	Name        string              `json:"name"`
	FrameworkID string              `json:"framework_id"`
	ExecutorID  string              `json:"executor_id"`
	SlaveID     string              `json:"slave_id"`
	State       string              `json:"state"`
	Resources   api.TaskResources   `json:"resources"`
	Role        string              `json:"role"`
	Statuses    []checkpoint.Status `json:"statuses"`
	User        string              `json:"user,omitempty"`
}

type taskInfo struct {
	Task
	Spec   TaskSpec       `json:"spec"`
	Launch *launcher.Info `json:"launch"`
}

type frameworkInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	User string `json:"user"`
	Role string `json:"role"`
}

// container is one running or finished executor run.
type container struct {
	info      taskInfo
	task      Task
	pid       int
	start     uint64
	cmd       *exec.Cmd // nil when recovered
	recovered bool      // adopted at recovery: liveness is polled, not waited for
	exited    bool      // the launcher this agentd started has exited
	done      chan struct{}
	finished  bool
	finishing bool // finish is running (it may fail and be retried)
	// killRequested: a kill is recorded (KillMarker); killSent: SIGTERM
	// went to the launcher.
	killRequested, killSent bool
	logged                  string // the last problem logged about the container (logged once)
	nUpdates                int
	updatesSize             int64 // of task.updates when last read
	// updates is task.updates held open while the container runs, so
	// that the poller's check of it is an fstat instead of a lookup of
	// its 12-component path (nil until it exists, and once finished).
	updates *os.File
	// pidfd refers to the launcher of a recovered container (not a child
	// of this agentd, so its end is polled, not waited for): the poller
	// asks the kernel about all of them in one poll(2) (nil until opened;
	// pidfdFailed: it cannot be, and /proc is read instead).
	pidfd       *os.File
	pidfdFailed bool
	// need is what the container is accounted: the task's resources
	// and its executor's overhead.
	need mesos.Resources
	// refill: the launch took a pre-started pair (or was the first of a
	// command task, which starts the pool), whose replacement is
	// started once the task runs (or ends), not while the launch needs
	// the CPU (warm.go).
	refill    bool
	frameName string
	user      string
	seq       uint64
	endedAt   time.Time // when the container ended (GC age)
	// cancelPull cancels the image pull of a Docker task (set while it
	// runs).
	cancelPull context.CancelFunc
	// launchedAt starts the executor's registration timer (zero for a
	// recovered container); registrationTimedOut: it did not report
	// within --executor_registration_timeout and was destroyed.
	launchedAt           time.Time
	registrationTimedOut bool
	// limitation is the network/ports isolator's message once it has
	// destroyed the container for listening on unallocated ports.
	limitation string
	// pathsRemoved counts the run's paths (sandbox, checkpoint) garbage
	// collection has removed so far (under Runtime.mu).
	pathsRemoved int
}

// Runtime manages containers.
type Runtime struct {
	cfg   Config
	paths checkpoint.Paths

	mu         sync.Mutex
	containers map[string]*container // by task ID
	allocated  mesos.Resources
	recErrors  int
	closed     bool
	ln         *net.UnixConn
	stop       chan struct{}
	// pressure counts the memory pressure events of v1 memory cgroups.
	pressure usage.Pressure
	// maxAge is the maximum allowed age of ended runs computed by the last
	// disk check, in nanoseconds (-1: none yet); see CheckDiskUsage.
	maxAge *atomic.Int64
	wg     sync.WaitGroup
	// warm holds the pre-started launcher pairs (nil: WarmLaunchers 0).
	warm *warmPool
	// changed is closed (and replaced) whenever a task gains a status
	// update or a container ends: long-poll waiters select on it.
	changed chan struct{}
	// seq orders containers by launch (recovered ones first).
	seq uint64
	// standalone are LAUNCH_CONTAINER containers, by container ID.
	standalone map[string]*container
	// ctrls are the cgroup controllers in force once prepared
	// (PrepareIsolation).
	ctrls    []string
	prepared bool
	// counters are the process-lifetime metrics; counting is false while
	// recovery replays what happened before this process.
	counters metrics.Counters
	counting bool
	// portsChecked is when the network/ports isolator last looked.
	portsChecked time.Time
}

// broadcastLocked wakes every Changed waiter. Call with r.mu held.
func (r *Runtime) broadcastLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// Changed returns a channel closed at the next task or container change.
func (r *Runtime) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

// New returns a runtime; call Recover before launching.
func New(cfg Config) *Runtime {
	if cfg.CgroupsHierarchy == "" {
		cfg.CgroupsHierarchy = "/sys/fs/cgroup"
	}
	if cfg.CgroupsRoot == "" {
		cfg.CgroupsRoot = "mesos"
	}
	if cfg.Recover == "" {
		cfg.Recover = "reconnect"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	r := &Runtime{cfg: cfg, paths: checkpoint.Paths{WorkDir: cfg.WorkDir, RuntimeDir: cfg.RuntimeDir, AgentID: cfg.AgentID},
		containers: map[string]*container{}, stop: make(chan struct{}), changed: make(chan struct{}),
		standalone: map[string]*container{}, maxAge: newMaxAge()}
	if cfg.WarmLaunchers > 0 {
		r.warm = &warmPool{want: cfg.WarmLaunchers, kick: make(chan struct{}, 1)}
	}
	return r
}

// newMaxAge is the maximum allowed age before the first disk check
// (MaxAllowedAge computes it then).
func newMaxAge() *atomic.Int64 {
	a := new(atomic.Int64)
	a.Store(-1)
	return a
}

// NormalizeIsolation expands deprecated names as Mesos does (§6.4).
func NormalizeIsolation(s string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		var exp []string
		switch n {
		case "":
		case "process":
			exp = []string{"posix/cpu", "posix/mem"}
		case "cgroups":
			exp = []string{"cgroups/cpu", "cgroups/mem"}
		case "posix/disk":
			exp = []string{"disk/du"}
		default:
			exp = []string{n}
		}
		for _, e := range exp {
			if !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (r *Runtime) has(iso string) bool {
	for _, i := range r.cfg.Isolation {
		if i == iso || (i == "cgroups/all" && strings.HasPrefix(iso, "cgroups/")) {
			return true
		}
	}
	return false
}

// PrepareIsolation resolves the cgroups/* isolators to controllers
// (cgroups/all: those of cpu, memory and pids the hierarchy offers) and
// checks that each can be applied (cgroups.Check). It returns a
// description of the isolation in force for the log; an isolator that
// cannot be applied is an error, and agentd does not start.
func (r *Runtime) PrepareIsolation() (string, error) {
	want := r.requestedControllers()
	if r.has("cgroups/all") {
		v2, have := cgroups.Available(r.cfg.CgroupsHierarchy, want)
		if len(have) == 0 {
			version := "v1"
			if v2 {
				version = "v2"
			}
			return "", fmt.Errorf("--isolation=cgroups/all: the cgroup %s hierarchy %s offers none of the controllers agentd applies (cpu, memory, pids)", version, r.cfg.CgroupsHierarchy)
		}
		want = have
	}
	if slices.Contains(want, "cpu") && !cgroups.IsV2(r.cfg.CgroupsHierarchy) {
		// Mesos' cgroups/cpu isolator is the cpu and the cpuacct
		// subsystems: cpuacct gives the cpu times and process counts of
		// /monitor/statistics (on v2, cpu.stat and the cgroup itself do).
		want = append(slices.Clone(want), "cpuacct")
	}
	spec := cgroups.Spec{Hierarchy: r.cfg.CgroupsHierarchy, Root: r.cfg.CgroupsRoot, Controllers: want, LimitSwap: r.cfg.CgroupsLimitSwap}
	if err := cgroups.Check(spec); err != nil {
		return "", err
	}
	r.mu.Lock()
	r.ctrls = want
	r.prepared = true
	r.mu.Unlock()
	if len(want) == 0 {
		return "no cgroups (posix isolators: usage is measured, nothing is limited)", nil
	}
	version := "v1 (one mount per controller)"
	if cgroups.IsV2(r.cfg.CgroupsHierarchy) {
		version = "v2 (unified)"
	}
	return fmt.Sprintf("cgroups %s at %s, root %s: %s", version, r.cfg.CgroupsHierarchy, r.cfg.CgroupsRoot, strings.Join(want, ", ")), nil
}

// controllers are the cgroup controllers every container gets.
func (r *Runtime) controllers() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.prepared {
		return r.ctrls
	}
	return r.requestedControllers()
}

func (r *Runtime) requestedControllers() []string {
	var cs []string
	if r.has("cgroups/cpu") {
		cs = append(cs, "cpu")
	}
	if r.has("cgroups/mem") {
		cs = append(cs, "memory")
	}
	if r.has("cgroups/pids") {
		cs = append(cs, "pids")
	}
	return cs
}

func (r *Runtime) logf(level slog.Level, format string, a ...any) {
	r.cfg.Logger.Log(context.Background(), level, fmt.Sprintf(format, a...))
}

// NewID returns a UUID v4 string (container IDs).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// ExecutorName follows Mesos' command executor naming (§6.3).
func ExecutorName(tid string, s TaskSpec) string {
	if s.Command == "" && len(s.Argv) == 0 && s.Container.IsDocker() {
		// A Docker task running its image's own command (shell=false, no
		// value).
		return fmt.Sprintf("Command Executor (Task: %s) (Command: NO EXECUTABLE)", tid)
	}
	if s.Command != "" || len(s.Argv) == 0 {
		c := s.Command
		if len(c) > 15 {
			c = c[:12] + "..."
		}
		return fmt.Sprintf("Command Executor (Task: %s) (Command: sh -c '%s')", tid, c)
	}
	return fmt.Sprintf("Command Executor (Task: %s) (Command: [%s])", tid, strings.Join(s.Argv, ", "))
}

// Start opens the agent socket and starts the update poller. Call after Recover.
func (r *Runtime) Start() error {
	if err := os.MkdirAll(r.cfg.RuntimeDir, 0o755); err != nil {
		return err
	}
	sock := r.paths.AgentSocket()
	os.Remove(sock)
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("listen on %s: %w", sock, err)
	}
	r.ln = ln
	if r.warm != nil {
		// After recovery, so that its orphan reaping never meets them.
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.keepWarm()
		}()
	}
	r.wg.Add(2)
	go func() {
		defer r.wg.Done()
		buf := make([]byte, 256)
		for {
			n, err := ln.Read(buf)
			if err != nil {
				return
			}
			r.refreshContainer(string(buf[:n]))
		}
	}()
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		// The first disk check comes one interval after the start, as in
		// Mesos (delay(disk_watch_interval, checkDiskUsage)).
		nextDiskCheck := time.Now().Add(r.cfg.DiskWatchInterval)
		for {
			select {
			case <-r.stop:
				return
			case now := <-t.C:
				r.poll()
				r.pollStandalone()
				r.GC(now)
				if !now.Before(nextDiskCheck) {
					r.CheckDiskUsage(now)
					nextDiskCheck = now.Add(r.cfg.DiskWatchInterval)
				}
			}
		}
	}()
	return nil
}

// Launch starts a command task. It is race-free under concurrent calls:
// resources are reserved under the lock before anything is started. The
// launch is checkpointed before the executor may start (launcher
// handshake): when any checkpoint write fails, nothing runs, nothing of
// the launch is left on disk and the error is returned.
func (r *Runtime) Launch(s TaskSpec) (Task, error) {
	if s.TaskID == "" {
		return Task{}, badRequestf("task_id is required")
	}
	if s.Command == "" && len(s.Argv) == 0 && !s.Container.IsDocker() {
		return Task{}, badRequestf("task %s has neither command nor argv", s.TaskID)
	}
	if err := validID("task_id", s.TaskID); err != nil {
		return Task{}, err
	}
	if s.FrameworkID != "" {
		if err := validID("framework_id", s.FrameworkID); err != nil {
			return Task{}, err
		}
	}
	if s.FrameworkID == "" {
		s.FrameworkID = r.cfg.AgentID + "-mesosctl"
	}
	if s.FrameworkName == "" {
		s.FrameworkName = "mesos-execute instance"
	}
	if s.Name == "" {
		s.Name = s.TaskID
	}
	need := withExecutor(s.Resources)
	r.mu.Lock()
	if _, ok := r.containers[s.TaskID]; ok {
		r.mu.Unlock()
		return Task{}, &ConflictError{s.TaskID}
	}
	if !r.fitsLocked(need) {
		free := r.freeLocked()
		r.mu.Unlock()
		return Task{}, &InsufficientError{Need: need, Free: free}
	}
	r.allocated = r.allocated.Add(need)
	cid := NewID()
	r.seq++
	c := &container{done: make(chan struct{}), need: need, frameName: s.FrameworkName, user: s.User, seq: r.seq,
		launchedAt: time.Now()}
	c.task = Task{ID: s.TaskID, Name: s.Name, FrameworkID: s.FrameworkID, SlaveID: r.cfg.AgentID,
		State: checkpoint.TaskStaging, Resources: s.Resources, Role: "*", User: s.User,
		Statuses: []checkpoint.Status{}}
	r.containers[s.TaskID] = c
	r.mu.Unlock()

	// A command task takes a pre-started launcher (and its container ID)
	// when one is idle.
	var pair *warmPair
	if r.containerizerFor(s) == ContainerizerMesos {
		var owe bool
		if pair, owe = r.takeWarm(); pair != nil {
			cid = pair.cid
		}
		r.mu.Lock()
		c.refill = owe
		r.mu.Unlock()
	}
	if err := r.start(c, s, cid, pair); err != nil {
		r.counters.Inc(metrics.ContainerLaunchErrors)
		r.mu.Lock()
		r.refillLocked(c)
		delete(r.containers, s.TaskID)
		r.releaseLocked(need)
		r.mu.Unlock()
		return Task{}, err
	}
	// Mesos' containerizer runs the fetcher for every container it
	// launches (a task without URIs fetches nothing, successfully).
	r.counters.Inc(metrics.TaskFetchesSucceeded)
	r.mu.Lock()
	defer r.mu.Unlock()
	return c.task, nil
}

// userOf is the user a task runs as ("" = agentd's own): with
// --switch_user its CommandInfo.user, else its framework's user.
func (r *Runtime) userOf(s TaskSpec) string {
	if !r.cfg.SwitchUser {
		return ""
	}
	if s.User != "" {
		return s.User
	}
	return s.FrameworkUser
}

// executorEnv is the whole environment of a task's executor, as Mesos
// 1.11 builds it (slave.cpp executorEnvironment, plus MESOS_SANDBOX from
// the containerizer): the agent-wide part, then the container's IDs and
// directories. Nothing of agentd's own environment is in it.
func (r *Runtime) executorEnv(fid, eid, sandbox string) map[string]string {
	env := make(map[string]string, len(r.cfg.AgentEnv)+6)
	for k, v := range r.cfg.AgentEnv {
		env[k] = v
	}
	env["MESOS_FRAMEWORK_ID"] = fid
	env["MESOS_EXECUTOR_ID"] = eid
	env["MESOS_DIRECTORY"] = sandbox
	env["MESOS_SLAVE_ID"] = r.cfg.AgentID
	env["MESOS_SANDBOX"] = sandbox
	return env
}

func (r *Runtime) start(c *container, s TaskSpec, cid string, pair *warmPair) error {
	// A pre-started pair the launch does not get to use goes without a
	// "go" (spawn takes it over).
	defer func() {
		if pair != nil {
			pair.abort()
		}
	}()
	fid, eid, tid := s.FrameworkID, s.TaskID, s.TaskID
	p := r.paths
	sandbox := p.Sandbox(fid, eid, cid)
	user := r.userOf(s)
	info := &launcher.Info{ContainerID: cid, AgentID: r.cfg.AgentID, FrameworkID: fid, ExecutorID: eid, TaskID: tid,
		Shell: s.Command != "", Command: s.Command, Argv: s.Argv, Env: s.Env, User: user, Sandbox: sandbox,
		WorkDir: r.cfg.WorkDir, RuntimeDir: r.cfg.RuntimeDir, PidNamespace: r.has("namespaces/pid"),
		GracePeriod: r.cfg.GracePeriod, Executable: r.cfg.Executable,
		ExecutorEnv: r.executorEnv(fid, eid, sandbox), Handshake: true}
	if g, ok := s.killGracePeriod(); ok {
		info.GracePeriod = g // the command executor's, as Mesos' (KillPolicy overrides)
	}
	kind := r.containerizerFor(s)
	if kind == ContainerizerDocker {
		info.DockerExecutor = r.dockerExecutorFlags(cid, sandbox)
	}
	// The command executor starts while the launch is checkpointed.
	info.ExecutorHandshake = kind == ContainerizerMesos
	r.mu.Lock()
	c.info = taskInfo{Task: c.task, Spec: s, Launch: info}
	r.mu.Unlock()
	if kind == "" {
		// As Mesos' agent: no containerizer takes the task, and its
		// executor "terminates" at once.
		r.logf(slog.LevelError, "Container '%s' for executor '%s' of framework %s failed to start: None of the enabled containerizers (%s) could create a container for the provided TaskInfo/ExecutorInfo message",
			cid, eid, fid, strings.Join(r.containerizerNames(), ","))
		return r.failLaunch(c, "Abnormal executor termination: unknown container")
	}
	var owner *launcher.Account
	if user != "" {
		acct, err := launcher.LookupUser(user)
		if err != nil {
			// As Mesos' agent: the sandbox cannot be given to the user, so
			// the task fails before anything runs (never as root instead).
			return r.failLaunch(c, fmt.Sprintf("Failed to create executor directory '%s': Failed to chown directory to '%s': %v", sandbox, user, err))
		}
		owner = acct
	}
	if kind == ContainerizerMesos {
		// A Docker container's limits are the engine's (docker run
		// --cpu-shares, --memory); its executor gets no cgroups of ours.
		if err := r.isolate(info, withExecutor(s.Resources), s.PidsMax); err != nil {
			return err
		}
	}
	// undo removes every trace of a launch that could not be recorded.
	undo := func(err error) error {
		if derr := info.Cgroup.DestroyWithin(r.destroyTimeout()); derr != nil {
			r.logf(slog.LevelWarn, "destroy cgroups of container %s: %v", cid, derr)
		}
		for _, dir := range []string{p.RunMeta(fid, eid, cid), p.Runtime(cid), sandbox} {
			_ = os.RemoveAll(dir)
		}
		pruneEmptyRuns(filepath.Join(p.ExecutorMeta(fid, eid), "runs"))
		pruneEmptyRuns(filepath.Dir(sandbox))
		return &CheckpointError{What: "the launch of task " + tid, Err: err}
	}
	if err := makeSandbox(sandbox, owner); err != nil {
		return undo(err)
	}
	// Every checkpoint of the launch goes into one batch, made durable
	// together (while the launcher starts) before it may go.
	b := &atomicfile.Batch{}
	defer b.Abort()
	if err := b.Symlink(cid, filepath.Join(filepath.Dir(sandbox), "latest")); err != nil {
		return undo(err)
	}
	if err := r.writeLaunchMeta(b, c, s, cid); err != nil {
		return undo(err)
	}
	if kind == ContainerizerDocker {
		if err := b.Commit(); err != nil {
			return undo(err)
		}
		if err := r.writeDockerTask(info, s); err != nil {
			return undo(err)
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.pullAndSpawn(c, info, owner, s)
		}()
		return nil
	}
	taken := pair
	pair = nil
	if err := r.spawn(c, info, owner, b, taken, forkedPid(p, info), func() { r.finish(c) }); err != nil {
		return undo(err)
	}
	return nil
}

// forkedPid is the commit of a task's launch: its executor's forked.pid.
func forkedPid(p checkpoint.Paths, info *launcher.Info) func(*atomicfile.Batch, int) error {
	return func(b *atomicfile.Batch, pid int) error {
		return b.WriteFile(p.ForkedPid(info.FrameworkID, info.ExecutorID, info.ContainerID), fmt.Appendf(nil, "%d\n", pid), 0o600)
	}
}

// writeLaunchMeta checkpoints framework.info, executor.info, the run's
// latest link and task.info, in b.
func (r *Runtime) writeLaunchMeta(b *atomicfile.Batch, c *container, s TaskSpec, cid string) error {
	p := r.paths
	fid, eid, tid := s.FrameworkID, s.TaskID, s.TaskID
	r.mu.Lock()
	ti := c.info
	r.mu.Unlock()
	for _, rec := range []struct {
		path string
		v    any
	}{
		{p.FrameworkInfo(fid), frameworkInfo{ID: fid, Name: s.FrameworkName, User: s.FrameworkUser, Role: "*"}},
		{p.ExecutorInfo(fid, eid), map[string]any{"executor_id": eid, "name": ExecutorName(tid, s), "source": tid}},
		{p.TaskInfo(fid, eid, cid, tid), ti},
	} {
		data, err := checkpoint.Record(rec.v)
		if err == nil {
			err = b.WriteFile(rec.path, data, 0o600)
		}
		if err != nil {
			return err
		}
	}
	return b.Symlink(cid, filepath.Join(p.ExecutorMeta(fid, eid), "runs", "latest"))
}

// failLaunch records a task that fails before its container starts (its
// user does not exist): TASK_FAILED with Mesos' message, checkpointed like
// any ended task (no sandbox, no container). If even that cannot be
// written, the launch is an error and nothing is left on disk.
func (r *Runtime) failLaunch(c *container, msg string) error {
	l := c.info.Launch
	p := r.paths
	st := checkpoint.Status{TaskID: l.TaskID, State: checkpoint.TaskFailed, Timestamp: launcher.Now(),
		Source: "SOURCE_AGENT", Reason: "REASON_EXECUTOR_TERMINATED", Message: msg}
	b := &atomicfile.Batch{}
	defer b.Abort()
	err := r.writeLaunchMeta(b, c, c.info.Spec, l.ContainerID)
	if err == nil {
		err = b.Commit()
	}
	if err == nil {
		err = checkpoint.AppendRecord(r.updatesPath(c), checkpoint.UpdateRecord{Type: "UPDATE", Status: st})
	}
	if err == nil {
		err = checkpoint.WriteText(p.Sentinel(l.FrameworkID, l.ExecutorID, l.ContainerID), "")
	}
	if err != nil {
		_ = os.RemoveAll(p.RunMeta(l.FrameworkID, l.ExecutorID, l.ContainerID))
		pruneEmptyRuns(filepath.Join(p.ExecutorMeta(l.FrameworkID, l.ExecutorID), "runs"))
		return &CheckpointError{What: "the failure of task " + l.TaskID, Err: err}
	}
	r.logf(slog.LevelWarn, "Task %s failed: %s", l.TaskID, msg)
	r.readUpdates(c)
	r.markFinished(c)
	return nil
}

// CheckpointError is a state agentd could not persist (a full or failing
// disk): the operation it belongs to did not happen.
type CheckpointError struct {
	What string
	Err  error
}

func (e *CheckpointError) Error() string {
	msg := fmt.Sprintf("cannot checkpoint %s: %v", e.What, e.Err)
	if errors.Is(e.Err, syscall.ENOSPC) || errors.Is(e.Err, syscall.EDQUOT) {
		msg += " (free space in --work_dir / --runtime_dir, then retry)"
	}
	return msg
}

func (e *CheckpointError) Unwrap() error { return e.Err }

// makeSandbox creates a sandbox as Mesos does: mode 0750, owned by the
// container's user (when it has one).
func makeSandbox(dir string, owner *launcher.Account) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o750); err != nil && !os.IsExist(err) {
		return err
	}
	if err := os.Chmod(dir, 0o750); err != nil {
		return err
	}
	if owner != nil {
		return owner.Chown(dir)
	}
	return nil
}

// isolate creates the container's cgroups (per --isolation) with limits
// for res, and records them in info.
func (r *Runtime) isolate(info *launcher.Info, res mesos.Resources, pidsMax int) error {
	cs := r.controllers()
	if len(cs) == 0 {
		return nil
	}
	g, err := cgroups.Create(cgroups.Spec{Hierarchy: r.cfg.CgroupsHierarchy, Root: r.cfg.CgroupsRoot, Controllers: cs}, info.ContainerID,
		cgroups.Limits{CPUs: res.Scalar("cpus"), MemMB: res.Scalar("mem"), PidsMax: pidsMax, EnableCFS: r.cfg.CgroupsEnableCFS,
			LimitSwap: r.cfg.CgroupsLimitSwap})
	if err != nil {
		return fmt.Errorf("isolate container %s: %w", info.ContainerID, err)
	}
	info.Cgroup = g
	r.listenPressure(g)
	return nil
}

// listenPressure starts counting the memory pressure events of g's v1
// memory cgroup, as Mesos' cgroups/mem isolator does for every container
// (mem_*_pressure_counter). A failure is logged, as in Mesos.
func (r *Runtime) listenPressure(g *cgroups.Group) {
	if dir := g.Dirs["memory"]; dir != "" && !g.V2 {
		if err := r.pressure.Listen(dir); err != nil {
			r.logf(slog.LevelError, "%v", err)
		}
	}
}

// stopPressure stops counting g's memory pressure events.
func (r *Runtime) stopPressure(g *cgroups.Group) {
	if g != nil && g.Dirs["memory"] != "" {
		r.pressure.Close(g.Dirs["memory"])
	}
}

// spawn checkpoints the launch info and starts `mesosctl containerizer
// launch` in its own session (inside the container's cgroup from the
// first instruction on cgroup v2; the launcher enters v1 groups itself
// before forking anything), with stdout/stderr in the sandbox (owned by
// owner, when set). The launcher waits for the handshake: the batch b
// (the launch's other checkpoints, if any), the launch info, the
// launcher's pid and what commit adds (given that pid) are made durable
// together while the launcher starts, and only when that succeeds is the
// launcher told to go; otherwise it aborts without starting anything,
// spawn waits for it to exit and returns the error. done runs when a
// launcher that went ahead exits. With pair (a pre-started launcher, of
// info's container ID: warm.go) nothing is started: the same checkpoints
// name the pair's launcher, and its "go" lets it go.
func (r *Runtime) spawn(c *container, info *launcher.Info, owner *launcher.Account, b *atomicfile.Batch, pair *warmPair, commit func(*atomicfile.Batch, int) error, done func()) error {
	if pair != nil {
		// A pre-started pair: the same checkpoints, then its "go".
		defer func() {
			if pair != nil {
				pair.abort()
			}
		}()
	}
	defer b.Abort()
	rt := r.paths.Runtime(info.ContainerID)
	rec, err := checkpoint.Record(info)
	if err != nil {
		return err
	}
	if err := b.WriteFile(filepath.Join(rt, "launch_info.rec"), rec, 0o600); err != nil {
		return err
	}
	// launch_info is the launcher's (and executor's) input, read when they
	// start, never by recovery (launch_info.rec is the checkpoint): it
	// needs no fsync of its own.
	li, _ := jsonMarshal(info)
	if err := os.WriteFile(filepath.Join(rt, "launch_info"), li, 0o600); err != nil {
		return err
	}
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for _, name := range []string{"stdout", "stderr"} {
		f, err := os.OpenFile(filepath.Join(info.Sandbox, name), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		files = append(files, f)
		if owner != nil {
			if err := owner.Chown(f.Name()); err != nil {
				return err
			}
		}
	}
	var cmd *exec.Cmd
	var st uint64
	var hsWrite *os.File
	exited := func() { _ = cmd.Wait() }
	if pair != nil {
		taken := pair
		cmd, st, hsWrite, exited = taken.cmd, taken.start, taken.gate, func() { <-taken.exited }
		pair = nil // from here on, the launch's
	} else if cmd, hsWrite, st, err = r.startLauncher(info, rt, files); err != nil {
		return err
	}
	r.mu.Lock()
	c.cmd = cmd
	c.pid = cmd.Process.Pid
	c.start = st
	r.mu.Unlock()
	// The launcher's pid and start time, for recovery (written here, before
	// the launcher may go: a recovered agentd must never take a launcher
	// that has yet to write anything for a dead one).
	err = b.WriteFile(filepath.Join(rt, "pid"), fmt.Appendf(nil, "%d %d\n", cmd.Process.Pid, st), 0o600)
	if err == nil {
		err = commit(b, cmd.Process.Pid)
	}
	if err == nil {
		err = b.Commit()
	}
	if err == nil {
		_, err = hsWrite.Write([]byte(launcher.HandshakeGo))
	}
	hsWrite.Close()
	if err != nil {
		exited() // the launcher saw no "go": it exits without starting anything
		return err
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		exited()
		r.mu.Lock()
		c.exited = true
		r.mu.Unlock()
		done()
	}()
	return nil
}

// startLauncher starts a cold launcher for info: `containerizer launch
// --launch_info=<rt>/launch_info` in its own session, in the sandbox, with
// files[0] and [1] as its stdout and stderr (on cgroup v2 born inside the
// container's cgroup). It returns it, the write end of its handshake and
// its start time.
func (r *Runtime) startLauncher(info *launcher.Info, rt string, files []*os.File) (*exec.Cmd, *os.File, uint64, error) {
	hsRead, hsWrite, err := os.Pipe()
	if err != nil {
		return nil, nil, 0, err
	}
	defer hsRead.Close()
	cmd := exec.Command(r.cfg.Executable, "containerizer", "launch", "--launch_info="+filepath.Join(rt, "launch_info"))
	cmd.Dir = info.Sandbox
	cmd.Env = launcher.EnvList(launcher.HelperEnv) // nothing of agentd's environment: PATH and HelperEnv only
	cmd.Stdout, cmd.Stderr = files[0], files[1]
	cmd.ExtraFiles = []*os.File{hsRead} // fd 3 = launcher.HandshakeFD
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if info.Cgroup != nil && info.Cgroup.V2 {
		fd, err := syscall.Open(info.Cgroup.Dirs[""], syscall.O_DIRECTORY|syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			hsWrite.Close()
			return nil, nil, 0, err
		}
		defer syscall.Close(fd)
		cmd.SysProcAttr.UseCgroupFD = true
		cmd.SysProcAttr.CgroupFD = fd
	}
	if err := cmd.Start(); err != nil {
		hsWrite.Close()
		return nil, nil, 0, fmt.Errorf("start container launcher: %w", err)
	}
	st, err := procfs.StartTime(cmd.Process.Pid)
	if err != nil {
		// As before: the launch goes no further (the launcher sees no "go").
		hsWrite.Close()
		_ = cmd.Wait()
		return nil, nil, 0, err
	}
	return cmd, hsWrite, st, nil
}

// refreshContainer re-reads task.updates of container cid.
func (r *Runtime) refreshContainer(cid string) {
	r.mu.Lock()
	var c *container
	for _, x := range r.containers {
		if x.info.Launch != nil && x.info.Launch.ContainerID == cid {
			c = x
			break
		}
	}
	sc := r.standalone[cid]
	r.mu.Unlock()
	if c != nil {
		r.readUpdates(c)
		r.deliverKill(c) // a kill that waited for TASK_STARTING
	}
	if sc != nil && sc.recovered {
		r.pollStandalone()
	}
}

// updatesSizeOf is the size of c's task.updates: an fstat of the file
// held open (holdUpdates), or, when none is (or it was removed), a stat of
// its path.
func (r *Runtime) updatesSizeOf(c *container) (int64, error) {
	r.mu.Lock()
	f := c.updates
	r.mu.Unlock()
	if f != nil {
		// (A file closed meanwhile fails here, and is looked up by path.)
		if fi, err := f.Stat(); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 0 {
				return fi.Size(), nil
			}
		}
	}
	fi, err := os.Stat(r.updatesPath(c))
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// holdUpdates opens c's task.updates for updatesSizeOf once it exists,
// while the container runs; markFinished closes it.
func (r *Runtime) holdUpdates(c *container) {
	r.mu.Lock()
	held := c.updates != nil || c.finished
	r.mu.Unlock()
	if held {
		return
	}
	f, err := os.Open(r.updatesPath(c))
	if err != nil {
		return // not written yet (or unreadable: readUpdates says why)
	}
	r.mu.Lock()
	if c.updates == nil && !c.finished {
		c.updates, f = f, nil
	}
	r.mu.Unlock()
	if f != nil {
		f.Close()
	}
}

func (r *Runtime) updatesPath(c *container) string {
	l := c.info.Launch
	return r.paths.TaskUpdates(l.FrameworkID, l.ExecutorID, l.ContainerID, l.TaskID)
}

// logOnce logs msg about c unless it was the last thing logged about c
// (the poller retries every second; the log says it once).
func (r *Runtime) logOnce(c *container, level slog.Level, msg string) {
	r.mu.Lock()
	same := c.logged == msg
	c.logged = msg
	r.mu.Unlock()
	if !same {
		r.logf(level, "%s", msg)
	}
}

// readUpdates brings the task's in-memory statuses to what task.updates
// holds: agentd shows no state that is not on disk. A torn trailing record
// (a writer that crashed, or one still writing) is left alone: the next
// append truncates it.
func (r *Runtime) readUpdates(c *container) {
	// The log only grows (or loses a torn tail before it grows again): a
	// size seen before means nothing new. The poller asks about every
	// container every second; one stat answers it.
	size, err := r.updatesSizeOf(c)
	if err != nil {
		if !os.IsNotExist(err) {
			r.logOnce(c, slog.LevelError, err.Error())
		}
		return
	}
	r.mu.Lock()
	seen := size == c.updatesSize
	r.mu.Unlock()
	if seen {
		return
	}
	path := r.updatesPath(c)
	recs, torn, err := checkpoint.ReadLog(path)
	if err != nil {
		if !os.IsNotExist(err) {
			r.logOnce(c, slog.LevelError, err.Error())
		}
		return
	}
	if torn != nil {
		r.logOnce(c, slog.LevelWarn, torn.Error())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	grew := false
	for _, raw := range recs[min(c.nUpdates, len(recs)):] {
		var u checkpoint.UpdateRecord
		if jsonUnmarshal(raw, &u) != nil {
			continue
		}
		if r.counting {
			if u.Status.Source == "SOURCE_EXECUTOR" {
				r.counters.Inc(metrics.ValidStatusUpdates)
			}
			if checkpoint.Terminal(u.Status.State) && !checkpoint.Terminal(c.task.State) {
				r.counters.TaskTerminal(u.Status.State)
			}
		}
		c.task.Statuses = append(c.task.Statuses, u.Status)
		c.task.State = u.Status.State
		grew = true
		if c.task.State != checkpoint.TaskStaging && c.task.State != checkpoint.TaskStarting {
			r.refillLocked(c)
		}
	}
	c.nUpdates = len(recs)
	c.updatesSize = size
	if grew {
		r.broadcastLocked()
	}
}

func (r *Runtime) poll() {
	r.mu.Lock()
	var live []*container
	for _, c := range r.containers {
		if !c.finished && c.info.Launch != nil {
			live = append(live, c)
		}
	}
	r.mu.Unlock()
	checkPorts := r.has("network/ports") && time.Since(r.portsChecked) >= r.portsInterval()
	if checkPorts {
		r.portsChecked = time.Now()
	}
	gone := r.recoveredEnded(live)
	for _, c := range live {
		r.holdUpdates(c)
		r.readUpdates(c)
		r.checkRegistration(c)
		if checkPorts {
			r.checkPorts(c)
		}
		r.deliverKill(c)
		r.mu.Lock()
		ended := c.exited || gone[c]
		r.mu.Unlock()
		if ended {
			r.finish(c) // again, if an earlier attempt could not checkpoint
		}
	}
}

// recoveredEnded returns which recovered containers of live have ended
// (their launcher is gone). Each launcher's pidfd is opened once; one
// poll(2) over all of them then says which may have exited, and only
// those (and containers without a pidfd) are looked up in /proc.
func (r *Runtime) recoveredEnded(live []*container) map[*container]bool {
	var fds []unix.PollFd
	var polled, check []*container
	for _, c := range live {
		r.mu.Lock()
		recovered, f, failed, pid, start := c.recovered, c.pidfd, c.pidfdFailed, c.pid, c.start
		r.mu.Unlock()
		if !recovered {
			continue
		}
		if f == nil && !failed {
			f = r.openPidfd(c, pid, start)
		}
		if f == nil {
			check = append(check, c)
			continue
		}
		fds = append(fds, unix.PollFd{Fd: int32(f.Fd()), Events: unix.POLLIN})
		polled = append(polled, c)
	}
	if len(fds) > 0 {
		if _, err := unix.Poll(fds, 0); err != nil {
			check = append(check, polled...) // ask /proc about every one
		} else {
			for i, fd := range fds {
				if fd.Revents != 0 { // exited (POLLIN), or a closed descriptor
					check = append(check, polled[i])
				}
			}
		}
	}
	gone := map[*container]bool{}
	for _, c := range check {
		r.mu.Lock()
		pid, start := c.pid, c.start
		r.mu.Unlock()
		if !procfs.Alive(pid, start) {
			gone[c] = true
		}
	}
	return gone
}

// openPidfd opens a pidfd for the launcher of recovered container c
// (pid, start). The pid is checked to be that launcher after the pidfd is
// opened, so that a reused pid is never taken for it. It returns nil
// (and remembers not to try again) when no pidfd can be had; the caller
// then reads /proc.
func (r *Runtime) openPidfd(c *container, pid int, start uint64) *os.File {
	fail := func() *os.File {
		r.mu.Lock()
		c.pidfdFailed = true
		r.mu.Unlock()
		return nil
	}
	if pid <= 0 {
		return fail()
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fail()
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	if !procfs.Alive(pid, start) {
		f.Close()
		return fail() // ended (or the pid is another process's): /proc says so
	}
	r.mu.Lock()
	if c.pidfd != nil || c.finished {
		r.mu.Unlock()
		f.Close()
		return nil
	}
	c.pidfd = f
	r.mu.Unlock()
	return f
}

// checkRegistration destroys the container of an executor that has not
// reported within --executor_registration_timeout, as Mesos' agent does;
// finish then fails its task with REASON_EXECUTOR_REGISTRATION_TIMEOUT.
func (r *Runtime) checkRegistration(c *container) {
	timeout := r.cfg.ExecutorRegistrationTimeout
	r.mu.Lock()
	due := timeout > 0 && !c.launchedAt.IsZero() && !c.registrationTimedOut && c.pid > 0 &&
		c.task.State == checkpoint.TaskStaging && time.Since(c.launchedAt) > timeout
	if due {
		c.registrationTimedOut = true
	}
	pid, l := c.pid, c.info.Launch
	r.mu.Unlock()
	if !due {
		return
	}
	r.logf(slog.LevelWarn, "Terminating executor of task %s because it did not register within %s", c.task.ID, mesos.FormatDuration(timeout))
	if l != nil && l.Cgroup != nil {
		l.Cgroup.Kill()
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL) // the launcher leads its own session
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

func (r *Runtime) portsInterval() time.Duration {
	if r.cfg.Ports.WatchInterval > 0 {
		return r.cfg.Ports.WatchInterval
	}
	return 30 * time.Second
}

// checkPorts is the network/ports isolator: a container whose processes
// listen on TCP ports it was not allocated (tasks of agentd's task API are
// allocated none) within the checked range is logged and, with
// --enforce_container_ports, destroyed; finish then fails its task with
// REASON_CONTAINER_LIMITATION and Mesos' message.
func (r *Runtime) checkPorts(c *container) {
	r.mu.Lock()
	pid, l, done := c.pid, c.info.Launch, c.limitation != "" || c.finished
	r.mu.Unlock()
	if done || pid <= 0 || l == nil {
		return
	}
	var pids []int
	if l.Cgroup != nil {
		pids = l.Cgroup.Procs()
	}
	if len(pids) == 0 {
		pids = procfs.Tree(pid)
	}
	listening, err := netports.Listening(pids)
	if err != nil {
		r.logOnce(c, slog.LevelWarn, "network/ports: "+err.Error())
		return
	}
	bad := netports.Unallocated(listening, nil, r.cfg.Ports.Checked)
	if len(bad) == 0 {
		return
	}
	msg := netports.Message(l.ContainerID, bad)
	if !r.cfg.Ports.Enforce {
		r.logOnce(c, slog.LevelWarn, msg)
		return
	}
	r.mu.Lock()
	c.limitation = msg
	r.mu.Unlock()
	r.logf(slog.LevelWarn, "%s: destroying it (--enforce_container_ports)", msg)
	if l.Cgroup != nil {
		l.Cgroup.Kill()
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// finish handles a container whose launcher has exited: a task that did not
// reach a terminal state gets one (TASK_FAILED, or TASK_LOST with
// --recover=cleanup), the run gets its executor.sentinel, the cgroups go
// and the resources are released. Each step is checkpointed first; when a
// write fails the container stays unfinished (in memory as on disk) and
// the poller retries every second.
func (r *Runtime) finish(c *container) {
	r.mu.Lock()
	if c.finished || c.finishing || r.closed {
		r.mu.Unlock()
		return
	}
	c.finishing = true
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		c.finishing = false
		r.mu.Unlock()
	}()
	r.readUpdates(c)
	l := c.info.Launch
	var t launcher.Termination
	terr := checkpoint.ReadRecord(filepath.Join(r.paths.Runtime(l.ContainerID), "termination"), &t)
	r.mu.Lock()
	state, pid, killed, unregistered, limitation := c.task.State, c.pid, c.killRequested, c.registrationTimedOut, c.limitation
	everRunning := false
	for _, st := range c.task.Statuses {
		everRunning = everRunning || st.State == checkpoint.TaskRunning
	}
	r.mu.Unlock()
	if !checkpoint.Terminal(state) {
		st := checkpoint.Status{TaskID: l.TaskID, State: checkpoint.TaskFailed, Timestamp: launcher.Now(), Source: "SOURCE_AGENT",
			Reason: "REASON_EXECUTOR_TERMINATED", Message: "Abnormal executor termination"}
		switch {
		case limitation != "":
			st.Reason, st.Message = "REASON_CONTAINER_LIMITATION", limitation
		case unregistered:
			st.Reason = "REASON_EXECUTOR_REGISTRATION_TIMEOUT"
			st.Message = "Executor did not register within " + mesos.FormatDuration(r.cfg.ExecutorRegistrationTimeout)
		case terr == nil && t.OOM || l.Cgroup.OOMKilled():
			st.Reason = "REASON_CONTAINER_LIMITATION_MEMORY"
			st.Message = "Memory limit exceeded"
		case terr == nil && t.Message != "":
			st.Reason, st.Message = "REASON_CONTAINER_LAUNCH_FAILED", t.Message
		case terr == nil && t.Signal != 0:
			st.Message = "Abnormal executor termination: " + syscall.Signal(t.Signal).String()
		case pid == 0:
			st.Reason = "REASON_CONTAINER_LAUNCH_FAILED"
			st.Message = "Container launch aborted: agentd stopped before it started the container"
		case r.cfg.Recover == "cleanup" && terr != nil:
			st.State, st.Reason, st.Message = checkpoint.TaskLost, "REASON_AGENT_RESTARTED", "Executor lost while the agent was down"
		}
		if killed && st.Reason != "REASON_CONTAINER_LIMITATION_MEMORY" {
			st.State = checkpoint.TaskKilled
			if !everRunning {
				st.Reason, st.Message = "REASON_TASK_KILLED_DURING_LAUNCH", "Task killed before its command started"
			}
		}
		if err := checkpoint.AppendRecord(r.updatesPath(c), checkpoint.UpdateRecord{Type: "UPDATE", Status: st}); err != nil {
			r.logOnce(c, slog.LevelError, fmt.Sprintf("Cannot checkpoint %s of task %s (retrying every second): %v", st.State, l.TaskID, err))
			return
		}
		r.readUpdates(c)
	}
	if err := checkpoint.WriteText(r.paths.Sentinel(l.FrameworkID, l.ExecutorID, l.ContainerID), ""); err != nil {
		r.logOnce(c, slog.LevelError, fmt.Sprintf("Cannot checkpoint the end of the executor of task %s (retrying every second): %v", l.TaskID, err))
		return
	}
	r.stopPressure(l.Cgroup)
	if err := l.Cgroup.DestroyWithin(r.destroyTimeout()); err != nil {
		r.counters.Inc(metrics.ContainerDestroyErrors)
		r.logf(slog.LevelWarn, "destroy cgroups of container %s: %v", l.ContainerID, err)
	}
	if len(l.DockerExecutor) > 0 {
		r.dockerEnded(l)
	}
	r.markFinished(c)
}

// markFinished records that c's container has ended: its resources are
// released, waiters woken, old ended tasks pruned.
func (r *Runtime) markFinished(c *container) {
	r.mu.Lock()
	if r.counting {
		r.counters.Inc(metrics.ExecutorsTerminated)
	}
	c.finished = true
	c.endedAt = time.Now()
	r.refillLocked(c)
	for _, f := range []**os.File{&c.updates, &c.pidfd} {
		if *f != nil {
			(*f).Close()
			*f = nil
		}
	}
	r.releaseLocked(c.need)
	close(c.done)
	r.pruneLocked(c.task.FrameworkID)
	r.broadcastLocked()
	r.mu.Unlock()
}

// pruneLocked forgets the oldest ended tasks of framework fid beyond
// MaxCompleted. Call with r.mu held.
func (r *Runtime) pruneLocked(fid string) {
	limit := r.cfg.MaxCompleted
	if limit <= 0 {
		limit = 150
	}
	var ended []*container
	for _, c := range r.containers {
		if c.finished && c.task.FrameworkID == fid {
			ended = append(ended, c)
		}
	}
	if len(ended) <= limit {
		return
	}
	sort.Slice(ended, func(i, j int) bool { return ended[i].seq < ended[j].seq })
	for _, c := range ended[:len(ended)-limit] {
		delete(r.containers, c.task.ID)
	}
}

// KillMarker is the file in a container's runtime dir that records a
// kill request (so that it outlives an agentd restart).
const KillMarker = "kill_requested"

// Kill asks the task's executor to kill it (SIGTERM → grace → SIGKILL).
// The request is checkpointed first (an error when it cannot be). The
// signal goes out once the executor has reported TASK_STARTING, which it
// does only after installing its signal handlers: a task killed during its
// launch is killed as soon as it can be, and one whose executor never
// starts ends TASK_KILLED.
func (r *Runtime) Kill(tid string) error {
	r.mu.Lock()
	c, ok := r.containers[tid]
	var finished, requested bool
	if ok {
		finished, requested = c.finished, c.killRequested
	}
	r.mu.Unlock()
	if !ok {
		return &NotFoundError{tid}
	}
	if finished {
		return nil
	}
	if !requested {
		marker := filepath.Join(r.paths.Runtime(c.info.Launch.ContainerID), KillMarker)
		if err := checkpoint.WriteText(marker, ""); err != nil {
			return &CheckpointError{What: "the kill of task " + tid, Err: err}
		}
		r.mu.Lock()
		c.killRequested = true
		r.mu.Unlock()
	}
	r.mu.Lock()
	c.stopPull() // a Docker task still pulling its image
	r.mu.Unlock()
	r.deliverKill(c)
	return nil
}

// deliverKill sends SIGTERM to the container's launcher (which forwards it
// to the executor) once: when a kill was requested and the executor is
// ready for it.
func (r *Runtime) deliverKill(c *container) {
	r.mu.Lock()
	ready := c.killRequested && !c.killSent && !c.finished && len(c.task.Statuses) > 0
	if ready {
		c.killSent = true
	}
	pid, start := c.pid, c.start
	r.mu.Unlock()
	if ready && procfs.Alive(pid, start) {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
}

// Wait blocks until the task's container has ended, or timeout.
func (r *Runtime) Wait(tid string, timeout time.Duration) (Task, error) {
	r.mu.Lock()
	c, ok := r.containers[tid]
	r.mu.Unlock()
	if !ok {
		return Task{}, &NotFoundError{tid}
	}
	select {
	case <-c.done:
	case <-time.After(timeout):
		return r.Get(tid)
	}
	return r.Get(tid)
}

// Get returns a task's current record.
func (r *Runtime) Get(tid string) (Task, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.containers[tid]
	if !ok {
		return Task{}, &NotFoundError{tid}
	}
	t := c.task
	t.Statuses = append([]checkpoint.Status(nil), c.task.Statuses...)
	return t, nil
}

// Tasks returns all tasks, sorted by ID.
func (r *Runtime) Tasks() []Task {
	r.mu.Lock()
	ids := make([]string, 0, len(r.containers))
	for id := range r.containers {
		ids = append(ids, id)
	}
	r.mu.Unlock()
	sort.Strings(ids)
	out := make([]Task, 0, len(ids))
	for _, id := range ids {
		if t, err := r.Get(id); err == nil {
			out = append(out, t)
		}
	}
	return out
}

// Allocated returns the resources in use (tasks + executor overhead).
func (r *Runtime) Allocated() mesos.Resources {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.allocated
}

// Metrics returns the runtime's metrics under their Mesos keys: the task
// and executor gauges (tasks by state, executors by phase, active
// frameworks, GC paths pending) and the process-lifetime counters.
func (r *Runtime) Metrics() map[string]float64 {
	m := map[string]float64{}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counters.Put(m)
	m["slave/recovery_errors"] = float64(r.recErrors)
	m["slave/executor_directory_max_allowed_age_secs"] = r.MaxAllowedAge().Seconds()
	for _, s := range []string{"staging", "starting", "running", "killing"} {
		m["slave/tasks_"+s] = 0
	}
	for _, k := range []string{"executors_registering", "executors_running", "executors_terminating"} {
		m["slave/"+k] = 0
	}
	frameworks := map[string]bool{}
	pending := 0
	for _, c := range r.containers {
		if c.finished {
			if r.cfg.GCDelay > 0 && c.info.Launch != nil {
				pending += 2 - c.pathsRemoved // the run's sandbox and its checkpoint
			}
			continue
		}
		frameworks[c.task.FrameworkID] = true
		switch c.task.State {
		case checkpoint.TaskStaging, "TASK_STARTING", checkpoint.TaskRunning, "TASK_KILLING":
			m["slave/tasks_"+strings.ToLower(strings.TrimPrefix(c.task.State, "TASK_"))]++
		}
		switch {
		case c.killRequested:
			m["slave/executors_terminating"]++
		case c.task.State == checkpoint.TaskStaging:
			m["slave/executors_registering"]++
		default:
			m["slave/executors_running"]++
		}
	}
	m["slave/frameworks_active"] = float64(len(frameworks))
	m["gc/path_removals_pending"] = float64(pending)
	if r.cfg.Docker != nil {
		r.cfg.Docker.Containerizer.PutMetrics(m)
	}
	return m
}

// Close stops following containers without touching them (what a crash
// of agentd looks like to the containers, minus zombies).
func (r *Runtime) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
	if r.ln != nil {
		r.ln.Close()
	}
	r.stopWarm()
	if r.cfg.Docker != nil {
		// Scheduled removals are left to the next agentd's recovery.
		r.cfg.Docker.Containerizer.Close()
	}
}

// Shutdown kills every live task and waits for the containers to end.
func (r *Runtime) Shutdown(timeout time.Duration) error {
	r.mu.Lock()
	var live []*container
	for _, c := range r.containers {
		if !c.finished {
			live = append(live, c)
		}
	}
	r.mu.Unlock()
	for _, c := range live {
		_ = r.Kill(c.task.ID)
	}
	deadline := time.After(timeout)
	for _, c := range live {
		for done := false; !done; {
			select {
			case <-c.done:
				done = true
			case <-time.After(100 * time.Millisecond):
				if c.recovered && !procfs.Alive(c.pid, c.start) {
					r.finish(c)
				}
			case <-deadline:
				return errors.New("timed out waiting for containers to end")
			}
		}
	}
	r.Close()
	return nil
}
