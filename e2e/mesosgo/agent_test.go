package mesosgo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bin is the mesosctl binary built by TestMain.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mesosgo-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "mesosctl")
	build := exec.Command("go", "build", "-o", bin, "./cmd/mesosctl")
	build.Dir = "../.." // the repository's own module
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/mesosctl: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// agentd is a running agentd.
type agentd struct {
	URL        string // http://127.0.0.1:PORT
	WorkDir    string
	RuntimeDir string
	LogDir     string
	stderr     *bytes.Buffer
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startAgent runs `mesosctl agentd` on loopback with a work_dir, runtime_dir,
// log_dir and an empty flag directory of its own, plus extra flags, and
// waits until it has recovered.
func startAgent(t *testing.T, extra ...string) *agentd {
	t.Helper()
	dir := t.TempDir()
	a := &agentd{WorkDir: filepath.Join(dir, "work"), RuntimeDir: filepath.Join(dir, "run"), LogDir: filepath.Join(dir, "log"), stderr: &bytes.Buffer{}}
	confDir := filepath.Join(dir, "etc-mesos-slave")
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	args := append([]string{"agentd", "--work_dir=" + a.WorkDir, "--runtime_dir=" + a.RuntimeDir,
		"--log_dir=" + a.LogDir, "--config_dir=" + confDir, "--ip=127.0.0.1", "--port=" + strconv.Itoa(port),
		"--resources=cpus:2;mem:1024;disk:1024;ports:[31000-31010]"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stderr = a.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("agentd's log:\n%s", a.stderr.String())
		}
		// Containers outlive agentd by design (a restarted agent
		// recovers them); a test that stopped half-way leaves some, and
		// they would write into its removed directory until they end.
		killContainers(dir)
	})
	a.URL = "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(a.URL + "/state")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return a
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("agentd exited: %v\n%s", err, a.stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("agentd did not answer /state within 30s:\n%s", a.stderr.String())
		}
	}
}

// launchTask starts a command task through agentd's task API (tasks reach
// a Mesos agent from a master; agentd takes them directly) and waits for
// TASK_RUNNING. It returns the framework ID.
func (a *agentd) launchTask(t *testing.T, id, command string) string {
	t.Helper()
	spec, _ := json.Marshal(map[string]any{"task_id": id, "name": id, "command": command,
		"resources": map[string]float64{"cpus": 0.1, "mem": 32}})
	res, err := http.Post(a.URL+"/mesosctl/v1/tasks", "application/json", bytes.NewReader(spec))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("launch %s: %s %s", id, res.Status, body)
	}
	// Executors outlive agentd (as Mesos'): kill the task before the agent
	// stops (cleanups run last-registered first), and wait for its end.
	t.Cleanup(func() {
		if res, err := http.Post(a.URL+"/mesosctl/v1/tasks/"+id+"/kill", "application/json", nil); err == nil {
			res.Body.Close()
		}
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if a.state(t, id) == "TASK_KILLED" {
				return
			}
		}
		t.Errorf("task %s did not end after a kill", id)
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		info := a.task(t, id)
		if info.State == "TASK_RUNNING" {
			return info.FrameworkID
		}
		if strings.HasPrefix(info.State, "TASK_") && info.State != "TASK_STAGING" && info.State != "TASK_STARTING" {
			t.Fatalf("task %s is %s", id, info.State)
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s not running after 30s (%s)", id, info.State)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type taskInfo struct {
	FrameworkID string `json:"framework_id"`
	State       string `json:"state"`
}

// task reads a task through agentd's task API.
func (a *agentd) task(t *testing.T, id string) taskInfo {
	t.Helper()
	res, err := http.Get(a.URL + "/mesosctl/v1/tasks/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var info taskInfo
	if err := json.NewDecoder(res.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	return info
}

func (a *agentd) state(t *testing.T, id string) string { return a.task(t, id).State }

// killContainers SIGKILLs every process whose command line names dir (the
// container launchers and executors of an agentd working there) and all
// their descendants (the commands run in process groups of their own).
func killContainers(dir string) {
	entries, _ := os.ReadDir("/proc")
	children := map[int][]int{}
	var roots []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces, so split after ')'.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
		var state string
		var ppid int
		if _, err := fmt.Sscan(rest, &state, &ppid); err != nil {
			continue
		}
		children[ppid] = append(children[ppid], pid)
		if cmdline, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline"); strings.Contains(string(cmdline), dir) {
			roots = append(roots, pid)
		}
	}
	for i := 0; i < len(roots); i++ {
		roots = append(roots, children[roots[i]]...)
	}
	for _, pid := range roots {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
