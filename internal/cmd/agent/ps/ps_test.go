package ps_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/cmd/agent/ps"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
	"github.com/mesosctl/mesosctl/internal/testcluster"
)

func run(t *testing.T, args ...string) (cmdutil.ExitCode, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := mesosctl.Run(context.Background(), ios, append([]string{"mesosctl"}, args...))
	return code, out.String(), errOut.String()
}

// TestAgentPs runs `agent ps` against a node of the test cluster: the node
// has its own PID namespace, so its process list holds only what the test
// starts there (agents of other tests running on this machine are not seen).
// First a fake agent (a copy of /bin/sh named mesos-slave, with agent flags as
// arguments), then none.
func TestAgentPs(t *testing.T) {
	tmp := t.TempDir()
	bins, err := testcluster.Build(tmp)
	if err != nil {
		t.Fatal(err)
	}
	c, err := testcluster.Start(testcluster.Options{Dir: filepath.Join(tmp, "cluster"), Nodes: 2, Binaries: bins,
		Subnet: "127.0.209", NoAgent: true, KillWithParent: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Down(); err != nil {
			t.Error(err)
		}
	})
	t.Setenv("MESOSCTL_CONFIG", c.ConfigFile)
	t.Setenv("NODES", "")
	t.Setenv("SSH_AUTH_SOCK", "")
	t.Setenv("XDG_STATE_HOME", t.TempDir()) // @failed/@succeeded of this test's runs

	const bin = "/var/lib/mesos/fake-agent/mesos-slave" // per node: /var/lib/mesos is the node's own
	start := "mkdir -p /var/lib/mesos/fake-agent && cp /bin/sh " + bin + " && " +
		"(setsid " + bin + " -c 'sleep 60; :' --master=zk://127.0.0.1:2181/mesos --work_dir=/var/lib/mesos </dev/null >/dev/null 2>&1 &)"
	for _, node := range c.NodeNames() {
		if out, err := c.SSH(node, start); err != nil {
			t.Fatalf("%s: starting the fake agent: %v\n%s", node, err, out)
		}
	}

	code, out, errOut := run(t, "agent", "ps", "lxb00[1-2]")
	if code != 0 {
		t.Fatalf("exit %d stderr %s", code, errOut)
	}
	block := bin + "\n\t-c\n\tsleep 60; :\n\t--master=zk://127.0.0.1:2181/mesos\n\t--work_dir=/var/lib/mesos\n"
	if want := "-- lxb001 --\n" + block + "-- lxb002 --\n" + block; out != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", out, want)
	}

	if out, err := c.SSH("lxb001", "pkill -x mesos-slave; sleep 0.2; ! pgrep -x mesos-slave"); err != nil {
		t.Fatalf("stopping the fake agent: %v\n%s", err, out)
	}
	code, out, errOut = run(t, "agent", "ps", "lxb001")
	if code != cmdutil.ExitPartial || out != "-- lxb001 --\n" ||
		!strings.Contains(errOut, "lxb001: no Mesos agent process running (looked for mesos-slave, mesos-agent, mesosctl agentd)") {
		t.Fatalf("no agent: exit %d stdout %q stderr %s", code, out, errOut)
	}
}

func TestFormat(t *testing.T) {
	got := string(ps.Format([]byte("\x02/usr/sbin/mesos-slave\x01--master=zk://a/mesos\x01\x02/bin/mesosctl\x01agentd\x01")))
	want := "/usr/sbin/mesos-slave\n\t--master=zk://a/mesos\n/bin/mesosctl\n\tagentd\n"
	if got != want {
		t.Fatalf("%q", got)
	}
	if len(ps.Format(nil)) != 0 {
		t.Fatal("empty input gives output")
	}
}
