package agentd

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/procfs"
)

// Pre-started ("warm") launcher+executor pairs, --mesosctl_warm_launchers
// (2 by default), from the first launch of a command task on. An idle
// pair's --launch_info ends in launch_warm.

// idlePairs maps the container IDs of the agent's idle pairs to their
// launchers' pids.
func (a *agentProc) idlePairs() map[string]int {
	out := map[string]int{}
	prefix := "--launch_info=" + filepath.Join(a.dir, "run", "containers") + "/"
	for _, pid := range procfs.Children(a.cmd.Process.Pid) {
		args := procfs.Cmdline(pid)
		if len(args) == 4 && args[1] == "containerizer" && strings.HasPrefix(args[3], prefix) && strings.HasSuffix(args[3], "/launch_warm") {
			out[filepath.Base(filepath.Dir(args[3]))] = pid
		}
	}
	return out
}

// waitIdlePairs waits until the agent has n idle pairs whose executors
// have started, and returns them.
func (a *agentProc) waitIdlePairs(n int) map[string]int {
	a.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		pairs := a.idlePairs()
		ready := len(pairs) == n
		for _, pid := range pairs {
			if len(procfs.Children(pid)) != 1 {
				ready = false
			}
		}
		if ready {
			return pairs
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("want %d idle pre-started launchers, have %v", n, pairs)
		}
	}
}

// warmUp launches a first command task (cold: pairs are started from the
// first launch on), waits for it to finish, and then for n idle pairs.
func (a *agentProc) warmUp(n int) map[string]int {
	a.t.Helper()
	if len(a.idlePairs()) != 0 {
		a.t.Errorf("idle pairs before the first launch: %v", a.idlePairs())
	}
	id := "first-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	a.launch(sh(id, "true"))
	a.waitState(id, 20*time.Second, "TASK_FINISHED")
	return a.waitIdlePairs(n)
}

// environ reads a process's whole environment.
func environ(t *testing.T, pid int) map[string]string {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, kv := range strings.Split(strings.TrimRight(string(data), "\x00"), "\x00") {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// waitChain waits until pid's tree is launcher → executor → sh → command
// and returns the executor's and sh's pids.
func waitChain(t *testing.T, launcher int) (executor, sh int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if kids := procfs.Children(launcher); len(kids) == 1 {
			if gk := procfs.Children(kids[0]); len(gk) == 1 && len(procfs.Children(gk[0])) == 1 {
				return kids[0], gk[0]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("launcher %d: no launcher → executor → sh → command chain: %v", launcher, procfs.Tree(launcher))
		}
	}
}

// TestWarmLaunch: a command task takes an idle pair — its container ID,
// its launcher — and shows the process tree, command lines, sandbox,
// cgroups and task environment of a cold launch; the pool is filled again.
func TestWarmLaunch(t *testing.T) {
	a := startBinaryAgent(t, "--isolation=cgroups/cpu,cgroups/mem")
	idle := a.warmUp(2)
	ti := a.launch(api.TaskSpec{TaskID: "warm", Name: "warm", Command: "echo out; echo err >&2; sleep 300; true",
		Env: map[string]string{"TASK_VAR": "1"}, Resources: api.TaskResources{CPUs: 0.1, Mem: 32}})
	a.waitState("warm", 20*time.Second, "TASK_RUNNING")
	pid, ok := idle[ti.ContainerID]
	if !ok {
		t.Fatalf("container %s is none of the idle pairs %v", ti.ContainerID, idle)
	}
	rt := filepath.Join(a.dir, "run", "containers", ti.ContainerID)
	if data, _ := os.ReadFile(filepath.Join(rt, "pid")); !strings.HasPrefix(string(data), strconv.Itoa(pid)+" ") {
		t.Errorf("pid file %q, want the pair's launcher %d", data, pid)
	}
	executor, sh := waitChain(t, pid)
	arg := "--launch_info=" + filepath.Join(rt, "launch_info")
	if got, want := procfs.Cmdline(pid), []string{a.bin, "containerizer", "launch", arg}; !slices.Equal(got, want) {
		t.Errorf("launcher command line %q, want %q", got, want)
	}
	if got, want := procfs.Cmdline(executor), []string{a.bin, "executor", arg}; !slices.Equal(got, want) {
		t.Errorf("executor command line %q, want %q", got, want)
	}
	if got := procfs.Cmdline(sh); !slices.Equal(got, []string{"/bin/sh", "-c", "echo out; echo err >&2; sleep 300; true"}) {
		t.Errorf("task command line %q", got)
	}
	st, _ := procfs.ReadStat(pid)
	est, _ := procfs.ReadStat(executor)
	if st.PPID != a.cmd.Process.Pid || st.Session != pid || est.Session != pid {
		t.Errorf("launcher ppid %d session %d, executor session %d: want agentd %d's child in its own session, with its executor",
			st.PPID, st.Session, est.Session, a.cmd.Process.Pid)
	}
	sandbox := ti.Sandbox
	for _, p := range []int{pid, executor} {
		if cwd, _ := os.Readlink("/proc/" + strconv.Itoa(p) + "/cwd"); cwd != sandbox {
			t.Errorf("pid %d works in %q, want the sandbox %s", p, cwd, sandbox)
		}
		for fd, name := range map[string]string{"1": "stdout", "2": "stderr"} {
			if f, _ := os.Readlink("/proc/" + strconv.Itoa(p) + "/fd/" + fd); f != filepath.Join(sandbox, name) {
				t.Errorf("pid %d fd %s is %q, want the sandbox's %s", p, fd, f, name)
			}
		}
		cg, _ := os.ReadFile("/proc/" + strconv.Itoa(p) + "/cgroup")
		for _, line := range strings.Split(strings.TrimSpace(string(cg)), "\n") {
			if (strings.Contains(line, ":cpu,") || strings.Contains(line, ":memory:")) && !strings.HasSuffix(line, "/"+a.cgroups+"/"+ti.ContainerID) {
				t.Errorf("pid %d is not in the container's cgroups: %s", p, line)
			}
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out, _ := os.ReadFile(filepath.Join(sandbox, "stdout"))
		errOut, _ := os.ReadFile(filepath.Join(sandbox, "stderr"))
		if string(out) == "out\n" && strings.Contains(string(errOut), "Forked command at "+strconv.Itoa(sh)+"\n") && strings.Contains(string(errOut), "err\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox stdout %q, stderr %q", out, errOut)
		}
	}
	env := environ(t, sh)
	for k, want := range map[string]string{"MESOS_SANDBOX": sandbox, "MESOS_DIRECTORY": sandbox, "MESOS_EXECUTOR_ID": "warm",
		"MESOS_SLAVE_ID": ti.AgentID, "MESOS_ALLOCATION_ROLE": "*", "TASK_VAR": "1", "LIBPROCESS_PORT": "0"} {
		if env[k] != want {
			t.Errorf("task environment %s=%q, want %q", k, env[k], want)
		}
	}
	for _, k := range []string{"MESOSCTL_WARM_HELPER", "GOMAXPROCS"} {
		if _, ok := env[k]; ok {
			t.Errorf("the task inherits %s: %v", k, env)
		}
	}
	// The one difference from a cold launch: the executor's own
	// environment is the pre-started one.
	if env := environ(t, executor); env["MESOSCTL_WARM_HELPER"] != "1" || env["MESOS_EXECUTOR_ID"] != "" {
		t.Errorf("pre-started executor's environment: %v", env)
	}

	// The pool is filled again, with new pairs; agentd's process tree
	// shows the task's launcher alone below agentd.
	again := a.waitIdlePairs(2)
	if _, ok := again[ti.ContainerID]; ok {
		t.Errorf("the taken pair is still idle: %v", again)
	}
	var pt api.ProcessTree
	code, body := a.do("GET", api.ProcessesPath, nil)
	if err := json.Unmarshal(body, &pt); code != 200 || err != nil || len(pt.Agent.Children) != 1 || pt.Agent.Children[0].PID != pid {
		t.Errorf("process tree %d %s", code, body)
	}

	// Killed as any task.
	if code, body := a.do("POST", api.TaskPath+"/warm/kill", nil); code != http.StatusAccepted {
		t.Fatalf("kill: %d %s", code, body)
	}
	if got := a.waitState("warm", 20*time.Second, "TASK_KILLED"); got.Statuses[len(got.Statuses)-1].Message != "Command terminated with signal Terminated" {
		t.Errorf("killed: %+v", got.Statuses)
	}
}

// TestWarmPairsDieWithAgentd: agentd killed -9 with idle pairs: they see
// their handshake close, exit, and leave nothing; the next agentd starts
// its own.
func TestWarmPairsDieWithAgentd(t *testing.T) {
	a := startBinaryAgent(t)
	idle := a.warmUp(2)
	var pids []int
	for _, pid := range idle {
		pids = append(pids, pid)
		pids = append(pids, procfs.Children(pid)...)
	}
	a.kill9()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var alive []int
		for _, p := range pids {
			if procfs.Alive(p, 0) {
				if st, err := procfs.ReadStat(p); err == nil && st.State != 'Z' {
					alive = append(alive, p)
				}
			}
		}
		if len(alive) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("idle pre-started helpers still alive 30s after agentd's kill -9: %v", alive)
		}
	}
	for cid := range idle {
		if _, err := os.Stat(filepath.Join(a.dir, "run", "containers", cid)); !os.IsNotExist(err) {
			t.Errorf("an idle pair left its runtime directory: %v", err)
		}
	}
	a.restart()
	for cid := range a.warmUp(2) {
		if _, ok := idle[cid]; ok {
			t.Errorf("the restarted agent has the old pair %s", cid)
		}
	}
	if s := a.stderr.String(); strings.Contains(s, "orphan container") || strings.Contains(s, "orphan runtime") {
		t.Errorf("recovery saw an orphan:\n%s", a.stderr)
	}
}

// TestWarmLaunchAborted: a launch that takes a pair and cannot be
// checkpointed (a full work_dir) is refused; the pair exits without a
// "go", and nothing of it — process, runtime directory, sandbox — is
// left; the pool is filled again.
func TestWarmLaunchAborted(t *testing.T) {
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	mountTmpfs(t, work, "4m")
	a := startBinaryAgent(t, "--work_dir="+work)
	idle := a.warmUp(2)
	fill(t, filepath.Join(work, "filler"))
	code, body := a.do("POST", api.TaskPath, sh("refused", "touch "+filepath.Join(dir, "ran")))
	if code != http.StatusInsufficientStorage {
		t.Fatalf("launch on a full work_dir: %d %s", code, body)
	}
	// One of the idle pairs was taken: it is gone, and a new one started.
	var taken string
	for deadline := time.Now().Add(30 * time.Second); taken == ""; time.Sleep(50 * time.Millisecond) {
		now := a.idlePairs()
		for cid, pid := range idle {
			if _, ok := now[cid]; !ok && !procfs.Alive(pid, 0) {
				taken = cid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no idle pair was used and ended: before %v, now %v", idle, now)
		}
	}
	for _, p := range procfs.Pids() {
		if strings.Contains(strings.Join(procfs.Cmdline(p), " "), taken) {
			t.Errorf("process %d of the aborted pair is left: %q", p, procfs.Cmdline(p))
		}
	}
	if _, err := os.Stat(filepath.Join(a.dir, "run", "containers", taken)); !os.IsNotExist(err) {
		t.Errorf("the aborted launch left its runtime directory: %v", err)
	}
	if runs, _ := filepath.Glob(filepath.Join(work, "*", "slaves", "*", "frameworks", "*", "executors", "refused")); len(runs) != 0 {
		t.Errorf("the aborted launch left %v", runs)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); !os.IsNotExist(err) {
		t.Errorf("the refused task ran")
	}
	if code, _ := a.do("GET", api.TaskPath+"/refused", nil); code != 404 {
		t.Errorf("the refused task is known: %d", code)
	}
	os.Remove(filepath.Join(work, "filler"))
	a.waitIdlePairs(2)
	a.launch(sh("after", "true"))
	a.waitState("after", 20*time.Second, "TASK_FINISHED")
}

// TestWarmLaunchersOff: with --mesosctl_warm_launchers=0 every launch
// starts its own helpers, as before (and as Mesos): no idle pair, and the
// executor's own environment is the executor environment.
func TestWarmLaunchersOff(t *testing.T) {
	a := startBinaryAgent(t, "--mesosctl_warm_launchers=0")
	ti := a.launch(sh("cold", "sleep 300"))
	a.waitState("cold", 20*time.Second, "TASK_RUNNING")
	if f := a.state().Flags["mesosctl_warm_launchers"]; f != "0" {
		t.Errorf("/state flags mesosctl_warm_launchers = %q", f)
	}
	kids := procfs.Children(a.cmd.Process.Pid)
	if len(kids) != 1 {
		t.Fatalf("agentd's children %v, want the task's launcher alone", kids)
	}
	executor, _ := waitChain(t, kids[0])
	env := environ(t, executor)
	if env["MESOS_EXECUTOR_ID"] != "cold" || env["MESOS_SANDBOX"] != ti.Sandbox || env["MESOS_SLAVE_ID"] != ti.AgentID || env["GOMAXPROCS"] != "1" {
		t.Errorf("executor's environment: %v", env)
	}
	if _, ok := env["MESOSCTL_WARM_HELPER"]; ok {
		t.Errorf("a cold executor has MESOSCTL_WARM_HELPER: %v", env)
	}
	if len(a.idlePairs()) != 0 {
		t.Errorf("idle pairs with the flag 0: %v", a.idlePairs())
	}
	if code, body := a.do("GET", "/flags", nil); code != 200 || !strings.Contains(string(body), `"mesosctl_warm_launchers":"0"`) {
		t.Errorf("/flags: %d %s", code, body)
	}
}
