// Package login implements `mesosctl login`: an interactive shell on one
// node over SSH, with a PTY (like `vm lo NODE` or `ssh -t NODE`), or,
// when stdin is not a terminal, a shell that reads its commands from stdin
// (like `ssh NODE < script`).
package login

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"
	"golang.org/x/term"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/fanout"
)

// Options are the inputs of `mesosctl login`.
type Options struct {
	fanout.Options
	Context context.Context
	Node    string
	Root    bool
	Getenv  func(string) string
}

// NewCmdLogin builds the command; runF replaces the behaviour in tests.
func NewCmdLogin(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{Getenv: f.Getenv}
	fanout.Wire(f, &opts.Options)
	cmd := &cobra.Command{
		Use:   "login NODE",
		Short: "Open an interactive shell on a node",
		Long: `Open an interactive login shell on NODE over SSH with a terminal (PTY).
Window size changes are forwarded; the exit status of the remote shell is
mesosctl's exit status. With -r the shell is a root login shell ('sudo -i')
when the SSH user is not root.

When stdin is not a terminal, login does what 'ssh NODE' does: no PTY; the
remote shell reads its commands from stdin, and login exits with its status
once stdin ends.

SIGINT, SIGTERM and SIGHUP (a closed terminal) hang up the remote shell and
close the connection; login then exits 128 + the signal's number.`,
		Example: "  $ mesosctl login lxb001\n  $ mesosctl login lxb001 -r\n  $ echo 'systemctl is-active mesos-slave' | mesosctl login lxb001",
		GroupID: "nodes",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Context = cmd.Context()
			opts.Node = args[0]
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
		ValidArgsFunction: cmdutil.NodeSetCompletion(f),
	}
	cmd.Flags().BoolVarP(&opts.Root, "root", "r", false, "log in as root (through 'sudo -i' when the SSH user is not root)")
	cmd.Flags().DurationVar(&opts.ConnectTimeout, "connect-timeout", 0, "SSH connect and handshake time limit (default 10s)")
	cmd.Flags().BoolVar(&opts.AcceptNewHostKeys, "accept-new-host-keys", false, "trust and record the host key if not yet in known_hosts")
	return cmd
}

// Run executes `mesosctl login`.
func Run(o *Options) error {
	targets, err := o.Resolve([]string{o.Node})
	if err != nil {
		return err
	}
	t := targets[0]
	d, err := o.Dialer()
	if err != nil {
		return err
	}
	defer d.Close()
	ctx := o.Context
	if ctx == nil {
		ctx = context.Background()
	}
	client, err := d.Dial(ctx, t)
	if err != nil {
		return fmt.Errorf("%s: %w", t.Name, o.Explain(t.Name, err))
	}
	sess, err := client.NewSession()
	if err != nil {
		return err
	}
	defer sess.Close()
	// SIGINT, SIGTERM or SIGHUP (the root command's context): hang up the
	// remote shell's process group as a closed terminal would, and close
	// the session and the connection.
	hangUp := context.AfterFunc(ctx, func() {
		_ = sess.Signal(ssh.SIGHUP)
		_ = sess.Close()
		d.Close()
	})
	defer hangUp()

	inFile, inIsFile := o.IO.In.(*os.File)
	interactive := inIsFile && term.IsTerminal(int(inFile.Fd()))
	if interactive {
		restore, err := o.terminal(inFile, sess)
		if err != nil {
			return err
		}
		defer restore()
	}
	// Without a terminal, like `ssh NODE`: no PTY, the remote shell reads
	// its commands from our stdin and exits at its end.
	stdin, err := sess.StdinPipe()
	if err != nil {
		return err
	}
	go func() {
		_, _ = io.Copy(stdin, o.IO.In)
		_ = stdin.Close()
	}()
	sess.Stdout, sess.Stderr = o.IO.Out, o.IO.ErrOut
	switch {
	case o.Root && t.User != "root" && interactive:
		err = sess.Start("sudo -i")
	case o.Root && t.User != "root":
		err = sess.Start("sudo -n -i") // no terminal to ask a password on
	default:
		err = sess.Shell()
	}
	if err == nil {
		err = sess.Wait()
	}
	if ctx.Err() != nil {
		return cmdutil.CancelError
	}
	if err == nil {
		return nil
	}
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		if ee.Signal() != "" && ee.ExitStatus() == 0 {
			return fmt.Errorf("the remote shell was killed by SIG%s", ee.Signal())
		}
		return &cmdutil.ExitStatusError{Code: ee.ExitStatus()}
	}
	return err
}

// terminal puts the local terminal in raw mode, asks for a PTY of its size
// and forwards window size changes; restore undoes the raw mode.
func (o *Options) terminal(in *os.File, sess *ssh.Session) (restore func(), err error) {
	fd := int(in.Fd())
	width, height := 80, 24
	if w, h, err := term.GetSize(fd); err == nil {
		width, height = w, h
	}
	termType := "xterm-256color"
	if o.Getenv != nil && o.Getenv("TERM") != "" {
		termType = o.Getenv("TERM")
	}
	modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 38400, ssh.TTY_OP_OSPEED: 38400}
	if err := sess.RequestPty(termType, height, width, modes); err != nil {
		return nil, err
	}
	state, err := term.MakeRaw(fd)
	if err != nil {
		return nil, err
	}
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() {
		for range winch {
			if w, h, err := term.GetSize(fd); err == nil {
				_ = sess.WindowChange(h, w)
			}
		}
	}()
	return func() {
		signal.Stop(winch)
		close(winch)
		_ = term.Restore(fd, state)
	}, nil
}
