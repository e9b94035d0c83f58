package testcluster

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mesosctl/mesosctl/internal/testutil/dockerd"
)

// cgroupRoot is where the cgroup hierarchies are mounted (v1 controllers
// and the v2 "unified" mount).
var cgroupRoot = "/sys/fs/cgroup"

// missingCgroupParents lists <hierarchy>/mesos dirs that do not exist yet.
func missingCgroupParents() []string {
	hs, _ := filepath.Glob(filepath.Join(cgroupRoot, "*"))
	var out []string
	for _, h := range hs {
		if st, err := os.Stat(h); err != nil || !st.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(h, "mesos")); errors.Is(err, os.ErrNotExist) {
			out = append(out, filepath.Join(h, "mesos"))
		}
	}
	return out
}

// Down tears the cluster down: every node's PID 1 is killed (the kernel
// then kills every process of the node, so sshd, agents, executors and
// tasks go, and the node's mounts vanish with its mount namespace),
// ZooKeeper is killed, the cgroups the nodes' processes were in under
// <hierarchy>/mesos are removed, and the cluster dir is deleted. It reports
// what it could not clean.
func (c *Cluster) Down() error {
	nsSet := map[string]bool{}
	for _, n := range c.Nodes {
		if n.InitPid > 0 && c.isOurInit(n) {
			if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", n.InitPid)); err == nil {
				nsSet[ns] = true
			}
		}
	}
	cgroups := cgroupsOf(nsSet)
	for _, cg := range cgroups {
		thaw(cg)
	}
	var errs []error
	var killed []Node
	for _, n := range c.Nodes {
		if n.InitPid > 0 && c.isOurInit(n) {
			_ = unix.Kill(n.InitPid, unix.SIGKILL)
			killed = append(killed, n)
		} else if p, ok := c.procs[n.InitPid]; ok {
			// Our child that already died: reap it.
			_, _ = p.Wait()
			delete(c.procs, n.InitPid)
		}
	}
	for _, n := range killed {
		if err := c.waitGone(n.InitPid); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", n.Name, err))
		}
	}
	if c.Docker {
		// The engines died with their nodes' PID namespaces; their
		// containers' cgroups are left.
		for _, n := range c.Nodes {
			if err := dockerd.Cleanup(filepath.Join(n.Dir, "docker")); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", n.Name, err))
			}
		}
		dockerd.RemoveCgroupParents(c.DockerCgroupParents)
	}
	if c.ZKPid > 0 && c.isOurZK() {
		_ = unix.Kill(-c.ZKPid, unix.SIGKILL)
		_ = unix.Kill(c.ZKPid, unix.SIGKILL)
		if err := c.waitGone(c.ZKPid); err != nil {
			errs = append(errs, fmt.Errorf("zookeeper: %w", err))
		}
	}
	errs = append(errs, removeCgroups(cgroups, c.CgroupParents)...)
	if ms := mountsUnder(c.Dir); len(ms) > 0 {
		errs = append(errs, fmt.Errorf("mounts left under %s: %s", c.Dir, strings.Join(ms, ", ")))
	} else if c.Dir != "" {
		if _, err := os.Stat(filepath.Join(c.Dir, StateFile)); err == nil {
			if err := os.RemoveAll(c.Dir); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// isOurInit guards against pid reuse: the process must be our node-init.
func (c *Cluster) isOurInit(n Node) bool {
	cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", n.InitPid))
	return err == nil && strings.Contains(string(cmd), "node-init") && strings.Contains(string(cmd), n.Dir)
}

func (c *Cluster) isOurZK() bool {
	cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", c.ZKPid))
	return err == nil && strings.Contains(string(cmd), c.Dir)
}

// waitGone reaps our child or waits until the pid is gone or a zombie of
// someone else.
func (c *Cluster) waitGone(pid int) error {
	if p, ok := c.procs[pid]; ok {
		done := make(chan struct{})
		go func() { _, _ = p.Wait(); close(done) }()
		select {
		case <-done:
			delete(c.procs, pid)
			return nil
		case <-time.After(15 * time.Second):
			return fmt.Errorf("pid %d did not exit after SIGKILL", pid)
		}
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return nil
		}
		if i := strings.LastIndexByte(string(st), ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
			// A zombie PID 1 of a PID namespace: the kernel has already
			// reaped every other process of the node.
			return nil
		}
	}
	return fmt.Errorf("pid %d did not exit after SIGKILL", pid)
}

// cgroupsOf walks <hierarchy>/mesos/** and returns the cgroups holding any
// process of the given PID namespaces.
func cgroupsOf(nsSet map[string]bool) []string {
	if len(nsSet) == 0 {
		return nil
	}
	hs, _ := filepath.Glob(filepath.Join(cgroupRoot, "*", "mesos"))
	var out []string
	for _, h := range hs {
		_ = filepath.WalkDir(h, func(path string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() || path == h {
				return nil
			}
			b, err := os.ReadFile(filepath.Join(path, "cgroup.procs"))
			if err != nil {
				return nil
			}
			for _, f := range strings.Fields(string(b)) {
				if ns, err := os.Readlink("/proc/" + f + "/ns/pid"); err == nil && nsSet[ns] {
					out = append(out, path)
					break
				}
			}
			return nil
		})
	}
	return out
}

func thaw(cg string) {
	_ = os.WriteFile(filepath.Join(cg, "freezer.state"), []byte("THAWED"), 0o644)
	_ = os.WriteFile(filepath.Join(cg, "cgroup.freeze"), []byte("0"), 0o644)
}

// removeCgroups removes the cgroups (deepest first, retrying while the
// killed processes leave them) and the mesos parents the cluster created
// if they are empty.
func removeCgroups(cgroups, parents []string) []error {
	sort.Slice(cgroups, func(i, j int) bool { return len(cgroups[i]) > len(cgroups[j]) })
	var errs []error
	for _, cg := range cgroups {
		var err error
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			err = rmdirTree(cg)
			if err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("cgroup %s: %w", cg, err))
		}
	}
	for _, p := range parents {
		_ = unix.Rmdir(p) // fails harmlessly while someone else uses it
	}
	return errs
}

// rmdirTree removes a cgroup and its child cgroups, children first.
func rmdirTree(cg string) error {
	var dirs []string
	_ = filepath.WalkDir(cg, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, path)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := unix.Rmdir(dirs[i]); err != nil && !errors.Is(err, unix.ENOENT) {
			return err
		}
	}
	return nil
}

// mountsUnder lists mount points in this process's mount namespace that
// are dir or below it.
func mountsUnder(dir string) []string {
	if dir == "" {
		return nil
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 4 && (fs[4] == dir || strings.HasPrefix(fs[4], dir+"/")) {
			out = append(out, fs[4])
		}
	}
	return out
}

// Leftovers lists what of the cluster is still on the host after Down:
// live processes that mention the cluster dir, mounts under it, the dir
// itself, /etc/mesos-slave, /var/lib/mesos, /var/log/mesos and
// /usr/sbin/mesos-slave on the host if they were absent at start (the
// cluster never creates them), and the given cgroups. Tests assert it is empty.
func Leftovers(c *Cluster, cgroups []string) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	self := strconv.Itoa(os.Getpid())
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || strings.Contains(p, "/"+self+"/") {
			continue
		}
		if strings.Contains(string(b), c.Dir+"/") {
			out = append(out, "process "+strings.TrimPrefix(filepath.Dir(p), "/proc/")+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	for _, n := range c.Nodes {
		if n.InitPid > 0 {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d/ns/pid", n.InitPid)); err == nil && c.isOurInit(n) {
				out = append(out, fmt.Sprintf("process %d: node init of %s", n.InitPid, n.Name))
			}
		}
	}
	for _, m := range mountsUnder(c.Dir) {
		out = append(out, "mount "+m)
	}
	if _, err := os.Stat(c.Dir); err == nil {
		out = append(out, "dir "+c.Dir)
	}
	for _, p := range c.AbsentHostPaths {
		if _, err := os.Lstat(p); err == nil {
			out = append(out, "host path "+p)
		}
	}
	for _, cg := range cgroups {
		if _, err := os.Stat(cg); err == nil {
			out = append(out, "cgroup "+cg)
		}
	}
	return out
}

// Cgroups lists the cgroups under <hierarchy>/mesos that hold processes
// of the cluster's nodes right now (for tests checking teardown).
func (c *Cluster) Cgroups() []string {
	nsSet := map[string]bool{}
	for _, n := range c.Nodes {
		if ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", n.InitPid)); err == nil {
			nsSet[ns] = true
		}
	}
	return cgroupsOf(nsSet)
}
