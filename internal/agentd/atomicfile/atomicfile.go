// Package atomicfile writes files so that readers (and a crash) see either
// the old or the new content, never a torn one: write to a temporary file
// in the same directory, fsync it, rename it over the target, fsync the
// directory. It is the one home of atomic writes in agentd: the identity
// files, the live attribute flag files and every checkpoint (package
// checkpoint frames records and writes them through it).
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile atomically replaces path with data (mode perm), creating
// missing parent directories (0755).
func WriteFile(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(name)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	ok = true
	return SyncDir(dir)
}

// Symlink atomically points link at target (replacing an existing link).
// The link is made under a temporary name unique to this call (concurrent
// callers, in this process or another, never share it) and renamed over
// link; a failed call leaves no temporary behind.
func Symlink(target, link string) error {
	dir := filepath.Dir(link)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var tmp string
	for attempt := 0; ; attempt++ {
		var rnd [8]byte
		if _, err := rand.Read(rnd[:]); err != nil {
			return err
		}
		tmp = filepath.Join(dir, "."+filepath.Base(link)+".tmp-"+hex.EncodeToString(rnd[:]))
		err := os.Symlink(target, tmp)
		if err == nil {
			break
		}
		if !os.IsExist(err) || attempt == 10 {
			return err
		}
	}
	if err := os.Rename(tmp, link); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a directory so that renames in it are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// Batch makes several atomic writes durable together, for a caller that
// must have all of them on disk before it goes on (agentd's launch path):
// WriteFile and Symlink prepare each under a temporary name, and Commit
// fsyncs every temporary file at once (concurrent fsyncs share the file
// system's journal commits), renames each over its target in the order
// they were added, then fsyncs every directory concerned, again at once.
// A crash at any point leaves each target with its old or its new
// content, as with WriteFile; nothing of the batch is durable before
// Commit returns. A Batch is not safe for concurrent use.
type Batch struct {
	ops []batchOp
}

type batchOp struct {
	tmp, path string
	f         *os.File // nil for a symlink
}

// WriteFile prepares path's new content (mode perm), creating missing
// parent directories (0755).
func (b *Batch) WriteFile(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	b.ops = append(b.ops, batchOp{tmp: tmp.Name(), path: path, f: tmp})
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	return tmp.Chmod(perm)
}

// Symlink prepares link to point at target.
func (b *Batch) Symlink(target, link string) error {
	dir := filepath.Dir(link)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		var rnd [8]byte
		if _, err := rand.Read(rnd[:]); err != nil {
			return err
		}
		tmp := filepath.Join(dir, "."+filepath.Base(link)+".tmp-"+hex.EncodeToString(rnd[:]))
		err := os.Symlink(target, tmp)
		if err == nil {
			b.ops = append(b.ops, batchOp{tmp: tmp, path: link})
			return nil
		}
		if !os.IsExist(err) || attempt == 10 {
			return err
		}
	}
}

// Commit makes the batch durable (see Batch). On an error the targets
// renamed so far keep their new content and the rest is removed.
func (b *Batch) Commit() error {
	ops := b.ops
	b.ops = nil
	defer func() {
		for _, op := range ops {
			if op.f != nil {
				_ = op.f.Close()
			}
			_ = os.Remove(op.tmp) // gone after its rename
		}
	}()
	var files []*os.File
	for _, op := range ops {
		if op.f != nil {
			files = append(files, op.f)
		}
	}
	if err := syncAll(files, func(f *os.File) error {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("fsync %s: %w", f.Name(), err)
		}
		return nil
	}); err != nil {
		return err
	}
	var dirs []string
	seen := map[string]bool{}
	for i, op := range ops {
		if op.f != nil {
			ops[i].f = nil
			if err := op.f.Close(); err != nil {
				return err
			}
		}
		if err := os.Rename(op.tmp, op.path); err != nil {
			return err
		}
		if d := filepath.Dir(op.path); !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	return syncAll(dirs, SyncDir)
}

// Abort removes what the batch prepared; its targets stay as they were.
func (b *Batch) Abort() {
	for _, op := range b.ops {
		if op.f != nil {
			_ = op.f.Close()
		}
		_ = os.Remove(op.tmp)
	}
	b.ops = nil
}

// syncAll runs sync on every item concurrently and returns the first error.
func syncAll[T any](items []T, sync func(T) error) error {
	if len(items) == 1 {
		return sync(items[0])
	}
	errs := make(chan error, len(items))
	for _, it := range items {
		go func() { errs <- sync(it) }()
	}
	var first error
	for range items {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}
