package nodes

import (
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/render"
)

func TestNewCmdNodes(t *testing.T) {
	tests := []struct {
		args    string
		output  string
		exprs   string
		wantErr string
	}{
		{"", "table", "", ""},
		{"-o json @rack1 lxb009", "json", "@rack1 lxb009", ""},
		{"--output xml", "", "", `invalid output format "xml"`},
	}
	for _, tt := range tests {
		ios, _, _, _ := iostreams.Test()
		var got *Options
		cmd := NewCmdNodes(&cmdutil.Factory{IOStreams: ios}, func(o *Options) error { got = o; return nil })
		cmd.SetArgs(strings.Fields(tt.args))
		cmd.SetOut(ios.Out)
		cmd.SetErr(ios.ErrOut)
		err := cmd.Execute()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || cmdutil.ExitCodeOf(err) != cmdutil.ExitUsage {
				t.Errorf("%q: %v", tt.args, err)
			}
			continue
		}
		if err != nil || got.Output.Format != tt.output || strings.Join(got.Exprs, " ") != tt.exprs {
			t.Errorf("%q: %+v %v", tt.args, got, err)
		}
	}
}

func TestPrintEmpty(t *testing.T) {
	ios, _, out, errOut := iostreams.Test()
	ios.StdoutTTY = true
	if err := Print(ios, &render.Options{Format: "table"}, nil); err != nil || out.Len() != 0 || !strings.Contains(errOut.String(), "no nodes") {
		t.Errorf("tty: %q %q %v", out, errOut, err)
	}
	ios, _, out, _ = iostreams.Test()
	if err := Print(ios, &render.Options{Format: "json"}, nil); err != nil || out.String() != "[]\n" {
		t.Errorf("json: %q %v", out, err)
	}
}
