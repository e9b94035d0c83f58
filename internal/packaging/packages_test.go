package packaging_test

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mesosctl/mesosctl/internal/agentd/flags"
)

// goreleaser is run from the Go module proxy, as `make release-snapshot`
// does; it is not a module dependency.
const goreleaser = "github.com/goreleaser/goreleaser/v2@v2.15.1"

var repoRoot, _ = filepath.Abs("../..")

// dist is the output of one goreleaser snapshot, shared by the tests.
type dist struct {
	dir      string // goreleaser's dist/
	deb      string // mesosctl_<v>_linux_<arch>.deb
	compat   string // mesosctl-mesos-compat_<v>_linux_all.deb
	archive  string // mesosctl_<v>_linux_<arch>.tar.gz
	checksum string // checksums.txt
}

var (
	buildOnce sync.Once
	built     dist
	buildErr  error
	workDir   string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if workDir != "" {
		os.RemoveAll(workDir)
	}
	os.Exit(code)
}

// packages runs goreleaser once (snapshot, offline but for the module proxy)
// on goreleaser.yaml narrowed to this machine's architecture, with its output
// (dist, gzipped man pages) in a temporary directory so the checkout is left
// alone.
func packages(t *testing.T) dist {
	t.Helper()
	if testing.Short() {
		t.Skip("runs goreleaser and dpkg (minutes): not with -short (make unit)")
	}
	buildOnce.Do(func() { built, buildErr = buildPackages() })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

func buildPackages() (dist, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return dist{}, fmt.Errorf("go is not in PATH: %v", err)
	}
	var err error
	workDir, err = os.MkdirTemp("", "mesosctl-packaging-")
	if err != nil {
		return dist{}, err
	}
	cfgPath, err := narrowConfig(workDir)
	if err != nil {
		return dist{}, err
	}
	// A cold machine first downloads and compiles goreleaser (minutes on
	// 2 cores); afterwards `go run` reuses the cached executable.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", goreleaser, "release", "-f", cfgPath, "--snapshot", "--clean")
	cmd.Dir = repoRoot
	cmd.Env = os.Environ()
	if out, _ := exec.Command("git", "-C", repoRoot, "remote").Output(); len(strings.TrimSpace(string(out))) == 0 {
		// goreleaser drops all git data (commit, dates) without a remote;
		// give it one through the environment, as `make release-snapshot` does.
		cmd.Env = append(cmd.Env, "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=remote.origin.url",
			"GIT_CONFIG_VALUE_0=https://github.com/mesosctl/mesosctl.git")
	}
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return dist{}, fmt.Errorf("goreleaser release --snapshot: %v\n%s", err, out)
	}
	fmt.Fprintf(os.Stderr, "packaging: goreleaser snapshot took %v\n", time.Since(start).Round(time.Second))
	d := dist{dir: filepath.Join(workDir, "dist"), checksum: filepath.Join(workDir, "dist", "checksums.txt")}
	for _, f := range []struct {
		dst     *string
		pattern string
	}{
		{&d.deb, "mesosctl_*_linux_" + runtime.GOARCH + ".deb"},
		{&d.compat, "mesosctl-mesos-compat_*_linux_all.deb"},
		{&d.archive, "mesosctl_*_linux_" + runtime.GOARCH + ".tar.gz"},
	} {
		m, _ := filepath.Glob(filepath.Join(d.dir, f.pattern))
		if len(m) != 1 {
			ls, _ := filepath.Glob(filepath.Join(d.dir, "*"))
			return dist{}, fmt.Errorf("want one %s in dist, found %v among %v", f.pattern, m, ls)
		}
		*f.dst = m[0]
	}
	return d, nil
}

// narrowConfig writes goreleaser.yaml with one architecture (this
// machine's), without the before hook that re-runs unit tests, and with the
// gzipped man pages and dist/ under dir.
func narrowConfig(dir string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "goreleaser.yaml"))
	if err != nil {
		return "", err
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		return "", fmt.Errorf("goreleaser.yaml: %v", err)
	}
	manDir := filepath.Join(dir, "man")
	before, _ := cfg["before"].(map[string]any)
	hooks, _ := before["hooks"].([]any)
	var kept []any
	for _, h := range hooks {
		if s, _ := h.(string); strings.Contains(s, "scripts/manpages.sh") {
			kept = append(kept, "sh scripts/manpages.sh "+manDir)
		}
	}
	if len(kept) != 1 {
		return "", fmt.Errorf("goreleaser.yaml: no before hook running scripts/manpages.sh among %v", hooks)
	}
	before["hooks"] = kept
	builds, _ := cfg["builds"].([]any)
	for _, b := range builds {
		b.(map[string]any)["goarch"] = []string{runtime.GOARCH}
	}
	nfpms, _ := cfg["nfpms"].([]any)
	for _, n := range nfpms {
		contents, _ := n.(map[string]any)["contents"].([]any)
		for _, c := range contents {
			c := c.(map[string]any)
			if src, _ := c["src"].(string); strings.HasPrefix(src, "build/man/") {
				c["src"] = filepath.Join(manDir, strings.TrimPrefix(src, "build/man/"))
			}
		}
	}
	cfg["dist"] = filepath.Join(dir, "dist")
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "goreleaser.yaml")
	return path, os.WriteFile(path, out, 0o644)
}

// dpkgRoot makes an empty dpkg database under a fresh directory.
func dpkgRoot(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Fatal("dpkg is missing: these tests install the .deb with dpkg --root (Debian/Ubuntu)")
	}
	root := t.TempDir()
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// dpkg runs dpkg on root. Maintainer scripts run outside a chroot (the root
// has no shell) with DPKG_ROOT set, which ours honour.
func dpkg(root string, args ...string) (string, error) {
	args = append([]string{"--root=" + root, "--force-script-chrootless", "--log=/dev/null"}, args...)
	out, err := exec.Command("dpkg", args...).CombinedOutput()
	return string(out), err
}

func mustDpkg(t *testing.T, root string, args ...string) string {
	t.Helper()
	out, err := dpkg(root, args...)
	if err != nil {
		t.Fatalf("dpkg %v: %v\n%s", args, err, out)
	}
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDebInstall installs both packages into an empty root with dpkg and
// checks what lands where.
func TestDebInstall(t *testing.T) {
	d := packages(t)
	root := dpkgRoot(t)
	mustDpkg(t, root, "-i", d.deb, d.compat)

	files := map[string]os.FileMode{
		"/usr/bin/mesosctl": 0o755,
		"/usr/lib/systemd/system/mesosctl-agentd.service":    0o644,
		"/etc/default/mesosctl-agentd":                       0o644,
		"/usr/share/bash-completion/completions/mesosctl":    0o644,
		"/usr/share/zsh/vendor-completions/_mesosctl":        0o644,
		"/usr/share/fish/vendor_completions.d/mesosctl.fish": 0o644,
		"/usr/share/man/man1/mesosctl.1.gz":                  0o644,
		"/usr/share/man/man1/mesosctl-agentd.1.gz":           0o644,
		"/usr/share/man/man1/mesosctl-ex.1.gz":               0o644,
		"/usr/share/doc/mesosctl/README.md":                  0o644,
		"/usr/share/doc/mesosctl/packaging.md":               0o644,
		"/etc/mesos-slave/work_dir":                          0o644,
		"/var/lib/mesos":                                     os.ModeDir | 0o755,
		"/etc/mesosctl/agentd-credentials.json":              0o600,
	}
	for path, mode := range files {
		fi, err := os.Lstat(filepath.Join(root, path))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if fi.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), mode)
		}
	}
	// Every committed man page is shipped, gzipped, and decompresses to it.
	pages, _ := filepath.Glob(filepath.Join(repoRoot, "docs/man/*.1"))
	if len(pages) == 0 {
		t.Fatal("no docs/man/*.1: run make docs")
	}
	for _, p := range pages {
		gz := filepath.Join(root, "usr/share/man/man1", filepath.Base(p)+".gz")
		if got := gunzip(t, gz); got != readFile(t, p) {
			t.Errorf("%s does not hold %s", gz, p)
		}
	}
	if got := readFile(t, filepath.Join(root, "etc/mesos-slave/work_dir")); got != "/var/lib/mesos\n" {
		t.Errorf("/etc/mesos-slave/work_dir = %q", got)
	}

	// The compat links point at the binary and pick the personality.
	for _, link := range []string{"/usr/sbin/mesos-agent", "/usr/sbin/mesos-slave", "/usr/bin/mesos-execute"} {
		target, err := os.Readlink(filepath.Join(root, link))
		if err != nil || target != "/usr/bin/mesosctl" {
			t.Errorf("%s -> %q (%v), want -> /usr/bin/mesosctl", link, target, err)
		}
	}
	bin := filepath.Join(root, "usr/bin/mesosctl")
	for _, argv0 := range []string{"mesos-agent", "mesos-slave"} {
		cmd := &exec.Cmd{Path: bin, Args: []string{argv0, "--version"}}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "mesos 1.") {
			t.Errorf("%s --version: %v\n%s", argv0, err, out)
		}
	}

	// The installed binary runs and says where it came from.
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("mesosctl version: %v\n%s", err, out)
	}
	for _, want := range []string{"mesosctl version ", "commit: ", "built: ", "go: go1."} {
		if !strings.Contains(string(out), want) {
			t.Errorf("mesosctl version lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"commit: none", "built: unknown", "version dev"} {
		if strings.Contains(string(out), bad) {
			t.Errorf("mesosctl version of a snapshot says %q:\n%s", bad, out)
		}
	}

	// dpkg knows the config files, so upgrades keep the operator's edits.
	status := mustDpkg(t, root, "-s", "mesosctl")
	if !strings.Contains(status, " /etc/default/mesosctl-agentd ") {
		t.Errorf("/etc/default/mesosctl-agentd is not a conffile:\n%s", status)
	}
	status = mustDpkg(t, root, "-s", "mesosctl-mesos-compat")
	for _, want := range []string{" /etc/mesos-slave/work_dir ", "Depends: mesosctl", "Conflicts: mesos"} {
		if !strings.Contains(status, want) {
			t.Errorf("mesosctl-mesos-compat status lacks %q:\n%s", want, status)
		}
	}

	// The postinst made agentd's read-write credential: one principal, a
	// random 192-bit secret; reinstalling (an upgrade) keeps it.
	credPath := filepath.Join(root, "etc/mesosctl/agentd-credentials.json")
	cred := readFile(t, credPath)
	if !regexp.MustCompile(`^\{"credentials":\[\{"principal":"mesosctl","secret":"[0-9a-f]{48}"\}\]\}\n$`).MatchString(cred) {
		t.Errorf("credential file: %q", cred)
	}
	mustDpkg(t, root, "-i", d.deb)
	if again := readFile(t, credPath); again != cred {
		t.Errorf("reinstalling replaced the credential")
	}

	// Removal: links go, conffiles stay until purge.
	mustDpkg(t, root, "-r", "mesosctl-mesos-compat")
	if _, err := os.Lstat(filepath.Join(root, "usr/sbin/mesos-slave")); err == nil {
		t.Error("mesos-slave link survived removing mesosctl-mesos-compat")
	}
	mustDpkg(t, root, "-r", "mesosctl")
	if _, err := os.Stat(filepath.Join(root, "etc/default/mesosctl-agentd")); err != nil {
		t.Errorf("dpkg -r removed the conffile: %v", err)
	}
	if _, err := os.Stat(credPath); err != nil {
		t.Errorf("dpkg -r removed the credential: %v", err)
	}
	mustDpkg(t, root, "-P", "mesosctl")
	for _, gone := range []string{"usr/bin/mesosctl", "etc/default/mesosctl-agentd", "usr/lib/systemd/system/mesosctl-agentd.service",
		"etc/mesosctl/agentd-credentials.json", "etc/mesosctl"} {
		if _, err := os.Lstat(filepath.Join(root, gone)); err == nil {
			t.Errorf("/%s survived purging mesosctl", gone)
		}
	}
}

func gunzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return string(b)
}

// unitDirectives parses a systemd unit into key → values.
func unitDirectives(text string) map[string][]string {
	m := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok {
			m[k] = append(m[k], v)
		}
	}
	return m
}

// TestUnit checks the installed systemd unit: the directives that keep tasks
// alive across agent restarts, how agentd is started, and that systemd
// itself accepts the file.
func TestUnit(t *testing.T) {
	d := packages(t)
	root := dpkgRoot(t)
	mustDpkg(t, root, "-i", d.deb)
	unitPath := filepath.Join(root, "usr/lib/systemd/system/mesosctl-agentd.service")
	unit := readFile(t, unitPath)
	got := unitDirectives(unit)
	for k, want := range map[string]string{
		"ExecStart":       "/usr/bin/mesosctl agentd",
		"EnvironmentFile": "-/etc/default/mesosctl-agentd",
		"KillMode":        "process",
		"Delegate":        "yes",
		"Restart":         "on-failure",
		"WantedBy":        "multi-user.target",
	} {
		if !slices.Equal(got[k], []string{want}) {
			t.Errorf("%s=%q, want %q", k, got[k], want)
		}
	}
	if c := strings.Join(got["Conflicts"], " "); !strings.Contains(c, "mesos-slave.service") {
		t.Errorf("Conflicts=%q, want mesos-slave.service (one agent per node)", c)
	}

	// systemd-analyze verify, with ExecStart pointing into the root (the
	// binary is not installed on this machine) and no man page lookup.
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Fatal("systemd-analyze is missing: install the Debian package systemd (make deps)")
	}
	vdir := t.TempDir()
	vunit := filepath.Join(vdir, "mesosctl-agentd.service")
	if err := os.WriteFile(vunit, []byte(strings.ReplaceAll(unit, "/usr/bin/mesosctl", filepath.Join(root, "usr/bin/mesosctl"))), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", "--man=no", vunit).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestDefaultFileLoads feeds /etc/default/mesosctl-agentd, with every
// commented example enabled, and the installed /etc/mesos-slave to agentd's
// flag loader, as the unit does: every MESOS_ variable names a real flag and
// parses, and work_dir (required) is set.
func TestDefaultFileLoads(t *testing.T) {
	d := packages(t)
	root := dpkgRoot(t)
	mustDpkg(t, root, "-i", d.deb, d.compat)
	text := readFile(t, filepath.Join(root, "etc/default/mesosctl-agentd"))
	var active, all []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "MESOS_") {
			active = append(active, line)
		}
		if l := strings.TrimPrefix(line, "#"); strings.HasPrefix(l, "MESOS_") {
			all = append(all, l)
		}
	}
	wantActive := []string{"MESOS_WORK_DIR=/var/lib/mesos", "MESOS_AUTHENTICATE_HTTP_READWRITE=true",
		"MESOS_HTTP_CREDENTIALS=/etc/mesosctl/agentd-credentials.json"}
	if !slices.Equal(active, wantActive) {
		t.Errorf("active settings %q, want %q (read-write authentication on by default)", active, wantActive)
	}
	if len(all) < 8 {
		t.Errorf("only %d MESOS_ examples: %q", len(all), all)
	}
	for _, kv := range all {
		name, _, _ := strings.Cut(kv, "=")
		if _, ok := flags.Lookup(strings.ToLower(strings.TrimPrefix(name, "MESOS_"))); !ok {
			t.Errorf("%s names no agentd flag", name)
		}
	}
	// The credential the postinst made, where the package put it.
	creds := filepath.Join(root, "etc/mesosctl/agentd-credentials.json")
	for i, kv := range all {
		if strings.HasPrefix(kv, "MESOS_HTTP_CREDENTIALS=") {
			all[i] = "MESOS_HTTP_CREDENTIALS=" + creds
		}
	}
	v, err := flags.Load([]string{"--config_dir=" + filepath.Join(root, "etc/mesos-slave")}, all)
	if err != nil {
		t.Fatalf("agentd flags from the default file: %v", err)
	}
	if v.String("work_dir") != "/var/lib/mesos" || v.Source("work_dir") != flags.FromConfigDir {
		t.Errorf("work_dir = %q from %s, want /var/lib/mesos from the config_dir file", v.String("work_dir"), v.Source("work_dir"))
	}
	if v.String("isolation") != "cgroups/cpu,cgroups/mem" || v.Source("isolation") != flags.FromEnv {
		t.Errorf("isolation = %q from %s", v.String("isolation"), v.Source("isolation"))
	}
}

// TestNoClashWithMesos installs a stand-in for the real mesos package (it
// owns /usr/sbin/mesos-slave and /etc/mesos-slave/work_dir, as Mesosphere's
// did): mesosctl installs next to it, mesosctl-mesos-compat is refused.
func TestNoClashWithMesos(t *testing.T) {
	d := packages(t)
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Fatal("dpkg-deb is missing: install the Debian package dpkg")
	}
	pkg := t.TempDir()
	for path, content := range map[string]string{
		"DEBIAN/control":           "Package: mesos\nVersion: 1.11.0-1\nArchitecture: all\nMaintainer: test <test@example.org>\nDescription: stand-in for Apache Mesos\n",
		"DEBIAN/conffiles":         "/etc/mesos-slave/work_dir\n",
		"usr/sbin/mesos-slave":     "#!/bin/sh\necho real mesos\n",
		"usr/sbin/mesos-agent":     "#!/bin/sh\necho real mesos\n",
		"usr/bin/mesos-execute":    "#!/bin/sh\necho real mesos\n",
		"etc/mesos-slave/work_dir": "/var/lib/mesos\n",
		"etc/default/mesos-slave":  "MASTER=zk://localhost:2181/mesos\n",
	} {
		p := filepath.Join(pkg, path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(pkg, "DEBIAN/control"), 0o644)
	os.Chmod(filepath.Join(pkg, "DEBIAN/conffiles"), 0o644)
	mesosDeb := filepath.Join(t.TempDir(), "mesos.deb")
	if out, err := exec.Command("dpkg-deb", "--root-owner-group", "--build", pkg, mesosDeb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb --build: %v\n%s", err, out)
	}

	root := dpkgRoot(t)
	mustDpkg(t, root, "-i", mesosDeb)
	mustDpkg(t, root, "-i", d.deb)
	out, err := dpkg(root, "-i", d.compat)
	if err == nil || !strings.Contains(out, "conflicts with mesos") {
		t.Errorf("mesosctl-mesos-compat installed next to mesos: %v\n%s", err, out)
	}
	if got := readFile(t, filepath.Join(root, "usr/sbin/mesos-slave")); !strings.Contains(got, "real mesos") {
		t.Errorf("/usr/sbin/mesos-slave was replaced: %q", got)
	}
	status := mustDpkg(t, root, "-s", "mesosctl")
	if !strings.Contains(status, "Status: install ok installed") {
		t.Errorf("mesosctl not installed next to mesos:\n%s", status)
	}
}

// TestArchiveAndChecksums checks the tar.gz an operator downloads: binary,
// completions, man pages, docs, the unit; and that checksums.txt covers
// every archive and package.
func TestArchiveAndChecksums(t *testing.T) {
	d := packages(t)
	f, err := os.Open(d.archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	for _, want := range []string{"mesosctl", "README.md", "completions/mesosctl.bash", "completions/_mesosctl",
		"completions/mesosctl.fish", "docs/man/mesosctl.1", "docs/man/mesosctl-agentd.1", "docs/cli/mesosctl.md",
		"docs/packaging.md", "docs/architecture.md", "packaging/mesosctl-agentd.service"} {
		if !slices.Contains(names, want) {
			t.Errorf("archive lacks %s; has %v", want, names)
		}
	}
	sums := readFile(t, d.checksum)
	for _, p := range []string{d.deb, d.compat, d.archive} {
		if !strings.Contains(sums, "  "+filepath.Base(p)+"\n") {
			t.Errorf("checksums.txt lacks %s:\n%s", filepath.Base(p), sums)
		}
	}
	rpms, _ := filepath.Glob(filepath.Join(d.dir, "*.rpm"))
	if len(rpms) != 2 {
		t.Errorf("want the two .rpm packages, found %v", rpms)
	}
}
