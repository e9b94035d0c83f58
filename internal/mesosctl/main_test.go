package mesosctl

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
)

func TestRewriteArgs(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"mesosctl", "version"}, []string{"version"}},
		{[]string{"/usr/bin/mesosctl"}, []string{}},
		{[]string{"/usr/sbin/mesos-slave", "--work_dir=/var/lib/mesos"}, []string{"agentd", "--work_dir=/var/lib/mesos"}},
		{[]string{"mesos-agent", "--port", "5052"}, []string{"agentd", "--port", "5052"}},
		{[]string{"./mesos-execute", "--name", "sleep"}, []string{"mesos-execute", "--name", "sleep"}},
		{[]string{"mesos-docker-executor", "--container=mesos-x"}, []string{"docker-executor", "--container=mesos-x"}},
		{[]string{"mesos-master"}, []string{}},
		{nil, nil},
	}
	for _, tt := range tests {
		got := RewriteArgs(tt.args)
		if !slices.Equal(got, tt.want) {
			t.Errorf("RewriteArgs(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		want       cmdutil.ExitCode
		wantStderr string
		wantStdout string
	}{
		{"version", []string{"mesosctl", "version"}, cmdutil.ExitOK, "", "mesosctl version "},
		{"unknown command", []string{"mesosctl", "frobnicate"}, cmdutil.ExitUsage, `unknown command "frobnicate"`, ""},
		{"unknown flag", []string{"mesosctl", "version", "--nope"}, cmdutil.ExitUsage, "unknown flag: --nope", ""},
		{"extra arg", []string{"mesosctl", "version", "x"}, cmdutil.ExitUsage, "", ""},
		// the test cluster harness is its own binary (mesosctl-testcluster)
		{"no dev command", []string{"mesosctl", "dev", "cluster", "up"}, cmdutil.ExitUsage, `unknown command "dev"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			got := Run(context.Background(), ios, tt.args)
			if got != tt.want {
				t.Errorf("exit code = %d, want %d (stderr %q)", got, tt.want, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", errOut.String(), tt.wantStderr)
			}
			if !strings.Contains(out.String(), tt.wantStdout) {
				t.Errorf("stdout = %q, want it to contain %q", out.String(), tt.wantStdout)
			}
		})
	}
}
