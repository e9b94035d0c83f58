package placement

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/mesos"
)

// stateServer answers /state with the given resources, allocation and
// attributes, and 404 elsewhere, as an Apache Mesos agent does (no
// api.PlacementPath: placement falls back to /state). The shape is
// agentd's and Mesos agents'.
func stateServer(t *testing.T, id, total, allocated, attrs string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/state" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"id":%q,"hostname":"h","resources":%s,"unreserved_resources":%s,"unreserved_resources_allocated":%s,"attributes":%s,"reserved_resources":{"web":{"cpus":2.0,"mem":0.0}},"reserved_resources_allocated":{}}`,
			id, total, total, allocated, attrs)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func req(t *testing.T, res string, constraints ...string) Request {
	t.Helper()
	r, err := mesos.ParseResources(res, "*")
	if err != nil {
		t.Fatal(err)
	}
	return Request{Resources: r, Constraints: constraints}
}

func client(c Candidate) *agentclient.Client { return agentclient.New(c.Addr) }

func TestPlace(t *testing.T) {
	ctx := context.Background()
	Pick = func(int) int { return 0 } // the first of the about-as-good: deterministic
	defer func() { Pick = rand.IntN }()
	cands := []Candidate{
		{"lxb001", stateServer(t, "S1", `{"cpus":4.0,"mem":1024.0}`, `{"cpus":2.1,"mem":160.0}`, `{"rack":1.0,"os":"centos7"}`)},
		{"lxb002", stateServer(t, "S2", `{"cpus":8.0,"mem":1024.0}`, `{"cpus":0.0,"mem":0.0}`, `{"rack":3.0}`)},
		{"lxb003", stateServer(t, "S3", `{"cpus":8.0,"mem":1024.0}`, `{}`, `{"rack":3.0}`)},
		{"lxb004", "http://127.0.0.1:1"},
	}
	var tried []string
	launch := func(ctx context.Context, a Agent) error { tried = append(tried, a.Name); return nil }

	// Most free cpus wins, ties by name.
	a, err := Place(ctx, cands, req(t, "cpus:1;mem:128"), client, 2, launch)
	if err != nil || a.Name != "lxb002" || a.ID != "S2" || a.Free.Scalar("cpus") != 8 {
		t.Fatalf("placed on %+v, %v", a, err)
	}
	// Constraints.
	a, err = Place(ctx, cands, req(t, "cpus:1;mem:128", "os:centos7"), client, 2, launch)
	if err != nil || a.Name != "lxb001" {
		t.Fatalf("constraint: %+v, %v", a, err)
	}
	// Lost a race on lxb002: re-read, go to lxb003.
	tried = nil
	racy := func(ctx context.Context, a Agent) error {
		tried = append(tried, a.Name)
		if a.Name == "lxb002" {
			return &agentclient.TaskError{Status: 409, Code: "INSUFFICIENT_RESOURCES", Message: "does not fit"}
		}
		return nil
	}
	a, err = Place(ctx, cands, req(t, "cpus:1;mem:128", "rack:3"), client, 2, racy)
	if err != nil || a.Name != "lxb003" || fmt.Sprint(tried) != "[lxb002 lxb003]" {
		t.Fatalf("race: %+v, %v, tried %v", a, err, tried)
	}
	// Nothing fits: every agent's reason.
	_, err = Place(ctx, cands, req(t, "cpus:4;mem:128", "rack:1"), client, 2, launch)
	var nf *NoFitError
	want := "no agent fits cpus:4;mem:128: lxb001 has cpus 1.9 free, lxb002 lacks attribute rack:1, lxb003 lacks attribute rack:1, lxb004 is unreachable ("
	if !errors.As(err, &nf) || len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Fatalf("no fit: %v", err)
	}
	// All refuse: the refusal is the reason.
	_, err = Place(ctx, cands[1:3], req(t, "cpus:1"), client, 2, func(context.Context, Agent) error {
		return &agentclient.TaskError{Status: 409, Code: "INSUFFICIENT_RESOURCES", Message: "task needs more"}
	})
	if err == nil || err.Error() != "no agent fits cpus:1: lxb002 refused it (task needs more), lxb003 refused it (task needs more)" {
		t.Fatalf("all refused: %v", err)
	}
	// Other launch errors end the placement.
	boom := errors.New("boom")
	if _, err := Place(ctx, cands, req(t, "cpus:1"), client, 2, func(context.Context, Agent) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("launch error: %v", err)
	}
}

func TestChoose(t *testing.T) {
	free := func(cpus float64) Agent {
		r, _ := mesos.ParseResources(fmt.Sprintf("cpus:%g;mem:1000", cpus), "*")
		return Agent{Free: r}
	}
	ranked := []Agent{free(8), free(7.5), free(7), free(2)}
	var got []int
	Pick = func(n int) int { got = append(got, n); return n - 1 }
	defer func() { Pick = rand.IntN }()
	// Task cpus 1 (+0.1): 8, 7.5 and 7 are about as good; 2 is not.
	if i := Choose(ranked, req(t, "cpus:1;mem:10")); i != 2 || got[0] != 3 {
		t.Fatalf("Choose = %d among %v", i, got)
	}
	// Tiny tasks: only the best.
	if i := Choose(ranked, req(t, "cpus:0.1;mem:10")); i != 0 {
		t.Fatalf("small task: %d", i)
	}
	if i := Choose(ranked[:1], req(t, "cpus:1")); i != 0 {
		t.Fatal("one agent")
	}
}

func TestEvaluate(t *testing.T) {
	free, _ := mesos.ParseResources("cpus:1.05;mem:100", "*")
	attrs, _ := mesos.ParseAttributes("rack:3;os:centos7")
	for _, tt := range []struct {
		res  string
		cons []string
		want string
	}{
		{"cpus:0.5;mem:64", nil, ""},
		{"cpus:1;mem:64", nil, "has cpus 1.05 free"},
		{"cpus:1;mem:100", []string{"rack:3"}, "has cpus 1.05, mem 100 free"},
		{"cpus:0.1;disk:10", nil, "has disk 0 free"},
		{"cpus:0.1", []string{"rack:3", "os:debian"}, "lacks attribute os:debian"},
		{"cpus:0.1", []string{"rack:3.0"}, ""},
	} {
		if got := Evaluate(free, attrs, req(t, tt.res, tt.cons...)); got != tt.want {
			t.Errorf("%s %v: %q, want %q", tt.res, tt.cons, got, tt.want)
		}
	}
}

func TestCandidatesFromMaster(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/slaves" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, `{"slaves":[{"id":"S2","hostname":"lxb002","port":5051,"pid":"slave(1)@10.0.0.2:5051","active":true},`+
			`{"id":"S1","hostname":"lxb001","port":5051,"pid":"slave(1)@10.0.0.1:5051"},`+
			`{"id":"S3","hostname":"lxb003","port":5051,"pid":"slave(1)@10.0.0.3:5051","active":false}]}`)
	}))
	defer srv.Close()
	got, err := Candidates(context.Background(), Sources{Master: srv.URL})
	if err != nil || fmt.Sprint(got) != "[{lxb001 http://10.0.0.1:5051} {lxb002 http://10.0.0.2:5051}]" {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := Candidates(context.Background(), Sources{}); err == nil || err.Error() != errNoSource.Error() {
		t.Fatalf("no source: %v", err)
	}
}
