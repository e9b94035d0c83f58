// Command gen-docs regenerates mesosctl's command reference (docs/cli/*.md)
// and man pages (docs/man/*.1) from the command tree, the package map of
// docs/architecture.md from internal/arch and `go list`, and the per-flag
// table of docs/compatibility.md from the agent's flag table. Run it from the
// repository root, through `make docs`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/mesosctl/mesosctl/internal/arch"
	"github.com/mesosctl/mesosctl/internal/docgen"
)

func main() {
	md := flag.String("markdown", docgen.MarkdownDir, "directory for the markdown command reference")
	man := flag.String("man", docgen.ManDir, "directory for the man pages")
	flag.Parse()
	if err := docgen.Generate(docgen.NewRoot(), *md, *man); err != nil {
		fmt.Fprintln(os.Stderr, "gen-docs:", err)
		os.Exit(1)
	}
	if err := arch.WriteDoc("."); err != nil {
		fmt.Fprintln(os.Stderr, "gen-docs:", err)
		os.Exit(1)
	}
	if err := docgen.WriteFlagTable("."); err != nil {
		fmt.Fprintln(os.Stderr, "gen-docs:", err)
		os.Exit(1)
	}
}
