package sshkeep

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/mesosctl/mesosctl/internal/remote"
)

// drainAfterCancel bounds the wait for the daemon to close the output
// pipes of a cancelled command.
const drainAfterCancel = 5 * time.Second

// ErrNotRunning means no daemon answers on the socket.
var ErrNotRunning = errors.New("no ssh-mux daemon is running")

// Client sends a run's commands to the daemon. It is a remote.Transport.
type Client struct {
	Dir      string
	Settings Settings
	// Start starts the daemon (in the background) when none answers; nil
	// means the daemon must already run.
	Start func() error
	// StartTimeout bounds the wait for a started daemon's socket (2s).
	StartTimeout time.Duration

	runOnce  sync.Once
	run      string
	start    sync.Once
	startErr error
}

func (c *Client) runID() string {
	c.runOnce.Do(func() {
		var b [8]byte
		rand.Read(b[:])
		c.run = hex.EncodeToString(b[:])
	})
	return c.run
}

func dial(dir string) (*net.UnixConn, error) {
	if err := checkDir(dir); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, ErrNotRunning
		}
		return nil, err
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: Socket(dir), Net: "unix"})
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, ErrNotRunning
		}
		return nil, err
	}
	return conn, nil
}

// connect reaches the daemon, starting it (once per Client) if needed.
func (c *Client) connect() (*net.UnixConn, error) {
	conn, err := dial(c.Dir)
	if !errors.Is(err, ErrNotRunning) || c.Start == nil {
		return conn, err
	}
	c.start.Do(func() {
		if c.startErr = c.Start(); c.startErr != nil {
			return
		}
		limit := c.StartTimeout
		if limit <= 0 {
			limit = 2 * time.Second
		}
		deadline := time.Now().Add(limit)
		for wait := time.Millisecond; ; wait = min(2*wait, 20*time.Millisecond) {
			cn, err := dial(c.Dir)
			if err == nil {
				cn.Close()
				return
			}
			if time.Now().After(deadline) {
				c.startErr = fmt.Errorf("the ssh-mux daemon did not start within %v (see %s/ssh-mux.log): %v", limit, c.Dir, err)
				return
			}
			time.Sleep(wait)
		}
	})
	if c.startErr != nil {
		return nil, c.startErr
	}
	return dial(c.Dir)
}

// Available reports whether the daemon answers (starting it if need be).
func (c *Client) Available() error {
	conn, err := c.connect()
	if err == nil {
		conn.Close()
	}
	return err
}

// Exec runs e on t through the daemon, on a connection it keeps.
func (c *Client) Exec(ctx context.Context, t remote.Target, e remote.Exec) (int, error) {
	conn, err := c.connect()
	if err != nil {
		return -1, fmt.Errorf("ssh-mux daemon: %w", err)
	}
	defer conn.Close()
	out, err := remote.NewPipes(e.Stdout, e.Stderr)
	if err != nil {
		return -1, err
	}
	req, _ := json.Marshal(request{Op: "exec", Run: c.runID(), Settings: c.Settings, Target: t, Command: e.Command, Root: e.Root})
	_, _, err = conn.WriteMsgUnix(append(req, '\n'), syscall.UnixRights(int(out.OutW.Fd()), int(out.ErrW.Fd())), nil)
	out.CloseWriters()
	if err != nil {
		out.Wait(0)
		return -1, fmt.Errorf("ssh-mux daemon: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	line, rerr := bufio.NewReader(conn).ReadBytes('\n')
	if !stop() {
		// Cancelled: the daemon ends the command and closes the pipes.
		out.Wait(drainAfterCancel)
		return -1, ctx.Err()
	}
	out.Wait(0)
	if rerr != nil {
		return -1, fmt.Errorf("ssh-mux daemon: connection lost (%v); try --no-reuse, and see %s/ssh-mux.log", rerr, c.Dir)
	}
	var rep reply
	if err := json.Unmarshal(line, &rep); err != nil {
		return -1, fmt.Errorf("ssh-mux daemon: bad reply: %w", err)
	}
	if rep.Error != "" {
		err := error(&remote.KindError{Kind: rep.Kind, Msg: rep.Error})
		if rep.Connect {
			err = &remote.ConnectError{Err: err}
		}
		return -1, err
	}
	if rep.Exit == nil {
		return -1, errors.New("ssh-mux daemon: reply without exit status")
	}
	return *rep.Exit, nil
}

// GetStatus asks a running daemon for its status.
func GetStatus(dir string) (*Status, error) {
	var rep reply
	if err := call(dir, request{Op: "status"}, &rep); err != nil {
		return nil, err
	}
	if rep.Status == nil {
		return nil, errors.New("ssh-mux daemon: reply without status")
	}
	return rep.Status, nil
}

// Stop asks a running daemon to close its connections and exit.
func Stop(dir string) error {
	var rep reply
	return call(dir, request{Op: "stop"}, &rep)
}

func call(dir string, req request, rep *reply) error {
	conn, err := dial(dir)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if err := writeJSONLine(conn, req); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("ssh-mux daemon: %w", err)
	}
	if err := json.Unmarshal(line, rep); err != nil {
		return err
	}
	if rep.Error != "" {
		return errors.New(rep.Error)
	}
	return nil
}

// Stream starts, on a connection the daemon keeps to t, the subsystem
// named subsystem, or else command, for a protocol spoken over its stdin
// and stdout (SFTP): reading the stream reads its stdout, writing writes
// its stdin, and stderr (nil: discarded) receives its stderr. Closing the
// stream ends the channel. Errors are those of Exec.
func (c *Client) Stream(ctx context.Context, t remote.Target, subsystem, command string, stderr io.Writer) (io.ReadWriteCloser, error) {
	conn, err := c.connect()
	if err != nil {
		return nil, fmt.Errorf("ssh-mux daemon: %w", err)
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		conn.Close()
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		conn.Close()
		inR.Close()
		inW.Close()
		return nil, err
	}
	errOut, err := remote.NewPipes(nil, stderr)
	if err != nil {
		conn.Close()
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return nil, err
	}
	errOut.OutW.Close() // only its stderr pipe is used
	st := &stream{conn: conn, in: inW, out: outR}
	req, _ := json.Marshal(request{Op: "stream", Run: c.runID(), Settings: c.Settings, Target: t, Command: command, Subsystem: subsystem})
	_, _, err = conn.WriteMsgUnix(append(req, '\n'), syscall.UnixRights(int(inR.Fd()), int(outW.Fd()), int(errOut.ErrW.Fd())), nil)
	inR.Close()
	outW.Close()
	errOut.ErrW.Close()
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("ssh-mux daemon: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { st.Close() })
	line, rerr := bufio.NewReader(conn).ReadBytes('\n')
	if !stop() {
		return nil, ctx.Err()
	}
	if rerr != nil {
		st.Close()
		return nil, fmt.Errorf("ssh-mux daemon: connection lost (%v); try --no-reuse, and see %s/ssh-mux.log", rerr, c.Dir)
	}
	var rep reply
	if err := json.Unmarshal(line, &rep); err != nil {
		st.Close()
		return nil, fmt.Errorf("ssh-mux daemon: bad reply: %w", err)
	}
	if rep.Error != "" {
		st.Close()
		err := error(&remote.KindError{Kind: rep.Kind, Msg: rep.Error})
		if rep.Connect {
			err = &remote.ConnectError{Err: err}
		}
		return nil, err
	}
	if !rep.Started {
		st.Close()
		return nil, errors.New("ssh-mux daemon: reply without the stream started")
	}
	return st, nil
}

// stream is a channel the daemon runs for a Stream.
type stream struct {
	conn *net.UnixConn
	in   *os.File
	out  *os.File
	once sync.Once
}

func (s *stream) Read(p []byte) (int, error)  { return s.out.Read(p) }
func (s *stream) Write(p []byte) (int, error) { return s.in.Write(p) }

func (s *stream) Close() error {
	s.once.Do(func() {
		s.in.Close()
		s.conn.Close()
		s.out.Close()
	})
	return nil
}
