package mesos

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Duration units, as stout names them (always plural).
var durationUnits = []struct {
	name string
	size time.Duration
}{
	{"ns", time.Nanosecond}, {"us", time.Microsecond}, {"ms", time.Millisecond},
	{"secs", time.Second}, {"mins", time.Minute}, {"hrs", time.Hour},
	{"days", 24 * time.Hour}, {"weeks", 7 * 24 * time.Hour},
}

// ParseDuration parses a Mesos (stout) duration, as agentd's flags and
// `mesosctl exec --kill_after` read them: a number (digits and '.', no
// sign, no exponent, no spaces) followed by one of the case-sensitive
// units ns, us, ms, secs, mins, hrs, days, weeks. The error texts are
// stout's.
func ParseDuration(s string) (time.Duration, error) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], s[i:]
	if num == "" || unit == "" {
		return 0, fmt.Errorf("Invalid duration '%s'", s)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("Invalid duration '%s'", s)
	}
	for _, u := range durationUnits {
		if u.name != unit {
			continue
		}
		ns := f * float64(u.size)
		if ns >= math.MaxInt64 || math.IsInf(ns, 0) || math.IsNaN(ns) {
			return 0, fmt.Errorf("Argument out of the range that a Duration can represent due to int64_t's size limit")
		}
		return time.Duration(ns), nil
	}
	return 0, fmt.Errorf("Unknown duration unit '%s'; supported units are 'ns', 'us', 'ms', 'secs', 'mins', 'hrs', 'days', and 'weeks'", unit)
}

// FormatDuration renders d as stout's operator<< does: in the unit of its
// magnitude, or one unit smaller when only that gives a whole number, with
// up to 15 significant digits ("1mins", "90secs", "1.025mins", "500ms",
// "333.333333ms", "1weeks", "10days", "-5secs").
func FormatDuration(d time.Duration) string {
	if d < 0 {
		if d == math.MinInt64 { // -d overflows; stout's own limit too
			return "-" + format(uint64(1)<<63)
		}
		return "-" + format(uint64(-d))
	}
	return format(uint64(d))
}

func format(n uint64) string {
	// Find the bucket: the largest unit not larger than n (ns for n < 1us).
	i := 0
	for i+1 < len(durationUnits) && n >= uint64(durationUnits[i+1].size) {
		i++
	}
	if i > 0 {
		bucket, below := uint64(durationUnits[i].size), uint64(durationUnits[i-1].size)
		// One unit down when that is whole and the bucket unit is not;
		// below microseconds only whole numbers of the smaller unit count.
		down := n%bucket != 0 && n%below == 0
		if i == 1 { // us bucket: nanoseconds whenever microseconds are not whole
			down = n%bucket != 0
		}
		if down {
			i--
		}
	}
	u := durationUnits[i]
	return strconv.FormatFloat(float64(n)/float64(u.size), 'g', 15, 64) + u.name
}
