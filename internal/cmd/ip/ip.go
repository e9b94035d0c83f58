// Package ip implements `mesosctl ip NODE...` and `mesosctl name IP...`:
// map node names to IP addresses and back through the inventory,
// ~/.ssh/config and DNS.
package ip

import (
	"context"
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/inventory"
	"github.com/mesosctl/mesosctl/internal/iostreams"
)

// Options are the inputs of `mesosctl ip` and `mesosctl name`.
type Options struct {
	IO        *iostreams.IOStreams
	Inventory func() (*inventory.Inventory, error)
	Context   context.Context
	// Names are node sets for `ip`; IPs for `name`.
	Args    []string
	Exclude []string
	// Expand turns node set arguments into names (ip only).
	Expand func(args, exclude []string) ([]string, error)
}

// NewCmdIP builds `mesosctl ip`; runF replaces the behaviour in tests.
func NewCmdIP(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Inventory: f.Inventory}
	cmd := &cobra.Command{
		Use:   "ip [NODESET...]",
		Short: "Print the IP address of nodes",
		Long: `Print the IP address of each node: its inventory address, else the HostName of
~/.ssh/config, else a DNS look-up. With one node only the address is printed;
with several, "NAME IP" per line. Without NODESET the NODES variable is used.`,
		Example: `  $ mesosctl ip lxb001
  127.0.1.1
  $ mesosctl ip 'lxb00[1-2]'
  lxb001 127.0.1.1
  lxb002 127.0.1.2`,
		GroupID: "nodes",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Context = cmd.Context()
			opts.Args = args
			opts.Expand = func(args, exclude []string) ([]string, error) {
				return cmdutil.ExpandNodeSet(f, args, exclude)
			}
			if runF != nil {
				return runF(opts)
			}
			return RunIP(opts)
		},
		ValidArgsFunction: cmdutil.NodeSetCompletion(f),
	}
	cmdutil.AddExcludeFlag(f, cmd, &opts.Exclude)
	return cmd
}

// RunIP prints addresses. A name that cannot be resolved is reported and
// the others are still printed (exit 3 when some failed).
func RunIP(opts *Options) error {
	names, err := opts.Expand(opts.Args, opts.Exclude)
	if err != nil {
		return err
	}
	inv, err := opts.Inventory()
	if err != nil {
		return err
	}
	failed := 0
	for _, n := range names {
		ip, err := inv.IP(ctxOf(opts), n)
		if err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "error: %v\n", err)
			failed++
			continue
		}
		if len(names) == 1 {
			fmt.Fprintln(opts.IO.Out, ip)
		} else {
			fmt.Fprintf(opts.IO.Out, "%s %s\n", n, ip)
		}
	}
	return failure(failed, len(names))
}

// NewCmdName builds `mesosctl name`; runF replaces the behaviour in tests.
func NewCmdName(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Inventory: f.Inventory}
	cmd := &cobra.Command{
		Use:   "name IP...",
		Short: "Print the node name of IP addresses",
		Long: `Print the node name for each IP address: the inventory node with that address,
else the ~/.ssh/config Host whose HostName it is, else reverse DNS. With one
address only the name is printed; with several, "IP NAME" per line.`,
		Example: `  $ mesosctl name 127.0.1.1
  lxb001`,
		GroupID: "nodes",
		Args:    cmdutil.MinimumArgs(1, "name at least one IP address"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Context = cmd.Context()
			opts.Args = args
			if runF != nil {
				return runF(opts)
			}
			return RunName(opts)
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	return cmd
}

// RunName prints names.
func RunName(opts *Options) error {
	for _, a := range opts.Args {
		if net.ParseIP(a) == nil {
			return cmdutil.FlagErrorf("%q is not an IP address (to find a node's IP, use 'mesosctl ip %s')", a, a)
		}
	}
	inv, err := opts.Inventory()
	if err != nil {
		return err
	}
	failed := 0
	for _, a := range opts.Args {
		name, err := inv.Name(ctxOf(opts), a)
		if err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "error: %v\n", err)
			failed++
			continue
		}
		if len(opts.Args) == 1 {
			fmt.Fprintln(opts.IO.Out, name)
		} else {
			fmt.Fprintf(opts.IO.Out, "%s %s\n", a, name)
		}
	}
	return failure(failed, len(opts.Args))
}

func ctxOf(opts *Options) context.Context {
	if opts.Context != nil {
		return opts.Context
	}
	return context.Background()
}

func failure(failed, total int) error {
	switch {
	case failed == 0:
		return nil
	case total == 1:
		return cmdutil.SilentError
	}
	return &cmdutil.PartialError{Failed: failed, Total: total}
}
