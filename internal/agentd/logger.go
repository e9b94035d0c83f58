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

// Log is the agent's log.
type Log struct {
	*slog.Logger
	// File is the log file (--external_log_file, else the file in
	// --log_dir; "" for none): /slave/log in /files.
	File string
	// Level is the least level written: --logging_level, or Debug while
	// GET/SET_LOGGING_LEVEL's verbose level is above 0.
	Level *slog.LevelVar
	// Base is --logging_level's level.
	Base slog.Level
	// Close closes the log file.
	Close func()
}

// NewLogger is the agent's log as its flags ask: to stderr (unless
// --quiet) and, with --log_dir, to <log_dir>/<prog>.INFO, at
// --logging_level.
func NewLogger(stderr io.Writer, v *flags.Values, prog string) (*Log, error) {
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
	l := &Log{Level: &slog.LevelVar{}, Base: level, Close: func() {}, File: v.String("external_log_file")}
	l.Level.Set(level)
	if dir := v.String("log_dir"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("Failed to create --log_dir '%s': %v", dir, err)
		}
		path := filepath.Join(dir, prog+".INFO")
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("Failed to open log file in --log_dir '%s': %v", dir, err)
		}
		writers = append(writers, f)
		l.Close = func() { f.Close() }
		if l.File == "" {
			l.File = path
		}
	}
	l.Logger = slog.New(slog.NewTextHandler(io.MultiWriter(writers...), &slog.HandlerOptions{Level: l.Level}))
	return l, nil
}

// SetVerbosity applies glog's verbose level: above 0, debug records are
// written too; 0 is back to --logging_level.
func (l *Log) SetVerbosity(v uint32) {
	if v > 0 {
		l.Level.Set(slog.LevelDebug)
	} else {
		l.Level.Set(l.Base)
	}
}
