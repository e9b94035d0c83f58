// Package completion implements `mesosctl completion bash|zsh|fish|powershell`:
// shell completion scripts. Node set arguments complete dynamically from the
// inventory (node names and @groups) through the scripts' callbacks.
package completion

import (
	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/suggest"
)

// Shells are the supported shells, in help order.
var Shells = []string{"bash", "zsh", "fish", "powershell"}

// Options are the inputs of `mesosctl completion`.
type Options struct {
	IO    *iostreams.IOStreams
	Shell string
	Root  *cobra.Command
}

// NewCmdCompletion builds the command; runF replaces the behaviour in tests.
func NewCmdCompletion(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print the completion script for a shell. Node set arguments complete node
names and @groups from the inventory.

Load it for the current shell, or install it (the repository also ships the
scripts under completions/):

  bash:       source <(mesosctl completion bash)
              mesosctl completion bash > /etc/bash_completion.d/mesosctl
  zsh:        mesosctl completion zsh > "${fpath[1]}/_mesosctl"
  fish:       mesosctl completion fish > ~/.config/fish/completions/mesosctl.fish
  powershell: mesosctl completion powershell | Out-String | Invoke-Expression`,
		Example: `  $ source <(mesosctl completion bash)
  $ mesosctl completion zsh > "${fpath[1]}/_mesosctl"`,
		ValidArgs:             Shells,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.FlagErrorf("name one shell: bash, zsh, fish or powershell")
			}
			opts.Shell = args[0]
			opts.Root = cmd.Root()
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	return cmd
}

// Run writes the script.
func Run(opts *Options) error {
	w := opts.IO.Out
	switch opts.Shell {
	case "bash":
		return opts.Root.GenBashCompletionV2(w, true)
	case "zsh":
		return opts.Root.GenZshCompletion(w)
	case "fish":
		return opts.Root.GenFishCompletion(w, true)
	case "powershell":
		return opts.Root.GenPowerShellCompletionWithDesc(w)
	}
	return cmdutil.FlagErrorf("unsupported shell %q: use bash, zsh, fish or powershell%s", opts.Shell, suggest.DidYouMean(opts.Shell, Shells))
}
