package netports

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/mesos"
)

// A child process listening on a loopback port is found through its
// descriptors; this process's own listener is not its.
func TestListening(t *testing.T) {
	own, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	ownPort := uint16(own.Addr().(*net.TCPAddr).Port)

	probe, _ := net.Listen("tcp", "127.0.0.1:0")
	port := probe.Addr().(*net.TCPAddr).Port
	probe.Close()
	// The test binary re-executed as a listener on port.
	cmd := exec.Command(os.Args[0], "-test.run=TestHelperListen")
	cmd.Env = append(os.Environ(), "NETPORTS_LISTEN="+strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := Listening([]int{cmd.Process.Pid})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 1 && got[0] == uint16(port) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Listening = %v, want [%d]", got, port)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mine, _ := Listening([]int{os.Getpid()})
	if len(mine) != 1 || mine[0] != ownPort {
		t.Errorf("own listeners %v, want [%d]", mine, ownPort)
	}
	if got, _ := Listening([]int{1 << 30}); len(got) != 0 {
		t.Errorf("a missing process listens on %v", got)
	}
}

func TestHelperListen(t *testing.T) {
	p := os.Getenv("NETPORTS_LISTEN")
	if p == "" {
		return // only as the child of TestListening
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+p)
	if err != nil {
		os.Exit(1)
	}
	defer l.Close()
	time.Sleep(time.Minute)
	os.Exit(0)
}

func TestUnallocated(t *testing.T) {
	r := func(b, e uint64) mesos.Range { return mesos.Range{Begin: b, End: e} }
	listening := []uint16{80, 8080, 8081, 8082, 31000, 31005}
	got := Unallocated(listening, []mesos.Range{r(31000, 31000)}, nil)
	if s := mesos.RangesValue(got...).SummaryString(); s != "[80-80, 8080-8082, 31005-31005]" {
		t.Errorf("all checked: %s", s)
	}
	got = Unallocated(listening, []mesos.Range{r(31000, 31000)}, []mesos.Range{r(31000, 32000)})
	if msg := Message("c1", got); msg != "Container c1 is listening on unallocated port(s): [31005-31005]" {
		t.Errorf("message %q", msg)
	}
	if got := Unallocated(listening[:1], nil, []mesos.Range{r(1024, 65535)}); len(got) != 0 {
		t.Errorf("outside the checked range: %v", got)
	}
	if !strings.Contains(Message("c", []mesos.Range{r(1, 2)}), "[1-2]") {
		t.Error(Message("c", []mesos.Range{r(1, 2)}))
	}
}
