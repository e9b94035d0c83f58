// Package docgen generates mesosctl's command reference from the cobra
// command tree: one markdown page per command (docs/cli) and one man page
// per command (docs/man, section 1). Hidden commands (containerizer,
// executor) are left out. Long descriptions are kept preformatted, as
// --help prints them, and the agentd page lists Mesos' agent flags, which
// cobra does not see. The output is deterministic: no generation date
// in the markdown, a fixed date in the man pages, so that a test can
// regenerate it and compare it with the committed files.
package docgen

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/mesosctl/mesosctl/internal/agentd/flags"
	"github.com/mesosctl/mesosctl/internal/cmd/root"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
)

// ManDate is the date printed in every man page footer. It is fixed (and
// changed by hand when the pages change substantially) so that regenerating
// the pages on another day gives the same bytes.
var ManDate = time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)

// Default output directories, relative to the repository root.
const (
	MarkdownDir = "docs/cli"
	ManDir      = "docs/man"
)

// NewRoot builds the command tree the way the binary does, but with an
// empty environment, so that nothing of the generating user's environment
// ($NODES, $HOME, …) leaks into the pages.
func NewRoot() *cobra.Command {
	ios, _, _, _ := iostreams.Test()
	f := mesosctl.NewFactory(ios)
	f.Getenv = func(string) string { return "" }
	cmd := root.NewCmdRoot(f)
	prepare(cmd)
	return cmd
}

// prepare readies cmd and its sub-commands for cobra/doc: no generation
// date, and the long description as preformatted text. Long texts are
// written for `--help` in a terminal (aligned columns, MESOS_<NAME>,
// --no-switch_user); read as markdown they would lose their underscores,
// angle brackets and line breaks, in the man pages and on the web alike.
func prepare(cmd *cobra.Command) {
	cmd.DisableAutoGenTag = true
	if cmd.CommandPath() == "mesosctl agentd" {
		// agentd parses Mesos' flags itself (cobra sees none): list them,
		// as `mesosctl agentd --help` does.
		_, usage, _ := strings.Cut(flags.Usage("mesosctl agentd"), "\n\n")
		cmd.Long = strings.TrimRight(cmd.Long, "\n") + "\n\nAgent flags (Mesos syntax):\n\n" + usage
	}
	if long := strings.TrimRight(cmd.Long, "\n"); long != "" {
		cmd.Long = "```\n" + long + "\n```"
	}
	for _, c := range cmd.Commands() {
		prepare(c)
	}
}

// Generate writes the markdown pages into mdDir and the man pages into
// manDir (both created if needed). Pages generated earlier for commands that
// no longer exist are removed.
func Generate(cmd *cobra.Command, mdDir, manDir string) error {
	for _, d := range []struct{ dir, pattern string }{{mdDir, "mesosctl*.md"}, {manDir, "mesosctl*.1"}} {
		if err := os.MkdirAll(d.dir, 0o755); err != nil {
			return err
		}
		old, err := filepath.Glob(filepath.Join(d.dir, d.pattern))
		if err != nil {
			return err
		}
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	if err := doc.GenMarkdownTree(cmd, mdDir); err != nil {
		return fmt.Errorf("markdown: %w", err)
	}
	date := ManDate
	header := &doc.GenManHeader{Section: "1", Date: &date,
		Source: "mesosctl", Manual: "mesosctl manual"}
	if err := doc.GenManTree(cmd, header, manDir); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	return nil
}
