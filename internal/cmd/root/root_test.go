package root_test

import (
	"context"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mesosctl/mesosctl/internal/cmd/root"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
)

var kebab = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// TestCommandConventions checks every command of the tree: a Short without
// a trailing period, an Example, kebab-case flags (agentd excepted: it takes
// Mesos' own snake_case flags with DisableFlagParsing).
func TestCommandConventions(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := root.NewCmdRoot(mesosctl.NewFactory(ios))
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := c.CommandPath()
		if c.Name() == "help" || strings.HasPrefix(c.Name(), "__") {
			return
		}
		if c.Short == "" {
			t.Errorf("%s: no Short", path)
		}
		if strings.HasSuffix(c.Short, ".") {
			t.Errorf("%s: Short %q ends with a period", path, c.Short)
		}
		// Hidden plumbing (containerizer launch, executor) is run by agentd,
		// not typed by people, and mirrors Mesos' own flag names.
		plumbing := c.Hidden || (c.HasParent() && c.Parent().Hidden)
		if strings.TrimSpace(c.Example) == "" && !plumbing {
			t.Errorf("%s: no Example", path)
		}
		switch {
		case plumbing:
		case !c.DisableFlagParsing:
			check := func(f *pflag.Flag) {
				if !kebab.MatchString(f.Name) {
					t.Errorf("%s: flag --%s is not kebab-case", path, f.Name)
				}
				if f.Usage == "" {
					t.Errorf("%s: flag --%s has no usage text", path, f.Name)
				}
			}
			c.LocalFlags().VisitAll(check)
		case c.Name() != "agentd":
			t.Errorf("%s: only agentd may disable flag parsing", path)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(cmd)
}

// TestPackageDocs checks that every package under internal/ has a package
// doc comment.
func TestPackageDocs(t *testing.T) {
	internal, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(internal) != "internal" {
		t.Fatalf("expected to run from internal/cmd/root, found %s", internal)
	}
	checked := 0
	err = filepath.WalkDir(internal, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if n := d.Name(); n == "testdata" || (strings.HasPrefix(n, ".") && path != internal) {
			return filepath.SkipDir
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		var goFiles []string
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
				goFiles = append(goFiles, filepath.Join(path, e.Name()))
			}
		}
		if len(goFiles) == 0 {
			return nil
		}
		checked++
		fset := token.NewFileSet()
		for _, f := range goFiles {
			file, err := parser.ParseFile(fset, f, nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				return err
			}
			if file.Doc != nil && strings.HasPrefix(strings.TrimSpace(file.Doc.Text()), "Package "+file.Name.Name) {
				return nil
			}
		}
		rel, _ := filepath.Rel(internal, path)
		t.Errorf("internal/%s has no package doc comment (\"// Package x ...\" in one of its files)", rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 5 {
		t.Fatalf("only %d packages found under %s", checked, internal)
	}
}

// TestConfigFlagsBoundByRoot proves that the root command's hook binds the
// executing command's flags: flag > MESOSCTL_* env > file > default, as a
// user sees it through `mesosctl.Run`.
func TestConfigFlagsBoundByRoot(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config.yaml")
	os.WriteFile(p, []byte("defaults:\n  fanout: 16\n  master: file:5050\n"), 0o600)
	t.Setenv("MESOSCTL_CONFIG", "")
	t.Setenv("XDG_CONFIG_HOME", dir)
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"probe", "--config", p}, "fanout=16 master=file:5050 timeout=10s"},
		{map[string]string{"MESOSCTL_FANOUT": "32", "MESOSCTL_CONNECT_TIMEOUT": "2s"}, []string{"probe", "--config", p}, "fanout=32 master=file:5050 timeout=2s"},
		{map[string]string{"MESOSCTL_FANOUT": "32"}, []string{"probe", "--config", p, "--fanout", "4", "--master", "flag:5050"}, "fanout=4 master=flag:5050 timeout=10s"},
		{map[string]string{"MESOSCTL_CONFIG": p}, []string{"probe"}, "fanout=16 master=file:5050 timeout=10s"},
		{nil, []string{"probe"}, "fanout=64 master= timeout=10s"}, // no file at the default location
	}
	for _, tt := range tests {
		for k, v := range tt.env {
			t.Setenv(k, v)
		}
		ios, _, out, errOut := iostreams.Test()
		f := mesosctl.NewFactory(ios)
		cmd := root.NewCmdRoot(f)
		probe := &cobra.Command{Use: "probe", RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			fmt.Fprintf(ios.Out, "fanout=%d master=%s timeout=%s", cfg.Defaults.Fanout, cfg.Defaults.Master, cfg.Defaults.ConnectTimeout)
			return nil
		}}
		probe.Flags().Int("fanout", 0, "parallel nodes")
		probe.Flags().String("master", "", "master")
		cmd.AddCommand(probe)
		cmd.SetArgs(tt.args)
		cmd.SetOut(ios.Out)
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("%q: %v %s", tt.args, err, errOut)
		}
		if out.String() != tt.want {
			t.Errorf("%v %q = %q, want %q", tt.env, tt.args, out, tt.want)
		}
		for k := range tt.env {
			t.Setenv(k, "")
		}
	}
}

func TestArgErrorsAreUsageErrors(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := root.NewCmdRoot(mesosctl.NewFactory(ios))
	probe := &cobra.Command{Use: "probe", Args: cobra.ExactArgs(1), RunE: func(*cobra.Command, []string) error { return nil }}
	cmd.AddCommand(probe)
	root.UsageArgs(cmd)
	cmd.SetArgs([]string{"probe", "a", "b"})
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	err := cmd.Execute()
	if err == nil || cmdutil.ExitCodeOf(err) != cmdutil.ExitUsage {
		t.Fatalf("got %v (exit %d), want a usage error", err, cmdutil.ExitCodeOf(err))
	}
}

func TestRootHookRunsWithSubcommandHooks(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	os.WriteFile(p, []byte("defaults: {fanout: 7}\n"), 0o600)
	ios, _, out, _ := iostreams.Test()
	f := mesosctl.NewFactory(ios)
	cmd := root.NewCmdRoot(f)
	ran := false
	noun := &cobra.Command{Use: "noun", PersistentPreRunE: func(*cobra.Command, []string) error { ran = true; return nil }}
	noun.AddCommand(&cobra.Command{Use: "verb", RunE: func(*cobra.Command, []string) error {
		cfg, err := f.Config()
		if err != nil {
			return err
		}
		fmt.Fprint(ios.Out, cfg.Defaults.Fanout)
		return nil
	}})
	cmd.AddCommand(noun)
	cmd.SetArgs([]string{"noun", "verb", "--config", p})
	if err := cmd.Execute(); err != nil || !ran || out.String() != "7" {
		t.Fatalf("err %v, noun hook ran %v, out %q", err, ran, out)
	}
}
