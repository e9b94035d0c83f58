package mesos

import (
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// ProbeHost reads the online CPU count (/sys/devices/system/cpu/online, as
// sysconf(_SC_NPROCESSORS_ONLN)), total RAM (sysinfo) and the total size of
// the filesystem holding workDir (statfs of workDir or its nearest existing
// parent). Fields it cannot read are left zero.
func ProbeHost(workDir string) HostInfo {
	var h HostInfo
	if b, err := os.ReadFile("/sys/devices/system/cpu/online"); err == nil {
		if n, err := parseCPUList(string(b)); err == nil {
			h.CPUs = n
		}
	}
	if h.CPUs == 0 {
		h.CPUs = runtime.NumCPU()
	}
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err == nil {
		h.MemBytes = uint64(si.Totalram) * uint64(si.Unit)
	}
	h.DiskBytes = fsSize(workDir)
	return h
}

func fsSize(dir string) uint64 {
	if dir == "" {
		return 0
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return 0
	}
	for {
		var st unix.Statfs_t
		if err := unix.Statfs(dir, &st); err == nil {
			bs := uint64(st.Frsize)
			if bs == 0 {
				bs = uint64(st.Bsize)
			}
			return st.Blocks * bs
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return 0
		}
		dir = parent
	}
}
