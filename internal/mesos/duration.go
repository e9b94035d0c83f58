package mesos

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

var durationRE = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*(ns|us|ms|secs|mins|hrs|days|weeks)\s*$`)

var durationUnits = map[string]time.Duration{
	"ns": time.Nanosecond, "us": time.Microsecond, "ms": time.Millisecond, "secs": time.Second,
	"mins": time.Minute, "hrs": time.Hour, "days": 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// ParseDuration parses Mesos duration syntax (5secs, 1mins, 1.5hrs, 1weeks):
// a non-negative number and a unit, ns, us, ms, secs, mins, hrs, days or
// weeks (stout's Duration). agentd's flags and `mesosctl exec --kill_after`
// read durations with it.
func ParseDuration(s string) (time.Duration, error) {
	m := durationRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("Invalid duration '%s' (expected a number and one of ns, us, ms, secs, mins, hrs, days, weeks, e.g. '5secs')", s)
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	return time.Duration(f * float64(durationUnits[m[2]])), nil
}

// FormatDuration writes d as Mesos (stout) does: in the unit of its
// magnitude when that is a whole number ("5secs", "15mins", "1weeks"), else
// in the next smaller unit when that is ("90secs"), else as a decimal in the
// unit of its magnitude ("1.5ms").
func FormatDuration(d time.Duration) string {
	neg := ""
	if d < 0 {
		neg, d = "-", -d
	}
	type unit struct {
		name string
		size time.Duration
	}
	units := []unit{{"ns", time.Nanosecond}, {"us", time.Microsecond}, {"ms", time.Millisecond},
		{"secs", time.Second}, {"mins", time.Minute}, {"hrs", time.Hour}, {"days", 24 * time.Hour},
		{"weeks", 7 * 24 * time.Hour}}
	i := len(units) - 1
	for i > 0 && d < units[i].size {
		i--
	}
	switch {
	case d%units[i].size == 0:
		return fmt.Sprintf("%s%d%s", neg, d/units[i].size, units[i].name)
	case i > 0 && d%units[i-1].size == 0:
		return fmt.Sprintf("%s%d%s", neg, d/units[i-1].size, units[i-1].name)
	}
	return neg + strconv.FormatFloat(float64(d)/float64(units[i].size), 'g', 15, 64) + units[i].name
}
