// Package mesosctl is the program behind cmd/mesosctl: it picks the personality
// from argv[0] (mesosctl, mesos-agent, mesos-slave, mesos-execute,
// mesos-docker-executor), builds the command tree (agentd's per-task
// helper processes skip it: launchinfo.Direct), runs it, and maps the
// outcome to an exit code. It is the only package that decides the process's
// exit status.
package mesosctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/mesosctl/mesosctl/internal/cmd/root"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/cmdutil/launchinfo"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/placement"
)

// personalities maps the base name the binary may be invoked under to the
// mesosctl subcommand it stands for (busybox-style multi-call).
// mesos-docker-executor is how agentd starts the Docker executor, as a
// Mesos agent starts <launcher_dir>/mesos-docker-executor.
var personalities = map[string]string{
	"mesos-agent":           "agentd",
	"mesos-slave":           "agentd",
	"mesos-execute":         "mesos-execute", // exec with exactly mesos-execute's flags
	"mesos-docker-executor": "docker-executor",
}

// Personality returns the subcommand implied by argv0, or "" for mesosctl
// itself.
func Personality(argv0 string) string {
	base := filepath.Base(argv0)
	base = strings.TrimSuffix(base, ".exe")
	return personalities[base]
}

// RewriteArgs turns the process arguments into the arguments for the root
// command: `mesos-slave --work_dir=X` becomes `agentd --work_dir=X`.
func RewriteArgs(args []string) []string {
	if len(args) == 0 {
		return nil
	}
	if sub := Personality(args[0]); sub != "" {
		return append([]string{sub}, args[1:]...)
	}
	return args[1:]
}

// Main runs mesosctl with the given process arguments and returns the exit
// code.
func Main(args []string) cmdutil.ExitCode {
	if code, ok := launchinfo.Direct(RewriteArgs(args)); ok {
		return cmdutil.ExitCode(code)
	}
	ios := iostreams.System()
	ctx, stop := SignalContext(context.Background())
	defer stop()
	return Run(ctx, ios, args)
}

// StopSignals are the signals that stop a command cleanly: Ctrl-C, kill
// and timeout(1), a closed terminal or SSH connection.
var StopSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// SignalContext returns a context that the first of StopSignals cancels,
// with a *cmdutil.SignalError as its cause: every command stops its work
// through the context (closing its SSH sessions and HTTP requests) and
// mesosctl exits 128 + the signal's number. Once one has arrived the
// signals get their default action back, so a second Ctrl-C ends a command
// that is slow to clean up at once. A signal ignored when mesosctl started
// (nohup) stays ignored.
func SignalContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	var watched []os.Signal
	for _, s := range StopSignals {
		if !signal.Ignored(s) {
			watched = append(watched, s)
		}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, watched...)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			cancel(&cmdutil.SignalError{Signal: s.(syscall.Signal)})
		case <-done:
		}
	}()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			signal.Stop(sigs)
			close(done)
			cancel(context.Canceled)
		})
	}
}

// Run is Main with injected streams and context, for tests.
func Run(ctx context.Context, ios *iostreams.IOStreams, args []string) cmdutil.ExitCode {
	f := NewFactory(ios)
	args = RewriteArgs(args)
	cmd := root.NewCmdRootFor(f, args)
	cmd.SetArgs(args)
	cmd.SetIn(ios.In)
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	executed, err := cmd.ExecuteContextC(ctx)
	// ZooKeeper sessions that placement closes in the background end
	// before the process does.
	placement.WaitClosed()
	if err != nil && strings.HasPrefix(err.Error(), "unknown command ") {
		err = cmdutil.UsageError(err)
	}
	if err != nil && ctx.Err() != nil {
		// Cut short by Ctrl-C or a signal: say which, and exit 128 + its
		// number (130 when the context was cancelled otherwise). A command
		// that finished its work anyway, like agentd shutting down on
		// SIGTERM, returns nil and exits 0.
		var sig *cmdutil.SignalError
		cancelled := cmdutil.CancelError
		if errors.As(context.Cause(ctx), &sig) {
			cancelled = sig
		}
		if !errors.Is(err, cmdutil.SilentError) {
			fmt.Fprintln(ios.ErrOut, cancelled)
		}
		return cmdutil.ExitCodeOf(cancelled)
	}
	if err != nil {
		printError(ios.ErrOut, executed.CommandPath(), err)
	}
	return cmdutil.ExitCodeOf(err)
}

func printError(w io.Writer, cmdPath string, err error) {
	var ee *cmdutil.ExitStatusError
	var pe *cmdutil.PartialError
	switch {
	case errors.Is(err, cmdutil.SilentError), errors.As(err, &ee):
		return
	case errors.Is(err, cmdutil.CancelError):
		fmt.Fprintln(w, "cancelled")
	case cmdutil.IsUsage(err):
		fmt.Fprintf(w, "error: %s\nRun '%s --help' for usage.\n", err, cmdPath)
	case errors.As(err, &pe):
		fmt.Fprintf(w, "error: %s\n", err)
	default:
		fmt.Fprintf(w, "error: %s\n", err)
	}
}
