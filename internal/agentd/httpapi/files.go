package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/agentd/files"
	"github.com/mesosctl/mesosctl/internal/agentd/loglevel"
)

// maxFilesRead caps an explicit ?length= of /files/read.
const maxFilesRead = 4 << 20

// RegisterFiles serves the virtual paths of f: /files/{read,browse,
// download,debug} and the v1 LIST_FILES and READ_FILE calls.
func (s *Server) RegisterFiles(f *files.Files) {
	fs := filesAPI{f}
	s.Handle("GET /files/read", http.HandlerFunc(fs.read))
	s.Handle("GET /files/read.json", http.HandlerFunc(fs.read))
	s.Handle("GET /files/browse", http.HandlerFunc(fs.browse))
	s.Handle("GET /files/browse.json", http.HandlerFunc(fs.browse))
	s.Handle("GET /files/download", http.HandlerFunc(fs.download))
	s.Handle("GET /files/download.json", http.HandlerFunc(fs.download))
	s.Handle("GET /files/debug", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, r, http.StatusOK, f.Debug())
	}))
	s.HandleCall(api.CallListFiles, fs.listFiles)
	s.HandleCall(api.CallReadFile, fs.readFile)
}

type filesAPI struct{ f *files.Files }

// open resolves the ?path= of a v0 request, answering the failure itself.
func (fs filesAPI) open(w http.ResponseWriter, r *http.Request) (*files.Handle, string, bool) {
	p := r.URL.Query().Get("path")
	if p == "" {
		http.Error(w, "Expecting 'path=value' in query.", http.StatusBadRequest)
		return nil, "", false
	}
	h, err := fs.f.Open(p)
	if err != nil {
		filesError(w, p, err)
		return nil, "", false
	}
	return h, p, true
}

// filesError maps a files error to Mesos' status: 404 for a path that is
// not there (or not attached), 400 for one that may not be reached.
func filesError(w http.ResponseWriter, p string, err error) {
	var fe *files.Error
	switch {
	case errors.As(err, &fe) && fe.NotFound:
		http.Error(w, fmt.Sprintf("Failed to find '%s'", p), http.StatusNotFound)
	case errors.As(err, &fe):
		http.Error(w, fe.Msg, http.StatusBadRequest)
	default:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

func (fs filesAPI) read(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	offset := int64(-1)
	if o := q.Get("offset"); o != "" {
		n, err := strconv.ParseInt(o, 10, 64)
		if err != nil || n < -1 {
			http.Error(w, fmt.Sprintf("Failed to parse offset: %q is not a non-negative integer (or -1 for the size)", o), http.StatusBadRequest)
			return
		}
		offset = n
	}
	length := int64(files.MaxRead())
	if l := q.Get("length"); l != "" {
		n, err := strconv.ParseInt(l, 10, 64)
		if err != nil || n < -1 {
			http.Error(w, fmt.Sprintf("Failed to parse length: %q is not a non-negative integer", l), http.StatusBadRequest)
			return
		}
		if n >= 0 {
			length = min(n, maxFilesRead)
		}
	}
	h, _, ok := fs.open(w, r)
	if !ok {
		return
	}
	defer h.Close()
	if h.Info.IsDir() {
		http.Error(w, "Cannot read a directory", http.StatusBadRequest)
		return
	}
	size := h.Info.Size()
	out := struct {
		Data   string `json:"data"`
		Offset int64  `json:"offset"`
	}{Offset: size}
	if offset >= 0 {
		out.Offset = offset
		if offset < size {
			buf := make([]byte, min(length, size-offset))
			n, err := h.File.ReadAt(buf, offset)
			if err != nil && err != io.EOF {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			out.Data = string(buf[:n])
		}
	}
	WriteJSON(w, r, http.StatusOK, out)
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

// modeString renders a raw st_mode as ls does ("-rw-r--r--",
// "drwxr-xr-x"), as Mesos' browse shows it.
func modeString(mode uint32) string {
	kind := byte('-')
	switch mode & 0o170000 {
	case 0o040000:
		kind = 'd'
	case 0o020000:
		kind = 'c'
	case 0o060000:
		kind = 'b'
	case 0o010000:
		kind = 'p'
	case 0o120000:
		kind = 'l'
	case 0o140000:
		kind = 's'
	}
	out := []byte{kind}
	for i := 8; i >= 0; i-- {
		if mode&(1<<uint(i)) != 0 {
			out = append(out, "rwxrwxrwx"[8-i])
		} else {
			out = append(out, '-')
		}
	}
	return string(out)
}

func entryOf(fi files.FileInfo) fileEntry {
	return fileEntry{GID: fi.GID, Mode: modeString(fi.Mode), MTime: float64(fi.Mtime), NLink: fi.Nlink,
		Path: fi.Path, Size: fi.Size, UID: fi.UID}
}

func (fs filesAPI) browse(w http.ResponseWriter, r *http.Request) {
	h, p, ok := fs.open(w, r)
	if !ok {
		return
	}
	isDir := h.Info.IsDir()
	h.Close()
	if !isDir {
		fi, err := fs.f.Stat(p)
		if err != nil {
			filesError(w, p, err)
			return
		}
		WriteJSON(w, r, http.StatusOK, []fileEntry{entryOf(fi)})
		return
	}
	list, err := fs.f.List(p)
	if err != nil {
		filesError(w, p, err)
		return
	}
	out := make([]fileEntry, 0, len(list))
	for _, fi := range list {
		out = append(out, entryOf(fi))
	}
	WriteJSON(w, r, http.StatusOK, out)
}

func (fs filesAPI) download(w http.ResponseWriter, r *http.Request) {
	h, p, ok := fs.open(w, r)
	if !ok {
		return
	}
	defer h.Close()
	if h.Info.IsDir() {
		http.Error(w, "Cannot download a directory", http.StatusBadRequest)
		return
	}
	name := filepath.Base(filepath.Clean(p))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", "attachment; filename="+strconv.Quote(name))
	http.ServeContent(w, r, name, h.Info.ModTime(), h.File)
}

// callError is the v1 form of a files error: 404 with an empty body, 400
// with the message and Mesos' ".".
func callError(err error) error {
	var fe *files.Error
	switch {
	case errors.As(err, &fe) && fe.NotFound:
		return CodedError(http.StatusNotFound, "")
	case errors.As(err, &fe):
		return CodedError(http.StatusBadRequest, fe.Msg)
	}
	return err
}

func (fs filesAPI) listFiles(_ context.Context, c *api.Call) (any, error) {
	list, err := fs.f.List(c.ListFiles.Path)
	if err != nil {
		return nil, callError(err)
	}
	out := api.ListFilesResponse{}
	for _, fi := range list {
		out.FileInfos = append(out.FileInfos, api.FileInfo{Path: fi.Path, Nlink: int32(fi.Nlink), Size: uint64(fi.Size),
			Mtime: &api.Duration{Nanoseconds: fi.Mtime * 1e9}, Mode: fi.Mode, UID: fi.UID, GID: fi.GID})
	}
	return out, nil
}

func (fs filesAPI) readFile(_ context.Context, c *api.Call) (any, error) {
	size, data, err := fs.f.Read(c.ReadFile.Path, c.ReadFile.Offset, c.ReadFile.Length)
	if err != nil {
		return nil, callError(err)
	}
	return api.ReadFileResponse{Size: size, Data: data}, nil
}

// RegisterLogging installs GET_LOGGING_LEVEL and SET_LOGGING_LEVEL on v.
func (s *Server) RegisterLogging(v *loglevel.Verbosity) {
	s.HandleCall(api.CallGetLoggingLevel, func(context.Context, *api.Call) (any, error) {
		return api.GetLoggingLevel{Level: v.Level()}, nil
	})
	s.HandleCall(api.CallSetLoggingLevel, func(_ context.Context, c *api.Call) (any, error) {
		v.Set(c.SetLoggingLevel.Level, time.Duration(c.SetLoggingLevel.Duration.Nanoseconds))
		s.log.Info(fmt.Sprintf("Set logging verbosity level to %d", c.SetLoggingLevel.Level))
		return nil, nil
	})
}
