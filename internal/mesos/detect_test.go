package mesos

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestDetectResourcesFrom(t *testing.T) {
	h := HostInfo{CPUs: 8, MemBytes: 16 * GiB, DiskBytes: 100 * GiB}
	tests := []struct {
		configured, role string
		host             HostInfo
		want             string
	}{
		{"", "*", h, "cpus:8;mem:15360;disk:97280;ports:[31000-32000]"},
		{"cpus:2;mem:1024", "*", h, "cpus:2;mem:1024;disk:97280;ports:[31000-32000]"},
		{"cpus:0;ports:[1-2]", "*", h, "ports:[1-2];mem:15360;disk:97280"},
		{"cpus(ads):2", "prod", h, "cpus(ads):2;mem(prod):15360;disk(prod):97280;ports(prod):[31000-32000]"},
		// Small host: half of RAM below 2 GiB, half of disk below 10 GiB.
		{"", "*", HostInfo{CPUs: 1, MemBytes: 1536 * MiB, DiskBytes: 8 * GiB}, "cpus:1;mem:768;disk:4096;ports:[31000-32000]"},
		// Exactly at the thresholds.
		{"", "*", HostInfo{CPUs: 2, MemBytes: 2 * GiB, DiskBytes: 10 * GiB}, "cpus:2;mem:1024;disk:5120;ports:[31000-32000]"},
		// Whole MB, truncated.
		{"", "*", HostInfo{CPUs: 2, MemBytes: 3*GiB + MiB/2, DiskBytes: 20*GiB + 3}, "cpus:2;mem:2048;disk:15360;ports:[31000-32000]"},
		// Nothing probed: the Mesos fallbacks.
		{"", "*", HostInfo{}, "cpus:1;mem:1024;disk:10240;ports:[31000-32000]"},
	}
	for _, tt := range tests {
		conf, err := ParseResources(tt.configured, tt.role)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DetectResourcesFrom(conf, tt.role, tt.host)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != tt.want {
			t.Errorf("DetectResourcesFrom(%q, %+v)\n got %q\nwant %q", tt.configured, tt.host, got.String(), tt.want)
		}
	}
	if _, err := DetectResourcesFrom(nil, "a b", h); err == nil {
		t.Error("bad role accepted")
	}
}

// TestDetectResourcesThisMachine checks detection against the real host.
func TestDetectResourcesThisMachine(t *testing.T) {
	dir := t.TempDir()
	got, err := DetectResources(nil, dir+"/not/yet/created", "*")
	if err != nil {
		t.Fatal(err)
	}
	online, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		t.Fatalf("reading online CPUs: %v", err)
	}
	wantCPUs, err := parseCPUList(string(online))
	if err != nil {
		t.Fatal(err)
	}
	if got.Scalar("cpus") != float64(wantCPUs) || wantCPUs > runtime.NumCPU()*4 {
		t.Errorf("cpus = %v, online CPUs %d", got.Scalar("cpus"), wantCPUs)
	}
	memTotal := memTotalKB(t) * 1024
	mem := got.Scalar("mem")
	if mem <= 0 || mem*MiB > float64(memTotal) || mem*MiB < float64(memTotal)-GiB-2*MiB && memTotal >= 2*GiB {
		t.Errorf("mem = %v MB, MemTotal %d bytes", mem, memTotal)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if want := DetectedDiskMB(st.Blocks * uint64(st.Frsize)); got.Scalar("disk") != float64(want) {
		t.Errorf("disk = %v, want %d", got.Scalar("disk"), want)
	}
	if v, _ := got.Get("ports"); v.String() != "[31000-32000]" {
		t.Errorf("ports = %s", v)
	}
}

func memTotalKB(t *testing.T) uint64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			n, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no MemTotal in /proc/meminfo")
	return 0
}

func TestParseCPUList(t *testing.T) {
	for in, want := range map[string]int{"0\n": 1, "0-1\n": 2, "0-3,8,10-11": 7} {
		if got, err := parseCPUList(in); err != nil || got != want {
			t.Errorf("parseCPUList(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "a", "3-1", "0-"} {
		if _, err := parseCPUList(bad); err == nil {
			t.Errorf("parseCPUList(%q): no error", bad)
		}
	}
}
