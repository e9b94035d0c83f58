package remote

import (
	"context"
	"testing"
)

// BenchmarkFanout8 runs `true` on 8 real sshd nodes per iteration, with
// fresh connections each time (a new Dialer), as one `mesosctl ex` would.
// scripts/bench/fanout.sh compares 64 nodes against pdsh and clush.
func BenchmarkFanout8(b *testing.B) {
	e := newEnvTB(b, 8, "127.0.217")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := &Dialer{KnownHostsFile: e.knownHosts, AgentSocket: "-"}
		res := (&Runner{Dial: d.Dial, Forget: d.Forget}).Run(context.Background(), e.targets, "true")
		d.Close()
		for _, r := range res {
			if r.Failed() {
				b.Fatalf("%s: %v", r.Node, r.Err)
			}
		}
	}
}
