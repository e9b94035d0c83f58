// Package cmdutil holds what every command shares: the Factory of lazily
// built dependencies, the error types that decide a command's exit code, and
// small helpers for flags and arguments.
package cmdutil

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/mesosctl/mesosctl/internal/config"
	"github.com/mesosctl/mesosctl/internal/render"
)

// ExitCode is the process exit status of a mesosctl invocation.
type ExitCode int

// Exit codes are part of the interface: scripts depend on them.
const (
	ExitOK      ExitCode = 0   // success
	ExitError   ExitCode = 1   // the command failed
	ExitUsage   ExitCode = 2   // bad flags, arguments, node sets or configuration; nothing was done
	ExitPartial ExitCode = 3   // a fan-out reached some nodes but failed on others
	ExitCancel  ExitCode = 130 // Ctrl-C: 128 + SIGINT; other signals exit 128 + their number
)

// FlagError is a usage mistake: the command prints it with a hint to --help
// and exits 2.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf builds a FlagError.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// UsageError wraps err as a usage error (exit 2) unless it is nil or one
// already.
func UsageError(err error) error {
	if err == nil || IsUsage(err) {
		return err
	}
	return &FlagError{Err: err}
}

// PartialError reports that an operation over several nodes failed on some
// of them. The per-node details were already printed; the command exits 3.
type PartialError struct {
	Failed, Total int
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("%d of %d nodes failed", e.Failed, e.Total)
}

// SilentError makes the command exit 1 without printing anything more; the
// command has already explained what went wrong.
var SilentError = errors.New("SilentError")

// ExitStatusError asks for a specific exit code without further message, e.g. to
// pass a remote command's or task's exit status through.
type ExitStatusError struct{ Code int }

func (e *ExitStatusError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// ExitStatus is the error that makes the command exit with code: nil for 0,
// an *ExitStatusError otherwise.
func ExitStatus(code int) error {
	if code == 0 {
		return nil
	}
	return &ExitStatusError{Code: code}
}

// CancelError means the user interrupted the command (Ctrl-C).
var CancelError = errors.New("cancelled")

// SignalError means the command stopped because the process received
// Signal (SIGINT, SIGTERM or SIGHUP): it exits 128 + the signal's number,
// as a shell reports a process killed by that signal. It is a CancelError.
type SignalError struct{ Signal syscall.Signal }

func (e *SignalError) Error() string {
	return "cancelled: " + SignalName(e.Signal)
}

// Is makes errors.Is(err, CancelError) true.
func (e *SignalError) Is(target error) bool { return target == CancelError }

// SignalName is the conventional name of sig: SIGINT, SIGTERM, SIGHUP.
func SignalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// IsUsage reports whether err is a usage mistake (exit 2, with a hint to
// --help): a *FlagError, or a *render.UsageError from the output flags.
func IsUsage(err error) bool {
	var fe *FlagError
	var re *render.UsageError
	return errors.As(err, &fe) || errors.As(err, &re)
}

// ExitCodeOf maps an error returned by a command to the process exit code.
func ExitCodeOf(err error) ExitCode {
	if err == nil {
		return ExitOK
	}
	var pe *PartialError
	var ee *ExitStatusError
	var se *SignalError
	switch {
	case errors.As(err, &se):
		return ExitCode(128 + int(se.Signal))
	case IsUsage(err):
		return ExitUsage
	case errors.As(err, &pe):
		return ExitPartial
	case errors.As(err, &ee):
		return ExitCode(ee.Code)
	case errors.Is(err, CancelError):
		return ExitCancel
	}
	return ExitError
}

// NoConfig is the usage error of a command that needs the configuration
// (the inventory, or where ZooKeeper is) when no file was found: what the
// command needed it for, where mesosctl looked, and how to make one.
func NoConfig(needed string) error {
	return FlagErrorf("%s, but no configuration file was found\n"+
		"  looked at:  %s\n"+
		"  create one: mesosctl config init 'lxb00[1-4]' (then see docs/configuration.md)\n"+
		"  use one:    --config FILE, or export MESOSCTL_CONFIG=FILE\n"+
		"  the demo cluster's: eval \"$(mesosctl-testcluster env)\"",
		needed, strings.Join(config.Locations(), ", "))
}

// HasConfig reports whether a configuration file was found (the
// configuration loads and names its file).
func HasConfig(f *Factory) bool {
	if f == nil || f.Config == nil {
		return false
	}
	cfg, err := f.Config()
	return err != nil || cfg.Path != ""
}
