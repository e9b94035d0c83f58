package remote

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/testutil/sshd"
)

// reconfigure rewrites s's sshd_config (LogLevel INFO, so that logins are
// logged, plus extra lines) and restarts it.
func reconfigure(t *testing.T, s *sshd.Server, extra ...string) {
	t.Helper()
	cfg, err := os.ReadFile(s.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	c := strings.Replace(string(cfg), "LogLevel ERROR", "LogLevel INFO", 1)
	if c == string(cfg) {
		t.Fatal("test sshd config changed: update reconfigure")
	}
	c += strings.Join(extra, "\n") + "\n"
	if err := os.WriteFile(s.ConfigPath, []byte(c), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
}

func logins(s *sshd.Server) int { return strings.Count(s.Stderr(), "Accepted publickey") }

// chainEnv is three jump hosts, each of which may open a channel only to
// the next one (sshd PermitOpen), and two nodes behind the last.
type chainEnv struct {
	*env
	hops    []Target // lxb001, lxb002, lxb003
	targets []Target // lxb004, lxb005 through the three hops
}

func newChainEnv(t *testing.T) *chainEnv {
	e := newEnv(t, 5, "127.0.2")
	s := e.servers
	reconfigure(t, s[0], "PermitOpen "+s[1].Addr)
	reconfigure(t, s[1], "PermitOpen "+s[2].Addr)
	reconfigure(t, s[2], "PermitOpen "+s[3].Addr+" "+s[4].Addr)
	reconfigure(t, s[3])
	reconfigure(t, s[4])
	c := &chainEnv{env: e, hops: e.targets[:3]}
	for _, tg := range e.targets[3:] {
		tg.Jumps = c.hops
		c.targets = append(c.targets, tg)
	}
	return c
}

func TestProxyJumpChainOfThreeHops(t *testing.T) {
	e := newChainEnv(t)
	res := e.runner().Run(context.Background(), e.targets, `echo $SSH_CONNECTION | cut -d' ' -f3`)
	for i, r := range res {
		if r.Err != nil || strings.TrimSpace(string(r.Stdout)) != e.servers[3+i].Host {
			t.Fatalf("%s: err=%v stdout=%q", r.Node, r.Err, r.Stdout)
		}
	}
	// Every hop was logged into once, shared by both nodes, and each node
	// once: the chain was walked hop by hop (each hop may only open a
	// channel to the next), not cut short.
	for i, s := range e.servers {
		if n := logins(s); n != 1 {
			t.Errorf("lxb00%d accepted %d logins, want 1:\n%s", i+1, n, s.Stderr())
		}
	}
	// A hop refuses a channel to anything but the next hop: the order of
	// the chain matters, and a refused channel names the hop that refused.
	d := &Dialer{KnownHostsFile: e.knownHosts, AgentSocket: "-"}
	defer d.Close()
	skip := e.targets[0]
	skip.Jumps = []Target{e.hops[0], e.hops[2]}
	_, err := d.Dial(context.Background(), skip)
	var je *JumpError
	if !errors.As(err, &je) || je.Hop.Name != "lxb003" || !strings.Contains(err.Error(), "via jump host lxb001 ("+e.servers[0].Addr+")") {
		t.Fatalf("lxb001 → lxb003: err = %v, want lxb003 unreachable via lxb001", err)
	}
}

func TestProxyJumpChainMiddleHopKeyChecked(t *testing.T) {
	e := newChainEnv(t)
	other, err := sshd.GenerateKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	mid := e.servers[1]
	var wrong strings.Builder
	for _, s := range e.servers {
		line := s.KnownHosts
		if s == mid {
			line = sshd.KnownHostsLine(s.Addr, other.HostPublicKey)
		}
		wrong.WriteString(line + "\n")
	}
	os.WriteFile(e.knownHosts, []byte(wrong.String()), 0o600)
	for _, accept := range []bool{false, true} {
		d := &Dialer{KnownHostsFile: e.knownHosts, AgentSocket: "-", AcceptNewHostKeys: accept}
		res := (&Runner{Dial: d.Dial}).Run(context.Background(), e.targets, "true")
		d.Close()
		for _, r := range res {
			var je *JumpError
			var he *HostKeyError
			if !errors.As(r.Err, &je) || je.Hop.Name != "lxb002" || !errors.As(r.Err, &he) || !he.Changed {
				t.Fatalf("accept=%v %s: err = %v, want lxb002's changed key refused", accept, r.Node, r.Err)
			}
			msg := r.Err.Error()
			if !strings.HasPrefix(msg, "jump host lxb002 ("+mid.Addr+"): host key verification failed") ||
				!strings.Contains(msg, "REMOTE HOST IDENTIFICATION HAS CHANGED") || !strings.Contains(msg, e.knownHosts+":2") {
				t.Errorf("message does not name the hop and the offending line:\n%s", msg)
			}
		}
	}
	for i, s := range e.servers[2:] {
		if n := logins(s); n != 0 {
			t.Errorf("lxb00%d behind the refused hop accepted %d logins", i+3, n)
		}
	}

	// Unknown at the middle hop: refused, naming it; accepted with
	// AcceptNewHostKeys, into the file.
	var unknown strings.Builder
	for _, s := range e.servers {
		if s != mid {
			unknown.WriteString(s.KnownHosts + "\n")
		}
	}
	os.WriteFile(e.knownHosts, []byte(unknown.String()), 0o600)
	d := &Dialer{KnownHostsFile: e.knownHosts, AgentSocket: "-"}
	_, err = d.Dial(context.Background(), e.targets[0])
	d.Close()
	var he *HostKeyError
	if !errors.As(err, &he) || he.Changed || !strings.HasPrefix(err.Error(), "jump host lxb002 ("+mid.Addr+"): host key verification failed: "+mid.Addr+" is not in known_hosts") {
		t.Fatalf("unknown middle hop: err = %v", err)
	}
	d = &Dialer{KnownHostsFile: e.knownHosts, AgentSocket: "-", AcceptNewHostKeys: true}
	defer d.Close()
	if res := (&Runner{Dial: d.Dial}).Run(context.Background(), e.targets, "true"); res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("accept new: %v / %v", res[0].Err, res[1].Err)
	}
	if b, _ := os.ReadFile(e.knownHosts); strings.Count(string(b), mid.KnownHosts) != 1 {
		t.Errorf("known_hosts should hold lxb002's key once:\n%s", b)
	}
}

// TestKnownHostsFiles: a key is found in any user file and in any global
// file; unknown keys are refused naming every file read, and accepted ones
// go to the first user file, hashed with HashKnownHosts.
func TestKnownHostsFiles(t *testing.T) {
	e := newEnv(t, 1, "127.0.2")
	dir := t.TempDir()
	kh := KnownHosts{
		User:   []string{filepath.Join(dir, "user1"), filepath.Join(dir, "user2")},
		Global: []string{filepath.Join(dir, "global1"), filepath.Join(dir, "global2")},
	}
	line := e.servers[0].KnownHosts + "\n"
	dial := func(accept bool) error {
		d := &Dialer{AgentSocket: "-", AcceptNewHostKeys: accept}
		defer d.Close()
		tg := e.targets[0]
		tg.KnownHosts = &kh
		_, err := d.Dial(context.Background(), tg)
		return err
	}
	for _, f := range append(append([]string(nil), kh.User[1:]...), kh.Global...) {
		os.WriteFile(f, []byte(line), 0o600)
		if err := dial(false); err != nil {
			t.Errorf("key only in %s: %v", filepath.Base(f), err)
		}
		os.Remove(f)
	}
	err := dial(false)
	if err == nil || !strings.Contains(err.Error(), "read "+strings.Join(kh.Files(), ", ")) {
		t.Fatalf("unknown: err = %v, want every file named", err)
	}
	// A changed key in a global file is refused even though a user file
	// is writable: only the first user file would receive new keys.
	other, _ := sshd.GenerateKeys(t.TempDir())
	os.WriteFile(kh.Global[1], []byte(sshd.KnownHostsLine(e.servers[0].Addr, other.HostPublicKey)+"\n"), 0o600)
	var he *HostKeyError
	if err := dial(true); !errors.As(err, &he) || !he.Changed || !strings.Contains(err.Error(), kh.Global[1]+":1") {
		t.Fatalf("changed in global file: err = %v", err)
	}
	os.Remove(kh.Global[1])

	kh.Hash = true
	if err := dial(true); err != nil {
		t.Fatalf("accept new: %v", err)
	}
	b, err := os.ReadFile(kh.User[0])
	if err != nil || !strings.HasPrefix(string(b), "|1|") || strings.Contains(string(b), e.servers[0].Host) {
		t.Fatalf("first user file should hold one hashed line: %q, %v", b, err)
	}
	for _, f := range append(kh.User[1:], kh.Global...) {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s was written", f)
		}
	}
	if err := dial(false); err != nil {
		t.Fatalf("after acceptance (hashed line): %v", err)
	}

	none := KnownHosts{}
	d := &Dialer{AgentSocket: "-", AcceptNewHostKeys: true}
	defer d.Close()
	tg := e.targets[0]
	tg.KnownHosts = &none
	if _, err := d.Dial(context.Background(), tg); err == nil || !strings.Contains(err.Error(), "UserKnownHostsFile is none") {
		t.Fatalf("no user file: err = %v", err)
	}
}
