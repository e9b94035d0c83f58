package procfs

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// Pids lists the processes /proc shows now.
func Pids() []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// Environ returns the variables of pid's initial environment whose names
// are in names (nil when it cannot be read: gone, or not ours to read).
func Environ(pid int, names ...string) map[string]string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, kv := range bytes.Split(b, []byte{0}) {
		k, v, ok := bytes.Cut(kv, []byte{'='})
		if !ok {
			continue
		}
		for _, n := range names {
			if string(k) == n {
				out[n] = string(v)
			}
		}
	}
	return out
}
