package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/testcluster"
)

// TestClusterUpStatusDown runs the commands as a person does, with the
// built binary: up prints how to reach the cluster, status shows it, down
// removes it.
func TestClusterUpStatusDown(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("needs root (namespaces, mounts, sshd on port 22)")
	}
	tmp := t.TempDir()
	bins, err := testcluster.Build(tmp)
	if err != nil {
		t.Fatal(err)
	}
	exe := bins.Harness
	dir := filepath.Join(tmp, "cluster")
	run := func(args ...string) (string, string, int) {
		cmd := exec.Command(exe, args...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return stdout.String(), stderr.String(), code
	}
	out, errOut, code := run("up", "--dir", dir, "--nodes", "2", "--no-agent", "--subnet", "127.0.204")
	if code != 0 {
		t.Fatalf("up: exit %d\n%s%s", code, out, errOut)
	}
	t.Cleanup(func() { run("down", "--dir", dir) })
	for _, want := range []string{
		"Test cluster up in " + dir + ": 2 nodes (lxb001…lxb002)",
		"export PATH=" + filepath.Dir(exe) + ":$PATH", // the mesosctl built next to it is not on PATH
		"export MESOSCTL_CONFIG=" + dir + "/config.yaml",
		"ssh -F " + dir + "/ssh_config lxb001 hostname",
		"mesosctl ex lxb00[1-2] hostname",
		"mesosctl-testcluster down --dir " + dir,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("up output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "lxb002       127.0.204.2") || !strings.Contains(errOut, "zookeeper") {
		t.Errorf("up progress on stderr:\n%s", errOut)
	}
	if o, err := exec.Command("ssh", "-F", dir+"/ssh_config", "lxb002", "hostname").CombinedOutput(); err != nil || string(o) != "lxb002\n" {
		t.Errorf("ssh lxb002 hostname: %q %v", o, err)
	}

	// Agents are not running (--no-agent): status says so and exits 1.
	out, _, code = run("status", "--dir", dir)
	if code != 1 || !strings.Contains(out, "NODE") || !strings.Contains(out, "lxb001     127.0.204.1") || !strings.Contains(out, "down") {
		t.Errorf("status: exit %d\n%s", code, out)
	}
	out, _, _ = run("status", "--dir", dir, "--json")
	var st testcluster.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil || len(st.Nodes) != 2 || !st.Nodes[1].SSHD || !st.ZooKeeper {
		t.Errorf("status --json: %v\n%s", err, out)
	}

	out, _, code = run("env", "--dir", dir)
	if code != 0 || out != "export PATH="+filepath.Dir(exe)+":$PATH\nexport MESOSCTL_CONFIG="+dir+"/config.yaml\n" {
		t.Errorf("env: exit %d %q", code, out)
	}
	out, errOut, code = run("up", "--dir", dir)
	if code == 0 || !strings.Contains(errOut, "already up in "+dir) {
		t.Errorf("second up: exit %d %q", code, errOut)
	}
	out, errOut, code = run("down", "--dir", dir)
	if code != 0 || !strings.Contains(out, "Test cluster in "+dir+" is down.") {
		t.Errorf("down: exit %d %q %q", code, out, errOut)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s still exists after down", dir)
	}
	_, errOut, code = run("down", "--dir", dir)
	if code != 1 || !strings.Contains(errOut, "no test cluster in "+dir) {
		t.Errorf("down again: exit %d %q", code, errOut)
	}
	_, errOut, code = run("up", "--nodes", "0")
	if code != 2 || !strings.Contains(errOut, "--nodes 0") {
		t.Errorf("up --nodes 0: exit %d %q", code, errOut)
	}
	if _, errOut, code = run("frobnicate"); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d %q", code, errOut)
	}

	// Without a mesosctl next to it (and no --agent-exe) up says what to do.
	alone := filepath.Join(t.TempDir(), "mesosctl-testcluster")
	if err := os.Link(exe, alone); err != nil {
		t.Fatal(err)
	}
	exe = alone
	if _, errOut, code = run("up", "--dir", filepath.Join(tmp, "c2")); code != 1 || !strings.Contains(errOut, "no mesosctl next to "+alone) {
		t.Errorf("up without mesosctl: exit %d %q", code, errOut)
	}
}

func TestNodeSet(t *testing.T) {
	for n, want := range map[int]string{1: "lxb001", 4: "lxb00[1-4]", 12: "lxb0[01-12]"} {
		if got := nodeSet("lxb", n); got != want {
			t.Errorf("nodeSet(lxb, %d) = %q, want %q", n, got, want)
		}
	}
}

func TestSystemctlUsage(t *testing.T) {
	cmd := newCmdSystemctl()
	cmd.SetArgs([]string{"--", "restart", "mesos-slave"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "spec") {
		t.Errorf("no --spec: %v", err)
	}
}
