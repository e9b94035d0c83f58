package nodeset

import (
	"errors"
	"strings"
)

// EnvVar names the environment variable that holds the default node set,
// used when a command is given none (NODES=lxb00[1-4] mesosctl ex uptime).
const EnvVar = "NODES"

// ErrNoNodeSet is returned by FromArgsOrEnv when neither arguments nor
// $NODES give a node set.
var ErrNoNodeSet = errors.New("no node set given: pass NODESET (e.g. lxb00[1-4]) or set NODES")

// FromArgsOrEnv joins the node set arguments with ',' or, when there are
// none, returns $NODES (read through getenv, normally os.Getenv).
func FromArgsOrEnv(args []string, getenv func(string) string) (string, error) {
	var parts []string
	for _, a := range args {
		if strings.TrimSpace(a) != "" {
			parts = append(parts, a)
		}
	}
	if len(parts) > 0 {
		return strings.Join(parts, ","), nil
	}
	if getenv != nil {
		if v := strings.TrimSpace(getenv(EnvVar)); v != "" {
			return v, nil
		}
	}
	return "", ErrNoNodeSet
}

// ExpandExclude expands expr and removes every node of the exclude node
// sets (each expanded on its own, as given to -x/--exclude).
func ExpandExclude(expr string, exclude []string, groups GroupResolver) ([]string, error) {
	names, err := Expand(expr, groups)
	if err != nil || len(exclude) == 0 {
		return names, err
	}
	drop := map[string]bool{}
	for _, x := range exclude {
		x = strings.TrimPrefix(strings.TrimSpace(x), "!")
		if x == "" {
			continue
		}
		xs, err := Expand(x, groups)
		if err != nil {
			return nil, err
		}
		for _, n := range xs {
			drop[n] = true
		}
	}
	out := names[:0]
	for _, n := range names {
		if !drop[n] {
			out = append(out, n)
		}
	}
	return out, nil
}
