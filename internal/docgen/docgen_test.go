package docgen_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/docgen"
)

const repo = "../.."

func names(t *testing.T, dir, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		files[i] = filepath.Base(f)
	}
	return files
}

// TestDocsUpToDate regenerates the command reference and the man pages into
// a temporary directory and compares them with the committed ones.
func TestDocsUpToDate(t *testing.T) {
	tmp := t.TempDir()
	md, man := filepath.Join(tmp, "cli"), filepath.Join(tmp, "man")
	if err := docgen.Generate(docgen.NewRoot(), md, man); err != nil {
		t.Fatal(err)
	}
	for _, d := range []struct{ got, committed, pattern string }{
		{md, docgen.MarkdownDir, "mesosctl*.md"},
		{man, docgen.ManDir, "mesosctl*.1"},
	} {
		committed := filepath.Join(repo, d.committed)
		gotNames, wantNames := names(t, d.got, d.pattern), names(t, committed, d.pattern)
		if !slices.Equal(gotNames, wantNames) {
			t.Errorf("%s is stale: run make docs\n generated: %v\n committed: %v", d.committed, gotNames, wantNames)
			continue
		}
		for _, n := range gotNames {
			got, _ := os.ReadFile(filepath.Join(d.got, n))
			want, _ := os.ReadFile(filepath.Join(committed, n))
			if string(got) != string(want) {
				t.Errorf("%s/%s is stale: run make docs", d.committed, n)
			}
		}
	}
}

// TestHiddenCommandsExcluded checks that plumbing (containerizer,
// executor) gets no page while every visible command does.
func TestHiddenCommandsExcluded(t *testing.T) {
	tmp := t.TempDir()
	md, man := filepath.Join(tmp, "cli"), filepath.Join(tmp, "man")
	if err := docgen.Generate(docgen.NewRoot(), md, man); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(append(names(t, md, "*"), names(t, man, "*")...), " ")
	// Page names of the hidden top-level commands (not "containerizer"
	// alone: `agent set-containerizers` is a visible command).
	for _, hidden := range []string{"mesosctl_containerizer", "mesosctl-containerizer",
		"mesosctl_executor", "mesosctl-executor"} {
		if strings.Contains(all, hidden) {
			t.Errorf("hidden command %q has a page: %s", hidden, all)
		}
	}
	for _, want := range []string{"mesosctl.md", "mesosctl_agentd.md", "mesosctl_version.md", "mesosctl.1", "mesosctl-agentd.1", "mesosctl-ex.1"} {
		if !strings.Contains(" "+all+" ", " "+want+" ") {
			t.Errorf("no page %s among %s", want, all)
		}
	}
	page, err := os.ReadFile(filepath.Join(man, "mesosctl-version.1"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), `.TH "MESOSCTL-VERSION" "1" "Nov 2026" "mesosctl" "mesosctl manual"`) {
		t.Errorf("man page header: %.200s", page)
	}
	if strings.Contains(string(page), "Auto generated") {
		t.Error("man page carries cobra's auto-generated tag (a date)")
	}

	// agentd's page lists the Mesos flags, and terminal text survives
	// markdown: underscores and <NAME> placeholders intact.
	for _, f := range []string{filepath.Join(man, "mesosctl-agentd.1"), filepath.Join(md, "mesosctl_agentd.md")} {
		page, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"--work_dir=VALUE", "--[no-]switch_user", "--no-switch_user", "MESOS_<NAME>", "--reconfiguration_policy=VALUE"} {
			if !strings.Contains(strings.ReplaceAll(string(page), `\-`, "-"), want) {
				t.Errorf("%s lacks %q", filepath.Base(f), want)
			}
		}
	}
}

// TestGenerateRemovesStalePages checks that a page for a command that no
// longer exists disappears on regeneration, while other files stay.
func TestGenerateRemovesStalePages(t *testing.T) {
	tmp := t.TempDir()
	md, man := filepath.Join(tmp, "cli"), filepath.Join(tmp, "man")
	os.MkdirAll(md, 0o755)
	os.MkdirAll(man, 0o755)
	os.WriteFile(filepath.Join(md, "mesosctl_gone.md"), nil, 0o644)
	os.WriteFile(filepath.Join(man, "mesosctl-gone.1"), nil, 0o644)
	os.WriteFile(filepath.Join(md, "notes.txt"), nil, 0o644)
	if err := docgen.Generate(docgen.NewRoot(), md, man); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(md, "mesosctl_gone.md"), filepath.Join(man, "mesosctl-gone.1")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s survived regeneration", p)
		}
	}
	if _, err := os.Stat(filepath.Join(md, "notes.txt")); err != nil {
		t.Errorf("unrelated file removed: %v", err)
	}
}
