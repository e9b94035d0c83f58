package agentclient

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	agent "github.com/mesosctl/mesosctl/internal/agentd"
	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/flags"
)

func startAgent(t *testing.T, extra ...string) string {
	t.Helper()
	v, err := flags.Load(append([]string{"--work_dir=" + t.TempDir(), "--config_dir=", "--ip=127.0.0.1", "--port=0",
		"--attributes=rack:3", "--resources=cpus:2;mem:512;disk:1024"}, extra...), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := agent.NewConfig(v)
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	cfg.Ready = func(a string) { ready <- a }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx, cfg) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case a := <-ready:
		return a
	case err := <-done:
		t.Fatalf("agent exited: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("agent not ready")
	}
	return ""
}

func TestClientAgainstAgentd(t *testing.T) {
	ctx := context.Background()
	c := New(startAgent(t))
	if err := c.Health(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := c.StateTyped(ctx)
	if err != nil || string(st.Attributes) != `{"rack":3.0}` || !strings.HasSuffix(st.ID, "-S0") {
		t.Fatalf("state = %+v, %v", st, err)
	}
	fl, err := c.Flags(ctx)
	if err != nil || fl["port"] != "0" {
		t.Fatalf("flags = %v, %v", fl, err)
	}
	v, err := c.Version(ctx)
	if err != nil || v.Version != "1.11.0" {
		t.Fatalf("version = %+v, %v", v, err)
	}
	var ga api.GetAgent
	if err := c.Call(ctx, &api.Call{Type: api.CallGetAgent}, &ga); err != nil || ga.AgentInfo.ID == nil || ga.AgentInfo.ID.Value != st.ID {
		t.Fatalf("GET_AGENT = %+v, %v", ga, err)
	}
	err = c.Call(ctx, &api.Call{Type: "NOPE"}, nil)
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 501 {
		t.Fatalf("unknown call: %v", err)
	}
}

func TestClientAuth(t *testing.T) {
	ctx := context.Background()
	addr := startAgent(t, `--http_credentials={"credentials":[{"principal":"p","secret":"s"}]}`, "--authenticate_http_readonly")
	c := New(addr)
	_, err := c.State(ctx)
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 401 || !strings.Contains(err.Error(), "http_credentials") {
		t.Fatalf("unauthenticated: %v", err)
	}
	c.User, c.Password = "p", "s"
	if _, err := c.State(ctx); err != nil {
		t.Fatal(err)
	}
	c2 := New("127.0.0.1:1")
	c2.Timeout = time.Second
	if err := c2.Health(ctx); err == nil {
		t.Fatal("health of a closed port succeeded")
	}
}
