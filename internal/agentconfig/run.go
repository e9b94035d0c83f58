package agentconfig

import (
	"context"
	"fmt"
	"sync"

	"github.com/mesosctl/mesosctl/internal/parallel"
)

// Options shape a rollout.
type Options struct {
	// DryRun makes plans only.
	DryRun bool
	// Batch restarts at most this many nodes at a time (0 = all, bounded by
	// Fanout); the rollout stops after the first batch with a failure.
	Batch int
	// Fanout bounds concurrent nodes when planning and for live changes.
	Fanout int
	// OnResult, if set, is called as each node finishes (any goroutine).
	OnResult func(r Result)
}

// Rollout plans every node, then (unless DryRun) applies: nodes whose change
// is live or a no-op all at once, then the restarting nodes in batches.
// Plans and results are in target order.
func Rollout(ctx context.Context, targets []Target, req Request, o Options) ([]*Plan, []Result) {
	plans := make([]*Plan, len(targets))
	each(ctx, o.Fanout, idx(len(targets)), func(ctx context.Context, i int) {
		plans[i] = MakePlan(ctx, targets[i], req)
	})
	results := make([]Result, len(targets))
	for i, p := range plans {
		if p == nil { // cancelled before planning
			plans[i] = &Plan{Node: targets[i].Name, Action: ActionNone, Error: "cancelled"}
			p = plans[i]
		}
		results[i] = Result{Node: p.Node, Change: p.Summary(), Action: p.Action, AgentID: p.AgentID}
		switch {
		case p.Error != "":
			results[i].Result, results[i].Error = "failed", p.Error
		case o.DryRun:
			results[i].Result = "dry run"
		}
	}
	if o.DryRun {
		return plans, results
	}
	var mu sync.Mutex
	apply := func(ctx context.Context, i int) {
		id, err := Apply(ctx, targets[i], req, plans[i])
		var orph *Orphaned
		if err == nil && plans[i].Action == ActionClear && len(plans[i].Running) > 0 {
			orph = orphaned(ctx, targets[i], plans[i])
		}
		mu.Lock()
		r := &results[i]
		r.Orphaned = orph
		if id != "" {
			r.AgentID = id
		}
		switch {
		case err != nil:
			r.Result, r.Error = "failed", err.Error()
		case plans[i].Action == ActionNone:
			r.Result = "unchanged"
		default:
			r.Result = "ok"
		}
		res := *r
		mu.Unlock()
		if o.OnResult != nil {
			o.OnResult(res)
		}
	}
	var quick, restart []int
	for i, p := range plans {
		switch {
		case p.Error != "":
			if o.OnResult != nil {
				o.OnResult(results[i])
			}
		case p.Action == ActionNone || p.Action == ActionLive:
			quick = append(quick, i)
		default:
			restart = append(restart, i)
		}
	}
	each(ctx, o.Fanout, quick, apply)
	batch := o.Batch
	if batch <= 0 {
		batch = len(restart)
	}
	for start := 0; start < len(restart); start += batch {
		end := min(start+batch, len(restart))
		each(ctx, o.Fanout, restart[start:end], apply)
		failed := ctx.Err() != nil
		for _, i := range restart[start:end] {
			failed = failed || results[i].Failed()
		}
		if failed {
			for _, i := range restart[end:] {
				results[i].Result = "skipped"
				results[i].Error = fmt.Sprintf("not done: a node of batch %d failed, so the rollout stopped", start/batch+1)
				if o.OnResult != nil {
					o.OnResult(results[i])
				}
			}
			break
		}
	}
	return plans, results
}

func idx(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// each runs fn for every index in is, at most limit at once; indexes not
// started when ctx ends are left as they are (planned as "cancelled", not
// applied).
func each(ctx context.Context, limit int, is []int, fn func(ctx context.Context, i int)) {
	_ = parallel.Each(ctx, limit, len(is), func(ctx context.Context, k int) { fn(ctx, is[k]) })
}
