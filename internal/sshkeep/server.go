package sshkeep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mesosctl/mesosctl/internal/remote"
)

// DefaultPersist is how long the daemon stays when idle, when not told.
const DefaultPersist = 10 * time.Minute

// Server keeps SSH connections for the runs that use it.
type Server struct {
	Dir     string
	Persist time.Duration
	Log     *log.Logger

	mu        sync.Mutex
	dialers   map[Settings]*remote.Dialer
	lastRun   map[*remote.Dialer]string
	running   int
	idleSince time.Time
	started   time.Time
	stop      chan struct{}
	stopOnce  sync.Once
}

// ErrRunning is returned by Serve when another daemon holds the lock.
var ErrRunning = errors.New("an ssh-mux daemon is already running")

// Serve listens on Dir's socket until the daemon has been idle for
// Persist, is told to stop, its socket is removed, or ctx ends.
func (s *Server) Serve(ctx context.Context) error {
	if s.Persist <= 0 {
		s.Persist = DefaultPersist
	}
	if s.Log == nil {
		s.Log = log.New(os.Stderr, "", log.LstdFlags)
	}
	if err := EnsureDir(s.Dir); err != nil {
		return err
	}
	lock, err := os.OpenFile(filepath.Join(s.Dir, "ssh-mux.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return ErrRunning
	}
	sock := Socket(s.Dir)
	os.Remove(sock) // a stale socket of a daemon that died (we hold the lock)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		return err
	}
	l.SetUnlinkOnClose(true)
	if err := os.Chmod(sock, 0o600); err != nil {
		l.Close()
		return err
	}
	fi, err := os.Stat(sock)
	if err != nil {
		l.Close()
		return err
	}
	s.dialers = map[Settings]*remote.Dialer{}
	s.lastRun = map[*remote.Dialer]string{}
	s.started = time.Now()
	s.idleSince = s.started
	s.stop = make(chan struct{})
	defer s.closeAll()

	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
			case <-s.stop:
			case <-tick.C:
				// Gone when idle long enough, or when the socket was
				// removed or replaced (its directory deleted).
				if now, err := os.Stat(sock); err == nil && os.SameFile(now, fi) && !s.idleFor(s.Persist) {
					continue
				}
			}
			l.Close()
			return
		}
	}()
	for {
		c, err := l.AcceptUnix()
		if err != nil {
			select {
			case <-s.stop:
				return nil
			default:
			}
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		go s.handle(c)
	}
}

func (s *Server) idleFor(d time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running == 0 && time.Since(s.idleSince) >= d
}

func (s *Server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.dialers {
		d.Close()
	}
	s.dialers = map[Settings]*remote.Dialer{}
}

// dialer is the kept Dialer for a run's settings; a new run makes it read
// the known_hosts files again, so kept connections are checked against
// them as they are now.
func (s *Server) dialer(set Settings, run string) *remote.Dialer {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dialers[set]
	if d == nil {
		d = &remote.Dialer{KnownHostsFile: set.KnownHostsFile, AcceptNewHostKeys: set.AcceptNewHostKeys,
			ConnectTimeout: set.ConnectTimeout, AgentSocket: set.AgentSocket, HomeDir: set.HomeDir, Recheck: true}
		if d.AgentSocket == "" {
			d.AgentSocket = "-"
		}
		s.dialers[set] = d
	}
	if s.lastRun[d] != run {
		s.lastRun[d] = run
		d.ReloadHostKeys()
	}
	return d
}

func (s *Server) begin() {
	s.mu.Lock()
	s.running++
	s.mu.Unlock()
}

func (s *Server) end() {
	s.mu.Lock()
	s.running--
	if s.running == 0 {
		s.idleSince = time.Now()
	}
	s.mu.Unlock()
}

func (s *Server) handle(c *net.UnixConn) {
	defer c.Close()
	if err := checkPeer(c); err != nil {
		s.Log.Printf("refused a connection: %v", err)
		writeJSONLine(c, reply{Error: "ssh-mux daemon: refused: " + err.Error() + " (each user runs a daemon of their own)", Kind: remote.KindFailed})
		return
	}
	req, fds, err := readRequest(c)
	if err != nil {
		writeJSONLine(c, reply{Error: err.Error(), Kind: remote.KindFailed})
		return
	}
	switch req.Op {
	case "status":
		closeFDs(fds)
		writeJSONLine(c, reply{Status: s.status()})
	case "stop":
		closeFDs(fds)
		s.closeAll()
		writeJSONLine(c, reply{})
		s.stopOnce.Do(func() { close(s.stop) })
	case "exec":
		s.exec(c, req, fds)
	case "stream":
		s.stream(c, req, fds)
	default:
		closeFDs(fds)
		writeJSONLine(c, reply{Error: fmt.Sprintf("unknown request %q", req.Op), Kind: remote.KindFailed})
	}
}

func (s *Server) status() *Status {
	s.mu.Lock()
	st := &Status{PID: os.Getpid(), Socket: Socket(s.Dir), Started: s.started, Persist: s.Persist, Running: s.running,
		Connections: []string{}}
	if s.running == 0 {
		idle := s.idleSince
		st.IdleSince = &idle
	}
	dialers := make([]*remote.Dialer, 0, len(s.dialers))
	for _, d := range s.dialers {
		dialers = append(dialers, d)
	}
	s.mu.Unlock()
	for _, d := range dialers {
		st.Connections = append(st.Connections, d.Connections()...)
	}
	sort.Strings(st.Connections)
	return st
}

func (s *Server) exec(c *net.UnixConn, req request, fds []int) {
	if len(fds) != 2 {
		closeFDs(fds)
		writeJSONLine(c, reply{Error: fmt.Sprintf("exec request with %d file descriptors, want 2", len(fds)), Kind: remote.KindFailed})
		return
	}
	stdout := os.NewFile(uintptr(fds[0]), "stdout")
	stderr := os.NewFile(uintptr(fds[1]), "stderr")
	s.begin()
	defer s.end()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The client cancels by closing the connection (it sends nothing more).
	go func() {
		var b [1]byte
		c.Read(b[:])
		cancel()
	}()
	d := s.dialer(req.Settings, req.Run)
	code, err := d.Exec(ctx, req.Target, remote.Exec{Command: req.Command, Root: req.Root, Stdout: stdout, Stderr: stderr})
	stdout.Close()
	stderr.Close()
	if ctx.Err() != nil {
		return // nobody is listening
	}
	if err != nil {
		var ce *remote.ConnectError
		writeJSONLine(c, reply{Error: err.Error(), Kind: remote.Kind(err), Connect: errors.As(err, &ce)})
		return
	}
	writeJSONLine(c, reply{Exit: &code})
}

// stream runs req's subsystem or command on a kept connection with the
// passed stdin, stdout and stderr, until it ends or the client closes the
// connection.
func (s *Server) stream(c *net.UnixConn, req request, fds []int) {
	if len(fds) != 3 {
		closeFDs(fds)
		writeJSONLine(c, reply{Error: fmt.Sprintf("stream request with %d file descriptors, want 3", len(fds)), Kind: remote.KindFailed})
		return
	}
	stdin := os.NewFile(uintptr(fds[0]), "stdin")
	stdout := os.NewFile(uintptr(fds[1]), "stdout")
	stderr := os.NewFile(uintptr(fds[2]), "stderr")
	defer stdin.Close()
	defer stdout.Close()
	defer stderr.Close()
	s.begin()
	defer s.end()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		var b [1]byte
		c.Read(b[:])
		cancel()
	}()
	sess, err := s.dialer(req.Settings, req.Run).Session(ctx, req.Target)
	if err != nil {
		var ce *remote.ConnectError
		writeJSONLine(c, reply{Error: err.Error(), Kind: remote.Kind(err), Connect: errors.As(err, &ce)})
		return
	}
	defer sess.Close()
	// Pipes, copied here: a subsystem's session is never "started" as far
	// as the SSH library goes, so it would not copy Stdin and Stdout.
	inW, err := sess.StdinPipe()
	var outR, errR io.Reader
	if err == nil {
		outR, err = sess.StdoutPipe()
	}
	if err == nil {
		errR, err = sess.StderrPipe()
	}
	if err == nil {
		if req.Subsystem != "" {
			err = sess.RequestSubsystem(req.Subsystem)
		} else {
			err = sess.Start(req.Command)
		}
	}
	if err != nil {
		writeJSONLine(c, reply{Error: err.Error(), Kind: remote.KindFailed})
		return
	}
	writeJSONLine(c, reply{Started: true})
	go func() {
		io.Copy(inW, stdin)
		inW.Close()
	}()
	done := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { io.Copy(stdout, outR); wg.Done() }()
		go func() { io.Copy(stderr, errR); wg.Done() }()
		wg.Wait() // the channel has ended
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		sess.Close()
		<-done
	}
}

// checkPeer refuses a peer running as another user.
func checkPeer(c *net.UnixConn) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var cred *unix.Ucred
	var cerr error
	raw.Control(func(fd uintptr) { cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) })
	if cerr != nil {
		return cerr
	}
	if int(cred.Uid) != os.Getuid() {
		return fmt.Errorf("peer uid %d (pid %d) is not the daemon's uid %d", cred.Uid, cred.Pid, os.Getuid())
	}
	return nil
}
