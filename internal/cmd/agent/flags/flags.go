// Package flags implements `mesosctl agent flags`: each node's agent flags
// (GET /flags), all of them or the values of the named ones.
package flags

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/agentnodes"
	"github.com/mesosctl/mesosctl/internal/render"
)

// Options are the inputs of `mesosctl agent flags`.
type Options struct {
	agentnodes.Options
	Context  context.Context
	NodeArgs []string
	Names    []string
	Output   render.Options
}

// NewCmdFlags builds the command; runF replaces the behaviour in tests.
func NewCmdFlags(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{}
	agentnodes.Wire(f, &opts.Options)
	cmd := &cobra.Command{
		Use:   "flags NODESET [FLAG...]",
		Short: "Print each node's agent flags (/flags), or the values of some",
		Long: `GET /flags from the agent of every node of NODESET.

Without FLAG names the /flags document is printed (like 'agent state').
With one FLAG its value is printed on a line of its own; with several,
one NAME=VALUE line each. A flag the agent does not report (unset, or
unknown to that agent) is that node's failure (exit 3).

-o json prints an object of the requested flags (all of them without FLAG
names); with several nodes, one such object per node, keyed by node.`,
		Example: `  $ mesosctl agent flags lxb001 containerizers
  mesos
  $ mesosctl agent flags 'lxb00[1-4]' attributes resources
  $ mesosctl agent flags lxb001 --jq '.flags.work_dir' -r`,
		Args: cmdutil.MinimumArgs(1, "give a NODESET (and optionally FLAG names)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Output.Validate(); err != nil {
				return err
			}
			opts.Context = cmd.Context()
			opts.NodeArgs, opts.Names = args[:1], args[1:]
			for _, n := range opts.Names {
				if n == "" || strings.ContainsAny(n, "= \t") {
					return cmdutil.FlagErrorf("%q is not a flag name (write 'containerizers', not '--containerizers=…')", n)
				}
			}
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

// Run executes `mesosctl agent flags`.
func Run(o *Options) error {
	for i, n := range o.Names {
		o.Names[i] = strings.TrimPrefix(n, "--")
	}
	results, err := o.Fetch(o.Context, o.NodeArgs, func(ctx context.Context, c *agentclient.Client, r *agentnodes.Result) {
		raw, err := c.GetJSON(ctx, "/flags")
		if err != nil {
			r.Err = err
			return
		}
		if len(o.Names) == 0 {
			r.Body = raw
			return
		}
		var doc struct {
			Flags map[string]string `json:"flags"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			r.Err = fmt.Errorf("/flags is not the expected JSON: %v", err)
			return
		}
		r.Body, r.Text, r.Err = Select(doc.Flags, o.Names)
	})
	if results == nil {
		return o.Err(err)
	}
	if perr := agentnodes.Print(o.IO, o.Output, results); perr != nil && err == nil {
		err = perr
	}
	return o.Err(err)
}

// Select picks names out of flags: the JSON object of them (in the order
// asked), the text form (the value alone for one name, NAME=VALUE lines for
// several), or an error naming the flags the agent does not report.
func Select(flags map[string]string, names []string) (json.RawMessage, string, error) {
	var missing []string
	var text strings.Builder
	obj := []byte{'{'}
	for i, n := range names {
		v, ok := flags[n]
		if !ok {
			missing = append(missing, n)
			continue
		}
		if len(names) == 1 {
			text.WriteString(v + "\n")
		} else {
			fmt.Fprintf(&text, "%s=%s\n", n, v)
		}
		if i > 0 && len(obj) > 1 {
			obj = append(obj, ',')
		}
		k, _ := json.Marshal(n)
		val, _ := json.Marshal(v)
		obj = append(append(append(obj, k...), ':'), val...)
	}
	if len(missing) > 0 {
		return nil, "", fmt.Errorf("the agent reports no value for flag %s (unset, or not a flag of this agent)", strings.Join(missing, ", "))
	}
	return append(obj, '}'), text.String(), nil
}
