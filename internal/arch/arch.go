// Package arch is mesosctl's architecture as data: the layers every package
// belongs to and the dependency rules between packages. Its test checks the
// rules against `go list` (the checker, Check, is in check_test.go), and
// `make docs` writes the package map of docs/architecture.md from the same
// data and the package doc comments.
//
// To add a rule, append a Rule to Rules. A violation that cannot be fixed
// in the same change goes into the rule's Known list (with the step that
// will remove it); the test fails when a known violation is gone, so the
// list only shrinks.
package arch

import (
	"strings"
)

// A Layer is a set of packages with one kind of job. Layers are listed top
// (programs) to bottom (foundation); a package imports only packages of
// its own layer or of the layers below it.
type Layer struct {
	Name string
	// Doc says in one line what the layer is for.
	Doc string
	// Packages are patterns of module-relative paths: an exact path, or
	// "dir/..." for dir and everything below it. The most specific pattern
	// decides a package's layer.
	Packages []string
}

// Layers, top to bottom.
var Layers = []Layer{
	{"programs", "main packages and what only they use: argv[0] dispatch, exit codes, doc generators",
		[]string{"cmd/...", "internal/mesosctl", "internal/docgen", "internal/arch"}},
	{"test harness", "real sshd, ZooKeeper, agentd and the multi-node test cluster for tests and the demo; never in the release binary",
		[]string{"internal/testcluster", "internal/zkserver", "internal/testutil/...", "e2e", "internal/packaging"}},
	{"commands", "one package per command (Options + Run); the root command assembles them",
		[]string{"internal/cmd/..."}},
	{"command support", "what several commands share: the Factory, exit codes, fan-out flags and printing, agent selection",
		[]string{"internal/cmdutil/..."}},
	{"daemon", "the agent daemon, mesosctl agentd: flags, runtime, HTTP API, containers, checkpoints",
		[]string{"internal/agentd/..."}},
	{"engines", "multi-step workflows over many agents: agent config rollouts, task placement, task following",
		[]string{"internal/agentconfig", "internal/placement", "internal/taskwatch", "internal/orphans"}},
	{"clients", "talking to other machines: SSH, SFTP, agent HTTP endpoints, ZooKeeper",
		[]string{"internal/remote", "internal/remotecopy", "internal/sshmux", "internal/sshkeep", "internal/agentclient", "internal/zk", "internal/zkdial"}},
	{"domain", "what the tool is about, without I/O to other machines: Mesos values, node sets, the inventory, agentd's wire types",
		[]string{"internal/mesos/...", "internal/nodeset", "internal/config", "internal/inventory", "internal/agentd/api/..."}},
	{"foundation", "small general helpers that know nothing of Mesos or of the CLI",
		[]string{"internal/iostreams", "internal/render", "internal/build", "internal/parallel", "internal/shell", "internal/spool", "internal/procfs", "internal/selfmem", "internal/suggest"}},
}

// An Edge is one import: From imports To (module-relative paths for the
// module's packages, full import paths for others).
type Edge struct{ From, To string }

// A Rule forbids imports. Patterns are paths as Load gives them (the
// module's packages module-relative, the standard library under std/), an
// exact path or "dir/..." for dir and below. A rule applies to every
// package matching From and
// not Except; such a package must not import (directly, or with Deps
// anywhere in its dependencies) a package matching Forbid unless it also
// matches Allow or Exempt says so.
type Rule struct {
	Name   string
	From   []string
	Except []string
	Forbid []string
	Allow  []string
	// Exempt, when set, allows an edge the patterns forbid.
	Exempt func(from, to string) bool
	// Deps checks every dependency, not only direct imports.
	Deps bool
	// Known are violations that are still to be fixed, each with the step
	// that fixes it.
	Known []KnownEdge
}

// KnownEdge is an accepted violation of a rule and why it is still there.
type KnownEdge struct {
	Edge
	Until string
}

// daemonCommands are the commands that are the daemon's entry points, and
// the --launch_info plumbing two of them share.
var daemonCommands = []string{"internal/cmd/agentd", "internal/cmd/containerizer", "internal/cmd/executor", "internal/cmd/dockerexecutor", "internal/cmdutil/launchinfo"}

// Rules, beyond "nothing imports a higher layer".
var Rules = []Rule{
	{
		Name:   "the release binary holds no test harness and no testing code",
		From:   []string{"cmd/mesosctl"},
		Forbid: []string{"internal/testcluster", "internal/zkserver", "internal/testutil/...", "std/testing", "std/net/http/httptest"},
		Deps:   true,
	},
	{
		Name:   "the output layer (render) depends on nothing of the CLI: of mesosctl's packages it uses only iostreams and suggest",
		From:   []string{"internal/render"},
		Forbid: []string{"internal/...", "cmd/..."},
		Allow:  []string{"internal/iostreams", "internal/suggest"},
		Deps:   true,
	},
	{
		Name:   "a command imports no other command, only its own subcommands (the root command assembles them all); what commands share lives in internal/cmdutil",
		From:   []string{"internal/cmd/..."},
		Except: []string{"internal/cmd/root"},
		Forbid: []string{"internal/cmd/..."},
		Exempt: isSubcommand,
	},
	{
		Name:   "CLI code uses the daemon's wire types (internal/agentd/api), never its internals",
		From:   []string{"internal/...", "cmd/..."},
		Except: append([]string{"internal/agentd/...", "internal/testutil/...", "internal/docgen"}, daemonCommands...),
		Forbid: []string{"internal/agentd/..."},
		Allow:  []string{"internal/agentd/api"},
	},
	{
		Name: "the daemon never renders and knows nothing of the CLI: no render, lipgloss, gojq, cobra, commands, command support, engines, inventory or SSH",
		From: []string{"internal/agentd/..."},
		Forbid: []string{"internal/render", "internal/cmd/...", "internal/cmdutil/...", "internal/agentconfig", "internal/placement",
			"internal/taskwatch", "internal/config", "internal/inventory", "internal/remote",
			"github.com/charmbracelet/lipgloss/...", "github.com/itchyny/gojq/...", "github.com/spf13/cobra/..."},
		Deps: true,
	},
	{
		Name:   "the daemon's runtime knows nothing of HTTP: agentd/runtime depends neither on the HTTP layer nor on net/http",
		From:   []string{"internal/agentd/runtime"},
		Forbid: []string{"internal/agentd/httpapi", "std/net/http"},
		Deps:   true,
	},
}

// isSubcommand reports whether to is a direct child of the command package
// from: internal/cmd/agent imports internal/cmd/agent/state.
func isSubcommand(from, to string) bool {
	rest, ok := strings.CutPrefix(to, from+"/")
	return ok && !strings.Contains(rest, "/")
}

// match reports whether path matches pattern ("dir/..." or exact).
func match(pattern, path string) bool {
	if dir, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == dir || strings.HasPrefix(path, dir+"/")
	}
	return path == pattern
}

// specificity orders patterns: an exact path beats any "dir/...", and a
// longer dir beats a shorter one.
func specificity(pattern string) int {
	if dir, ok := strings.CutSuffix(pattern, "/..."); ok {
		return len(dir)
	}
	return 1 << 20
}

// LayerOf returns the index in Layers of path's layer, or -1.
func LayerOf(path string) int {
	best, bestSpec := -1, -1
	for i, l := range Layers {
		for _, p := range l.Packages {
			if match(p, path) && specificity(p) > bestSpec {
				best, bestSpec = i, specificity(p)
			}
		}
	}
	return best
}
