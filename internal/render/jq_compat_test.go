package render

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/mesosctl/mesosctl/internal/iostreams"
)

// realJQ returns the path of the system jq; its absence fails the test.
func realJQ(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("jq")
	if err != nil {
		t.Fatalf("jq not found in PATH: install it (apt-get install jq) to check jq compatibility: %v", err)
	}
	return p
}

func runRealJQ(t *testing.T, jq string, args []string, input []byte) []byte {
	t.Helper()
	cmd := exec.Command(jq, args...)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("jq %q: %v: %s", args, err, stderr.String())
	}
	return out
}

func runOurJQ(t *testing.T, o Options, data any, tty bool) []byte {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	ios.StdoutTTY = tty
	if err := o.Validate(); err != nil {
		t.Fatalf("Validate(%q): %v", o.JQ, err)
	}
	if err := o.Print(ios, data, nil); err != nil {
		t.Fatalf("Print(%q): %v", o.JQ, err)
	}
	return out.Bytes()
}

var jqFilters = []string{
	".",
	"{resources,attributes}",
	".flags.containerizers",
	".attributes.rack",
	".attributes",
	".frameworks[].executors[].tasks[] | {id,state}",
	"keys",
	"keys_unsorted",
	"[.resources.cpus, .resources.mem]",
	".resources",
	".resources.ports",
	".frameworks[0].executors[1].tasks[0].name",
	".frameworks[].executors[] | {id, cpus: .resources.cpus, tasks: [.tasks[].id]}",
	".frameworks[0].executors[0] | del(.tasks)",
	". + {extra: 1} | keys_unsorted",
	".attributes | to_entries",
	".attributes | with_entries(select(.key != \"os\"))",
	".flags | to_entries[] | select(.key | startswith(\"c\")) | .value",
	".resources | .cpus * 2, .mem / 1024, .cpus + 0.1",
	".unreserved_resources_allocated.cpus",
	".frameworks[].executors[].tasks[].statuses[-1]",
	"[.frameworks[].executors[].tasks[] | .resources.cpus] | add",
	".attributes | {big, tiny, weight, rack}",
	".frameworks[].executors[].tasks[].labels",
	"[paths] | length",
	".start_time, .build_time",
	"map_values(type)",
	".capabilities | join(\",\")",
	"{a: 1, b: {c: [1, 2.5, null, true]}, \"quoted key\": \"x\"}",
	".attributes | tostring",
	".attributes | tojson",
	".attributes | @json",
	"\"\\(.attributes.rack) \\(.attributes.big) \\(.resources)\"",
	".attributes | .new = 1",
	".attributes | del(.os)",
	"[.attributes[]]",
	".attributes[]",
	".flags | map(length)",
	".attributes | to_entries | from_entries",
	"reduce (.flags | to_entries[]) as $e ({}; .[$e.key] = $e.value)",
	"[limit(2; .frameworks[].executors[].tasks[].id)]",
	"[.. | numbers]",
	"[paths(type == \"number\")]",
	".attributes | map_values(tostring)",
	"[.attributes | .[]?]",
	".x.y.z",
	"{(.hostname): 1, z: 2}",
	"{z: 0, (.flags.port): .resources.cpus, (.hostname): 1, a: 2}",
	"[.frameworks[].executors[] | {(.id): .resources.cpus}] | add",
	"{a: 1} + .attributes",
	".resources + {x: 1} + {cpus: 0.5}",
	"[(1, 2) + (10, 20)]",
	"[(\"a\", \"b\") + (\"c\", \"d\")]",
	"[.capabilities + [\"X\"], null + 1, 1 + null, .attributes.rack + 0.5]",
	"reduce .frameworks[].executors[] as $e ({}; . + {($e.id): $e.resources})",
	"[.frameworks[].executors[].resources] | add",
	".attributes | .rack += 1",
}

func TestJQMatchesRealJQ(t *testing.T) {
	jq := realJQ(t)
	input, err := os.ReadFile("testdata/state.json")
	if err != nil {
		t.Fatal(err)
	}
	modes := []struct {
		name    string
		args    []string
		raw     bool
		compact bool
	}{
		{"default", nil, false, false},
		{"raw", []string{"-r"}, true, false},
		{"compact", []string{"-c"}, false, true},
		{"raw-compact", []string{"-r", "-c"}, true, true},
	}
	for _, f := range jqFilters {
		for _, m := range modes {
			want := runRealJQ(t, jq, append(append([]string{}, m.args...), f), input)
			for _, tty := range []bool{false, true} {
				got := runOurJQ(t, Options{JQ: f, Raw: m.raw, Compact: m.compact}, json.RawMessage(input), tty)
				if !bytes.Equal(got, want) {
					t.Errorf("filter %q mode %s tty=%v differs from jq:\n--- jq\n%s\n--- mesosctl\n%s", f, m.name, tty, want, got)
				}
			}
		}
	}
}

func TestJQNumbersMatchRealJQ(t *testing.T) {
	jq := realJQ(t)
	inputs := []string{
		"3.0", "3", "0.125", "122880", "122880.0", "-0", "0", "1e15", "1e16", "1e17",
		"123e14", "12345678901234567890", "1e300", "1e1000", "-1e1000", "0.0001", "0.00001",
		"1.5e-7", "5e-324", "123456.789", "1700000001.6", "0.1", "1.1", "100000000000000000000000",
		"[1.0, 2.50, -3.25e2]", `{"b": 2.0, "a": 1e-10}`, `"tab\t\u0001\u007f/<&>\u2028 é"`,
	}
	for _, in := range inputs {
		for _, f := range []string{".", ". as $x | [$x]"} {
			want := runRealJQ(t, jq, []string{f}, []byte(in))
			got := runOurJQ(t, Options{JQ: f}, json.RawMessage(in), false)
			if !bytes.Equal(got, want) {
				t.Errorf("input %s filter %q: jq printed %q, mesosctl printed %q", in, f, want, got)
			}
		}
	}
}
