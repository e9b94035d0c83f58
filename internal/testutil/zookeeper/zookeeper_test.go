package zookeeper

import (
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"
	"github.com/mesosctl/mesosctl/internal/zkdial"
)

type quiet struct{}

func (quiet) Printf(string, ...any) {}

func TestStartRestart(t *testing.T) {
	s := Start(t)
	conn, _, err := gozk.Connect([]string{s.Addr()}, 5*time.Second, gozk.WithLogger(quiet{}), gozk.WithLogInfo(false),
		gozk.WithDialer(zkdial.Dialer(5*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if want := "zk://" + s.Addr() + "/mesos"; s.URL("/mesos") != want {
		t.Errorf("URL = %q, want %q", s.URL("/mesos"), want)
	}
	if _, err := conn.Create("/x", []byte("1"), 0, gozk.WorldACL(gozk.PermAll)); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	deadline := time.Now().Add(15 * time.Second)
	for {
		data, _, err := conn.Get("/x")
		if err == nil {
			if string(data) != "1" {
				t.Fatalf("data = %q", data)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
