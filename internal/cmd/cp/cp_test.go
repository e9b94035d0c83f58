package cp_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
	"github.com/mesosctl/mesosctl/internal/iostreams"
	"github.com/mesosctl/mesosctl/internal/mesosctl"
	"github.com/mesosctl/mesosctl/internal/remotecopy"
	"github.com/mesosctl/mesosctl/internal/testutil/sshd"
)

// subnet is this package's loopback /24 (tests of other packages run at
// the same time on others).
const subnet = "127.0.19"

func setup(t *testing.T, n int, user string) (string, []*sshd.Server) {
	t.Helper()
	servers := sshd.StartNodes(t, n, sshd.Options{Subnet: subnet})
	cfg := sshd.Inventory(t, servers, user)
	t.Setenv("MESOSCTL_CONFIG", cfg)
	t.Setenv("NODES", "")
	t.Setenv("SSH_AUTH_SOCK", "")
	t.Setenv("XDG_STATE_HOME", t.TempDir()) // @failed/@succeeded of this test's runs
	return cfg, servers
}

func run(t *testing.T, args ...string) (cmdutil.ExitCode, string, string) {
	t.Helper()
	return runCtx(t, context.Background(), args...)
}

func runCtx(t *testing.T, ctx context.Context, args ...string) (cmdutil.ExitCode, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := mesosctl.Run(ctx, ios, append([]string{"mesosctl"}, args...))
	return code, out.String(), errOut.String()
}

var old = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// tree writes a local source tree: dir/{a.txt 0640, sub/b.bin 0755 (1 MiB
// of random bytes), link -> a.txt} and top.txt 0600, all dated 2001.
func tree(t *testing.T) (string, map[string][]byte) {
	t.Helper()
	root := t.TempDir()
	big := make([]byte, 1<<20)
	rand.Read(big)
	files := map[string][]byte{"top.txt": []byte("top\n"), "dir/a.txt": []byte("alpha\n"), "dir/sub/b.bin": big}
	modes := map[string]fs.FileMode{"top.txt": 0o600, "dir/a.txt": 0o640, "dir/sub/b.bin": 0o755}
	os.MkdirAll(filepath.Join(root, "dir/sub"), 0o750)
	for name, b := range files {
		p := filepath.Join(root, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, modes[name])
	}
	if err := os.Symlink("a.txt", filepath.Join(root, "dir/link")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"top.txt", "dir/a.txt", "dir/sub/b.bin", "dir/sub", "dir"} {
		os.Chtimes(filepath.Join(root, p), old, old)
	}
	return root, files
}

// checkTree compares a copy at dir (of the source "dir") and top.txt with
// the source files; with preserve, also the source's modes and times.
func checkTree(t *testing.T, where string, got map[string]string, files map[string][]byte, preserve bool) {
	t.Helper()
	modes := map[string]fs.FileMode{"top.txt": 0o600, "dir/a.txt": 0o640, "dir/sub/b.bin": 0o755}
	for name, want := range files {
		p := got[name]
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(b, want) {
			t.Errorf("%s: %s: %d bytes, %v; want %d bytes", where, name, len(b), err, len(want))
			continue
		}
		fi, _ := os.Stat(p)
		if fi.Mode().Perm() != modes[name] {
			t.Errorf("%s: %s mode %v, want %v", where, name, fi.Mode().Perm(), modes[name])
		}
		if preserve != fi.ModTime().Equal(old) {
			t.Errorf("%s: %s mtime %v (preserve %v)", where, name, fi.ModTime(), preserve)
		}
	}
	if l, err := os.Readlink(filepath.Join(filepath.Dir(got["dir/a.txt"]), "link")); err != nil || l != "a.txt" {
		t.Errorf("%s: link = %q, %v", where, l, err)
	}
	sub := filepath.Dir(got["dir/sub/b.bin"])
	if fi, err := os.Stat(sub); err != nil || fi.Mode().Perm() != 0o750 || preserve != fi.ModTime().Equal(old) {
		t.Errorf("%s: dir/sub: %v %v", where, fi, err)
	}
}

func noTemp(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err == nil && remotecopy.IsTemp(e.Name()) {
				t.Errorf("temporary file left: %s", p)
			}
			return nil
		})
	}
}

func TestPushAndPull(t *testing.T) {
	_, servers := setup(t, 3, "root")
	src, files := tree(t)
	top, dir := filepath.Join(src, "top.txt"), filepath.Join(src, "dir")

	// Into an existing directory (the home), each source under its name.
	code, out, errOut := run(t, "cp", "lxb00[1-3]", top, dir, "~/")
	if code != 0 || out != "" || errOut != "" {
		t.Fatalf("cp: exit %d stdout %q stderr %s", code, out, errOut)
	}
	for i, s := range servers {
		checkTree(t, fmt.Sprintf("node %d", i+1), map[string]string{"top.txt": filepath.Join(s.Home, "top.txt"),
			"dir/a.txt": filepath.Join(s.Home, "dir/a.txt"), "dir/sub/b.bin": filepath.Join(s.Home, "dir/sub/b.bin")}, files, false)
	}
	// A directory onto a new name; -p keeps modes and times.
	code, _, errOut = run(t, "cp", "-p", "lxb00[1-3]", dir, "copy")
	if code != 0 {
		t.Fatalf("cp -p: exit %d stderr %s", code, errOut)
	}
	s := servers[0]
	checkTree(t, "cp -p", map[string]string{"top.txt": filepath.Join(s.Home, "top.txt"),
		"dir/a.txt": filepath.Join(s.Home, "copy/a.txt"), "dir/sub/b.bin": filepath.Join(s.Home, "copy/sub/b.bin")},
		map[string][]byte{"dir/a.txt": files["dir/a.txt"], "dir/sub/b.bin": files["dir/sub/b.bin"]}, true)

	// Pull into DIR/NODE/…: with and without -p.
	local := filepath.Join(t.TempDir(), "pulled")
	code, _, errOut = run(t, "rcp", "lxb00[1-3]", "copy", "~/top.txt", local)
	if code != 0 {
		t.Fatalf("rcp: exit %d stderr %s", code, errOut)
	}
	for _, n := range []string{"lxb001", "lxb002", "lxb003"} {
		d := filepath.Join(local, n)
		checkTree(t, "rcp "+n, map[string]string{"top.txt": filepath.Join(d, "top.txt"),
			"dir/a.txt": filepath.Join(d, "copy/a.txt"), "dir/sub/b.bin": filepath.Join(d, "copy/sub/b.bin")}, files, false)
	}
	code, _, errOut = run(t, "rcp", "-p", "lxb001", "copy", filepath.Join(servers[0].Home, "top.txt"), local)
	if code != 0 {
		t.Fatalf("rcp -p: exit %d stderr %s", code, errOut)
	}
	d := filepath.Join(local, "lxb001")
	checkTree(t, "rcp -p", map[string]string{"top.txt": filepath.Join(d, "top.txt"),
		"dir/a.txt": filepath.Join(d, "copy/a.txt"), "dir/sub/b.bin": filepath.Join(d, "copy/sub/b.bin")},
		map[string][]byte{"dir/a.txt": files["dir/a.txt"], "dir/sub/b.bin": files["dir/sub/b.bin"]}, true)
	noTemp(t, local, servers[0].Home, servers[1].Home, servers[2].Home)

	// An existing file keeps its mode without -p.
	target := filepath.Join(servers[0].Home, "top.txt")
	os.Chmod(target, 0o644)
	if code, _, errOut := run(t, "cp", "lxb001", top, "top.txt"); code != 0 {
		t.Fatalf("overwrite: exit %d stderr %s", code, errOut)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o644 {
		t.Errorf("overwritten file mode %v, want the old 0644", fi.Mode().Perm())
	}
}

func TestCpDestinationRules(t *testing.T) {
	_, servers := setup(t, 1, "root")
	src, _ := tree(t)
	top, dir := filepath.Join(src, "top.txt"), filepath.Join(src, "dir")
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{top, dir, "missing"}, "missing does not exist: with several sources the destination must be an existing directory"},
		{[]string{top, dir, ".bashrc"}, ".bashrc is not a directory"},
		{[]string{dir, ".profile"}, ".profile exists and is not a directory"},
		{[]string{top, "nodir/"}, "nodir/: no such directory"},
	} {
		code, _, errOut := run(t, append([]string{"cp", "lxb001"}, tt.args...)...)
		if code != cmdutil.ExitPartial || !strings.Contains(errOut, "mesosctl: lxb001: "+tt.msg) {
			t.Errorf("cp %q: exit %d stderr %s", tt.args, code, errOut)
		}
	}
	// Usage errors: nothing is copied, exit 2.
	for _, args := range [][]string{
		{"cp", "lxb001", top},
		{"cp", "lxb001", filepath.Join(src, "nonexistent"), "x"},
		{"cp", "-r", "lxb001", top, "x"},
		{"rcp", "lxb001", "x"},
		{"rcp", "lxb001", "/etc/hosts", "/tmp/hosts", "out"},
	} {
		if code, _, errOut := run(t, args...); code != cmdutil.ExitUsage {
			t.Errorf("%q: exit %d, want 2; stderr %s", args, code, errOut)
		}
	}
	// A FIFO is refused up front.
	fifo := filepath.Join(src, "fifo")
	syscall.Mkfifo(fifo, 0o600)
	if code, _, errOut := run(t, "cp", "lxb001", fifo, "x"); code != cmdutil.ExitUsage || !strings.Contains(errOut, "is a named pipe") {
		t.Errorf("fifo: exit %d stderr %s", code, errOut)
	}
	// $NODES with exactly SOURCE and DEST.
	t.Setenv("NODES", "lxb001")
	if code, _, errOut := run(t, "cp", top, "via-env"); code != 0 {
		t.Fatalf("NODES: exit %d stderr %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(servers[0].Home, "via-env")); err != nil {
		t.Error(err)
	}
}

// TestCpAtomic replaces an 8 MiB file again and again while readers on
// the node read it: every read must be a whole old or new file.
func TestCpAtomic(t *testing.T) {
	_, servers := setup(t, 1, "root")
	const size = 8 << 20
	dir := t.TempDir()
	var srcs [2]string
	for i, c := range []byte{'A', 'B'} {
		srcs[i] = filepath.Join(dir, string(c))
		os.WriteFile(srcs[i], bytes.Repeat([]byte{c}, size), 0o644)
	}
	target := filepath.Join(servers[0].Home, "data")
	if code, _, errOut := run(t, "cp", "lxb001", srcs[0], "data"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var stop atomic.Bool
	var reads, bad atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				b, err := os.ReadFile(target)
				if err != nil {
					bad.Add(1)
					continue
				}
				reads.Add(1)
				if len(b) != size || bytes.Count(b, b[:1]) != size {
					bad.Add(1)
				}
			}
		}()
	}
	for i := range 6 {
		if code, _, errOut := run(t, "cp", "lxb001", srcs[(i+1)%2], "data"); code != 0 {
			t.Errorf("exit %d: %s", code, errOut)
		}
	}
	stop.Store(true)
	wg.Wait()
	if bad.Load() != 0 || reads.Load() == 0 {
		t.Fatalf("%d of %d reads saw a missing or partial file", bad.Load(), reads.Load()+bad.Load())
	}
	noTemp(t, servers[0].Home)
}

// TestCpFailedTransferLeavesNoTemp interrupts a large transfer once its
// temporary file exists, and makes a rename fail: neither leaves a
// temporary file or a target behind.
func TestCpFailedTransferLeavesNoTemp(t *testing.T) {
	_, servers := setup(t, 1, "root")
	home := servers[0].Home
	big := filepath.Join(t.TempDir(), "big")
	f, _ := os.Create(big)
	f.Truncate(512 << 20) // sparse: cheap to read, 512 MiB to send
	f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan cmdutil.ExitCode)
	go func() {
		code, _, _ := runCtx(t, ctx, "cp", "lxb001", big, "big")
		done <- code
	}()
	sawTemp := false
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !sawTemp; time.Sleep(2 * time.Millisecond) {
		ents, _ := os.ReadDir(home)
		for _, e := range ents {
			if remotecopy.IsTemp(e.Name()) {
				sawTemp = true
			}
		}
	}
	cancel()
	if code := <-done; code != cmdutil.ExitCancel {
		t.Fatalf("exit %d, want 130", code)
	}
	if !sawTemp {
		t.Fatal("never saw the temporary file")
	}
	noTemp(t, home)
	if _, err := os.Stat(filepath.Join(home, "big")); err == nil {
		t.Error("the interrupted copy left a target")
	}

	// The rename fails (the target is a non-empty directory).
	os.MkdirAll(filepath.Join(home, "d/top.txt/x"), 0o755)
	src, _ := tree(t)
	code, _, errOut := run(t, "cp", "lxb001", filepath.Join(src, "top.txt"), "d")
	if code != cmdutil.ExitPartial || !strings.Contains(errOut, "mesosctl: lxb001: d/top.txt:") {
		t.Fatalf("exit %d stderr %s", code, errOut)
	}
	noTemp(t, home)
}

func TestCpDownNodeAndHostKeys(t *testing.T) {
	cfg, servers := setup(t, 3, "root")
	src, _ := tree(t)
	top := filepath.Join(src, "top.txt")
	servers[1].Stop()
	code, _, errOut := run(t, "cp", "lxb00[1-3]", top, "t1")
	if code != cmdutil.ExitPartial || !strings.Contains(errOut, "mesosctl: lxb002: connect to "+subnet+".2:") ||
		!strings.Contains(errOut, "connection refused") || !strings.Contains(errOut, "error: 1 of 3 nodes failed") {
		t.Fatalf("down node: exit %d stderr %s", code, errOut)
	}
	for _, i := range []int{0, 2} {
		if _, err := os.Stat(filepath.Join(servers[i].Home, "t1")); err != nil {
			t.Errorf("node %d: %v", i+1, err)
		}
	}
	// The run recorded its outcome: @succeeded is lxb001 and lxb003.
	if code, _, errOut = run(t, "cp", "@succeeded", top, "t3"); code != 0 {
		t.Fatalf("cp @succeeded: exit %d stderr %s", code, errOut)
	}
	for i, want := range []bool{true, false, true} {
		if _, err := os.Stat(filepath.Join(servers[i].Home, "t3")); (err == nil) != want {
			t.Errorf("cp @succeeded: node %d has t3: %v, want %v", i+1, err == nil, want)
		}
	}
	code, _, errOut = run(t, "rcp", "lxb00[1-3]", "t1", t.TempDir())
	if code != cmdutil.ExitPartial || !strings.Contains(errOut, "mesosctl: lxb002: connect to") {
		t.Fatalf("rcp down node: exit %d stderr %s", code, errOut)
	}
	// rcp recorded its outcome: @failed is lxb002.
	if code, _, errOut = run(t, "cp", "@failed", top, "t3"); code == 0 || !strings.Contains(errOut, "lxb002") ||
		strings.Contains(errOut, "lxb001") || strings.Contains(errOut, "lxb003") {
		t.Fatalf("cp @failed: exit %d stderr %s", code, errOut)
	}
	// Unknown host keys are refused: nothing is written.
	os.WriteFile(sshd.KnownHostsPath(cfg), nil, 0o600)
	code, _, errOut = run(t, "cp", "lxb001", top, "t2")
	if code != cmdutil.ExitPartial || !strings.Contains(errOut, "host key verification failed") || !strings.Contains(errOut, "--accept-new-host-keys") {
		t.Fatalf("unknown key: exit %d stderr %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(servers[0].Home, "t2")); err == nil {
		t.Error("copied to a host whose key was refused")
	}
}

func TestCpRootViaSudo(t *testing.T) {
	const user = "mesosctlcp"
	exec.Command("userdel", "-r", user).Run()
	if out, err := exec.Command("useradd", "-m", "-s", "/bin/sh", user).CombinedOutput(); err != nil {
		t.Fatalf("useradd (needs root and the passwd package): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", "-r", "-f", user).Run() })
	// sshd without PAM refuses locked accounts ("!"): "*" is not locked.
	if out, err := exec.Command("usermod", "-p", "*", user).CombinedOutput(); err != nil {
		t.Fatalf("usermod: %v %s", err, out)
	}
	_, servers := setup(t, 1, user)
	home := "/home/" + user
	os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
	pub, _ := os.ReadFile(servers[0].Keys.ClientKeyPath + ".pub")
	os.WriteFile(filepath.Join(home, ".ssh", "authorized_keys"), pub, 0o600)
	exec.Command("chown", "-R", user+":", home).Run()

	rootDir := t.TempDir() // 0700 root: closed to the user
	os.Chmod(rootDir, 0o700)
	src, files := tree(t)
	top := filepath.Join(src, "top.txt")
	secret := filepath.Join(rootDir, "secret")
	os.WriteFile(secret, []byte("s3cret\n"), 0o600)

	code, _, errOut := run(t, "cp", "lxb001", top, rootDir+"/")
	if code != cmdutil.ExitPartial || !strings.Contains(errOut, "permission denied") {
		t.Fatalf("as %s: exit %d stderr %s", user, code, errOut)
	}
	code, _, errOut = run(t, "cp", "--root", "lxb001", top, rootDir+"/")
	if code != cmdutil.ExitPartial || !strings.Contains(errOut, "sudo") || !strings.Contains(errOut, "passwordless sudo") {
		t.Fatalf("--root without sudo rights: exit %d stderr %s", code, errOut)
	}
	sudoers := "/etc/sudoers.d/mesosctl-cp-test"
	if err := os.WriteFile(sudoers, []byte(user+" ALL=(ALL) NOPASSWD: ALL\n"), 0o440); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(sudoers) })
	// An existing file keeps its owner, group and mode when replaced as root.
	os.WriteFile(filepath.Join(rootDir, "top.txt"), []byte("old"), 0o640)
	os.Chown(filepath.Join(rootDir, "top.txt"), 4321, 4322)
	code, _, errOut = run(t, "cp", "--root", "lxb001", top, filepath.Join(src, "dir"), rootDir+"/")
	if code != 0 {
		t.Fatalf("--root: exit %d stderr %s", code, errOut)
	}
	fi, err := os.Stat(filepath.Join(rootDir, "top.txt"))
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	b, _ := os.ReadFile(filepath.Join(rootDir, "top.txt"))
	if string(b) != string(files["top.txt"]) || st.Uid != 4321 || st.Gid != 4322 || fi.Mode().Perm() != 0o640 {
		t.Errorf("replaced file: %q uid %d gid %d mode %v", b, st.Uid, st.Gid, fi.Mode().Perm())
	}
	fi, _ = os.Stat(filepath.Join(rootDir, "dir/a.txt"))
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 {
		t.Errorf("new file owned by uid %d, want root", st.Uid)
	}
	// Pull a file only root can read.
	local := t.TempDir()
	code, _, errOut = run(t, "rcp", "--root", "lxb001", secret, local)
	if code != 0 {
		t.Fatalf("rcp --root: exit %d stderr %s", code, errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(local, "lxb001", "secret")); string(b) != "s3cret\n" {
		t.Errorf("pulled %q", b)
	}
	noTemp(t, rootDir, local)
}

// TestCpProgressAndHungNode adds a node that accepts TCP connections and
// never speaks (a hung sshd): the others finish, the progress line names
// it while it holds the run, and it fails with the connect timeout.
func TestCpProgressAndHungNode(t *testing.T) {
	cfg, servers := setup(t, 1, "root")
	l, err := net.Listen("tcp", subnet+".2:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(b, fmt.Sprintf("  - name: lxb002\n    address: %s.2\n    ssh_port: %d\n", subnet, l.Addr().(*net.TCPAddr).Port)...), 0o600)
	src, _ := tree(t)
	code, _, errOut := run(t, "cp", "--progress=always", "--connect-timeout", "1500ms", "lxb00[1-2]", filepath.Join(src, "top.txt"), "p")
	if code != cmdutil.ExitPartial || !strings.Contains(errOut, "1/2 done, slowest: lxb002 1.") ||
		!strings.Contains(errOut, "\r\x1b[K") || !strings.Contains(errOut, "mesosctl: lxb002: connect to "+subnet+".2") ||
		!strings.Contains(errOut, "timed out after 1.5s") {
		t.Fatalf("exit %d stderr %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(servers[0].Home, "p")); err != nil {
		t.Error(err)
	}
}

// TestCpTreeBeyondOpenFileLimit pushes a tree of more files than the
// process may have open at once: files are opened as they are copied, not
// all when the sources are read.
func TestCpTreeBeyondOpenFileLimit(t *testing.T) {
	_, servers := setup(t, 2, "root")
	src := filepath.Join(t.TempDir(), "many")
	os.MkdirAll(src, 0o755)
	const files = 300
	for i := range files {
		os.WriteFile(filepath.Join(src, fmt.Sprintf("f%03d", i)), []byte(fmt.Sprint(i)), 0o644)
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	low := lim
	low.Cur = uint64(len(fds) + 64)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "cp", "lxb00[1-2]", src, "many")
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	if code != 0 {
		t.Fatalf("exit %d stderr %s", code, errOut)
	}
	for _, s := range servers {
		ents, err := os.ReadDir(filepath.Join(s.Home, "many"))
		if err != nil || len(ents) != files {
			t.Fatalf("%s: %d files, %v; want %d", s.Home, len(ents), err, files)
		}
		if b, _ := os.ReadFile(filepath.Join(s.Home, "many", "f299")); string(b) != "299" {
			t.Errorf("%s: f299 = %q", s.Home, b)
		}
	}
}

var builtBinary string

// buildBinary builds mesosctl once for the package's tests: only a real
// binary starts the ssh-mux daemon (a test binary runs in-process and
// connects directly).
func buildBinary(t *testing.T) string {
	t.Helper()
	if builtBinary == "" {
		dir, err := os.MkdirTemp("", "mesosctl-cp-test")
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "mesosctl")
		if out, err := exec.Command("go", "build", "-o", bin, "github.com/mesosctl/mesosctl/cmd/mesosctl").CombinedOutput(); err != nil {
			t.Fatalf("build: %v %s", err, out)
		}
		builtBinary = bin
	}
	return builtBinary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBinary != "" {
		os.RemoveAll(filepath.Dir(builtBinary))
	}
	os.Exit(code)
}

// TestCpReusesConnections runs the built binary: cp and rcp go through
// the user's live ControlMaster (lxb001) or on the ssh-mux daemon's kept
// connections (lxb002), so later copies log in no more; --no-reuse opens
// connections of its own.
func TestCpReusesConnections(t *testing.T) {
	servers := sshd.StartNodes(t, 2, sshd.Options{Subnet: subnet, LogLevel: "INFO"})
	cfg := sshd.Inventory(t, servers, "root")
	t.Setenv("MESOSCTL_CONFIG", cfg)
	t.Setenv("NODES", "")
	t.Setenv("SSH_AUTH_SOCK", "")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	bin := buildBinary(t)
	t.Cleanup(func() { exec.Command(bin, "ssh-mux", "stop").Run() })
	cm, err := os.MkdirTemp("", "cm") // short: socket paths are limited to 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(cm) })
	os.WriteFile(filepath.Join(filepath.Dir(cfg), "ssh_config"), []byte("Host *\n  ControlPath "+cm+"/%C\n"), 0o600)
	sshd.StartMaster(t, servers[0], "root", cm+"/%C", sshd.KnownHostsPath(cfg))
	logins := func(i int) int { return strings.Count(servers[i].Stderr(), "Accepted publickey") }

	src, files := tree(t)
	for i := range 3 {
		dest := fmt.Sprintf("/tmp/cp-reuse-%d", i)
		os.MkdirAll(dest, 0o755)
		t.Cleanup(func() { os.RemoveAll(dest) })
		out, err := exec.Command(bin, "cp", "-p", "lxb00[1-2]", filepath.Join(src, "top.txt"), filepath.Join(src, "dir"), dest).CombinedOutput()
		if err != nil {
			t.Fatalf("cp %d: %v %s", i, err, out)
		}
		// Both nodes write to this machine's /tmp: the file is there.
		for name, want := range files {
			if b, _ := os.ReadFile(filepath.Join(dest, name)); !bytes.Equal(b, want) {
				t.Fatalf("cp %d: %s differs", i, name)
			}
		}
	}
	local := t.TempDir()
	if out, err := exec.Command(bin, "rcp", "lxb00[1-2]", "/tmp/cp-reuse-0/dir/a.txt", local).CombinedOutput(); err != nil {
		t.Fatalf("rcp: %v %s", err, out)
	}
	for _, n := range []string{"lxb001", "lxb002"} {
		if b, _ := os.ReadFile(filepath.Join(local, n, "a.txt")); string(b) != "alpha\n" {
			t.Fatalf("rcp from %s: %q", n, b)
		}
	}
	if n := logins(0); n != 1 {
		t.Fatalf("lxb001 saw %d logins, want 1 (its ControlMaster's)", n)
	}
	if n := logins(1); n != 1 {
		t.Fatalf("lxb002 saw %d logins, want 1 (the ssh-mux daemon's)", n)
	}
	out, err := exec.Command(bin, "ssh-mux", "status").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "idle for") || !strings.Contains(string(out), "1 connections\n  root@"+servers[1].Addr) {
		t.Fatalf("ssh-mux status: %v\n%s", err, out)
	}
	// A copy whose time is up through the daemon fails that node; the
	// daemon and its connection stay usable.
	if out, err := exec.Command(bin, "cp", "--timeout", "1ns", "lxb002", filepath.Join(src, "top.txt"), "/tmp/cp-reuse-0/").CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "timed out") {
		t.Fatalf("cp --timeout 1ns: %v %s", err, out)
	}
	if out, err := exec.Command(bin, "cp", "lxb002", filepath.Join(src, "top.txt"), "/tmp/cp-reuse-0/").CombinedOutput(); err != nil {
		t.Fatalf("cp after a timeout: %v %s", err, out)
	}
	if out, err := exec.Command(bin, "cp", "--no-reuse", "lxb00[1-2]", filepath.Join(src, "top.txt"), "/tmp/cp-reuse-0/").CombinedOutput(); err != nil {
		t.Fatalf("cp --no-reuse: %v %s", err, out)
	}
	if logins(0) != 2 || logins(1) != 2 {
		t.Fatalf("--no-reuse: %d and %d logins, want 2 each", logins(0), logins(1))
	}
	noTemp(t, "/tmp/cp-reuse-0", local)
}
