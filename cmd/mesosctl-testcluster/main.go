// Command mesosctl-testcluster starts, shows and tears down the multi-node
// test cluster on one machine (internal/testcluster), and is the init and
// the systemctl shim inside its nodes. It is a developer tool used by
// `make demo`, scripts/cluster.sh and the end-to-end tests; it is not part
// of the mesosctl release. See docs/testcluster.md.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Exit codes: 0 ok, 1 error, 2 bad flags or arguments; `systemctl` passes
// the shim's own (systemctl's) exit code through.
const (
	exitError = 1
	exitUsage = 2
)

// usageError is a bad flag or argument: nothing was done, exit 2.
type usageError struct{ error }

// exitStatus asks for an exit code without a message.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func main() {
	cmd := newCmdRoot(os.Stdout, os.Stderr)
	err := cmd.Execute()
	if err != nil && strings.HasPrefix(err.Error(), "unknown command ") {
		err = usageError{err}
	}
	var ue usageError
	var es exitStatus
	switch {
	case err == nil:
	case errors.As(err, &es):
		os.Exit(int(es))
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "mesosctl-testcluster: %v\nRun 'mesosctl-testcluster --help' for usage.\n", err)
		os.Exit(exitUsage)
	default:
		fmt.Fprintf(os.Stderr, "mesosctl-testcluster: %v\n", err)
		os.Exit(exitError)
	}
}
