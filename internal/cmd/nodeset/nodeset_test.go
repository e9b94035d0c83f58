package nodeset

import (
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
)

func TestNewCmdNodeset(t *testing.T) {
	tests := []struct {
		args    string
		mode    Mode
		exprs   []string
		exclude []string
		sep     string
		wantErr string
	}{
		{"-e a[1-2]", ModeExpand, []string{"a[1-2]"}, nil, " ", ""},
		{"--fold a b", ModeFold, []string{"a", "b"}, nil, " ", ""},
		{"-c -x b -x c a", ModeCount, []string{"a"}, []string{"b", "c"}, " ", ""},
		{"-e -S , a", ModeExpand, []string{"a"}, nil, ",", ""},
		{"a", 0, nil, nil, "", "choose one of"},
		{"-e -c a", 0, nil, nil, "", "cannot be combined"},
	}
	for _, tt := range tests {
		ios, _, _, _ := iostreams.Test()
		f := &cmdutil.Factory{IOStreams: ios}
		var got *Options
		cmd := NewCmdNodeset(f, func(o *Options) error { got = o; return nil })
		cmd.SetArgs(strings.Fields(tt.args))
		cmd.SetOut(ios.Out)
		cmd.SetErr(ios.ErrOut)
		err := cmd.Execute()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || cmdutil.ExitCodeOf(err) != cmdutil.ExitUsage {
				t.Errorf("%q: err %v, want usage error %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tt.args, err)
		}
		if got.Mode != tt.mode || strings.Join(got.Exprs, " ") != strings.Join(tt.exprs, " ") ||
			strings.Join(got.Exclude, " ") != strings.Join(tt.exclude, " ") || got.Separator != tt.sep {
			t.Errorf("%q: got %+v", tt.args, got)
		}
	}
}

func TestRunSeparators(t *testing.T) {
	for sep, want := range map[string]string{" ": "a1 a2\n", `\n`: "a1\na2\n", `\t`: "a1\ta2\n", ",": "a1,a2\n"} {
		ios, _, out, _ := iostreams.Test()
		if err := Run(&Options{IO: ios, Mode: ModeExpand, Exprs: []string{"a[1-2]"}, Separator: sep}); err != nil || out.String() != want {
			t.Errorf("sep %q: %q %v", sep, out, err)
		}
	}
}
