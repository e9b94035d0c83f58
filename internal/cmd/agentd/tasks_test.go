package agentd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/runtime"
	"github.com/mesosctl/mesosctl/internal/testutil/syncbuf"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// mesosctlBinary builds the real multi-call binary once per test run:
// agentd launches containers by re-executing it.
func mesosctlBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the agentd binary (root, cgroups, tasks): not with -short (make unit)")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mesosctl-agentd-test-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "mesosctl")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/mesosctl/mesosctl/cmd/mesosctl")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0") // as released (make build, goreleaser)
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// agentProc is a real `mesosctl agentd` process.
type agentProc struct {
	t       testing.TB
	bin     string
	args    []string
	dir     string
	cmd     *exec.Cmd
	exited  chan error
	URL     string
	port    int
	stderr  *syncbuf.Buffer
	cgroups string   // --cgroups_root, removed at cleanup
	env     []string // added to the test's environment
}

// startBinaryAgent runs agentd with its own work_dir, runtime_dir, port and
// cgroups root. Cleanup stops it and kills every container it left.
func startBinaryAgent(t testing.TB, extra ...string) *agentProc {
	t.Helper()
	return startBinaryAgentEnv(t, nil, extra...)
}

// startBinaryAgentEnv is startBinaryAgent with env added to agentd's
// environment.
func startBinaryAgentEnv(t testing.TB, env []string, extra ...string) *agentProc {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("task tests need root (setsid, cgroups, namespaces)")
	}
	dir := t.TempDir()
	a := &agentProc{t: t, bin: mesosctlBinary(t), dir: dir, port: freePort(t), env: env,
		cgroups: "mesosctl-test-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)}
	defaults := []string{"--work_dir=" + filepath.Join(dir, "work"), "--runtime_dir=" + filepath.Join(dir, "run"),
		"--ip=127.0.0.1", "--port=" + strconv.Itoa(a.port), "--config_dir=", "--hostname=agent1",
		"--cgroups_root=" + a.cgroups, "--executor_shutdown_grace_period=1secs",
		"--resources=cpus:4;mem:2048;disk:1000"}
	a.args = []string{"agentd"}
	for _, d := range defaults {
		name, _, _ := strings.Cut(d, "=")
		overridden := false
		for _, e := range extra {
			if strings.HasPrefix(e, name+"=") {
				overridden = true
			}
		}
		if !overridden {
			a.args = append(a.args, d)
		}
	}
	a.args = append(a.args, extra...)
	a.URL = "http://127.0.0.1:" + strconv.Itoa(a.port)
	a.start()
	t.Cleanup(a.cleanup)
	return a
}

func (a *agentProc) start() {
	a.t.Helper()
	a.stderr = &syncbuf.Buffer{}
	a.cmd = exec.Command(a.bin, a.args...)
	a.cmd.Env = append(os.Environ(), a.env...)
	a.cmd.Stderr = a.stderr
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		a.t.Fatal(err)
	}
	a.exited = make(chan error, 1)
	go func(c *exec.Cmd, ch chan error) { ch <- c.Wait() }(a.cmd, a.exited)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(a.URL + "/state")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case err := <-a.exited:
			a.t.Fatalf("agentd exited: %v\n%s", err, a.stderr)
		default:
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("agentd not ready: %v\n%s", err, a.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitLog waits until agentd's stderr (copied from its pipe, so behind
// what /state already answers) contains text, and returns it.
func (a *agentProc) waitLog(text string) string {
	a.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if s := a.stderr.String(); strings.Contains(s, text) || time.Now().After(deadline) {
			return s
		}
	}
}

// kill9 kills agentd the hard way (its containers live on).
func (a *agentProc) kill9() {
	a.t.Helper()
	_ = a.cmd.Process.Kill()
	<-a.exited
}

// restart starts agentd again with the same flags plus extra.
func (a *agentProc) restart(extra ...string) {
	a.t.Helper()
	a.args = append(a.args, extra...)
	a.start()
}

func (a *agentProc) cleanup() {
	if a.cmd.ProcessState == nil {
		_ = a.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-a.exited:
		case <-time.After(10 * time.Second):
			_ = a.cmd.Process.Kill()
		}
	}
	// Kill every container launcher left (they run in their own sessions).
	out, _ := exec.Command("pgrep", "-f", "(containerizer launch|executor) --launch_info="+a.dir).Output()
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			killTree(pid)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := exec.Command("pgrep", "-f", a.dir).Output()
		if len(bytes.TrimSpace(out)) == 0 {
			break
		}
		if time.Until(deadline) < 100*time.Millisecond {
			ps, _ := exec.Command("ps", "-o", "pid,args", "-p", strings.Join(strings.Fields(string(out)), ",")).Output()
			a.t.Errorf("processes left by the test agent:\n%s", ps)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, c := range []string{"cpu", "cpuacct", "memory", "pids", "unified"} {
		root := filepath.Join("/sys/fs/cgroup", c, a.cgroups)
		subs, _ := filepath.Glob(filepath.Join(root, "*"))
		for _, s := range subs {
			if fi, err := os.Stat(s); err == nil && fi.IsDir() {
				os.Remove(s)
			}
		}
		os.Remove(root)
	}
}

// killTree SIGKILLs pid and its descendants (children of every thread:
// a Go program forks from any of them).
func killTree(pid int) {
	_ = syscall.Kill(pid, syscall.SIGSTOP) // no new children meanwhile
	threads, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, th := range threads {
		kids, _ := os.ReadFile(th)
		for _, k := range strings.Fields(string(kids)) {
			if n, err := strconv.Atoi(k); err == nil {
				killTree(n)
			}
		}
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

func (a *agentProc) do(method, path string, body any) (int, []byte) {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		default:
			j, _ := json.Marshal(b)
			rd = bytes.NewReader(j)
		}
	}
	req, _ := http.NewRequest(method, a.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (a *agentProc) launch(spec api.TaskSpec) api.TaskInfo {
	a.t.Helper()
	code, body := a.do("POST", api.TaskPath, spec)
	if code != http.StatusCreated {
		a.t.Fatalf("launch %s: %d %s", spec.TaskID, code, body)
	}
	var ti api.TaskInfo
	if err := json.Unmarshal(body, &ti); err != nil {
		a.t.Fatal(err)
	}
	return ti
}

func (a *agentProc) task(id string, query string) api.TaskInfo {
	a.t.Helper()
	code, body := a.do("GET", api.TaskPath+"/"+url.PathEscape(id)+query, nil)
	if code != 200 {
		a.t.Fatalf("get task %s: %d %s", id, code, body)
	}
	var ti api.TaskInfo
	if err := json.Unmarshal(body, &ti); err != nil {
		a.t.Fatal(err)
	}
	return ti
}

// waitState long-polls until the task is in one of states.
func (a *agentProc) waitState(id string, timeout time.Duration, states ...string) api.TaskInfo {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	after := 0
	for {
		ti := a.task(id, fmt.Sprintf("?after=%d&timeout=5s", after))
		for _, s := range states {
			if ti.State == s {
				return ti
			}
		}
		after = len(ti.Statuses)
		if time.Now().After(deadline) {
			a.t.Fatalf("task %s is %s after %v, want %v; statuses %+v\n%s", id, ti.State, timeout, states, ti.Statuses, a.stderr)
		}
	}
}

func (a *agentProc) state() api.State {
	a.t.Helper()
	code, body := a.do("GET", "/state", nil)
	if code != 200 {
		a.t.Fatalf("/state: %d %s", code, body)
	}
	var st api.State
	if err := json.Unmarshal(body, &st); err != nil {
		a.t.Fatal(err)
	}
	return st
}

func sh(id, cmd string) api.TaskSpec {
	return api.TaskSpec{TaskID: id, Name: id, Command: cmd, Resources: api.TaskResources{CPUs: 0.1, Mem: 32}}
}

// TestTaskLifecycle: launch through the task API, follow the status
// updates, read the sandbox, see the task in /state as a Mesos agent shows
// a command task, and get the refusals right.
func TestTaskLifecycle(t *testing.T) {
	a := startBinaryAgent(t)
	ti := a.launch(sh("hello", "echo hello from $MESOS_SANDBOX; echo oops >&2"))
	if ti.ID != "hello" || ti.AgentID == "" || ti.Sandbox == "" || ti.ContainerID == "" {
		t.Fatalf("launch answer: %+v", ti)
	}
	done := a.waitState("hello", 20*time.Second, "TASK_FINISHED", "TASK_FAILED")
	if done.State != "TASK_FINISHED" || done.ExitStatus == nil || *done.ExitStatus != 0 {
		t.Fatalf("hello: %+v", done)
	}
	var states []string
	for _, s := range done.Statuses {
		states = append(states, s.State)
	}
	if got := strings.Join(states, ","); got != "TASK_STARTING,TASK_RUNNING,TASK_FINISHED" {
		t.Errorf("statuses = %s", got)
	}
	// The sandbox through /files/read, as Mesos serves it.
	code, body := a.do("GET", "/files/read?path="+url.QueryEscape(done.Sandbox+"/stdout")+"&offset=0", nil)
	var rd struct {
		Data   string `json:"data"`
		Offset int64  `json:"offset"`
	}
	if json.Unmarshal(body, &rd); code != 200 || rd.Data != "hello from "+done.Sandbox+"\n" || rd.Offset != 0 {
		t.Errorf("/files/read stdout: %d %s", code, body)
	}
	code, body = a.do("GET", "/files/read?path="+url.QueryEscape(done.Sandbox+"/stderr"), nil)
	errText, _ := os.ReadFile(done.Sandbox + "/stderr") // the executor's lines, then the task's
	if json.Unmarshal(body, &rd); code != 200 || rd.Offset != int64(len(errText)) || rd.Data != "" || !strings.Contains(string(errText), "oops\n") {
		t.Errorf("/files/read size (no offset): %d %s; stderr %q", code, body, errText)
	}
	code, body = a.do("GET", "/files/read?path="+url.QueryEscape(done.Sandbox+"/stderr")+fmt.Sprintf("&offset=%d&length=2", bytes.Index(errText, []byte("oops"))+1), nil)
	if json.Unmarshal(body, &rd); code != 200 || rd.Data != "op" {
		t.Errorf("/files/read offset/length: %d %s", code, body)
	}
	code, body = a.do("GET", "/files/browse?path="+url.QueryEscape(done.Sandbox), nil)
	if code != 200 || !strings.Contains(string(body), `"path":"`+done.Sandbox+`/stdout"`) || !strings.Contains(string(body), `"mode":"-rw-r--r--"`) {
		t.Errorf("/files/browse: %d %s", code, body)
	}
	// Paths cannot leave the sandboxes: .., absolute elsewhere, symlinks out.
	os.Symlink("/etc/passwd", filepath.Join(done.Sandbox, "escape"))
	for _, p := range []string{done.Sandbox + "/../../../../../../../../etc/passwd", "/etc/passwd", done.Sandbox + "/escape", "stdout"} {
		code, body := a.do("GET", "/files/read?path="+url.QueryEscape(p)+"&offset=0", nil)
		if code != 404 && code != 400 || strings.Contains(string(body), "root:") {
			t.Errorf("/files/read %s = %d %s, want refusal", p, code, body)
		}
	}

	// /state: framework → command executor (id = task id) → completed task.
	a.task("hello", "?after=100&timeout=5s") // answers once the executor has ended too
	st := a.state()
	if len(st.Frameworks) != 0 || len(st.CompletedFrameworks) != 1 {
		t.Fatalf("frameworks %d, completed %d", len(st.Frameworks), len(st.CompletedFrameworks))
	}
	f := st.CompletedFrameworks[0]
	if f.Name != "mesos-execute instance" || len(f.CompletedExecutors) != 1 {
		t.Fatalf("framework: %+v", f)
	}
	e := f.CompletedExecutors[0]
	if e.ID != "hello" || e.Source != "hello" || e.Name != "Command Executor (Task: hello) (Command: sh -c 'echo hello f...')" ||
		e.Directory != done.Sandbox || len(e.CompletedTasks) != 1 || e.CompletedTasks[0].ExecutorID != "" ||
		string(e.Resources) != `{"cpus":0.2,"disk":0.0,"gpus":0.0,"mem":64.0}` {
		t.Errorf("executor: %+v resources %s", e, e.Resources)
	}

	// A failing command: TASK_FAILED with its exit status.
	a.launch(sh("fails", "exit 3"))
	if ti := a.waitState("fails", 20*time.Second, "TASK_FAILED", "TASK_FINISHED"); ti.State != "TASK_FAILED" || ti.ExitStatus == nil || *ti.ExitStatus != 3 ||
		ti.Statuses[len(ti.Statuses)-1].Message != "Command exited with status 3" {
		t.Errorf("fails: %+v", ti)
	}
	// Its executor is completed once its launcher has exited and written
	// the termination record, a few ms after TASK_FAILED (a launch with a
	// pre-started pair can be quicker than that).
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		active := false
		for _, f := range a.state().Frameworks {
			for _, e := range f.Executors {
				active = active || e.ID == "fails"
			}
		}
		if !active || time.Now().After(deadline) {
			break
		}
	}

	// Running task: in frameworks (active), RUNNING, resources allocated.
	a.launch(sh("sleeper", "sleep 300"))
	a.waitState("sleeper", 20*time.Second, "TASK_RUNNING")
	st = a.state()
	if len(st.Frameworks) != 1 || len(st.Frameworks[0].Executors) != 1 || st.Frameworks[0].Executors[0].Tasks[0].State != "TASK_RUNNING" {
		t.Fatalf("active: %+v", st.Frameworks)
	}
	if got := string(st.UnreservedResourcesAllocated); got != `{"cpus":0.2,"disk":0.0,"gpus":0.0,"mem":64.0}` {
		t.Errorf("allocated = %s", got)
	}
	if code, body := a.do("GET", "/containers", nil); code != 200 || !strings.Contains(string(body), `"executor_id":"sleeper"`) {
		t.Errorf("/containers: %d %s", code, body)
	}

	// Refusals: does not fit (409 with the figures), duplicate ID, bad input.
	big := sh("big", "true")
	big.Resources.CPUs = 4
	code, body = a.do("POST", api.TaskPath, big)
	var te api.TaskError
	json.Unmarshal(body, &te)
	if code != 409 || te.Code != "INSUFFICIENT_RESOURCES" || te.Free == nil || te.Free.CPUs != 3.8 || !strings.Contains(te.Error, "insufficient resources") {
		t.Errorf("too big: %d %s", code, body)
	}
	if code, body := a.do("POST", api.TaskPath, sh("sleeper", "true")); code != 409 || !strings.Contains(string(body), "TASK_EXISTS") {
		t.Errorf("duplicate: %d %s", code, body)
	}
	for _, bad := range []string{`{"task_id":"x"}`, `{"task_id":"../x","command":"true"}`, `{"task_id":"x","command":"true","bogus":1}`, `not json`,
		`{"task_id":"x","command":"true","resources":{"cpus":-1}}`} {
		if code, body := a.do("POST", api.TaskPath, bad); code != 400 {
			t.Errorf("%s: %d %s", bad, code, body)
		}
	}
	if code, _ := a.do("GET", api.TaskPath+"/nope", nil); code != 404 {
		t.Errorf("unknown task: %d", code)
	}

	// Kill: TERM through the executor, TASK_KILLED, resources released.
	if code, body := a.do("POST", api.TaskPath+"/sleeper/kill", nil); code != 202 {
		t.Fatalf("kill: %d %s", code, body)
	}
	if ti := a.waitState("sleeper", 20*time.Second, "TASK_KILLED", "TASK_FAILED"); ti.State != "TASK_KILLED" {
		t.Errorf("killed: %+v", ti)
	}
	a.task("sleeper", "?after=100&timeout=5s") // returns once the container has ended
	if got := string(a.state().UnreservedResourcesAllocated); got != `{"cpus":0.0,"disk":0.0,"gpus":0.0,"mem":0.0}` {
		t.Errorf("allocated after kill = %s", got)
	}
	var list api.TaskList
	_, body = a.do("GET", api.TaskPath, nil)
	json.Unmarshal(body, &list)
	if len(list.Tasks) != 3 || list.Tasks[0].ID != "hello" || list.Tasks[2].ID != "sleeper" {
		t.Errorf("task list: %s", body)
	}
}

// TestProcessTreeFiveLevels: agentd → containerizer launch → executor →
// sh -c → command, as ps --forest shows a Mesos agent's tasks.
func TestProcessTreeFiveLevels(t *testing.T) {
	a := startBinaryAgent(t)
	a.launch(sh("tree", "sleep 300; true"))
	a.waitState("tree", 20*time.Second, "TASK_RUNNING")
	levels := []string{"agentd", "containerizer launch", "executor", "/bin/sh -c sleep 300; true", "sleep 300"}
	// TASK_RUNNING is sent right after the executor forked sh, which may
	// not have forked and exec'd sleep yet: wait until the chain is
	// complete.
	var pt api.ProcessTree
	var body []byte
	for deadline := time.Now().Add(10 * time.Second); ; {
		var code int
		code, body = a.do("GET", api.ProcessesPath, nil)
		if err := json.Unmarshal(body, &pt); code != 200 || err != nil {
			t.Fatalf("%d %s %v", code, body, err)
		}
		// Complete means every level is there and already runs its own
		// command: between fork and exec a child still shows its
		// parent's command line, or none.
		depth, p := 1, pt.Agent
		for len(p.Children) > 0 {
			depth, p = depth+1, p.Children[0]
		}
		complete := depth >= len(levels) && strings.Contains(p.Command, levels[len(levels)-1])
		if complete || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	p := pt.Agent
	for i, want := range levels {
		if !strings.Contains(p.Command, want) {
			t.Fatalf("level %d: %q, want it to contain %q\n%s", i, p.Command, want, body)
		}
		if i == 1 && (p.Task == nil || p.Task.ID != "tree" || p.Task.State != "TASK_RUNNING") {
			t.Errorf("launcher not annotated with its task: %+v", p.Task)
		}
		if i+1 < len(levels) {
			if len(p.Children) != 1 {
				t.Fatalf("level %d (%s) has %d children\n%s", i, p.Command, len(p.Children), body)
			}
			p = p.Children[0]
		}
	}
	// ps agrees: the executor is in its own session, below agentd.
	out, _ := exec.Command("ps", "-o", "pid,ppid,sid,args", "--forest", "-g", strconv.Itoa(pt.Agent.Children[0].PID)).CombinedOutput()
	if !strings.Contains(string(out), "executor --launch_info=") {
		t.Errorf("ps --forest:\n%s", out)
	}
}

// TestKill9RecoveryLoop: kill -9 agentd repeatedly while tasks run and
// finish; after each restart every running task is still RUNNING and
// owned by the same executor, tasks that ended while agentd was down
// carry their true exit status, and nothing is duplicated or lost.
func TestKill9RecoveryLoop(t *testing.T) {
	a := startBinaryAgent(t)
	const n = 12
	pids := map[string]int{}
	for i := 0; i < n; i++ {
		ti := a.launch(sh(fmt.Sprintf("long-%02d", i), "sleep 600"))
		pids[ti.ID] = ti.ExecutorPID
	}
	for i := 0; i < n; i++ {
		a.waitState(fmt.Sprintf("long-%02d", i), 20*time.Second, "TASK_RUNNING")
	}
	for round := 0; round < 3; round++ {
		short := fmt.Sprintf("short-%d", round)
		a.launch(sh(short, fmt.Sprintf("sleep 0.5; exit %d", 10+round)))
		a.waitState(short, 20*time.Second, "TASK_RUNNING")
		a.kill9()
		time.Sleep(1500 * time.Millisecond) // the short task ends while agentd is down
		a.restart()
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("long-%02d", i)
			ti := a.task(id, "")
			if ti.State != "TASK_RUNNING" || ti.ExecutorPID != pids[id] {
				t.Fatalf("round %d: %s is %s with executor %d (was %d)\n%s", round, id, ti.State, ti.ExecutorPID, pids[id], a.stderr)
			}
		}
		for r := 0; r <= round; r++ {
			ti := a.task(fmt.Sprintf("short-%d", r), "")
			if ti.State != "TASK_FAILED" || ti.ExitStatus == nil || *ti.ExitStatus != 10+r {
				t.Fatalf("round %d: short-%d = %s exit %v, statuses %+v", round, r, ti.State, ti.ExitStatus, ti.Statuses)
			}
		}
		var list api.TaskList
		_, body := a.do("GET", api.TaskPath, nil)
		json.Unmarshal(body, &list)
		seen := map[string]bool{}
		for _, ti := range list.Tasks {
			if seen[ti.ID] {
				t.Fatalf("task %s listed twice", ti.ID)
			}
			seen[ti.ID] = true
		}
		if len(list.Tasks) != n+round+1 {
			t.Fatalf("round %d: %d tasks, want %d", round, len(list.Tasks), n+round+1)
		}
		st := a.state()
		running := 0
		for _, f := range st.Frameworks {
			for _, e := range f.Executors {
				running += len(e.Tasks)
			}
		}
		if running != n {
			t.Fatalf("round %d: /state shows %d running tasks, want %d", round, running, n)
		}
	}
	// Recovered tasks can still be killed (and are reported KILLED).
	if code, body := a.do("POST", api.TaskPath+"/long-00/kill", nil); code != 202 {
		t.Fatalf("kill: %d %s", code, body)
	}
	if ti := a.waitState("long-00", 20*time.Second, "TASK_KILLED", "TASK_FAILED"); ti.State != "TASK_KILLED" {
		t.Errorf("long-00: %+v", ti)
	}
	// --recover=cleanup: the rest are killed at restart and reported.
	a.kill9()
	a.restart("--recover=cleanup")
	for i := 1; i < n; i++ {
		id := fmt.Sprintf("long-%02d", i)
		if ti := a.waitState(id, 20*time.Second, "TASK_KILLED", "TASK_FAILED", "TASK_LOST"); ti.State == "TASK_RUNNING" {
			t.Errorf("%s still running after --recover=cleanup", id)
		}
	}
	a.task("long-11", "?after=100&timeout=10s")
	if out, _ := exec.Command("pgrep", "-f", "sleep 600").Output(); len(out) > 0 {
		// Other tests may run sleep 600 too: check ours by sandbox path.
		for _, f := range strings.Fields(string(out)) {
			cwd, _ := os.Readlink("/proc/" + f + "/cwd")
			if strings.HasPrefix(cwd, a.dir) {
				t.Errorf("pid %s (sandbox %s) survived --recover=cleanup", f, cwd)
			}
		}
	}
}

// TestTornCheckpointSkipped: with --strict=false a corrupt task checkpoint
// is reported (log line, slave/recovery_errors) and the rest recovers.
func TestTornCheckpointSkipped(t *testing.T) {
	a := startBinaryAgent(t, "--strict=false")
	a.launch(sh("good", "sleep 600"))
	bad := a.launch(sh("bad", "sleep 600"))
	a.waitState("good", 20*time.Second, "TASK_RUNNING")
	a.waitState("bad", 20*time.Second, "TASK_RUNNING")
	a.kill9()
	infos, _ := filepath.Glob(filepath.Join(a.dir, "work", "meta", "slaves", "*", "frameworks", "*", "executors", "bad", "runs", bad.ContainerID, "tasks", "bad", "task.info"))
	if len(infos) != 2 || !strings.Contains(infos[1], "/slaves/latest/") { // the agent ID, then latest → it
		t.Fatalf("task.info of bad: %v", infos)
	}
	b, _ := os.ReadFile(infos[0])
	os.WriteFile(infos[0], b[:len(b)/2], 0o644)
	a.restart()
	if ti := a.task("good", ""); ti.State != "TASK_RUNNING" {
		t.Errorf("good: %+v", ti)
	}
	if log := a.waitLog("task.info"); !strings.Contains(log, "task.info") {
		t.Errorf("no warning naming the corrupt file:\n%s", log)
	}
	_, body := a.do("GET", "/metrics/snapshot", nil)
	if !strings.Contains(string(body), `"slave/recovery_errors":1`) {
		t.Errorf("metrics: %s", body)
	}
	// --strict=true (the default) refuses to start, naming the file.
	a.kill9()
	args := append([]string(nil), a.args...)
	for i, arg := range args {
		if arg == "--strict=false" {
			args[i] = "--strict=true"
		}
	}
	cmd := exec.Command(a.bin, args...)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "task.info") {
		t.Errorf("strict start: %v\n%s", err, out)
	}
}

// TestStandaloneContainers: the v1 operator calls on a standalone container.
func TestStandaloneContainers(t *testing.T) {
	a := startBinaryAgent(t)
	call := func(body string) (int, string) {
		code, out := a.do("POST", "/api/v1", body)
		return code, string(out)
	}
	launch := `{"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"c1"},"command":{"value":"echo hi; exit 4"},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.5}},{"name":"mem","type":"SCALAR","scalar":{"value":64}}]}}`
	if code, out := call(launch); code != 200 {
		t.Fatalf("launch: %d %s", code, out)
	}
	if code, out := call(launch); code != 202 {
		t.Errorf("relaunch: %d %s", code, out)
	}
	code, out := call(`{"type":"WAIT_CONTAINER","wait_container":{"container_id":{"value":"c1"}}}`)
	if code != 200 || out != `{"type":"WAIT_CONTAINER","wait_container":{"exit_status":1024}}` {
		t.Errorf("wait: %d %s", code, out)
	}
	b, _ := os.ReadFile(filepath.Join(a.dir, "work", "containers", "c1", "stdout"))
	if string(b) != "hi\n" {
		t.Errorf("stdout %q", b)
	}
	if code, out := call(`{"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"c2"},"command":{"value":"sleep 600"}}}`); code != 200 {
		t.Fatalf("launch c2: %d %s", code, out)
	}
	if code, out := call(`{"type":"GET_CONTAINERS","get_containers":{"show_standalone":true}}`); code != 200 || !strings.Contains(out, `"c2"`) {
		t.Errorf("get containers: %d %s", code, out)
	}
	if code, out := call(`{"type":"REMOVE_CONTAINER","remove_container":{"container_id":{"value":"c2"}}}`); code != 500 || !strings.Contains(out, "still running") {
		t.Errorf("remove running: %d %s", code, out)
	}
	if code, out := call(`{"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":"c2"},"signal":15}}`); code != 200 {
		t.Errorf("kill: %d %s", code, out)
	}
	if code, out := call(`{"type":"WAIT_CONTAINER","wait_container":{"container_id":{"value":"c2"}}}`); code != 200 || !strings.Contains(out, `"exit_status":15`) {
		t.Errorf("wait c2: %d %s", code, out)
	}
	for _, c := range []string{"c1", "c2"} {
		if code, out := call(`{"type":"REMOVE_CONTAINER","remove_container":{"container_id":{"value":"` + c + `"}}}`); code != 200 {
			t.Errorf("remove %s: %d %s", c, code, out)
		}
	}
	if _, err := os.Stat(filepath.Join(a.dir, "work", "containers", "c1")); !os.IsNotExist(err) {
		t.Errorf("sandbox of c1 not removed: %v", err)
	}
	if code, out := call(`{"type":"WAIT_CONTAINER","wait_container":{"container_id":{"value":"c1"}}}`); code != 404 {
		t.Errorf("wait removed: %d %s", code, out)
	}
}

// TestCgroupsIsolationThroughAgentd: --isolation=cgroups/cpu,cgroups/mem
// puts the task in its cgroups with Mesos' limits, an over-limit task is
// killed and reported with the OOM reason, and the cgroups go away.
func TestCgroupsIsolationThroughAgentd(t *testing.T) {
	a := startBinaryAgent(t, "--isolation=cgroups/cpu,cgroups/mem", "--cgroups_cpu_enable_pids_and_tids_count")
	spec := sh("limited", "sleep 600")
	spec.Resources = api.TaskResources{CPUs: 0.5, Mem: 64}
	a.launch(spec)
	ti := a.waitState("limited", 20*time.Second, "TASK_RUNNING")
	var pt api.ProcessTree
	_, body := a.do("GET", api.ProcessesPath, nil)
	json.Unmarshal(body, &pt)
	var pk *api.ProcessTask
	for _, c := range pt.Agent.Children {
		if c.Task != nil && c.Task.ID == "limited" {
			pk = c.Task
		}
	}
	if pk == nil || pk.MemLimitMB != 96 || pk.CPUShares != 614 || len(pk.CgroupPaths) != 3 { // cpu, cpuacct, memory
		t.Fatalf("limits: %+v\n%s", pk, body)
	}
	// /monitor/statistics: what Mesos' cgroups/cpu (cpu + cpuacct) and
	// cgroups/mem isolators report on v1, in ResourceStatistics' order.
	var mon []struct {
		ExecutorID string                     `json:"executor_id"`
		Statistics map[string]json.RawMessage `json:"statistics"`
	}
	code, body := a.do("GET", "/monitor/statistics", nil)
	if err := json.Unmarshal(body, &mon); code != 200 || err != nil || len(mon) != 1 || mon[0].ExecutorID != "limited" {
		t.Fatalf("/monitor/statistics: %d %v %s", code, err, body)
	}
	want := "timestamp processes threads cpus_user_time_secs cpus_system_time_secs cpus_soft_limit mem_total_bytes " +
		"mem_limit_bytes mem_soft_limit_bytes mem_file_bytes mem_anon_bytes mem_cache_bytes mem_rss_bytes mem_mapped_file_bytes "
	if stat, _ := os.ReadFile("/sys/fs/cgroup/memory/memory.stat"); strings.Contains(string(stat), "total_swap ") {
		want += "mem_swap_bytes " // with the kernel's swap accounting
	}
	want += "mem_unevictable_bytes mem_low_pressure_counter mem_medium_pressure_counter mem_critical_pressure_counter"
	if got := strings.Join(jsonKeys(t, body, "statistics"), " "); got != want {
		t.Errorf("statistics keys\n got %s\nwant %s", got, want)
	}
	var nprocs, nthreads int
	json.Unmarshal(mon[0].Statistics["processes"], &nprocs)
	json.Unmarshal(mon[0].Statistics["threads"], &nthreads)
	if nprocs < 3 || nthreads < nprocs { // launcher, executor, sh/sleep
		t.Errorf("processes %d threads %d", nprocs, nthreads)
	}
	procs, _ := os.ReadFile(filepath.Join("/sys/fs/cgroup/memory", a.cgroups, ti.ContainerID, "cgroup.procs"))
	if len(strings.Fields(string(procs))) < 3 { // launcher, executor, sh/sleep
		t.Errorf("cgroup.procs: %q", procs)
	}
	a.do("POST", api.TaskPath+"/limited/kill", nil)
	a.waitState("limited", 20*time.Second, "TASK_KILLED")
	a.task("limited", "?after=100&timeout=10s")
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/memory", a.cgroups, ti.ContainerID)); !os.IsNotExist(err) {
		t.Errorf("memory cgroup left after the task ended: %v", err)
	}

	hog := sh("hog", "head -c 200000000 /dev/zero | tail > /dev/null")
	hog.Resources = api.TaskResources{CPUs: 0.1, Mem: 32}
	a.launch(hog)
	done := a.waitState("hog", 30*time.Second, "TASK_FAILED", "TASK_FINISHED", "TASK_KILLED")
	last := done.Statuses[len(done.Statuses)-1]
	if done.State != "TASK_FAILED" || last.Reason != "REASON_CONTAINER_LIMITATION_MEMORY" {
		t.Errorf("hog: %s %+v", done.State, last)
	}
}

// TestTaskAPIAuthentication: with --authenticate_http_readwrite, launching
// and killing need credentials; reading does not (readonly not required).
func TestTaskAPIAuthentication(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "creds.json")
	os.WriteFile(creds, []byte(`{"credentials":[{"principal":"ops","secret":"s3cret"}]}`), 0o600)
	a := startBinaryAgent(t, "--authenticate_http_readwrite", "--http_credentials="+creds)
	if code, body := a.do("POST", api.TaskPath, sh("x", "true")); code != 401 || !strings.Contains(string(body), "mesos-agent-readwrite") {
		t.Errorf("unauthenticated launch: %d %s", code, body)
	}
	j, _ := json.Marshal(sh("x", "true"))
	req, _ := http.NewRequest("POST", a.URL+api.TaskPath, bytes.NewReader(j))
	req.SetBasicAuth("ops", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("authenticated launch: %v %v", err, resp)
	}
	resp.Body.Close()
	if code, _ := a.do("GET", api.TaskPath, nil); code != 200 {
		t.Errorf("list without credentials: %d", code)
	}
	if code, _ := a.do("POST", api.TaskPath+"/x/kill", nil); code != 401 {
		t.Errorf("unauthenticated kill: %d", code)
	}
}

// TestGCDelay: with --gc_delay, an ended task's sandbox is removed once it
// is that old, and the task is forgotten; a running task is untouched.
func TestGCDelay(t *testing.T) {
	a := startBinaryAgent(t, "--gc_delay=1secs")
	a.launch(sh("keep", "sleep 600"))
	a.launch(sh("brief", "echo hi"))
	done := a.waitState("brief", 20*time.Second, "TASK_FINISHED")
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := os.Stat(done.Sandbox)
		code, _ := a.do("GET", api.TaskPath+"/brief", nil)
		if os.IsNotExist(err) && code == 404 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox of brief still there (%v), task answers %d\n%s", err, code, a.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if ti := a.task("keep", ""); ti.State != "TASK_RUNNING" {
		t.Errorf("keep: %+v", ti)
	}
	if log := a.waitLog("Garbage collected task brief"); !strings.Contains(log, "Garbage collected task brief") {
		t.Errorf("no GC log line:\n%s", log)
	}
}

// TestGCDiskHeadroom: the disk check every --disk_watch_interval prunes
// ended sandboxes older than gc_delay * max(0, 1 - gc_disk_headroom -
// usage), long before --gc_delay: with a headroom of 1.0 that age is 0, so
// the first check after a task ends removes its sandbox (gc_delay is a
// week). With no headroom, the age is the disk's free share of a week, and
// nothing young is pruned.
func TestGCDiskHeadroom(t *testing.T) {
	a := startBinaryAgent(t, "--gc_delay=1weeks", "--gc_disk_headroom=1.0", "--disk_watch_interval=2secs")
	a.launch(sh("brief", "echo hi"))
	done := a.waitState("brief", 20*time.Second, "TASK_FINISHED")
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, err := os.Stat(done.Sandbox)
		if code, _ := a.do("GET", api.TaskPath+"/brief", nil); os.IsNotExist(err) && code == 404 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox of brief still there a week before --gc_delay (%v)\n%s", err, a.stderr)
		}
	}
	log := a.waitLog("Max allowed age: 0ns")
	if !regexp.MustCompile(`Current disk usage \d+\.\d\d%\. Max allowed age: 0ns`).MatchString(log) {
		t.Errorf("no disk check log line:\n%s", log)
	}
	var m map[string]float64
	if code, body := a.do("GET", "/metrics/snapshot", nil); code != 200 || json.Unmarshal(body, &m) != nil ||
		m["slave/executor_directory_max_allowed_age_secs"] != 0 || m["gc/path_removals_succeeded"] != 2 {
		t.Errorf("metrics: %d max age %v removals %v", code, m["slave/executor_directory_max_allowed_age_secs"], m["gc/path_removals_succeeded"])
	}

	b := startBinaryAgent(t, "--gc_delay=1weeks", "--gc_disk_headroom=0", "--disk_watch_interval=1secs")
	b.launch(sh("stays", "echo hi"))
	kept := b.waitState("stays", 20*time.Second, "TASK_FINISHED")
	b.waitLog("Current disk usage")
	time.Sleep(2500 * time.Millisecond) // two more checks
	if _, err := os.Stat(kept.Sandbox); err != nil {
		t.Errorf("sandbox pruned with no headroom: %v", err)
	}
	usage, err := runtime.DiskUsage(b.workDir())
	if err != nil {
		t.Fatal(err)
	}
	want := (7 * 24 * time.Hour).Seconds() * (1 - usage)
	var m2 map[string]float64
	if _, body := b.do("GET", "/metrics/snapshot", nil); json.Unmarshal(body, &m2) != nil ||
		math.Abs(m2["slave/executor_directory_max_allowed_age_secs"]-want) > 0.01*want+1 {
		t.Errorf("max allowed age %v, want about %v (usage %.4f)", m2["slave/executor_directory_max_allowed_age_secs"], want, usage)
	}
}

// jsonKeys returns the keys of the object under key in the first element
// of the JSON array body, in the order they are written.
func jsonKeys(t *testing.T, body []byte, key string) []string {
	t.Helper()
	var arr []map[string]json.RawMessage
	if err := json.Unmarshal(body, &arr); err != nil || len(arr) == 0 {
		t.Fatalf("not a JSON array of objects: %v %s", err, body)
	}
	dec := json.NewDecoder(bytes.NewReader(arr[0][key]))
	dec.Token()
	var keys []string
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var v any
		dec.Decode(&v)
	}
	return keys
}
