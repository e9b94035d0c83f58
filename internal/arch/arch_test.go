package arch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func load(t *testing.T) (string, []Package) {
	t.Helper()
	root, err := ModuleRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return root, pkgs
}

// TestDependencyRules checks the layering and every rule against the
// module's imports.
func TestDependencyRules(t *testing.T) {
	_, pkgs := load(t)
	violations, unplaced, fixed := Check(pkgs)
	for _, v := range violations {
		t.Errorf("%s", v)
	}
	for _, p := range unplaced {
		t.Errorf("%s belongs to no layer: add it to arch.Layers", p)
	}
	for _, k := range fixed {
		t.Errorf("%s no longer imports %s: remove the known exception from arch.Rules", k.From, k.To)
	}
}

// TestEveryPackageIsDocumented: the package map needs a line per package.
func TestEveryPackageIsDocumented(t *testing.T) {
	_, pkgs := load(t)
	for _, p := range pkgs {
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("%s has no package doc comment (a test-only package gets a doc.go)", p.Path)
		}
	}
}

// TestArchitectureDocUpToDate regenerates the package map and compares it
// with docs/architecture.md.
func TestArchitectureDocUpToDate(t *testing.T) {
	root, pkgs := load(t)
	page, err := os.ReadFile(filepath.Join(root, DocFile))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Splice(string(page), Markdown(pkgs))
	if err != nil {
		t.Fatal(err)
	}
	if want != string(page) {
		t.Errorf("%s is stale: run make docs", DocFile)
	}
}

// TestRulesCatchViolations feeds made-up import graphs to Check: each rule
// and the layering must report what they forbid, and only that.
func TestRulesCatchViolations(t *testing.T) {
	tests := []struct {
		name string
		pkgs []Package
		want []Edge
	}{
		{"upward import", []Package{{Path: "internal/mesos", Imports: []string{"internal/remote"}}, {Path: "internal/remote"}},
			[]Edge{{"internal/mesos", "internal/remote"}}},
		{"downward and same-layer imports are fine", []Package{
			{Path: "internal/placement", Imports: []string{"internal/zk", "internal/taskwatch"}}, {Path: "internal/zk"}, {Path: "internal/taskwatch"}}, nil},
		{"harness in the product", []Package{{Path: "cmd/mesosctl", Deps: []string{"internal/mesosctl", "internal/testutil/sshd", "std/testing", "std/internal/race"}}},
			[]Edge{{"cmd/mesosctl", "internal/testutil/sshd"}, {"cmd/mesosctl", "std/testing"}}},
		{"render imports the CLI", []Package{{Path: "internal/render", Deps: []string{"internal/iostreams", "internal/cmdutil", "std/internal/race"}},
			{Path: "internal/cmdutil"}, {Path: "internal/iostreams"}},
			[]Edge{{"internal/render", "internal/cmdutil"}}},
		{"command imports a command", []Package{
			{Path: "internal/cmd/ex", Imports: []string{"internal/cmd/tree"}},
			{Path: "internal/cmd/agent", Imports: []string{"internal/cmd/agent/state"}},
			{Path: "internal/cmd/agent/state", Imports: []string{"internal/cmd/agent/ps"}},
			{Path: "internal/cmd/root", Imports: []string{"internal/cmd/ex", "internal/cmd/agent/state"}}},
			[]Edge{{"internal/cmd/ex", "internal/cmd/tree"}, {"internal/cmd/agent/state", "internal/cmd/agent/ps"}}},
		{"CLI into daemon internals", []Package{
			{Path: "internal/cmd/tree", Imports: []string{"internal/agentd/api", "internal/agentd/runtime"}},
			{Path: "internal/cmd/agentd", Imports: []string{"internal/agentd/runtime"}}},
			[]Edge{{"internal/cmd/tree", "internal/agentd/runtime"}}},
		{"daemon renders", []Package{{Path: "internal/agentd/httpapi", Deps: []string{"internal/mesos", "github.com/itchyny/gojq"}}},
			[]Edge{{"internal/agentd/httpapi", "github.com/itchyny/gojq"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			violations, _, _ := Check(tt.pkgs)
			var got []Edge
			for _, v := range violations {
				got = append(got, v.Edge)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("violations %v, want %v", violations, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("violation %d: %v, want %v", i, violations[i], tt.want[i])
				}
			}
		})
	}
}

func TestLayerOf(t *testing.T) {
	for path, want := range map[string]string{
		"internal/agentd/api":      "domain",
		"internal/agentd/runtime":  "daemon",
		"internal/agentd":          "daemon",
		"internal/cmd/agent/state": "commands",
		"internal/cmdutil":         "command support",
		"internal/cmdutil/fanout":  "command support",
		"cmd/mesosctl-testcluster": "programs",
		"internal/testutil/sshd":   "test harness",
		"internal/render":          "foundation",
	} {
		if l := LayerOf(path); l < 0 || Layers[l].Name != want {
			t.Errorf("LayerOf(%s) = %d, want %s", path, l, want)
		}
	}
	if l := LayerOf("internal/nosuch"); l != -1 {
		t.Errorf("unknown package in layer %d", l)
	}
}
