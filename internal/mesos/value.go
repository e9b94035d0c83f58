package mesos

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ValueType is the type of a Mesos value (mesos.Value.Type).
type ValueType int

// The Mesos value types, in protobuf enum order.
const (
	Scalar ValueType = iota
	Ranges
	Set
	Text
)

// String returns the protobuf enum name: SCALAR, RANGES, SET or TEXT.
func (t ValueType) String() string {
	switch t {
	case Scalar:
		return "SCALAR"
	case Ranges:
		return "RANGES"
	case Set:
		return "SET"
	case Text:
		return "TEXT"
	}
	return fmt.Sprintf("ValueType(%d)", int(t))
}

// ParseValueType parses SCALAR, RANGES, SET or TEXT (case-insensitive).
func ParseValueType(s string) (ValueType, error) {
	switch strings.ToUpper(s) {
	case "SCALAR":
		return Scalar, nil
	case "RANGES":
		return Ranges, nil
	case "SET":
		return Set, nil
	case "TEXT":
		return Text, nil
	}
	return 0, fmt.Errorf("unknown value type %q (want SCALAR, RANGES, SET or TEXT)", s)
}

// Range is an inclusive range of non-negative integers, e.g. 31000-32000.
type Range struct{ Begin, End uint64 }

// Value is one Mesos value. Only the field selected by Type is meaningful.
// Ranges are kept sorted and coalesced; Set items are unique, in input order.
type Value struct {
	Type   ValueType
	Scalar float64
	Ranges []Range
	Set    []string
	Text   string
}

// ScalarValue returns a SCALAR value rounded to Mesos' fixed point.
func ScalarValue(v float64) Value { return Value{Type: Scalar, Scalar: fixed(v)} }

// RangesValue returns a RANGES value with rs sorted and coalesced.
func RangesValue(rs ...Range) Value { return Value{Type: Ranges, Ranges: coalesce(rs)} }

// SetValue returns a SET value of the unique items.
func SetValue(items ...string) Value { return Value{Type: Set, Set: uniq(items)} }

// TextValue returns a TEXT value.
func TextValue(s string) Value { return Value{Type: Text, Text: s} }

// fixed rounds v to Mesos' fixed-point representation (3 decimal digits).
func fixed(v float64) float64 {
	if math.Abs(v) >= 1e15 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	r := math.Round(v*1000) / 1000
	if r == 0 {
		return 0 // no -0
	}
	return r
}

// number is what a C++ `istream >> double` accepts in full (no inf/nan, no hex).
var number = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
})

// ParseValue parses a value by the rules of Mesos' values::parse: spaces are
// removed; a leading '[' gives RANGES ("[1-2,5-9]", coalesced); a leading '{'
// gives SET ("{a,b}"); a number gives SCALAR (non-negative, finite, rounded to
// 3 decimals); anything else is TEXT. '[' or '{' elsewhere, unbalanced
// brackets and an empty string are errors.
func ParseValue(s string) (Value, error) {
	t := strings.ReplaceAll(s, " ", "")
	if t == "" {
		return Value{}, fmt.Errorf("invalid value %q: empty value", s)
	}
	for _, p := range [][2]byte{{'[', ']'}, {'{', '}'}, {'(', ')'}} {
		if err := checkBrackets(t, p[0], p[1]); err != nil {
			return Value{}, fmt.Errorf("invalid value %q: %v", s, err)
		}
	}
	switch i := strings.IndexAny(t, "[{"); {
	case i == 0 && t[0] == '[':
		return parseRanges(s, t)
	case i == 0 && t[0] == '{':
		if j := strings.IndexByte(t, '['); j >= 0 {
			return Value{}, fmt.Errorf("invalid value %q: unexpected '[' at position %d", s, j)
		}
		return parseSet(s, t)
	case i > 0:
		return Value{}, fmt.Errorf("invalid value %q: unexpected '%c' at position %d (ranges start with '[', sets with '{')", s, t[i], i)
	}
	if number().MatchString(t) {
		f, err := strconv.ParseFloat(t, 64)
		if err == nil {
			if err := validScalar(f); err != nil {
				return Value{}, fmt.Errorf("invalid scalar %q: %v", s, err)
			}
			return ScalarValue(f), nil
		}
		// Out of range for a double: Mesos' stream parse fails, so it is TEXT.
	}
	return TextValue(t), nil
}

func validScalar(f float64) error {
	switch {
	case math.IsNaN(f):
		return fmt.Errorf("NaN not supported")
	case math.IsInf(f, 0):
		return fmt.Errorf("infinite values not supported")
	case f != 0 && math.Abs(f) < 0x1p-1022:
		return fmt.Errorf("subnormal values not supported")
	case f < 0:
		return fmt.Errorf("negative values not supported")
	}
	return nil
}

func checkBrackets(s string, open, close byte) error {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case open:
			depth++
		case close:
			depth--
			if depth < 0 {
				return fmt.Errorf("unmatched '%c' at position %d", close, i)
			}
		}
	}
	if depth != 0 {
		return fmt.Errorf("unmatched '%c'", open)
	}
	return nil
}

// splitItems splits the inside of "[...]" or "{...}" on ',' and '\n',
// dropping empty items, and rejects nested brackets.
func splitItems(inner string) ([]string, error) {
	var out []string
	for _, it := range strings.FieldsFunc(inner, func(r rune) bool { return r == ',' || r == '\n' }) {
		if j := strings.IndexAny(it, "[]{}"); j >= 0 {
			return nil, fmt.Errorf("unexpected '%c' in item %q", it[j], it)
		}
		out = append(out, it)
	}
	return out, nil
}

func parseRanges(orig, t string) (Value, error) {
	if t[len(t)-1] != ']' || strings.Count(t, "[") != 1 {
		return Value{}, fmt.Errorf("invalid ranges %q: expected one \"[begin-end,...]\" list", orig)
	}
	items, err := splitItems(t[1 : len(t)-1])
	if err != nil {
		return Value{}, fmt.Errorf("invalid ranges %q: %v", orig, err)
	}
	rs := make([]Range, 0, len(items))
	for _, it := range items {
		b, e, ok := strings.Cut(it, "-")
		if !ok || strings.Contains(e, "-") {
			return Value{}, fmt.Errorf("invalid ranges %q: %q is not a range begin-end", orig, it)
		}
		bv, err1 := parseUint(b)
		ev, err2 := parseUint(e)
		if err1 != nil || err2 != nil {
			return Value{}, fmt.Errorf("invalid ranges %q: expecting non-negative integers in %q", orig, it)
		}
		if bv > ev {
			return Value{}, fmt.Errorf("invalid ranges %q: range %s has begin > end", orig, it)
		}
		rs = append(rs, Range{bv, ev})
	}
	return RangesValue(rs...), nil
}

func parseUint(s string) (uint64, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("not a non-negative integer: %q", s)
	}
	return strconv.ParseUint(s, 10, 64)
}

func parseSet(orig, t string) (Value, error) {
	if t[len(t)-1] != '}' || strings.Count(t, "{") != 1 {
		return Value{}, fmt.Errorf("invalid set %q: expected one \"{item,...}\" list", orig)
	}
	items, err := splitItems(t[1 : len(t)-1])
	if err != nil {
		return Value{}, fmt.Errorf("invalid set %q: %v", orig, err)
	}
	return SetValue(items...), nil
}

// String returns the text form accepted by ParseValue: 3, 0.125,
// [21000-24000,30000-34000], {a,b}, centos7.
func (v Value) String() string {
	switch v.Type {
	case Scalar:
		return formatScalar(v.Scalar)
	case Ranges:
		return formatRanges(v.Ranges, ",")
	case Set:
		return "{" + strings.Join(v.Set, ",") + "}"
	case Text:
		return v.Text
	}
	return ""
}

// SummaryString is the form used in v0 JSON summaries: ranges and sets are
// joined with ", " ("[1-2, 5-9]", "{a, b}").
func (v Value) SummaryString() string {
	switch v.Type {
	case Ranges:
		return formatRanges(v.Ranges, ", ")
	case Set:
		return "{" + strings.Join(v.Set, ", ") + "}"
	}
	return v.String()
}

func formatRanges(rs []Range, sep string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, r := range rs {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(strconv.FormatUint(r.Begin, 10))
		b.WriteByte('-')
		b.WriteString(strconv.FormatUint(r.End, 10))
	}
	b.WriteByte(']')
	return b.String()
}

// Equal reports whether v and o have the same type and value (scalars are
// compared in fixed point, sets as sets).
func (v Value) Equal(o Value) bool {
	if v.Type != o.Type {
		return false
	}
	switch v.Type {
	case Scalar:
		return fixed(v.Scalar) == fixed(o.Scalar)
	case Ranges:
		a, b := coalesce(v.Ranges), coalesce(o.Ranges)
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	case Set:
		return setContains(v.Set, o.Set) && setContains(o.Set, v.Set)
	case Text:
		return v.Text == o.Text
	}
	return false
}

// IsEmpty reports whether v is zero: scalar 0, no ranges, empty set, empty text.
func (v Value) IsEmpty() bool {
	switch v.Type {
	case Scalar:
		return fixed(v.Scalar) == 0
	case Ranges:
		return len(v.Ranges) == 0
	case Set:
		return len(v.Set) == 0
	case Text:
		return v.Text == ""
	}
	return true
}

// Contains reports whether v ⊇ o: same type and scalar v ≥ o, ranges and sets
// superset, text equal.
func (v Value) Contains(o Value) bool {
	if v.Type != o.Type {
		return false
	}
	switch v.Type {
	case Scalar:
		return fixed(v.Scalar) >= fixed(o.Scalar)
	case Ranges:
		return rangesContain(coalesce(v.Ranges), coalesce(o.Ranges))
	case Set:
		return setContains(v.Set, o.Set)
	case Text:
		return v.Text == o.Text
	}
	return false
}

// add returns v + o (same type assumed): scalar sum, ranges/sets union.
func (v Value) add(o Value) Value {
	switch v.Type {
	case Scalar:
		return ScalarValue(v.Scalar + o.Scalar)
	case Ranges:
		return RangesValue(append(append([]Range(nil), v.Ranges...), o.Ranges...)...)
	case Set:
		return SetValue(append(append([]string(nil), v.Set...), o.Set...)...)
	}
	return v
}

// subtract returns v − o (same type, v.Contains(o) assumed).
func (v Value) subtract(o Value) Value {
	switch v.Type {
	case Scalar:
		return ScalarValue(v.Scalar - o.Scalar)
	case Ranges:
		return Value{Type: Ranges, Ranges: rangesSubtract(coalesce(v.Ranges), coalesce(o.Ranges))}
	case Set:
		var out []string
		for _, it := range v.Set {
			if !setContains(o.Set, []string{it}) {
				out = append(out, it)
			}
		}
		return Value{Type: Set, Set: out}
	}
	return v
}

// coalesce returns rs sorted with overlapping and adjacent ranges merged.
func coalesce(rs []Range) []Range {
	if len(rs) == 0 {
		return nil
	}
	s := append([]Range(nil), rs...)
	sort.Slice(s, func(i, j int) bool {
		if s[i].Begin != s[j].Begin {
			return s[i].Begin < s[j].Begin
		}
		return s[i].End < s[j].End
	})
	out := s[:1]
	for _, r := range s[1:] {
		last := &out[len(out)-1]
		if last.End == math.MaxUint64 || r.Begin <= last.End+1 {
			if r.End > last.End {
				last.End = r.End
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// rangesContain reports whether coalesced a covers every point of coalesced b.
func rangesContain(a, b []Range) bool {
	i := 0
	for _, r := range b {
		for i < len(a) && a[i].End < r.Begin {
			i++
		}
		if i == len(a) || a[i].Begin > r.Begin || a[i].End < r.End {
			return false
		}
	}
	return true
}

// rangesSubtract returns coalesced a minus coalesced b.
func rangesSubtract(a, b []Range) []Range {
	var out []Range
	for _, r := range a {
		cur := []Range{r}
		for _, s := range b {
			var next []Range
			for _, c := range cur {
				if s.End < c.Begin || s.Begin > c.End {
					next = append(next, c)
					continue
				}
				if s.Begin > c.Begin {
					next = append(next, Range{c.Begin, s.Begin - 1})
				}
				if s.End < c.End {
					next = append(next, Range{s.End + 1, c.End})
				}
			}
			cur = next
		}
		out = append(out, cur...)
	}
	return coalesce(out)
}

func setContains(a, b []string) bool {
	have := make(map[string]struct{}, len(a))
	for _, x := range a {
		have[x] = struct{}{}
	}
	for _, x := range b {
		if _, ok := have[x]; !ok {
			return false
		}
	}
	return true
}

func uniq(items []string) []string {
	if len(items) == 0 {
		return nil
	}
	seen := make(map[string]struct{}, len(items))
	out := make([]string, 0, len(items))
	for _, it := range items {
		if _, ok := seen[it]; ok {
			continue
		}
		seen[it] = struct{}{}
		out = append(out, it)
	}
	return out
}
