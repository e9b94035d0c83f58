package runtime

import (
	"encoding/json"
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

	"github.com/mesosctl/mesosctl/internal/agentd/httpapi"
)

// filesPageSize is Mesos' read granularity: /files/read returns at most 16
// pages when no length is given.
const filesPageSize = 4096

// maxFilesRead caps an explicit ?length=.
const maxFilesRead = 4 << 20

func (s *Service) registerFiles(srv *httpapi.Server) {
	srv.Handle("GET /files/read", http.HandlerFunc(s.filesRead))
	srv.Handle("GET /files/read.json", http.HandlerFunc(s.filesRead))
	srv.Handle("GET /files/browse", http.HandlerFunc(s.filesBrowse))
	srv.Handle("GET /files/browse.json", http.HandlerFunc(s.filesBrowse))
	srv.Handle("GET /files/download", http.HandlerFunc(s.filesDownload))
	srv.Handle("GET /files/download.json", http.HandlerFunc(s.filesDownload))
}

// resolve maps a requested path to a real file inside one of the sandbox
// roots. Symbolic links are followed and the result must still be inside
// a root: "..", absolute symlinks and the like cannot escape.
func (s *Service) resolve(p string) (string, int, error) {
	if p == "" {
		return "", http.StatusBadRequest, errors.New("Expecting 'path=value' in query.")
	}
	if !filepath.IsAbs(p) || strings.ContainsRune(p, 0) {
		return "", http.StatusBadRequest, fmt.Errorf("path %q must be an absolute sandbox path", p)
	}
	clean := filepath.Clean(p)
	real, err := filepath.EvalSymlinks(clean)
	if err != nil {
		return "", http.StatusNotFound, fmt.Errorf("Failed to find '%s'", p)
	}
	for _, root := range s.rt.SandboxRoots() {
		rr, err := filepath.EvalSymlinks(root)
		if err != nil {
			continue
		}
		if real == rr || strings.HasPrefix(real, rr+string(filepath.Separator)) {
			return real, 0, nil
		}
	}
	// Same answer as a missing file: do not reveal what exists outside.
	return "", http.StatusNotFound, fmt.Errorf("Failed to find '%s'", p)
}

func filesError(w http.ResponseWriter, status int, err error) {
	http.Error(w, err.Error(), status)
}

func (s *Service) filesRead(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	path, status, err := s.resolve(q.Get("path"))
	if err != nil {
		filesError(w, status, err)
		return
	}
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
	f, err := os.Open(path)
	if err != nil {
		filesError(w, http.StatusNotFound, fmt.Errorf("Failed to open file '%s'", q.Get("path")))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		filesError(w, http.StatusInternalServerError, err)
		return
	}
	if st.IsDir() {
		filesError(w, http.StatusBadRequest, errors.New("Cannot read a directory"))
		return
	}
	size := st.Size()
	out := struct {
		Data   string `json:"data"`
		Offset int64  `json:"offset"`
	}{Offset: size}
	if offset >= 0 {
		out.Offset = offset
		if offset < size {
			buf := make([]byte, min(length, size-offset))
			n, err := f.ReadAt(buf, offset)
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

func (s *Service) filesBrowse(w http.ResponseWriter, r *http.Request) {
	req := r.URL.Query().Get("path")
	path, status, err := s.resolve(req)
	if err != nil {
		filesError(w, status, err)
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		filesError(w, http.StatusNotFound, fmt.Errorf("Failed to find '%s'", req))
		return
	}
	if !fi.IsDir() {
		writeFilesJSON(w, r, []fileEntry{entryOf(filepath.Clean(req), fi)})
		return
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		filesError(w, http.StatusInternalServerError, err)
		return
	}
	out := make([]fileEntry, 0, len(ents))
	for _, de := range ents {
		info, err := de.Info()
		if err != nil {
			continue
		}
		out = append(out, entryOf(filepath.Join(filepath.Clean(req), de.Name()), info))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	writeFilesJSON(w, r, out)
}

func (s *Service) filesDownload(w http.ResponseWriter, r *http.Request) {
	path, status, err := s.resolve(r.URL.Query().Get("path"))
	if err != nil {
		filesError(w, status, err)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		filesError(w, http.StatusNotFound, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		filesError(w, http.StatusBadRequest, errors.New("Cannot download a directory"))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", "attachment; filename="+strconv.Quote(filepath.Base(path)))
	http.ServeContent(w, r, filepath.Base(path), st.ModTime(), f)
}

func writeFilesJSON(w http.ResponseWriter, r *http.Request, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		filesError(w, http.StatusInternalServerError, err)
		return
	}
	if cb := r.URL.Query().Get("jsonp"); cb != "" {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprintf(w, "%s(%s);", cb, b)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}
