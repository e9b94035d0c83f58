package mesosctl

import (
	"crypto/ed25519"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestNodeOutsideInventory: a name the inventory does not list is noted as
// such, still reached through ssh_config (here: a closed loopback port), and
// its failure says both, over SSH and over HTTP.
func TestNodeOutsideInventory(t *testing.T) {
	dir := t.TempDir()
	sshConfig := filepath.Join(dir, "ssh_config")
	os.WriteFile(sshConfig, []byte("Host lxb009\n  HostName 127.0.250.9\n  Port 1\n"), 0o600)
	_, priv, _ := ed25519.GenerateKey(nil)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "id_ed25519")
	os.WriteFile(key, pem.EncodeToMemory(block), 0o600)
	cfg := testConfig(t, "defaults:\n  ssh_config: "+sshConfig+"\n  known_hosts: "+filepath.Join(dir, "known_hosts")+
		"\n  identity_file: "+key+"\n  agent_port: 1\nnodes:\n  - {name: lxb001, address: 127.0.250.1, ssh_port: 1}\n")
	t.Setenv("HOME", dir)
	t.Setenv("SSH_AUTH_SOCK", "")
	note := "lxb009: not in the inventory (" + cfg + ")"
	for _, args := range [][]string{
		{"ex", "lxb009", "true"},
		{"ex", "lxb00[1,9]", "true"},
		{"agent", "state", "lxb009"},
		{"login", "lxb009"},
	} {
		code, _, errOut := run(t, false, args...)
		if code == 0 || !strings.Contains(errOut, "mesosctl: lxb009 is not in the inventory ("+cfg+"): reaching it through ssh_config/DNS\n") ||
			!strings.Contains(errOut, note+", and reaching it through ssh_config/DNS failed: ") ||
			!strings.Contains(errOut, "127.0.250.9:1") || !strings.Contains(errOut, "connection refused") {
			t.Errorf("%q: exit %d, stderr:\n%s", args, code, errOut)
		}
		if strings.Contains(errOut, "lxb001 is not") {
			t.Errorf("%q: lxb001 is in the inventory:\n%s", args, errOut)
		}
	}
}
