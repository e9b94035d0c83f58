// Package render is the single output layer of the mesosctl CLI: every
// command prints its result through Options.Print, which renders a table
// (styled on a terminal, plain aligned text when piped), JSON, YAML, the
// results of an embedded jq expression (gojq, printed exactly as jq prints
// them), or a Go template. The agent daemon never uses this package.
//
// A command embeds Options, registers the flags with AddOutputFlags, calls
// Validate at the start of RunE and Print at the end:
//
//	render.AddOutputFlags(cmd, &opts.Output)
//	...
//	if err := opts.Output.Validate(); err != nil { return err }
//	...
//	return opts.Output.Print(ios, data, &render.Table{Headers: h, Rows: rows})
package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/suggest"
)

// UsageError is a mistake in the output flags (-o, --jq, --template,
// --raw-output, --compact): nothing was printed. mesosctl reports it like
// any usage error, with a hint to --help, and exits 2.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &UsageError{msg: fmt.Sprintf(format, args...)}
}

// Output formats accepted by -o/--output.
const (
	FormatTable = "table"
	FormatJSON  = "json"
	FormatYAML  = "yaml"
)

// Formats lists the valid -o values, in the order shown to users.
var Formats = []string{FormatTable, FormatJSON, FormatYAML}

// Options selects how a command prints its result.
type Options struct {
	Format   string // table (default), json or yaml
	JQ       string // jq expression; implies JSON-shaped data
	Template string // Go text/template; implies JSON-shaped data
	Raw      bool   // with --jq: print string results without quotes (jq -r)
	Compact  bool   // with --jq: one line per result (jq -c)

	jq   *jqProgram
	tmpl *templateProgram
}

// AddOutputFlags registers -o/--output, --jq, --template, --raw-output and
// --compact on cmd. The -r and -c shorthands are added only when cmd does
// not use them already, so call this after defining the command's own flags.
func AddOutputFlags(cmd *cobra.Command, o *Options) {
	fs := cmd.Flags()
	fs.StringVarP(&o.Format, "output", "o", FormatTable, "Output format: "+strings.Join(Formats, ", "))
	suggest.MarkEnum(fs, "output", Formats)
	fs.StringVar(&o.JQ, "jq", "", "Filter JSON output with a jq `expression` (prints like jq)")
	fs.StringVar(&o.Template, "template", "", "Format JSON output with a Go `template`")
	short := func(s string) string {
		if cmd.Flags().ShorthandLookup(s) != nil || cmd.PersistentFlags().ShorthandLookup(s) != nil ||
			cmd.InheritedFlags().ShorthandLookup(s) != nil {
			return ""
		}
		return s
	}
	fs.BoolVarP(&o.Raw, "raw-output", short("r"), false, "With --jq, print strings without quotes (like jq -r)")
	fs.BoolVarP(&o.Compact, "compact", short("c"), false, "With --jq, print each result on one line (like jq -c)")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{
			FormatTable + "\thuman-readable columns",
			FormatJSON + "\tJSON (indented on a terminal)",
			FormatYAML + "\tYAML",
		}, cobra.ShellCompDirectiveNoFileComp
	})
}

// Validate checks the flag combination and compiles --jq and --template, so
// that mistakes are reported (as a *UsageError, exit 2) before any work.
func (o *Options) Validate() error {
	switch o.Format {
	case "", FormatTable, FormatJSON, FormatYAML:
	default:
		return usageErrorf("invalid output format %q: valid formats are %s%s", o.Format, strings.Join(Formats, ", "), suggest.DidYouMean(o.Format, Formats))
	}
	if o.JQ != "" && o.Template != "" {
		return usageErrorf("--jq and --template cannot be used together: pick one")
	}
	if o.Format == FormatYAML && (o.JQ != "" || o.Template != "") {
		flag := "--jq"
		if o.Template != "" {
			flag = "--template"
		}
		return usageErrorf("%s cannot be combined with -o yaml: %s works on JSON; drop -o yaml", flag, flag)
	}
	if (o.Raw || o.Compact) && o.JQ == "" {
		return usageErrorf("--raw-output and --compact only apply to --jq output")
	}
	o.jq, o.tmpl = nil, nil
	if o.JQ != "" {
		p, err := compileJQ(o.JQ)
		if err != nil {
			return err
		}
		o.jq = p
	}
	if o.Template != "" {
		t, err := compileTemplate(o.Template)
		if err != nil {
			return err
		}
		o.tmpl = t
	}
	return nil
}

// IsStructured reports whether the output is machine-shaped (json, yaml,
// --jq or --template), i.e. whether a command should skip human extras such
// as progress lines on stdout.
func (o *Options) IsStructured() bool {
	return o.JQ != "" || o.Template != "" || o.Format == FormatJSON || o.Format == FormatYAML
}

// Print writes data to ios.Out in the selected format. data is anything
// encoding/json can marshal (json.RawMessage is kept byte-faithful for -o
// json). table is the human form; when it is nil the table format falls
// back to JSON.
func (o *Options) Print(ios *iostreams.IOStreams, data any, table *Table) error {
	if (o.JQ != "" && o.jq == nil) || (o.Template != "" && o.tmpl == nil) {
		if err := o.Validate(); err != nil {
			return err
		}
	}
	switch {
	case o.JQ != "":
		raw, err := marshalJSON(data)
		if err != nil {
			return err
		}
		return o.jq.run(ios.Out, raw, o.Raw, o.Compact)
	case o.Template != "":
		raw, err := marshalJSON(data)
		if err != nil {
			return err
		}
		return o.tmpl.run(ios.Out, raw)
	}
	switch o.Format {
	case FormatJSON:
		return printJSON(ios, data)
	case FormatYAML:
		return printYAML(ios, data)
	case "", FormatTable:
		if table == nil {
			return printJSON(ios, data)
		}
		return table.Render(ios)
	}
	return usageErrorf("invalid output format %q: valid formats are %s", o.Format, strings.Join(Formats, ", "))
}

// marshalJSON encodes data without HTML escaping and without a trailing
// newline; json.RawMessage passes through with its key order intact.
func marshalJSON(data any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(data); err != nil {
		return nil, fmt.Errorf("cannot encode output as JSON: %w", err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// printJSON writes data indented by 2 spaces on a terminal, compact on one
// line when piped, always newline-terminated.
func printJSON(ios *iostreams.IOStreams, data any) error {
	raw, err := marshalJSON(data)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if ios.StdoutTTY {
		err = json.Indent(&out, raw, "", "  ")
	} else {
		err = json.Compact(&out, raw)
	}
	if err != nil {
		return fmt.Errorf("cannot format JSON output: %w", err)
	}
	out.WriteByte('\n')
	_, err = ios.Out.Write(out.Bytes())
	return err
}

// printYAML converts the JSON form of data to YAML, keeping object key
// order and printing numbers as jq would.
func printYAML(ios *iostreams.IOStreams, data any) error {
	raw, err := marshalJSON(data)
	if err != nil {
		return err
	}
	node, err := jsonToYAMLNode(raw)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(node); err != nil {
		return fmt.Errorf("cannot encode output as YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err = ios.Out.Write(out.Bytes())
	return err
}
