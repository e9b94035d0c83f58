package dockerd

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"
)

// Run with: flock /work/.testlock go test -run '^$' -bench . -benchtime 30x ./internal/testutil/dockerd

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p)
	return s[i]
}

func reportLatency(b *testing.B, ds []time.Duration) {
	b.ReportMetric(float64(percentile(ds, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(ds, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkEngineStart: a new engine in a new directory until /_ping
// answers (start), the test image imported (import), and Stop (stop).
func BenchmarkEngineStart(b *testing.B) {
	var start, imp, stop []time.Duration
	for b.Loop() {
		e, err := launchTemp("")
		if err != nil {
			b.Fatal(err)
		}
		start = append(start, e.StartupTime)
		t0 := time.Now()
		if err := e.EnsureImage(context.Background()); err != nil {
			b.Fatal(err)
		}
		imp = append(imp, time.Since(t0))
		t0 = time.Now()
		if err := stopTemp(e); err != nil {
			b.Fatal(err)
		}
		stop = append(stop, time.Since(t0))
	}
	b.ReportMetric(float64(percentile(start, 0.5).Microseconds())/1000, "start-p50-ms")
	b.ReportMetric(float64(percentile(start, 0.99).Microseconds())/1000, "start-p99-ms")
	b.ReportMetric(float64(percentile(imp, 0.5).Microseconds())/1000, "import-p50-ms")
	b.ReportMetric(float64(percentile(stop, 0.5).Microseconds())/1000, "stop-p50-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkRunTrivial: `docker run --rm --network=none IMAGE true`, from
// exec of the client to its exit.
func BenchmarkRunTrivial(b *testing.B) {
	benchRun(b, "--network=none")
}

// BenchmarkRunTrivialHostNetwork: the same with --network=host.
func BenchmarkRunTrivialHostNetwork(b *testing.B) {
	benchRun(b, "--network=host")
}

func benchRun(b *testing.B, network string) {
	e := Shared(b)
	var ds []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := e.Output(context.Background(), "run", "--rm", network, Image, "true"); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
	}
	reportLatency(b, ds)
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		b.Logf("load average at the end: %s", load)
	}
}
