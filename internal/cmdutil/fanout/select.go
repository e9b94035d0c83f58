package fanout

import (
	"context"

	"github.com/mesosctl/mesosctl/internal/cmdutil/where"
	"github.com/mesosctl/mesosctl/internal/remote"
)

// Select expands the NODESET arguments (or $NODES) minus -x and, with
// --where, keeps the nodes whose agent state passes it, reading at most
// --fanout states at once. See where.Selection for what the caller does
// with the result (Empty, Err).
func (o *Options) Select(ctx context.Context, args []string) (*where.Selection, error) {
	names, err := o.Expand(args, o.Exclude)
	if err != nil {
		return nil, err
	}
	limit, err := o.Limit()
	if err != nil {
		return nil, err
	}
	return o.Where.Select(ctx, o.IO, names, limit)
}

// Effective are the run's settings: the configuration's, with the flags
// given on the command line applied (for commands that drive the Dialer
// themselves, like cp).
func (o *Options) Effective() (Settings, error) { return o.settings() }

// Targets is Select, then Resolve of the selected nodes: the selection and
// their SSH targets (none when nothing was selected: the caller then
// returns sel.Err(nil)).
func (o *Options) Targets(ctx context.Context, args []string) (*where.Selection, []remote.Target, error) {
	sel, err := o.Select(ctx, args)
	if err != nil || sel.Empty() {
		return sel, nil, err
	}
	targets, err := o.Resolve(sel.Names)
	return sel, targets, err
}
