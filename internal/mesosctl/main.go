// Package mesosctl is the program behind cmd/mesosctl: it picks the personality
// from argv[0] (mesosctl, mesos-agent, mesos-slave, mesos-execute,
// mesos-docker-executor), builds the command tree, runs it, and maps the
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
	"syscall"

	"github.com/mesosctl/mesosctl/internal/cmd/root"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
)

// personalities maps the base name the binary may be invoked under to the
// mesosctl subcommand it stands for (busybox-style multi-call).
// mesos-docker-executor is how agentd starts the Docker executor, as a
// Mesos agent starts <launcher_dir>/mesos-docker-executor.
var personalities = map[string]string{
	"mesos-agent":           "agentd",
	"mesos-slave":           "agentd",
	"mesos-execute":         "exec",
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
	ios := iostreams.System()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, ios, args)
}

// Run is Main with injected streams and context, for tests.
func Run(ctx context.Context, ios *iostreams.IOStreams, args []string) cmdutil.ExitCode {
	f := NewFactory(ios)
	cmd := root.NewCmdRoot(f)
	cmd.SetArgs(RewriteArgs(args))
	cmd.SetIn(ios.In)
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	executed, err := cmd.ExecuteContextC(ctx)
	if err != nil && strings.HasPrefix(err.Error(), "unknown command ") {
		err = cmdutil.UsageError(err)
	}
	if err != nil {
		if ctx.Err() != nil && !errors.Is(err, cmdutil.SilentError) {
			err = cmdutil.CancelError
		}
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
