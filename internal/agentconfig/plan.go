// Package agentconfig is the engine behind `mesosctl agent set-attributes`,
// `set-resources`, `set-containerizers`, `config set|unset`, `restart` and
// `clear-latest`: for every node it builds a Plan (flag files to write with
// old → new values, whether meta/slaves/latest must be cleared under the
// node's --reconfiguration_policy, whether agentd's live attribute API can
// be used instead of a restart), then applies it (atomic writes over SSH,
// the running-task safety check, the restart, the wait for /health), then
// verifies that /state and /flags show the new values.
//
// It talks to agents only through agentclient (HTTP) and to nodes only
// through an SSH function; it knows nothing about cobra or rendering.
package agentconfig

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentclient"
	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/inventory"
	"github.com/mesosctl/mesosctl/internal/mesos"
	"github.com/mesosctl/mesosctl/internal/shell"
)

// Edit is one flag change asked for by the user.
type Edit struct {
	Flag  string
	Value string // the new value (Set)
	Unset bool   // remove the flag file (the agent's default applies)
	// Modify, when set, computes the new value from the current one (e.g.
	// merging attributes); Value is then ignored.
	Modify func(old string) (string, error)
}

// Request is what to do on every node.
type Request struct {
	Edits []Edit
	// Restart restarts the agent even when no file changes (agent restart).
	Restart bool
	// ClearLatest clears meta/slaves/latest even when the change does not
	// need it (agent clear-latest); it implies Restart.
	ClearLatest bool
	// Force clears latest although tasks are running (they are orphaned).
	Force bool
	// Drain waits, before clearing latest, until the node runs no task,
	// for at most DrainTimeout.
	Drain        bool
	DrainTimeout time.Duration
	// NoLive forces the restart path even for agentd attribute changes.
	NoLive bool
	// HealthTimeout bounds the wait for the restarted agent (default 60s).
	HealthTimeout time.Duration
	// PollInterval is how often /health, /state are polled (default 200ms).
	PollInterval time.Duration
}

// Target is one node to change.
type Target struct {
	Name string
	Node inventory.Node
	// HTTP talks to the node's agent.
	HTTP *agentclient.Client
	// SSH runs a shell script on the node as root (the caller wraps it in
	// sudo for non-root users) and returns its stdout; a non-zero exit is an
	// error carrying stderr.
	SSH func(ctx context.Context, script string) ([]byte, error)
}

// FileChange is one flag file to write or remove.
type FileChange struct {
	Flag      string `json:"flag"`
	Path      string `json:"path"`
	Old       string `json:"old"`
	OldExists bool   `json:"old_exists"`
	New       string `json:"new"`
	Remove    bool   `json:"remove,omitempty"`
	// Effective is the value the running agent reports (/flags), when it
	// differs from the file (e.g. given on the command line, which wins).
	Effective string `json:"effective,omitempty"`
}

// Action is what a plan does to the agent.
type Action string

// Actions.
const (
	ActionNone    Action = "none"
	ActionLive    Action = "live"
	ActionRestart Action = "restart"
	ActionClear   Action = "clear-latest+restart"
)

// Plan is what will be done on one node.
type Plan struct {
	Node           string        `json:"node"`
	AgentURL       string        `json:"agent_url"`
	AgentID        string        `json:"agent_id,omitempty"`
	Agentd         bool          `json:"agentd"`
	Reachable      bool          `json:"reachable"`
	RunningTasks   int           `json:"running_tasks"`
	Running        []RunningTask `json:"running,omitempty"`
	Policy         string        `json:"reconfiguration_policy"`
	ConfigDir      string        `json:"config_dir"`
	WorkDir        string        `json:"work_dir"`
	Files          []FileChange  `json:"files"`
	Action         Action        `json:"action"`
	ClearReason    string        `json:"clear_reason,omitempty"`
	RestartCommand string        `json:"restart_command,omitempty"`
	Warnings       []string      `json:"warnings,omitempty"`
	Error          string        `json:"error,omitempty"`

	// ViaAgent: agentd reads and writes the attributes flag file itself
	// (its config_dir is the node's flag-file directory), so no SSH is needed.
	ViaAgent bool `json:"via_agent,omitempty"`

	startTime float64
	newAttrs  *mesos.Attributes
	newRes    mesos.Resources
}

// Changed reports whether the plan writes or removes a file.
func (p *Plan) Changed() bool { return len(p.Files) > 0 }

// Summary is a one-line description of the file changes ("attributes:
// os:centos6 → os:centos7").
func (p *Plan) Summary() string {
	if len(p.Files) == 0 {
		return "-"
	}
	var parts []string
	for _, f := range p.Files {
		old := f.Old
		if !f.OldExists {
			old = "(unset)"
		}
		nw := f.New
		if f.Remove {
			nw = "(unset)"
		}
		parts = append(parts, fmt.Sprintf("%s: %s → %s", f.Flag, old, nw))
	}
	return strings.Join(parts, "; ")
}

// RunningTask is a task /state lists as not terminal (or queued), with
// its executor: what clearing meta/slaves/latest orphans.
type RunningTask struct {
	ID          string `json:"id"`
	ExecutorID  string `json:"executor_id"`
	FrameworkID string `json:"framework_id"`
}

// runningTasks lists the non-terminal and queued tasks in /state.
func runningTasks(st *api.State) []RunningTask {
	var out []RunningTask
	for _, f := range st.Frameworks {
		for _, e := range f.Executors {
			for _, t := range e.Tasks {
				if !terminal(t.State) {
					out = append(out, RunningTask{ID: t.ID, ExecutorID: e.ID, FrameworkID: f.ID})
				}
			}
			for _, t := range e.QueuedTasks {
				out = append(out, RunningTask{ID: t.ID, ExecutorID: e.ID, FrameworkID: f.ID})
			}
		}
	}
	return out
}

// RunningIDs is "sleep.1a2b3c4d, web.5e6f7a8b" (at most 5, then "and N more").
func (p *Plan) RunningIDs() string {
	ids := make([]string, len(p.Running))
	for i, t := range p.Running {
		ids[i] = t.ID
	}
	return listIDs(ids)
}

func listIDs(ids []string) string {
	if len(ids) > 5 {
		return strings.Join(ids[:5], ", ") + fmt.Sprintf(" and %d more", len(ids)-5)
	}
	return strings.Join(ids, ", ")
}

func terminal(state string) bool {
	switch state {
	case "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_LOST", "TASK_ERROR", "TASK_DROPPED",
		"TASK_GONE", "TASK_GONE_BY_OPERATOR":
		return true
	}
	return false
}

// stateAttributes turns a /state "attributes" object into Attributes.
func stateAttributes(raw json.RawMessage) (mesos.Attributes, error) {
	var m map[string]any
	if len(raw) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("/state attributes: %v", err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		switch v := m[k].(type) {
		case float64:
			parts = append(parts, k+":"+strconv.FormatFloat(v, 'f', -1, 64))
		case string:
			parts = append(parts, k+":"+v)
		default:
			return nil, fmt.Errorf("/state attribute %q has an unexpected value %v", k, v)
		}
	}
	return mesos.ParseAttributes(strings.Join(parts, ";"))
}

// stateResources reads the full resources of /state.
func stateResources(st *api.State) (mesos.Resources, error) {
	all, err := mesos.ParseResources(string(st.UnreservedResourcesFull), "*")
	if err != nil && len(st.UnreservedResourcesFull) > 2 {
		return nil, fmt.Errorf("/state unreserved_resources_full: %v", err)
	}
	roles := make([]string, 0, len(st.ReservedResourcesFull))
	for r := range st.ReservedResourcesFull {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, role := range roles {
		raw := st.ReservedResourcesFull[role]
		if len(raw) <= 2 {
			continue
		}
		r, err := mesos.ParseResources(string(raw), role)
		if err != nil {
			return nil, fmt.Errorf("/state reserved_resources_full[%s]: %v", role, err)
		}
		all = all.Add(r)
	}
	return all, nil
}

// readFilesScript prints, per flag, "NAME KIND BASE64" (KIND F = file,
// D = directory, N = none) for the flag files in dir.
func readFilesScript(dir string, flags []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "cd %s 2>/dev/null || { echo 'NODIR'; exit 0; }; ", shell.Quote(dir))
	for _, f := range flags {
		q := shell.Quote(f)
		fmt.Fprintf(&b, "if [ -d %s ]; then echo %s D; elif [ -f %s ]; then printf '%%s F ' %s; base64 -w0 < %s; echo; else echo %s N; fi; ",
			q, q, q, q, q, q)
	}
	return b.String()
}

type fileState struct {
	kind    byte // F, D, N
	content string
}

func parseFiles(out []byte) (map[string]fileState, error) {
	m := map[string]fileState{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" || line == "NODIR" {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 || len(f[1]) != 1 {
			return nil, fmt.Errorf("unexpected answer while reading flag files: %q", line)
		}
		fs := fileState{kind: f[1][0]}
		if fs.kind == 'F' && len(f) > 2 {
			b, err := base64.StdEncoding.DecodeString(f[2])
			if err != nil {
				return nil, fmt.Errorf("unexpected answer while reading flag file %s: %v", f[0], err)
			}
			fs.content = strings.TrimRight(string(b), "\n")
		}
		m[f[0]] = fs
	}
	return m, nil
}

// MakePlan reads the node's agent (/state, /version) and flag files and
// decides what to do. Problems are reported in Plan.Error (the node's
// failure); MakePlan never writes anything.
func MakePlan(ctx context.Context, t Target, req Request) *Plan {
	p := &Plan{Node: t.Name, AgentURL: t.Node.AgentURL(), ConfigDir: t.Node.AgentConfigDir,
		WorkDir: t.Node.AgentWorkDir, RestartCommand: t.Node.RestartCommand, Action: ActionNone}
	if err := makePlan(ctx, t, req, p); err != nil {
		p.Error = err.Error()
	}
	return p
}

func makePlan(ctx context.Context, t Target, req Request, p *Plan) error {
	st, stErr := t.HTTP.StateTyped(ctx)
	if stErr != nil && (len(req.Edits) > 0 || req.ClearLatest && !req.Force) {
		return fmt.Errorf("agent %s does not answer (%v): start it (mesosctl agent restart %s) or leave the node out with -x", p.AgentURL, stErr, p.Node)
	}
	var flags map[string]string
	if st != nil {
		p.Reachable = true
		p.AgentID = st.ID
		p.Running = runningTasks(st)
		p.RunningTasks = len(p.Running)
		p.startTime = float64(st.StartTime)
		flags = st.Flags
		if wd := flags["work_dir"]; wd != "" {
			p.WorkDir = wd
		}
		if v, err := t.HTTP.Version(ctx); err == nil {
			p.Agentd = agentclient.AgentdVersion(v) != ""
		}
	}
	p.Policy = flags["reconfiguration_policy"]
	if p.Policy == "" {
		p.Policy = mesos.PolicyEqual
	}

	if len(req.Edits) > 0 {
		files, err := readFiles(ctx, t, req, p)
		if err != nil {
			return err
		}
		for _, e := range req.Edits {
			fs := files[e.Flag]
			if fs.kind == 'D' {
				return fmt.Errorf("%s is a directory (one file per key): mesosctl edits only the one-file form; replace it with a file holding %s", path.Join(p.ConfigDir, e.Flag), e.Flag)
			}
			fc := FileChange{Flag: e.Flag, Path: path.Join(p.ConfigDir, e.Flag), Old: fs.content, OldExists: fs.kind == 'F'}
			eff, hasEff := flags[e.Flag]
			cur := fc.Old
			if !fc.OldExists && hasEff {
				cur = eff
			}
			switch {
			case e.Unset:
				if !fc.OldExists {
					continue // no file (a value in /flags is a default, the command line or the environment)
				}
				fc.Remove = true
			case e.Modify != nil:
				if fc.New, err = e.Modify(cur); err != nil {
					return err
				}
			default:
				fc.New = e.Value
			}
			if !fc.Remove {
				if err := ValidateFlag(e.Flag, fc.New); err != nil {
					return err
				}
				if fc.OldExists && fc.Old == fc.New {
					if !hasEff || eff == fc.New || eff == api.RedactFlag(e.Flag, fc.New) || e.Flag == "attributes" && sameAttributeText(eff, fc.New) {
						continue
					}
					// The file is right but the agent still runs the old
					// value (e.g. an earlier restart failed): restart it.
					fc.Effective = eff
					p.Warnings = append(p.Warnings, fmt.Sprintf("%s already holds %q but the agent runs --%s=%s: it will be restarted", fc.Path, fc.New, e.Flag, eff))
					p.Files = append(p.Files, fc)
					continue
				}
			}
			if hasEff && fc.OldExists && eff != fc.Old {
				fc.Effective = eff
				p.Warnings = append(p.Warnings, fmt.Sprintf("the agent runs with --%s=%s, not the file's %q: the command line or environment may override the file", e.Flag, eff, fc.Old))
			}
			p.Files = append(p.Files, fc)
		}
	}

	if !p.Changed() && !req.Restart && !req.ClearLatest {
		return nil
	}
	// What the agent info becomes.
	onlyAttrs := p.Changed()
	for _, f := range p.Files {
		if f.Flag != "attributes" {
			onlyAttrs = false
		}
		switch f.Flag {
		case "attributes":
			a, err := mesos.ParseAttributes(f.New)
			if err != nil {
				return err
			}
			p.newAttrs = &a
		case "resources":
			if !f.Remove {
				r, err := mesos.ParseResources(f.New, "*")
				if err != nil {
					return err
				}
				p.newRes = r
			}
		case "reconfiguration_policy":
			p.Policy = f.New
			if f.Remove {
				p.Policy = mesos.PolicyEqual
			}
		}
	}
	if p.Agentd && onlyAttrs && !req.NoLive && !req.Restart && !req.ClearLatest {
		p.Action = ActionLive
		return nil
	}
	p.Action = ActionRestart
	if req.ClearLatest {
		p.Action, p.ClearReason = ActionClear, "asked for"
	} else if st != nil {
		if reason, err := needsClear(st, p); err != nil {
			return err
		} else if reason != "" {
			p.Action, p.ClearReason = ActionClear, reason
		}
	}
	if p.Action == ActionClear && p.RunningTasks > 0 && !req.Force && !req.Drain {
		why := ""
		if !req.ClearLatest {
			why = " (needed because " + p.ClearReason + ")"
		}
		return fmt.Errorf("refusing to clear %s%s: %d running task(s) would be orphaned (%s); wait for them, or use --drain to wait, or --force to orphan them",
			path.Join(p.WorkDir, "meta", "slaves", "latest"), why, p.RunningTasks, p.RunningIDs())
	}
	return nil
}

// readFiles reads the flag files of the edits: from agentd itself when
// only attributes change and its config_dir is the node's flag-file
// directory (then p.ViaAgent is set and no SSH is used), else over SSH.
func readFiles(ctx context.Context, t Target, req Request, p *Plan) (map[string]fileState, error) {
	names := make([]string, len(req.Edits))
	for i, e := range req.Edits {
		names[i] = e.Flag
	}
	if p.Agentd && len(names) == 1 && names[0] == "attributes" && !req.NoLive && !req.Restart && !req.ClearLatest {
		if doc, err := t.HTTP.Attributes(ctx); err == nil && doc.ConfigDir != "" && path.Clean(doc.ConfigDir) == path.Clean(p.ConfigDir) {
			p.ViaAgent = true
			if doc.File == nil {
				return map[string]fileState{"attributes": {kind: 'N'}}, nil
			}
			return map[string]fileState{"attributes": {kind: 'F', content: *doc.File}}, nil
		}
	}
	out, err := t.SSH(ctx, readFilesScript(p.ConfigDir, names))
	if err != nil {
		return nil, fmt.Errorf("reading the flag files in %s: %v", p.ConfigDir, err)
	}
	return parseFiles(out)
}

// sameAttributeText reports whether two --attributes values are the same
// attributes (in any order).
func sameAttributeText(a, b string) bool {
	x, err1 := mesos.ParseAttributes(a)
	y, err2 := mesos.ParseAttributes(b)
	return err1 == nil && err2 == nil &&
		mesos.CheckReconfiguration(mesos.PolicyEqual, mesos.AgentInfo{Attributes: x}, mesos.AgentInfo{Attributes: y}) == nil
}

// needsClear reports why the new flag values fail the reconfiguration
// check under the plan's policy ("" = they pass: the agent ID is kept).
func needsClear(st *api.State, p *Plan) (string, error) {
	oldRes, err := stateResources(st)
	if err != nil {
		return "", err
	}
	oldAttrs, err := stateAttributes(st.Attributes)
	if err != nil {
		return "", err
	}
	port := 0
	if _, ps, ok := strings.Cut(strings.TrimPrefix(st.PID, "slave(1)@"), ":"); ok {
		port, _ = strconv.Atoi(ps)
	}
	old := mesos.AgentInfo{Hostname: st.Hostname, Port: port, Resources: oldRes, Attributes: oldAttrs}
	nw := old
	if p.newAttrs != nil {
		nw.Attributes = *p.newAttrs
	}
	if p.newRes != nil {
		nw.Resources = replaceResources(oldRes, p.newRes)
	}
	for _, f := range p.Files {
		switch f.Flag {
		case "hostname":
			if !f.Remove {
				nw.Hostname = f.New
			}
		case "port":
			nw.Port, _ = strconv.Atoi(f.New)
		}
	}
	if err := mesos.CheckReconfiguration(p.Policy, old, nw); err != nil {
		return strings.TrimPrefix(err.Error(), "agent configuration changed in a way "), nil
	}
	return "", nil
}

// replaceResources is old with every resource named in set replaced by
// set's (names absent from set keep their current, e.g. auto-detected,
// value).
func replaceResources(old, set mesos.Resources) mesos.Resources {
	names := map[string]bool{}
	for _, r := range set {
		names[r.Name] = true
	}
	var out mesos.Resources
	for _, r := range old {
		if !names[r.Name] {
			out = append(out, r)
		}
	}
	return out.Add(set)
}

// FlagValue is one flag of one node as `agent config get` shows it.
type FlagValue struct {
	Node string `json:"node"`
	Flag string `json:"flag"`
	// File is the flag file's content (File* = false: no file).
	File       string `json:"file"`
	FileExists bool   `json:"file_exists"`
	Path       string `json:"path"`
	// Running is the value the agent reports in /flags.
	Running      string `json:"running"`
	RunningKnown bool   `json:"running_known"`
}

// Get reads flags from the node's flag-file directory (SSH) and from the
// running agent's /flags (HTTP; an unreachable agent leaves Running empty).
func Get(ctx context.Context, t Target, flags []string) ([]FlagValue, error) {
	out, err := t.SSH(ctx, readFilesScript(t.Node.AgentConfigDir, flags))
	if err != nil {
		return nil, fmt.Errorf("reading the flag files in %s: %v", t.Node.AgentConfigDir, err)
	}
	files, err := parseFiles(out)
	if err != nil {
		return nil, err
	}
	running, _ := t.HTTP.Flags(ctx)
	vals := make([]FlagValue, len(flags))
	for i, f := range flags {
		fs := files[f]
		if fs.kind == 'D' {
			return nil, fmt.Errorf("%s is a directory (one file per key); mesosctl reads only the one-file form", path.Join(t.Node.AgentConfigDir, f))
		}
		v, ok := running[f]
		vals[i] = FlagValue{Node: t.Name, Flag: f, File: fs.content, FileExists: fs.kind == 'F',
			Path: path.Join(t.Node.AgentConfigDir, f), Running: v, RunningKnown: ok}
	}
	return vals, nil
}
