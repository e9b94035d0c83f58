package exec_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	execcmd "github.com/mesosctl/mesosctl/internal/cmd/exec"
	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/spf13/pflag"
)

func TestFlagsRefusedBeforeAnyWork(t *testing.T) {
	t.Setenv("MESOSCTL_CONFIG", "/nonexistent/config.yaml")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--command", "true"}, "--name is required"},
		{[]string{"--name", "x"}, "--command is required"},
		{[]string{"--name", "x", "--command", "true", "--containerizer", "docker"}, "'Docker' containerizer requires docker image name"},
		{[]string{"--name", "x", "--command", "true", "--docker_image", "busybox"}, "--docker_image with --containerizer=mesos is not supported: that runs the image through the Mesos containerizer's provisioner, which agentd does not have: add --containerizer=docker"},
		{[]string{"--name", "x", "--command", "true", "--volumes", "[]"}, "--volumes with --containerizer=mesos is not supported"},
		{[]string{"--name", "x", "--command", "true", "--containerizer", "docker", "--docker_image", "i", "--networks", "a,b"}, "'Docker' containerizer can only support a single network"},
		{[]string{"--name", "x", "--command", "true", "--containerizer", "docker", "--docker_image", "i", "--volumes", `[{"container_path":"/x"}]`}, "--docker_image/--volumes/--networks: Invalid volume: 'mode' is required"},
		{[]string{"--name", "x", "--command", "true", "--containerizer", "docker", "--docker_image", "i", "--volumes", `{}`}, "--volumes: want a JSON array of volumes"},
		{[]string{"--name", "x", "--containerizer", "docker", "--docker_image", "i"}, "--command is required"},
		{[]string{"--name", "x", "--command", "true", "--containerizer", "rkt"}, `invalid --containerizer "rkt": use mesos or docker`},
		{[]string{"--name", "x", "--command", "true", "--resources", "cpus:1;ports:[1-2]"}, "--resources: ports is not supported (agentd's task API takes cpus, mem and disk)"},
		{[]string{"--name", "x", "--command", "true", "--resources", "cpus:x"}, "--resources:"},
		{[]string{"--name", "x", "--command", "true", "--env", "[1]"}, `--env: want a JSON object like {"NAME":"value"}`},
		{[]string{"--name", "x", "--command", "true", "--env", `{"A":{"b":1}}`}, "--env: value of A must be a string"},
		{[]string{"--name", "x", "--command", "true", "--env", "file:///nonexistent"}, "--env: open /nonexistent"},
		{[]string{"--name", "x", "--command", "true", "--kill_after", "soon"}, `--kill_after: invalid duration "soon" (e.g. 10secs, 2mins, 30s)`},
		{[]string{"--name", "x", "--command", "true", "--constraint", "rack"}, "--constraint: invalid constraint"},
		{[]string{"--name", "x", "--command", "true", "--kill_after", "1secs", "--detach"}, "--kill_after needs exec to stay: it cannot be combined with --detach"},
		{[]string{"--name", "x", "--command", "true", "--tty"}, "--tty is not supported"},
		{[]string{"--name", "x", "--command", "true", "--content_type", "xml"}, `invalid --content_type "xml"`},
		{[]string{"--name", "x", "--command", "true", "extra"}, "unknown command"},
		{[]string{"--name", "x", "--command", "true", "--framework_capabilities", "GPU_RESOURCES,FLYING"}, "Flags '--framework_capabilities' specifies an unknown capability 'FLYING'"},
		{[]string{"--name", "x", "--command", "true", "--framework_capabilities", "MULTI_ROLE"}, "Flags '--framework_capabilities' specifies an unsupported capability 'MULTI_ROLE'"},
	} {
		code, out, errOut := run(t, append([]string{"exec"}, tt.args...)...)
		if code != cmdutil.ExitUsage || out != "" || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d stdout %q stderr %q, want usage error %q", tt.args, code, out, errOut, tt.want)
		}
	}
}

func TestParseEnvAndKillAfter(t *testing.T) {
	p := filepath.Join(t.TempDir(), "env.json")
	os.WriteFile(p, []byte(`{"A":"1","N":2,"B":true}`), 0o600)
	for _, in := range []string{"file://" + p, p} {
		env, err := execcmd.ParseEnv(in)
		if err != nil || env["A"] != "1" || env["N"] != "2" || env["B"] != "true" || len(env) != 3 {
			t.Fatalf("%s: %v %v", in, env, err)
		}
	}
	if env, err := execcmd.ParseEnv(""); env != nil || err != nil {
		t.Fatal("empty --env")
	}
	for in, want := range map[string]time.Duration{"10secs": 10 * time.Second, "1.5mins": 90 * time.Second, "2s": 2 * time.Second, "100ms": 100 * time.Millisecond, "1weeks": 7 * 24 * time.Hour} {
		if d, err := execcmd.ParseKillAfter(in); err != nil || d != want {
			t.Errorf("%s = %v %v", in, d, err)
		}
	}
	if _, err := execcmd.ParseKillAfter("-1s"); err == nil {
		t.Error("negative duration accepted")
	}
}

// The task's framework has mesos-execute's capabilities: TASK_KILLING_STATE
// among them (a killed Docker task reports TASK_KILLING).
func TestFrameworkCapabilities(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "RESERVATION_REFINEMENT,TASK_KILLING_STATE,REVOCABLE_RESOURCES,PARTITION_AWARE"},
		{[]string{"--no-partition_aware", "--framework_capabilities=GPU_RESOURCES"}, "RESERVATION_REFINEMENT,TASK_KILLING_STATE,REVOCABLE_RESOURCES,GPU_RESOURCES"},
	} {
		ios, _, _, _ := iostreams.Test()
		var got *execcmd.Options
		cmd := execcmd.NewCmdExec(&cmdutil.Factory{IOStreams: ios}, func(o *execcmd.Options) error { got = o; return nil })
		cmd.SetArgs(append([]string{"--name=x", "--command=true"}, tt.args...))
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		spec, _, err := got.Spec()
		if err != nil || strings.Join(spec.FrameworkCapabilities, ",") != tt.want {
			t.Errorf("%q: %v %v, want %s", tt.args, spec.FrameworkCapabilities, err, tt.want)
		}
	}
}

func TestNewTaskID(t *testing.T) {
	a, b := execcmd.NewTaskID("my job/1"), execcmd.NewTaskID("my job/1")
	if a == b || !regexp.MustCompile(`^my_job_1\.[0-9a-f]{8}$`).MatchString(a) {
		t.Fatalf("%q %q", a, b)
	}
	if id := execcmd.NewTaskID(strings.Repeat("x", 300)); len(id) != 209 {
		t.Fatalf("long name: %d", len(id))
	}
}

// stout's negated booleans: --no-shell is --shell=false, as mesos-execute
// takes it; a negated non-boolean or a negation with a value is refused.
func TestNegatedBooleanFlags(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	var got *execcmd.Options
	cmd := execcmd.NewCmdExec(&cmdutil.Factory{IOStreams: ios}, func(o *execcmd.Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--name=x", "--command=true", "--no-shell", "--no-partition_aware", "--checkpoint"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Shell || got.PartitionAw || !got.Checkpoint {
		t.Errorf("shell %v partition_aware %v checkpoint %v", got.Shell, got.PartitionAw, got.Checkpoint)
	}
	for args, want := range map[string]string{
		"--no-name":       "unknown flag: --no-name",
		"--no-shell=true": "",
		"--no-shell=0":    "Failed to load boolean flag 'shell' via 'no-shell' with value '0'",
	} {
		cmd := execcmd.NewCmdExec(&cmdutil.Factory{IOStreams: ios}, func(*execcmd.Options) error { return nil })
		cmd.SetArgs([]string{"--name=x", "--command=true", args})
		cmd.SetOut(&strings.Builder{})
		cmd.SetErr(&strings.Builder{})
		err := cmd.Execute()
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v, want %q", args, err, want)
		}
	}
}

// The mesos-execute personality has exactly mesos-execute 1.11's flags.
func TestMesosExecuteFlagSet(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	cmd := execcmd.NewCmdMesosExecute(&cmdutil.Factory{IOStreams: ios}, func(*execcmd.Options) error { return nil })
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	want := "appc_image bounding_capabilities checkpoint command containerizer content_type docker_image " +
		"effective_capabilities env framework_capabilities hadoop hdfs kill_after master name networks overwrite " +
		"package partition_aware principal resources rlimits role secret shell task task_group tty volumes"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("flags\n got %s\nwant %s", got, want)
	}
	for _, args := range [][]string{{"--detach"}, {"--constraint=rack:1"}, {"--kill-after=1secs"}, {"--agent=x"}} {
		cmd := execcmd.NewCmdMesosExecute(&cmdutil.Factory{IOStreams: ios}, func(*execcmd.Options) error { return nil })
		cmd.SetArgs(append([]string{"--name=x", "--command=true"}, args...))
		cmd.SetOut(&strings.Builder{})
		cmd.SetErr(&strings.Builder{})
		if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "unknown flag") {
			t.Errorf("%v: %v, want an unknown flag", args, err)
		}
	}
	var got *execcmd.Options
	cmd = execcmd.NewCmdMesosExecute(&cmdutil.Factory{IOStreams: ios}, func(o *execcmd.Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--master=zk://127.0.0.1:2181/mesos", "--name=x", "--command=true", "--no-shell", "--kill_after=2secs"})
	if err := cmd.Execute(); err != nil || got.Shell || got.KillAfter != "2secs" || got.Sel.Master != "zk://127.0.0.1:2181/mesos" {
		t.Errorf("%v %+v", err, got)
	}
}

// The mesos-execute personality reads its command line as stout does:
// "--name value" is refused with how to write it, negated non-booleans are
// refused, and arguments that are not flags are skipped with a warning.
// `mesosctl exec` keeps taking both forms.
func TestMesosExecuteStoutGrammar(t *testing.T) {
	run := func(args ...string) (*execcmd.Options, string, error) {
		ios, _, _, errOut := iostreams.Test()
		var got *execcmd.Options
		cmd := execcmd.NewCmdMesosExecute(&cmdutil.Factory{IOStreams: ios}, func(o *execcmd.Options) error { got = o; return nil })
		cmd.SetArgs(args)
		cmd.SetOut(&strings.Builder{})
		cmd.SetErr(&strings.Builder{})
		err := cmd.Execute()
		return got, errOut.String(), err
	}
	_, _, err := run("--master=127.0.0.1:5050", "--name", "x", "--command=true")
	if err == nil || err.Error() != "Failed to load non-boolean flag 'name': Missing value (write --name=x: Mesos flags take their value after '=', a separate 'x' is not read)" ||
		cmdutil.ExitCodeOf(err) != cmdutil.ExitUsage {
		t.Errorf("--name x: %v", err)
	}
	if _, _, err := run("--name=x", "--command"); err == nil || !strings.Contains(err.Error(), "'command': Missing value (write --command=VALUE)") {
		t.Errorf("--command: %v", err)
	}
	if _, _, err := run("--name=x", "--command=true", "--no-role"); err == nil || !strings.Contains(err.Error(), "Failed to load non-boolean flag 'role' via 'no-role'") {
		t.Errorf("--no-role: %v", err)
	}
	got, warn, err := run("--NAME=x", "--command=true", "--shell", "false", "--", "--role=r")
	if err != nil || got.Name != "x" || !got.Shell || got.Role != "*" {
		t.Fatalf("%v %+v", err, got)
	}
	if warn != "mesos-execute: ignoring arguments that are not flags: 'false' '--role=r' (flags are written --name=value)\n" {
		t.Errorf("warning = %q", warn)
	}
	// mesosctl's own verb: both forms.
	ios, _, _, _ := iostreams.Test()
	var o *execcmd.Options
	cmd := execcmd.NewCmdExec(&cmdutil.Factory{IOStreams: ios}, func(opts *execcmd.Options) error { o = opts; return nil })
	cmd.SetArgs([]string{"--name", "x", "--command", "true"})
	if err := cmd.Execute(); err != nil || o.Name != "x" || o.Command != "true" {
		t.Errorf("exec --name x: %v", err)
	}
}
