package cmdutil

import (
	"github.com/mesosctl/mesosctl/internal/config"
	"github.com/mesosctl/mesosctl/internal/inventory"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/parallel"
)

// Factory builds the dependencies commands need. Dependencies are lazy
// functions so that parsing flags never reads files or touches the network.
type Factory struct {
	IOStreams *iostreams.IOStreams

	// Executable is the path of the running binary (for self-exec).
	Executable func() string

	// ConfigOptions are filled in by the root command's PersistentPreRunE
	// (the --config flag and the executing command's flags) before RunE
	// runs; Config reads them on its first call.
	ConfigOptions config.LoadOptions

	// Config returns the loaded configuration, including the inventory. It
	// is valid only after the root command's PersistentPreRunE has bound
	// the executing command's flags. Errors are usage errors (exit 2).
	Config func() (*config.Config, error)

	// Inventory resolves node names, groups and node sets against the
	// configuration and ~/.ssh/config. Depends on Config.
	Inventory func() (*inventory.Inventory, error)

	// Getenv reads the environment (os.Getenv; replaced in tests), e.g.
	// for the NODES default node set.
	Getenv func(string) string
}

// Fanout is how many agents a command without fan-out flags of its own
// (agents, exec, tasks, task) asks at once: defaults.fanout or
// MESOSCTL_FANOUT through the configuration, or parallel.DefaultLimit when
// the configuration cannot be read (a command that needs the configuration
// reports why where it reads it).
func Fanout(f *Factory) int {
	if f.Config != nil {
		if cfg, err := f.Config(); err == nil {
			return cfg.Defaults.Fanout
		}
	}
	return parallel.DefaultLimit
}
