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
