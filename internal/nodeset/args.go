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

// WithExclude appends exclusions (each a node set, as given to -x/--exclude)
// to expr.
func WithExclude(expr string, exclude []string) string {
	for _, x := range exclude {
		for _, e := range splitTop(x) {
			if e = strings.TrimSpace(e); e != "" {
				expr += "!" + strings.TrimPrefix(e, "!")
			}
		}
	}
	return expr
}

// splitTop splits s at commas outside brackets.
func splitTop(s string) []string {
	var out []string
	br, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			br++
		case ']':
			br--
		case ',':
			if br == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
