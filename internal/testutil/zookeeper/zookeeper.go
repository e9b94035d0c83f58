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
)

const (
	jar     = "/usr/share/java/zookeeper.jar"
	confDir = "/etc/zookeeper/conf"
)

// Server is a running ZooKeeper.
type Server struct {
	t       testing.TB
	dir     string
	Port    int
	cmd     *exec.Cmd
	waitErr chan error
}

// Addr is "127.0.0.1:<port>".
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

// URL returns zk://127.0.0.1:<port><path>.
func (s *Server) URL(path string) string { return "zk://" + s.Addr() + path }

// Start starts ZooKeeper; the test fails (never skips) when it is missing.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := os.Stat(jar); err != nil {
		t.Fatalf("ZooKeeper not installed (%s missing): apt-get install zookeeper", jar)
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Fatalf("java not found: apt-get install default-jre-headless zookeeper")
	}
	s := &Server{t: t, dir: t.TempDir(), Port: freePort(t)}
	cfg := fmt.Sprintf("tickTime=500\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\nadmin.enableServer=false\nminSessionTimeout=1000\nmaxSessionTimeout=60000\n4lw.commands.whitelist=ruok\n",
		filepath.Join(s.dir, "data"), s.Port)
	if err := os.WriteFile(filepath.Join(s.dir, "zoo.cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	s.start()
	return s
}

func (s *Server) start() {
	s.t.Helper()
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
		s.t.Fatal(err)
	}
	cmd := exec.Command("java", "-Xmx128m", "-Dzookeeper.log.dir="+s.dir, "-Dzookeeper.root.logger=WARN,CONSOLE",
		"-cp", cp, "org.apache.zookeeper.server.ZooKeeperServerMain", filepath.Join(s.dir, "zoo.cfg"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		s.t.Fatalf("start ZooKeeper: %v", err)
	}
	logf.Close()
	s.cmd = cmd
	s.waitErr = make(chan error, 1)
	go func() { s.waitErr <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if s.ruok() {
			return
		}
		select {
		case err := <-s.waitErr:
			log, _ := os.ReadFile(filepath.Join(s.dir, "zookeeper.log"))
			s.cmd = nil
			s.t.Fatalf("ZooKeeper exited: %v\n%s", err, log)
		case <-time.After(100 * time.Millisecond):
		}
	}
	log, _ := os.ReadFile(filepath.Join(s.dir, "zookeeper.log"))
	s.t.Fatalf("ZooKeeper did not answer on %s within 30s\n%s", s.Addr(), log)
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
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
