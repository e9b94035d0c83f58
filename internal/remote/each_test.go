package remote

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestEachBoundsConcurrencyAndStopsOnCancel(t *testing.T) {
	var cur, peak, calls atomic.Int32
	Each(context.Background(), 3, 20, func(ctx context.Context, i int) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		cur.Add(-1)
		calls.Add(1)
	})
	if calls.Load() != 20 || peak.Load() > 3 || peak.Load() < 2 {
		t.Errorf("calls %d peak %d", calls.Load(), peak.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	calls.Store(0)
	Each(ctx, 1, 100, func(ctx context.Context, i int) {
		if calls.Add(1) == 2 {
			cancel()
		}
	})
	if n := calls.Load(); n > 3 {
		t.Errorf("%d calls after cancel", n)
	}
	Each(context.Background(), 0, 0, func(context.Context, int) { t.Error("called for n=0") })
}
