package completion_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/cmd/completion"
	"github.com/mesosctl/mesosctl/internal/cmd/root"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
)

// files maps each shell to its committed script under completions/.
var files = map[string]string{
	"bash":       "mesosctl.bash",
	"zsh":        "_mesosctl",
	"fish":       "mesosctl.fish",
	"powershell": "mesosctl.ps1",
}

// TestCompletionsUpToDate regenerates every script and compares it with the
// committed one.
func TestCompletionsUpToDate(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := root.NewCmdRoot(mesosctl.NewFactory(ios))
	for _, shell := range completion.Shells {
		ios, _, out, _ := iostreams.Test()
		if err := completion.Run(&completion.Options{IO: ios, Shell: shell, Root: cmd}); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		path := filepath.Join("..", "..", "..", "completions", files[shell])
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v: run make completions", shell, err)
			continue
		}
		if got != string(want) {
			t.Errorf("completions/%s is stale: run make completions", files[shell])
		}
		if !strings.Contains(got, "mesosctl") {
			t.Errorf("%s script does not mention mesosctl", shell)
		}
	}
}

func TestCompletionCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string
		err  string
	}{
		{[]string{"mesosctl", "completion", "bash"}, 0, "# bash completion V2 for mesosctl", ""},
		{[]string{"mesosctl", "completion", "zsh"}, 0, "#compdef mesosctl", ""},
		{[]string{"mesosctl", "completion", "fish"}, 0, "# fish completion for mesosctl", ""},
		{[]string{"mesosctl", "completion", "powershell"}, 0, "# powershell completion for mesosctl", ""},
		{[]string{"mesosctl", "completion", "tcsh"}, 2, "", `unsupported shell "tcsh": use bash, zsh, fish or powershell`},
		{[]string{"mesosctl", "completion"}, 2, "", "name one shell: bash, zsh, fish or powershell"},
	} {
		ios, _, out, errOut := iostreams.Test()
		code := mesosctl.Run(t.Context(), ios, tc.args)
		if int(code) != tc.code || !strings.HasPrefix(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.err) {
			t.Errorf("%q = %d, stdout %.60q, stderr %q", tc.args, code, out, errOut)
		}
	}
}

// TestBashCompletionEndToEnd loads the committed bash script into a real
// bash (with the bash-completion package) and completes node sets through
// the built binary, as a user pressing TAB would.
func TestBashCompletionEndToEnd(t *testing.T) {
	const bashCompletion = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(bashCompletion); err != nil {
		t.Fatalf("%s is missing: install the Debian package bash-completion (make deps)", bashCompletion)
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash is missing: install bash")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mesosctl")
	build := exec.Command("go", "build", "-o", bin, "../../../cmd/mesosctl")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("nodes: [{name: lxb001}, {name: lxb002}, {name: web1}]\ngroups: {rack1: [lxb001], rack2: [lxb002]}\n"), 0o600)
	script, _ := filepath.Abs(filepath.Join("..", "..", "..", "completions", "mesosctl.bash"))

	complete := func(line string) []string {
		t.Helper()
		prog := `source ` + bashCompletion + `; source ` + script + `
COMP_LINE="$LINE"; COMP_POINT=${#COMP_LINE}
read -r -a COMP_WORDS <<< "$COMP_LINE"
[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
__start_mesosctl 2>/dev/null
printf '%s\n' "${COMPREPLY[@]}"`
		cmd := exec.Command("bash", "-c", prog)
		cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "MESOSCTL_CONFIG="+cfg, "LINE="+line)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("bash: %v", err)
		}
		return strings.Fields(string(out))
	}
	for line, want := range map[string]string{
		"mesosctl nodes lxb":         "lxb001 lxb002",
		"mesosctl ip @r":             "@rack1 @rack2",
		"mesosctl nodeset -e w":      "web1",
		"mesosctl nodes -x lxb001,l": `lxb001\,lxb002`, // not lxb001 again; one match is inserted shell-quoted
		"mesosctl ip ":               "lxb001 lxb002 web1 @rack1 @rack2 @all",
		"mesosctl completion f":      "fish",
		"mesosctl nodes":             "nodes nodeset",
	} {
		if got := strings.Join(complete(line), " "); got != want {
			t.Errorf("complete %q = %q, want %q", line, got, want)
		}
	}
}
