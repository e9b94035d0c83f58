package flags

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mesosctl/mesosctl/internal/agentd/api"
	"github.com/mesosctl/mesosctl/internal/mesos"
	"github.com/mesosctl/mesosctl/internal/mesos/stout"
)

// Source says where a flag's value came from.
type Source string

// Sources, from lowest to highest precedence.
const (
	FromDefault     Source = "default"
	FromEnv         Source = "environment"
	FromConfigDir   Source = "config_dir"
	FromCommandLine Source = "command line"
)

// ErrHelp and ErrVersion are returned by Load when --help / --version was
// given; the caller prints Usage / the version and exits 0.
var (
	ErrHelp    = errors.New("help requested")
	ErrVersion = errors.New("version requested")
)

// Values are the loaded flags.
type Values struct {
	vals   map[string]string
	source map[string]Source
	// raw holds secret-bearing flags as given (before file:// was read),
	// for their redacted display (api.RedactFlag).
	raw map[string]string
	// Deprecated lists aliases that were used ("Loaded deprecated flag 'x'").
	Deprecated []string
	// Ignored lists the command-line arguments that are not flags, and
	// those after "--": a Mesos agent skips them silently; agentd names
	// them in a warning.
	Ignored []string

	// shownMap caches Map (every /state and /flags request asks for it);
	// Set clears it.
	mu       sync.Mutex
	shownMap map[string]string
}

// Get returns the value of name and whether it has one.
func (v *Values) Get(name string) (string, bool) {
	s, ok := v.vals[name]
	return s, ok
}

// String returns the value of name ("" if unset).
func (v *Values) String(name string) string { return v.vals[name] }

// Source reports where the value of name came from.
func (v *Values) Source(name string) Source { return v.source[name] }

// Bool returns a boolean flag (false if unset).
func (v *Values) Bool(name string) bool { b, _ := stout.ParseBool(v.vals[name]); return b }

// Given reports whether name was given (command line, flag file or
// environment) rather than left at its default.
func (v *Values) Given(name string) bool {
	src, ok := v.source[name]
	return ok && src != FromDefault
}

// Int returns an integer flag (0 if unset).
func (v *Values) Int(name string) int { n, _ := strconv.Atoi(v.vals[name]); return n }

// Float returns a double flag (0 if unset).
func (v *Values) Float(name string) float64 { f, _ := strconv.ParseFloat(v.vals[name], 64); return f }

// Duration returns a duration flag (0 if unset).
func (v *Values) Duration(name string) time.Duration {
	d, _ := mesos.ParseDuration(v.vals[name])
	return d
}

// Map returns the flags a Mesos 1.11 agent shows (/flags, /state,
// GET_FLAGS): every flag with a default in a default Linux build, and every
// flag given; values as stout renders them, secrets redacted
// (api.RedactFlag). config_dir, ours, is not shown.
func (v *Values) Map() map[string]string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.shownMap == nil {
		v.shownMap = make(map[string]string, len(v.vals))
		for k := range v.vals {
			if v.shown(k) {
				v.shownMap[k] = v.Shown(k)
			}
		}
	}
	return maps.Clone(v.shownMap)
}

func (v *Values) shown(name string) bool {
	if name == configDir.Name {
		return false
	}
	if v.Given(name) {
		return true
	}
	spec, ok := Lookup(name)
	return ok && spec.HasDefault && !spec.Build.Optional()
}

// NoEffect returns the flags given with a value other than their default
// that agentd accepts without acting on them (Effect Warned), sorted by
// name: the agent names them in one start-up warning.
func (v *Values) NoEffect() []*Spec {
	var out []*Spec
	for i := range Table {
		s := &Table[i]
		if s.Effect == Warned && v.Given(s.Name) && !(s.HasDefault && v.vals[s.Name] == s.DefaultValue()) {
			out = append(out, s)
		}
	}
	return out
}

// Shown is the value of name for display: secrets redacted, paths kept.
func (v *Values) Shown(name string) string {
	if api.SecretFlag(name) {
		raw, ok := v.raw[name]
		if !ok {
			raw = v.vals[name]
		}
		return api.RedactFlag(name, raw)
	}
	return v.vals[name]
}

// CommandLine renders the values as Mesos logs them at start-up
// ("--name=value" sorted by name), secrets redacted.
func (v *Values) CommandLine() string {
	names := make([]string, 0, len(v.vals))
	for k := range v.vals {
		if v.shown(k) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("--%s=%q", n, v.Shown(n))
	}
	return strings.Join(parts, " ")
}

// RedactArgs returns a command line with the values of secret-bearing
// flags redacted (api.RedactFlag), in both the --name=value and the
// --name value forms: for showing agentd's own command line.
func RedactArgs(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i := 0; i < len(out); i++ {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(out[i], "--"), "=")
		if !strings.HasPrefix(out[i], "--") || !api.SecretFlag(name) {
			continue
		}
		if hasValue {
			out[i] = "--" + name + "=" + api.RedactFlag(name, value)
		} else if i+1 < len(out) {
			out[i+1] = api.RedactFlag(name, out[i+1])
			i++
		}
	}
	return out
}

// setRaw records the value of a secret-bearing flag as given.
func (v *Values) setRaw(name, given string) {
	if api.SecretFlag(name) {
		if v.raw == nil {
			v.raw = map[string]string{}
		}
		v.raw[name] = given
	}
}

// Set overrides a value (tests and programmatic configuration).
func (v *Values) Set(name, value string) error {
	def, ok := Lookup(name)
	if !ok {
		return fmt.Errorf("Failed to load unknown flag '%s'", name)
	}
	val, err := normalize(def, value)
	if err != nil {
		return err
	}
	v.vals[def.Name] = val
	v.source[def.Name] = FromCommandLine
	v.setRaw(def.Name, value)
	v.mu.Lock()
	v.shownMap = nil
	v.mu.Unlock()
	return nil
}

type assignment struct {
	name  string // as written
	value string
	bare  bool // --name without value
	neg   bool // --no-name
	where string
}

// Load builds the flag values from argv (without the program name), the
// environment (os.Environ form) and the config_dir named by argv, env or
// the default. Precedence: command line > config_dir files > MESOS_* env >
// defaults. It returns ErrHelp / ErrVersion for --help / --version.
func Load(args, environ []string) (*Values, error) {
	// --help and --version win over load errors, as in Mesos' main.
	for _, a := range cli0(args) {
		if on, _ := stout.ParseBool(a.Value); on || !a.HasValue {
			switch {
			case a.Name == "help" && !a.Negated:
				return nil, ErrHelp
			case a.Name == "version" && !a.Negated:
				return nil, ErrVersion
			}
		}
	}
	cli, ignored, err := parseArgs(args, "command line")
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, kv := range environ {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "MESOS_") {
			continue
		}
		env[strings.ToLower(strings.TrimPrefix(k, "MESOS_"))] = val
	}

	// Locate config_dir: command line, then environment, then default.
	configDir, explicit := ConfigDirDefault, false
	if val, ok := env["config_dir"]; ok {
		configDir, explicit = val, true
	}
	for _, a := range cli {
		if a.name == "config_dir" {
			if a.neg {
				return nil, fmt.Errorf("Failed to load non-boolean flag 'config_dir' via '%s'", a.name)
			}
			configDir, explicit = a.value, true
		}
	}
	var fromDir []assignment
	if configDir != "" {
		fromDir, err = readConfigDir(configDir, explicit)
		if err != nil {
			return nil, err
		}
	}

	v := &Values{vals: map[string]string{}, source: map[string]Source{}, Ignored: ignored}
	for _, def := range all() {
		if def.HasDefault {
			v.vals[def.Name] = def.DefaultValue()
			v.source[def.Name] = FromDefault
		}
	}
	// Environment: unknown names are ignored, as in Mesos.
	envNames := make([]string, 0, len(env))
	for k := range env {
		envNames = append(envNames, k)
	}
	sort.Strings(envNames)
	for _, k := range envNames {
		def, ok := Lookup(k)
		if !ok || k == "help" || k == "version" {
			continue
		}
		val, err := resolve(def, env[k], "environment variable MESOS_"+strings.ToUpper(k))
		if err != nil {
			return nil, err
		}
		v.vals[def.Name] = val
		v.source[def.Name] = FromEnv
		v.setRaw(def.Name, env[k])
	}
	if err := v.apply(fromDir, FromConfigDir); err != nil {
		return nil, err
	}
	if err := v.apply(cli, FromCommandLine); err != nil {
		return nil, err
	}
	v.vals["config_dir"] = configDir
	v.source["config_dir"] = FromDefault
	if _, ok := v.vals["work_dir"]; !ok || v.vals["work_dir"] == "" {
		return nil, errors.New("Flag 'work_dir' is required, but it was not provided")
	}
	if err := v.validate(); err != nil {
		return nil, err
	}
	return v, nil
}

// validate applies the checks Mesos' agent makes of single flags and of
// pairs (src/slave/flags.cpp validators, src/slave/main.cpp) and fills in
// the values it derives.
func (v *Values) validate() error {
	for _, pair := range [][2]string{{"master", "master_detector"}, {"ip", "ip_discovery_command"},
		{"ip6", "ip6_discovery_command"}, {"modules", "modules_dir"}} {
		if v.Given(pair[0]) && v.Given(pair[1]) {
			return fmt.Errorf("Only one of --%s or --%s should be specified", pair[0], pair[1])
		}
	}
	if d := v.Duration("executor_reregistration_timeout"); d > 15*time.Second {
		return fmt.Errorf("Failed to load flag 'executor_reregistration_timeout': Expected `--executor_reregistration_timeout` to be not more than 15secs, got %s", v.vals["executor_reregistration_timeout"])
	}
	if d := v.Duration("registration_backoff_factor"); d > time.Minute {
		return fmt.Errorf("Expected --registration_backoff_factor to be not greater than 1mins, got %s", v.vals["registration_backoff_factor"])
	}
	if h := v.Float("gc_disk_headroom"); h < 0 || h > 1 {
		return fmt.Errorf("Invalid value '%s' for --gc_disk_headroom. Must be between 0.0 and 1.0", v.vals["gc_disk_headroom"])
	}
	switch v.vals["logging_level"] {
	case "INFO", "WARNING", "ERROR":
	default:
		return fmt.Errorf("'%s' is not a valid logging level. Possible values for 'logging_level' flag are: 'INFO', 'WARNING', 'ERROR'", v.vals["logging_level"])
	}
	if d, ok := v.vals["domain"]; ok && !strings.Contains(d, `"fault_domain"`) {
		return fmt.Errorf("Failed to load flag 'domain': the domain must have a 'fault_domain' (e.g. {\"fault_domain\":{\"region\":{\"name\":\"r1\"},\"zone\":{\"name\":\"z1\"}}})")
	}
	if v.Bool("http_executor_domain_sockets") && !v.Given("domain_socket_location") {
		v.vals["domain_socket_location"] = filepath.Join(v.vals["runtime_dir"], "agent.sock")
		v.source["domain_socket_location"] = FromCommandLine // shown, as Mesos fills it in
	}
	return nil
}

// apply loads one layer; a flag given twice within the layer is an error.
func (v *Values) apply(as []assignment, src Source) error {
	seen := map[string]string{}
	for _, a := range as {
		def, ok := Lookup(a.name)
		if !ok {
			if strings.HasPrefix(a.name, "no-") {
				if d2, ok2 := Lookup(strings.TrimPrefix(a.name, "no-")); ok2 {
					def, a.neg = d2, true
					ok = true
				}
			}
			if !ok {
				return fmt.Errorf("Failed to load unknown flag '%s'%s", a.name, at(a.where))
			}
		}
		if prev, dup := seen[def.Name]; dup {
			return fmt.Errorf("Flag '%s' is already loaded via name '%s'%s", strings.TrimPrefix(a.name, "no-"), prev, at(a.where))
		}
		seen[def.Name] = strings.TrimPrefix(a.name, "no-")
		if def.Alias != "" && strings.TrimPrefix(a.name, "no-") == def.Alias {
			v.Deprecated = append(v.Deprecated, def.Alias)
		}
		var val string
		switch {
		case a.neg:
			if def.Type != TypeBool {
				return fmt.Errorf("Failed to load non-boolean flag '%s' via '%s'%s", def.Name, a.name, at(a.where))
			}
			if !a.bare {
				return fmt.Errorf("Failed to load boolean flag '%s' via '%s' with value '%s'%s", def.Name, a.name, a.value, at(a.where))
			}
			val = "false"
		case a.bare:
			if def.Type != TypeBool {
				return fmt.Errorf("Failed to load non-boolean flag '%s': Missing value%s", def.Name, at(a.where))
			}
			val = "true"
		default:
			var err error
			val, err = resolve(def, a.value, a.where)
			if err != nil {
				return err
			}
		}
		v.vals[def.Name] = val
		v.source[def.Name] = src
		if !a.bare && !a.neg {
			v.setRaw(def.Name, a.value)
		}
	}
	return nil
}

func at(where string) string {
	if where == "" || where == "command line" {
		return ""
	}
	return " (from " + where + ")"
}

// resolve expands file:// (except for path flags) and validates the value.
func resolve(def *Spec, value, where string) (string, error) {
	if def.Type != TypePath && strings.HasPrefix(value, "file://") {
		path := strings.TrimPrefix(value, "file://")
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("Failed to load flag '%s'%s: failed to read '%s': %v", def.Name, at(where), path, err)
		}
		value = strings.TrimRight(string(b), "\n")
	}
	val, err := normalize(def, value)
	if err != nil {
		return "", fmt.Errorf("%v%s", err, at(where))
	}
	return val, nil
}

// normalize validates value for def and returns it as stout renders it.
func normalize(def *Spec, value string) (string, error) {
	out, err := def.Render(value)
	if err != nil {
		return "", fmt.Errorf("Failed to load flag '%s': Failed to load value '%s': %v", def.Name, value, err)
	}
	return out, nil
}

// cli0 is argv in stout's grammar, for the --help/--version check that
// comes before any load error.
func cli0(args []string) []stout.Arg {
	parsed, _ := stout.ParseArgs(args, func(name string) bool { _, ok := Lookup(name); return ok })
	return parsed
}

// parseArgs splits argv into assignments as stout's FlagsBase::load does
// (stout.ParseArgs): --name=value, --name and --no-name; arguments that
// are not flags, and everything after "--", are returned in ignored (a
// Mesos agent skips them; agentd warns about them). A separate
// "--name value" gives --name no value, so a non-boolean flag written that
// way fails with stout's "Missing value" error, plus how to write it.
func parseArgs(args []string, where string) (out []assignment, ignored []string, err error) {
	parsed, rest := stout.ParseArgs(args, func(name string) bool { _, ok := Lookup(name); return ok })
	next := stout.Following(args)
	for _, p := range parsed {
		if p.Name == "" {
			return nil, nil, fmt.Errorf("Failed to load flag '%s': empty name", strings.TrimSpace(p.Raw))
		}
		a := assignment{name: p.Name, value: p.Value, bare: !p.HasValue, neg: p.Negated, where: where}
		if p.Negated {
			a.name = "no-" + p.Name
		}
		if a.bare && !a.neg {
			if def, ok := Lookup(a.name); ok && def.Type != TypeBool {
				return nil, nil, stout.MissingValue(def.Name, next[p.Raw])
			}
		}
		out = append(out, a)
	}
	return out, rest, nil
}

var backupName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(dpkg-|rpmsave|rpmnew|rpmorig|~$|\.in$|^\.)`)
})

// readConfigDir turns a mesos-init-wrapper flag-file directory into
// assignments: regular files are --name=<content> (trailing newlines
// stripped), "?name" files are bare --name, attributes/ and resources/
// sub-directories give k:v pairs joined with ';'.
func readConfigDir(dir string, explicit bool) ([]assignment, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) && !explicit {
			return nil, nil
		}
		return nil, fmt.Errorf("Failed to load flag 'config_dir': cannot read directory '%s': %v", dir, err)
	}
	var out []assignment
	for _, e := range entries { // ReadDir sorts by name, like the shell glob
		name := e.Name()
		if backupName().MatchString(name) {
			continue
		}
		path := filepath.Join(dir, name)
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("Failed to load flag file '%s': %v", path, err)
		}
		if fi.IsDir() {
			if name != "attributes" && name != "resources" {
				continue
			}
			joined, err := joinDir(path)
			if err != nil {
				return nil, err
			}
			if joined != "" {
				out = append(out, assignment{name: name, value: joined, where: "directory " + path})
			}
			continue
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		if bare, ok := strings.CutPrefix(name, "?"); ok {
			a := assignment{name: bare, bare: true, where: "file " + path}
			if strings.HasPrefix(bare, "no-") {
				if _, known := Lookup(bare); !known {
					a.neg = true
				}
			}
			out = append(out, a)
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("Failed to load flag '%s': cannot read flag file '%s': %v", name, path, err)
		}
		out = append(out, assignment{name: name, value: strings.TrimRight(string(b), "\n"), where: "file " + path})
	}
	return out, nil
}

func joinDir(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("Failed to read flag directory '%s': %v", dir, err)
	}
	var parts []string
	for _, e := range entries {
		if backupName().MatchString(e.Name()) || e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("Failed to read flag file '%s': %v", path, err)
		}
		val := strings.TrimRight(string(b), "\n")
		if val == "" {
			continue
		}
		parts = append(parts, e.Name()+":"+val)
	}
	return strings.Join(parts, ";"), nil
}

// Usage renders Mesos-style help for prog.
func Usage(prog string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s [options]\n\n", prog)
	defs := append(all(), &configDir)
	sort.Slice(defs, func(i, j int) bool { return defs[i].Name < defs[j].Name })
	for _, def := range defs {
		flag := "--" + def.Name + "=VALUE"
		if def.Type == TypeBool {
			flag = "--[no-]" + def.Name
		}
		fmt.Fprintf(&b, "  %-45s %s", flag, def.Help)
		if def.HasDefault && def.Default != "" {
			fmt.Fprintf(&b, " (default: %s)", def.Default)
		}
		if def.Effect == Warned {
			fmt.Fprintf(&b, " [no effect in agentd: needs %s]", def.Needs)
		}
		if def.Build == BuildMesosctl {
			b.WriteString(" [not a Mesos flag]")
		}
		b.WriteByte('\n')
	}
	b.WriteString("\nFlags are also read from MESOS_<NAME> environment variables and from the\n" +
		"files of --config_dir (default " + ConfigDirDefault + "); the command line wins over\n" +
		"config_dir files, which win over the environment.\n")
	return b.String()
}
