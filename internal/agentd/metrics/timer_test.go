package metrics

import (
	"testing"
	"time"
)

// A Timer shows nothing before its first duration, the last duration
// alone after one, and libprocess' statistics of the window after two.
func TestTimer(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tm := NewTimer("containerizer/docker/image_pull", time.Hour)
	tm.now = func() time.Time { return now }
	snap := func() map[string]float64 {
		m := map[string]float64{}
		tm.Put(m)
		return m
	}
	if tm.Key() != "containerizer/docker/image_pull_ms" || len(snap()) != 0 {
		t.Fatalf("before any pull: %s %v", tm.Key(), snap())
	}
	tm.Record(1500 * time.Microsecond)
	if m := snap(); len(m) != 1 || m["containerizer/docker/image_pull_ms"] != 1.5 {
		t.Fatalf("after one: %v", m)
	}
	for _, ms := range []int{10, 40, 20} {
		now = now.Add(time.Minute)
		tm.Record(time.Duration(ms) * time.Millisecond)
	}
	m := snap()
	// Sorted: 1.5 10 20 40; p50 at position 1.5 → 15; p90 at 2.7 → 34.
	want := map[string]float64{"": 20, "/count": 4, "/min": 1.5, "/max": 40, "/p50": 15, "/p90": 34,
		"/p95": 37, "/p99": 39.4, "/p999": 39.94, "/p9999": 39.994}
	if len(m) != len(want) {
		t.Errorf("keys: %v", m)
	}
	for k, v := range want {
		if got := m["containerizer/docker/image_pull_ms"+k]; got < v-1e-9 || got > v+1e-9 {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	// An hour after the first, it has left the window.
	now = now.Add(time.Hour - 2*time.Minute)
	if m := snap(); m["containerizer/docker/image_pull_ms/count"] != 3 || m["containerizer/docker/image_pull_ms/min"] != 10 {
		t.Errorf("window: %v", m)
	}
	now = now.Add(3 * time.Minute)
	if m := snap(); len(m) != 1 || m["containerizer/docker/image_pull_ms"] != 20 {
		t.Errorf("none left in the window (the last value stays): %v", m)
	}
	for i := 0; i < TimerCapacity+10; i++ {
		tm.Record(time.Millisecond)
	}
	if m := snap(); m["containerizer/docker/image_pull_ms/count"] != TimerCapacity {
		t.Errorf("capacity: %v", m["containerizer/docker/image_pull_ms/count"])
	}
}
