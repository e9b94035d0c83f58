// Package fanout is the plumbing shared by commands that work over SSH on a
// node set (ex, cp, rcp, agent ps, tree): the fan-out flags (with --where),
// resolution of node names to SSH targets, running with progress,
// printing, and exit codes.
package fanout

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/where"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/nodeset"
	"github.com/mesosctl/mesosctl/internal/remote"
	"github.com/mesosctl/mesosctl/internal/suggest"
)

// Settings are what the configuration contributes to a fan-out.
type Settings struct {
	Fanout         int
	ConnectTimeout time.Duration
	CommandTimeout time.Duration
	KnownHostsFile string
}

// Options are the fan-out flags and the injected dependencies.
type Options struct {
	IO *iostreams.IOStreams

	// Expand turns NODESET arguments (or $NODES) minus -x into names.
	Expand func(args, exclude []string) ([]string, error)
	// Resolve turns names into SSH targets.
	Resolve func(names []string) ([]remote.Target, error)
	// Settings reads defaults from the configuration.
	Settings func() (Settings, error)

	Fanout            int
	Timeout           time.Duration
	ConnectTimeout    time.Duration
	AcceptNewHostKeys bool
	Progress          string // never, auto, always
	Exclude           []string
	// Where selects nodes by their agents' /state (--where; see Select).
	Where where.Options
	// ProgressDelay is how long a fan-out runs before the progress line
	// appears (1s; tests shorten it).
	ProgressDelay time.Duration

	// outside are the notes of the resolved nodes that are not in the
	// inventory (cmdutil.OutsideInventory), by name.
	outside map[string]string
}

// Explain adds to err, node's failure to be reached, that node is not in
// the inventory when it is not (see cmdutil.OutsideError).
func (o *Options) Explain(node string, err error) error {
	if errors.Is(err, remote.ErrCancelled) || errors.Is(err, context.Canceled) {
		return err
	}
	return cmdutil.OutsideError(o.outside[node], err)
}

// Wire fills the dependencies from the factory.
func Wire(f *cmdutil.Factory, o *Options) {
	o.IO = f.IOStreams
	where.Wire(f, &o.Where)
	o.Expand = func(args, exclude []string) ([]string, error) { return cmdutil.ExpandNodeSet(f, args, exclude) }
	o.Resolve = func(names []string) ([]remote.Target, error) {
		inv, err := f.Inventory()
		if err != nil {
			return nil, err
		}
		o.outside = cmdutil.OutsideInventory(f, names)
		out := make([]remote.Target, len(names))
		for i, n := range names {
			node, err := inv.Node(n)
			if err != nil {
				return nil, cmdutil.UsageError(err)
			}
			out[i] = Target(node)
		}
		return out, nil
	}
	o.Settings = func() (Settings, error) {
		inv, err := f.Inventory()
		if err != nil {
			return Settings{}, err
		}
		d := inv.Config().Defaults
		return Settings{Fanout: d.Fanout, ConnectTimeout: d.ConnectTimeout, CommandTimeout: d.CommandTimeout,
			KnownHostsFile: inv.KnownHostsFile()}, nil
	}
}

// AddFlags registers the fan-out flags on cmd.
func AddFlags(f *cmdutil.Factory, cmd *cobra.Command, o *Options) {
	fs := cmd.Flags()
	fs.IntVar(&o.Fanout, "fanout", 0, "run on at most `N` nodes at once (default 64, or defaults.fanout)")
	fs.DurationVar(&o.Timeout, "timeout", 0, "per-node time limit for connect plus command, e.g. 30s (default none, or defaults.command_timeout)")
	fs.DurationVar(&o.ConnectTimeout, "connect-timeout", 0, "SSH connect and handshake time limit (default 10s)")
	fs.BoolVar(&o.AcceptNewHostKeys, "accept-new-host-keys", false, "trust and record host keys not yet in known_hosts (changed keys are always refused)")
	fs.StringVar(&o.Progress, "progress", "auto", "progress line on stderr: never, auto (terminal only), always")
	suggest.MarkEnum(fs, "progress", ProgressModes)
	cmdutil.AddExcludeFlag(f, cmd, &o.Exclude)
	where.AddFlag(cmd, &o.Where)
}

// ProgressModes are the values of --progress.
var ProgressModes = []string{"never", "auto", "always"}

// Validate checks the flag values.
func (o *Options) Validate() error {
	p, err := suggest.Enum("progress", o.Progress, ProgressModes)
	if err != nil {
		return cmdutil.UsageError(err)
	}
	o.Progress = p
	if o.Fanout < 0 {
		return cmdutil.FlagErrorf("--fanout must be at least 1")
	}
	if o.Timeout < 0 || o.ConnectTimeout < 0 {
		return cmdutil.FlagErrorf("timeouts must not be negative")
	}
	return o.Where.Validate()
}

// Job is one fan-out.
type Job struct {
	Targets []remote.Target
	Command func(t remote.Target) string
	Mode    remote.Mode
	// Printer, when true, prints results as they come (header, stream or
	// gather mode); when false the caller prints from the results.
	Print bool
}

// settings are the configuration's settings with the flags given on the
// command line applied.
func (o *Options) settings() (Settings, error) {
	s := Settings{}
	if o.Settings != nil {
		var err error
		if s, err = o.Settings(); err != nil {
			return s, err
		}
	}
	if o.Fanout > 0 {
		s.Fanout = o.Fanout
	}
	if o.ConnectTimeout > 0 {
		s.ConnectTimeout = o.ConnectTimeout
	}
	if o.Timeout > 0 {
		s.CommandTimeout = o.Timeout
	}
	return s, nil
}

// Limit is how many nodes the command works on at once: --fanout, else
// defaults.fanout (0 here means parallel.DefaultLimit).
func (o *Options) Limit() (int, error) {
	s, err := o.settings()
	return s.Fanout, err
}

// Dialer is the SSH dialer of one run, set up from the configuration and
// the flags: known_hosts, --accept-new-host-keys, the connect timeout. The
// caller closes it.
func (o *Options) Dialer() (*remote.Dialer, error) {
	s, err := o.settings()
	if err != nil {
		return nil, err
	}
	return o.dialer(s), nil
}

func (o *Options) dialer(s Settings) *remote.Dialer {
	return &remote.Dialer{KnownHostsFile: s.KnownHostsFile, AcceptNewHostKeys: o.AcceptNewHostKeys,
		ConnectTimeout: s.ConnectTimeout}
}

// Runner is the SSH runner of one run: the Dialer, at most Limit nodes at
// once, and the per-node --timeout. closeFn ends its connections.
func (o *Options) Runner() (r *remote.Runner, closeFn func(), err error) {
	s, err := o.settings()
	if err != nil {
		return nil, nil, err
	}
	d := o.dialer(s)
	return &remote.Runner{Concurrency: s.Fanout, Timeout: s.CommandTimeout, Dial: d.Dial, Forget: d.Forget},
		func() { d.Close() }, nil
}

// Run runs the job and returns the results in node-set order.
func (o *Options) Run(ctx context.Context, job Job) ([]remote.Result, error) {
	r, closeFn, err := o.Runner()
	if err != nil {
		return nil, err
	}
	defer closeFn()

	names := make([]string, len(job.Targets))
	for i, t := range job.Targets {
		names[i] = t.Name
	}
	var prog *remote.Progress
	if o.Progress == "always" || (o.Progress == "auto" && o.IO.StderrTTY) {
		prog = &remote.Progress{W: o.IO.ErrOut, Names: names, Delay: o.ProgressDelay, Width: o.IO.TerminalWidth()}
		prog.Start()
	}
	var pr *remote.Printer
	if job.Print {
		pr = remote.NewPrinter(o.IO.Out, o.IO.ErrOut, job.Mode, names)
		pr.Fold = nodeset.Fold
		pr.Progress = prog
	}
	r.NoCapture = job.Print && job.Mode == remote.ModeStream
	if pr != nil && job.Mode == remote.ModeStream {
		r.Output = pr.Writers
	}
	r.OnStart = func(i int) {
		if prog != nil {
			prog.NodeStarted(i)
		}
	}
	r.OnDone = func(i int, res *remote.Result) {
		res.Err = o.Explain(res.Node, res.Err)
		if prog != nil {
			prog.NodeDone(i, res.Failed())
		}
		if pr != nil {
			pr.Done(i, res)
		}
	}
	results := runEach(ctx, r, job)
	if prog != nil {
		prog.Stop()
	}
	if pr != nil {
		pr.Progress = nil
		pr.Finish(results)
	}
	if ctx.Err() != nil {
		return results, cmdutil.CancelError
	}
	return results, nil
}

// runEach runs the job's per-target command; targets sharing one command
// string (the usual case) run as one fan-out.
func runEach(ctx context.Context, r *remote.Runner, job Job) []remote.Result {
	cmds := make([]string, len(job.Targets))
	same := true
	for i, t := range job.Targets {
		cmds[i] = job.Command(t)
		if cmds[i] != cmds[0] {
			same = false
		}
	}
	if len(cmds) == 0 {
		return nil
	}
	if same {
		return r.Run(ctx, job.Targets, cmds[0])
	}
	// Different commands (e.g. sudo only for non-root users): run the
	// groups one after the other would lose overlap, so run per-target
	// commands through one Runner by index.
	return r.RunEach(ctx, job.Targets, func(i int) string { return cmds[i] })
}

// ExitError maps results to the command's error: nil when every node
// succeeded; otherwise a PartialError (exit 3).
func ExitError(results []remote.Result) error {
	failed := 0
	for i := range results {
		if results[i].Failed() {
			failed++
		}
	}
	if failed == 0 {
		return nil
	}
	return &cmdutil.PartialError{Failed: failed, Total: len(results)}
}
