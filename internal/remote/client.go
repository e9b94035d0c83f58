// Package remote runs commands on many nodes over SSH
// (golang.org/x/crypto/ssh): authentication from ssh-agent and identity
// files, strict host-key checking against every known_hosts file OpenSSH
// would read, ProxyJump chains, timeouts and keep-alives, and a fan-out Runner with bounded concurrency whose
// results the Printer shows per node, streamed, or gathered.
package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Target is one fully resolved node (or jump host) to reach.
type Target struct {
	Name          string   // node name as the user wrote it (lxb001)
	Addr          string   // host:port
	User          string   // SSH user
	IdentityFiles []string // private keys to offer; defaults when empty
	// KnownHosts are the files its host key is checked against; nil means
	// the Dialer's (KnownHostsFile, else OpenSSH's defaults).
	KnownHosts *KnownHosts
	// Jumps are the jump hosts (ProxyJump) in the order they are passed:
	// Jumps[0] is dialled directly, every other one through the one
	// before it, and the target through the last. Each is a Target of its
	// own, with its own user, keys and known_hosts files; the Jumps field
	// of a hop is ignored (its place in the chain says how it is reached).
	Jumps []Target
	// ControlPath is the socket of the user's OpenSSH ControlMaster for
	// this target (ssh_config ControlPath, expanded), "" for none.
	ControlPath string
}

// label names t in messages: "lxb002 (127.0.2.2:22)", or the address
// alone when the name is the address.
func (t Target) label() string {
	if t.Name == "" || t.Name == t.Addr {
		return t.Addr
	}
	if h, _, err := net.SplitHostPort(t.Addr); err == nil && h == t.Name {
		return t.Addr
	}
	return t.Name + " (" + t.Addr + ")"
}

// JumpError is a failure to reach a jump host on the way to a target: Hop
// is the first hop of the chain that could not be reached (or whose host
// key or authentication was refused), so the message names it.
type JumpError struct {
	Hop Target
	Err error
}

func (e *JumpError) Error() string { return "jump host " + e.Hop.label() + ": " + e.Err.Error() }

func (e *JumpError) Unwrap() error { return e.Err }

// Defaults for Dialer fields left zero.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultKeepAlive      = 15 * time.Second
	keepAliveMaxMissed    = 3
)

// Dialer opens authenticated SSH connections. One Dialer serves one run:
// it loads keys and known_hosts once and reuses connections per target.
type Dialer struct {
	// KnownHostsFile is the one known_hosts file for targets whose
	// KnownHosts are nil; when empty they get OpenSSH's defaults
	// (DefaultKnownHosts of HomeDir).
	KnownHostsFile string
	// AcceptNewHostKeys appends unknown host keys to the first user
	// known_hosts file instead of refusing them. Changed keys are always
	// refused.
	AcceptNewHostKeys bool
	// ConnectTimeout bounds TCP connect plus SSH handshake and auth.
	ConnectTimeout time.Duration
	// KeepAlive is the interval of keepalive@openssh.com requests; a
	// connection missing 3 in a row is closed. Negative disables them.
	KeepAlive time.Duration
	// AgentSocket defaults to $SSH_AUTH_SOCK; "-" disables the agent.
	AgentSocket string
	// HomeDir defaults to $HOME; default identity files live in HomeDir/.ssh.
	HomeDir string
	// Recheck verifies the host key of a connection again each time Dial
	// hands it out anew, against the known_hosts files as they were when
	// ReloadHostKeys was last called: for connections kept across runs.
	Recheck bool

	initOnce sync.Once
	defKeys  KnownHosts
	accepted acceptLog
	agentSig []ssh.Signer

	mu       sync.Mutex
	hostKeys map[string]*HostKeys // by KnownHosts.key
	signers  map[string]*signerEntry
	conns    map[string]*connEntry
	closed   bool
}

type signerEntry struct {
	once   sync.Once
	signer ssh.Signer
	err    error
}

type connEntry struct {
	once    sync.Once
	client  *ssh.Client
	err     error
	hostKey ssh.PublicKey // the key the server presented
	remote  net.Addr
	label   string
	ready   bool // once has run (guarded by Dialer.mu)
}

func (d *Dialer) init() {
	d.initOnce.Do(func() {
		home := d.HomeDir
		if home == "" {
			home, _ = os.UserHomeDir()
			d.HomeDir = home
		}
		if d.KnownHostsFile != "" {
			d.defKeys = KnownHosts{User: []string{d.KnownHostsFile}}
		} else {
			d.defKeys = DefaultKnownHosts(home)
		}
		d.hostKeys = map[string]*HostKeys{}
		if d.ConnectTimeout <= 0 {
			d.ConnectTimeout = DefaultConnectTimeout
		}
		if d.KeepAlive == 0 {
			d.KeepAlive = DefaultKeepAlive
		}
		d.signers = map[string]*signerEntry{}
		d.conns = map[string]*connEntry{}
		sock := d.AgentSocket
		if sock == "" {
			sock = os.Getenv("SSH_AUTH_SOCK")
		}
		if sock != "" && sock != "-" {
			if c, err := net.DialTimeout("unix", sock, time.Second); err == nil {
				if s, err := agent.NewClient(c).Signers(); err == nil {
					d.agentSig = s
				}
				// The agent connection stays open: its signers sign through it.
			}
		}
	})
}

// hostKeysFor returns the (shared) checker of t's known_hosts files.
func (d *Dialer) hostKeysFor(t Target) *HostKeys {
	files := d.defKeys
	if t.KnownHosts != nil {
		files = *t.KnownHosts
	}
	k := files.key()
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.hostKeys[k]
	if h == nil {
		h = &HostKeys{Files: files, AcceptNew: d.AcceptNewHostKeys, log: &d.accepted}
		d.hostKeys[k] = h
	}
	return h
}

// connKey identifies a connection: the same user, address, known_hosts
// files and way there share one.
func connKey(t Target) string {
	var b strings.Builder
	b.WriteString(t.User + "@" + t.Addr)
	if t.KnownHosts != nil {
		b.WriteString("|" + t.KnownHosts.key())
	}
	for _, j := range t.Jumps {
		b.WriteString("|via " + j.User + "@" + j.Addr)
		if j.KnownHosts != nil {
			b.WriteString("|" + j.KnownHosts.key())
		}
	}
	return b.String()
}

func (d *Dialer) signer(path string) (ssh.Signer, error) {
	d.mu.Lock()
	e, ok := d.signers[path]
	if !ok {
		e = &signerEntry{}
		d.signers[path] = e
	}
	d.mu.Unlock()
	e.once.Do(func() {
		b, err := os.ReadFile(path)
		if err != nil {
			e.err = err
			return
		}
		e.signer, e.err = ssh.ParsePrivateKey(b)
		var pe *ssh.PassphraseMissingError
		if errors.As(e.err, &pe) {
			e.err = fmt.Errorf("identity file %s is encrypted: load it into ssh-agent (ssh-add %s)", path, path)
		}
	})
	return e.signer, e.err
}

// authSigners are the keys offered for t: the agent's, then the identity
// files (the defaults ~/.ssh/id_ed25519, id_ecdsa, id_rsa when t names none).
func (d *Dialer) authSigners(t Target) ([]ssh.Signer, error) {
	signers := append([]ssh.Signer(nil), d.agentSig...)
	files := t.IdentityFiles
	explicit := len(files) > 0
	if !explicit {
		for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			files = append(files, filepath.Join(d.HomeDir, ".ssh", n))
		}
	}
	var firstErr error
	for _, f := range files {
		s, err := d.signer(f)
		if err != nil {
			if explicit && firstErr == nil {
				firstErr = fmt.Errorf("identity file: %w", err)
			}
			continue
		}
		signers = append(signers, s)
	}
	if len(signers) == 0 {
		if firstErr != nil {
			return nil, firstErr
		}
		return nil, errors.New("no SSH keys: start ssh-agent with a key loaded, or configure an identity file")
	}
	return signers, nil
}

// Dial returns a connected, authenticated client for t, reusing an open
// connection to the same user@addr from this Dialer.
func (d *Dialer) Dial(ctx context.Context, t Target) (*ssh.Client, error) {
	d.init()
	key := connKey(t)
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, errors.New("dialer closed")
	}
	e, ok := d.conns[key]
	if !ok {
		e = &connEntry{}
		d.conns[key] = e
	}
	d.mu.Unlock()
	fresh := false
	e.once.Do(func() {
		fresh = true
		e.client, e.err = d.dial(ctx, t, e)
	})
	d.mu.Lock()
	e.ready = true
	d.mu.Unlock()
	if e.err == nil && d.Recheck && !fresh {
		if err := d.hostKeysFor(t).Callback(t.Addr)(t.Addr, e.remote, e.hostKey); err != nil {
			// The kept connection was verified against known_hosts as
			// it was then, and may reach a server since replaced (a
			// node rebuilt on the same address). Drop it and dial
			// afresh: the key checked is then the one the server
			// presents now, refused as any new connection's would be.
			d.drop(t, e.client)
			return d.Dial(ctx, t)
		}
	}
	if e.err != nil {
		// Do not cache failures: a later call may retry.
		d.mu.Lock()
		if d.conns[key] == e {
			delete(d.conns, key)
		}
		d.mu.Unlock()
	}
	return e.client, e.err
}

// ReloadHostKeys makes the next host-key checks read the known_hosts
// files again.
func (d *Dialer) ReloadHostKeys() {
	d.init()
	d.mu.Lock()
	d.hostKeys = map[string]*HostKeys{}
	d.mu.Unlock()
}

// Connections names the open connections ("root@10.0.0.1:22", with " via
// HOP" for a target behind jump hosts).
func (d *Dialer) Connections() []string {
	d.init()
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, e := range d.conns {
		if e.ready && e.client != nil {
			out = append(out, e.label)
		}
	}
	return out
}

// Forget closes and drops the cached connection to t (after a timeout or
// cancellation left it in an unknown state). A jump host connection that t
// went through stays open for the other targets behind it.
func (d *Dialer) Forget(t Target) {
	d.drop(t, nil)
}

// drop removes t's cached connection and closes it; with only non-nil, only
// when the cache still holds that client (a newer one is left alone).
func (d *Dialer) drop(t Target, only *ssh.Client) {
	key := connKey(t)
	d.mu.Lock()
	e := d.conns[key]
	if e != nil && only != nil && e.client != only {
		e = nil
	}
	if e != nil {
		delete(d.conns, key)
	}
	d.mu.Unlock()
	if e != nil && e.client != nil {
		e.client.Close()
	}
}

// Close closes every connection the Dialer opened.
func (d *Dialer) Close() error {
	d.mu.Lock()
	conns := d.conns
	d.conns = map[string]*connEntry{}
	d.closed = true
	d.mu.Unlock()
	for _, e := range conns {
		if e.client != nil {
			e.client.Close()
		}
	}
	return nil
}

func (d *Dialer) dial(ctx context.Context, t Target, e *connEntry) (*ssh.Client, error) {
	if t.Addr == "" {
		return nil, errors.New("no address")
	}
	signers, err := d.authSigners(t)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.ConnectTimeout)
	defer cancel()

	var conn net.Conn
	if n := len(t.Jumps); n > 0 {
		// All targets behind one jump host share one connection to it (as
		// channels), like OpenSSH's ControlMaster: a fan-out through a
		// bastion costs it one handshake instead of one per node, and
		// never trips its MaxStartups (by default sshd drops new
		// connections beyond 10 unauthenticated at once). The last hop is
		// itself reached through the hops before it, each connection
		// shared the same way.
		hop := t.Jumps[n-1]
		hop.Jumps = t.Jumps[:n-1]
		jc, err := d.Dial(ctx, hop)
		if err != nil {
			var je *JumpError
			if errors.As(err, &je) {
				return nil, err // an earlier hop failed, and is named
			}
			return nil, &JumpError{Hop: hop, Err: err}
		}
		conn, err = dialVia(ctx, jc, t.Addr)
		if err != nil {
			var oce *ssh.OpenChannelError
			if !errors.As(err, &oce) && ctx.Err() == nil {
				// Not a refusal by the jump host: its connection is broken.
				d.drop(hop, jc)
			}
			return nil, fmt.Errorf("connect to %s via jump host %s: %w", t.Addr, hop.label(), err)
		}
	} else {
		var nd net.Dialer
		conn, err = nd.DialContext(ctx, "tcp", t.Addr)
		if err != nil {
			return nil, connectError(ctx, t.Addr, d.ConnectTimeout, err)
		}
	}
	// The handshake obeys the same deadline and is cut short by ctx.
	dl, hasDeadline := ctx.Deadline()
	if hasDeadline {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	hk := d.hostKeysFor(t)
	cfg := &ssh.ClientConfig{
		User: t.User,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(signers...)},
		HostKeyCallback: func(host string, remote net.Addr, key ssh.PublicKey) error {
			if err := hk.Callback(t.Addr)(host, remote, key); err != nil {
				return err
			}
			e.hostKey, e.remote = key, remote
			return nil
		},
		HostKeyAlgorithms: hk.Algorithms(t.Addr, conn.RemoteAddr()),
		Timeout:           d.ConnectTimeout,
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, t.Addr, cfg)
	stopped := stop()
	if err != nil {
		conn.Close()
		var he *HostKeyError
		if errors.As(err, &he) {
			return nil, he
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() && hasDeadline {
			// The connection's deadline is ctx's: ctx ends at once, and
			// the error is the timeout's, not a failed handshake.
			<-ctx.Done()
		}
		if ctx.Err() != nil || !stopped {
			return nil, connectError(ctx, t.Addr, d.ConnectTimeout, ctx.Err())
		}
		if strings.Contains(err.Error(), "unable to authenticate") {
			return nil, &AuthError{User: t.User, Addr: t.Addr}
		}
		return nil, fmt.Errorf("ssh handshake with %s: %w", t.Addr, err)
	}
	conn.SetDeadline(time.Time{})
	client := ssh.NewClient(c, chans, reqs)
	e.label = t.User + "@" + t.Addr
	for i := len(t.Jumps) - 1; i >= 0; i-- {
		e.label += " via " + t.Jumps[i].User + "@" + t.Jumps[i].Addr
	}
	if d.KeepAlive > 0 {
		go keepAlive(client, d.KeepAlive)
	}
	return client, nil
}

func connectError(ctx context.Context, addr string, timeout time.Duration, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("connect to %s: timed out after %v", addr, timeout)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("connect to %s: %w", addr, context.Canceled)
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return fmt.Errorf("connect to %s: %v", addr, oe.Err)
	}
	return fmt.Errorf("connect to %s: %v", addr, err)
}

func dialVia(ctx context.Context, jc *ssh.Client, addr string) (net.Conn, error) {
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := jc.Dial("tcp", addr)
		ch <- res{c, err}
	}()
	select {
	case r := <-ch:
		return r.c, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

func keepAlive(c *ssh.Client, every time.Duration) {
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	tk := time.NewTicker(every)
	defer tk.Stop()
	missed := 0
	for {
		select {
		case <-done:
			return
		case <-tk.C:
			replied := make(chan error, 1)
			go func() { _, _, err := c.SendRequest("keepalive@openssh.com", true, nil); replied <- err }()
			select {
			case err := <-replied:
				if err != nil {
					return
				}
				missed = 0
			case <-time.After(every):
				missed++
				if missed >= keepAliveMaxMissed {
					c.Close()
					return
				}
			case <-done:
				return
			}
		}
	}
}
