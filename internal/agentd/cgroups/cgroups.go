// Package cgroups creates, limits, enters and destroys the per-container
// cgroups of agentd's cgroups/* isolators, on cgroup v1 (one mount per
// controller under --cgroups_hierarchy) and v2 (a unified mount).
//
// Layout: v1 <hierarchy>/<controller>/<root>/<cid>; v2 <hierarchy>/<root>/<cid>.
// Limits follow Mesos: cpu.shares = max(1024*cpus, 2); with CFS quota
// 100ms*cpus per 100ms period; memory limit = max(mem, 32MB).
package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Limits are the container's resource limits.
type Limits struct {
	CPUs      float64
	MemMB     float64
	PidsMax   int // 0 = no pids limit (the controller still tracks the tree)
	EnableCFS bool
}

// Spec says where and which controllers.
type Spec struct {
	Hierarchy   string   // e.g. /sys/fs/cgroup
	Root        string   // e.g. mesos
	Controllers []string // subset of cpu, memory, pids
}

// Group is one container's cgroup(s).
type Group struct {
	V2   bool              `json:"v2"`
	Dirs map[string]string `json:"dirs"` // controller -> dir (v2: "" -> dir)
}

// MinMemMB is Mesos' minimum container memory limit.
const MinMemMB = 32

// IsV2 reports whether hierarchy is a cgroup2 mount.
func IsV2(hierarchy string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(hierarchy, &st); err != nil {
		return false
	}
	return st.Type == unix.CGROUP2_SUPER_MAGIC
}

// Create makes the container's cgroups and writes the limits.
func Create(s Spec, cid string, l Limits) (*Group, error) {
	g := &Group{V2: IsV2(s.Hierarchy), Dirs: map[string]string{}}
	if g.V2 {
		root := filepath.Join(s.Hierarchy, s.Root)
		avail, _ := os.ReadFile(filepath.Join(s.Hierarchy, "cgroup.controllers"))
		var enable []string
		for _, c := range s.Controllers {
			if hasWord(string(avail), c) {
				enable = append(enable, "+"+c)
			}
		}
		if err := os.MkdirAll(root, 0o755); err != nil {
			return nil, fmt.Errorf("create cgroup %s: %w", root, err)
		}
		if len(enable) > 0 {
			_ = write(filepath.Join(s.Hierarchy, "cgroup.subtree_control"), strings.Join(enable, " "))
			_ = write(filepath.Join(root, "cgroup.subtree_control"), strings.Join(enable, " "))
		}
		dir := filepath.Join(root, cid)
		if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
			return nil, fmt.Errorf("create cgroup %s: %w", dir, err)
		}
		g.Dirs[""] = dir
		have, _ := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
		for _, c := range s.Controllers {
			if !hasWord(string(have), c) {
				continue // controller bound to a v1 hierarchy: tracking only
			}
			if err := g.limitV2(c, dir, l); err != nil {
				g.Destroy()
				return nil, err
			}
		}
		return g, nil
	}
	for _, c := range s.Controllers {
		base := filepath.Join(s.Hierarchy, c)
		if _, err := os.Stat(filepath.Join(base, "cgroup.procs")); err != nil {
			g.Destroy()
			return nil, fmt.Errorf("cgroup controller %s is not mounted at %s (mount it or drop cgroups/%s from --isolation)", c, base, short(c))
		}
		dir := filepath.Join(base, s.Root, cid)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			g.Destroy()
			return nil, fmt.Errorf("create cgroup %s: %w", dir, err)
		}
		g.Dirs[c] = dir
		if err := limitV1(c, dir, l); err != nil {
			g.Destroy()
			return nil, err
		}
	}
	return g, nil
}

func short(c string) string {
	if c == "memory" {
		return "mem"
	}
	return c
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}

func memBytes(l Limits) int64 {
	mb := l.MemMB
	if mb < MinMemMB {
		mb = MinMemMB
	}
	return int64(mb * 1024 * 1024)
}

func limitV1(c, dir string, l Limits) error {
	switch c {
	case "cpu":
		shares := int64(1024 * l.CPUs)
		if shares < 2 {
			shares = 2
		}
		if err := write(filepath.Join(dir, "cpu.shares"), strconv.FormatInt(shares, 10)); err != nil {
			return err
		}
		if l.EnableCFS {
			q := int64(100000 * l.CPUs)
			if q < 1000 {
				q = 1000
			}
			if err := write(filepath.Join(dir, "cpu.cfs_period_us"), "100000"); err != nil {
				return err
			}
			return write(filepath.Join(dir, "cpu.cfs_quota_us"), strconv.FormatInt(q, 10))
		}
	case "memory":
		b := strconv.FormatInt(memBytes(l), 10)
		if err := write(filepath.Join(dir, "memory.limit_in_bytes"), b); err != nil {
			return err
		}
		return write(filepath.Join(dir, "memory.soft_limit_in_bytes"), b)
	case "pids":
		if l.PidsMax > 0 {
			return write(filepath.Join(dir, "pids.max"), strconv.Itoa(l.PidsMax))
		}
	}
	return nil
}

func (g *Group) limitV2(c, dir string, l Limits) error {
	switch c {
	case "cpu":
		w := int64(1024*l.CPUs) * 100 / 1024 // shares→weight, 1024 shares = 100
		if w < 1 {
			w = 1
		}
		if err := write(filepath.Join(dir, "cpu.weight"), strconv.FormatInt(w, 10)); err != nil {
			return err
		}
		if l.EnableCFS {
			q := int64(100000 * l.CPUs)
			if q < 1000 {
				q = 1000
			}
			return write(filepath.Join(dir, "cpu.max"), fmt.Sprintf("%d 100000", q))
		}
	case "memory":
		return write(filepath.Join(dir, "memory.max"), strconv.FormatInt(memBytes(l), 10))
	case "pids":
		if l.PidsMax > 0 {
			return write(filepath.Join(dir, "pids.max"), strconv.Itoa(l.PidsMax))
		}
	}
	return nil
}

func write(path, v string) error {
	if err := os.WriteFile(path, []byte(v), 0o644); err != nil {
		return fmt.Errorf("write %s to %s: %w", v, path, err)
	}
	return nil
}

// Enter moves pid into every cgroup of g (v1: each controller's cgroup.procs).
func (g *Group) Enter(pid int) error {
	for _, d := range g.Dirs {
		if err := write(filepath.Join(d, "cgroup.procs"), strconv.Itoa(pid)); err != nil {
			return err
		}
	}
	return nil
}

// Procs lists the processes in the container's cgroups.
func (g *Group) Procs() []int {
	seen := map[int]bool{}
	var out []int
	for _, d := range g.Dirs {
		b, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// OOMKilled reports whether the kernel OOM-killed a process of the group.
func (g *Group) OOMKilled() bool {
	if g == nil {
		return false
	}
	var path, key string
	if g.V2 {
		path, key = filepath.Join(g.Dirs[""], "memory.events"), "oom_kill"
	} else if d, ok := g.Dirs["memory"]; ok {
		path, key = filepath.Join(d, "memory.oom_control"), "oom_kill"
	} else {
		return false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == key && f[1] != "0" {
			return true
		}
	}
	return false
}

// MemLimitMB reports the memory limit written for the group (0 if none).
func (g *Group) MemLimitMB() float64 {
	var p string
	if g.V2 {
		p = filepath.Join(g.Dirs[""], "memory.max")
	} else if d, ok := g.Dirs["memory"]; ok {
		p = filepath.Join(d, "memory.limit_in_bytes")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	return n / (1024 * 1024)
}

// Kill SIGKILLs every process in the group.
func (g *Group) Kill() {
	for _, p := range g.Procs() {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

// Destroy kills what is left in the group and removes its directories.
func (g *Group) Destroy() error {
	if g == nil {
		return nil
	}
	var errs []error
	deadline := time.Now().Add(5 * time.Second)
	for len(g.Procs()) > 0 && time.Now().Before(deadline) {
		g.Kill()
		time.Sleep(10 * time.Millisecond)
	}
	for _, d := range g.Dirs {
		for {
			err := os.Remove(d)
			if err == nil || os.IsNotExist(err) {
				break
			}
			if time.Now().After(deadline) {
				errs = append(errs, fmt.Errorf("remove cgroup %s: %w", d, err))
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return errors.Join(errs...)
}

// Exists reports whether any directory of the group still exists.
func (g *Group) Exists() bool {
	for _, d := range g.Dirs {
		if _, err := os.Stat(d); err == nil {
			return true
		}
	}
	return false
}
