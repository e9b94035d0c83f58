package cmdutil

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/mesos/stout"
)

// ParseStoutFlags parses args into cmd's flags in stout's grammar, for the
// Mesos personalities (a command with DisableFlagParsing, e.g.
// mesos-execute): only --name=value, --name and --no-name are flags;
// "--name" alone on a non-boolean flag is stout's "Missing value" error
// with how to write it (a separate "--name value" is not read); other
// arguments, and everything after "--", are returned as ignored, as a
// Mesos binary skips them. Errors are usage errors; unknown flags go
// through cmd's flag error function. It reports whether --help was given.
func ParseStoutFlags(cmd *cobra.Command, args []string) (ignored []string, help bool, err error) {
	fs := cmd.Flags()
	parsed, rest := stout.ParseArgs(args, func(name string) bool { return fs.Lookup(name) != nil })
	next := stout.Following(args)
	var flagArgs []string
	for _, p := range parsed {
		f := fs.Lookup(p.Name)
		boolean := f != nil && f.Value.Type() == "bool"
		switch {
		case p.Negated && f != nil && !boolean:
			return nil, false, FlagErrorf("Failed to load non-boolean flag '%s' via 'no-%s'", p.Name, p.Name)
		case p.Negated:
			flagArgs = append(flagArgs, "--no-"+p.Name+valuePart(p))
		case f != nil && !boolean && !p.HasValue:
			return nil, false, &FlagError{Err: stout.MissingValue(p.Name, next[p.Raw])}
		default:
			flagArgs = append(flagArgs, "--"+p.Name+valuePart(p))
		}
	}
	if err := fs.Parse(flagArgs); err != nil {
		return nil, false, cmd.FlagErrorFunc()(cmd, err)
	}
	if h := fs.Lookup("help"); h != nil && h.Changed {
		help = h.Value.String() == "true"
	}
	return rest, help, nil
}

func valuePart(a stout.Arg) string {
	if !a.HasValue {
		return ""
	}
	return "=" + a.Value
}

// WarnIgnored names the arguments a Mesos personality skipped.
func WarnIgnored(w io.Writer, prog string, ignored []string) {
	if len(ignored) > 0 {
		fmt.Fprintf(w, "%s: ignoring arguments that are not flags: '%s' (flags are written --name=value)\n",
			prog, strings.Join(ignored, "' '"))
	}
}
