package agentd_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	agent "github.com/mesosctl/mesosctl/internal/agentd"
	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/flags"
	"github.com/mesosctl/mesosctl/internal/testutil/agentdtest"
	"github.com/mesosctl/mesosctl/internal/testutil/zookeeper"
	"github.com/mesosctl/mesosctl/internal/zk"
)

func TestLiveAttributesPersistAcrossRestart(t *testing.T) {
	srv := zookeeper.Start(t)
	url := srv.URL("/mesos")
	base := []string{"--hostname=h1", "--resources=cpus:2;mem:1024;disk:1024", "--master=" + url}
	a := agentdtest.Start(t, append(base, "--attributes=os:centos6;rack:1")...)
	c := agentclient.New(a.Addr)
	ctx := context.Background()
	st, err := c.StateTyped(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := st.ID

	got, err := c.SetAttributes(ctx, api.SetAttributes{Attributes: "os:centos7;rack:3;zone:b"})
	if err != nil {
		t.Fatal(err)
	}
	if got.AgentID != id || got.Attributes != "os:centos7;rack:3;zone:b" || string(got.Object) != `{"os":"centos7","rack":3.0,"zone":"b"}` {
		t.Errorf("answer = %+v %s", got, got.Object)
	}
	st, _ = c.StateTyped(ctx)
	if st.ID != id || string(st.Attributes) != `{"os":"centos7","rack":3.0,"zone":"b"}` || st.Flags["attributes"] != "os:centos7;rack:3;zone:b" {
		t.Errorf("/state after: id %s attrs %s flag %q", st.ID, st.Attributes, st.Flags["attributes"])
	}
	fl, _ := c.Flags(ctx)
	if fl["attributes"] != "os:centos7;rack:3;zone:b" {
		t.Errorf("/flags attributes = %q", fl["attributes"])
	}
	info, _ := os.ReadFile(filepath.Join(a.WorkDir, "meta", "slaves", id, "slave.info"))
	if !strings.Contains(string(info), `"centos7"`) {
		t.Errorf("slave.info not updated:\n%s", info)
	}
	// The ZooKeeper registration shows the new attributes.
	u, _ := zk.ParseURL(url)
	conn, _, err := zk.Connect(u, 10*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		e, _ := zk.ListAgents(conn, "/mesos")
		if len(e) == 1 && strings.Contains(string(e[0].Attributes), "centos7") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ZooKeeper entry not updated: %+v", e)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Restart with the matching flag: same agent ID, same attributes.
	a.Stop()
	work := "--work_dir=" + a.WorkDir
	a2 := agentdtest.Start(t, append(base, work, "--attributes=os:centos7;rack:3;zone:b")...)
	st, err = agentclient.New(a2.Addr).StateTyped(ctx)
	if err != nil || st.ID != id {
		t.Fatalf("after restart: %v id %s want %s", err, st.ID, id)
	}
	a2.Stop()
	// The old flag value no longer passes the reconfiguration check.
	v, err := flags.Load(append(base, work, "--runtime_dir="+t.TempDir(), "--config_dir=", "--ip=127.0.0.1", "--port=0", "--attributes=os:centos6;rack:1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := agent.NewConfig(v)
	if err != nil {
		t.Fatal(err)
	}
	err = agent.Run(ctx, cfg)
	var re *agent.RecoveryError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), `attribute "os" changed`) {
		t.Fatalf("restart with the old attributes: %v", err)
	}
}

func TestLiveAttributesValidationAndAuth(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "creds.json")
	os.WriteFile(creds, []byte(`{"credentials":[{"principal":"ops","secret":"pw"}]}`), 0o600)
	a := agentdtest.Start(t, "--attributes=rack:1", "--http_credentials=file://"+creds, "--authenticate_http_readwrite")
	ctx := context.Background()
	// Anonymous: refused. (A raw request: agentclient on this host would
	// use the agent's own credential file, see agentclient.)
	resp, err := http.Post("http://"+a.Addr+api.AttributesPath, "application/json", strings.NewReader(`{"attributes":"rack:2"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without credentials: %d", resp.StatusCode)
	}
	c := agentclient.New(a.Addr)
	var he *agentclient.HTTPError
	c.User, c.Password = "ops", "wrong"
	if _, err := c.SetAttributes(ctx, api.SetAttributes{Attributes: "rack:2"}); !errors.As(err, &he) || he.Status != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %v", err)
	}
	c.Password = "pw"
	for _, bad := range []string{"rack", "a:{x,y}", ":v", "k:"} {
		_, err := c.SetAttributes(ctx, api.SetAttributes{Attributes: bad})
		if !errors.As(err, &he) || he.Status != http.StatusBadRequest || !strings.Contains(err.Error(), "Invalid attributes") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	for _, body := range []string{"", "{", `{"attributes":1}`, `{"attrs":"a:b"}`} {
		req, _ := http.NewRequest("POST", "http://"+a.Addr+"/mesosctl/v1/attributes", strings.NewReader(body))
		req.SetBasicAuth("ops", "pw")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Error string }
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(e.Error, `{"attributes":"os:centos7;rack:3"}`) {
			t.Errorf("body %q: %d %q", body, resp.StatusCode, e.Error)
		}
	}
	st, _ := c.StateTyped(ctx)
	if string(st.Attributes) != `{"rack":1.0}` {
		t.Errorf("rejected changes applied: %s", st.Attributes)
	}
	if got, err := c.SetAttributes(ctx, api.SetAttributes{Attributes: "rack:2"}); err != nil || got.Attributes != "rack:2" {
		t.Fatalf("with credentials: %v %+v", err, got)
	}
	// GET is readonly: no credentials needed here.
	resp, err = http.Get("http://" + a.Addr + "/mesosctl/v1/attributes")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Attributes string }
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if resp.StatusCode != 200 || doc.Attributes != "rack:2" {
		t.Errorf("GET: %d %+v", resp.StatusCode, doc)
	}
	// Removing every attribute.
	if got, err := c.SetAttributes(ctx, api.SetAttributes{Attributes: ""}); err != nil || got.Attributes != "" || string(got.Object) != "{}" {
		t.Errorf("empty: %v %+v", err, got)
	}
	if fl, _ := c.Flags(ctx); fl["attributes"] != "" {
		t.Errorf("/flags still has attributes %q", fl["attributes"])
	}
}

func TestLiveAttributesPersistToFlagFile(t *testing.T) {
	confDir := t.TempDir()
	os.WriteFile(filepath.Join(confDir, "attributes"), []byte("os:centos6\n"), 0o644)
	a := agentdtest.Start(t, "--config_dir="+confDir, "--hostname=h1")
	ctx := context.Background()
	c := agentclient.New(a.Addr)
	got, err := c.Attributes(ctx)
	if err != nil || got.ConfigDir != confDir || got.File == nil || *got.File != "os:centos6" || got.Attributes != "os:centos6" {
		t.Fatalf("GET: %v %+v", err, got)
	}
	got, err = c.SetAttributes(ctx, api.SetAttributes{Attributes: "os:centos7;rack:2", Persist: true})
	if err != nil || got.Persisted != filepath.Join(confDir, "attributes") || got.File == nil || *got.File != "os:centos7;rack:2" {
		t.Fatalf("POST persist: %v %+v", err, got)
	}
	if b, _ := os.ReadFile(filepath.Join(confDir, "attributes")); string(b) != "os:centos7;rack:2\n" {
		t.Errorf("flag file = %q", b)
	}
	id := got.AgentID
	a.Stop()
	a2 := agentdtest.Start(t, "--config_dir="+confDir, "--hostname=h1", "--work_dir="+a.WorkDir)
	if st, err := agentclient.New(a2.Addr).StateTyped(ctx); err != nil || st.ID != id || string(st.Attributes) != `{"os":"centos7","rack":2.0}` {
		t.Fatalf("after restart from the flag file: %v %s %s", err, st.ID, st.Attributes)
	}
	// A directory-form attributes dir cannot be persisted to; nothing changes.
	os.Remove(filepath.Join(confDir, "attributes"))
	os.Mkdir(filepath.Join(confDir, "attributes"), 0o755)
	var he *agentclient.HTTPError
	if _, err := agentclient.New(a2.Addr).SetAttributes(ctx, api.SetAttributes{Attributes: "x:1", Persist: true}); !errors.As(err, &he) || he.Status != http.StatusConflict {
		t.Errorf("directory: %v", err)
	}
	// Without a config_dir: 400.
	a3 := agentdtest.Start(t)
	if _, err := agentclient.New(a3.Addr).SetAttributes(ctx, api.SetAttributes{Attributes: "x:1", Persist: true}); !errors.As(err, &he) || he.Status != http.StatusBadRequest {
		t.Errorf("no config_dir: %v", err)
	}
}
