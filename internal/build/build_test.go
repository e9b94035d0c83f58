package build

import (
	"strings"
	"testing"
)

// set replaces the link-time values for one test.
func set(t *testing.T, version, commit, date string) {
	v, c, d := Version, Commit, Date
	t.Cleanup(func() { Version, Commit, Date = v, c, d })
	Version, Commit, Date = version, commit, date
}

// TestCurrentEmptyLinkerValues checks that empty -X values, or Go's zero
// time (a goreleaser snapshot without git data), read as a development
// build, not as blanks.
func TestCurrentEmptyLinkerValues(t *testing.T) {
	set(t, "", "", "0001-01-01T00:00:00Z")
	info := Current()
	if info.Version != "dev" || info.Commit != "none" || info.Date != "unknown" {
		t.Errorf("Current() = %+v, want dev, none, unknown", info)
	}
	if !strings.HasPrefix(info.GoVersion, "go") || info.Platform == "" {
		t.Errorf("Current() = %+v", info)
	}
}

func TestCurrentStamped(t *testing.T) {
	set(t, "1.2.3", "abc1234", "2026-11-01T10:00:00Z")
	info := Current()
	if info.Version != "1.2.3" || info.Commit != "abc1234" || info.Date != "2026-11-01T10:00:00Z" {
		t.Errorf("Current() = %+v", info)
	}
	if s := info.String(); !strings.Contains(s, "mesosctl 1.2.3 (commit abc1234, built 2026-11-01T10:00:00Z, go") {
		t.Errorf("String() = %q", s)
	}
}
