package dockerexecutor

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/agentd/docker"
	"github.com/mesosctl/mesosctl/internal/mesos"
	"github.com/mesosctl/mesosctl/internal/testutil/dockerd"
)

// TestMain lets the test binary act as the executor: with
// DOCKER_EXECUTOR_TEST_FLAGS set it runs Run on those flags and exits.
func TestMain(m *testing.M) {
	if arg := os.Getenv("DOCKER_EXECUTOR_TEST_FLAGS"); arg != "" {
		var f Flags
		if err := json.Unmarshal([]byte(arg), &f); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		if err := f.Validate(); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		grace, err := GracePeriod(os.Getenv, f.StopTimeout, mesos.ParseDuration)
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(Run(&f, grace))
	}
	os.Exit(dockerd.Main(m))
}

type run struct {
	t       *testing.T
	task    *Task
	sandbox string
	cmd     *exec.Cmd
	exited  chan error
	docker  *docker.Docker
}

// start runs the executor (this test binary) on a task with container ci
// and command, as agentd would: its own session, stdout/stderr in the
// sandbox.
func start(t *testing.T, ci *api.ContainerInfo, command docker.Command, env ...string) *run {
	t.Helper()
	e := dockerd.Shared(t)
	dir := t.TempDir()
	cid := newUUID(t)
	task := &Task{TaskID: "t1", FrameworkID: "f1", ExecutorID: "t1", ContainerID: cid, AgentID: "a1",
		WorkDir: filepath.Join(dir, "work"), RuntimeDir: filepath.Join(dir, "run"), Container: ci, Command: command,
		Resources: &docker.Resources{CPUs: 0.2, Mem: 64}}
	p := checkpoint.Paths{WorkDir: task.WorkDir, RuntimeDir: task.RuntimeDir, AgentID: task.AgentID}
	sandbox := p.Sandbox("f1", "t1", cid)
	for _, d := range []string{sandbox, p.TaskMeta("f1", "t1", cid, "t1")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ti, _ := json.Marshal(task)
	taskFile := filepath.Join(dir, "task_info")
	if err := os.WriteFile(taskFile, ti, 0o644); err != nil {
		t.Fatal(err)
	}
	f := Flags{Container: docker.ContainerName(cid), Docker: dockerd.CLIBinary, DockerSocket: e.Socket,
		SandboxDirectory: sandbox, MappedDirectory: "/mnt/mesos/sandbox", LauncherDir: "/usr/libexec/mesos", TaskInfo: taskFile}
	fj, _ := json.Marshal(f)
	cmd := exec.Command(os.Args[0])
	cmd.Dir = sandbox
	cmd.Env = append([]string{"DOCKER_EXECUTOR_TEST_FLAGS=" + string(fj), "PATH=" + os.Getenv("PATH")}, env...)
	out, _ := os.Create(filepath.Join(sandbox, "stdout"))
	errf, _ := os.Create(filepath.Join(sandbox, "stderr"))
	defer out.Close()
	defer errf.Close()
	cmd.Stdout, cmd.Stderr = out, errf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d, _ := docker.New(dockerd.CLIBinary, e.Socket, nil)
	r := &run{t: t, task: task, sandbox: sandbox, cmd: cmd, exited: make(chan error, 1), docker: d}
	go func() { r.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = d.Rm(context.Background(), f.Container, true)
	})
	return r
}

func newUUID(t *testing.T) string {
	b, err := os.ReadFile("/proc/sys/kernel/random/uuid")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// updates reads the task's checkpointed status updates.
func (r *run) updates() []checkpoint.Status {
	p := checkpoint.Paths{WorkDir: r.task.WorkDir, RuntimeDir: r.task.RuntimeDir, AgentID: r.task.AgentID}
	recs, _, err := checkpoint.ReadLog(p.TaskUpdates("f1", "t1", r.task.ContainerID, "t1"))
	if err != nil {
		return nil
	}
	var out []checkpoint.Status
	for _, raw := range recs {
		var u checkpoint.UpdateRecord
		if json.Unmarshal(raw, &u) == nil {
			out = append(out, u.Status)
		}
	}
	return out
}

// waitState waits until the task's last update is state.
func (r *run) waitState(state string) []checkpoint.Status {
	r.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		u := r.updates()
		if len(u) > 0 && u[len(u)-1].State == state {
			return u
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(r.sandbox, "stderr"))
			r.t.Fatalf("no %s; updates %+v\nexecutor stderr:\n%s", state, u, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *run) waitExit() {
	r.t.Helper()
	select {
	case err := <-r.exited:
		if err != nil {
			r.t.Errorf("executor exited: %v", err)
		}
	case <-time.After(60 * time.Second):
		r.t.Fatal("executor did not exit")
	}
}

func states(u []checkpoint.Status) string {
	var s []string
	for _, x := range u {
		s = append(s, x.State)
	}
	return strings.Join(s, ",")
}

func dockerTask(network string) *api.ContainerInfo {
	return &api.ContainerInfo{Type: "DOCKER", Docker: &api.DockerInfo{Image: dockerd.Image, Network: network}}
}

// A task that finishes: STARTING, RUNNING, FINISHED with Mesos' message;
// the container's output is in the sandbox, the sandbox is mounted at the
// mapped directory and MESOS_SANDBOX names it; the container is left for
// agentd to remove after --docker_remove_delay.
func TestFinished(t *testing.T) {
	r := start(t, dockerTask("NONE"), docker.Command{Shell: true,
		Value: `echo "sandbox=$MESOS_SANDBOX name=$MESOS_CONTAINER_NAME cmdenv=$FOO"; echo oops >&2; echo x > $MESOS_SANDBOX/made; sleep 1`,
		Env:   map[string]string{"FOO": "bar"}})
	u := r.waitState(checkpoint.TaskFinished)
	r.waitExit()
	if states(u) != "TASK_STARTING,TASK_RUNNING,TASK_FINISHED" {
		t.Errorf("updates: %s", states(u))
	}
	last := u[len(u)-1]
	if last.Message != "Container exited with status 0" || last.Source != "SOURCE_EXECUTOR" {
		t.Errorf("terminal update: %+v", last)
	}
	if cs := u[1].ContainerStatus; cs == nil || cs.ContainerID.Value != r.task.ContainerID || cs.ExecutorPID != r.cmd.Process.Pid {
		t.Errorf("TASK_RUNNING container status: %+v", u[1].ContainerStatus)
	}
	out, _ := os.ReadFile(filepath.Join(r.sandbox, "stdout"))
	want := "sandbox=/mnt/mesos/sandbox name=" + docker.ContainerName(r.task.ContainerID) + " cmdenv=bar"
	if !strings.Contains(string(out), want) {
		t.Errorf("stdout %q lacks %q", out, want)
	}
	errOut, _ := os.ReadFile(filepath.Join(r.sandbox, "stderr"))
	if !strings.Contains(string(errOut), "oops") || !strings.Contains(string(errOut), " run ") {
		t.Errorf("stderr: %s", errOut)
	}
	if b, err := os.ReadFile(filepath.Join(r.sandbox, "made")); err != nil || string(b) != "x\n" {
		t.Errorf("file written through the mapped sandbox: %q %v", b, err)
	}
	c, err := r.docker.Inspect(context.Background(), docker.ContainerName(r.task.ContainerID))
	if err != nil || c.Running || c.ExitCode != 0 {
		t.Errorf("the exited container: %+v %v", c, err)
	}
}

func TestFailed(t *testing.T) {
	r := start(t, dockerTask("HOST"), docker.Command{Value: "sh", Arguments: []string{"-c", "exit 3"}})
	u := r.waitState(checkpoint.TaskFailed)
	r.waitExit()
	if last := u[len(u)-1]; last.Message != "Container exited with status 3" {
		t.Errorf("terminal update: %+v (%s)", last, states(u))
	}
}

// Run options Mesos refuses fail the task before anything runs.
func TestBadRunOptions(t *testing.T) {
	ci := dockerTask("HOST")
	ci.Hostname = "h"
	r := start(t, ci, docker.Command{Shell: true, Value: "true"})
	u := r.waitState(checkpoint.TaskFailed)
	r.waitExit()
	if states(u) != "TASK_STARTING,TASK_FAILED" || u[1].Message != "Failed to create docker run options: Unable to set hostname with host network mode" {
		t.Errorf("updates: %+v", u)
	}
}

// SIGTERM kills the task with docker stop and the grace period from
// MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: a command that ignores SIGTERM
// (busybox sleep as PID 1) is killed when it runs out.
func TestKill(t *testing.T) {
	r := start(t, dockerTask("NONE"), docker.Command{Value: "sleep", Arguments: []string{"1000"}},
		"MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD=2secs")
	r.waitState(checkpoint.TaskRunning)
	t0 := time.Now()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	u := r.waitState(checkpoint.TaskKilled)
	took := time.Since(t0)
	r.waitExit()
	if last := u[len(u)-1]; last.Message != "Container exited with status 137" {
		t.Errorf("terminal update: %+v", last)
	}
	if took < 2*time.Second {
		t.Errorf("killed after %v: the grace period is 2s", took)
	}
	c, err := r.docker.Inspect(context.Background(), docker.ContainerName(r.task.ContainerID))
	if err != nil || c.Running {
		t.Errorf("container after the kill: %+v %v", c, err)
	}
}
