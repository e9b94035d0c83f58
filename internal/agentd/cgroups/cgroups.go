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
	// LimitSwap (--cgroups_limit_swap) limits memory plus swap to the
	// memory limit: no swap beyond it (v1 memory.memsw.limit_in_bytes, v2
	// memory.swap.max 0).
	LimitSwap bool
}

// Spec says where and which controllers.
type Spec struct {
	Hierarchy   string   // e.g. /sys/fs/cgroup
	Root        string   // e.g. mesos
	Controllers []string // subset of cpu, memory, pids
	// LimitSwap: Check requires swap accounting (--cgroups_limit_swap).
	LimitSwap bool
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

// Check verifies, before any container is launched, that every controller
// of s can be applied under s.Hierarchy and prepares the root cgroup: on
// v1 each controller must be mounted at <hierarchy>/<controller>; on v2
// each must be available in the hierarchy (a controller bound to a v1
// hierarchy is not) and is enabled for <root>'s children. Anything that
// cannot be done is an error naming the controller: agentd never runs a
// task without a limit it was asked to apply.
func Check(s Spec) error {
	if IsV2(s.Hierarchy) {
		return prepareV2(s)
	}
	if len(s.Controllers) > 0 && !isV1Base(s.Hierarchy) {
		return fmt.Errorf("--cgroups_hierarchy=%s is neither a cgroup v2 mount nor a directory of cgroup v1 mounts", s.Hierarchy)
	}
	for _, c := range s.Controllers {
		base := filepath.Join(s.Hierarchy, c)
		if _, err := os.Stat(filepath.Join(base, "cgroup.procs")); err != nil {
			return fmt.Errorf("cgroup controller %s is not mounted at %s (cgroup v1): mount it or drop cgroups/%s from --isolation", c, base, short(c))
		}
		if c == "memory" && s.LimitSwap {
			if _, err := os.Stat(filepath.Join(base, "memory.memsw.limit_in_bytes")); err != nil {
				return fmt.Errorf("--cgroups_limit_swap: 'memory.memsw.limit_in_bytes' is not available under %s (boot the kernel with swapaccount=1, or turn --cgroups_limit_swap off)", base)
			}
		}
		if err := os.MkdirAll(filepath.Join(base, s.Root), 0o755); err != nil {
			return fmt.Errorf("create cgroup %s: %w", filepath.Join(base, s.Root), err)
		}
	}
	return nil
}

// isV1Base reports whether dir holds cgroup v1 mounts (a tmpfs of them, as
// /sys/fs/cgroup on a v1 host).
func isV1Base(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		var st unix.Statfs_t
		if unix.Statfs(filepath.Join(dir, e.Name()), &st) == nil && st.Type == unix.CGROUP_SUPER_MAGIC {
			return true
		}
	}
	return false
}

// Available lists the controllers of want that can be applied under
// hierarchy (v1: mounted there; v2: available in its root).
func Available(hierarchy string, want []string) (v2 bool, have []string) {
	v2 = IsV2(hierarchy)
	var avail string
	if v2 {
		b, _ := os.ReadFile(filepath.Join(hierarchy, "cgroup.controllers"))
		avail = string(b)
	}
	for _, c := range want {
		if v2 && hasWord(avail, c) {
			have = append(have, c)
		}
		if _, err := os.Stat(filepath.Join(hierarchy, c, "cgroup.procs")); !v2 && err == nil {
			have = append(have, c)
		}
	}
	return v2, have
}

// prepareV2 enables the controllers of s for the children of <root> (in
// the hierarchy's and in <root>'s cgroup.subtree_control) and checks that
// they are enabled.
func prepareV2(s Spec) error {
	avail, err := os.ReadFile(filepath.Join(s.Hierarchy, "cgroup.controllers"))
	if err != nil {
		return fmt.Errorf("read the controllers of the cgroup v2 hierarchy %s: %w", s.Hierarchy, err)
	}
	var enable []string
	for _, c := range s.Controllers {
		if !hasWord(string(avail), c) {
			return fmt.Errorf("cgroup controller %s is not available in the cgroup v2 hierarchy %s (it offers: %s; a controller bound to a cgroup v1 hierarchy is not available to v2): drop cgroups/%s from --isolation, or point --cgroups_hierarchy at the v1 mounts",
				c, s.Hierarchy, orNone(string(avail)), short(c))
		}
		enable = append(enable, "+"+c)
	}
	root := filepath.Join(s.Hierarchy, s.Root)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("create cgroup %s: %w", root, err)
	}
	if len(enable) == 0 {
		return nil
	}
	for _, dir := range []string{s.Hierarchy, root} {
		if err := write(filepath.Join(dir, "cgroup.subtree_control"), strings.Join(enable, " ")); err != nil {
			return fmt.Errorf("enable cgroup controllers %s for the children of %s: %w", strings.Join(s.Controllers, ", "), dir, err)
		}
	}
	on, err := os.ReadFile(filepath.Join(root, "cgroup.subtree_control"))
	if err != nil {
		return err
	}
	for _, c := range s.Controllers {
		if !hasWord(string(on), c) {
			return fmt.Errorf("cgroup controller %s is not enabled in %s after enabling it (cgroup.subtree_control: %s)", c, root, orNone(string(on)))
		}
	}
	return nil
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "none"
	}
	return strings.TrimSpace(s)
}

// Create makes the container's cgroups and writes the limits. Every
// controller of s is applied or Create fails (removing what it made).
func Create(s Spec, cid string, l Limits) (*Group, error) {
	g := &Group{V2: IsV2(s.Hierarchy), Dirs: map[string]string{}}
	if g.V2 {
		if err := prepareV2(s); err != nil {
			return nil, err
		}
		dir := filepath.Join(s.Hierarchy, s.Root, cid)
		if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
			return nil, fmt.Errorf("create cgroup %s: %w", dir, err)
		}
		g.Dirs[""] = dir
		have, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
		if err != nil {
			g.Destroy()
			return nil, fmt.Errorf("read the controllers of %s: %w", dir, err)
		}
		for _, c := range s.Controllers {
			if !hasWord(string(have), c) {
				g.Destroy()
				return nil, fmt.Errorf("cgroup controller %s is not available in %s (cgroup.controllers: %s)", c, dir, orNone(string(have)))
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

// Children lists the container cgroups under the root of s (names of the
// directories below <root>, in any of its controllers).
func Children(s Spec) []string {
	var bases []string
	if IsV2(s.Hierarchy) {
		bases = []string{filepath.Join(s.Hierarchy, s.Root)}
	} else {
		for _, c := range s.Controllers {
			bases = append(bases, filepath.Join(s.Hierarchy, c, s.Root))
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, b := range bases {
		ents, _ := os.ReadDir(b)
		for _, e := range ents {
			if e.IsDir() && !seen[e.Name()] {
				seen[e.Name()] = true
				out = append(out, e.Name())
			}
		}
	}
	return out
}

// Lookup returns the existing cgroups of container cid under s.
func Lookup(s Spec, cid string) *Group {
	g := &Group{V2: IsV2(s.Hierarchy), Dirs: map[string]string{}}
	if g.V2 {
		if d := filepath.Join(s.Hierarchy, s.Root, cid); exists(d) {
			g.Dirs[""] = d
		}
		return g
	}
	for _, c := range s.Controllers {
		if d := filepath.Join(s.Hierarchy, c, s.Root, cid); exists(d) {
			g.Dirs[c] = d
		}
	}
	return g
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

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
		if l.LimitSwap {
			if err := write(filepath.Join(dir, "memory.memsw.limit_in_bytes"), b); err != nil {
				return err
			}
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
		if err := write(filepath.Join(dir, "memory.max"), strconv.FormatInt(memBytes(l), 10)); err != nil {
			return err
		}
		if l.LimitSwap {
			return write(filepath.Join(dir, "memory.swap.max"), "0")
		}
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
func (g *Group) Destroy() error { return g.DestroyWithin(DefaultDestroyTimeout) }

// DefaultDestroyTimeout is Mesos' --cgroups_destroy_timeout default.
const DefaultDestroyTimeout = time.Minute

// DestroyWithin is Destroy giving up after timeout
// (--cgroups_destroy_timeout): the cgroups that remain are an error.
func (g *Group) DestroyWithin(timeout time.Duration) error {
	if g == nil {
		return nil
	}
	var errs []error
	deadline := time.Now().Add(timeout)
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
