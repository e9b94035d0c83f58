// Package nodeset implements `mesosctl nodeset`: expand, fold and count
// ClusterShell-style node sets (lxb00[1-4,7],!lxb003, @group).
package nodeset

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	ns "github.com/mesosctl/mesosctl/internal/nodeset"
)

// Mode is what the command does with the node set.
type Mode int

// Modes, one of which must be chosen.
const (
	ModeNone Mode = iota
	ModeExpand
	ModeFold
	ModeCount
)

// Options are the inputs of `mesosctl nodeset`.
type Options struct {
	IO        *iostreams.IOStreams
	Groups    ns.GroupResolver
	Getenv    func(string) string
	Mode      Mode
	Exprs     []string
	Exclude   []string
	Separator string
}

// NewCmdNodeset builds the command; runF replaces the behaviour in tests.
func NewCmdNodeset(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Getenv: f.Getenv}
	var expand, fold, count bool
	cmd := &cobra.Command{
		Use:   "nodeset (-e|-f|-c) [NODESET...]",
		Short: "Expand, fold or count node sets like lxb00[1-4,7],!lxb003",
		Long: `Expand, fold or count ClusterShell-style node sets.

A node set is a comma-separated list of names with bracketed numeric ranges
(lxb00[1-4,7], rack[1-2]n[01-04], n[1-9/2]), @groups from the inventory, and
exclusions (!lxb003, or lxb00[1-4]!lxb002). Several arguments are joined with
commas; an argument "-" stands for the node sets read from standard input
(separated by white space). Without arguments the NODES environment variable
is used.

Folding works in every dimension, as ClusterShell's nodeset does:
a1b3 a1b4 a2b3 a2b4 folds to a[1-2]b[3-4].

See docs/nodesets.md for the full syntax.`,
		Example: `  $ mesosctl nodeset -e 'lxb00[1-4,7],!lxb003'
  lxb001 lxb002 lxb004 lxb007
  $ mesosctl nodeset -f lxb001 lxb002 lxb003 lxb007
  lxb[001-003,007]
  $ mesosctl nodeset -e 'rack[1-2]-node[01-02]' | mesosctl nodeset -f -
  rack[1-2]-node[01-02]
  $ mesosctl nodeset -c @rack1 -x lxb002
  3
  $ NODES='lxb[001-004]' mesosctl nodeset -e -S '\n'`,
		GroupID: "nodes",
		RunE: func(cmd *cobra.Command, args []string) error {
			n := 0
			for _, b := range []bool{expand, fold, count} {
				if b {
					n++
				}
			}
			switch {
			case n == 0:
				return cmdutil.FlagErrorf("choose one of -e/--expand, -f/--fold or -c/--count")
			case n > 1:
				return cmdutil.FlagErrorf("-e/--expand, -f/--fold and -c/--count cannot be combined")
			case expand:
				opts.Mode = ModeExpand
			case fold:
				opts.Mode = ModeFold
			default:
				opts.Mode = ModeCount
			}
			opts.Exprs = args
			opts.Groups = cmdutil.LazyGroups(f)
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
		ValidArgsFunction: cmdutil.NodeSetCompletion(f),
	}
	cmd.Flags().BoolVarP(&expand, "expand", "e", false, "print every node name")
	cmd.Flags().BoolVarP(&fold, "fold", "f", false, "print the shortest node set")
	cmd.Flags().BoolVarP(&count, "count", "c", false, "print the number of nodes")
	cmd.Flags().StringVarP(&opts.Separator, "separator", "S", " ", `separator for --expand ('\n' for one name per line)`)
	cmdutil.AddExcludeFlag(f, cmd, &opts.Exclude)
	return cmd
}

// Run prints the expansion, folding or count.
func Run(opts *Options) error {
	exprs, err := readStdin(opts)
	if err != nil {
		return err
	}
	expr, err := ns.FromArgsOrEnv(exprs, opts.Getenv)
	if err != nil {
		return cmdutil.UsageError(err)
	}
	names, err := ns.ExpandExclude(expr, opts.Exclude, opts.Groups)
	if err != nil {
		return cmdutil.UsageError(err)
	}
	out := opts.IO.Out
	switch opts.Mode {
	case ModeExpand:
		if len(names) == 0 {
			break
		}
		sep := unescape(opts.Separator)
		w := bufio.NewWriterSize(out, 64<<10)
		for i, n := range names {
			if i > 0 {
				w.WriteString(sep)
			}
			w.WriteString(n)
		}
		w.WriteByte('\n')
		return w.Flush()
	case ModeFold:
		if len(names) > 0 {
			fmt.Fprintln(out, ns.Fold(names))
		}
	case ModeCount:
		fmt.Fprintln(out, len(names))
	default:
		return cmdutil.FlagErrorf("choose one of -e/--expand, -f/--fold or -c/--count")
	}
	return nil
}

// readStdin replaces an argument "-" by the words of standard input.
func readStdin(opts *Options) ([]string, error) {
	if !slices.Contains(opts.Exprs, "-") {
		return opts.Exprs, nil
	}
	b, err := io.ReadAll(opts.IO.In)
	if err != nil {
		return nil, fmt.Errorf("read node sets from standard input: %w", err)
	}
	var out []string
	for _, a := range opts.Exprs {
		if a != "-" {
			out = append(out, a)
			continue
		}
		if words := strings.Fields(string(b)); len(words) > 0 {
			out = append(out, strings.Join(words, ","))
		}
		b = nil // read once
	}
	if len(out) == 0 {
		return nil, cmdutil.UsageError(errors.New("no node set given: standard input (-) was empty"))
	}
	return out, nil
}

// unescape interprets \n, \t and \\ in a separator given on the command
// line.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	if u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`); err == nil {
		return u
	}
	return s
}
