package render

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mesosctl/mesosctl/internal/iostreams"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func golden(t *testing.T, name string, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/render -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from golden file:\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

type agentRow struct {
	Name  string  `json:"name"`
	State string  `json:"state"`
	CPUs  float64 `json:"cpus"`
	Mem   float64 `json:"mem"`
	Note  string  `json:"note,omitempty"`
}

var agents = []agentRow{
	{"lxb001", "TASK_RUNNING", 8, 122880, "rack 3"},
	{"lxb002", "TASK_STAGING", 0.125, 128, "a very long note that will not fit into a narrow terminal window at all"},
	{"lxb003-with-a-long-name", "TASK_FINISHED", 1.5, 32, "ünïcode <&>"},
}

func agentTable() *Table {
	t := &Table{Headers: []string{"Node", "State", "CPUs", "Mem", "Note"}, Align: []Align{AlignLeft, AlignLeft, AlignRight, AlignRight}}
	for _, a := range agents {
		t.AddRow(a.Name, a.State, formatNumber(a.CPUs), formatNumber(a.Mem), a.Note)
	}
	return t
}

func stateJSON(t *testing.T) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("testdata/state.json")
	if err != nil {
		t.Fatal(err)
	}
	return json.RawMessage(b)
}

type term struct {
	name    string
	tty     bool
	noColor bool
	width   int
}

var terms = []term{
	{"piped", false, false, 80},
	{"tty", true, false, 120},
	{"tty-nocolor-narrow", true, true, 60},
}

func TestGolden(t *testing.T) {
	cases := []struct {
		name  string
		opts  Options
		data  any
		table *Table
	}{
		{"table", Options{}, agents, agentTable()},
		{"table-nil", Options{}, agents[:1], nil},
		{"json-struct", Options{Format: "json"}, agents, agentTable()},
		{"json-state", Options{Format: "json"}, stateJSON(t), nil},
		{"yaml-state", Options{Format: "yaml"}, stateJSON(t), nil},
		{"jq-construct", Options{JQ: "{resources,attributes}"}, stateJSON(t), nil},
		{"jq-tasks-compact", Options{JQ: ".frameworks[].executors[].tasks[] | {id,state}", Compact: true}, stateJSON(t), nil},
		{"jq-raw", Options{JQ: ".flags.containerizers", Raw: true}, stateJSON(t), nil},
		{"template", Options{Template: `{{.hostname}} rack={{.attributes.rack}} cpus={{.resources.cpus}} caps={{join "," .capabilities}}
{{range .frameworks}}{{range .executors}}{{range .tasks}}{{tablerow .id (upper .state) .resources.cpus}}{{end}}{{end}}{{end}}`}, stateJSON(t), nil},
		{"template-json", Options{Template: `{{json .attributes}}{{"\n"}}`}, stateJSON(t), nil},
	}
	for _, c := range cases {
		for _, tm := range terms {
			t.Run(c.name+"/"+tm.name, func(t *testing.T) {
				ios, _, out, _ := iostreams.Test()
				ios.StdoutTTY = tm.tty
				ios.NoColor = tm.noColor
				ios.Width = tm.width
				o := c.opts
				if err := o.Validate(); err != nil {
					t.Fatal(err)
				}
				if err := o.Print(ios, c.data, c.table); err != nil {
					t.Fatal(err)
				}
				got := out.String()
				if !ios.ColorEnabled() && strings.Contains(got, "\x1b") {
					t.Errorf("escape codes without colour: %q", got)
				}
				golden(t, c.name+"."+tm.name, got)
			})
		}
	}
}

func TestTableTTYFitsWidth(t *testing.T) {
	for _, w := range []int{20, 40, 60, 200} {
		ios, _, out, _ := iostreams.Test()
		ios.StdoutTTY = true
		ios.NoColor = true
		ios.Width = w
		if err := agentTable().Render(ios); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			// 5 columns of at least minColumnWidth can exceed tiny widths;
			// otherwise every line fits.
			if n := len([]rune(line)); n > max(w, 5*minColumnWidth+4*columnGap) {
				t.Errorf("width %d: line of %d runes: %q", w, n, line)
			}
		}
	}
}

func TestTablePipedNeverTruncates(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.Width = 20
	if err := agentTable().Render(ios); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), agents[1].Note) {
		t.Errorf("piped table truncated: %s", out)
	}
	if strings.Contains(out.String(), "\x1b") {
		t.Errorf("piped table has escape codes: %q", out)
	}
	first := strings.SplitN(out.String(), "\n", 2)[0]
	if !strings.HasPrefix(first, "NODE ") {
		t.Errorf("header not upper-cased: %q", first)
	}
}

func TestTableColorOnlyWhenEnabled(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	ios.StdoutTTY = true
	if err := agentTable().Render(ios); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\x1b[1m") {
		t.Errorf("TTY header not bold: %q", out)
	}
}

// newTestCommand is how commands use the package.
func newTestCommand(ios *iostreams.IOStreams, data any, table *Table) *cobra.Command {
	var o Options
	cmd := &cobra.Command{
		Use:           "show",
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(*cobra.Command, []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Print(ios, data, table)
		},
	}
	AddOutputFlags(cmd, &o)
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	return cmd
}

func TestCommandFlagErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-o", "xml"}, `invalid output format "xml": valid formats are table, json, yaml`},
		{[]string{"--jq", ".a", "--template", "{{.}}"}, "--jq and --template cannot be used together"},
		{[]string{"--jq", ".a", "-o", "yaml"}, "--jq cannot be combined with -o yaml"},
		{[]string{"--template", "{{.}}", "-o", "yaml"}, "--template cannot be combined with -o yaml"},
		{[]string{"--jq", ".a |"}, `invalid --jq expression ".a |"`},
		{[]string{"--jq", "nosuchfunc(1)"}, "function not defined: nosuchfunc/1"},
		{[]string{"--template", "{{.a"}, "invalid --template"},
		{[]string{"-r"}, "--raw-output and --compact only apply to --jq output"},
	}
	for _, c := range cases {
		ios, _, out, _ := iostreams.Test()
		cmd := newTestCommand(ios, map[string]any{"a": 1}, nil)
		cmd.SetArgs(c.args)
		err := cmd.Execute()
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: want *UsageError, got %T %v", c.args, err, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %q does not contain %q", c.args, err, c.want)
		}
		if out.Len() != 0 {
			t.Errorf("%q: printed output before failing: %q", c.args, out)
		}
	}
}

func TestCommandJQImpliesJSON(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	cmd := newTestCommand(ios, stateJSON(t), agentTable())
	cmd.SetArgs([]string{"--jq", ".flags.containerizers"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "\"mesos,docker\"\n" {
		t.Errorf("got %q", got)
	}
	out.Reset()
	cmd = newTestCommand(ios, stateJSON(t), agentTable())
	cmd.SetArgs([]string{"--jq", ".flags.containerizers", "-r", "-o", "json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "mesos,docker\n" {
		t.Errorf("raw: got %q", got)
	}
}

func TestJQRuntimeErrorNamesExpression(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	o := Options{JQ: ".hostname, .hostname + 1"}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	err := o.Print(ios, stateJSON(t), nil)
	if err == nil || !strings.Contains(err.Error(), `".hostname, .hostname + 1"`) || !strings.Contains(err.Error(), "cannot add") {
		t.Errorf("error %v", err)
	}
	if out.String() != "\"lxb001\"\n" {
		t.Errorf("results before the error must be printed: %q", out)
	}
}

func TestJQHaltStops(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	o := Options{JQ: "1, halt, 2"}
	if err := o.Print(ios, nil, nil); err != nil {
		t.Fatal(err)
	}
	if out.String() != "1\n" {
		t.Errorf("got %q", out)
	}
}

func TestOutputCompletion(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := &cobra.Command{Use: "mesosctl"}
	sub := newTestCommand(ios, nil, nil)
	root.AddCommand(sub)
	var buf strings.Builder
	sub.SetOut(&buf)
	root.SetArgs([]string{cobra.ShellCompNoDescRequestCmd, "show", "-o", ""})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, f := range Formats {
		if !strings.Contains(buf.String(), f+"\n") {
			t.Errorf("completion lacks %q: %q", f, buf.String())
		}
	}
}

func TestShorthandsNotStolen(t *testing.T) {
	cmd := &cobra.Command{Use: "ex"}
	cmd.Flags().BoolP("raw", "r", false, "")
	var o Options
	AddOutputFlags(cmd, &o) // must not panic
	if f := cmd.Flags().Lookup("raw-output"); f == nil || f.Shorthand != "" {
		t.Errorf("raw-output flag %+v", f)
	}
	if f := cmd.Flags().Lookup("compact"); f == nil || f.Shorthand != "c" {
		t.Errorf("compact flag %+v", f)
	}
}

func TestBadDataDoesNotPanic(t *testing.T) {
	for _, o := range []Options{{Format: "json"}, {Format: "yaml"}, {JQ: "."}, {Template: "{{.}}"}, {}} {
		ios, _, _, _ := iostreams.Test()
		if err := o.Print(ios, json.RawMessage(`{"a":`), nil); err == nil {
			t.Errorf("%+v: invalid JSON accepted", o)
		}
		if err := o.Print(ios, func() {}, nil); err == nil {
			t.Errorf("%+v: func accepted", o)
		}
	}
}

func TestFormatNumberHuge(t *testing.T) {
	o := Options{JQ: "., 1e1000, -1e1000, 100000000000000000000 * 100000000000000000000, nan, infinite", Compact: true}
	ios, _, out, _ := iostreams.Test()
	if err := o.Print(ios, json.RawMessage(`1e999`), nil); err != nil {
		t.Fatal(err)
	}
	want := "1.7976931348623157e+308\n1.7976931348623157e+308\n-1.7976931348623157e+308\n1e+40\nnull\n1.7976931348623157e+308\n"
	if out.String() != want {
		t.Errorf("got %q want %q", out, want)
	}
}

func BenchmarkJQState(b *testing.B) {
	data, err := os.ReadFile("testdata/state.json")
	if err != nil {
		b.Fatal(err)
	}
	o := Options{JQ: ".frameworks[].executors[].tasks[] | {id,state}"}
	if err := o.Validate(); err != nil {
		b.Fatal(err)
	}
	ios, _, out, _ := iostreams.Test()
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if err := o.Print(ios, json.RawMessage(data), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTablePiped(b *testing.B) {
	t := &Table{Headers: []string{"a", "b", "c"}}
	for i := 0; i < 1000; i++ {
		t.AddRow("lxb001", "TASK_RUNNING", "0.125")
	}
	ios, _, out, _ := iostreams.Test()
	for b.Loop() {
		out.Reset()
		if err := t.Render(ios); err != nil {
			b.Fatal(err)
		}
	}
}

// bigState is an agent /state with n tasks, built from the testdata task.
func bigState(b *testing.B, n int) json.RawMessage {
	data, err := os.ReadFile("testdata/state.json")
	if err != nil {
		b.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		b.Fatal(err)
	}
	task := `{"id":"t%d","name":"t","framework_id":"f","executor_id":"","slave_id":"s","state":"TASK_RUNNING",` +
		`"resources":{"cpus":0.125,"disk":0.0,"gpus":0.0,"mem":128.0},"role":"*","statuses":[{"state":"TASK_RUNNING","timestamp":1700000001.6}]}`
	tasks := make([]string, n)
	for i := range tasks {
		tasks[i] = strings.Replace(task, "%d", strconv.Itoa(i), 1)
	}
	doc["frameworks"] = json.RawMessage(`[{"id":"f","executors":[{"id":"e","tasks":[` + strings.Join(tasks, ",") + `]}]}]`)
	out, err := json.Marshal(doc)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

func BenchmarkJQBigState(b *testing.B) {
	data := bigState(b, 5000)
	b.SetBytes(int64(len(data)))
	for _, expr := range []string{".frameworks[].executors[].tasks[] | {id,state}", "[.frameworks[].executors[].tasks[].resources.cpus] | add"} {
		b.Run(expr, func(b *testing.B) {
			o := Options{JQ: expr, Compact: true}
			if err := o.Validate(); err != nil {
				b.Fatal(err)
			}
			ios, _, out, _ := iostreams.Test()
			for b.Loop() {
				out.Reset()
				if err := o.Print(ios, data, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkJSONBigState(b *testing.B) {
	data := bigState(b, 5000)
	b.SetBytes(int64(len(data)))
	o := Options{Format: "json"}
	ios, _, out, _ := iostreams.Test()
	for b.Loop() {
		out.Reset()
		if err := o.Print(ios, data, nil); err != nil {
			b.Fatal(err)
		}
	}
}
