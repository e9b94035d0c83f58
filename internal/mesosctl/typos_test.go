package mesosctl

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mesosctl/mesosctl/internal/cmd/root"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/suggest"
)

// TestTyposFail walks the whole command tree and makes the mistakes a
// person makes: every group run bare (help on stderr, exit 2) or with a
// misspelt subcommand (exit 2, "Did you mean this?"), every command with an
// unknown flag (exit 2), and every enumerated flag (-o, --state,
// --progress, --source, …) with a misspelt value (exit 2, "Did you mean
// this?"), run with the arguments of the command's own first example.
// --help still exits 0. Nothing here reaches a node: the mistakes are
// found before any work, and the inventory's nodes are closed loopback
// ports anyway.
func TestTyposFail(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	var b strings.Builder
	fmt.Fprintf(&b, "defaults:\n  ssh_config: /dev/null\n  known_hosts: %s/known_hosts\n  connect_timeout: 1s\nnodes:\n", dir)
	for i := 1; i <= 4; i++ {
		fmt.Fprintf(&b, "  - {name: lxb00%d, address: 127.0.251.%d, ssh_port: 1}\n", i, i)
	}
	b.WriteString("groups:\n  mesos-agents: ['lxb00[1-4]']\n  agents: ['lxb00[1-4]']\n  rack1: [lxb001]\n")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "MESOSCTL_") {
			t.Setenv(k, "")
		}
	}
	t.Setenv("MESOSCTL_CONFIG", cfg)
	t.Setenv("NODES", "")
	t.Setenv("HOME", dir)
	t.Setenv("SSH_AUTH_SOCK", "")

	run := func(args ...string) (code cmdutil.ExitCode, stdout, stderr string) {
		ios, _, out, errOut := iostreams.Test()
		code = Run(context.Background(), ios, append([]string{"mesosctl"}, args...))
		return code, out.String(), errOut.String()
	}
	ios, _, _, _ := iostreams.Test()
	tree := root.NewCmdRoot(NewFactory(ios))
	groups, leaves, enums := 0, 0, 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Name() == "help" || strings.HasPrefix(c.Name(), "__") {
			return
		}
		path := strings.Fields(c.CommandPath())[1:]
		if code, out, errOut := run(append(path, "--help")...); code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q", c.CommandPath(), code, out, errOut)
		}
		if c.HasSubCommands() {
			groups++
			if code, out, errOut := run(path...); code != cmdutil.ExitUsage || out != "" || !strings.Contains(errOut, "Usage:") {
				t.Errorf("%s (no subcommand): exit %d, stdout %q, stderr %q; want help on stderr, exit 2", c.CommandPath(), code, out, errOut)
			}
			// The first subcommand shown: hidden ones (ssh-mux serve) are
			// never suggested.
			var sub string
			for _, s := range c.Commands() {
				if s.IsAvailableCommand() {
					sub = s.Name()
					break
				}
			}
			typo := sub + sub[len(sub)-1:]
			code, _, errOut := run(append(path, typo)...)
			if code != cmdutil.ExitUsage || !strings.Contains(errOut, "unknown command \""+typo+"\"") || !strings.Contains(errOut, "Did you mean this?\n\t"+sub+"\n") {
				t.Errorf("%s %s: exit %d, stderr %q; want exit 2 and a hint at %s", c.CommandPath(), typo, code, errOut, sub)
			}
			for _, s := range c.Commands() {
				walk(s)
			}
			return
		}
		leaves++
		if code, _, errOut := run(append(path, "--no-such-flag")...); code != cmdutil.ExitUsage || !strings.Contains(errOut, "no-such-flag") {
			t.Errorf("%s --no-such-flag: exit %d, stderr %q; want exit 2", c.CommandPath(), code, errOut)
		}
		example := exampleArgs(c)
		c.Flags().VisitAll(func(f *pflag.Flag) {
			valid := f.Annotations[suggest.Annotation]
			if len(valid) == 0 {
				return
			}
			enums++
			typo := valid[0] + valid[0][len(valid[0])-1:]
			args := withFlag(append(slices.Clone(path), example...), "--"+f.Name, typo)
			code, _, errOut := run(args...)
			if code != cmdutil.ExitUsage || !strings.Contains(errOut, "Did you mean this?\n\t"+valid[0]+"\n") {
				t.Errorf("mesosctl %s: exit %d, stderr %q; want exit 2 and a hint at %s", strings.Join(args, " "), code, errOut, valid[0])
			}
		})
	}
	walk(tree)
	t.Logf("walked %d groups, %d commands, %d enumerated flags", groups, leaves, enums)
	if groups < 5 || leaves < 25 || enums < 20 {
		t.Errorf("walked %d groups, %d commands, %d enumerated flags: the tree is bigger", groups, leaves, enums)
	}
}

// exampleArgs returns the arguments of the first line of c's Example that
// runs c: "$ mesosctl ex 'lxb00[1-4]' uptime" gives [lxb00[1-4] uptime].
func exampleArgs(c *cobra.Command) []string {
	for _, line := range strings.Split(c.Example, "\n") {
		i := strings.Index(line, c.CommandPath()+" ")
		if i < 0 && strings.HasSuffix(line, c.CommandPath()) {
			return nil
		}
		if i < 0 {
			continue
		}
		words := shellWords(line[i+len(c.CommandPath()):])
		if words != nil {
			return words
		}
	}
	return nil
}

// shellWords splits s as a shell does for a simple command, stopping at
// the first | ; > ) & (the end of the command); quotes are removed.
func shellWords(s string) []string {
	words := []string{}
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.ContainsRune("|;>)&", r):
			if inWord {
				words = append(words, cur.String())
			}
			return words
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// withFlag puts --name=value into args before a "--" (after which
// everything is the command's), else at the end, so it overrides the
// example's own value.
func withFlag(args []string, name, value string) []string {
	// --name=value: the one form both cobra and the Mesos personalities
	// (stout, which refuses a separate value) read.
	f := name + "=" + value
	if i := slices.Index(args, "--"); i >= 0 {
		return slices.Concat(args[:i], []string{f}, args[i:])
	}
	return append(args, f)
}
