package testcluster

import (
	"testing"
	"time"
)

// BenchmarkStartDown4Nodes measures bringing a 4-node cluster up (nodes,
// sshd answering, ZooKeeper answering ruok; with the agent: every agentd
// answering /state) and tearing it down.
func BenchmarkStartDown4Nodes(b *testing.B) {
	for _, bc := range []struct {
		name    string
		noAgent bool
	}{{"no-agent", true}, {"agentd", false}} {
		b.Run(bc.name, func(b *testing.B) {
			var up, down time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				c, err := Start(Options{Binaries: bins, NoAgent: bc.noAgent, Subnet: "127.0.205", KillWithParent: true})
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := c.Down(); err != nil {
					b.Fatal(err)
				}
				up += t1.Sub(t0)
				down += time.Since(t1)
			}
			b.ReportMetric(up.Seconds()/float64(b.N), "s-up/op")
			b.ReportMetric(down.Seconds()/float64(b.N), "s-down/op")
		})
	}
}
