package usage

import (
	"encoding/json"
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
	"github.com/mesosctl/mesosctl/internal/procfs"
)

// start runs a shell script in the background and kills it and its
// children at the end.
func start(t *testing.T, script string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its children go with it
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	return cmd
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// keys returns the JSON keys of st in the order they are written.
func keys(t *testing.T, st api.ResourceStatistics) string {
	t.Helper()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	var out []string
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		out = append(out, k.(string))
		var v any
		dec.Decode(&v)
	}
	return strings.Join(out, ",")
}

// With posix isolation (no cgroups) usage is the process tree's, from
// /proc; the limits are the container's requests.
func TestPosixProcessTree(t *testing.T) {
	// sh and two sleeps, once both sleeps are there.
	cmd := start(t, "sleep 30 & sleep 30 & wait")
	c := Container{PID: cmd.Process.Pid, CPURequest: 0.5, MemRequest: 64 << 20, CountProcesses: true}
	waitFor(t, "three processes", func() bool { return len(procfs.Tree(cmd.Process.Pid)) == 3 })
	st := Read(c, time.Unix(1700000000, 500000000))
	// Mesos' posix isolators report no processes/threads, even with
	// --cgroups_cpu_enable_pids_and_tids_count (cpuacct reports them).
	if st.Timestamp != 1700000000.5 || st.Processes != nil || st.Threads != nil || st.MemRSSBytes == nil || *st.MemRSSBytes == 0 ||
		st.CPUsUserTimeSecs == nil || st.CPUsSystemTimeSecs == nil || *st.CPUsSoftLimit != 0.5 ||
		*st.MemLimitBytes != 64<<20 || *st.MemSoftLimitBytes != 64<<20 || st.CPUsLimit != nil || st.MemTotalBytes != nil {
		b, _ := json.Marshal(st)
		t.Errorf("statistics = %s", b)
	}
	if got, want := keys(t, st), "timestamp,cpus_user_time_secs,cpus_system_time_secs,cpus_soft_limit,"+
		"mem_limit_bytes,mem_soft_limit_bytes,mem_rss_bytes"; got != want {
		t.Errorf("keys %s\nwant %s", got, want)
	}
	// Mesos' default: no processes/threads, no cpus_limit without CFS or a limit.
	c.CountProcesses, c.EnableCFS = false, true
	st = Read(c, time.Now())
	if st.Processes != nil || st.Threads != nil || st.CPUsLimit == nil || *st.CPUsLimit != 0.5 {
		t.Errorf("with CFS, without counting: %+v", st)
	}
	c.CPULimit, c.MemLimit = 2, 128<<20
	if st = Read(c, time.Now()); *st.CPUsLimit != 2 || *st.MemLimitBytes != 128<<20 || *st.MemSoftLimitBytes != 64<<20 {
		t.Errorf("explicit limits: %+v", st)
	}
}

func TestGoneProcessReportsNoUsage(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	st := Read(Container{PID: cmd.Process.Pid, MemRequest: 1 << 20}, time.Now())
	if st.CPUsUserTimeSecs != nil || st.MemRSSBytes != nil || *st.MemLimitBytes != 1<<20 {
		t.Errorf("statistics of an exited process: %+v", st)
	}
}

// makeCgroup creates a cgroup v1 directory under a controller's mount (or
// the v2 mount for controller "") and removes it at the end.
func makeCgroup(t *testing.T, mount string) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(mount, "cgroup.procs")); err != nil {
		t.Fatalf("no cgroup hierarchy at %s (this test needs the kernel's cgroups, as root): %v", mount, err)
	}
	dir := filepath.Join(mount, fmt.Sprintf("mesosctl-usage-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for os.Remove(dir) != nil && time.Now().Before(deadline) {
			for _, pid := range cgroupProcs(dir) {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	return dir
}

func enter(t *testing.T, dir string, pid int) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A process put into v1 cpu, cpuacct and memory cgroups is measured there.
func TestCgroupsV1(t *testing.T) {
	const root = "/sys/fs/cgroup"
	cg := map[string]string{}
	for _, c := range []string{"cpu", "cpuacct", "memory"} {
		cg[c] = makeCgroup(t, filepath.Join(root, c))
	}
	go_ := filepath.Join(t.TempDir(), "go")
	// Waits until it is in its cgroups, then holds 16 MB in a shell variable.
	cmd := start(t, fmt.Sprintf(`while [ ! -e %[1]s ]; do sleep 0.02; done
x=$(head -c 16000000 /dev/zero | tr '\0' a); sleep 30 & touch %[1]s.done; wait`, go_))
	for _, dir := range cg {
		enter(t, dir, cmd.Process.Pid)
	}
	os.WriteFile(go_, nil, 0o644)
	waitFor(t, "the allocation", func() bool { _, err := os.Stat(go_ + ".done"); return err == nil })
	var pressure Pressure
	if err := pressure.Listen(cg["memory"]); err != nil {
		t.Fatal(err)
	}
	defer pressure.Close(cg["memory"])
	counts, _ := pressure.Counters(cg["memory"])
	// The cpuacct cgroup's cgroup.procs and tasks, once touch is gone.
	waitFor(t, "sh and sleep", func() bool {
		st := Read(Container{Cgroups: cg, CountProcesses: true}, time.Now())
		return st.Processes != nil && *st.Processes == 2
	})
	st := Read(Container{Cgroups: cg, CPURequest: 1, MemRequest: 256 << 20, CountProcesses: true, Pressure: &counts}, time.Now())
	b, _ := json.Marshal(st)
	if st.MemTotalBytes == nil || *st.MemTotalBytes < 16000000 || st.MemRSSBytes == nil || st.MemCacheBytes == nil ||
		st.MemMappedFileBytes == nil || st.MemUnevictableBytes == nil || st.CPUsUserTimeSecs == nil ||
		st.CPUsSystemTimeSecs == nil || *st.CPUsUserTimeSecs+*st.CPUsSystemTimeSecs <= 0 ||
		*st.Processes != 2 || *st.Threads != 2 || // sh and sleep, from the cpuacct cgroup
		st.MemLowPressureCounter == nil || st.MemMediumPressureCounter == nil || st.MemCriticalPressureCounter == nil ||
		st.MemSwapBytes == nil || st.MemTotalMemswBytes != nil || st.CPUsNrPeriods != nil {
		t.Errorf("statistics = %s", b)
	}
	// JSON in ResourceStatistics' declaration order.
	if got, want := keys(t, st), "timestamp,processes,threads,cpus_user_time_secs,cpus_system_time_secs,cpus_soft_limit,"+
		"mem_total_bytes,mem_limit_bytes,mem_soft_limit_bytes,mem_file_bytes,mem_anon_bytes,mem_cache_bytes,mem_rss_bytes,"+
		"mem_mapped_file_bytes,mem_swap_bytes,mem_unevictable_bytes,mem_low_pressure_counter,mem_medium_pressure_counter,"+
		"mem_critical_pressure_counter"; got != want {
		t.Errorf("keys %s\nwant %s", got, want)
	}
	// CFS: the cpu cgroup's throttling counters.
	st = Read(Container{Cgroups: cg, CPURequest: 1, EnableCFS: true}, time.Now())
	if st.CPUsNrPeriods == nil || st.CPUsNrThrottled == nil || st.CPUsThrottledTimeSecs == nil || *st.CPUsLimit != 1 {
		b, _ := json.Marshal(st)
		t.Errorf("with CFS: %s", b)
	}
	if *st.MemRSSBytes != *st.MemAnonBytes || *st.MemCacheBytes != *st.MemFileBytes {
		t.Errorf("the deprecated duplicates differ: %s", b)
	}
}

// On v2 the cpu times come from cpu.stat (always there).
func TestCgroupsV2(t *testing.T) {
	dir := makeCgroup(t, "/sys/fs/cgroup/unified")
	cmd := start(t, "while :; do :; done")
	enter(t, dir, cmd.Process.Pid)
	c := Container{Cgroups: map[string]string{"": dir}, CountProcesses: true}
	waitFor(t, "cpu time", func() bool {
		st := Read(c, time.Now())
		return st.CPUsUserTimeSecs != nil && *st.CPUsUserTimeSecs+*st.CPUsSystemTimeSecs > 0.05
	})
	st := Read(c, time.Now())
	b, _ := json.Marshal(st)
	// Mesos' v2 controllers: processes and threads from the cgroup, the
	// throttling counters whenever cpu.stat has them (with the cpu
	// controller on), no swap and no pressure counters.
	stat, _ := os.ReadFile(filepath.Join(dir, "cpu.stat"))
	throttling := strings.Contains(string(stat), "nr_periods")
	if *st.Processes != 1 || *st.Threads != 1 || (st.CPUsNrPeriods != nil) != throttling || (st.CPUsNrThrottled != nil) != throttling ||
		(st.CPUsThrottledTimeSecs != nil) != throttling || st.MemSwapBytes != nil || st.MemTotalMemswBytes != nil || st.MemLowPressureCounter != nil {
		t.Errorf("statistics = %s (cpu.stat %q)", b, stat)
	}
}

// Memory pressure: reclaim in a v1 memory cgroup at its limit is counted
// on the eventfds registered for the low, medium and critical levels, as
// Mesos' cgroups/mem isolator counts it.
func TestMemoryPressureCounters(t *testing.T) {
	dir := makeCgroup(t, "/sys/fs/cgroup/memory")
	if err := os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), []byte("16777216"), 0o644); err != nil {
		t.Fatal(err)
	}
	var p Pressure
	if err := p.Listen(dir); err != nil {
		t.Fatal(err)
	}
	defer p.Close(dir)
	if c, ok := p.Counters(dir); !ok || c != [3]uint64{} {
		t.Fatalf("before any pressure: %v %v", c, ok)
	}
	// Writing 64 MB of page cache through a 16 MB cgroup forces reclaim.
	file := filepath.Join(t.TempDir(), "fill")
	cmd := start(t, fmt.Sprintf("while [ ! -e %[1]s.go ]; do sleep 0.02; done; dd if=/dev/zero of=%[1]s bs=1M count=64 2>/dev/null; touch %[1]s.done; sleep 30", file))
	enter(t, dir, cmd.Process.Pid)
	os.WriteFile(file+".go", nil, 0o644)
	waitFor(t, "the write", func() bool { _, err := os.Stat(file + ".done"); return err == nil })
	var c [3]uint64
	waitFor(t, "low pressure events", func() bool { c, _ = p.Counters(dir); return c[0] > 0 })
	again, _ := p.Counters(dir)
	if again[0] < c[0] {
		t.Errorf("counters went down: %v then %v", c, again)
	}
	if _, ok := p.Counters("/nonexistent"); ok {
		t.Error("counters of a cgroup not listened on")
	}
	if err := p.Listen(filepath.Join(dir, "nonexistent")); err == nil || !strings.Contains(err.Error(), "Failed to listen on 'low' memory pressure events") {
		t.Errorf("listen on a missing cgroup: %v", err)
	}
}
