// Package nodes implements `mesosctl nodes`: list inventory nodes with how
// mesosctl reaches them (address, SSH user and port, agent URL, groups).
package nodes

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/inventory"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/nodeset"
	"github.com/mesosctl/mesosctl/internal/render"
)

// Options are the inputs of `mesosctl nodes`.
type Options struct {
	IO        *iostreams.IOStreams
	Inventory func() (*inventory.Inventory, error)
	Getenv    func(string) string
	Exprs     []string
	Exclude   []string
	Output    render.Options
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
			if err := opts.Output.Validate(); err != nil {
				return err
			}
			opts.Exprs = args
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
		ValidArgsFunction: cmdutil.NodeSetCompletion(f),
	}
	render.AddOutputFlags(cmd, &opts.Output)
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
	if len(opts.Exprs) == 0 && inv.Config().Path == "" {
		return cmdutil.NoConfig("mesosctl nodes lists the inventory")
	}
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
	return Print(opts.IO, &opts.Output, rows)
}

// Print writes rows in the selected output format.
func Print(ios *iostreams.IOStreams, out *render.Options, rows []Row) error {
	if rows == nil {
		rows = []Row{}
	}
	if len(rows) == 0 && !out.IsStructured() {
		fmt.Fprintln(ios.ErrOut, "no nodes (add some under nodes: in the configuration file, see docs/configuration.md)")
		return nil
	}
	table := &render.Table{Headers: []string{"NAME", "ADDRESS", "USER", "PORT", "AGENT", "GROUPS"},
		Align: []render.Align{render.AlignLeft, render.AlignLeft, render.AlignLeft, render.AlignRight}}
	for _, r := range rows {
		table.AddRow(r.Name, r.Address, r.SSHUser, strconv.Itoa(r.SSHPort), r.AgentURL, strings.Join(r.Groups, ","))
	}
	return out.Print(ios, rows, table)
}
