// Package ex implements `mesosctl ex`: run a shell command on a node set
// over SSH, in parallel, like `vn ex`, pdsh or `clush -b`.
package ex

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/fanout"
	"github.com/mesosctl/mesosctl/internal/nodeset"
	"github.com/mesosctl/mesosctl/internal/remote"
	"github.com/mesosctl/mesosctl/internal/render"
)

// Options are the inputs of `mesosctl ex`.
type Options struct {
	fanout.Options
	Context context.Context
	Getenv  func(string) string

	NodeArgs []string // NODESET arguments (empty: $NODES)
	Command  string
	Root     bool
	Gather   bool
	Stream   bool
	Diff     bool
	Ordered  bool
	Output   render.Options
}

// NewCmdEx builds the command; runF replaces the behaviour in tests.
func NewCmdEx(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{Getenv: f.Getenv}
	fanout.Wire(f, &opts.Options)
	cmd := &cobra.Command{
		Use:   "ex [NODESET] [flags] [--] COMMAND...",
		Short: "Run a shell command on many nodes over SSH",
		Long: `Run COMMAND with the remote user's shell on every node of NODESET, in
parallel (at most --fanout at once), and show each node's output.

Output modes:
  default     each node's output under "-- NODE --", printed as soon as that
              node is done (completion order, as clush and pdsh print);
              --ordered prints in node-set order instead (a slow node then
              holds back the ones after it)
  -s/--stream lines as they arrive, prefixed "NODE: "
  -b/--gather nodes with identical output grouped under one folded node set
  --diff      like -b, then a unified diff of each group's output against
              the most common one (as clush --diff)
  -o json     JSON Lines: one object per node as it completes: node,
              exit_code, stdout, stderr, duration_ms, error; stdout_base64
              and stderr_base64 too when the output is not valid UTF-8
              (the exact bytes; the text fields then carry U+FFFD)

Output is held with bounded memory (64 KiB per node, the rest in a
temporary file), so nodes printing gigabytes do not exhaust memory.
Connections are reused (see 'mesosctl ssh-mux'); --no-reuse opens new ones.
When a node times out (--timeout) or mesosctl is interrupted (Ctrl-C,
SIGTERM, SIGHUP), the command's whole process group on the node ends.
Each run records its nodes by outcome: re-run with @failed or @succeeded.
On a terminal a closing line counts the outcomes on stderr:
  62 ok · 1 exit 1: lxb007 · 1 unreachable: lxb009

NODESET may be left out when $NODES is set: then every argument is the
command (NODES='lxb00[1-4]' mesosctl ex uptime).

--where FILTER runs only on the nodes whose agent /state passes the jq
FILTER (read over HTTP first, at most --fanout at once): e.g.
--where '.attributes.rack==3'. A node whose agent cannot be read is
reported, not selected, and counts as failed (exit 3).

Exit status: 0 when the command exited 0 everywhere; with one node, that
node's exit status; otherwise 3 when any node failed (unreachable, host key
refused, timed out, or a non-zero exit), 2 for bad arguments, 128+N when
stopped by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).`,
		Example: `  $ mesosctl ex 'lxb00[1-4]' uptime
  $ mesosctl ex lxb001 -r 'systemctl restart mesos-slave'
  $ NODES='lxb00[1-4]' mesosctl ex -b 'cat /etc/mesos-slave/attributes'
  $ mesosctl ex @agents -x lxb003 --fanout 16 --timeout 30s -- df -h /var/lib/mesos
  $ mesosctl ex --diff @agents cat /etc/mesos-slave/attributes
  $ mesosctl ex @failed --retry 3 uptime
  $ mesosctl ex @agents --where '.attributes.rack==3 and .flags.containerizers!="mesos,docker"' -r 'systemctl restart mesos-slave'`,
		GroupID: "nodes",
		Args:    cmdutil.MinimumArgs(1, "give a NODESET and the COMMAND to run (or set NODES and give only the COMMAND)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Context = cmd.Context()
			if err := opts.parseArgs(args, cmd.ArgsLenAtDash()); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
		ValidArgsFunction: cmdutil.NodeSetCompletion(f),
	}
	fs := cmd.Flags()
	fs.BoolVarP(&opts.Root, "root", "r", false, "run the command as root (through 'sudo -n' when the SSH user is not root)")
	fs.BoolVarP(&opts.Gather, "gather", "b", false, "group nodes with identical output (like clush -b)")
	fs.BoolVarP(&opts.Stream, "stream", "s", false, "print lines as they arrive, prefixed with the node name")
	fs.BoolVar(&opts.Diff, "diff", false, "show a unified diff of each output group against the most common one (like clush --diff)")
	fs.BoolVar(&opts.Ordered, "ordered", false, "print nodes in node-set order instead of as each finishes (default mode and -o json)")
	fanout.AddFlags(f, cmd, &opts.Options)
	render.AddOutputFlags(cmd, &opts.Output)
	return cmd
}

// parseArgs splits NODESET from COMMAND. With $NODES set, a single
// argument, or arguments all after "--", are the command.
func (o *Options) parseArgs(args []string, dash int) error {
	nodesEnv := o.Getenv != nil && strings.TrimSpace(o.Getenv(nodeset.EnvVar)) != ""
	switch {
	case dash == 0:
		o.Command = strings.Join(args, " ")
	case len(args) == 1 && nodesEnv:
		o.Command = args[0]
	default:
		o.NodeArgs = args[:1]
		o.Command = strings.Join(args[1:], " ")
	}
	if strings.TrimSpace(o.Command) == "" {
		return cmdutil.FlagErrorf("no command given: usage is 'mesosctl ex NODESET COMMAND' (or set NODES and give only COMMAND)")
	}
	return nil
}

// Run executes `mesosctl ex`.
func Run(o *Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if err := o.Output.Validate(); err != nil {
		return err
	}
	if o.Diff {
		o.Gather = true
	}
	if o.Gather && o.Stream {
		return cmdutil.FlagErrorf("--gather/--diff and --stream cannot be used together: pick one")
	}
	structured := o.Output.IsStructured()
	if structured && (o.Gather || o.Stream) {
		return cmdutil.FlagErrorf("-o/--jq/--template print per-node results; drop --gather/--diff/--stream")
	}
	if o.Ordered && (o.Gather || o.Stream) {
		return cmdutil.FlagErrorf("--ordered applies to the default mode and -o json; drop it with --gather/--diff/--stream")
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
	mode := remote.ModeHeader
	switch {
	case structured:
		mode = remote.ModeItems
	case o.Gather:
		mode = remote.ModeGather
	case o.Stream:
		mode = remote.ModeStream
	}
	results, runErr := o.Run(ctx, fanout.Job{Targets: targets, Mode: mode, Print: true, Root: o.Root,
		Ordered: o.Ordered, Diff: o.Diff, Item: o.printItem,
		Command: func(remote.Target) string { return o.Command }})
	if runErr != nil {
		return runErr
	}
	if len(results) == 1 && results[0].Err == nil {
		return sel.Err(cmdutil.ExitStatus(results[0].ExitCode))
	}
	return sel.Err(fanout.ExitError(results))
}
