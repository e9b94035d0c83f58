package files

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func setup(t *testing.T) (*Files, string) {
	t.Helper()
	dir := t.TempDir()
	sandbox := filepath.Join(dir, "runs", "C1")
	os.MkdirAll(filepath.Join(sandbox, "sub"), 0o755)
	os.WriteFile(filepath.Join(sandbox, "stdout"), []byte("hello world"), 0o644)
	os.WriteFile(filepath.Join(sandbox, "sub", "x"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(dir, "secret"), []byte("outside"), 0o600)
	os.Symlink(filepath.Join(dir, "secret"), filepath.Join(sandbox, "leak"))
	os.Symlink("stdout", filepath.Join(sandbox, "alias"))
	log := filepath.Join(dir, "agent.INFO")
	os.WriteFile(log, []byte("I log line\n"), 0o644)
	f := New(nil)
	if err := f.Attach(sandbox, "/frameworks/F/executors/E/runs/latest/"); err != nil {
		t.Fatal(err)
	}
	if err := f.Attach(log, "/slave/log"); err != nil {
		t.Fatal(err)
	}
	return f, dir
}

func TestListAndRead(t *testing.T) {
	f, dir := setup(t)
	const latest = "/frameworks/F/executors/E/runs/latest"
	list, err := f.List(latest + "/")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		names = append(names, e.Path)
	}
	// leak points outside the sandbox: not listed.
	if got := strings.Join(names, " "); got != latest+"/alias "+latest+"/stdout "+latest+"/sub" {
		t.Errorf("listed %s", got)
	}
	if e := list[1]; e.Size != 11 || e.Mode != 0o100644 || e.Nlink != 1 || e.UID == "" || e.IsDir || e.Mtime == 0 {
		t.Errorf("stdout = %+v", e)
	}
	if e := list[2]; !e.IsDir || e.Mode&0o170000 != 0o040000 {
		t.Errorf("sub = %+v", e)
	}
	for _, c := range []struct {
		path   string
		offset uint64
		length *uint64
		size   uint64
		data   string
	}{
		{latest + "/stdout", 0, nil, 11, "hello world"},
		{"file://" + latest + "/stdout", 6, nil, 11, "world"},
		{latest + "/stdout", 1, ptr(3), 11, "ell"},
		{latest + "/stdout", 1, ptr(0), 11, ""},
		{latest + "/stdout", 11, nil, 11, ""},
		{latest + "/stdout", 99, ptr(5), 11, ""},
		{latest + "/alias", 0, nil, 11, "hello world"},
		{latest + "/sub/x", 0, nil, 1, "x"},
		{"/slave/log", 0, nil, 11, "I log line\n"},
	} {
		size, data, err := f.Read(c.path, c.offset, c.length)
		if err != nil || size != c.size || string(data) != c.data {
			t.Errorf("Read(%s, %d) = %d %q %v", c.path, c.offset, size, data, err)
		}
	}
	// The sandbox's own path reads the same once attached under it.
	sandbox := filepath.Join(dir, "runs", "C1")
	if err := f.Attach(sandbox, sandbox); err != nil {
		t.Fatal(err)
	}
	if _, data, err := f.Read(sandbox+"/stdout", 0, nil); err != nil || string(data) != "hello world" {
		t.Errorf("read through the sandbox path: %q %v", data, err)
	}
	if d := f.Debug(); len(d) != 3 || d["/slave/log"] != filepath.Join(dir, "agent.INFO") || d[latest] != sandbox {
		t.Errorf("Debug = %v", d)
	}
}

func TestResolutionErrors(t *testing.T) {
	f, _ := setup(t)
	const latest = "/frameworks/F/executors/E/runs/latest"
	for _, c := range []struct {
		path     string
		notFound bool
		msg      string
	}{
		{latest + "/nope", true, ""},
		{"/frameworks/F", true, ""},
		{"/elsewhere", true, ""},
		{"/slave/log/more", true, ""},
		{latest + "/../../../../secret", false, "'" + latest + "/../../../../secret' is inaccessible"},
		{latest + "/leak", false, "'" + latest + "/leak' is inaccessible"},
	} {
		_, _, err := f.Read(c.path, 0, nil)
		e, ok := err.(*Error)
		if !ok || e.NotFound != c.notFound || (!c.notFound && e.Msg != c.msg) {
			t.Errorf("Read(%s): %v", c.path, err)
		}
	}
	if _, _, err := f.Read(latest+"/sub", 0, nil); err == nil || err.Error() != "Cannot read a directory." {
		t.Errorf("read of a directory: %v", err)
	}
	if l, err := f.List(latest + "/stdout"); err != nil || len(l) != 0 {
		t.Errorf("listing a file: %v %v", l, err)
	}
	f.Detach(latest + "/")
	if _, err := f.List(latest); !IsNotFound(err) {
		t.Errorf("after Detach: %v", err)
	}
	if err := f.Attach("/nonexistent/x", "/x"); err == nil {
		t.Error("attached a missing path")
	}
}

func TestReadIsCapped(t *testing.T) {
	f := New(nil)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "big"), make([]byte, 3*MaxRead()), 0o644)
	f.Attach(dir, "/d")
	size, data, err := f.Read("/d/big", 10, nil)
	if err != nil || size != uint64(3*MaxRead()) || len(data) != MaxRead() {
		t.Errorf("size %d, %d bytes, %v", size, len(data), err)
	}
}

func ptr(n uint64) *uint64 { return &n }

func TestDynamicPaths(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "stdout"), []byte("out"), 0o644)
	live := map[string]string{"/frameworks/F/executors/E/runs/latest": dir}
	f := New(func() map[string]string { return live })
	if _, data, err := f.Read("/frameworks/F/executors/E/runs/latest/stdout", 0, nil); err != nil || string(data) != "out" {
		t.Fatalf("%q %v", data, err)
	}
	live = map[string]string{}
	if _, _, err := f.Read("/frameworks/F/executors/E/runs/latest/stdout", 0, nil); !IsNotFound(err) {
		t.Errorf("a sandbox the runtime forgot is still reachable: %v", err)
	}
}
