package agentd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

// orphanSetup runs agentd with cgroup isolation and three tasks (one of
// which leaves a daemon that double-forked out of its tree), kills agentd
// with -9 and clears meta/slaves/latest, as `agent clear-latest --force`
// does. One container is then findable only by its runtime directory, one
// only by the old agent ID's checkpoint in work_dir (its runtime
// directory removed), one only in /proc (runtime directory and checkpoint
// removed). It returns the old agent ID and the containers' tasks.
func orphanSetup(t *testing.T, isolation string, extra ...string) (a *agentProc, oldID string, tasks map[string]api.TaskInfo) {
	t.Helper()
	a = startBinaryAgent(t, append([]string{"--isolation=" + isolation}, extra...)...)
	cgroups := strings.Contains(isolation, "cgroups/")
	tasks = map[string]api.TaskInfo{}
	for id, cmd := range map[string]string{
		"by-runtime-dir": "sleep 600",
		"by-work-dir":    "(setsid sleep 601 >/dev/null 2>&1 &); sleep 602",
		"by-proc":        "sleep 603",
	} {
		a.launch(sh(id, cmd))
		tasks[id] = a.waitState(id, 20*time.Second, "TASK_RUNNING")
	}
	oldID = a.state().ID
	// Whatever survives the test (kept orphans, the daemon) is killed
	// with its cgroup before the agent's cleanup removes the cgroups.
	t.Cleanup(func() {
		for _, pid := range daemonOf(tasks["by-work-dir"].ContainerID) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		for _, ti := range tasks {
			procs, _ := os.ReadFile(filepath.Join("/sys/fs/cgroup/memory", a.cgroups, ti.ContainerID, "cgroup.procs"))
			for _, f := range strings.Fields(string(procs)) {
				if pid, err := strconv.Atoi(f); err == nil {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	})
	live := a.liveContainers()
	for id, ti := range tasks {
		if len(live[ti.ContainerID]) < 3 {
			t.Fatalf("task %s: container processes %v", id, live[ti.ContainerID])
		}
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/memory", a.cgroups, ti.ContainerID)); cgroups && err != nil {
			t.Fatalf("task %s: no cgroup: %v", id, err)
		}
	}
	a.kill9()
	work := filepath.Join(a.dir, "work")
	if err := os.Remove(filepath.Join(work, "meta", "slaves", "latest")); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(a.dir, "run", "containers", tasks["by-work-dir"].ContainerID))
	os.RemoveAll(filepath.Join(a.dir, "run", "containers", tasks["by-proc"].ContainerID))
	runs, _ := filepath.Glob(filepath.Join(work, "meta", "slaves", oldID, "frameworks", "*", "executors", "by-proc"))
	if len(runs) != 1 {
		t.Fatalf("checkpoint of by-proc: %v", runs)
	}
	os.RemoveAll(runs[0])
	return a, oldID, tasks
}

// daemonOf finds the by-work-dir task's daemon (sleep 601, working in
// the container's sandbox).
func daemonOf(cid string) []int {
	var pids []int
	out, _ := exec.Command("pgrep", "-x", "-f", "sleep 601").Output()
	for _, f := range strings.Fields(string(out)) {
		pid, err := strconv.Atoi(f)
		if cwd, _ := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); err == nil && strings.HasSuffix(cwd, cid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// processesOf lists the live processes whose command line or working
// directory names the container (launcher, executor, task, and the
// daemon, whose working directory is the sandbox).
func processesOf(cid string) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		if st, err := os.ReadFile(p + "/stat"); err != nil || strings.Contains(string(st), ") Z ") {
			continue
		}
		raw, _ := os.ReadFile(p + "/cmdline")
		cmdline := strings.TrimSpace(strings.ReplaceAll(string(raw), "\x00", " "))
		cwd, _ := os.Readlink(p + "/cwd")
		if strings.Contains(cmdline, cid) || strings.HasSuffix(cwd, cid) {
			out = append(out, filepath.Base(p)+" "+cmdline)
		}
	}
	return out
}

// TestOrphansOfAPreviousAgentDestroyed: after latest was cleared, agentd
// starts with a new ID and destroys the containers of the old one, as a
// Mesos agent's containerizer does at recovery (--recover=reconnect):
// every process, the daemon that left the tree (also without cgroups: it
// is found by its environment), the cgroups and the runtime directories
// are gone, and the log names each container.
func TestOrphansOfAPreviousAgentDestroyed(t *testing.T) {
	for _, isolation := range []string{"cgroups/cpu,cgroups/mem", "posix/cpu,posix/mem"} {
		t.Run(isolation, func(t *testing.T) { orphansDestroyed(t, isolation) })
	}
}

func orphansDestroyed(t *testing.T, isolation string) {
	a, oldID, tasks := orphanSetup(t, isolation)
	a.restart()
	if id := a.state().ID; id == oldID {
		t.Fatalf("agent ID %s kept after latest was cleared", id)
	}
	logs := a.waitLog("Destroyed 3 orphan container(s) of previous agent IDs")
	if !strings.Contains(logs, "Destroyed 3 orphan container(s)") {
		t.Fatalf("no summary in the log:\n%s", logs)
	}
	for id, ti := range tasks {
		found := map[string]string{"by-runtime-dir": "runtime_dir", "by-work-dir": "work_dir", "by-proc": "proc"}[id]
		line := "Cleaned up orphan container " + ti.ContainerID + " of agent " + oldID + " (framework " + ti.FrameworkID +
			", executor " + id + ", tasks "
		if !strings.Contains(logs, line) || !strings.Contains(logs, "found in "+found+"): killed ") {
			t.Errorf("%s: the log lacks %q (found in %s):\n%s", id, line, found, logs)
		}
		if left := processesOf(ti.ContainerID); len(left) > 0 {
			t.Errorf("%s: processes left: %v", id, left)
		}
		for _, c := range []string{"cpu", "memory"} {
			if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", c, a.cgroups, ti.ContainerID)); !os.IsNotExist(err) {
				t.Errorf("%s: %s cgroup left: %v", id, c, err)
			}
		}
		if _, err := os.Stat(filepath.Join(a.dir, "run", "containers", ti.ContainerID)); !os.IsNotExist(err) {
			t.Errorf("%s: runtime directory left: %v", id, err)
		}
	}
	if pids := daemonOf(tasks["by-work-dir"].ContainerID); len(pids) > 0 {
		t.Errorf("the daemon survived: %v", pids)
	}
	if st := a.state(); len(st.Frameworks) != 0 {
		t.Errorf("the new agent lists frameworks: %+v", st.Frameworks)
	}
}

// TestOrphansKeptWhenAsked: with --mesosctl_keep_orphans the old
// containers keep running with their cgroups, the log says so, and /flags
// shows the flag (given: it is not a Mesos flag).
func TestOrphansKeptWhenAsked(t *testing.T) {
	a, oldID, tasks := orphanSetup(t, "cgroups/cpu,cgroups/mem", "--mesosctl_keep_orphans")
	a.restart()
	logs := a.waitLog("Keeping orphan container " + tasks["by-proc"].ContainerID)
	for id, ti := range tasks {
		if !strings.Contains(logs, "Keeping orphan container "+ti.ContainerID+" of agent "+oldID+" (framework "+ti.FrameworkID+", executor "+id) {
			t.Errorf("%s: not logged as kept:\n%s", id, logs)
		}
		if len(processesOf(ti.ContainerID)) < 3 {
			t.Errorf("%s: processes %v", id, processesOf(ti.ContainerID))
		}
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/memory", a.cgroups, ti.ContainerID)); err != nil {
			t.Errorf("%s: cgroup gone: %v", id, err)
		}
	}
	if strings.Contains(logs, "Cleaned up orphan container") {
		t.Errorf("destroyed although kept:\n%s", logs)
	}
	if v := a.state().Flags["mesosctl_keep_orphans"]; v != "true" {
		t.Errorf("/state flags mesosctl_keep_orphans = %q", v)
	}
}
