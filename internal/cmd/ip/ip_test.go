package ip

import (
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
)

func TestNewCmdIPAndName(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IOStreams: ios}
	var got *Options
	capture := func(o *Options) error { got = o; return nil }

	cmd := NewCmdIP(f, capture)
	cmd.SetArgs([]string{"lxb00[1-2]", "web1", "-x", "lxb002"})
	if err := cmd.Execute(); err != nil || strings.Join(got.Args, " ") != "lxb00[1-2] web1" || strings.Join(got.Exclude, " ") != "lxb002" || got.Expand == nil {
		t.Fatalf("ip: %+v %v", got, err)
	}

	cmd = NewCmdName(f, capture)
	cmd.SetArgs([]string{"127.0.0.1", "::1"})
	if err := cmd.Execute(); err != nil || strings.Join(got.Args, " ") != "127.0.0.1 ::1" {
		t.Fatalf("name: %+v %v", got, err)
	}
	cmd = NewCmdName(f, capture)
	cmd.SetArgs(nil)
	cmd.SetErr(ios.ErrOut)
	cmd.SetOut(ios.Out)
	if err := cmd.Execute(); cmdutil.ExitCodeOf(err) != cmdutil.ExitUsage {
		t.Fatalf("name without args: %v", err)
	}
}

func TestFailure(t *testing.T) {
	if failure(0, 3) != nil || failure(1, 1) != cmdutil.SilentError {
		t.Fatal("single/none")
	}
	if err := failure(2, 3); cmdutil.ExitCodeOf(err) != cmdutil.ExitPartial || err.Error() != "2 of 3 nodes failed" {
		t.Fatal(err)
	}
}
