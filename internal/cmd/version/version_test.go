package version_test

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/build"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
)

// stamp replaces the link-time values for one test.
func stamp(t *testing.T, version, commit, date string) {
	v, c, d := build.Version, build.Commit, build.Date
	t.Cleanup(func() { build.Version, build.Commit, build.Date = v, c, d })
	build.Version, build.Commit, build.Date = version, commit, date
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := mesosctl.Run(t.Context(), ios, append([]string{"mesosctl"}, args...))
	return int(code), out.String(), errOut.String()
}

func TestVersion(t *testing.T) {
	stamp(t, "1.2.3", "abc1234", "2026-11-01T10:00:00Z")
	code, out, errOut := run(t, "version")
	want := "mesosctl version 1.2.3\ncommit: abc1234\nbuilt: 2026-11-01T10:00:00Z\ngo: " +
		runtime.Version() + " (" + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
	if code != 0 || out != want || errOut != "" {
		t.Errorf("version = %d\n%s\nwant\n%s\nstderr %q", code, out, want, errOut)
	}
}

func TestVersionJSON(t *testing.T) {
	stamp(t, "1.2.3", "abc1234", "2026-11-01T10:00:00Z")
	code, out, _ := run(t, "version", "--json")
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 {
		t.Fatalf("version --json = %d %q: %v", code, out, err)
	}
	for k, v := range map[string]string{"version": "1.2.3", "commit": "abc1234", "date": "2026-11-01T10:00:00Z",
		"go_version": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH} {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestVersionRefusesArgs(t *testing.T) {
	code, out, errOut := run(t, "version", "extra")
	if code != 2 || out != "" || !strings.Contains(errOut, "extra") {
		t.Errorf("version extra = %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestDevelopmentBuild: an unstamped binary says so instead of printing blanks.
func TestDevelopmentBuild(t *testing.T) {
	stamp(t, "", "", "")
	_, out, _ := run(t, "version")
	for _, want := range []string{"mesosctl version dev\n", "commit: none\n", "built: unknown\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("version of a development build lacks %q:\n%s", want, out)
		}
	}
}
