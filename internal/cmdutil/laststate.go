package cmdutil

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The outcome of the last fan-out is kept in the user's state directory,
// so that the next command can name its nodes as @failed and @succeeded.

// StateGroups are the node-set groups that name the nodes of the last
// fan-out (ex, agent ps, tree) by outcome.
var StateGroups = []string{"failed", "succeeded"}

// StateDir is mesosctl's state directory: $XDG_STATE_HOME/mesosctl, else
// ~/.local/state/mesosctl.
func StateDir(getenv func(string) string) string {
	if d := getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "mesosctl")
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".local", "state", "mesosctl")
}

// RecordOutcome writes the failed and succeeded nodes of a fan-out (one
// name a line, each file replaced atomically).
func RecordOutcome(getenv func(string) string, failed, succeeded []string) error {
	dir := StateDir(getenv)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for name, nodes := range map[string][]string{"failed": failed, "succeeded": succeeded} {
		tmp, err := os.CreateTemp(dir, "."+name+"-*")
		if err != nil {
			return err
		}
		for _, n := range nodes {
			fmt.Fprintln(tmp, n)
		}
		if err := tmp.Close(); err != nil {
			os.Remove(tmp.Name())
			return err
		}
		if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
			os.Remove(tmp.Name())
			return err
		}
	}
	return nil
}

// stateGroup reads @failed or @succeeded.
func stateGroup(getenv func(string) string, name string) ([]string, error) {
	p := filepath.Join(StateDir(getenv), name)
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("@%s: no fan-out has been recorded yet (%s)", name, p)
	}
	if err != nil {
		return nil, err
	}
	nodes := strings.Fields(string(b))
	if len(nodes) == 0 {
		return nil, fmt.Errorf("@%s: no node %s in the last fan-out", name, name)
	}
	return nodes, nil
}
