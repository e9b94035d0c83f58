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
