package login_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
	"github.com/mesosctl/mesosctl/internal/testutil/sshd"
)

// TestLoginExitStatus drives the remote shell from a piped stdin, as `ssh
// NODE` does (no PTY: stdin is not a terminal), and checks that its exit
// status is passed through.
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
	if !strings.Contains(out.String(), "marker-42") || !strings.Contains(out.String(), "not a tty") {
		t.Fatalf("stdout %q: want the shell's output, without a PTY", out)
	}
	// The end of stdin ends the shell: exit status of its last command.
	ios, in, out, errOut = iostreams.Test()
	in.WriteString("echo hi-$((1+1)); false")
	if code := mesosctl.Run(context.Background(), ios, []string{"mesosctl", "login", "lxb001"}); code != 1 || strings.TrimSpace(out.String()) != "hi-2" {
		t.Fatalf("exit %d, want 1; stdout %q stderr %q", code, out, errOut)
	}
}

// TestLoginOnTerminal runs login on a real pseudo-terminal: the remote PTY
// gets the local window size, a SIGWINCH forwards the new size, and the
// exit status passes through.
func TestLoginOnTerminal(t *testing.T) {
	servers := sshd.StartNodes(t, 1, sshd.Options{Subnet: "127.0.6"})
	t.Setenv("MESOSCTL_CONFIG", sshd.Inventory(t, servers, "root"))
	t.Setenv("SSH_AUTH_SOCK", "")
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx (needs devpts): %v", err)
	}
	defer master.Close()
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 33, Col: 101})

	var mu sync.Mutex
	var seen strings.Builder
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := master.Read(buf)
			mu.Lock()
			seen.Write(buf[:k])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	waitFor := func(s string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			ok := strings.Contains(seen.String(), s)
			mu.Unlock()
			if ok {
				return
			}
		}
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("terminal never showed %q; got %q", s, seen.String())
	}
	ios := &iostreams.IOStreams{In: slave, Out: slave, ErrOut: slave}
	done := make(chan int, 1)
	go func() {
		done <- int(mesosctl.Run(context.Background(), ios, []string{"mesosctl", "login", "lxb001"}))
	}()
	master.Write([]byte("echo size=$(stty size)\n"))
	waitFor("size=33 101")
	unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 120})
	syscall.Kill(os.Getpid(), syscall.SIGWINCH)
	time.Sleep(300 * time.Millisecond)
	master.Write([]byte("echo size=$(stty size)\n"))
	waitFor("size=40 120")
	master.Write([]byte("exit 3\n"))
	select {
	case code := <-done:
		if code != 3 {
			t.Fatalf("exit %d, want 3", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("login did not return after the remote shell exited")
	}
}
