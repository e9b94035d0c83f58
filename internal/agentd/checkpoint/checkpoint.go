// Package checkpoint persists agentd's task state under --work_dir/meta in
// the Mesos work_dir layout: atomic whole-file writes, an append-only
// status update log, and readers that detect torn or corrupt files.
//
// Difference from Mesos: Mesos writes protobuf messages, each prefixed by a
// 4-byte native-endian length. agentd keeps the same framing (4-byte
// little-endian uint32 length, then the payload) but the payload is JSON.
// A whole-file checkpoint (framework.info, executor.info, task.info) is a
// single such record; task.updates is a concatenation of records.
package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/mesosctl/mesosctl/internal/agentd/atomicfile"
)

// MaxRecord bounds one record; a larger length prefix means corruption.
const MaxRecord = 16 << 20

// CorruptError reports a checkpoint file that cannot be trusted.
type CorruptError struct {
	Path   string
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("corrupt checkpoint %s: %s", e.Path, e.Reason)
}

// writeFile atomically replaces path with data, mode 0600 (atomicfile).
func writeFile(path string, data []byte) error {
	return atomicfile.WriteFile(path, data, 0o600)
}

func frame(payload []byte) []byte {
	b := make([]byte, 4, 4+len(payload))
	binary.LittleEndian.PutUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

// WriteRecord atomically writes v as a single length-prefixed JSON record.
func WriteRecord(path string, v any) error {
	p, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeFile(path, frame(p))
}

// Record returns v framed as a single length-prefixed JSON record: the
// content WriteRecord writes, for a caller that writes it in an
// atomicfile.Batch.
func Record(v any) ([]byte, error) {
	p, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return frame(p), nil
}

// ReadRecord reads a file written by WriteRecord into v. A short, oversized
// or non-JSON file yields a *CorruptError.
func ReadRecord(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	recs, rest, err := split(path, data)
	if err != nil {
		return err
	}
	if len(recs) != 1 || len(rest) != 0 {
		return &CorruptError{path, fmt.Sprintf("expected one record, found %d (+%d trailing bytes)", len(recs), len(rest))}
	}
	if err := json.Unmarshal(recs[0], v); err != nil {
		return &CorruptError{path, "bad JSON: " + err.Error()}
	}
	return nil
}

// AppendRecord appends v as one record to the log at path and fsyncs it.
// Appenders hold an exclusive flock(2) on the log while they write, so the
// records of concurrent writers (the executor, agentd) never interleave. A
// torn trailing record, the remains of a write cut short by a crash, is
// truncated away first: the new record starts where the last complete one
// ends, so every later reader sees it. Any error (ENOSPC included) is
// returned: the caller must not act as if the record were written.
func AppendRecord(path string, v any) error {
	p, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock %s: %w", path, err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	_, rest, err := split(path, data)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		if err := f.Truncate(int64(len(data) - len(rest))); err != nil {
			return fmt.Errorf("truncate the torn tail of %s: %w", path, err)
		}
	}
	if _, err := f.Write(frame(p)); err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", path, err)
	}
	return f.Close()
}

// ReadLog returns the complete records of the log at path. A trailing
// partial record (a write torn by a crash) is ignored and reported in torn;
// a record that is complete but not valid JSON is a *CorruptError.
func ReadLog(path string) (recs []json.RawMessage, torn error, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	raw, rest, err := split(path, data)
	if err != nil {
		return nil, nil, err
	}
	for i, r := range raw {
		if !json.Valid(r) {
			return nil, nil, &CorruptError{path, fmt.Sprintf("record %d is not valid JSON", i)}
		}
		recs = append(recs, json.RawMessage(r))
	}
	if len(rest) > 0 {
		torn = &CorruptError{path, fmt.Sprintf("ignored a torn trailing record of %d bytes", len(rest))}
	}
	return recs, torn, nil
}

func split(path string, data []byte) (recs [][]byte, rest []byte, err error) {
	for len(data) > 0 {
		if len(data) < 4 {
			return recs, data, nil
		}
		n := binary.LittleEndian.Uint32(data)
		if n == 0 {
			// No record is empty: a zero length is a tail the file system
			// extended but never filled (a crash before the data reached
			// the disk). Like a short write, it is torn.
			return recs, data, nil
		}
		if n > MaxRecord {
			return nil, nil, &CorruptError{path, fmt.Sprintf("record length %d exceeds %d", n, MaxRecord)}
		}
		if uint32(len(data)-4) < n {
			return recs, data, nil
		}
		recs = append(recs, data[4:4+n])
		data = data[4+n:]
	}
	return recs, nil, nil
}

// WriteText atomically writes a small text file (pids, boot id).
func WriteText(path, s string) error { return writeFile(path, []byte(s)) }

// ReadText reads a text file, trimmed.
func ReadText(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(bytes.TrimSpace(b)), err
}

// ReadInt reads a text file holding one integer.
func ReadInt(path string) (int, error) {
	s, err := ReadText(path)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.Fields(s + " x")[0])
	if err != nil {
		return 0, &CorruptError{path, "not an integer"}
	}
	return n, nil
}
