package nodeset

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
)

// ClusterShell's nodeset (Debian package clustershell, installed by
// scripts/install-deps.sh) is the reference for folding.

func clusterShell(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("nodeset")
	if err != nil {
		t.Fatal("ClusterShell's nodeset not found: install the Debian package clustershell (scripts/install-deps.sh)")
	}
	if out, err := exec.Command(p, "--version").CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "nodeset ") {
		t.Fatalf("%s is not ClusterShell's nodeset: %s %v", p, out, err)
	}
	return p
}

// csRun runs ClusterShell's nodeset with names on standard input.
func csRun(t *testing.T, bin, mode string, names []string) string {
	t.Helper()
	cmd := exec.Command(bin, mode)
	cmd.Stdin = strings.NewReader(strings.Join(names, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("nodeset %s: %v", mode, err)
	}
	return strings.TrimSpace(string(out))
}

// splitTop splits a folded node set at its top-level commas.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// foldBoth folds each set with Fold and, in one run of nodeset -f, with
// ClusterShell (each set under its own letters-only prefix, which adds no
// dimension and keeps the sets apart).
func foldBoth(t *testing.T, bin string, sets [][]string) (ours, theirs []string) {
	t.Helper()
	var all []string
	for i, s := range sets {
		tagged := make([]string, len(s))
		for k, n := range s {
			tagged[k] = tag(i) + n
		}
		all = append(all, tagged...)
		ours = append(ours, Fold(tagged))
	}
	byTag := map[string][]string{}
	for _, el := range splitTop(csRun(t, bin, "-f", all)) {
		tg := el[:strings.IndexByte(el[1:], 'T')+2]
		byTag[tg] = append(byTag[tg], el)
	}
	for i := range sets {
		theirs = append(theirs, strings.Join(byTag[tag(i)], ","))
	}
	return ours, theirs
}

// tag is the prefix of set i: T, letters, T.
func tag(i int) string {
	s := ""
	for {
		s = string(rune('a'+i%26)) + s
		if i /= 26; i == 0 {
			return "T" + s + "T"
		}
	}
}

// TestFoldAsClusterShell: on the shapes clusters have (full grids, grids
// with a rack, a row or a block missing, address ranges, mixed padding,
// several patterns) Fold prints exactly what nodeset -f prints.
func TestFoldAsClusterShell(t *testing.T) {
	bin := clusterShell(t)
	exprs := []string{
		"a1b3,a1b4,a2b3,a2b4",
		"rack[01-50]-node[001-200]",
		"rack[1-4]-node[1-8]!rack2-node[1-8]",
		"rack[1-4]-node[1-8]!rack2-node8",
		"rack[1-4]-node[1-8]!rack[2-3]-node[3-5]",
		"r[1-2]c[1-3]n[01-10]",
		"r[1-2]c[1-3]n[01-10]!r2c2n[05-10]",
		"10.0.[0-3].[1-254]!10.0.2.[100-120]",
		"n8,n9,n10,n08,n09", "n[1-2],n[01-02],n001", "n[098-101],n[0100-0102]", "x0,x00,x000",
		"lxb[001-064]!lxb0[10-19],lxb[100-199]!lxb1[10-19]",
		"web[1-3].dc[1-2],db[01-02].dc1,db03.dc2,lb,lb1,a-b,a1,aB,a_b",
		"rack[1-3]-node[01-64]-ipmi,rack[1-3]-node[01-64],rack[1-3]-sw[1-2]",
		"x[1-2]y[1-2]z[1-2]!x2y2z2",
		// Irregular sets have several covers with few terms, and the two
		// searches may pick different ones: Fold never needs more terms.
		"cn[1-4]p[0-1]!cn3p1",           // nodeset -f: cn[1-2]p[0-1],cn[3-4]p0,cn4p1
		"a1b1,a1b2,a2b1,a3b2,a3b1,a1b3", // the same count, another choice
	}
	irregular := map[string]int{"cn[1-4]p[0-1]!cn3p1": 2, "a1b1,a1b2,a2b1,a3b2,a3b1,a1b3": 3}
	var sets [][]string
	for _, expr := range exprs {
		names, err := Expand(expr, nil)
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, names)
	}
	ours, theirs := foldBoth(t, bin, sets)
	for i, expr := range exprs {
		got, want := ours[i], theirs[i]
		if n, ok := irregular[expr]; ok {
			if terms := len(splitTop(got)); terms != n || terms > len(splitTop(want)) {
				t.Errorf("%s: Fold = %s (%d terms), want %d; nodeset -f = %s", expr, got, terms, n, want)
			}
		} else if got != want {
			t.Errorf("%s:\n Fold       %s\n nodeset -f %s", expr, got, want)
		}
	}
}

// TestFoldAgainstClusterShellRandom folds 1,000 random sets of one to three
// dimensions (sparse and dense, padded, unpadded and mixed) with Fold and
// with nodeset -f (one run, each set under its own prefix): both must
// name exactly the input; Fold must agree with nodeset on most sets and
// never need more terms in total; and nodeset -e must read Fold's output.
func TestFoldAgainstClusterShellRandom(t *testing.T) {
	bin := clusterShell(t)
	r := rand.New(rand.NewPCG(19, 2026))
	var sets [][]string
	var all []string
	for len(sets) < 1000 {
		if s := randomSet(r); len(s) > 0 {
			sets = append(sets, s)
		}
	}
	ours, theirs := foldBoth(t, bin, sets)
	same, ourTerms, theirTerms := 0, 0, 0
	for i, s := range sets {
		for k := range s {
			s[k] = tag(i) + s[k]
		}
		all = append(all, s...)
		for what, folded := range map[string]string{"Fold": ours[i], "nodeset -f": theirs[i]} {
			back, err := Expand(folded, nil)
			if err != nil || !sameSet(back, s) {
				t.Fatalf("%s(%q) = %q does not name the same nodes (%v)", what, s, folded, err)
			}
		}
		if ours[i] == theirs[i] {
			same++
		}
		ourTerms += len(splitTop(ours[i]))
		theirTerms += len(splitTop(theirs[i]))
	}
	t.Logf("%d of %d sets folded as nodeset -f folds them; %d terms in all, nodeset -f %d", same, len(sets), ourTerms, theirTerms)
	if same < len(sets)*8/10 {
		t.Errorf("only %d of %d sets folded as nodeset -f folds them", same, len(sets))
	}
	if ourTerms > theirTerms {
		t.Errorf("Fold needed %d terms, nodeset -f %d", ourTerms, theirTerms)
	}
	if back := strings.Fields(csRun(t, bin, "-e", ours)); !sameSet(back, all) {
		t.Errorf("nodeset -e of Fold's output does not give back the %d names (got %d)", len(all), len(back))
	}
}

// randomSet is a random subset of a random grid of one to three
// dimensions, each a short run of numbers written plainly, padded or
// both, with gaps.
func randomSet(r *rand.Rand) []string {
	dims := make([][]string, 1+r.IntN(3))
	for d := range dims {
		start, mode := r.IntN(12), r.IntN(4)
		for k := 0; k < 1+r.IntN(5); k++ {
			v := start + k
			if r.IntN(4) == 0 {
				v += r.IntN(5)
			}
			s := fmt.Sprint(v)
			switch {
			case mode == 1, mode == 3 && r.IntN(2) == 0:
				s = fmt.Sprintf("%02d", v)
			case mode == 2:
				s = fmt.Sprintf("%03d", v)
			}
			dims[d] = append(dims[d], s)
		}
	}
	density := r.Float64()
	var out []string
	var walk func(d int, name string)
	walk = func(d int, name string) {
		if d == len(dims) {
			if density > 0.9 || r.Float64() < density {
				out = append(out, name)
			}
			return
		}
		for _, v := range dims[d] {
			walk(d+1, name+string(rune('x'+d))+v)
		}
	}
	walk(0, "")
	return out
}
