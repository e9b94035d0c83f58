package sshmux_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"

	"github.com/mesosctl/mesosctl/internal/sshmux"
	"github.com/mesosctl/mesosctl/internal/testutil/sshd"
	"github.com/mesosctl/mesosctl/internal/testutil/syncbuf"
)

func master(t *testing.T) string {
	t.Helper()
	servers := sshd.StartNodes(t, 1, sshd.Options{Subnet: "127.0.29"})
	dir := t.TempDir()
	kh := filepath.Join(dir, "known_hosts")
	if err := sshd.WriteKnownHosts(kh, servers); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "cm.sock")
	sshd.StartMaster(t, servers[0], "root", sock, kh)
	return sock
}

func TestExecThroughOpenSSHMaster(t *testing.T) {
	sock := master(t)
	c, err := sshmux.Dial(sock, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if pid, err := c.AliveCheck(); err != nil || pid <= 0 {
		t.Fatalf("alive check: %d, %v", pid, err)
	}
	var out, errOut bytes.Buffer
	code, err := c.Exec(context.Background(), `echo "$SSH_CONNECTION" | cut -d' ' -f3; echo oops >&2; exit 5`, &out, &errOut)
	if err != nil || code != 5 {
		t.Fatalf("exit %d, %v", code, err)
	}
	if out.String() != "127.0.29.1\n" || errOut.String() != "oops\n" {
		t.Fatalf("stdout %q stderr %q", out.String(), errOut.String())
	}
	// One session per control connection; a new one for the next.
	c2, err := sshmux.Dial(sock, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	var big bytes.Buffer
	if code, err := c2.Exec(context.Background(), "head -c 3000000 /dev/zero", &big, nil); err != nil || code != 0 || big.Len() != 3000000 {
		t.Fatalf("big output: exit %d, %v, %d bytes", code, err, big.Len())
	}
}

func TestNoMaster(t *testing.T) {
	_, err := sshmux.Dial(filepath.Join(t.TempDir(), "none.sock"), time.Second)
	if !errors.Is(err, sshmux.ErrNoMaster) {
		t.Fatalf("err %v, want ErrNoMaster", err)
	}
}

// TestCancelClosesSession: cancelling closes the session; a command that
// watches its stdin (as mesosctl's guard does) sees EOF and ends.
func TestCancelClosesSession(t *testing.T) {
	sock := master(t)
	c, err := sshmux.Dial(sock, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	marker := "sshmux-cancel-" + strings.ReplaceAll(t.Name(), "/", "-")
	start := time.Now()
	_, err = c.Exec(ctx, "cat >/dev/null; echo "+marker+" >/dev/null", nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("took %v", d)
	}
	// The node ends the command when the channel closes; on a loaded
	// machine that takes a moment, so wait for it (bounded).
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, _ := exec.Command("pgrep", "-f", "cat >/dev/null; echo "+marker).Output()
		if len(out) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("left on the node 15s after the cancel: %s", out)
		}
	}
}

// TestStream: a command's stdin and stdout as a stream, its stderr apart;
// and the sftp subsystem, spoken to with an SFTP client.
func TestStream(t *testing.T) {
	sock := master(t)
	c, err := sshmux.Dial(sock, 0)
	if err != nil {
		t.Fatal(err)
	}
	var errOut syncbuf.Buffer
	s, err := c.Stream("head -n1 | tr a-z A-Z; echo oops >&2", false, &errOut, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("abc\n"))
	got, _ := io.ReadAll(s)
	s.Close()
	if string(got) != "ABC\n" {
		t.Fatalf("stdout %q", got)
	}
	for deadline := time.Now().Add(3 * time.Second); errOut.String() != "oops\n"; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("stderr %q", errOut.String())
		}
	}

	c, err = sshmux.Dial(sock, 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err = c.Stream("sftp", true, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sc, err := sftp.NewClientPipe(s, s)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if fi, err := sc.Stat("/"); err != nil || !fi.IsDir() {
		t.Fatalf("stat / over SFTP: %v %v", fi, err)
	}
}
