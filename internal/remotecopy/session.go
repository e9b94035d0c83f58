// Package remotecopy copies files and directory trees to and from nodes
// over SFTP (github.com/pkg/sftp) on an SSH connection the caller opened:
// pushes write each file atomically (a temporary file in the target
// directory, then posix-rename over the target), pulls write each local
// file the same way, -p keeps mode and times, and root access runs the
// node's sftp-server through `sudo -n` in an exec channel.
package remotecopy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/mesosctl/mesosctl/internal/shell"
)

// sftpServers are where Linux distributions install OpenSSH's sftp-server
// (Debian/Ubuntu, RHEL/Fedora/SUSE, Arch, others).
var sftpServers = []string{"/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server",
	"/usr/lib/ssh/sftp-server", "/usr/libexec/sftp-server"}

// sudoScript runs the first sftp-server found, in place of the shell.
func sudoScript() string {
	var b strings.Builder
	b.WriteString("for p in")
	for _, p := range sftpServers {
		b.WriteString(" " + p)
	}
	b.WriteString(`; do if [ -x "$p" ]; then exec "$p"; fi; done; echo "no sftp-server in ` +
		strings.Join(sftpServers, ", ") + `" >&2; exit 127`)
	return b.String()
}

// packetSize and maxInflight bound what one file transfer has in flight:
// 2 requests of 128 KiB. OpenSSH's sshd keeps the data it has received for
// a channel in one buffer and moves the rest of it to the front each time
// it hands a piece to sftp-server, so its CPU grows with the data in
// flight: a 25 MB push with pkg/sftp's defaults (64 requests of 32 KiB,
// the whole 2 MiB channel window) costs sshd ~1 s of CPU, with 256 KiB in
// flight ~0.15 s (scripts/bench/cp.sh, docs/cp.md). Larger requests than
// the protocol's minimum (OpenSSH's sftp-server takes messages up to
// 256 KiB) keep the round trips few.
const (
	packetSize  = 128 << 10
	maxInflight = 2
)

// Session is one SFTP session on a node.
type Session struct {
	c      *sftp.Client
	sess   *ssh.Session // the exec channel of a sudo'd sftp-server; nil for the subsystem
	stream io.Closer    // the stream of OpenStream; nil for Open
	stderr *lockedBuffer
	root   bool // the server runs as root
}

func clientOptions() []sftp.ClientOption {
	return []sftp.ClientOption{sftp.UseConcurrentWrites(true), sftp.UseConcurrentReads(true),
		sftp.MaxPacketUnchecked(packetSize), sftp.MaxConcurrentRequestsPerFile(maxInflight)}
}

// Server says how a node's SFTP server is started for user: the "sftp"
// subsystem (subsystem non-empty), or, with root for a user other than
// root, command: the node's sftp-server through `sudo -n` in an exec
// channel. The same as Open does, for a caller that opens the channel
// itself (through an OpenSSH ControlMaster or mesosctl's ssh-mux daemon)
// and hands its stream to OpenStream.
func Server(user string, root bool) (subsystem, command string) {
	if !root || user == "root" {
		return "sftp", ""
	}
	return "", shell.AsRoot(sudoScript(), user)
}

// Stream is an SFTP server's stdin (Write) and stdout (Read); Close ends
// the channel.
type Stream interface {
	io.Reader
	io.Writer
	io.Closer
}

// OpenStream starts an SFTP session over s, a channel started as Server
// says for user and root; stderr returns what the server wrote to its
// stderr so far (for sudo's complaints; nil: nothing). The session closes
// s when it is closed or fails to start.
func OpenStream(s Stream, user string, root bool, stderr func() string) (*Session, error) {
	c, err := sftp.NewClientPipe(s, s, clientOptions()...)
	if err != nil {
		s.Close()
		msg := ""
		if stderr != nil {
			msg = strings.TrimSpace(stderr())
		}
		if _, cmd := Server(user, root); cmd != "" {
			if msg == "" {
				msg = err.Error()
			}
			return nil, fmt.Errorf("sftp-server through 'sudo -n' failed: %s (--root needs passwordless sudo for %s)", msg, user)
		}
		if msg != "" {
			return nil, fmt.Errorf("start SFTP: %v: %s", err, msg)
		}
		return nil, fmt.Errorf("start SFTP: %w", err)
	}
	sess := &Session{c: c, stream: s, stderr: &lockedBuffer{}, root: user == "root" || root}
	return sess.check()
}

// Open starts an SFTP session on client. With root and a user other than
// root, the node's sftp-server runs as root through `sudo -n` in an exec
// channel (the user needs passwordless sudo); otherwise the "sftp"
// subsystem of the node's sshd serves it.
func Open(client *ssh.Client, user string, root bool) (*Session, error) {
	opts := clientOptions()
	s := &Session{stderr: &lockedBuffer{}, root: user == "root"}
	if !root || user == "root" {
		c, err := sftp.NewClient(client, opts...)
		if err != nil {
			if strings.Contains(err.Error(), "subsystem request failed") {
				return nil, errors.New("the node's sshd offers no sftp subsystem (sshd_config: Subsystem sftp /usr/lib/openssh/sftp-server)")
			}
			return nil, fmt.Errorf("start SFTP: %w", err)
		}
		s.c = c
		return s.check()
	}
	sess, err := client.NewSession()
	if err != nil {
		return nil, fmt.Errorf("open session: %w", err)
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		sess.Close()
		return nil, err
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		sess.Close()
		return nil, err
	}
	sess.Stderr = s.stderr
	if err := sess.Start(shell.AsRoot(sudoScript(), user)); err != nil {
		sess.Close()
		return nil, fmt.Errorf("start sftp-server through sudo: %w", err)
	}
	c, err := sftp.NewClientPipe(stdout, stdin, opts...)
	if err != nil {
		sess.Close()
		sess.Wait()
		msg := strings.TrimSpace(s.stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("sftp-server through 'sudo -n' failed: %s (--root needs passwordless sudo for %s)", msg, user)
	}
	s.c, s.sess, s.root = c, sess, true
	return s.check()
}

// check makes sure the server can replace files atomically.
func (s *Session) check() (*Session, error) {
	if _, ok := s.c.HasExtension("posix-rename@openssh.com"); !ok {
		s.Close()
		return nil, errors.New("the node's SFTP server lacks posix-rename@openssh.com: files cannot be replaced atomically")
	}
	return s, nil
}

// Close ends the session.
func (s *Session) Close() error {
	err := s.c.Close()
	if s.sess != nil {
		s.sess.Close()
	}
	if s.stream != nil {
		s.stream.Close()
	}
	return err
}

// lockedBuffer collects a remote stderr written from the SSH library's
// goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() < 4096 {
		l.b.Write(p)
	}
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// ctxReader reads from r until ctx ends; it keeps r's Size so that SFTP
// uploads run their writes concurrently.
type ctxReader struct {
	ctx context.Context
	r   *io.SectionReader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (c *ctxReader) Size() int64 { return c.r.Size() }

// ctxWriter writes to w until ctx ends.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// Stats count what a copy moved.
type Stats struct {
	Files int
	Bytes int64
}
