package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/testutil/sshd"
)

type env struct {
	servers    []*sshd.Server
	knownHosts string
	targets    []Target
	dialer     *Dialer
}

func newEnv(t *testing.T, n int, subnet string) *env { return newEnvTB(t, n, subnet) }

func newEnvTB(t testing.TB, n int, subnet string) *env {
	t.Helper()
	servers := sshd.StartNodes(t, n, sshd.Options{Subnet: subnet})
	e := &env{servers: servers, knownHosts: filepath.Join(t.TempDir(), "known_hosts")}
	if err := sshd.WriteKnownHosts(e.knownHosts, servers); err != nil {
		t.Fatal(err)
	}
	for i, s := range servers {
		e.targets = append(e.targets, Target{Name: fmt.Sprintf("lxb%03d", i+1), Addr: s.Addr, User: "root",
			IdentityFiles: []string{s.Keys.ClientKeyPath}})
	}
	e.dialer = &Dialer{KnownHostsFile: e.knownHosts, AgentSocket: "-", ConnectTimeout: 5 * time.Second}
	t.Cleanup(func() { e.dialer.Close() })
	return e
}

func (e *env) runner() *Runner {
	return &Runner{Dial: e.dialer.Dial, Forget: e.dialer.Forget}
}

func TestRunSuccessAndExitCodes(t *testing.T) {
	e := newEnv(t, 3, "127.0.2")
	res := e.runner().Run(context.Background(), e.targets, `echo out-$SSH_CONNECTION | cut -d' ' -f3; echo err >&2; exit $(( $(echo $SSH_CONNECTION | cut -d' ' -f3 | cut -d. -f4) - 1 ))`)
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Node, r.Err)
		}
		if r.ExitCode != i {
			t.Errorf("%s: exit %d, want %d", r.Node, r.ExitCode, i)
		}
		if want := fmt.Sprintf("127.0.2.%d\n", i+1); string(r.Stdout) != want {
			t.Errorf("%s: stdout %q, want %q", r.Node, r.Stdout, want)
		}
		if string(r.Stderr) != "err\n" {
			t.Errorf("%s: stderr %q", r.Node, r.Stderr)
		}
		if r.Failed() != (i != 0) {
			t.Errorf("%s: Failed()=%v", r.Node, r.Failed())
		}
	}
}

func TestNodeDownIsThatNodesFailure(t *testing.T) {
	e := newEnv(t, 2, "127.0.2")
	e.servers[1].Stop()
	res := e.runner().Run(context.Background(), e.targets, "true")
	if res[0].Err != nil || res[0].ExitCode != 0 {
		t.Fatalf("node 1: %+v", res[0])
	}
	if res[1].Err == nil || !strings.Contains(res[1].Err.Error(), "connection refused") {
		t.Fatalf("node 2 error = %v, want connection refused", res[1].Err)
	}
}

func TestChangedHostKeyRefused(t *testing.T) {
	e := newEnv(t, 1, "127.0.2")
	other, err := sshd.GenerateKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// known_hosts holds another key for the host: a changed key.
	os.WriteFile(e.knownHosts, []byte(sshd.KnownHostsLine(e.servers[0].Addr, other.HostPublicKey)+"\n"), 0o600)
	for _, accept := range []bool{false, true} {
		d := &Dialer{KnownHostsFile: e.knownHosts, AgentSocket: "-", AcceptNewHostKeys: accept}
		_, err := d.Dial(context.Background(), e.targets[0])
		var he *HostKeyError
		if !errors.As(err, &he) || !he.Changed {
			t.Fatalf("accept=%v: err = %v, want changed host key", accept, err)
		}
		if !strings.Contains(err.Error(), "REMOTE HOST IDENTIFICATION HAS CHANGED") || !strings.Contains(err.Error(), e.knownHosts+":1") {
			t.Errorf("warning lacks banner or offending line: %v", err)
		}
		d.Close()
	}
}

func TestUnknownHostKeyRefusedThenAccepted(t *testing.T) {
	e := newEnv(t, 2, "127.0.2")
	os.Remove(e.knownHosts)
	d := &Dialer{KnownHostsFile: e.knownHosts, AgentSocket: "-"}
	_, err := d.Dial(context.Background(), e.targets[0])
	var he *HostKeyError
	if !errors.As(err, &he) || he.Changed || !strings.Contains(err.Error(), "--accept-new-host-keys") {
		t.Fatalf("err = %v, want unknown host refused with a hint", err)
	}
	d.Close()

	d = &Dialer{KnownHostsFile: e.knownHosts, AgentSocket: "-", AcceptNewHostKeys: true}
	res := (&Runner{Dial: d.Dial}).Run(context.Background(), e.targets, "echo ok")
	d.Close()
	for _, r := range res {
		if r.Err != nil || string(r.Stdout) != "ok\n" {
			t.Fatalf("%s: %v %q", r.Node, r.Err, r.Stdout)
		}
	}
	b, _ := os.ReadFile(e.knownHosts)
	for _, s := range e.servers {
		if !strings.Contains(string(b), s.KnownHosts) {
			t.Errorf("known_hosts lacks %q:\n%s", s.KnownHosts, b)
		}
	}
	// Now strict checking accepts them.
	d = &Dialer{KnownHostsFile: e.knownHosts, AgentSocket: "-"}
	defer d.Close()
	if _, err := d.Dial(context.Background(), e.targets[1]); err != nil {
		t.Fatalf("after acceptance: %v", err)
	}
}

func TestHostKeyAlgorithmsFromKnownHosts(t *testing.T) {
	dir := t.TempDir()
	k, _ := sshd.GenerateKeys(dir)
	kh := filepath.Join(dir, "kh")
	os.WriteFile(kh, []byte(sshd.KnownHostsLine("127.0.0.9:2222", k.HostPublicKey)+"\n"), 0o600)
	h := &HostKeys{Files: KnownHosts{User: []string{kh}}, log: &acceptLog{}}
	if got := h.Algorithms("127.0.0.9:2222", nil); len(got) != 1 || got[0] != "ssh-ed25519" {
		t.Fatalf("algorithms = %v", got)
	}
	if got := h.Algorithms("127.0.0.10:22", nil); got != nil {
		t.Fatalf("unknown host algorithms = %v", got)
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	e := newEnv(t, 2, "127.0.2")
	r := e.runner()
	r.Timeout = 500 * time.Millisecond
	start := time.Now()
	res := r.Run(context.Background(), e.targets, "sleep 30")
	if time.Since(start) > 10*time.Second {
		t.Fatalf("timeout not honoured: %v", time.Since(start))
	}
	for _, x := range res {
		if !errors.Is(x.Err, ErrTimeout) {
			t.Fatalf("%s: err = %v, want timeout", x.Node, x.Err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	res = e.runner().Run(ctx, e.targets, "sleep 30")
	for _, x := range res {
		if !errors.Is(x.Err, ErrCancelled) {
			t.Fatalf("%s: err = %v, want cancelled", x.Node, x.Err)
		}
	}
}

func TestConcurrencyBound(t *testing.T) {
	e := newEnv(t, 8, "127.0.2")
	dir := t.TempDir()
	r := e.runner()
	r.Concurrency = 2
	res := r.Run(context.Background(), e.targets, fmt.Sprintf(
		`f=%s/$(echo $SSH_CONNECTION | cut -d' ' -f3); date +%%s.%%N > $f.start; sleep 0.3; date +%%s.%%N > $f.end`, dir))
	for _, x := range res {
		if x.Failed() {
			t.Fatalf("%s: %v %s", x.Node, x.Err, x.Stderr)
		}
	}
	type ev struct {
		t     float64
		delta int
	}
	var evs []ev
	for _, s := range e.servers {
		for _, k := range []string{"start", "end"} {
			b, err := os.ReadFile(filepath.Join(dir, s.Host+"."+k))
			if err != nil {
				t.Fatal(err)
			}
			var f float64
			fmt.Sscan(string(b), &f)
			d := 1
			if k == "end" {
				d = -1
			}
			evs = append(evs, ev{f, d})
		}
	}
	// sort by time, ends before starts at equal time
	for i := range evs {
		for j := i + 1; j < len(evs); j++ {
			if evs[j].t < evs[i].t || (evs[j].t == evs[i].t && evs[j].delta < evs[i].delta) {
				evs[i], evs[j] = evs[j], evs[i]
			}
		}
	}
	cur, max := 0, 0
	for _, x := range evs {
		cur += x.delta
		if cur > max {
			max = cur
		}
	}
	if max > 2 {
		t.Fatalf("max concurrent = %d, want ≤ 2", max)
	}
	if max < 2 {
		t.Errorf("max concurrent = %d, expected the bound to be used", max)
	}
}

func TestLargeOutputNotTruncated(t *testing.T) {
	e := newEnv(t, 2, "127.0.2")
	res := e.runner().Run(context.Background(), e.targets, "head -c 6000000 /dev/zero | tr '\\0' 'x'")
	for _, x := range res {
		if x.Err != nil || len(x.Stdout) != 6000000 || bytes.Count(x.Stdout, []byte("x")) != 6000000 {
			t.Fatalf("%s: err=%v len=%d", x.Node, x.Err, len(x.Stdout))
		}
	}
}

func TestConnectionReuse(t *testing.T) {
	e := newEnv(t, 1, "127.0.2")
	c1, err := e.dialer.Dial(context.Background(), e.targets[0])
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := e.dialer.Dial(context.Background(), e.targets[0])
	if c1 != c2 {
		t.Fatal("second Dial opened a new connection")
	}
}

func TestProxyJump(t *testing.T) {
	e := newEnv(t, 2, "127.0.2")
	tg := e.targets[1]
	tg.Jumps = []Target{e.targets[0]}
	res := (&Runner{Dial: e.dialer.Dial}).Run(context.Background(), []Target{tg}, "echo via-jump")
	if res[0].Err != nil || string(res[0].Stdout) != "via-jump\n" {
		t.Fatalf("%v %q", res[0].Err, res[0].Stdout)
	}
	// With the jump host down, the target cannot be reached: the jump is used.
	e.servers[0].Stop()
	d := &Dialer{KnownHostsFile: e.knownHosts, AgentSocket: "-"}
	defer d.Close()
	_, err := d.Dial(context.Background(), tg)
	var je *JumpError
	if !errors.As(err, &je) || je.Hop.Name != "lxb001" || !strings.HasPrefix(err.Error(), "jump host lxb001 ("+e.servers[0].Addr+"): connect to") {
		t.Fatalf("err = %v, want the jump host named as the failure", err)
	}
}

// TestProxyJumpSharesOneConnection fans out to 12 nodes behind one jump
// host whose sshd drops connections beyond 3 unauthenticated at once
// (MaxStartups 3:100:100, like the default 10:30:100 but stricter; 3 leaves
// room for the harness's readiness probe): every node must be reached over
// the single connection the jump host accepts.
func TestProxyJumpSharesOneConnection(t *testing.T) {
	e := newEnv(t, 13, "127.0.216")
	jump := e.servers[0]
	cfg, err := os.ReadFile(jump.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	strict := strings.NewReplacer("LogLevel ERROR", "LogLevel INFO", "MaxStartups 1000", "MaxStartups 3:100:100").Replace(string(cfg))
	if strict == string(cfg) {
		t.Fatal("test sshd config changed: update this test's replacements")
	}
	if err := os.WriteFile(jump.ConfigPath, []byte(strict), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := jump.Restart(); err != nil {
		t.Fatal(err)
	}
	var targets []Target
	for _, tg := range e.targets[1:] {
		tg.Jumps = []Target{e.targets[0]}
		targets = append(targets, tg)
	}
	t0 := time.Now()
	res := e.runner().Run(context.Background(), targets, "echo ok")
	t.Logf("12 nodes via the jump host in %v", time.Since(t0))
	for _, r := range res {
		if r.Err != nil || string(r.Stdout) != "ok\n" {
			t.Errorf("%s: err=%v stdout=%q", r.Node, r.Err, r.Stdout)
		}
	}
	if n := strings.Count(jump.Stderr(), "Accepted publickey"); n != 1 {
		t.Errorf("jump host accepted %d connections, want 1:\n%s", n, jump.Stderr())
	}

	// A target the jump host cannot reach fails alone; the shared jump
	// connection stays usable for the others.
	down := targets[0]
	down.Addr = jump.Host + ":1"
	res = e.runner().Run(context.Background(), []Target{down, targets[1]}, "echo ok")
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "via jump host lxb001 ("+jump.Addr+")") {
		t.Errorf("unreachable target: err = %v, want a connect error via the jump host", res[0].Err)
	}
	if res[1].Err != nil || string(res[1].Stdout) != "ok\n" {
		t.Errorf("%s after a refused channel: err=%v stdout=%q", res[1].Node, res[1].Err, res[1].Stdout)
	}
	if n := strings.Count(jump.Stderr(), "Accepted publickey"); n != 1 {
		t.Errorf("jump host accepted %d connections, want still 1", n)
	}
}
