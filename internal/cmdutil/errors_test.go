package cmdutil

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mesosctl/mesosctl/internal/render"
)

func TestExitCodeOf(t *testing.T) {
	badOutput := (&render.Options{Format: "xml"}).Validate()
	for _, tt := range []struct {
		err  error
		want ExitCode
	}{
		{nil, ExitOK},
		{errors.New("boom"), ExitError},
		{FlagErrorf("bad flag"), ExitUsage},
		{UsageError(errors.New("bad node set")), ExitUsage},
		{badOutput, ExitUsage},
		{fmt.Errorf("wrapped: %w", badOutput), ExitUsage},
		{&PartialError{Failed: 1, Total: 3}, ExitPartial},
		{ExitStatus(7), 7},
		{ExitStatus(0), ExitOK},
		{CancelError, ExitCancel},
	} {
		if got := ExitCodeOf(tt.err); got != tt.want {
			t.Errorf("ExitCodeOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
	if !IsUsage(badOutput) || IsUsage(errors.New("x")) {
		t.Error("IsUsage")
	}
	if err := UsageError(badOutput); err != badOutput {
		t.Errorf("UsageError rewrapped a usage error: %T", err)
	}
}
