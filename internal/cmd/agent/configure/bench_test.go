package configure_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
	"github.com/mesosctl/mesosctl/internal/testcluster"
)

// BenchmarkSetAttribute measures `mesosctl agent set-attributes` end to end,
// until every node's /state shows the new value: on 64 agentd nodes through
// the live API (no restart), and on 16 nodes through the SSH + restart path
// (--restart: write the flag file, clear latest under the default equal
// policy, systemctl restart, wait for /health, verify). Run with
//
//	go test -run '^$' -bench SetAttribute -benchtime 3x ./internal/cmd/agent/configure/
func BenchmarkSetAttribute(b *testing.B) {
	// One 64-node cluster for both cases (sub-benchmarks run more than
	// once; the cluster is started once, here).
	tmp := b.TempDir()
	bins, err := testcluster.Build(tmp)
	if err != nil {
		b.Fatal(err)
	}
	c, err := testcluster.Start(testcluster.Options{Dir: filepath.Join(tmp, "cluster"), Nodes: 64, Binaries: bins,
		Subnet: "127.0.212", KillWithParent: true, Timeout: 2 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := c.Down(); err != nil {
			b.Error(err)
		}
	})
	b.Setenv("MESOSCTL_CONFIG", c.ConfigFile)
	b.Setenv("NODES", "")
	b.Setenv("SSH_AUTH_SOCK", "")
	round := 0
	for _, bc := range []struct {
		name  string
		nodes int
		extra []string
	}{{"live-64", 64, nil}, {"restart-16", 16, []string{"--restart"}}} {
		b.Run(bc.name, func(b *testing.B) {
			set := fmt.Sprintf("lxb[001-%03d]", bc.nodes)
			for i := 0; i < b.N; i++ {
				round++
				value := fmt.Sprintf("bench%d", round)
				ios, _, _, errOut := iostreams.Test()
				args := append([]string{"mesosctl", "agent", "set-attributes", set, "round:" + value}, bc.extra...)
				if code := mesosctl.Run(context.Background(), ios, args); code != 0 {
					b.Fatalf("exit %d: %s", code, errOut)
				}
				waitAll(b, c.Nodes[:bc.nodes], c.AgentPort, value)
			}
			b.ReportMetric(float64(bc.nodes), "nodes")
		})
	}
}

// waitAll returns once every node's /state shows round:value.
func waitAll(b *testing.B, nodes []testcluster.Node, port int, value string) {
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Add(1)
		go func(ip string) {
			defer wg.Done()
			url := fmt.Sprintf("http://%s:%d/state", ip, port)
			for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				resp, err := http.Get(url)
				if err != nil {
					continue
				}
				var st struct {
					Attributes map[string]any `json:"attributes"`
				}
				err = json.NewDecoder(resp.Body).Decode(&st)
				resp.Body.Close()
				if err == nil && st.Attributes["round"] == value {
					return
				}
			}
			b.Errorf("%s: /state never showed round:%s", ip, value)
		}(n.IP)
	}
	wg.Wait()
}
