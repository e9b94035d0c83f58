package mesos

import (
	"fmt"
	"strconv"
	"strings"
)

// Byte sizes as Mesos' Bytes type uses them (binary units).
const (
	MiB = 1 << 20
	GiB = 1 << 30
)

// DefaultPorts is the ports range an agent advertises when --resources has none.
var DefaultPorts = Range{31000, 32000}

// Fallbacks used when the host cannot be probed (Mesos logs a warning and uses these).
const (
	FallbackMemBytes  = 1 * GiB
	FallbackDiskBytes = 10 * GiB
)

// HostInfo is what auto-detection reads from the machine. A zero field means
// "could not be probed" and selects the Mesos fallback.
type HostInfo struct {
	CPUs      int    // online CPUs
	MemBytes  uint64 // total RAM
	DiskBytes uint64 // total size of the filesystem holding work_dir
}

// DetectResources completes the configured --resources with auto-detected
// values for the names it lacks (a name given with value 0, e.g. "cpus:0",
// counts as present and is then dropped): cpus = online CPUs, mem = total RAM
// − 1 GiB (or half of it below 2 GiB), disk = size of the filesystem holding
// workDir − 5 GiB (or half below 10 GiB), both in whole MB, and ports
// [31000-32000]; all with defaultRole. gpus are never detected here.
func DetectResources(configured Resources, workDir, defaultRole string) (Resources, error) {
	return DetectResourcesFrom(configured, defaultRole, ProbeHost(workDir))
}

// DetectResourcesFrom is DetectResources with the host facts given.
func DetectResourcesFrom(configured Resources, defaultRole string, h HostInfo) (Resources, error) {
	if defaultRole == "" {
		defaultRole = UnreservedRole
	}
	if err := ValidateRole(defaultRole); err != nil {
		return nil, fmt.Errorf("invalid default role: %v", err)
	}
	out := append(Resources(nil), configured...)
	add := func(name string, v Value) {
		if !configured.Has(name) {
			out = append(out, Resource{Name: name, Role: defaultRole, Value: v})
		}
	}
	cpus := h.CPUs
	if cpus <= 0 {
		cpus = 1
	}
	add("cpus", ScalarValue(float64(cpus)))
	add("mem", ScalarValue(float64(DetectedMemMB(h.MemBytes))))
	add("disk", ScalarValue(float64(DetectedDiskMB(h.DiskBytes))))
	add("ports", RangesValue(DefaultPorts))
	return out.NonEmpty(), nil
}

// DetectedMemMB is the mem an agent advertises for total RAM: total − 1 GiB
// if total ≥ 2 GiB, else total/2, in whole MB (0 means unknown → 1 GiB fallback).
func DetectedMemMB(total uint64) uint64 {
	if total == 0 {
		return FallbackMemBytes / MiB
	}
	if total >= 2*GiB {
		total -= GiB
	} else {
		total /= 2
	}
	return total / MiB
}

// DetectedDiskMB is the disk an agent advertises for a filesystem of size
// total: total − 5 GiB if total ≥ 10 GiB, else total/2, in whole MB (0 means
// unknown → 10 GiB fallback).
func DetectedDiskMB(total uint64) uint64 {
	if total == 0 {
		return FallbackDiskBytes / MiB
	}
	if total >= 10*GiB {
		total -= 5 * GiB
	} else {
		total /= 2
	}
	return total / MiB
}

// parseCPUList counts the CPUs in a kernel cpu list such as "0-3,8,10-11".
func parseCPUList(s string) (int, error) {
	n := 0
	for _, item := range strings.Split(strings.TrimSpace(s), ",") {
		b, e, isRange := strings.Cut(item, "-")
		if !isRange {
			e = b
		}
		bv, err1 := strconv.ParseUint(b, 10, 32)
		ev, err2 := strconv.ParseUint(e, 10, 32)
		if err1 != nil || err2 != nil || bv > ev {
			return 0, fmt.Errorf("bad cpu list %q", s)
		}
		n += int(ev-bv) + 1
	}
	return n, nil
}
