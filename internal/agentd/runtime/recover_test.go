package runtime

import (
	"fmt"
	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/checkpoint"
	"github.com/mesosctl/mesosctl/internal/procfs"
)

// crash simulates kill -9 of agentd: the runtime stops following its
// containers and writes nothing more; the containers keep running.
func crash(r *Runtime) { r.Close() }

func TestRecoveryReconnectLoop(t *testing.T) {
	e := newEnv(t, "cgroups/pids")
	r := New(e.cfg)
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	const n = 30
	pids := map[string]int{}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("run%02d", i)
		if _, err := r.Launch(TaskSpec{TaskID: id, Command: "sleep 60", Resources: api.TaskResources{CPUs: 0.1, Mem: 16}}); err != nil {
			t.Fatal(err)
		}
	}
	// Two tasks that finish while agentd is down.
	r.Launch(TaskSpec{TaskID: "quick-ok", Command: "sleep 0.5", Resources: api.TaskResources{CPUs: 0.1, Mem: 16}})
	r.Launch(TaskSpec{TaskID: "quick-bad", Command: "sleep 0.5; exit 7", Resources: api.TaskResources{CPUs: 0.1, Mem: 16}})
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("run%02d", i)
		waitState(t, r, id, checkpoint.TaskRunning, 10*time.Second)
		_, pids[id], _, _ = r.containerOf(id)
	}
	crash(r)
	time.Sleep(1500 * time.Millisecond)
	for round := 0; round < 3; round++ {
		r = New(e.cfg)
		if err := r.Recover(); err != nil {
			t.Fatal(err)
		}
		if err := r.Start(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("run%02d", i)
			tk, err := r.Get(id)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			_, pid, _, _ := r.containerOf(id)
			if tk.State != checkpoint.TaskRunning || pid != pids[id] || !procfs.Alive(pid, 0) || states(tk) != "TASK_STARTING,TASK_RUNNING" {
				t.Fatalf("round %d: %s %s pid %d (was %d) statuses %s", round, id, tk.State, pid, pids[id], states(tk))
			}
		}
		for id, want := range map[string]string{"quick-ok": "TASK_FINISHED/Command exited with status 0", "quick-bad": "TASK_FAILED/Command exited with status 7"} {
			tk, _ := r.Wait(id, 30*time.Second)
			if got := tk.State + "/" + last(tk).Message; got != want || len(tk.Statuses) != 3 {
				cid, _, _, _ := r.containerOf(id)
				b, _ := os.ReadFile(filepath.Join(r.paths.Sandbox(e.cfg.AgentID+"-mesosctl", id, cid), "stderr"))
				t.Logf("stderr: %s", b)
				t.Fatalf("round %d: %s = %s (%s), want %s", round, id, got, states(tk), want)
			}
		}
		if a := r.Allocated(); round > 0 && (a.Scalar("cpus") < n*0.2-1e-6 || a.Scalar("cpus") > n*0.2+1e-6) {
			t.Fatalf("round %d: allocated %+v, want cpus %g", round, a, n*0.2)
		}
		if round < 2 {
			crash(r)
		}
	}
	t.Cleanup(func() {
		r.Shutdown(20 * time.Second)
		os.Remove(filepath.Join("/sys/fs/cgroup/pids", e.cfg.CgroupsRoot))
	})
}

func TestRecoveryCleanup(t *testing.T) {
	e := newEnv(t, "posix/cpu")
	r := New(e.cfg)
	r.Start()
	r.Launch(TaskSpec{TaskID: "a", Command: "sleep 60", Resources: api.TaskResources{CPUs: 0.1, Mem: 16}})
	waitState(t, r, "a", checkpoint.TaskRunning, 30*time.Second)
	_, pid, _, _ := r.containerOf("a")
	crash(r)
	e.cfg.Recover = "cleanup"
	r2 := e.start(t)
	tk, _ := r2.Wait("a", 10*time.Second)
	if tk.State != checkpoint.TaskKilled {
		t.Fatalf("state %s (%s)", tk.State, states(tk))
	}
	for d := time.Now().Add(15 * time.Second); procfs.Alive(pid, 0) && time.Now().Before(d); {
		time.Sleep(10 * time.Millisecond)
	}
	if procfs.Alive(pid, 0) {
		t.Fatal("executor still alive after --recover=cleanup")
	}
}

func TestRecoveryCorruptCheckpoint(t *testing.T) {
	e := newEnv(t, "posix/cpu")
	r := New(e.cfg)
	r.Start()
	r.Launch(TaskSpec{TaskID: "good", Command: "true", Resources: api.TaskResources{CPUs: 0.1, Mem: 16}})
	r.Launch(TaskSpec{TaskID: "torn", Command: "true", Resources: api.TaskResources{CPUs: 0.1, Mem: 16}})
	r.Wait("good", 30*time.Second)
	r.Wait("torn", 30*time.Second)
	fid := e.cfg.AgentID + "-mesosctl"
	cidG, _, _, _ := r.containerOf("good")
	cidT, _, _, _ := r.containerOf("torn")
	r.Shutdown(5 * time.Second)
	// Corrupt good's task.info; tear torn's update log.
	os.WriteFile(r.paths.TaskInfo(fid, "good", cidG, "good"), []byte("\x05\x00\x00\x00{bad}"), 0o644)
	f, _ := os.OpenFile(r.paths.TaskUpdates(fid, "torn", cidT, "torn"), os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{0xff, 0, 0, 0, '{'})
	f.Close()

	e.cfg.Strict = true
	err := New(e.cfg).Recover()
	if err == nil || !strings.Contains(err.Error(), "corrupt checkpoint") || !strings.Contains(err.Error(), "task.info") {
		t.Fatalf("strict recovery: %v", err)
	}
	e.cfg.Strict = false
	r3 := New(e.cfg)
	r3log := captureLog(r3)
	if err := r3.Recover(); err != nil {
		t.Fatal(err)
	}
	if m := r3.Metrics()["slave/recovery_errors"]; m != 1 {
		t.Fatalf("recovery_errors = %v", m)
	}
	tk, err := r3.Get("torn")
	if err != nil || tk.State != checkpoint.TaskFinished {
		t.Fatalf("torn: %v %s", err, tk.State)
	}
	if log := r3log.String(); !strings.Contains(log, "level=WARN msg=\"Skipping corrupt checkpoint") || !strings.Contains(log, "torn trailing record") {
		t.Fatalf("log: %s", log)
	}
}

// TestRecoveryTornUpdateEveryOffset: agentd dies while a task's last status
// record is half written, at every byte offset of that record. Recovery
// reports the last complete state; the next update (appended by the same
// code the executor uses) is seen, and survives a further restart; the
// task's own end, written by its real executor after all of it, too.
func TestRecoveryTornUpdateEveryOffset(t *testing.T) {
	e := newEnv(t, "posix/cpu")
	r := New(e.cfg)
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Launch(TaskSpec{TaskID: "t", Command: "mkfifo fifo && read line < fifo; exit 4", Resources: api.TaskResources{CPUs: 0.1, Mem: 16}}); err != nil {
		t.Fatal(err)
	}
	waitState(t, r, "t", checkpoint.TaskRunning, 30*time.Second)
	v, _ := r.ViewOf("t")
	crash(r)
	log := r.paths.TaskUpdates(v.Task.FrameworkID, "t", v.ContainerID, "t")
	full, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	recs, _, _ := checkpoint.ReadLog(log)
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	good := len(full) - 4 - len(recs[1]) // STARTING only
	recover := func() (*Runtime, *strings.Builder) {
		t.Helper()
		x := New(e.cfg)
		xlog := captureLog(x)
		if err := x.Recover(); err != nil {
			t.Fatal(err)
		}
		return x, xlog
	}
	for cut := good; cut < len(full); cut++ {
		if err := os.WriteFile(log, full[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		x, xlog := recover()
		if tk, _ := x.Get("t"); states(tk) != "TASK_STARTING" {
			t.Fatalf("cut at %d: recovered %s", cut, states(tk))
		}
		if cut > good && !strings.Contains(xlog.String(), "torn trailing record") {
			t.Errorf("cut at %d: the torn record is not reported", cut)
		}
		x.Close()
		if err := checkpoint.AppendRecord(log, checkpoint.UpdateRecord{Type: "UPDATE", Status: checkpoint.Status{State: checkpoint.TaskRunning}}); err != nil {
			t.Fatal(err)
		}
		for restart := 0; restart < 2; restart++ {
			x, _ = recover()
			if tk, _ := x.Get("t"); states(tk) != "TASK_STARTING,TASK_RUNNING" {
				t.Fatalf("cut at %d, restart %d after the next update: %s", cut, restart, states(tk))
			}
			x.Close()
		}
	}
	// Leave the log torn once more; the executor then writes the task's end.
	os.WriteFile(log, full[:len(full)-3], 0o600)
	fifo := filepath.Join(v.Sandbox, "fifo")
	for d := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Write([]byte("go\n"))
			f.Close()
			break
		} else if time.Now().After(d) {
			t.Fatalf("open %s: %v", fifo, err)
		}
	}
	x := e.start(t)
	tk, _ := x.Wait("t", 10*time.Second)
	if tk.State != checkpoint.TaskFailed || last(tk).Message != "Command exited with status 4" || states(tk) != "TASK_STARTING,TASK_FAILED" {
		t.Fatalf("after the task ended: %s %+v", states(tk), last(tk))
	}
	crash(x)
	x, _ = recover()
	if tk, _ := x.Get("t"); states(tk) != "TASK_STARTING,TASK_FAILED" {
		t.Fatalf("after one more restart: %s", states(tk))
	}
}

// captureLog sends r's log, as text with levels, to the returned builder.
func captureLog(r *Runtime) *strings.Builder {
	var b strings.Builder
	r.cfg.Logger = slog.New(slog.NewTextHandler(&b, nil))
	return &b
}

// TestRecoveryFrameworkWithoutInfo: agentd killed after it made a
// framework's directory and before framework.info was checkpointed (a
// launch's batch not yet committed). As in Mesos, recovery warns and skips
// that framework, even with --strict, and the agent starts.
func TestRecoveryFrameworkWithoutInfo(t *testing.T) {
	e := newEnv(t, "posix/cpu")
	e.cfg.Strict = true
	r := New(e.cfg)
	fw := filepath.Join(r.paths.AgentMeta(), "frameworks", e.cfg.AgentID+"-mesosctl")
	if err := os.MkdirAll(filepath.Join(fw, "executors"), 0o755); err != nil {
		t.Fatal(err)
	}
	log := captureLog(r)
	if err := r.Recover(); err != nil {
		t.Fatalf("recovery of a framework without framework.info: %v", err)
	}
	if !strings.Contains(log.String(), "Failed to find framework info file") {
		t.Fatalf("log: %s", log)
	}
	if tasks := r.Tasks(); len(tasks) != 0 {
		t.Fatalf("tasks recovered from a framework that never ran: %+v", tasks)
	}
}

// TestRecoveredContainerEnds: the launcher of a recovered container is
// not this agentd's child, so the poller finds its end (through a pidfd,
// or /proc): a recovered task whose command ends while agentd runs is
// finished (its resources released), and one still running is left alone.
func TestRecoveredContainerEnds(t *testing.T) {
	e := newEnv(t, "posix/cpu")
	r := New(e.cfg)
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	for id, cmd := range map[string]string{"short": "sleep 8", "long": "sleep 120"} {
		if _, err := r.Launch(TaskSpec{TaskID: id, Command: cmd, Resources: api.TaskResources{CPUs: 0.1, Mem: 16}}); err != nil {
			t.Fatal(err)
		}
	}
	waitState(t, r, "short", checkpoint.TaskRunning, 30*time.Second)
	waitState(t, r, "long", checkpoint.TaskRunning, 30*time.Second)
	crash(r)
	r2 := e.start(t)
	tk, err := r2.Wait("short", 90*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if tk.State != checkpoint.TaskFinished {
		t.Fatalf("short: state %s (%s), want TASK_FINISHED", tk.State, states(tk))
	}
	// Wait returned because the container was finished (not by its
	// timeout): only the long task's resources (cpus 0.1 + the executor's
	// 0.1) are still allocated.
	if cpus := r2.Allocated().Scalar("cpus"); cpus < 0.2-1e-6 || cpus > 0.2+1e-6 {
		t.Fatalf("allocated cpus %g after the short task ended, want 0.2", cpus)
	}
	if tk, _ := r2.Get("long"); tk.State != checkpoint.TaskRunning {
		t.Fatalf("long: state %s (%s), want TASK_RUNNING", tk.State, states(tk))
	}
}
