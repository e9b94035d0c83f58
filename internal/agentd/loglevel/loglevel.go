// Package loglevel is the agent's logging verbosity as Mesos' v1
// GET_LOGGING_LEVEL and SET_LOGGING_LEVEL see it: glog's verbose level
// (FLAGS_v, 0 by default), raised for a duration and then reverted to the
// level the agent started with, the way libprocess' Logging process does.
package loglevel

import (
	"sync"
	"time"
)

// Verbosity is the current verbose level.
type Verbosity struct {
	mu       sync.Mutex
	level    uint32
	original uint32
	// until is when the latest raise ends; a revert timer that fires
	// before it (an earlier, overridden raise) does nothing.
	until    time.Time
	onChange func(uint32)
	now      func() time.Time
	after    func(time.Duration, func()) *time.Timer
	timers   []*time.Timer
}

// New returns the verbosity at original (the level at start-up);
// onChange, if set, is called with every new level (outside the lock).
func New(original uint32, onChange func(level uint32)) *Verbosity {
	return &Verbosity{level: original, original: original, onChange: onChange, now: time.Now, after: time.AfterFunc}
}

// Level returns the current verbose level.
func (v *Verbosity) Level() uint32 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.level
}

// Set sets the level now. A level other than the original one lasts for d
// and then reverts to the original, unless a later Set has extended the
// window; setting the original level starts no timer (a pending revert
// still fires, harmlessly).
func (v *Verbosity) Set(level uint32, d time.Duration) {
	v.mu.Lock()
	v.level = level
	if level != v.original {
		v.until = v.now().Add(d)
		v.timers = append(v.timers, v.after(d, v.revert))
	}
	v.mu.Unlock()
	if v.onChange != nil {
		v.onChange(level)
	}
}

func (v *Verbosity) revert() {
	v.mu.Lock()
	if v.now().Before(v.until) || v.level == v.original {
		v.mu.Unlock()
		return
	}
	v.level = v.original
	v.mu.Unlock()
	if v.onChange != nil {
		v.onChange(v.original)
	}
}

// Stop cancels pending reverts (the agent is shutting down).
func (v *Verbosity) Stop() {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, t := range v.timers {
		t.Stop()
	}
	v.timers = nil
}
