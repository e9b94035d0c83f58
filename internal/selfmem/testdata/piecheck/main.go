// Command piecheck releases its executable's pages and then uses code and
// read-only data all over the binary: built as a position-independent
// executable, it crashes if relocated read-only data was dropped.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/mesosctl/mesosctl/internal/selfmem"
)

func main() {
	if _, err := selfmem.ReleaseExecutable(); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
	b, _ := json.Marshal(map[string][]int{"a": {3, 1, 2}})
	var v map[string][]int
	_ = json.Unmarshal(b, &v)
	sort.Ints(v["a"])
	fmt.Println(strings.ToUpper("ok"), v["a"])
}
