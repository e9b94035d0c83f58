// Package nodeset expands and folds ClusterShell-style node sets such as
// "lxb00[1-4,7],!lxb003", "rack[1-2]n[01-04]" or "@rack1". It is pure (no
// I/O): groups are resolved through a callback supplied by the caller.
package nodeset

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxNodes bounds how many names one expression may expand to, so that a
// typo such as "n[1-999999999]" fails fast instead of exhausting memory.
const MaxNodes = 100000

// maxGroupDepth bounds nested @group references (and so breaks cycles).
const maxGroupDepth = 16

// GroupResolver returns the members of a group (each member may itself be a
// node set expression). It returns an error for an unknown group.
type GroupResolver func(name string) ([]string, error)

// Error is a syntax or semantic error in a node set expression. Pos is the
// 1-based character position of the problem (0 when not tied to one).
type Error struct {
	Expr string
	Pos  int
	Msg  string
}

func (e *Error) Error() string {
	if e.Pos > 0 {
		return fmt.Sprintf("bad node set %q: %s at position %d", e.Expr, e.Msg, e.Pos)
	}
	return fmt.Sprintf("bad node set %q: %s", e.Expr, e.Msg)
}

// Expand returns the node names of expr in the order they first appear,
// without duplicates. Elements are separated by ',' (union); an element
// preceded by '!' is removed from what came before it ("a[1-4]!a2" and
// "a[1-4],!a2" mean the same); '&' keeps only what is also in the element
// (intersection) and '^' keeps what is in exactly one of the two (symmetric
// difference), as in ClusterShell. Operators apply left to right. "@name"
// asks groups for the members of a group; groups may be nil when no groups
// exist.
func Expand(expr string, groups GroupResolver) ([]string, error) {
	return expand(expr, groups, 0)
}

// orderedSet keeps insertion order and supports removal.
type orderedSet struct {
	names []string
	index map[string]int // name -> position in names; removed names have names[i] == ""
	live  int
}

func (s *orderedSet) add(n string) {
	if _, ok := s.index[n]; ok {
		return
	}
	s.index[n] = len(s.names)
	s.names = append(s.names, n)
	s.live++
}

func (s *orderedSet) remove(n string) {
	if i, ok := s.index[n]; ok {
		s.names[i] = ""
		delete(s.index, n)
		s.live--
	}
}

func (s *orderedSet) list() []string {
	out := make([]string, 0, s.live)
	for _, n := range s.names {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

func expand(expr string, groups GroupResolver, depth int) ([]string, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, &Error{Expr: expr, Msg: "empty"}
	}
	// Split at top-level operators (commas inside brackets separate ranges).
	type segment struct {
		op    byte // 0 for the first, ',', '!', '&' or '^'
		start int
		text  string
	}
	var segs []segment
	op, start, br := byte(0), 0, 0
	for i := 0; i <= len(expr); i++ {
		if i < len(expr) {
			switch c := expr[i]; {
			case c == '[':
				br++
				continue
			case c == ']':
				if br > 0 {
					br--
				}
				continue
			case br > 0 || !isOp(c):
				continue
			}
		}
		segs = append(segs, segment{op: op, start: start, text: expr[start:i]})
		if i < len(expr) {
			op, start = expr[i], i+1
		}
	}
	if len(segs) == 1 {
		// One element: when its names are distinct by construction, no
		// set is needed (the fast path of "rack[01-50]-node[001-200]").
		elem := strings.TrimSpace(segs[0].text)
		lead := len(segs[0].text) - len(strings.TrimLeft(segs[0].text, " \t\n"))
		if elem != "" && elem[0] != '@' {
			names, distinct, err := expandPattern(expr, lead, elem)
			if err != nil || distinct {
				return names, err
			}
		}
	}
	set := &orderedSet{index: map[string]int{}}
	for k, s := range segs {
		lead := len(s.text) - len(strings.TrimLeft(s.text, " \t\n"))
		elem := strings.TrimSpace(s.text)
		if elem == "" {
			nextIsOp := k+1 < len(segs) && segs[k+1].op != ','
			if nextIsOp && (s.op == ',' || s.op == 0) {
				continue // "a,!b" or a leading "!b"
			}
			if k == len(segs)-1 && s.op == ',' {
				return nil, &Error{Expr: expr, Pos: s.start, Msg: "trailing ','"}
			}
			return nil, &Error{Expr: expr, Pos: s.start + 1, Msg: "empty element"}
		}
		names, err := expandElement(expr, s.start+lead, elem, groups, depth)
		if err != nil {
			return nil, err
		}
		switch s.op {
		case '!':
			for _, n := range names {
				set.remove(n)
			}
		case '&':
			keep := make(map[string]bool, len(names))
			for _, n := range names {
				keep[n] = true
			}
			for _, n := range set.list() {
				if !keep[n] {
					set.remove(n)
				}
			}
		case '^':
			seen := make(map[string]bool, len(names))
			for _, n := range names {
				if seen[n] {
					continue
				}
				seen[n] = true
				if _, ok := set.index[n]; ok {
					set.remove(n)
				} else {
					set.add(n)
				}
			}
		default:
			for _, n := range names {
				set.add(n)
			}
		}
		if set.live > MaxNodes {
			return nil, &Error{Expr: expr, Msg: fmt.Sprintf("expands to more than %d nodes", MaxNodes)}
		}
	}
	return set.list(), nil
}

func isOp(c byte) bool { return c == ',' || c == '!' || c == '&' || c == '^' }

// part of a pattern: a literal or a bracketed list of ranges.
type part struct {
	lit    string
	ranges []rng // nil for literals
}

type rng struct {
	lo, hi, step int64
	pad          int
}

func (r rng) count() int64 { return (r.hi-r.lo)/r.step + 1 }

func expandElement(expr string, off int, elem string, groups GroupResolver, depth int) ([]string, error) {
	if elem[0] == '@' {
		name := elem[1:]
		if name == "" {
			return nil, &Error{Expr: expr, Pos: off + 2, Msg: "missing group name after '@'"}
		}
		for j := 0; j < len(name); j++ {
			if !isNameByte(name[j]) {
				return nil, &Error{Expr: expr, Pos: off + 2 + j, Msg: fmt.Sprintf("unexpected %q in group name", name[j])}
			}
		}
		if groups == nil {
			return nil, &Error{Expr: expr, Pos: off + 1, Msg: fmt.Sprintf("unknown group %q (no groups are defined)", name)}
		}
		if depth >= maxGroupDepth {
			return nil, &Error{Expr: expr, Pos: off + 1, Msg: fmt.Sprintf("group %q nests too deeply (a group that contains itself?)", name)}
		}
		members, err := groups(name)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, m := range members {
			names, err := expand(m, groups, depth+1)
			if err != nil {
				return nil, fmt.Errorf("group %q: %w", name, err)
			}
			out = append(out, names...)
			if len(out) > MaxNodes {
				return nil, &Error{Expr: expr, Msg: fmt.Sprintf("expands to more than %d nodes", MaxNodes)}
			}
		}
		return out, nil
	}
	names, _, err := expandPattern(expr, off, elem)
	return names, err
}

// expandPattern expands one element without groups, e.g.
// "rack[01-50]-node[001-200]", in order (the last bracket counting
// fastest). It reports whether the names are distinct by construction:
// no bracket has overlapping ranges and a non-digit separates every two
// brackets (so each name tells its numbers apart).
func expandPattern(expr string, off int, elem string) ([]string, bool, error) {
	if strings.IndexByte(elem, '[') < 0 && strings.IndexByte(elem, ']') < 0 {
		for i := 0; i < len(elem); i++ {
			if !isNameByte(elem[i]) {
				_, err := parsePattern(expr, off, elem)
				return nil, false, err
			}
		}
		return []string{elem}, true, nil
	}
	parts, err := parsePattern(expr, off, elem)
	if err != nil {
		return nil, false, err
	}
	total := int64(1)
	distinct := true
	sepOK := true // a non-digit literal since the last bracket
	for _, p := range parts {
		if p.ranges == nil {
			if strings.IndexFunc(p.lit, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
				sepOK = true
			}
			continue
		}
		if !sepOK || overlapping(p.ranges) {
			distinct = false
		}
		sepOK = false
		var n int64
		for _, r := range p.ranges {
			n += r.count()
			if n > MaxNodes {
				break
			}
		}
		total *= n
		if total > MaxNodes {
			return nil, false, &Error{Expr: expr, Pos: off + 1, Msg: fmt.Sprintf("expands to more than %d nodes", MaxNodes)}
		}
	}
	// Each part as text: a literal, or its numbers written one after
	// another (ends[k] is where number k ends).
	type text struct {
		buf  []byte
		ends []int32
	}
	texts := make([]text, len(parts))
	size := 0 // bytes of one name, on average per part
	for i, p := range parts {
		t := &texts[i]
		if p.ranges == nil {
			t.buf, t.ends = []byte(p.lit), []int32{int32(len(p.lit))}
			size += len(p.lit)
			continue
		}
		var count int64
		width := 0
		for _, r := range p.ranges {
			count += r.count()
			width = max(width, r.pad, digits(r.hi))
		}
		t.buf = make([]byte, 0, int(count)*width)
		t.ends = make([]int32, 0, count)
		for _, r := range p.ranges {
			for v := r.lo; v <= r.hi; v += r.step {
				if w := digits(v); w < r.pad {
					t.buf = append(t.buf, zeros[:r.pad-w]...)
				}
				t.buf = strconv.AppendInt(t.buf, v, 10)
				t.ends = append(t.ends, int32(len(t.buf)))
			}
		}
		size += len(t.buf)/len(t.ends) + 1
	}
	// Count through every combination, last part fastest, writing each
	// name into one buffer; the names are slices of its one string.
	n := int(total)
	var all strings.Builder
	all.Grow(n * size)
	ends := make([]int32, n)
	idx := make([]int, len(texts))
	for k := 0; k < n; k++ {
		for i := range texts {
			t := &texts[i]
			start := int32(0)
			if idx[i] > 0 {
				start = t.ends[idx[i]-1]
			}
			all.Write(t.buf[start:t.ends[idx[i]]])
		}
		ends[k] = int32(all.Len())
		for i := len(idx) - 1; i >= 0; i-- {
			if idx[i]++; idx[i] < len(texts[i].ends) {
				break
			}
			idx[i] = 0
		}
	}
	str := all.String()
	names := make([]string, n)
	start := int32(0)
	for k, e := range ends {
		names[k] = str[start:e]
		start = e
	}
	return names, distinct, nil
}

var zeros = []byte("000000000000000")

// digits is how many digits v (≥ 0) has.
func digits(v int64) int {
	n := 1
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// overlapping reports whether two ranges of one bracket share a value.
func overlapping(rs []rng) bool {
	if len(rs) < 2 {
		return false
	}
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b rng) int { return cmp.Compare(a.lo, b.lo) })
	for i := 1; i < len(sorted); i++ {
		if sorted[i].lo <= sorted[i-1].hi {
			return true
		}
	}
	return false
}

// isNameByte reports whether c may appear literally in a node name.
func isNameByte(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	case c == '-', c == '_', c == '.', c == ':', c == '+', c == '%', c == '=':
		return true
	}
	return false
}

// maxDigits keeps range bounds well inside int64.
const maxDigits = 15

func parsePattern(expr string, off int, elem string) ([]part, error) {
	var parts []part
	var lit strings.Builder
	i := 0
	for i < len(elem) {
		c := elem[i]
		switch {
		case c == '[':
			open := i
			end := strings.IndexByte(elem[i:], ']')
			if end < 0 {
				return nil, &Error{Expr: expr, Pos: off + open + 1, Msg: "unterminated '['"}
			}
			body := elem[i+1 : i+end]
			if k := strings.IndexByte(body, '['); k >= 0 {
				return nil, &Error{Expr: expr, Pos: off + i + 1 + k + 1, Msg: "nested '['"}
			}
			ranges, err := parseRanges(expr, off+i+1, body)
			if err != nil {
				return nil, err
			}
			if lit.Len() > 0 {
				parts = append(parts, part{lit: lit.String()})
				lit.Reset()
			}
			parts = append(parts, part{ranges: ranges})
			i += end + 1
		case c == ']':
			return nil, &Error{Expr: expr, Pos: off + i + 1, Msg: "unmatched ']'"}
		case isNameByte(c):
			lit.WriteByte(c)
			i++
		default:
			what := fmt.Sprintf("%q", string(rune(c)))
			if c >= 0x80 {
				what = "non-ASCII character"
			} else if c == ' ' {
				what = "space"
			}
			return nil, &Error{Expr: expr, Pos: off + i + 1, Msg: "unexpected " + what}
		}
	}
	if lit.Len() > 0 {
		parts = append(parts, part{lit: lit.String()})
	}
	return parts, nil
}

// parseRanges parses "1-4,7,08-10,1-9/2"; off is the 0-based offset of body
// in expr.
func parseRanges(expr string, off int, body string) ([]rng, error) {
	if body == "" {
		return nil, &Error{Expr: expr, Pos: off, Msg: "empty '[]'"}
	}
	var out []rng
	pos := 0
	for _, item := range strings.Split(body, ",") {
		p := off + pos + 1 // 1-based position of the item
		pos += len(item) + 1
		if item == "" {
			return nil, &Error{Expr: expr, Pos: p, Msg: "empty range"}
		}
		spec, stepStr, hasStep := strings.Cut(item, "/")
		loStr, hiStr, isRange := strings.Cut(spec, "-")
		lo, err := parseBound(expr, p, loStr)
		if err != nil {
			return nil, err
		}
		r := rng{lo: lo, hi: lo, step: 1}
		if len(loStr) > 1 && loStr[0] == '0' {
			r.pad = len(loStr)
		}
		if isRange {
			hp := p + len(loStr) + 1
			hi, err := parseBound(expr, hp, hiStr)
			if err != nil {
				return nil, err
			}
			if hi < lo {
				return nil, &Error{Expr: expr, Pos: p, Msg: fmt.Sprintf("range %s-%s goes backwards", loStr, hiStr)}
			}
			if len(hiStr) > 1 && hiStr[0] == '0' && len(hiStr) != len(loStr) {
				return nil, &Error{Expr: expr, Pos: hp, Msg: fmt.Sprintf("range %s-%s mixes paddings", loStr, hiStr)}
			}
			if r.pad == 0 && len(hiStr) > 1 && hiStr[0] == '0' {
				r.pad = len(hiStr)
			}
			r.hi = hi
		}
		if hasStep {
			sp := p + len(spec) + 1
			if !isRange {
				return nil, &Error{Expr: expr, Pos: sp, Msg: "a step needs a range (lo-hi/step)"}
			}
			st, err := parseBound(expr, sp+1, stepStr)
			if err != nil {
				return nil, err
			}
			if st == 0 {
				return nil, &Error{Expr: expr, Pos: sp + 1, Msg: "step must be at least 1"}
			}
			r.step = st
		}
		out = append(out, r)
	}
	return out, nil
}

func parseBound(expr string, pos int, s string) (int64, error) {
	if s == "" {
		return 0, &Error{Expr: expr, Pos: pos, Msg: "missing number"}
	}
	if len(s) > maxDigits {
		return 0, &Error{Expr: expr, Pos: pos, Msg: fmt.Sprintf("number %q is too long", s)}
	}
	for j := 0; j < len(s); j++ {
		if s[j] < '0' || s[j] > '9' {
			return 0, &Error{Expr: expr, Pos: pos + j, Msg: fmt.Sprintf("unexpected %q in range (want digits, '-', ',' or '/')", string(rune(s[j])))}
		}
	}
	v, _ := strconv.ParseInt(s, 10, 64)
	return v, nil
}

// ValidName reports whether name can appear in a node set as a plain name
// (and so can be folded).
func ValidName(name string) bool {
	if name == "" || name[0] == '@' {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isNameByte(name[i]) {
			return false
		}
	}
	return true
}
