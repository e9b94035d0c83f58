package dockerd

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"
)

// Image is the test image: a busybox-static root filesystem imported with
// docker import, never pulled.
const Image = "mesosctl-test/busybox:latest"

// BusyboxBinary is busybox-static's binary (Debian's busybox-static; the
// dynamically linked busybox package cannot run inside the image).
const BusyboxBinary = "/bin/busybox"

// RootfsLabel is the image label that records the digest of the root
// filesystem tarball it was imported from; EnsureImage compares it.
const RootfsLabel = "org.mesosctl.test.rootfs"

// RequiredApplets must be in the image; tests rely on them.
var RequiredApplets = []string{"sh", "sleep", "cat", "echo", "id", "ls", "env", "true", "false", "kill", "ps", "hostname"}

// imageEnv is the image's environment; imageCmd its default command.
const (
	imageEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	imageCmd = `["sh"]`
)

// Rootfs returns a tar archive of a minimal root filesystem: /bin/busybox
// (from BusyboxBinary) with a symlink for each applet at the place
// `busybox --list-full` gives (/bin/sh, /bin/sleep, /usr/bin/env, …),
// /etc/passwd and /etc/group with root and nobody, and empty /dev, /proc,
// /sys, /tmp (1777), /root, /var/tmp. The archive is the same byte for byte
// for the same busybox.
func Rootfs() ([]byte, error) {
	if err := checkStatic(BusyboxBinary); err != nil {
		return nil, err
	}
	bin, err := os.ReadFile(BusyboxBinary)
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(BusyboxBinary, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list-full: %w", BusyboxBinary, err)
	}
	links := map[string]bool{}
	have := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		l = strings.TrimPrefix(l, "/")
		if l == "bin/busybox" || strings.Contains(l, "..") {
			continue
		}
		links[l] = true
		have[l[strings.LastIndexByte(l, '/')+1:]] = true
	}
	for _, a := range RequiredApplets {
		if !have[a] {
			return nil, fmt.Errorf("%s has no %q applet; the test image needs %s", BusyboxBinary, a, strings.Join(RequiredApplets, ", "))
		}
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	dirs := map[string]bool{}
	addDir := func(name string, mode int64) error {
		if dirs[name] {
			return nil
		}
		dirs[name] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, ModTime: mtime, Format: tar.FormatPAX})
	}
	var parents func(name string) error
	parents = func(name string) error {
		i := strings.LastIndexByte(name, '/')
		if i < 0 {
			return nil
		}
		if err := parents(name[:i]); err != nil {
			return err
		}
		return addDir(name[:i], 0o755)
	}
	for _, d := range []struct {
		name string
		mode int64
	}{{"bin", 0o755}, {"dev", 0o755}, {"etc", 0o755}, {"proc", 0o555}, {"root", 0o700}, {"sbin", 0o755},
		{"sys", 0o555}, {"tmp", 0o1777}, {"usr", 0o755}, {"usr/bin", 0o755}, {"usr/sbin", 0o755}, {"var", 0o755}, {"var/tmp", 0o1777}} {
		if err := addDir(d.name, d.mode); err != nil {
			return nil, err
		}
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := file("bin/busybox", 0o755, bin); err != nil {
		return nil, err
	}
	if err := file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")); err != nil {
		return nil, err
	}
	if err := file("etc/group", 0o644, []byte("root:x:0:\nnogroup:x:65534:\n")); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(links))
	for l := range links {
		names = append(names, l)
	}
	sort.Strings(names)
	for _, l := range names {
		if err := parents(l); err != nil {
			return nil, err
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: l, Linkname: "/bin/busybox", Mode: 0o777, ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkStatic fails when path is not a statically linked executable.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("busybox-static is needed for the test image: %v; install the Debian package busybox-static (scripts/install-deps.sh)", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked and cannot run in the test image; install the Debian package busybox-static (scripts/install-deps.sh)", path)
		}
	}
	return nil
}

// EnsureImage makes sure Image is in the engine, built from Rootfs: when
// the engine has it with the same root filesystem (RootfsLabel) nothing is
// done, otherwise it is imported with docker import. No registry is
// contacted.
func (e *Engine) EnsureImage(ctx context.Context) error {
	tarball, err := Rootfs()
	if err != nil {
		return err
	}
	sum := sha256.Sum256(tarball)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	got, err := e.Output(ctx, "image", "inspect", "--format", `{{index .Config.Labels "`+RootfsLabel+`"}}`, Image)
	if err == nil && got == digest {
		return nil
	}
	cmd := e.Command(ctx, "import",
		"--change", "LABEL "+RootfsLabel+"="+digest,
		"--change", "ENV "+imageEnv,
		"--change", "CMD "+imageCmd,
		"--message", "mesosctl test image (busybox-static)",
		"-", Image)
	cmd.Stdin = bytes.NewReader(tarball)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker import %s: %v: %s", Image, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
