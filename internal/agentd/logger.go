package agentd

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/mesosctl/mesosctl/internal/agentd/flags"
)

// NewLogger is the agent's log as its flags ask: to stderr (unless
// --quiet) and, with --log_dir, to <log_dir>/<prog>.INFO, at
// --logging_level. The returned function closes the log file.
func NewLogger(stderr io.Writer, v *flags.Values, prog string) (*slog.Logger, func(), error) {
	level := slog.LevelInfo
	switch strings.ToUpper(v.String("logging_level")) {
	case "WARNING":
		level = slog.LevelWarn
	case "ERROR":
		level = slog.LevelError
	}
	var writers []io.Writer
	if !v.Bool("quiet") {
		writers = append(writers, stderr)
	}
	closer := func() {}
	if dir := v.String("log_dir"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, nil, fmt.Errorf("Failed to create --log_dir '%s': %v", dir, err)
		}
		f, err := os.OpenFile(filepath.Join(dir, prog+".INFO"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("Failed to open log file in --log_dir '%s': %v", dir, err)
		}
		writers = append(writers, f)
		closer = func() { f.Close() }
	}
	h := slog.NewTextHandler(io.MultiWriter(writers...), &slog.HandlerOptions{Level: level})
	return slog.New(h), closer, nil
}
