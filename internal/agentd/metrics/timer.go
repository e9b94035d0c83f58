package metrics

import (
	"math"
	"sort"
	"sync"
	"time"
)

// TimerCapacity is how many durations a Timer keeps (libprocess'
// TIME_SERIES_CAPACITY); beyond it the oldest are dropped.
const TimerCapacity = 1000

// Timer is a libprocess metrics::Timer<Milliseconds> with a window, such
// as Mesos' containerizer/docker/image_pull_ms: once something has been
// timed, the snapshot has the last duration in milliseconds under its key;
// once two or more were timed within the window, also their statistics
// under <key>/count, /min, /max, /p50, /p90, /p95, /p99, /p999 and /p9999.
// Before anything is timed the snapshot has none of its keys. The zero
// value is not usable: use NewTimer. Safe for concurrent use.
type Timer struct {
	key    string
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	last    float64
	timed   bool
	samples []timerSample
}

type timerSample struct {
	at time.Time
	ms float64
}

// NewTimer returns the timer whose key is name + "_ms", as libprocess adds
// the unit, keeping the durations of the last window for its statistics.
func NewTimer(name string, window time.Duration) *Timer {
	return &Timer{key: name + "_ms", window: window, now: time.Now}
}

// Key is the timer's /metrics/snapshot key.
func (t *Timer) Key() string { return t.key }

// Record adds one duration.
func (t *Timer) Record(d time.Duration) {
	ms := float64(d) / float64(time.Millisecond)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last, t.timed = ms, true
	t.samples = append(t.samples, timerSample{at: t.now(), ms: ms})
	if n := len(t.samples); n > TimerCapacity {
		t.samples = append(t.samples[:0], t.samples[n-TimerCapacity:]...)
	}
}

// Put adds the timer's keys to m.
func (t *Timer) Put(m map[string]float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.timed {
		return
	}
	m[t.key] = t.last
	cutoff := t.now().Add(-t.window)
	i := sort.Search(len(t.samples), func(i int) bool { return !t.samples[i].at.Before(cutoff) })
	t.samples = t.samples[i:]
	if len(t.samples) < 2 {
		return
	}
	v := make([]float64, len(t.samples))
	for i, s := range t.samples {
		v[i] = s.ms
	}
	sort.Float64s(v)
	m[t.key+"/count"] = float64(len(v))
	m[t.key+"/min"] = v[0]
	m[t.key+"/max"] = v[len(v)-1]
	for _, p := range []struct {
		suffix string
		q      float64
	}{{"p50", 0.5}, {"p90", 0.9}, {"p95", 0.95}, {"p99", 0.99}, {"p999", 0.999}, {"p9999", 0.9999}} {
		m[t.key+"/"+p.suffix] = percentile(v, p.q)
	}
}

// percentile is libprocess' (linear interpolation between the two
// nearest of the sorted values).
func percentile(v []float64, q float64) float64 {
	pos := q * float64(len(v)-1)
	i := int(math.Floor(pos))
	if i >= len(v)-1 {
		return v[len(v)-1]
	}
	return v[i] + (v[i+1]-v[i])*(pos-float64(i))
}
