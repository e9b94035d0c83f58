// Package parallel runs one piece of work per node or agent with bounded
// concurrency. It is the one helper behind every fan-out of the CLI: SSH
// (remote.Runner) and HTTP (agent state/flags, agent set-*, agents, exec,
// tasks, task, tree).
package parallel

import (
	"context"
	"sync"
	"sync/atomic"
)

// DefaultLimit is the fan-out when nothing sets one: the built-in value of
// defaults.fanout (docs/configuration.md).
const DefaultLimit = 64

// Each calls fn(ctx, i) for i in [0, n) on at most limit goroutines at
// once (limit < 1 means DefaultLimit), handing out indexes in order, and
// returns when every call it started has returned. Once ctx is done no
// further call starts: Each then returns ctx's error, and the caller
// accounts for the indexes fn never saw. It returns nil when every call ran.
func Each(ctx context.Context, limit, n int, fn func(ctx context.Context, i int)) error {
	if limit < 1 {
		limit = DefaultLimit
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(limit, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(ctx, i)
			}
		}()
	}
	wg.Wait()
	if next.Load() < int64(n) { // workers stopped early: ctx is done
		return ctx.Err()
	}
	return nil
}
