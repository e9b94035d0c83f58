package runtime

import (
	"fmt"
	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/mesos"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/cgroups"
	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/agentd/executor"
	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/procfs"
)

// The test binary doubles as the multi-call binary: the runtime execs it
// as `<exe> containerizer launch …` and `<exe> executor …`.
func TestMain(m *testing.M) {
	if len(os.Args) > 3 && os.Args[1] == "containerizer" && os.Args[2] == "launch" && launcher.IsWarm() {
		os.Exit(launcher.RunWarm(strings.TrimPrefix(os.Args[3], "--launch_info=")))
	}
	if len(os.Args) > 2 && os.Args[1] == "executor" && launcher.IsWarm() {
		i, sigs, err := executor.AwaitWarm(strings.TrimPrefix(os.Args[2], "--launch_info="))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if os.Getenv("MESOSCTL_TEST_SILENT_EXECUTOR") == "1" {
			time.Sleep(time.Hour) // as below, for a pre-started executor
		}
		os.Exit(executor.RunAfterGo(i, sigs))
	}
	if len(os.Args) > 2 && os.Args[1] == "containerizer" && os.Args[2] == "launch" {
		i, err := launcher.Load(strings.TrimPrefix(os.Args[3], "--launch_info="))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(launcher.Run(i))
	}
	if len(os.Args) > 1 && os.Args[1] == "listen" {
		// A task that listens on a TCP port (TestNetworkPortsEnforced).
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			os.Exit(1)
		}
		defer l.Close()
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	if len(os.Args) > 1 && os.Args[1] == "executor" && os.Getenv("MESOSCTL_TEST_SILENT_EXECUTOR") == "1" {
		// An executor that never reports (TestExecutorRegistrationTimeout).
		time.Sleep(time.Hour)
	}
	if len(os.Args) > 1 && os.Args[1] == "executor" {
		i, err := launcher.Load(strings.TrimPrefix(os.Args[2], "--launch_info="))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(executor.Run(i))
	}
	os.Exit(m.Run())
}

type env struct {
	cfg Config
}

func newEnv(t *testing.T, iso string) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("starts containers (root, cgroups, namespaces): not with -short (make unit)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("these tests need root (cgroups, setsid, pid namespaces)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	return &env{cfg: Config{WorkDir: filepath.Join(dir, "work"), RuntimeDir: filepath.Join(dir, "run"), AgentID: "agent-S0",
		Executable: exe, Isolation: NormalizeIsolation(iso), CgroupsHierarchy: "/sys/fs/cgroup",
		CgroupsRoot: "mesosctl-test-" + NewID()[:8], GracePeriod: 300 * time.Millisecond, Recover: "reconnect",
		Total: mesos.Scalars(64, 64000, 1000), WarmLaunchers: 2}}
}

func (e *env) start(t *testing.T) *Runtime {
	t.Helper()
	r := New(e.cfg)
	if err := r.Recover(); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Shutdown(10 * time.Second); err != nil {
			t.Error(err)
		}
		for _, c := range []string{"cpu", "cpuacct", "memory", "pids"} {
			os.Remove(filepath.Join(e.cfg.CgroupsHierarchy, c, e.cfg.CgroupsRoot))
		}
		os.Remove(filepath.Join(e.cfg.CgroupsHierarchy, e.cfg.CgroupsRoot))
	})
	return r
}

func waitState(t *testing.T, r *Runtime, tid, state string, d time.Duration) Task {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		tk, err := r.Get(tid)
		if err != nil {
			t.Fatal(err)
		}
		if tk.State == state {
			return tk
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s: state %s, want %s; statuses %+v", tid, tk.State, state, tk.Statuses)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func states(tk Task) string {
	var s []string
	for _, st := range tk.Statuses {
		s = append(s, st.State)
	}
	return strings.Join(s, ",")
}

func last(tk Task) checkpoint.Status { return tk.Statuses[len(tk.Statuses)-1] }

func TestProcessTreeAndKill(t *testing.T) {
	e := newEnv(t, "process")
	r := e.start(t)
	if _, err := r.Launch(TaskSpec{TaskID: "sleeper", Command: "sleep 30; true", Resources: api.TaskResources{CPUs: 0.5, Mem: 64}}); err != nil {
		t.Fatal(err)
	}
	waitState(t, r, "sleeper", checkpoint.TaskRunning, 30*time.Second)
	_, pid, _, _ := r.containerOf("sleeper")
	// agentd (this process) → containerizer launch → executor → sh → sleep
	st, _ := procfs.ReadStat(pid)
	if st.PPID != os.Getpid() || st.Session != pid {
		t.Fatalf("launcher %d: ppid %d session %d, want ppid %d and own session", pid, st.PPID, st.Session, os.Getpid())
	}
	var chain [][]string
	p := pid
	for i := 0; i < 4; i++ {
		chain = append(chain, procfs.Cmdline(p))
		var kids []int
		for d := time.Now().Add(2 * time.Second); time.Now().Before(d); time.Sleep(10 * time.Millisecond) {
			if kids = procfs.Children(p); len(kids) > 0 || i == 3 {
				break
			}
		}
		if i < 3 {
			if len(kids) != 1 {
				t.Fatalf("level %d (%v): children %v", i, chain[i], kids)
			}
			p = kids[0]
		}
	}
	want := [][]string{{"containerizer", "launch"}, {"executor"}, {"/bin/sh", "-c", "sleep 30; true"}, {"sleep", "30"}}
	for i, w := range want {
		got := strings.Join(chain[i], " ")
		if !strings.Contains(got, strings.Join(w, " ")) {
			t.Fatalf("level %d: %q, want it to contain %q", i+1, got, w)
		}
	}
	tree := procfs.Tree(pid)
	if err := r.Kill("sleeper"); err != nil {
		t.Fatal(err)
	}
	tk := waitState(t, r, "sleeper", checkpoint.TaskKilled, 30*time.Second)
	if states(tk) != "TASK_STARTING,TASK_RUNNING,TASK_KILLED" {
		t.Fatalf("statuses %s", states(tk))
	}
	if m := last(tk).Message; m != "Command terminated with signal Terminated" {
		t.Fatalf("message %q", m)
	}
	r.Wait("sleeper", 30*time.Second)
	for _, p := range tree {
		if procfs.Alive(p, 0) {
			t.Fatalf("process %d (%v) left behind", p, procfs.Cmdline(p))
		}
	}
	if a := r.Allocated(); a.Scalar("cpus") > 1e-9 || a.Scalar("mem") > 1e-9 {
		t.Fatalf("allocated after finish: %+v", a)
	}
}

func TestExitStatuses(t *testing.T) {
	e := newEnv(t, "posix/cpu,posix/mem")
	r := e.start(t)
	for _, c := range []struct{ id, cmd, state, msg string }{
		{"ok", "echo hello", checkpoint.TaskFinished, "Command exited with status 0"},
		{"bad", "exit 3", checkpoint.TaskFailed, "Command exited with status 3"},
		{"sig", "kill -9 $$", checkpoint.TaskFailed, "Command terminated with signal Killed"},
	} {
		if _, err := r.Launch(TaskSpec{TaskID: c.id, Command: c.cmd, Resources: api.TaskResources{CPUs: 0.1, Mem: 32}}); err != nil {
			t.Fatal(err)
		}
		tk, _ := r.Wait(c.id, 10*time.Second)
		if tk.State != c.state || last(tk).Message != c.msg || states(tk) != "TASK_STARTING,TASK_RUNNING,"+c.state {
			t.Errorf("%s: %s %q (%s), want %s %q", c.id, tk.State, last(tk).Message, states(tk), c.state, c.msg)
		}
	}
	cid, _, _, _ := r.containerOf("ok")
	out, _ := os.ReadFile(filepath.Join(r.paths.Sandbox(e.cfg.AgentID+"-mesosctl", "ok", cid), "stdout"))
	if string(out) != "hello\n" {
		t.Fatalf("sandbox stdout %q", out)
	}
	if _, err := os.Stat(r.paths.Sentinel(e.cfg.AgentID+"-mesosctl", "ok", cid)); err != nil {
		t.Fatalf("no executor.sentinel: %v", err)
	}
}

func TestInsufficientResourcesRaceFree(t *testing.T) {
	e := newEnv(t, "posix/cpu")
	e.cfg.Total = mesos.Scalars(1, 4000, 0)
	r := e.start(t)
	_, err := r.Launch(TaskSpec{TaskID: "big", Command: "true", Resources: api.TaskResources{CPUs: 1, Mem: 128}})
	if err == nil || err.Error() != "insufficient resources on agent: need cpus 1.1, mem 160; free cpus 1, mem 4000" {
		t.Fatalf("err = %v", err)
	}
	var mu sync.Mutex
	ok := 0
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if _, err := r.Launch(TaskSpec{TaskID: fmt.Sprintf("t%d", i), Command: "sleep 30", Resources: api.TaskResources{CPUs: 0.2, Mem: 10}}); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if ok != 3 { // 0.3 cpus each with executor overhead
		t.Fatalf("%d launches accepted, want 3; allocated %+v", ok, r.Allocated())
	}
}

func TestCgroupsV1Limits(t *testing.T) {
	e := newEnv(t, "cgroups,cgroups/pids")
	e.cfg.CgroupsEnableCFS = true
	r := e.start(t)
	if _, err := r.Launch(TaskSpec{TaskID: "cg", Command: "sleep 30", Resources: api.TaskResources{CPUs: 0.5, Mem: 100}, PidsMax: 50}); err != nil {
		t.Fatal(err)
	}
	waitState(t, r, "cg", checkpoint.TaskRunning, 30*time.Second)
	cid, pid, g, _ := r.containerOf("cg")
	base := func(c string) string { return filepath.Join("/sys/fs/cgroup", c, e.cfg.CgroupsRoot, cid) }
	for file, want := range map[string]string{
		base("cpu") + "/cpu.shares":                    "614",
		base("cpu") + "/cpu.cfs_quota_us":              "60000",
		base("cpu") + "/cpu.cfs_period_us":             "100000",
		base("memory") + "/memory.limit_in_bytes":      fmt.Sprint(132 * 1024 * 1024),
		base("memory") + "/memory.soft_limit_in_bytes": fmt.Sprint(132 * 1024 * 1024),
		base("pids") + "/pids.max":                     "50",
	} {
		b, err := os.ReadFile(file)
		if err != nil || strings.TrimSpace(string(b)) != want {
			t.Errorf("%s = %q (%v), want %s", file, b, err, want)
		}
	}
	// The tree is read before the cgroup: a process forked in between is in
	// the cgroup by inheritance. A process that has exited since (a zombie
	// not yet reaped, which cgroup v1 no longer lists) is not a leak.
	tree := procfs.Tree(pid)
	procs := g.Procs()
	for _, p := range tree {
		found := false
		for _, q := range procs {
			found = found || q == p
		}
		if !found && procfs.Alive(p, 0) {
			t.Errorf("process %d (%v) is not in the container cgroup %v", p, procfs.Cmdline(p), procs)
		}
	}
	r.Kill("cg")
	r.Wait("cg", 10*time.Second)
	if g.Exists() {
		t.Fatalf("cgroups of %s left behind: %v", cid, g.Dirs)
	}
}

// TestCgroupsV2Refused: on this machine's v2 mount pids (like cpu and
// memory) is bound to v1: cgroups/pids cannot be applied there, so the
// runtime refuses to start and every launch fails, naming the controller;
// no task runs without the limit it asked for.
func TestCgroupsV2Refused(t *testing.T) {
	e := newEnv(t, "cgroups/pids")
	e.cfg.CgroupsHierarchy = "/sys/fs/cgroup/unified"
	r := e.start(t)
	if _, err := r.PrepareIsolation(); err == nil || !strings.Contains(err.Error(), "cgroup controller pids is not available in the cgroup v2 hierarchy") {
		t.Fatalf("prepare: %v", err)
	}
	_, err := r.Launch(TaskSpec{TaskID: "v2", Command: "sleep 30", Resources: api.TaskResources{CPUs: 0.1, Mem: 32}})
	if err == nil || !strings.Contains(err.Error(), "pids is not available") {
		t.Fatalf("launch: %v", err)
	}
	if _, err := r.Get("v2"); err == nil {
		t.Fatal("the refused task exists")
	}
}

// v2 is the cgroup v2 mount of the test machine.
const v2 = "/sys/fs/cgroup/unified"

// startV2 starts a runtime whose containers get cgroups on the v2 mount.
// That mount offers only hugetlb, which stands in for the controllers
// agentd limits (set directly: no isolator maps to it); hugetlb is taken
// out of the root's subtree_control again afterwards if it was not there.
func startV2(t *testing.T) (*env, *Runtime) {
	before, _ := os.ReadFile(filepath.Join(v2, "cgroup.subtree_control"))
	t.Cleanup(func() { // after the runtime's cleanup (which removes its root)
		if !strings.Contains(string(before), "hugetlb") {
			os.WriteFile(filepath.Join(v2, "cgroup.subtree_control"), []byte("-hugetlb"), 0o644)
		}
	})
	e := newEnv(t, "posix/cpu")
	e.cfg.CgroupsHierarchy = v2
	r := e.start(t)
	r.mu.Lock()
	r.ctrls, r.prepared = []string{"hugetlb"}, true
	r.mu.Unlock()
	return e, r
}

// TestCgroupsV2BornInCgroup: on v2 the launcher is born in the container's
// cgroup (clone into a cgroup fd), so nothing of the container ever runs
// outside it. The v2 mount here offers only hugetlb, which stands in for
// the controllers agentd limits (set directly: no isolator maps to it).
func TestCgroupsV2BornInCgroup(t *testing.T) {
	e, r := startV2(t)
	if _, err := r.Launch(TaskSpec{TaskID: "v2", Command: "sleep 30", Resources: api.TaskResources{CPUs: 0.1, Mem: 32}}); err != nil {
		t.Fatal(err)
	}
	waitState(t, r, "v2", checkpoint.TaskRunning, 30*time.Second)
	cid, pid, g, _ := r.containerOf("v2")
	if !g.V2 || g.Dirs[""] != filepath.Join(v2, e.cfg.CgroupsRoot, cid) {
		t.Fatalf("group %+v", g)
	}
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if !strings.Contains(string(b), "0::/"+e.cfg.CgroupsRoot+"/"+cid) {
		t.Fatalf("launcher not born in the v2 cgroup: %s", b)
	}
	killV2(t, r, g)
}

// killV2 checks that task "v2" runs its launcher, executor and command
// in the v2 group g, kills it, and checks that g goes with it.
func killV2(t *testing.T, r *Runtime, g *cgroups.Group) {
	t.Helper()
	if n := len(g.Procs()); n < 3 { // launcher, executor, sh/sleep
		t.Errorf("%d processes in the v2 cgroup", n)
	}
	r.Kill("v2")
	r.Wait("v2", 10*time.Second)
	if g.Exists() {
		t.Fatal("v2 cgroup left behind")
	}
}

// TestCgroupsV2WarmMigrated: a pre-started pair (started outside any
// container) is moved into the container's v2 cgroup, launcher and
// executor, before the task is forked: the task is born inside it.
func TestCgroupsV2WarmMigrated(t *testing.T) {
	e, r := startV2(t)
	// Pairs are started from the first launch on.
	if _, err := r.Launch(TaskSpec{TaskID: "first", Command: "true", Resources: api.TaskResources{CPUs: 0.1, Mem: 32}}); err != nil {
		t.Fatal(err)
	}
	waitState(t, r, "first", checkpoint.TaskFinished, 30*time.Second)
	var idle map[int]bool
	for deadline := time.Now().Add(30 * time.Second); len(idle) < 2; time.Sleep(20 * time.Millisecond) {
		if idle = r.warmPIDs(); time.Now().After(deadline) {
			t.Fatalf("idle pairs %v", idle)
		}
	}
	if _, err := r.Launch(TaskSpec{TaskID: "v2", Command: "sleep 30", Resources: api.TaskResources{CPUs: 0.1, Mem: 32}}); err != nil {
		t.Fatal(err)
	}
	waitState(t, r, "v2", checkpoint.TaskRunning, 30*time.Second)
	cid, pid, g, _ := r.containerOf("v2")
	if !idle[pid] {
		t.Fatalf("launcher %d is none of the idle pairs %v", pid, idle)
	}
	procs := append([]int{pid}, procfs.Children(pid)...)
	if len(procs) != 2 {
		t.Fatalf("launcher %d's children: %v", pid, procs[1:])
	}
	for _, p := range procs {
		if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", p)); !strings.Contains(string(b), "0::/"+e.cfg.CgroupsRoot+"/"+cid+"\n") {
			t.Errorf("pid %d not in the v2 cgroup: %s", p, b)
		}
	}
	killV2(t, r, g)
}

func TestOOMKilled(t *testing.T) {
	e := newEnv(t, "cgroups/mem")
	r := e.start(t)
	if _, err := r.Launch(TaskSpec{TaskID: "hog", Command: "head -c 1000000000 /dev/zero | tail", Resources: api.TaskResources{CPUs: 0.1, Mem: 32}}); err != nil {
		t.Fatal(err)
	}
	tk, _ := r.Wait("hog", 30*time.Second)
	l := last(tk)
	if tk.State != checkpoint.TaskFailed || l.Reason != "REASON_CONTAINER_LIMITATION_MEMORY" || !strings.Contains(l.Message, "Memory limit exceeded") {
		t.Fatalf("got %s %s %q", tk.State, l.Reason, l.Message)
	}
}

func TestGracePeriod(t *testing.T) {
	e := newEnv(t, "posix/cpu")
	e.cfg.GracePeriod = 700 * time.Millisecond
	r := e.start(t)
	if _, err := r.Launch(TaskSpec{TaskID: "trap", Command: `trap 'echo TERM > term' TERM; touch trapped; while :; do sleep 0.05; done`, Resources: api.TaskResources{CPUs: 0.1, Mem: 32}}); err != nil {
		t.Fatal(err)
	}
	waitState(t, r, "trap", checkpoint.TaskRunning, 30*time.Second)
	// TASK_RUNNING can come before the shell has set its trap: wait for it.
	cid, _, _, _ := r.containerOf("trap")
	sandbox := r.paths.Sandbox(e.cfg.AgentID+"-mesosctl", "trap", cid)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(sandbox, "trapped")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the task's shell did not set its trap within 30s")
		}
	}
	t0 := time.Now()
	r.Kill("trap")
	tk, _ := r.Wait("trap", 30*time.Second)
	took := time.Since(t0)
	if tk.State != checkpoint.TaskKilled || last(tk).Message != "Command terminated with signal Killed" {
		t.Fatalf("got %s %q", tk.State, last(tk).Message)
	}
	if took < e.cfg.GracePeriod {
		t.Fatalf("killed after %v, before the %v grace period", took, e.cfg.GracePeriod)
	}
	if b, _ := os.ReadFile(filepath.Join(sandbox, "term")); string(b) != "TERM\n" {
		t.Fatalf("task did not receive SIGTERM first (term file %q)", b)
	}
}

func TestPidNamespace(t *testing.T) {
	e := newEnv(t, "posix/cpu,namespaces/pid")
	r := e.start(t)
	r.Launch(TaskSpec{TaskID: "ns", Command: "echo $$", Resources: api.TaskResources{CPUs: 0.1, Mem: 32}})
	r.Wait("ns", 10*time.Second)
	cid, _, _, _ := r.containerOf("ns")
	if b, _ := os.ReadFile(filepath.Join(r.paths.Sandbox(e.cfg.AgentID+"-mesosctl", "ns", cid), "stdout")); string(b) != "1\n" {
		t.Fatalf("task pid in its namespace = %q, want 1", b)
	}
}

// TestCompletedTasksPruned: only the newest MaxCompleted ended tasks per
// framework stay in memory (live ones always do), also after recovery.
func TestCompletedTasksPruned(t *testing.T) {
	e := newEnv(t, "posix/cpu,posix/mem")
	e.cfg.MaxCompleted = 3
	r := e.start(t)
	if _, err := r.Launch(TaskSpec{TaskID: "live", Command: "sleep 60", Resources: api.TaskResources{CPUs: 0.1, Mem: 16}}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		id := fmt.Sprintf("done-%d", i)
		if _, err := r.Launch(TaskSpec{TaskID: id, Command: "true", Resources: api.TaskResources{CPUs: 0.1, Mem: 16}}); err != nil {
			t.Fatal(err)
		}
		if task, _ := r.Wait(id, 20*time.Second); task.State != "TASK_FINISHED" {
			t.Fatalf("%s: %+v", id, task)
		}
	}
	ids := func(r *Runtime) string {
		var out []string
		for _, v := range r.Views() {
			out = append(out, v.Task.ID)
		}
		return strings.Join(out, ",")
	}
	if got := ids(r); got != "live,done-2,done-3,done-4" {
		t.Errorf("kept %s", got)
	}
	if err := r.Kill("live"); err != nil {
		t.Fatal(err)
	}
	r.Wait("live", 20*time.Second)
	if got := ids(r); got != "done-2,done-3,done-4" {
		t.Errorf("kept after live ended: %s", got)
	}
	r.Close()
	r2 := New(e.cfg)
	if err := r2.Recover(); err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if got := ids(r2); got != "done-2,done-3,done-4" {
		t.Errorf("kept after recovery: %s", got)
	}
}

// TestGarbageCollection: an ended task's sandbox, checkpoint and runtime
// dir go once older than GCDelay; a live task and a younger one stay.
func TestGarbageCollection(t *testing.T) {
	e := newEnv(t, "posix/cpu,posix/mem")
	e.cfg.GCDelay = time.Hour
	r := e.start(t)
	for _, id := range []string{"old", "young"} {
		if _, err := r.Launch(TaskSpec{TaskID: id, Command: "echo hi", Resources: api.TaskResources{CPUs: 0.1, Mem: 16}}); err != nil {
			t.Fatal(err)
		}
		r.Wait(id, 20*time.Second)
	}
	if _, err := r.Launch(TaskSpec{TaskID: "live", Command: "sleep 60", Resources: api.TaskResources{CPUs: 0.1, Mem: 16}}); err != nil {
		t.Fatal(err)
	}
	old, _ := r.ViewOf("old")
	young, _ := r.ViewOf("young")
	r.mu.Lock()
	r.containers["old"].endedAt = time.Now().Add(-2 * time.Hour)
	r.mu.Unlock()
	if n := r.GC(time.Now()); n != 1 {
		t.Fatalf("GC removed %d runs, want 1", n)
	}
	if _, err := os.Stat(old.Sandbox); !os.IsNotExist(err) {
		t.Errorf("old sandbox still there: %v", err)
	}
	execMeta := r.paths.ExecutorMeta(old.Task.FrameworkID, "old")
	if _, err := os.Stat(execMeta); !os.IsNotExist(err) {
		t.Errorf("old executor checkpoint still there: %v", err)
	}
	if _, err := os.Stat(r.paths.Runtime(old.ContainerID)); !os.IsNotExist(err) {
		t.Errorf("old runtime dir still there: %v", err)
	}
	if _, err := r.ViewOf("old"); err == nil {
		t.Error("old task still listed")
	}
	if _, err := os.Stat(young.Sandbox + "/stdout"); err != nil {
		t.Errorf("young sandbox removed: %v", err)
	}
	if _, err := r.ViewOf("live"); err != nil {
		t.Errorf("live task gone: %v", err)
	}
	if _, err := os.Stat(r.paths.FrameworkInfo(old.Task.FrameworkID)); err != nil {
		t.Errorf("framework checkpoint removed: %v", err)
	}
}

// An executor that does not report within --executor_registration_timeout
// is destroyed and its task fails as Mesos fails it.
func TestExecutorRegistrationTimeout(t *testing.T) {
	e := newEnv(t, "posix/cpu,posix/mem")
	e.cfg.ExecutorRegistrationTimeout = 1500 * time.Millisecond
	e.cfg.AgentEnv = map[string]string{"MESOSCTL_TEST_SILENT_EXECUTOR": "1"}
	r := e.start(t)
	if _, err := r.Launch(TaskSpec{TaskID: "silent", Command: "sleep 60", Resources: api.TaskResources{CPUs: 0.1, Mem: 32}}); err != nil {
		t.Fatal(err)
	}
	tk := waitState(t, r, "silent", checkpoint.TaskFailed, 30*time.Second)
	if st := last(tk); st.Reason != "REASON_EXECUTOR_REGISTRATION_TIMEOUT" || st.Message != "Executor did not register within 1500ms" ||
		st.Source != "SOURCE_AGENT" || states(tk) != "TASK_FAILED" {
		t.Errorf("statuses %s, last %+v", states(tk), st)
	}
}

// With network/ports and --enforce_container_ports, a task listening on a
// port it was not allocated is destroyed, as Mesos' isolator does.
func TestNetworkPortsEnforced(t *testing.T) {
	e := newEnv(t, "posix/cpu,posix/mem,network/ports")
	e.cfg.Ports = PortsConfig{Enforce: true, WatchInterval: 200 * time.Millisecond}
	r := e.start(t)
	if _, err := r.Launch(TaskSpec{TaskID: "listener", Command: "exec " + e.cfg.Executable + " listen",
		Resources: api.TaskResources{CPUs: 0.1, Mem: 32}}); err != nil {
		t.Fatal(err)
	}
	tk := waitState(t, r, "listener", checkpoint.TaskFailed, 30*time.Second)
	if st := last(tk); st.Reason != "REASON_CONTAINER_LIMITATION" || !strings.HasPrefix(st.Message, "Container ") ||
		!strings.Contains(st.Message, " is listening on unallocated port(s): [") {
		t.Errorf("last status %+v", st)
	}
}
