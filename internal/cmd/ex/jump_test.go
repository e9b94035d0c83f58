package ex_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/testutil/sshd"
)

// jumpSetup is three jump hosts j1 → j2 → j3 (each sshd may open a
// channel only to the next) in front of lxb001 and lxb002, all reached by
// ssh_config alone (ProxyJump j1,j2,j3), with host keys spread over two
// user known_hosts files and a global one, as OpenSSH's ssh reads them.
type jumpSetup struct {
	servers                  []*sshd.Server // j1 j2 j3 lxb001 lxb002
	sshConfig, kh1, kh2, glb string
}

func newJumpSetup(t *testing.T) *jumpSetup {
	t.Helper()
	servers := sshd.StartNodes(t, 5, sshd.Options{Subnet: "127.0.4"})
	for i, s := range servers {
		var permit []string
		switch i {
		case 0, 1:
			permit = []string{servers[i+1].Addr}
		case 2:
			permit = []string{servers[3].Addr, servers[4].Addr}
		}
		cfg, _ := os.ReadFile(s.ConfigPath)
		c := strings.Replace(string(cfg), "LogLevel ERROR", "LogLevel INFO", 1)
		if len(permit) > 0 {
			c += "PermitOpen " + strings.Join(permit, " ") + "\n"
		}
		os.WriteFile(s.ConfigPath, []byte(c), 0o644)
		if err := s.Restart(); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	j := &jumpSetup{servers: servers, sshConfig: filepath.Join(dir, "ssh_config"),
		kh1: filepath.Join(dir, "known_hosts"), kh2: filepath.Join(dir, "known_hosts.d", "second"),
		glb: filepath.Join(dir, "global_known_hosts")}
	var sc strings.Builder
	for i, name := range []string{"j1", "j2", "j3", "lxb001", "lxb002"} {
		fmt.Fprintf(&sc, "Host %s\n  HostName %s\n  Port %d\n", name, servers[i].Host, servers[i].Port)
	}
	fmt.Fprintf(&sc, "Host lxb*\n  ProxyJump j1,j2,j3\nHost *\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n"+
		"  UserKnownHostsFile %s %s\n  GlobalKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n  LogLevel ERROR\n",
		servers[0].Keys.ClientKeyPath, j.kh1, j.kh2, j.glb)
	os.WriteFile(j.sshConfig, []byte(sc.String()), 0o600)
	j.writeKeys(t, map[int]string{})
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("defaults:\n  ssh_config: "+j.sshConfig+"\nnodes:\n  - name: lxb001\n  - name: lxb002\n"), 0o600)
	t.Setenv("MESOSCTL_CONFIG", cfg)
	t.Setenv("NODES", "")
	t.Setenv("SSH_AUTH_SOCK", "")
	return j
}

// writeKeys puts j1's key in the first user file, j2's in the second, the
// rest in the global file; lines[i] replaces server i's line ("" drops it).
func (j *jumpSetup) writeKeys(t *testing.T, lines map[int]string) {
	t.Helper()
	files := map[string]*strings.Builder{j.kh1: {}, j.kh2: {}, j.glb: {}}
	for i, s := range j.servers {
		line, ok := lines[i]
		if !ok {
			line = s.KnownHosts
		}
		if line == "" {
			continue
		}
		f := j.glb
		switch i {
		case 0:
			f = j.kh1
		case 1:
			f = j.kh2
		}
		files[f].WriteString(line + "\n")
	}
	for f, b := range files {
		os.MkdirAll(filepath.Dir(f), 0o700)
		if err := os.WriteFile(f, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// openssh runs OpenSSH's own client with the same ssh_config.
func (j *jumpSetup) openssh(t *testing.T, host string) error {
	t.Helper()
	out, err := exec.Command("ssh", "-F", j.sshConfig, host, "true").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

func TestExThroughProxyJumpChain(t *testing.T) {
	j := newJumpSetup(t)
	code, out, errOut := run(t, "ex", "--ordered", "lxb00[1-2]", `echo $SSH_CONNECTION | cut -d' ' -f3`)
	want := "-- lxb001 --\n127.0.4.4\n-- lxb002 --\n127.0.4.5\n"
	if code != 0 || out != want {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for i, s := range j.servers {
		if n := strings.Count(s.Stderr(), "Accepted publickey"); n != 1 {
			t.Errorf("server %d accepted %d logins, want 1 (both nodes share each hop's connection)", i+1, n)
		}
	}
	// OpenSSH's ssh, reading the same files, agrees.
	if err := j.openssh(t, "lxb001"); err != nil {
		t.Fatalf("OpenSSH ssh with the same ssh_config: %v", err)
	}
}

func TestExProxyJumpChainHostKeys(t *testing.T) {
	j := newJumpSetup(t)
	other, err := sshd.GenerateKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	j2 := j.servers[1]

	// A wrong key for the middle hop, in the second user file: refused,
	// naming the hop, even with --accept-new-host-keys.
	j.writeKeys(t, map[int]string{1: sshd.KnownHostsLine(j2.Addr, other.HostPublicKey)})
	code, out, errOut := run(t, "ex", "--ordered", "--accept-new-host-keys", "lxb00[1-2]", "true")
	if code != cmdutil.ExitPartial || out != "-- lxb001 --\n-- lxb002 --\n" {
		t.Fatalf("changed key: exit %d stdout %q stderr %s", code, out, errOut)
	}
	for _, node := range []string{"lxb001", "lxb002"} {
		if w := fmt.Sprintf("mesosctl: %s: jump host j2 (%s): host key verification failed", node, j2.Addr); !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	if !strings.Contains(errOut, "REMOTE HOST IDENTIFICATION HAS CHANGED") || !strings.Contains(errOut, j.kh2+":1") {
		t.Errorf("stderr lacks the warning or the offending line %s:1:\n%s", j.kh2, errOut)
	}
	if err := j.openssh(t, "lxb001"); err == nil {
		t.Error("OpenSSH's ssh accepted the wrong key the test planted")
	}

	// The last hop's key missing from the global file: unknown, refused;
	// accepted into the first user file with --accept-new-host-keys.
	j.writeKeys(t, map[int]string{2: ""})
	code, _, errOut = run(t, "ex", "lxb001", "true")
	if w := fmt.Sprintf("mesosctl: lxb001: jump host j3 (%s): host key verification failed: %s is not in known_hosts (read %s, %s, %s;",
		j.servers[2].Addr, j.servers[2].Addr, j.kh1, j.kh2, j.glb); code != cmdutil.ExitPartial || !strings.Contains(errOut, w) {
		t.Fatalf("unknown j3: exit %d, stderr lacks %q:\n%s", code, w, errOut)
	}
	code, _, errOut = run(t, "ex", "--ordered", "--accept-new-host-keys", "lxb00[1-2]", "true")
	if code != 0 {
		t.Fatalf("accept j3: exit %d: %s", code, errOut)
	}
	b1, _ := os.ReadFile(j.kh1)
	b2, _ := os.ReadFile(j.kh2)
	bg, _ := os.ReadFile(j.glb)
	if string(b1) != j.servers[0].KnownHosts+"\n"+j.servers[2].KnownHosts+"\n" || strings.Count(string(b2), "\n") != 1 || strings.Contains(string(bg), j.servers[2].Addr) {
		t.Errorf("j3's key should be added to the first user file only:\nfirst:\n%s\nsecond:\n%s\nglobal:\n%s", b1, b2, bg)
	}
	if err := j.openssh(t, "lxb002"); err != nil {
		t.Errorf("OpenSSH ssh after acceptance: %v", err)
	}
}
