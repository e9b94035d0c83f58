// Package spool holds one output stream with bounded memory: the first
// bytes in memory, the rest spilled to a temporary file, with the SHA-256
// of everything written and whether it is valid UTF-8, so that a fan-out
// over many nodes producing gigabytes keeps a flat footprint.
package spool

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"os"
	"sync"
	"unicode/utf8"
)

// DefaultMemory is how many bytes a Spool keeps in memory before it
// spills to a temporary file.
const DefaultMemory = 64 << 10

// Spool is an io.Writer that keeps what is written: up to Memory bytes in
// memory, everything beyond in a temporary file in Dir. Close removes the
// file. It is safe for one writer and, once writing is done, readers.
type Spool struct {
	// Memory is the in-memory limit (DefaultMemory when 0).
	Memory int
	// Dir is where the spill file is made ("" for os.TempDir()).
	Dir string
	// Hash, when true, keeps the SHA-256 of the content (Sum).
	Hash bool

	mu      sync.Mutex
	mem     []byte
	file    *os.File
	n       int64
	sha     hash.Hash
	invalid bool   // not valid UTF-8
	tail    []byte // an incomplete UTF-8 sequence at the end of what was written
	err     error
}

// Write appends p; it fails only when the spill file cannot be written.
func (s *Spool) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	if s.Hash {
		if s.sha == nil {
			s.sha = sha256.New()
		}
		s.sha.Write(p)
	}
	s.checkUTF8(p)
	limit := s.Memory
	if limit <= 0 {
		limit = DefaultMemory
	}
	if s.file == nil && len(s.mem)+len(p) <= limit {
		s.mem = append(s.mem, p...)
		s.n += int64(len(p))
		return len(p), nil
	}
	if s.file == nil {
		f, err := os.CreateTemp(s.Dir, "mesosctl-out-*")
		if err != nil {
			s.err = err
			return 0, err
		}
		// Unlinked at once: the data goes when the file is closed, even if
		// the process dies.
		os.Remove(f.Name())
		s.file = f
	}
	if _, err := s.file.Write(p); err != nil {
		s.err = err
		return 0, err
	}
	s.n += int64(len(p))
	return len(p), nil
}

// checkUTF8 validates p incrementally: a sequence cut between two writes is
// completed by the next one.
func (s *Spool) checkUTF8(p []byte) {
	if s.invalid {
		return
	}
	if len(s.tail) > 0 {
		k := 0
		for k < len(p) && !utf8.FullRune(s.tail) {
			s.tail = append(s.tail, p[k])
			k++
		}
		if !utf8.FullRune(s.tail) {
			return // still incomplete
		}
		if !utf8.Valid(s.tail) {
			s.invalid = true
			return
		}
		s.tail = s.tail[:0]
		p = p[k:]
	}
	// Hold back an incomplete sequence at the end.
	cut := len(p)
	for i := len(p) - 1; i >= 0 && i >= len(p)-3; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				cut = i
			}
			break
		}
	}
	if !utf8.Valid(p[:cut]) {
		s.invalid = true
		return
	}
	s.tail = append(s.tail, p[cut:]...)
}

// Len is the number of bytes written.
func (s *Spool) Len() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// ValidUTF8 reports whether everything written is valid UTF-8.
func (s *Spool) ValidUTF8() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.invalid && len(s.tail) == 0
}

// Sum is the SHA-256 of everything written (Hash must be set).
func (s *Spool) Sum() [sha256.Size]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [sha256.Size]byte
	if s.sha == nil {
		return sha256.Sum256(nil)
	}
	copy(out[:], s.sha.Sum(nil))
	return out
}

// Err is the first error writing the spill file.
func (s *Spool) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// LastByte is the last byte written (0 when empty).
func (s *Spool) LastByte() byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return 0
	}
	if s.file == nil {
		return s.mem[len(s.mem)-1]
	}
	var b [1]byte
	if _, err := s.file.ReadAt(b[:], s.n-int64(len(s.mem))-1); err != nil {
		return 0
	}
	return b[0]
}

// Reader reads the content from the start; it does not move with later
// writes.
func (s *Spool) Reader() io.Reader {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := io.Reader(bytes.NewReader(s.mem))
	if s.file != nil {
		r = io.MultiReader(r, io.NewSectionReader(s.file, 0, s.n-int64(len(s.mem))))
	}
	return r
}

// WriteTo copies the content to w.
func (s *Spool) WriteTo(w io.Writer) (int64, error) {
	return io.Copy(w, s.Reader())
}

// Bytes reads the whole content into memory, refusing more than max bytes.
func (s *Spool) Bytes(max int64) ([]byte, error) {
	if n := s.Len(); n > max {
		return nil, ErrTooLarge
	}
	return io.ReadAll(s.Reader())
}

// ErrTooLarge is returned by Bytes for content over the limit.
var ErrTooLarge = errors.New("output too large to hold in memory")

// Close drops the content and removes the spill file.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mem = nil
	if s.file != nil {
		err := s.file.Close()
		s.file = nil
		return err
	}
	return nil
}
