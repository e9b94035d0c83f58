// Package where is the --where flag of the node-set commands (ex, cp, rcp,
// the agent verbs): it reads the /state of every node's agent over HTTP, at
// most --fanout at once, and keeps the nodes for which a jq expression
// (the --jq dialect, internal/render) is truthy. A node whose agent cannot
// be read, or whose state the expression fails on, is reported and not
// selected, and counts as a failed node (exit 3).
package where

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/parallel"
	"github.com/mesosctl/mesosctl/internal/render"
)

// FlagUsage is the --where help text.
const FlagUsage = "only the nodes whose agent /state passes this jq `FILTER` (e.g. '.attributes.rack==3'); unreadable agents are reported and count as failed"

// Options are the --where flag and its dependencies.
type Options struct {
	// Expr is the jq filter; "" selects every node without reading any
	// state.
	Expr string
	// Timeout bounds each /state read (agentclient.DefaultTimeout when 0).
	Timeout time.Duration

	// Client returns the HTTP client of a node's agent (its agent URL and
	// the configured credentials); errors are usage errors.
	Client func(name string) (*agentclient.Client, error)

	filter *render.Filter
}

// Wire fills the dependencies from the factory: each node's agent URL
// from the inventory, defaults.http_credentials.
func Wire(f *cmdutil.Factory, o *Options) {
	o.Client = func(name string) (*agentclient.Client, error) {
		inv, err := f.Inventory()
		if err != nil {
			return nil, err
		}
		n, err := inv.Node(name)
		if err != nil {
			return nil, cmdutil.UsageError(err)
		}
		c := agentclient.New(n.AgentURL())
		c.SetCredentials(inv.Config().Defaults.HTTPCredentials)
		return c, nil
	}
}

// AddFlag registers --where on cmd.
func AddFlag(cmd *cobra.Command, o *Options) {
	cmd.Flags().StringVar(&o.Expr, "where", "", FlagUsage)
}

// Validate compiles the filter: a bad one is a usage error (exit 2).
func (o *Options) Validate() error {
	if o.Expr == "" || o.filter != nil {
		return nil
	}
	f, err := render.CompileFilter("--where", o.Expr)
	if err != nil {
		return err
	}
	o.filter = f
	return nil
}

// Selection is what --where left of a node set.
type Selection struct {
	Names []string // the selected nodes, in node-set order
	// Failed are the nodes whose state could not be read or evaluated;
	// they were reported.
	Failed []string
	Total  int // nodes in the node set
}

// Select keeps the names whose agent state passes the filter, reading at
// most limit states at once (0: parallel.DefaultLimit). Without --where
// every name is kept and nothing is read. Unreadable nodes are reported
// on ios.ErrOut as "mesosctl: NODE: --where: …"; when nothing is selected,
// that is said too. Errors are only usage errors (a bad filter or node)
// and cancellation.
func (o *Options) Select(ctx context.Context, ios *iostreams.IOStreams, names []string, limit int) (*Selection, error) {
	sel := &Selection{Total: len(names)}
	if o.Expr == "" {
		sel.Names = names
		return sel, nil
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	clients := make([]*agentclient.Client, len(names))
	for i, n := range names {
		var err error
		if clients[i], err = o.Client(n); err != nil {
			return nil, err
		}
		clients[i].Timeout = o.Timeout
	}
	if ctx == nil {
		ctx = context.Background()
	}
	match := make([]bool, len(names))
	errs := make([]error, len(names))
	if err := parallel.Each(ctx, limit, len(names), func(ctx context.Context, i int) {
		doc, err := clients[i].State(ctx)
		if err != nil {
			errs[i] = fmt.Errorf("cannot read the agent's /state: %w", err)
			return
		}
		if match[i], err = o.filter.Match(doc); err != nil {
			errs[i] = err
		}
	}); err != nil || ctx.Err() != nil {
		return nil, cmdutil.CancelError
	}
	for i, n := range names {
		switch {
		case errs[i] != nil:
			sel.Failed = append(sel.Failed, n)
			fmt.Fprintf(ios.ErrOut, "mesosctl: %s: --where: %v (not selected)\n", n, errs[i])
		case match[i]:
			sel.Names = append(sel.Names, n)
		}
	}
	if len(sel.Names) == 0 {
		unread := ""
		if len(sel.Failed) > 0 {
			unread = fmt.Sprintf(", %d unreadable", len(sel.Failed))
		}
		fmt.Fprintf(ios.ErrOut, "mesosctl: --where '%s' selected none of the %d node(s)%s: nothing done\n",
			strings.ReplaceAll(o.Expr, "'", `'\''`), len(names), unread)
	}
	return sel, nil
}

// Empty reports whether nothing was selected: the command then does
// nothing and returns Err(nil).
func (s *Selection) Empty() bool { return len(s.Names) == 0 }

// Err is the command's error once it has run on the selection: err itself
// when every node could be read (or err is a usage error, cancellation or
// a plain error); otherwise a PartialError (exit 3) counting the unreadable
// nodes together with the nodes err says failed.
func (s *Selection) Err(err error) error {
	if len(s.Failed) == 0 || cmdutil.IsUsage(err) || errors.Is(err, cmdutil.CancelError) {
		return err
	}
	failed := len(s.Failed)
	var pe *cmdutil.PartialError
	var ee *cmdutil.ExitStatusError
	switch {
	case errors.As(err, &pe):
		failed += pe.Failed
	case errors.As(err, &ee):
		failed++
	case err != nil:
		return err
	}
	return &cmdutil.PartialError{Failed: failed, Total: s.Total}
}
