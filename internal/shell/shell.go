// Package shell builds POSIX shell command lines: quoting of one word, and
// the sudo wrapper that runs a command as root on a node whose SSH user is
// not root. It is the one home of both for the CLI, the agent config engine
// and the test harness.
package shell

import "strings"

// Quote returns s as one single-quoted shell word: any string, including
// one with quotes, spaces or metacharacters, reaches the program unchanged.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// AsRoot returns the command line that runs cmd as root for an SSH login
// as user: cmd itself for root, otherwise `sudo -n -- sh -c 'cmd'` (-n:
// fail at once instead of prompting for a password).
func AsRoot(cmd, user string) string {
	if user == "root" {
		return cmd
	}
	return "sudo -n -- sh -c " + Quote(cmd)
}
