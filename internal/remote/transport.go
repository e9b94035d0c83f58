package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"golang.org/x/crypto/ssh"
)

// Exec is one command to run on one node.
type Exec struct {
	// Command is run by the remote user's login shell.
	Command string
	// Root runs it as root: through `sudo -n` when the SSH user is not root.
	Root bool
	// Stdout and Stderr receive the command's output as it arrives (nil:
	// discarded).
	Stdout, Stderr io.Writer
}

// Transport runs commands on nodes. The Dialer is one (a connection of
// its own per node); the user's OpenSSH ControlMaster sockets
// (internal/sshmux) and mesosctl's connection-keeping daemon
// (internal/sshkeep) are others.
//
// Exec runs e on t and returns the command's exit status. Its error is a
// *ConnectError when the command never started (the node could not be
// reached, its host key or our login was refused), ctx's error when ctx
// ended first, and otherwise what went wrong while it ran. When ctx ends
// while the command runs, its whole process group on the node ends too
// (an SSH signal request where sshd honours it, else the guard, see
// Command), and Exec returns once its output has been drained.
type Transport interface {
	Exec(ctx context.Context, t Target, e Exec) (int, error)
}

// ConnectError is a failure before the command started: connecting,
// the handshake, the host key, authentication or opening the session.
type ConnectError struct{ Err error }

func (e *ConnectError) Error() string { return e.Err.Error() }

func (e *ConnectError) Unwrap() error { return e.Err }

// AuthError is a login refused by the node.
type AuthError struct {
	User, Addr string
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("authentication as %q refused by %s: check the SSH user and that your key is in its authorized_keys", e.User, e.Addr)
}

// Retryable reports whether err is a connection-level failure that may go
// away when tried again (refused, reset or timed-out connections, a
// handshake cut short): not a refused host key or login, a missing key,
// a cancellation, or a failure of the command itself.
func Retryable(err error) bool {
	var ce *ConnectError
	if !errors.As(err, &ce) {
		return false
	}
	var he *HostKeyError
	var ae *AuthError
	switch {
	case errors.As(err, &he), errors.As(err, &ae), errors.Is(err, context.Canceled):
		return false
	}
	return unreachable(err)
}

// unreachable reports whether err says the node (or a jump host) could not
// be reached or the connection broke before the login completed.
func unreachable(err error) bool {
	var ne net.Error
	var oe *net.OpError
	var ke *KindError
	switch {
	case errors.As(err, &ke):
		return ke.Kind == KindUnreachable
	case errors.As(err, &ne), errors.As(err, &oe), errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "timed out") || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "ssh handshake") || strings.Contains(msg, "no route to host")
}

// Kinds of failure, as KindError carries them across a process boundary
// (mesosctl's connection daemon) and the closing summary names them.
const (
	KindUnreachable = "unreachable"
	KindHostKey     = "host key refused"
	KindAuth        = "login refused"
	KindTimeout     = "timed out"
	KindCancelled   = "cancelled"
	KindFailed      = "failed"
)

// KindError is an error known only by its message and kind (it came from
// another process).
type KindError struct {
	Kind, Msg string
}

func (e *KindError) Error() string { return e.Msg }

// Kind names the kind of a node's failure (one of the Kind constants).
func Kind(err error) string {
	var ke *KindError
	var he *HostKeyError
	var ae *AuthError
	switch {
	case errors.As(err, &ke):
		return ke.Kind
	case errors.Is(err, ErrCancelled), errors.Is(err, context.Canceled):
		return KindCancelled
	case errors.Is(err, ErrTimeout):
		return KindTimeout
	case errors.As(err, &he):
		return KindHostKey
	case errors.As(err, &ae):
		return KindAuth
	}
	var ce *ConnectError
	if errors.As(err, &ce) && unreachable(err) {
		return KindUnreachable
	}
	return KindFailed
}

// errOpenSession marks a connection that would not open a session: it
// broke since it was opened.
var errOpenSession = errors.New("open session")

// Exec runs e on t over a connection of the Dialer's own (opened, or
// shared with earlier calls for the same target). It makes the Dialer a
// Transport. A kept connection that turns out to be broken is replaced
// by a new one.
func (d *Dialer) Exec(ctx context.Context, t Target, e Exec) (int, error) {
	for try := 0; ; try++ {
		client, err := d.Dial(ctx, t)
		if err != nil {
			if ctx.Err() != nil {
				return -1, ctx.Err()
			}
			return -1, &ConnectError{Err: err}
		}
		code, err := ExecOn(ctx, client, t.User, e, func() { d.Forget(t) })
		if try == 0 && errors.Is(err, errOpenSession) && ctx.Err() == nil {
			d.drop(t, client)
			continue
		}
		return code, err
	}
}

// Session opens a new session on a connection of the Dialer's own to t
// (opened, or shared with earlier calls), for the caller to start: a
// subsystem such as SFTP. Its error is a *ConnectError when t could not be
// reached or the session not opened. A kept connection that turns out to
// be broken is replaced by a new one.
func (d *Dialer) Session(ctx context.Context, t Target) (*ssh.Session, error) {
	for try := 0; ; try++ {
		client, err := d.Dial(ctx, t)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, &ConnectError{Err: err}
		}
		sess, err := client.NewSession()
		if err == nil {
			return sess, nil
		}
		if try == 0 && ctx.Err() == nil {
			d.drop(t, client)
			continue
		}
		return nil, &ConnectError{Err: fmt.Errorf("%w: %w", errOpenSession, err)}
	}
}

// ExecOn runs e in a new session of client, logged in as user: no PTY, no
// environment. The command is guarded (see Command) when it runs through
// sudo or when the server does not honour signal requests; then its stdin
// is held open until it is done, else it gets EOF at once. When ctx ends
// first, the session is sent SIGKILL (sshd kills the session's process
// group), its stdin is closed (the guard, if any, kills the group) and
// abort is called, which must close the connection (or nil: ExecOn closes
// it); ExecOn returns once the output is drained, with ctx's error.
func ExecOn(ctx context.Context, client *ssh.Client, user string, e Exec, abort func()) (int, error) {
	signals := SignalsHonoured(string(client.ServerVersion()), user)
	guard := needsGuard(user, e.Root, signals)
	sess, err := client.NewSession()
	if err != nil {
		if ctx.Err() != nil {
			return -1, ctx.Err()
		}
		return -1, &ConnectError{Err: fmt.Errorf("%w: %w", errOpenSession, err)}
	}
	defer sess.Close()
	stdin, err := sess.StdinPipe()
	if err != nil {
		return -1, err
	}
	sess.Stdout, sess.Stderr = orDiscard(e.Stdout), orDiscard(e.Stderr)
	stop := context.AfterFunc(ctx, func() {
		if signals {
			sess.Signal(ssh.SIGKILL)
		}
		stdin.Close()
		sess.Close()
		if abort != nil {
			abort()
		} else {
			client.Close()
		}
	})
	defer stop()
	if err := sess.Start(Command(e.Command, user, e.Root, guard)); err != nil {
		if ctx.Err() != nil {
			return -1, ctx.Err()
		}
		return -1, fmt.Errorf("start command: %w", err)
	}
	if !guard {
		stdin.Close()
	}
	err = sess.Wait()
	if !stop() {
		// ctx ended: the AfterFunc closed the session, so Wait has
		// returned with all output copied.
		return -1, ctx.Err()
	}
	stdin.Close()
	return exitStatus(err)
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
