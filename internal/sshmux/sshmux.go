// Package sshmux runs commands through a live OpenSSH ControlMaster: it
// speaks the client side of OpenSSH's connection multiplexing protocol
// (PROTOCOL.mux in OpenSSH's sources, protocol version 4) in "passenger"
// mode, handing the master a pipe for each of the command's stdin, stdout
// and stderr, so that mesosctl shares the connections the user's own ssh
// keeps open (ssh_config ControlMaster, ControlPath, ControlPersist).
package sshmux

import (
	"context"
	"encoding/binary"
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

// Message types of the multiplexing protocol.
const (
	msgHello          = 0x00000001
	msgNewSession     = 0x10000002
	msgAliveCheck     = 0x10000004
	msgOK             = 0x80000001
	msgPermDenied     = 0x80000002
	msgFailure        = 0x80000003
	msgExitMessage    = 0x80000004
	msgAlive          = 0x80000005
	msgSessionOpened  = 0x80000006
	msgTTYAllocFail   = 0x80000008
	protocolVersion   = 4
	noEscapeChar      = 0xffffffff
	maxPacket         = 256 << 10
	defaultHandshake  = 5 * time.Second
	drainAfterClosing = 5 * time.Second
)

// ErrNoMaster means no master listens on the socket (it does not exist,
// refuses connections, or does not speak the protocol): the caller should
// connect by other means.
var ErrNoMaster = errors.New("no live ControlMaster")

// Client is one control connection to a master.
type Client struct {
	conn *net.UnixConn
	rid  uint32
}

// Dial connects to the master listening on path and exchanges hellos,
// within timeout (0: 5s). Any failure is ErrNoMaster (wrapped).
func Dial(path string, timeout time.Duration) (*Client, error) {
	if timeout <= 0 {
		timeout = defaultHandshake
	}
	c, err := net.DialTimeout("unix", path, timeout)
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %v", ErrNoMaster, path, err)
	}
	cl := &Client{conn: c.(*net.UnixConn)}
	cl.conn.SetDeadline(time.Now().Add(timeout))
	if err := cl.hello(); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w at %s: %v", ErrNoMaster, path, err)
	}
	cl.conn.SetDeadline(time.Time{})
	return cl, nil
}

// Close closes the control connection (the master then ends a session
// opened on it).
func (c *Client) Close() error { return c.conn.Close() }

func (c *Client) hello() error {
	var b packet
	b.u32(msgHello)
	b.u32(protocolVersion)
	if err := c.send(b); err != nil {
		return err
	}
	p, err := c.recv()
	if err != nil {
		return err
	}
	typ, _ := p.getU32()
	if typ != msgHello {
		return fmt.Errorf("expected hello, got message 0x%08x", typ)
	}
	if v, _ := p.getU32(); v != protocolVersion {
		return fmt.Errorf("master speaks multiplexing protocol version %d, not %d", v, protocolVersion)
	}
	return nil // extensions are ignored
}

// AliveCheck asks the master for its process id.
func (c *Client) AliveCheck() (int, error) {
	c.rid++
	var b packet
	b.u32(msgAliveCheck)
	b.u32(c.rid)
	if err := c.send(b); err != nil {
		return 0, err
	}
	p, err := c.recv()
	if err != nil {
		return 0, err
	}
	typ, _ := p.getU32()
	if typ != msgAlive {
		return 0, replyError(typ, p)
	}
	p.getU32() // request id
	pid, err := p.getU32()
	return int(pid), err
}

// Exec runs cmd on the master's host in a new session (no PTY, no
// forwarding, no environment), copying its output to stdout and stderr,
// and returns its exit status. The command's stdin is a pipe held open
// until Exec returns and closed then: a command that must see EOF on stdin
// (or must die when the channel closes) has to arrange it itself, as
// mesosctl's guard does. When ctx ends first, stdin and the control
// connection are closed (the master then ends the session) and Exec
// returns ctx's error once the output is drained. Exec can be called once
// per Client.
func (c *Client) Exec(ctx context.Context, cmd string, stdout, stderr io.Writer) (int, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return -1, err
	}
	defer inW.Close()
	out, err := remote.NewPipes(stdout, stderr)
	if err != nil {
		inR.Close()
		return -1, err
	}

	err = c.newSession(cmd, false, inR, out.OutW, out.ErrW)
	inR.Close() // the master holds its own copies now
	out.CloseWriters()
	if err != nil {
		out.Wait(0)
		return -1, fmt.Errorf("ControlMaster: send session request: %w", err)
	}

	stop := context.AfterFunc(ctx, func() {
		inW.Close()
		c.conn.Close()
	})
	code, err := c.wait()
	cancelled := !stop()
	if cancelled || err != nil {
		// The master closes our pipes when the session's channel closes;
		// do not wait for ever on one that is stuck.
		inW.Close()
		c.conn.Close()
		out.Wait(drainAfterClosing)
		if cancelled {
			return -1, ctx.Err()
		}
		return -1, err
	}
	out.Wait(0)
	return code, nil
}

// newSession asks the master for a session running cmd (the subsystem
// named cmd, with subsystem) and hands it stdin, stdout and stderr.
func (c *Client) newSession(cmd string, subsystem bool, stdin, stdout, stderr *os.File) error {
	c.rid++
	var b packet
	b.u32(msgNewSession)
	b.u32(c.rid)
	b.str("") // reserved
	b.u32(0)  // want tty
	b.u32(0)  // want X11 forwarding
	b.u32(0)  // want agent forwarding
	if subsystem {
		b.u32(1)
	} else {
		b.u32(0)
	}
	b.u32(noEscapeChar) // escape char
	b.str("")           // terminal type
	b.str(cmd)
	err := c.send(b)
	for _, f := range []*os.File{stdin, stdout, stderr} {
		if err == nil {
			// One descriptor per message, with one byte of data, as
			// OpenSSH's mm_send_fd sends them.
			_, _, err = c.conn.WriteMsgUnix([]byte{0}, syscall.UnixRights(int(f.Fd())), nil)
		}
	}
	return err
}

// Stream starts cmd (with subsystem, the subsystem named cmd, e.g.
// "sftp") in a new session, for a protocol spoken over its stdin and
// stdout: reading the stream reads the command's stdout, writing it
// writes its stdin, and stderr (nil: discarded) receives its stderr.
// Stream returns once the master has opened the session, within timeout
// (0: 5s). Closing the stream closes the command's stdin and the control
// connection: the master then ends the session. Stream can be called once
// per Client, instead of Exec.
func (c *Client) Stream(cmd string, subsystem bool, stderr io.Writer, timeout time.Duration) (io.ReadWriteCloser, error) {
	if timeout <= 0 {
		timeout = defaultHandshake
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		outR.Close()
		outW.Close()
		return nil, err
	}
	err = c.newSession(cmd, subsystem, inR, outW, errW)
	inR.Close()
	outW.Close()
	errW.Close()
	st := &stream{c: c, in: inW, out: outR}
	go func() {
		defer errR.Close()
		io.Copy(orDiscard(stderr), errR)
	}()
	if err == nil {
		c.conn.SetDeadline(time.Now().Add(timeout))
		err = c.opened()
		c.conn.SetDeadline(time.Time{})
	}
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("ControlMaster: %w", err)
	}
	return st, nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// opened reads the master's replies until the session is opened.
func (c *Client) opened() error {
	for {
		p, err := c.recv()
		if err != nil {
			return fmt.Errorf("closed the connection before the session opened: %w", err)
		}
		typ, _ := p.getU32()
		switch typ {
		case msgSessionOpened:
			return nil
		case msgTTYAllocFail, msgOK:
		default:
			return replyError(typ, p)
		}
	}
}

type stream struct {
	c    *Client
	in   *os.File
	out  *os.File
	once sync.Once
}

func (s *stream) Read(p []byte) (int, error)  { return s.out.Read(p) }
func (s *stream) Write(p []byte) (int, error) { return s.in.Write(p) }

func (s *stream) Close() error {
	s.once.Do(func() {
		s.in.Close()
		s.c.conn.Close()
		s.out.Close()
	})
	return nil
}

// wait reads the master's replies until the session's exit message.
func (c *Client) wait() (int, error) {
	opened := false
	for {
		p, err := c.recv()
		if err != nil {
			if !opened {
				return -1, fmt.Errorf("ControlMaster closed the connection before the session opened: %w", err)
			}
			return -1, errors.New("the ControlMaster's session ended without an exit status (the command was killed by a signal, or the master's connection was lost)")
		}
		typ, _ := p.getU32()
		switch typ {
		case msgSessionOpened:
			opened = true
		case msgTTYAllocFail, msgOK:
		case msgExitMessage:
			p.getU32() // session id
			v, err := p.getU32()
			return int(v), err
		default:
			return -1, replyError(typ, p)
		}
	}
}

func replyError(typ uint32, p *packet) error {
	switch typ {
	case msgPermDenied, msgFailure:
		p.getU32() // request id
		reason, _ := p.getStr()
		what := "refused"
		if typ == msgPermDenied {
			what = "permission denied"
		}
		return fmt.Errorf("ControlMaster %s: %s", what, reason)
	}
	return fmt.Errorf("ControlMaster sent unexpected message 0x%08x", typ)
}

func (c *Client) send(b packet) error {
	msg := make([]byte, 4+len(b.b))
	binary.BigEndian.PutUint32(msg, uint32(len(b.b)))
	copy(msg[4:], b.b)
	_, err := c.conn.Write(msg)
	return err
}

func (c *Client) recv() (*packet, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(c.conn, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > maxPacket {
		return nil, fmt.Errorf("ControlMaster sent a %d-byte message", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(c.conn, b); err != nil {
		return nil, err
	}
	return &packet{b: b}, nil
}

// packet builds and parses the protocol's SSH-style fields.
type packet struct{ b []byte }

func (p *packet) u32(v uint32) { p.b = binary.BigEndian.AppendUint32(p.b, v) }

func (p *packet) str(s string) {
	p.b = binary.BigEndian.AppendUint32(p.b, uint32(len(s)))
	p.b = append(p.b, s...)
}

func (p *packet) getU32() (uint32, error) {
	if len(p.b) < 4 {
		return 0, io.ErrUnexpectedEOF
	}
	v := binary.BigEndian.Uint32(p.b)
	p.b = p.b[4:]
	return v, nil
}

func (p *packet) getStr() (string, error) {
	n, err := p.getU32()
	if err != nil || uint32(len(p.b)) < n {
		return "", io.ErrUnexpectedEOF
	}
	s := string(p.b[:n])
	p.b = p.b[n:]
	return s, nil
}
