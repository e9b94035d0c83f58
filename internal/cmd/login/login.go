// Package login implements `mesosctl login`: an interactive shell on one
// node over SSH, with a PTY (like `vm lo NODE` or `ssh -t NODE`).
package login

import (
	"context"
	"errors"
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
when the SSH user is not root.`,
		Example: "  $ mesosctl login lxb001\n  $ mesosctl login lxb001 -r",
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
		return err
	}
	sess, err := client.NewSession()
	if err != nil {
		return err
	}
	defer sess.Close()

	width, height := 80, 24
	termType := "xterm-256color"
	if o.Getenv != nil && o.Getenv("TERM") != "" {
		termType = o.Getenv("TERM")
	}
	inFile, inIsFile := o.IO.In.(*os.File)
	if inIsFile && term.IsTerminal(int(inFile.Fd())) {
		fd := int(inFile.Fd())
		if w, h, err := term.GetSize(fd); err == nil {
			width, height = w, h
		}
		state, err := term.MakeRaw(fd)
		if err != nil {
			return err
		}
		defer term.Restore(fd, state)
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		defer signal.Stop(winch)
		go func() {
			for range winch {
				if w, h, err := term.GetSize(fd); err == nil {
					sess.WindowChange(h, w)
				}
			}
		}()
	}
	modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 38400, ssh.TTY_OP_OSPEED: 38400}
	if err := sess.RequestPty(termType, height, width, modes); err != nil {
		return err
	}
	stdin, err := sess.StdinPipe()
	if err != nil {
		return err
	}
	go func() {
		io.Copy(stdin, o.IO.In)
		stdin.Close()
	}()
	sess.Stdout, sess.Stderr = o.IO.Out, o.IO.ErrOut
	if o.Root && t.User != "root" {
		err = sess.Run("sudo -i")
	} else {
		err = sess.Shell()
		if err == nil {
			err = sess.Wait()
		}
	}
	if err == nil {
		return nil
	}
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		return &cmdutil.ExitStatusError{Code: ee.ExitStatus()}
	}
	return err
}
