package remote

import (
	"context"
	"sync"
)

// Each calls fn(ctx, i) for i in [0, n) on at most limit goroutines at
// once (limit < 1 means all at once) and returns when every call has
// returned. It is the HTTP counterpart of Runner: commands that talk to
// agents over HTTP (agent state, agent flags, agent set-*) use it with the
// --fanout value. Calls not yet started when ctx ends are skipped.
func Each(ctx context.Context, limit, n int, fn func(ctx context.Context, i int)) {
	if limit < 1 || limit > n {
		limit = n
	}
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			fn(ctx, i)
		}(i)
	}
	wg.Wait()
}
