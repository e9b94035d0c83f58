package cgroups

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	v1Hierarchy = "/sys/fs/cgroup"
	v2Hierarchy = "/sys/fs/cgroup/unified"
)

func root(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("writes the kernel's cgroups: not with -short (make unit)")
	}
	if os.Geteuid() != 0 {
		t.Fatal("cgroup tests need root")
	}
	return "mesosctl-cgtest-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 36)
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// sleeper starts a process to put into a group (killed at cleanup).
func sleeper(t *testing.T) int {
	t.Helper()
	c := exec.Command("sleep", "60")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	return c.Process.Pid
}

// TestV1LimitsApplied: on cgroup v1 every controller gets its limits.
func TestV1LimitsApplied(t *testing.T) {
	s := Spec{Hierarchy: v1Hierarchy, Root: root(t), Controllers: []string{"cpu", "memory", "pids"}}
	t.Cleanup(func() {
		for _, c := range s.Controllers {
			os.Remove(filepath.Join(v1Hierarchy, c, s.Root))
		}
	})
	if err := Check(s); err != nil {
		t.Fatal(err)
	}
	g, err := Create(s, "c1", Limits{CPUs: 0.5, MemMB: 64, PidsMax: 10, EnableCFS: true})
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{"cpu/cpu.shares": "512", "cpu/cpu.cfs_quota_us": "50000",
		"memory/memory.limit_in_bytes": "67108864", "pids/pids.max": "10"} {
		ctrl, name, _ := strings.Cut(file, "/")
		if got := read(t, filepath.Join(g.Dirs[ctrl], name)); got != want {
			t.Errorf("%s = %s, want %s", file, got, want)
		}
	}
	pid := sleeper(t)
	if err := g.Enter(pid); err != nil {
		t.Fatal(err)
	}
	if procs := g.Procs(); len(procs) != 1 || procs[0] != pid {
		t.Errorf("procs %v", procs)
	}
	if got := Children(s); len(got) != 1 || got[0] != "c1" {
		t.Errorf("children %v", got)
	}
	if err := Lookup(s, "c1").Destroy(); err != nil || g.Exists() {
		t.Fatalf("destroy: %v, exists %v", err, g.Exists())
	}
	// A controller that is not mounted: refused at Check and at Create.
	bad := Spec{Hierarchy: v1Hierarchy, Root: s.Root, Controllers: []string{"nosuchcontroller"}}
	if err := Check(bad); err == nil || !strings.Contains(err.Error(), "not mounted") {
		t.Errorf("check: %v", err)
	}
	if _, err := Create(bad, "c2", Limits{}); err == nil {
		t.Error("create with an unmounted controller succeeded")
	}
}

// TestV2ControllersBoundToV1AreRefused: on this machine's v2 mount the
// controllers are bound to v1 hierarchies: asking for one fails, at Check
// and at Create, naming it; nothing is left behind.
func TestV2ControllersBoundToV1AreRefused(t *testing.T) {
	if !IsV2(v2Hierarchy) {
		t.Fatalf("%s is not a cgroup v2 mount", v2Hierarchy)
	}
	for _, c := range []string{"memory", "cpu", "pids"} {
		s := Spec{Hierarchy: v2Hierarchy, Root: root(t), Controllers: []string{c}}
		if err := Check(s); err == nil || !strings.Contains(err.Error(), "cgroup controller "+c+" is not available in the cgroup v2 hierarchy") {
			t.Errorf("check %s: %v", c, err)
		}
		if _, err := Create(s, "c1", Limits{CPUs: 1, MemMB: 64, PidsMax: 5}); err == nil {
			t.Errorf("create with %s succeeded", c)
		}
		if _, err := os.Stat(filepath.Join(v2Hierarchy, s.Root)); !os.IsNotExist(err) {
			t.Errorf("%s left %s", c, s.Root)
		}
	}
	if v2, have := Available(v2Hierarchy, []string{"cpu", "memory", "pids"}); !v2 || len(have) != 0 {
		t.Errorf("available on v2: %v %v", v2, have)
	}
}

// TestV2EnablesControllers: on v2 a controller the hierarchy offers is
// enabled for the containers (in the subtree_control of the hierarchy and
// of the root) and present in each container's cgroup; a process placed in
// a container is tracked and killed at Destroy. hugetlb is the controller
// this machine's v2 mount offers.
func TestV2EnablesControllers(t *testing.T) {
	avail := read(t, filepath.Join(v2Hierarchy, "cgroup.controllers"))
	if !hasWord(avail, "hugetlb") {
		t.Fatalf("the v2 mount offers %q, no hugetlb", avail)
	}
	before := read(t, filepath.Join(v2Hierarchy, "cgroup.subtree_control"))
	s := Spec{Hierarchy: v2Hierarchy, Root: root(t), Controllers: []string{"hugetlb"}}
	t.Cleanup(func() {
		os.Remove(filepath.Join(v2Hierarchy, s.Root))
		if !hasWord(before, "hugetlb") {
			os.WriteFile(filepath.Join(v2Hierarchy, "cgroup.subtree_control"), []byte("-hugetlb"), 0o644)
		}
	})
	if err := Check(s); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(v2Hierarchy, s.Root, "cgroup.subtree_control")); !hasWord(got, "hugetlb") {
		t.Fatalf("root subtree_control %q", got)
	}
	g, err := Create(s, "c1", Limits{CPUs: 1, MemMB: 64})
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(g.Dirs[""], "cgroup.controllers")); !hasWord(got, "hugetlb") {
		t.Errorf("container controllers %q", got)
	}
	pid := sleeper(t)
	if err := g.Enter(pid); err != nil {
		t.Fatal(err)
	}
	if procs := g.Procs(); len(procs) != 1 || procs[0] != pid {
		t.Errorf("procs %v", procs)
	}
	if err := g.Destroy(); err != nil || g.Exists() {
		t.Fatalf("destroy: %v", err)
	}
	if _, err := os.FindProcess(pid); err == nil {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); len(b) > 0 && !strings.Contains(string(b), ") Z ") {
			t.Errorf("process %d survived Destroy", pid)
		}
	}
}
