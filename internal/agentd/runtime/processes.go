package runtime

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/cgroups"
	"github.com/mesosctl/mesosctl/internal/agentd/docker"
	"github.com/mesosctl/mesosctl/internal/agentd/flags"
	"github.com/mesosctl/mesosctl/internal/agentd/usage"
	"github.com/mesosctl/mesosctl/internal/procfs"
)

// ProcessTree is agentd's process tree, built from /proc (without the
// idle pre-started launchers), with each
// container launcher annotated with its task and cgroup limits, and a
// Docker task's container processes (children of containerd's shim, not
// of agentd) joined to it through the engine.
func (s *Service) ProcessTree() api.ProcessTree {
	byPID := map[int]View{}
	for _, v := range s.rt.Views() {
		if !v.Finished && v.PID > 0 {
			byPID[v.PID] = v
		}
	}
	for _, v := range s.rt.standaloneViews() {
		if !v.Finished && v.PID > 0 {
			v.Task.Name = "(standalone container)"
			v.Task.State = "RUNNING"
			byPID[v.PID] = v
		}
	}
	users := map[uint32]string{}
	// Idle pre-started launchers belong to no task: left out, as the ps
	// view leaves them out (cmd/tree).
	seen := s.rt.warmPIDs()
	var build func(pid int) api.Process
	build = func(pid int) api.Process {
		seen[pid] = true
		// Secrets given on a command line (agentd's own --master=zk://u:p@…,
		// inline --http_credentials) are not shown.
		p := api.Process{PID: pid, Command: strings.Join(flags.RedactArgs(procfs.Cmdline(pid)), " ")}
		if st, err := procfs.ReadStat(pid); err == nil {
			p.PPID = st.PPID
		}
		p.User = ownerOf(pid, users)
		if v, ok := byPID[pid]; ok {
			p.Task = processTask(v)
			if v.Spec.Container.IsDocker() {
				ctx, cancel := context.WithTimeout(context.Background(), docker.InspectTimeout)
				p.Task.Docker = s.rt.dockerProcesses(ctx, v, build)
				cancel()
			}
		}
		kids := procfs.Children(pid)
		sort.Ints(kids)
		for _, k := range kids {
			if !seen[k] {
				p.Children = append(p.Children, build(k))
			}
		}
		return p
	}
	out := api.ProcessTree{Agent: build(s.selfPID), Recovered: []api.Process{}}
	pids := make([]int, 0, len(byPID))
	for pid := range byPID {
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	for _, pid := range pids {
		if !seen[pid] && procfs.Alive(pid, 0) {
			out.Recovered = append(out.Recovered, build(pid))
		}
	}
	return out
}

func ownerOf(pid int, cache map[uint32]string) string {
	fi, err := os.Stat("/proc/" + strconv.Itoa(pid))
	if err != nil {
		return ""
	}
	uid := statUID(fi)
	if name, ok := cache[uid]; ok {
		return name
	}
	name := strconv.Itoa(int(uid))
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	cache[uid] = name
	return name
}

func processTask(v View) *api.ProcessTask {
	t := &api.ProcessTask{ID: v.Task.ID, Name: v.Task.Name, State: v.Task.State, ContainerID: v.ContainerID}
	if g := v.Cgroup; g != nil {
		lim := readLimits(g)
		t.CPUShares, t.CPUQuota, t.MemLimitMB, t.PidsMax = lim.shares, lim.quota, lim.memMB, lim.pids
		for _, d := range g.Dirs {
			t.CgroupPaths = append(t.CgroupPaths, d)
		}
		sort.Strings(t.CgroupPaths)
	}
	return t
}

type limits struct {
	shares int64
	quota  float64 // CPUs
	memMB  float64
	pids   int64
}

func readInt(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil
}

// readLimits reads the limits written into a container's cgroups.
func readLimits(g *cgroups.Group) limits {
	var l limits
	l.memMB = g.MemLimitMB()
	if g.V2 {
		d := g.Dirs[""]
		if w, ok := readInt(filepath.Join(d, "cpu.weight")); ok {
			l.shares = w
		}
		if b, err := os.ReadFile(filepath.Join(d, "cpu.max")); err == nil {
			f := strings.Fields(string(b))
			if len(f) == 2 && f[0] != "max" {
				q, _ := strconv.ParseFloat(f[0], 64)
				p, _ := strconv.ParseFloat(f[1], 64)
				if p > 0 {
					l.quota = q / p
				}
			}
		}
		if n, ok := readInt(filepath.Join(d, "pids.max")); ok {
			l.pids = n
		}
		return l
	}
	if d, ok := g.Dirs["cpu"]; ok {
		l.shares, _ = readInt(filepath.Join(d, "cpu.shares"))
		q, okq := readInt(filepath.Join(d, "cpu.cfs_quota_us"))
		p, okp := readInt(filepath.Join(d, "cpu.cfs_period_us"))
		if okq && okp && q > 0 && p > 0 {
			l.quota = float64(q) / float64(p)
		}
	}
	if d, ok := g.Dirs["pids"]; ok {
		l.pids, _ = readInt(filepath.Join(d, "pids.max"))
	}
	return l
}

// statistics is a container's ResourceStatistics, read from its cgroups
// and /proc as Mesos' isolators read them (agentd/usage); a container that
// has ended reports only its requests.
func (r *Runtime) statistics(v View) *api.ResourceStatistics {
	c := usage.Container{CPURequest: v.ExecutorRes.Scalar("cpus"),
		MemRequest: uint64(v.ExecutorRes.Scalar("mem") * 1024 * 1024),
		EnableCFS:  r.cfg.CgroupsEnableCFS, LimitSwap: r.cfg.CgroupsLimitSwap, CountProcesses: r.cfg.CountProcesses}
	if !v.Finished {
		c.PID = v.PID
		if v.Cgroup != nil {
			c.Cgroups = v.Cgroup.Dirs
			if dir := v.Cgroup.Dirs["memory"]; dir != "" && !v.Cgroup.V2 {
				// A container recovered from an earlier agentd is listened
				// on from its first statistics read.
				r.listenPressure(v.Cgroup)
				if n, ok := r.pressure.Counters(dir); ok {
					c.Pressure = &n
				}
			}
		}
	}
	st := usage.Read(c, time.Now())
	return &st
}

// Monitor is /monitor/statistics: every executor that has not ended, with
// its container's usage.
func (s *Service) Monitor() []api.MonitorStatistics {
	out := []api.MonitorStatistics{}
	for _, v := range s.rt.Views() {
		if v.Finished || v.ContainerID == "" {
			continue
		}
		out = append(out, api.MonitorStatistics{ExecutorID: v.Task.ID, ExecutorName: v.ExecutorName,
			FrameworkID: v.Task.FrameworkID, Source: v.Task.ID, Statistics: *s.rt.statistics(v)})
	}
	return out
}

func statUID(fi os.FileInfo) uint32 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Uid
	}
	return 0
}
