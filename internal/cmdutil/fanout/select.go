package fanout

import (
	"context"

	"github.com/mesosctl/mesosctl/internal/cmdutil/where"
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
