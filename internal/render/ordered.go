package render

import (
	"reflect"
	"strings"
	"unsafe"

	"github.com/itchyny/gojq"
)

// keyOrder remembers the key order of JSON objects so that output can keep
// it the way jq does, although gojq works on Go maps (which have none).
//
//   - Objects decoded from the input are recorded by map identity: gojq hands
//     input maps through unchanged (".flags", ".frameworks[].tasks[]"), so
//     they print in input order.
//   - Objects the query builds ({id,state}) or modifies (. + {x:1}, del(.a))
//     are new maps. They take the order of the best-matching known key
//     sequence: the object constructions in the query text (in the order
//     written) and the distinct key sequences of the input; keys the match
//     does not cover follow in order of first appearance, then sorted.
type keyOrder struct {
	byPtr   map[unsafe.Pointer][]string
	seqs    [][]string
	seqID   map[string]int
	posting map[string][]int
	rank    map[string]int
}

func newKeyOrder() *keyOrder {
	return &keyOrder{
		byPtr:   map[unsafe.Pointer][]string{},
		seqID:   map[string]int{},
		posting: map[string][]int{},
		rank:    map[string]int{},
	}
}

func (o *keyOrder) addSeq(seq []string) {
	if len(seq) == 0 {
		return
	}
	sig := strings.Join(seq, "\x00")
	if _, ok := o.seqID[sig]; ok {
		return
	}
	id := len(o.seqs)
	o.seqID[sig] = id
	o.seqs = append(o.seqs, seq)
	for _, k := range seq {
		if k == dynamicKey {
			continue
		}
		o.posting[k] = append(o.posting[k], id)
		if _, ok := o.rank[k]; !ok {
			o.rank[k] = len(o.rank)
		}
	}
}

func (o *keyOrder) record(m map[string]any, seq []string) {
	o.byPtr[reflect.ValueOf(m).UnsafePointer()] = seq
	o.addSeq(seq)
}

// keys returns the keys of m in the order jq would print them.
func (o *keyOrder) keys(m map[string]any) []string {
	if o == nil {
		return sortedKeys(m)
	}
	if seq, ok := o.byPtr[reflect.ValueOf(m).UnsafePointer()]; ok && len(seq) == len(m) {
		return seq
	}
	// Best template: most keys in common, then fewest extra keys, then the
	// earliest (query constructions come first).
	counts := map[int]int{}
	for k := range m {
		for _, id := range o.posting[k] {
			counts[id]++
		}
	}
	best, bestN, bestExtra := -1, 0, 0
	for id, n := range counts {
		extra := len(o.seqs[id]) - n
		if n > bestN || (n == bestN && (extra < bestExtra || (extra == bestExtra && id < best))) {
			best, bestN, bestExtra = id, n, extra
		}
	}
	used := make(map[string]bool, len(m))
	var tmpl []string
	if best >= 0 {
		tmpl = o.seqs[best]
		for _, k := range tmpl {
			if _, ok := m[k]; ok {
				used[k] = true
			}
		}
	}
	others := o.uncovered(m, used)
	out := make([]string, 0, len(m))
	for _, k := range tmpl {
		switch {
		case k == dynamicKey:
			out = append(out, others...)
			others = nil
		case used[k]:
			out = append(out, k)
			used[k] = false // once
		}
	}
	return append(out, others...)
}

// uncovered returns the keys of m not in used: those seen in the input or
// query first, in order of first appearance, then the rest sorted.
func (o *keyOrder) uncovered(m map[string]any, used map[string]bool) []string {
	if len(used) == len(m) {
		return nil
	}
	var ranked, rest []string
	for _, k := range sortedKeys(m) {
		if used[k] {
			continue
		}
		if _, ok := o.rank[k]; ok {
			ranked = append(ranked, k)
		} else {
			rest = append(rest, k)
		}
	}
	// insertion sort by rank: these lists are short.
	for i := 1; i < len(ranked); i++ {
		for j := i; j > 0 && o.rank[ranked[j]] < o.rank[ranked[j-1]]; j-- {
			ranked[j], ranked[j-1] = ranked[j-1], ranked[j]
		}
	}
	return append(ranked, rest...)
}

// addQuery records the key order of every object construction with static
// keys in q ({resources,attributes}, {"a": 1, b: 2}).
func (o *keyOrder) addQuery(q *gojq.Query) {
	walkObjects(reflect.ValueOf(q), func(obj *gojq.Object) {
		var seq []string
		for _, kv := range obj.KeyVals {
			switch {
			case kv.Key != "":
				seq = append(seq, strings.TrimPrefix(kv.Key, "$")) // {$x} builds {"x": $x}
			case kv.KeyString != nil && kv.KeyString.Queries == nil:
				seq = append(seq, kv.KeyString.Str)
			default: // computed key: its place in the construction
				seq = append(seq, dynamicKey)
			}
		}
		o.addSeq(seq)
	})
}

// dynamicKey marks the position of a computed key ({(.k): v}) in a
// construction's key sequence; it cannot occur in JSON text from a decoder.
const dynamicKey = "\x00"

var objectType = reflect.TypeOf((*gojq.Object)(nil))

// walkObjects visits every *gojq.Object in the parsed query, in source order.
func walkObjects(v reflect.Value, f func(*gojq.Object)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		if v.Type() == objectType {
			f(v.Interface().(*gojq.Object))
		}
		walkObjects(v.Elem(), f)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				walkObjects(v.Field(i), f)
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkObjects(v.Index(i), f)
		}
	}
}
