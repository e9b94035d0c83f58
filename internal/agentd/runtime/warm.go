package runtime

import (
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/launcher"
	"github.com/mesosctl/mesosctl/internal/procfs"
)

// Warm launcher+executor pairs (--mesosctl_warm_launchers).
//
// A launch of a command task waits, on the cold path, for two starts of
// the multi-call binary in series (the launcher, then the executor it
// forks), ≈ 50 ms of CPU on a small VM. agentd keeps WarmLaunchers pairs
// (from its first launch of a command task on) started ahead instead (launcher.RunWarm): each with the container ID it
// will have, waiting on its handshake descriptor, whose write end only
// agentd holds (close-on-exec: no other child inherits it). A launch
// takes one, checkpoints as a cold launch does (the pid file records the
// pair's launcher) and then writes the "go". A new pair is started in the
// background once that launch's task runs (or ended, or the launch failed):
// on a small machine a start competes for the CPU with the launch it would
// otherwise overlap. A pair never taken exits when agentd closes the descriptor,
// stops, or dies: it holds nothing of a container.

// warmPair is one pre-started launcher (and, below it, its executor).
type warmPair struct {
	cid    string
	cmd    *exec.Cmd
	start  uint64   // the launcher's start time (procfs)
	gate   *os.File // the write end of the launcher's HandshakeFD
	exited chan struct{}
}

// abort lets an untaken pair (or one taken by a launch that failed before
// it was recorded) go without a "go", and waits until its launcher exits.
func (p *warmPair) abort() {
	p.gate.Close()
	<-p.exited
}

// dead reports whether the pair's launcher has exited.
func (p *warmPair) dead() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// warmPool holds the idle pairs.
type warmPool struct {
	want int
	kick chan struct{}
	// starting is held while a pair is started and until it is idle, so
	// that warmPIDs knows every pair agentd has as a child.
	starting sync.Mutex

	mu   sync.Mutex
	idle []*warmPair
	// active: a command task was launched; until then no pair is started
	// (an agent that runs no command task keeps none).
	active bool
	// pending counts the pairs taken by launches whose tasks do not run
	// yet: their replacements wait (refillLocked).
	pending int
	closed  bool
	failed  bool // the last start failed (logged once until one succeeds)
}

// startWarmPair starts one pair: `containerizer launch
// --launch_info=<runtime_dir>/containers/<cid>/launch_warm` (launch_info
// once it is taken: launcher.WarmInfoArg) in its own
// session, with PATH, HelperEnv and WarmEnv only, its stdin, stdout and
// stderr /dev/null until it learns its sandbox.
func (r *Runtime) startWarmPair() (*warmPair, error) {
	cid := NewID()
	hsRead, hsWrite, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	arg := launcher.WarmInfoArg(filepath.Join(r.paths.Runtime(cid), "launch_info"))
	cmd := exec.Command(r.cfg.Executable, "containerizer", "launch", "--launch_info="+arg)
	cmd.Dir = "/"
	cmd.Env = launcher.WarmHelperEnv()
	cmd.ExtraFiles = []*os.File{hsRead} // fd 3 = launcher.HandshakeFD
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	hsRead.Close()
	if err != nil {
		hsWrite.Close()
		return nil, err
	}
	st, _ := procfs.StartTime(cmd.Process.Pid)
	p := &warmPair{cid: cid, cmd: cmd, start: st, gate: hsWrite, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// takeWarm returns an idle pair for a launch (nil: none, launch cold).
// Pairs that died while idle are dropped (and replaced at once). owe says
// that the launch is to let the pool start a pair once its task runs
// (refillLocked): the replacement of the pair it took, or, for the first
// launch of a command task, the pool's first pairs.
func (r *Runtime) takeWarm() (p *warmPair, owe bool) {
	w := r.warm
	if w == nil {
		return nil, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.active {
		w.active = true
		w.pending++
		return nil, true
	}
	dropped := false
	for len(w.idle) > 0 && p == nil {
		p, w.idle = w.idle[0], w.idle[1:]
		if p.dead() {
			p.gate.Close()
			p, dropped = nil, true
		}
	}
	if p != nil {
		w.pending++
	}
	if dropped || p == nil {
		w.wake()
	}
	return p, p != nil
}

// refillLocked lets the pool replace the pair c's launch took, if it took
// one and has not yet (its task runs or ended, or the launch failed). Call
// with r.mu held.
func (r *Runtime) refillLocked(c *container) {
	if !c.refill || r.warm == nil {
		return
	}
	c.refill = false
	r.warm.mu.Lock()
	r.warm.pending--
	r.warm.mu.Unlock()
	r.warm.wake()
}

func (w *warmPool) wake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// warmPIDs are the launchers of the idle pairs.
func (r *Runtime) warmPIDs() map[int]bool {
	out := map[int]bool{}
	if r.warm == nil {
		return out
	}
	r.warm.starting.Lock()
	defer r.warm.starting.Unlock()
	r.warm.mu.Lock()
	defer r.warm.mu.Unlock()
	for _, p := range r.warm.idle {
		out[p.cmd.Process.Pid] = true
	}
	return out
}

// keepWarm keeps the pool full until r.stop: after each take, and every
// tick (a pair that died while idle is replaced).
func (r *Runtime) keepWarm() {
	w := r.warm
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		w.mu.Lock()
		live := w.idle[:0]
		for _, p := range w.idle {
			if p.dead() {
				p.gate.Close()
				continue
			}
			live = append(live, p)
		}
		w.idle = live
		need := w.want - len(w.idle) - w.pending
		if w.closed || !w.active {
			need = 0
		}
		w.mu.Unlock()
		for ; need > 0; need-- {
			w.starting.Lock()
			p, err := r.startWarmPair()
			w.mu.Lock()
			if err != nil {
				if !w.failed {
					r.logf(slog.LevelWarn, "Cannot pre-start a container launcher (launches start one each until this works again): %v", err)
				}
				w.failed = true
				w.mu.Unlock()
				w.starting.Unlock()
				break
			}
			w.failed = false
			if w.closed {
				w.mu.Unlock()
				w.starting.Unlock()
				p.abort()
				return
			}
			w.idle = append(w.idle, p)
			w.mu.Unlock()
			w.starting.Unlock()
		}
		select {
		case <-r.stop:
			return
		case <-w.kick:
		case <-t.C:
		}
	}
}

// stopWarm ends the idle pairs (they exit without a trace) and waits a
// while for them.
func (r *Runtime) stopWarm() {
	w := r.warm
	if w == nil {
		return
	}
	w.mu.Lock()
	idle := w.idle
	w.idle, w.closed = nil, true
	w.mu.Unlock()
	for _, p := range idle {
		p.gate.Close()
	}
	deadline := time.After(5 * time.Second)
	for _, p := range idle {
		select {
		case <-p.exited:
		case <-deadline:
			return
		}
	}
}
