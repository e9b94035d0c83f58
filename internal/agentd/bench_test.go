package agentd

import (
	"context"
	"io"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/flags"
)

// BenchmarkStateConcurrent measures GET /state latency with 50 concurrent
// clients on loopback against a running agent; reports p50/p99 in ms.
func BenchmarkStateConcurrent(b *testing.B) {
	v, err := flags.Load([]string{"--work_dir=" + b.TempDir(), "--runtime_dir=" + b.TempDir(), "--config_dir=", "--ip=127.0.0.1", "--port=0",
		"--attributes=rack:3;os:centos7", "--resources=cpus:8;mem:16384;disk:100000"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := NewConfig(v)
	if err != nil {
		b.Fatal(err)
	}
	ready := make(chan string, 1)
	cfg.Ready = func(a string) { ready <- a }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	defer func() { cancel(); <-done }()
	addr := <-ready
	url := "http://" + addr + "/state"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	const clients = 50
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	work := make(chan struct{}, b.N)
	for i := 0; i < b.N; i++ {
		work <- struct{}{}
	}
	close(work)
	b.ResetTimer()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				t0 := time.Now()
				resp, err := client.Get(url)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}
