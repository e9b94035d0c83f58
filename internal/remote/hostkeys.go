package remote

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// HostKeyError is a refused host key: unknown (not in known_hosts) or
// changed (known_hosts has a different key for this host).
type HostKeyError struct {
	Host        string // host:port as dialled
	Changed     bool
	Key         ssh.PublicKey
	KnownHosts  string
	OffendingAt []string // file:line of the keys known_hosts has for the host
}

func (e *HostKeyError) Error() string {
	fp := ssh.FingerprintSHA256(e.Key)
	kt := strings.ToUpper(strings.TrimPrefix(e.Key.Type(), "ssh-"))
	if e.Changed {
		return fmt.Sprintf(`host key verification failed
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
Someone could be eavesdropping on you right now (man-in-the-middle attack)!
It is also possible that a host key has just been changed.
The fingerprint for the %s key sent by the remote host %s is
%s.
Offending key in %s
If the host was reinstalled, remove the old key (ssh-keygen -R %s -f %s) and try again.
This key is refused even with --accept-new-host-keys.`,
			kt, e.Host, fp, strings.Join(e.OffendingAt, ", "), hostForKeygen(e.Host), e.KnownHosts)
	}
	return fmt.Sprintf("host key verification failed: %s is not in %s (%s key %s); "+
		"check the fingerprint and rerun with --accept-new-host-keys to trust it",
		e.Host, e.KnownHosts, kt, fp)
}

func hostForKeygen(hostport string) string {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil || p == "22" {
		return h
	}
	return "[" + h + "]:" + p
}

// HostKeys checks server host keys against a known_hosts file. It is safe
// for concurrent use by many connections and parses the file once.
type HostKeys struct {
	Path      string
	AcceptNew bool

	once     sync.Once
	loadErr  error
	cb       ssh.HostKeyCallback
	mu       sync.Mutex
	accepted map[string]ssh.PublicKey // host:port → key appended during this run
	probe    ssh.PublicKey
}

// NewHostKeys returns a checker for the known_hosts file at path (created
// on first acceptance when missing).
func NewHostKeys(path string, acceptNew bool) *HostKeys {
	return &HostKeys{Path: path, AcceptNew: acceptNew}
}

func (h *HostKeys) load() error {
	h.once.Do(func() {
		h.accepted = map[string]ssh.PublicKey{}
		pub, _, _ := ed25519.GenerateKey(nil)
		h.probe, _ = ssh.NewPublicKey(pub)
		if _, err := os.Stat(h.Path); errors.Is(err, os.ErrNotExist) {
			h.cb = func(string, net.Addr, ssh.PublicKey) error { return &knownhosts.KeyError{} }
			return
		}
		cb, err := knownhosts.New(h.Path)
		if err != nil {
			h.loadErr = fmt.Errorf("read known hosts %s: %w", h.Path, err)
			return
		}
		h.cb = cb
	})
	return h.loadErr
}

// Algorithms are the host key algorithms to offer for host so the server
// presents a key type known_hosts has for it; nil when none is known.
func (h *HostKeys) Algorithms(hostport string, remote net.Addr) []string {
	if h.load() != nil {
		return nil
	}
	if remote == nil {
		remote = addrOf(hostport)
	}
	var ke *knownhosts.KeyError
	if err := h.cb(hostport, remote, h.probe); !errors.As(err, &ke) || len(ke.Want) == 0 {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	add := func(a ...string) {
		for _, x := range a {
			if !seen[x] {
				seen[x] = true
				algos = append(algos, x)
			}
		}
	}
	for _, k := range ke.Want {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			add(t)
		}
	}
	return algos
}

// addrOf is hostport as a net.Addr (knownhosts also matches the address).
func addrOf(hostport string) net.Addr {
	h, p, _ := net.SplitHostPort(hostport)
	port, _ := strconv.Atoi(p)
	return &net.TCPAddr{IP: net.ParseIP(h), Port: port}
}

// Callback is the ssh.HostKeyCallback for a connection to hostport.
func (h *HostKeys) Callback(hostport string) ssh.HostKeyCallback {
	return func(_ string, remote net.Addr, key ssh.PublicKey) error {
		if err := h.load(); err != nil {
			return err
		}
		if remote == nil {
			remote = addrOf(hostport)
		}
		err := h.cb(hostport, remote, key)
		if err == nil {
			return nil
		}
		var ke *knownhosts.KeyError
		if !errors.As(err, &ke) {
			return err
		}
		if len(ke.Want) > 0 {
			he := &HostKeyError{Host: hostport, Changed: true, Key: key, KnownHosts: h.Path}
			for _, w := range ke.Want {
				he.OffendingAt = append(he.OffendingAt, fmt.Sprintf("%s:%d", w.Filename, w.Line))
			}
			return he
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if prev, ok := h.accepted[hostport]; ok {
			if string(prev.Marshal()) == string(key.Marshal()) {
				return nil
			}
			return &HostKeyError{Host: hostport, Changed: true, Key: key, KnownHosts: h.Path,
				OffendingAt: []string{h.Path + " (accepted earlier in this run)"}}
		}
		if !h.AcceptNew {
			return &HostKeyError{Host: hostport, Key: key, KnownHosts: h.Path}
		}
		if err := appendKnownHost(h.Path, knownhosts.Line([]string{knownhosts.Normalize(hostport)}, key)); err != nil {
			return fmt.Errorf("accept new host key of %s: %w", hostport, err)
		}
		h.accepted[hostport] = key
		return nil
	}
}

// appendKnownHost appends line to the known_hosts file under an exclusive
// file lock, so concurrent mesosctl runs do not interleave lines.
func appendKnownHost(path, line string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	_, err = f.WriteString(line + "\n")
	return err
}
