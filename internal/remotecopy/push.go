package remotecopy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/sftp"
)

// Entry is one file, directory or symbolic link of a local source.
type Entry struct {
	Rel     string      // path below the source ("" for the source itself), with '/'
	Mode    fs.FileMode // type and permission bits
	Size    int64
	ModTime time.Time
	ATime   time.Time
	Link    string // a symbolic link's target
	path    string // a regular file's local path, opened by each node as it copies it
}

// Source is a local file or directory tree to push, read once (names,
// modes, times) for every node. Its files are opened as each node copies
// them, not all at once, so a tree of any size stays within the open-file
// limit.
type Source struct {
	Path    string
	Base    string
	Entries []Entry // the source first, then (for a directory) its tree, parents before children
}

// IsDir reports whether the source is a directory.
func (s *Source) IsDir() bool { return s.Entries[0].Mode.IsDir() }

// Scan reads the local sources. A source given by a symbolic link is
// followed; inside a directory tree, symbolic links are copied as links.
// Anything but regular files, directories and symbolic links is refused,
// as is a missing or unreadable source (every file is opened once to
// check).
func Scan(paths []string) ([]*Source, error) {
	var out []*Source
	for _, p := range paths {
		s, err := scanOne(p)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func scanOne(p string) (*Source, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	base := filepath.Base(filepath.Clean(p))
	if base == "/" || base == "." || base == ".." {
		return nil, fmt.Errorf("%s: name the file or directory to copy, not %q", p, base)
	}
	s := &Source{Path: p, Base: base}
	add := func(full, rel string, fi fs.FileInfo) error {
		e := Entry{Rel: rel, Mode: fi.Mode(), Size: fi.Size(), ModTime: fi.ModTime(), ATime: atime(fi)}
		switch {
		case fi.Mode().IsRegular():
			f, err := os.Open(full)
			if err != nil {
				return err
			}
			f.Close()
			e.path = full
		case fi.IsDir():
		case fi.Mode()&fs.ModeSymlink != 0:
			if e.Link, err = os.Readlink(full); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s is a %s: only regular files, directories and symbolic links are copied", full, kind(fi.Mode()))
		}
		s.Entries = append(s.Entries, e)
		return nil
	}
	if err := add(p, "", fi); err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return s, nil
	}
	err = filepath.WalkDir(p, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(p, full)
		if rel == "." {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return add(full, filepath.ToSlash(rel), info)
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

func atime(fi fs.FileInfo) time.Time {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return time.Unix(st.Atim.Sec, st.Atim.Nsec)
	}
	return fi.ModTime()
}

// Options say how files are written.
type Options struct {
	// Preserve (-p) gives each written file and directory the source's
	// mode (with setuid, setgid and sticky bits) and access and
	// modification times.
	Preserve bool
}

// tempName is a hidden, unique name beside target for writing it.
func tempName(target string) string {
	var b [6]byte
	rand.Read(b[:])
	return path.Join(path.Dir(target), "."+path.Base(target)+".mesosctl-"+hex.EncodeToString(b[:])+".tmp")
}

// IsTemp reports whether name (a base name) is one of the temporary names
// mesosctl writes files under.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".mesosctl-") && strings.HasSuffix(name, ".tmp")
}

// RemotePath turns a path as the user wrote it into an SFTP path: "~/x"
// and "~" name the SSH user's home, where relative paths start.
func RemotePath(p string) string {
	if p == "~" {
		return "."
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if rest == "" {
			return "."
		}
		return rest
	}
	return p
}

// Push copies srcs to dest on the node, as cp and scp do: into dest when
// it is a directory (as dest/BASE), otherwise as dest itself (one source
// only; a directory source then becomes dest). Every file is written to a
// temporary file in its target directory and renamed over the target, so
// a reader sees the old or the new file, never a part; a failed or
// cancelled write removes its temporary file. Without -p a new file or
// directory gets the source's permission bits and an existing one keeps
// its own mode (and, for a root session, its owner and group); the
// modification time is the time of writing.
func (s *Session) Push(ctx context.Context, srcs []*Source, dest string, o Options) (Stats, error) {
	var st Stats
	dest = RemotePath(dest)
	info, err := s.c.Stat(dest)
	destExists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return st, fmt.Errorf("%s: %w", dest, err)
	}
	intoDir := destExists && info.IsDir()
	switch {
	case intoDir:
	case len(srcs) > 1 && destExists:
		return st, fmt.Errorf("%s is not a directory: with several sources the destination must be one", dest)
	case len(srcs) > 1:
		return st, fmt.Errorf("%s does not exist: with several sources the destination must be an existing directory", dest)
	case strings.HasSuffix(dest, "/"):
		return st, fmt.Errorf("%s: no such directory", dest)
	case destExists && srcs[0].IsDir():
		return st, fmt.Errorf("%s exists and is not a directory: cannot copy directory %s onto it", dest, srcs[0].Path)
	}
	for _, src := range srcs {
		target := dest
		if intoDir {
			target = path.Join(dest, src.Base)
		}
		if err := s.pushSource(ctx, src, target, o, &st); err != nil {
			return st, err
		}
	}
	return st, nil
}

func (s *Session) pushSource(ctx context.Context, src *Source, target string, o Options, st *Stats) error {
	// Directories get their -p times after their contents are written.
	type dirTimes struct {
		path string
		e    *Entry
	}
	var dirs []dirTimes
	for i := range src.Entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := &src.Entries[i]
		t := target
		if e.Rel != "" {
			t = path.Join(target, e.Rel)
		}
		var err error
		switch {
		case e.Mode.IsDir():
			err = s.mkdir(t, e, o)
			dirs = append(dirs, dirTimes{t, e})
		case e.Mode&fs.ModeSymlink != 0:
			err = s.symlink(t, e)
		default:
			err = s.putFile(ctx, t, e, o)
			if err == nil {
				st.Files++
				st.Bytes += e.Size
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
	}
	if o.Preserve {
		for i := len(dirs) - 1; i >= 0; i-- {
			if err := s.c.Chtimes(dirs[i].path, dirs[i].e.ATime, dirs[i].e.ModTime); err != nil {
				return fmt.Errorf("%s: set times: %w", dirs[i].path, err)
			}
		}
	}
	return nil
}

func (s *Session) mkdir(t string, e *Entry, o Options) error {
	err := s.c.Mkdir(t)
	if err != nil {
		fi, serr := s.c.Stat(t)
		if serr != nil || !fi.IsDir() {
			if serr == nil {
				return errors.New("exists and is not a directory")
			}
			return err
		}
		if !o.Preserve {
			return nil // an existing directory keeps its mode
		}
	}
	mode := e.Mode.Perm()
	if o.Preserve {
		mode = e.Mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	}
	return s.c.Chmod(t, mode)
}

func (s *Session) symlink(t string, e *Entry) error {
	tmp := tempName(t)
	if err := s.c.Symlink(e.Link, tmp); err != nil {
		return err
	}
	if err := s.c.PosixRename(tmp, t); err != nil {
		s.c.Remove(tmp)
		return err
	}
	return nil
}

// putFile writes e to t through a temporary file and a rename.
func (s *Session) putFile(ctx context.Context, t string, e *Entry, o Options) (err error) {
	src, err := os.Open(e.path)
	if err != nil {
		return err
	}
	defer src.Close()
	var old fs.FileInfo
	if !o.Preserve {
		if fi, err := s.c.Stat(t); err == nil {
			old = fi
		}
	}
	tmp := tempName(t)
	f, err := s.c.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			s.c.Remove(tmp)
		}
	}()
	n, err := f.ReadFrom(&ctxReader{ctx: ctx, r: io.NewSectionReader(src, 0, e.Size)})
	if err != nil {
		return err
	}
	if n != e.Size {
		return fmt.Errorf("wrote %d of %d bytes (the source changed while being copied?)", n, e.Size)
	}
	switch {
	case o.Preserve:
		err = f.Chmod(e.Mode & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky))
	case old != nil:
		err = f.Chmod(old.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky))
		if st, ok := old.Sys().(*sftp.FileStat); ok && err == nil && s.root {
			err = f.Chown(int(st.UID), int(st.GID))
		}
	default:
		err = f.Chmod(e.Mode.Perm())
	}
	if err != nil {
		return fmt.Errorf("set mode: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	if o.Preserve {
		if err := s.c.Chtimes(tmp, e.ATime, e.ModTime); err != nil {
			return fmt.Errorf("set times: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.c.PosixRename(tmp, t)
}
