// Package orphans finds and kills orphaned executors on a node: executors
// (and their tasks) still running although no agent knows them, because
// meta/slaves/latest was cleared (agent clear-latest --force, or by hand)
// and the agent came back with a new ID. They are found in the agent's
// work_dir (runs of an agent ID other than the current one whose
// pids/forked.pid is alive and not finished) and in /proc (processes whose
// MESOS_EXECUTOR_ID environment names another agent ID), and killed with
// their whole process tree and container cgroups. Everything runs as POSIX
// shell over SSH, so it works with real Mesos agents and agentd alike.
package orphans

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mesosctl/mesosctl/internal/shell"
)

// Executor is one orphaned executor.
type Executor struct {
	Node        string   `json:"node"`
	AgentID     string   `json:"agent_id"` // the agent ID it was launched under
	FrameworkID string   `json:"framework_id"`
	ExecutorID  string   `json:"executor_id"`
	ContainerID string   `json:"container_id,omitempty"`
	PID         int      `json:"pid"`   // its top process (the checkpointed forked pid)
	Tasks       []string `json:"tasks"` // task IDs of its run (checkpointed in work_dir)
	// Found says where: work_dir (meta/slaves/<agent id>/…/runs/<container
	// id>) or proc (a process's MESOS_EXECUTOR_ID environment only).
	Found string `json:"found"`
}

// Names reports whether id names e: its executor ID or one of its tasks.
func (e *Executor) Names(id string) bool {
	return e.ExecutorID == id || slices.Contains(e.Tasks, id)
}

// Scan is what ScanScript found on one node.
type Scan struct {
	Node string
	// CurrentAgentID is the ID meta/slaves/latest points at ("" when it is
	// missing: then every checkpointed executor is an orphan).
	CurrentAgentID string
	Executors      []Executor
}

// SSH runs a script as root on a node and returns its stdout.
type SSH func(ctx context.Context, script string) ([]byte, error)

// Find runs the scan on a node whose agent's work_dir is workDir.
func Find(ctx context.Context, ssh SSH, node, workDir string) (*Scan, error) {
	out, err := ssh(ctx, ScanScript(workDir))
	if err != nil {
		return nil, err
	}
	return ParseScan(node, out)
}

// ScanScript is the shell script that lists a node's orphaned executors,
// one tab-separated record per line:
//
//	agent    <current agent ID>
//	executor <found> <agent ID> <framework ID> <executor ID> <container ID> <pid>
//	task     <container ID> <task ID>
func ScanScript(workDir string) string {
	return `W=` + shell.Quote(strings.TrimRight(workDir, "/")) + `
T=$(printf '\t')
cur=$(readlink "$W/meta/slaves/latest" 2>/dev/null || true); cur=${cur##*/}
echo "agent$T$cur"
seen=" "
for run in "$W"/meta/slaves/*/frameworks/*/executors/*/runs/*; do
  [ -d "$run" ] && [ ! -L "$run" ] || continue
  rest=${run#"$W"/meta/slaves/}; aid=${rest%%/*}
  [ "$aid" = "$cur" ] && continue
  [ -e "$run/executor.sentinel" ] && continue
  pid=$(cat "$run/pids/forked.pid" 2>/dev/null | tr -dc 0-9)
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || continue
  rest=${rest#*/frameworks/}; fid=${rest%%/*}; rest=${rest#*/executors/}; eid=${rest%%/*}; cid=${run##*/}
  # the pid is this run's process, not a recycled one: its command line
  # names the container, or its environment the executor
  tr '\0' '\n' < "/proc/$pid/cmdline" | grep -qF -- "$cid" ||
    tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qxF -- "MESOS_EXECUTOR_ID=$eid" || continue
  echo "executor${T}work_dir$T$aid$T$fid$T$eid$T$cid$T$pid"
  for t in "$run"/tasks/*; do [ -d "$t" ] && echo "task$T$cid$T${t##*/}"; done
  seen="$seen$aid/$eid "
done
for f in $(grep -l MESOS_EXECUTOR_ID= /proc/[0-9]*/environ 2>/dev/null); do
  d=${f%/environ}; pid=${d#/proc/}
  env=$(tr '\0' '\n' < "$f" 2>/dev/null) || continue
  eid=$(printf '%s\n' "$env" | sed -n 's/^MESOS_EXECUTOR_ID=//p' | head -n1)
  aid=$(printf '%s\n' "$env" | sed -n 's/^MESOS_SLAVE_ID=//p; s/^MESOS_AGENT_ID=//p' | head -n1)
  fid=$(printf '%s\n' "$env" | sed -n 's/^MESOS_FRAMEWORK_ID=//p' | head -n1)
  [ -n "$eid" ] && [ -n "$aid" ] && [ "$aid" != "$cur" ] || continue
  case "$seen" in *" $aid/$eid "*) continue;; esac
  # only the executor's top process: its parent is not of the same executor
  ppid=$(sed 's/.*) //' "$d/stat" 2>/dev/null | cut -d' ' -f2)
  tr '\0' '\n' < "/proc/$ppid/environ" 2>/dev/null | grep -qxF -- "MESOS_EXECUTOR_ID=$eid" && continue
  cid=$(sed -n 's,.*/mesos/\([^/]*\)$,\1,p' "$d/cgroup" 2>/dev/null | head -n1)
  # mesosctl's command executor when it was pre-started: its own environ
  # has no MESOS_* (it got them at its "go"), its task's does. The top
  # process is the executor, its launch info path names the container.
  li=$(tr '\0' '\n' < "/proc/$ppid/cmdline" 2>/dev/null | sed -n '/^executor$/{n;s,^--launch_info=.*/containers/\([^/]*\)/launch_info$,\1,p;}' | head -n1)
  [ -n "$li" ] && pid=$ppid && cid=${cid:-$li}
  echo "executor${T}proc$T$aid$T$fid$T$eid$T${cid:--}$T$pid"
  seen="$seen$aid/$eid "
done
`
}

// ParseScan reads ScanScript's output.
func ParseScan(node string, out []byte) (*Scan, error) {
	s := &Scan{Node: node}
	byCID := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sawAgent := false
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		switch {
		case f[0] == "agent" && len(f) == 2:
			s.CurrentAgentID, sawAgent = f[1], true
		case f[0] == "executor" && len(f) == 7:
			pid, err := strconv.Atoi(f[6])
			if err != nil {
				return nil, fmt.Errorf("orphan scan on %s: bad pid in %q", node, sc.Text())
			}
			e := Executor{Node: node, Found: f[1], AgentID: f[2], FrameworkID: f[3], ExecutorID: f[4], PID: pid, Tasks: []string{}}
			if f[5] != "-" {
				e.ContainerID = f[5]
			}
			if e.ContainerID != "" {
				byCID[e.ContainerID] = len(s.Executors)
			}
			s.Executors = append(s.Executors, e)
		case f[0] == "task" && len(f) == 3:
			if i, ok := byCID[f[1]]; ok {
				s.Executors[i].Tasks = append(s.Executors[i].Tasks, f[2])
			}
		default:
			return nil, fmt.Errorf("orphan scan on %s: unexpected line %q", node, sc.Text())
		}
	}
	if !sawAgent {
		return nil, fmt.Errorf("orphan scan on %s: no answer (is the node's shell POSIX?)", node)
	}
	return s, nil
}

// KillScript is the shell script that kills executors: SIGTERM to every
// process of each one's tree and of its container's cgroups, SIGKILL to
// what is left after grace, then a line "left <pid>" for each process
// still alive (none when it worked) and "killed <n>" with how many got a
// signal.
func KillScript(execs []Executor, grace time.Duration) string {
	var b strings.Builder
	b.WriteString(`procs() { # pid cid: the pid, its descendants, the members of its container cgroups
  ps -e -o pid= -o ppid= | awk -v root="$1" '{ kids[$2] = kids[$2] " " $1 }
    END { q[1] = root; n = 1; for (i = 1; i <= n; i++) { print q[i]; m = split(kids[q[i]], c, " "); for (j = 1; j <= m; j++) q[++n] = c[j] } }'
  [ -n "$2" ] && [ -r "/proc/$1/cgroup" ] || return 0
  while IFS=: read -r _ ctrl path; do
    case "$path" in *"$2"*) ;; *) continue;; esac
    for d in "/sys/fs/cgroup/$ctrl" "/sys/fs/cgroup/${ctrl#name=}" /sys/fs/cgroup /sys/fs/cgroup/unified; do
      [ -r "$d$path/cgroup.procs" ] && cat "$d$path/cgroup.procs" && break
    done
  done < "/proc/$1/cgroup"
}
alive() { [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]; }
all=""
`)
	for _, e := range execs {
		fmt.Fprintf(&b, "all=\"$all $(procs %d %s | sort -un | tr '\\n' ' ')\"\n", e.PID, shell.Quote(e.ContainerID))
	}
	tenths := int(grace / (100 * time.Millisecond))
	fmt.Fprintf(&b, `all=$(printf '%%s\n' $all | grep -v '^0*$' | sort -un | tr '\n' ' ')
n=0; for p in $all; do kill -TERM "$p" 2>/dev/null && n=$((n+1)); done
i=0
while [ $i -lt %d ]; do
  left=""; for p in $all; do alive "$p" && left="$left $p"; done
  [ -z "$left" ] && break
  sleep 0.1; i=$((i+1))
done
for p in $all; do kill -KILL "$p" 2>/dev/null; done
sleep 0.1
for p in $all; do alive "$p" && echo "left $p"; done
echo "killed $n"
`, tenths)
	return b.String()
}

// Kill kills execs (all on one node) and returns how many processes got a
// signal; an error names the processes that survived.
func Kill(ctx context.Context, ssh SSH, execs []Executor, grace time.Duration) (int, error) {
	out, err := ssh(ctx, KillScript(execs, grace))
	if err != nil {
		return 0, err
	}
	n := 0
	var left []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if v, ok := strings.CutPrefix(line, "killed "); ok {
			n, _ = strconv.Atoi(v)
		} else if v, ok := strings.CutPrefix(line, "left "); ok {
			left = append(left, v)
		}
	}
	if len(left) > 0 {
		return n, fmt.Errorf("processes %s are still alive after SIGKILL (frozen cgroup? uninterruptible sleep?)", strings.Join(left, ", "))
	}
	return n, nil
}
