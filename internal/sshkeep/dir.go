// Package sshkeep is mesosctl's own connection sharing, in the spirit of
// OpenSSH's ControlMaster/ControlPersist: a background process (`mesosctl
// ssh-mux serve`, started on demand) keeps the authenticated SSH
// connections of earlier runs open for a while, and later runs send it
// their commands over a Unix socket, passing the pipes that receive the
// output. The socket is 0600 in a 0700 directory of the user's own
// ($XDG_RUNTIME_DIR/mesosctl, else /tmp/mesosctl-UID), peers of another
// user are refused, host keys are checked again on every reuse, and the
// process exits once it has been idle for the persist time.
package sshkeep

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// SocketName is the daemon's socket in Dir; the number is the protocol
// version, so that binaries speaking different versions never meet.
const SocketName = "ssh-mux.1.sock"

// Dir is the directory of the daemon's socket, lock and log for the
// current user: $XDG_RUNTIME_DIR/mesosctl, else /tmp/mesosctl-UID.
func Dir(getenv func(string) string) string {
	if rt := getenv("XDG_RUNTIME_DIR"); rt != "" && filepath.IsAbs(rt) {
		return filepath.Join(rt, "mesosctl")
	}
	return filepath.Join(os.TempDir(), "mesosctl-"+strconv.Itoa(os.Getuid()))
}

// Socket is the path of the daemon's socket in dir.
func Socket(dir string) string { return filepath.Join(dir, SocketName) }

// EnsureDir creates dir with mode 0700, or checks that an existing one is
// a directory owned by the current user that no one else may enter.
func EnsureDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return checkDir(dir)
}

func checkDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory: remove it (mesosctl keeps its SSH connection socket there)", dir)
	case !ok || int(st.Uid) != os.Getuid():
		return fmt.Errorf("%s belongs to another user: refusing to use it for the SSH connection socket", dir)
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("%s has mode %o: it must be 0700 (chmod 700 %s)", dir, fi.Mode().Perm(), dir)
	}
	return nil
}
