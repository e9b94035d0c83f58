package flags

import (
	"fmt"
	"strings"
)

// MarkdownTable renders Table for docs/compatibility.md (written by
// `make docs`, internal/docgen): every Mesos 1.11
// agent flag with its type, its /flags default, the builds that have it
// and what agentd does with it; then mesosctl's own flags (Ours), whose
// build column says "none: mesosctl only".
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| flag | type | default in /flags | Mesos build | agentd |\n|---|---|---|---|---|\n")
	for _, s := range all() {
		name := "`" + s.Name + "`"
		if s.Alias != "" {
			name += " (alias `" + s.Alias + "`)"
		}
		def := "—"
		switch {
		case s.Required:
			def = "required"
		case s.HasDefault && s.Default == "":
			def = `""`
		case s.HasDefault:
			def = "`" + s.Default + "`"
			if s.Computed {
				def += " (computed)"
			}
		}
		effect := "acted on"
		if s.Effect == Warned {
			effect = "warned: needs " + s.Needs
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", name, s.Type, def, s.Build, effect)
	}
	return b.String()
}
