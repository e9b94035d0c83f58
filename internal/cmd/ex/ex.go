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
	"github.com/mesosctl/mesosctl/internal/shell"
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
  default     each node's output, in node-set order, under "-- NODE --"
  -s/--stream lines as they arrive, prefixed "NODE: "
  -b/--gather nodes with identical output grouped under one folded node set
  -o json     one object per node: node, exit_code, stdout, stderr,
              duration_ms, error

NODESET may be left out when $NODES is set: then every argument is the
command (NODES='lxb00[1-4]' mesosctl ex uptime).

--where FILTER runs only on the nodes whose agent /state passes the jq
FILTER (read over HTTP first, at most --fanout at once): e.g.
--where '.attributes.rack==3'. A node whose agent cannot be read is
reported, not selected, and counts as failed (exit 3).

Exit status: 0 when the command exited 0 everywhere; with one node, that
node's exit status; otherwise 3 when any node failed (unreachable, host key
refused, timed out, or a non-zero exit), 2 for bad arguments, 130 on Ctrl-C.`,
		Example: `  $ mesosctl ex 'lxb00[1-4]' uptime
  $ mesosctl ex lxb001 -r 'systemctl restart mesos-slave'
  $ NODES='lxb00[1-4]' mesosctl ex -b 'cat /etc/mesos-slave/attributes'
  $ mesosctl ex @agents -x lxb003 --fanout 16 --timeout 30s -- df -h /var/lib/mesos
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

// Result is one node's result as -o json prints it.
type Result struct {
	Node       string `json:"node"`
	ExitCode   int    `json:"exit_code"`
	Stdout     string `json:"stdout"`
	Stderr     string `json:"stderr"`
	DurationMS int64  `json:"duration_ms"`
	Error      string `json:"error,omitempty"`
}

// Run executes `mesosctl ex`.
func Run(o *Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if err := o.Output.Validate(); err != nil {
		return err
	}
	if o.Gather && o.Stream {
		return cmdutil.FlagErrorf("--gather and --stream cannot be used together: pick one")
	}
	structured := o.Output.IsStructured()
	if structured && (o.Gather || o.Stream) {
		return cmdutil.FlagErrorf("-o/--jq/--template print per-node results; drop --gather/--stream")
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
	case o.Gather:
		mode = remote.ModeGather
	case o.Stream:
		mode = remote.ModeStream
	}
	results, runErr := o.Run(ctx, fanout.Job{Targets: targets, Mode: mode, Print: !structured,
		Command: func(t remote.Target) string {
			if o.Root {
				return shell.AsRoot(o.Command, t.User)
			}
			return o.Command
		}})
	if structured {
		out := make([]Result, len(results))
		for i, r := range results {
			out[i] = Result{Node: r.Node, ExitCode: r.ExitCode, Stdout: string(r.Stdout), Stderr: string(r.Stderr),
				DurationMS: r.Duration.Milliseconds()}
			if r.Err != nil {
				out[i].Error = r.Err.Error()
			}
		}
		if err := o.Output.Print(o.IO, out, nil); err != nil {
			return err
		}
	}
	if runErr != nil {
		return runErr
	}
	if len(results) == 1 && results[0].Err == nil {
		return sel.Err(cmdutil.ExitStatus(results[0].ExitCode))
	}
	return sel.Err(fanout.ExitError(results))
}
