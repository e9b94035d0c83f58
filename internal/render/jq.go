package render

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/itchyny/gojq"
)

// orderedPrelude redefines the builtins whose results depend on object key
// order, so that they follow the input order as jq's do, on top of two
// native functions bound to the run's keyOrder. The user's query is
// rewritten to iterate objects (X[]) with _mesosctl_iter (see rewriteIter).
const orderedPrelude = `
def keys_unsorted: _mesosctl_keys_unsorted;
def _mesosctl_iter: if type == "object" then .[keys_unsorted[]] else .[] end;
def to_entries: [keys_unsorted[] as $k | {key: $k, value: .[$k]}];
def with_entries(f): to_entries | map(f) | from_entries;
def map(f): [_mesosctl_iter | f];
def recurse: recurse(_mesosctl_iter?);
def paths: path(..) | select(. != []);
def paths(f): path(.. | select(f)) | select(. != []);
def leaf_paths: paths(scalars);
def _mesosctl_add(a; b): b as $b | a as $a |
  if ($a | type) == "object" and ($b | type) == "object" then _mesosctl_objadd($a; $b) else $a + $b end;
def tojson: _mesosctl_tojson;
def tostring: if type == "string" then . else _mesosctl_tojson end;
.`

// preludeDefs is parsed on first use, not at package init: every process
// of the multi-call binary runs the init, few of them a --jq.
var preludeDefs = sync.OnceValue(func() []*gojq.FuncDef {
	q, err := gojq.Parse(orderedPrelude)
	if err != nil {
		panic("render: bad jq prelude: " + err.Error())
	}
	return q.FuncDefs
})

// jqProgram is a compiled --jq expression.
type jqProgram struct {
	expr  string
	query *gojq.Query
	code  *gojq.Code
	mu    sync.Mutex // one run at a time: order belongs to the run
	order *keyOrder  // of the current run, used by the native functions
}

func compileJQ(expr string) (*jqProgram, error) { return compileJQFlag("--jq", expr) }

// compileJQFlag compiles expr, naming flag in errors.
func compileJQFlag(flag, expr string) (*jqProgram, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, usageErrorf("invalid %s expression %q: %s", flag, expr, describeJQError(expr, err))
	}
	p := &jqProgram{expr: expr, query: q}
	rewriteIter(reflect.ValueOf(q))
	q.FuncDefs = append(append([]*gojq.FuncDef{}, preludeDefs()...), q.FuncDefs...)
	p.code, err = gojq.Compile(q,
		gojq.WithFunction("_mesosctl_keys_unsorted", 0, 0, p.keysUnsorted),
		gojq.WithFunction("_mesosctl_tojson", 0, 0, p.toJSON),
		gojq.WithFunction("_mesosctl_objadd", 2, 2, p.objAdd),
		gojq.WithEnvironLoader(os.Environ))
	if err != nil {
		return nil, usageErrorf("invalid %s expression %q: %s", flag, expr, err)
	}
	return p, nil
}

var (
	termType  = reflect.TypeOf((*gojq.Term)(nil))
	queryType = reflect.TypeOf((*gojq.Query)(nil))
)

// rewriteIter turns every iteration suffix X[] in the query into
// (X | _mesosctl_iter), which visits object values in input order (gojq's
// own .[] visits them in sorted key order). Both are path expressions, so
// path(), |= and del() keep working. It also turns a + b into
// _mesosctl_add(a; b) so that merged objects keep jq's key order (left
// keys first, then new keys from the right).
func rewriteIter(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		rewriteIter(v.Elem())
		if v.Type() == queryType {
			if q := v.Interface().(*gojq.Query); q.Op == gojq.OpAdd {
				left, right := q.Left, q.Right
				*q = gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeFunc,
					Func: &gojq.Func{Name: "_mesosctl_add", Args: []*gojq.Query{left, right}}}}
			}
		}
		if v.Type() == termType {
			t := v.Interface().(*gojq.Term)
			for {
				i := slices.IndexFunc(t.SuffixList, func(s *gojq.Suffix) bool { return s.Iter })
				if i < 0 {
					break
				}
				left := *t
				left.SuffixList = t.SuffixList[:i:i]
				rest := t.SuffixList[i+1:]
				if t.SuffixList[i].Optional { // X[]? parses as one suffix
					rest = append([]*gojq.Suffix{{Optional: true}}, rest...)
				}
				*t = gojq.Term{Type: gojq.TermTypeQuery, SuffixList: rest, Query: &gojq.Query{
					Op:    gojq.OpPipe,
					Left:  &gojq.Query{Term: &left},
					Right: &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeFunc, Func: &gojq.Func{Name: "_mesosctl_iter"}}},
				}}
			}
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				rewriteIter(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			rewriteIter(v.Index(i))
		}
	}
}

// objAdd merges two objects as jq's + does, recording the key order of
// the result: the left object's keys, then the right's new ones.
func (p *jqProgram) objAdd(_ any, args []any) any {
	a, b := args[0].(map[string]any), args[1].(map[string]any)
	m := make(map[string]any, len(a)+len(b))
	seq := make([]string, 0, len(a)+len(b))
	for _, k := range p.order.keys(a) {
		m[k] = a[k]
		seq = append(seq, k)
	}
	for _, k := range p.order.keys(b) {
		if _, ok := m[k]; !ok {
			seq = append(seq, k)
		}
		m[k] = b[k]
	}
	p.order.record(m, seq)
	return m
}

func (p *jqProgram) toJSON(v any, _ []any) any {
	enc := &jqEncoder{order: p.order}
	if err := enc.encode(v, 0); err != nil {
		return err
	}
	return enc.buf.String()
}

func describeJQError(expr string, err error) string {
	var pe *gojq.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s (at offset %d)", err, pe.Offset)
	}
	return err.Error()
}

func (p *jqProgram) keysUnsorted(v any, _ []any) any {
	switch x := v.(type) {
	case map[string]any:
		ks := p.order.keys(x)
		out := make([]any, len(ks))
		for i, k := range ks {
			out[i] = k
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = i
		}
		return out
	}
	return fmt.Errorf("%s has no keys", typeName(v))
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null (null)"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "number"
}

// run evaluates the program over the JSON document in input and prints each
// result as jq does: JSON text (indented 2 spaces unless compact), strings
// unquoted when raw.
func (p *jqProgram) run(w io.Writer, input []byte, raw, compact bool) error {
	return p.each(input, func(r any, order *keyOrder) error {
		enc := &jqEncoder{indent: !compact, order: order}
		if s, isStr := r.(string); isStr && raw {
			enc.buf.WriteString(s)
		} else if err := enc.encode(r, 0); err != nil {
			return fmt.Errorf("jq: error in %q: %w", p.expr, err)
		}
		enc.buf.WriteByte('\n')
		_, err := w.Write(enc.buf.Bytes())
		return err
	})
}

// each evaluates the program over the JSON document in input and calls fn
// with each result, in order, until fn returns an error. A jq error ends
// the run with that error (halt without a value ends it without one).
func (p *jqProgram) each(input []byte, fn func(r any, order *keyOrder) error) error {
	order := newKeyOrder()
	order.addQuery(p.query)
	v, err := decodeOrdered(input, order)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.order = order
	defer func() { p.order = nil }()
	iter := p.code.Run(v)
	for {
		r, ok := iter.Next()
		if !ok {
			return nil
		}
		if err, isErr := r.(error); isErr {
			var he *gojq.HaltError
			if errors.As(err, &he) && he.Value() == nil {
				return nil
			}
			return fmt.Errorf("jq: error in %q: %s", p.expr, strings.TrimPrefix(err.Error(), "error: "))
		}
		if err := fn(r, order); err != nil {
			return err
		}
	}
}
