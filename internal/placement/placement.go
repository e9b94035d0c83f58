// Package placement chooses the agent a task runs on: it reads each
// candidate agent's placement view (agentd's /mesosctl/v1/placement; the
// /state of an Apache Mesos agent), computes free = total − allocated, filters by
// attribute constraints and by fit (task resources plus the command
// executor's overhead), ranks the rest (most free cpus first, ties by name)
// and launches, moving on to the next agent when one refuses because
// another client took the resources first. When nothing fits it explains,
// per agent, why.
package placement

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/mesos"
	"github.com/mesosctl/mesosctl/internal/parallel"
)

// Candidate is an agent a task may go to.
type Candidate struct {
	Name string // node name (inventory) or the agent's hostname (ZooKeeper)
	Addr string // host:port or URL of its HTTP endpoint
}

// Request is what the task needs.
type Request struct {
	// Resources are the task's own (executor overhead is added here).
	Resources mesos.Resources
	// Role whose reservations the task may use ("" = "*").
	Role string
	// Constraints are attribute constraints "name:value", all required.
	Constraints []string
	// Containerizer, when set (docker), must be in the agent's
	// --containerizers.
	Containerizer string
}

// Need returns the task's resources plus the command executor's overhead
// (cpus 0.1, mem 32), as the agent accounts for them.
func (r Request) Need() mesos.Resources {
	return r.Resources.Flatten(mesos.UnreservedRole).Add(mesos.ExecutorOverhead(""))
}

// Agent is a candidate as read from its /state.
type Agent struct {
	Candidate
	ID         string
	Hostname   string
	Free       mesos.Resources // usable by the request's role, flattened to "*"
	Attributes mesos.Attributes
	// Reason says why the task cannot go there ("" = it fits).
	Reason string
	// Err is set when the agent could not be read.
	Err error
}

// NoFitError says that no candidate can take the task, and why.
type NoFitError struct {
	Request string   // the task's resources, e.g. cpus:4;mem:128
	Reasons []string // one per agent: "lxb001 has cpus 1.9 free"
}

func (e *NoFitError) Error() string {
	if len(e.Reasons) == 0 {
		return fmt.Sprintf("no agent fits %s: no candidate agents", e.Request)
	}
	return fmt.Sprintf("no agent fits %s: %s", e.Request, strings.Join(e.Reasons, ", "))
}

// Client returns the HTTP client used for a candidate.
type Client func(Candidate) *agentclient.Client

// readAll reads every candidate's /state, at most fanout at once, and
// evaluates the request against it. It fails only when ctx ends first.
func readAll(ctx context.Context, cands []Candidate, req Request, client Client, fanout int) ([]Agent, error) {
	out := make([]Agent, len(cands))
	err := parallel.Each(ctx, fanout, len(cands), func(ctx context.Context, i int) {
		out[i] = readOne(ctx, cands[i], req, client(cands[i]))
	})
	return out, err
}

func readOne(ctx context.Context, c Candidate, req Request, cl *agentclient.Client) Agent {
	a := Agent{Candidate: c}
	st, err := cl.PlacementState(ctx)
	if err != nil {
		a.Err = err
		a.Reason = "is unreachable (" + err.Error() + ")"
		return a
	}
	a.ID, a.Hostname = st.ID, st.Hostname
	a.Free, err = FreeOf(st, req.Role)
	if err == nil {
		a.Attributes, err = mesos.ParseV0Attributes(orEmpty(st.Attributes))
	}
	if err != nil {
		a.Err = err
		a.Reason = "answers a /state that cannot be read (" + err.Error() + ")"
		return a
	}
	a.Reason = Evaluate(a.Free, a.Attributes, req)
	if want := req.Containerizer; want != "" && a.Reason == "" {
		have := st.Flags["containerizers"]
		if have == "" {
			have = "mesos"
		}
		if !slices.Contains(strings.Split(have, ","), want) {
			a.Reason = fmt.Sprintf("has no %s containerizer (--containerizers=%s)", want, have)
		}
	}
	return a
}

// only returns the entries of r named name.
func only(r mesos.Resources, name string) mesos.Resources {
	var out mesos.Resources
	for _, x := range r {
		if x.Name == name {
			out = append(out, x)
		}
	}
	return out
}

func orEmpty(b []byte) []byte {
	if len(b) == 0 || string(b) == "null" {
		return []byte("{}")
	}
	return b
}

// FreeOf computes an agent's free resources usable by role from /state:
// unreserved_resources − unreserved_resources_allocated, plus, for a role
// other than "*", reserved_resources[role] − reserved_resources_allocated[role].
func FreeOf(st *api.State, role string) (mesos.Resources, error) {
	sub := func(total, used []byte) (mesos.Resources, error) {
		t, err := mesos.ParseSummary(orEmpty(total))
		if err != nil {
			return nil, err
		}
		u, err := mesos.ParseSummary(orEmpty(used))
		if err != nil {
			return nil, err
		}
		// Subtract per name, clamping at zero: a stale or odd /state must
		// not make the agent unusable with an error.
		var out mesos.Resources
		for _, r := range t {
			one := mesos.Resources{r}
			if left, err := one.Subtract(only(u, r.Name)); err == nil {
				out = out.Add(left)
			}
		}
		return out, nil
	}
	total := st.UnreservedResources
	if len(total) == 0 {
		total = st.Resources
	}
	free, err := sub(total, st.UnreservedResourcesAllocated)
	if err != nil {
		return nil, err
	}
	if role != "" && role != mesos.UnreservedRole {
		res, err := sub(st.ReservedResources[role], st.ReservedResourcesAllocated[role])
		if err != nil {
			return nil, err
		}
		free = free.Add(res)
	}
	return free, nil
}

// Evaluate says why a task cannot go to an agent with free resources and
// attributes ("" when it can): "lacks attribute rack:3", "has cpus 1.9 free".
func Evaluate(free mesos.Resources, attrs mesos.Attributes, req Request) string {
	var lacks []string
	for _, c := range req.Constraints {
		if ok, err := attrs.Matches(c); err != nil || !ok {
			lacks = append(lacks, c)
		}
	}
	if len(lacks) > 0 {
		return "lacks attribute " + strings.Join(lacks, ";")
	}
	need := req.Need()
	if free.Contains(need) {
		return ""
	}
	var short []string
	for _, r := range need {
		if !free.Contains(mesos.Resources{r}) {
			v, ok := free.Get(r.Name)
			have := "0"
			if ok {
				have = v.String()
			}
			short = append(short, r.Name+" "+have)
		}
	}
	return "has " + strings.Join(short, ", ") + " free"
}

// Rank returns the agents that fit, best first: most free cpus, then most
// free mem, ties by name.
func Rank(agents []Agent) []Agent {
	var fit []Agent
	for _, a := range agents {
		if a.Reason == "" {
			fit = append(fit, a)
		}
	}
	sort.SliceStable(fit, func(i, j int) bool {
		a, b := fit[i], fit[j]
		if x, y := a.Free.Scalar("cpus"), b.Free.Scalar("cpus"); x != y {
			return x > y
		}
		if x, y := a.Free.Scalar("mem"), b.Free.Scalar("mem"); x != y {
			return x > y
		}
		return a.Name < b.Name
	})
	return fit
}

// Pick returns a random index below n (replaced in tests).
var Pick = rand.IntN

// Choose picks among ranked agents: the best, or, when several are about
// as good (their free cpus differ from the best's by less than the task's
// own cpus, so that after placing it there the best would no longer be
// best), one of those at random. Clients submitting at the same moment read
// the same free resources; without this they would all pick the same agent
// and queue on it.
func Choose(ranked []Agent, req Request) int {
	if len(ranked) < 2 {
		return 0
	}
	margin := req.Need().Scalar("cpus")
	n := 1
	for n < len(ranked) && ranked[0].Free.Scalar("cpus")-ranked[n].Free.Scalar("cpus") < margin {
		n++
	}
	return Pick(n)
}

// Launch starts the task on the chosen agent; it returns an error matching
// agentclient.ErrInsufficient when the agent refused for lack of resources.
type Launch func(ctx context.Context, a Agent) error

// Place reads the candidates (at most fanout at once), launches on the best
// one, and, when that agent refuses for lack of resources (another client
// was faster), re-reads the remaining candidates and tries the next best.
// It returns the agent the task went to, or a *NoFitError naming every
// agent's reason. Other launch errors are returned as they are.
func Place(ctx context.Context, cands []Candidate, req Request, client Client, fanout int, launch Launch) (Agent, error) {
	refused := map[string]string{} // candidate name → reason
	remaining := cands
	var last []Agent
	for len(remaining) > 0 {
		agents, err := readAll(ctx, remaining, req, client, fanout)
		if err != nil {
			return Agent{}, err
		}
		last = agents
		fit := Rank(agents)
		if len(fit) == 0 {
			break
		}
		best := fit[Choose(fit, req)]
		err = launch(ctx, best)
		if err == nil {
			return best, nil
		}
		if !errors.Is(err, agentclient.ErrInsufficient) {
			return best, err
		}
		refused[best.Name] = "refused it (" + err.Error() + ")"
		var next []Candidate
		for _, c := range remaining {
			if c.Name != best.Name {
				next = append(next, c)
			}
		}
		remaining = next
	}
	nf := &NoFitError{Request: req.Resources.String()}
	for _, c := range cands {
		if r, ok := refused[c.Name]; ok {
			nf.Reasons = append(nf.Reasons, c.Name+" "+r)
			continue
		}
		for _, a := range last {
			if a.Name == c.Name && a.Reason != "" {
				nf.Reasons = append(nf.Reasons, c.Name+" "+a.Reason)
			}
		}
	}
	return Agent{}, nf
}
