// Package iostreams carries the standard streams of a command together with
// what is known about them: whether each is a terminal, whether colour is
// wanted, and how wide the terminal is. Commands write data to Out and
// progress, warnings and errors to ErrOut.
package iostreams

import (
	"bytes"
	"io"
	"os"
	"strconv"

	"golang.org/x/term"
)

// IOStreams are the streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// StdoutTTY and StderrTTY say whether Out and ErrOut are terminals.
	// NoColor forbids colour and styling even on a terminal. Width is the
	// width of the terminal on Out (0: unknown). System detects them;
	// tests set them.
	StdoutTTY, StderrTTY bool
	NoColor              bool
	Width                int
}

type fder interface{ Fd() uintptr }

func isTerminal(v any) bool {
	f, ok := v.(fder)
	return ok && term.IsTerminal(int(f.Fd()))
}

// System returns the process's real streams, with terminal detection and the
// NO_COLOR convention (https://no-color.org) applied.
func System() *IOStreams {
	s := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		StdoutTTY: isTerminal(os.Stdout), StderrTTY: isTerminal(os.Stderr)}
	if _, set := os.LookupEnv("NO_COLOR"); set || os.Getenv("TERM") == "dumb" {
		s.NoColor = true
	}
	if s.StdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			s.Width = w
		}
	}
	if c, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && c > 0 {
		s.Width = c
	}
	return s
}

// Test returns streams backed by buffers, none of them a terminal.
func Test() (ios *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, Width: 80}, in, out, errOut
}

// ColorEnabled reports whether output to Out may carry colour and styling:
// only on a terminal, and never when NO_COLOR is set.
func (s *IOStreams) ColorEnabled() bool { return s.StdoutTTY && !s.NoColor }

// TerminalWidth is the width of the terminal on Out, or 80 when unknown.
func (s *IOStreams) TerminalWidth() int {
	if s.Width > 0 {
		return s.Width
	}
	return 80
}
