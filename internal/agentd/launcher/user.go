package launcher

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
)

// Account is what a task needs of the user it runs as: ids, supplementary
// groups and home directory.
type Account struct {
	Name   string
	UID    uint32
	GID    uint32
	Groups []uint32 // supplementary groups, as initgroups(3) would set them
	Home   string
}

// UnknownUserError: no such user on this host. Its text is the one Mesos'
// agent reports (stout's chown: "No such user 'x'").
type UnknownUserError struct{ Name string }

func (e *UnknownUserError) Error() string { return "No such user '" + e.Name + "'" }

// LookupUser resolves name through /etc/passwd and /etc/group, then (for
// accounts of LDAP, sssd and the like, which a static binary cannot see
// through NSS) through getent(1). A user that exists nowhere is an
// *UnknownUserError: the caller must refuse to run anything, never fall
// back to its own (root) identity.
func LookupUser(name string) (*Account, error) {
	if name == "" {
		return nil, &UnknownUserError{Name: name}
	}
	if u, err := user.Lookup(name); err == nil {
		a, err := accountOf(u.Username, u.Uid, u.Gid, u.HomeDir)
		if err != nil {
			return nil, err
		}
		if gids, err := u.GroupIds(); err == nil {
			a.Groups = parseGIDs(gids)
		}
		return withNSSGroups(a), nil
	} else if !errors.As(err, new(user.UnknownUserError)) {
		return nil, fmt.Errorf("Failed to get user information for '%s': %v", name, err)
	}
	out, err := exec.Command(getent(), "passwd", name).Output()
	if err != nil {
		// getent exits 2 for an unknown key; a missing getent knows no more
		// than /etc/passwd did.
		return nil, &UnknownUserError{Name: name}
	}
	f := strings.Split(strings.TrimSpace(string(out)), ":")
	if len(f) < 7 || f[0] != name {
		return nil, &UnknownUserError{Name: name}
	}
	a, err := accountOf(f[0], f[2], f[3], f[5])
	if err != nil {
		return nil, err
	}
	return withNSSGroups(a), nil
}

// CurrentAccount is the account of the effective user of this process.
func CurrentAccount() (*Account, error) {
	u, err := user.LookupId(strconv.Itoa(os.Geteuid()))
	if err != nil {
		return &Account{Name: strconv.Itoa(os.Geteuid()), UID: uint32(os.Geteuid()), GID: uint32(os.Getegid()), Home: "/"}, nil
	}
	return accountOf(u.Username, u.Uid, u.Gid, u.HomeDir)
}

func accountOf(name, uid, gid, home string) (*Account, error) {
	u, err1 := strconv.ParseUint(uid, 10, 32)
	g, err2 := strconv.ParseUint(gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("Failed to get user information for '%s': bad uid %q or gid %q", name, uid, gid)
	}
	return &Account{Name: name, UID: uint32(u), GID: uint32(g), Home: home}, nil
}

// withNSSGroups adds the groups getent(1) knows for the user (initgroups
// database) to those of /etc/group.
func withNSSGroups(a *Account) *Account {
	out, err := exec.Command(getent(), "initgroups", a.Name).Output()
	if err == nil {
		f := strings.Fields(string(out))
		if len(f) > 1 && f[0] == a.Name {
			a.Groups = append(a.Groups, parseGIDs(f[1:])...)
		}
	}
	seen := map[uint32]bool{}
	var groups []uint32
	for _, g := range append([]uint32{a.GID}, a.Groups...) {
		if !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
	}
	a.Groups = groups
	return a
}

// getent is the getent(1) to run: from PATH, else where Debian and RHEL
// install it (a task's PATH may not have it).
func getent() string {
	if p, err := exec.LookPath("getent"); err == nil {
		return p
	}
	return "/usr/bin/getent"
}

func parseGIDs(ss []string) []uint32 {
	var out []uint32
	for _, s := range ss {
		if n, err := strconv.ParseUint(s, 10, 32); err == nil {
			out = append(out, uint32(n))
		}
	}
	return out
}

// Credential is what the kernel needs to switch to the account (setgroups,
// setgid, setuid, in that order), or nil when the process already runs as
// that user.
func (a *Account) Credential() *syscall.Credential {
	if a.UID == uint32(os.Geteuid()) {
		return nil
	}
	return &syscall.Credential{Uid: a.UID, Gid: a.GID, Groups: a.Groups}
}

// Chown gives path (not recursively, symbolic links not followed) to the
// account.
func (a *Account) Chown(path string) error {
	return os.Lchown(path, int(a.UID), int(a.GID))
}
