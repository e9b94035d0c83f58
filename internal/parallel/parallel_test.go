package parallel

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestEachBoundsConcurrency(t *testing.T) {
	for _, tt := range []struct{ limit, n, wantPeak int }{{3, 20, 3}, {0, 100, DefaultLimit}, {10, 4, 4}} {
		var cur, peak, calls atomic.Int32
		seen := make([]atomic.Bool, tt.n)
		err := Each(context.Background(), tt.limit, tt.n, func(ctx context.Context, i int) {
			n := cur.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(20 * time.Millisecond)
			cur.Add(-1)
			calls.Add(1)
			if seen[i].Swap(true) {
				t.Errorf("index %d called twice", i)
			}
		})
		if err != nil || int(calls.Load()) != tt.n || int(peak.Load()) > tt.wantPeak || peak.Load() < 2 {
			t.Errorf("limit %d n %d: err %v calls %d peak %d (want ≤ %d)", tt.limit, tt.n, err, calls.Load(), peak.Load(), tt.wantPeak)
		}
	}
}

func TestEachStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	err := Each(ctx, 1, 100, func(ctx context.Context, i int) {
		if calls.Add(1) == 2 {
			cancel()
		}
	})
	if n := calls.Load(); n != 2 || !errors.Is(err, context.Canceled) {
		t.Errorf("%d calls, err %v; want 2 calls and context.Canceled", n, err)
	}
	if err := Each(context.Background(), 0, 0, func(context.Context, int) { t.Error("called for n=0") }); err != nil {
		t.Error(err)
	}
}
