package flags

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func noDir(t *testing.T) string { t.Helper(); return "--config_dir=" } // empty = no flag files

func TestLoadSyntaxes(t *testing.T) {
	dir := t.TempDir()
	v, err := Load([]string{"--work_dir=/w", "--port=5052", "--no-switch_user", "--strict",
		"--executor_registration_timeout=5mins", "--config_dir=" + dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]string{"work_dir": "/w", "port": "5052", "switch_user": "false", "strict": "true",
		"executor_registration_timeout": "5mins", "containerizers": "mesos", "isolation": "posix/cpu,posix/mem"}
	for k, want := range checks {
		if got := v.String(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if v.Int("port") != 5052 || v.Duration("executor_registration_timeout") != 5*time.Minute {
		t.Errorf("typed accessors wrong")
	}
	if _, ok := v.Get("master"); ok {
		t.Errorf("master should have no value")
	}
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "port"), "6000\n")
	write(t, filepath.Join(dir, "containerizers"), "docker,mesos\n")
	write(t, filepath.Join(dir, "?no-switch_user"), "")
	write(t, filepath.Join(dir, "attributes", "rack"), "3\n")
	write(t, filepath.Join(dir, "attributes", "os"), "centos7\n")
	write(t, filepath.Join(dir, "attributes", "empty"), "")
	write(t, filepath.Join(dir, "resources", "cpus"), "4")
	write(t, filepath.Join(dir, "hostname.dpkg-old"), "bogus")
	write(t, filepath.Join(dir, "gc_delay.rpmsave"), "bogus")
	env := []string{"MESOS_PORT=7000", "MESOS_WORK_DIR=/envwork", "MESOS_isolation=cgroups/cpu",
		"MESOS_UNKNOWN_THING=1", "MESOS_NO_SWITCH_USER=1", "MESOS_CONFIG_DIR=" + dir}
	v, err := Load([]string{"--containerizers=mesos"}, env)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"port":           "6000",        // config_dir beats env
		"containerizers": "mesos",       // command line beats config_dir
		"work_dir":       "/envwork",    // env beats default
		"isolation":      "cgroups/cpu", // lower-cased env name
		"switch_user":    "false",       // ?no-switch_user
		"attributes":     "os:centos7;rack:3",
		"resources":      "cpus:4",
		"config_dir":     dir,
	}
	for k, w := range want {
		if got := v.String(k); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
	if v.Source("port") != FromConfigDir || v.Source("containerizers") != FromCommandLine ||
		v.Source("work_dir") != FromEnv || v.Source("gc_delay") != FromDefault {
		t.Errorf("sources wrong: %v %v %v %v", v.Source("port"), v.Source("containerizers"), v.Source("work_dir"), v.Source("gc_delay"))
	}
	if _, ok := v.Get("hostname"); ok {
		t.Errorf("dpkg backup file must be skipped")
	}
}

func TestFileURLValue(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "attrs"), "rack:1\n")
	v, err := Load([]string{"--work_dir=/w", "--attributes=file://" + filepath.Join(dir, "attrs"), noDir(t)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.String("attributes") != "rack:1" {
		t.Errorf("attributes = %q", v.String("attributes"))
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	unreadable := filepath.Join(dir, "ro")
	write(t, filepath.Join(unreadable, "attributes"), "x")
	bothDir := t.TempDir()
	write(t, filepath.Join(bothDir, "attributes"), "rack:1")
	write(t, filepath.Join(bothDir, "attributes", "../attributes.d/x"), "")
	cases := []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"--work_dir=/w", "--foo=1", noDir(t)}, nil, "Failed to load unknown flag 'foo'"},
		{[]string{"--work_dir=/w", "--port=1", "--port=2", noDir(t)}, nil, "Flag 'port' is already loaded via name 'port'"},
		{[]string{"--work_dir=/w", "--slave_subsystems=cpu", "--agent_subsystems=cpu", noDir(t)}, nil, "already loaded"},
		{[]string{noDir(t)}, nil, "Flag 'work_dir' is required, but it was not provided"},
		{[]string{"--work_dir=/w", "--gc_delay=5 parsecs", noDir(t)}, nil, "Failed to load flag 'gc_delay': Failed to load value '5 parsecs'"},
		{[]string{"--work_dir=/w", "--strict=maybe", noDir(t)}, nil, "Failed to load flag 'strict': Failed to load value 'maybe'"},
		{[]string{"--work_dir=/w", "--port=abc", noDir(t)}, nil, "Failed to load flag 'port'"},
		{[]string{"--work_dir=/w", "--fetcher_cache_size=2XB", noDir(t)}, nil, "Failed to load flag 'fetcher_cache_size'"},
		{[]string{"--work_dir=/w", "--no-port", noDir(t)}, nil, "non-boolean flag 'port'"},
		{[]string{"--work_dir=/w", "--no-strict=true", noDir(t)}, nil, "boolean flag 'strict' via 'no-strict' with value"},
		{[]string{"--work_dir=/w", "--port", noDir(t)}, nil, "Failed to load non-boolean flag 'port': Missing value (write --port=VALUE)"},
		{[]string{"--work_dir=/w", "--port", "5052", noDir(t)}, nil,
			"Failed to load non-boolean flag 'port': Missing value (write --port=5052: Mesos flags take their value after '=', a separate '5052' is not read)"},
		{[]string{"--work_dir", "/w", noDir(t)}, nil, "Failed to load non-boolean flag 'work_dir': Missing value (write --work_dir=/w"},
		{[]string{"--work_dir=/w", "--config_dir", "/etc/mesos-slave"}, nil, "Failed to load non-boolean flag 'config_dir': Missing value (write --config_dir=/etc/mesos-slave"},
		{[]string{"--work_dir=/w", "--config_dir=/nonexistent/dir"}, nil, "cannot read directory '/nonexistent/dir'"},
		{[]string{"--work_dir=/w", "--attributes=file:///nonexistent/x", noDir(t)}, nil, "failed to read '/nonexistent/x'"},
		{[]string{"--work_dir=/w", "--gc_delay=1", noDir(t)}, []string{}, "Invalid duration '1'"},
		{[]string{"--work_dir=/w", noDir(t)}, []string{"MESOS_GC_DELAY=soon"}, "environment variable MESOS_GC_DELAY"},
	}
	for _, c := range cases {
		_, err := Load(c.args, c.env)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Load(%q, %q) = %v, want error containing %q", c.args, c.env, err, c.want)
		}
	}
}

func TestConfigDirUnknownAndBadFile(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "work_dir"), "/w")
	write(t, filepath.Join(dir, "bogus_flag"), "1")
	_, err := Load([]string{"--config_dir=" + dir}, nil)
	if err == nil || !strings.Contains(err.Error(), "Failed to load unknown flag 'bogus_flag'") || !strings.Contains(err.Error(), filepath.Join(dir, "bogus_flag")) {
		t.Fatalf("err = %v", err)
	}
	dir2 := t.TempDir()
	write(t, filepath.Join(dir2, "work_dir"), "/w")
	write(t, filepath.Join(dir2, "gc_delay"), "forever\n")
	_, err = Load([]string{"--config_dir=" + dir2}, nil)
	if err == nil || !strings.Contains(err.Error(), "'gc_delay'") || !strings.Contains(err.Error(), "forever") {
		t.Fatalf("err = %v", err)
	}
	// attributes file and directory → already loaded (as with mesos-init-wrapper).
	dir3 := t.TempDir()
	write(t, filepath.Join(dir3, "work_dir"), "/w")
	write(t, filepath.Join(dir3, "attributes", "rack"), "1")
	write(t, filepath.Join(dir3, "attributes.txt"), "")
	if _, err := Load([]string{"--config_dir=" + dir3}, nil); err == nil {
		t.Fatalf("attributes.txt is unknown flag; want error")
	}
	// A missing default config_dir is fine.
	if _, err := Load([]string{"--work_dir=/w"}, nil); err != nil && !strings.Contains(err.Error(), "unknown flag") {
		// /etc/mesos-slave may exist on a test host; only its absence is asserted elsewhere.
		t.Logf("default config_dir present: %v", err)
	}
}

// Arguments that are not flags, and those after "--", are skipped as
// stout skips them, and listed for the agent's warning.
func TestIgnoredArguments(t *testing.T) {
	v, err := Load([]string{"stray", "--work_dir=/w", "-port=1", noDir(t), "--", "--port=2", "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(v.Ignored, " "); got != "stray -port=1 --port=2 x" {
		t.Errorf("Ignored = %q", got)
	}
	if v.String("port") != "5051" {
		t.Errorf("port = %q: arguments after -- must not be read", v.String("port"))
	}
	// A boolean flag followed by a word: the word is skipped, as in stout.
	v, err = Load([]string{"--work_dir=/w", "--strict", "false", noDir(t)}, nil)
	if err != nil || v.String("strict") != "true" || strings.Join(v.Ignored, " ") != "false" {
		t.Errorf("--strict false: %v %q %q", err, v.String("strict"), v.Ignored)
	}
}

func TestHelpVersion(t *testing.T) {
	if _, err := Load([]string{"--work_dir=/w", "--help=false", noDir(t)}, nil); err != nil {
		t.Errorf("--help=false: %v", err)
	}
	if _, err := Load([]string{"--port", "--help"}, nil); !errors.Is(err, ErrHelp) {
		t.Errorf("--help after a load error: %v", err)
	}
	if _, err := Load([]string{"--help"}, nil); !errors.Is(err, ErrHelp) {
		t.Errorf("--help: %v", err)
	}
	if _, err := Load([]string{"--version"}, nil); !errors.Is(err, ErrVersion) {
		t.Errorf("--version: %v", err)
	}
	u := Usage("mesos-slave")
	for _, s := range []string{"Usage: mesos-slave [options]", "--work_dir=VALUE", "--[no-]switch_user", "(default: 5051)"} {
		if !strings.Contains(u, s) {
			t.Errorf("usage lacks %q", s)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add("--work_dir=/w --port=5 --no-strict")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Load(append(strings.Fields(s), "--config_dir="), nil)
	})
}

func TestRedactArgs(t *testing.T) {
	in := []string{"mesosctl", "agentd", "--master=zk://u:pw@h:2181/mesos", "--http_credentials", `{"credentials":[]}`,
		"--credential=/etc/c.json", "--port=5051"}
	want := "mesosctl agentd --master=zk://u:xxxxx@h:2181/mesos --http_credentials <redacted> --credential=/etc/c.json --port=5051"
	if got := strings.Join(RedactArgs(in), " "); got != want {
		t.Errorf("RedactArgs = %q", got)
	}
}
