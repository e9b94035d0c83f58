package agentd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/flags"
	"github.com/mesosctl/mesosctl/internal/procfs"
)

// Profiling benchmarks of agentd's hot paths, with the agent in this
// process (so that -cpuprofile and -memprofile see it) and its containers
// launched by the real mesosctl binary (built CGO_ENABLED=0, as released):
//
//	go test -run '^$' -bench 'Launch|StateTasks' -benchtime 100x \
//	    -cpuprofile cpu.out -memprofile mem.out ./internal/agentd/
//
// scripts/bench/profile.sh runs them and prints the top of each profile.
// Needs root (setsid, cgroups).

var (
	helperOnce sync.Once
	helperBin  string
	helperErr  error
)

func mesosctlBinary(b *testing.B) string {
	helperOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mesosctl-agentd-bench-")
		if err != nil {
			helperErr = err
			return
		}
		helperBin = filepath.Join(dir, "mesosctl")
		cmd := exec.Command("go", "build", "-o", helperBin, "github.com/mesosctl/mesosctl/cmd/mesosctl")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			helperErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if helperErr != nil {
		b.Fatal(helperErr)
	}
	return helperBin
}

// benchAgent runs agentd in this process; stop kills every container it
// started and stops it.
type benchAgent struct {
	url     string
	runtime string
	client  *http.Client
}

func startBenchAgent(b *testing.B) *benchAgent {
	if os.Geteuid() != 0 {
		b.Fatal("needs root (setsid, cgroups)")
	}
	dir := b.TempDir()
	root := "mesosctl-bench-" + strconv.Itoa(os.Getpid())
	v, err := flags.Load([]string{"--work_dir=" + filepath.Join(dir, "work"), "--runtime_dir=" + filepath.Join(dir, "run"),
		"--config_dir=", "--ip=127.0.0.1", "--port=0", "--cgroups_root=" + root,
		"--resources=cpus:1000;mem:1000000;disk:1000"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := NewConfig(v)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Executable = mesosctlBinary(b)
	ready := make(chan string, 1)
	cfg.Ready = func(a string) { ready <- a }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	a := &benchAgent{runtime: filepath.Join(dir, "run"),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}}
	select {
	case addr := <-ready:
		a.url = "http://" + addr
	case err := <-done:
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cancel()
		<-done
		a.killContainers()
		for _, c := range []string{"cpu", "memory", "pids"} {
			subs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", c, root, "*"))
			for _, s := range subs {
				_ = os.Remove(s)
			}
			_ = os.Remove(filepath.Join("/sys/fs/cgroup", c, root))
		}
	})
	return a
}

// launchers are the pids of the agent's container launchers.
func (a *benchAgent) launchers() []int {
	files, _ := filepath.Glob(filepath.Join(a.runtime, "containers", "*", "pid"))
	var pids []int
	for _, f := range files {
		data, _ := os.ReadFile(f)
		var pid int
		if _, err := fmt.Sscan(string(data), &pid); err == nil && procfs.Alive(pid, 0) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func (a *benchAgent) killContainers() {
	for _, pid := range a.launchers() {
		for _, p := range append(procfs.Tree(pid), pid) {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	}
	time.Sleep(200 * time.Millisecond)
}

// launchRunning submits a task and long-polls until it is TASK_RUNNING.
func (a *benchAgent) launchRunning(b *testing.B, id string) time.Duration {
	spec, _ := json.Marshal(api.TaskSpec{TaskID: id, Command: "sleep 3600", Resources: api.TaskResources{CPUs: 0.001, Mem: 1}})
	t0 := time.Now()
	resp, err := a.client.Post(a.url+api.TaskPath, "application/json", bytes.NewReader(spec))
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b.Fatalf("launch %s: %d %s", id, resp.StatusCode, body)
	}
	after := 0
	for {
		resp, err := a.client.Get(fmt.Sprintf("%s%s/%s?after=%d&timeout=30s", a.url, api.TaskPath, id, after))
		if err != nil {
			b.Fatal(err)
		}
		var ti api.TaskInfo
		err = json.NewDecoder(resp.Body).Decode(&ti)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		switch ti.State {
		case "TASK_RUNNING":
			return time.Since(t0)
		case "TASK_STAGING", "TASK_STARTING":
			after = len(ti.Statuses)
		default:
			b.Fatalf("task %s ended: %+v", id, ti)
		}
	}
}

func (a *benchAgent) launchMany(b *testing.B, prefix string, n, clients int) {
	ids := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ids {
				a.launchRunning(b, fmt.Sprintf("%s%04d", prefix, i))
			}
		}()
	}
	for i := 0; i < n; i++ {
		ids <- i
	}
	close(ids)
	wg.Wait()
}

func reportPercentiles(b *testing.B, lat []time.Duration, prefix string) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) == 0 {
		return
	}
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, prefix+"p50-ms")
	b.ReportMetric(float64(lat[(len(lat)-1)*99/100].Microseconds())/1000, prefix+"p99-ms")
}

// BenchmarkLaunch: task API call → TASK_RUNNING, one task at a time.
func BenchmarkLaunch(b *testing.B) {
	a := startBenchAgent(b)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		lat = append(lat, a.launchRunning(b, fmt.Sprintf("lat-%d", i)))
	}
	b.StopTimer()
	reportPercentiles(b, lat, "")
}

// BenchmarkStateTasks: GET /state, one request at a time, with 0, 100 and
// 1,000 running tasks.
func BenchmarkStateTasks(b *testing.B) {
	for _, n := range []int{0, 100, 1000} {
		b.Run(fmt.Sprintf("tasks=%d", n), func(b *testing.B) {
			a := startBenchAgent(b)
			a.launchMany(b, "s-", n, 16)
			lat := make([]time.Duration, 0, b.N)
			size := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				resp, err := a.client.Get(a.url + "/state")
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				size = int(n)
			}
			b.StopTimer()
			reportPercentiles(b, lat, "")
			b.ReportMetric(float64(size)/1e6, "MB")
		})
	}
}
