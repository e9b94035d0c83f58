package orphans

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// local runs a script with this machine's sh, as the SSH func does on a
// node.
func local(ctx context.Context, script string) ([]byte, error) {
	return exec.CommandContext(ctx, "sh", "-c", script).Output()
}

// start runs a process with the given environment (a stand-in for an
// executor: only its command line, environment and children matter to the
// scripts) and returns its pid; the test kills it if the scripts did not.
func start(t *testing.T, env []string, args ...string) int {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go cmd.Wait()
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	return cmd.Process.Pid
}

// TestScanAndKill: a work_dir whose latest points at a new agent ID, with a
// live run of the old ID (found through work_dir, with its tasks), a
// finished run and a run of the current ID (not orphans), and a process
// that only its environment ties to an old agent (found through /proc,
// its top process only); then Kill ends the trees.
func TestScanAndKill(t *testing.T) {
	w := t.TempDir()
	oldID, newID := "i17old-S0", "i17new-S1"
	cid := "c0ffee00-1717-4717-8717-171717171717"
	pid := start(t, []string{"MESOS_EXECUTOR_ID=exec1", "MESOS_SLAVE_ID=" + oldID},
		"sh", "-c", "sleep 1717 & sleep 1718; : "+cid)
	run := func(aid, eid, c string, pid int, sentinel bool, tasks ...string) {
		dir := filepath.Join(w, "meta", "slaves", aid, "frameworks", "fw1", "executors", eid, "runs", c)
		os.MkdirAll(filepath.Join(dir, "pids"), 0o755)
		os.WriteFile(filepath.Join(dir, "pids", "forked.pid"), []byte(strconv.Itoa(pid)+"\n"), 0o644)
		for _, tid := range tasks {
			os.MkdirAll(filepath.Join(dir, "tasks", tid), 0o755)
		}
		if sentinel {
			os.WriteFile(filepath.Join(dir, "executor.sentinel"), nil, 0o644)
		}
		os.Symlink(c, filepath.Join(filepath.Dir(dir), "latest"))
	}
	run(oldID, "exec1", cid, pid, false, "task1")
	run(oldID, "exec2", "done-cid", pid, true, "task2")     // finished
	run(newID, "exec3", "current-cid", pid, false, "task3") // the current agent's
	run(oldID, "exec4", "recycled-cid", os.Getpid(), false) // a pid that is not this run's
	os.Symlink(newID, filepath.Join(w, "meta", "slaves", "latest"))
	procOnly := start(t, []string{"MESOS_EXECUTOR_ID=exec5", "MESOS_SLAVE_ID=i17gone-S7", "MESOS_FRAMEWORK_ID=fw2"},
		"sh", "-c", "sleep 1719; :")
	// A pre-started command executor (agentd's --mesosctl_warm_launchers):
	// its own environment has no MESOS_*, its task's has; the scan names
	// the executor, and the container from its launch info path.
	warm := start(t, nil, "sh", "-c", "MESOS_EXECUTOR_ID=exec6 MESOS_SLAVE_ID=i17gone-S8 MESOS_FRAMEWORK_ID=fw3 sh -c 'sleep 1720; :'; :",
		"executor", "--launch_info=/var/run/mesos/containers/warm-cid/launch_info")

	var s *Scan
	var err error
	// sh -c 'sleep 1717 & sleep 1718; …' may not have forked yet.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if s, err = Find(context.Background(), local, "node1", w+"/"); err != nil {
			t.Fatal(err)
		}
		if len(mine(s)) == 3 || time.Now().After(deadline) {
			break
		}
	}
	if s.CurrentAgentID != newID {
		t.Errorf("current agent ID %q", s.CurrentAgentID)
	}
	got := mine(s)
	if len(got) != 3 {
		t.Fatalf("found %+v", got)
	}
	e1, e5, e6 := got[0], got[1], got[2]
	if e1.Found != "work_dir" || e1.AgentID != oldID || e1.FrameworkID != "fw1" || e1.ContainerID != cid || e1.PID != pid ||
		!slices.Equal(e1.Tasks, []string{"task1"}) || !e1.Names("task1") || !e1.Names("exec1") || e1.Names("task2") {
		t.Errorf("work_dir executor: %+v", e1)
	}
	if e5.Found != "proc" || e5.AgentID != "i17gone-S7" || e5.FrameworkID != "fw2" || e5.PID != procOnly || len(e5.Tasks) != 0 {
		t.Errorf("proc executor: %+v (want pid %d, the top process)", e5, procOnly)
	}
	if e6.Found != "proc" || e6.AgentID != "i17gone-S8" || e6.ExecutorID != "exec6" || e6.PID != warm || e6.ContainerID != "warm-cid" {
		t.Errorf("pre-started executor: %+v (want pid %d, the executor, and container warm-cid)", e6, warm)
	}

	n, err := Kill(context.Background(), local, got, 2*time.Second)
	if err != nil || n < 7 { // sh + 2 sleeps, sh + sleep, sh + sh + sleep
		t.Fatalf("Kill: %d, %v", n, err)
	}
	for _, p := range []int{pid, procOnly, warm} {
		for deadline := time.Now().Add(15 * time.Second); syscall.Kill(p, 0) == nil; time.Sleep(20 * time.Millisecond) {
			if b, _ := os.ReadFile("/proc/" + strconv.Itoa(p) + "/stat"); len(b) > 0 && isZombie(b) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("pid %d still alive", p)
			}
		}
	}
	s, _ = Find(context.Background(), local, "node1", w)
	if left := mine(s); len(left) != 0 {
		t.Errorf("still found after Kill: %+v", left)
	}
}

// mine keeps this test's executors (other tests on the machine may run
// processes with MESOS_* environments too).
func mine(s *Scan) []Executor {
	var out []Executor
	for _, e := range s.Executors {
		if e.AgentID == "i17old-S0" || e.AgentID == "i17gone-S7" || e.AgentID == "i17gone-S8" {
			out = append(out, e)
		}
	}
	// i17old-S0 (work_dir), then i17gone-S7 and -S8 (proc)
	order := []string{"i17old-S0", "i17gone-S7", "i17gone-S8"}
	slices.SortFunc(out, func(a, b Executor) int { return slices.Index(order, a.AgentID) - slices.Index(order, b.AgentID) })
	return out
}

func isZombie(stat []byte) bool {
	s := string(stat)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ')' {
			return len(s) > i+2 && s[i+2] == 'Z'
		}
	}
	return false
}

func TestParseScan(t *testing.T) {
	s, err := ParseScan("n", []byte("agent\tA-S1\nexecutor\twork_dir\tA-S0\tF\tE\tC\t42\ntask\tC\tt1\ntask\tC\tt2\nexecutor\tproc\tB-S0\tF\tE2\t-\t43\n"))
	if err != nil || s.CurrentAgentID != "A-S1" || len(s.Executors) != 2 || !slices.Equal(s.Executors[0].Tasks, []string{"t1", "t2"}) ||
		s.Executors[1].ContainerID != "" || s.Executors[1].PID != 43 {
		t.Fatalf("%+v %v", s, err)
	}
	for _, bad := range []string{"", "agent\tA\nexecutor\tx\n", "agent\tA\nexecutor\twork_dir\tA\tF\tE\tC\tpid\n"} {
		if _, err := ParseScan("n", []byte(bad)); err == nil {
			t.Errorf("ParseScan(%q) accepted", bad)
		}
	}
}
