package stout

import (
	"fmt"
	"strings"
)

// Arg is one command-line element in stout's grammar.
type Arg struct {
	Name     string // lower-cased, without "--" and without "no-" when Negated
	Value    string
	HasValue bool // --name=value (Value may be empty)
	Negated  bool // --no-name
	Raw      string
}

// ParseArgs splits argv the way stout's FlagsBase::load does: every
// element is trimmed; "--" ends the flags; elements not starting with "--"
// are returned in rest (a Mesos agent ignores them; other programs may
// refuse them). --name=value, --name and --no-name are the only forms: a
// separate "--name value" gives --name no value. isFlag reports whether a
// name (after lower-casing) is a known flag, so that a flag whose own name
// starts with "no-" is not taken for a negation.
func ParseArgs(argv []string, isFlag func(string) bool) (args []Arg, rest []string) {
	for i, raw := range argv {
		s := strings.TrimSpace(raw)
		if s == "--" {
			rest = append(rest, argv[i+1:]...)
			break
		}
		if !strings.HasPrefix(s, "--") {
			rest = append(rest, raw)
			continue
		}
		body := s[2:]
		name, value, has := strings.Cut(body, "=")
		a := Arg{Name: strings.ToLower(name), Value: value, HasValue: has, Raw: raw}
		if base, ok := strings.CutPrefix(a.Name, "no-"); ok && !isFlag(a.Name) {
			a.Name, a.Negated = base, true
		}
		args = append(args, a)
	}
	return args, rest
}

// MissingValue is stout's error for a non-boolean flag given without a
// value ("--name" alone), with how to write it. after is the argument that
// followed the flag on the command line ("" if none): the value meant in
// the "--name value" form, which stout does not read.
func MissingValue(name, after string) error {
	hint := "write --" + name + "=VALUE"
	if after != "" && !strings.HasPrefix(after, "-") {
		hint = "write --" + name + "=" + after + ": Mesos flags take their value after '=', a separate '" + after + "' is not read"
	}
	return fmt.Errorf("Failed to load non-boolean flag '%s': Missing value (%s)", name, hint)
}

// Following returns, for each raw argument of argv, the argument after it
// (the first occurrence wins): what MissingValue names as the value meant.
func Following(argv []string) map[string]string {
	next := make(map[string]string, len(argv))
	for i := 0; i+1 < len(argv); i++ {
		if _, seen := next[argv[i]]; !seen {
			next[argv[i]] = argv[i+1]
		}
	}
	return next
}
