package inventory

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/config"
)

func invWith(t *testing.T, sshConfig string, d config.Defaults) (*Inventory, string) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "ssh_config")
	if err := os.WriteFile(p, []byte(sshConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	d.SSHConfigFile = p
	inv, err := New(&config.Config{Defaults: d})
	if err != nil {
		t.Fatal(err)
	}
	return inv, p
}

// TestKnownHostsAsOpenSSH compares the known_hosts files resolved for
// several hosts with what OpenSSH's own client resolves (ssh -G) from the
// same ssh_config: lists, ~, %-tokens, ${VAR} and none; and the
// ControlPath the same way (%C, ~, none, quoted).
func TestKnownHostsAsOpenSSH(t *testing.T) {
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		t.Fatal("OpenSSH client not found: install the Debian package openssh-client (scripts/install-deps.sh)")
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("USER", u.Username)
	t.Setenv("MESOSCTL_TEST_KH", "/from/env")
	cfg := `
Host plain
  HostName 10.0.0.1

Host list
  HostName 10.0.0.2
  UserKnownHostsFile ~/kh1 %d/kh2 "/with space/kh3"
  GlobalKnownHostsFile /g1 /g2

Host tokens
  HostName 10.0.0.3
  User bob
  Port 2222
  UserKnownHostsFile /kh/%h-%p-%r-%n-%k-%u-%i-%%-%L-%l /kh/%C ${MESOSCTL_TEST_KH}/kh ~` + u.Username + `/kh
  ControlPath ~/.ssh/cm-%C-%r@%h:%p

Host nouser
  UserKnownHostsFile none
  GlobalKnownHostsFile none
  ControlPath none

Host quoted
  HostName 10.0.0.4
  ControlPath "/tmp/cm dir/%h-%p"

Host *
  Port 2200
`
	inv, path := invWith(t, cfg, config.Defaults{})
	inv.home = u.HomeDir // OpenSSH uses the passwd entry's home, not $HOME
	for _, host := range []string{"plain", "list", "tokens", "nouser", "quoted", "unlisted"} {
		out, err := exec.Command(ssh, "-G", "-F", path, host).Output()
		if err != nil {
			t.Fatalf("ssh -G %s: %v", host, err)
		}
		var wantUser, wantGlobal []string
		wantCP := ""
		for _, l := range strings.Split(string(out), "\n") {
			k, v, _ := strings.Cut(l, " ")
			switch k {
			case "controlpath":
				wantCP = v
			case "userknownhostsfile":
				wantUser = strings.Fields(v)
			case "globalknownhostsfile":
				wantGlobal = strings.Fields(v)
			}
		}
		if host == "list" { // ssh -G does not quote the file with a space
			wantUser = append(wantUser[:2], "/with space/kh3")
		}
		for _, w := range []*[]string{&wantUser, &wantGlobal} {
			if slices.Equal(*w, []string{"none"}) {
				*w = nil
			}
		}
		n, err := inv.Node(host)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(n.KnownHosts.User, wantUser) || !slices.Equal(n.KnownHosts.Global, wantGlobal) {
			t.Errorf("%s: known hosts\n user %q\n global %q\nssh -G says\n user %q\n global %q",
				host, n.KnownHosts.User, n.KnownHosts.Global, wantUser, wantGlobal)
		}
		if n.ControlPath != wantCP {
			t.Errorf("%s: ControlPath %q, ssh -G says %q", host, n.ControlPath, wantCP)
		}
	}
}

func TestKnownHostsOverridesAndErrors(t *testing.T) {
	home, _ := os.UserHomeDir()
	cfg := `
Host lxb*
  UserKnownHostsFile /ssh/kh
  HashKnownHosts yes
Host badtoken
  UserKnownHostsFile /kh/%f
Host badenv
  UserKnownHostsFile ${MESOSCTL_NO_SUCH_VAR}/kh
Host badquote
  UserKnownHostsFile "/kh
`
	inv, _ := invWith(t, cfg, config.Defaults{})
	n, err := inv.Node("lxb001")
	if err != nil || !slices.Equal(n.KnownHosts.User, []string{"/ssh/kh"}) || !n.KnownHosts.Hash {
		t.Errorf("ssh config: %+v %v", n.KnownHosts, err)
	}
	// defaults.known_hosts takes the place of UserKnownHostsFile (a list,
	// ~ expanded), as ssh -o UserKnownHostsFile=… would.
	inv, _ = invWith(t, cfg, config.Defaults{KnownHostsFile: "~/a /b"})
	n, err = inv.Node("lxb001")
	if err != nil || !slices.Equal(n.KnownHosts.User, []string{filepath.Join(home, "a"), "/b"}) {
		t.Errorf("defaults.known_hosts: %+v %v", n.KnownHosts, err)
	}
	inv, _ = invWith(t, cfg, config.Defaults{})
	for host, want := range map[string]string{
		"badtoken": `node badtoken: ssh config UserKnownHostsFile "/kh/%f": unknown token %f`,
		"badenv":   `environment variable MESOSCTL_NO_SUCH_VAR is not set`,
		"badquote": `unterminated quote`,
	} {
		if _, err := inv.Node(host); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", host, err, want)
		}
	}
}

func TestProxyJumpChain(t *testing.T) {
	cfg := `
Host a
  HostName 10.0.0.1
  User ua
  Port 2201
  ProxyJump pre
Host pre
  HostName 10.0.0.9
Host b
  HostName 10.0.0.2
  ProxyJump ignored
Host c
  HostName 10.0.0.3
  UserKnownHostsFile /kh/%h-%p-%r
Host node1
  HostName 10.1.0.1
  ProxyJump a,u2@b:2202,ssh://u3@c:2203
Host node2
  HostName 10.1.0.2
  User n2
  ProxyJump j-%h-%n-%p-%r
Host node3
  ProxyJump b
Host node4 nojump
  ProxyJump none
Host loop1
  ProxyJump loop2
Host loop2
  ProxyJump loop1
Host bad1
  ProxyJump a,,b
Host bad2
  ProxyJump ssh://a/path
Host bad3
  ProxyJump a:99999
Host bad4
  ProxyJump a,%x
`
	inv, _ := invWith(t, cfg, config.Defaults{SSHUser: "ops", KnownHostsFile: "/kh/default"})
	type hop struct {
		name, addr, user string
		kh               []string
	}
	chain := func(name string) []hop {
		t.Helper()
		n, err := inv.Node(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var out []hop
		for _, h := range n.Jumps {
			out = append(out, hop{h.Name, h.SSHAddr(), h.SSHUser, h.KnownHosts.User})
		}
		return out
	}
	kh := []string{"/kh/default"}
	want := []hop{
		{"pre", "10.0.0.9:22", "ops", kh}, // the first hop's own ProxyJump leads to it
		{"a", "10.0.0.1:2201", "ua", kh},  // ssh_config of the hop
		{"b", "10.0.0.2:2202", "u2", kh},  // user and port of the ProxyJump value win; b's own ProxyJump is not used
		{"c", "10.0.0.3:2203", "u3", kh},  // ssh:// form
	}
	if got := chain("node1"); !reflect.DeepEqual(got, want) {
		t.Errorf("node1 chain\n %v\nwant\n %v", got, want)
	}
	// defaults.known_hosts applies to hops too; without it, their own
	// UserKnownHostsFile, with their own tokens.
	inv, _ = invWith(t, cfg, config.Defaults{SSHUser: "ops"})
	if got := chain("node1"); len(got) != 4 || !slices.Equal(got[3].kh, []string{"/kh/10.0.0.3-2203-u3"}) {
		t.Errorf("hop c known hosts: %v", got)
	}
	if got := chain("node2"); len(got) != 1 || got[0].name != "j-10.1.0.2-node2-22-n2" {
		t.Errorf("node2 (tokens) chain: %v", got)
	}
	if got := chain("node3"); len(got) != 2 || got[0].name != "ignored" || got[1].name != "b" {
		t.Errorf("node3 (a single hop's own ProxyJump applies) chain: %v", got)
	}
	if got := chain("node4"); got != nil {
		t.Errorf("ProxyJump none: %v", got)
	}
	for host, msg := range map[string]string{
		"loop1": "nests more than 8 jump hosts deep",
		"bad1":  `bad ProxyJump hop "": empty`,
		"bad2":  `bad ProxyJump hop "ssh://a/path"`,
		"bad3":  `port "99999" is not a port number`,
		"bad4":  `unknown token %x`,
	} {
		if _, err := inv.Node(host); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: err = %v, want %q", host, err, msg)
		}
	}
}

// TestSystemSSHConfig: without a configured ssh_config, ~/.ssh/config is
// read first and /etc/ssh/ssh_config after it (first value wins), as ssh
// does; a configured ssh_config is read alone, as with ssh -F.
func TestSystemSSHConfig(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte("Host lxb*\n  User fromuser\n"), 0o600)
	sys := filepath.Join(t.TempDir(), "ssh_config")
	os.WriteFile(sys, []byte("Host *\n  User fromsystem\n  Port 2022\n  GlobalKnownHostsFile /sys/kh\n  HashKnownHosts yes\n"), 0o600)
	defer func(old string) { SystemSSHConfig = old }(SystemSSHConfig)
	SystemSSHConfig = sys

	inv, err := New(&config.Config{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := inv.Node("lxb001")
	if err != nil || n.SSHUser != "fromuser" || n.SSHPort != 2022 || !slices.Equal(n.KnownHosts.Global, []string{"/sys/kh"}) || !n.KnownHosts.Hash {
		t.Errorf("user then system config: %+v %v", n, err)
	}
	inv, _ = invWith(t, "", config.Defaults{})
	if n, _ := inv.Node("lxb001"); n.SSHPort != 22 || n.KnownHosts.Hash {
		t.Errorf("configured ssh_config read the system file too: %+v", n)
	}
}

func TestSplitWords(t *testing.T) {
	for in, want := range map[string][]string{
		`a b`:       {"a", "b"},
		`  a   b  `: {"a", "b"},
		`"a b" c`:   {"a b", "c"},
		`'a "b' c`:  {`a "b`, "c"},
		`a\ b`:      {"a b"},
		`""`:        {""},
		`x"y z"`:    {"xy z"},
		"a\tb":      {"a", "b"},
		`'a\b'`:     {`a\b`},
	} {
		got, err := splitWords(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
