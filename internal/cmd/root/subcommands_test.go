package root

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
)

// TestSubcommandNames: the names NewCmdRootFor matches are each built
// command's Name and Aliases, in the root's order.
func TestSubcommandNames(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	built := NewCmdRoot(&cmdutil.Factory{IOStreams: ios}).Commands()
	var got, want [][]string
	for _, c := range built {
		if c.Name() != "help" {
			got = append(got, append([]string{c.Name()}, c.Aliases...))
		}
	}
	for _, sub := range subcommands {
		want = append(want, sub.names)
	}
	slices.SortFunc(want, func(a, b []string) int { return cmpName(a[0], b[0]) })
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("subcommands lists %v, the built tree has %v", want, got)
	}
}

func cmpName(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestRootForMatchesFullTree: for every command of the tree, `--help` and
// an unknown flag print the same (output, error) through the root that
// NewCmdRootFor builds for that command as through the whole tree.
func TestRootForMatchesFullTree(t *testing.T) {
	// run builds a root with build and runs args; commands such as agentd
	// write to the factory's streams, the others to cobra's.
	run := func(build func(*cmdutil.Factory, []string) *cobra.Command, args []string) string {
		ios, _, fOut, fErr := iostreams.Test()
		cmd := build(&cmdutil.Factory{IOStreams: ios}, args)
		var out, errOut bytes.Buffer
		cmd.SetArgs(args)
		cmd.SetOut(&out)
		cmd.SetErr(&errOut)
		c, err := cmd.ExecuteC()
		path := ""
		if c != nil {
			path = c.CommandPath()
		}
		return fmt.Sprintf("command %s\nerr %v\nstdout:\n%s%s\nstderr:\n%s%s", path, err, out.String(), fOut.String(), errOut.String(), fErr.String())
	}
	ios, _, _, _ := iostreams.Test()
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			if sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			p := append(slices.Clone(path), sub.Name())
			paths = append(paths, p)
			walk(sub, p)
		}
	}
	walk(NewCmdRoot(&cmdutil.Factory{IOStreams: ios}), nil)
	for _, sub := range subcommands {
		for _, alias := range sub.names[1:] {
			paths = append(paths, []string{alias})
		}
	}
	if len(paths) < 40 {
		t.Fatalf("only %d command paths in the tree", len(paths))
	}
	for _, p := range paths {
		for _, extra := range [][]string{{"--help"}, {"--no-such-flag"}} {
			args := append(slices.Clone(p), extra...)
			want := run(func(f *cmdutil.Factory, _ []string) *cobra.Command { return NewCmdRoot(f) }, args)
			if extra[0] == "--help" && !strings.Contains(want, "Usage:") {
				t.Errorf("mesosctl %v printed no usage:\n%s", args, want)
			}
			if n := len(NewCmdRootFor(&cmdutil.Factory{IOStreams: ios}, args).Commands()); n != 1 {
				t.Errorf("%v: NewCmdRootFor built %d commands under the root, want 1", args, n)
			}
			if got := run(NewCmdRootFor, args); got != want {
				t.Errorf("mesosctl %v: through NewCmdRootFor\n%s\nthrough the whole tree\n%s", args, got, want)
			}
		}
	}
	for _, args := range [][]string{nil, {"help", "exec"}, {"completion", "bash"}, {"--config", "x", "exec"}, {"__complete", "ex"}, {"nosuch"}} {
		if n, all := len(NewCmdRootFor(&cmdutil.Factory{IOStreams: ios}, args).Commands()), len(subcommands); n < all {
			t.Errorf("%v: NewCmdRootFor built %d commands, want the whole tree (%d)", args, n, all)
		}
	}
}
