package flags

import (
	"strings"
	"testing"
)

// TestOursAreMarked: mesosctl's own flags say whose they are (name,
// build, help, usage, the doc table), are not in Mesos' Table, and /flags
// shows them only when given.
func TestOursAreMarked(t *testing.T) {
	mesos := map[string]bool{}
	for _, s := range Table {
		mesos[s.Name] = true
	}
	usage, table := Usage("mesos-agent"), MarkdownTable()
	for _, s := range Ours {
		if !strings.HasPrefix(s.Name, "mesosctl_") || s.Build != BuildMesosctl || mesos[s.Name] ||
			!strings.HasPrefix(s.Help, "mesosctl only: ") || !s.Build.Optional() {
			t.Errorf("%s is not marked as mesosctl's: %+v", s.Name, s)
		}
		if def, ok := Lookup(s.Name); !ok || def.Name != s.Name {
			t.Errorf("Lookup(%s) = %v, %v", s.Name, def, ok)
		}
		var line string
		for _, l := range strings.Split(usage, "\n") {
			if strings.Contains(l, "--[no-]"+s.Name+" ") || strings.Contains(l, "--"+s.Name+"=") {
				line = l
			}
		}
		if !strings.HasSuffix(line, "[not a Mesos flag]") {
			t.Errorf("usage line of %s: %q", s.Name, line)
		}
		if !strings.Contains(table, "| `"+s.Name+"` | "+s.Type.String()+" | `"+s.Default+"` | none: mesosctl only | acted on |") {
			t.Errorf("the doc table lacks %s as mesosctl's:\n%s", s.Name, table)
		}
	}

	v, err := Load([]string{"--work_dir=/w", "--config_dir="}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := v.Get(KeepOrphans); !ok || got != "false" || v.Bool(KeepOrphans) {
		t.Errorf("default %s = %q, %v", KeepOrphans, got, ok)
	}
	if _, shown := v.Map()[KeepOrphans]; shown {
		t.Errorf("/flags shows %s although not given", KeepOrphans)
	}
	for _, args := range [][]string{{"--" + KeepOrphans}, {"--" + KeepOrphans + "=true"}} {
		v, err := Load(append([]string{"--work_dir=/w", "--config_dir="}, args...), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Bool(KeepOrphans) || v.Map()[KeepOrphans] != "true" {
			t.Errorf("%v: value %v, /flags %q", args, v.Bool(KeepOrphans), v.Map()[KeepOrphans])
		}
	}
	v, err = Load([]string{"--work_dir=/w", "--config_dir="}, []string{"MESOS_MESOSCTL_KEEP_ORPHANS=true"})
	if err != nil || !v.Bool(KeepOrphans) {
		t.Errorf("from the environment: %v %v", err, v)
	}
}

// TestWarmLaunchersFlag: --mesosctl_warm_launchers is an int, 2 by
// default (not shown in /flags unless given), from the command line or
// the environment; not an int is refused.
func TestWarmLaunchersFlag(t *testing.T) {
	v, err := Load([]string{"--work_dir=/w", "--config_dir="}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := v.Get(WarmLaunchers); !ok || got != "2" || v.Int(WarmLaunchers) != 2 {
		t.Errorf("default %s = %q, %v", WarmLaunchers, got, ok)
	}
	if _, shown := v.Map()[WarmLaunchers]; shown {
		t.Errorf("/flags shows %s although not given", WarmLaunchers)
	}
	v, err = Load([]string{"--work_dir=/w", "--config_dir=", "--" + WarmLaunchers + "=0"}, nil)
	if err != nil || v.Int(WarmLaunchers) != 0 || v.Map()[WarmLaunchers] != "0" {
		t.Errorf("--%s=0: %v, value %d, /flags %q", WarmLaunchers, err, v.Int(WarmLaunchers), v.Map()[WarmLaunchers])
	}
	v, err = Load([]string{"--work_dir=/w", "--config_dir="}, []string{"MESOS_MESOSCTL_WARM_LAUNCHERS=5"})
	if err != nil || v.Int(WarmLaunchers) != 5 {
		t.Errorf("from the environment: %v %v", err, v)
	}
	if _, err := Load([]string{"--work_dir=/w", "--config_dir=", "--" + WarmLaunchers + "=many"}, nil); err == nil {
		t.Errorf("--%s=many accepted", WarmLaunchers)
	}
}
