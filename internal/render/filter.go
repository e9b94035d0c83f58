package render

import "errors"

// Filter is a jq expression used as a predicate (mesosctl's --where): the
// same jq as --jq (gojq with jq's key order), asked only whether a
// document passes.
type Filter struct {
	prog *jqProgram
}

// CompileFilter compiles expr; flag names the option in errors ("--where").
// A syntax error is a *UsageError (exit 2).
func CompileFilter(flag, expr string) (*Filter, error) {
	p, err := compileJQFlag(flag, expr)
	if err != nil {
		return nil, err
	}
	return &Filter{prog: p}, nil
}

// String is the expression as given.
func (f *Filter) String() string { return f.prog.expr }

var errMatched = errors.New("matched")

// Match reports whether doc (one JSON document) passes: whether the
// expression yields a truthy value (anything but false and null), as jq's
// select(EXPR) keeps its input. The results are looked at in order and the
// first truthy one decides, so a later error is not reached. An error
// (invalid JSON, a jq runtime error before any truthy result) is returned.
func (f *Filter) Match(doc []byte) (bool, error) {
	err := f.prog.each(doc, func(r any, _ *keyOrder) error {
		if r != nil && r != false {
			return errMatched
		}
		return nil
	})
	if err == errMatched {
		return true, nil
	}
	return false, err
}
