//go:build !linux

package mesos

import "runtime"

// ProbeHost returns the CPU count only; memory and disk use the Mesos fallbacks.
func ProbeHost(workDir string) HostInfo { return HostInfo{CPUs: runtime.NumCPU()} }
