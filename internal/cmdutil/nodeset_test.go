package cmdutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/config"
	"github.com/mesosctl/mesosctl/internal/inventory"
)

func testFactory(t *testing.T, env map[string]string, cfgYAML string) *Factory {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte(cfgYAML), 0o600)
	getenv := func(k string) string { return env[k] }
	f := &Factory{Getenv: getenv}
	for _, kv := range os.Environ() { // the configuration reads MESOSCTL_* from the process
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "MESOSCTL_") {
			t.Setenv(k, "")
		}
	}
	f.Config = func() (*config.Config, error) {
		c, err := config.Load(config.LoadOptions{Path: p})
		return c, UsageError(err)
	}
	f.Inventory = func() (*inventory.Inventory, error) {
		c, err := f.Config()
		if err != nil {
			return nil, err
		}
		return inventory.New(c)
	}
	return f
}

func TestExpandNodeSet(t *testing.T) {
	f := testFactory(t, map[string]string{"NODES": "n[1-3]"}, "nodes: [{name: a1}, {name: a2}]\ngroups: {g: [a1]}\ndefaults: {ssh_config: /dev/null}\n")
	tests := []struct {
		args, exclude []string
		want, err     string
	}{
		{nil, nil, "n1,n2,n3", ""},
		{nil, []string{"n2"}, "n1,n3", ""},
		{[]string{"@all", "b"}, []string{"@g"}, "a2,b", ""},
		{[]string{"a1"}, []string{"a1"}, "", `node set "a1" without "a1" is empty`},
		{[]string{"@zz"}, nil, "", `unknown group "zz" (known groups: all, g)`},
		{[]string{"x[1"}, nil, "", "unterminated '['"},
	}
	for _, tt := range tests {
		got, err := ExpandNodeSet(f, tt.args, tt.exclude)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || ExitCodeOf(err) != ExitUsage {
				t.Errorf("%q -x %q: %v, want usage error %q", tt.args, tt.exclude, err, tt.err)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != tt.want {
			t.Errorf("%q -x %q = %q %v, want %q", tt.args, tt.exclude, got, err, tt.want)
		}
	}
	f = testFactory(t, nil, "")
	if _, err := ExpandNodeSet(f, nil, nil); err == nil || ExitCodeOf(err) != ExitUsage || !strings.Contains(err.Error(), "set NODES") {
		t.Errorf("no node set: %v", err)
	}
}

func TestNodeSetCompletion(t *testing.T) {
	f := testFactory(t, nil, "nodes: [{name: lxb001}, {name: lxb002}, {name: web1}]\ngroups: {rack1: [lxb001]}\ndefaults: {ssh_config: /dev/null}\n")
	complete := NodeSetCompletion(f)
	cmd := &cobra.Command{Use: "x"}
	for in, want := range map[string]string{
		"lxb":         "lxb001 lxb002",
		"":            "lxb001 lxb002 web1 @rack1 @all",
		"@":           "@rack1 @all",
		"lxb001,":     "lxb001,lxb002 lxb001,web1 lxb001,@rack1 lxb001,@all",
		"lxb001,lx":   "lxb001,lxb002",
		"lxb00[1-2],": "lxb00[1-2],web1 lxb00[1-2],@rack1 lxb00[1-2],@all",
		"@rack1,@":    "@rack1,@all",
		"web1,!lx":    "web1,!lxb001 web1,!lxb002",
		"nothing":     "",
		"lxb001,@r":   "lxb001,@rack1",
	} {
		got, dir := complete(cmd, nil, in)
		if strings.Join(got, " ") != want || dir&cobra.ShellCompDirectiveNoFileComp == 0 {
			t.Errorf("complete %q = %q (%d), want %q", in, got, dir, want)
		}
	}
	bad := testFactory(t, nil, "nodes: [\n")
	if _, dir := NodeSetCompletion(bad)(cmd, nil, ""); dir&cobra.ShellCompDirectiveError == 0 {
		t.Error("broken config should report a completion error")
	}
}
