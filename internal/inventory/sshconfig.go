package inventory

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// This file resolves what OpenSSH derives from ssh_config for one
// connection beyond HostName/User/Port/IdentityFile: the known_hosts files
// (UserKnownHostsFile, GlobalKnownHostsFile, HashKnownHosts) and the chain
// of jump hosts (ProxyJump).

// KnownHosts are the host-key files OpenSSH would read for a node.
type KnownHosts struct {
	// User are the UserKnownHostsFile files (default ~/.ssh/known_hosts,
	// ~/.ssh/known_hosts2); new keys are written to the first.
	User []string `json:"user"`
	// Global are the GlobalKnownHostsFile files (default
	// /etc/ssh/ssh_known_hosts, /etc/ssh/ssh_known_hosts2), read only.
	Global []string `json:"global"`
	// Hash is HashKnownHosts: new keys are recorded under a hashed name.
	Hash bool `json:"hash,omitempty"`
}

// Hop is one jump host on the way to a node (ssh_config ProxyJump),
// resolved like a node of its own: inventory entry, then ssh_config, then
// defaults; a user or port written in the ProxyJump value wins.
type Hop struct {
	Name          string     `json:"name"`    // as written in ProxyJump
	Address       string     `json:"address"` // host name or IP to dial
	SSHUser       string     `json:"ssh_user"`
	SSHPort       int        `json:"ssh_port"`
	IdentityFiles []string   `json:"identity_files,omitempty"`
	KnownHosts    KnownHosts `json:"known_hosts"`
}

// SSHAddr is host:port for SSH.
func (h Hop) SSHAddr() string { return net.JoinHostPort(h.Address, strconv.Itoa(h.SSHPort)) }

// maxJumpDepth bounds how deeply jump hosts may name jump hosts of their
// own (ProxyJump of a first hop), which also breaks cycles.
const maxJumpDepth = 8

// sshHost is what resolve finds for one destination.
type sshHost struct {
	address    string
	user       string
	port       int
	identities []string
	knownHosts KnownHosts
	proxyJump  string // raw ssh_config ProxyJump, "" for none
	// controlPath is ssh_config ControlPath, expanded; "" for none.
	controlPath string
}

// resolve looks name up as OpenSSH would look up a destination, with the
// inventory entry and defaults around it: user and port, when not empty,
// override everything (a ProxyJump's user@host:port).
func (inv *Inventory) resolve(name, user string, port int) (sshHost, error) {
	d := inv.cfg.Defaults
	c := inv.byName[name]
	h := sshHost{address: first(c.Address, inv.sshGet(name, "HostName"), name)}

	h.user = first(user, c.SSHUser, inv.sshGet(name, "User"), d.SSHUser, inv.CurrentUser)
	if h.user == "" {
		h.user = currentUser()
	}

	h.port = port
	if h.port == 0 {
		h.port = c.SSHPort
	}
	if h.port == 0 {
		if p := inv.sshGet(name, "Port"); p != "" {
			v, err := strconv.Atoi(p)
			if err != nil || v < 1 || v > 65535 {
				return sshHost{}, fmt.Errorf("ssh config Port %q is not a port number", p)
			}
			h.port = v
		}
	}
	if h.port == 0 {
		h.port = d.SSHPort
	}
	if h.port == 0 {
		h.port = DefaultSSHPort
	}

	var ids []string
	if c.IdentityFile != "" {
		ids = append(ids, c.IdentityFile)
	}
	ids = append(ids, inv.sshGetAll(name, "IdentityFile")...)
	if d.IdentityFile != "" {
		ids = append(ids, d.IdentityFile)
	}
	for _, id := range ids {
		id = inv.expandTilde(strings.Trim(id, `"`))
		if !contains(h.identities, id) {
			h.identities = append(h.identities, id)
		}
	}

	tk := inv.tokens(name, h)
	var err error
	if h.knownHosts, err = inv.knownHosts(name, tk); err != nil {
		return sshHost{}, err
	}
	if pj := inv.sshRaw(name, "ProxyJump"); pj != "" && !strings.EqualFold(pj, "none") {
		if h.proxyJump, err = tk.expand(pj, "hnpr"); err != nil {
			return sshHost{}, fmt.Errorf("ssh config ProxyJump %q: %v", pj, err)
		}
	}
	if cp := strings.Trim(inv.sshRaw(name, "ControlPath"), `"`); cp != "" && !strings.EqualFold(cp, "none") {
		// As ssh does: ~ first, then the %-tokens and ${VAR}.
		if h.controlPath, err = inv.expandPath(cp, tk); err != nil {
			return sshHost{}, fmt.Errorf("ssh config ControlPath %q: %v", cp, err)
		}
	}
	return h, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// knownHosts resolves the known_hosts files for a destination: the user
// files from defaults.known_hosts when set (like ssh -o
// UserKnownHostsFile=…), else ssh_config UserKnownHostsFile, else
// OpenSSH's default; the global files from GlobalKnownHostsFile, else
// OpenSSH's default. User files get ~ and %-token and ${VAR} expansion,
// global files none (as in OpenSSH). "none" means no file.
func (inv *Inventory) knownHosts(name string, tk sshTokens) (KnownHosts, error) {
	var kh KnownHosts
	val, from := inv.cfg.Defaults.KnownHostsFile, "known_hosts in "+orNone(inv.cfg.Path)
	if val == "" {
		val, from = inv.sshRaw(name, "UserKnownHostsFile"), "ssh config UserKnownHostsFile"
	}
	if val == "" {
		kh.User = []string{filepath.Join(inv.home, ".ssh", "known_hosts"), filepath.Join(inv.home, ".ssh", "known_hosts2")}
	} else {
		words, err := splitWords(val)
		if err != nil {
			return kh, fmt.Errorf("%s %q: %v", from, val, err)
		}
		if !(len(words) == 1 && words[0] == "none") {
			for _, w := range words {
				p, err := inv.expandPath(w, tk)
				if err != nil {
					return kh, fmt.Errorf("%s %q: %v", from, val, err)
				}
				kh.User = append(kh.User, p)
			}
		}
	}
	if val := inv.sshRaw(name, "GlobalKnownHostsFile"); val == "" {
		kh.Global = []string{"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"}
	} else {
		words, err := splitWords(val)
		if err != nil {
			return kh, fmt.Errorf("ssh config GlobalKnownHostsFile %q: %v", val, err)
		}
		if !(len(words) == 1 && words[0] == "none") {
			kh.Global = words
		}
	}
	kh.Hash = strings.EqualFold(inv.sshRaw(name, "HashKnownHosts"), "yes")
	return kh, nil
}

// expandPath expands a leading ~ or ~user, then %-tokens and ${VAR}, as
// OpenSSH does for UserKnownHostsFile.
func (inv *Inventory) expandPath(p string, tk sshTokens) (string, error) {
	if strings.HasPrefix(p, "~") {
		name, rest, _ := strings.Cut(p[1:], "/")
		home := inv.home
		if name != "" {
			u, err := user.Lookup(name)
			if err != nil {
				return "", fmt.Errorf("~%s: no such user", name)
			}
			home = u.HomeDir
		}
		p = home
		if rest != "" {
			p = filepath.Join(home, rest)
		}
	}
	return tk.expand(p, "CdhikLlnpru")
}

// sshTokens are the values of ssh_config's %-tokens for one destination.
type sshTokens struct {
	home, host, original, user, localUser, localHost string
	port, uid                                        int
	getenv                                           func(string) (string, bool)
}

func (inv *Inventory) tokens(name string, h sshHost) sshTokens {
	local, _ := os.Hostname()
	return sshTokens{home: inv.home, host: h.address, original: name, user: h.user, localUser: currentUser(),
		localHost: local, port: h.port, uid: os.Getuid(), getenv: os.LookupEnv}
}

// expand replaces %-tokens (only those in allowed are valid, as OpenSSH
// allows a different set per keyword) and ${VAR} environment references.
func (tk sshTokens) expand(s, allowed string) (string, error) {
	if !strings.ContainsAny(s, "%$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '$' && i+1 < len(s) && s[i+1] == '{' {
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return "", errors.New("unterminated ${")
			}
			name := s[i+2 : i+end]
			v, ok := tk.getenv(name)
			if !ok {
				return "", fmt.Errorf("environment variable %s is not set", name)
			}
			b.WriteString(v)
			i += end
			continue
		}
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return "", errors.New("'%' at the end")
		}
		i++
		t := s[i]
		if t != '%' && !strings.ContainsRune(allowed, rune(t)) {
			return "", fmt.Errorf("unknown token %%%c (allowed here: %%%%%s)", t, spaced(allowed))
		}
		switch t {
		case '%':
			b.WriteByte('%')
		case 'C':
			sum := sha1.Sum([]byte(tk.localHost + tk.host + strconv.Itoa(tk.port) + tk.user))
			b.WriteString(hex.EncodeToString(sum[:]))
		case 'd':
			b.WriteString(tk.home)
		case 'h':
			b.WriteString(tk.host)
		case 'i':
			b.WriteString(strconv.Itoa(tk.uid))
		case 'k', 'n':
			b.WriteString(tk.original)
		case 'L':
			short, _, _ := strings.Cut(tk.localHost, ".")
			b.WriteString(short)
		case 'l':
			b.WriteString(tk.localHost)
		case 'p':
			b.WriteString(strconv.Itoa(tk.port))
		case 'r':
			b.WriteString(tk.user)
		case 'u':
			b.WriteString(tk.localUser)
		}
	}
	return b.String(), nil
}

func spaced(tokens string) string {
	var out []string
	for _, t := range tokens {
		out = append(out, "%"+string(t))
	}
	return strings.Join(out, " ")
}

// splitWords splits an ssh_config value at white space, honouring double
// and single quotes and backslash escapes, as OpenSSH's argument splitting
// does.
func splitWords(s string) ([]string, error) {
	var words []string
	var b strings.Builder
	in := false // inside a word
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote, in = c, true
		case c == '\\' && i+1 < len(s) && quote != '\'':
			i++
			b.WriteByte(s[i])
			in = true
		case quote == 0 && (c == ' ' || c == '\t'):
			if in {
				words = append(words, b.String())
				b.Reset()
				in = false
			}
		default:
			b.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote")
	}
	if in {
		words = append(words, b.String())
	}
	return words, nil
}

// jumpChain resolves a ProxyJump value into the hops to pass, first hop
// first, as OpenSSH does: each hop is looked up as a destination of its
// own; the first hop's own ProxyJump (from ssh_config) leads to it, while
// the later hops' own ProxyJump settings do not apply (ssh reaches hop N
// through the hops before it in the list).
func (inv *Inventory) jumpChain(spec string, depth int) ([]Hop, error) {
	if depth >= maxJumpDepth {
		return nil, fmt.Errorf("ProxyJump nests more than %d jump hosts deep (a jump host that is reached through itself?)", maxJumpDepth)
	}
	var out []Hop
	for i, part := range strings.Split(spec, ",") {
		user, host, port, err := parseJump(strings.TrimSpace(part))
		if err != nil {
			return nil, err
		}
		h, err := inv.resolve(host, user, port)
		if err != nil {
			return nil, fmt.Errorf("jump host %s: %v", host, err)
		}
		if i == 0 && h.proxyJump != "" {
			before, err := inv.jumpChain(h.proxyJump, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, before...)
		}
		out = append(out, Hop{Name: host, Address: h.address, SSHUser: h.user, SSHPort: h.port,
			IdentityFiles: h.identities, KnownHosts: h.knownHosts})
	}
	return out, nil
}

// parseJump parses one ProxyJump hop: [user@]host[:port] or
// ssh://[user@]host[:port]. A port of 0 means "not given".
func parseJump(s string) (user, host string, port int, err error) {
	bad := func(why string) error {
		return fmt.Errorf("bad ProxyJump hop %q: %s (want [user@]host[:port] or ssh://[user@]host[:port])", s, why)
	}
	if s == "" {
		return "", "", 0, bad("empty")
	}
	rest := s
	if strings.HasPrefix(s, "ssh://") {
		u, perr := url.Parse(s)
		if perr != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
			return "", "", 0, bad("not an ssh:// URI without a path")
		}
		if u.User != nil {
			user = u.User.Username()
		}
		host = u.Hostname()
		if p := u.Port(); p != "" {
			if port, err = parsePort(p); err != nil {
				return "", "", 0, bad(err.Error())
			}
		}
	} else {
		if i := strings.LastIndex(rest, "@"); i >= 0 {
			user, rest = rest[:i], rest[i+1:]
			if user == "" {
				return "", "", 0, bad("empty user")
			}
		}
		host = rest
		if h, p, serr := net.SplitHostPort(rest); serr == nil {
			host = h
			if port, err = parsePort(p); err != nil {
				return "", "", 0, bad(err.Error())
			}
		} else if strings.HasPrefix(rest, "[") && strings.HasSuffix(rest, "]") {
			host = rest[1 : len(rest)-1]
		}
	}
	if host == "" {
		return "", "", 0, bad("no host")
	}
	return user, host, port, nil
}

func parsePort(p string) (int, error) {
	v, err := strconv.Atoi(p)
	if err != nil || v < 1 || v > 65535 {
		return 0, fmt.Errorf("port %q is not a port number", p)
	}
	return v, nil
}
