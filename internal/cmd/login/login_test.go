package login_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
	"github.com/mesosctl/mesosctl/internal/testutil/sshd"
)

// TestLoginExitStatus drives the remote shell (with a PTY) from a piped
// stdin and checks that its exit status is passed through.
func TestLoginExitStatus(t *testing.T) {
	servers := sshd.StartNodes(t, 1, sshd.Options{Subnet: "127.0.6"})
	t.Setenv("MESOSCTL_CONFIG", sshd.Inventory(t, servers, "root"))
	t.Setenv("SSH_AUTH_SOCK", "")
	ios, in, out, errOut := iostreams.Test()
	in.WriteString("tty; echo marker-$((6*7)); exit 5\n")
	code := mesosctl.Run(context.Background(), ios, []string{"mesosctl", "login", "lxb001"})
	if code != 5 {
		t.Fatalf("exit %d, want 5; stdout %q stderr %q", code, out, errOut)
	}
	if !strings.Contains(out.String(), "marker-42") || !strings.Contains(out.String(), "/dev/pts/") {
		t.Fatalf("stdout %q lacks the shell output on a pty", out)
	}
}
