// Package files is the agent's file browser as Mesos' Files process has
// it: a table of virtual paths attached to real files and directories
// (/frameworks/<fid>/executors/<eid>/runs/latest → the executor's sandbox,
// /slave/log → the agent's log, the sandbox paths themselves), resolved by
// the longest attached prefix, and the listing and reading that /files/*
// and the v1 LIST_FILES / READ_FILE calls serve.
//
// Everything below an attached directory is opened through os.Root on
// that directory: "..", symbolic links that lead out of it, and a
// directory swapped for a link between two steps cannot reach outside it.
package files

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Error is a resolution or read failure, with the kind Mesos maps to a
// status: NotFound 404 (empty body), Invalid 400 (message).
type Error struct {
	NotFound bool
	Msg      string
}

func (e *Error) Error() string {
	if e.NotFound {
		return "not found"
	}
	return e.Msg
}

func notFound() error                  { return &Error{NotFound: true} }
func invalid(f string, a ...any) error { return &Error{Msg: fmt.Sprintf(f, a...)} }

// IsNotFound reports whether err is a NotFound Error.
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.NotFound
}

// Files is the table of attached paths. It is safe for concurrent use.
type Files struct {
	mu       sync.RWMutex
	attached map[string]string // virtual → real (resolved at attach time)
	// dynamic, if set, gives the paths that come and go with containers
	// (their sandboxes), asked at each lookup instead of attached and
	// detached: a sandbox is reachable exactly while the runtime knows it.
	dynamic func() map[string]string
}

// New returns a table with nothing attached; dynamic (may be nil) adds the
// virtual → real paths it returns at each lookup.
func New(dynamic func() map[string]string) *Files {
	return &Files{attached: map[string]string{}, dynamic: dynamic}
}

// table is the attached paths and the dynamic ones (attached win).
func (f *Files) table() map[string]string {
	var dyn map[string]string
	if f.dynamic != nil {
		dyn = f.dynamic()
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make(map[string]string, len(f.attached)+len(dyn))
	for k, v := range dyn {
		out[normalize(k)] = v
	}
	for k, v := range f.attached {
		out[k] = v
	}
	return out
}

// Attach makes real (a file or directory, resolved now, as Mesos resolves
// it with realpath) reachable under virtual, replacing what was there.
func (f *Files) Attach(real, virtual string) error {
	resolved, err := filepath.EvalSymlinks(real)
	if err != nil {
		return fmt.Errorf("cannot attach '%s' as '%s': %v", real, virtual, err)
	}
	resolved, err = filepath.Abs(resolved)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attached[normalize(virtual)] = resolved
	return nil
}

// Detach removes virtual.
func (f *Files) Detach(virtual string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.attached, normalize(virtual))
}

// Debug returns every attached virtual path and its real path (/files/debug).
func (f *Files) Debug() map[string]string { return f.table() }

func normalize(p string) string {
	p = strings.TrimPrefix(p, "file://")
	for len(p) > 1 && strings.HasSuffix(p, "/") {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

// Handle is a resolved path, open.
type Handle struct {
	File *os.File
	Info fs.FileInfo
	root *os.Root // nil when the attached path is the file itself
	rel  string
}

// Close releases the file and its root.
func (h *Handle) Close() {
	h.File.Close()
	if h.root != nil {
		h.root.Close()
	}
}

// Open resolves a virtual path and opens what it names: the longest
// attached prefix (in whole components) wins; below an attached directory
// the rest is opened within it.
func (f *Files) Open(p string) (*Handle, error) {
	p = normalize(p)
	parts := strings.Split(p, "/")
	table := f.table()
	var real, rest string
	found := false
	for i := len(parts); i > 0; i-- {
		prefix := strings.Join(parts[:i], "/")
		if prefix == "" {
			prefix = "/"
		}
		if r, ok := table[prefix]; ok {
			real, rest, found = r, strings.Join(parts[i:], "/"), true
			break
		}
	}
	if !found {
		return nil, notFound()
	}
	info, err := os.Stat(real)
	if err != nil {
		return nil, notFound()
	}
	if !info.IsDir() {
		if rest != "" {
			return nil, notFound()
		}
		file, err := os.Open(real)
		if err != nil {
			return nil, notFound()
		}
		fi, err := file.Stat()
		if err != nil {
			file.Close()
			return nil, notFound()
		}
		return &Handle{File: file, Info: fi}, nil
	}
	rel := path.Clean("./" + rest)
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return nil, invalid("'%s' is inaccessible", p)
	}
	root, err := os.OpenRoot(real)
	if err != nil {
		return nil, notFound()
	}
	file, err := root.Open(rel)
	if err != nil {
		root.Close()
		if strings.Contains(err.Error(), "escapes") {
			return nil, invalid("'%s' is inaccessible", p)
		}
		return nil, notFound()
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		root.Close()
		return nil, notFound()
	}
	return &Handle{File: file, Info: fi, root: root, rel: rel}, nil
}

// FileInfo is one listed entry, as Mesos' FileInfo.
type FileInfo struct {
	Path  string // the requested virtual path joined with the entry name
	Nlink uint64
	Size  int64
	Mtime int64  // seconds
	Mode  uint32 // raw st_mode, type bits included
	UID   string // user name (the number when unknown)
	GID   string
	IsDir bool
}

// List lists the directory p names, sorted by name; entries that cannot
// be examined (a link leading out of the attached directory) are left out.
// A path naming a file lists nothing, as Mesos does.
func (f *Files) List(p string) ([]FileInfo, error) {
	h, err := f.Open(p)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	if !h.Info.IsDir() {
		return []FileInfo{}, nil
	}
	entries, err := h.File.ReadDir(-1)
	if err != nil {
		return []FileInfo{}, nil
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	base := normalize(p)
	out := make([]FileInfo, 0, len(entries))
	names := nameCache{}
	for _, e := range entries {
		info, err := h.root.Stat(path.Join(h.rel, e.Name()))
		if err != nil {
			continue
		}
		out = append(out, names.info(strings.TrimSuffix(base, "/")+"/"+e.Name(), info))
	}
	return out, nil
}

// Stat describes the file p names itself (v0 browse of a file).
func (f *Files) Stat(p string) (FileInfo, error) {
	h, err := f.Open(p)
	if err != nil {
		return FileInfo{}, err
	}
	defer h.Close()
	return nameCache{}.info(normalize(p), h.Info), nil
}

type nameCache map[string]string

func (c nameCache) info(p string, fi fs.FileInfo) FileInfo {
	out := FileInfo{Path: p, Size: fi.Size(), Mtime: fi.ModTime().Unix(), IsDir: fi.IsDir()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		out.Nlink, out.Mode = uint64(st.Nlink), st.Mode
		out.UID = c.name("u", st.Uid)
		out.GID = c.name("g", st.Gid)
	}
	return out
}

func (c nameCache) name(kind string, id uint32) string {
	key := kind + strconv.FormatUint(uint64(id), 10)
	if n, ok := c[key]; ok {
		return n
	}
	n := strconv.FormatUint(uint64(id), 10)
	if kind == "u" {
		if u, err := user.LookupId(n); err == nil {
			n = u.Username
		}
	} else if g, err := user.LookupGroupId(n); err == nil {
		n = g.Name
	}
	c[key] = n
	return n
}

// MaxRead is the most one read returns: 16 pages, as Mesos.
func MaxRead() int { return 16 * os.Getpagesize() }

// Read reads the file p names from offset, at most length bytes (all to
// the end when length is nil), capped at MaxRead. It returns the file's
// whole size (not the data's). A directory is Invalid.
func (f *Files) Read(p string, offset uint64, length *uint64) (size uint64, data []byte, err error) {
	h, err := f.Open(p)
	if err != nil {
		return 0, nil, err
	}
	defer h.Close()
	if h.Info.IsDir() {
		return 0, nil, invalid("Cannot read a directory.")
	}
	end, err := h.File.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, nil, err
	}
	size = uint64(end)
	if offset >= size {
		return size, []byte{}, nil
	}
	n := size - offset
	if length != nil && *length < n {
		n = *length
	}
	if n > uint64(MaxRead()) {
		n = uint64(MaxRead())
	}
	buf := make([]byte, n)
	got, err := h.File.ReadAt(buf, int64(offset))
	if err != nil && err != io.EOF {
		return 0, nil, err
	}
	return size, buf[:got], nil
}
