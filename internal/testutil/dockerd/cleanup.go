package dockerd

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
)

// StalePrefix starts the names of the temporary engine directories that
// Start and Shared create in os.TempDir(); SweepStale looks there.
const StalePrefix = "mesosctl-dockerd-"

// cleanup kills what is left of the engine in dir once dockerd is gone or
// must go: the processes of its containers (found through their cgroups:
// a container's processes need not mention dir), then every process
// mentioning dir (dockerd, containerd, the shims). It removes the
// containers' cgroups and unmounts anything left under dir.
func cleanup(dir string) []error {
	var errs []error
	cgs := containerCgroups(dir)
	for _, cg := range cgs {
		killCgroup(cg)
	}
	for _, p := range processesOf(dir) {
		_ = unix.Kill(p.pid, unix.SIGKILL)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(processesOf(dir)) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	for _, cg := range cgs {
		killCgroup(cg) // a shim killed late may have left a process behind
		if err := removeCgroup(cg); err != nil {
			errs = append(errs, err)
		}
	}
	ms := mountsUnder(dir)
	sort.Sort(sort.Reverse(sort.StringSlice(ms)))
	for _, m := range ms {
		if err := unix.Unmount(m, unix.MNT_DETACH); err != nil {
			errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
		}
	}
	return errs
}

type proc struct {
	pid int
	cmd string
}

// processesOf lists live processes (not zombies) whose command line
// mentions dir, other than this one.
func processesOf(dir string) []proc {
	ents, _ := os.ReadDir("/proc")
	var out []proc
	self := os.Getpid()
	needle := []byte(dir + "/")
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || pid == self {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		if err != nil || len(b) == 0 || !strings.Contains(string(b), string(needle)) {
			continue
		}
		out = append(out, proc{pid: pid, cmd: strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))})
	}
	return out
}

// containerCgroups lists the existing cgroup directories of the containers
// whose state is under dir/data/containers, in every mounted hierarchy,
// for both of dockerd's layouts: <parent>/docker/<id> (cgroupfs) and
// <parent>/system.slice/docker-<id>.scope (systemd).
func containerCgroups(dir string) []string {
	ents, _ := os.ReadDir(filepath.Join(dir, "data", "containers"))
	if len(ents) == 0 {
		return nil
	}
	var out []string
	for _, h := range cgroupMounts() {
		for _, ent := range ents {
			for _, d := range []string{filepath.Join(h, "docker", ent.Name()), filepath.Join(h, "system.slice", "docker-"+ent.Name()+".scope")} {
				if st, err := os.Stat(d); err == nil && st.IsDir() {
					out = append(out, d)
				}
			}
		}
	}
	return out
}

// missingCgroupParents lists the <hierarchy>/docker cgroups (dockerd's
// default --cgroup-parent with the cgroupfs driver) that do not exist yet.
func missingCgroupParents() []string {
	var out []string
	for _, h := range cgroupMounts() {
		d := filepath.Join(h, "docker")
		if _, err := os.Stat(d); errors.Is(err, os.ErrNotExist) {
			out = append(out, d)
		}
	}
	return out
}

// removeCgroupParents removes the empty <hierarchy>/docker cgroups that an
// engine created, unless another dockerd runs on the machine (it may be
// about to create a container there).
func removeCgroupParents(dirs []string) {
	if len(dirs) == 0 || otherDockerd() {
		return
	}
	for _, d := range dirs {
		_ = unix.Rmdir(d) // fails, harmlessly, when not empty
	}
}

// otherDockerd reports whether a dockerd process runs.
func otherDockerd() bool {
	ents, _ := os.ReadDir("/proc")
	for _, ent := range ents {
		if _, err := strconv.Atoi(ent.Name()); err != nil {
			continue
		}
		if b, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "comm")); err == nil && strings.TrimSpace(string(b)) == "dockerd" {
			return true
		}
	}
	return false
}

// killCgroup SIGKILLs the processes of a cgroup until it is empty (at most
// a few seconds).
func killCgroup(dir string) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		if err != nil || len(strings.TrimSpace(string(b))) == 0 {
			return
		}
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				_ = unix.Kill(pid, unix.SIGKILL)
			}
		}
	}
}

// removeCgroup removes dir and its child cgroups, deepest first, retrying
// while the kernel still counts exiting processes.
func removeCgroup(dir string) error {
	var dirs []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	for _, d := range dirs {
		var err error
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			err = unix.Rmdir(d)
			if err == nil || errors.Is(err, unix.ENOENT) || time.Now().After(deadline) {
				break
			}
		}
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("remove cgroup %s: %w", d, err)
		}
	}
	return nil
}

// cgroupMounts lists the mount points of the cgroup (v1) and cgroup2
// hierarchies.
func cgroupMounts() []string {
	var out []string
	eachMount(func(fields []string, fstype string) {
		if fstype == "cgroup" || fstype == "cgroup2" {
			out = append(out, unescapeMount(fields[4]))
		}
	})
	return out
}

// mountsUnder lists the mount points at or under dir in this process's
// mount namespace.
func mountsUnder(dir string) []string {
	var out []string
	eachMount(func(fields []string, _ string) {
		m := unescapeMount(fields[4])
		if m == dir || strings.HasPrefix(m, dir+"/") {
			out = append(out, m)
		}
	})
	return out
}

// eachMount calls f with the fields of every line of /proc/self/mountinfo
// and the line's filesystem type.
func eachMount(f func(fields []string, fstype string)) {
	file, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return
	}
	defer file.Close()
	s := bufio.NewScanner(file)
	s.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		sep := -1
		for i, fl := range fields {
			if fl == "-" {
				sep = i
				break
			}
		}
		if len(fields) < 5 || sep < 0 || sep+1 >= len(fields) {
			continue
		}
		f(fields, fields[sep+1])
	}
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// writeOwner records this process (pid and start time) as the owner of the
// engine in dir, for SweepStale.
func writeOwner(dir string) error {
	st, err := startTime(os.Getpid())
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "owner"), fmt.Appendf(nil, "%d %s\n", os.Getpid(), st), 0o644)
}

// startTime is field 22 of /proc/PID/stat (clock ticks since boot).
func startTime(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	// The command name (field 2) may hold spaces; it ends at the last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return "", fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return "", fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	return f[19], nil
}

// ownerAlive reports whether the process that started the engine in dir
// still runs.
func ownerAlive(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "owner"))
	if err != nil {
		return false
	}
	var pid int
	var st string
	if _, err := fmt.Sscan(string(b), &pid, &st); err != nil {
		return false
	}
	now, err := startTime(pid)
	return err == nil && now == st
}

// SweepStale cleans up the engines that test processes started in
// os.TempDir() and could not stop because they died (killed by a timeout,
// by a signal): their dockerd, containerd, shims and containers are killed,
// their cgroups and directories removed. Engines whose owner still runs are
// left alone. It returns what it could not clean.
func SweepStale() error {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), StalePrefix+"*"))
	var errs []error
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "owner")); err != nil || ownerAlive(dir) {
			// Not an engine directory (yet: Launch writes the owner file
			// first thing), or its owner still runs.
			continue
		}
		errs = append(errs, cleanup(dir)...)
		if len(processesOf(dir)) == 0 && len(containerCgroups(dir)) == 0 && len(mountsUnder(dir)) == 0 {
			if err := os.RemoveAll(dir); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Cleanup is what Stop does once dockerd is gone, for an engine whose
// process tree was killed from outside (the engine of a test cluster node,
// which dies with the node's PID namespace): what is left of its
// processes is killed, its containers' cgroups are removed, anything still
// mounted under dir is unmounted. dir itself is left. It reports what it
// could not clean.
func Cleanup(dir string) error {
	errs := cleanup(dir)
	for _, p := range processesOf(dir) {
		errs = append(errs, fmt.Errorf("process %d (%s) of the engine in %s is still running", p.pid, p.cmd, dir))
	}
	for _, cg := range containerCgroups(dir) {
		errs = append(errs, fmt.Errorf("cgroup %s of the engine in %s is still there", cg, dir))
	}
	return errors.Join(errs...)
}

// MissingCgroupParents lists the <hierarchy>/docker cgroups that do not
// exist yet: those an engine started now may create (see
// RemoveCgroupParents).
func MissingCgroupParents() []string { return missingCgroupParents() }

// RemoveCgroupParents removes those of dirs (from MissingCgroupParents)
// that are empty, unless a dockerd still runs on the machine.
func RemoveCgroupParents(dirs []string) { removeCgroupParents(dirs) }
