package shell

import (
	"os/exec"
	"testing"
)

// TestQuoteRoundTrip passes awkward words through a real sh.
func TestQuoteRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "two words", "it's", `"dq" $HOME $(id) ; rm -rf / #`, "a'b'c''", "new\nline", `back\slash`} {
		out, err := exec.Command("sh", "-c", "printf '%s' "+Quote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("sh printf %s = %q, %v; want %q", Quote(s), out, err, s)
		}
	}
}

func TestAsRoot(t *testing.T) {
	for _, tt := range []struct{ cmd, user, want string }{
		{"id -u", "root", "id -u"},
		{"id -u", "ops", "sudo -n -- sh -c 'id -u'"},
		{"echo 'x'", "", `sudo -n -- sh -c 'echo '\''x'\'''`},
	} {
		if got := AsRoot(tt.cmd, tt.user); got != tt.want {
			t.Errorf("AsRoot(%q, %q) = %q, want %q", tt.cmd, tt.user, got, tt.want)
		}
	}
}
