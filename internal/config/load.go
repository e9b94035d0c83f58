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
	"sync"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/mesosctl/mesosctl/internal/nodeset"
)

// EnvPrefix starts every environment variable mesosctl reads for its
// defaults: MESOSCTL_FANOUT, MESOSCTL_CONNECT_TIMEOUT, MESOSCTL_ZOOKEEPER…
const EnvPrefix = "MESOSCTL_"

// EnvConfig names the variable that points at the configuration file when
// no --config flag is given.
const EnvConfig = "MESOSCTL_CONFIG"

// LoadOptions says where the configuration comes from. The environment is
// the process's (MESOSCTL_*, MESOSCTL_CONFIG, XDG_CONFIG_HOME, HOME).
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
func DefaultPath() string {
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "mesosctl", "config.yaml")
	}
	home := os.Getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".config", "mesosctl", "config.yaml")
}

// Locations says where Load looks for the file when no --config is given,
// in order, with what it found there, for messages:
// ["$MESOSCTL_CONFIG (not set)", "/root/.config/mesosctl/config.yaml (no such file)"].
func Locations() []string {
	if p := os.Getenv(EnvConfig); p != "" {
		return []string{"$" + EnvConfig + " = " + p + describe(p)}
	}
	return []string{"$" + EnvConfig + " (not set)", DefaultPath() + describe(DefaultPath())}
}

func describe(path string) string {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return " (no such file)"
		}
		return " (" + err.Error() + ")"
	}
	return ""
}

// builtin are the built-in defaults, the lowest layer.
var builtin = Defaults{
	Fanout:         DefaultFanout,
	ConnectTimeout: DefaultConnectTimeout,
	SSHPersist:     DefaultSSHPersist,
	AgentPort:      DefaultAgentPort,
	RestartCommand: DefaultRestartCommand,
	AgentConfigDir: DefaultAgentConfigDir,
	AgentWorkDir:   DefaultAgentWorkDir,
}

// defaultsKey is one key of the defaults section: its name (the field's
// mapstructure tag), the field's type and its built-in value.
type defaultsKey struct {
	name    string
	typ     reflect.Type
	builtin any
}

// defaultsKeys lists the keys of the defaults section in declaration order.
var defaultsKeys = sync.OnceValue(func() []defaultsKey {
	var out []defaultsKey
	t, b := reflect.TypeFor[Defaults](), reflect.ValueOf(builtin)
	for i := 0; i < t.NumField(); i++ {
		out = append(out, defaultsKey{t.Field(i).Tag.Get("mapstructure"), t.Field(i).Type, b.Field(i).Interface()})
	}
	return out
})

// envName returns the environment variable for a defaults key:
// connect_timeout -> MESOSCTL_CONNECT_TIMEOUT.
func envName(key string) string { return EnvPrefix + strings.ToUpper(key) }

// flagName returns the flag name bound to a defaults key:
// connect_timeout -> connect-timeout.
func flagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// decoding is how values reach the typed Defaults, for viper and for the
// check of environment variables alike: viper's own settings (weakly typed
// input, so that MESOSCTL_FANOUT=32 is an int) with durations parsed by
// time.ParseDuration.
func decoding(c *mapstructure.DecoderConfig) {
	c.WeaklyTypedInput = true
	c.DecodeHook = mapstructure.StringToTimeDurationHookFunc()
}

// Load reads the configuration. Nodes and groups come from the file only;
// each key of defaults comes from the first layer that sets it: a flag set
// on the command line, a non-empty MESOSCTL_* variable, the file (a value
// written there counts even when it is 0 or ""), the built-in default.
// All problems are *Error values.
//
// yaml.v3 decodes the file strictly into Config, which gives unknown keys
// and type errors with their line and keeps map keys (group names) as
// written; viper layers the file's defaults section (as yaml.v3 read it)
// over the built-in defaults, under the environment and the flags, and
// decodes the result into Defaults.
func Load(opts LoadOptions) (*Config, error) {
	path, explicit := opts.Path, true
	if path == "" {
		path = os.Getenv(EnvConfig)
	}
	if path == "" {
		path, explicit = DefaultPath(), false
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

	v := viper.New()
	for _, k := range defaultsKeys() {
		key := "defaults." + k.name
		v.SetDefault(key, k.builtin)
		if err := v.BindEnv(key, envName(k.name)); err != nil {
			return nil, &Error{Msg: err.Error()}
		}
		if raw := os.Getenv(envName(k.name)); raw != "" {
			if err := decodeValue(raw, k.typ); err != nil {
				return nil, &Error{Msg: fmt.Sprintf("%s=%q: %s", envName(k.name), raw, typeHint(k.typ))}
			}
		}
		if opts.Flags != nil {
			if fl := opts.Flags.Lookup(flagName(k.name)); fl != nil {
				if err := v.BindPFlag(key, fl); err != nil {
					return nil, &Error{Msg: err.Error()}
				}
			}
		}
	}
	if data != nil {
		// The file's layer: its defaults section as written (zeros
		// included), from the same YAML library as the strict pass.
		var file struct {
			Defaults map[string]any `yaml:"defaults"`
		}
		if err := yaml.Unmarshal(data, &file); err != nil {
			return nil, &Error{Path: path, Msg: err.Error()}
		}
		if err := v.MergeConfigMap(map[string]any{"defaults": file.Defaults}); err != nil {
			return nil, &Error{Path: path, Msg: err.Error()}
		}
	}
	var layered struct {
		Defaults Defaults `mapstructure:"defaults"`
	}
	if err := v.Unmarshal(&layered, decoding); err != nil {
		return nil, &Error{Path: cfg.Path, Msg: strings.ReplaceAll(err.Error(), "\n", " ")}
	}
	cfg.Defaults = layered.Defaults
	if err := validate(cfg, data); err != nil {
		return nil, err
	}
	return cfg, nil
}

// decodeValue checks that raw converts to typ the way Load converts it.
func decodeValue(raw string, typ reflect.Type) error {
	c := &mapstructure.DecoderConfig{Result: reflect.New(typ).Interface()}
	decoding(c)
	d, err := mapstructure.NewDecoder(c)
	if err != nil {
		return err
	}
	return d.Decode(raw)
}

// typeHint says what a value of typ must look like.
func typeHint(typ reflect.Type) string {
	switch {
	case typ == reflect.TypeFor[time.Duration]():
		return "not a duration (use e.g. 10s, 2m)"
	case typ.Kind() == reflect.Int:
		return "not an integer"
	}
	return "not a " + typ.String()
}

var (
	reUnknownField = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^line (\d+): field (\S+) not found in type config\.(\w+)$`)
	})
	reLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`) })
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
		if m := reUnknownField().FindStringSubmatch(first); m != nil {
			line, _ := strconv.Atoi(m[1])
			section, known := "", ""
			switch m[3] {
			case "Config":
				section, known = "at top level", "defaults, nodes, groups"
			case "Defaults":
				names := make([]string, len(defaultsKeys()))
				for i, k := range defaultsKeys() {
					names[i] = k.name
				}
				section, known = "in defaults", strings.Join(names, ", ")
			case "Node":
				section, known = "in a node", nodeKeys()
			}
			return &Error{Path: path, Line: line, Msg: fmt.Sprintf("unknown key %q %s (known keys: %s)%s", m[2], section, known, more)}
		}
		if m := reLine().FindStringSubmatch(first); m != nil {
			line, _ := strconv.Atoi(m[1])
			return &Error{Path: path, Line: line, Msg: m[2] + more}
		}
		return &Error{Path: path, Msg: first + more}
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if m := reLine().FindStringSubmatch(msg); m != nil {
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
	case d.SSHPersist < 0:
		return &Error{Path: cfg.Path, Msg: fmt.Sprintf("ssh_persist must not be negative, got %s", d.SSHPersist)}
	case d.AgentPort < 1 || d.AgentPort > 65535:
		return &Error{Path: cfg.Path, Msg: fmt.Sprintf("agent_port must be 1-65535, got %d", d.AgentPort)}
	case d.SSHPort < 0 || d.SSHPort > 65535:
		return &Error{Path: cfg.Path, Msg: fmt.Sprintf("ssh_port must be 1-65535, got %d", d.SSHPort)}
	case d.RestartCommand == "":
		return &Error{Path: cfg.Path, Msg: "restart_command must not be empty (default: " + DefaultRestartCommand + ")"}
	case d.AgentConfigDir == "":
		return &Error{Path: cfg.Path, Msg: "agent_config_dir must not be empty (default: " + DefaultAgentConfigDir + ")"}
	case d.AgentWorkDir == "":
		return &Error{Path: cfg.Path, Msg: "agent_work_dir must not be empty (default: " + DefaultAgentWorkDir + ")"}
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
		if g == "failed" || g == "succeeded" {
			return &Error{Path: cfg.Path, Msg: fmt.Sprintf("group name %q is reserved: @%s names the nodes of the last fan-out by outcome; rename the group", g, g)}
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
