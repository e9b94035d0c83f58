package mesosctl

import (
	"os"
	"sync"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/config"
	"github.com/mesosctl/mesosctl/internal/inventory"
	"github.com/mesosctl/mesosctl/internal/iostreams"
)

// NewFactory wires the lazy dependencies of every command, in dependency
// order.
func NewFactory(ios *iostreams.IOStreams) *cmdutil.Factory {
	f := &cmdutil.Factory{IOStreams: ios, Getenv: os.Getenv}
	f.Executable = func() string {
		exe, err := os.Executable()
		if err != nil {
			return os.Args[0]
		}
		return exe
	}
	f.Config = configFunc(f)       // depends on ConfigOptions (set by root's PersistentPreRunE)
	f.Inventory = inventoryFunc(f) // depends on Config
	return f
}

func configFunc(f *cmdutil.Factory) func() (*config.Config, error) {
	var (
		once sync.Once
		cfg  *config.Config
		err  error
	)
	return func() (*config.Config, error) {
		once.Do(func() {
			cfg, err = config.Load(f.ConfigOptions)
			err = cmdutil.UsageError(err)
		})
		return cfg, err
	}
}

func inventoryFunc(f *cmdutil.Factory) func() (*inventory.Inventory, error) {
	var (
		once sync.Once
		inv  *inventory.Inventory
		err  error
	)
	return func() (*inventory.Inventory, error) {
		once.Do(func() {
			var cfg *config.Config
			if cfg, err = f.Config(); err != nil {
				return
			}
			inv, err = inventory.New(cfg)
			err = cmdutil.UsageError(err)
		})
		return inv, err
	}
}
