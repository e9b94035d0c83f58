package ps_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/cmd/agent/ps"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
	"github.com/mesosctl/mesosctl/internal/testutil/sshd"
)

func run(t *testing.T, args ...string) (cmdutil.ExitCode, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := mesosctl.Run(context.Background(), ios, append([]string{"mesosctl"}, args...))
	return code, out.String(), errOut.String()
}

// TestAgentPs runs a fake agent (a copy of /bin/sh named mesos-slave, with
// agent flags as arguments) and then none. Both nodes share this machine's
// process table, so both see the same process.
func TestAgentPs(t *testing.T) {
	servers := sshd.StartNodes(t, 2, sshd.Options{Subnet: "127.0.5"})
	t.Setenv("MESOSCTL_CONFIG", sshd.Inventory(t, servers, "root"))
	t.Setenv("NODES", "")
	t.Setenv("SSH_AUTH_SOCK", "")

	bin := filepath.Join(t.TempDir(), "mesos-slave")
	sh, err := os.ReadFile("/bin/sh")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bin, sh, 0o755)
	agent := exec.Command(bin, "-c", "sleep 60; :", "--master=zk://127.0.0.1:2181/mesos", "--work_dir=/var/lib/mesos")
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() { agent.Process.Kill(); agent.Wait() }
	t.Cleanup(stop)
	time.Sleep(100 * time.Millisecond)

	code, out, errOut := run(t, "agent", "ps", "lxb00[1-2]")
	if code != 0 {
		t.Fatalf("exit %d stderr %s", code, errOut)
	}
	block := bin + "\n\t-c\n\tsleep 60; :\n\t--master=zk://127.0.0.1:2181/mesos\n\t--work_dir=/var/lib/mesos\n"
	if want := "-- lxb001 --\n" + block + "-- lxb002 --\n" + block; out != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", out, want)
	}

	stop()
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
