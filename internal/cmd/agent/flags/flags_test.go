package flags_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/cmd/agent/flags"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
	"github.com/mesosctl/mesosctl/internal/testutil/agentdtest"
)

func run(t *testing.T, _ bool, args ...string) (cmdutil.ExitCode, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := mesosctl.Run(context.Background(), ios, append([]string{"mesosctl"}, args...))
	return code, out.String(), errOut.String()
}

func TestSelect(t *testing.T) {
	obj, text, err := flags.Select(map[string]string{"a": "1", "b": "x=y"}, []string{"b", "a"})
	if err != nil || string(obj) != `{"b":"x=y","a":"1"}` || text != "b=x=y\na=1\n" {
		t.Errorf("%s %q %v", obj, text, err)
	}
	if _, _, err := flags.Select(map[string]string{"a": "1"}, []string{"a", "zz", "yy"}); err == nil || !strings.Contains(err.Error(), "zz, yy") {
		t.Errorf("missing: %v", err)
	}
}

func TestAgentFlags(t *testing.T) {
	a1 := agentdtest.Start(t, "--containerizers=mesos", "--attributes=rack:1")
	agentdtest.UseInventory(t, a1.Port, "1")
	code, out, errOut := run(t, false, "agent", "flags", "lxb001", "containerizers")
	if code != 0 || out != "mesos\n" {
		t.Fatalf("one flag: %d %q %s", code, out, errOut)
	}
	code, out, _ = run(t, false, "agent", "flags", "lxb001", "containerizers", "attributes")
	if code != 0 || out != "containerizers=mesos\nattributes=rack:1\n" {
		t.Errorf("two flags: %d %q", code, out)
	}
	code, out, _ = run(t, false, "agent", "flags", "lxb001", "containerizers", "attributes", "-o", "json")
	if code != 0 || out != `{"containerizers":"mesos","attributes":"rack:1"}`+"\n" {
		t.Errorf("-o json: %d %q", code, out)
	}
	code, out, _ = run(t, false, "agent", "flags", "lxb001", "--jq", ".flags.containerizers", "-r")
	if code != 0 || out != "mesos\n" {
		t.Errorf("--jq: %d %q", code, out)
	}
	code, _, errOut = run(t, false, "agent", "flags", "lxb001", "no_such_flag")
	if code != cmdutil.ExitPartial || !strings.Contains(errOut, "lxb001: the agent reports no value for flag no_such_flag") {
		t.Errorf("missing flag: %d %s", code, errOut)
	}
	code, out, errOut = run(t, false, "agent", "flags", "lxb00[1-2]", "containerizers")
	if code != cmdutil.ExitPartial || out != "-- lxb001 --\nmesos\n" || !strings.Contains(errOut, "lxb002:") {
		t.Errorf("unreachable: %d %q %s", code, out, errOut)
	}
	if code, _, errOut := run(t, false, "agent", "flags", "lxb001", "--containerizers=x"); code != cmdutil.ExitUsage {
		t.Errorf("flag syntax: %d %s", code, errOut)
	}
}
