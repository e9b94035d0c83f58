package remote

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress draws a one-line fan-out status on a terminal's stderr
// ("12/64 done, 1 failed, slowest: lxb017 3.2s"), redrawn in place, shown
// only after Delay, and erased by Stop.
type Progress struct {
	W        io.Writer
	Names    []string
	Delay    time.Duration // default 1s
	Interval time.Duration // default 100ms
	Width    int           // truncate the line to this many columns (0: 80)

	mu      sync.Mutex
	running map[int]time.Time
	done    int
	failed  int
	drawn   bool
	shown   bool
	stop    chan struct{}
	stopped chan struct{}
}

// Start begins drawing after Delay.
func (p *Progress) Start() {
	if p.Delay == 0 {
		p.Delay = time.Second
	}
	if p.Interval == 0 {
		p.Interval = 100 * time.Millisecond
	}
	p.running = map[int]time.Time{}
	p.stop = make(chan struct{})
	p.stopped = make(chan struct{})
	go p.loop()
}

func (p *Progress) loop() {
	defer close(p.stopped)
	select {
	case <-p.stop:
		return
	case <-time.After(p.Delay):
	}
	tk := time.NewTicker(p.Interval)
	defer tk.Stop()
	for {
		p.mu.Lock()
		p.shown = true
		p.draw()
		p.mu.Unlock()
		select {
		case <-p.stop:
			return
		case <-tk.C:
		}
	}
}

// NodeStarted records that node i began.
func (p *Progress) NodeStarted(i int) {
	p.mu.Lock()
	p.running[i] = time.Now()
	p.mu.Unlock()
}

// NodeDone records that node i finished.
func (p *Progress) NodeDone(i int, failed bool) {
	p.mu.Lock()
	delete(p.running, i)
	p.done++
	if failed {
		p.failed++
	}
	p.mu.Unlock()
}

// Line is the current status text.
func (p *Progress) Line() string {
	s := fmt.Sprintf("%d/%d done", p.done, len(p.Names))
	if p.failed > 0 {
		s += fmt.Sprintf(", %d failed", p.failed)
	}
	slowest, since := -1, time.Time{}
	for i, t := range p.running {
		if slowest < 0 || t.Before(since) || (t.Equal(since) && i < slowest) {
			slowest, since = i, t
		}
	}
	if slowest >= 0 {
		s += fmt.Sprintf(", slowest: %s %.1fs", p.Names[slowest], time.Since(since).Seconds())
	}
	w := p.Width
	if w <= 0 {
		w = 80
	}
	if len(s) > w-1 {
		s = s[:w-1]
	}
	return s
}

func (p *Progress) draw() {
	fmt.Fprintf(p.W, "\r\x1b[K%s", p.Line())
	p.drawn = true
}

func (p *Progress) erase() {
	if p.drawn {
		io.WriteString(p.W, "\r\x1b[K")
		p.drawn = false
	}
}

// Suspend erases the line and runs fn (which prints); the next tick
// redraws the line below what fn printed.
func (p *Progress) Suspend(fn func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.erase()
	fn()
}

// Stop stops drawing and erases the line.
func (p *Progress) Stop() {
	close(p.stop)
	<-p.stopped
	p.mu.Lock()
	p.erase()
	p.mu.Unlock()
}
