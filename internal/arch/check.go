package arch

import (
	"fmt"
	"slices"
)

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
