package config_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
)

// TestInitAsANewUserDoes: without a configuration, a command that needs
// one says where it looked and how to create one (exit 2); config init
// writes one where mesosctl looks, which the next command uses; a second
// init keeps it unless --force.
func TestInitAsANewUserDoes(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("MESOSCTL_CONFIG", "")
	run := func(args ...string) (cmdutil.ExitCode, string, string) {
		ios, _, out, errOut := iostreams.Test()
		code := mesosctl.Run(context.Background(), ios, append([]string{"mesosctl"}, args...))
		return code, out.String(), errOut.String()
	}
	path := filepath.Join(home, ".config", "mesosctl", "config.yaml")

	code, _, errOut := run("nodes")
	for _, want := range []string{"no configuration file was found", "$MESOSCTL_CONFIG (not set)", path + " (no such file)", "mesosctl config init", "mesosctl-testcluster env"} {
		if code != cmdutil.ExitUsage || !strings.Contains(errOut, want) {
			t.Fatalf("nodes without a config: exit %d, stderr %q; want 2 and %q", code, errOut, want)
		}
	}

	if code, _, errOut := run("config", "init", "lxb00[1-2]", "--zookeeper", "zk://127.0.0.1:2181/mesos", "--ssh-user", "admin"); code != 0 || !strings.Contains(errOut, "Wrote "+path+" with 2 node(s) in @mesos-agents") {
		t.Fatalf("config init: exit %d, stderr %q", code, errOut)
	}
	code, out, errOut := run("nodes", "-o", "json", "--jq", `[.[] | .name + " " + .ssh_user + " " + (.groups|join(","))] | join(";")`, "-r")
	if code != 0 || strings.TrimSpace(out) != "lxb001 admin mesos-agents;lxb002 admin mesos-agents" {
		t.Fatalf("nodes after init: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "zookeeper: \"zk://127.0.0.1:2181/mesos\"") {
		t.Errorf("written file:\n%s", b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode of %s: %v %v", path, fi.Mode(), err)
	}

	if code, _, errOut := run("config", "init", "web1"); code != cmdutil.ExitError || !strings.Contains(errOut, "already exists") {
		t.Errorf("second init: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := run("config", "init", "web1", "--force", "--group", "web"); code != 0 {
		t.Errorf("init --force: exit %d, stderr %q", code, errOut)
	}
	if code, out, _ := run("nodes", "@web"); code != 0 || !strings.HasPrefix(out, "NAME") || !strings.Contains(out, "web1") {
		t.Errorf("nodes @web: exit %d\n%s", code, out)
	}
	if code, _, _ := run("config", "init", "lxb00[1", "--force"); code != cmdutil.ExitUsage {
		t.Errorf("bad node set: exit %d", code)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("left in %s: %v", filepath.Dir(path), entries)
	}
}
