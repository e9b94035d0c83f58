// Package state implements `mesosctl agent state`: each node's agent /state
// document over HTTP, optionally filtered with an embedded jq.
package state

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/agentnodes"
	"github.com/mesosctl/mesosctl/internal/render"
)

// Options are the inputs of `mesosctl agent state`.
type Options struct {
	agentnodes.Options
	Context  context.Context
	NodeArgs []string
	Output   render.Options
}

// NewCmdState builds the command; runF replaces the behaviour in tests.
func NewCmdState(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{}
	agentnodes.Wire(f, &opts.Options)
	cmd := &cobra.Command{
		Use:   "state [NODESET]",
		Short: "Print each node's agent /state (works with real Mesos agents and agentd)",
		Long: `GET /state from the agent of every node of NODESET (the node's agent_port,
default 5051) and print it.

With one node the document is printed as the agent sent it, so
'mesosctl agent state lxb001 --jq EXPR' prints exactly what
'curl -s http://lxb001:5051/state | jq EXPR' prints. With several nodes each
document comes under a "-- NODE --" header; -o json prints one object keyed
by node name.

An agent that does not answer is that node's failure: it is reported on
stderr and the command exits 3.`,
		Example: `  $ mesosctl agent state lxb001 --jq '{resources,attributes}'
  $ mesosctl agent state 'lxb00[1-4]' --jq .id -r
  $ mesosctl agent state @mesos-agents -o json > states.json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return err
			}
			opts.Context = cmd.Context()
			opts.NodeArgs = args
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
		ValidArgsFunction: cmdutil.NodeSetCompletion(f),
	}
	agentnodes.AddFlags(f, cmd, &opts.Options)
	render.AddOutputFlags(cmd, &opts.Output)
	return cmd
}

// Run executes `mesosctl agent state`.
func Run(o *Options) error {
	results, err := o.Fetch(o.Context, o.NodeArgs, func(ctx context.Context, c *agentclient.Client, r *agentnodes.Result) {
		r.Body, r.Err = c.State(ctx)
	})
	if results == nil {
		return o.Err(err)
	}
	if perr := agentnodes.Print(o.IO, o.Output, results); perr != nil && err == nil {
		err = perr
	}
	return o.Err(err)
}
