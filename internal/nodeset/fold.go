package nodeset

import (
	"cmp"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
)

// Folding works as ClusterShell's does. Every run of digits in a name is a
// dimension: "rack01-node001" has the pattern "rack%s-node%s" and the
// vector (01, 001). Names are grouped by pattern, and each pattern's
// vectors are covered by as few products of ranges as this file finds
// ("rack[01-50]-node[001-200]" is one product; "a1b3 a1b4 a2b3" needs
// two: "a1b[3-4],a2b3").
//
// The numbers of one dimension are kept as written ("8" and "08" are
// different nodes) and ordered by length, then value: 8, 9, 08, 10. A
// range joins numbers that count up by one and are written with the
// first one's padding, so 9 and 10 make 9-10, 098 to 101 make 098-101, and
// 8, 9, 08, 10 make 8-9,08,10 (08-10 would also name 09).
//
// A product is found by sweeping the dimensions in turn: along dimension
// a, products that agree in every other dimension are merged by joining
// their a-ranges, until no sweep merges anything. Several sweep orders
// are tried (all of them up to three dimensions) and the one giving the
// fewest products wins; on a tie the first, which sweeps the last
// dimension first, as ClusterShell's merging of sorted names tends to
// (a1b[3-4],a2b3 rather than a[1-2]b3,a1b4). Products are printed largest
// first, as ClusterShell prints them.

// maxOrderTrials bounds the vector count times sweep orders tried, so
// that folding 100,000 three-dimensional names stays fast.
const maxOrderTrials = 1 << 20

// pattern is the names of one shape: text around numbers.
type pattern struct {
	key  string   // sort key: the literal text with "%s" for each number, '%' written "%%"
	lits []string // the literal text before each number, and after the last
	dims []*dimension
	vecs []int32  // len(dims) ids per name, one name after another
	nums []string // with one dimension: the numbers themselves
	name string   // the name itself when there are no numbers
}

// dimension is the numbers that appear in one place of a pattern.
type dimension struct {
	ids  map[string]int32
	strs []string // by id; after rank(), by rank
	vals []int64
}

func (d *dimension) id(s string) int32 {
	if id, ok := d.ids[s]; ok {
		return id
	}
	id := int32(len(d.strs))
	d.ids[s] = id
	d.strs = append(d.strs, s)
	return id
}

// rank reorders strs to dimension order (length, then value) and returns
// old id → rank.
func (d *dimension) rank() []int32 {
	order := make([]int32, len(d.strs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return compareNums(d.strs[a], d.strs[b]) })
	rank := make([]int32, len(order))
	strs := make([]string, len(order))
	d.vals = make([]int64, len(order))
	for r, id := range order {
		rank[id] = int32(r)
		strs[r] = d.strs[id]
		d.vals[r], _ = strconv.ParseInt(d.strs[id], 10, 64)
	}
	d.strs = strs
	d.ids = nil
	return rank
}

// compareNums orders numbers as written: shorter first, then by value.
func compareNums(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// padOf is the width a number fixes for a range it starts: its length
// when written with a leading zero, else 0 (no padding).
func padOf(s string) int {
	if len(s) > 1 && s[0] == '0' {
		return len(s)
	}
	return 0
}

// numRun finds the next run of digits in name at or after i that becomes
// a dimension (at most maxDigits long; longer runs stay literal text).
func numRun(name string, i int) (start, end int) {
	for i < len(name) {
		if name[i] < '0' || name[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(name) && name[j] >= '0' && name[j] <= '9' {
			j++
		}
		if j-i <= maxDigits {
			return i, j
		}
		i = j
	}
	return -1, -1
}

// patterns splits names into patterns, in pattern order; duplicate names
// are dropped later (parse keeps every vector).
func patterns(names []string) []*pattern {
	byKey := map[string]*pattern{}
	var key []byte
	var ids []int32
	for _, n := range names {
		key = key[:0]
		if !ValidName(n) {
			// Kept as it is: not a node set, never folded.
			key = append(key, 0)
			key = append(key, n...)
		} else {
			for i := 0; ; {
				s, e := numRun(n, i)
				if s < 0 {
					key = appendLit(key, n[i:])
					break
				}
				key = appendLit(key, n[i:s])
				key = append(key, "%s"...)
				i = e
			}
		}
		p := byKey[string(key)]
		if p == nil {
			p = newPattern(string(key), n)
			byKey[p.key] = p
		}
		switch len(p.dims) {
		case 0:
			continue
		case 1:
			s, e := numRun(n, 0)
			p.nums = append(p.nums, n[s:e])
			continue
		}
		ids = ids[:0]
		for i, d := 0, 0; ; d++ {
			s, e := numRun(n, i)
			if s < 0 {
				break
			}
			ids = append(ids, p.dims[d].id(n[s:e]))
			i = e
		}
		p.vecs = append(p.vecs, ids...)
	}
	out := make([]*pattern, 0, len(byKey))
	for _, p := range byKey {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *pattern) int { return strings.Compare(a.key, b.key) })
	return out
}

func appendLit(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			b = append(b, '%')
		}
		b = append(b, s[i])
	}
	return b
}

func newPattern(key, name string) *pattern {
	p := &pattern{key: key}
	if key[0] == 0 {
		p.name = name
		return p
	}
	for i := 0; ; {
		s, e := numRun(name, i)
		if s < 0 {
			p.lits = append(p.lits, name[i:])
			break
		}
		p.lits = append(p.lits, name[i:s])
		p.dims = append(p.dims, &dimension{ids: map[string]int32{}})
		i = e
	}
	if len(p.dims) == 0 {
		p.name = name
	}
	return p
}

// prepare ranks every dimension and returns the distinct vectors sorted.
func (p *pattern) prepare() [][]int32 {
	D := len(p.dims)
	ranks := make([][]int32, D)
	for d, dim := range p.dims {
		ranks[d] = dim.rank()
	}
	n := len(p.vecs) / D
	vecs := make([][]int32, n)
	for i := range vecs {
		v := p.vecs[i*D : (i+1)*D : (i+1)*D]
		for d := range v {
			v[d] = ranks[d][v[d]]
		}
		vecs[i] = v
	}
	slices.SortFunc(vecs, slices.Compare)
	return slices.CompactFunc(vecs, slices.Equal)
}

// prepare1 is prepare for one dimension: the distinct numbers become the
// dimension, and the returned set names all of them.
func (p *pattern) prepare1() []int32 {
	slices.SortFunc(p.nums, compareNums)
	d := p.dims[0]
	d.strs = slices.Compact(p.nums)
	d.vals = make([]int64, len(d.strs))
	set := make([]int32, len(d.strs))
	for i, s := range d.strs {
		d.vals[i], _ = strconv.ParseInt(s, 10, 64)
		set[i] = int32(i)
	}
	d.ids = nil
	return set
}

// product is one term of a folded pattern: a set of numbers per dimension
// (ranks, ascending).
type product [][]int32

func (pr product) size() int {
	n := 1
	for _, s := range pr {
		n *= len(s)
	}
	return n
}

// sweep merges, along dimension a, the products that agree in every
// other dimension. It reports whether anything merged.
func sweep(items []product, a int) ([]product, bool) {
	groups := make(map[string]int, len(items))
	out := items[:0:0]
	var key []byte
	for _, it := range items {
		key = key[:0]
		for d, s := range it {
			if d == a {
				continue
			}
			key = binary.AppendUvarint(key, uint64(len(s)))
			for _, x := range s {
				key = binary.AppendUvarint(key, uint64(x))
			}
		}
		if g, ok := groups[string(key)]; ok {
			out[g][a] = append(out[g][a], it[a]...)
			continue
		}
		groups[string(key)] = len(out)
		c := make(product, len(it))
		copy(c, it)
		c[a] = slices.Clip(c[a])
		out = append(out, c)
	}
	if len(out) == len(items) {
		return items, false
	}
	for _, it := range out {
		if !slices.IsSorted(it[a]) {
			slices.Sort(it[a])
		}
	}
	return out, true
}

// firstSweep builds the products of a first sweep along a from distinct
// vectors, by sorting instead of hashing.
func firstSweep(vecs [][]int32, a int) []product {
	D := len(vecs[0])
	order := slices.Clone(vecs)
	slices.SortFunc(order, func(x, y []int32) int {
		for d := 0; d < D; d++ {
			if d != a && x[d] != y[d] {
				return cmp.Compare(x[d], y[d])
			}
		}
		return cmp.Compare(x[a], y[a])
	})
	var out []product
	backing := make([]int32, 0, len(order)*D)
	for i := 0; i < len(order); {
		j := i + 1
		for j < len(order) && sameExcept(order[i], order[j], a) {
			j++
		}
		pr := make(product, D)
		for d := 0; d < D; d++ {
			if d == a {
				continue
			}
			backing = append(backing, order[i][d])
			pr[d] = backing[len(backing)-1 : len(backing) : len(backing)]
		}
		start := len(backing)
		for _, v := range order[i:j] {
			backing = append(backing, v[a])
		}
		pr[a] = backing[start:len(backing):len(backing)]
		out = append(out, pr)
		i = j
	}
	return out
}

func sameExcept(x, y []int32, a int) bool {
	for d := range x {
		if d != a && x[d] != y[d] {
			return false
		}
	}
	return true
}

// cover folds distinct vectors into products, sweeping in order first
// and then every dimension until nothing merges.
func cover(vecs [][]int32, order []int) []product {
	items := firstSweep(vecs, order[0])
	for _, a := range order[1:] {
		items, _ = sweep(items, a)
	}
	for changed := len(order) > 2; changed; {
		changed = false
		for a := range order {
			var c bool
			items, c = sweep(items, a)
			changed = changed || c
		}
	}
	return items
}

// orders are the sweep orders tried for D dimensions, preferred first:
// the last dimension first (names that differ only at their end fold
// first, as in a1b[3-4],a2b3), then every other order up to three
// dimensions, else the reverse.
func orders(D, n int) [][]int {
	last := make([]int, D)
	for i := range last {
		last[i] = D - 1 - i
	}
	out := [][]int{last}
	if D == 1 {
		return out
	}
	if D <= 3 && n*6 <= maxOrderTrials {
		for _, o := range permutations(D) {
			if !slices.Equal(o, last) {
				out = append(out, o)
			}
		}
		return out
	}
	if n*2 <= maxOrderTrials {
		out = append(out, slices.Sorted(slices.Values(last)))
	}
	return out
}

func permutations(n int) [][]int {
	if n == 1 {
		return [][]int{{0}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := n - 1; i >= 0; i-- {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

// fold returns the folded text of the pattern's names.
func (p *pattern) fold(b *strings.Builder) {
	if len(p.dims) == 0 {
		b.WriteString(p.name)
		return
	}
	if len(p.dims) == 1 {
		p.write(b, product{p.prepare1()})
		return
	}
	vecs := p.prepare()
	var best []product
	for _, o := range orders(len(p.dims), len(vecs)) {
		if items := cover(vecs, o); best == nil || len(items) < len(best) {
			best = items
		}
		if len(best) == 1 {
			break
		}
	}
	p.sortProducts(best)
	p.writeAll(b, best)
}

// sortProducts orders products as ClusterShell prints them: more names
// first; then, dimension by dimension, more numbers first, then by the
// text of the first number and of the last.
func (p *pattern) sortProducts(items []product) {
	slices.SortFunc(items, func(x, y product) int {
		if c := cmp.Compare(y.size(), x.size()); c != 0 {
			return c
		}
		for d, dim := range p.dims {
			xs, ys := x[d], y[d]
			if c := cmp.Compare(len(ys), len(xs)); c != 0 {
				return c
			}
			if c := strings.Compare(dim.strs[xs[0]], dim.strs[ys[0]]); c != 0 {
				return c
			}
			if c := strings.Compare(dim.strs[xs[len(xs)-1]], dim.strs[ys[len(ys)-1]]); c != 0 {
				return c
			}
		}
		return 0
	})
}

func (p *pattern) writeAll(b *strings.Builder, items []product) {
	for i, it := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		p.write(b, it)
	}
}

// write writes one product: the literal text with each dimension's
// numbers in between, bracketed when there are several.
func (p *pattern) write(b *strings.Builder, pr product) {
	for d, dim := range p.dims {
		b.WriteString(p.lits[d])
		set := pr[d]
		if len(set) == 1 {
			b.WriteString(dim.strs[set[0]])
			continue
		}
		b.WriteByte('[')
		for i := 0; i < len(set); {
			lo := set[i]
			pad := padOf(dim.strs[lo])
			j := i + 1
			for j < len(set) && dim.vals[set[j]] == dim.vals[set[j-1]]+1 && fits(dim.strs[set[j]], pad) {
				j++
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(dim.strs[lo])
			if j-1 > i {
				b.WriteByte('-')
				b.WriteString(dim.strs[set[j-1]])
			}
			i = j
		}
		b.WriteByte(']')
	}
	b.WriteString(p.lits[len(p.dims)])
}

// fits reports whether the number s is written as a range padded to pad
// (0: none) writes its numbers: unpadded numbers of any length in an
// unpadded range (9-10), numbers of exactly the width in a padded one
// (098-101; 099 and 1000 are not one range, as ClusterShell requires).
func fits(s string, pad int) bool {
	if pad == 0 {
		return padOf(s) == 0
	}
	return len(s) == pad
}

// Fold returns a short node set naming exactly names, folded as
// ClusterShell folds (in several dimensions: a1b3 a1b4 a2b3 a2b4 →
// a[1-2]b[3-4]). Duplicates are dropped; numbers keep their padding.
// Names that are not valid in a node set (see ValidName) are kept as they
// are. Expand(Fold(names)) gives back names, each once, in node set order
// within each product.
func Fold(names []string) string {
	var b strings.Builder
	for i, p := range patterns(names) {
		if i > 0 {
			b.WriteByte(',')
		}
		p.fold(&b)
	}
	return b.String()
}
