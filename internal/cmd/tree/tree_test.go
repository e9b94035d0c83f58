package tree

import (
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
)

// A real Mesos agent's node, as `ps -eo pid=,ppid=,user=,args=` prints it:
// one command task below the agent, and one executor that outlived an
// agent restart (re-parented to init).
const mesosPS = `    1     0 root     /sbin/init
  812     1 root     /usr/sbin/mesos-slave --master=zk://zk1:2181/mesos --work_dir=/var/lib/mesos
  900   812 root     mesos-containerizer launch --launch_info={"command":{"shell":false}}
  901   900 root     mesos-executor --launcher_dir=/usr/libexec/mesos
  902   901 nobody   sh -c echo sleep... ; sleep 300
  903   902 nobody   sleep 300
  700     1 root     mesos-executor --launcher_dir=/usr/libexec/mesos
  701   700 root     sh -c ./serve --port 8080
  702   701 root     ./serve --port 8080
  650     1 root     /usr/sbin/sshd -D
`

func TestBuildFromPS(t *testing.T) {
	procs, err := ParsePS([]byte(mesosPS))
	if err != nil || len(procs) != 10 || procs[4].User != "nobody" || procs[4].Command != "sh -c echo sleep... ; sleep 300" {
		t.Fatalf("%+v %v", procs, err)
	}
	pt, err := BuildFromPS(procs)
	if err != nil {
		t.Fatal(err)
	}
	got := Style{}.Render(NodeTree{Node: "lxb001", Source: "ps", Agent: &pt.Agent, Recovered: pt.Recovered})
	want := `lxb001 (ps)
├── 812 root /usr/sbin/mesos-slave --master=zk://zk1:2181/mesos --work_dir=/var/lib/mesos
│   └── 900 root mesos-containerizer launch --launch_info={"command":{"shell":false}}
│       └── 901 root mesos-executor --launcher_dir=/usr/libexec/mesos
│           └── 902 nobody sh -c echo sleep... ; sleep 300
│               └── 903 nobody sleep 300
└── recovered (outlived an agent restart)
    └── 700 root mesos-executor --launcher_dir=/usr/libexec/mesos
        └── 701 root sh -c ./serve --port 8080
            └── 702 root ./serve --port 8080`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}

	// TASK filter on a ps tree matches command lines.
	nt := NodeTree{Node: "lxb001", Source: "ps", Agent: &pt.Agent, Recovered: pt.Recovered}
	if !Filter(&nt, "serve") || nt.Agent != nil || len(nt.Recovered) != 1 {
		t.Fatalf("filter: %+v", nt)
	}

	if _, err := BuildFromPS(procs[9:]); err != ErrNoAgent {
		t.Fatalf("no agent: %v", err)
	}
	if _, err := ParsePS([]byte("12 x\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("bad ps output: %v", err)
	}
}

func TestRenderAgentdTree(t *testing.T) {
	agent := api.Process{PID: 9, User: "root", Command: "/usr/sbin/mesos-slave --port=5051", Children: []api.Process{
		{PID: 18, User: "root", Command: "mesosctl containerizer launch --launch_info=/var/run/mesos/containers/0f9f1560-ff73-49b8-a43e-0581e9849c17/launch_info",
			Task: &api.ProcessTask{ID: "sleep.1a2b", Name: "sleep", State: "TASK_RUNNING", CPUShares: 1126, MemLimitMB: 160, PidsMax: 100},
			Children: []api.Process{{PID: 26, User: "root", Command: "mesosctl executor", Children: []api.Process{
				{PID: 34, User: "root", Command: "/bin/sh -c sleep 100", Children: []api.Process{{PID: 35, User: "root", Command: "sleep 100"}}}}}}},
		{PID: 40, User: "root", Command: "mesosctl containerizer launch --launch_info=x",
			Task: &api.ProcessTask{ID: "other.1", Name: "other", State: "TASK_RUNNING"}},
	}}
	nt := NodeTree{Node: "lxb002", Source: "agentd", Agent: &agent}
	// Piped: full command lines.
	got := Style{}.Render(nt)
	if !strings.Contains(got, "18 root mesosctl containerizer launch --launch_info=/var/run/mesos/containers/0f9f1560-ff73-49b8-a43e-0581e9849c17/launch_info  [task sleep (sleep.1a2b) TASK_RUNNING · cpu.shares 1126 · mem 160MB · pids 100]") ||
		!strings.Contains(got, "[task other (other.1) TASK_RUNNING · no cgroup limits]") {
		t.Fatalf("%s", got)
	}
	// Terminal: lines cut to the width, the task note kept.
	got = Style{Width: 130}.Render(nt)
	for _, line := range strings.Split(got, "\n") {
		if w := len([]rune(line)); w > 130 {
			t.Errorf("line of %d runes: %s", w, line)
		}
	}
	if !strings.Contains(got, "…  [task sleep (sleep.1a2b) TASK_RUNNING") {
		t.Fatalf("not cut:\n%s", got)
	}
	// TASK filter by name keeps only its branch.
	if !Filter(&nt, "sleep") || len(nt.Agent.Children) != 1 || nt.Agent.Children[0].PID != 18 {
		t.Fatalf("filter: %+v", nt.Agent)
	}
	if Filter(&nt, "absent") {
		t.Fatal("absent task found")
	}
}

// agentd's idle pre-started launchers (--mesosctl_warm_launchers: their
// --launch_info ends in launch_warm) belong to no task: the ps view leaves
// them out, below agentd and once re-parented to init alike, as agentd's
// /processes does; a launcher that a launch took is shown.
func TestBuildFromPSWarmLaunchers(t *testing.T) {
	const ps = `    1     0 root     /sbin/init
  500     1 root     /usr/sbin/mesos-slave --work_dir=/var/lib/mesos
  510   500 root     /usr/bin/mesosctl containerizer launch --launch_info=/run/mesos/containers/c1/launch_info
  511   510 root     /usr/bin/mesosctl executor --launch_info=/run/mesos/containers/c1/launch_info
  512   511 nobody   /bin/sh -c sleep 300
  520   500 root     /usr/bin/mesosctl containerizer launch --launch_info=/run/mesos/containers/c2/launch_warm
  521   520 root     /usr/bin/mesosctl executor --launch_info=/run/mesos/containers/c2/launch_warm
  530     1 root     /usr/bin/mesosctl containerizer launch --launch_info=/run/mesos/containers/c3/launch_warm
  531   530 root     /usr/bin/mesosctl executor --launch_info=/run/mesos/containers/c3/launch_warm
`
	procs, err := ParsePS([]byte(ps))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := BuildFromPS(procs)
	if err != nil {
		t.Fatal(err)
	}
	got := Style{}.Render(NodeTree{Node: "lxb001", Source: "ps", Agent: &pt.Agent, Recovered: pt.Recovered})
	want := `lxb001 (ps)
└── 500 root /usr/sbin/mesos-slave --work_dir=/var/lib/mesos
    └── 510 root /usr/bin/mesosctl containerizer launch --launch_info=/run/mesos/containers/c1/launch_info
        └── 511 root /usr/bin/mesosctl executor --launch_info=/run/mesos/containers/c1/launch_info
            └── 512 nobody /bin/sh -c sleep 300`
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
}
