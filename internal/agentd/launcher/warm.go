package launcher

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"unsafe"

	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
)

// Warm ("pre-started") helpers.
//
// agentd keeps a few launcher+executor pairs started ahead of the
// launches that will take them (--mesosctl_warm_launchers), so that a
// command task's launch does not wait for two starts of the binary. A
// pair is started with its future container ID already chosen, so its
// command lines are the cold ones (`containerizer launch
// --launch_info=<runtime_dir>/containers/<cid>/launch_info`, `executor
// --launch_info=…`), but nothing of the container exists yet: the helpers
// know only that path. While idle, the last component of that path reads
// launch_warm (WarmInfoArg), so that nothing that looks for a container's
// processes by their command line (recovery, `mesosctl tree`, ps) takes
// an idle pair for one; after the "go" each helper writes launch_info over
// it in its own argument memory, and its command line is then exactly a
// cold helper's. WarmEnv in their environment tells them they are warm. The
// launcher starts the executor at once and both wait, on their HandshakeFD,
// exactly as a cold launch with ExecutorHandshake does; only after agentd's
// "go" (the launch is checkpointed) does each read the launch info, turn
// into what a cold helper is from its start (Settle: the sandbox as its
// working directory and stdout/stderr, the executor's environment for
// what it runs), and the launcher move itself and the executor into the
// container's cgroups before it passes the "go" on. A pair whose "go"
// never comes (agentd stopped, or aborted the launch before recording
// it) exits without a trace: it holds nothing agentd must recover.

// WarmEnv is the environment variable that makes a helper warm.
const WarmEnv = "MESOSCTL_WARM_HELPER"

// warmInfoName stands for launch_info in an idle warm helper's
// --launch_info (the same length: it is overwritten in place).
const warmInfoName = "launch_warm"

// WarmInfoArg is the --launch_info of an idle warm helper whose container
// will have infoPath (<runtime_dir>/containers/<cid>/launch_info).
func WarmInfoArg(infoPath string) string {
	return filepath.Join(filepath.Dir(infoPath), warmInfoName)
}

// IsWarmInfoArg reports whether a --launch_info value is an idle warm
// helper's.
func IsWarmInfoArg(arg string) bool { return strings.HasSuffix(arg, "/"+warmInfoName) }

// ShowLaunched makes this process's command line (/proc/self/cmdline, ps)
// a cold helper's: launch_info written over launch_warm, in place, in the
// argument memory the kernel shows (os.Args refers to it).
func ShowLaunched() {
	for _, a := range os.Args {
		if IsWarmInfoArg(a) {
			b := unsafe.Slice(unsafe.StringData(a), len(a))
			copy(b[len(b)-len(warmInfoName):], "launch_info")
		}
	}
}

// IsWarm reports whether this process was started as a warm helper.
func IsWarm() bool { return os.Getenv(WarmEnv) != "" }

// WarmHelperEnv is the whole environment of a warm launcher and of its
// executor before the "go": PATH, HelperEnv and WarmEnv.
func WarmHelperEnv() []string {
	return EnvList(WithHelperEnv(map[string]string{WarmEnv: "1"}))
}

// Settle makes a warm helper, after the "go", what a cold one is from its
// start: its working directory is the sandbox, its stdout and stderr the
// sandbox's files (agentd created them, owned by the task's user), and
// env its environment (os.Getenv of anything it runs sees env; a cold
// helper is started with it).
func (i *Info) Settle(env []string) error {
	for fd, name := range []string{1: "stdout", 2: "stderr"} {
		if name == "" {
			continue
		}
		f, err := os.OpenFile(filepath.Join(i.Sandbox, name), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		err = syscall.Dup3(int(f.Fd()), fd, 0)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := os.Chdir(i.Sandbox); err != nil {
		return err
	}
	os.Clearenv()
	for _, kv := range env {
		for j := 0; j < len(kv); j++ {
			if kv[j] == '=' {
				_ = os.Setenv(kv[:j], kv[j+1:])
				break
			}
		}
	}
	return nil
}

// prewarmInfo is a launch info of the usual shape, for Prewarm.
const prewarmInfo = `{"container_id":"c","agent_id":"a","framework_id":"f","executor_id":"e","task_id":"t",` +
	`"shell":true,"command":"true","env":{"K":"v"},"sandbox":"/","work_dir":"/","runtime_dir":"/",` +
	`"cgroup":{"v2":false,"dirs":{"cpu":"/"}},"grace_period":1,"executable":"/","executor_env":{"K":"v"},` +
	`"handshake":true,"executor_handshake":true}`

// Prewarm does, while a warm helper waits, what its launch will do first
// with nothing to do with the launch itself: decoding a launch info and
// encoding a status update (the JSON codecs of these types, and the pages
// of their code and tables, which a page fault each brings in), and
// looking up its own user, opening a socket to agentd's (arg is the
// helper's --launch_info, under agentd's runtime directory). A launch then
// finds them ready.
func Prewarm(arg string) {
	rtDir := filepath.Dir(filepath.Dir(filepath.Dir(arg))) // <runtime_dir>/containers/<cid>/launch_warm
	if c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: filepath.Join(rtDir, "agent.sock"), Net: "unixgram"}); err == nil {
		c.Close() // nothing sent
	}
	var i Info
	_ = json.Unmarshal([]byte(prewarmInfo), &i)
	_, _ = checkpoint.Record(checkpoint.UpdateRecord{Type: "UPDATE", Status: checkpoint.Status{State: checkpoint.TaskStarting,
		ContainerStatus: &checkpoint.ContainerStatus{ContainerID: checkpoint.ContainerID{Value: "c"}, ExecutorPID: 1}}})
	_, _ = CurrentAccount()
}

// WarmInfoPath is the launch info of a warm helper whose --launch_info is
// arg (WarmInfoArg).
func WarmInfoPath(arg string) string {
	return filepath.Join(filepath.Dir(arg), "launch_info")
}

// warmOnly says why a launch info is not one a warm pair can run.
func (i *Info) warmOnly() error {
	if !i.Handshake || !i.ExecutorHandshake || i.Standalone || len(i.DockerExecutor) > 0 {
		return errors.New("a pre-started launcher runs only the command executor with the handshake")
	}
	return nil
}

// RunWarm is a warm launcher's main (see WarmEnv); arg is its
// --launch_info (WarmInfoArg: the launch info, next to it, exists only
// after agentd's "go"). It returns the exit code.
func RunWarm(arg string) int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	_ = os.Unsetenv(WarmEnv) // the launcher's environment is then a cold one's
	arg = strings.Clone(arg) // os.Args' memory changes (ShowLaunched)
	infoPath := WarmInfoPath(arg)
	// The executor, warm too, with the same --launch_info (argv[0] is the
	// path agentd started this binary by, as Info.Executable is).
	c := exec.Command(strings.Clone(os.Args[0]), "executor", "--launch_info="+arg)
	c.Dir = "/"
	c.Env = WarmHelperEnv()
	c.Stdout, c.Stderr = os.Stdout, os.Stderr // /dev/null until Settle
	r, executorGo, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(os.Stderr, "containerizer launch: %v\n", err)
		return 1
	}
	c.ExtraFiles = []*os.File{r} // descriptor 3 = HandshakeFD
	err = c.Start()
	r.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "containerizer launch: start the executor: %v\n", err)
		return 1
	}
	exited := make(chan struct{})
	go func() {
		_ = c.Wait()
		close(exited)
	}()
	wait := func() { <-exited }
	gone := make(chan error, 1)
	go func() { gone <- awaitGo(agentdAborted) }()
	Prewarm(arg)
	select {
	case <-exited:
		// The executor died while the pair waited: agentd sees the
		// launcher end too and takes another pair (or starts one cold).
		fmt.Fprintf(os.Stderr, "containerizer launch: the pre-started executor exited\n")
		return 1
	case err = <-gone:
	}
	if err != nil {
		// No "go": a launch agentd recorded and then could not let go
		// (it died, or failed to write it) ends as a cold launcher's does;
		// otherwise nothing of the container exists, and nothing is left.
		executorGo.Close()
		wait()
		rt := filepath.Dir(infoPath)
		if _, serr := os.Stat(filepath.Join(rt, "launch_info.rec")); serr == nil {
			if i, lerr := Load(infoPath); lerr == nil {
				writeTermination(i, rt, Termination{Status: 1 << 8, Exited: true, Code: 1, Message: err.Error()})
			}
		}
		return 1
	}
	ShowLaunched()
	i, err := Load(infoPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "containerizer launch: %v\n", err)
		abortExecutor(executorGo, wait)
		return 1
	}
	rt := i.Paths().Runtime(i.ContainerID)
	err = i.warmOnly()
	if err == nil {
		err = i.Settle(EnvList(HelperEnv))
	}
	if err == nil && i.Cgroup != nil {
		// Both into the container's cgroups before the executor may fork
		// the task (a cold pair is born inside them on cgroup v2, and the
		// cold launcher enters the v1 groups before it forks).
		if err = i.Cgroup.Enter(os.Getpid()); err == nil {
			err = i.Cgroup.Enter(c.Process.Pid)
		}
		if err != nil {
			err = fmt.Errorf("enter cgroups: %w", err)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "containerizer launch: %v\n", err)
		abortExecutor(executorGo, wait)
		writeTermination(i, rt, Termination{Status: 1 << 8, Exited: true, Code: 1, Message: "Failed to launch: " + err.Error()})
		return 1
	}
	return i.supervise(rt, c, executorGo, wait, nil, sigs)
}
