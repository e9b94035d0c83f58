package httpapi

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// filesPageSize is Mesos' read granularity: /files/read returns at most 16
// pages when no length is given.
const filesPageSize = 4096

// maxFilesRead caps an explicit ?length=.
const maxFilesRead = 4 << 20

// sandboxFiles serves /files/{read,browse,download} from the runtime's
// sandbox roots.
type sandboxFiles struct{ roots func() []string }

func (s *Server) registerFiles(roots func() []string) {
	f := sandboxFiles{roots}
	s.Handle("GET /files/read", http.HandlerFunc(f.read))
	s.Handle("GET /files/read.json", http.HandlerFunc(f.read))
	s.Handle("GET /files/browse", http.HandlerFunc(f.browse))
	s.Handle("GET /files/browse.json", http.HandlerFunc(f.browse))
	s.Handle("GET /files/download", http.HandlerFunc(f.download))
	s.Handle("GET /files/download.json", http.HandlerFunc(f.download))
}

// sandboxFile is a requested /files path, open, inside one sandbox root.
type sandboxFile struct {
	root *os.Root // open on the sandbox root
	rel  string   // the path below the root ("." for the root itself)
	f    *os.File
	info os.FileInfo
}

func (sf *sandboxFile) Close() {
	sf.f.Close()
	sf.root.Close()
}

// open maps a requested absolute path to a sandbox root and the path below
// it and opens it there. Everything below the root, symbolic links
// included, is resolved by os.Root within the root: "..", links that point
// outside and a directory swapped for a link between a check and the open
// (there is no separate check) cannot escape it. Anything that cannot be
// opened is 404 with the same message, so nothing outside is revealed.
func (s sandboxFiles) open(p string) (*sandboxFile, int, error) {
	sp, status, err := s.locate(p)
	if err != nil {
		return nil, status, err
	}
	f, err := sp.root.Open(sp.rel)
	if err == nil {
		sp.f = f
		if sp.info, err = f.Stat(); err != nil {
			f.Close()
		}
	}
	if err != nil {
		sp.root.Close()
		return nil, http.StatusNotFound, fmt.Errorf("Failed to find '%s'", p)
	}
	return sp, 0, nil
}

// locate finds the sandbox root of an absolute path and opens the root.
func (s sandboxFiles) locate(p string) (*sandboxFile, int, error) {
	if p == "" {
		return nil, http.StatusBadRequest, errors.New("Expecting 'path=value' in query.")
	}
	if !filepath.IsAbs(p) || strings.ContainsRune(p, 0) {
		return nil, http.StatusBadRequest, fmt.Errorf("path %q must be an absolute sandbox path", p)
	}
	clean := filepath.Clean(p)
	notFound := fmt.Errorf("Failed to find '%s'", p) // the same for outside: reveal nothing
	for _, root := range s.roots() {
		// The root as configured, as resolved, and (for the task
		// sandboxes) through <work_dir>/slaves/latest.
		names := []string{root}
		if real, err := filepath.EvalSymlinks(root); err == nil && real != root {
			names = append(names, real)
		}
		if filepath.Base(filepath.Dir(root)) == "slaves" {
			names = append(names, filepath.Join(filepath.Dir(root), "latest"))
		}
		for _, name := range names {
			rel, ok := below(name, clean)
			if !ok {
				continue
			}
			r, err := os.OpenRoot(root)
			if err != nil {
				return nil, http.StatusNotFound, notFound
			}
			return &sandboxFile{root: r, rel: rel}, 0, nil
		}
	}
	return nil, http.StatusNotFound, notFound
}

// below returns p relative to dir when p is dir or lies below it.
func below(dir, p string) (string, bool) {
	if p == dir {
		return ".", true
	}
	if rest, ok := strings.CutPrefix(p, dir+string(filepath.Separator)); ok {
		return rest, true
	}
	return "", false
}

func filesError(w http.ResponseWriter, status int, err error) {
	http.Error(w, err.Error(), status)
}

func (s sandboxFiles) read(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sf, status, err := s.open(q.Get("path"))
	if err != nil {
		filesError(w, status, err)
		return
	}
	defer sf.Close()
	offset := int64(-1)
	if o := q.Get("offset"); o != "" {
		n, err := strconv.ParseInt(o, 10, 64)
		if err != nil || n < -1 {
			filesError(w, http.StatusBadRequest, fmt.Errorf("Failed to parse offset: %q is not a non-negative integer (or -1 for the size)", o))
			return
		}
		offset = n
	}
	length := int64(16 * filesPageSize)
	if l := q.Get("length"); l != "" {
		n, err := strconv.ParseInt(l, 10, 64)
		if err != nil || n < -1 {
			filesError(w, http.StatusBadRequest, fmt.Errorf("Failed to parse length: %q is not a non-negative integer", l))
			return
		}
		if n >= 0 {
			length = min(n, maxFilesRead)
		}
	}
	if sf.info.IsDir() {
		filesError(w, http.StatusBadRequest, errors.New("Cannot read a directory"))
		return
	}
	size := sf.info.Size()
	out := struct {
		Data   string `json:"data"`
		Offset int64  `json:"offset"`
	}{Offset: size}
	if offset >= 0 {
		out.Offset = offset
		if offset < size {
			buf := make([]byte, min(length, size-offset))
			n, err := sf.f.ReadAt(buf, offset)
			if err != nil && err != io.EOF {
				filesError(w, http.StatusInternalServerError, err)
				return
			}
			out.Data = string(buf[:n])
		}
	}
	writeFilesJSON(w, r, out)
}

// fileEntry is one /files/browse entry; fields in Mesos' (sorted) order.
type fileEntry struct {
	GID   string  `json:"gid"`
	Mode  string  `json:"mode"`
	MTime float64 `json:"mtime"`
	NLink uint64  `json:"nlink"`
	Path  string  `json:"path"`
	Size  int64   `json:"size"`
	UID   string  `json:"uid"`
}

func entryOf(path string, fi fs.FileInfo) fileEntry {
	e := fileEntry{Mode: fi.Mode().String(), MTime: float64(fi.ModTime().UnixNano()) / 1e9, NLink: 1, Path: path, Size: fi.Size()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.NLink = uint64(st.Nlink)
		e.UID = strconv.Itoa(int(st.Uid))
		if u, err := user.LookupId(e.UID); err == nil {
			e.UID = u.Username
		}
		e.GID = strconv.Itoa(int(st.Gid))
		if g, err := user.LookupGroupId(e.GID); err == nil {
			e.GID = g.Name
		}
	}
	if fi.IsDir() {
		e.Mode = "d" + e.Mode[1:]
	}
	return e
}

func (s sandboxFiles) browse(w http.ResponseWriter, r *http.Request) {
	req := r.URL.Query().Get("path")
	sf, status, err := s.open(req)
	if err != nil {
		filesError(w, status, err)
		return
	}
	defer sf.Close()
	if !sf.info.IsDir() {
		writeFilesJSON(w, r, []fileEntry{entryOf(filepath.Clean(req), sf.info)})
		return
	}
	names, err := sf.f.Readdirnames(-1)
	if err != nil {
		filesError(w, http.StatusInternalServerError, err)
		return
	}
	out := make([]fileEntry, 0, len(names))
	for _, name := range names {
		info, err := sf.root.Lstat(filepath.Join(sf.rel, name))
		if err != nil {
			continue
		}
		out = append(out, entryOf(filepath.Join(filepath.Clean(req), name), info))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	writeFilesJSON(w, r, out)
}

func (s sandboxFiles) download(w http.ResponseWriter, r *http.Request) {
	req := r.URL.Query().Get("path")
	sf, status, err := s.open(req)
	if err != nil {
		filesError(w, status, err)
		return
	}
	defer sf.Close()
	if sf.info.IsDir() {
		filesError(w, http.StatusBadRequest, errors.New("Cannot download a directory"))
		return
	}
	name := filepath.Base(filepath.Clean(req))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", "attachment; filename="+strconv.Quote(name))
	http.ServeContent(w, r, name, sf.info.ModTime(), sf.f)
}

func writeFilesJSON(w http.ResponseWriter, r *http.Request, v any) {
	WriteJSON(w, r, http.StatusOK, v)
}
