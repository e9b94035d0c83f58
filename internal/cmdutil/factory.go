package cmdutil

import (
	"github.com/mesosctl/mesosctl/internal/config"
	"github.com/mesosctl/mesosctl/internal/iostreams"
)

// Factory builds the dependencies commands need. Dependencies are lazy
// functions so that parsing flags never reads files or touches the network.
type Factory struct {
	IOStreams *iostreams.IOStreams

	// Executable is the path of the running binary (for self-exec).
	Executable func() string

	// Config returns the loaded configuration, including the inventory. It
	// is valid only after the root command's PersistentPreRunE has bound
	// the executing command's flags.
	Config func() (*config.Config, error)
}
