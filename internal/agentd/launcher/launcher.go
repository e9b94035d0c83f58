// Package launcher is `mesosctl containerizer launch`: the first process of
// a container. agentd starts it in its own session (setsid) so it outlives
// agentd; it enters the container's cgroups before it starts anything, so
// the executor and the task are born inside them, waits for agentd's "go"
// (sent once the launch is checkpointed, the launcher's pid and start time
// included: a launch agentd could not record never runs), forks the
// executor (or, for a standalone container,
// the command itself) with the environment agentd built, forwards
// TERM/INT, waits, and writes the termination record. A kill that arrives
// before the command started (a TERM/INT it received, or a kill agentd
// recorded in KillFile) means the command never starts. The command
// executor is started before the "go" (ExecutorHandshake), so that its
// start overlaps agentd's checkpoint, and waits in turn for the
// launcher's "go" before it records or starts anything. A warm launcher
// (warm.go) is started by agentd before its container exists, with its
// executor, and learns its launch only with the "go".
package launcher

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/cgroups"
	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/procfs"
)

// Info is the --launch_info document (JSON, in the runtime dir as
// launch_info, or inline).
type Info struct {
	ContainerID  string            `json:"container_id"`
	AgentID      string            `json:"agent_id"`
	FrameworkID  string            `json:"framework_id,omitempty"`
	ExecutorID   string            `json:"executor_id,omitempty"`
	TaskID       string            `json:"task_id,omitempty"`
	Shell        bool              `json:"shell"`
	Command      string            `json:"command,omitempty"`
	Argv         []string          `json:"argv,omitempty"`
	Env          map[string]string `json:"env,omitempty"`
	User         string            `json:"user,omitempty"`
	Sandbox      string            `json:"sandbox"`
	WorkDir      string            `json:"work_dir"`
	RuntimeDir   string            `json:"runtime_dir"`
	Cgroup       *cgroups.Group    `json:"cgroup,omitempty"`
	PidNamespace bool              `json:"pid_namespace,omitempty"`
	GracePeriod  time.Duration     `json:"grace_period"`
	Executable   string            `json:"executable"`
	// DockerExecutor, for a task of the Docker containerizer, are the
	// flags of its executor: the launcher runs Executable as
	// mesos-docker-executor with them instead of the command executor.
	DockerExecutor []string `json:"docker_executor,omitempty"`
	Standalone     bool     `json:"standalone,omitempty"`
	// ExecutorEnv is the whole environment of the executor (for a
	// standalone container, of the command) as Mesos builds it: the
	// --executor_environment_variables, the MESOS_* executor variables,
	// MESOS_SANDBOX. Nothing of agentd's own environment is inherited.
	ExecutorEnv map[string]string `json:"executor_env,omitempty"`
	// Handshake: the launcher reads "go" from file descriptor 3 before it
	// starts anything, and aborts if agentd closes it without.
	Handshake bool `json:"handshake,omitempty"`
	// ExecutorHandshake (with Handshake, for the command executor): the
	// launcher starts the executor at once, before agentd's "go", and
	// passes the "go" on through the executor's descriptor 3 (closing it
	// without when the launch is aborted or killed first); the executor
	// records and starts nothing before it reads it.
	ExecutorHandshake bool `json:"executor_handshake,omitempty"`
}

// DockerExecutorName is the Docker executor's name (Mesos'
// <launcher_dir>/mesos-docker-executor), the argv[0] it runs under.
const DockerExecutorName = "mesos-docker-executor"

// DefaultPath is the PATH a container gets when its environment has none
// (Mesos' os::host_default_path()).
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// HelperEnv is what the environment of agentd's per-task helper processes
// (the launcher and the command executor) adds: one P for the Go runtime.
// A helper waits on its child and on signals and never needs more, and a
// start with GOMAXPROCS=1 touches fewer pages (≈ 85 fewer page faults, ≈ 2
// ms of a ≈ 25 ms start on a 2-core VM where page faults are dear). No
// task inherits it: a task's environment is built from ExecutorEnv.
var HelperEnv = map[string]string{"GOMAXPROCS": "1"}

// WithHelperEnv returns env with HelperEnv added where env does not set
// the variable itself (--executor_environment_variables may).
func WithHelperEnv(env map[string]string) map[string]string {
	out := make(map[string]string, len(env)+len(HelperEnv))
	for k, v := range HelperEnv {
		out[k] = v
	}
	for k, v := range env {
		out[k] = v
	}
	return out
}

// HandshakeFD is the descriptor on which a launcher with Handshake waits
// for agentd's "go".
const HandshakeFD = 3

// HandshakeGo is what agentd writes to let a launch proceed.
const HandshakeGo = "go\n"

// Paths returns the checkpoint layout for the container.
func (i *Info) Paths() checkpoint.Paths {
	return checkpoint.Paths{WorkDir: i.WorkDir, RuntimeDir: i.RuntimeDir, AgentID: i.AgentID}
}

// Termination is <runtime_dir>/containers/<cid>/termination.
type Termination struct {
	Status    int     `json:"status"` // raw wait status
	Exited    bool    `json:"exited"`
	Code      int     `json:"code"`
	Signal    int     `json:"signal,omitempty"`
	OOM       bool    `json:"oom,omitempty"`
	Timestamp float64 `json:"timestamp"`
	Message   string  `json:"message,omitempty"`
}

// Load reads --launch_info: a path or inline JSON.
func Load(arg string) (*Info, error) {
	data := []byte(arg)
	if !strings.HasPrefix(strings.TrimSpace(arg), "{") {
		b, err := os.ReadFile(arg)
		if err != nil {
			return nil, fmt.Errorf("read --launch_info: %w", err)
		}
		data = b
	}
	var i Info
	if err := json.Unmarshal(data, &i); err != nil {
		return nil, fmt.Errorf("parse --launch_info: %w", err)
	}
	if i.ContainerID == "" || i.RuntimeDir == "" {
		return nil, fmt.Errorf("--launch_info lacks container_id or runtime_dir")
	}
	return &i, nil
}

// TaskCmd builds the task's process: sh -c '<command>' or argv, in the
// sandbox, as the container's user (with that user's supplementary groups,
// HOME, USER and LOGNAME), in its own process group. Its environment is
// ExecutorEnv, then (for a command task) MESOS_ALLOCATION_ROLE as Mesos'
// command executor sets it, then the task's own Env; PATH defaults to
// DefaultPath. A user that cannot be resolved is an error: the task never
// runs as the launcher's own (root) user instead.
func (i *Info) TaskCmd() (*exec.Cmd, error) {
	var acct *Account
	var err error
	if i.User != "" {
		acct, err = LookupUser(i.User)
		if err != nil {
			return nil, fmt.Errorf("Failed to get the uid of user '%s': %w", i.User, err)
		}
	} else if acct, err = CurrentAccount(); err != nil {
		return nil, err
	}
	var c *exec.Cmd
	if i.Shell || len(i.Argv) == 0 {
		c = exec.Command("/bin/sh", "-c", i.Command)
	} else {
		c = exec.Command(i.Argv[0], i.Argv[1:]...)
	}
	c.Dir = i.Sandbox
	env := map[string]string{"HOME": acct.Home, "USER": acct.Name, "LOGNAME": acct.Name}
	for k, v := range i.ExecutorEnv {
		env[k] = v
	}
	if !i.Standalone {
		env["MESOS_ALLOCATION_ROLE"] = "*"
	}
	for k, v := range i.Env {
		env[k] = v
	}
	c.Env = EnvList(env)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: acct.Credential()}
	if i.PidNamespace {
		c.SysProcAttr.Cloneflags = syscall.CLONE_NEWPID
	}
	return c, nil
}

// EnvList turns an environment map into sorted KEY=value pairs, adding
// PATH=DefaultPath when there is no PATH.
func EnvList(env map[string]string) []string {
	out := make([]string, 0, len(env)+1)
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	if _, ok := env["PATH"]; !ok {
		out = append(out, "PATH="+DefaultPath)
	}
	sort.Strings(out)
	return out
}

// Notify tells agentd (if it listens) that container cid has news.
func Notify(runtimeDir, cid string) {
	addr := &net.UnixAddr{Name: filepath.Join(runtimeDir, "agent.sock"), Net: "unixgram"}
	c, err := net.DialUnix("unixgram", nil, addr)
	if err != nil {
		return
	}
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = c.Write([]byte(cid))
}

// Run is the launcher's main. It returns the exit code.
func Run(i *Info) int {
	// Listen for signals first: a kill that arrives before the command has
	// started must stop it from starting, not be lost (or kill the
	// launcher without a termination record).
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	rt := i.Paths().Runtime(i.ContainerID)
	if i.Cgroup != nil {
		if err := i.Cgroup.Enter(os.Getpid()); err != nil {
			fmt.Fprintf(os.Stderr, "containerizer launch: enter cgroups: %v\n", err)
			return 1
		}
	}
	if !i.Handshake { // else agentd wrote the pid file before the handshake
		start, _ := procfs.StartTime(os.Getpid())
		if err := checkpoint.WriteText(filepath.Join(rt, "pid"), fmt.Sprintf("%d %d\n", os.Getpid(), start)); err != nil {
			fmt.Fprintf(os.Stderr, "containerizer launch: %v\n", err)
			return 1
		}
	}
	var c *exec.Cmd
	var executorGo *os.File // the write end of an early executor's handshake
	var earlyErr error      // reported after the go, as a later failure would be
	if i.Handshake && i.ExecutorHandshake && !i.Standalone && len(i.DockerExecutor) == 0 {
		c, executorGo, earlyErr = i.startExecutorEarly(rt)
	}
	wait := func() {}
	if c != nil {
		wait = func() { _ = c.Wait() }
	}
	if i.Handshake {
		if err := awaitGo(agentdAborted); err != nil {
			fmt.Fprintf(os.Stderr, "containerizer launch: %v\n", err)
			abortExecutor(executorGo, wait)
			writeTermination(i, rt, Termination{Status: 1 << 8, Exited: true, Code: 1, Message: err.Error()})
			return 1
		}
	}
	return i.supervise(rt, c, executorGo, wait, earlyErr, sigs)
}

// supervise is the launcher after agentd's "go": it starts the container's
// process (or passes the "go" on to an executor started before, which
// wait waits for), forwards signals, waits, and writes the termination
// record.
func (i *Info) supervise(rt string, c *exec.Cmd, executorGo *os.File, wait func(), earlyErr error, sigs chan os.Signal) int {
	if earlyErr != nil {
		writeTermination(i, rt, Termination{Status: 1 << 8, Exited: true, Code: 1, Message: "Failed to launch: " + earlyErr.Error()})
		return 1
	}
	switch {
	case executorGo != nil: // started above
	case i.Standalone:
		var err error
		if c, err = i.TaskCmd(); err != nil {
			fmt.Fprintf(os.Stderr, "containerizer launch: %v\n", err)
			writeTermination(i, rt, Termination{Status: 1 << 8, Exited: true, Code: 1, Message: err.Error()})
			return 1
		}
		c.Stdout, c.Stderr = os.Stdout, os.Stderr
	default:
		c = i.executorCmd(rt)
	}
	if executorGo == nil {
		wait = func() { _ = c.Wait() }
	}
	s := pendingKill(sigs)
	if s == 0 {
		s = RecordedKill(rt)
	}
	if s != 0 {
		abortExecutor(executorGo, wait)
		writeTermination(i, rt, Termination{Status: int(s), Signal: int(s), Message: "Killed before the command started"})
		return 128 + int(s)
	}
	if executorGo != nil {
		// An executor that is gone already fails the write; its exit
		// status, waited for below, is the container's.
		_, _ = executorGo.WriteString(HandshakeGo)
		executorGo.Close()
	} else if err := c.Start(); err != nil {
		writeTermination(i, rt, Termination{Status: 1 << 8, Exited: true, Code: 1, Message: "Failed to launch: " + err.Error()})
		return 1
	}
	go func() {
		for s := range sigs {
			if s == syscall.SIGHUP {
				continue // agentd's session went away: keep running
			}
			if i.Standalone {
				_ = syscall.Kill(-c.Process.Pid, s.(syscall.Signal))
			} else {
				_ = c.Process.Signal(s)
			}
		}
	}()
	wait()
	ws := c.ProcessState.Sys().(syscall.WaitStatus)
	t := Termination{Status: int(ws), Exited: ws.Exited(), Code: ws.ExitStatus()}
	if ws.Signaled() {
		t.Signal = int(ws.Signal())
	}
	t.OOM = i.Cgroup.OOMKilled()
	writeTermination(i, rt, t)
	if ws.Exited() {
		return ws.ExitStatus()
	}
	return 128 + t.Signal
}

// executorCmd is the container's executor process: the command executor
// (`executor --launch_info`), or the Docker executor with its flags, in the
// sandbox, with the environment agentd built and the launcher's
// stdout/stderr (the sandbox's).
func (i *Info) executorCmd(rt string) *exec.Cmd {
	var c *exec.Cmd
	if len(i.DockerExecutor) > 0 {
		// argv[0] picks the binary's mesos-docker-executor personality.
		c = &exec.Cmd{Path: i.Executable, Args: append([]string{DockerExecutorName}, i.DockerExecutor...)}
	} else {
		c = exec.Command(i.Executable, "executor", "--launch_info="+filepath.Join(rt, "launch_info"))
	}
	c.Dir = i.Sandbox
	c.Env = EnvList(i.ExecutorEnv)
	if len(i.DockerExecutor) == 0 {
		c.Env = EnvList(WithHelperEnv(i.ExecutorEnv))
	}
	c.Stdout, c.Stderr = os.Stdout, os.Stderr
	return c
}

// startExecutorEarly starts the command executor before agentd's "go"
// (ExecutorHandshake), with the read end of a pipe as its HandshakeFD; it
// returns the write end, on which the launcher passes the "go" on.
func (i *Info) startExecutorEarly(rt string) (*exec.Cmd, *os.File, error) {
	c := i.executorCmd(rt)
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	c.ExtraFiles = []*os.File{r} // descriptor 3 = HandshakeFD
	err = c.Start()
	r.Close()
	if err != nil {
		w.Close()
		return nil, nil, err
	}
	return c, w, nil
}

// abortExecutor stops an executor started before the "go" (if any): the
// handshake closes without it, and the executor exits without recording
// or starting anything; abortExecutor waits for that.
func abortExecutor(executorGo *os.File, wait func()) {
	if executorGo == nil {
		return
	}
	executorGo.Close()
	wait()
}

// pendingKill returns the first terminating signal received so far (a
// SIGHUP is not one: agentd's session went away), or 0.
func pendingKill(sigs <-chan os.Signal) syscall.Signal {
	for {
		select {
		case s := <-sigs:
			if s != syscall.SIGHUP {
				return s.(syscall.Signal)
			}
		default:
			return 0
		}
	}
}

// KillFile is <runtime_dir>/containers/<cid>/kill_signal: the signal of a
// KILL_CONTAINER that agentd delivers to the container's processes itself
// (SIGKILL, which the launcher cannot receive, among them). agentd records
// it before it signals anything, and a launcher that has not started the
// container's process yet finds it here and does not start it, as it does
// for a SIGTERM received early.
const KillFile = "kill_signal"

// RecordKill records sig as the kill of the container whose runtime
// directory is rt (KillFile).
func RecordKill(rt string, sig syscall.Signal) error {
	return checkpoint.WriteText(filepath.Join(rt, KillFile), fmt.Sprintf("%d\n", int(sig)))
}

// RecordedKill returns the signal RecordKill recorded in rt, or 0.
func RecordedKill(rt string) syscall.Signal {
	n, err := checkpoint.ReadInt(filepath.Join(rt, KillFile))
	if err != nil || n <= 0 {
		return 0
	}
	return syscall.Signal(n)
}

// agentdAborted is why a launcher that saw no "go" aborts.
const agentdAborted = "Container launch aborted: agentd did not record the launch (it failed to checkpoint it, or stopped)"

// launcherAborted is why an executor that saw no "go" aborts.
const launcherAborted = "launch aborted before the task started: agentd did not record the launch, or the container was killed first"

// awaitGo blocks until HandshakeGo arrives on HandshakeFD, or fails with
// reason when the other end closes it without (the launch was not
// recorded, or was killed before it started).
func awaitGo(reason string) error {
	f := os.NewFile(HandshakeFD, "handshake")
	if f == nil {
		return errors.New("launch aborted: no handshake descriptor")
	}
	defer f.Close()
	buf := make([]byte, len(HandshakeGo))
	if _, err := io.ReadFull(f, buf); err != nil || string(buf) != HandshakeGo {
		return errors.New(reason)
	}
	return nil
}

// AwaitLauncher is the executor's side of ExecutorHandshake: it blocks
// until the launcher passes agentd's "go" on, and fails when the launcher
// closes the handshake without it (the launch was aborted or killed
// before it started) or dies.
func AwaitLauncher() error { return awaitGo(launcherAborted) }

// writeTermination records how the container ended: the raw status and the
// termination record in the runtime dir. It is the only record of a
// standalone container's exit, so a failed write is retried (and reported
// on stderr) until it succeeds; agentd then learns of it through Notify.
func writeTermination(i *Info, rt string, t Termination) {
	t.Timestamp = Now()
	for attempt := 0; ; attempt++ {
		err := checkpoint.WriteText(filepath.Join(rt, "status"), fmt.Sprintf("%d\n", t.Status))
		if err == nil {
			err = checkpoint.WriteRecord(filepath.Join(rt, "termination"), t)
		}
		if err == nil {
			break
		}
		if attempt%30 == 0 {
			fmt.Fprintf(os.Stderr, "containerizer launch: cannot record the container's termination (retrying every second): %v\n", err)
		}
		time.Sleep(time.Second)
	}
	Notify(i.RuntimeDir, i.ContainerID)
}

// Now is the Mesos timestamp: seconds since the epoch as a double.
func Now() float64 { return float64(time.Now().UnixNano()) / 1e9 }

// Reporter records a task's status updates as agentd's executors must:
// each is appended to the task's checkpointed task.updates BEFORE agentd is
// told (Notify), so that agentd never shows a state that is not on disk
// and finds updates made while it was down.
type Reporter struct {
	Paths                                        checkpoint.Paths
	FrameworkID, ExecutorID, ContainerID, TaskID string
	// Name prefixes what is said on stderr ("executor",
	// "mesos-docker-executor").
	Name string
}

// Report records st (its task ID, timestamp and, by default, source
// SOURCE_EXECUTOR filled in). With retry, a failed write (a full disk) is
// retried every second until it succeeds: the update is the only record
// of what the task did. Without, the error is returned.
func (r *Reporter) Report(st checkpoint.Status, retry bool) error {
	updates := r.Paths.TaskUpdates(r.FrameworkID, r.ExecutorID, r.ContainerID, r.TaskID)
	st.TaskID = r.TaskID
	st.Timestamp = Now()
	if st.Source == "" {
		st.Source = "SOURCE_EXECUTOR"
	}
	for attempt := 0; ; attempt++ {
		err := checkpoint.AppendRecord(updates, checkpoint.UpdateRecord{Type: "UPDATE", Status: st})
		if err == nil {
			break
		}
		if !retry {
			fmt.Fprintf(os.Stderr, "%s: cannot checkpoint %s: %v\n", r.Name, st.State, err)
			return err
		}
		if attempt%30 == 0 {
			fmt.Fprintf(os.Stderr, "%s: cannot checkpoint %s (retrying every second): %v\n", r.Name, st.State, err)
		}
		time.Sleep(time.Second)
	}
	Notify(r.Paths.RuntimeDir, r.ContainerID)
	return nil
}
