package mesosctl

import (
	"context"
	"errors"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
)

// TestSignalContext: each stop signal cancels the context with the signal
// as its cause (exit 128 + n); a signal ignored at start (nohup) stays
// ignored. (e2e/signals_test.go sends them to every long-running command.)
func TestSignalContext(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		ctx, stop := SignalContext(context.Background())
		if err := syscall.Kill(syscall.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("%v did not cancel the context", sig)
		}
		var se *cmdutil.SignalError
		if !errors.As(context.Cause(ctx), &se) || se.Signal != sig || cmdutil.ExitCodeOf(se) != cmdutil.ExitCode(128+int(sig)) ||
			!errors.Is(se, cmdutil.CancelError) {
			t.Errorf("%v: cause %v", sig, context.Cause(ctx))
		}
		stop()
	}

	signal.Ignore(syscall.SIGHUP)
	defer signal.Reset(syscall.SIGHUP)
	ctx, stop := SignalContext(context.Background())
	defer stop()
	syscall.Kill(syscall.Getpid(), syscall.SIGHUP)
	select {
	case <-ctx.Done():
		t.Fatal("an ignored SIGHUP (nohup) cancelled the context")
	case <-time.After(200 * time.Millisecond):
	}
}
