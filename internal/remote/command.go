package remote

import (
	"strconv"
	"strings"

	"github.com/mesosctl/mesosctl/internal/shell"
)

// guardScript runs a command so that it cannot outlive its SSH channel:
// the command runs in the background with stdin from /dev/null, in the
// session's process group, while a watcher reads the channel's stdin
// (which mesosctl holds open and never writes). When the channel closes
// (mesosctl cancelled it, or the connection is gone), the watcher reads
// EOF and kills the whole process group, itself included; when the
// command ends first, the watcher is stopped and the command's exit status
// is passed on. $1 is the shell that runs the command (empty: $SHELL, the
// login shell sshd would have used), $2 the command.
const guardScript = `exec 3<&0 </dev/null; "${1:-${SHELL:-/bin/sh}}" -c "$2" & c=$!; { while read -r _ <&3; do :; done; kill -KILL 0; } >/dev/null 2>&1 & w=$!; exec 3<&-; wait $c; s=$?; kill $w 2>/dev/null; exit $s`

// Guard wraps cmd in the guard script: run by sh, the command itself by
// shellPath (empty: the login shell, as without the guard). Its stdin must
// be held open until the command is done: EOF on it kills the command's
// process group.
func Guard(cmd, shellPath string) string {
	return "exec sh -c " + shell.Quote(guardScript) + " mesosctl-guard " + shell.Quote(shellPath) + " " + shell.Quote(cmd)
}

// Command is the command line sent to a node for cmd: as root through
// `sudo -n` when root is set and user is not root (see shell.AsRoot), and
// wrapped in the guard when guard is set. Under sudo the guard always goes
// inside: signals sent by sshd as the SSH user cannot reach the root
// processes, but the guard runs as root and can.
func Command(cmd, user string, root, guard bool) string {
	if root && user != "root" {
		return shell.AsRoot(Guard(cmd, "sh"), user)
	}
	if guard {
		return Guard(cmd, "")
	}
	return cmd
}

// needsGuard reports whether Command wraps cmd in the guard for these
// settings: always under sudo, otherwise when signals cannot be used.
func needsGuard(user string, root, signals bool) bool {
	return (root && user != "root") || !signals
}

// SignalsHonoured reports whether a server that announced version (its
// SSH identification string, e.g. "SSH-2.0-OpenSSH_9.2p1 Debian-2") acts
// on the SSH "signal" channel request for a login as user: OpenSSH's sshd
// does since 7.9, sending the signal to the session's whole process group
// (killpg), but before 10.0 it refuses to for root logins ("session
// signalling requires privilege separation": root sessions ran without the
// privilege-separated child). Other servers may ignore it. Where it is not
// honoured, mesosctl relies on the guard.
func SignalsHonoured(version, user string) bool {
	_, rest, ok := strings.Cut(version, "OpenSSH_")
	if !ok {
		return false
	}
	major, rest, ok := strings.Cut(rest, ".")
	if !ok {
		return false
	}
	maj, err := strconv.Atoi(major)
	if err != nil {
		return false
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	minor, err := strconv.Atoi(rest[:end])
	if err != nil {
		return false
	}
	if user == "root" {
		return maj >= 10
	}
	return maj > 7 || (maj == 7 && minor >= 9)
}
