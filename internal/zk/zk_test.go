package zk

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"

	"github.com/mesosctl/mesosctl/internal/testutil/zookeeper"
)

func TestParseURL(t *testing.T) {
	u, err := ParseURL("zk://user:pw@h1:2181,h2/mesos/")
	if err != nil || len(u.Servers) != 2 || u.Servers[1] != "h2:2181" || u.Path != "/mesos" || u.User != "user" || u.Pass != "pw" {
		t.Fatalf("ParseURL = %+v, %v", u, err)
	}
	for _, bad := range []string{"h1:2181/mesos", "zk://h1:2181", "zk:///mesos", "zk://h1,,h2/mesos", "zk://h1/"} {
		if _, err := ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) accepted", bad)
		}
	}
}

func TestLeaderZnode(t *testing.T) {
	got, ok := LeaderZnode([]string{"log_replicas", "json.info_0000000012", "json.info_0000000003", "info_0000000001", "json.info_x"})
	if !ok || got != "json.info_0000000003" {
		t.Fatalf("leader = %q %v", got, ok)
	}
	if _, ok := LeaderZnode([]string{"log_replicas"}); ok {
		t.Fatal("leader among none")
	}
	mi := MasterInfo{IP: 16777343, Port: 5050}
	if mi.HostPort() != "127.0.0.1:5050" {
		t.Fatalf("HostPort = %s", mi.HostPort())
	}
}

func waitFor(t *testing.T, what string, timeout time.Duration, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestRegisterSurvivesRestartAndExpiry(t *testing.T) {
	srv := zookeeper.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	entry := AgentEntry{ID: "a-S0", Hostname: "h", Port: 5051, PID: "slave(1)@127.0.0.1:5051",
		Resources: json.RawMessage(`{"cpus":1.0}`), Attributes: json.RawMessage(`{"rack":3.0}`), Version: "1.11.0"}
	// The registration's log goes to the test's: a failure shows what the
	// registration saw.
	reg, err := Register(ctx, srv.URL("/mesos"), 2*time.Second, "a-S0", entry, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	u, _ := ParseURL(srv.URL("/mesos"))
	watcher, _, err := Connect(u, 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	listed := func() bool {
		agents, err := ListAgents(watcher, "/mesos")
		return err == nil && len(agents) == 1 && agents[0].ID == "a-S0" && string(agents[0].Attributes) == `{"rack":3.0}`
	}
	waitFor(t, "registration", 10*time.Second, listed)

	// Quick restart: the session survives or is re-established.
	srv.Restart()
	waitFor(t, "registration after restart", 60*time.Second, listed) // a JVM restart on a loaded machine

	// Down longer than the session timeout.
	srv.Stop()
	time.Sleep(3 * time.Second)
	srv.Restart()
	waitFor(t, "registration after a long outage", 60*time.Second, listed)

	// The node vanishes (as after a session expiry): it is re-created.
	if err := watcher.Delete("/mesos/agents/a-S0", -1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "re-registration after the node vanished", 10*time.Second, listed)

	reg.Close()
	waitFor(t, "deregistration", 10*time.Second, func() bool {
		ok, _, err := watcher.Exists("/mesos/agents/a-S0")
		return err == nil && !ok
	})
}

func TestDetectMaster(t *testing.T) {
	srv := zookeeper.Start(t)
	u, _ := ParseURL(srv.URL("/mesos"))
	conn, _, err := Connect(u, 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := DetectMaster(conn, "/mesos"); err == nil {
		t.Fatal("detected a master in an empty tree")
	}
	acl := gozk.WorldACL(gozk.PermAll)
	conn.Create("/mesos", nil, 0, acl)
	conn.Create("/mesos/log_replicas", nil, 0, acl)
	for _, info := range []string{
		`{"id":"m1","ip":16777343,"port":5050,"pid":"master@127.0.0.1:5050","hostname":"m1","version":"1.11.0","address":{"hostname":"m1","ip":"127.0.0.1","port":5050}}`,
		`{"id":"m2","ip":16777343,"port":5051,"hostname":"m2"}`,
	} {
		if _, err := conn.Create("/mesos/json.info_", []byte(info), gozk.FlagEphemeral|gozk.FlagSequence, acl); err != nil {
			t.Fatal(err)
		}
	}
	mi, err := DetectMaster(conn, "/mesos")
	if err != nil || mi.ID != "m1" || mi.HostPort() != "127.0.0.1:5050" {
		t.Fatalf("DetectMaster = %+v, %v", mi, err)
	}
}
