package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/mesosctl/mesosctl/internal/parallel"
)

// Errors a Result can carry besides connection failures.
var (
	ErrTimeout   = errors.New("timed out")
	ErrCancelled = errors.New("cancelled")
)

// Result is what happened on one node.
type Result struct {
	Node     string
	Target   Target
	ExitCode int // remote exit status; -1 when the command did not finish
	Stdout   []byte
	Stderr   []byte
	Start    time.Time
	Duration time.Duration
	Retries  int   // how many times it was tried again after a connection failure
	Err      error // connection, auth, host key, timeout or cancellation; nil when the command ran
}

// Failed reports whether the node did not run the command to a zero exit.
func (r *Result) Failed() bool { return r.Err != nil || r.ExitCode != 0 }

// Runner runs one command on many targets.
type Runner struct {
	// Concurrency bounds how many nodes are worked on at once (default
	// parallel.DefaultLimit).
	Concurrency int
	// Timeout bounds each node's connect plus command; 0 means none.
	Timeout time.Duration
	// Transport runs the commands. When nil, Dial (and Forget) give a
	// connection of its own per target, as the Dialer does.
	Transport Transport
	// Dial connects to a target (usually (*Dialer).Dial); used only when
	// Transport is nil.
	Dial func(context.Context, Target) (*ssh.Client, error)
	// Forget drops a connection left in an unknown state (optional; with
	// Dial only).
	Forget func(Target)
	// Root runs the commands as root (through `sudo -n` where the SSH user
	// is not root).
	Root bool
	// Retry is how many more times a node is tried after a
	// connection-level failure (Retryable), waiting RetryBackoff (default
	// 500ms), then twice as long each time, at most 8s. A command that
	// started is never run again.
	Retry        int
	RetryBackoff time.Duration
	// Output, when set, gives the writers that receive node i's stdout and
	// stderr as it arrives. Nil writers discard.
	Output func(i int) (stdout, stderr io.Writer)
	// NoCapture leaves Result.Stdout/Stderr empty (the output goes only to
	// Output's writers, which bound the memory they use).
	NoCapture bool
	// OnStart and OnDone are called as each node starts and finishes
	// (from worker goroutines).
	OnStart func(i int)
	OnDone  func(i int, r *Result)
}

// Run runs cmd on every target and returns the results in target order.
// Cancelling ctx ends the commands (and their process groups on the
// nodes); unfinished nodes report ErrCancelled.
func (r *Runner) Run(ctx context.Context, targets []Target, cmd string) []Result {
	return r.RunEach(ctx, targets, func(int) string { return cmd })
}

// RunEach is Run with a command per target.
func (r *Runner) RunEach(ctx context.Context, targets []Target, cmdOf func(i int) string) []Result {
	results := make([]Result, len(targets))
	for i, t := range targets {
		results[i] = Result{Node: t.Name, Target: t, ExitCode: -1}
	}
	started := make([]bool, len(targets))
	err := parallel.Each(ctx, r.Concurrency, len(targets), func(ctx context.Context, i int) {
		started[i] = true
		res := &results[i]
		if r.OnStart != nil {
			r.OnStart(i)
		}
		var stdout, stderr io.Writer
		if r.Output != nil {
			stdout, stderr = r.Output(i)
		}
		r.runOne(ctx, res, cmdOf(i), stdout, stderr)
		if r.OnDone != nil {
			r.OnDone(i, res)
		}
	})
	if err != nil { // cancelled: the nodes not started yet report it
		for i := range results {
			if !started[i] {
				results[i].Err = ErrCancelled
				if r.OnDone != nil {
					r.OnDone(i, &results[i])
				}
			}
		}
	}
	return results
}

// RunOne runs cmd on t alone, with the Runner's transport, timeout and
// retries (not its Output, OnStart or OnDone), for engines that script one
// node at a time.
func (r *Runner) RunOne(ctx context.Context, t Target, cmd string) Result {
	res := Result{Node: t.Name, Target: t, ExitCode: -1}
	r.runOne(ctx, &res, cmd, nil, nil)
	return res
}

// runOne runs cmd on res.Target, copying its output to stdout and stderr
// (nil: none) and, unless NoCapture, into res.
func (r *Runner) runOne(parent context.Context, res *Result, cmd string, stdout, stderr io.Writer) {
	res.Start = time.Now()
	defer func() { res.Duration = time.Since(res.Start) }()
	ctx := parent
	var cancel context.CancelFunc
	if r.Timeout > 0 {
		ctx, cancel = context.WithTimeout(parent, r.Timeout)
	} else {
		ctx, cancel = context.WithCancel(parent)
	}
	defer cancel()

	var outBuf, errBuf *bytes.Buffer
	if !r.NoCapture {
		outBuf, errBuf = &bytes.Buffer{}, &bytes.Buffer{}
		stdout, stderr = tee(outBuf, stdout), tee(errBuf, stderr)
	}
	tr := r.Transport
	if tr == nil {
		tr = dialTransport{r.Dial, r.Forget}
	}
	e := Exec{Command: cmd, Root: r.Root, Stdout: stdout, Stderr: stderr}
	code, err := tr.Exec(ctx, res.Target, e)
	wait := r.RetryBackoff
	if wait <= 0 {
		wait = 500 * time.Millisecond
	}
	for try := 0; try < r.Retry && err != nil && Retryable(err) && ctx.Err() == nil; try++ {
		select {
		case <-ctx.Done():
		case <-time.After(wait):
			res.Retries++
			code, err = tr.Exec(ctx, res.Target, e)
		}
		wait = min(2*wait, 8*time.Second)
	}
	if outBuf != nil {
		res.Stdout, res.Stderr = outBuf.Bytes(), errBuf.Bytes()
	}
	res.ExitCode = code
	if err != nil {
		res.ExitCode = -1
		switch {
		case parent.Err() != nil:
			res.Err = ErrCancelled
		case ctx.Err() != nil:
			res.Err = fmt.Errorf("%w after %v", ErrTimeout, r.Timeout)
		default:
			res.Err = err
		}
	}
}

func tee(buf *bytes.Buffer, w io.Writer) io.Writer {
	if w == nil {
		return buf
	}
	return io.MultiWriter(buf, w)
}

// dialTransport runs commands over connections from a Dial function.
type dialTransport struct {
	dial   func(context.Context, Target) (*ssh.Client, error)
	forget func(Target)
}

func (d dialTransport) Exec(ctx context.Context, t Target, e Exec) (int, error) {
	client, err := d.dial(ctx, t)
	if err != nil {
		if ctx.Err() != nil {
			return -1, ctx.Err()
		}
		return -1, &ConnectError{Err: err}
	}
	abort := func() { client.Close() }
	if d.forget != nil {
		abort = func() { d.forget(t) }
	}
	return ExecOn(ctx, client, t.User, e, abort)
}

func exitStatus(err error) (int, error) {
	if err == nil {
		return 0, nil
	}
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		if ee.Signal() != "" && ee.ExitStatus() == 0 {
			return 128 + signalNumber(ee.Signal()), nil
		}
		return ee.ExitStatus(), nil
	}
	var em *ssh.ExitMissingError
	if errors.As(err, &em) {
		return -1, errors.New("the remote command ended without an exit status (connection lost?)")
	}
	return -1, err
}

func signalNumber(sig string) int {
	for n, name := range map[int]string{1: "HUP", 2: "INT", 3: "QUIT", 6: "ABRT", 9: "KILL", 13: "PIPE", 14: "ALRM", 15: "TERM"} {
		if strings.TrimPrefix(sig, "SIG") == name {
			return n
		}
	}
	return 0
}
