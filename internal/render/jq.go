package render

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/itchyny/gojq"

	"github.com/mesosctl/mesosctl/internal/cmdutil"
)

// orderedPrelude redefines the few builtins whose result order differs
// between gojq (sorted keys) and jq (input order), on top of a native
// keys-in-input-order function.
const orderedPrelude = `def keys_unsorted: _mesosctl_keys_unsorted; ` +
	`def to_entries: [keys_unsorted[] as $k | {key: $k, value: .[$k]}]; ` +
	`def with_entries(f): to_entries | map(f) | from_entries; `

// jqProgram is a compiled --jq expression.
type jqProgram struct {
	expr  string
	query *gojq.Query
	code  *gojq.Code
	order *keyOrder // of the current run, used by keys_unsorted
}

func compileJQ(expr string) (*jqProgram, error) {
	if _, err := gojq.Parse(expr); err != nil {
		return nil, cmdutil.FlagErrorf("invalid --jq expression %q: %s", expr, describeJQError(expr, err))
	}
	p := &jqProgram{expr: expr}
	q, err := gojq.Parse(orderedPrelude + expr)
	if err != nil { // e.g. module directives, which must come first
		q, _ = gojq.Parse(expr)
	}
	p.query = q
	p.code, err = gojq.Compile(q,
		gojq.WithFunction("_mesosctl_keys_unsorted", 0, 0, p.keysUnsorted),
		gojq.WithEnvironLoader(func() []string { return nil }))
	if err != nil {
		return nil, cmdutil.FlagErrorf("invalid --jq expression %q: %s", expr, err)
	}
	return p, nil
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
	order := newKeyOrder()
	order.addQuery(p.query)
	v, err := decodeOrdered(input, order)
	if err != nil {
		return err
	}
	p.order = order
	defer func() { p.order = nil }()
	iter := p.code.Run(v)
	enc := &jqEncoder{indent: !compact, order: order}
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
		enc.buf.Reset()
		if s, isStr := r.(string); isStr && raw {
			enc.buf.WriteString(s)
		} else if err := enc.encode(r, 0); err != nil {
			return fmt.Errorf("jq: error in %q: %w", p.expr, err)
		}
		enc.buf.WriteByte('\n')
		if _, err := w.Write(enc.buf.Bytes()); err != nil {
			return err
		}
	}
}
