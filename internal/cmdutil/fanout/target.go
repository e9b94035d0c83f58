package fanout

import (
	"github.com/mesosctl/mesosctl/internal/inventory"
	"github.com/mesosctl/mesosctl/internal/remote"
)

// Target is the SSH target of a resolved node: its address, user, keys,
// known_hosts files and chain of jump hosts.
func Target(n inventory.Node) remote.Target {
	t := remote.Target{Name: n.Name, Addr: n.SSHAddr(), User: n.SSHUser, IdentityFiles: n.IdentityFiles,
		KnownHosts: knownHosts(n.KnownHosts), ControlPath: n.ControlPath}
	for _, h := range n.Jumps {
		t.Jumps = append(t.Jumps, remote.Target{Name: h.Name, Addr: h.SSHAddr(), User: h.SSHUser,
			IdentityFiles: h.IdentityFiles, KnownHosts: knownHosts(h.KnownHosts)})
	}
	return t
}

func knownHosts(k inventory.KnownHosts) *remote.KnownHosts {
	return &remote.KnownHosts{User: k.User, Global: k.Global, Hash: k.Hash}
}
