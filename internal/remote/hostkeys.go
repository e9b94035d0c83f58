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

// KnownHosts names the host-key databases checked for one target, as
// OpenSSH's UserKnownHostsFile and GlobalKnownHostsFile do: every file of
// both lists is read (missing files are skipped), and a new key accepted
// with AcceptNewHostKeys is appended to the first user file.
type KnownHosts struct {
	User   []string // read, and new keys are written to User[0]
	Global []string // read only
	// Hash records accepted keys under a hashed host name (HashKnownHosts).
	Hash bool
}

// DefaultKnownHosts are OpenSSH's defaults for a user whose home is home:
// ~/.ssh/known_hosts and ~/.ssh/known_hosts2, then /etc/ssh/ssh_known_hosts
// and /etc/ssh/ssh_known_hosts2.
func DefaultKnownHosts(home string) KnownHosts {
	return KnownHosts{
		User:   []string{filepath.Join(home, ".ssh", "known_hosts"), filepath.Join(home, ".ssh", "known_hosts2")},
		Global: []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"},
	}
}

// Files are the user files then the global files, without repeats.
func (k KnownHosts) Files() []string {
	var out []string
	for _, f := range append(append([]string(nil), k.User...), k.Global...) {
		if f != "" && !contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// key identifies the set of files (for sharing one HostKeys per set).
func (k KnownHosts) key() string {
	return strings.Join(k.User, "\x00") + "\x01" + strings.Join(k.Global, "\x00") + "\x01" + strconv.FormatBool(k.Hash)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// HostKeyError is a refused host key: unknown (in no known_hosts file) or
// changed (a known_hosts file has a different key for this host).
type HostKeyError struct {
	Host    string // host:port as dialled
	Changed bool
	Key     ssh.PublicKey
	// Files are the known_hosts files that were consulted.
	Files []string
	// OffendingAt are file:line of the keys known for the host (Changed).
	OffendingAt []string
	// offendingFile is the file of the first offending key.
	offendingFile string
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
			kt, e.Host, fp, strings.Join(e.OffendingAt, ", "), hostForKeygen(e.Host), e.offendingFile)
	}
	files := "no known_hosts file is configured"
	if len(e.Files) > 0 {
		files = "read " + strings.Join(e.Files, ", ")
	}
	return fmt.Sprintf("host key verification failed: %s is not in known_hosts (%s; %s key %s); "+
		"check the fingerprint and rerun with --accept-new-host-keys to trust it",
		e.Host, files, kt, fp)
}

func hostForKeygen(hostport string) string {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil || p == "22" {
		return h
	}
	return "[" + h + "]:" + p
}

// acceptLog remembers the keys accepted during one run, per file and host,
// so that every HostKeys writing to one file appends a host once and sees
// the others' acceptances.
type acceptLog struct {
	mu   sync.Mutex
	keys map[string]ssh.PublicKey // file \x00 host:port → key
}

// HostKeys checks server host keys against a set of known_hosts files. It
// is safe for concurrent use by many connections and parses the files once.
type HostKeys struct {
	Files     KnownHosts
	AcceptNew bool

	once    sync.Once
	loadErr error
	read    []string // the files consulted
	cb      ssh.HostKeyCallback
	probe   ssh.PublicKey
	log     *acceptLog
}

func (h *HostKeys) load() error {
	h.once.Do(func() {
		pub, _, _ := ed25519.GenerateKey(nil)
		h.probe, _ = ssh.NewPublicKey(pub)
		h.read = h.Files.Files()
		var present []string
		for _, f := range h.read {
			switch _, err := os.Stat(f); {
			case err == nil:
				present = append(present, f)
			case errors.Is(err, os.ErrNotExist):
			default:
				h.loadErr = fmt.Errorf("read known hosts %s: %w", f, err)
				return
			}
		}
		if len(present) == 0 {
			h.cb = func(string, net.Addr, ssh.PublicKey) error { return &knownhosts.KeyError{} }
			return
		}
		cb, err := knownhosts.New(present...)
		if err != nil {
			h.loadErr = fmt.Errorf("read known hosts: %w", err)
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
	add := func(a ...string) {
		for _, x := range a {
			if !contains(algos, x) {
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
			he := &HostKeyError{Host: hostport, Changed: true, Key: key, Files: h.read, offendingFile: ke.Want[0].Filename}
			for _, w := range ke.Want {
				he.OffendingAt = append(he.OffendingAt, fmt.Sprintf("%s:%d", w.Filename, w.Line))
			}
			return he
		}
		return h.acceptNew(hostport, key)
	}
}

// acceptNew decides on the key of a host that no file knows: refused,
// unless AcceptNew, when it is appended to the first user file once.
func (h *HostKeys) acceptNew(hostport string, key ssh.PublicKey) error {
	dest := ""
	if len(h.Files.User) > 0 {
		dest = h.Files.User[0]
	}
	l := h.log
	l.mu.Lock()
	defer l.mu.Unlock()
	id := dest + "\x00" + hostport
	if prev, ok := l.keys[id]; ok {
		if string(prev.Marshal()) == string(key.Marshal()) {
			return nil
		}
		return &HostKeyError{Host: hostport, Changed: true, Key: key, Files: h.read, offendingFile: dest,
			OffendingAt: []string{dest + " (accepted earlier in this run)"}}
	}
	if !h.AcceptNew {
		return &HostKeyError{Host: hostport, Key: key, Files: h.read}
	}
	if dest == "" {
		return fmt.Errorf("cannot record the new host key of %s: no user known_hosts file (UserKnownHostsFile is none)", hostport)
	}
	name := knownhosts.Normalize(hostport)
	if h.Files.Hash {
		name = knownhosts.HashHostname(name)
	}
	if err := appendKnownHost(dest, knownhosts.Line([]string{name}, key)); err != nil {
		return fmt.Errorf("accept new host key of %s: %w", hostport, err)
	}
	if l.keys == nil {
		l.keys = map[string]ssh.PublicKey{}
	}
	l.keys[id] = key
	return nil
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
