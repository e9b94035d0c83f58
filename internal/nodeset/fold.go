package nodeset

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// key splits a name at its last run of digits: prefix, digits, suffix.
// Names without a (short enough) digit run have num == "".
type key struct {
	name, prefix, num, suffix string
	val                       int64
}

func splitName(n string) key {
	end := -1
	for i := len(n) - 1; i >= 0; i-- {
		if n[i] >= '0' && n[i] <= '9' {
			end = i + 1
			break
		}
	}
	if end < 0 {
		return key{name: n, prefix: n}
	}
	start := end
	for start > 0 && n[start-1] >= '0' && n[start-1] <= '9' {
		start--
	}
	num := n[start:end]
	if len(num) > maxDigits {
		return key{name: n, prefix: n}
	}
	v, _ := strconv.ParseInt(num, 10, 64)
	return key{name: n, prefix: n[:start], num: num, suffix: n[end:], val: v}
}

func compareKeys(a, b key) int {
	if c := cmp.Compare(a.prefix, b.prefix); c != 0 {
		return c
	}
	// names without a number sort before numbered names of the same prefix
	if c := cmp.Compare(b2i(a.num != ""), b2i(b.num != "")); c != 0 {
		return c
	}
	if c := cmp.Compare(a.suffix, b.suffix); c != 0 {
		return c
	}
	if c := cmp.Compare(a.val, b.val); c != 0 {
		return c
	}
	return cmp.Compare(len(a.num), len(b.num))
}

// sortedKeys returns the keys of names without duplicates in node set
// order: grouped by the text around the last number, then by that number
// (lxb2 before lxb10). Expand(Fold(x)) returns them.
func sortedKeys(names []string) []key {
	keys := make([]key, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		keys = append(keys, splitName(n))
	}
	slices.SortFunc(keys, compareKeys)
	return keys
}

// Fold returns the shortest-form node set for names, e.g.
// lxb001,lxb002,lxb003,lxb007 -> lxb[001-003,007]. Duplicates are dropped;
// zero padding is preserved. Names that are not valid in a node set (see
// ValidName) are kept as they are.
func Fold(names []string) string {
	keys := sortedKeys(names)
	var out []string
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j].num != "" && keys[i].num != "" &&
			keys[j].prefix == keys[i].prefix && keys[j].suffix == keys[i].suffix {
			j++
		}
		out = append(out, foldGroup(keys[i:j]))
		i = j
	}
	return strings.Join(out, ",")
}

// foldGroup folds names that share prefix and suffix, sorted by value.
func foldGroup(ks []key) string {
	if len(ks) == 1 {
		return ks[0].name
	}
	var b strings.Builder
	b.WriteString(ks[0].prefix)
	b.WriteByte('[')
	for i := 0; i < len(ks); {
		lo := ks[i]
		pad := 0
		if len(lo.num) > 1 && lo.num[0] == '0' {
			pad = len(lo.num)
		}
		j := i + 1
		for j < len(ks) && ks[j].val == ks[j-1].val+1 && formatNum(ks[j].val, pad) == ks[j].num {
			j++
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(lo.num)
		if j-1 > i {
			b.WriteByte('-')
			b.WriteString(ks[j-1].num)
		}
		i = j
	}
	b.WriteByte(']')
	b.WriteString(ks[0].suffix)
	return b.String()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
