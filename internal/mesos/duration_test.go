package mesos

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for s, want := range map[string]time.Duration{"5secs": 5 * time.Second, "1mins": time.Minute,
		"15mins": 15 * time.Minute, "1weeks": 7 * 24 * time.Hour, "1.5hrs": 90 * time.Minute, "0ns": 0, "10ms": 10 * time.Millisecond} {
		got, err := ParseDuration(s)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v", s, got, err)
		}
	}
	for _, bad := range []string{"", "5", "5s", "-1secs", "secs"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}

func TestFormatDurationAsStout(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0ns", 5 * time.Second: "5secs", time.Second: "1secs", 15 * time.Minute: "15mins",
		90 * time.Second: "90secs", 7 * 24 * time.Hour: "1weeks", 10 * 24 * time.Hour: "10days",
		1500 * time.Microsecond: "1500us", 2 * time.Hour: "2hrs", 300 * time.Millisecond: "300ms",
		1500*time.Millisecond + time.Nanosecond: "1.500000001secs", -2 * time.Second: "-2secs",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// The examples are from stout's duration.hpp/bytes.hpp rules (facts in
// docs/compatibility.md), including every agent flag default.
func TestFormatDurationExamples(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0ns"}, {500, "500ns"}, {1500, "1500ns"}, {time.Microsecond, "1us"},
		{100 * time.Millisecond, "100ms"}, {500 * time.Millisecond, "500ms"},
		{1500 * time.Millisecond, "1500ms"}, {1000500000, "1.0005secs"},
		{333333333, "333.333333ms"}, {15 * time.Second, "15secs"}, {59 * time.Second, "59secs"},
		{-5 * time.Second, "-5secs"}, {60 * time.Second, "1mins"}, {61500 * time.Millisecond, "1.025mins"},
		{90 * time.Second, "90secs"}, {100 * time.Second, "100secs"}, {10 * time.Minute, "10mins"},
		{90 * time.Minute, "90mins"}, {6 * time.Hour, "6hrs"}, {25 * time.Hour, "25hrs"},
		{36 * time.Hour, "36hrs"}, {48 * time.Hour, "2days"}, {7 * 24 * time.Hour, "1weeks"},
		{10 * 24 * time.Hour, "10days"}, {252 * time.Hour, "1.5weeks"}, {14 * 24 * time.Hour, "2weeks"},
		{30 * time.Second, "30secs"}, {time.Second, "1secs"}, {5 * time.Second, "5secs"},
		{2 * time.Second, "2secs"}, {15 * time.Minute, "15mins"}, {10 * time.Second, "10secs"},
		{1500 * time.Microsecond, "1500us"}, {1001 * time.Microsecond, "1001us"},
		{1000001 * time.Nanosecond, "1.000001ms"},
	} {
		if got := FormatDuration(c.d); got != c.want {
			t.Errorf("FormatDuration(%d) = %q, want %q", int64(c.d), got, c.want)
		}
	}
}

func TestParseDurationAsStout(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"1mins": time.Minute, "1.5mins": 90 * time.Second, "0ns": 0, "15secs": 15 * time.Second,
		"1weeks": 7 * 24 * time.Hour, "2days": 48 * time.Hour, "100ms": 100 * time.Millisecond,
		"3us": 3 * time.Microsecond, "6hrs": 6 * time.Hour, ".5secs": 500 * time.Millisecond,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{
		"5":          "Invalid duration '5'",
		"5s":         "Unknown duration unit 's'; supported units are 'ns', 'us', 'ms', 'secs', 'mins', 'hrs', 'days', and 'weeks'",
		"5Secs":      "Unknown duration unit 'Secs'",
		"-5secs":     "Invalid duration '-5secs'",
		"secs":       "Invalid duration 'secs'",
		"1e3secs":    "Unknown duration unit 'e3secs'",
		"5 secs":     "Unknown duration unit ' secs'",
		"1..2secs":   "Invalid duration '1..2secs'",
		"99999weeks": "out of the range",
	} {
		_, err := ParseDuration(in)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseDuration(%q) error = %v, want %q", in, err, msg)
		}
	}
}

// Whole numbers of a unit survive a round trip; fractions may not (stout
// multiplies doubles and truncates: 1.025mins is 61499999999ns there too).
func TestDurationRoundTrip(t *testing.T) {
	for _, d := range []time.Duration{0, 1, 999, 1000, 1001, 1000500000, 36 * time.Hour,
		252 * time.Hour, 90 * time.Minute} {
		got, err := ParseDuration(FormatDuration(d))
		if err != nil || got != d {
			t.Errorf("ParseDuration(FormatDuration(%d)) = %d, %v", int64(d), int64(got), err)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"1mins", "1.5hrs", "0ns", "5", "1e9weeks", "..secs"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if _, err := ParseDuration(FormatDuration(d)); err != nil && d >= 0 {
			t.Errorf("FormatDuration(%d) = %q does not parse: %v", int64(d), FormatDuration(d), err)
		}
	})
}
