// Package zookeeper starts a real ZooKeeper server (Debian's package) for
// tests: a temporary dataDir, 127.0.0.1 and a free port, waiting until it
// answers, stopped and cleaned up with t.Cleanup. Restart keeps the data
// and the port (sessions survive if the restart is quicker than their
// timeout; ephemeral nodes of expired sessions disappear).
package zookeeper

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"
)

const (
	jar     = "/usr/share/java/zookeeper.jar"
	confDir = "/etc/zookeeper/conf"
)

// Server is a running ZooKeeper.
type Server struct {
	t       testing.TB // nil when started with Launch
	dir     string
	Port    int
	cmd     *exec.Cmd
	waitErr chan error
}

// Addr is "127.0.0.1:<port>".
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

// URL returns zk://127.0.0.1:<port><path>.
func (s *Server) URL(path string) string { return "zk://" + s.Addr() + path }

// Start starts ZooKeeper for a test; the test fails (never skips) when it
// is missing. It is stopped and its data removed by t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s, err := launch(t, t.TempDir(), port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Launch starts ZooKeeper outside of tests (demos, the test cluster) with
// its data in dir on 127.0.0.1:port. Call Stop when done.
func Launch(dir string, port int) (*Server, error) { return launch(nil, dir, port) }

func launch(t testing.TB, dir string, port int) (*Server, error) {
	if _, err := os.Stat(jar); err != nil {
		return nil, fmt.Errorf("ZooKeeper not installed (%s missing): apt-get install zookeeper", jar)
	}
	if _, err := exec.LookPath("java"); err != nil {
		return nil, fmt.Errorf("java not found: apt-get install default-jre-headless zookeeper")
	}
	s := &Server{t: t, dir: dir, Port: port}
	cfg := fmt.Sprintf("tickTime=500\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\nadmin.enableServer=false\nminSessionTimeout=1000\nmaxSessionTimeout=60000\n4lw.commands.whitelist=ruok\n",
		filepath.Join(s.dir, "data"), s.Port)
	if err := os.WriteFile(filepath.Join(s.dir, "zoo.cfg"), []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) start() error {
	cp := confDir + ":" + jar
	// Debian splits the dependencies into /usr/share/java.
	for _, dep := range []string{"slf4j-api.jar", "slf4j-simple.jar", "log4j-1.2.jar", "netty.jar",
		"jline.jar", "commons-cli.jar", "audience-annotations.jar", "netty-handler.jar",
		"netty-transport.jar", "netty-common.jar", "netty-buffer.jar", "netty-codec.jar",
		"netty-resolver.jar", "netty-transport-native-epoll.jar", "netty-transport-native-unix-common.jar",
		"zookeeper-jute.jar", "jackson-databind.jar", "jackson-core.jar", "jackson-annotations.jar",
		"metrics-core.jar", "snappy-java.jar", "commons-io.jar", "reload4j.jar", "slf4j-reload4j.jar", "slf4j-log4j12.jar"} {
		if _, err := os.Stat("/usr/share/java/" + dep); err == nil {
			cp += ":/usr/share/java/" + dep
		}
	}
	logf, err := os.OpenFile(filepath.Join(s.dir, "zookeeper.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command("java", "-Xmx128m", "-Dzookeeper.log.dir="+s.dir, "-Dzookeeper.root.logger=WARN,CONSOLE",
		"-cp", cp, "org.apache.zookeeper.server.ZooKeeperServerMain", filepath.Join(s.dir, "zoo.cfg"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start ZooKeeper: %v", err)
	}
	logf.Close()
	s.cmd = cmd
	s.waitErr = make(chan error, 1)
	go func() { s.waitErr <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if s.ruok() && s.sessionOK() {
			return nil
		}
		select {
		case err := <-s.waitErr:
			log, _ := os.ReadFile(filepath.Join(s.dir, "zookeeper.log"))
			s.cmd = nil
			return fmt.Errorf("ZooKeeper exited: %v\n%s", err, log)
		case <-time.After(100 * time.Millisecond):
		}
	}
	log, _ := os.ReadFile(filepath.Join(s.dir, "zookeeper.log"))
	s.Stop()
	return fmt.Errorf("ZooKeeper did not answer on %s within 30s\n%s", s.Addr(), log)
}

func (s *Server) ruok() bool {
	c, err := net.DialTimeout("tcp", s.Addr(), 500*time.Millisecond)
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
	conn, events, err := gozk.Connect([]string{s.Addr()}, 5*time.Second, gozk.WithLogger(quiet{}), gozk.WithLogInfo(false))
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

// Stop kills the server (idempotent).
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
// Started by Start, a failure fails the test; started by Launch, it is
// returned.
func (s *Server) Restart() error {
	s.Stop()
	err := s.start()
	if err != nil && s.t != nil {
		s.t.Helper()
		s.t.Fatal(err)
	}
	return err
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
