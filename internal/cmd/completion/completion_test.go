package completion_test

import (
	"os"
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
		got, err := completion.Script(cmd, shell)
		if err != nil {
			t.Fatal(err)
		}
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
