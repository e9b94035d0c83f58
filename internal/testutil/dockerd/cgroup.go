package dockerd

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CgroupDir is the directory of the cgroup that holds process pid for a
// controller ("cpu", "memory", "pids", …), as this machine mounts it: the
// cgroup v1 hierarchy of that controller when there is one, else the cgroup
// v2 (unified) hierarchy. V2 is true for the latter.
func CgroupDir(pid int, controller string) (dir string, v2 bool, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	var v1Path, v2Path string
	hasV2 := false
	s := bufio.NewScanner(f)
	for s.Scan() {
		parts := strings.SplitN(s.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			v2Path, hasV2 = parts[2], true
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == controller {
				v1Path = parts[2]
			}
		}
	}
	var mount, root string
	eachMount(func(fields []string, fstype string) {
		if mount != "" {
			return
		}
		super := fields[len(fields)-1]
		switch {
		case v1Path != "" && fstype == "cgroup" && hasWord(super, controller):
			mount, root = unescapeMount(fields[4]), fields[3]
		case v1Path == "" && hasV2 && fstype == "cgroup2":
			mount, root, v2 = unescapeMount(fields[4]), fields[3], true
		}
	})
	if mount == "" {
		return "", false, fmt.Errorf("no cgroup hierarchy with the %s controller holds process %d", controller, pid)
	}
	p := v1Path
	if v2 {
		p = v2Path
	}
	rel, err := filepath.Rel(root, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", false, fmt.Errorf("cgroup %s of process %d is outside the mount of %s (root %s)", p, pid, mount, root)
	}
	return filepath.Join(mount, rel), v2, nil
}

// ReadCgroupFile reads a control file (e.g. "cpu.shares",
// "memory.limit_in_bytes", "memory.max") of process pid's cgroup for a
// controller; see CgroupDir.
func ReadCgroupFile(pid int, controller, file string) (string, error) {
	dir, _, err := CgroupDir(pid, controller)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(dir, file))
	return strings.TrimSpace(string(b)), err
}

func hasWord(commaList, w string) bool {
	for _, x := range strings.Split(commaList, ",") {
		if x == w {
			return true
		}
	}
	return false
}
