// Package fanout is the plumbing shared by commands that work over SSH on a
// node set (ex, cp, rcp, agent ps, tree): the fan-out flags (with --where),
// resolution of node names to SSH targets, running with progress,
// printing, and exit codes.
package fanout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/where"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/nodeset"
	"github.com/mesosctl/mesosctl/internal/remote"
	"github.com/mesosctl/mesosctl/internal/remotecopy"
	"github.com/mesosctl/mesosctl/internal/spool"
	"github.com/mesosctl/mesosctl/internal/sshkeep"
	"github.com/mesosctl/mesosctl/internal/suggest"
)

// Settings are what the configuration contributes to a fan-out.
type Settings struct {
	Fanout         int
	ConnectTimeout time.Duration
	CommandTimeout time.Duration
	KnownHostsFile string
	// SSHPersist is how long mesosctl's ssh-mux daemon keeps connections
	// when idle; 0 means no daemon.
	SSHPersist time.Duration
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
	// Getenv reads the environment (SSH_AUTH_SOCK, XDG_RUNTIME_DIR,
	// XDG_STATE_HOME, HOME).
	Getenv func(string) string
	// Executable is this program, started as the ssh-mux daemon.
	Executable func() string

	Fanout            int
	Timeout           time.Duration
	ConnectTimeout    time.Duration
	AcceptNewHostKeys bool
	Progress          string // never, auto, always
	Exclude           []string
	NoReuse           bool
	Retry             int
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
	o.Getenv = f.Getenv
	o.Executable = f.Executable
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
			KnownHostsFile: inv.KnownHostsFile(), SSHPersist: d.SSHPersist}, nil
	}
}

// AddFlags registers the fan-out flags on cmd, for a command that runs
// through Run or Runner (connection reuse, --no-reuse, --retry).
func AddFlags(f *cmdutil.Factory, cmd *cobra.Command, o *Options) {
	AddDialerFlags(f, cmd, o)
	AddNoReuseFlag(cmd, o)
	fs := cmd.Flags()
	fs.IntVar(&o.Retry, "retry", 0, "try a node up to `N` more times after a connection failure (refused, reset, timed out), with backoff")
}

// AddNoReuseFlag registers --no-reuse, for a command that runs through
// Run, Runner or SFTP.
func AddNoReuseFlag(cmd *cobra.Command, o *Options) {
	cmd.Flags().BoolVar(&o.NoReuse, "no-reuse", false, "open new SSH connections: use neither your ssh ControlMaster sockets nor mesosctl's ssh-mux daemon")
}

// AddDialerFlags registers the fan-out flags without --no-reuse and
// --retry, for a command that opens its own connections (with Dialer, or
// SFTP and AddNoReuseFlag).
func AddDialerFlags(f *cmdutil.Factory, cmd *cobra.Command, o *Options) {
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
	if o.Retry < 0 {
		return cmdutil.FlagErrorf("--retry must not be negative")
	}
	return o.Where.Validate()
}

// Job is one fan-out.
type Job struct {
	Targets []remote.Target
	Command func(t remote.Target) string
	// Root runs the command as root (sudo -n when the SSH user is not).
	Root bool
	Mode remote.Mode
	// Print, when true, prints results as they come (header, stream,
	// gather or items mode) with bounded memory, and the results carry no
	// output; when false the caller prints from the results.
	Print bool
	// Ordered prints nodes in node-set order instead of as they finish.
	Ordered bool
	// Diff shows gathered groups as diffs against the most common one.
	Diff bool
	// Item prints one node in remote.ModeItems.
	Item func(w io.Writer, r *remote.Result, stdout, stderr *spool.Spool) error
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

func (o *Options) getenv(k string) string {
	if o.Getenv == nil {
		return os.Getenv(k)
	}
	return o.Getenv(k)
}

// Runner is the SSH runner of one run: at most Limit nodes at once, the
// per-node --timeout and --retry, and the transport: with reuse (the
// default), the user's live ControlMaster sockets and mesosctl's ssh-mux
// daemon (see transport); with --no-reuse, new connections of the run's
// own. closeFn ends the run's own connections.
func (o *Options) Runner() (r *remote.Runner, closeFn func(), err error) {
	s, err := o.settings()
	if err != nil {
		return nil, nil, err
	}
	d := o.dialer(s)
	return &remote.Runner{Concurrency: s.Fanout, Timeout: s.CommandTimeout, Transport: o.transport(s, d), Retry: o.Retry},
		func() { d.Close() }, nil
}

// SFTP is the SFTP opener of one run (cp, rcp): with reuse (the
// default), through the user's live ControlMaster sockets or on mesosctl's
// ssh-mux daemon's connections, else (--no-reuse, ssh_persist 0, no
// daemon) on new connections of the run's own, which closeFn closes. open
// returns the session and abort, which ends its channel at once (for a
// copy whose time is up); the caller closes the session.
func (o *Options) SFTP() (open func(ctx context.Context, t remote.Target, root bool) (*remotecopy.Session, func(), error), closeFn func(), err error) {
	s, err := o.settings()
	if err != nil {
		return nil, nil, err
	}
	d := o.dialer(s)
	r, ok := o.transport(s, d).(*reuse)
	if !ok {
		r = &reuse{direct: d, warn: io.Discard, noMaster: true}
	}
	return r.SFTP, func() { d.Close() }, nil
}

// transport is d alone with --no-reuse, else the reuse chain.
func (o *Options) transport(s Settings, d *remote.Dialer) remote.Transport {
	if o.NoReuse {
		return d
	}
	r := &reuse{direct: d, timeout: s.ConnectTimeout, warn: io.Discard}
	if o.IO != nil {
		r.warn = o.IO.ErrOut
	}
	if s.SSHPersist > 0 {
		dir := sshkeep.Dir(o.getenv)
		home := o.getenv("HOME")
		exe := ""
		if o.Executable != nil {
			exe = o.Executable()
		}
		r.keep = &sshkeep.Client{Dir: dir,
			Settings: sshkeep.Settings{KnownHostsFile: s.KnownHostsFile, AcceptNewHostKeys: o.AcceptNewHostKeys,
				ConnectTimeout: s.ConnectTimeout, AgentSocket: o.getenv("SSH_AUTH_SOCK"), HomeDir: home},
			Start: func() error { return startDaemon(exe, dir, s.SSHPersist) }}
	}
	return r
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
		pr.Ordered, pr.Diff, pr.Item = job.Ordered, job.Diff, job.Item
		pr.Summary = o.IO.StderrTTY && len(names) > 1
		r.NoCapture = true
		r.Output = pr.Writers
	}
	r.Root = job.Root
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
	var printErr error
	if pr != nil {
		pr.Progress = nil
		printErr = pr.Finish(results)
	}
	o.record(results)
	if ctx.Err() != nil {
		return results, cmdutil.CancelError
	}
	return results, printErr
}

// record keeps the run's failed and succeeded nodes for @failed and
// @succeeded; a failure to write them is only warned about.
func (o *Options) record(results []remote.Result) {
	var failed, ok []string
	for i := range results {
		if results[i].Failed() {
			failed = append(failed, results[i].Node)
		} else {
			ok = append(ok, results[i].Node)
		}
	}
	o.Record(failed, ok)
}

// Record keeps a run's failed and succeeded nodes for @failed and
// @succeeded, for commands that fan out without Run (cp, rcp); a failure
// to write them is only warned about.
func (o *Options) Record(failed, ok []string) {
	if err := cmdutil.RecordOutcome(o.getenv, failed, ok); err != nil && o.IO != nil {
		fmt.Fprintf(o.IO.ErrOut, "mesosctl: warning: cannot record the run for @failed/@succeeded: %v\n", err)
	}
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
