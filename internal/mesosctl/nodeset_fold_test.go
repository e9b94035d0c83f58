package mesosctl

import (
	"context"
	"strings"
	"testing"

	"github.com/mesosctl/mesosctl/internal/iostreams"
)

// TestNodesetFoldDimensions runs `mesosctl nodeset` as a user does:
// multi-dimensional folding, and node sets read from standard input.
func TestNodesetFoldDimensions(t *testing.T) {
	testConfig(t, testInventory)
	runIn := func(stdin string, args ...string) (int, string, string) {
		ios, in, out, errOut := iostreams.Test()
		in.WriteString(stdin)
		code := Run(context.Background(), ios, append([]string{"mesosctl"}, args...))
		return int(code), out.String(), errOut.String()
	}
	if code, out, errOut := runIn("", "nodeset", "-f", "a1b3", "a1b4", "a2b3", "a2b4"); code != 0 || out != "a[1-2]b[3-4]\n" {
		t.Errorf("2-D fold: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	_, names, _ := runIn("", "nodeset", "-e", "rack[01-50]-node[001-200]")
	if n := len(strings.Fields(names)); n != 10000 {
		t.Fatalf("expanded to %d names", n)
	}
	code, out, errOut := runIn(names, "nodeset", "-f", "-")
	if code != 0 || out != "rack[01-50]-node[001-200]\n" || len(out) != 26 {
		t.Errorf("fold of the expansion read from stdin: exit %d, stdout %q (%d bytes), stderr %q", code, out, len(out), errOut)
	}
	if code, out, _ := runIn("a1 a2\nb1\n", "nodeset", "-f", "c1", "-"); code != 0 || out != "a[1-2],b1,c1\n" {
		t.Errorf("args and stdin: exit %d, stdout %q", code, out)
	}
	if code, _, errOut := runIn(" \n", "nodeset", "-f", "-"); code != 2 || !strings.Contains(errOut, "standard input (-) was empty") {
		t.Errorf("empty stdin: exit %d, stderr %q", code, errOut)
	}
}
