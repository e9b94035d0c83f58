package render

import (
	"errors"
	"strings"
	"testing"
)

func TestFilterMatch(t *testing.T) {
	doc := []byte(`{"attributes":{"rack":3,"os":"centos7"},"flags":{"containerizers":"mesos"},"tasks":[]}`)
	for _, tt := range []struct {
		expr string
		want bool
		err  string
	}{
		{`.attributes.rack==3`, true, ""},
		{`.attributes.rack==3 and .flags.containerizers!="mesos,docker"`, true, ""},
		{`.attributes.rack==1`, false, ""},
		{`.attributes.zone`, false, ""},                        // null
		{`.attributes.os`, true, ""},                           // a string is truthy
		{`.tasks[]`, false, ""},                                // no output
		{`(false, null, 0)`, true, ""},                         // the first truthy output decides
		{`(1, error("late"))`, true, ""},                       // ...before a later error
		{`.attributes.os + 1`, false, "cannot add"},            // runtime error
		{`.attributes | keys_unsorted[0] == "rack"`, true, ""}, // jq's key order, as --jq
	} {
		f, err := CompileFilter("--where", tt.expr)
		if err != nil {
			t.Fatalf("%s: %v", tt.expr, err)
		}
		got, err := f.Match(doc)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %v, %v; want error %q", tt.expr, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s = %v, %v; want %v", tt.expr, got, err, tt.want)
		}
	}
	_, err := CompileFilter("--where", ".a ==")
	var ue *UsageError
	if err == nil || !strings.Contains(err.Error(), "invalid --where expression") || !errors.As(err, &ue) {
		t.Errorf("bad filter: %v", err)
	}
	f, _ := CompileFilter("--where", ".a")
	if _, err := f.Match([]byte("{")); err == nil {
		t.Error("invalid JSON matched")
	}
}
