// Package launcher is `mesosctl containerizer launch`: the first process of
// a container. agentd starts it in its own session (setsid) so it outlives
// agentd; it enters the container's cgroups before it starts anything, so
// the executor and the task are born inside them, records its pid (with
// start time, against pid reuse) in the runtime dir, forks the executor (or,
// for a standalone container, the command itself), forwards TERM/INT,
// waits, and writes the termination record.
package launcher

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/cgroups"
	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/agentd/procfs"
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
	Standalone   bool              `json:"standalone,omitempty"`
}

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

// TaskCmd builds the task's process: sh -c '<command>' or argv.
func (i *Info) TaskCmd() *exec.Cmd {
	var c *exec.Cmd
	if i.Shell || len(i.Argv) == 0 {
		c = exec.Command("/bin/sh", "-c", i.Command)
	} else {
		c = exec.Command(i.Argv[0], i.Argv[1:]...)
	}
	c.Dir = i.Sandbox
	env := os.Environ()
	for k, v := range i.Env {
		env = append(env, k+"="+v)
	}
	c.Env = append(env, "MESOS_SANDBOX="+i.Sandbox, "MESOS_DIRECTORY="+i.Sandbox)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if i.PidNamespace {
		c.SysProcAttr.Cloneflags = syscall.CLONE_NEWPID
	}
	if i.User != "" && i.User != "root" {
		if cred, err := lookupCred(i.User); err == nil {
			c.SysProcAttr.Credential = cred
		}
	}
	return c
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
	rt := i.Paths().Runtime(i.ContainerID)
	if i.Cgroup != nil {
		if err := i.Cgroup.Enter(os.Getpid()); err != nil {
			fmt.Fprintf(os.Stderr, "containerizer launch: enter cgroups: %v\n", err)
			return 1
		}
	}
	start, _ := procfs.StartTime(os.Getpid())
	if err := checkpoint.WriteText(filepath.Join(rt, "pid"), fmt.Sprintf("%d %d\n", os.Getpid(), start)); err != nil {
		fmt.Fprintf(os.Stderr, "containerizer launch: %v\n", err)
		return 1
	}
	var c *exec.Cmd
	if i.Standalone {
		c = i.TaskCmd()
	} else {
		c = exec.Command(i.Executable, "executor", "--launch_info="+filepath.Join(rt, "launch_info"))
		c.Dir = i.Sandbox
		c.Env = append(os.Environ(), "MESOS_FRAMEWORK_ID="+i.FrameworkID, "MESOS_EXECUTOR_ID="+i.ExecutorID,
			"MESOS_DIRECTORY="+i.Sandbox, "MESOS_SANDBOX="+i.Sandbox, "MESOS_SLAVE_ID="+i.AgentID)
	}
	c.Stdout, c.Stderr = os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if err := c.Start(); err != nil {
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
	_ = c.Wait()
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

func writeTermination(i *Info, rt string, t Termination) {
	t.Timestamp = Now()
	_ = checkpoint.WriteText(filepath.Join(rt, "status"), fmt.Sprintf("%d\n", t.Status))
	_ = checkpoint.WriteRecord(filepath.Join(rt, "termination"), t)
	Notify(i.RuntimeDir, i.ContainerID)
}

// Now is the Mesos timestamp: seconds since the epoch as a double.
func Now() float64 { return float64(time.Now().UnixNano()) / 1e9 }
