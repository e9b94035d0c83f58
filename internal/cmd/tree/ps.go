package tree

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

// PSCommand lists every process of a node as ps does, without header.
const PSCommand = "ps -eo pid=,ppid=,user=,args="

var psLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*(\d+)\s+(\d+)\s+(\S+)(.*)$`) })

// ParsePS reads PSCommand's output.
func ParsePS(out []byte) ([]api.Process, error) {
	var procs []api.Process
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		m := psLine().FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("ps output line %d: want pid ppid user args, got %q", n, line)
		}
		pid, _ := strconv.Atoi(m[1])
		ppid, _ := strconv.Atoi(m[2])
		procs = append(procs, api.Process{PID: pid, PPID: ppid, User: m[3], Command: strings.TrimSpace(m[4])})
	}
	return procs, sc.Err()
}

// IsAgent reports whether a command line is a Mesos agent: mesos-slave,
// mesos-agent (any path) or `mesosctl agentd`.
func IsAgent(cmd string) bool {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return false
	}
	switch path.Base(f[0]) {
	case "mesos-slave", "mesos-agent", "lt-mesos-slave", "lt-mesos-agent":
		return true
	case "mesosctl":
		return len(f) > 1 && f[1] == "agentd"
	}
	return false
}

// isContainer reports whether a command line is a container launcher or
// an executor that may have outlived its agent (re-parented to init).
func isContainer(cmd string) bool {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return false
	}
	b := path.Base(f[0])
	switch {
	case b == "mesos-containerizer", b == "mesos-executor", b == "mesos-docker-executor", b == "mesos-default-executor":
		return true
	case b == "mesosctl" && len(f) > 1 && (f[1] == "containerizer" || f[1] == "executor"):
		return true
	}
	return false
}

// BuildFromPS turns a flat process list into agentd's ProcessTree shape:
// the (first) agent process with its descendants, and under Recovered the
// container trees whose launcher is no longer below an agent.
func BuildFromPS(procs []api.Process) (api.ProcessTree, error) {
	kids := map[int][]int{}
	byPID := map[int]api.Process{}
	for _, p := range procs {
		byPID[p.PID] = p
		kids[p.PPID] = append(kids[p.PPID], p.PID)
	}
	for _, k := range kids {
		sort.Ints(k)
	}
	inTree := map[int]bool{}
	var build func(pid int) api.Process
	build = func(pid int) api.Process {
		inTree[pid] = true
		p := byPID[pid]
		p.Children = nil
		for _, k := range kids[pid] {
			if !inTree[k] {
				p.Children = append(p.Children, build(k))
			}
		}
		return p
	}
	var agents []int
	for _, p := range procs {
		if IsAgent(p.Command) && !IsAgent(byPID[p.PPID].Command) {
			agents = append(agents, p.PID)
		}
	}
	sort.Ints(agents)
	if len(agents) == 0 {
		return api.ProcessTree{}, ErrNoAgent
	}
	for _, p := range procs {
		if idleWarmLauncher(p.Command) {
			inTree[p.PID] = true // and its executor: not shown, not an orphan
			for _, e := range kids[p.PID] {
				inTree[e] = true
			}
		}
	}
	out := api.ProcessTree{Agent: build(agents[0]), Recovered: []api.Process{}}
	var orphans []int
	for _, p := range procs {
		if !inTree[p.PID] && isContainer(p.Command) && !isContainer(byPID[p.PPID].Command) {
			orphans = append(orphans, p.PID)
		}
	}
	sort.Ints(orphans)
	for _, pid := range orphans {
		if !inTree[pid] {
			out.Recovered = append(out.Recovered, build(pid))
		}
	}
	return out, nil
}

// idleWarmLauncher reports whether a command line is one of agentd's idle
// pre-started launchers (--mesosctl_warm_launchers): its --launch_info
// ends in launch_warm until a launch takes it. It belongs to no task, and
// agentd's own tree leaves it out too.
func idleWarmLauncher(cmd string) bool {
	f := strings.Fields(cmd)
	return len(f) == 4 && f[1] == "containerizer" && f[2] == "launch" &&
		strings.HasPrefix(f[3], "--launch_info=") && strings.HasSuffix(f[3], "/launch_warm")
}

// ErrNoAgent is a node's failure when no agent process runs there.
var ErrNoAgent = fmt.Errorf("no Mesos agent process running (looked for mesos-slave, mesos-agent, mesosctl agentd)")
