package agentconfig

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/mesos"
	"github.com/mesosctl/mesosctl/internal/orphans"
	"github.com/mesosctl/mesosctl/internal/shell"
)

// Result is one node's outcome.
type Result struct {
	Node    string `json:"node"`
	Change  string `json:"change"`
	Action  Action `json:"action"`
	Result  string `json:"result"` // "ok", "unchanged", "dry run", "failed", "skipped"
	AgentID string `json:"agent_id,omitempty"`
	Error   string `json:"error,omitempty"`
	// Orphaned is what a forced clear of meta/slaves/latest left running
	// without an agent.
	Orphaned *Orphaned `json:"orphaned,omitempty"`
}

// Orphaned are the tasks and executors a forced clear-latest orphaned on a
// node: the agent came back with a new ID and does not know them.
type Orphaned struct {
	AgentID   string   `json:"agent_id"` // the old ID they ran under
	Tasks     []string `json:"tasks"`
	Executors []string `json:"executors"`
	// Running are the executors still alive after the restart, found on
	// the node by the orphan scan (internal/orphans); an agent that
	// destroys unknown containers when it starts leaves none.
	Running []string `json:"running"`
	// ScanError is why the node could not be scanned ("" when it was).
	ScanError string `json:"scan_error,omitempty"`
}

// orphaned reports what the forced clear of plan p orphaned, scanning the
// node for those of its executors that still run.
func orphaned(ctx context.Context, t Target, p *Plan) *Orphaned {
	o := &Orphaned{AgentID: p.AgentID, Tasks: []string{}, Executors: []string{}, Running: []string{}}
	for _, rt := range p.Running {
		o.Tasks = append(o.Tasks, rt.ID)
		if !slices.Contains(o.Executors, rt.ExecutorID) {
			o.Executors = append(o.Executors, rt.ExecutorID)
		}
	}
	scan, err := orphans.Find(ctx, orphans.SSH(t.SSH), t.Name, p.WorkDir)
	if err != nil {
		o.ScanError = err.Error()
		return o
	}
	for _, e := range scan.Executors {
		if e.AgentID == p.AgentID && !slices.Contains(o.Running, e.ExecutorID) {
			o.Running = append(o.Running, e.ExecutorID)
		}
	}
	return o
}

// Failed reports whether the node failed (or was skipped after a failed batch).
func (r *Result) Failed() bool { return r.Error != "" }

// writeScript writes every file of the plan atomically (temp file in the
// same directory, then mv) and removes unset ones, in one shell command.
func writeScript(p *Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "set -e; umask 022; mkdir -p %s; ", shell.Quote(p.ConfigDir))
	for _, f := range p.Files {
		if f.Remove {
			fmt.Fprintf(&b, "rm -f %s; ", shell.Quote(f.Path))
			continue
		}
		tmp := shell.Quote(path.Join(path.Dir(f.Path), "."+path.Base(f.Path)+".mesosctl.")) + "$$"
		fmt.Fprintf(&b, "printf '%%s' %s | base64 -d > %s; mv -f %s %s; ",
			shell.Quote(base64.StdEncoding.EncodeToString([]byte(f.New+"\n"))), tmp, tmp, shell.Quote(f.Path))
	}
	return b.String()
}

// Apply carries the plan out on one node and verifies the result. It
// returns the agent ID the node ends up with.
func Apply(ctx context.Context, t Target, req Request, p *Plan) (string, error) {
	if p.Error != "" {
		return "", errors.New(p.Error)
	}
	switch p.Action {
	case ActionNone:
		return p.AgentID, nil
	case ActionLive:
		return applyLive(ctx, t, p)
	}
	if p.Action == ActionClear && p.RunningTasks > 0 && !req.Force {
		if err := drain(ctx, t, req); err != nil {
			return "", err
		}
	}
	var script strings.Builder
	if p.Changed() {
		script.WriteString(writeScript(p))
	}
	if p.Action == ActionClear {
		fmt.Fprintf(&script, "rm -f %s; ", shell.Quote(path.Join(p.WorkDir, "meta", "slaves", "latest")))
	}
	if script.Len() > 0 {
		if _, err := t.SSH(ctx, script.String()); err != nil {
			return "", fmt.Errorf("writing the flag files: %v (nothing restarted)", err)
		}
	}
	if _, err := t.SSH(ctx, p.RestartCommand); err != nil {
		return "", fmt.Errorf("%s: %v", p.RestartCommand, err)
	}
	id, err := waitRestarted(ctx, t, req, p)
	if err != nil {
		return "", err
	}
	if err := verify(ctx, t, p); err != nil {
		return id, err
	}
	switch {
	case p.Action == ActionClear && p.AgentID != "" && id == p.AgentID:
		return id, fmt.Errorf("meta/slaves/latest was cleared but the agent kept ID %s", id)
	case p.Action == ActionRestart && p.AgentID != "" && id != p.AgentID:
		return id, fmt.Errorf("the agent came back with a new ID %s (was %s)", id, p.AgentID)
	}
	return id, nil
}

func applyLive(ctx context.Context, t Target, p *Plan) (string, error) {
	got, err := t.HTTP.SetAttributes(ctx, api.SetAttributes{Attributes: p.Files[0].New, Persist: p.ViaAgent})
	if err != nil {
		return "", fmt.Errorf("live attribute change: %v (flag file not written)", err)
	}
	if !p.ViaAgent { // else agentd wrote the flag file itself
		if _, err := t.SSH(ctx, writeScript(p)); err != nil {
			return got.AgentID, fmt.Errorf("the agent has the new attributes but writing %s failed: %v; a restart would fail the reconfiguration check until the file is fixed", p.Files[0].Path, err)
		}
	}
	if err := verify(ctx, t, p); err != nil {
		return got.AgentID, err
	}
	if p.AgentID != "" && got.AgentID != p.AgentID {
		return got.AgentID, fmt.Errorf("agent ID changed from %s to %s", p.AgentID, got.AgentID)
	}
	return got.AgentID, nil
}

func (req Request) poll() time.Duration {
	if req.PollInterval > 0 {
		return req.PollInterval
	}
	return 200 * time.Millisecond
}

// drain waits until the node runs no task (bounded by DrainTimeout).
func drain(ctx context.Context, t Target, req Request) error {
	if !req.Drain {
		return nil
	}
	limit := req.DrainTimeout
	if limit <= 0 {
		limit = 10 * time.Minute
	}
	deadline := time.Now().Add(limit)
	n := -1
	for {
		st, err := t.HTTP.StateTyped(ctx)
		if err == nil {
			if n = len(runningTasks(st)); n == 0 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("--drain: %d task(s) still running after %s; nothing changed (raise --drain-timeout, or --force to orphan them)", n, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(req.poll()):
		}
	}
}

// waitRestarted waits until /health answers and /state comes from a new
// agent process (another start_time), and returns its agent ID.
func waitRestarted(ctx context.Context, t Target, req Request, p *Plan) (string, error) {
	limit := req.HealthTimeout
	if limit <= 0 {
		limit = 60 * time.Second
	}
	deadline := time.Now().Add(limit)
	var last error
	for {
		if err := t.HTTP.Health(ctx); err != nil {
			last = fmt.Errorf("/health: %v", err)
		} else if st, err := t.HTTP.StateTyped(ctx); err != nil {
			last = fmt.Errorf("/state: %v", err)
		} else if p.startTime != 0 && float64(st.StartTime) == p.startTime {
			last = errors.New("the old agent process still answers")
		} else if st.ID == "" {
			// A Mesos agent with a new ID has none until a master registers it.
			last = errors.New("the agent has no ID yet (not registered with a master?)")
		} else {
			return st.ID, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("the agent did not come back healthy within %s (%v): check its log (journalctl -u mesos-slave, /var/log/mesos)", limit, last)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(req.poll()):
		}
	}
}

// verify reads /state and /flags and checks the new values are live.
func verify(ctx context.Context, t Target, p *Plan) error {
	if !p.Changed() {
		return nil
	}
	st, err := t.HTTP.StateTyped(ctx)
	if err != nil {
		return fmt.Errorf("verify: %v", err)
	}
	for _, f := range p.Files {
		switch {
		case f.Flag == "attributes":
			got, err := stateAttributes(st.Attributes)
			if err != nil {
				return err
			}
			want, _ := mesos.ParseAttributes(f.New)
			if f.Remove {
				want = nil
			}
			if mesos.CheckReconfiguration(mesos.PolicyEqual, mesos.AgentInfo{Attributes: want}, mesos.AgentInfo{Attributes: got}) != nil {
				return fmt.Errorf("verify: /state attributes are %s, want %s", st.Attributes, want.V0JSON())
			}
		case f.Flag == "resources" && !f.Remove:
			got, err := stateResources(st)
			if err != nil {
				return err
			}
			want, _ := mesos.ParseResources(f.New, "*")
			names := map[string]bool{}
			for _, r := range want {
				names[r.Name] = true
			}
			var sub mesos.Resources
			for _, r := range got {
				if names[r.Name] {
					sub = append(sub, r)
				}
			}
			if err := mesos.CheckReconfiguration(mesos.PolicyEqual, mesos.AgentInfo{Resources: want}, mesos.AgentInfo{Resources: sub}); err != nil {
				return fmt.Errorf("verify: /state resources are %s, want %s (%v)", sub, want, err)
			}
		case !f.Remove:
			// agentd shows secrets redacted (a zk:// password, inline
			// credentials); a Mesos agent shows them as they are.
			if got := st.Flags[f.Flag]; got != f.New && got != api.RedactFlag(f.Flag, f.New) {
				return fmt.Errorf("verify: the agent runs with --%s=%q, want %q (is it set on the command line?)", f.Flag, got, f.New)
			}
		}
	}
	return nil
}
