package agentconfig

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/mesos"
)

func TestMergeAttributes(t *testing.T) {
	set := func(s string) mesos.Attributes {
		a, err := mesos.ParseAttributes(s)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, tc := range []struct {
		old, set string
		remove   []string
		want     string
	}{
		{"", "os:centos7;rack:3", nil, "os:centos7;rack:3"},
		{"os:centos6;rack:1", "os:centos7", nil, "os:centos7;rack:1"},
		{"os:centos6;rack:1", "zone:b", []string{"rack"}, "os:centos6;zone:b"},
		{"dup:1;dup:2;x:y", "dup:3", nil, "dup:3;x:y"},
		{"a:1", "", []string{"a"}, ""},
		{"a:1", "b:[1-3]", []string{"nope"}, "a:1;b:[1-3]"},
	} {
		got, err := MergeAttributes(tc.old, set(tc.set), tc.remove)
		if err != nil || got != tc.want {
			t.Errorf("MergeAttributes(%q, %q, %v) = %q, %v; want %q", tc.old, tc.set, tc.remove, got, err, tc.want)
		}
	}
	if _, err := MergeAttributes("bad", nil, nil); err == nil {
		t.Error("unparsable current attributes accepted")
	}
}

func TestValidateFlag(t *testing.T) {
	good := map[string]string{"attributes": "os:centos7;rack:3", "resources": "cpus:24;mem:122880;ports:[31000-32000]",
		"containerizers": "mesos,docker", "reconfiguration_policy": "additive", "port": "5051",
		"executor_registration_timeout": "5mins", "work_dir": "/var/lib/mesos"}
	for f, v := range good {
		if err := ValidateFlag(f, v); err != nil {
			t.Errorf("%s=%s: %v", f, v, err)
		}
	}
	bad := [][2]string{{"attributes", "rack"}, {"attributes", "a:{x}"}, {"resources", "cpus:x"}, {"resources", "cpus:-1"},
		{"containerizers", "rkt"}, {"containerizers", "mesos,mesos"}, {"containerizers", ""},
		{"reconfiguration_policy", "loose"}, {"port", "0"}, {"work_dir", "relative"}, {"bad-name", "x"},
		{"hostname", "two\nlines"}, {"", "x"}}
	for _, b := range bad {
		if err := ValidateFlag(b[0], b[1]); err == nil {
			t.Errorf("%s=%q accepted", b[0], b[1])
		}
	}
}

// sh runs a script the way the engine sends it over SSH, with /bin/sh.
func sh(ctx context.Context, script string) ([]byte, error) {
	out, err := exec.CommandContext(ctx, "/bin/sh", "-c", script).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		return out, &exitErr{string(ee.Stderr)}
	}
	return out, err
}

type exitErr struct{ msg string }

func (e *exitErr) Error() string { return e.msg }

// TestFileScriptsRoundTrip writes flag files with the engine's atomic
// script and reads them back with its read script, through a real shell,
// including values with quotes, spaces and shell metacharacters.
func TestFileScriptsRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "etc mesos'slave")
	p := &Plan{ConfigDir: dir, Files: []FileChange{
		{Flag: "attributes", Path: filepath.Join(dir, "attributes"), New: `os:centos7;note:it's $(x) "q"`},
		{Flag: "containerizers", Path: filepath.Join(dir, "containerizers"), New: "mesos,docker"},
	}}
	ctx := context.Background()
	if out, err := sh(ctx, writeScript(p)); err != nil {
		t.Fatalf("write: %v %s", err, out)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "attributes"))
	if string(b) != `os:centos7;note:it's $(x) "q"`+"\n" {
		t.Errorf("file = %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temp files left: %v", entries)
	}
	os.Mkdir(filepath.Join(dir, "resources"), 0o755)
	out, err := sh(ctx, readFilesScript(dir, []string{"attributes", "containerizers", "resources", "hostname"}))
	if err != nil {
		t.Fatal(err)
	}
	files, err := parseFiles(out)
	if err != nil {
		t.Fatal(err)
	}
	if f := files["attributes"]; f.kind != 'F' || f.content != `os:centos7;note:it's $(x) "q"` {
		t.Errorf("attributes = %+v", f)
	}
	if files["resources"].kind != 'D' || files["hostname"].kind != 'N' || files["containerizers"].content != "mesos,docker" {
		t.Errorf("files = %+v", files)
	}
	// Removal, and a missing directory reads as no files.
	p.Files = []FileChange{{Flag: "containerizers", Path: filepath.Join(dir, "containerizers"), Remove: true}}
	if _, err := sh(ctx, writeScript(p)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "containerizers")); !os.IsNotExist(err) {
		t.Errorf("not removed: %v", err)
	}
	out, _ = sh(ctx, readFilesScript(filepath.Join(dir, "none"), []string{"attributes"}))
	if files, err := parseFiles(out); err != nil || len(files) != 0 {
		t.Errorf("missing dir: %v %v", files, err)
	}
	if _, err := parseFiles([]byte("garbage")); err == nil || !strings.Contains(err.Error(), "unexpected answer") {
		t.Errorf("garbage: %v", err)
	}
}
