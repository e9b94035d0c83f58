// Package ps implements `mesosctl agent ps`: the running Mesos agent's
// command line on each node, one argument per line.
package ps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/fanout"
	"github.com/mesosctl/mesosctl/internal/remote"
)

// ErrNoAgent is a node's failure when no agent process runs there.
var ErrNoAgent = errors.New("no Mesos agent process running (looked for mesos-slave, mesos-agent, mesosctl agentd)")

// Script finds agent processes by name and prints, per process, "\x01",
// then its /proc/PID/cmdline (NUL-separated arguments). The [ ] in the
// pattern keeps pgrep from matching the shell running this script.
const Script = `for p in $( (pgrep -x mesos-slave; pgrep -x mesos-agent; pgrep -f '^[^ ]*mesosctl[ ]agentd( |$)') 2>/dev/null | sort -un); do ` +
	`[ "$p" = "$$" ] && continue; c=$(cat /proc/$p/cmdline 2>/dev/null | tr '\0' '\1'; echo x); ` +
	`[ "$c" = x ] && continue; printf '\002%s' "${c%x}"; done; exit 0`

// Options are the inputs of `mesosctl agent ps`.
type Options struct {
	fanout.Options
	Context  context.Context
	NodeArgs []string
}

// NewCmdPs builds the command; runF replaces the behaviour in tests.
func NewCmdPs(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{}
	fanout.Wire(f, &opts.Options)
	cmd := &cobra.Command{
		Use:   "ps [NODESET]",
		Short: "Show the running agent's command line on each node",
		Long: `Find the running Mesos agent on each node (a process named mesos-slave or
mesos-agent, or 'mesosctl agentd') and print its command line one
argument per line: the binary, then each argument on its own line after a
TAB, under a "-- NODE --" header.

A node with no agent running is reported and counts as failed: the command
then exits 3 (also for a single node).`,
		Example: `  $ mesosctl agent ps lxb001
  -- lxb001 --
  /usr/sbin/mesos-slave
  	--master=zk://zk1:2181/mesos
  	--work_dir=/var/lib/mesos`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Context = cmd.Context()
			opts.NodeArgs = args
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
		ValidArgsFunction: cmdutil.NodeSetCompletion(f),
	}
	fanout.AddFlags(f, cmd, &opts.Options)
	return cmd
}

// Run executes `mesosctl agent ps`.
func Run(o *Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	sel, targets, err := o.Targets(ctx, o.NodeArgs)
	if err != nil {
		return err
	}
	if sel.Empty() {
		return sel.Err(nil)
	}
	names := sel.Names
	results, runErr := o.Run(ctx, fanout.Job{Targets: targets, Command: func(remote.Target) string { return Script }})
	pr := remote.NewPrinter(o.IO.Out, o.IO.ErrOut, remote.ModeHeader, names)
	for i := range results {
		r := &results[i]
		if r.Err == nil && r.ExitCode == 0 {
			r.Stdout = Format(r.Stdout)
			r.Stderr = nil
			if len(r.Stdout) == 0 {
				r.Err = ErrNoAgent
			}
		}
		pr.Done(i, r)
	}
	pr.Finish(results)
	if runErr != nil {
		return runErr
	}
	return sel.Err(fanout.ExitError(results))
}

// Format turns Script's output into the seed's layout: per process the
// binary, then "\t"-prefixed arguments, one per line.
func Format(raw []byte) []byte {
	var b bytes.Buffer
	for _, proc := range bytes.Split(raw, []byte{2}) {
		args := strings.Split(strings.TrimSuffix(string(proc), "\x01"), "\x01")
		if len(args) == 0 || args[0] == "" {
			continue
		}
		fmt.Fprintln(&b, args[0])
		for _, a := range args[1:] {
			fmt.Fprintf(&b, "\t%s\n", a)
		}
	}
	return b.Bytes()
}
