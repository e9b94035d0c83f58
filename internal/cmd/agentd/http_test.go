package agentd

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

// TestHTTPHardening: against the real agentd, hostile input gets a clear
// 4xx and changes nothing: v1 calls (malformed, oversized, bad container
// IDs and signals), the task API (oversized), ?jsonp= callbacks (on every
// JSON endpoint, /files included).
func TestHTTPHardening(t *testing.T) {
	a := startBinaryAgent(t)
	ti := a.launch(sh("h", "echo hi; sleep 300"))
	a.waitState("h", 20*time.Second, "TASK_RUNNING")
	for _, c := range []struct {
		path, body string
		code       int
		msg        string
	}{
		{"/api/v1", `{"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"../../etc"},"command":{"value":"true"}}}`, 400, "contains invalid characters"},
		{"/api/v1", `{"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"a.b"},"command":{"value":"true"}}}`, 400, "'ContainerID.value' 'a.b' contains invalid characters"},
		{"/api/v1", `{"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":""}}}`, 400, "ID must not be empty"},
		{"/api/v1", `{"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":"` + ti.ContainerID + `"},"signal":0}}`, 400, "'kill_container.signal' is invalid"},
		{"/api/v1", `{"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"r"},"command":{"value":"true"},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":-1}}]}}`, 400, "Invalid resources"},
		{"/api/v1", `{"type":"LAUNCH_CONTAINER","launch_container":{"container_id":{"value":"r"},"command":"sleep"}}`, 400, "Invalid command"},
		{"/api/v1", `{"type":"GET_STATE"` + strings.Repeat(" ", 5<<20) + `}`, 413, "Request body is larger than"},
		{"/api/v1", strings.Repeat("[", 100000), 400, "expected a JSON object"},
		{api.TaskPath, `{"task_id":"big","command":"` + strings.Repeat("x", 2<<20) + `"}`, 413, "Request body is larger than"},
		{api.AttributesPath, `{"attributes":"` + strings.Repeat("x", 2<<20) + `"}`, 413, "Request body is larger than"},
	} {
		code, body := a.do("POST", c.path, c.body)
		if code != c.code || !strings.Contains(string(body), c.msg) {
			short := c.body
			if len(short) > 100 {
				short = short[:100] + "…"
			}
			t.Errorf("POST %s %s: %d %.300s, want %d %q", c.path, short, code, body, c.code, c.msg)
		}
	}
	if got := a.task("h", ""); got.State != "TASK_RUNNING" {
		t.Errorf("the running task after the hostile calls: %s", got.State)
	}
	for _, path := range []string{"/state", "/flags", "/files/browse?path=" + url.QueryEscape(ti.Sandbox),
		"/files/read?offset=0&path=" + url.QueryEscape(ti.Sandbox+"/stdout")} {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		code, body := a.do("GET", path+sep+"jsonp="+url.QueryEscape("alert(document.cookie)//"), nil)
		if code != 400 || strings.Contains(string(body), "alert(") {
			t.Errorf("GET %s with a script as jsonp callback: %d %.200s", path, code, body)
		}
		code, body = a.do("GET", path+sep+"jsonp=cb_1", nil)
		if code != 200 || !strings.HasPrefix(string(body), "cb_1(") {
			t.Errorf("GET %s with a valid callback: %d %.200s", path, code, body)
		}
	}
}

// TestFilesCannotEscapeTheSandbox: a task swaps a directory of its
// sandbox for a symbolic link to /etc and back, as fast as it can, while
// /files/read and /files/browse are asked for a file through it: the
// answers are the sandbox's file or an error, never /etc's.
func TestFilesCannotEscapeTheSandbox(t *testing.T) {
	a := startBinaryAgent(t)
	// The task is the attacker: it owns its sandbox.
	// Both a link in the path (d → real or /etc) and the directory itself
	// (real swapped for a link to /etc) change under the requests.
	// perl (in every Debian: perl-base) swaps in a tight loop of syscalls.
	ti := a.launch(sh("swapper", `mkdir real && echo harmless > real/passwd && exec perl -e '`+
		`while (1) { symlink("/etc", "d.new"); rename("d.new", "d"); symlink("real", "d.new"); rename("d.new", "d"); `+
		`rename("real", "tmp"); symlink("/etc", "real"); unlink("real"); rename("tmp", "real"); }'`))
	a.waitState("swapper", 20*time.Second, "TASK_RUNNING")
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(3 * time.Second)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				for _, p := range []string{"/files/read?offset=0&path=" + url.QueryEscape(filepath.Join(ti.Sandbox, "d", "passwd")),
					"/files/read?offset=0&path=" + url.QueryEscape(filepath.Join(ti.Sandbox, "real", "passwd")),
					"/files/download?path=" + url.QueryEscape(filepath.Join(ti.Sandbox, "real", "passwd")),
					"/files/browse?path=" + url.QueryEscape(filepath.Join(ti.Sandbox, "real")),
					"/files/browse?path=" + url.QueryEscape(filepath.Join(ti.Sandbox, "d"))} {
					resp, err := http.Get(a.URL + p)
					if err != nil {
						t.Error(err)
						return
					}
					body := readAll(resp)
					if strings.Contains(body, "root:") || strings.Contains(body, "shadow") || strings.Contains(body, "hostname") {
						t.Errorf("GET %s returned /etc: %.200s", p, body)
						return
					}
					if resp.StatusCode == 200 {
						ok.Add(1)
					} else {
						refused.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d answers from the sandbox, %d refusals", ok.Load(), refused.Load())
	if ok.Load()+refused.Load() < 30 {
		t.Errorf("only %d requests", ok.Load()+refused.Load())
	}
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// TestLoopbackLoad is a bounded load test on loopback: readers of /state
// and the task list, launchers and killers at once, with cgroups/cpu and
// cgroups/mem. No request may fail, every task must end in the state its
// command or kill implies, and no process or cgroup may be left. It
// prints its figures (a benchmark elsewhere measures speed; nothing here
// is timed against a target).
func TestLoopbackLoad(t *testing.T) {
	a := startBinaryAgent(t, "--isolation=cgroups/cpu,cgroups/mem", "--resources=cpus:64;mem:65536;disk:1000")
	const launchers, perLauncher, readers = 6, 25, 4
	load0, _ := os.ReadFile("/proc/loadavg")
	start := time.Now()
	stop := make(chan struct{})
	var failures atomic.Int64
	fail := func(format string, args ...any) {
		failures.Add(1)
		t.Errorf(format, args...)
	}
	var latMu sync.Mutex
	var stateLat []time.Duration
	var rwg sync.WaitGroup
	for r := 0; r < readers; r++ {
		rwg.Add(1)
		go func(r int) {
			defer rwg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				path := "/state"
				if r%2 == 1 {
					path = api.TaskPath
				}
				t0 := time.Now()
				resp, err := http.Get(a.URL + path)
				if err != nil {
					fail("GET %s: %v", path, err)
					return
				}
				body := readAll(resp)
				if resp.StatusCode != 200 || !json.Valid([]byte(body)) {
					fail("GET %s: %d %.200s", path, resp.StatusCode, body)
					return
				}
				if path == "/state" {
					latMu.Lock()
					stateLat = append(stateLat, time.Since(t0))
					latMu.Unlock()
				}
			}
		}(r)
	}
	type outcome struct{ id, want string }
	var omu sync.Mutex
	var outcomes []outcome
	var lwg sync.WaitGroup
	for l := 0; l < launchers; l++ {
		lwg.Add(1)
		go func(l int) {
			defer lwg.Done()
			for i := 0; i < perLauncher; i++ {
				id := fmt.Sprintf("load-%d-%02d", l, i)
				cmd, want := "sleep 0.05", "TASK_FINISHED"
				switch i % 3 {
				case 1:
					cmd, want = "exit 2", "TASK_FAILED"
				case 2:
					cmd, want = "sleep 600", "TASK_KILLED"
				}
				j, _ := json.Marshal(sh(id, cmd))
				resp, err := http.Post(a.URL+api.TaskPath, "application/json", strings.NewReader(string(j)))
				if err != nil {
					fail("launch %s: %v", id, err)
					return
				}
				if body := readAll(resp); resp.StatusCode != http.StatusCreated {
					fail("launch %s: %d %s", id, resp.StatusCode, body)
					return
				}
				if want == "TASK_KILLED" {
					resp, err := http.Post(a.URL+api.TaskPath+"/"+id+"/kill", "application/json", nil)
					if err != nil {
						fail("kill %s: %v", id, err)
						return
					}
					if body := readAll(resp); resp.StatusCode != http.StatusAccepted {
						fail("kill %s: %d %s", id, resp.StatusCode, body)
					}
				}
				omu.Lock()
				outcomes = append(outcomes, outcome{id, want})
				omu.Unlock()
			}
		}(l)
	}
	lwg.Wait()
	launchTime := time.Since(start)
	for _, o := range outcomes {
		ti := a.waitState(o.id, 60*time.Second, "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST")
		if ti.State != o.want {
			fail("%s: %s, want %s (%+v)", o.id, ti.State, o.want, ti.Statuses)
		}
		a.task(o.id, "?after=100&timeout=20s") // its container has ended
	}
	close(stop)
	rwg.Wait()
	total := time.Since(start)
	load1, _ := os.ReadFile("/proc/loadavg")
	if len(outcomes) != launchers*perLauncher || failures.Load() != 0 {
		t.Fatalf("%d tasks launched, %d failures", len(outcomes), failures.Load())
	}
	if live := a.liveContainers(); len(live) != 0 {
		t.Errorf("container processes left: %v", live)
	}
	for _, c := range []string{"cpu", "memory"} {
		if left, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", c, a.cgroups, "*-*")); len(left) != 0 {
			t.Errorf("%s cgroups left: %v", c, left)
		}
	}
	sort.Slice(stateLat, func(i, j int) bool { return stateLat[i] < stateLat[j] })
	pct := func(p float64) time.Duration {
		if len(stateLat) == 0 {
			return 0
		}
		return stateLat[int(p*float64(len(stateLat)-1))].Round(100 * time.Microsecond)
	}
	fmt.Fprintf(os.Stderr, "loopback load: %d launches (1/3 killed) by %d launchers in %v (%.1f launches/s), all ended after %v; "+
		"%d /state reads by %d readers, p50 %v p99 %v max %v; loadavg before %s, after %s",
		len(outcomes), launchers, launchTime.Round(time.Millisecond), float64(len(outcomes))/launchTime.Seconds(),
		total.Round(time.Millisecond), len(stateLat), readers/2, pct(0.5), pct(0.99), pct(1),
		strings.TrimSpace(string(load0)), load1)
}
