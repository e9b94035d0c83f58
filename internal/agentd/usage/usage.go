// Package usage reads a container's resource usage from the kernel, as
// Mesos' isolators report it in ResourceStatistics (/monitor/statistics,
// /containers, GET_CONTAINERS): from the container's cgroups (v1 cpuacct,
// cpu and memory; v2 cpu.stat and memory.*) for the controllers it has, and
// otherwise from /proc over the process tree of its init process (the
// posix/cpu and posix/mem isolators); and counts the memory pressure events
// of v1 memory cgroups (Pressure).
package usage

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/procfs"
)

// Container says where a container's usage is and what it asked for.
type Container struct {
	// PID is the container's init process (0 when it has none): its
	// process tree is what posix isolation measures.
	PID int
	// Cgroups maps a controller (cpu, memory, pids) to the container's
	// cgroup directory on v1; on v2 the key "" names its one directory.
	Cgroups map[string]string
	// CPURequest and MemRequest are the cpus and memory (bytes) of the
	// executor and its tasks; CPULimit and MemLimit explicit limits (0:
	// none).
	CPURequest float64
	MemRequest uint64
	CPULimit   float64
	MemLimit   uint64
	// EnableCFS mirrors --cgroups_enable_cfs (cpus_limit and the CFS
	// counters), LimitSwap --cgroups_limit_swap (mem_total_memsw_bytes),
	// CountProcesses --cgroups_cpu_enable_pids_and_tids_count (processes,
	// threads).
	EnableCFS      bool
	LimitSwap      bool
	CountProcesses bool
	// Pressure holds the memory pressure events counted for the v1 memory
	// cgroup (Pressure.Counters; nil when not listened on).
	Pressure *[3]uint64
}

// userHZ is the kernel's USER_HZ: /proc and cpuacct.stat count in 1/100 s
// on every Linux architecture Go supports.
const userHZ = 100

// Read returns c's statistics (mesos.v1.ResourceStatistics) now. What cannot be read (a process that has
// exited, a cgroup that is gone) is left out, as Mesos leaves out what its
// isolators cannot report.
func Read(c Container, now time.Time) api.ResourceStatistics {
	st := api.ResourceStatistics{Timestamp: api.Float(float64(now.UnixNano()) / 1e9)}
	v2dir, v2 := c.Cgroups[""]

	// Processes: the members of the container's cgroup when it has one,
	// else the process tree of its init process.
	var pids []int
	for _, k := range []string{"", "cpu", "memory", "pids", "cpuacct"} {
		if dir := c.Cgroups[k]; dir != "" && pids == nil {
			pids = cgroupProcs(dir)
		}
	}
	if pids == nil && c.PID > 0 {
		pids = procfs.Tree(c.PID)
	}
	var procs []procfs.Stat
	for _, pid := range pids {
		if s, err := procfs.ReadStat(pid); err == nil && s.State != 'Z' {
			procs = append(procs, s)
		}
	}
	// Processes and threads: Mesos' cpuacct subsystem (v1: cgroup.procs
	// and tasks of the cpuacct cgroup) or the v2 core controller
	// (cgroup.procs and cgroup.threads); never with posix isolation.
	if c.CountProcesses {
		var procsFile, threadsFile string
		switch acct := cpuacctDir(c); {
		case v2:
			procsFile, threadsFile = filepath.Join(v2dir, "cgroup.procs"), filepath.Join(v2dir, "cgroup.threads")
		case acct != "":
			procsFile, threadsFile = filepath.Join(acct, "cgroup.procs"), filepath.Join(acct, "tasks")
		}
		if procsFile != "" {
			if n, ok := countLines(procsFile); ok {
				if t, ok := countLines(threadsFile); ok {
					st.Processes, st.Threads = u32(n), u32(t)
				}
			}
		}
	}

	// CPU: cpuacct (v1) or cpu.stat (v2), else the processes' own times.
	cpuRead := false
	if v2 {
		if kv := readKV(filepath.Join(v2dir, "cpu.stat")); kv != nil {
			st.CPUsUserTimeSecs = f64(float64(kv["user_usec"]) / 1e6)
			st.CPUsSystemTimeSecs = f64(float64(kv["system_usec"]) / 1e6)
			cpuRead = true
			// Mesos' v2 cpu controller reports the throttling counters
			// whenever cpu.stat has them (not only with CFS limits).
			if v, ok := kv["nr_periods"]; ok {
				st.CPUsNrPeriods = u32(v)
			}
			if v, ok := kv["nr_throttled"]; ok {
				st.CPUsNrThrottled = u32(v)
			}
			if v, ok := kv["throttled_usec"]; ok {
				st.CPUsThrottledTimeSecs = f64(float64(v) / 1e6)
			}
		}
	} else if dir := cpuacctDir(c); dir != "" {
		kv := readKV(filepath.Join(dir, "cpuacct.stat"))
		user, okU := kv["user"]
		system, okS := kv["system"]
		if okU && okS {
			st.CPUsUserTimeSecs = f64(float64(user) / userHZ)
			st.CPUsSystemTimeSecs = f64(float64(system) / userHZ)
		}
		cpuRead = true
	}
	if !v2 {
		if dir := c.Cgroups["cpu"]; dir != "" && c.EnableCFS {
			if kv := readKV(filepath.Join(dir, "cpu.stat")); kv != nil {
				st.CPUsNrPeriods, st.CPUsNrThrottled = u32(kv["nr_periods"]), u32(kv["nr_throttled"])
				st.CPUsThrottledTimeSecs = f64(float64(kv["throttled_time"]) / 1e9)
			}
		}
	}
	if !cpuRead && len(procs) > 0 {
		var utime, stime uint64
		for _, p := range procs {
			utime += p.UTime
			stime += p.STime
		}
		st.CPUsUserTimeSecs = f64(float64(utime) / userHZ)
		st.CPUsSystemTimeSecs = f64(float64(stime) / userHZ)
	}
	switch {
	case c.CPULimit > 0:
		st.CPUsLimit = f64(c.CPULimit)
	case c.EnableCFS && c.CPURequest > 0:
		st.CPUsLimit = f64(c.CPURequest)
	}
	if c.CPURequest > 0 {
		st.CPUsSoftLimit = f64(c.CPURequest)
	}

	// Memory.
	switch {
	case v2:
		st.MemTotalBytes = readUint(filepath.Join(v2dir, "memory.current"))
		if kv := readKV(filepath.Join(v2dir, "memory.stat")); kv != nil {
			st.MemFileBytes, st.MemCacheBytes = u64(kv["file"]), u64(kv["file"])
			st.MemAnonBytes, st.MemRSSBytes = u64(kv["anon"]), u64(kv["anon"])
			st.MemMappedFileBytes = u64(kv["file_mapped"])
			st.MemUnevictableBytes = u64(kv["unevictable"])
		}
		// Mesos' v2 memory controller reports no swap (nor memsw).
	case c.Cgroups["memory"] != "":
		dir := c.Cgroups["memory"]
		st.MemTotalBytes = readUint(filepath.Join(dir, "memory.usage_in_bytes"))
		if c.LimitSwap {
			st.MemTotalMemswBytes = readUint(filepath.Join(dir, "memory.memsw.usage_in_bytes"))
		}
		if kv := readKV(filepath.Join(dir, "memory.stat")); kv != nil {
			st.MemFileBytes, st.MemCacheBytes = u64(kv["total_cache"]), u64(kv["total_cache"])
			st.MemAnonBytes, st.MemRSSBytes = u64(kv["total_rss"]), u64(kv["total_rss"])
			st.MemMappedFileBytes = u64(kv["total_mapped_file"])
			if _, ok := kv["total_swap"]; ok {
				st.MemSwapBytes = u64(kv["total_swap"])
			}
			st.MemUnevictableBytes = u64(kv["total_unevictable"])
		}
		if p := c.Pressure; p != nil {
			st.MemLowPressureCounter, st.MemMediumPressureCounter, st.MemCriticalPressureCounter = u64(p[0]), u64(p[1]), u64(p[2])
		}
	case len(procs) > 0:
		var rss uint64
		for _, p := range procs {
			rss += uint64(max(p.RSSPages, 0)) * uint64(os.Getpagesize())
		}
		st.MemRSSBytes = u64(rss)
	}
	switch {
	case c.MemLimit > 0:
		st.MemLimitBytes = u64(c.MemLimit)
	case c.MemRequest > 0:
		st.MemLimitBytes = u64(c.MemRequest)
	}
	if c.MemRequest > 0 {
		st.MemSoftLimitBytes = u64(c.MemRequest)
	}
	return st
}

// cpuacctDir is the container's v1 cpuacct cgroup: its own mount, or the
// cpu cgroup when cpu and cpuacct are mounted together ("" if none).
func cpuacctDir(c Container) string {
	if d := c.Cgroups["cpuacct"]; d != "" {
		return d
	}
	if d := c.Cgroups["cpu"]; d != "" {
		if _, err := os.Stat(filepath.Join(d, "cpuacct.stat")); err == nil {
			return d
		}
	}
	return ""
}

// countLines counts the entries of a cgroup list file (cgroup.procs,
// tasks, cgroup.threads).
func countLines(path string) (uint64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	return uint64(len(strings.Fields(string(b)))), true
}

func f64(v float64) *api.Float { f := api.Float(v); return &f }
func u64(v uint64) *uint64     { return &v }
func u32(v uint64) *uint32     { n := uint32(v); return &n }

// readKV reads a "key value" per line file (cpuacct.stat, memory.stat,
// cpu.stat); nil when it cannot be read.
func readKV(path string) map[string]uint64 {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	kv := map[string]uint64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64); err == nil {
			kv[k] = n
		}
	}
	return kv
}

func readUint(path string) *uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

func cgroupProcs(dir string) []int {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}
