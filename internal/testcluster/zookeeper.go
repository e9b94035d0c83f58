package testcluster

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ZooKeeper jar and configuration of the Debian zookeeper package.
const (
	zkJar     = "/usr/share/java/zookeeper.jar"
	zkConfDir = "/etc/zookeeper/conf"
)

// startZooKeeper runs a standalone ZooKeeper server (Debian package) on
// 127.0.0.1 with its data under dir, in its own process group. It returns
// the pid once the server answers ruok on the port.
func startZooKeeper(dir string, port int, timeout time.Duration, dieWithParent bool) (pid int, err error) {
	if _, err := os.Stat(zkJar); err != nil {
		return 0, fmt.Errorf("ZooKeeper not found (%s): install the Debian package zookeeper (scripts/install-deps.sh)", zkJar)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return 0, fmt.Errorf("java not found: install the Debian package zookeeper (scripts/install-deps.sh)")
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return 0, err
	}
	cfg := filepath.Join(dir, "zoo.cfg")
	conf := fmt.Sprintf("tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\nmaxClientCnxns=0\n4lw.commands.whitelist=ruok,srvr,stat\n", data, port)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		return 0, err
	}
	logf, err := os.Create(filepath.Join(dir, "zookeeper.log"))
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	cmd := exec.Command(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
		"-Dzookeeper.log.dir="+dir, "-Dzookeeper.root.logger=INFO,CONSOLE",
		"-cp", zkConfDir+":"+zkJar,
		"org.apache.zookeeper.server.ZooKeeperServerMain", cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if dieWithParent {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting ZooKeeper: %w", err)
	}
	pid = cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(timeout)
	for {
		select {
		case err := <-exited:
			return 0, fmt.Errorf("ZooKeeper exited at once (%v); see %s", err, filepath.Join(dir, "zookeeper.log"))
		default:
		}
		if zkOK(port) {
			return pid, nil
		}
		if time.Now().After(deadline) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			return 0, fmt.Errorf("ZooKeeper did not answer on 127.0.0.1:%d within %s; see %s", port, timeout, filepath.Join(dir, "zookeeper.log"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// zkOK asks the four-letter word ruok.
func zkOK(port int) bool {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 500*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("ruok")); err != nil {
		return false
	}
	buf := make([]byte, 8)
	n, _ := c.Read(buf)
	return strings.HasPrefix(string(buf[:n]), "imok")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
