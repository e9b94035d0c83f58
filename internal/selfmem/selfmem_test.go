package selfmem

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// executableRSS sums the resident kB of the running executable's mappings
// (smaps), by whether they are writable.
func executableRSS(t *testing.T) (readOnly, writable int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	ours, w := false, false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			ours = len(f) >= 6 && f[5] == exe
			w = f[1][1] == 'w'
		case ours && len(f) >= 2 && f[0] == "Rss:":
			kb, _ := strconv.Atoi(f[1])
			if w {
				writable += kb
			} else {
				readOnly += kb
			}
		}
	}
	return readOnly, writable
}

var changed = "set by the test's init"

// TestReleaseExecutable: the read-only pages of the executable leave the
// process's RSS, its writable data (a variable the program changed) is
// kept, and the program runs on.
func TestReleaseExecutable(t *testing.T) {
	changed = "changed at run time"
	before, _ := executableRSS(t)
	n, err := ReleaseExecutable()
	if err != nil {
		t.Fatal(err)
	}
	after, _ := executableRSS(t)
	t.Logf("released %d kB of address space; read-only RSS of the executable %d kB → %d kB", n>>10, before, after)
	if n == 0 || after >= before {
		t.Fatalf("released %d bytes; read-only RSS %d kB before, %d kB after", n, before, after)
	}
	if changed != "changed at run time" {
		t.Fatalf("writable data lost: %q", changed)
	}
}

func TestReadOnlyMappingOf(t *testing.T) {
	const dev, ino = 0xfd01, 1234 // Mkdev(0xfd, 0x01) on Linux
	for _, c := range []struct {
		line string
		ok   bool
	}{
		{"00400000-00d7e000 r-xp 00000000 fd:01 1234 /usr/bin/mesosctl", true},
		{"00d7e000-01500000 r--p 0097e000 fd:01 1234 /usr/bin/mesosctl", true},
		{"01500000-0155a000 rw-p 01100000 fd:01 1234 /usr/bin/mesosctl", false}, // writable data
		{"00400000-00d7e000 r-xp 00000000 fd:02 1234 /other/disk", false},
		{"00400000-00d7e000 r-xp 00000000 fd:01 999 /usr/bin/other", false},
		{"7f0000000000-7f0000021000 rw-p 00000000 00:00 0", false},
		{"00400000-00d7e000 r-xs 00000000 fd:01 1234 /usr/bin/mesosctl", false}, // shared
	} {
		_, _, ok := readOnlyMappingOf(c.line, dev, ino)
		if ok != c.ok {
			t.Errorf("%q: %v, want %v", c.line, ok, c.ok)
		}
	}
}

// TestReleaseExecutablePIE: in a position-independent build the loader
// writes relocations into read-only data (RELRO); those pages are not the
// file's and must stay. A PIE binary that releases its pages and runs on
// prints its result instead of crashing.
func TestReleaseExecutablePIE(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "piecheck")
	build := exec.Command("go", "build", "-buildmode=pie", "-o", bin, "./testdata/piecheck")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -buildmode=pie: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil || string(out) != "OK [1 2 3]\n" {
		t.Fatalf("PIE after ReleaseExecutable: %v\n%s", err, out)
	}
}
