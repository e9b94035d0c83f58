// Package executor is `mesosctl executor`, the command executor. It runs
// one task (sh -c '<command>' in its own process group, optionally in a
// new PID namespace), and reports TASK_STARTING, TASK_RUNNING and the
// terminal state with Mesos' messages. Every update is appended to the
// task's checkpointed task.updates BEFORE agentd is told (a datagram on
// <runtime_dir>/agent.sock), so updates made while agentd is down are
// found at recovery. On SIGTERM it kills the task: SIGTERM to the task's
// process group, SIGKILL after the grace period.
package executor

import (
	"fmt"
	"github.com/mesosctl/mesosctl/internal/procfs"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
)

// Run is the executor's main; it returns the exit code.
func Run(i *launcher.Info) int {
	sigs := listen()
	// Started before the launch was recorded (ExecutorHandshake): nothing
	// is recorded or started before the launcher passes agentd's "go" on.
	if i.ExecutorHandshake {
		if err := launcher.AwaitLauncher(); err != nil {
			fmt.Fprintf(os.Stderr, "executor: %v\n", err)
			return 1
		}
	}
	return RunAfterGo(i, sigs)
}

// RunWarm is a warm executor's main (launcher.WarmEnv): started by a warm
// launcher before its container exists, it waits for the launcher's "go"
// (AwaitWarm), then runs the task as Run does.
func RunWarm(arg string) int {
	i, sigs, err := AwaitWarm(arg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "executor: %v\n", err)
		return 1
	}
	return RunAfterGo(i, sigs)
}

// AwaitWarm is a warm executor until the "go": it listens for signals,
// waits for the launcher's "go", reads the launch info its --launch_info
// arg stands for (launcher.WarmInfoArg) and
// becomes what a cold executor is from its start (its command line too) (launcher.Info.Settle,
// with the environment a cold one gets). It returns the launch info and
// the signals for RunAfterGo.
func AwaitWarm(arg string) (*launcher.Info, chan os.Signal, error) {
	sigs := listen()
	infoPath := launcher.WarmInfoPath(arg)
	launcher.Prewarm(arg)
	if err := launcher.AwaitLauncher(); err != nil {
		return nil, nil, err
	}
	launcher.ShowLaunched()
	i, err := launcher.Load(infoPath)
	if err == nil {
		err = i.Settle(launcher.EnvList(launcher.WithHelperEnv(i.ExecutorEnv)))
	}
	return i, sigs, err
}

// listen sets the executor's signals up, before anything else: a kill
// that arrives before the task started is acted on once it has.
func listen() chan os.Signal {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	signal.Ignore(syscall.SIGHUP)
	_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	return sigs
}

// RunAfterGo is the executor once its launch may go.
func RunAfterGo(i *launcher.Info, sigs chan os.Signal) int {
	rep := &launcher.Reporter{Paths: i.Paths(), FrameworkID: i.FrameworkID, ExecutorID: i.ExecutorID,
		ContainerID: i.ContainerID, TaskID: i.TaskID, Name: "executor"}
	persist := rep.Report
	cs := &checkpoint.ContainerStatus{ContainerID: checkpoint.ContainerID{Value: i.ContainerID}, ExecutorPID: os.Getpid()}

	// Without a recorded TASK_STARTING nothing is started: the executor
	// exits and agentd reports the task failed.
	if err := persist(checkpoint.Status{State: checkpoint.TaskStarting}, false); err != nil {
		return 1
	}
	c, err := i.TaskCmd()
	if err == nil {
		c.Stdout, c.Stderr = os.Stdout, os.Stderr
		err = c.Start()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "executor: %v\n", err)
		persist(checkpoint.Status{State: checkpoint.TaskFailed, Reason: "REASON_COMMAND_EXECUTOR_FAILED",
			Message: "Failed to launch command: " + err.Error(), ContainerStatus: cs}, true)
		return 1
	}
	fmt.Fprintf(os.Stderr, "Forked command at %d\n", c.Process.Pid)

	var killed atomic.Bool
	go func() {
		<-sigs
		killed.Store(true)
		pg := -c.Process.Pid
		fmt.Fprintf(os.Stderr, "Sending SIGTERM to process tree at pid %d\n", c.Process.Pid)
		_ = syscall.Kill(pg, syscall.SIGTERM)
		time.Sleep(i.GracePeriod)
		fmt.Fprintf(os.Stderr, "Killing process tree at pid %d after the grace period\n", c.Process.Pid)
		_ = syscall.Kill(pg, syscall.SIGKILL)
	}()
	persist(checkpoint.Status{State: checkpoint.TaskRunning, ContainerStatus: cs}, true)
	_ = c.Wait()
	// Reap anything the task left behind (we are a subreaper).
	_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	for {
		if _, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil); err != nil {
			break
		}
		time.Sleep(time.Millisecond)
		if len(procfs.Children(os.Getpid())) == 0 {
			break
		}
	}
	ws := c.ProcessState.Sys().(syscall.WaitStatus)
	st := checkpoint.Status{ContainerStatus: cs}
	switch {
	case ws.Exited():
		st.Message = fmt.Sprintf("Command exited with status %d", ws.ExitStatus())
	case ws.Signaled():
		st.Message = "Command terminated with signal " + strsignal(ws.Signal())
	}
	switch {
	case i.Cgroup.OOMKilled():
		st.State = checkpoint.TaskFailed
		st.Reason = "REASON_CONTAINER_LIMITATION_MEMORY"
		st.Source = "SOURCE_AGENT"
		st.Message = fmt.Sprintf("Memory limit exceeded: Requested: %gMB; %s", i.Cgroup.MemLimitMB(), st.Message)
	case killed.Load():
		st.State = checkpoint.TaskKilled
	case ws.Exited() && ws.ExitStatus() == 0:
		st.State = checkpoint.TaskFinished
	default:
		st.State = checkpoint.TaskFailed
	}
	persist(st, true)
	return 0
}

// strsignal mirrors glibc's strsignal for the common signals.
func strsignal(s syscall.Signal) string {
	switch s {
	case syscall.SIGKILL:
		return "Killed"
	case syscall.SIGTERM:
		return "Terminated"
	case syscall.SIGINT:
		return "Interrupt"
	case syscall.SIGSEGV:
		return "Segmentation fault"
	case syscall.SIGABRT:
		return "Aborted"
	case syscall.SIGHUP:
		return "Hangup"
	}
	return s.String()
}
