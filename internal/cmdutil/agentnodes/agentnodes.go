// Package agentnodes is the plumbing of the `mesosctl agent` verbs that talk
// to each node's agent over HTTP (state, flags): node-set expansion, the
// agent URL and credentials of each node from the inventory, a bounded
// fan-out, and the per-node printing rules shared by those verbs (one node:
// the document itself; several: a "-- NODE --" header per node; -o json:
// one object keyed by node).
package agentnodes

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/where"
	"github.com/mesosctl/mesosctl/internal/inventory"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/parallel"
	"github.com/mesosctl/mesosctl/internal/render"
)

// Options are the shared flags and injected dependencies.
type Options struct {
	IO *iostreams.IOStreams
	// Expand turns NODESET arguments (or $NODES) minus -x into names.
	Expand func(args, exclude []string) ([]string, error)
	// Lookup resolves a node name (agent URL, ports, paths).
	Lookup func(name string) (inventory.Node, error)
	// Defaults returns the configured fan-out and http_credentials.
	Defaults func() (fanout int, credentials string, err error)
	// Outside notes the names that are not in the inventory
	// (cmdutil.OutsideInventory).
	Outside func(names []string) map[string]string

	Fanout  int
	Timeout time.Duration
	Exclude []string
	// Where selects nodes by their agents' /state (--where).
	Where where.Options
	// Selection is what Fetch selected (nil before Fetch): its Err merges
	// nodes --where could not read into the command's exit status.
	Selection *where.Selection
}

// Wire fills the dependencies from the factory.
func Wire(f *cmdutil.Factory, o *Options) {
	o.IO = f.IOStreams
	where.Wire(f, &o.Where)
	o.Expand = func(args, exclude []string) ([]string, error) { return cmdutil.ExpandNodeSet(f, args, exclude) }
	o.Lookup = func(name string) (inventory.Node, error) {
		inv, err := f.Inventory()
		if err != nil {
			return inventory.Node{}, err
		}
		n, err := inv.Node(name)
		if err != nil {
			return n, cmdutil.UsageError(err)
		}
		return n, nil
	}
	o.Outside = func(names []string) map[string]string { return cmdutil.OutsideInventory(f, names) }
	o.Defaults = func() (int, string, error) {
		inv, err := f.Inventory()
		if err != nil {
			return 0, "", err
		}
		d := inv.Config().Defaults
		return d.Fanout, d.HTTPCredentials, nil
	}
}

// AddFlags registers --fanout, --timeout, -x and --where.
func AddFlags(f *cmdutil.Factory, cmd *cobra.Command, o *Options) {
	fs := cmd.Flags()
	fs.IntVar(&o.Fanout, "fanout", 0, "ask at most `N` agents at once (default 64, or defaults.fanout)")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "per-agent HTTP time limit")
	cmdutil.AddExcludeFlag(f, cmd, &o.Exclude)
	where.AddFlag(cmd, &o.Where)
}

// Validate checks the flag values.
func (o *Options) Validate() error {
	if o.Fanout < 0 {
		return cmdutil.FlagErrorf("--fanout must be at least 1")
	}
	if o.Timeout < 0 {
		return cmdutil.FlagErrorf("--timeout must not be negative")
	}
	return o.Where.Validate()
}

// Client returns an HTTP client for node's agent with the configured
// credentials ("principal:secret").
func Client(n inventory.Node, credentials string, timeout time.Duration) *agentclient.Client {
	c := agentclient.New(n.AgentURL())
	c.Timeout = timeout
	c.SetCredentials(credentials)
	return c
}

// Err is the command's error err with the nodes --where could not read
// counted in (see where.Selection.Err).
func (o *Options) Err(err error) error {
	if o.Selection == nil {
		return err
	}
	return o.Selection.Err(err)
}

// Result is one node's answer.
type Result struct {
	Node string
	Body json.RawMessage // the document (or a JSON value derived from it)
	Text string          // plain text to print instead of Body ("" = print Body)
	Err  error
}

// Fetch expands the node set, keeps the nodes --where selects, and calls
// fn for every selected node's agent, at most --fanout at once. Results
// are in node-set order; with nothing selected they are nil (and the
// error too). The caller returns o.Err(its error).
func (o *Options) Fetch(ctx context.Context, args []string, fn func(ctx context.Context, c *agentclient.Client, r *Result)) ([]Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	names, err := o.Expand(args, o.Exclude)
	if err != nil {
		return nil, err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	var outside map[string]string
	if o.Outside != nil {
		outside = o.Outside(names)
	}
	limit, creds := o.Fanout, ""
	if o.Defaults != nil {
		d, c, err := o.Defaults()
		if err != nil {
			return nil, err
		}
		if limit == 0 {
			limit = d
		}
		creds = c
	}
	o.Where.Timeout = o.Timeout
	if o.Selection, err = o.Where.Select(ctx, o.IO, names, limit); err != nil {
		return nil, err
	}
	if o.Selection.Empty() {
		return nil, nil
	}
	names = o.Selection.Names
	nodes := make([]inventory.Node, len(names))
	for i, name := range names {
		if nodes[i], err = o.Lookup(name); err != nil {
			return nil, err
		}
	}
	results := make([]Result, len(names))
	parallel.Each(ctx, limit, len(names), func(ctx context.Context, i int) {
		results[i].Node = names[i]
		fn(ctx, Client(nodes[i], creds, o.Timeout), &results[i])
	})
	for i := range results {
		results[i].Node = names[i]
		if results[i].Err == nil && results[i].Body == nil && results[i].Text == "" {
			results[i].Err = ctx.Err()
		} else if ctx.Err() == nil {
			results[i].Err = cmdutil.OutsideError(outside[names[i]], results[i].Err)
		}
	}
	if ctx.Err() != nil {
		return results, cmdutil.CancelError
	}
	return results, nil
}

// Print shows the results: with one node the document alone (through
// --jq/-o when given, so `--jq EXPR` prints what `curl | jq EXPR` prints);
// with several, each under a "-- NODE --" header; with -o json/yaml and
// several nodes, one object keyed by node name in node-set order. Failed
// nodes are reported on stderr as "NODE: error"; any failure is exit 3.
func Print(ios *iostreams.IOStreams, out render.Options, results []Result) error {
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
		}
	}
	multi := len(results) > 1
	if multi && (out.Format == render.FormatJSON || out.Format == render.FormatYAML) && out.JQ == "" && out.Template == "" {
		var b bytes.Buffer
		b.WriteByte('{')
		n := 0
		for _, r := range results {
			if r.Err != nil {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			k, _ := json.Marshal(r.Node)
			b.Write(k)
			b.WriteByte(':')
			b.Write(r.body())
		}
		b.WriteByte('}')
		if err := out.Print(ios, json.RawMessage(b.Bytes()), nil); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			if r.Err != nil {
				continue
			}
			if multi {
				fmt.Fprintf(ios.Out, "-- %s --\n", r.Node)
			}
			if r.Text != "" && !out.IsStructured() {
				fmt.Fprint(ios.Out, r.Text)
				continue
			}
			if err := out.Print(ios, r.body(), nil); err != nil {
				return fmt.Errorf("%s: %w", r.Node, err)
			}
		}
	}
	for _, r := range results {
		if r.Err != nil {
			fmt.Fprintf(ios.ErrOut, "%s: %v\n", r.Node, r.Err)
		}
	}
	if failed > 0 {
		return &cmdutil.PartialError{Failed: failed, Total: len(results)}
	}
	return nil
}

func (r Result) body() json.RawMessage {
	if r.Body != nil {
		return r.Body
	}
	b, _ := json.Marshal(r.Text)
	return b
}
