package mesosctl

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
)

const testInventory = `defaults:
  ssh_user: ops
  ssh_config: %SSH%
nodes:
  - name: lxb001
    address: 127.0.1.1
  - name: lxb002
    address: 127.0.1.2
    ssh_port: 2222
  - name: lxb003
    address: 127.0.1.3
    agent_port: 5052
groups:
  rack1: ["lxb00[1-2]"]
  rack2: [lxb003]
`

// testConfig writes an inventory (and an empty ssh config) to a temp dir,
// points MESOSCTL_CONFIG at it, and isolates the test from the user's files.
func testConfig(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	ssh := filepath.Join(dir, "ssh_config")
	if err := os.WriteFile(ssh, []byte("Host sshonly\n  HostName 127.0.2.1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(content, "%SSH%", ssh)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("MESOSCTL_CONFIG", p)
	t.Setenv("NODES", "")
	return p
}

func run(t *testing.T, tty bool, args ...string) (code cmdutil.ExitCode, stdout, stderr string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.StdoutTTY = tty
	code = Run(context.Background(), ios, append([]string{"mesosctl"}, args...))
	return code, out.String(), errOut.String()
}

func TestNodesetCommand(t *testing.T) {
	testConfig(t, testInventory)
	tests := []struct {
		name   string
		args   []string
		env    string
		want   string
		code   cmdutil.ExitCode
		stderr string
	}{
		{"expand", []string{"nodeset", "-e", "lxb00[1-4,7],!lxb003"}, "", "lxb001 lxb002 lxb004 lxb007\n", 0, ""},
		{"expand lines", []string{"nodeset", "-e", "-S", `\n`, "n[8-10]"}, "", "n8\nn9\nn10\n", 0, ""},
		{"fold", []string{"nodeset", "-f", "lxb001", "lxb002", "lxb003", "lxb007"}, "", "lxb[001-003,007]\n", 0, ""},
		{"count", []string{"nodeset", "-c", "rack[1-2]n[01-04]"}, "", "8\n", 0, ""},
		{"exclude", []string{"nodeset", "-e", "lxb00[1-5]", "-x", "lxb00[2-3]", "--exclude", "lxb005"}, "", "lxb001 lxb004\n", 0, ""},
		{"group", []string{"nodeset", "-f", "@rack1,@rack2"}, "", "lxb[001-003]\n", 0, ""},
		{"all", []string{"nodeset", "-c", "@all"}, "", "3\n", 0, ""},
		{"NODES", []string{"nodeset", "-e"}, "lxb[01-02]", "lxb01 lxb02\n", 0, ""},
		{"args beat NODES", []string{"nodeset", "-e", "a"}, "lxb[01-02]", "a\n", 0, ""},
		{"no mode", []string{"nodeset", "a"}, "", "", 2, "choose one of -e/--expand, -f/--fold or -c/--count"},
		{"two modes", []string{"nodeset", "-e", "-f", "a"}, "", "", 2, "cannot be combined"},
		{"no nodes", []string{"nodeset", "-e"}, "", "", 2, "no node set given: pass NODESET (e.g. lxb00[1-4]) or set NODES"},
		{"bad set", []string{"nodeset", "-e", "lxb[1-"}, "", "", 2, `error: bad node set "lxb[1-": unterminated '[' at position 4`},
		{"unknown group", []string{"nodeset", "-e", "@rack9"}, "", "", 2, `unknown group "rack9" (known groups: all, rack1, rack2)`},
		{"unknown flag", []string{"nodeset", "-e", "--frob", "a"}, "", "", 2, "unknown flag: --frob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("NODES", tt.env)
			code, out, errOut := run(t, false, tt.args...)
			if code != tt.code || out != tt.want || !strings.Contains(errOut, tt.stderr) {
				t.Errorf("mesosctl %q = %d, stdout %q, stderr %q; want %d, %q, stderr containing %q",
					tt.args, code, out, errOut, tt.code, tt.want, tt.stderr)
			}
			if tt.code == 2 && strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
				t.Errorf("error is more than an error line and a hint: %q", errOut)
			}
		})
	}
}

func TestNodesetWorksWithBrokenConfig(t *testing.T) {
	testConfig(t, "defaults: [\n")
	// no @group: the configuration is not needed, so not read
	if code, out, errOut := run(t, false, "nodeset", "-c", "a[1-3]"); code != 0 || out != "3\n" {
		t.Fatalf("%d %q %q", code, out, errOut)
	}
	code, _, errOut := run(t, false, "nodeset", "-c", "@x")
	if code != 2 || !strings.Contains(errOut, "YAML syntax error") {
		t.Fatalf("%d %q", code, errOut)
	}
}

func TestNodesCommand(t *testing.T) {
	testConfig(t, testInventory)

	code, out, errOut := run(t, true, "nodes")
	wantTTY := `NAME    ADDRESS    USER  PORT  AGENT                  GROUPS
lxb001  127.0.1.1  ops     22  http://127.0.1.1:5051  rack1
lxb002  127.0.1.2  ops   2222  http://127.0.1.2:5051  rack1
lxb003  127.0.1.3  ops     22  http://127.0.1.3:5052  rack2
`
	if !strings.Contains(out, "\x1b[1mNAME\x1b[0m") {
		t.Errorf("nodes (tty): header not bold: %q", out)
	}
	out = regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(out, "")
	if code != 0 || out != wantTTY {
		t.Errorf("nodes (tty) = %d\n%s\nstderr %q\nwant\n%s", code, out, errOut, wantTTY)
	}

	code, out, _ = run(t, false, "nodes", "@rack1")
	wantPipe := "NAME    ADDRESS    USER  PORT  AGENT                  GROUPS\n" +
		"lxb001  127.0.1.1  ops     22  http://127.0.1.1:5051  rack1\n" +
		"lxb002  127.0.1.2  ops   2222  http://127.0.1.2:5051  rack1\n"
	if code != 0 || out != wantPipe {
		t.Errorf("nodes @rack1 (pipe) = %d %q, want %q", code, out, wantPipe)
	}

	code, out, _ = run(t, false, "nodes", "-o", "json", "lxb003,sshonly")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil || code != 0 {
		t.Fatalf("json: %d %v\n%s", code, err, out)
	}
	if len(rows) != 2 || rows[0]["agent_url"] != "http://127.0.1.3:5052" || rows[1]["address"] != "127.0.2.1" ||
		rows[1]["in_inventory"] != false || len(rows[1]["groups"].([]any)) != 0 {
		t.Errorf("json rows: %v", rows)
	}

	code, out, _ = run(t, false, "nodes", "-x", "lxb00[1-2]")
	if code != 0 || !strings.Contains(out, "\nlxb003 ") || strings.Count(out, "\n") != 2 {
		t.Errorf("nodes -x: %d %q", code, out)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nodes", "-o", "xml"}, `invalid output format "xml"`},
		{[]string{"nodes", "@nope"}, `unknown group "nope"`},
		{[]string{"nodes", "lxb[1-"}, `unterminated '['`},
	} {
		code, out, errOut := run(t, false, tc.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: %d %q %q, want exit 2 and %q", tc.args, code, out, errOut, tc.want)
		}
	}
}

func TestConfigErrorsThroughRun(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"syntax", "nodes:\n  - name: a\n   address: b\n", "YAML syntax error"},
		{"unknown key", "defaults:\n  fanot: 3\n", `line 2: unknown key "fanot" in defaults`},
		{"duplicate", "nodes: [{name: a}, {name: a}]\n", `node "a" is listed twice`},
		{"group", "groups:\n  g: ['@h']\n", `group "g": unknown group "h"`},
		{"written zero", "defaults:\n  fanout: 0\n", "fanout must be at least 1, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testConfig(t, tt.file)
			code, out, errOut := run(t, false, "nodes")
			if code != 2 || out != "" {
				t.Errorf("exit %d, stdout %q", code, out)
			}
			first, _, _ := strings.Cut(errOut, "\n")
			if !strings.Contains(first, p) || !strings.Contains(first, tt.want) {
				t.Errorf("stderr %q: want one line naming %s and %q", errOut, p, tt.want)
			}
		})
	}
	// an explicit --config that does not exist
	testConfig(t, testInventory)
	code, _, errOut := run(t, false, "nodes", "--config", "/nonexistent/mesosctl.yaml")
	if code != 2 || !strings.Contains(errOut, "config /nonexistent/mesosctl.yaml: file does not exist") {
		t.Errorf("missing --config: %d %q", code, errOut)
	}
	// --config wins over MESOSCTL_CONFIG
	other := filepath.Join(t.TempDir(), "other.yaml")
	os.WriteFile(other, []byte("nodes: [{name: only, address: 127.0.3.1}]\n"), 0o600)
	code, out, _ := run(t, false, "nodes", "--config", other)
	if code != 0 || !strings.Contains(out, "\nonly  127.0.3.1") {
		t.Errorf("--config: %d %q", code, out)
	}
}

func TestIPAndNameCommands(t *testing.T) {
	testConfig(t, testInventory)
	tests := []struct {
		args   []string
		code   cmdutil.ExitCode
		out    string
		stderr string
	}{
		{[]string{"ip", "lxb001"}, 0, "127.0.1.1\n", ""},
		{[]string{"ip", "lxb00[1-2]", "sshonly"}, 0, "lxb001 127.0.1.1\nlxb002 127.0.1.2\nsshonly 127.0.2.1\n", ""},
		{[]string{"ip", "@rack2"}, 0, "127.0.1.3\n", ""},
		{[]string{"ip", "localhost"}, 0, "127.0.0.1\n", ""},
		{[]string{"ip", "lxb001", "no-such-host.invalid"}, 3, "lxb001 127.0.1.1\n", "no IP address for no-such-host.invalid"},
		{[]string{"ip", "no-such-host.invalid"}, 1, "", "no IP address for no-such-host.invalid"},
		{[]string{"ip"}, 2, "", "no node set given"},
		{[]string{"ip", "a[1-"}, 2, "", "unterminated '['"},
		{[]string{"name", "127.0.1.2"}, 0, "lxb002\n", ""},
		{[]string{"name", "127.0.1.3", "127.0.2.1", "127.0.0.1"}, 0, "127.0.1.3 lxb003\n127.0.2.1 sshonly\n127.0.0.1 localhost\n", ""},
		{[]string{"name", "lxb001"}, 2, "", `"lxb001" is not an IP address`},
		{[]string{"name"}, 2, "", "name at least one IP address"},
	}
	for _, tt := range tests {
		code, out, errOut := run(t, false, tt.args...)
		if code != tt.code || out != tt.out || !strings.Contains(errOut, tt.stderr) {
			t.Errorf("mesosctl %q = %d %q %q; want %d %q %q", tt.args, code, out, errOut, tt.code, tt.out, tt.stderr)
		}
	}
	t.Setenv("NODES", "lxb003")
	if code, out, _ := run(t, false, "ip"); code != 0 || out != "127.0.1.3\n" {
		t.Errorf("ip with NODES: %d %q", code, out)
	}
}

func TestCompletionOfNodeSets(t *testing.T) {
	testConfig(t, testInventory)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", "nodes", "lxb00"}, []string{"lxb001", "lxb002", "lxb003"}},
		{[]string{"__complete", "ip", "lxb001,lxb00"}, []string{"lxb001,lxb002", "lxb001,lxb003"}}, // not lxb001 again
		{[]string{"__complete", "ip", ""}, []string{"lxb001", "lxb002", "lxb003", "@rack1", "@rack2", "@all"}},
		{[]string{"__complete", "nodeset", "-e", "@r"}, []string{"@rack1", "@rack2"}},
		{[]string{"__complete", "nodes", "-x", "@a"}, []string{"@all"}},
		{[]string{"__complete", "completion", ""}, []string{"bash", "zsh", "fish", "powershell"}},
	}
	for _, tt := range tests {
		code, out, errOut := run(t, false, tt.args...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		got := lines[:len(lines)-1] // last line is the directive
		if code != 0 || strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%q: %d %q (stderr %q), want %q", tt.args, code, got, errOut, tt.want)
		}
	}
	// --config given on the line being completed is honoured
	other := filepath.Join(t.TempDir(), "other.yaml")
	os.WriteFile(other, []byte("nodes: [{name: zeta1}]\n"), 0o600)
	_, out, _ := run(t, false, "__complete", "--config", other, "nodes", "z")
	if !strings.HasPrefix(out, "zeta1\n") {
		t.Errorf("completion with --config: %q", out)
	}
}
