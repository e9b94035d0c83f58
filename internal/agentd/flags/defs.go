// Package flags is the agent's flags: every flag of the Mesos 1.11 agent
// (Table: name, type, default, build, and whether agentd acts on it), and
// the loader that reads them the way a Mesos agent started by
// mesos-init-wrapper sees them: command line in stout's grammar
// (--name=value, and --name / --no-name for booleans; a separate
// "--name value" is refused as stout refuses it, and arguments that are not
// flags are skipped with a warning), a flag-file directory (--config_dir, default /etc/mesos-slave), MESOS_*
// environment variables, and defaults, in that order of precedence.
// Values may be file:///path references (except for path-typed flags).
// Values are kept as stout renders them, which is what /flags shows.
package flags

import "sync"

// ConfigDirDefault is the default flag-file directory.
const ConfigDirDefault = "/etc/mesos-slave"

// configDir is the flag naming the flag-file directory: ours (the
// mesos-init-wrapper convention read by the agent itself), not Mesos'.
var configDir = Spec{Name: "config_dir", Type: TypePath, Default: ConfigDirDefault, HasDefault: true,
	Effect: Acted, Help: "flag-file directory in mesos-init-wrapper convention (mesosctl's; not shown in /flags)"}

var byName = sync.OnceValue(func() map[string]*Spec {
	m := map[string]*Spec{configDir.Name: &configDir}
	for i := range Ours {
		m[Ours[i].Name] = &Ours[i]
	}
	for i := range Table {
		m[Table[i].Name] = &Table[i]
		if Table[i].Alias != "" {
			m[Table[i].Alias] = &Table[i]
		}
	}
	return m
})

// Lookup returns the flag name (or the flag a deprecated alias names).
func Lookup(name string) (*Spec, bool) {
	def, ok := byName()[name]
	return def, ok
}
