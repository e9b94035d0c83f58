package arch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// Package is one package of the module as `go list` describes it.
type Package struct {
	Path     string   // module-relative: internal/render, cmd/mesosctl
	Name     string   // package name
	Doc      string   // the first sentence of the package doc comment
	Imports  []string // direct imports of its non-test files, as paths (see Load)
	Deps     []string // every dependency of its non-test files, as paths
	TestOnly bool     // the package has only test files (and a doc.go)
}

// Load lists every package of the module whose root directory is root.
// Paths are module-relative for the module's packages (internal/render),
// "std/" + the import path for the standard library (std/testing), and the
// import path for other modules (github.com/itchyny/gojq).
func Load(root string) ([]Package, error) {
	mod, err := run(root, goBin(), "list", "-m")
	if err != nil {
		return nil, err
	}
	prefix := strings.TrimSpace(string(mod)) + "/"
	out, err := run(root, goBin(), "list", "-json=ImportPath,Name,Doc,Imports,Deps,GoFiles,TestGoFiles,XTestGoFiles", "./...")
	if err != nil {
		return nil, err
	}
	rel := func(paths []string) []string {
		out := make([]string, len(paths))
		for i, p := range paths {
			first, _, _ := strings.Cut(p, "/")
			switch {
			case strings.HasPrefix(p, prefix):
				out[i] = strings.TrimPrefix(p, prefix)
			case !strings.Contains(first, "."):
				out[i] = "std/" + p
			default:
				out[i] = p
			}
		}
		return out
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath, Name, Doc              string
			Imports, Deps                      []string
			GoFiles, TestGoFiles, XTestGoFiles []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list: %w", err)
		}
		testOnly := len(p.TestGoFiles)+len(p.XTestGoFiles) > 0 && (len(p.GoFiles) == 0 ||
			len(p.GoFiles) == 1 && p.GoFiles[0] == "doc.go")
		pkgs = append(pkgs, Package{Path: strings.TrimPrefix(p.ImportPath, prefix), Name: p.Name, Doc: p.Doc,
			Imports: rel(p.Imports), Deps: rel(p.Deps), TestOnly: testOnly})
	}
	return pkgs, nil
}

// goBin is the go command: from PATH, else where the Go tarball puts it.
func goBin() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go"
}

func run(dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
