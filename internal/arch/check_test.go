package arch

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// The rule checker lives with the test that enforces the rules: the
// package itself only holds them (and draws them in the docs).

// A Violation is an import a rule forbids.
type Violation struct {
	Rule string
	Edge
}

func (v Violation) String() string { return fmt.Sprintf("%s imports %s: %s", v.From, v.To, v.Rule) }

// Check returns every import that breaks the layering or a rule (known
// violations excepted), every package that belongs to no layer, and every
// known violation that no longer happens (so that its entry is removed).
func Check(pkgs []Package) (violations []Violation, unplaced []string, fixed []KnownEdge) {
	inModule := map[string]bool{}
	for _, p := range pkgs {
		inModule[p.Path] = true
	}
	for _, p := range pkgs {
		from := LayerOf(p.Path)
		if from < 0 {
			unplaced = append(unplaced, p.Path)
			continue
		}
		for _, imp := range p.Imports {
			if to := LayerOf(imp); inModule[imp] && to >= 0 && to < from {
				violations = append(violations, Violation{
					fmt.Sprintf("the %s layer must not import the %s layer above it", Layers[from].Name, Layers[to].Name),
					Edge{p.Path, imp}})
			}
		}
	}
	for _, r := range Rules {
		seen := map[Edge]bool{}
		for _, p := range pkgs {
			if !matchAny(r.From, p.Path) || matchAny(r.Except, p.Path) {
				continue
			}
			imports := p.Imports
			if r.Deps {
				imports = p.Deps
			}
			for _, imp := range imports {
				e := Edge{p.Path, imp}
				if !matchAny(r.Forbid, imp) || matchAny(r.Allow, imp) || (r.Exempt != nil && r.Exempt(p.Path, imp)) {
					continue
				}
				seen[e] = true
				if !slices.ContainsFunc(r.Known, func(k KnownEdge) bool { return k.Edge == e }) {
					violations = append(violations, Violation{r.Name, e})
				}
			}
		}
		for _, k := range r.Known {
			if !seen[k.Edge] {
				fixed = append(fixed, k)
			}
		}
	}
	return violations, unplaced, fixed
}

func matchAny(patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, path) })
}

// ModuleRoot is the directory of the go.mod governing dir.
func ModuleRoot(dir string) (string, error) {
	out, err := run(dir, goBin(), "env", "GOMOD")
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == "/dev/null" {
		return "", fmt.Errorf("%s is not inside a Go module", dir)
	}
	return filepath.Dir(gomod), nil
}
