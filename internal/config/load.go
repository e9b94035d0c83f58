package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"gopkg.in/yaml.v3"

	"github.com/mesosctl/mesosctl/internal/nodeset"
)

// EnvPrefix starts every environment variable mesosctl reads for its
// defaults: MESOSCTL_FANOUT, MESOSCTL_CONNECT_TIMEOUT, MESOSCTL_ZOOKEEPER…
const EnvPrefix = "MESOSCTL_"

// EnvConfig names the variable that points at the configuration file when
// no --config flag is given.
const EnvConfig = "MESOSCTL_CONFIG"

// LoadOptions says where the configuration comes from.
type LoadOptions struct {
	// Path is the --config flag; "" means $MESOSCTL_CONFIG, then
	// DefaultPath(). A missing explicit file is an error, a missing default
	// file is not.
	Path string
	// Flags are the executing command's flags. A flag whose name matches a
	// defaults key with '-' for '_' (fanout, connect-timeout, zookeeper,
	// master, ssh-user, …) overrides file and environment when it was set
	// on the command line.
	Flags *pflag.FlagSet
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// Error is a problem with the configuration a user must fix (bad YAML,
// unknown keys, invalid values). Commands report it as a usage error.
type Error struct {
	Path string // file, or "" when the problem is in the environment or flags
	Line int    // 1-based, 0 when unknown
	Msg  string
}

func (e *Error) Error() string {
	switch {
	case e.Path != "" && e.Line > 0:
		return fmt.Sprintf("config %s: line %d: %s", e.Path, e.Line, e.Msg)
	case e.Path != "":
		return fmt.Sprintf("config %s: %s", e.Path, e.Msg)
	}
	return "config: " + e.Msg
}

// DefaultPath returns $XDG_CONFIG_HOME/mesosctl/config.yaml, or
// ~/.config/mesosctl/config.yaml when XDG_CONFIG_HOME is unset.
func DefaultPath(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if x := getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "mesosctl", "config.yaml")
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".config", "mesosctl", "config.yaml")
}

// defaultsKeys lists the keys of the defaults section, with the Go kind of
// each field, in declaration order.
var defaultsKeys = func() []keyInfo {
	var out []keyInfo
	t := reflect.TypeFor[Defaults]()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		out = append(out, keyInfo{name: f.Tag.Get("mapstructure"), typ: f.Type})
	}
	return out
}()

type keyInfo struct {
	name string
	typ  reflect.Type
}

// DefaultsKeys returns the keys accepted in the defaults section (and, in
// upper case with EnvPrefix, as environment variables).
func DefaultsKeys() []string {
	out := make([]string, len(defaultsKeys))
	for i, k := range defaultsKeys {
		out[i] = k.name
	}
	return out
}

// EnvName returns the environment variable for a defaults key:
// connect_timeout -> MESOSCTL_CONNECT_TIMEOUT.
func EnvName(key string) string { return EnvPrefix + strings.ToUpper(key) }

// FlagName returns the flag name bound to a defaults key:
// connect_timeout -> connect-timeout.
func FlagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// Load reads the configuration: built-in defaults, then the file, then
// MESOSCTL_* variables, then flags set on the command line (each layer
// overriding the one before). All problems are *Error values.
func Load(opts LoadOptions) (*Config, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	path, explicit := opts.Path, true
	if path == "" {
		path = getenv(EnvConfig)
	}
	if path == "" {
		path, explicit = DefaultPath(getenv), false
	}

	cfg := &Config{}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		cfg.Path = path
		if err := decodeStrict(path, data, cfg); err != nil {
			return nil, err
		}
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		data = nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, &Error{Path: path, Msg: "file does not exist (check --config or " + EnvConfig + ")"}
	default:
		return nil, &Error{Path: path, Msg: err.Error()}
	}

	// One viper instance layers defaults < file < environment < flags for
	// the defaults section.
	v := viper.New()
	for _, k := range defaultsKeys {
		v.SetDefault("defaults."+k.name, builtinDefault(k.name))
	}
	fileDefaults := map[string]any{}
	if err := structToMap(cfg.Defaults, fileDefaults); err != nil {
		return nil, &Error{Path: path, Msg: err.Error()}
	}
	if err := v.MergeConfigMap(map[string]any{"defaults": fileDefaults}); err != nil {
		return nil, &Error{Path: path, Msg: err.Error()}
	}
	envDefaults := map[string]any{}
	for _, k := range defaultsKeys {
		name := EnvName(k.name)
		raw, ok := lookupEnv(getenv, name)
		if !ok {
			continue
		}
		val, err := parseValue(k.typ, raw)
		if err != nil {
			return nil, &Error{Msg: fmt.Sprintf("%s=%q: %v", name, raw, err)}
		}
		envDefaults[k.name] = val
	}
	if len(envDefaults) > 0 {
		if err := v.MergeConfigMap(map[string]any{"defaults": envDefaults}); err != nil {
			return nil, &Error{Msg: err.Error()}
		}
	}
	if opts.Flags != nil {
		for _, k := range defaultsKeys {
			if fl := opts.Flags.Lookup(FlagName(k.name)); fl != nil {
				if err := v.BindPFlag("defaults."+k.name, fl); err != nil {
					return nil, &Error{Msg: err.Error()}
				}
			}
		}
	}
	var d Defaults
	for _, k := range defaultsKeys {
		if err := assign(&d, k, v.Get("defaults."+k.name)); err != nil {
			return nil, &Error{Msg: fmt.Sprintf("%s: %v", k.name, err)}
		}
	}
	cfg.Defaults = d
	if err := validate(cfg, data); err != nil {
		return nil, err
	}
	return cfg, nil
}

func lookupEnv(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

func builtinDefault(key string) any {
	switch key {
	case "fanout":
		return DefaultFanout
	case "connect_timeout":
		return DefaultConnectTimeout
	case "command_timeout":
		return time.Duration(0)
	case "agent_port":
		return DefaultAgentPort
	case "ssh_port":
		return 0
	case "restart_command":
		return DefaultRestartCommand
	case "agent_config_dir":
		return DefaultAgentConfigDir
	case "agent_work_dir":
		return DefaultAgentWorkDir
	}
	return ""
}

// structToMap copies the non-zero fields the file set into m, so that an
// absent key falls through to the built-in default.
func structToMap(d Defaults, m map[string]any) error {
	rv := reflect.ValueOf(d)
	for i, k := range defaultsKeys {
		f := rv.Field(i)
		if !f.IsZero() {
			m[k.name] = f.Interface()
		}
	}
	return nil
}

func parseValue(t reflect.Type, raw string) (any, error) {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		d, err := time.ParseDuration(raw)
		if err != nil {
			return nil, fmt.Errorf("not a duration (use e.g. 10s, 2m)")
		}
		return d, nil
	case t.Kind() == reflect.Int:
		n, err := strconv.Atoi(raw)
		if err != nil {
			return nil, fmt.Errorf("not an integer")
		}
		return n, nil
	}
	return raw, nil
}

// assign stores val (from viper: the typed value of a layer, or a flag's
// string form) into the field of d named by k.
func assign(d *Defaults, k keyInfo, val any) error {
	f := reflect.ValueOf(d).Elem().FieldByIndex([]int{indexOf(k.name)})
	if val == nil {
		return nil
	}
	switch x := val.(type) {
	case string:
		if k.typ.Kind() == reflect.String {
			f.SetString(x)
			return nil
		}
		p, err := parseValue(k.typ, x)
		if err != nil {
			return err
		}
		f.Set(reflect.ValueOf(p))
		return nil
	case time.Duration:
		if k.typ == reflect.TypeFor[time.Duration]() {
			f.SetInt(int64(x))
			return nil
		}
	case int:
		if k.typ.Kind() == reflect.Int {
			f.SetInt(int64(x))
			return nil
		}
	case int64:
		if k.typ.Kind() == reflect.Int || k.typ == reflect.TypeFor[time.Duration]() {
			f.SetInt(x)
			return nil
		}
	}
	return fmt.Errorf("unexpected value %v (%T)", val, val)
}

func indexOf(key string) int {
	for i, k := range defaultsKeys {
		if k.name == key {
			return i
		}
	}
	panic("config: no key " + key)
}

var (
	reUnknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type config\.(\w+)$`)
	reLine         = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
)

// decodeStrict parses the YAML file into cfg, refusing unknown keys.
func decodeStrict(path string, data []byte, cfg *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(cfg)
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		first := te.Errors[0]
		more := ""
		if n := len(te.Errors) - 1; n > 0 {
			more = fmt.Sprintf(" (and %d more problem%s)", n, plural(n))
		}
		if m := reUnknownField.FindStringSubmatch(first); m != nil {
			line, _ := strconv.Atoi(m[1])
			section, known := "", ""
			switch m[3] {
			case "Config":
				section, known = "at top level", "defaults, nodes, groups"
			case "Defaults":
				section, known = "in defaults", strings.Join(DefaultsKeys(), ", ")
			case "Node":
				section, known = "in a node", nodeKeys()
			}
			return &Error{Path: path, Line: line, Msg: fmt.Sprintf("unknown key %q %s (known keys: %s)%s", m[2], section, known, more)}
		}
		if m := reLine.FindStringSubmatch(first); m != nil {
			line, _ := strconv.Atoi(m[1])
			return &Error{Path: path, Line: line, Msg: m[2] + more}
		}
		return &Error{Path: path, Msg: first + more}
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if m := reLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{Path: path, Line: line, Msg: "YAML syntax error: " + m[2]}
	}
	return &Error{Path: path, Msg: "YAML syntax error: " + strings.TrimPrefix(msg, "yaml: ")}
}

func nodeKeys() string {
	var out []string
	t := reflect.TypeFor[Node]()
	for i := 0; i < t.NumField(); i++ {
		out = append(out, t.Field(i).Tag.Get("yaml"))
	}
	for i, s := range out {
		out[i], _, _ = strings.Cut(s, ",")
	}
	return strings.Join(out, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// nodeLines returns the line of each entry of the nodes list, for messages.
func nodeLines(data []byte) []int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "nodes" && root.Content[i+1].Kind == yaml.SequenceNode {
			var lines []int
			for _, n := range root.Content[i+1].Content {
				lines = append(lines, n.Line)
			}
			return lines
		}
	}
	return nil
}

// validate checks values and the inventory: node names present, valid and
// unique; groups made of valid node sets that only reference known groups.
func validate(cfg *Config, data []byte) error {
	d := cfg.Defaults
	switch {
	case d.Fanout < 1:
		return &Error{Path: cfg.Path, Msg: fmt.Sprintf("fanout must be at least 1, got %d", d.Fanout)}
	case d.ConnectTimeout <= 0:
		return &Error{Path: cfg.Path, Msg: fmt.Sprintf("connect_timeout must be positive, got %s", d.ConnectTimeout)}
	case d.CommandTimeout < 0:
		return &Error{Path: cfg.Path, Msg: fmt.Sprintf("command_timeout must not be negative, got %s", d.CommandTimeout)}
	case d.AgentPort < 1 || d.AgentPort > 65535:
		return &Error{Path: cfg.Path, Msg: fmt.Sprintf("agent_port must be 1-65535, got %d", d.AgentPort)}
	case d.SSHPort < 0 || d.SSHPort > 65535:
		return &Error{Path: cfg.Path, Msg: fmt.Sprintf("ssh_port must be 1-65535, got %d", d.SSHPort)}
	}
	lines := nodeLines(data)
	line := func(i int) int {
		if i < len(lines) {
			return lines[i]
		}
		return 0
	}
	seen := map[string]int{}
	for i, n := range cfg.Nodes {
		switch {
		case n.Name == "":
			return &Error{Path: cfg.Path, Line: line(i), Msg: fmt.Sprintf("node #%d has no name (every node needs name:)", i+1)}
		case !nodeset.ValidName(n.Name):
			return &Error{Path: cfg.Path, Line: line(i), Msg: fmt.Sprintf("node name %q has characters a node set cannot hold (use letters, digits, '.', '-', '_')", n.Name)}
		case n.SSHPort < 0 || n.SSHPort > 65535:
			return &Error{Path: cfg.Path, Line: line(i), Msg: fmt.Sprintf("node %q: ssh_port must be 1-65535, got %d", n.Name, n.SSHPort)}
		case n.AgentPort < 0 || n.AgentPort > 65535:
			return &Error{Path: cfg.Path, Line: line(i), Msg: fmt.Sprintf("node %q: agent_port must be 1-65535, got %d", n.Name, n.AgentPort)}
		}
		if j, dup := seen[n.Name]; dup {
			return &Error{Path: cfg.Path, Line: line(i), Msg: fmt.Sprintf("node %q is listed twice (entries #%d and #%d)", n.Name, j+1, i+1)}
		}
		seen[n.Name] = i
	}
	names := make([]string, 0, len(cfg.Groups))
	for g := range cfg.Groups {
		names = append(names, g)
	}
	slices.Sort(names)
	resolver := GroupResolver(cfg)
	for _, g := range names {
		if g == "" || strings.ContainsAny(g, "@,![] \t") {
			return &Error{Path: cfg.Path, Msg: fmt.Sprintf("group name %q is not valid (use letters, digits, '.', '-', '_')", g)}
		}
		if _, err := nodeset.Expand("@"+g, resolver); err != nil {
			return &Error{Path: cfg.Path, Msg: fmt.Sprintf("group %q: %v", g, err)}
		}
	}
	return nil
}

// GroupResolver resolves @name against cfg.Groups; the pseudo-group "all"
// (unless defined) is every inventory node.
func GroupResolver(cfg *Config) nodeset.GroupResolver {
	return func(name string) ([]string, error) {
		if members, ok := cfg.Groups[name]; ok {
			return members, nil
		}
		if name == "all" {
			out := make([]string, len(cfg.Nodes))
			for i, n := range cfg.Nodes {
				out[i] = n.Name
			}
			return out, nil
		}
		known := make([]string, 0, len(cfg.Groups)+1)
		for g := range cfg.Groups {
			known = append(known, g)
		}
		if _, ok := cfg.Groups["all"]; !ok {
			known = append(known, "all")
		}
		slices.Sort(known)
		return nil, fmt.Errorf("unknown group %q (known groups: %s)", name, strings.Join(known, ", "))
	}
}
