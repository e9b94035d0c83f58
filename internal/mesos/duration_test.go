package mesos

import (
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
