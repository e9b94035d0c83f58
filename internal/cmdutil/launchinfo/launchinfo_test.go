package launchinfo

import (
	"errors"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
)

// The plumbing commands are run for real by every agentd task test; here
// only their argument handling.
func TestCmd(t *testing.T) {
	var got *launcher.Info
	run := func(i *launcher.Info) int { got = i; return 7 }
	cmd := NewCmd("launch", "x", run)
	cmd.SetArgs([]string{})
	var fe *cmdutil.FlagError
	if err := cmd.Execute(); !errors.As(err, &fe) {
		t.Errorf("no --launch_info: %v, want a usage error", err)
	}
	cmd = NewCmd("launch", "x", run)
	cmd.SetArgs([]string{`--launch_info={"container_id":"c1","runtime_dir":"/tmp/r","sandbox":"/tmp/s"}`})
	var es *cmdutil.ExitStatusError
	if err := cmd.Execute(); !errors.As(err, &es) || es.Code != 7 || got == nil || got.ContainerID != "c1" {
		t.Errorf("inline launch info: %v, info %+v", err, got)
	}
	cmd = NewCmd("launch", "x", run)
	cmd.SetArgs([]string{"--launch_info=/nonexistent/launch_info"})
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "launch_info") {
		t.Errorf("missing file: %v", err)
	}
}
