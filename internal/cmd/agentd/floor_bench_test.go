package agentd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The machine's floor for agentd's process tree (issue #18): the tree a
// task needs — agent → `containerizer launch` → `executor` → `sh -c` →
// command — built of minimal static Go programs in place of the two
// helpers, started by the benchmark process in place of agentd.

// floorSource is the minimal helper: it starts its arguments (an absolute
// path, then its arguments) with fork+exec and waits for them. With
// -notify first it writes one byte to its stdout once the command has
// started (exec'd) — as the executor tells agentd TASK_RUNNING after its
// fork of `sh -c` — and hands the command /dev/null as stdout.
const floorSource = `package main

import (
	"os"
	"syscall"
)

func main() {
	args := os.Args[1:]
	notify := len(args) > 0 && args[0] == "-notify"
	if notify {
		args = args[1:]
	}
	files := []uintptr{0, 1, 2}
	if notify {
		null, err := syscall.Open("/dev/null", syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			os.Exit(1)
		}
		files[1] = uintptr(null)
	}
	pid, err := syscall.ForkExec(args[0], args, &syscall.ProcAttr{Env: os.Environ(), Files: files})
	if err != nil {
		os.Exit(1)
	}
	if notify {
		syscall.Write(1, []byte{1})
		syscall.Close(1)
	}
	var ws syscall.WaitStatus
	for {
		if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
			break
		}
	}
	os.Exit(ws.ExitStatus())
}
`

// buildFloor writes floorSource and builds it static (CGO_ENABLED=0, as
// make build builds mesosctl) into a temporary directory.
func buildFloor(b *testing.B) string {
	dir := b.TempDir()
	src := filepath.Join(dir, "floor.go")
	if err := os.WriteFile(src, []byte(floorSource), 0o644); err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(dir, "floor")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build the floor program: %v\n%s", err, out)
	}
	return bin
}

// floorChain is one started chain: floor (the launcher's place) → floor
// -notify (the executor's) → /bin/sh -c <command>, in its own process
// group.
type floorChain struct {
	cmd *exec.Cmd
}

// startFloorChain starts a chain and returns once the second floor program
// has started `sh -c` (its notification), with the time that took.
func startFloorChain(b *testing.B, bin, command string) (*floorChain, time.Duration) {
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(bin, bin, "-notify", "/bin/sh", "-c", command)
	cmd.Stdout = w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		w.Close()
		b.Fatal(err)
	}
	w.Close()
	var one [1]byte
	_, err = r.Read(one[:])
	d := time.Since(t0)
	c := &floorChain{cmd: cmd}
	if err != nil {
		c.kill()
		b.Fatalf("floor chain: no notification: %v", err)
	}
	return c, d
}

// kill ends the chain's whole process group and reaps its first process.
func (c *floorChain) kill() {
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	_ = c.cmd.Wait()
}

// floorLaunch is the floor of one launch through the tree: a chain to
// `sh -c 'sleep 3600'` started (as agentd's TASK_RUNNING), then killed.
func floorLaunch(b *testing.B, bin string) time.Duration {
	c, d := startFloorChain(b, bin, "sleep 3600")
	c.kill()
	return d
}

// floorThousand starts n chains to `sh -c 'sleep 600'` with 64 concurrent
// starters (as launchSleepers' 64 clients) and returns the time until
// every one has started its `sh -c`; then it kills them all.
func floorThousand(b *testing.B, bin string, n int) time.Duration {
	var mu sync.Mutex
	var chains []*floorChain
	defer func() {
		for _, c := range chains {
			c.kill()
		}
	}()
	ids := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range ids {
				c, _ := startFloorChain(b, bin, "sleep 600")
				mu.Lock()
				chains = append(chains, c)
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		ids <- i
	}
	close(ids)
	wg.Wait()
	return time.Since(start)
}

// loadAvg1 is the 1-minute load average.
func loadAvg1() float64 {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// cpuBusy is the share of all CPU time (/proc/stat) spent not idle over d.
func cpuBusy(d time.Duration) float64 {
	read := func() (busy, total uint64) {
		data, _ := os.ReadFile("/proc/stat")
		line, _, _ := strings.Cut(string(data), "\n")
		for i, f := range strings.Fields(line)[1:] {
			v, _ := strconv.ParseUint(f, 10, 64)
			if i >= 7 { // guest time is in user already
				break
			}
			total += v
			if i != 3 && i != 4 { // idle, iowait
				busy += v
			}
		}
		return busy, total
	}
	b0, t0 := read()
	time.Sleep(d)
	b1, t1 := read()
	if t1 == t0 {
		return 0
	}
	return float64(b1-b0) / float64(t1-t0)
}

// settle waits, at most max, until the machine is idle (under 10 % of
// all CPU busy over one second) and returns the time it waited and the
// busy share of its last second.
func settle(max time.Duration) (time.Duration, float64) {
	t0 := time.Now()
	for {
		busy := cpuBusy(time.Second)
		if busy < 0.10 || time.Since(t0) >= max {
			return time.Since(t0), busy
		}
	}
}
