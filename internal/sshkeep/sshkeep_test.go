package sshkeep_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/sftp"

	"github.com/mesosctl/mesosctl/internal/remote"
	"github.com/mesosctl/mesosctl/internal/sshkeep"
	"github.com/mesosctl/mesosctl/internal/testutil/sshd"
	"github.com/mesosctl/mesosctl/internal/testutil/syncbuf"
)

const subnet = "127.0.7"

// peerEnv makes the test binary act as a client of another user (see
// TestMain): it connects to the socket named there, asks for the status
// and prints what it got.
const peerEnv = "SSHKEEP_TEST_PEER_SOCKET"

func TestMain(m *testing.M) {
	if sock := os.Getenv(peerEnv); sock != "" {
		os.Exit(peer(sock))
	}
	os.Exit(m.Run())
}

func peer(sock string) int {
	c, err := net.Dial("unix", sock)
	if err != nil {
		fmt.Printf("uid %d: connect: %v\n", os.Getuid(), err)
		return 1
	}
	defer c.Close()
	fmt.Printf("uid %d: connected\n", os.Getuid())
	c.SetDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte(`{"op":"status"}` + "\n"))
	line, err := bufio.NewReader(c).ReadString('\n')
	fmt.Printf("reply: %s (%v)\n", strings.TrimSpace(line), err)
	return 0
}

// daemon runs a Server in dir (a new 0700 directory in a temporary one)
// until the test ends; done is closed when Serve returns, with its error
// in *err.
type daemon struct {
	dir  string
	log  *syncbuf.Buffer
	done chan struct{}
	err  error
}

func serve(t *testing.T, dir string, persist time.Duration) *daemon {
	t.Helper()
	d := &daemon{dir: dir, log: &syncbuf.Buffer{}, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	s := &sshkeep.Server{Dir: dir, Persist: persist, Log: log.New(d.log, "", 0)}
	go func() {
		d.err = s.Serve(ctx)
		close(d.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-d.done
	})
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := sshkeep.GetStatus(dir); err == nil {
			return d
		} else if time.Now().After(deadline) {
			t.Fatalf("the daemon did not answer within 5s: %v; log:\n%s", err, d.log)
		}
	}
}

// node starts one real sshd and returns it, a known_hosts file holding its
// key, and a Target logging in as root with the harness's client key.
func node(t *testing.T) (*sshd.Server, string, remote.Target) {
	t.Helper()
	s := sshd.StartNodes(t, 1, sshd.Options{Subnet: subnet, LogLevel: "INFO"})[0]
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := sshd.WriteKnownHosts(kh, []*sshd.Server{s}); err != nil {
		t.Fatal(err)
	}
	return s, kh, remote.Target{Name: "n1", Addr: s.Addr, User: "root", IdentityFiles: []string{s.Keys.ClientKeyPath}}
}

func run(c *sshkeep.Client, tg remote.Target, cmd string) (string, int, error) {
	var out bytes.Buffer
	code, err := c.Exec(context.Background(), tg, remote.Exec{Command: cmd, Stdout: &out})
	return out.String(), code, err
}

func logins(s *sshd.Server) int { return strings.Count(s.Stderr(), "Accepted publickey") }

// TestSocketAndDirectoryModes: the socket is 0600 in a 0700 directory of
// the user's own; a client refuses a directory others may enter or that
// belongs to someone else, and the daemon refuses to start in one.
func TestSocketAndDirectoryModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mux")
	serve(t, dir, time.Minute)
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 || !fi.IsDir() {
		t.Fatalf("directory %s: %v %v", dir, fi.Mode(), err)
	}
	fi, err = os.Stat(sshkeep.Socket(dir))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("socket: %v %v", fi.Mode(), err)
	}
	st, err := sshkeep.GetStatus(dir)
	if err != nil || st.PID != os.Getpid() || st.Socket != sshkeep.Socket(dir) || st.Running != 0 || st.IdleSince == nil {
		t.Fatalf("status %+v, %v", st, err)
	}

	// Opened up to the group: the client will not use it.
	os.Chmod(dir, 0o750)
	if _, err := sshkeep.GetStatus(dir); err == nil || !strings.Contains(err.Error(), "must be 0700") {
		t.Fatalf("0750 directory: %v", err)
	}
	os.Chmod(dir, 0o700)

	// Another user's directory: neither client nor daemon use it.
	other := filepath.Join(t.TempDir(), "other")
	os.Mkdir(other, 0o700)
	if err := os.Chown(other, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := sshkeep.GetStatus(other); err == nil || !strings.Contains(err.Error(), "belongs to another user") {
		t.Fatalf("another user's directory, client: %v", err)
	}
	err = (&sshkeep.Server{Dir: other, Log: log.New(&syncbuf.Buffer{}, "", 0)}).Serve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "belongs to another user") {
		t.Fatalf("another user's directory, daemon: %v", err)
	}
	if err := sshkeep.EnsureDir(other); err == nil {
		t.Fatal("EnsureDir accepted another user's directory")
	}
	// A second daemon on the same directory stands back.
	err = (&sshkeep.Server{Dir: dir, Log: log.New(&syncbuf.Buffer{}, "", 0)}).Serve(context.Background())
	if !errors.Is(err, sshkeep.ErrRunning) {
		t.Fatalf("second daemon: %v", err)
	}
}

// TestOtherUserRefused connects to the socket from a process of another
// user (uid 65534). Without privileges the directory and socket modes stop
// it; a process of that user that bypasses file permissions
// (CAP_DAC_OVERRIDE) gets through to the socket and is refused by its
// credentials (SO_PEERCRED), told so, and the refusal is logged.
func TestOtherUserRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Fatal("this test switches to uid 65534 and must run as root (the project's tests run as root)")
	}
	dir := filepath.Join(t.TempDir(), "mux")
	d := serve(t, dir, time.Minute)
	// The test binary runs as the other user: let it reach the binary.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	asNobody := func(caps []uintptr) string {
		t.Helper()
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), peerEnv+"="+sshkeep.Socket(dir))
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534},
			AmbientCaps: caps}
		out, err := cmd.CombinedOutput()
		if err != nil && !strings.Contains(string(out), "connect:") {
			t.Fatalf("peer process: %v\n%s", err, out)
		}
		return string(out)
	}
	const capDACOverride = 1
	// The test binary may sit in a directory only root may enter: reading
	// it needs the capability, so copy it somewhere nobody can run it.
	binDir, err := os.MkdirTemp("", "sshkeep-peer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(binDir) })
	os.Chmod(binDir, 0o755)
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	exe = filepath.Join(binDir, "peer")
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}

	out := asNobody(nil)
	if !strings.Contains(out, "uid 65534: connect:") || !strings.Contains(out, "permission denied") {
		t.Fatalf("without privileges the socket should be out of reach:\n%s", out)
	}
	out = asNobody([]uintptr{capDACOverride})
	if !strings.Contains(out, "uid 65534: connected") ||
		!strings.Contains(out, `"error":"ssh-mux daemon: refused: peer uid 65534`) || strings.Contains(out, `"status"`) {
		t.Fatalf("another user's connection should be refused by its credentials:\n%s", out)
	}
	if !strings.Contains(d.log.String(), "refused a connection: peer uid 65534") {
		t.Fatalf("the refusal is not logged:\n%s", d.log)
	}
	// The daemon still serves its own user.
	if _, err := sshkeep.GetStatus(dir); err != nil {
		t.Fatal(err)
	}
}

// TestHostKeysCheckedAtEveryConnect: a kept connection is checked again
// against known_hosts on each new run's reuse, and a new connection
// checks the key the (real) sshd presents.
func TestHostKeysCheckedAtEveryConnect(t *testing.T) {
	s, kh, tg := node(t)
	dir := filepath.Join(t.TempDir(), "mux")
	serve(t, dir, time.Minute)
	c := &sshkeep.Client{Dir: dir, Settings: sshkeep.Settings{KnownHostsFile: kh}}
	for range 2 {
		if out, code, err := run(c, tg, "echo hi"); err != nil || code != 0 || out != "hi\n" {
			t.Fatalf("exit %d, %v, %q", code, err, out)
		}
	}
	if n := logins(s); n != 1 {
		t.Fatalf("%d logins, want 1 (one kept connection)", n)
	}

	// known_hosts now names another key for the node: a new run (a new
	// Client) must not use the kept connection.
	orig, _ := os.ReadFile(kh)
	other, err := sshd.GenerateKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(kh, []byte(sshd.KnownHostsLine(s.Addr, other.HostPublicKey)+"\n"), 0o600)
	c = &sshkeep.Client{Dir: dir, Settings: sshkeep.Settings{KnownHostsFile: kh}}
	_, _, err = run(c, tg, "echo hi")
	var ce *remote.ConnectError
	if err == nil || remote.Kind(err) != remote.KindHostKey || !errors.As(err, &ce) || !strings.Contains(err.Error(), "host key") {
		t.Fatalf("a kept connection whose key known_hosts no longer names: %v (kind %q)", err, remote.Kind(err))
	}
	os.WriteFile(kh, orig, 0o600)
	c = &sshkeep.Client{Dir: dir, Settings: sshkeep.Settings{KnownHostsFile: kh}}
	if out, _, err := run(c, tg, "echo hi"); err != nil || out != "hi\n" {
		t.Fatalf("known_hosts restored: %v %q", err, out)
	}

	// The node's sshd changes its host key: a new daemon (new
	// connections) refuses it.
	if err := sshkeep.Stop(dir); err != nil {
		t.Fatal(err)
	}
	cfg, _ := os.ReadFile(s.ConfigPath)
	os.WriteFile(s.ConfigPath, []byte(strings.Replace(string(cfg), "HostKey "+s.Keys.HostKeyPath, "HostKey "+other.HostKeyPath, 1)), 0o644)
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := sshkeep.GetStatus(dir); errors.Is(err, sshkeep.ErrNotRunning) {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the stopped daemon still answers: %v", err)
		}
	}
	serve(t, dir, time.Minute)
	before := logins(s)
	c = &sshkeep.Client{Dir: dir, Settings: sshkeep.Settings{KnownHostsFile: kh}}
	_, _, err = run(c, tg, "echo hi")
	if err == nil || remote.Kind(err) != remote.KindHostKey || !strings.Contains(err.Error(), "host key") {
		t.Fatalf("sshd with a changed host key: %v (kind %q)", err, remote.Kind(err))
	}
	if logins(s) != before {
		t.Fatal("logged in to a node whose host key changed")
	}
}

// TestReplacedNodeReconnects: a node rebuilt on the same address with a
// new host key, and known_hosts naming the new key (as after `make
// demo-down; make demo` within the persist time): the kept connection to
// the old server is dropped and a new one, checked against the key the
// server presents now, is used.
func TestReplacedNodeReconnects(t *testing.T) {
	s, kh, tg := node(t)
	dir := filepath.Join(t.TempDir(), "mux")
	serve(t, dir, time.Minute)
	c := &sshkeep.Client{Dir: dir, Settings: sshkeep.Settings{KnownHostsFile: kh}}
	if out, code, err := run(c, tg, "echo hi"); err != nil || code != 0 || out != "hi\n" {
		t.Fatalf("exit %d, %v, %q", code, err, out)
	}
	other, err := sshd.GenerateKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := os.ReadFile(s.ConfigPath)
	os.WriteFile(s.ConfigPath, []byte(strings.Replace(string(cfg), "HostKey "+s.Keys.HostKeyPath, "HostKey "+other.HostKeyPath, 1)), 0o644)
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(kh, []byte(sshd.KnownHostsLine(s.Addr, other.HostPublicKey)+"\n"), 0o600)
	before := logins(s)
	c = &sshkeep.Client{Dir: dir, Settings: sshkeep.Settings{KnownHostsFile: kh}}
	if out, code, err := run(c, tg, "echo again"); err != nil || code != 0 || out != "again\n" {
		t.Fatalf("the replaced node: exit %d, %v, %q", code, err, out)
	}
	if logins(s) != before+1 {
		t.Fatalf("%d new logins, want 1 (a new connection to the replaced server)", logins(s)-before)
	}
}

// TestIdleExpiry: after its persist time without commands the daemon
// closes its connections, removes its socket and exits.
func TestIdleExpiry(t *testing.T) {
	s, kh, tg := node(t)
	dir := filepath.Join(t.TempDir(), "mux")
	d := serve(t, dir, time.Second)
	c := &sshkeep.Client{Dir: dir, Settings: sshkeep.Settings{KnownHostsFile: kh}}
	// A command longer than the persist time: running is not idle.
	if out, _, err := run(c, tg, "sleep 2.5; echo done"); err != nil || out != "done\n" {
		t.Fatalf("%v %q", err, out)
	}
	st, err := sshkeep.GetStatus(dir)
	if err != nil || len(st.Connections) != 1 || st.Persist != time.Second {
		t.Fatalf("status after the command: %+v %v", st, err)
	}
	finished := time.Now()
	select {
	case <-d.done:
	case <-time.After(15 * time.Second):
		t.Fatal("the daemon was still running 15s after its last command, with a persist time of 1s")
	}
	if idle := time.Since(finished); idle < 900*time.Millisecond {
		t.Fatalf("the daemon exited %v after its last command, before its persist time", idle)
	}
	if d.err != nil {
		t.Fatalf("Serve: %v", d.err)
	}
	if _, err := os.Stat(sshkeep.Socket(dir)); !os.IsNotExist(err) {
		t.Fatalf("socket left behind: %v", err)
	}
	if _, err := sshkeep.GetStatus(dir); !errors.Is(err, sshkeep.ErrNotRunning) {
		t.Fatalf("status after exit: %v", err)
	}
	// The kept connection was closed: sshd saw the client go.
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(s.Stderr(), "Disconnected from user root") &&
		!strings.Contains(s.Stderr(), "Connection closed by"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not see the connection closed:\n%s", s.Stderr())
		}
	}
}

// TestStream: a command's stdin and stdout as a stream on a kept
// connection (no new login), and the sftp subsystem; closing a stream ends
// its channel.
func TestStream(t *testing.T) {
	s, kh, tg := node(t)
	dir := filepath.Join(t.TempDir(), "mux")
	d := serve(t, dir, time.Minute)
	c := &sshkeep.Client{Dir: dir, Settings: sshkeep.Settings{KnownHostsFile: kh}}
	if _, _, err := run(c, tg, "true"); err != nil {
		t.Fatal(err)
	}
	var errOut syncbuf.Buffer
	st, err := c.Stream(context.Background(), tg, "", "head -n1 | tr a-z A-Z; echo oops >&2", &errOut)
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte("abc\n"))
	got, _ := io.ReadAll(st)
	st.Close()
	if string(got) != "ABC\n" {
		t.Fatalf("stdout %q", got)
	}
	for deadline := time.Now().Add(3 * time.Second); errOut.String() != "oops\n"; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("stderr %q", errOut.String())
		}
	}

	errOut = syncbuf.Buffer{}
	st, err = c.Stream(context.Background(), tg, "sftp", "", &errOut)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := sftp.NewClientPipe(st, st)
	if err != nil {
		t.Fatalf("%v\ndaemon log:\n%s\nstderr: %s", err, d.log, errOut.String())
	}
	if fi, err := sc.Stat("/"); err != nil || !fi.IsDir() {
		t.Fatalf("stat / over SFTP: %v %v", fi, err)
	}
	sc.Close()
	st.Close()
	if n := logins(s); n != 1 {
		t.Fatalf("%d logins, want 1", n)
	}
	// Closed streams are no longer running commands.
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if st, err := sshkeep.GetStatus(dir); err == nil && st.Running == 0 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("status %+v %v: the closed streams still run", st, err)
		}
	}
	// A subsystem the node does not offer is an error, not a hang.
	if _, err := c.Stream(context.Background(), tg, "nosuch", "", nil); err == nil {
		t.Fatal("unknown subsystem: no error")
	}
}

// slowHash hashes what is written to it, pausing now and then, so that the
// daemon's output pipes fill and the node's channel runs into its window:
// the relay must then hold back, not lose or reorder bytes.
type slowHash struct {
	h    hash.Hash
	n    int64
	next int64
}

func (w *slowHash) Write(p []byte) (int, error) {
	w.h.Write(p)
	w.n += int64(len(p))
	if w.n >= w.next {
		w.next = w.n + 4<<20
		time.Sleep(20 * time.Millisecond)
	}
	return len(p), nil
}

// TestLargeOutputByteExact: a command printing 48 MiB of random bytes on
// stdout and the same on stderr at once, read slowly by the client, comes
// through the daemon complete and byte for byte.
func TestLargeOutputByteExact(t *testing.T) {
	s, kh, tg := node(t)
	data := make([]byte, 48<<20)
	if _, err := rand.NewChaCha8([32]byte{19}).Read(data); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Home, "big"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(data)
	dir := filepath.Join(t.TempDir(), "mux")
	d := serve(t, dir, time.Minute)
	c := &sshkeep.Client{Dir: dir, Settings: sshkeep.Settings{KnownHostsFile: kh}}
	out, errOut := &slowHash{h: sha256.New()}, &slowHash{h: sha256.New()}
	code, err := c.Exec(context.Background(), tg, remote.Exec{Command: "cat big >&2 & cat big; wait", Stdout: out, Stderr: errOut})
	if err != nil || code != 0 {
		t.Fatalf("exit %d, %v; daemon log:\n%s", code, err, d.log)
	}
	for name, w := range map[string]*slowHash{"stdout": out, "stderr": errOut} {
		if got := w.h.Sum(nil); w.n != int64(len(data)) || !bytes.Equal(got, want[:]) {
			t.Errorf("%s: %d bytes, sha256 %x; want %d bytes, %x", name, w.n, got, len(data), want)
		}
	}
}

// TestTuneMemory: the daemon lowers its garbage-collection target unless
// GOGC says otherwise.
func TestTuneMemory(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	sshkeep.TuneMemory(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != sshkeep.GCPercent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, sshkeep.GCPercent)
	}
	sshkeep.TuneMemory(func(k string) string { return map[string]string{"GOGC": "100"}[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC=100: GC percent %d, want it left at 100", got)
	}
}
