// Package netports is the check of Mesos' network/ports isolator: which
// TCP ports a container's processes listen on, and which of them lie
// outside the ports it was allocated (within the range that is checked).
// agentd runs it every --container_ports_watch_interval for containers
// when --isolation includes network/ports; with --enforce_container_ports
// a container listening on an unallocated port is killed.
package netports

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/mesosctl/mesosctl/internal/mesos"
)

// listeners maps the socket inode of every listening TCP socket (IPv4 and
// IPv6) to its local port.
func listeners() (map[uint64]uint16, error) {
	out := map[uint64]uint16{}
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(file)
		if err != nil {
			if os.IsNotExist(err) && strings.HasSuffix(file, "6") {
				continue // no IPv6
			}
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" { // TCP_LISTEN
				continue
			}
			_, portHex, ok := strings.Cut(fields[1], ":")
			if !ok {
				continue
			}
			port, err1 := strconv.ParseUint(portHex, 16, 16)
			inode, err2 := strconv.ParseUint(fields[9], 10, 64)
			if err1 == nil && err2 == nil && inode != 0 {
				out[inode] = uint16(port)
			}
		}
		f.Close()
	}
	return out, nil
}

// Listening returns the TCP ports the processes pids listen on, sorted.
// Processes that are gone, or whose descriptors cannot be read, add none.
func Listening(pids []int) ([]uint16, error) {
	socks, err := listeners()
	if err != nil {
		return nil, err
	}
	seen := map[uint16]bool{}
	for _, pid := range pids {
		fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", pid), fd.Name()))
			if err != nil || !strings.HasPrefix(link, "socket:[") {
				continue
			}
			inode, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]"), 10, 64)
			if err != nil {
				continue
			}
			if port, ok := socks[inode]; ok {
				seen[port] = true
			}
		}
	}
	ports := make([]uint16, 0, len(seen))
	for p := range seen {
		ports = append(ports, p)
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
	return ports, nil
}

// Unallocated returns the ports of listening that lie within checked (all
// ports when checked is empty) and outside allocated, as Mesos ranges.
func Unallocated(listening []uint16, allocated, checked []mesos.Range) []mesos.Range {
	in := func(rs []mesos.Range, p uint64) bool {
		for _, r := range rs {
			if p >= r.Begin && p <= r.End {
				return true
			}
		}
		return false
	}
	var out []mesos.Range
	for _, p := range listening {
		port := uint64(p)
		if (len(checked) > 0 && !in(checked, port)) || in(allocated, port) {
			continue
		}
		if n := len(out); n > 0 && out[n-1].End+1 == port {
			out[n-1].End = port
			continue
		}
		out = append(out, mesos.Range{Begin: port, End: port})
	}
	return out
}

// Message is Mesos' limitation message for a container listening on
// unallocated ports.
func Message(containerID string, unallocated []mesos.Range) string {
	return fmt.Sprintf("Container %s is listening on unallocated port(s): %s", containerID,
		mesos.RangesValue(unallocated...).SummaryString())
}
