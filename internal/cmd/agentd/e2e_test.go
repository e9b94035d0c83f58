package agentd

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/testutil/syncbuf"
)

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestEndToEndMesosSlaveBinary builds the binary, links it as mesos-slave
// and runs it with Mesos syntax and a config_dir, then curls /state.
func TestEndToEndMesosSlaveBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the agentd binary: not with -short (make unit)")
	}
	for _, tool := range []string{"curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: apt-get install %s", tool, tool)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mesosctl")
	build := exec.Command("go", "build", "-o", bin, "github.com/mesosctl/mesosctl/cmd/mesosctl")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	slave := filepath.Join(dir, "mesos-slave")
	if err := os.Symlink(bin, slave); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "etc-mesos-slave")
	os.MkdirAll(filepath.Join(conf, "attributes"), 0o755)
	os.WriteFile(filepath.Join(conf, "attributes", "rack"), []byte("3\n"), 0o644)
	os.WriteFile(filepath.Join(conf, "containerizers"), []byte("mesos\n"), 0o644)
	os.WriteFile(filepath.Join(conf, "?no-switch_user"), nil, 0o644)
	port := freePort(t)
	logDir := filepath.Join(dir, "log")
	cmd := exec.Command(slave, "--work_dir="+filepath.Join(dir, "work"), "--port="+strconv.Itoa(port),
		"--ip=127.0.0.1", "--config_dir="+conf, "--log_dir="+logDir, "--runtime_dir="+filepath.Join(dir, "run"))
	cmd.Env = append(os.Environ(), "MESOS_PORT=1") // command line wins
	stderr := &syncbuf.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	var state []byte
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := exec.Command("curl", "-sf", url+"/state").Output()
		if err == nil {
			state = out
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("mesos-slave exited: %v\n%s", err, stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no /state: %v\n%s", err, stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := jq(t, state, "-c", "{attributes, ports: .resources.ports, c: .flags.containerizers, su: .flags.switch_user}"); got != `{"attributes":{"rack":3},"ports":"[31000-32000]","c":"mesos","su":"false"}`+"\n" {
		t.Errorf("state: %s", got)
	}
	// SIGTERM: clean exit 0, log file written.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	b, err := os.ReadFile(filepath.Join(logDir, "mesos-slave.INFO"))
	if err != nil || !strings.Contains(string(b), "Finished recovery") {
		t.Errorf("log file: %v %s", err, b)
	}
}
