package agentd

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/procfs"
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
	d, _ := launchStages(b, a, id, cmd)
	return d
}

// launchStages is launchAndWaitRunning that also splits the launch by the
// timestamps the executor gives its updates: API call → TASK_STARTING
// recorded (agentd's part, both helper process starts, the launch
// checkpoint), TASK_STARTING → TASK_RUNNING recorded (the task's fork),
// TASK_RUNNING recorded → seen by the client (agentd's notification and
// the long poll).
func launchStages(b *testing.B, a *agentProc, id, cmd string) (time.Duration, [3]time.Duration) {
	start := time.Now()
	spec := sh(id, cmd)
	spec.Resources = api.TaskResources{CPUs: 0.001, Mem: 1}
	a.launch(spec)
	after := 0
	for {
		ti := a.task(id, fmt.Sprintf("?after=%d&timeout=30s", after))
		if ti.State == "TASK_RUNNING" {
			seen := time.Now()
			var stages [3]time.Duration
			ts := map[string]time.Time{}
			for _, u := range ti.Statuses {
				ts[u.State] = time.Unix(0, int64(u.Timestamp*1e9))
			}
			if starting, running := ts["TASK_STARTING"], ts["TASK_RUNNING"]; !starting.IsZero() && !running.IsZero() {
				stages = [3]time.Duration{starting.Sub(start), running.Sub(starting), seen.Sub(running)}
			}
			return seen.Sub(start), stages
		}
		if len(ti.Statuses) > 0 && strings.HasPrefix(ti.State, "TASK_") && ti.State != "TASK_STARTING" && ti.State != "TASK_STAGING" {
			b.Fatalf("task %s ended: %+v", id, ti)
		}
		after = len(ti.Statuses)
	}
}

// benchAgent starts the benchmarks' agentd: room for every task, and the
// flags in MESOSCTL_BENCH_AGENTD_FLAGS (space-separated; e.g.
// --mesosctl_warm_launchers=0 for the cold launch path).
func benchAgent(b *testing.B) *agentProc {
	return startBinaryAgent(b, append([]string{"--resources=cpus:1000;mem:1000000;disk:1000"},
		strings.Fields(os.Getenv("MESOSCTL_BENCH_AGENTD_FLAGS"))...)...)
}

// idlePairsPSSMB is the PSS of the agent's idle pre-started launchers and
// their executors (--mesosctl_warm_launchers), all together, in MB.
func idlePairsPSSMB(a *agentProc) float64 {
	kb := 0
	for _, pid := range a.idlePairs() {
		kb += pssKB(pid)
		for _, child := range procfs.Children(pid) {
			kb += pssKB(child)
		}
	}
	return float64(kb) / 1024
}

// settleIdlePairs waits (at most 2 s) until the agent's pre-started pairs
// are all started and idle — their CPU time unchanged over 50 ms — so that
// the replacement of the pair the last launch took does not run during the
// next measurements (as launches spaced in time find it). Without
// pre-started pairs it returns at once.
func settleIdlePairs(a *agentProc) {
	want, _ := strconv.Atoi(flagValue(a.args, "--mesosctl_warm_launchers=", "2"))
	ticks := func() (n uint64, procs int) {
		for _, pid := range a.idlePairs() {
			for _, p := range append([]int{pid}, procfs.Children(pid)...) {
				if st, err := procfs.ReadStat(p); err == nil {
					n += st.UTime + st.STime
					procs++
				}
			}
		}
		return n, procs
	}
	last, _ := ticks()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		n, procs := ticks()
		if n == last && procs == 2*want {
			return
		}
		last = n
	}
}

// flagValue is the value of the last of args with prefix, or def.
func flagValue(args []string, prefix, def string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, prefix); ok {
			def = v
		}
	}
	return def
}

// BenchmarkTaskLaunchLatency: API call → TASK_RUNNING, one task at a time.
func BenchmarkTaskLaunchLatency(b *testing.B) {
	a := benchAgent(b)
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

// BenchmarkThousandTasks: first the floor — N chains of the same process
// tree made of minimal Go programs (floorThousand) — then launch N sleep
// tasks concurrently on one agent, then measure /state latency with N
// tasks right after the launches and once the machine is idle again (at
// most 60 s later), then kill -9 agentd, restart it, and measure recovery
// time and how many tasks were lost.
func BenchmarkThousandTasks(b *testing.B) {
	n := 1000
	if s := os.Getenv("MESOSCTL_BENCH_TASKS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	floor := buildFloor(b)
	for i := 0; i < b.N; i++ {
		// 0. The floor: n chains of the same tree made of minimal Go
		// programs (floorThousand), started the same way, then killed.
		settle(30 * time.Second)
		floorAll := floorThousand(b, floor, n)
		b.ReportMetric(floorAll.Seconds(), "floor-all-s")
		b.ReportMetric(float64(n)/floorAll.Seconds(), "floor-tasks/s")
		settle(30 * time.Second)

		a := benchAgent(b)
		// 1. Launch n tasks concurrently (64 clients).
		start := time.Now()
		launchSleepers(b, a, "t-", 0, n)
		launchAll := time.Since(start)
		b.ReportMetric(launchAll.Seconds(), "launch-all-s")
		b.ReportMetric(float64(n)/launchAll.Seconds(), "tasks/s")
		b.ReportMetric(rssMB(a.cmd.Process.Pid), "agentd-rss-MB")
		b.ReportMetric(helpersPSSPerTask(a), "helpers-pss-MB/task")

		// 2. /state with n tasks: right after the launches (the machine
		// still busy with their helpers' starts), then settled (idle, at
		// most 60 s later), each with the load average.
		b.ReportMetric(loadAvg1(), "state-load1")
		lat := stateWithTasks(b, a, 50)
		b.ReportMetric(ms(percentile(lat, 0.5)), "state-p50-ms")
		b.ReportMetric(ms(percentile(lat, 0.99)), "state-p99-ms")
		waited, busy := settle(60 * time.Second)
		b.ReportMetric(waited.Seconds(), "settle-s")
		b.ReportMetric(busy*100, "settled-busy-%")
		b.ReportMetric(loadAvg1(), "settled-load1")
		lat = stateWithTasks(b, a, 50)
		b.ReportMetric(ms(percentile(lat, 0.5)), "settled-state-p50-ms")
		b.ReportMetric(ms(percentile(lat, 0.99)), "settled-state-p99-ms")

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

// stateWithTasks checks once that /state decodes as a client's would
// (the JSON an agent with those tasks serves), then times n GETs of it,
// one at a time, each body read whole as curl reads it (stateLatencies:
// the same measure as the 0- and 100-task rows; a client's own decoding
// of ≈ 1 MB of JSON is the client's cost, not the agent's).
func stateWithTasks(b *testing.B, a *agentProc, n int) []time.Duration {
	resp, err := http.Get(a.URL + "/state")
	if err != nil {
		b.Fatal(err)
	}
	var st api.State
	err = json.NewDecoder(resp.Body).Decode(&st)
	resp.Body.Close()
	if err != nil {
		b.Fatalf("/state: %v", err)
	}
	return stateLatencies(b, a, n)
}

// pssKB is the proportional set size of a process (smaps_rollup), in kB.
func pssKB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "Pss:" {
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	return 0
}

// helpersPSSPerTask is the PSS of the per-task helper processes
// (containerizer launch and executor, not the task's own sh and command),
// summed over the agent's containers and divided by their count, in MB.
func helpersPSSPerTask(a *agentProc) float64 {
	files, _ := filepath.Glob(filepath.Join(a.dir, "run", "containers", "*", "pid"))
	total, n := 0, 0
	for _, f := range files {
		var pid int
		data, _ := os.ReadFile(f)
		if _, err := fmt.Sscan(string(data), &pid); err != nil {
			continue
		}
		kb := pssKB(pid)
		if kb == 0 {
			continue
		}
		for _, child := range procfs.Children(pid) {
			kb += pssKB(child) // the executor
		}
		total += kb
		n++
	}
	if n == 0 {
		return 0
	}
	return float64(total) / float64(n) / 1024
}

// stateLatencies GETs /state n times, one at a time.
func stateLatencies(b *testing.B, a *agentProc, n int) []time.Duration {
	var lat []time.Duration
	for j := 0; j < n; j++ {
		t0 := time.Now()
		resp, err := http.Get(a.URL + "/state")
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(t0))
	}
	return lat
}

// shChain runs the floor of a launch: a bare fork+exec of the same
// three-level chain the agent starts (two processes above `sh -c`), run to
// completion: sh -c 'sh -c "sh -c true"'.
func shChain(b *testing.B) time.Duration {
	t0 := time.Now()
	if err := exec.Command("/bin/sh", "-c", `/bin/sh -c "/bin/sh -c true"`).Run(); err != nil {
		b.Fatal(err)
	}
	return time.Since(t0)
}

// helperStart runs the start of agentd's per-task helper processes alone:
// `mesosctl executor` with a launch info that does not exist (the binary's
// whole start, package initialisation included, then an error), in the
// helpers' environment (launcher.HelperEnv).
func helperStart(b *testing.B, bin string) time.Duration {
	cmd := exec.Command(bin, "executor", "--launch_info=/nonexistent/launch_info")
	cmd.Env = launcher.EnvList(launcher.HelperEnv)
	t0 := time.Now()
	if err := cmd.Run(); err == nil {
		b.Fatal("mesosctl executor ran without its launch info")
	}
	return time.Since(t0)
}

// BenchmarkAgentSpeed measures, in one run against one agentd process:
// its idle RSS; /state latency at 0 tasks; launch latency (task API call →
// TASK_RUNNING, one at a time, b.N tasks) against the floor (a bare
// fork+exec of the 3-level sh -c chain, and the same tree made of minimal
// Go programs to sh -c started (floorLaunch), interleaved), split into stages
// (launchStages), and against the start of one helper process
// (helperStart, interleaved: a launch starts two in series); /state latency at
// b.N tasks; the PSS of the helper processes per task. Use -benchtime 100x
// for /state at 100 tasks. scripts/bench/agent-speed.sh prints the table.
func BenchmarkAgentSpeed(b *testing.B) {
	a := benchAgent(b)
	time.Sleep(2 * time.Second) // settled: the first poller rounds done
	b.ReportMetric(rssMB(a.cmd.Process.Pid), "idle-rss-MB")
	b.ReportMetric(idlePairsPSSMB(a), "idle-pairs-pss-MB")
	st0 := stateLatencies(b, a, 200)
	b.ReportMetric(ms(percentile(st0, 0.5)), "state0-p50-ms")
	b.ReportMetric(ms(percentile(st0, 0.99)), "state0-p99-ms")
	floorBin := buildFloor(b)
	var lat, floor, tree, helper []time.Duration
	var stages [3][]time.Duration
	// One launch first, not measured: agentd starts its pre-started pairs
	// from its first launch of a command task on.
	launchAndWaitRunning(b, a, "speed-first", "sleep 3600")
	for i := 0; i < b.N; i++ {
		settleIdlePairs(a)
		floor = append(floor, shChain(b))
		tree = append(tree, floorLaunch(b, floorBin))
		helper = append(helper, helperStart(b, a.bin))
		d, st := launchStages(b, a, fmt.Sprintf("speed-%d", i), "sleep 3600")
		lat = append(lat, d)
		for j := range st {
			stages[j] = append(stages[j], st[j])
		}
	}
	b.ReportMetric(ms(percentile(helper, 0.5)), "helper-start-p50-ms")
	for j, name := range []string{"to-starting", "starting-to-running", "running-to-seen"} {
		b.ReportMetric(ms(percentile(stages[j], 0.5)), name+"-p50-ms")
	}
	b.ReportMetric(ms(percentile(lat, 0.5)), "launch-p50-ms")
	b.ReportMetric(ms(percentile(lat, 0.99)), "launch-p99-ms")
	b.ReportMetric(ms(percentile(floor, 0.5)), "floor-p50-ms")
	b.ReportMetric(ms(percentile(floor, 0.99)), "floor-p99-ms")
	b.ReportMetric(ms(percentile(tree, 0.5)), "tree-floor-p50-ms")
	b.ReportMetric(ms(percentile(tree, 0.99)), "tree-floor-p99-ms")
	stN := stateLatencies(b, a, 200)
	b.ReportMetric(ms(percentile(stN, 0.5)), "stateN-p50-ms")
	b.ReportMetric(ms(percentile(stN, 0.99)), "stateN-p99-ms")
	b.ReportMetric(helpersPSSPerTask(a), "helpers-pss-MB/task")
	b.ReportMetric(idlePairsPSSMB(a), "idle-pairs-pss-end-MB")
}

// cpuTicks is the user+system CPU time of pid so far, in clock ticks
// (1/100 s).
func cpuTicks(b *testing.B, pid int) uint64 {
	st, err := procfs.ReadStat(pid)
	if err != nil {
		b.Fatal(err)
	}
	return st.UTime + st.STime
}

// launchSleepers starts tasks prefix+from..to-1 (sleep 3600) with 64
// concurrent clients and waits until each is RUNNING.
func launchSleepers(b *testing.B, a *agentProc, prefix string, from, to int) {
	ids := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				launchAndWaitRunning(b, a, fmt.Sprintf("%s%04d", prefix, id), "sleep 3600")
			}
		}()
	}
	for id := from; id < to; id++ {
		ids <- id
	}
	close(ids)
	wg.Wait()
}

// BenchmarkSteadyCPU measures agentd's own CPU use while nothing is asked
// of it (no HTTP requests), with 0, 100 and 1,000 running sleep tasks:
// user+system time of the agentd process over MESOSCTL_BENCH_CPU_SECS
// (default 30) seconds, as milliseconds of CPU per second; then /state
// latency with the 1,000 tasks. MESOSCTL_BENCH_TASKS sets the 1,000;
// MESOSCTL_BENCH_PERF=FILE records perf call graphs of agentd into FILE
// while the 1,000 run.
func BenchmarkSteadyCPU(b *testing.B) {
	n, secs := 1000, 30
	if s := os.Getenv("MESOSCTL_BENCH_TASKS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	if s := os.Getenv("MESOSCTL_BENCH_CPU_SECS"); s != "" {
		secs, _ = strconv.Atoi(s)
	}
	for i := 0; i < b.N; i++ {
		a := benchAgent(b)
		pid := a.cmd.Process.Pid
		launched := 0
		for _, tasks := range []int{0, min(100, n), n} {
			launchSleepers(b, a, "idle-", launched, tasks)
			launched = tasks
			time.Sleep(3 * time.Second) // settled: launch work and GC done
			t0, c0 := time.Now(), cpuTicks(b, pid)
			if out := os.Getenv("MESOSCTL_BENCH_PERF"); out != "" && tasks == n {
				// perf's call graphs of agentd in the measured window.
				rec := exec.Command("perf", "record", "-q", "-g", "-p", strconv.Itoa(pid), "-o", out, "--", "sleep", strconv.Itoa(secs))
				if msg, err := rec.CombinedOutput(); err != nil {
					b.Fatalf("perf record: %v: %s", err, msg)
				}
			} else {
				time.Sleep(time.Duration(secs) * time.Second)
			}
			used := float64(cpuTicks(b, pid)-c0) * 10 // ms
			name := strconv.Itoa(tasks)
			if tasks == n {
				name = "N"
			}
			b.ReportMetric(used/time.Since(t0).Seconds(), "cpu"+name+"-ms/s")
		}
		lat := stateLatencies(b, a, 100)
		b.ReportMetric(ms(percentile(lat, 0.5)), "stateN-p50-ms")
		b.ReportMetric(ms(percentile(lat, 0.99)), "stateN-p99-ms")
	}
}
