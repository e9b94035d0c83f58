package agentd

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

// Benchmarks of the task runtime through a real agentd process. Run with
//
//	go test -run '^$' -bench 'Task' -benchtime 1x ./internal/cmd/agentd/
//
// MESOSCTL_BENCH_TASKS sets the task count of BenchmarkThousandTasks
// (default 1000). Figures are reported as custom metrics.

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p * float64(len(s)-1))
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// launchAndWaitRunning submits one task and long-polls until TASK_RUNNING.
func launchAndWaitRunning(b *testing.B, a *agentProc, id, cmd string) time.Duration {
	start := time.Now()
	spec := sh(id, cmd)
	spec.Resources = api.TaskResources{CPUs: 0.001, Mem: 1}
	a.launch(spec)
	after := 0
	for {
		ti := a.task(id, fmt.Sprintf("?after=%d&timeout=30s", after))
		if ti.State == "TASK_RUNNING" {
			return time.Since(start)
		}
		if len(ti.Statuses) > 0 && strings.HasPrefix(ti.State, "TASK_") && ti.State != "TASK_STARTING" && ti.State != "TASK_STAGING" {
			b.Fatalf("task %s ended: %+v", id, ti)
		}
		after = len(ti.Statuses)
	}
}

// BenchmarkTaskLaunchLatency: API call → TASK_RUNNING, one task at a time.
func BenchmarkTaskLaunchLatency(b *testing.B) {
	a := startBinaryAgent(b, "--resources=cpus:1000;mem:1000000;disk:1000")
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		lat = append(lat, launchAndWaitRunning(b, a, fmt.Sprintf("lat-%d", i), "sleep 600"))
	}
	b.ReportMetric(ms(percentile(lat, 0.5)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
}

func rssMB(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkThousandTasks: launch N sleep tasks concurrently on one agent,
// then measure /state latency with N tasks, then kill -9 agentd, restart
// it, and measure recovery time and how many tasks were lost.
func BenchmarkThousandTasks(b *testing.B) {
	n := 1000
	if s := os.Getenv("MESOSCTL_BENCH_TASKS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for i := 0; i < b.N; i++ {
		a := startBinaryAgent(b, "--resources=cpus:1000;mem:1000000;disk:1000")
		// 1. Launch n tasks concurrently (64 clients).
		start := time.Now()
		ids := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < 64; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for id := range ids {
					launchAndWaitRunning(b, a, fmt.Sprintf("t-%04d", id), "sleep 3600")
				}
			}()
		}
		for id := 0; id < n; id++ {
			ids <- id
		}
		close(ids)
		wg.Wait()
		launchAll := time.Since(start)
		b.ReportMetric(launchAll.Seconds(), "launch-all-s")
		b.ReportMetric(float64(n)/launchAll.Seconds(), "tasks/s")
		b.ReportMetric(rssMB(a.cmd.Process.Pid), "agentd-rss-MB")

		// 2. /state with n tasks.
		var lat []time.Duration
		for j := 0; j < 50; j++ {
			t0 := time.Now()
			resp, err := http.Get(a.URL + "/state")
			if err != nil {
				b.Fatal(err)
			}
			var st api.State
			if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			lat = append(lat, time.Since(t0))
		}
		b.ReportMetric(ms(percentile(lat, 0.5)), "state-p50-ms")
		b.ReportMetric(ms(percentile(lat, 0.99)), "state-p99-ms")

		// 3. kill -9 and recover.
		a.kill9()
		t0 := time.Now()
		a.restart()
		recovery := time.Since(t0)
		var list api.TaskList
		_, body := a.do("GET", api.TaskPath+"?state=TASK_RUNNING", nil)
		json.Unmarshal(body, &list)
		b.ReportMetric(recovery.Seconds(), "recovery-s")
		b.ReportMetric(float64(n-len(list.Tasks)), "lost")
		if len(list.Tasks) != n {
			b.Errorf("%d of %d tasks RUNNING after recovery", len(list.Tasks), n)
		}
	}
}
