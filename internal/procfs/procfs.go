// Package procfs reads the few /proc facts mesosctl needs: a process's
// start time (to defend against pid reuse, like runc's hasInit), liveness,
// its parent and children, its command line, and CPU/memory usage (agentd's
// posix/cpu and posix/mem isolators). It is the one place /proc/<pid> is
// parsed: agentd, its executor and the test cluster's systemctl use it.
//
// It is kept small rather than replaced by github.com/prometheus/procfs:
// that library has no per-thread children lists (/proc/<pid>/task/*/children, which
// Tree needs), and parses every field of stat into a larger struct on
// paths agentd runs each second per container and per /containers call.
package procfs

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Stat is the part of /proc/<pid>/stat agentd uses.
type Stat struct {
	PID       int
	State     byte
	PPID      int
	PGRP      int
	Session   int
	UTime     uint64 // clock ticks
	STime     uint64
	Threads   int64  // num_threads
	StartTime uint64 // clock ticks since boot
	RSSPages  int64
}

// ReadStat parses /proc/<pid>/stat.
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Stat{}, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return Stat{}, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(s[i+2:])
	// f[0] is field 3 (state).
	if len(f) < 22 {
		return Stat{}, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	at := func(field int) uint64 { n, _ := strconv.ParseUint(f[field-3], 10, 64); return n }
	st := Stat{PID: pid, State: f[0][0], PPID: int(at(4)), PGRP: int(at(5)), Session: int(at(6)),
		UTime: at(14), STime: at(15), Threads: int64(at(20)), StartTime: at(22)}
	st.RSSPages, _ = strconv.ParseInt(f[24-3], 10, 64)
	return st, nil
}

// StartTime returns the start time of pid in clock ticks since boot.
func StartTime(pid int) (uint64, error) {
	st, err := ReadStat(pid)
	return st.StartTime, err
}

// Alive reports whether pid runs and is the same process that had start
// time start (0 = don't check). Zombies count as dead.
func Alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	st, err := ReadStat(pid)
	if err != nil || st.State == 'Z' || st.State == 'X' {
		return false
	}
	return start == 0 || st.StartTime == start
}

// Children lists the direct children of pid.
func Children(pid int) []int {
	// Each thread has its own children file (a Go program forks from any thread).
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var all []string
	for _, t := range tasks {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		all = append(all, strings.Fields(string(b))...)
	}
	var out []int
	for _, f := range all {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// Tree returns pid and all its descendants.
func Tree(pid int) []int {
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, Children(out[i])...)
	}
	return out
}

// Cmdline returns the argv of pid.
func Cmdline(pid int) []string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
}

// Usage sums user+system CPU seconds and RSS bytes over pids.
func Usage(pids []int) (cpuSecs float64, rssBytes int64) {
	page := int64(os.Getpagesize())
	for _, p := range pids {
		st, err := ReadStat(p)
		if err != nil {
			continue
		}
		cpuSecs += float64(st.UTime+st.STime) / 100
		rssBytes += st.RSSPages * page
	}
	return
}
