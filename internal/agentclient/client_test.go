package agentclient

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/testutil/agentdtest"
)

func startAgent(t *testing.T, extra ...string) string {
	t.Helper()
	return agentdtest.Start(t, append([]string{"--attributes=rack:3", "--resources=cpus:2;mem:512;disk:1024"}, extra...)...).Addr
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
