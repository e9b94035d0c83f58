package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAndSymlink(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a", "b", "slave.info")
	if err := WriteFile(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if string(b) != "two" || fi.Mode().Perm() != 0o644 {
		t.Fatalf("content %q mode %v", b, fi.Mode())
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Fatalf("temp files left behind: %v", entries)
	}
	link := filepath.Join(dir, "latest")
	for _, target := range []string{"x-S0", "x-S1"} {
		if err := Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := os.Readlink(link); got != "x-S1" {
		t.Fatalf("link -> %q", got)
	}
	if err := WriteFile(filepath.Join(p, "under-a-file"), nil, 0o644); err == nil {
		t.Fatal("write under a regular file succeeded")
	}
	if err := Symlink("x", filepath.Join(p, "latest")); err == nil {
		t.Fatal("link under a regular file succeeded")
	}
}

// TestSymlinkConcurrent: many writers of one link at once (the runs/latest
// of concurrent launches) never fail on each other's temporary names and
// leave none behind.
func TestSymlinkConcurrent(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "latest")
	errs := make(chan error, 64)
	for i := 0; i < 64; i++ {
		go func(i int) { errs <- Symlink(fmt.Sprintf("run-%d", i), link) }(i)
	}
	for i := 0; i < 64; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "latest" {
		t.Fatalf("directory holds %v, want only latest", entries)
	}
}

// TestBatch: nothing of a batch is visible before Commit; Commit puts
// every file and link in place (modes kept) and leaves no temporary
// behind; Abort leaves the targets as they were and no temporary either.
func TestBatch(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "meta", "task.info")
	if err := WriteFile(old, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	var b Batch
	if err := b.WriteFile(old, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteFile(filepath.Join(dir, "run", "pid"), []byte("42 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := b.Symlink("c1", filepath.Join(dir, "meta", "latest")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(old); string(got) != "old" {
		t.Fatalf("before Commit: %q", got)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(old); string(got) != "new" {
		t.Fatalf("after Commit: %q", got)
	}
	if fi, err := os.Stat(filepath.Join(dir, "run", "pid")); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("pid: %v %v", fi, err)
	}
	if got, _ := os.Readlink(filepath.Join(dir, "meta", "latest")); got != "c1" {
		t.Fatalf("link -> %q", got)
	}
	for _, d := range []string{"meta", "run"} {
		if entries, _ := os.ReadDir(filepath.Join(dir, d)); len(entries) > 2 {
			t.Fatalf("temporaries left in %s: %v", d, entries)
		}
	}

	var a Batch
	if err := a.WriteFile(old, []byte("aborted"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.Symlink("c2", filepath.Join(dir, "meta", "latest")); err != nil {
		t.Fatal(err)
	}
	a.Abort()
	if got, _ := os.ReadFile(old); string(got) != "new" {
		t.Fatalf("after Abort: %q", got)
	}
	if got, _ := os.Readlink(filepath.Join(dir, "meta", "latest")); got != "c1" {
		t.Fatalf("link after Abort -> %q", got)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "meta")); len(entries) != 2 {
		t.Fatalf("temporaries left after Abort: %v", entries)
	}
	if err := a.Commit(); err != nil {
		t.Fatalf("Commit of an empty batch: %v", err)
	}
}
