package nodeset

import (
	"io"
	"testing"

	"github.com/mesosctl/mesosctl/internal/iostreams"
)

// BenchmarkRunExpand100k is `mesosctl nodeset -e` of 100,000 names without
// the process start-up; scripts/bench/nodeset.sh compares whole runs with
// ClusterShell's nodeset.
func BenchmarkRunExpand100k(b *testing.B) {
	ios, _, _, _ := iostreams.Test()
	ios.Out = io.Discard
	for _, expr := range []string{"lxb[000001-100000]", "rack[001-100]-node[0001-1000]"} {
		b.Run(expr, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Run(&Options{IO: ios, Mode: ModeExpand, Exprs: []string{expr}, Separator: " "}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
