// Package zkserver runs a standalone ZooKeeper server from Debian's
// zookeeper package on 127.0.0.1, started exactly as the package does it
// (java -cp /etc/zookeeper/conf:/usr/share/java/zookeeper.jar
// org.apache.zookeeper.server.ZooKeeperServerMain zoo.cfg), with its data in
// a directory of the caller's. The test harness (internal/testutil/zookeeper)
// and the multi-node test cluster both start ZooKeeper through it.
package zkserver

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	gozk "github.com/go-zookeeper/zk"
	"github.com/mesosctl/mesosctl/internal/zkdial"
)

// Jar and configuration directory of the Debian zookeeper package.
const (
	Jar     = "/usr/share/java/zookeeper.jar"
	ConfDir = "/etc/zookeeper/conf"
)

// Options say where and how to run the server.
type Options struct {
	Dir           string        // data, zoo.cfg and zookeeper.log go here (created)
	Port          int           // client port on 127.0.0.1; 0 picks a free one
	DieWithParent bool          // kill the server when the starting process dies
	Timeout       time.Duration // how long to wait for it to accept sessions (default 30s)
}

// Server is a running ZooKeeper.
type Server struct {
	Dir  string
	Port int

	opts    Options
	cmd     *exec.Cmd
	waitErr chan error
}

// Launch writes zoo.cfg into o.Dir and starts the server in its own process
// group. It returns once a client session can be established.
func Launch(o Options) (*Server, error) {
	if _, err := os.Stat(Jar); err != nil {
		return nil, fmt.Errorf("ZooKeeper not installed (%s missing): apt-get install zookeeper (scripts/install-deps.sh)", Jar)
	}
	if _, err := exec.LookPath("java"); err != nil {
		return nil, errors.New("java not found: apt-get install zookeeper (scripts/install-deps.sh)")
	}
	if o.Port == 0 {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		o.Port = p
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	data := filepath.Join(o.Dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	// A short tick lets tests see session expiry within seconds; agents'
	// 10s session timeout stays inside [minSessionTimeout, maxSessionTimeout].
	cfg := fmt.Sprintf("tickTime=500\ninitLimit=10\nsyncLimit=5\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n"+
		"maxClientCnxns=0\nadmin.enableServer=false\nminSessionTimeout=1000\nmaxSessionTimeout=60000\n"+
		"4lw.commands.whitelist=ruok,srvr,stat\n", data, o.Port)
	if err := os.WriteFile(filepath.Join(o.Dir, "zoo.cfg"), []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	s := &Server{Dir: o.Dir, Port: o.Port, opts: o}
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Addr is "127.0.0.1:<port>".
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

// Pid is the server's process id (also its process group id), 0 when
// stopped.
func (s *Server) Pid() int {
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// LogFile is the server's log.
func (s *Server) LogFile() string { return filepath.Join(s.Dir, "zookeeper.log") }

func (s *Server) start() error {
	logf, err := os.OpenFile(s.LogFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	// -XX:-UsePerfData: no /tmp/hsperfdata_<user>/<pid> file, which a
	// killed JVM leaves behind.
	cmd := exec.Command("java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:-UsePerfData",
		"-Dzookeeper.log.dir="+s.Dir, "-Dzookeeper.root.logger=INFO,CONSOLE",
		"-cp", ConfDir+":"+Jar, "org.apache.zookeeper.server.ZooKeeperServerMain", filepath.Join(s.Dir, "zoo.cfg"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if s.opts.DieWithParent {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting ZooKeeper: %w", err)
	}
	s.cmd = cmd
	s.waitErr = make(chan error, 1)
	go func() { s.waitErr <- cmd.Wait() }()
	deadline := time.Now().Add(s.opts.Timeout)
	for time.Now().Before(deadline) {
		if s.ruok() && s.sessionOK() {
			return nil
		}
		select {
		case err := <-s.waitErr:
			s.cmd = nil
			return fmt.Errorf("ZooKeeper exited at once (%v); see %s", err, s.LogFile())
		case <-time.After(100 * time.Millisecond):
		}
	}
	s.Stop()
	return fmt.Errorf("ZooKeeper did not answer on %s within %s; see %s", s.Addr(), s.opts.Timeout, s.LogFile())
}

func (s *Server) ruok() bool { return Ruok(s.Addr()) }

// Ruok reports whether a ZooKeeper server at addr answers the four-letter
// word ruok with imok.
func Ruok(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("ruok")); err != nil {
		return false
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.HasPrefix(line, "imok")
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// sessionOK reports whether a client session can be established (ruok
// answers before the server accepts sessions).
func (s *Server) sessionOK() bool {
	conn, events, err := gozk.Connect([]string{s.Addr()}, 5*time.Second, gozk.WithLogger(quiet{}), gozk.WithLogInfo(false),
		gozk.WithDialer(zkdial.Dialer(5*time.Second)))
	if err != nil {
		return false
	}
	defer conn.Close()
	timeout := time.After(2 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.State == gozk.StateHasSession {
				_, _, err := conn.Exists("/")
				return err == nil
			}
		case <-timeout:
			return false
		}
	}
}

// Stop kills the server's process group and waits for it (idempotent).
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-s.waitErr:
	case <-time.After(10 * time.Second):
	}
	s.cmd = nil
}

// Restart stops the server and starts it again on the same port and data.
func (s *Server) Restart() error {
	s.Stop()
	return s.start()
}

// FreePort returns a currently free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
