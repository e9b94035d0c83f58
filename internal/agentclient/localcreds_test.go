package agentclient

import (
	"context"
	"net"
	"testing"
)

// TestIsLocalHost: the local credential goes only to agents of this host.
func TestIsLocalHost(t *testing.T) {
	ctx := context.Background()
	for host, want := range map[string]bool{"localhost": true, "127.0.0.1": true, "127.0.210.3": true, "::1": true,
		"192.0.2.1": false, "203.0.113.7": false} {
		if got := isLocalHost(ctx, host); got != want {
			t.Errorf("isLocalHost(%s) = %v, want %v", host, got, want)
		}
	}
	// An address of one of this host's interfaces is local.
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			if !isLocalHost(ctx, n.IP.String()) {
				t.Errorf("%s (an interface address) is not local", n.IP)
			}
		}
	}
}
