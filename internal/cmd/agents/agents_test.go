package agents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	gozk "github.com/go-zookeeper/zk"

	"github.com/mesosctl/mesosctl/internal/build"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/inventory"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/render"
	"github.com/mesosctl/mesosctl/internal/testutil/agentdtest"
	"github.com/mesosctl/mesosctl/internal/testutil/zookeeper"
	"github.com/mesosctl/mesosctl/internal/zk"
)

func startAgentd(t *testing.T, zkURL, attrs string) string {
	t.Helper()
	return agentdtest.Start(t, "--master="+zkURL, "--attributes="+attrs, "--resources=cpus:2;mem:1024;disk:4096", "--hostname="+attrs).Addr
}

func run(t *testing.T, opts *Options) (string, string, error) {
	ios, _, out, errOut := iostreams.Test()
	opts.IO = ios
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	if err := opts.Output.Validate(); err != nil {
		t.Fatal(err)
	}
	err := Run(context.Background(), opts)
	return out.String(), errOut.String(), err
}

func TestAgentsFromZooKeeper(t *testing.T) {
	srv := zookeeper.Start(t)
	url := srv.URL("/mesos")
	addr1 := startAgentd(t, url, "rack:1")
	startAgentd(t, url, "rack:2")
	u, _ := zk.ParseURL(url)
	conn, _, err := zk.Connect(u, 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		e, _ := zk.ListAgents(conn, "/mesos")
		if len(e) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("agents did not register: %v", e)
		}
		time.Sleep(100 * time.Millisecond)
	}

	resp, err := http.Get("http://" + addr1 + "/metrics/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]float64
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if m["slave/registered"] != 1 {
		t.Errorf("slave/registered = %v", m["slave/registered"])
	}

	out, _, err := run(t, &Options{ZK: url})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"ID", "HOSTNAME", "rack:1", "rack:2", "0/2", "0/1024", "127.0.0.1:"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	out, _, err = run(t, &Options{ZK: url, Output: outputJSON()})
	if err != nil {
		t.Fatal(err)
	}
	var got []Agent
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("-o json: %v\n%s", err, out)
	}
	if len(got) != 2 || got[0].Hostname != "rack:1" || got[0].Tasks == nil || *got[0].Tasks != 0 ||
		string(got[0].Attributes) != `{"rack":1.0}` && !strings.Contains(string(got[0].Attributes), `"rack":1`) {
		t.Errorf("json = %s", out)
	}

	if got[0].AgentdVersion != build.Current().Version {
		t.Errorf("agentd_version = %q, want this build's %q", got[0].AgentdVersion, build.Current().Version)
	}
	if _, errOut, _ := run(t, &Options{ZK: url}); strings.Contains(errOut, "warning") {
		t.Errorf("same version warned: %s", errOut)
	}

	// Via the config default.
	out, _, err = run(t, &Options{Config: func() (string, time.Duration, error) { return url, 0, nil }})
	if err != nil || !strings.Contains(out, "rack:2") {
		t.Errorf("config default: %v %s", err, out)
	}
}

func outputJSON() render.Options { return render.Options{Format: render.FormatJSON} }

func TestAgentsFromMaster(t *testing.T) {
	srv := zookeeper.Start(t)
	master := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/slaves" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, `{"slaves":[{"id":"m-S3","hostname":"lxb001","port":5051,"pid":"slave(1)@10.0.0.1:5051",
		"resources":{"cpus":8.0,"disk":100.0,"gpus":0.0,"mem":2048.0},"used_resources":{"cpus":1.5,"disk":0.0,"gpus":0.0,"mem":128.0},
		"attributes":{"os":"centos7"},"active":true,"version":"1.11.0"}],"recovered_slaves":[]}`)
	}))
	defer master.Close()
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(master.URL, "http://"))
	u, _ := zk.ParseURL(srv.URL("/mesos"))
	conn, _, err := zk.Connect(u, 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	acl := gozk.WorldACL(gozk.PermAll)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := conn.Create("/mesos", nil, 0, acl)
		if err == nil || err == gozk.ErrNodeExists {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("create /mesos: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	info := fmt.Sprintf(`{"id":"m","port":%s,"hostname":"master1","address":{"hostname":"master1","ip":"%s","port":%s}}`, port, host, port)
	if _, err := conn.Create("/mesos/json.info_", []byte(info), gozk.FlagEphemeral|gozk.FlagSequence, acl); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, &Options{ZK: srv.URL("/mesos")})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"m-S3", "lxb001", "10.0.0.1:5051", "1.5/8", "128/2048", "os:centos7"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	out, _, err = run(t, &Options{Master: strings.TrimPrefix(master.URL, "http://")})
	if err != nil || !strings.Contains(out, "m-S3") {
		t.Errorf("--master: %v %s", err, out)
	}
}

func TestAgentsUnreachableIsPartial(t *testing.T) {
	srv := zookeeper.Start(t)
	url := srv.URL("/mesos")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A registry entry whose agent does not answer.
	reg, err := zk.Register(ctx, url, 5*time.Second, "dead-S0", zk.AgentEntry{ID: "dead-S0", Hostname: "dead",
		Port: 1, Resources: json.RawMessage(`{"cpus":1.0}`), Attributes: json.RawMessage(`{}`),
		Address: zk.Address{IP: "127.0.0.1", Port: 1}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	startAgentd(t, url, "rack:1")
	u, _ := zk.ParseURL(url)
	conn, _, _ := zk.Connect(u, 10*time.Second, nil)
	defer conn.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if e, _ := zk.ListAgents(conn, "/mesos"); len(e) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("agents did not register")
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, errOut, err := run(t, &Options{ZK: url, Timeout: 2 * time.Second})
	var pe *cmdutil.PartialError
	if !errors.As(err, &pe) || pe.Failed != 1 || pe.Total != 2 || cmdutil.ExitCodeOf(err) != 3 {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(out, "unreachable") || !strings.Contains(errOut, "dead (127.0.0.1:1)") {
		t.Errorf("out:\n%s\nerr:\n%s", out, errOut)
	}
}

func TestAgentsErrors(t *testing.T) {
	if _, _, err := run(t, &Options{}); err == nil || !strings.Contains(err.Error(), "no cluster given") {
		t.Errorf("no cluster: %v", err)
	}
	if _, _, err := run(t, &Options{ZK: "host:2181/mesos"}); err == nil || !strings.Contains(err.Error(), "zk://") {
		t.Errorf("bad zk: %v", err)
	}
	if _, _, err := run(t, &Options{Master: "127.0.0.1:1", Timeout: time.Second}); err == nil || !strings.Contains(err.Error(), "master 127.0.0.1:1") {
		t.Errorf("unreachable master: %v", err)
	}
}

func TestAgentsTTYAndPiped(t *testing.T) {
	master := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"slaves":[{"id":"m-S1","hostname":"lxb002","port":5051,"pid":"slave(1)@10.0.0.2:5051",
		"resources":{"cpus":4.0,"disk":10.0,"gpus":0.0,"mem":512.0},"used_resources":{"cpus":0.0,"disk":0.0,"gpus":0.0,"mem":0.0},
		"attributes":{"rack":2.0}}]}`)
	}))
	defer master.Close()
	for _, tty := range []bool{false, true} {
		ios, _, out, _ := iostreams.Test()
		ios.StdoutTTY = tty
		opts := &Options{IO: ios, Master: strings.TrimPrefix(master.URL, "http://"), Timeout: 5 * time.Second}
		if err := Run(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "lxb002") || !strings.Contains(out.String(), "0/4") || !strings.Contains(out.String(), "rack:2") {
			t.Errorf("tty=%v:\n%s", tty, out)
		}
	}
}

func TestWarnVersions(t *testing.T) {
	var b strings.Builder
	warnVersions(&b, []Agent{{Hostname: "a", AgentdVersion: "1.0"}, {Hostname: "b", AgentdVersion: "2.0"},
		{Hostname: "c", AgentdVersion: "1.0"}, {Hostname: "d", AgentdVersion: "3.0"}, {Hostname: "m"}}, "3.0")
	want := "warning: 2 agent(s) run agentd 1.0, this mesosctl is 3.0 (a, c): upgrade them or use a matching mesosctl\n" +
		"warning: 1 agent(s) run agentd 2.0, this mesosctl is 3.0 (b): upgrade them or use a matching mesosctl\n"
	if b.String() != want {
		t.Errorf("got:\n%swant:\n%s", b.String(), want)
	}
}

// TestAgentsListsDownNodes: every expected node (the inventory's) is
// listed: one whose agent is registered, one whose agent answers but is
// not in the registry (found by asking it), one where nothing answers
// (down, with the reason on stderr, exit 3).
func TestAgentsListsDownNodes(t *testing.T) {
	srv := zookeeper.Start(t)
	url := srv.URL("/mesos")
	registered := startAgentd(t, url, "rack:1")
	unregistered := agentdtest.Start(t, "--hostname=lone", "--resources=cpus:1;mem:256;disk:100").Addr
	u, _ := zk.ParseURL(url)
	conn, _, _ := zk.Connect(u, 10*time.Second, nil)
	defer conn.Close()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if e, _ := zk.ListAgents(conn, "/mesos"); len(e) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the agent did not register")
		}
	}
	node := func(name, addr string) inventory.Node {
		h, p, _ := net.SplitHostPort(addr)
		port, _ := strconv.Atoi(p)
		return inventory.Node{Name: name, Address: h, AgentPort: port}
	}
	expected := []inventory.Node{node("rack:1", registered), node("lone", unregistered), node("gone", "127.0.0.1:1")}
	opts := &Options{ZK: url, Timeout: 2 * time.Second, Output: outputJSON(),
		Expected: func([]string) ([]inventory.Node, error) { return expected, nil }}
	out, errOut, err := run(t, opts)
	if cmdutil.ExitCodeOf(err) != cmdutil.ExitPartial {
		t.Fatalf("exit %d (%v), want 3", cmdutil.ExitCodeOf(err), err)
	}
	var got []Agent
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	rows := map[string]Agent{}
	for _, a := range got {
		rows[a.Hostname] = a
	}
	if len(got) != 3 || rows["rack:1"].Status != "up" || rows["rack:1"].Source != "zookeeper" ||
		rows["lone"].Status != "up" || rows["lone"].Source != "inventory" || rows["lone"].ID == "" ||
		rows["gone"].Status != "down" || rows["gone"].ID != "" {
		t.Errorf("rows: %s", out)
	}
	if !strings.Contains(errOut, "gone (127.0.0.1:1): down: not in ZooKeeper's registry, and no agent answers: ") || !strings.Contains(errOut, "connection refused") {
		t.Errorf("stderr: %s", errOut)
	}
	opts.Output = render.Options{}
	out, _, _ = run(t, opts)
	if !regexp.MustCompile(`(?m)^-\s+gone\s+127\.0\.0\.1:1\s+down\s`).MatchString(out) || !strings.Contains(out, "STATUS") {
		t.Errorf("table:\n%s", out)
	}
	// Without ZooKeeper or a master, the inventory alone.
	opts.ZK = ""
	out, _, err = run(t, opts)
	if cmdutil.ExitCodeOf(err) != cmdutil.ExitPartial || !strings.Contains(out, "lone") || !strings.Contains(out, "rack:1") {
		t.Errorf("inventory only: %v\n%s", err, out)
	}
}
