package remote

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestSignalsHonoured(t *testing.T) {
	for _, tt := range []struct {
		version, user string
		want          bool
	}{
		{"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10", "ops", true},
		{"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10", "root", false},
		{"SSH-2.0-OpenSSH_10.0", "root", true},
		{"SSH-2.0-OpenSSH_7.9", "ops", true},
		{"SSH-2.0-OpenSSH_7.4", "ops", false},
		{"SSH-2.0-dropbear_2022.83", "ops", false},
		{"SSH-2.0-OpenSSH_x", "ops", false},
	} {
		if got := SignalsHonoured(tt.version, tt.user); got != tt.want {
			t.Errorf("SignalsHonoured(%q, %q) = %v", tt.version, tt.user, got)
		}
	}
}

// TestGuardLocally runs the guard with sh as sshd would: exit status and
// output pass through, the command gets EOF on stdin, and closing the
// guard's stdin kills the command's process group.
func TestGuardLocally(t *testing.T) {
	// setsid: the guard kills its own process group, which must not be
	// the test's.
	c := exec.Command("setsid", "-w", "sh", "-c", Guard(`cat; echo "it's" out; echo err >&2; exit 7`, ""))
	keep, _ := c.StdinPipe() // held open: EOF on it would kill the command
	defer keep.Close()
	out, err := c.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 7 || !strings.Contains(string(out), "it's out\n") {
		t.Fatalf("exit %v output %q", err, out)
	}
	cmd := exec.Command("setsid", "-w", "sh", "-c", Guard("sleep 86421.5 & sleep 86421.6", "sh"))
	stdin, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	stdin.Close()
	if err := cmd.Wait(); err == nil {
		t.Fatal("guard exited 0 after its stdin closed")
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, _ := exec.Command("pgrep", "-af", "sleep 86421").Output()
		if len(out) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("left 10s after the guard ended: %s", out)
		}
	}
}
