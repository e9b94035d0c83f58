// Package sshd starts real OpenSSH servers (/usr/sbin/sshd) on loopback
// addresses for tests and benchmarks, and generates the keys, sshd_config and
// known_hosts lines they need. Other harnesses (the multi-node test cluster)
// reuse GenerateKeys, WriteConfig and KnownHostsLine to run sshd their own way.
//
// Each server runs in a private mount namespace with a stock Debian home of
// its own (base-files' dot.bashrc and dot.profile) bind-mounted over /root, so the
// sessions of tests logging in as root do not run this machine's own shell
// start-up files: a developer's ~/.bashrc (pyenv init, …) can cost far more
// per connection than SSH itself, and tests must behave as on a clean CI
// machine.
package sshd

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Binary is the OpenSSH server the harness runs.
const Binary = "/usr/sbin/sshd"

// Keys are a generated host key and client key, written under Dir.
type Keys struct {
	Dir                string
	HostKeyPath        string        // private ed25519 host key (sshd HostKey)
	HostPublicKey      ssh.PublicKey // its public half
	ClientKeyPath      string        // private ed25519 client key (ssh -i)
	ClientPublicKey    ssh.PublicKey
	ClientSigner       ssh.Signer
	AuthorizedKeysPath string // contains the client public key
}

// GenerateKeys writes a fresh ed25519 host key, client key and an
// authorized_keys file for the client key into dir.
func GenerateKeys(dir string) (*Keys, error) {
	k := &Keys{Dir: dir,
		HostKeyPath:        filepath.Join(dir, "ssh_host_ed25519_key"),
		ClientKeyPath:      filepath.Join(dir, "id_ed25519"),
		AuthorizedKeysPath: filepath.Join(dir, "authorized_keys"),
	}
	var err error
	if k.HostPublicKey, _, err = writeKey(k.HostKeyPath, "host"); err != nil {
		return nil, err
	}
	if k.ClientPublicKey, k.ClientSigner, err = writeKey(k.ClientKeyPath, "client"); err != nil {
		return nil, err
	}
	if err := os.WriteFile(k.AuthorizedKeysPath, ssh.MarshalAuthorizedKey(k.ClientPublicKey), 0o644); err != nil {
		return nil, err
	}
	return k, nil
}

func writeKey(path, comment string) (ssh.PublicKey, ssh.Signer, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, nil, err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(sshPub), 0o644); err != nil {
		return nil, nil, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	return sshPub, signer, err
}

// KnownHostsLine is the known_hosts line for a server at addr (host:port).
func KnownHostsLine(addr string, key ssh.PublicKey) string {
	return knownhosts.Line([]string{knownhosts.Normalize(addr)}, key)
}

// Config is what WriteConfig puts into an sshd_config.
type Config struct {
	ListenAddress  string // host:port
	HostKey        string
	AuthorizedKeys string // absolute path; ".ssh/authorized_keys" is always also allowed
	PidFile        string
	LogLevel       string   // default ERROR
	Extra          []string // further sshd_config lines
}

// WriteConfig writes an sshd_config for a test server: key-only login,
// root allowed, no PAM, no strict modes, no DNS, quiet logging, and
// OpenSSH's sftp-server as the sftp subsystem (as Debian's stock config).
func WriteConfig(path string, c Config) error {
	var b strings.Builder
	fmt.Fprintf(&b, "ListenAddress %s\n", c.ListenAddress)
	fmt.Fprintf(&b, "HostKey %s\n", c.HostKey)
	fmt.Fprintf(&b, "AuthorizedKeysFile %s .ssh/authorized_keys\n", c.AuthorizedKeys)
	fmt.Fprintf(&b, "PidFile %s\n", c.PidFile)
	if c.LogLevel == "" {
		c.LogLevel = "ERROR"
	}
	fmt.Fprintf(&b, "LogLevel %s\n", c.LogLevel)
	b.WriteString(`PermitRootLogin yes
UsePAM no
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
PrintMotd no
PrintLastLog no
MaxStartups 1000
MaxSessions 100
Subsystem sftp /usr/lib/openssh/sftp-server
`)
	for _, l := range c.Extra {
		b.WriteString(l + "\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// EnsurePrivsepDir creates /run/sshd, which sshd requires to exist.
func EnsurePrivsepDir() error {
	return os.MkdirAll("/run/sshd", 0o755)
}

// Server is one running sshd.
type Server struct {
	Addr       string // host:port
	Host       string
	Port       int
	ConfigPath string
	Keys       *Keys
	KnownHosts string // the known_hosts line for this server

	// Home is the directory bind-mounted over /root for this server's
	// sessions (each server has its own, so files a test writes into the
	// home of root on one node are not on the others); "" when /root is
	// kept (Options.HostHome).
	Home string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Options select where servers listen.
type Options struct {
	// Subnet is the first three octets of the loopback addresses, e.g.
	// "127.0.2"; node i (from 1) listens on Subnet.i. Default "127.0.2".
	Subnet string
	// Port is the port to listen on; 0 picks a free one per server.
	Port int
	// Keys are shared by all servers; generated when nil.
	Keys *Keys
	// HostHome keeps this machine's /root as root's home in sessions
	// instead of a stock one.
	HostHome bool
	// LogLevel is sshd's LogLevel (default ERROR; INFO logs every
	// "Accepted publickey").
	LogLevel string
}

// StockHome writes a stock Debian home directory (base-files' dot.bashrc
// and dot.profile; empty files where base-files is missing) at dir.
func StockHome(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range []string{"bashrc", "profile"} {
		b, err := os.ReadFile("/usr/share/base-files/dot." + f)
		if err != nil && !os.IsNotExist(err) {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "."+f), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// StartNodes starts n sshd servers, on Subnet.1 … Subnet.n, sharing one host
// key, and stops them when the test ends. It fails the test (never skips)
// when sshd is missing.
func StartNodes(tb testing.TB, n int, o Options) []*Server {
	tb.Helper()
	if _, err := os.Stat(Binary); err != nil {
		tb.Fatalf("OpenSSH server not found at %s: install the Debian package openssh-server", Binary)
	}
	if err := EnsurePrivsepDir(); err != nil {
		tb.Fatalf("create sshd privilege separation directory: %v", err)
	}
	if o.Subnet == "" {
		o.Subnet = "127.0.2"
	}
	dir := tb.TempDir()
	if !o.HostHome {
		if _, err := exec.LookPath("unshare"); err != nil {
			tb.Fatalf("unshare not found: install the Debian package util-linux")
		}
	}
	if o.Keys == nil {
		k, err := GenerateKeys(dir)
		if err != nil {
			tb.Fatalf("generate keys: %v", err)
		}
		o.Keys = k
	}
	servers := make([]*Server, n)
	for i := range servers {
		host := fmt.Sprintf("%s.%d", o.Subnet, i+1)
		port := o.Port
		if port == 0 {
			p, err := FreePort(host)
			if err != nil {
				tb.Fatalf("find a free port on %s: %v", host, err)
			}
			port = p
		}
		s := &Server{Host: host, Port: port, Addr: net.JoinHostPort(host, strconv.Itoa(port)), Keys: o.Keys}
		if !o.HostHome {
			s.Home = filepath.Join(dir, fmt.Sprintf("home.%d", i+1))
			if err := StockHome(s.Home); err != nil {
				tb.Fatalf("write stock home: %v", err)
			}
		}
		s.KnownHosts = KnownHostsLine(s.Addr, o.Keys.HostPublicKey)
		s.ConfigPath = filepath.Join(dir, fmt.Sprintf("sshd_config.%d", i+1))
		if err := WriteConfig(s.ConfigPath, Config{ListenAddress: s.Addr, HostKey: o.Keys.HostKeyPath,
			AuthorizedKeys: o.Keys.AuthorizedKeysPath, PidFile: filepath.Join(dir, fmt.Sprintf("sshd.%d.pid", i+1)),
			LogLevel: o.LogLevel}); err != nil {
			tb.Fatalf("write sshd_config: %v", err)
		}
		if err := s.start(); err != nil {
			tb.Fatalf("%v", err)
		}
		tb.Cleanup(s.Stop)
		servers[i] = s
	}
	for _, s := range servers {
		if err := s.waitReady(10 * time.Second); err != nil {
			tb.Fatalf("%v", err)
		}
	}
	return servers
}

// FreePort returns a TCP port that is free on host right now.
func FreePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(Binary, "-D", "-e", "-f", s.ConfigPath)
	if s.Home != "" {
		// unshare (without --fork) and sh exec: the process is sshd itself,
		// and the mount namespace goes away with it.
		cmd = exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c",
			`mount --bind "$0" /root && exec "$@"`, s.Home, Binary, "-D", "-e", "-f", s.ConfigPath)
	}
	// A file, not a pipe: session processes that outlive the listener
	// keep their inherited stderr open, and Wait must not wait for them.
	logf, err := os.OpenFile(s.ConfigPath+".log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start sshd on %s: %v", s.Addr, err)
	}
	s.cmd = cmd
	done := make(chan struct{})
	s.done = done
	go func() { cmd.Wait(); close(done) }()
	return nil
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		done := s.done
		s.mu.Unlock()
		select {
		case <-done:
			return fmt.Errorf("sshd on %s exited at start: %s", s.Addr, s.Stderr())
		default:
		}
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("sshd on %s did not accept connections within %v: %s", s.Addr, timeout, s.Stderr())
}

// Stop kills the server (and its session processes) and waits for it.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
	// Forked connection handlers die asynchronously and may briefly still
	// hold the listening socket: wait until connections are refused.
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
	}
}

// Restart stops the server and starts it again on the same address.
func (s *Server) Restart() error {
	s.Stop()
	if err := s.start(); err != nil {
		return err
	}
	return s.waitReady(10 * time.Second)
}

// Stderr is what sshd logged so far.
func (s *Server) Stderr() string {
	b, _ := os.ReadFile(s.ConfigPath + ".log")
	return string(b)
}

// WriteKnownHosts writes the known_hosts lines of servers to path.
func WriteKnownHosts(path string, servers []*Server) error {
	var b strings.Builder
	for _, s := range servers {
		b.WriteString(s.KnownHosts + "\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// Inventory writes a mesosctl configuration naming servers lxb001… (with
// their addresses and ports), the SSH user, the client key and a
// known_hosts file holding their keys, plus an empty ssh_config; it
// returns the configuration's path. Point MESOSCTL_CONFIG at it.
func Inventory(tb testing.TB, servers []*Server, user string) string {
	tb.Helper()
	dir := tb.TempDir()
	kh := filepath.Join(dir, "known_hosts")
	if err := WriteKnownHosts(kh, servers); err != nil {
		tb.Fatal(err)
	}
	sshCfg := filepath.Join(dir, "ssh_config")
	if err := os.WriteFile(sshCfg, nil, 0o600); err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "defaults:\n  ssh_user: %s\n  ssh_config: %s\n  known_hosts: %s\n", user, sshCfg, kh)
	if len(servers) > 0 {
		fmt.Fprintf(&b, "  identity_file: %s\n", servers[0].Keys.ClientKeyPath)
	}
	b.WriteString("nodes:\n")
	for i, s := range servers {
		fmt.Fprintf(&b, "  - name: lxb%03d\n    address: %s\n    ssh_port: %d\n", i+1, s.Host, s.Port)
	}
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// KnownHostsPath is the known_hosts file Inventory wrote next to cfg.
func KnownHostsPath(cfg string) string { return filepath.Join(filepath.Dir(cfg), "known_hosts") }

// StartMaster starts an OpenSSH client as a ControlMaster for s (ssh -M
// -N -f) listening on socket, logged in as user with the harness's client
// key and checking s's host key against knownHosts, as a user's own ssh
// with ControlMaster/ControlPath would. It is asked to exit (ssh -O exit)
// when the test ends.
func StartMaster(tb testing.TB, s *Server, user, socket, knownHosts string) {
	tb.Helper()
	args := []string{"-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
		"-o", "UserKnownHostsFile=" + knownHosts, "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "IdentitiesOnly=yes", "-i", s.Keys.ClientKeyPath, "-o", "ControlPath=" + socket,
		"-p", strconv.Itoa(s.Port), "-l", user}
	out, err := exec.Command("ssh", append(append([]string{"-M", "-N", "-f"}, args...), s.Host)...).CombinedOutput()
	if err != nil {
		tb.Fatalf("start ssh ControlMaster for %s: %v: %s", s.Addr, err, out)
	}
	tb.Cleanup(func() {
		exec.Command("ssh", append(append([]string{"-O", "exit"}, args...), s.Host)...).Run()
	})
}
