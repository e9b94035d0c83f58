package agentd

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
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
)

// updatesLog is the task.updates of a task of the test agent.
func (a *agentProc) updatesLog(ti api.TaskInfo) string {
	return filepath.Join(a.workDir(), "meta", "slaves", ti.AgentID, "frameworks", ti.FrameworkID,
		"executors", ti.ID, "runs", ti.ContainerID, "tasks", ti.ID, "task.updates")
}

// workDir is the agent's --work_dir.
func (a *agentProc) workDir() string {
	dir := ""
	for _, arg := range a.args {
		if v, ok := strings.CutPrefix(arg, "--work_dir="); ok {
			dir = v
		}
	}
	return dir
}

// TestTornStatusLogThroughRestarts is the reported loss: agentd is killed
// while the last record of a task's status log is half written; after a
// restart the task finishes (its executor appends TASK_FINISHED); after
// another restart /state must show TASK_FINISHED, not the state before the
// torn record.
func TestTornStatusLogThroughRestarts(t *testing.T) {
	a := startBinaryAgent(t)
	flag := filepath.Join(a.dir, "go")
	ti := a.launch(sh("torn", "while [ ! -e "+flag+" ]; do sleep 0.05; done"))
	a.waitState("torn", 20*time.Second, "TASK_RUNNING")
	a.kill9()
	log := a.updatesLog(ti)
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	// Half of a further record: its length prefix and a few bytes.
	torn := append(append([]byte{}, b...), 0x40, 0, 0, 0, '{', '"', 't')
	if err := os.WriteFile(log, torn, 0o600); err != nil {
		t.Fatal(err)
	}
	a.restart()
	if got := a.task("torn", ""); got.State != "TASK_RUNNING" {
		t.Fatalf("after the torn write: %s", got.State)
	}
	os.WriteFile(flag, nil, 0o644)
	a.waitState("torn", 20*time.Second, "TASK_FINISHED")
	a.task("torn", "?after=100&timeout=10s")
	for i := 0; i < 2; i++ {
		a.kill9()
		a.restart()
		st := a.state()
		var states []string
		for _, f := range append(st.Frameworks, st.CompletedFrameworks...) {
			for _, e := range append(f.Executors, f.CompletedExecutors...) {
				for _, tk := range append(e.Tasks, e.CompletedTasks...) {
					states = append(states, tk.State)
				}
			}
		}
		if strings.Join(states, ",") != "TASK_FINISHED" {
			t.Fatalf("restart %d: /state shows %v", i, states)
		}
	}
}

// mountTmpfs mounts a tmpfs of size at dir until the end of the test (after
// the agent's own cleanup: cleanups run last-registered first).
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if testing.Short() {
		t.Skip("mounts a tmpfs: not with -short (make unit)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs on %s: %v %s", dir, err, out)
	}
	t.Cleanup(func() {
		// The agent's cleanup has SIGKILLed the containers, but a killed
		// process holds its working directory in the tmpfs until its exit
		// completes, which a loaded machine delays: retry for a while.
		var out []byte
		var err error
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if out, err = exec.Command("umount", dir).CombinedOutput(); err == nil {
				return
			}
			if time.Now().After(deadline) {
				break
			}
		}
		users := processesUsing(dir)
		_ = exec.Command("umount", "-l", dir).Run() // leave no mount behind
		t.Errorf("umount %s: %v %s; processes using it 20s after the test: %s", dir, err, out, users)
	})
}

// processesUsing lists the processes whose working directory or an open
// file is under dir, as "pid args".
func processesUsing(dir string) string {
	var users []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		links, _ := filepath.Glob(p + "/fd/*")
		for _, l := range append(links, p+"/cwd") {
			if target, err := os.Readlink(l); err == nil && strings.HasPrefix(target, dir) {
				cmdline, _ := os.ReadFile(p + "/cmdline")
				users = append(users, filepath.Base(p)+" "+strings.ReplaceAll(string(cmdline), "\x00", " "))
				break
			}
		}
	}
	return strings.Join(users, "; ")
}

// fill writes zeros to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	// The last blocks: byte by byte.
	for {
		if _, err := f.Write(buf[:1]); err != nil {
			break
		}
	}
}

// TestFullWorkDir: with --work_dir on a small tmpfs that fills up, launches
// are refused with a clear error and leave nothing behind; a running task
// keeps running with its recorded states; a task that ends meanwhile is
// reported only once its end is on disk (when space returns), with its
// true exit status; everything survives a restart afterwards.
func TestFullWorkDir(t *testing.T) {
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	mountTmpfs(t, work, "4m")
	a := startBinaryAgent(t, "--work_dir="+work)
	flag := filepath.Join(dir, "go")
	a.launch(sh("steady", "sleep 600"))
	a.launch(sh("ender", "while [ ! -e "+flag+" ]; do sleep 0.05; done; exit 3"))
	a.waitState("steady", 20*time.Second, "TASK_RUNNING")
	a.waitState("ender", 20*time.Second, "TASK_RUNNING")
	steady := a.task("steady", "")
	// A small append fits into the last page of a file whatever the free
	// space: pad the ender's log to a page boundary with a valid record,
	// so that its next update needs a new page (as a longer log would).
	padToPage(t, a.updatesLog(a.task("ender", "")))

	filler := filepath.Join(work, "filler")
	fill(t, filler)
	code, body := a.do("POST", api.TaskPath, sh("refused", "true"))
	if code != http.StatusInsufficientStorage || !strings.Contains(string(body), "cannot checkpoint the launch of task refused") ||
		!strings.Contains(string(body), "no space left on device") {
		t.Errorf("launch on a full work_dir: %d %s", code, body)
	}
	if code, _ := a.do("GET", api.TaskPath+"/refused", nil); code != 404 {
		t.Errorf("the refused task is known: %d", code)
	}
	if runs, _ := filepath.Glob(filepath.Join(work, "meta", "slaves", "*", "frameworks", "*", "executors", "refused")); len(runs) != 0 {
		t.Errorf("the refused launch left %v", runs)
	}

	// The ender exits while its end cannot be written: it stays RUNNING
	// (on disk as in /state) until there is room again.
	os.WriteFile(flag, nil, 0o644)
	time.Sleep(2 * time.Second)
	if ti := a.task("ender", ""); ti.State != "TASK_RUNNING" {
		t.Errorf("ender while the disk is full: %s %+v", ti.State, ti.Statuses)
	}
	os.Remove(filler)
	ti := a.waitState("ender", 20*time.Second, "TASK_FAILED", "TASK_FINISHED")
	if ti.ExitStatus == nil || *ti.ExitStatus != 3 {
		t.Errorf("ender: %+v", ti)
	}
	if got := a.task("steady", ""); got.State != "TASK_RUNNING" || len(got.Statuses) != len(steady.Statuses) || got.ExecutorPID != steady.ExecutorPID {
		t.Errorf("steady after the full disk: %+v", got)
	}
	a.launch(sh("after", "true"))
	a.waitState("after", 20*time.Second, "TASK_FINISHED")
	a.kill9()
	a.restart()
	for id, want := range map[string]string{"steady": "TASK_RUNNING", "ender": "TASK_FAILED", "after": "TASK_FINISHED"} {
		if got := a.task(id, ""); got.State != want {
			t.Errorf("after restart: %s is %s, want %s", id, got.State, want)
		}
	}
}

// padToPage appends one valid TASK_RUNNING record to a status log so that
// the log ends on a 4 KiB boundary.
func padToPage(t *testing.T, log string) {
	t.Helper()
	fi, err := os.Stat(log)
	if err != nil {
		t.Fatal(err)
	}
	rec := func(msg string) []byte {
		b, _ := json.Marshal(map[string]any{"type": "UPDATE", "status": map[string]any{"state": "TASK_RUNNING",
			"timestamp": 1.0, "message": msg, "source": "SOURCE_EXECUTOR"}})
		return b
	}
	room := 4096 - int(fi.Size())%4096
	if room < 200 {
		room += 4096
	}
	payload := rec(strings.Repeat("p", room-4-len(rec(""))))
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	frame := append([]byte{byte(len(payload)), byte(len(payload) >> 8), 0, 0}, payload...)
	if _, err := f.Write(frame); err != nil {
		t.Fatal(err)
	}
	if fi, _ := f.Stat(); fi.Size()%4096 != 0 {
		t.Fatalf("padded log is %d bytes", fi.Size())
	}
}

// liveContainers maps container IDs to the pids of every live process of
// the test agent's containers: launchers and executors (by their
// --launch_info path), tasks (by their sandbox working directory).
func (a *agentProc) liveContainers() map[string][]int {
	out := map[string][]int{}
	launchRE := regexp.MustCompile(regexp.QuoteMeta(filepath.Join(a.dir, "run", "containers")) + `/([^/]+)/launch_info`)
	sandboxRE := regexp.MustCompile(`/runs/([0-9a-f-]{36})$`)
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		pid, _ := strconv.Atoi(filepath.Base(p))
		if st, err := os.ReadFile(p + "/stat"); err != nil || strings.Contains(string(st), ") Z ") {
			continue
		}
		cmdline, _ := os.ReadFile(p + "/cmdline")
		if m := launchRE.FindSubmatch(cmdline); m != nil {
			out[string(m[1])] = append(out[string(m[1])], pid)
			continue
		}
		if cwd, err := os.Readlink(p + "/cwd"); err == nil && strings.HasPrefix(cwd, a.dir) {
			if m := sandboxRE.FindStringSubmatch(cwd); m != nil {
				out[m[1]] = append(out[m[1]], pid)
			}
		}
	}
	return out
}

// TestKill9DuringLaunchesAndKills kills agentd -9 at random moments while
// tasks are being launched and killed, then restarts it, many times. After
// each restart: every launch that was answered 201 is known, no task is
// listed twice, every task is either terminal or running in a live
// container, every live container process belongs to such a running task
// (no orphan), and every kill that was answered 202 ends the task.
func TestKill9DuringLaunchesAndKills(t *testing.T) {
	a := startBinaryAgent(t, "--isolation=cgroups/pids", "--resources=cpus:64;mem:64000;disk:1000")
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewSource(seed))
	const rounds, perRound = 20, 6
	var launched, acked, killsAcked, killed9 int
	everAcked := map[string]bool{}
	killAcked := map[string]bool{}
	// killSent: a kill was asked for. agentd may have acted on it and died
	// before its 202 reached us: such a task may end (TASK_KILLED) after
	// the restart, while recovery still listed it RUNNING.
	killSent := map[string]bool{}
	start := time.Now()
	load0, _ := os.ReadFile("/proc/loadavg")
	for round := 0; round < rounds; round++ {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := 0; w < perRound; w++ {
			id := fmt.Sprintf("r%02d-%d", round, w)
			cmd := "sleep 600"
			if w%3 == 2 {
				cmd = "sleep 0.2"
			}
			doKill := w%2 == 1 && w%3 != 2 // long tasks only: a short one may end first
			wg.Add(1)
			launched++
			go func() {
				defer wg.Done()
				j, _ := json.Marshal(sh(id, cmd))
				resp, err := http.Post(a.URL+api.TaskPath, "application/json", strings.NewReader(string(j)))
				if err != nil {
					return // agentd died under the request
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					return
				}
				mu.Lock()
				everAcked[id] = true
				acked++
				mu.Unlock()
				if !doKill {
					return
				}
				mu.Lock()
				killSent[id] = true
				mu.Unlock()
				resp, err = http.Post(a.URL+api.TaskPath+"/"+id+"/kill", "application/json", nil)
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusAccepted {
						mu.Lock()
						killAcked[id] = true
						killsAcked++
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Duration(rng.Intn(250)) * time.Millisecond)
		a.kill9()
		killed9++
		wg.Wait()
		a.restart()

		// Settle: tasks whose launch was cut short are finished by the
		// poller, killed ones end within the grace period.
		var list api.TaskList
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			_, body := a.do("GET", api.TaskPath, nil)
			list = api.TaskList{}
			if err := json.Unmarshal(body, &list); err != nil {
				t.Fatal(err)
			}
			settled := true
			for _, ti := range list.Tasks {
				if ti.State != "TASK_RUNNING" && !terminal(ti.State) || killAcked[ti.ID] && !terminal(ti.State) ||
					terminal(ti.State) && ti.ExecutorPID != 0 {
					settled = false
				}
			}
			if settled {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d (seed %d): tasks do not settle: %+v\n%s", round, seed, list.Tasks, a.stderr)
			}
		}
		seen := map[string]bool{}
		running := map[string]string{} // container ID → task
		for _, ti := range list.Tasks {
			if seen[ti.ID] {
				t.Fatalf("round %d (seed %d): task %s listed twice", round, seed, ti.ID)
			}
			seen[ti.ID] = true
			if ti.State == "TASK_RUNNING" {
				running[ti.ContainerID] = ti.ID
			}
			if killAcked[ti.ID] && ti.State != "TASK_KILLED" {
				t.Errorf("round %d (seed %d): %s was killed (202) but is %s", round, seed, ti.ID, ti.State)
			}
		}
		for id := range everAcked {
			if !seen[id] {
				t.Fatalf("round %d (seed %d): task %s was launched (201) and is lost", round, seed, id)
			}
		}
		live := a.liveContainers()
		for cid, pids := range live {
			if _, ok := running[cid]; !ok {
				t.Fatalf("round %d (seed %d): orphaned container %s (pids %v) belongs to no running task", round, seed, cid, pids)
			}
		}
		for cid, id := range running {
			if len(live[cid]) == 0 {
				// A short task may have ended between the listing and the
				// scan: then it must be reported terminal soon.
				ti := a.waitState(id, 10*time.Second, "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST")
				if killSent[id] && ti.State == "TASK_KILLED" {
					continue
				}
				if !strings.HasSuffix(id, "-2") && !strings.HasSuffix(id, "-5") {
					t.Fatalf("round %d (seed %d): long task %s was RUNNING but container %s had no process; now %s", round, seed, id, cid, ti.State)
				}
			}
		}
	}
	load1, _ := os.ReadFile("/proc/loadavg")
	// Kill everything; cleanup then checks that no process or cgroup is left.
	var list api.TaskList
	_, body := a.do("GET", api.TaskPath, nil)
	json.Unmarshal(body, &list)
	for _, ti := range list.Tasks {
		if ti.State == "TASK_RUNNING" {
			a.do("POST", api.TaskPath+"/"+ti.ID+"/kill", nil)
		}
	}
	for _, ti := range list.Tasks {
		if ti.State == "TASK_RUNNING" {
			a.waitState(ti.ID, 20*time.Second, "TASK_KILLED", "TASK_FINISHED") // a short one may have ended
			a.task(ti.ID, "?after=100&timeout=10s")
		}
	}
	if leftover, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup/pids", a.cgroups, "*-*")); len(leftover) != 0 {
		t.Errorf("cgroups left: %v", leftover)
	}
	fmt.Fprintf(os.Stderr, "kill -9 loop: seed %d, %d rounds, %d kill -9, %d launches attempted, %d answered 201, %d kills answered 202, %d tasks known, %v; loadavg before %s, after %s",
		seed, rounds, killed9, launched, acked, killsAcked, len(list.Tasks), time.Since(start).Round(time.Millisecond),
		strings.TrimSpace(string(load0)), load1)
}

func terminal(state string) bool {
	switch state {
	case "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR", "TASK_DROPPED", "TASK_GONE":
		return true
	}
	return false
}
