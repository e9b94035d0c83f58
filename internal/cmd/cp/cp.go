// Package cp implements `mesosctl cp` and `mesosctl rcp`: copy files and
// directory trees to every node of a node set, or from every node into a
// local directory per node, over SFTP on the SSH connections `ex` uses
// (like pdcp/rpdcp and `clush --copy`/`--rcopy`).
package cp

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/fanout"
	"github.com/mesosctl/mesosctl/internal/nodeset"
	"github.com/mesosctl/mesosctl/internal/parallel"
	"github.com/mesosctl/mesosctl/internal/remote"
	"github.com/mesosctl/mesosctl/internal/remotecopy"
)

// cleanupGrace is how long a cancelled or timed-out node may take to
// remove its temporary file before its connection is closed.
const cleanupGrace = 5 * time.Second

// Options are the inputs of `mesosctl cp` and `mesosctl rcp`.
type Options struct {
	fanout.Options
	Context context.Context
	Getenv  func(string) string

	Pull     bool     // rcp
	NodeArgs []string // NODESET (empty: $NODES)
	Sources  []string // local (cp) or remote (rcp) paths
	Dest     string   // remote path (cp) or local directory (rcp)
	Preserve bool
	Root     bool
}

const exitHelp = `
Exit status: 0 when every node succeeded, 3 when any node failed (it is
named on stderr with the reason; the others finish), 2 for bad arguments
(nothing was copied), 130 on Ctrl-C.`

const commonHelp = `
Connections (reused as 'mesosctl ex' reuses them: your ssh ControlMaster
sockets, else mesosctl's ssh-mux daemon; --no-reuse opens new ones), node
sets, --fanout, --timeout (per node, connect plus copy), host-key checks,
ProxyJump and the progress line are those of 'mesosctl ex'.
Directories are copied recursively (no flag needed: -r is not taken, as it
means --root for ex); symbolic links inside a tree are copied as links.
Files are written atomically: to a temporary file (.NAME.mesosctl-XXXX.tmp)
in the target directory, then renamed over the target, so a reader sees the
old or the new file and never a part; a failed or interrupted copy removes
its temporary file (unless the connection itself is lost).

Without -p a new file or directory gets the source's permission bits and an
existing file keeps its own mode (and, as root, its owner and group); -p
gives every file and directory the source's mode and access and
modification times.

--where FILTER copies only to/from the nodes whose agent /state passes the
jq FILTER (see 'mesosctl ex --help').
`

// NewCmdCp builds `mesosctl cp`; runF replaces the behaviour in tests.
func NewCmdCp(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{Getenv: f.Getenv}
	cmd := &cobra.Command{
		Use:   "cp [NODESET] [flags] SOURCE... DEST",
		Short: "Copy files and directories to many nodes over SFTP",
		Long: `Copy local files and directories to DEST on every node of NODESET, in
parallel (at most --fanout nodes at once), like pdcp or 'clush --copy'.

As with cp and scp: when DEST is a directory on the node, each SOURCE goes
into it under its own name; otherwise DEST is the new name of the single
SOURCE. A relative DEST (or ~/DEST) is relative to the SSH user's home.

NODESET may be left out when $NODES is set and exactly SOURCE and DEST are
given, or when every argument comes after --.

--root writes as root: when the SSH user is not root, the node's sftp-server
runs through 'sudo -n' (passwordless sudo needed).
` + commonHelp + exitHelp,
		Example: `  $ mesosctl cp 'lxb00[1-4]' mesos-slave.conf /etc/default/
  $ mesosctl cp @agents --root -p attributes /etc/mesos-slave/attributes
  $ mesosctl cp @agents --where '.attributes.rack==3' ./scripts /opt/`,
		GroupID: "nodes",
		Args:    cmdutil.MinimumArgs(2, "usage: mesosctl cp NODESET SOURCE... DEST"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return opts.start(cmd, args, runF)
		},
		ValidArgsFunction: cmdutil.NodeSetCompletion(f),
	}
	opts.addFlags(f, cmd, "write as root (the node's sftp-server through 'sudo -n' when the SSH user is not root)")
	return cmd
}

// NewCmdRcp builds `mesosctl rcp`; runF replaces the behaviour in tests.
func NewCmdRcp(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{Getenv: f.Getenv, Pull: true}
	cmd := &cobra.Command{
		Use:   "rcp [NODESET] [flags] SOURCE... DIR",
		Short: "Copy files and directories from many nodes into DIR/NODE/",
		Long: `Copy the files and directories SOURCE from every node of NODESET into the
local directory DIR, one directory per node: DIR/NODE/BASE (like rpdcp or
'clush --rcopy', which append the node name to the file name instead).
DIR and DIR/NODE are created when missing. A relative SOURCE (or ~/SOURCE)
is relative to the SSH user's home.

NODESET may be left out when $NODES is set and exactly SOURCE and DIR are
given, or when every argument comes after --.

--root reads as root: when the SSH user is not root, the node's sftp-server
runs through 'sudo -n' (passwordless sudo needed).
` + commonHelp + exitHelp,
		Example: `  $ mesosctl rcp 'lxb00[1-4]' /etc/mesos-slave ./conf      # ./conf/lxb001/mesos-slave/…
  $ mesosctl rcp @agents --root /var/log/mesos/mesos-slave.INFO ./logs`,
		GroupID: "nodes",
		Args:    cmdutil.MinimumArgs(2, "usage: mesosctl rcp NODESET SOURCE... DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return opts.start(cmd, args, runF)
		},
		ValidArgsFunction: cmdutil.NodeSetCompletion(f),
	}
	opts.addFlags(f, cmd, "read as root (the node's sftp-server through 'sudo -n' when the SSH user is not root)")
	return cmd
}

func (o *Options) addFlags(f *cmdutil.Factory, cmd *cobra.Command, rootHelp string) {
	fanout.Wire(f, &o.Options)
	fs := cmd.Flags()
	fs.BoolVarP(&o.Preserve, "preserve", "p", false, "keep each file's mode and access and modification times")
	fs.BoolVar(&o.Root, "root", false, rootHelp)
	fanout.AddDialerFlags(f, cmd, &o.Options)
	fanout.AddNoReuseFlag(cmd, &o.Options)
	fs.Lookup("timeout").Usage = "per-node time limit for connect plus copy, e.g. 5m (default none, or defaults.command_timeout)"
}

func (o *Options) start(cmd *cobra.Command, args []string, runF func(*Options) error) error {
	o.Context = cmd.Context()
	if err := o.parseArgs(args, cmd.ArgsLenAtDash()); err != nil {
		return err
	}
	if runF != nil {
		return runF(o)
	}
	return Run(o)
}

// parseArgs splits NODESET, the sources and the destination. With $NODES
// set, exactly two arguments, or arguments all after "--", are the paths.
func (o *Options) parseArgs(args []string, dash int) error {
	nodesEnv := o.Getenv != nil && strings.TrimSpace(o.Getenv(nodeset.EnvVar)) != ""
	paths := args
	switch {
	case dash == 0:
	case len(args) == 2 && nodesEnv:
	default:
		o.NodeArgs, paths = args[:1], args[1:]
	}
	verb, last := "cp", "DEST"
	if o.Pull {
		verb, last = "rcp", "DIR"
	}
	if len(paths) < 2 {
		return cmdutil.FlagErrorf("give at least one SOURCE and the %s: usage is 'mesosctl %s NODESET SOURCE... %s' (or set NODES and give only the paths)", last, verb, last)
	}
	o.Sources, o.Dest = paths[:len(paths)-1], paths[len(paths)-1]
	seen := map[string]string{}
	for _, p := range paths {
		if p == "" {
			return cmdutil.FlagErrorf("empty path")
		}
	}
	for _, p := range o.Sources {
		base := path.Base(path.Clean(filepath.ToSlash(p)))
		if prev, ok := seen[base]; ok {
			return cmdutil.FlagErrorf("%s and %s would both be written as %s: copy them one at a time", prev, p, base)
		}
		seen[base] = p
	}
	return nil
}

// Result is one node's copy.
type Result struct {
	Node     string
	Stats    remotecopy.Stats
	Duration time.Duration
	Err      error
}

// Run executes `mesosctl cp` or `mesosctl rcp`.
func Run(o *Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	var srcs []*remotecopy.Source
	if !o.Pull {
		var err error
		if srcs, err = remotecopy.Scan(o.Sources); err != nil {
			return cmdutil.UsageError(err)
		}
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
	set, err := o.Effective()
	if err != nil {
		return err
	}
	open, closeFn, err := o.SFTP()
	if err != nil {
		return err
	}
	defer closeFn()

	var prog *remote.Progress
	if o.Progress == "always" || (o.Progress == "auto" && o.IO.StderrTTY) {
		prog = &remote.Progress{W: o.IO.ErrOut, Names: sel.Names, Delay: o.ProgressDelay, Width: o.IO.TerminalWidth()}
		prog.Start()
	}
	results := make([]Result, len(targets))
	started := make([]bool, len(targets))
	var mu sync.Mutex
	perr := parallel.Each(ctx, set.Fanout, len(targets), func(ctx context.Context, i int) {
		mu.Lock()
		started[i] = true
		mu.Unlock()
		if prog != nil {
			prog.NodeStarted(i)
		}
		res := &results[i]
		res.Node = targets[i].Name
		start := time.Now()
		res.Stats, res.Err = o.copyOne(ctx, open, set.CommandTimeout, targets[i], srcs)
		res.Duration = time.Since(start)
		if prog != nil {
			prog.NodeDone(i, res.Err != nil)
		}
	})
	if prog != nil {
		prog.Stop()
	}
	var failedNodes, okNodes []string
	for i := range results {
		if !started[i] {
			results[i] = Result{Node: targets[i].Name, Err: remote.ErrCancelled}
		}
		if results[i].Err != nil {
			failedNodes = append(failedNodes, results[i].Node)
			fmt.Fprintf(o.IO.ErrOut, "mesosctl: %s: %v\n", results[i].Node, results[i].Err)
		} else {
			okNodes = append(okNodes, results[i].Node)
		}
	}
	o.Record(failedNodes, okNodes)
	failed := len(failedNodes)
	if perr != nil || ctx.Err() != nil {
		return cmdutil.CancelError
	}
	if failed > 0 {
		return sel.Err(&cmdutil.PartialError{Failed: failed, Total: len(results)})
	}
	return sel.Err(nil)
}

// opener opens an SFTP session on a node (fanout.Options.SFTP).
type opener func(ctx context.Context, t remote.Target, root bool) (*remotecopy.Session, func(), error)

// copyOne opens an SFTP session on t and copies, within timeout (0: none).
// When the node's time is up (or the run is cancelled) the copy stops and
// removes its temporary file; a node that does not manage that within
// cleanupGrace has its channel closed anyway.
func (o *Options) copyOne(parent context.Context, open opener, timeout time.Duration, t remote.Target, srcs []*remotecopy.Source) (remotecopy.Stats, error) {
	ctx, cancel := parent, context.CancelFunc(func() {})
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(parent, timeout)
	}
	defer cancel()
	fail := func(err error) error {
		switch {
		case parent.Err() != nil:
			return remote.ErrCancelled
		case ctx.Err() != nil:
			return fmt.Errorf("%w after %v", remote.ErrTimeout, timeout)
		}
		return err
	}
	sess, abort, err := open(ctx, t, o.Root)
	if err != nil {
		return remotecopy.Stats{}, fail(err)
	}
	defer sess.Close()
	var once sync.Once
	forget := func() { once.Do(abort) }
	var timer *time.Timer
	var tmu sync.Mutex
	stop := context.AfterFunc(ctx, func() {
		tmu.Lock()
		timer = time.AfterFunc(cleanupGrace, forget)
		tmu.Unlock()
	})
	defer func() {
		stop()
		tmu.Lock()
		if timer != nil {
			timer.Stop()
		}
		tmu.Unlock()
	}()
	var st remotecopy.Stats
	if o.Pull {
		st, err = sess.Pull(ctx, o.Sources, filepath.Join(o.Dest, t.Name), remotecopy.Options{Preserve: o.Preserve})
	} else {
		st, err = sess.Push(ctx, srcs, o.Dest, remotecopy.Options{Preserve: o.Preserve})
	}
	if err != nil {
		if ctx.Err() != nil {
			forget() // the session may be mid-request
		}
		return st, fail(err)
	}
	return st, nil
}
