package loglevel

import (
	"sync"
	"testing"
	"time"
)

func TestRaiseAndRevert(t *testing.T) {
	var mu sync.Mutex
	var seen []uint32
	v := New(0, func(l uint32) { mu.Lock(); seen = append(seen, l); mu.Unlock() })
	defer v.Stop()
	if v.Level() != 0 {
		t.Fatal("not 0 at start")
	}
	v.Set(2, 50*time.Millisecond)
	if v.Level() != 2 {
		t.Fatalf("level %d after Set(2)", v.Level())
	}
	deadline := time.Now().Add(5 * time.Second)
	for v.Level() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("did not revert")
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0] != 2 || seen[1] != 0 {
		t.Errorf("changes %v", seen)
	}
}

// A later Set extends the window: the first raise's timer does not revert.
func TestLaterSetExtends(t *testing.T) {
	now := time.Unix(1000, 0)
	var fire []func()
	v := New(0, nil)
	v.now = func() time.Time { return now }
	v.after = func(d time.Duration, f func()) *time.Timer { fire = append(fire, f); return time.NewTimer(time.Hour) }
	defer v.Stop()
	v.Set(1, 10*time.Second)
	now = now.Add(5 * time.Second)
	v.Set(3, 10*time.Second) // until 1015
	now = now.Add(5 * time.Second)
	fire[0]() // the first raise ends at 1010: overridden
	if v.Level() != 3 {
		t.Fatalf("reverted early: %d", v.Level())
	}
	now = now.Add(5 * time.Second)
	fire[1]()
	if v.Level() != 0 {
		t.Fatalf("not reverted: %d", v.Level())
	}
	// Setting the original level starts no timer.
	v.Set(0, time.Minute)
	if len(fire) != 2 {
		t.Errorf("timers %d", len(fire))
	}
}
