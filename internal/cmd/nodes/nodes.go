// Package nodes implements `mesosctl nodes`: list inventory nodes with how
// mesosctl reaches them (address, SSH user and port, agent URL, groups).
package nodes

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/inventory"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/nodeset"
)

// Options are the inputs of `mesosctl nodes`.
type Options struct {
	IO        *iostreams.IOStreams
	Inventory func() (*inventory.Inventory, error)
	Getenv    func(string) string
	Exprs     []string
	Exclude   []string
	Output    string // "table" or "json"
}

// Row is one node as printed (and as JSON with -o json).
type Row struct {
	inventory.Node
	AgentURL string   `json:"agent_url"`
	Groups   []string `json:"groups"`
}

// NewCmdNodes builds the command; runF replaces the behaviour in tests.
func NewCmdNodes(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Inventory: f.Inventory, Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "nodes [NODESET...]",
		Short: "List inventory nodes and how they are reached",
		Long: `List the nodes of the inventory (or of NODESET, which may also name hosts that
are only in ~/.ssh/config or DNS) with the address, SSH user and port, agent
URL and groups mesosctl resolves for each.

Without NODESET every inventory node is listed (the NODES variable is not used
here, so that 'mesosctl nodes' always shows the whole inventory).`,
		Example: `  $ mesosctl nodes
  $ mesosctl nodes 'lxb00[1-2]' -o json
  $ mesosctl nodes @rack1 -x lxb003`,
		GroupID: "nodes",
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Output != "table" && opts.Output != "json" {
				return cmdutil.FlagErrorf("invalid --output %q: use table or json", opts.Output)
			}
			opts.Exprs = args
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
		ValidArgsFunction: cmdutil.NodeSetCompletion(f),
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "table", "output format: table or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
	cmdutil.AddExcludeFlag(f, cmd, &opts.Exclude)
	return cmd
}

// Run lists the nodes.
func Run(opts *Options) error {
	inv, err := opts.Inventory()
	if err != nil {
		return err
	}
	var names []string
	if len(opts.Exprs) == 0 {
		expr := "@all"
		if len(inv.Names()) == 0 {
			expr = ""
		}
		if expr != "" {
			names, err = nodeset.ExpandExclude(expr, opts.Exclude, inv.GroupResolver())
		}
	} else {
		names, err = nodeset.ExpandExclude(strings.Join(opts.Exprs, ","), opts.Exclude, inv.GroupResolver())
	}
	if err != nil {
		return cmdutil.UsageError(err)
	}
	rows := make([]Row, 0, len(names))
	for _, name := range names {
		n, err := inv.Node(name)
		if err != nil {
			return cmdutil.UsageError(err)
		}
		groups := inv.GroupsOf(name)
		if groups == nil {
			groups = []string{}
		}
		rows = append(rows, Row{Node: n, AgentURL: n.AgentURL(), Groups: groups})
	}
	return Print(opts.IO, opts.Output, rows)
}

// Print writes rows as a table or JSON. It is a variable so that the shared
// renderer (internal/render) can replace this local printer.
var Print = func(ios *iostreams.IOStreams, format string, rows []Row) error {
	if format == "json" {
		if rows == nil {
			rows = []Row{}
		}
		enc := json.NewEncoder(ios.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		if ios.IsStdoutTTY() {
			fmt.Fprintln(ios.ErrOut, "no nodes (add some under nodes: in the configuration file, see docs/configuration.md)")
		}
		return nil
	}
	header := []string{"NAME", "ADDRESS", "USER", "PORT", "AGENT", "GROUPS"}
	table := make([][]string, len(rows))
	for i, r := range rows {
		table[i] = []string{r.Name, r.Address, r.SSHUser, strconv.Itoa(r.SSHPort), r.AgentURL, strings.Join(r.Groups, ",")}
	}
	return printTable(ios.Out, ios.IsStdoutTTY(), header, table)
}

// printTable aligns columns under a header on a terminal, and writes
// tab-separated rows without header to a pipe.
func printTable(w io.Writer, tty bool, header []string, rows [][]string) error {
	if !tty {
		for _, r := range rows {
			if _, err := fmt.Fprintln(w, strings.Join(r, "\t")); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		for i := range r {
			if r[i] == "" {
				r[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}
