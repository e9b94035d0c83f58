// Package selfmem gives back the pages of a long-running process's own
// executable that only its start touched.
//
// A Go program's start (the runtime, every package's init, flag and
// command setup, for agentd its recovery) touches code and read-only data
// scattered over the whole executable, and the kernel maps each such file
// page with its neighbours (fault-around, 64 KiB): an idle agentd had
// ~12 MB of its 16.7 MB RSS in pages of the binary, most of which it
// never uses again. These pages are clean and backed by the file, so
// unmapping them (madvise MADV_DONTNEED) loses nothing: they stay in the
// page cache, and what the process runs later maps them again on its
// first touch (a minor fault). Only the executable's read-only mappings
// (code, read-only data) are released, never its writable data.
package selfmem

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ReleaseExecutable unmaps the resident pages of the read-only mappings of
// the running executable and returns how many bytes of address space it
// released (resident or not).
//
// A mapping with anonymous pages is left alone: its content differs from
// the file (a position-independent build's relocated read-only data,
// RELRO, is written by the loader and then made read-only), and dropping
// those pages would read the unrelocated bytes back from the file.
func ReleaseExecutable() (int64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	var st unix.Stat_t
	if err := unix.Stat(exe, &st); err != nil {
		return 0, err
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	type span struct{ start, end uint64 }
	var clean []span
	var cur span
	candidate := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if start, end, ok := readOnlyMappingOf(line, uint64(st.Dev), st.Ino); ok {
			cur, candidate = span{start, end}, true
			continue
		}
		if !candidate {
			continue
		}
		if rest, found := strings.CutPrefix(line, "Anonymous:"); found {
			// "Anonymous:   0 kB": no page of the mapping differs from the file.
			if kb := strings.Fields(rest); len(kb) > 0 && kb[0] == "0" {
				clean = append(clean, cur)
			}
			candidate = false
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	var released int64
	for _, m := range clean {
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), unix.MADV_DONTNEED); errno != 0 {
			return released, fmt.Errorf("madvise %x-%x: %v", m.start, m.end, errno)
		}
		released += int64(m.end - m.start)
	}
	return released, nil
}

// readOnlyMappingOf parses a /proc/self/maps line ("start-end perms
// offset major:minor inode path") and returns the range when it is a
// private mapping without write permission of the file (dev, ino).
func readOnlyMappingOf(line string, dev, ino uint64) (start, end uint64, ok bool) {
	f := strings.Fields(line)
	if len(f) < 6 || len(f[1]) < 4 || f[1][1] != '-' || f[1][3] != 'p' {
		return 0, 0, false
	}
	if n, err := strconv.ParseUint(f[4], 10, 64); err != nil || n != ino {
		return 0, 0, false
	}
	major, minor, found := strings.Cut(f[3], ":")
	maj, err1 := strconv.ParseUint(major, 16, 32)
	min, err2 := strconv.ParseUint(minor, 16, 32)
	if !found || err1 != nil || err2 != nil || unix.Mkdev(uint32(maj), uint32(min)) != dev {
		return 0, 0, false
	}
	lo, hi, found := strings.Cut(f[0], "-")
	if !found {
		return 0, 0, false
	}
	s, err1 := strconv.ParseUint(lo, 16, 64)
	e, err2 := strconv.ParseUint(hi, 16, 64)
	if err1 != nil || err2 != nil || e <= s {
		return 0, 0, false
	}
	return s, e, true
}
