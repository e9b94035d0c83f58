package executor

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/procfs"
)

// TestMain lets the test binary act as the launcher (EXECUTOR_TEST_LAUNCHER
// set to the launch info) and as the executor the launcher starts
// (`<test binary> executor --launch_info=<file>`, Info.Executable).
func TestMain(m *testing.M) {
	if arg := os.Getenv("EXECUTOR_TEST_LAUNCHER"); arg != "" {
		os.Exit(runWith(arg, launcher.Run))
	}
	if len(os.Args) == 3 && os.Args[1] == "executor" {
		os.Exit(runWith(strings.TrimPrefix(os.Args[2], "--launch_info="), Run))
	}
	os.Exit(m.Run())
}

func runWith(arg string, run func(*launcher.Info) int) int {
	info, err := launcher.Load(arg)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	return run(info)
}

// earlyLaunch is a launcher started as agentd starts it for a command task
// (Handshake, ExecutorHandshake), whose executor is up and waiting for
// the "go" before anything was recorded.
type earlyLaunch struct {
	info     *launcher.Info
	marker   string // the task creates it
	cmd      *exec.Cmd
	hs       *os.File // agentd's end of the handshake
	executor int
}

func startEarlyLaunch(t *testing.T) *earlyLaunch {
	t.Helper()
	dir := t.TempDir()
	l := &earlyLaunch{marker: filepath.Join(dir, "ran")}
	l.info = &launcher.Info{ContainerID: "c1", AgentID: "a1", FrameworkID: "f1", ExecutorID: "t1", TaskID: "t1",
		RuntimeDir: filepath.Join(dir, "run"), WorkDir: filepath.Join(dir, "work"), Sandbox: dir,
		Shell: true, Command: "touch " + l.marker, Executable: os.Args[0], GracePeriod: time.Second,
		Handshake: true, ExecutorHandshake: true}
	rt := l.info.Paths().Runtime(l.info.ContainerID)
	if err := os.MkdirAll(rt, 0o755); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(l.info)
	if err := os.WriteFile(filepath.Join(rt, "launch_info"), js, 0o600); err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	l.hs = pw
	l.cmd = exec.Command(os.Args[0])
	l.cmd.Env = append(os.Environ(), "EXECUTOR_TEST_LAUNCHER="+string(js))
	l.cmd.ExtraFiles = []*os.File{pr} // descriptor 3 = launcher.HandshakeFD
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	t.Cleanup(func() {
		pw.Close()
		_ = l.cmd.Process.Kill()
		_ = l.cmd.Wait()
	})
	l.executor = waitExecutorWaiting(t, l.cmd.Process.Pid)
	waitBlockedOnFD3(t, l.cmd.Process.Pid)
	if _, err := os.Stat(l.updates()); !os.IsNotExist(err) {
		t.Fatalf("the executor recorded an update before the go (%v)", err)
	}
	return l
}

func (l *earlyLaunch) updates() string {
	i := l.info
	return i.Paths().TaskUpdates(i.FrameworkID, i.ExecutorID, i.ContainerID, i.TaskID)
}

// wait waits for the launcher to exit and returns its exit code and
// termination record.
func (l *earlyLaunch) wait(t *testing.T) (int, launcher.Termination) {
	t.Helper()
	err := l.cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var term launcher.Termination
	if err := checkpoint.ReadRecord(filepath.Join(l.info.Paths().Runtime(l.info.ContainerID), "termination"), &term); err != nil {
		t.Fatal(err)
	}
	return code, term
}

// waitExecutorWaiting waits until the launcher pid has a child (the
// executor) blocked on its handshake descriptor, and returns its pid.
func waitExecutorWaiting(t *testing.T, pid int) int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for _, child := range procfs.Children(pid) {
			if blockedOnFD3(child) {
				return child
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the launcher started no executor that waits for the go")
	return 0
}

func waitBlockedOnFD3(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if blockedOnFD3(pid) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d never waited on descriptor 3", pid)
}

// blockedOnFD3 reports whether a thread of pid sits in read(2) on
// descriptor 3 (the handshake).
func blockedOnFD3(pid int) bool {
	tasks, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "syscall"))
	for _, p := range tasks {
		b, _ := os.ReadFile(p)
		f := strings.Fields(string(b))
		if len(f) > 1 && f[0] == "0" && f[1] == "0x3" { // read(3, ...) on x86_64
			return true
		}
	}
	return false
}

// TestEarlyExecutorGo: the executor started before the go records and
// starts nothing until the launcher passes it on, then runs the task
// (TASK_STARTING, TASK_RUNNING, TASK_FINISHED) as the launcher's child.
func TestEarlyExecutorGo(t *testing.T) {
	l := startEarlyLaunch(t)
	if _, err := l.hs.WriteString(launcher.HandshakeGo); err != nil {
		t.Fatal(err)
	}
	l.hs.Close()
	code, term := l.wait(t)
	if code != 0 || !term.Exited || term.Code != 0 {
		t.Fatalf("launcher exit %d, termination %+v; want 0", code, term)
	}
	if _, err := os.Stat(l.marker); err != nil {
		t.Errorf("the task did not run: %v", err)
	}
	recs, _, err := checkpoint.ReadLog(l.updates())
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, raw := range recs {
		var u checkpoint.UpdateRecord
		if err := json.Unmarshal(raw, &u); err != nil {
			t.Fatal(err)
		}
		states = append(states, u.Status.State)
	}
	if got := strings.Join(states, " "); got != "TASK_STARTING TASK_RUNNING TASK_FINISHED" {
		t.Errorf("updates %s", got)
	}
}

// TestEarlyExecutorAborted: when agentd closes the handshake without the
// go (it could not checkpoint the launch), the executor that is already
// up exits without recording or starting anything, and the launcher
// records the aborted launch.
func TestEarlyExecutorAborted(t *testing.T) {
	l := startEarlyLaunch(t)
	l.hs.Close()
	code, term := l.wait(t)
	if code != 1 || !term.Exited || term.Code != 1 || !strings.Contains(term.Message, "aborted") {
		t.Errorf("launcher exit %d, termination %+v; want 1, aborted", code, term)
	}
	assertNothingRan(t, l)
}

// TestEarlyExecutorKilledBeforeGo: a SIGTERM that reaches the launcher
// before the go stops the executor that is already up before it records
// or starts anything, even when the go follows; the termination record
// says the container was killed by that signal.
func TestEarlyExecutorKilledBeforeGo(t *testing.T) {
	l := startEarlyLaunch(t)
	if err := l.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The signal must be taken by the launcher's handler before the go
	// arrives: wait until nothing is pending, then give the runtime's
	// signal goroutine ample time to queue it.
	waitNoSignalPending(t, l.cmd.Process.Pid)
	time.Sleep(2 * time.Second)
	l.hs.WriteString(launcher.HandshakeGo)
	l.hs.Close()
	code, term := l.wait(t)
	if code != 128+int(syscall.SIGTERM) || term.Exited || term.Signal != int(syscall.SIGTERM) {
		t.Errorf("launcher exit %d, termination %+v; want killed by SIGTERM", code, term)
	}
	assertNothingRan(t, l)
}

// waitNoSignalPending waits until pid has no pending signal.
func waitNoSignalPending(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
		pending := false
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 2 && (f[0] == "SigPnd:" || f[0] == "ShdPnd:") && strings.Trim(f[1], "0") != "" {
				pending = true
			}
		}
		if !pending {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the launcher never took the signal")
}

// assertNothingRan: the executor is gone, recorded no update and the task
// never ran.
func assertNothingRan(t *testing.T, l *earlyLaunch) {
	t.Helper()
	if err := syscall.Kill(l.executor, 0); err == nil {
		t.Errorf("the executor %d still runs after the launcher exited", l.executor)
	}
	if _, err := os.Stat(l.updates()); !os.IsNotExist(err) {
		t.Errorf("the executor recorded an update for a launch that never went ahead (%v)", err)
	}
	if _, err := os.Stat(l.marker); !os.IsNotExist(err) {
		t.Errorf("the task ran although the launch never went ahead (%v)", err)
	}
}
