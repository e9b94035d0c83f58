package suggest

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestWords(t *testing.T) {
	valid := []string{"table", "json", "yaml"}
	for typed, want := range map[string]string{
		"jsno":  "json",
		"JSON":  "json",
		"yml":   "yaml",
		"tab":   "table",
		"t":     "",
		"xml":   "yaml", // distance 2
		"bogus": "",
		"":      "",
	} {
		if got := strings.Join(Words(typed, valid), ","); got != want {
			t.Errorf("Words(%q) = %q, want %q", typed, got, want)
		}
	}
	if got := Words("runing", []string{"running", "finished", "ruining"}); strings.Join(got, ",") != "running,ruining" {
		t.Errorf("closest first: %q", got)
	}
}

func TestEnum(t *testing.T) {
	valid := []string{"never", "auto", "always"}
	if v, err := Enum("progress", "Auto", valid); err != nil || v != "auto" {
		t.Errorf("case-insensitive match: %q %v", v, err)
	}
	_, err := Enum("progress", "allways", valid)
	if err == nil || err.Error() != "invalid --progress \"allways\": use one of never, auto, always\n\nDid you mean this?\n\talways\n" {
		t.Errorf("Enum = %q", err)
	}
	if _, err := Enum("progress", "sometimes", valid); err == nil || strings.Contains(err.Error(), "Did you mean") {
		t.Errorf("nothing close: %v", err)
	}
}

func TestMarkEnum(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.String("mode", "a", "mode")
	MarkEnum(fs, "mode", []string{"a", "b"})
	if got := fs.Lookup("mode").Annotations[Annotation]; strings.Join(got, ",") != "a,b" {
		t.Errorf("annotation %q", got)
	}
}
