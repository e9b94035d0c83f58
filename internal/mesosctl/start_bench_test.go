package mesosctl

import (
	"os"
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// startCase is one way the binary starts: the arguments reach the
// personality's own code and stop at its first error, before any work.
type startCase struct {
	name string
	args []string
}

var startCases = []startCase{
	{"exec", []string{"exec"}}, // the CLI: command tree, flags, usage error
	{"launch", []string{"containerizer", "launch", "--launch_info=/nonexistent/info"}}, // launchinfo.Direct: Load fails
	{"executor", []string{"executor", "--launch_info=/nonexistent/info"}},              // launchinfo.Direct: Load fails
	{"agentd", []string{"agentd", "--nosuchflag"}},                                     // agentd's Mesos flag table, then the unknown flag
}

// BenchmarkStart measures one start of the multi-call binary (static,
// CGO_ENABLED=0, as released) per personality, against an empty Go program
// built and run in the same run: wall time (p50), CPU (utime+stime, mean)
// and minor page faults (mean) per start, the cases interleaved.
// MESOSCTL_BENCH_BASE names a second mesosctl binary (e.g. main's, built by
// scripts/bench/start.sh) measured interleaved with this one, its metrics
// prefixed "base-". MESOSCTL_BENCH_STARTS sets the starts per case (200).
func BenchmarkStart(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "mesosctl")
	build := func(out string, pkg ...string) {
		cmd := osexec.Command("go", append([]string{"build", "-trimpath", "-o", out}, pkg...)...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		cmd.Dir = "../.."
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build %v: %v\n%s", pkg, err, o)
		}
	}
	build(bin, "./cmd/mesosctl")
	empty := filepath.Join(dir, "empty")
	src := filepath.Join(dir, "empty.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	build(empty, src)

	type target struct {
		prefix string
		bin    string
		cases  []startCase
	}
	targets := []target{{"", bin, startCases}}
	if base := os.Getenv("MESOSCTL_BENCH_BASE"); base != "" {
		targets = append(targets, target{"base-", base, startCases})
	}
	targets = append(targets, target{"", empty, []startCase{{"empty", nil}}})
	n := 200
	if s := os.Getenv("MESOSCTL_BENCH_STARTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("MESOSCTL_BENCH_STARTS=%q: want a positive number", s)
		}
	}
	type sample struct {
		wall   []time.Duration
		cpu    time.Duration
		faults int64
	}
	samples := map[string]*sample{}
	for i := 0; i < b.N; i++ {
		for round := 0; round < n; round++ {
			for _, t := range targets {
				for _, c := range t.cases {
					cmd := osexec.Command(t.bin, c.args...)
					start := time.Now()
					err := cmd.Run()
					wall := time.Since(start)
					if _, ok := err.(*osexec.ExitError); err != nil && !ok {
						b.Fatalf("%s %v: %v", t.bin, c.args, err)
					}
					ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
					key := t.prefix + c.name
					s := samples[key]
					if s == nil {
						s = &sample{}
						samples[key] = s
					}
					s.wall = append(s.wall, wall)
					s.cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
					s.faults += ru.Minflt
				}
			}
		}
	}
	keys := make([]string, 0, len(samples))
	for k := range samples {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := samples[k]
		sort.Slice(s.wall, func(i, j int) bool { return s.wall[i] < s.wall[j] })
		p50 := s.wall[(len(s.wall)-1)/2]
		cpu := float64(s.cpu) / float64(len(s.wall)) / 1e6
		faults := float64(s.faults) / float64(len(s.wall))
		b.ReportMetric(float64(p50)/1e6, k+"-p50-ms")
		b.ReportMetric(cpu, k+"-cpu-ms")
		b.ReportMetric(faults, k+"-faults")
		b.Logf("%-16s p50 %6.2f ms  CPU %6.2f ms  %5.0f page faults  (%d starts, %d cores)", k, float64(p50)/1e6, cpu, faults, len(s.wall), runtime.NumCPU())
	}
}
