package atomicfile

import (
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
}
