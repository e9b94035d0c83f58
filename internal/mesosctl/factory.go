package mesosctl

import (
	"os"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
)

// NewFactory wires the lazy dependencies of every command, in dependency
// order.
func NewFactory(ios *iostreams.IOStreams) *cmdutil.Factory {
	f := &cmdutil.Factory{IOStreams: ios}
	f.Executable = func() string {
		exe, err := os.Executable()
		if err != nil {
			return os.Args[0]
		}
		return exe
	}
	return f
}
