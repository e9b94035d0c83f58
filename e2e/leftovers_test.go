package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// leftovers runs scripts/leftovers.sh MODE DIR and returns its exit
// status and output.
func leftovers(t *testing.T, mode, dir string) (int, string) {
	t.Helper()
	out, err := exec.Command("bash", "../scripts/leftovers.sh", mode, dir).CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		t.Fatalf("leftovers.sh %s: %v", mode, err)
	}
	return 0, string(out)
}

// TestLeftoverCheck: the check at the end of `make test` fails, naming
// each, when a test left a directory in /tmp, a file in /run or a cgroup
// behind, and passes once they are gone. (Other users of a shared machine
// may create files in /tmp meanwhile, which the check reports too: the
// passing case is retried a few times for that.)
func TestLeftoverCheck(t *testing.T) {
	if code, out := leftovers(t, "snapshot", "/tmp/mesosctl-leftovers-snapshot"); code != 2 || !strings.Contains(out, "outside /tmp") {
		t.Errorf("a snapshot in /tmp: exit %d\n%s", code, out)
	}
	if code, out := leftovers(t, "bogus", "/var/tmp/x"); code != 2 || !strings.Contains(out, "usage:") {
		t.Errorf("an unknown mode: exit %d\n%s", code, out)
	}

	name := fmt.Sprintf("mesosctl-leftovers-test-%d-%d", os.Getpid(), time.Now().UnixNano()%1e9)
	var clean bool
	for attempt := 0; attempt < 5 && !clean; attempt++ {
		snap, err := os.MkdirTemp("/var/tmp", "mesosctl-leftovers-snapshot-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(snap) })
		if code, out := leftovers(t, "snapshot", snap); code != 0 {
			t.Fatalf("snapshot: exit %d\n%s", code, out)
		}

		made := []string{filepath.Join("/tmp", name), filepath.Join("/run", name), filepath.Join("/sys/fs/cgroup/pids", name)}
		remove := func() {
			for _, p := range made {
				os.Remove(p)
			}
		}
		t.Cleanup(remove)
		if err := os.Mkdir(made[0], 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(made[1], []byte("1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(made[2], 0o755); err != nil { // a cgroup (v1 pids hierarchy)
			t.Fatal(err)
		}
		code, out := leftovers(t, "check", snap)
		if code != 1 || !strings.Contains(out, "the tests left these behind") {
			t.Fatalf("check with leftovers: exit %d, want 1\n%s", code, out)
		}
		for _, p := range made {
			if !strings.Contains(out, "  "+p+"  (root, ") {
				t.Errorf("check does not name %s:\n%s", p, out)
			}
		}

		remove()
		code, out = leftovers(t, "check", snap)
		switch {
		case code == 0 && strings.Contains(out, "nothing new in /tmp, /run or the cgroups"):
			clean = true
		case code == 1:
			for _, p := range made {
				if strings.Contains(out, p) {
					t.Fatalf("check names %s after it was removed:\n%s", p, out)
				}
			}
			t.Logf("attempt %d: something else appeared meanwhile:\n%s", attempt+1, out)
		default:
			t.Fatalf("check when clean: exit %d\n%s", code, out)
		}
	}
	if !clean {
		t.Error("the check never passed once the leftovers were removed (see the log: other users' files?)")
	}
}
