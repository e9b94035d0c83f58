package usage

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// PressureLevels are the memory pressure levels Mesos' cgroups/mem
// isolator listens on (cgroup v1 memory.pressure_level), in the order of
// the ResourceStatistics counters mem_low/medium/critical_pressure_counter.
var PressureLevels = [3]string{"low", "medium", "critical"}

// Pressure counts the memory pressure events of v1 memory cgroups, as
// Mesos' cgroups::memory::pressure::Counter does: one eventfd per level
// registered through cgroup.event_control, whose counts are summed from the
// moment the listener was created. The zero value is ready to use.
type Pressure struct {
	mu sync.Mutex
	m  map[string]*pressureCounter // by memory cgroup directory
}

type pressureCounter struct {
	fds   [3]int
	count [3]uint64
}

// Listen starts counting the pressure events of the memory cgroup dir (a
// no-op when already counting).
func (p *Pressure) Listen(dir string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.m[dir]; ok {
		return nil
	}
	c := &pressureCounter{fds: [3]int{-1, -1, -1}}
	for i, level := range PressureLevels {
		fd, err := listenPressure(dir, level)
		if err != nil {
			c.close()
			return fmt.Errorf("Failed to listen on '%s' memory pressure events of %s: %w", level, dir, err)
		}
		c.fds[i] = fd
	}
	if p.m == nil {
		p.m = map[string]*pressureCounter{}
	}
	p.m[dir] = c
	return nil
}

// listenPressure registers a non-blocking eventfd for level on dir's
// memory.pressure_level (the kernel's v1 notification API).
func listenPressure(dir, level string) (int, error) {
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return -1, err
	}
	pl, err := os.Open(filepath.Join(dir, "memory.pressure_level"))
	if err != nil {
		unix.Close(efd)
		return -1, err
	}
	defer pl.Close()
	ctl := fmt.Sprintf("%d %d %s", efd, pl.Fd(), level)
	if err := os.WriteFile(filepath.Join(dir, "cgroup.event_control"), []byte(ctl), 0); err != nil {
		unix.Close(efd)
		return -1, err
	}
	return efd, nil
}

// Counters returns the events counted so far for dir, per level of
// PressureLevels; ok is false when dir is not being listened on.
func (p *Pressure) Counters(dir string) (counts [3]uint64, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.m[dir]
	if !ok {
		return counts, false
	}
	var buf [8]byte
	for i, fd := range c.fds {
		// An eventfd read returns the events since the last read and
		// resets it; nothing new is EAGAIN.
		if n, err := unix.Read(fd, buf[:]); err == nil && n == 8 {
			c.count[i] += binary.NativeEndian.Uint64(buf[:])
		}
	}
	return c.count, true
}

// Close stops counting for dir.
func (p *Pressure) Close(dir string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.m[dir]; ok {
		c.close()
		delete(p.m, dir)
	}
}

func (c *pressureCounter) close() {
	for _, fd := range c.fds {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}
