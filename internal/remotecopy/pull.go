package remotecopy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pkg/sftp"
)

// Pull copies the node's files or directory trees at paths into dir, each
// as dir/BASE, recursively for directories (symbolic links inside a tree
// are copied as links; a path that is itself a link is followed). Local
// files are written atomically like pushed ones (temporary file in the
// same directory, then rename). Without -p a new file gets the source's
// permission bits and an existing one keeps its mode; with -p mode and
// times are the source's.
func (s *Session) Pull(ctx context.Context, paths []string, dir string, o Options) (Stats, error) {
	var st Stats
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return st, err
	}
	for _, p := range paths {
		rp := RemotePath(p)
		fi, err := s.c.Stat(rp)
		if err != nil {
			return st, fmt.Errorf("%s: %w", p, err)
		}
		base := path.Base(path.Clean(rp))
		if base == "/" || base == "." || base == ".." {
			return st, fmt.Errorf("%s: name the file or directory to copy, not %q", p, base)
		}
		local := filepath.Join(dir, base)
		if !fi.IsDir() {
			if err := s.getEntry(ctx, rp, local, fi, o, &st); err != nil {
				return st, fmt.Errorf("%s: %w", rp, err)
			}
			continue
		}
		if err := s.pullTree(ctx, rp, local, fi, o, &st); err != nil {
			return st, err
		}
	}
	return st, nil
}

func (s *Session) pullTree(ctx context.Context, root, local string, rootInfo fs.FileInfo, o Options, st *Stats) error {
	type dirTimes struct {
		local string
		fi    fs.FileInfo
	}
	var dirs []dirTimes
	// A trailing '/' makes the walk's Lstat follow a root that is a link.
	w := s.c.Walk(strings.TrimSuffix(root, "/") + "/")
	first := true
	for w.Step() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.Err(); err != nil {
			return fmt.Errorf("%s: %w", w.Path(), err)
		}
		fi := w.Stat()
		if first { // the root, followed if it is a link
			fi, first = rootInfo, false
		}
		rel, err := filepath.Rel(path.Clean(root), path.Clean(w.Path()))
		if err != nil {
			return err
		}
		l := filepath.Join(local, rel)
		if fi.IsDir() {
			if err := mkdirLocal(l, fi, o); err != nil {
				return err
			}
			dirs = append(dirs, dirTimes{l, fi})
			continue
		}
		if err := s.getEntry(ctx, w.Path(), l, fi, o, st); err != nil {
			return fmt.Errorf("%s: %w", w.Path(), err)
		}
	}
	if o.Preserve {
		sort.SliceStable(dirs, func(i, j int) bool { return len(dirs[i].local) > len(dirs[j].local) })
		for _, d := range dirs {
			if err := os.Chtimes(d.local, remoteATime(d.fi), d.fi.ModTime()); err != nil {
				return err
			}
		}
	}
	return nil
}

func mkdirLocal(l string, fi fs.FileInfo, o Options) error {
	err := os.Mkdir(l, 0o700)
	if err != nil {
		li, serr := os.Stat(l)
		if serr != nil || !li.IsDir() {
			return err
		}
		if !o.Preserve {
			return nil // an existing directory keeps its mode
		}
	}
	return os.Chmod(l, modeOf(fi, o.Preserve))
}

// modeOf is the mode a copy of fi gets: with preserve its permission and
// setuid/setgid/sticky bits, else the permission bits alone.
func modeOf(fi fs.FileInfo, preserve bool) fs.FileMode {
	if preserve {
		return fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
	}
	return fi.Mode().Perm()
}

// getEntry writes the node's file or symbolic link at rp to local.
func (s *Session) getEntry(ctx context.Context, rp, local string, fi fs.FileInfo, o Options, st *Stats) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := s.c.ReadLink(rp)
		if err != nil {
			return err
		}
		tmp := tempName(local)
		if err := os.Symlink(target, tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, local); err != nil {
			os.Remove(tmp)
			return err
		}
		return nil
	case !fi.Mode().IsRegular():
		return fmt.Errorf("is a %s: only regular files, directories and symbolic links are copied", kind(fi.Mode()))
	}
	n, err := s.getFile(ctx, rp, local, fi, o)
	if err == nil {
		st.Files++
		st.Bytes += n
	}
	return err
}

func (s *Session) getFile(ctx context.Context, rp, local string, fi fs.FileInfo, o Options) (n int64, err error) {
	mode := modeOf(fi, o.Preserve)
	if !o.Preserve {
		if old, err := os.Stat(local); err == nil && old.Mode().IsRegular() {
			mode = old.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		}
	}
	rf, err := s.c.Open(rp)
	if err != nil {
		return 0, err
	}
	defer rf.Close()
	tmp := tempName(local)
	lf, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			lf.Close()
			os.Remove(tmp)
		}
	}()
	if n, err = rf.WriteTo(&ctxWriter{ctx: ctx, w: lf}); err != nil {
		return n, err
	}
	if err = lf.Chmod(mode); err != nil {
		return n, err
	}
	if err = lf.Close(); err != nil {
		return n, err
	}
	if o.Preserve {
		if err = os.Chtimes(tmp, remoteATime(fi), fi.ModTime()); err != nil {
			return n, err
		}
	}
	if err = ctx.Err(); err != nil {
		return n, err
	}
	if err = os.Rename(tmp, local); err != nil {
		var le *os.LinkError
		if errors.As(err, &le) {
			err = fmt.Errorf("replace %s: %v", local, le.Err)
		}
	}
	return n, err
}

// remoteATime is the access time SFTP reported for fi.
func remoteATime(fi fs.FileInfo) (t time.Time) {
	if st, ok := fi.Sys().(*sftp.FileStat); ok {
		return time.Unix(int64(st.Atime), 0)
	}
	return fi.ModTime()
}
