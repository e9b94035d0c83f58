package where_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
	"github.com/mesosctl/mesosctl/internal/testutil/agentdtest"
	"github.com/mesosctl/mesosctl/internal/testutil/dockerd"
	"github.com/mesosctl/mesosctl/internal/testutil/sshd"
)

const subnet = "127.0.20"

// cluster starts four nodes lxb001…lxb004, each with a real sshd and a
// real agentd on SUBNET.N:5051 (the default agent port), except lxb004,
// whose agent is down:
//
//	lxb001 rack:3 containerizers=mesos
//	lxb002 rack:3 containerizers=mesos,docker
//	lxb003 rack:1 containerizers=mesos
func cluster(t *testing.T) []*sshd.Server {
	t.Helper()
	servers := sshd.StartNodes(t, 4, sshd.Options{Subnet: subnet})
	cfg := sshd.Inventory(t, servers, "root")
	b, _ := os.ReadFile(cfg)
	// The nodes' agents: a group of all four, and the configuration's
	// agent_config_dir in each node's own home (agent config get reads it
	// over SSH).
	conf := strings.Replace(string(b), "defaults:\n", "defaults:\n  agent_config_dir: /root/mesos-slave\n", 1) +
		"groups:\n  agents: [lxb001, lxb002, lxb003, lxb004]\n"
	os.WriteFile(cfg, []byte(conf), 0o600)
	t.Setenv("MESOSCTL_CONFIG", cfg)
	t.Setenv("NODES", "")
	t.Setenv("SSH_AUTH_SOCK", "")
	t.Setenv("XDG_STATE_HOME", t.TempDir()) // @failed/@succeeded of this test's runs
	for i, a := range []struct{ rack, containerizers string }{{"3", "mesos"}, {"3", "mesos,docker"}, {"1", "mesos"}} {
		n := i + 1
		args := []string{fmt.Sprintf("--ip=%s.%d", subnet, n), "--port=5051", "--hostname=" + fmt.Sprintf("lxb%03d", n),
			"--attributes=rack:" + a.rack + ";os:centos7", "--containerizers=" + a.containerizers}
		if strings.Contains(a.containerizers, "docker") {
			// An agent with the docker containerizer refuses to start
			// without an engine, as Mesos does: give it this test
			// binary's own.
			args = append(args, "--docker_socket="+dockerd.Shared(t).Socket)
		}
		agentdtest.Start(t, args...)
		os.MkdirAll(filepath.Join(servers[i].Home, "mesos-slave"), 0o755)
		os.WriteFile(filepath.Join(servers[i].Home, "mesos-slave", "attributes"), []byte("rack:"+a.rack+"\n"), 0o644)
	}
	return servers
}

// TestMain stops the Docker engine that lxb002's agent uses once the tests
// are done.
func TestMain(m *testing.M) { os.Exit(dockerd.Main(m)) }

func run(t *testing.T, args ...string) (cmdutil.ExitCode, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := mesosctl.Run(context.Background(), ios, append([]string{"mesosctl"}, args...))
	return code, out.String(), errOut.String()
}

const rack3NotDocker = `.attributes.rack==3 and .flags.containerizers!="mesos,docker"`

func TestWhereEx(t *testing.T) {
	servers := cluster(t)
	// The example: rack 3, not running the docker containerizer.
	code, out, errOut := run(t, "ex", "--ordered", "lxb00[1-3]", "--where", rack3NotDocker, "hostname >/dev/null; echo ran")
	if code != 0 || out != "-- lxb001 --\nran\n" || errOut != "" {
		t.Fatalf("exit %d stdout %q stderr %q", code, out, errOut)
	}
	// With a group and -x; one selected node's exit status passes through.
	code, out, _ = run(t, "ex", "@agents", "-x", "lxb001", "-x", "lxb004", "--where", ".attributes.rack==3", "exit 4")
	if code != 4 || out != "-- lxb002 --\n" {
		t.Fatalf("group -x: exit %d stdout %q", code, out)
	}
	// lxb004's agent is down: reported, not selected, exit 3; the others ran.
	code, out, errOut = run(t, "ex", "--ordered", "@agents", "--where", ".attributes.rack==3", "echo ran")
	if code != cmdutil.ExitPartial || out != "-- lxb001 --\nran\n-- lxb002 --\nran\n" ||
		!strings.Contains(errOut, "mesosctl: lxb004: --where: cannot read the agent's /state") ||
		!strings.Contains(errOut, "(not selected)") || !strings.Contains(errOut, "error: 1 of 4 nodes failed") {
		t.Fatalf("down agent: exit %d stdout %q stderr %s", code, out, errOut)
	}
	// Nothing selected: nothing runs, exit 0, said on stderr.
	code, out, errOut = run(t, "ex", "lxb00[1-3]", "--where", ".attributes.rack==9", "echo ran")
	if code != 0 || out != "" || !strings.Contains(errOut, "selected none of the 3 node(s): nothing done") {
		t.Fatalf("none: exit %d stdout %q stderr %s", code, out, errOut)
	}
	// A runtime error on a node's state is that node's failure.
	code, _, errOut = run(t, "ex", "lxb00[1-3]", "--where", `.attributes.os + 1`, "true")
	if code != cmdutil.ExitPartial || strings.Count(errOut, "--where: jq: error") != 3 {
		t.Fatalf("jq error: exit %d stderr %s", code, errOut)
	}
	// A bad filter is a usage error: nothing is read or run.
	code, _, errOut = run(t, "ex", "lxb00[1-3]", "--where", ".attributes.rack==", "true")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "invalid --where expression") {
		t.Fatalf("bad filter: exit %d stderr %s", code, errOut)
	}
	_ = servers
}

func TestWhereCpAndAgentVerbs(t *testing.T) {
	servers := cluster(t)
	src := filepath.Join(t.TempDir(), "f")
	os.WriteFile(src, []byte("x"), 0o644)
	code, _, errOut := run(t, "cp", "lxb00[1-3]", "--where", ".attributes.rack==3", src, "f")
	if code != 0 {
		t.Fatalf("cp: exit %d stderr %s", code, errOut)
	}
	for i, want := range []bool{true, true, false} {
		if _, err := os.Stat(filepath.Join(servers[i].Home, "f")); (err == nil) != want {
			t.Errorf("cp --where: node %d has the file: %v, want %v", i+1, err == nil, want)
		}
	}
	local := t.TempDir()
	if code, _, errOut := run(t, "rcp", "lxb00[1-3]", "--where", ".attributes.rack==3", "f", local); code != 0 {
		t.Fatalf("rcp: exit %d stderr %s", code, errOut)
	}
	if ents, _ := os.ReadDir(local); len(ents) != 2 || ents[0].Name() != "lxb001" || ents[1].Name() != "lxb002" {
		t.Errorf("rcp --where pulled from %v", ents)
	}

	code, out, errOut := run(t, "agent", "state", "lxb00[1-3]", "--where", rack3NotDocker+" | not | not", "--jq", ".hostname", "-r")
	if code != 0 || out != "lxb001\n" {
		t.Fatalf("agent state: exit %d stdout %q stderr %s", code, out, errOut)
	}
	code, out, errOut = run(t, "agent", "flags", "@agents", "--where", `.attributes.rack==3`, "containerizers")
	if code != cmdutil.ExitPartial || out != "-- lxb001 --\nmesos\n-- lxb002 --\nmesos,docker\n" ||
		!strings.Contains(errOut, "lxb004: --where: cannot read") {
		t.Fatalf("agent flags: exit %d stdout %q stderr %s", code, out, errOut)
	}
	code, out, errOut = run(t, "agent", "config", "get", "lxb00[1-3]", "attributes", "--where", `.attributes.rack==1`, "-o", "json")
	var got []struct{ Node, File string }
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got) != 1 || got[0].Node != "lxb003" {
		t.Fatalf("agent config get: exit %d stdout %s stderr %s", code, out, errOut)
	}
	// A changing verb: the selection is planned, the others untouched.
	code, out, errOut = run(t, "agent", "set-attributes", "lxb00[1-3]", "zone:b", "--where", `.attributes.rack==1`, "--dry-run")
	if code != 0 || !strings.Contains(out, "lxb003:") || strings.Contains(out, "lxb001") || strings.Contains(out, "lxb002") {
		t.Fatalf("set-attributes --dry-run: exit %d stdout %s stderr %s", code, out, errOut)
	}
}

func TestWhereTreeAndPs(t *testing.T) {
	cluster(t)
	// The in-process agents serve their process tree: only the selected
	// node's is printed.
	code, out, errOut := run(t, "tree", "lxb00[1-3]", "--where", `.attributes.rack==1`, "-o", "json")
	var trees []struct{ Node string }
	if code != 0 || json.Unmarshal([]byte(out), &trees) != nil || len(trees) != 1 || trees[0].Node != "lxb003" {
		t.Fatalf("tree: exit %d stdout %s stderr %s", code, out, errOut)
	}
	// agent ps: only the two selected nodes are asked. The in-process
	// agents have no process of their own, so each node reports either
	// that or, when another test package runs an agentd at the same time
	// (the nodes share the host's PID namespace), that process: which one
	// does not matter here, only who is asked.
	code, out, errOut = run(t, "agent", "ps", "lxb00[1-3]", "--where", `.attributes.rack==3`)
	both := out + errOut
	if (code != 0 && code != cmdutil.ExitPartial) || strings.Contains(both, "lxb003") ||
		!strings.Contains(both, "lxb001") || !strings.Contains(both, "lxb002") {
		t.Fatalf("agent ps: exit %d stdout %s stderr %s", code, out, errOut)
	}
}
