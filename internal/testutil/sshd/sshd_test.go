package sshd

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

func run(t *testing.T, s *Server, cmd string) string {
	t.Helper()
	c, err := ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{User: "root",
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(s.Keys.ClientSigner)},
		HostKeyCallback: ssh.FixedHostKey(s.Keys.HostPublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	out, err := sess.CombinedOutput(cmd)
	if err != nil {
		t.Fatalf("%s: %v: %s", cmd, err, out)
	}
	return string(out)
}

func TestSessionsGetStockHome(t *testing.T) {
	stock, err := os.ReadFile("/usr/share/base-files/dot.bashrc")
	if err != nil {
		t.Fatalf("read the stock .bashrc: %v (install the Debian package base-files)", err)
	}
	mountsBefore, _ := os.ReadFile("/proc/self/mountinfo")
	s := StartNodes(t, 1, Options{Subnet: "127.0.218"})[0]
	if got := run(t, s, "echo $HOME; cat ~/.bashrc"); got != "/root\n"+string(stock) {
		t.Errorf("session home and .bashrc = %q, want /root with the stock dot.bashrc", got)
	}
	if got := run(t, s, "ls -A /root"); got != ".bashrc\n.profile\n" {
		t.Errorf("session /root holds %q, want only .bashrc and .profile", got)
	}
	// The bind mount stays inside sshd's mount namespace.
	if after, _ := os.ReadFile("/proc/self/mountinfo"); string(after) != string(mountsBefore) {
		t.Errorf("the test's mount table changed:\n%s", after)
	}
}

func TestHostHome(t *testing.T) {
	entries, err := os.ReadDir("/root")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range entries {
		want = append(want, e.Name())
	}
	s := StartNodes(t, 1, Options{Subnet: "127.0.218", HostHome: true})[0]
	got := strings.Fields(run(t, s, "ls -A /root"))
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("HostHome: session /root = %v, want this machine's %v", got, want)
	}
}
