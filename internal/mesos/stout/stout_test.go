package stout

import (
	"strings"
	"testing"
)

func TestBytes(t *testing.T) {
	for n, want := range map[uint64]string{
		0: "0B", 1023: "1023B", 1024: "1KB", 1536: "1536B", 10 * MB: "10MB", 1610612736: "1536MB",
		2 * GB: "2GB", TB: "1TB", 2048 * GB: "2TB", 64 * MB: "64MB",
	} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
		back, err := ParseBytes(want)
		if err != nil || back != n {
			t.Errorf("ParseBytes(%q) = %d, %v", want, back, err)
		}
	}
	if n, err := ParseBytes("2gb"); err != nil || n != 2*GB {
		t.Errorf("ParseBytes(2gb) = %d, %v", n, err)
	}
	for in, msg := range map[string]string{
		"1.5GB": "Fractional bytes '1.5GB'", "10": "Invalid bytes '10'", "10GIB": "Unknown bytes unit 'GIB'",
		"GB": "Invalid bytes 'GB'", "99999999999TB": "Invalid bytes",
	} {
		_, err := ParseBytes(in)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseBytes(%q) error = %v, want %q", in, err, msg)
		}
	}
}

func TestBoolAndDouble(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "1": true, "false": false, "0": false} {
		if got, err := ParseBool(in); err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"yes", "TRUE", "on", ""} {
		if _, err := ParseBool(in); err == nil || err.Error() != "Expecting a boolean (e.g., true or false)" {
			t.Errorf("ParseBool(%q) error = %v", in, err)
		}
	}
	for f, want := range map[float64]string{0.1: "0.1", 0.25: "0.25", 1: "1", 1234567: "1.23457e+06", 0.9: "0.9"} {
		if got := FormatDouble(f); got != want {
			t.Errorf("FormatDouble(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestCompactJSON(t *testing.T) {
	got, err := CompactJSON(`{ "b": "x<y", "a": {"z": 1, "y": [1, 2.50]} }`)
	if err != nil || got != `{"a":{"y":[1,2.50],"z":1},"b":"x<y"}` {
		t.Errorf("CompactJSON = %q, %v", got, err)
	}
	if _, err := CompactJSON(`{"a":1} {}`); err == nil {
		t.Error("CompactJSON accepted two documents")
	}
}

func TestParseArgs(t *testing.T) {
	known := map[string]bool{"work_dir": true, "switch_user": true, "no-op": true}
	args, rest := ParseArgs([]string{" --WORK_DIR=/x ", "--switch_user", "--no-switch_user", "value",
		"--no-op", "--no-such", "--resources=", "--", "--after"}, func(n string) bool { return known[n] })
	want := []Arg{
		{Name: "work_dir", Value: "/x", HasValue: true},
		{Name: "switch_user"},
		{Name: "switch_user", Negated: true},
		{Name: "no-op"},
		{Name: "such", Negated: true},
		{Name: "resources", HasValue: true},
	}
	if len(args) != len(want) {
		t.Fatalf("ParseArgs = %+v", args)
	}
	for i := range want {
		args[i].Raw = ""
		if args[i] != want[i] {
			t.Errorf("arg %d = %+v, want %+v", i, args[i], want[i])
		}
	}
	if strings.Join(rest, " ") != "value --after" {
		t.Errorf("rest = %q", rest)
	}
}
